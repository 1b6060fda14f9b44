"""Routing rules of :mod:`surveykit.instrument.model`: the routing subset of the one expression grammar.

A rule (a question's ``ask_if`` or a figure's ``base``, e.g. ``"coverage_held == 1"``) is parsed
and checked by :mod:`surveykit.instrument.grammar` (same limits on length, size and depth as every
expression; never ``eval``), then restricted to the routing subset: ``name OP number``,
``name [not] in [numbers]``, joined by ``and``/``or``/``not`` and brackets. It is kept as a tuple
AST (``("cmp", name, op, value)``, ``("in", name, values, negate)``, ``("and"|"or", a, b)``,
``("not", a)``) and evaluated by :func:`surveykit.instrument.expr.evaluate_logic` with Kleene logic: a
comparison on a system-missing value or a user-missing code is *unknown*. :class:`Rule` is
public through :mod:`surveykit.instrument.model`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveykit.errors import DataError, InstrumentError, closest
from surveykit.instrument.expr import evaluate_logic
from surveykit.instrument.grammar import Parsed, parse

__all__ = ["Rule"]

_SUBJECT = "routing rule"
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_EXAMPLE = 'Write rules like "loan_used_3y == 1 and lender in [1, 2]".'


def _parse(text: str) -> Parsed:
    return parse(text, _SUBJECT, InstrumentError)


def _number(node: ast.expr, parsed: Parsed) -> float:
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign, node = (-1.0 if isinstance(node.op, ast.USub) else 1.0), node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return sign * float(node.value)
    raise _fail(parsed, "a number", node)


def _fail(parsed: Parsed, expected: str, node: ast.AST) -> InstrumentError:
    return InstrumentError(
        f"{_SUBJECT} {parsed.text!r} must have {expected}; got {ast.unparse(node)[:60]!r}. {_EXAMPLE}"
    )


def _routing(node: ast.expr, parsed: Parsed) -> tuple:
    """The tuple AST of a checked tree, or InstrumentError outside the routing subset."""
    if isinstance(node, ast.BoolOp):
        kind = "and" if isinstance(node.op, ast.And) else "or"
        out = _routing(node.values[0], parsed)
        for part in node.values[1:]:
            out = (kind, out, _routing(part, parsed))
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        return ("not", _routing(node.operand, parsed))
    if not isinstance(node, ast.Compare):
        raise _fail(parsed, "a comparison (== != < <= > >=) or 'in'", node)
    if len(node.ops) != 1 or not isinstance(node.left, ast.Name):
        raise _fail(parsed, "a variable name compared with one number", node)
    name, op, right = parsed.column(node.left), node.ops[0], node.comparators[0]
    if isinstance(op, (ast.In, ast.NotIn)):
        values = right.elts if isinstance(right, (ast.List, ast.Tuple)) else [right]
        return ("in", name, tuple(_number(v, parsed) for v in values), isinstance(op, ast.NotIn))
    return ("cmp", name, _OPS[type(op)], _number(right, parsed))


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
            raise InstrumentError(f"a routing rule must be a non-empty string; got {text!r}.")
        parsed = _parse(text)
        node = _routing(parsed.tree, parsed)
        return cls(text=text.strip(), node=node, variables=tuple(dict.fromkeys(_names(node))))

    def evaluate(
        self, data: pd.DataFrame, missing: Mapping[str, Sequence[float]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(true, known)`` boolean arrays over the rows of *data*."""
        absent = [v for v in self.variables if v not in data.columns]
        if absent:
            raise DataError(
                f"routing rule {self.text!r} needs column {absent[0]!r}; the data has no such column."
                f"{closest(absent[0], data.columns)} Add the column or fix the rule."
            )
        return evaluate_logic(_parse(self.text), data, missing, subject=_SUBJECT)
