"""surveykit's model-formula grammar: a recursive-descent parser that never evaluates text.

Grammar (patsy's, the subset surveykit supports)::

    formula  := expr '~' expr
    expr     := product (('+' | '-') product)*
    product  := interact ('*' interact)*
    interact := unary (':' unary)*
    unary    := ('+' | '-')* atom          # '-' only before 0 or 1
    atom     := '(' expr ')' | '0' | '1' | factor
    factor   := NAME | Q("name") | C(column [, Treatment[(ref | reference=ref)]])
              | I(expression) | f(expression) | np.f(expression)     # f in _expr.FUNCTIONS
    expression: columns, numbers, + - * / // % **, comparisons, and/or/not, f(...),
                column == "text", column.isin([1, 2, "a"])

``a * b`` is ``a + b + a:b``; ``- 1``, ``+ 0`` or a leading ``0 +`` drop the intercept, as in
patsy. ``I(...)`` and the functions are computed later by :func:`surveykit.instrument.expr.evaluate`;
here their text is only checked (columns, numbers, operators, those functions, and a column
compared with a quoted string) and rewritten for the evaluator (``Q("a.b")`` and string
comparisons become aliases the model builder supplies).
"""

from __future__ import annotations

from dataclasses import dataclass

from surveykit.models._formula_expr import expression_factor
from surveykit.models._formula_terms import Factor, Term, term_name
from surveykit.models._formula_tokens import Token, formula_error, spaced, string_value, tokenize

__all__ = ["Factor", "ParsedFormula", "Term", "MAX_TERMS", "MAX_FACTORS", "parse", "term_name"]

MAX_TERMS = 100  # terms of one side after expanding '*'
MAX_FACTORS = 6  # factors of one interaction term
MAX_SIGNS = 4  # unary signs in a row
_FIX = 'Write terms as x, C(g), Q("a.b"), I(x ** 2) or x:C(g), joined by + - * :'


@dataclass(frozen=True, slots=True)
class ParsedFormula:
    """Terms of both sides in patsy's order of appearance (the builder reorders the right)."""

    formula: str
    lhs: tuple[Term, ...]
    rhs: tuple[Term, ...]  # the intercept () first when present


@dataclass(slots=True)
class _Side:
    """patsy's IntermediateExpr: terms plus the intercept state."""

    terms: list[Term]
    intercept: bool = False
    removed: bool = False
    literal: str = ""  # "0" or "1" when the node is that number


def _unique(terms: list[Term]) -> list[Term]:
    seen: set[frozenset[str]] = set()
    out = []
    for t in terms:
        key = frozenset(f.name for f in t)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


class _Parser:
    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.tokens = tokenize(formula)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, must: str, tok: Token | None = None, fix: str = _FIX) -> Exception:
        tok = tok or self.tok
        return formula_error(self.formula, must, tok.shown(), tok.column, fix)

    def take(self, text: str, must: str) -> Token:
        if self.tok.text != text or self.tok.kind not in ("OP", "NAME"):
            raise self.fail(must)
        self.i += 1
        return self.tokens[self.i - 1]

    def formula_sides(self) -> ParsedFormula:
        if self.tok.text == "~":
            raise self.fail("have a response before '~', as 'y ~ x1 + x2'", fix="Add the response")
        lhs = self.expr()
        if self.tok.text != "~":
            raise self.fail(
                "have one '~' between the response and the terms, as 'y ~ x1 + x2'", fix="Add '~' after the response"
            )
        self.i += 1
        rhs = self.expr()
        if self.tok.kind != "END":
            raise self.fail("join terms with + - * :", fix=_FIX)
        left = ([()] if lhs.intercept else []) + lhs.terms
        right = ([] if rhs.removed else [()]) + rhs.terms
        return ParsedFormula(self.formula, tuple(_unique(left)), tuple(_unique(right)))

    def expr(self) -> _Side:
        left = self.product()
        while self.tok.kind == "OP" and self.tok.text in "+-":
            op = self.tok
            self.i += 1
            right = self.product()
            left = _plus(left, right) if op.text == "+" else _minus(left, right)
            self.check_terms(left.terms, op)
        return left

    def product(self) -> _Side:
        left = self.interact()
        while self.tok.kind == "OP" and self.tok.text == "*":
            op = self.tok
            self.i += 1
            right = self.interact()
            both = self.interaction(left, right, op)
            left = _Side(_unique(left.terms + right.terms + both))
            self.check_terms(left.terms, op)
        return left

    def interact(self) -> _Side:
        left = self.unary()
        while self.tok.kind == "OP" and self.tok.text == ":":
            op = self.tok
            self.i += 1
            left = _Side(self.interaction(left, self.unary(), op))
        return left

    def interaction(self, left: _Side, right: _Side, op: Token) -> list[Term]:
        if left.literal or right.literal or left.intercept or right.intercept:
            raise self.fail(
                "interact terms, not the intercept 0 or 1",
                op,
                "Write the intercept as a separate term, as 'y ~ 1 + a:b'",
            )
        self.check_terms([()] * (len(left.terms) * len(right.terms)), op)
        out = []
        for a in left.terms:
            for b in right.terms:
                term = a + tuple(f for f in b if f not in a)
                if len(term) > MAX_FACTORS:
                    raise self.fail(
                        f"interact at most {MAX_FACTORS} factors in a term", op, "Use fewer factors in the interaction"
                    )
                out.append(term)
        return _unique(out)

    def check_terms(self, terms: list[Term], op: Token) -> None:
        if len(terms) > MAX_TERMS:
            raise self.fail(f"expand to at most {MAX_TERMS} terms", op, "Split the model or write fewer interactions")

    def unary(self) -> _Side:
        signs: list[Token] = []
        while self.tok.kind == "OP" and self.tok.text in "+-":
            signs.append(self.tok)
            self.i += 1
            if len(signs) > MAX_SIGNS:
                raise self.fail(f"have at most {MAX_SIGNS} signs in a row", signs[-1], "Remove the extra signs")
        side = self.atom()
        for sign in reversed(signs):
            if sign.text == "-":
                if not side.literal:
                    raise self.fail(
                        "use unary minus only as -1 or -0", sign, "Remove a term with 'a - b', the intercept with '- 1'"
                    )
                side = _literal("1" if side.literal == "0" else "0", flip=True)
        return side

    def atom(self) -> _Side:
        tok = self.tok
        if tok.kind == "OP" and tok.text == "(":
            self.i += 1
            inner = self.expr()
            self.take(")", "close the bracket")
            return inner
        if tok.kind == "NUMBER":
            if tok.text not in ("0", "1"):
                raise self.fail(
                    "use only 0 or 1 as numbers outside I(...)",
                    fix="Write a constant inside I(...), or 0/1 for the intercept",
                )
            self.i += 1
            return _literal(tok.text)
        if tok.kind == "NAME":
            return _Side([(self.factor(),)])
        raise self.fail("have a term here, as x, C(g) or I(x ** 2)")

    def factor(self) -> Factor:
        start = self.i
        name = self.tok
        self.i += 1
        if self.tok.text != "(" and self.tok.text != ".":
            return Factor(name.text, "column", (name.text,), column=name.text, column_no=name.column)
        if self.tok.text == "." and name.text not in ("np", "numpy"):
            raise self.fail("use no attributes", fix=f'Write Q("{name.text}.…") for a column name with a dot')
        if name.text == "Q":
            column = self.quoted()
            return Factor(
                spaced(self.tokens[start : self.i]), "column", (column,), column=column, column_no=name.column
            )
        if name.text == "C":
            return self.categorical(start)
        return expression_factor(self, start)

    def quoted(self) -> str:
        self.take("(", 'write a quoted name as Q("a.b")')
        if self.tok.kind != "STRING":
            raise self.fail("quote the name in Q(...)", fix='Write Q("a.b")')
        value = string_value(self.tok.text)
        self.i += 1
        self.take(")", "close Q(...) after the quoted name")
        return value

    def categorical(self, start: int) -> Factor:
        self.take("(", "write C(column)")
        if self.tok.kind != "NAME":
            raise self.fail("name a column in C(...)", fix='Write C(g) or C(Q("a.b"))')
        if self.tok.text == "Q" and self.tokens[self.i + 1].text == "(":
            self.i += 1
            column = self.quoted()
        else:
            column = self.tok.text
            self.i += 1
        has_ref, ref = False, None
        if self.tok.text == ",":
            self.i += 1
            has_ref, ref = self.contrast()
        self.take(")", "close C(...), as C(g) or C(g, Treatment('b'))")
        return Factor(
            spaced(self.tokens[start : self.i]),
            "categorical",
            (column,),
            column=column,
            reference=ref,
            has_reference=has_ref,
            column_no=self.tokens[start].column,
        )

    def contrast(self) -> tuple[bool, object]:
        fix = "Write C(g, Treatment('b')), C(g, Treatment(reference='b')) or C(g, Treatment(2))"
        if self.tok.text != "Treatment":
            raise self.fail("use the Treatment contrast in C(...)", fix=fix)
        self.i += 1
        if self.tok.text != "(":
            return False, None
        self.i += 1
        if self.tok.text == "reference":
            self.i += 1
            self.take("=", "write Treatment(reference=level)")
        negative = self.tok.text == "-"
        self.i += negative
        tok = self.tok
        if tok.kind == "STRING" and not negative:
            ref: object = string_value(tok.text)
        elif tok.kind == "NUMBER":
            ref = _number(tok.text) * (-1 if negative else 1)
        else:
            raise self.fail("give the reference level as a number or a quoted level", fix=fix)
        self.i += 1
        self.take(")", "close Treatment(...)")
        return True, ref


def _number(text: str) -> int | float:
    return int(text) if text.isdigit() else float(text)


def _literal(text: str, flip: bool = False) -> _Side:
    """0 or 1; *flip*: the value of ``-0`` / ``-1`` (intercept added / removed; as patsy, not a
    literal for ``+`` and ``-``: ``x + -1`` keeps the intercept)."""
    mark = "" if flip else text
    if text == "1":
        return _Side([], intercept=True, literal=mark)
    return _Side([], removed=True, literal=mark)


def _plus(left: _Side, right: _Side) -> _Side:
    if right.literal == "0":
        return _Side(left.terms, removed=True)
    if right.intercept:
        return _Side(left.terms + right.terms, intercept=True)
    return _Side(left.terms + right.terms, left.intercept, left.removed)


def _minus(left: _Side, right: _Side) -> _Side:
    if right.literal == "0":
        return _Side(left.terms, intercept=True)
    if right.literal == "1" or right.intercept:
        keys = {frozenset(f.name for f in t) for t in right.terms}
        return _Side([t for t in left.terms if frozenset(f.name for f in t) not in keys], removed=True)
    keys = {frozenset(f.name for f in t) for t in right.terms}
    return _Side([t for t in left.terms if frozenset(f.name for f in t) not in keys], left.intercept, left.removed)


def parse(formula: str) -> ParsedFormula:
    """Parse *formula* into its terms; no text is evaluated.

    Raises
    ------
    ModelError
        Bad syntax, an unsupported function or form, or a formula over the limits
        (:data:`MAX_TERMS`, :data:`MAX_FACTORS`, and those of ``_formula_tokens``).

    Examples
    --------
    >>> [term_name(t) for t in parse("y ~ x * C(g)").rhs]
    ['Intercept', 'x', 'C(g)', 'x:C(g)']
    """
    return _Parser(formula).formula_sides()
