"""Safe expressions over data columns: derived variables, domains and routing rules.

An expression is parsed and checked by :mod:`surveykit.instrument.grammar` (the one grammar: limits,
allowed nodes, the function table with arities) and evaluated here by walking the checked tree;
nothing is ever passed to ``eval``, so a plan, a questionnaire or a domain string can compute,
never run code.

Semantics (vectorised over the rows, float64 with NaN = missing):

* arithmetic ``+ - * / // % **`` propagates missing values; division by zero gives ``inf``;
* a comparison on a missing value (or on a user-missing code passed in *missing*) is missing;
* ``and``/``or``/``not`` (``&``/``|`` are read as ``and``/``or``; ``~`` negates a condition) are
  three-valued (Kleene):
  ``missing and false`` is false, ``missing or true`` is true, otherwise missing stays missing;
* text is compared only with a column: ``region == 'Seoul'``, ``stype in ['E', 'M']``;
* ``min``/``max`` ignore missing arguments (NaN only when all are missing); ``round`` rounds
  half to even like numpy and Python; ``is_missing(x)`` is 1 or 0, never missing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest
from surveykit.instrument.grammar import FUNCTIONS, MAX_DEPTH, Parsed, constant_args, parse

__all__ = ["evaluate", "evaluate_mask", "evaluate_logic", "parse", "FUNCTIONS", "MAX_DEPTH"]

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}


class _Eval:
    """Walks one checked tree over one frame; recursion depth is bounded by MAX_DEPTH."""

    def __init__(self, parsed: Parsed, data: pd.DataFrame, missing: Mapping[str, Sequence[float]]) -> None:
        self.parsed, self.data, self.missing, self.n = parsed, data, missing, len(data)

    def series(self, node: ast.Name) -> pd.Series:
        name = self.parsed.column(node)
        if name not in self.data.columns:
            raise DataError(
                f"{self.parsed.subject} {self.parsed.text!r} names {name!r}, which must be a data "
                f"column; it is not.{closest(name, map(str, self.data.columns))}"
            )
        return self.data[name]

    def column(self, node: ast.Name) -> np.ndarray:
        raw = self.series(node)
        values = np.array(pd.to_numeric(raw, errors="coerce"), dtype=float, copy=True)  # never a view
        if np.isnan(values).all() and raw.notna().any():
            raise DataError(
                f"{self.parsed.subject} {self.parsed.text!r} uses {self.parsed.column(node)!r}, "
                "which must be numeric; it holds text. Compare it with text, e.g. x == 'a'."
            )
        codes = self.missing.get(self.parsed.column(node), ())
        if len(codes):
            values[np.isin(values, np.asarray(codes, dtype=float))] = np.nan
        return values

    def text(self, node: ast.Name) -> tuple[np.ndarray, np.ndarray]:
        raw = self.series(node)
        if pd.api.types.is_numeric_dtype(raw.dtype):
            raise DataError(
                f"{self.parsed.subject} {self.parsed.text!r} compares {self.parsed.column(node)!r} "
                "with text, so it must hold text; it holds numbers. Compare it with a number."
            )
        absent = raw.isna().to_numpy()
        values = raw.astype(object).to_numpy(copy=True)
        values[absent] = None  # pd.NA would make == ambiguous; the rows are masked as missing anyway
        return values, absent

    def walk(self, node: ast.expr) -> np.ndarray:
        if isinstance(node, ast.Constant):
            return np.full(self.n, float(node.value))  # type: ignore[arg-type]  # numbers only here (grammar)
        if isinstance(node, ast.Name):
            return self.column(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            value = self.walk(node.operand)
            if isinstance(node.op, (ast.Not, ast.Invert)):
                return 1.0 - _truth(value)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BoolOp):
            return _logic(isinstance(node.op, ast.And), [self.walk(v) for v in node.values])
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise AssertionError(f"unchecked node {type(node).__name__}")  # parse() refuses it first

    def binop(self, node: ast.BinOp) -> np.ndarray:
        spine = [node]  # a + b + c + ... is a left chain: evaluate it in a loop, not by recursion
        while isinstance(spine[-1].left, ast.BinOp):
            spine.append(spine[-1].left)  # type: ignore[arg-type]
        value = self.walk(spine[-1].left)
        for step in reversed(spine):
            right = self.walk(step.right)
            with np.errstate(all="ignore"):
                value = np.asarray(_BINARY[type(step.op)](value, right), dtype=float)
        return value

    def compare(self, node: ast.Compare) -> np.ndarray:
        operands = [node.left, *node.comparators]
        if isinstance(node.ops[0], (ast.In, ast.NotIn)):
            return self.member(node)
        if any(isinstance(o, ast.Constant) and isinstance(o.value, str) for o in operands):
            const, col = (operands[0], operands[1]) if isinstance(operands[0], ast.Constant) else operands[::-1]
            values, absent = self.text(col)  # type: ignore[arg-type]  # parse() checked: a column vs text
            hit = np.where(absent, np.nan, (values == const.value).astype(float))  # type: ignore[attr-defined]
            return 1.0 - hit if isinstance(node.ops[0], ast.NotEq) else hit
        left = self.walk(node.left)
        parts = []
        for op, right_node in zip(node.ops, node.comparators):
            right = self.walk(right_node)
            with np.errstate(invalid="ignore"):
                hit = _COMPARE[type(op)](left, right).astype(float)
            parts.append(np.where(np.isnan(left) | np.isnan(right), np.nan, hit))
            left = right
        return _logic(True, parts)

    def member(self, node: ast.Compare) -> np.ndarray:
        elts = node.comparators[0].elts  # type: ignore[attr-defined]
        if isinstance(elts[0], ast.Constant) and isinstance(elts[0].value, str):
            values, absent = self.text(node.left)  # type: ignore[arg-type]
            hit = np.where(absent, np.nan, pd.Series(values).isin([e.value for e in elts]).to_numpy(float))
        else:
            x = self.walk(node.left)
            wanted = np.asarray([_number(e) for e in elts], dtype=float)
            hit = np.where(np.isnan(x), np.nan, np.isin(x, wanted).astype(float))
        return 1.0 - hit if isinstance(node.ops[0], ast.NotIn) else hit

    def call(self, node: ast.Call) -> np.ndarray:
        spec = FUNCTIONS[node.func.id]  # type: ignore[union-attr,attr-defined]
        if (
            spec.name == "is_missing"
            and isinstance(node.args[0], ast.Name)
            and not pd.api.types.is_numeric_dtype(self.series(node.args[0]).dtype)
        ):
            return self.series(node.args[0]).isna().to_numpy(float)
        args = [self.walk(a) for i, a in enumerate(node.args) if i not in spec.constants]
        with np.errstate(all="ignore"):
            return np.asarray(spec.call(args, constant_args(self.parsed, node)), dtype=float)


def _number(node: ast.expr) -> float:
    if isinstance(node, ast.UnaryOp):
        value = float(node.operand.value)  # type: ignore[attr-defined]
        return -value if isinstance(node.op, ast.USub) else value
    return float(node.value)  # type: ignore[attr-defined]


def _truth(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), np.nan, (x != 0).astype(float))


def _logic(conjunction: bool, values: list[np.ndarray]) -> np.ndarray:
    """Kleene and/or over truth arrays (1, 0, NaN = unknown)."""
    out = _truth(values[0])
    for v in values[1:]:
        v = _truth(v)
        decided = 0.0 if conjunction else 1.0  # false decides 'and', true decides 'or'
        unknown = np.isnan(out) | np.isnan(v)
        joined = np.minimum(out, v) if conjunction else np.maximum(out, v)
        out = np.where((out == decided) | (v == decided), decided, np.where(unknown, np.nan, joined))
    return out


def _run(
    expr: str | Parsed, data: pd.DataFrame, missing: Mapping[str, Sequence[float]] | None, subject: str
) -> np.ndarray:
    parsed = expr if isinstance(expr, Parsed) else parse(expr, subject)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{subject} {parsed.text!r} must be evaluated over a DataFrame; got {type(data).__name__}.")
    return np.asarray(_Eval(parsed, data, missing or {}).walk(parsed.tree), dtype=float)


def evaluate(
    expr: str | Parsed,
    data: pd.DataFrame,
    missing: Mapping[str, Sequence[float]] | None = None,
    *,
    subject: str = "expression",
) -> np.ndarray:
    """Evaluate *expr* row-wise over the columns of *data*; returns ``float64[n]`` (NaN = missing).

    Parameters
    ----------
    expr : str or Parsed
        Expression text (checked by :func:`parse`) or an already parsed expression.
    data : pandas.DataFrame
        The columns the expression names.
    missing : mapping, optional
        User-missing codes per column; those values count as missing.
    subject : str
        How error messages name the expression.

    Examples
    --------
    >>> frame = pd.DataFrame({"founded": [1990.0, 2010.0, np.nan]})
    >>> evaluate("(2018 - founded) / 10", frame).tolist()
    [2.8, 0.8, nan]
    >>> evaluate("founded >= 2000 and founded < 2015", frame).tolist()
    [0.0, 1.0, nan]
    """
    return _run(expr, data, missing, subject)


def evaluate_logic(
    expr: str | Parsed,
    data: pd.DataFrame,
    missing: Mapping[str, Sequence[float]] | None = None,
    *,
    subject: str = "expression",
) -> tuple[np.ndarray, np.ndarray]:
    """Three-valued truth of *expr*: boolean arrays ``(true, known)``; a value is true if non-zero."""
    truth = _truth(_run(expr, data, missing, subject))
    known = ~np.isnan(truth)
    return (truth == 1) & known, known


def evaluate_mask(
    expr: str | Parsed,
    data: pd.DataFrame,
    missing: Mapping[str, Sequence[float]] | None = None,
    *,
    subject: str = "expression",
) -> np.ndarray:
    """Boolean ``bool[n]``: rows where *expr* is known to hold (missing or unknown = False).

    Examples
    --------
    >>> frame = pd.DataFrame({"stype": ["E", "H", None], "api00": [700, 500, 600]})
    >>> evaluate_mask("stype == 'E' or api00 > 550", frame).tolist()
    [True, False, True]
    """
    return evaluate_logic(expr, data, missing, subject=subject)[0]
