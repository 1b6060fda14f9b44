"""Inputs of :func:`surveykit.segments.fit`: the missing-data option and the three encodings.

User-missing codes never enter as numbers: the columns come from ``svy.analysis_data()`` (the
one missing-data policy). ``missing="exclude"`` leaves rows with a missing input unassigned;
``"category"`` gives categorical items their own "missing" level (numeric items still exclude);
``"impute"`` fills numeric items with their weighted mean and categorical ones with their
weighted mode. :class:`_Inputs` remembers levels, fills and scaling so that ``predict`` encodes
new respondents exactly as the fitted ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError
from surveykit.segments.encode import _is_categorical, _numeric

if TYPE_CHECKING:
    from surveykit.survey import Survey

MISSING_LEVEL = "(missing)"
MISSING_OPTIONS = ("exclude", "category", "impute")


def _plain(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


@dataclass(frozen=True, slots=True)
class _Inputs:
    variables: tuple[str, ...]
    categorical: tuple[bool, ...]
    levels: dict[str, tuple[Any, ...]]  # categorical: observed levels (+ MISSING_LEVEL)
    fill: dict[str, Any]  # impute: the value filled in
    missing: str
    missing_specs: dict[str, Any]  # the survey's user-missing rule per variable (for predict)

    def columns(self, data: pd.DataFrame, *, user_missing: bool = True) -> pd.DataFrame:
        """The inputs as plain values (NaN = missing), with the missing option applied."""
        out = {}
        for name, cat in zip(self.variables, self.categorical):
            if name not in data.columns:
                raise DataError(
                    f"new data must have the segmentation input {name!r}; got columns "
                    f"{', '.join(map(str, data.columns))}. Add it."
                )
            col = data[name]
            spec = self.missing_specs.get(name)
            if user_missing and spec is not None and (spec.values or spec.ranges):
                col = col.mask(np.asarray(spec.is_missing(col.to_numpy()), dtype=bool) & col.notna().to_numpy())
            if cat:
                col = col.map(_plain, na_action="ignore").astype(object)
            else:
                col = pd.Series(_numeric(name, col), index=col.index)
            if self.missing == "impute":
                col = col.where(col.notna(), self.fill[name])
            elif self.missing == "category" and cat:
                col = col.where(col.notna(), MISSING_LEVEL)
            out[name] = col
        return pd.DataFrame(out, index=data.index)

    def complete(self, frame: pd.DataFrame) -> np.ndarray:
        ok = frame.notna().all(axis=1).to_numpy().copy()
        for name, cat in zip(self.variables, self.categorical):
            if cat:  # a level never seen in the fit cannot be assigned
                ok &= frame[name].isin(self.levels[name]).to_numpy() | frame[name].isna().to_numpy()
        return ok

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """(n, J) integer level codes of the categorical inputs (-1 = missing/unknown)."""
        cols = []
        for name, cat in zip(self.variables, self.categorical):
            if cat:
                index = {lev: i for i, lev in enumerate(self.levels[name])}
                cols.append(frame[name].map(index).fillna(-1).to_numpy(dtype=np.int64))
        return np.column_stack(cols) if cols else np.empty((len(frame), 0), dtype=np.int64)

    def matrix(self, frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
        """k-means encoding: numbers as they are, one-hot levels; and each column's source variable."""
        blocks, source = [], []
        for name, cat in zip(self.variables, self.categorical):
            if cat:
                vals = frame[name].to_numpy(dtype=object)
                block = np.column_stack([(vals == lev).astype(float) for lev in self.levels[name]])
                block[frame[name].isna().to_numpy()] = np.nan
                source += [name] * len(self.levels[name])
            else:
                block = frame[name].to_numpy(dtype=float)[:, None]
                source.append(name)
            blocks.append(block)
        return np.column_stack(blocks), tuple(source)


def _weighted_mode(col: pd.Series, w: np.ndarray) -> Any:
    ok = col.notna().to_numpy()
    sums = pd.Series(w[ok]).groupby(col[ok].to_numpy()).sum()
    return sums.idxmax()


def build_inputs(
    svy: Survey, names: Sequence[str], categorical: Sequence[str] | None, missing: str, all_categorical: bool
) -> tuple[_Inputs, pd.DataFrame]:
    """The :class:`_Inputs` of a fit and the input frame over all data rows."""
    for name in names:
        svy.column(name)  # an unknown name raises a DataError with suggestions
    data = svy.analysis_data()
    w = svy.weights
    cats = tuple(True if all_categorical else _is_categorical(svy, n, data[n], categorical) for n in names)
    base = _Inputs(tuple(names), cats, {}, {}, "exclude", {})
    raw = base.columns(data, user_missing=False)  # analysis_data already masks user-missing codes
    fill, levels = {}, {}
    inside = w > 0
    for name, cat in zip(names, cats):
        col = raw[name]
        observed = col[inside & col.notna().to_numpy()]
        if observed.empty:
            raise DataError(
                f"variable {name!r} must have observed values among the rows being segmented; got "
                "none (all missing or user-missing). Drop it from variables."
            )
        if cat:
            levels[name] = tuple(sorted(set(observed.tolist()), key=lambda v: (str(type(v)), v)))
        if missing == "impute":
            ww = np.where(inside, w, 0.0)
            fill[name] = (
                _weighted_mode(col, ww)
                if cat
                else float(np.average(col[col.notna()].to_numpy(float), weights=ww[col.notna().to_numpy()]))
            )
        elif missing == "category" and cat and bool((col.isna().to_numpy() & inside).any()):
            levels[name] = (*levels[name], MISSING_LEVEL)
    specs = {n: svy.missing_spec(n) for n in names}
    inputs = _Inputs(tuple(names), cats, levels, fill, missing, specs)
    frame = inputs.columns(data, user_missing=False)
    return inputs, frame
