"""Model formulas: design matrices, complete cases, and rebuilt matrices for new data.

Formulas are parsed by surveykit's own grammar (``_formula_parse``) and coded in numpy
(``_formula_build``) with patsy's column names, order and coding; no formula text is ever
evaluated as Python (``I(...)`` goes through :func:`surveykit.instrument.expr.evaluate`). Column names
that are not Python identifiers (``sch.wide``) are written ``Q("sch.wide")`` as in patsy.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, ModelError, closest, format_rows
from surveykit.models._formula_build import (
    Coding,
    check_columns,
    factor_values,
    info_for,
    layout,
    one_response,
    response_frame,
    text_levels,
)
from surveykit.models._formula_parse import ParsedFormula, Term, parse

__all__ = ["ModelFrame", "model_frame", "rebuild_matrix", "set_variable"]


@dataclass(frozen=True, slots=True, eq=False)
class ModelFrame:
    """The arrays a model is fitted on.

    ``y`` and ``X`` hold the complete cases only; ``keep`` marks them among all data rows.
    """

    formula: str
    response: str
    y_raw: pd.Series
    y_frame: pd.DataFrame  # the response matrix (one indicator column per level if categorical)
    X: np.ndarray
    columns: tuple[str, ...]
    term_names: tuple[str, ...]
    term_slices: tuple[slice, ...]
    keep: np.ndarray
    design_info: Coding  # the fitted coding; rebuilds matrices for new data
    variables: tuple[str, ...]  # right-hand-side data columns
    response_variables: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _parsed(formula: str) -> ParsedFormula:
    """surveykit's parse of *formula* (immutable; parsed once per formula)."""
    return parse(formula)


def _side_variables(terms: tuple[Term, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for t in terms for f in t for v in f.variables))


def model_frame(formula: str, data: pd.DataFrame) -> ModelFrame:
    """Build the model arrays of *formula* on *data*; rows with a missing model variable are
    left out. The formula is parsed by surveykit (never evaluated as Python).

    Raises
    ------
    ModelError
        A formula that does not parse, or over the size limits.
    DataError
        Unknown column, or an expression the safe evaluator refuses.
    """
    parsed = _parsed(formula) if isinstance(formula, str) else parse(formula)
    y_factor = one_response(formula, parsed.lhs)
    factors = list(dict.fromkeys([y_factor, *(f for t in parsed.rhs for f in t)]))
    check_columns(formula, factors, data)
    used = _side_variables(parsed.lhs) + _side_variables(parsed.rhs)
    frame = data[list(dict.fromkeys(used))].reset_index(drop=True)
    values, infos = {}, {}
    missing = np.zeros(len(frame), dtype=bool)
    for f in factors:
        values[f.name], levels = factor_values(f, frame)
        infos[f.name] = info_for(formula, f, levels)
        missing |= np.isnan(values[f.name]) if levels is None else values[f.name] < 0
    rows = np.flatnonzero(~missing)
    complete = rows.size == len(frame)
    coding = layout(formula, parsed.rhs, infos, infos[y_factor.name], text_levels(parsed.rhs, frame))
    y = response_frame(infos[y_factor.name], values[y_factor.name], rows)
    X = coding.matrix({k: v if complete else v[rows] for k, v in values.items()}, rows.size)
    keep = ~missing
    return ModelFrame(
        formula=formula,
        response=formula.split("~")[0].strip(),
        y_raw=y.iloc[:, -1],  # numeric: the column; two levels: the second is the event (as R)
        y_frame=y,
        X=X,
        columns=coding.column_names,
        term_names=coding.term_names,
        term_slices=coding.term_slices,
        keep=keep,
        design_info=coding,
        variables=_side_variables(parsed.rhs),
        response_variables=_side_variables(parsed.lhs),
    )


def binary_response(mf: ModelFrame) -> np.ndarray:
    """The response as 0/1 floats, or a ModelError naming the bad rows."""
    if mf.y_frame.shape[1] > 2:
        raise ModelError(
            f"the response of {mf.formula!r} must be numeric or have two levels; got "
            f"{mf.y_frame.shape[1]} levels. Use ordinal_logistic, or recode it as 0/1."
        )
    y = mf.y_raw.to_numpy(dtype=float)
    bad = (y != 0.0) & (y != 1.0)  # NaN is bad too
    if bad.any():
        rows = (mf.y_raw.index.to_numpy()[bad] + 1).tolist()
        raise ModelError(
            f"response {mf.response!r} must be 0/1, True/False or two-level; got {bad.sum()} other "
            f"values ({format_rows(rows)}). Recode it, e.g. 'I(q5 == 1) ~ ...'."
        )
    return y


def ordinal_response(mf: ModelFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """Category codes 0..K-1 and level names of an ordered response (>= 3 levels).

    A categorical response keeps its category order (an ordered pandas Categorical, or sorted
    values); a numeric one is ordered by value.
    """
    codes, levels = response_levels(mf)
    if len(levels) < 3:
        raise ModelError(
            f"the response of {mf.formula!r} must have at least 3 ordered levels; got "
            f"{len(levels)} ({', '.join(levels)}). Use logistic for a binary response."
        )
    return codes.astype(np.int64), levels


def response_levels(mf: ModelFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """Category codes 0..K-1 and level names of a categorical response: the category order of
    a pandas Categorical, else sorted values (numbers by value, printed with ``:g``)."""
    yf = mf.y_frame
    if yf.shape[1] > 1:
        codes = np.argmax(yf.to_numpy(), axis=1)
        levels = tuple(re.sub(r"^.*\[(.*)\]$", r"\1", str(c)) for c in yf.columns)
    else:
        values, codes = np.unique(yf.iloc[:, 0].to_numpy(dtype=float), return_inverse=True)
        levels = tuple(f"{v:g}" for v in values)
    return codes.astype(np.int64), levels


def rebuild_matrix(mf: ModelFrame, data: pd.DataFrame) -> np.ndarray:
    """The model matrix of *data* (new rows) with the fitted formula's coding.

    Raises
    ------
    DataError
        A variable is missing or has a level the model did not see.
    """
    missing = [v for v in mf.variables if v not in data.columns]
    if missing:
        raise DataError(
            f"new data must have the model's columns; got none named {missing[0]!r}."
            + closest(missing[0], data.columns)
            + " Add the column."
        )
    coding: Coding = mf.design_info
    frame = data.reset_index(drop=True)
    values = {}
    for name, info in coding.factors.items():
        v, _ = factor_values(info.factor, frame, info.levels, fitted=True)
        bad = np.isnan(v) if info.levels is None else v < 0
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                "new data must hold complete values and levels seen in the fit; got "
                f"{frame.iloc[row][list(info.factor.variables)].tolist()!r} for {name} at row {row + 1}. "
                "Drop incomplete rows or recode the level."
            )
        values[name] = v
    return coding.matrix(values, len(frame))


def set_variable(data: pd.DataFrame, name: str, value: Any) -> pd.DataFrame:
    """A copy of *data* with column *name* replaced by *value* (scalar or array)."""
    out = data.copy()
    if np.isscalar(value) or isinstance(value, str):
        out[name] = pd.Series([value] * len(out), index=out.index, dtype=data[name].dtype)
    else:
        out[name] = value
    return out
