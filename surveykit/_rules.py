"""Routing rules of :mod:`surveykit.instrument`: tokenizer, parser and three-valued evaluator.

A rule (a question's ``ask_if`` or a figure's ``base``, e.g. ``"coverage_held == 1"``) is
tokenized and parsed by recursive descent into a tuple AST (never ``eval``), then evaluated
vectorised over a data frame with Kleene logic: a comparison on a system-missing value or a
user-missing code is *unknown*. The grammar is documented in :mod:`surveykit.instrument`;
:class:`Rule` is public through that module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveykit.errors import DataError, InstrumentError, closest, excerpt

__all__ = ["Rule"]

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,))"
)
_KEYWORDS = {"and", "or", "not", "in"}
_OPS = {
    "==": np.equal, "!=": np.not_equal, "<": np.less,
    "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise InstrumentError(
                f"routing rule {excerpt(text)} must use names, numbers and == != < <= > >= in and or not ( ) [ ]; "
                f"got {text[pos:].lstrip()[:1]!r} at position {len(text) - len(text[pos:].lstrip()) + 1}. "
                "Rewrite it, e.g. \"coverage_held == 1\"."
            )
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = value
        tokens.append((kind, value))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive-descent parser producing a tuple AST."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def fail(self, expected: str) -> InstrumentError:
        got = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of rule"
        return InstrumentError(
            f"routing rule {excerpt(self.text)} must have {expected} at token {self.i + 1}; got {excerpt(got, 30)}. "
            f"Write rules like \"loan_used_3y == 1 and lender in [1, 2]\"."
        )

    def peek(self) -> str:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else ""

    def take(self, kind: str, expected: str) -> str:
        if self.peek() != kind:
            raise self.fail(expected)
        value = self.tokens[self.i][1]
        self.i += 1
        return value

    def take_op(self, ops: Sequence[str], expected: str) -> str:
        if self.peek() != "op" or self.tokens[self.i][1] not in ops:
            raise self.fail(expected)
        self.i += 1
        return self.tokens[self.i - 1][1]

    def parse(self) -> tuple:
        node = self.expr()
        if self.i != len(self.tokens):
            raise self.fail("'and', 'or' or the end")
        return node

    def expr(self) -> tuple:
        node = self.term()
        while self.peek() == "or":
            self.i += 1
            node = ("or", node, self.term())
        return node

    def term(self) -> tuple:
        node = self.factor()
        while self.peek() == "and":
            self.i += 1
            node = ("and", node, self.factor())
        return node

    def factor(self) -> tuple:
        if self.peek() == "not":
            self.i += 1
            return ("not", self.factor())
        if self.peek() == "op" and self.tokens[self.i][1] == "(":
            self.i += 1
            node = self.expr()
            self.take_op([")"], "')'")
            return node
        name = self.take("name", "a variable name")
        if self.peek() in ("in", "not"):
            negate = self.peek() == "not"
            self.i += 1
            if negate:
                self.take("in", "'in' after 'not'")
            return ("in", name, self.number_list(), negate)
        op = self.take_op(list(_OPS), "a comparison (== != < <= > >=) or 'in'")
        return ("cmp", name, op, float(self.take("num", "a number")))

    def number_list(self) -> tuple[float, ...]:
        self.take_op(["["], "'['")
        values = [float(self.take("num", "a number"))]
        while self.peek() == "op" and self.tokens[self.i][1] == ",":
            self.i += 1
            values.append(float(self.take("num", "a number")))
        self.take_op(["]"], "']'")
        return tuple(values)


def _names(node: tuple) -> list[str]:
    if node[0] in ("cmp", "in"):
        return [node[1]]
    return [n for child in node[1:] for n in _names(child)]


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed routing rule (``ask_if``) or figure base, e.g. ``"coverage_held == 1"``.

    ``evaluate`` is vectorised and three-valued: comparisons on system-missing values or on
    the user-missing codes given in ``missing`` are unknown.
    """

    text: str
    node: tuple = field(repr=False)
    variables: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Rule:
        """Parse *text*; raise :class:`InstrumentError` naming the offending token."""
        if not isinstance(text, str) or not text.strip():
            raise InstrumentError(f"a routing rule must be a non-empty string; got {excerpt(text)}.")
        node = _Parser(text).parse()
        return cls(text=text.strip(), node=node, variables=tuple(dict.fromkeys(_names(node))))

    def evaluate(
        self, data: pd.DataFrame, missing: Mapping[str, Sequence[float]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(true, known)`` boolean arrays over the rows of *data*."""
        absent = [v for v in self.variables if v not in data.columns]
        if absent:
            raise DataError(
                f"routing rule {excerpt(self.text)} needs column {absent[0]!r}; the data has no such column."
                f"{closest(absent[0], data.columns)} Add the column or fix the rule."
            )
        return _eval(self.node, data, missing or {})


def _eval(node: tuple, data: pd.DataFrame, missing: Mapping[str, Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    kind = node[0]
    if kind in ("cmp", "in"):
        x = pd.to_numeric(data[node[1]], errors="coerce").to_numpy(dtype=float)
        known = ~np.isnan(x) & ~np.isin(x, np.asarray(missing.get(node[1], ()), dtype=float))
        if kind == "cmp":
            true = _OPS[node[2]](x, node[3])
        else:
            true = np.isin(x, np.asarray(node[2])) != node[3]
        return true & known, known
    if kind == "not":
        t, k = _eval(node[1], data, missing)
        return ~t & k, k
    ta, ka = _eval(node[1], data, missing)
    tb, kb = _eval(node[2], data, missing)
    if kind == "and":
        return ta & tb, (ka & kb) | (ka & ~ta) | (kb & ~tb)
    return ta | tb, (ka & kb) | ta | tb
