"""Numeric core of the design-based tables: weighted cell totals, their ratios, SEs and intervals.

Every statistic of a table is a ratio of weighted cell totals; :func:`_cell_vcov` passes the
cell codes through :func:`surveykit.design.variance.cells_vcov` once, :func:`_ratios`
gives the ratios with their gradients, :func:`_quad_se` the linearised SEs and :func:`table_ci` the
intervals (the proportion intervals of :mod:`surveykit.estimate.intervals`; no loops over rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from surveykit.design.replicate import is_replicate, replicate_variance, replicate_vcov
from surveykit.design.variance import cells_vcov
from surveykit.estimate.intervals import PROPORTION_METHODS, proportion_ci

if TYPE_CHECKING:
    from surveykit.design.resolved import ResolvedDesign
    from surveykit.survey import Survey

CI_METHODS = PROPORTION_METHODS  # the proportion intervals of surveykit.estimate, by name


def _cell_vcov(codes: np.ndarray, k: int, wd: np.ndarray, svy: Survey) -> tuple[np.ndarray, np.ndarray]:
    """Weighted totals of the *k* cells and their design covariance (one kernel call).

    Every statistic of a table is a smooth function of these cell totals, and its linearised
    ``u`` is ``U @ A`` with ``U = wd * onehot(cell)`` and a small gradient matrix ``A``: the
    kernel (including calibration residualisation) is linear in ``u``, so
    ``V(U A) = A' V(U) A`` exactly and the data are passed through the kernel once.
    """
    ok = codes >= 0
    totals = np.bincount(codes[ok], weights=wd[ok], minlength=k)
    rd = svy.resolved
    if is_replicate(rd):
        ok_rows = (codes >= 0) & (wd > 0)
        onehot = np.zeros((codes.shape[0], k))
        onehot[np.flatnonzero(ok_rows), codes[ok_rows]] = 1.0
        return totals, replicate_vcov(rd.repweights.T @ onehot, rd, totals)
    cell = np.where(ok, codes, k).astype(np.int64)[:, None]  # integer codes: no dense (n, k) one-hot
    return totals, cells_vcov(wd[:, None], cell, k, rd)


def _cell_reps(codes: np.ndarray, k: int, wd: np.ndarray, svy: Survey) -> np.ndarray | None:
    """``(R, k)`` replicate cell totals on a replicate design (one product), else ``None``."""
    rd = svy.resolved
    if not is_replicate(rd):
        return None
    ok = (codes >= 0) & (wd > 0)
    onehot = np.zeros((codes.shape[0], k))
    onehot[np.flatnonzero(ok), codes[ok]] = 1.0
    return rd.repweights.T @ onehot


def _ratio_se(a: np.ndarray, v: np.ndarray, reps: np.ndarray | None, rd: ResolvedDesign | None, num: np.ndarray,
              den: np.ndarray, r: np.ndarray) -> np.ndarray:  # fmt: skip
    """SEs of the ratios ``(t @ num) / (t @ den)``: linearised (:func:`_quad_se`), or on a
    replicate design (*reps*, the replicate cell totals, and its resolved design *rd*) recomputed
    per replicate (R ``svymean``/``svyby`` on ``svrepdesign``)."""
    if reps is None or rd is None:
        return _quad_se(a, v)
    assert is_replicate(rd)  # replicate cell totals come only from a replicate design (_cell_reps)
    with np.errstate(all="ignore"):
        thetas = (reps @ num) / (reps @ den)
    return np.sqrt(replicate_variance(thetas, rd, r))


def _ratios(t: np.ndarray, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ratios ``(t @ num_j) / (t @ den_j)`` of cell totals and their gradient ``A`` (K, k)."""
    td = t @ den
    r = np.divide(t @ num, td, out=np.zeros(num.shape[1]), where=td != 0)
    return r, (num - r * den) / np.where(td == 0, 1.0, td)


QUAD_ROUNDING = 64 * np.finfo(float).eps  # relative rounding bound of a' V a (see _quad_se)


def _quad_se(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``sqrt(diag(a' V a))``; variances within rounding of 0 (``|a|' |V| |a|`` x 64 eps) are 0.

    A ratio that is exactly determined (e.g. a share of 1) has variance 0 in exact arithmetic;
    the quadratic form leaves rounding noise of order eps x the size of its terms, whose square
    root (~1e-8 relative) would otherwise show as a spurious SE.
    """
    var = np.einsum("ij,ik,kj->j", a, v, a)
    bound = QUAD_ROUNDING * np.einsum("ij,ik,kj->j", np.abs(a), np.abs(v), np.abs(a))
    return np.sqrt(np.where(var > bound, var, 0.0))


def table_ci(
    p: np.ndarray, se: np.ndarray, df: int, alpha: float, method: str, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Intervals of cell proportions of one base, by :func:`surveykit.estimate.intervals.proportion_ci`.

    The base is the domain: every one of its *n_rows* rows answered, so R ``svyciprop``'s glm sees
    *n_rows* rows whose rescaled weights sum to *n_rows*; *df* is the base's ``degf()``.
    """
    k = p.shape[0]
    n = np.full(k, float(n_rows))
    return proportion_ci(method, p, se, alpha, np.full(k, float(df)), n, n, n)
