"""Turn a :class:`~surveykit.design.core.Design` and a data frame into kernel arrays (internal).

Follows R ``survey::svydesign.default`` and ``as.fpc``: later-stage ids are made unique within
their parents, later-stage strata are the parent clusters, ``nest=TRUE`` makes ids unique within
strata, FPCs are population sizes (all >= 1) or sampling fractions (all <= 1) and weights default
to the product of ``N/n`` over stages with an FPC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from surveykit.design.resolved import ResolvedDesign, Stage, check_lonely, check_weight_sum, rows_message
from surveykit.errors import DesignError, closest

if TYPE_CHECKING:
    from surveykit.design.core import Design


def _codes(values: np.ndarray) -> np.ndarray:
    return pd.factorize(values, sort=True)[0].astype(np.int64)


def _pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes 0..K-1 of the pairs (a, b) of non-negative integer codes."""
    return _codes(a * (int(b.max(initial=0)) + 1) + b)


def _column(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    if name not in data.columns:
        raise DesignError(
            f"{role} column {name!r} must be in the data; it is not." + closest(name, map(str, data.columns))
        )
    values = data[name].to_numpy()
    missing = pd.isna(values)
    if missing.any():
        raise DesignError(
            f"{role} column {name!r} must have no missing values; got {int(missing.sum())} "
            f"({rows_message(missing)}). Drop those rows or fill them before building the design."
        )
    return values


def _weights(data: pd.DataFrame, name: str) -> np.ndarray:
    raw = _column(data, name, "weights")
    try:
        w = raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise DesignError(f"weights column {name!r} must be numeric; got {raw.dtype}.") from exc
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        raise DesignError(
            f"weights column {name!r} must be positive and finite; got {int(bad.sum())} values <= 0 or "
            f"infinite ({rows_message(bad)}). Drop those rows, or keep them and analyse a subset with "
            "Survey.domain()."
        )
    check_weight_sum(w, f"weights column {name!r}")
    return w


def fpc_popsize(values: np.ndarray, name: str, strata: np.ndarray, sampsize_h: np.ndarray) -> np.ndarray:
    """Population size per stratum (float64[H]) from an fpc column."""
    try:
        v = values.astype(float)
    except (TypeError, ValueError) as exc:
        raise DesignError(f"fpc column {name!r} must be numeric; got {values.dtype}.") from exc
    lo, hi = strata.min(initial=0), strata.max(initial=0)
    del lo
    vmin = np.full(hi + 1, np.inf)
    vmax = np.full(hi + 1, -np.inf)
    np.minimum.at(vmin, strata, v)
    np.maximum.at(vmax, strata, v)
    if np.any(vmin != vmax):
        h = int(np.flatnonzero(vmin != vmax)[0])
        raise DesignError(
            f"fpc column {name!r} must be constant within each stratum; it varies in stratum code {h} "
            f"(from {vmin[h]} to {vmax[h]}). Give the stratum's population size on every row."
        )
    if np.all(vmin >= 1):
        popsize = vmin
    elif np.all(vmin <= 1):
        if np.any(vmin <= 0):
            raise DesignError(f"fpc column {name!r} holds sampling fractions, which must be > 0; got 0 or less.")
        popsize = sampsize_h / vmin
    else:
        raise DesignError(
            f"fpc column {name!r} must hold either population sizes (all >= 1) or sampling fractions "
            "(all <= 1); got a mix. Convert one kind to the other."
        )
    too_small = popsize < sampsize_h - 1e-9
    if too_small.any():
        h = int(np.flatnonzero(too_small)[0])
        raise DesignError(
            f"fpc column {name!r} must be at least the number of sampled units in each stratum; stratum "
            f"code {h} has population {popsize[h]:g} but {sampsize_h[h]} sampled units. Check the fpc values."
        )
    return popsize


def resolve_design(design: Design, data: pd.DataFrame) -> ResolvedDesign:
    n = len(data)
    if n == 0:
        raise DesignError("data must have at least one row; got an empty data frame.")
    ids = list(design.ids or ())
    fpc = list(design.fpc or ())
    n_stages = max(len(ids), 1)

    has_strata = design.strata is not None
    strata1 = _codes(_column(data, design.strata, "strata")) if design.strata is not None else np.zeros(n, np.int64)
    strata_labels = tuple(pd.factorize(data[design.strata].to_numpy(), sort=True)[1]) if has_strata else (1,)
    if ids:
        raw_ids = [_codes(_column(data, c, "ids")) for c in ids]
    else:
        raw_ids = [np.arange(n, dtype=np.int64)]

    # later-stage ids unique within their parents (R: interaction(ids[, 1:i]))
    for i in range(1, len(raw_ids)):
        raw_ids[i] = _pair(raw_ids[i - 1], raw_ids[i])
    if design.nest and has_strata:
        raw_ids = [_pair(strata1, c) for c in raw_ids]
    if n > 0 and bool((raw_ids[0] == raw_ids[0][0]).all()) and not (design.nest and has_strata):
        raise DesignError(
            "a design must have at least 2 primary sampling units; got 1"
            + (f" (every row has the same {ids[0]!r})" if ids else "")
            + ". Check the ids column."
        )
    if has_strata and ids and not design.nest:
        per_cluster = pd.Series(strata1).groupby(raw_ids[0]).nunique().to_numpy()
        if np.any(per_cluster > 1):
            raise DesignError(
                f"clusters {ids[0]!r} must be nested in strata {design.strata!r}; "
                f"{int(np.sum(per_cluster > 1))} cluster ids occur in more than one stratum. "
                "If ids are only unique within strata, pass nest=True."
            )

    strata_cols = [strata1]
    for i in range(1, n_stages):
        strata_cols.append(_pair(strata1, raw_ids[i - 1]))
    clusters = [_pair(s, c) for s, c in zip(strata_cols, raw_ids)]

    popsize = np.full((n, n_stages), np.inf)
    n_psu = np.zeros((n, n_stages), np.int64)
    stage_info = []
    for s in range(n_stages):
        psu = clusters[s]
        n_p = int(psu.max()) + 1
        psu_stratum = np.zeros(n_p, np.int64)
        psu_stratum[psu] = strata_cols[s]
        n_h = np.bincount(psu_stratum, minlength=int(strata_cols[s].max()) + 1).astype(np.int64)
        if s < len(fpc):
            pop_h = fpc_popsize(_column(data, fpc[s], "fpc"), fpc[s], strata_cols[s], n_h.astype(float))
        else:
            pop_h = np.full(n_h.shape, np.inf)
        popsize[:, s] = pop_h[strata_cols[s]]
        n_psu[:, s] = n_h[strata_cols[s]]
        stage_info.append((psu, psu_stratum, n_h, pop_h))

    if design.weights is not None:
        weights = _weights(data, design.weights)
    elif fpc:
        with np.errstate(over="ignore"):
            weights = np.prod(popsize[:, : len(fpc)] / n_psu[:, : len(fpc)], axis=1)
        bad = ~np.isfinite(weights)
        if bad.any():
            raise DesignError(
                f"weights derived from fpc columns {fpc} must be finite; got {int(bad.sum())} infinite "
                f"({rows_message(bad)}). Give finite population sizes, or pass weights=."
            )
        check_weight_sum(weights, f"weights derived from fpc columns {fpc}")
    else:
        weights = np.ones(n)

    # the multistage recursion continues to stage s+1 only below a stage with an fpc (R: n/N factor)
    used = min(n_stages, len(fpc) + 1)
    stages = []
    for s in range(used):
        psu, psu_stratum, n_h, pop_h = stage_info[s]
        f_h = np.where(np.isinf(pop_h), 1.0, (pop_h - n_h) / np.where(np.isinf(pop_h), 1.0, pop_h))
        if s == 0:
            group = np.zeros(n_h.shape[0], np.int64)
            group_fraction = np.ones(1)
            labels = strata_labels
        else:
            prev_psu, prev_stratum, prev_n, prev_pop = stage_info[s - 1]
            group = np.zeros(n_h.shape[0], np.int64)
            group[strata_cols[s]] = prev_psu  # each stage-s stratum sits in one stage-(s-1) PSU
            group_fraction = prev_n[prev_stratum] / prev_pop[prev_stratum]
            labels = tuple(range(n_h.shape[0]))
        stages.append(Stage(psu, psu_stratum, n_h, f_h, group, group_fraction, labels))

    check_lonely(tuple(stages), design.lonely_psu)
    return ResolvedDesign(
        weights=weights,
        strata=np.column_stack(strata_cols),
        clusters=np.column_stack(clusters),
        popsize=popsize,
        n_psu=n_psu,
        lonely_psu=design.lonely_psu,
        stages=tuple(stages),
        has_fpc=bool(fpc),
    )
