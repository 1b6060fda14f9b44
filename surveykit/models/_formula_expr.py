"""Expression factors of a formula (``I(...)``, ``log(x)``, ``np.log(x)``): checked, never run.

The text inside is checked token by token (columns, numbers, arithmetic and comparison
operators, ``and``/``or``/``not``, the functions of :data:`surveykit.instrument.expr.FUNCTIONS`) and
rewritten for :func:`surveykit.instrument.expr.evaluate`, the project's one evaluator: ``Q("a.b")``
becomes an alias name, and ``column == "text"`` (or ``!=``) an alias of a 0/1 column the
builder computes by comparing values. Anything else (attributes, subscripts, lambdas,
keywords, unknown functions, stray strings) is a ModelError naming its column; the one
method allowed is ``column.isin([1, 2, "a"])`` (literal values), also computed by the builder.
"""

from __future__ import annotations

import ast
import keyword
from typing import Any

from surveykit.instrument.expr import FUNCTIONS
from surveykit.models._formula_terms import Factor
from surveykit.models._formula_tokens import Token, spaced, string_value

__all__ = ["MAX_EXPR_TOKENS", "expression_factor"]

MAX_EXPR_TOKENS = 120  # tokens inside one I(...) or function call
_OPS = {"+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "(", ")", ","}
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}
_LOGIC = {"and", "or", "not"}
_BOUNDARY = {"(", ")", ",", "and", "or", "not", ""}
_NUMPY = ("np", "numpy")
_FIX = (
    "Use columns, numbers, + - * / // % **, comparisons, and/or/not, a column compared with "
    'a quoted text (x == "a") and the functions ' + ", ".join(FUNCTIONS)
)


def _close(tokens: list[Token], open_i: int) -> int:
    depth = 0
    for j in range(open_i, len(tokens)):
        if tokens[j].text in ("(", "[", "{") and tokens[j].kind == "OP":
            depth += 1
        elif tokens[j].text in (")", "]", "}") and tokens[j].kind == "OP":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1  # unreachable: the scanner checked the brackets


def _items(p: Any, inner: list[Token]) -> list[tuple[str, Token, str]]:
    """(kind, token, value): kind is col, num, str, func, op or logic; Q("a.b") is one col."""
    out: list[tuple[str, Token, str]] = []
    k = 0
    while k < len(inner):
        tok = inner[k]
        nxt = inner[k + 1] if k + 1 < len(inner) else None
        if tok.kind == "NAME" and tok.text == "Q" and nxt is not None and nxt.text == "(":
            if k + 3 >= len(inner) or inner[k + 2].kind != "STRING" or inner[k + 3].text != ")":
                raise p.fail("quote the name in Q(...)", nxt, 'Write Q("a.b")')
            out.append(("col", tok, string_value(inner[k + 2].text)))
            k += 4
            k = _isin(p, inner, k, out)
            continue
        if tok.kind == "NAME" and tok.text in _NUMPY and nxt is not None and nxt.text == ".":
            fn = inner[k + 2] if k + 2 < len(inner) else None
            if fn is None or fn.kind != "NAME" or fn.text not in FUNCTIONS:
                raise p.fail("use only the listed functions inside an expression", fn or nxt, _FIX)
            tok, k = fn, k + 2
            nxt = inner[k + 1] if k + 1 < len(inner) else None
        out.append(_item(p, tok, nxt))
        k += 1
        if out[-1][0] == "col":
            k = _isin(p, inner, k, out)
    return out


def _isin(p: Any, inner: list[Token], k: int, out: list) -> int:
    """``column.isin([1, 2, "a"])`` (the one method allowed): the column item becomes an
    ``isin`` item holding the literal values; returns the index after it."""
    if k >= len(inner) or inner[k].text != ".":
        return k
    tail = [t.text for t in inner[k : k + 4]]
    if tail != [".", "isin", "(", "["]:
        raise p.fail("use no attributes inside an expression except column.isin([...])", inner[k], _FIX)
    values: list[Any] = []
    j = k + 4
    while j < len(inner) and inner[j].text != "]":
        neg = inner[j].text == "-" and inner[j].kind == "OP"
        lit = inner[j + neg] if j + neg < len(inner) else inner[-1]
        if lit.kind == "NUMBER":
            values.append(-float(lit.text) if neg else float(lit.text))
        elif lit.kind == "STRING" and not neg:
            values.append(string_value(lit.text))
        else:
            raise p.fail("list numbers or quoted texts in isin([...])", lit, "Write x.isin([1, 2])")
        j += 1 + neg
        if j < len(inner) and inner[j].text == ",":
            j += 1
        elif j < len(inner) and inner[j].text != "]":
            raise p.fail("separate the isin values with commas", inner[j], "Write x.isin([1, 2])")
    if j + 1 >= len(inner) or inner[j + 1].text != ")" or not values:
        raise p.fail(
            "write isin with a non-empty list, as x.isin([1, 2])", inner[min(j, len(inner) - 1)], "Write x.isin([1, 2])"
        )
    kind, tok, column = out[-1]
    out[-1] = ("isin", tok, (column, tuple(values)))
    return j + 2


def _item(p: Any, tok: Token, nxt: Token | None) -> tuple[str, Token, str]:
    calls = nxt is not None and nxt.text == "("
    if tok.kind == "NUMBER":
        return ("num", tok, tok.text)
    if tok.kind == "STRING":
        return ("str", tok, string_value(tok.text))
    if tok.kind == "OP":
        if tok.text not in _OPS:
            raise p.fail("use only arithmetic and comparisons inside an expression", tok, _FIX)
        return ("op", tok, tok.text)
    if tok.text in _LOGIC:
        return ("logic", tok, tok.text)
    if calls:
        if tok.text not in FUNCTIONS:
            raise p.fail("use only the listed functions inside an expression", tok, _FIX)
        return ("func", tok, tok.text)
    if keyword.iskeyword(tok.text) or tok.text.startswith("__"):
        raise p.fail("use column names, not Python words, inside an expression", tok, _FIX)
    return ("col", tok, tok.text)


def _rewrite(p: Any, items: list[tuple[str, Token, str]]):
    """Expression text for the evaluator, aliases and the data columns used."""
    aliases: list[tuple[str, str, str, Any]] = []
    parts: list[str] = []
    variables: list[str] = []
    k = 0
    while k < len(items):
        kind, tok, value = items[k]
        triple = items[k : k + 3]
        if len(triple) == 3 and triple[1][2] in ("==", "!=") and {triple[0][0], triple[2][0]} == {"col", "str"}:
            before = items[k - 1][2] if k else ""
            after = items[k + 3][2] if k + 3 < len(items) else ""
            if before not in _BOUNDARY or after not in _BOUNDARY:
                raise p.fail(
                    'compare a column with a quoted text on its own, as (x == "a")',
                    tok,
                    "Put the comparison in brackets",
                )
            col, text = (triple[0][2], triple[2][2]) if triple[0][0] == "col" else (triple[2][2], triple[0][2])
            aliases.append((f"_sk_text{len(aliases)}", col, triple[1][2], text))
            parts.append(aliases[-1][0])
            variables.append(col)
            k += 3
            continue
        if kind == "isin":
            aliases.append((f"_sk_in{len(aliases)}", value[0], "in", value[1]))
            parts.append(aliases[-1][0])
            variables.append(value[0])
            k += 1
            continue
        if kind == "str":
            raise p.fail('use a quoted text only compared with a column, as x == "a"', tok, _FIX)
        if kind == "col":
            variables.append(value)
            if not value.isidentifier():
                aliases.append((f"_sk_name{len(aliases)}", value, "", ""))
                value = aliases[-1][0]
        parts.append(value)
        k += 1
    return " ".join(parts), tuple(aliases), tuple(dict.fromkeys(variables))


def _boolean(items: list[tuple[str, Token, str]]) -> bool:
    """Whether the outermost operation compares (patsy codes such results as False/True)."""
    while len(items) > 2 and items[0][2] == "(" and _close([t for _, t, _ in items], 0) == len(items) - 1:
        items = items[1:-1]
    if len(items) == 1 and items[0][0] == "isin":
        return True
    depth = 0
    for kind, _, value in items:
        depth += value == "(" and kind == "op"
        depth -= value == ")" and kind == "op"
        if depth == 0 and (value in _COMPARE and kind == "op" or kind == "logic"):
            return True
    return False


_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
    ast.boolop,
)


def _check_syntax(p: Any, expr: str, at: Token) -> None:
    """Parse (never run) the rewritten text: a ModelError now rather than an evaluator error later.
    *at* shows the whole factor."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise p.fail(f"have a complete expression ({exc.msg})", at, _FIX) from None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES) or (isinstance(node, ast.Call) and node.keywords):
            raise p.fail("have one expression (no tuples, keywords or other Python)", at, _FIX)


def expression_factor(p: Any, start: int):
    """The factor of ``I(...)``, ``f(...)`` or ``np.f(...)`` starting at token *start*."""
    tokens, name = p.tokens, p.tokens[start]
    if name.text in _NUMPY and p.tok.text == ".":
        fn = tokens[p.i + 1]
        if fn.kind != "NAME" or fn.text not in FUNCTIONS or tokens[p.i + 2].text != "(":
            raise p.fail("use only the listed functions", fn, _FIX)
        open_i = p.i + 2
    elif p.tok.text == "(" and (name.text == "I" or name.text in FUNCTIONS):
        open_i = p.i
    else:
        raise p.fail("use only C(...), Q(...), I(...) and the listed functions", name, _FIX)
    close_i = _close(tokens, open_i)
    inner = tokens[open_i + 1 : close_i] if name.text == "I" else tokens[start : close_i + 1]
    if not inner or (name.text == "I" and len(inner) == 0):
        raise p.fail("have an expression inside I(...)", tokens[close_i], "Write I(x ** 2)")
    if len(inner) > MAX_EXPR_TOKENS:
        raise p.fail(
            f"have at most {MAX_EXPR_TOKENS} tokens in one expression",
            inner[0],
            "Derive the variable in the plan instead",
        )
    items = _items(p, inner)
    expr, aliases, variables = _rewrite(p, items)
    _check_syntax(p, expr, Token("NAME", spaced(tokens[start : close_i + 1]), name.pos))
    p.i = close_i + 1
    return Factor(
        spaced(tokens[start : close_i + 1]),
        "expression",
        variables,
        expr=expr,
        aliases=aliases,
        boolean=_boolean(items),
        column_no=name.column,
    )
