"""Inputs of :func:`surveykit.segments.segments`: encoding and weighted standardising.

Numeric and Likert variables enter as numbers; single-choice (and text) variables are one-hot
encoded over their observed codes; user-missing codes count as missing (NaN). The feature
matrix is then centred at its survey-weighted means and each input variable scaled to unit
weighted variance (a one-hot block as a whole), so no variable dominates by its unit or its
number of levels. The profiles reuse the same encoding helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, format_rows

if TYPE_CHECKING:
    from surveykit.survey import Survey

_CATEGORICAL_TYPES = ("single",)
_NUMERIC_TYPES = ("numeric", "likert")


@dataclass(frozen=True, slots=True)
class _Encoded:
    """Feature matrix of the input variables (NaN where missing)."""

    matrix: np.ndarray
    variable: tuple[str, ...]  # source variable of each feature column
    level: tuple[Any, ...]  # one-hot level of each column (None for numeric)
    missing: dict[str, int]  # rows with a missing value, per variable


def _is_categorical(svy: Survey, name: str, column: pd.Series, categorical: Sequence[str] | None) -> bool:
    if categorical is not None:
        return name in categorical
    inst = svy.instrument
    if inst is not None:
        try:
            qtype = inst.question(name).type
        except (DataError, KeyError, AttributeError):
            qtype = None
        if qtype in _CATEGORICAL_TYPES:
            return True
        if qtype in _NUMERIC_TYPES:
            return False
    return not pd.api.types.is_numeric_dtype(column) or isinstance(column.dtype, pd.CategoricalDtype)


def _observed(svy: Survey, name: str) -> pd.Series:
    """The column with user-missing codes set to missing."""
    return svy.valid_column(name)


def _numeric(name: str, col: pd.Series) -> np.ndarray:
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(values) & col.notna().to_numpy()
    if bad.any():
        example = col[bad].iloc[0]
        raise DataError(
            f"variable {name!r} must be numeric to be clustered as a number; got text such as {example!r} "
            f"({format_rows((np.flatnonzero(bad) + 1).tolist())}). Pass categorical=[{name!r}] to one-hot "
            "encode it, or recode it."
        )
    return values


def _one_hot(col: pd.Series) -> tuple[np.ndarray, list[Any]]:
    levels = [int(v) if isinstance(v, float) and v.is_integer() else v for v in col.dropna().unique().tolist()]
    levels = sorted(set(levels), key=lambda v: (str(type(v)), v))
    values = col.to_numpy(dtype=object)
    dummies = np.column_stack([(values == lev).astype(float) for lev in levels]) if levels else np.empty((len(col), 0))
    dummies[col.isna().to_numpy()] = np.nan
    return dummies, levels


def _encode(svy: Survey, names: Sequence[str], categorical: Sequence[str] | None) -> _Encoded:
    blocks, variable, level, missing = [], [], [], {}
    for name in names:
        col = _observed(svy, name)
        missing[name] = int(col.isna().sum())
        if _is_categorical(svy, name, col, categorical):
            block, levels = _one_hot(col)
        else:
            block, levels = _numeric(name, col)[:, None], [None]
        blocks.append(block)
        variable += [name] * len(levels)
        level += levels
    return _Encoded(np.column_stack(blocks), tuple(variable), tuple(level), missing)


def _standardize(x: np.ndarray, w: np.ndarray, enc: _Encoded, on: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted centring and scaling to unit total variance per input variable; (z, mean, scale).

    A numeric variable is divided by its weighted standard deviation. The one-hot columns of a
    categorical variable share one divisor, the square root of their summed weighted variances
    (``sum_l p_l (1 - p_l)``), so a categorical variable weighs as much as a numeric one however
    many levels it has, and rare levels are not blown up.
    """
    mean = w @ x / w.sum()
    var = w @ (x - mean) ** 2 / w.sum()
    block = np.sqrt(pd.Series(var).groupby(np.array(enc.variable)).transform("sum").to_numpy())
    flat = block <= 1e-12 * np.maximum(np.abs(mean), 1.0)
    if flat.any():
        j = int(np.flatnonzero(flat)[0])
        raise DataError(
            f"variable {enc.variable[j]!r} must vary among the {x.shape[0]} rows being segmented; got a single "
            "value in all of them. Drop it from variables."
        )
    if not on:
        return x.copy(), np.zeros_like(mean), np.ones_like(block)
    return (x - mean) / block, mean, block
