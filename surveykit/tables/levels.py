"""Levels, codes, labels and bases shared by the table builders of :mod:`surveykit.tables`.

Argument checks, value labels from the instrument, user-missing codes, sorted levels and their
integer codes (one-hot where needed), the valid base of a two-way table (:func:`_two_way`) and
the design facts every table result records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError

if TYPE_CHECKING:
    from surveykit.survey import Survey


def _labels(svy: Survey, var: str, lang: str | None) -> dict[Any, str]:
    return svy.value_labels(var, lang)


def _label(labels: dict[Any, str], level: Any) -> str:
    if isinstance(level, float) and level.is_integer():
        level = int(level)
    return labels.get(level, str(level))


def _user_missing(svy: Survey, var: str, missing: Sequence[Any] | None = None) -> np.ndarray:
    """Rows of *var* holding a user-missing code: the given *missing* codes, else the Survey's
    policy (:meth:`Survey.user_missing`: file metadata and instrument)."""
    if missing is None:
        return svy.user_missing(var)
    col = svy.column(var)
    return col.isin(list(missing)).to_numpy() & col.notna().to_numpy()


def _sorted_levels(values: pd.Series) -> list[Any]:
    uniq = pd.unique(values.dropna())
    try:
        return sorted(uniq.tolist())
    except TypeError:
        return sorted(uniq.tolist(), key=str)


def _codes(col: pd.Series, levels: list[Any]) -> np.ndarray:
    """Level index of each row (-1 for values not in *levels*)."""
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iuf":
        index = pd.Index(levels)
        if index.dtype.kind in "iuf":  # numbers: hashed as numbers, without boxing every row
            return index.get_indexer(col.to_numpy()).astype(np.int64)
    return pd.Index(levels, dtype=object).get_indexer(col.astype(object)).astype(np.int64)


def _onehot(codes: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((codes.shape[0], k))
    ok = codes >= 0
    out[np.flatnonzero(ok), codes[ok]] = 1.0
    return out


def _design_facts(svy: Survey) -> dict[str, int]:
    rd = svy.resolved
    return {"n_strata": rd.n_strata, "n_psu": rd.n_psu_total}


def _two_way(svy: Survey, row: str, col: str, base: np.ndarray | None = None) -> dict[str, Any]:
    """Level codes of a two-way table over the valid rows (both variables present, not user-missing)."""
    r, c = svy.column(row), svy.column(col)
    valid = r.notna().to_numpy() & c.notna().to_numpy() & (svy.resolved.weights > 0)
    valid &= ~svy.user_missing(row) & ~svy.user_missing(col)
    if base is not None:
        valid &= base
    rl, cl = _sorted_levels(r[valid]), _sorted_levels(c[valid])
    if len(rl) < 2 or len(cl) < 2:
        raise DataError(
            f"crosstab variables {row!r} and {col!r} must each have at least 2 valid levels; got "
            f"{len(rl)} and {len(cl)}. Choose variables that vary in this base."
        )
    rc, cc = _codes(r, rl), _codes(c, cl)
    cell = np.where(valid, rc + len(rl) * cc, -1)  # row level varies fastest, as R's interaction()
    wd = np.where(valid, svy.resolved.weights, 0.0)
    return {"rl": rl, "cl": cl, "rc": np.where(valid, rc, -1), "cc": np.where(valid, cc, -1), "cell": cell, "wd": wd}
