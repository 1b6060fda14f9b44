"""Model formulas: patsy design matrices, complete cases, and rebuilt matrices for new data.

patsy ships with statsmodels. Column names that are not Python identifiers (``sch.wide``) are
written ``Q("sch.wide")`` as in patsy.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, ModelError, closest, format_rows

__all__ = ["ModelFrame", "model_frame", "rebuild_matrix", "set_variable"]


@dataclass(frozen=True, slots=True, eq=False)
class ModelFrame:
    """The arrays a model is fitted on.

    ``y`` and ``X`` hold the complete cases only; ``keep`` marks them among all data rows.
    """

    formula: str
    response: str
    y_raw: pd.Series
    y_frame: pd.DataFrame  # patsy's response matrix (one indicator column per level if categorical)
    X: np.ndarray
    columns: tuple[str, ...]
    term_names: tuple[str, ...]
    term_slices: tuple[slice, ...]
    keep: np.ndarray
    design_info: Any
    variables: tuple[str, ...]  # right-hand-side data columns
    response_variables: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _desc(formula: str) -> Any:
    """patsy's parse of *formula* (immutable; parsed once per formula)."""
    import patsy

    return patsy.ModelDesc.from_formula(formula)


def _variables(formula: str, data: pd.DataFrame, side: str) -> tuple[str, ...]:
    desc = _desc(formula)
    names: list[str] = []
    terms = desc.lhs_termlist if side == "lhs" else desc.rhs_termlist
    for term in terms:
        for factor in term.factors:
            names.extend(n for n in code_variables(factor.code, data.columns) if n not in names)
    return tuple(names)


def code_variables(code: str, columns: Any) -> list[str]:
    """Data columns a patsy factor's code uses: bare names and ``Q("a.b")`` quotes."""
    quoted = re.findall(r"Q\(\s*['\"](.+?)['\"]\s*\)", code)
    bare = re.findall(r"(?<![\w.'\"])[A-Za-z_]\w*(?![\w'\"])", re.sub(r"(['\"]).*?\1", "", code))
    cols = set(map(str, columns))
    return [n for n in dict.fromkeys([*quoted, *bare]) if n in cols]


def _check_names(formula: str, data: pd.DataFrame, err: Exception) -> None:
    msg = str(err).splitlines()[0]
    token = msg.split("'")[1] if "'" in msg else ""
    hint = closest(token, data.columns) if token else ""
    raise DataError(
        f"formula {formula!r} must name columns of the survey data; {msg}.{hint} "
        'Fix the name (write Q("a.b") for names with dots).'
    ) from None


def model_frame(formula: str, data: pd.DataFrame) -> ModelFrame:
    """Evaluate *formula* on *data*; rows with a missing model variable are left out.

    Raises
    ------
    DataError
        Unknown column or a formula patsy cannot evaluate.
    """
    import patsy

    if "~" not in formula:
        raise ModelError(f"formula must have a response, as 'y ~ x1 + x2'; got {formula!r}.")
    used = [*_variables(formula, data, "lhs"), *_variables(formula, data, "rhs")]
    frame = data[list(dict.fromkeys(used))].reset_index(drop=True)
    try:
        y, X, rows, info = _fast_numeric(formula, frame) or _patsy_matrices(formula, frame)
    except (patsy.PatsyError, NameError) as err:
        _check_names(formula, data, err)
    keep = np.zeros(len(frame), dtype=bool)
    keep[rows] = True
    y_raw = y.iloc[:, -1]  # numeric: the column; two levels: the second is the event (as R)
    return ModelFrame(
        formula=formula,
        response=formula.split("~")[0].strip(),
        y_raw=y_raw,
        y_frame=y,
        X=X,
        columns=tuple(info.column_names),
        term_names=tuple(info.term_names),
        term_slices=tuple(info.term_name_slices.values()),
        keep=keep,
        design_info=info,
        variables=_variables(formula, frame, "rhs"),
        response_variables=_variables(formula, frame, "lhs"),
    )


def _patsy_matrices(formula: str, frame: pd.DataFrame):
    """patsy's ``dmatrices``: response frame, column-major X, complete rows, design info."""
    import patsy

    y, X = patsy.dmatrices(formula, frame, return_type="dataframe", eval_env=2)
    return y, np.asfortranarray(X.to_numpy(dtype=float)), X.index.to_numpy(), X.design_info


_HEADS: dict[tuple[Any, ...], tuple[str, tuple[str, ...], Any]] = {}  # numeric formula -> layout
_HEADS_MAX = 256


def _fast_numeric(formula: str, frame: pd.DataFrame):
    """``y ~ a + b`` with bare numeric columns only: the matrices without patsy's per-factor
    evaluation, X column-major. patsy still supplies the column layout and ``design_info``,
    from a few complete rows, once per formula and column dtypes. Same values as
    ``dmatrices``; None when the formula needs patsy."""
    desc = _desc(formula)
    codes = [f.code for t in [*desc.lhs_termlist, *desc.rhs_termlist] for f in t.factors]
    if any(len(t.factors) > 1 for t in desc.rhs_termlist) or len(desc.lhs_termlist) != 1:
        return None
    ok = all(c in frame.columns and pd.api.types.is_numeric_dtype(frame[c])
             and not pd.api.types.is_bool_dtype(frame[c]) for c in codes)
    if not ok:
        return None
    values = {c: frame[c].to_numpy(dtype=float) for c in dict.fromkeys(codes)}
    missing = np.zeros(len(frame), dtype=bool)
    for v in values.values():
        missing |= np.isnan(v)
    rows = np.flatnonzero(~missing)
    if rows.size == 0:
        return None
    y_name, x_names, info = _numeric_layout(formula, frame, rows[:20], codes)
    complete = rows.size == len(frame)
    X = np.empty((rows.size, len(x_names)), order="F")
    for j, c in enumerate(x_names):
        X[:, j] = 1.0 if c == "Intercept" else (values[c] if complete else values[c][rows])
    yv = values[codes[0]] if complete else values[codes[0]][rows]
    return pd.DataFrame({y_name: yv}, index=rows), X, rows, info


def _numeric_layout(formula: str, frame: pd.DataFrame, head: np.ndarray, codes: list[str]):
    """Response name, X column names and ``design_info`` of a plain numeric formula."""
    import patsy

    key = (formula, *((c, str(frame[c].dtype)) for c in dict.fromkeys(codes)))
    if key not in _HEADS:
        y_head, X_head = patsy.dmatrices(formula, frame.iloc[head], return_type="dataframe")
        if len(_HEADS) >= _HEADS_MAX:
            _HEADS.clear()
        _HEADS[key] = (str(y_head.columns[0]), tuple(map(str, X_head.columns)), X_head.design_info)
    return _HEADS[key]


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
    yf = mf.y_frame
    if yf.shape[1] > 1:
        codes = np.argmax(yf.to_numpy(), axis=1)
        levels = tuple(re.sub(r"^.*\[(.*)\]$", r"\1", str(c)) for c in yf.columns)
    else:
        values, codes = np.unique(yf.iloc[:, 0].to_numpy(dtype=float), return_inverse=True)
        levels = tuple(f"{v:g}" for v in values)
    if len(levels) < 3:
        raise ModelError(
            f"the response of {mf.formula!r} must have at least 3 ordered levels; got "
            f"{len(levels)} ({', '.join(levels)}). Use logistic for a binary response."
        )
    return codes.astype(np.int64), levels


def rebuild_matrix(mf: ModelFrame, data: pd.DataFrame) -> np.ndarray:
    """The model matrix of *data* (new rows) with the fitted formula's coding.

    Raises
    ------
    DataError
        A variable is missing or has a level the model did not see.
    """
    import patsy

    missing = [v for v in mf.variables if v not in data.columns]
    if missing:
        raise DataError(
            f"new data must have the model's columns; got none named {missing[0]!r}."
            + closest(missing[0], data.columns) + " Add the column."
        )
    try:
        (X,) = patsy.build_design_matrices([mf.design_info], data.reset_index(drop=True),
                                           NA_action="raise", return_type="matrix")
    except patsy.PatsyError as err:
        raise DataError(
            f"new data must hold complete values and levels seen in the fit; {str(err).splitlines()[0]}. "
            "Drop incomplete rows or recode the level."
        ) from None
    return np.asarray(X, dtype=float)


def set_variable(data: pd.DataFrame, name: str, value: Any) -> pd.DataFrame:
    """A copy of *data* with column *name* replaced by *value* (scalar or array)."""
    out = data.copy()
    if np.isscalar(value) or isinstance(value, str):
        out[name] = pd.Series([value] * len(out), index=out.index, dtype=data[name].dtype)
    else:
        out[name] = value
    return out
