"""Population tables and sample cells for post-stratification and raking.

Checks the weighting columns (present, no missing values), reads population counts from a
mapping, Series or DataFrame into ``{(level, ...): count}``, codes the sample cells of crossed
variables, matches them to the population (one clear error per mismatch) and scales weights to
the cell targets: the pieces :func:`surveykit.weighting.poststratify` and
:func:`surveykit.weighting.rake` share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest, format_rows

if TYPE_CHECKING:
    from surveykit.survey import Survey


def _column(svy: Survey, name: str, what: str) -> pd.Series:
    data = svy.data
    if name not in data.columns:
        raise DataError(f"{what} column {name!r} must be a column of the data; it is not.{closest(name, data.columns)}")
    col = data[name]
    bad = col.isna().to_numpy()
    if bad.any():
        rows = format_rows((np.flatnonzero(bad) + 1).tolist())
        raise DataError(
            f"{what} column {name!r} must have no missing values; got {int(bad.sum())} ({rows}). "
            "Impute them or drop those rows before weighting."
        )
    return col


def _key(value: Any) -> Any:
    """A matching key for a level: integral floats as ints, numpy scalars as Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _level_name(names: tuple[str, ...], key: tuple) -> str:
    """``lvl=1`` or ``stype=E, sch.wide=No`` for messages."""
    return ", ".join(f"{n}={k}" for n, k in zip(names, key))


def _count(value: Any, names: tuple[str, ...], key: tuple) -> float:
    """One population count as a float; a DataError naming the level unless finite and >= 0."""
    try:
        count = float(value)
    except (TypeError, ValueError):
        count = np.nan
    if not np.isfinite(count) or count < 0:
        raise DataError(
            f"population count of {_level_name(names, key)} must be a finite number >= 0; got {value!r}. "
            "Fix the population table."
        )
    return count


def _population_table(population: Any, names: tuple[str, ...]) -> dict[tuple, float]:
    """Population counts as ``{(level, ...): count}`` from a mapping, Series or DataFrame.

    Every count must be a finite number >= 0 (one DataError naming the level otherwise).
    """
    if isinstance(population, pd.DataFrame):
        missing = [n for n in names if n not in population.columns]
        others = [c for c in population.columns if c not in names]
        if missing or len(others) != 1:
            raise DataError(
                f"population table must have columns {list(names)} plus one count column; got "
                f"{list(population.columns)}. Name the count column e.g. 'Freq'."
            )
        keys = [tuple(_key(k) for k in key) for key in zip(*(population[n] for n in names))]
        return {key: _count(v, names, key) for key, v in zip(keys, population[others[0]])}
    if isinstance(population, pd.Series):
        population = population.to_dict()
    if not isinstance(population, Mapping):
        raise DataError(
            f"population for {list(names)} must be a mapping {{level: count}}, a Series or a "
            f"DataFrame; got {type(population).__name__}."
        )
    out = {}
    for k, v in population.items():
        key = tuple(k) if isinstance(k, tuple) else (k,)
        if len(key) != len(names):
            raise DataError(f"population keys for {list(names)} must have {len(names)} part(s); got {k!r}.")
        key = tuple(_key(x) for x in key)
        out[key] = _count(v, names, key)
    return out


def _cells(svy: Survey, names: tuple[str, ...]) -> tuple[np.ndarray, list[tuple]]:
    """Integer cell code of each row for the cross of ``names``, and the cell keys (vectorised)."""
    per_col = [pd.factorize(_column(svy, n, "weighting"), sort=False) for n in names]
    shape = tuple(len(u) for _, u in per_col)
    flat = np.ravel_multi_index(tuple(c for c, _ in per_col), shape) if len(names) > 1 else per_col[0][0]
    codes, cells = pd.factorize(flat, sort=False)
    parts = np.unravel_index(np.asarray(cells), shape)
    keys = [tuple(_key(u[i]) for (_, u), i in zip(per_col, idx)) for idx in zip(*parts)]
    return codes.astype(np.int64), keys


def _show(keys: list[tuple]) -> str:
    return ", ".join(repr(k[0] if len(k) == 1 else k) for k in keys[:5])


def _type_hint(absent: list[tuple], pop: dict[tuple, float]) -> str:
    """A hint when the population keys match the sample levels only as text (``"1"`` vs ``1``)."""
    as_text = {tuple(map(str, k)) for k in pop}
    if not all(tuple(map(str, k)) in as_text for k in absent):
        return ""
    sample_type = type(absent[0][0]).__name__
    return f" (The population keys match as text: give them as {sample_type}, like the column's values.)"


def _prepare(
    svy: Survey, names: tuple[str, ...], population: Any, weights: np.ndarray, partial: bool = False
) -> tuple[np.ndarray, np.ndarray, list]:
    """Check one post-stratification: (cell codes, population count per cell, ignored levels)."""
    codes, keys = _cells(svy, names)
    pop = _population_table(population, names)
    sample = np.bincount(codes, weights=weights, minlength=len(keys))
    label = "x".join(names)
    absent = [k for k in keys if k not in pop]
    if absent:
        rows = format_rows((np.flatnonzero(np.isin(codes, [keys.index(k) for k in absent])) + 1).tolist())
        raise DataError(
            f"every {label} level in the sample must have a population count; got none for "
            f"{_show(absent)} ({rows}). Add it to the population table.{_type_hint(absent, pop)}"
        )
    zero = [k for k in keys if pop[k] == 0]
    if zero:
        raise DataError(
            f"population count of {_level_name(names, zero[0])} must be positive; got 0 (a sampled level "
            f"would get weight 0 on {int(np.isin(codes, [keys.index(k) for k in zero]).sum())} rows). "
            "Give its count, or drop or merge that level before weighting."
        )
    index = {k: i for i, k in enumerate(keys)}
    unsampled = [k for k, v in pop.items() if v > 0 and (k not in index or sample[index[k]] == 0)]
    if unsampled and not partial:
        raise DataError(
            f"every {label} level of the population must occur in the sample with positive weight; "
            f"got no sample for {_show(unsampled)}. Collapse levels, or pass partial=True to ignore them."
        )
    return codes, np.array([pop[k] for k in keys]), unsampled


def _step(codes: np.ndarray, target: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Scale *weights* so that their cell sums equal *target* (cells with no weight stay 0)."""
    sample = np.bincount(codes, weights=weights, minlength=target.shape[0])
    factor = np.divide(target, sample, out=np.zeros_like(target), where=sample > 0)
    return weights * factor[codes]
