"""Quantiles of :mod:`surveykit.estimate`: :func:`quantile` with Woodruff and score intervals (R 4.x
``svyquantile(..., qrule=, interval.type="mean"|"beta"|"xlogit"|"asin"|"score"|"quantile")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from surveykit.design.replicate import ResolvedReplicate, is_replicate, replicate_variance
from surveykit.errors import DesignError
from surveykit.estimate import support as _ci
from surveykit.estimate.core import _answered, _keys, _numeric_matrix, _result, _se_deff, _setup
from surveykit.estimate.quantile_rule import QRULES
from surveykit.estimate.result import Estimate

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey

QUANTILE_INTERVALS: tuple[str, ...] = ("mean", "beta", "xlogit", "asin", "score", "quantile")


def _replicate_quantiles(rd: ResolvedReplicate, x: np.ndarray, cdfs: list[_ci.WeightedCdf], probs: np.ndarray,
                         est: np.ndarray, alpha: float, df: np.ndarray,
                         qrule: str = "math") -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """R ``repCI`` (``interval.type="quantile"``): the quantile recomputed with each replicate's
    weights (rows of weight 0 dropped, as ``qrule_math``), then ``qhat -/+ t_df sqrt(svrVar)``.
    *est* is ``(k, m)``, domains x probabilities."""
    k, m = est.shape
    reps = np.empty((rd.n_replicates, k * m))
    for r in range(rd.n_replicates):  # loop over replicates: one cumulative sum per domain each
        wr = rd.repweights[:, r]
        reps[r] = np.concatenate(
            [_ci.WeightedCdf(c.rows[wr[c.rows] != 0], x, wr).quantile_rule(probs, qrule) for c in cdfs]
        )
    half = np.sqrt(replicate_variance(reps, rd, est.reshape(-1))).reshape(k, m) * _ci.crit(alpha, df)[:, None]
    return est - half, est + half


def _shares(rd: ResolvedDesign, x: np.ndarray, dom: _ci.Domains, theta: np.ndarray,
            n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The weighted share of values ``<= theta`` and its design SE: *theta* is ``(k, m)``, domains x
    columns; *n* per domain. Result column ``j * k + d`` is column *j* in domain *d*."""
    k, m = theta.shape
    w = rd.weights
    lay = _ci.layout(dom, None, m, rd)
    n_col = lay.sum(w)  # summed as the numerator below, so that an all-below share is exactly 1
    ind = x[:, None] <= lay.spread(theta.T.reshape(-1))
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        pm = lay.sum(w[:, None] * ind) / n_col
        z = (ind - lay.spread(pm)) / lay.spread(n_col)
    se, _ = _se_deff(lay, w, z, None, rd, False, n_col, np.tile(n, m), (ind.astype(float), None, True, pm))
    return pm, se


def _woodruff(rd: ResolvedDesign, x: np.ndarray, dom: _ci.Domains, qhat: np.ndarray, interval: str,
              alpha: float, df: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Limits of the share below each quantile (R ``woodruffCI``): ``(k, m)`` arrays.

    *dom* holds the rows with a value; *qhat* is ``(k, m)``, domains x probabilities; *df* and
    *n* are per domain. Result column ``j * k + d`` is probability *j* in domain *d*.
    """
    k, m = qhat.shape
    pm, se = _shares(rd, x, dom, qhat, n)
    n_rows, dfr = np.tile(n, m).astype(float), np.tile(df, m)
    if interval == "mean":
        t = _ci.crit(alpha, dfr)
        low, high = pm - t * se, pm + t * se
    else:
        low, high = _ci.proportion_ci(interval, pm, se, alpha, dfr, n_rows, n_rows, n_rows)
    return low.reshape(m, k).T, high.reshape(m, k).T


def _score_shares(rd: ResolvedDesign, x: np.ndarray, dom: _ci.Domains, cdfs: list[_ci.WeightedCdf],
                  probs: np.ndarray, alpha: float, df: np.ndarray,
                  n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """R 4.x ``ffullerCI`` (``interval.type = "score"``, Francisco and Fuller 1991): the limits are
    the theta where the score ``(p - F(theta)) / se(F(theta))`` crosses ``+-t_df``, searched in
    ``[min + IQR/100, max - IQR/100]``; returned, as R, as the *unweighted* share of the domain's
    values ``<= theta`` (which R then maps through the weighted quantile rule).

    The score is a step function of theta: R's ``uniroot`` ends within its tolerance of the jump,
    on the side where the score is closer to the target (``zeroin`` keeps that point); here the
    jump is found exactly (bisection over the distinct values, all columns at once) and that side
    taken. ``(k, m)`` arrays of shares; NaN where the score does not cross in the search
    interval (R stops with "values at end points not of opposite sign").
    """
    k, m = len(cdfs), probs.size
    t = _ci.crit(alpha, df)  # per domain
    cands, xs_all = [], []
    for c in cdfs:  # loop over domains: the candidate thetas (lowerT, then the values in (lowerT, upperT])
        xs = x[c.rows]
        xs_all.append(np.sort(xs))
        if xs.size == 0:
            cands.append(np.full(1, np.nan))
            continue
        q1, q3 = np.percentile(xs, [25, 75])  # R IQR(): type 7
        lo, hi = xs.min() + (q3 - q1) / 100, xs.max() - (q3 - q1) / 100
        v = np.unique(xs)
        cands.append(np.concatenate([[lo], v[(v > lo) & (v <= hi)]]))
    target = np.concatenate([np.tile(t, m), -np.tile(t, m)])  # lower limits (score = +t), then upper (-t)
    pcol = np.concatenate([np.repeat(probs, k)] * 2)
    size = np.array([c.size for c in cands] * (2 * m))
    dcol = np.tile(np.arange(k), 2 * m)

    def score(idx: np.ndarray) -> np.ndarray:
        theta = np.array([cands[d][min(i, cands[d].size - 1)] for d, i in zip(dcol, idx)])
        pm, se = _shares(rd, x, dom, theta.reshape(2 * m, k).T, n)
        with np.errstate(all="ignore"):
            return (pcol - pm) / se - target

    a, b = np.zeros(size.size, np.int64), size - 1
    fa, fb = score(a), score(b)
    ok = np.sign(fa) * np.sign(fb) < 0
    while np.any(ok & (b - a > 1)):  # bisection to adjacent candidates, every column at once
        mid = np.where(ok & (b - a > 1), (a + b) // 2, a)
        fm = score(mid)
        same = np.sign(fm) == np.sign(fa)
        move = ok & (b - a > 1)
        a, fa = np.where(move & same, mid, a), np.where(move & same, fm, fa)
        b, fb = np.where(move & ~same, mid, b), np.where(move & ~same, fm, fb)
    shares = np.full(size.size, np.nan)
    for col in np.flatnonzero(ok):  # loop over result limits: the share at the jump
        xs, jump = xs_all[dcol[col]], cands[dcol[col]][b[col]]
        right = abs(fb[col]) <= abs(fa[col])  # zeroin returns the side with the smaller |score|
        below = np.searchsorted(xs, jump, side="right" if right else "left")
        shares[col] = below / xs.size
    return shares[: m * k].reshape(m, k).T, shares[m * k :].reshape(m, k).T


def _quantile_one(rd: ResolvedDesign, x: np.ndarray, dom: _ci.Domains, probs: np.ndarray, interval: str,
                  alpha: float, missing: bool, qrule: str = "math") -> dict[str, np.ndarray]:  # fmt: skip
    """Quantiles of one variable in every domain, columns ordered probability-major then domain."""
    if missing:  # rows without a value leave every domain
        codes = np.where(np.isnan(x), -1, 0 if dom.codes is None else dom.codes)
        dom = _ci.Domains(codes, dom.keys, dom.by, False)
    w = rd.weights
    lay = _ci.layout(dom, None, 1, rd)
    n, df = lay.counts(rd)
    big_n = lay.sum(w)
    cdfs = _ci.domain_cdfs(x, w, dom.codes, dom.k)
    est = np.array([c.quantile_rule(probs, qrule) for c in cdfs]).reshape(dom.k, probs.size)  # loop over domains
    if interval == "quantile":
        assert is_replicate(rd)  # interval="quantile" is refused on Taylor designs before this
        low, high = _replicate_quantiles(rd, x, cdfs, probs, est, alpha, df, qrule)
    else:
        if interval == "score":
            p_low, p_high = _score_shares(rd, x, dom, cdfs, probs, alpha, df, n)
        else:
            p_low, p_high = _woodruff(rd, x, dom, est, interval, alpha, df, n)
        low = np.array([c.quantile_rule(p, qrule) for c, p in zip(cdfs, p_low)]).reshape(est.shape)
        high = np.array([c.quantile_rule(p, qrule) for c, p in zip(cdfs, p_high)]).reshape(est.shape)
    se = (high - low) / (2 * _ci.crit(alpha, df)[:, None])
    out = dict(estimate=est, se=se, ci_low=low, ci_high=high)
    out = {key: v.T.reshape(-1) for key, v in out.items()}
    reps = {"df": df, "n": n, "weighted_n": big_n}
    out.update({key: np.tile(v, probs.size) for key, v in reps.items()})
    out["deff"] = np.full(dom.k * probs.size, np.nan)
    return out


def quantile(
    svy: Survey,
    variables: str | Sequence[str],
    probs: float | Sequence[float] = 0.5,
    *,
    by: str | Sequence[str] | None = None,
    interval: str = "mean",
    qrule: str = "math",
    na: Literal["fail", "drop"] = "fail",
    include_missing: bool = False,
    alpha: float = 0.05,
) -> Estimate:
    """Design-based quantiles with Woodruff confidence intervals.

    Parameters
    ----------
    svy : Survey
    variables : str or sequence of str
        Numeric columns.
    probs : float or sequence of float
        Probabilities in [0, 1]; one row per probability (``level``) and domain.
    interval : {"mean", "beta", "xlogit", "asin", "score", "quantile"}
        How the interval for the share below the quantile is formed before inverting it
        (R ``interval.type``; default ``"mean"``: ``p -/+ t_df se``). ``"score"`` (Taylor
        designs only, R ``ffullerCI``): the quantiles where the score test of ``F(q) = p``
        crosses ``-/+ t_df``. ``"quantile"`` (replicate designs only, R ``repCI``): the quantile
        recomputed with each replicate's weights, ``q -/+ t_df sqrt(replicate variance)``.
    qrule : {"math", "school", "shahvaish", "hf1", ..., "hf9"}
        R 4.x ``qrule``: how the weighted CDF is inverted, for the estimate and the interval
        limits (see :func:`surveykit.estimate.quantile_rule.apply_rule`). Default ``"math"``:
        the smallest value whose weighted CDF reaches p.
    by, na, include_missing, alpha
        As :func:`mean`.

    Returns
    -------
    Estimate
        ``se`` is R's ``(ci_high - ci_low) / (2 t_df)``; ``deff`` is NaN.

    Notes
    -----
    R 4.1: ``svyquantile(~y, design, quantiles=, ci=TRUE, interval.type=, qrule=)``.
    With ``qrule="math"`` the estimate is the smallest value whose weighted CDF reaches *p* (as
    R, a *p* below the first weight gives the second-smallest value). The interval is
    Woodruff's: a CI for ``mean(y <= q)`` with the design df (after dropping missing values),
    mapped back through the same rule; a limit outside [0, 1] gives NaN as in R. The score
    interval follows R 4.1-1's ``ffullerCI``, including its use of the *unweighted* share of
    values below each limit (see ``_score_shares``); a limit whose score does not cross
    ``t_df`` inside R's search interval is NaN (R stops with an error).

    On a replicate design the share's SE is the replicate one. R 4.1-1's
    ``svyquantile.svyrep.design`` does not pass ``interval.type`` on to ``woodruffCI`` and so
    always forms the "mean" interval; here "beta", "xlogit" and "asin" are what they say
    (checked against R's ``woodruffCI`` called with ``method=``).
    """
    _ci.check_choice("interval", interval, QUANTILE_INTERVALS)
    _ci.check_choice("qrule", qrule, QRULES)
    if interval == "score" and is_replicate(svy.resolved):
        raise DesignError('interval="score" needs a Taylor design (R ffullerCI; R svyquantile on replicate designs '
                          'has no score interval); this Survey has replicate weights. Use interval="quantile" or '
                          '"mean".')  # fmt: skip
    if interval == "quantile" and not is_replicate(svy.resolved):
        raise DesignError('interval="quantile" needs a replicate-weight design (R repCI); this Survey has a '
                          'Taylor design. Use interval="mean" (Woodruff), or sk.as_replicate(svy) first.')  # fmt: skip
    _ci.check_options(include_missing=include_missing)
    plist = _ci.check_probs(probs)
    names = _ci.as_names(variables)
    rd, dom = _setup(svy, by, na, alpha)
    values = _numeric_matrix(svy, names, include_missing, "Quantiles need a numeric variable.")
    parts = []
    for j, name in enumerate(names):  # loop over variables
        missing = _answered(svy, [name], values[:, j], dom, na, "quantile") is not None
        parts.append(_quantile_one(rd, values[:, j], dom, plist, interval, alpha, missing, qrule))
    cols = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    levels = [plist.tolist()] * len(names)
    labels = tuple(lab for name in names for lab in [svy.variable_label(name)] * (len(plist) * dom.k))
    return _result(svy, "quantile", _keys(names, levels, dom), labels, cols,
                   f"weighted CDF inverse (R qrule='{qrule}')",
                   "score (Francisco-Fuller, t, design df)" if interval == "score" else
                   f"Woodruff, {interval} (t, design df)", alpha, dom)  # fmt: skip
