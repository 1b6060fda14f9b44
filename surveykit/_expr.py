"""Safe arithmetic expressions over data columns (derived variables of analysis plans).

An expression is parsed with :mod:`ast` and evaluated by walking the tree; nothing is ever passed
to ``eval``, so a plan file can compute, never run code. Allowed: column names, numbers,
``+ - * / // % **``, comparisons (also chained), ``and``/``or``/``not`` and the functions in
:data:`FUNCTIONS`. Missing values propagate: any operation on a missing value is missing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest

__all__ = ["evaluate", "FUNCTIONS"]

FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "abs": np.abs, "sqrt": np.sqrt, "log": np.log, "log10": np.log10, "exp": np.exp,
    "floor": np.floor, "ceil": np.ceil, "round": np.round, "min": np.fmin, "max": np.fmax,
}
_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
    ast.Gt: np.greater, ast.GtE: np.greater_equal,
}
_ALLOWED = ("columns, numbers, + - * / // % **, comparisons, and/or/not and the functions "
            + ", ".join(FUNCTIONS))


def _fail(expr: str, what: str) -> DataError:
    return DataError(f"expression {expr!r} may use only {_ALLOWED}; got {what}.")


def _column(name: str, data: pd.DataFrame, expr: str) -> np.ndarray:
    if name not in data.columns:
        raise DataError(f"expression {expr!r} names {name!r}, which must be a data column; it is not."
                        + closest(name, map(str, data.columns)))
    values = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).all() and data[name].notna().any():
        raise DataError(f"expression {expr!r} uses {name!r}, which must be numeric; it holds text.")
    return values


def _truth(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), np.nan, (x != 0).astype(float))


def _logic(op: ast.boolop, values: list[np.ndarray]) -> np.ndarray:
    out = _truth(values[0])
    for v in values[1:]:
        v = _truth(v)
        missing = np.isnan(out) | np.isnan(v)
        joined = (out == 1) & (v == 1) if isinstance(op, ast.And) else (out == 1) | (v == 1)
        out = np.where(missing, np.nan, joined.astype(float))
    return out


def _walk(node: ast.AST, data: pd.DataFrame, expr: str) -> np.ndarray:
    n = len(data)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return np.full(n, float(node.value))
    if isinstance(node, ast.Name):
        return _column(node.id, data, expr)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _BINARY[type(node.op)](_walk(node.left, data, expr), _walk(node.right, data, expr))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        value = _walk(node.operand, data, expr)
        if isinstance(node.op, ast.Not):
            return np.where(np.isnan(value), np.nan, (value == 0).astype(float))
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _walk(node.left, data, expr)
        parts = []
        for op, right_node in zip(node.ops, node.comparators):
            right = _walk(right_node, data, expr)
            hit = _COMPARE[type(op)](left, right).astype(float)
            parts.append(np.where(np.isnan(left) | np.isnan(right), np.nan, hit))
            left = right
        return _logic(ast.And(), parts)
    if isinstance(node, ast.BoolOp):
        return _logic(node.op, [_walk(v, data, expr) for v in node.values])
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and not node.keywords):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(FUNCTIONS[node.func.id](*(_walk(a, data, expr) for a in node.args)), dtype=float)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        raise _fail(expr, f"a call of {node.func.id!r}")
    raise _fail(expr, f"{type(node).__name__} ({ast.unparse(node)!r})")


def evaluate(expr: str, data: pd.DataFrame) -> np.ndarray:
    """Evaluate *expr* row-wise over the columns of *data*; returns ``float64[n]`` (NaN = missing).

    Examples
    --------
    >>> frame = pd.DataFrame({"founded": [1990.0, 2010.0, np.nan]})
    >>> evaluate("(2018 - founded) / 10", frame).tolist()
    [2.8, 0.8, nan]
    >>> evaluate("founded >= 2000 and founded < 2015", frame).tolist()
    [0.0, 1.0, nan]
    """
    if not isinstance(expr, str) or not expr.strip():
        raise DataError(f"an expression must be non-empty text; got {expr!r}.")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise DataError(f"expression {expr!r} must be valid: {exc.msg} at column {exc.offset}.") from exc
    result = _walk(tree.body, data, expr)
    return np.asarray(result, dtype=float)
