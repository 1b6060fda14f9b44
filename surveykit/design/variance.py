"""Pure-numpy Taylor-linearisation variance kernels (internal).

:func:`design_vcov` is R ``survey::svyrecvar``: calibration residuals first, then per stratum the
centred PSU totals scaled by ``f_h n_h / (n_h - 1)`` with ``f_h = 1 - n_h/N_h``, lonely-PSU
policies as ``options(survey.lonely.psu=)``, and, for designs with an FPC at more than one stage,
the multistage recursion (Särndal et al. 1992, sec. 4.3) where each stage's within-cluster
variance is added, multiplied by the sampling fraction of the stage above.

:func:`level_variances` gives only the *diagonal* for one-way tables, without any ``n x m``
or ``m x m`` array, so a variable with many distinct values costs memory and time linear in the
rows and levels.

:func:`cells_vcov` is the same variance for *cell totals* (each row adds its value to at most one
result column per variable, as for domains): the PSU totals of every cell come from one
``bincount`` over ``psu * (m + 1) + cell`` instead of an ``(n, m)`` dense matrix. Both share the
stage arithmetic, so they agree to the last bit where the PSU totals do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from surveykit.design.resolved import ResolvedDesign, Stage
from surveykit.errors import DesignError

__all__ = ["design_vcov", "psu_totals", "cell_keys", "cells_vcov", "level_variances", "ROUNDING"]

#: relative rounding bound of a variance computed from sums of squares (as ``tables.linear``)
ROUNDING = 64 * np.finfo(float).eps


def psu_totals(u: np.ndarray, psu: np.ndarray, n_psu: int) -> np.ndarray:
    """Column sums of ``u`` (n, k) by PSU code: (n_psu, k)."""
    k = u.shape[1]
    if k == 1:
        return np.bincount(psu, weights=u[:, 0], minlength=n_psu)[:, None]
    if k <= 64:  # one bincount per column beats np.add.at at every PSU count
        return np.column_stack([np.bincount(psu, weights=u[:, j], minlength=n_psu) for j in range(k)])
    out = np.zeros((n_psu, k))
    np.add.at(out, psu, u)
    return out


def _group_sums(totals: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of ``totals`` (P, k) by ``group`` code (in row order, as ``np.add.at``)."""
    if totals.shape[1] <= 64:
        cols = [np.bincount(group, weights=totals[:, j], minlength=n_groups) for j in range(totals.shape[1])]
        return np.column_stack(cols) if cols else np.zeros((n_groups, 0))
    out = np.zeros((n_groups, totals.shape[1]))
    np.add.at(out, group, totals)
    return out


def _stage_vcov(
    totals: np.ndarray, st: Stage, lonely: str, stratum_factor: np.ndarray, present: np.ndarray | None = None
) -> np.ndarray:
    """Variance contribution of one stage from its PSU totals ``(P, k)``; ``stratum_factor``
    multiplies each stratum's term. ``present`` (``(H, k)`` bool, "average" policy only) says
    which strata hold rows of each column: R scales by the strata of the (sub)design it is given."""
    n_str = st.n_h.shape[0]
    n_h = st.n_h.astype(float)
    n_present = np.bincount(st.psu_stratum, minlength=n_str).astype(float)
    means = _group_sums(totals, st.psu_stratum, n_str) / n_h[:, None]

    single = st.n_h == 1
    centre = np.ones(n_str, bool)
    if lonely == "adjust":
        centre = ~single  # R: a lone PSU is not centred (its total is measured from 0 = grand mean)
    dev = totals - np.where(centre[st.psu_stratum, None], means[st.psu_stratum], 0.0)

    scale = np.where(single, st.f_h, st.f_h * n_h / np.maximum(n_h - 1, 1))
    scale = np.where(st.f_h < 1e-7, 0.0, scale) * stratum_factor
    if lonely == "average":
        scale = _average_scale(scale, st, single, totals.shape[1], present)
    else:
        scale = np.broadcast_to(scale[:, None], (n_str, totals.shape[1]))

    weighted = dev * np.sqrt(scale)[st.psu_stratum]
    v = weighted.T @ weighted
    pad = (n_h - n_present)[:, None] * scale  # PSUs of the full design with no rows here (R pads zeros)
    if np.any(pad > 0):
        centred = np.where(centre[:, None], means, 0.0) * np.sqrt(pad)
        v += centred.T @ centred
    return v


def _average_scale(scale: np.ndarray, st: Stage, single: np.ndarray, k: int, present: np.ndarray | None) -> np.ndarray:
    """``(H, k)`` scale under ``lonely_psu="average"``: lone strata drop out and the others are
    scaled by (strata present) / (non-lone strata present) within each parent group, per column."""
    n_str = st.n_h.shape[0]
    present = np.ones((n_str, k), bool) if present is None else present
    ok = (~single | (st.f_h < 1e-7))[:, None] & present
    n_groups = st.group_fraction.shape[0]
    nstrat = _group_sums(present.astype(float), st.stratum_group, n_groups)
    nok = _group_sums(ok.astype(float), st.stratum_group, n_groups)
    ratio = nstrat / np.where(nok == 0, 1, nok)
    return np.where(ok, scale[:, None] * ratio[st.stratum_group], 0.0)


def _recursion(
    rd: ResolvedDesign,
    totals_of: Callable[[int, Stage], np.ndarray],
    present_of: Callable[[int, Stage], np.ndarray] | None = None,
) -> np.ndarray:
    """Sum of the stage contributions, each stage's PSU totals from ``totals_of(s, stage)``
    (and, for the "average" lonely-PSU policy, the strata holding each column's rows)."""
    stages = rd.stages
    average = rd.lonely_psu == "average" and present_of is not None
    factor = np.ones(stages[0].n_h.shape[0])
    v = _stage_vcov(
        totals_of(0, stages[0]),
        stages[0],
        rd.lonely_psu,
        factor,
        present_of(0, stages[0]) if average and present_of is not None else None,
    )
    for s, (prev, st) in enumerate(zip(stages[:-1], stages[1:]), start=1):
        parent_stratum = prev.psu_stratum[st.stratum_group]
        factor = st.group_fraction[st.stratum_group] * factor[parent_stratum]
        v += _stage_vcov(
            totals_of(s, st),
            st,
            rd.lonely_psu,
            factor,
            present_of(s, st) if average and present_of is not None else None,
        )
    return v


def _taylor_only(rd: ResolvedDesign) -> None:
    """Refuse a replicate design: its variance is recomputed replicate by replicate, not linearised."""
    if rd.is_replicate:
        raise DesignError(
            "this analysis needs a Taylor-linearisation design (strata, clusters); it is not available "
            "on replicate-weight designs yet. Means, totals, ratios, proportions, quantiles, frequency, "
            "crosstab, var(), ttest(), sk.models.glm, logistic and ordinal_logistic work on replicate "
            "designs; for the rest, use a Design with strata and ids."
        )


def design_vcov(u: np.ndarray, rd: ResolvedDesign) -> np.ndarray:
    """Variance-covariance of ``sum(u)`` under the design.

    Parameters
    ----------
    u : ndarray, shape (n,) or (n, k)
        Weighted influence values, one row per data row (zero outside a domain).
    rd : ResolvedDesign

    Returns
    -------
    ndarray, shape (k, k)

    Notes
    -----
    R equivalent: ``survey:::svyrecvar(u, clusters, strata, fpc, postStrata)``.
    """
    _taylor_only(rd)
    u = np.asarray(u, dtype=float)
    if u.ndim == 1:
        u = u[:, None]
    for cal in rd.calibrations:
        u = cal.residualize(u)

    def present(s: int, st: Stage) -> np.ndarray:  # only the "average" lonely-PSU policy asks for it
        rows = psu_totals((u != 0).astype(float), st.psu, st.psu_stratum.shape[0])
        return _group_sums(rows, st.psu_stratum, st.n_h.shape[0]) > 0

    return _recursion(rd, lambda s, st: psu_totals(u, st.psu, st.psu_stratum.shape[0]), present)


def cell_keys(cell: np.ndarray, m: int, rd: ResolvedDesign) -> tuple[np.ndarray, ...]:
    """Per stage, ``psu * (m + 1) + cell`` flattened: the bin of each (row, variable) value.

    *cell* is ``int64 (n, p)`` with values ``0..m`` (``m``: in no result column).
    """
    return tuple((st.psu[:, None] * (m + 1) + cell).ravel() for st in rd.stages)


def dense_cells(u: np.ndarray, cell: np.ndarray, m: int) -> np.ndarray:
    """``(n, m)`` matrix with ``u[i, j]`` in column ``cell[i, j]`` (column ``m`` dropped)."""
    n = cell.shape[0]
    out = np.zeros((n, m + 1))
    rows = np.arange(n)
    for j in range(cell.shape[1]):  # loop over variables, not rows
        out[rows, cell[:, j]] = u[:, j]
    return out[:, :m]


def cells_vcov(u: np.ndarray, cell: np.ndarray, m: int, rd: ResolvedDesign,
               keys: tuple[np.ndarray, ...] | None = None) -> np.ndarray:  # fmt: skip
    """Variance-covariance of the *m* cell totals ``T_c = sum of u[i, j] over cell[i, j] == c``.

    Parameters
    ----------
    u : ndarray, shape (n, p)
        Weighted influence values (rows in column ``m`` may hold anything, even NaN).
    cell : ndarray of int64, shape (n, p)
        Result column of each value, ``0..m-1``, or ``m`` for none.
    m : int
    rd : ResolvedDesign
    keys : tuple of ndarray, optional
        :func:`cell_keys` of *cell*, when the caller already has them.

    Returns
    -------
    ndarray, shape (m, m)
        As ``design_vcov`` of the dense ``(n, m)`` matrix (R ``svyrecvar``); with calibrations the
        dense matrix is built, since residualisation works row by row.
    """
    _taylor_only(rd)
    if rd.calibrations:
        return design_vcov(dense_cells(u, cell, m), rd)
    keys = cell_keys(cell, m, rd) if keys is None else keys
    flat = u.ravel()

    def totals(s: int, st: Stage) -> np.ndarray:
        n_p = st.psu_stratum.shape[0]
        return np.bincount(keys[s], weights=flat, minlength=n_p * (m + 1)).reshape(n_p, m + 1)[:, :m]

    def present(s: int, st: Stage) -> np.ndarray:
        n_str = st.n_h.shape[0]
        where = (st.psu_stratum[st.psu][:, None] * (m + 1) + cell).ravel()
        hits = np.bincount(where, weights=(flat != 0).astype(float), minlength=n_str * (m + 1))
        return hits.reshape(n_str, m + 1)[:, :m] > 0

    return _recursion(rd, totals, present)


def level_variances(
    codes: np.ndarray, m: int, w: np.ndarray, base: np.ndarray, p: np.ndarray, rd: ResolvedDesign
) -> np.ndarray:
    """Design variances of ``sum_i w_i (1[codes_i == j] - p_j base_i)`` for ``j = 0..m-1``.

    The diagonal of :func:`design_vcov` of those ``m`` columns (proportions when ``p`` are the
    shares of the base, cell totals when ``p = 0``), computed from the non-zero (PSU, level)
    pairs only: per stratum ``scale_h (sum_psu y^2 - S_h^2 / n_h)`` with ``y = A - p B`` (``A``
    the PSU total of level ``j``, ``B`` of the base). Memory and time are linear in the rows
    and levels.

    Parameters
    ----------
    codes : ndarray of int64, shape (n,)
        Level of each row, ``0..m-1``; any other value is in no level.
    m : int
        Number of levels.
    w : ndarray, shape (n,)
        Weights (0 outside the domain).
    base : ndarray of bool, shape (n,)
        Rows in the base of the proportions.
    p : ndarray, shape (m,)
        Proportions (zeros for totals).
    rd : ResolvedDesign
        A design without calibrations and with a lonely-PSU policy other than ``"average"``
        (callers use :func:`design_vcov` for those).

    Returns
    -------
    ndarray, shape (m,)
        Variances; values within rounding of 0 (``ROUNDING`` x the size of their terms) are 0.
    """
    _taylor_only(rd)
    if rd.calibrations or rd.lonely_psu == "average":
        raise ValueError("level_variances needs an uncalibrated design without lonely_psu='average'")
    ok = (codes >= 0) & (codes < m)
    wb = np.where(base, w, 0.0)
    var, size = np.zeros(m), np.zeros(m)
    factor = np.ones(rd.stages[0].n_h.shape[0])
    for s, st in enumerate(rd.stages):
        if s > 0:
            prev = rd.stages[s - 1]
            factor = st.group_fraction[st.stratum_group] * factor[prev.psu_stratum[st.stratum_group]]
        n_h = st.n_h.astype(float)
        n_str, n_psu = n_h.shape[0], st.psu_stratum.shape[0]
        single = st.n_h == 1
        centre = ~single if rd.lonely_psu == "adjust" else np.ones(n_str, bool)
        scale = np.where(single, st.f_h, st.f_h * n_h / np.maximum(n_h - 1, 1))
        scale = np.where(st.f_h < 1e-7, 0.0, scale) * factor
        scale = np.where(centre & single, 0.0, scale)  # a centred lone PSU adds exactly 0
        b = np.bincount(st.psu, weights=wb, minlength=n_psu)  # base total per PSU
        bb = np.bincount(st.psu_stratum, weights=b * b, minlength=n_str)
        sb = np.bincount(st.psu_stratum, weights=b, minlength=n_str)
        # the non-zero (PSU, level) pairs and their totals A
        pairs, inv = np.unique(st.psu[ok] * m + codes[ok], return_inverse=True)
        a = np.bincount(inv, weights=w[ok], minlength=pairs.shape[0])
        psu, j = pairs // m, pairs % m
        bp = b[psu]
        y = a - p[j] * bp
        # the same per (stratum, level): sums over the PSUs where the level occurs
        cells, cinv = np.unique(st.psu_stratum[psu] * m + j, return_inverse=True)
        h, jc = cells // m, cells % m
        yy = np.bincount(cinv, weights=y * y, minlength=cells.shape[0])
        nz_bb = np.bincount(cinv, weights=bp * bp, minlength=cells.shape[0])
        sa = np.bincount(cinv, weights=a, minlength=cells.shape[0])
        big = np.bincount(cinv, weights=(a + p[j] * bp) ** 2, minlength=cells.shape[0])
        pc = p[jc]
        yy += pc * pc * np.maximum(bb[h] - nz_bb, 0.0)  # PSUs of the stratum without the level
        s_h = sa - pc * sb[h]
        c = np.where(centre[h], 1.0 / n_h[h], 0.0)
        term = scale[h] * (yy - c * s_h * s_h)
        # strata where the level does not occur: y = -p B on every PSU
        empty = scale * (bb - np.where(centre, sb * sb / n_h, 0.0))
        seen = np.bincount(jc, weights=empty[h], minlength=m)
        var += np.bincount(jc, weights=term, minlength=m) + p * p * (empty.sum() - seen)
        size += np.bincount(jc, weights=scale[h] * (big + pc * pc * np.maximum(bb[h] - nz_bb, 0.0)), minlength=m)
        size += p * p * ((scale * bb).sum() - np.bincount(jc, weights=(scale * bb)[h], minlength=m))
    return np.where(var > ROUNDING * np.abs(size), var, 0.0)
