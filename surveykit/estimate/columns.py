"""Survey columns as estimand arrays for :mod:`surveykit.estimate`: raw and numeric columns under the
one missing-data policy, indicator columns of proportions, value labels, and the ``na=`` check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest, format_rows

if TYPE_CHECKING:
    from surveykit.survey import Survey


def raw_column(svy: Survey, name: str, include_missing: bool) -> pd.Series:
    """The column with its user-missing codes set to NA (unless *include_missing*); the policy is
    :meth:`Survey.user_missing` (file metadata and instrument)."""
    return svy.column(name) if include_missing else svy.valid_column(name)


def numeric_column(svy: Survey, name: str, include_missing: bool, fix: str) -> np.ndarray:
    """*name* as float64 (NaN for missing); a DataError naming rows when values are not numbers."""
    col = raw_column(svy, name, include_missing)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan)
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna().to_numpy() & col.notna().to_numpy()
    if bad.any():
        first = col[bad].iloc[0]
        raise DataError(
            f"variable {name!r} must be numeric; got {int(bad.sum())} non-numeric values such as {first!r} "
            f"({format_rows((np.flatnonzero(bad) + 1).tolist())}). {fix}"
        )
    return num.to_numpy(dtype=float, na_value=np.nan)


def check_na(svy: Survey, name: str, active: np.ndarray | None, na: str, verb: str) -> None:
    """With ``na="fail"``, raise when *name* is system-missing on an *active* row (weight > 0, in a
    domain; ``None``: every row). User-missing codes are not checked: they are left out of the
    estimand by design."""
    if na == "drop":
        return
    bad = svy.column(name).isna().to_numpy()
    if active is not None:
        bad = bad & active
    if bad.any():
        raise DataError(
            f"variable {name!r} must have no missing values for {verb}(); got {int(bad.sum())} "
            f'({format_rows((np.flatnonzero(bad) + 1).tolist())}). Pass na="drop" to estimate over the '
            "answered rows while keeping the whole design (R: na.rm=TRUE), or impute them first."
        )


def value_labels(svy: Survey, name: str) -> dict[Any, str]:
    """Value labels of *name* (the instrument's, else the data file's): :meth:`Survey.value_labels`."""
    return {k: str(v) for k, v in svy.value_labels(name).items()}


def _observed_levels(col: pd.Series, missing: np.ndarray) -> list[Any]:
    """Levels whose proportions are wanted when none is named (see :func:`indicator_columns`)."""
    if pd.api.types.is_bool_dtype(col):
        return [True]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    observed = pd.unique(col[~missing]) if missing.any() else pd.unique(col)
    is_num = pd.api.types.is_numeric_dtype(col)
    return [1] if is_num and set(observed.tolist()) <= {0, 1} else sorted(observed.tolist())


def _known_level(col: pd.Series, name: str, level: Any, missing: np.ndarray, numeric: bool) -> Any:
    """*level* if it is a level of *col* (an observed value; a category of a Categorical).

    A numeric string names the equal observed value of a numeric column (``"2"`` is ``2``);
    nothing else is converted. A DataError with close matches (compared as text) otherwise.
    """
    if isinstance(level, (list, tuple, set, dict, np.ndarray, pd.Series, pd.Index)):
        raise DataError(
            f"level must be one value (a level of {name!r}); got {level!r}. Leave level out to get every level."
        )
    if isinstance(col.dtype, pd.CategoricalDtype):
        known = list(col.cat.categories)
    else:
        known = pd.unique(col[~missing]).tolist()
    if level in known:
        return level
    if numeric and isinstance(level, str):
        try:
            as_number = float(level)
        except ValueError:
            as_number = np.nan
        match = [v for v in known if v == as_number]
        if len(match) == 1:
            return match[0]
    tidy = [int(v) if isinstance(v, float) and v.is_integer() else v for v in known]  # 2.0 (masked ints) as 2
    shown = ", ".join(map(repr, sorted(tidy, key=str)[:12])) + (", ..." if len(tidy) > 12 else "")
    raise DataError(
        f"level must be a value of {name!r}; got {level!r} ({type(level).__name__}), but {name!r} has "
        f"{shown}.{closest(str(level), [str(v) for v in tidy])} Pass one of those values."
    )


def indicator_columns(svy: Survey, name: str, level: Any, include_missing: bool) -> tuple[np.ndarray, list[Any]]:
    """0/1 columns (NaN where missing) for the levels of *name* whose proportions are wanted.

    With *level*: that level only, which must be a value of the column (see
    :func:`_known_level`). A 0/1 or boolean column: the share of 1. Otherwise every observed
    level (categories in order for a pandas Categorical, sorted otherwise). Numeric columns are
    compared as float64 (a 0/1 column is its own indicator); others as objects.
    """
    col = raw_column(svy, name, include_missing)
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    arr = col.to_numpy(dtype=float, na_value=np.nan) if numeric else None
    missing = np.isnan(arr) if arr is not None else col.isna().to_numpy()
    if level is not None:
        level = _known_level(col, name, level, missing, numeric)
    levels = [level] if level is not None else _observed_levels(col, missing)
    if arr is not None and levels == [1] and level is None:
        return arr[:, None], levels  # observed values are 0 and 1 (NaN where missing)
    if arr is not None and all(isinstance(lv, (int, float, np.number)) and not isinstance(lv, bool) for lv in levels):
        ind = np.column_stack([arr == lv for lv in levels]).astype(float)
    else:
        values = col.to_numpy(dtype=object)
        ind = np.column_stack([values == lv for lv in levels]).astype(float)
    if missing.any():
        ind[missing, :] = np.nan
    return ind, levels
