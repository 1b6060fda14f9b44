"""The one expression grammar of surveykit: parsing, limits and checks (no evaluation here).

Derived variables (:mod:`surveykit.instrument.expr`), routing rules (:mod:`surveykit.instrument.rules`) and
``Survey.domain`` strings share this grammar. Text is parsed with :func:`ast.parse` in ``eval``
mode only after a cheap linear pre-scan (length, bracket depth, backtick-quoted names), then
the tree is checked *iteratively* (never recursively) against node count, nesting depth, the
allowed node kinds and the function table :data:`FUNCTIONS` with its arities. A tree that
passes :func:`parse` is safe to evaluate: nothing reaches ``eval``, attributes or numpy
keywords, and the evaluator's recursion is bounded by :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from surveykit.errors import DataError

__all__ = [
    "Function",
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_DEPTH",
    "MAX_CONSTANT",
    "Parsed",
    "parse",
    "show",
    "is_logical",
]

MAX_LENGTH = 2000  # characters of expression text
MAX_NODES = 500  # AST expression nodes (columns, numbers, operators, calls)
MAX_DEPTH = 50  # nesting: brackets in the text, and operator/call nesting in the tree
MAX_CONSTANT = 1e15  # largest magnitude of a number literal (beyond it float64 loses integers)
MAX_DIGITS = 15  # round(x, digits): -15 <= digits <= 15


def _fmin(args: list[np.ndarray]) -> np.ndarray:
    return functools.reduce(np.fmin, args)


def _fmax(args: list[np.ndarray]) -> np.ndarray:
    return functools.reduce(np.fmax, args)


@dataclass(frozen=True)
class Function:
    """One callable of the grammar: its arity and a vectorised implementation.

    ``call`` receives the evaluated array arguments (``constants`` excluded) and the constant
    arguments' values, and never forwards either as numpy keywords or ``out``.
    """

    name: str
    min_args: int
    max_args: int | None  # None: no upper bound (min/max), still bounded by MAX_NODES
    call: Callable[[list[np.ndarray], tuple[int, ...]], np.ndarray]
    usage: str  # the fix shown in errors, e.g. "abs({0})"; {0} is the first argument (or x)
    constants: frozenset[int] = field(default_factory=frozenset)  # argument positions that must be integers


def _unary(ufunc: np.ufunc) -> Callable[[list[np.ndarray], tuple[int, ...]], np.ndarray]:
    return lambda args, _consts: ufunc(args[0])


FUNCTIONS: dict[str, Function] = {
    **{
        name: Function(name, 1, 1, _unary(uf), name + "({0})")
        for name, uf in [
            ("abs", np.abs),
            ("sqrt", np.sqrt),
            ("log", np.log),
            ("log10", np.log10),
            ("exp", np.exp),
            ("floor", np.floor),
            ("ceil", np.ceil),
        ]
    },
    "round": Function(
        "round", 1, 2, lambda a, c: np.round(a[0], c[0] if c else 0), "round({0}) or round({0}, 1)", frozenset({1})
    ),
    "min": Function("min", 2, None, lambda a, _c: _fmin(a), "min(a, b)"),
    "max": Function("max", 2, None, lambda a, _c: _fmax(a), "max(a, b)"),
    "is_missing": Function("is_missing", 1, 1, lambda a, _c: np.isnan(a[0]).astype(float), "is_missing({0})"),
}

_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_CMP = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
ALLOWED = (
    "columns, numbers, + - * / // % **, comparisons (== != < <= > >=, in [...]), and/or/not "
    "(also & | for and/or, ~ before a condition), 'text' compared with a column by == != in, and the functions "
    + ", ".join(FUNCTIONS)
)


@dataclass(frozen=True)
class Parsed:
    """A checked expression: its text, the tree (``ast.Expression.body``) and backtick names."""

    text: str
    tree: ast.expr
    quoted: dict[str, str]  # placeholder identifier -> the backtick-quoted column name
    subject: str

    def column(self, node: ast.Name) -> str:
        """The data column a :class:`ast.Name` refers to (backtick-quoted names resolved)."""
        return self.quoted.get(node.id, node.id)


def show(text: str, limit: int = 80) -> str:
    """``repr`` of *text*, shortened to about *limit* characters for messages."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def is_logical(node: ast.expr) -> bool:
    """Whether *node* is a condition (comparison, and/or/not, ~, is_missing)."""
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, (ast.Not, ast.Invert))
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "is_missing"


class _Checker:
    def __init__(self, text: str, subject: str, error: type[Exception]) -> None:
        self.text, self.subject, self.error = text, subject, error
        self.quoted: dict[str, str] = {}
        self.origin: list[int] = []
        self.count = 0

    def fail(self, must: str, got: str, fix: str = "") -> Exception:
        return self.error(f"{self.subject} {show(self.text)} must {must}; got {got}.{' ' + fix if fix else ''}")

    def src(self, node: ast.AST) -> str:
        """Source of *node* for messages, backtick-quoted names restored."""
        text = _source(node)
        for key, name in self.quoted.items():
            text = text.replace(key, f"`{name}`")
        return text

    def refuse(self, node: ast.AST, why: str = "") -> Exception:
        what = f"{type(node).__name__} ({self.src(node)!r})"
        return self.error(
            f"{self.subject} {show(self.text)} may use only {ALLOWED}; got {what}." + (f" {why}" if why else "")
        )

    # -- pre-scan: linear, before ast.parse ------------------------------------------------------
    def prescan(self) -> str:
        """Check length-independent limits in one pass; quote backtick names; ``&``/``|`` -> and/or.

        ``&`` and ``|`` become ``and``/``or`` (boolean precedence, as in pandas queries), so
        ``a == 1 & b == 2`` means ``(a == 1) and (b == 2)``. ``self.origin`` maps each character
        of the result back to the text, for error columns.
        """
        text, out, quoted, origin = self.text, [], self.quoted, self.origin
        depth = deepest = 0
        i, n = 0, len(text)

        def emit(piece: str, at: int) -> None:
            out.append(piece)
            origin.extend([at] * len(piece))

        while i < n:
            ch = text[i]
            if ch in "'\"":
                j = i + 1
                while j < n and text[j] != ch:
                    j += 2 if text[j] == "\\" else 1
                out.append(text[i : j + 1])
                origin.extend(range(i, i + len(out[-1])))
                i = j + 1
                continue
            if ch in "&|":
                emit(" and " if ch == "&" else " or ", i)
                i += 1
                continue
            if ch == "`":
                j = text.find("`", i + 1)
                name = text[i + 1 : j] if j > 0 else ""
                if j < 0 or not name.strip() or "\n" in name:
                    raise self.fail(
                        "quote a column name as `name` (closed, on one line, not empty)",
                        f"an unmatched or empty backtick at column {i + 1}",
                        "Close the backtick.",
                    )
                key = f"_{'_' * (j - i - 2 - len(str(len(quoted))))}{len(quoted)}"  # same width as `name`
                quoted[key] = name
                emit(key, i)
                i = j + 1
                continue
            if ch in "([{":
                depth += 1
                deepest = max(deepest, depth)
                if deepest > MAX_DEPTH:
                    raise self.fail(
                        f"nest brackets at most {MAX_DEPTH} deep",
                        f"more at column {i + 1}",
                        "Remove redundant brackets or split it into derived variables.",
                    )
            elif ch in ")]}":
                depth -= 1
            emit(ch, i)
            i += 1
        return "".join(out)

    # -- the tree: one iterative pass --------------------------------------------------------------
    def check(self, root: ast.expr) -> None:
        stack: list[tuple[ast.expr, int]] = [(root, 1)]
        self.count = 0
        while stack:
            node, depth = stack.pop()
            self.tick(1)
            if depth > MAX_DEPTH:
                raise self.fail(
                    f"nest operators and calls at most {MAX_DEPTH} deep",
                    "deeper",
                    "Simplify it or split it into derived variables.",
                )
            stack.extend((child, d) for child, d in self.children(node, depth))

    def tick(self, terms: int) -> None:
        self.count += terms
        if self.count > MAX_NODES:
            raise self.fail(
                f"have at most {MAX_NODES} terms (columns, numbers, operators)",
                "more",
                "Split it into several derived variables.",
            )

    def children(self, node: ast.expr, depth: int) -> list[tuple[ast.expr, int]]:
        if isinstance(node, ast.Name):
            return []
        if isinstance(node, ast.Constant):
            self.number(node)
            return []
        if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITH):
            return [(node.left, depth), (node.right, depth + 1)]  # left chains are evaluated in a loop
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            return [(node.operand, depth + 1)]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            if not is_logical(node.operand):
                raise self.fail(
                    "apply ~ only to a condition in brackets", repr(self.src(node)), "Write ~(a == 1) or not a == 1."
                )
            return [(node.operand, depth + 1)]
        if isinstance(node, ast.BoolOp):
            return [(v, depth + 1) for v in node.values]
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, (ast.List, ast.Tuple)):
            raise self.refuse(node, "A list of values may only follow in: write x in [1, 2].")
        raise self.refuse(node)

    def number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, str):
            raise self.refuse(node, "Text may only be compared with a column: region == 'Seoul'.")
        if isinstance(value, bool) or value is None:
            raise self.refuse(node, "Write is_missing(x) for missing values and 1 or 0 for true or false.")
        if not isinstance(value, (int, float)):
            raise self.refuse(node)
        if not abs(value) <= MAX_CONSTANT:  # also catches nan/inf; exact for big ints (no float())
            raise self.fail(
                f"use numbers of at most {MAX_CONSTANT:.0e} in size",
                show(str(value), 30),
                "Rescale the data instead of writing huge constants.",
            )
        return float(value)

    def compare(self, node: ast.Compare, depth: int) -> list[tuple[ast.expr, int]]:
        if not all(isinstance(op, (*_CMP, ast.In, ast.NotIn)) for op in node.ops):
            bad = next(op for op in node.ops if not isinstance(op, (*_CMP, ast.In, ast.NotIn)))
            raise self.refuse(node, f"Comparison {type(bad).__name__} is not supported; use == != < <= > >= in.")
        operands = [node.left, *node.comparators]
        texts = [isinstance(o, ast.Constant) and isinstance(o.value, str) for o in operands]
        member = any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
        if (member or any(texts)) and len(node.ops) > 1:
            raise self.fail(
                "use 'in' and text comparisons without chaining",
                repr(self.src(node)),
                "Join the parts with and: a == 'x' and b in [1, 2].",
            )
        if member:
            values = node.comparators[0]
            if not isinstance(values, (ast.List, ast.Tuple)) or not values.elts:
                raise self.fail(
                    "follow 'in' with a bracketed list of values", repr(self.src(values)), "Write x in [1, 2]."
                )
            self.tick(len(values.elts))  # the listed values count as terms
            kinds = {self.literal(v) for v in values.elts}
            if len(kinds) > 1:
                raise self.fail(
                    "list either numbers or texts after 'in'",
                    repr(self.src(values)),
                    "Write x in [1, 2] or x in ['a', 'b'].",
                )
            if kinds == {"text"} and not isinstance(node.left, ast.Name):
                raise self.fail(
                    "compare text values with a column",
                    repr(self.src(node.left)),
                    "Write region in ['Seoul', 'Busan'].",
                )
            return [(node.left, depth + 1)]
        if any(texts):
            other = operands[1] if texts[0] else operands[0]
            if not isinstance(node.ops[0], (ast.Eq, ast.NotEq)) or not isinstance(other, ast.Name):
                raise self.fail(
                    "compare text only with a column by == or !=", repr(self.src(node)), "Write region == 'Seoul'."
                )
            return [(other, depth + 1)]
        return [(o, depth + 1) for o in operands]

    def literal(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return "text"
        number = _signed(node)
        if number is None:
            raise self.fail("list only numbers or texts after 'in'", repr(self.src(node)), "Write x in [1, 2].")
        self.number(number)
        return "number"

    def call(self, node: ast.Call, depth: int) -> list[tuple[ast.expr, int]]:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node)
        spec = FUNCTIONS.get(node.func.id)
        if spec is None:
            raise self.error(
                f"{self.subject} {show(self.text)} may use only {ALLOWED}; got a call of {node.func.id!r}."
            )
        n = len(node.args)
        usage = spec.usage.format(self.src(node.args[0]) if node.args else "x")
        if node.keywords:
            raise self.fail(
                f"call {spec.name} without keyword arguments",
                ", ".join(repr(self.src(k)) for k in node.keywords),
                f"Write {usage}.",
            )
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            raise self.fail(f"call {spec.name} with {_arity(spec)}", str(n), f"Write {usage}.")
        for pos in spec.constants:
            if pos < n:
                self.digits(spec, node.args[pos], usage)
        return [(a, depth + 1) for i, a in enumerate(node.args) if i not in spec.constants]

    def digits(self, spec: Function, node: ast.expr, usage: str) -> int:
        value = _signed(node)
        if (
            value is None
            or isinstance(value.value, bool)
            or not isinstance(value.value, int)
            or abs(value.value) > MAX_DIGITS
        ):
            raise self.fail(
                f"give {spec.name}'s digits as a whole number from -{MAX_DIGITS} to {MAX_DIGITS}",
                repr(self.src(node)),
                f"Write {usage}.",
            )
        return int(value.value)


def _arity(spec: Function) -> str:
    if spec.max_args is None:
        return f"at least {spec.min_args} arguments"
    if spec.min_args == spec.max_args:
        return f"{spec.min_args} argument{'s' if spec.min_args != 1 else ''}"
    return (
        f"{spec.min_args} or {spec.max_args} arguments"
        if spec.max_args == spec.min_args + 1
        else f"{spec.min_args} to {spec.max_args} arguments"
    )


def _signed(node: ast.expr) -> ast.Constant | None:
    """A number literal, with one leading minus folded in (``-2``); None for anything else."""
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
    ):
        value = node.operand.value
        return ast.Constant(-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node
    return None


def _source(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError):  # unparse recurses; trees here are bounded, but be safe
        text = type(node).__name__
    return text if len(text) <= 60 else text[:60] + "..."


def constant_args(parsed: Parsed, node: ast.Call) -> tuple[int, ...]:
    """The integer constant arguments of a checked call (e.g. round's digits)."""
    spec = FUNCTIONS[node.func.id]  # type: ignore[union-attr,attr-defined]
    return tuple(int(_signed(node.args[p]).value) for p in sorted(spec.constants) if p < len(node.args))  # type: ignore[union-attr,arg-type]


@functools.lru_cache(maxsize=512)
def parse(text: str, subject: str = "expression", error: type[Exception] = DataError) -> Parsed:
    """Parse and check *text*; raise *error* naming the text, the rule broken and the fix.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"(2018 - founded_year) / 10"`` or ``"stype == 'E'"``.
    subject : str
        How messages name it: ``"expression"``, ``"routing rule"``, ``"domain expression"``.
    error : type
        The exception class raised (:class:`DataError`; the rules use ``InstrumentError``).

    Returns
    -------
    Parsed
        The checked tree, safe to evaluate.
    """
    if not isinstance(text, str) or not text.strip():
        raise error(f'{subject} must be non-empty text; got {text!r}. Write e.g. "x >= 1".')
    checker = _Checker(text.strip(), subject, error)
    if len(checker.text) > MAX_LENGTH:
        raise checker.fail(
            f"be at most {MAX_LENGTH} characters", str(len(checker.text)), "Split it into several derived variables."
        )
    source = checker.prescan()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        offset = exc.offset or 0
        col = checker.origin[offset - 1] + 1 if 0 < offset <= len(checker.origin) else 0
        near = checker.text[col - 1 : col] if 0 < col <= len(checker.text) else ""
        got = f"{near!r} at column {col}" if near.strip() else "the end of the text"
        if near == "@":
            raise checker.fail(
                "be valid (no @ variables)",
                got,
                "Write the value itself; for Survey.domain "
                "a boolean mask also works, e.g. svy.domain(svy.data['x'] > limit).",
            ) from None
        raise checker.fail(f"be valid ({exc.msg})", got, 'Write e.g. "x == 1 and y in [1, 2]".') from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise checker.fail(
            "be simple enough to read", type(exc).__name__, "Simplify it or split it into derived variables."
        ) from None
    checker.check(tree.body)
    return Parsed(checker.text, tree.body, checker.quoted, subject)
