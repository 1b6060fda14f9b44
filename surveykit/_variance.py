"""Pure-numpy Taylor-linearisation variance kernels (internal).

:func:`design_vcov` is R ``survey::svyrecvar``: calibration residuals first, then per stratum the
centred PSU totals scaled by ``f_h n_h / (n_h - 1)`` with ``f_h = 1 - n_h/N_h``, lonely-PSU
policies as ``options(survey.lonely.psu=)``, and, for designs with an FPC at more than one stage,
the multistage recursion (Särndal et al. 1992, sec. 4.3) where each stage's within-cluster
variance is added, multiplied by the sampling fraction of the stage above.
"""

from __future__ import annotations

import numpy as np

from surveykit.design import ResolvedDesign, Stage

__all__ = ["design_vcov", "psu_totals"]


def psu_totals(u: np.ndarray, psu: np.ndarray, n_psu: int) -> np.ndarray:
    """Column sums of ``u`` (n, k) by PSU code: (n_psu, k)."""
    k = u.shape[1]
    if k == 1:
        return np.bincount(psu, weights=u[:, 0], minlength=n_psu)[:, None]
    if u.shape[0] > 20 * n_psu and k <= 64:
        return np.column_stack([np.bincount(psu, weights=u[:, j], minlength=n_psu) for j in range(k)])
    out = np.zeros((n_psu, k))
    np.add.at(out, psu, u)
    return out


def _stage_vcov(u: np.ndarray, st: Stage, lonely: str, stratum_factor: np.ndarray) -> np.ndarray:
    """Variance contribution of one stage; ``stratum_factor`` multiplies each stratum's term."""
    n_p = st.psu_stratum.shape[0]
    n_str = st.n_h.shape[0]
    totals = psu_totals(u, st.psu, n_p)
    n_h = st.n_h.astype(float)
    present = np.bincount(st.psu_stratum, minlength=n_str).astype(float)
    sums = np.zeros((n_str, u.shape[1]))
    np.add.at(sums, st.psu_stratum, totals)
    means = sums / n_h[:, None]

    single = st.n_h == 1
    centre = np.ones(n_str, bool)
    if lonely == "adjust":
        centre = ~single  # R: a lone PSU is not centred (its total is measured from 0 = grand mean)
    dev = totals - np.where(centre[st.psu_stratum, None], means[st.psu_stratum], 0.0)

    scale = np.where(single, st.f_h, st.f_h * n_h / np.maximum(n_h - 1, 1))
    scale = np.where(st.f_h < 1e-7, 0.0, scale) * stratum_factor
    ok = np.ones(n_str, bool)
    if lonely == "average":
        ok = ~single | (st.f_h < 1e-7)
        n_groups = st.group_fraction.shape[0]
        nstrat = np.bincount(st.stratum_group, minlength=n_groups).astype(float)
        nok = np.bincount(st.stratum_group, weights=ok.astype(float), minlength=n_groups)
        scale = np.where(ok, scale * (nstrat / np.where(nok == 0, 1, nok))[st.stratum_group], 0.0)

    weighted = dev * np.sqrt(scale)[st.psu_stratum, None]
    v = weighted.T @ weighted
    pad = (n_h - present) * scale  # PSUs of the full design with no rows here (R pads zeros)
    if np.any(pad > 0):
        centred_means = np.where(centre[:, None], means, 0.0)
        v += (centred_means * pad[:, None]).T @ centred_means
    return v


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
    u = np.asarray(u, dtype=float)
    if u.ndim == 1:
        u = u[:, None]
    for cal in rd.calibrations:
        u = cal.residualize(u)
    stages = rd.stages
    factor = np.ones(stages[0].n_h.shape[0])
    v = _stage_vcov(u, stages[0], rd.lonely_psu, factor)
    for prev, st in zip(stages[:-1], stages[1:]):
        parent_stratum = prev.psu_stratum[st.stratum_group]
        factor = st.group_fraction[st.stratum_group] * factor[parent_stratum]
        v += _stage_vcov(u, st, rd.lonely_psu, factor)
    return v
