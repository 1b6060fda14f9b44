"""Quantiles of :mod:`surveykit.estimate`: :func:`quantile` with Woodruff intervals (R
``svyquantile(..., qrule="math", interval.type="mean"|"beta"|"xlogit"|"asin")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from surveykit.design.replicate import ResolvedReplicate, is_replicate, replicate_variance
from surveykit.errors import DesignError
from surveykit.estimate import support as _ci
from surveykit.estimate.core import _answered, _keys, _numeric_matrix, _result, _se_deff, _setup
from surveykit.estimate.result import Estimate

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey

QUANTILE_INTERVALS: tuple[str, ...] = ("mean", "beta", "xlogit", "asin", "quantile")


def _replicate_quantiles(rd: ResolvedReplicate, x: np.ndarray, cdfs: list[_ci.WeightedCdf], probs: np.ndarray,
                         est: np.ndarray, alpha: float, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """R ``repCI`` (``interval.type="quantile"``): the quantile recomputed with each replicate's
    weights (rows of weight 0 dropped, as ``qrule_math``), then ``qhat -/+ t_df sqrt(svrVar)``.
    *est* is ``(k, m)``, domains x probabilities."""
    k, m = est.shape
    reps = np.empty((rd.n_replicates, k * m))
    for r in range(rd.n_replicates):  # loop over replicates: one cumulative sum per domain each
        wr = rd.repweights[:, r]
        reps[r] = np.concatenate([_ci.WeightedCdf(c.rows[wr[c.rows] != 0], x, wr).quantile(probs) for c in cdfs])
    half = np.sqrt(replicate_variance(reps, rd, est.reshape(-1))).reshape(k, m) * _ci.crit(alpha, df)[:, None]
    return est - half, est + half


def _woodruff(rd: ResolvedDesign, x: np.ndarray, dom: _ci.Domains, qhat: np.ndarray, interval: str,
              alpha: float, df: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Limits of the share below each quantile (R ``woodruffCI``): ``(k, m)`` arrays.

    *dom* holds the rows with a value; *qhat* is ``(k, m)``, domains x probabilities; *df* and
    *n* are per domain. Result column ``j * k + d`` is probability *j* in domain *d*.
    """
    k, m = qhat.shape
    w = rd.weights
    lay = _ci.layout(dom, None, m, rd)
    n_col = lay.sum(w)  # summed as the numerator below, so that an all-below share is exactly 1
    ind = x[:, None] <= lay.spread(qhat.T.reshape(-1))
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        pm = lay.sum(w[:, None] * ind) / n_col
        z = (ind - lay.spread(pm)) / lay.spread(n_col)
    se, _ = _se_deff(lay, w, z, None, rd, False, n_col, np.tile(n, m), (ind.astype(float), None, True, pm))
    n_rows, dfr = np.tile(n, m).astype(float), np.tile(df, m)
    if interval == "mean":
        t = _ci.crit(alpha, dfr)
        low, high = pm - t * se, pm + t * se
    else:
        low, high = _ci.proportion_ci(interval, pm, se, alpha, dfr, n_rows, n_rows, n_rows)
    return low.reshape(m, k).T, high.reshape(m, k).T


def _quantile_one(rd: ResolvedDesign, x: np.ndarray, dom: _ci.Domains, probs: np.ndarray, interval: str,
                  alpha: float, missing: bool) -> dict[str, np.ndarray]:  # fmt: skip
    """Quantiles of one variable in every domain, columns ordered probability-major then domain."""
    if missing:  # rows without a value leave every domain
        codes = np.where(np.isnan(x), -1, 0 if dom.codes is None else dom.codes)
        dom = _ci.Domains(codes, dom.keys, dom.by, False)
    w = rd.weights
    lay = _ci.layout(dom, None, 1, rd)
    n, df = lay.counts(rd)
    big_n = lay.sum(w)
    cdfs = _ci.domain_cdfs(x, w, dom.codes, dom.k)
    est = np.array([c.quantile(probs) for c in cdfs]).reshape(dom.k, probs.size)  # loop over domains
    if interval == "quantile":
        assert is_replicate(rd)  # interval="quantile" is refused on Taylor designs before this
        low, high = _replicate_quantiles(rd, x, cdfs, probs, est, alpha, df)
    else:
        p_low, p_high = _woodruff(rd, x, dom, est, interval, alpha, df, n)
        low = np.array([c.quantile(p) for c, p in zip(cdfs, p_low)]).reshape(est.shape)
        high = np.array([c.quantile(p) for c, p in zip(cdfs, p_high)]).reshape(est.shape)
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
    interval : {"mean", "beta", "xlogit", "asin", "quantile"}
        How the interval for the share below the quantile is formed before inverting it
        (R ``interval.type``; default ``"mean"``: ``p -/+ t_df se``). ``"quantile"`` (replicate
        designs only, R ``repCI``): the quantile recomputed with each replicate's weights,
        ``q -/+ t_df sqrt(replicate variance)``.
    by, na, include_missing, alpha
        As :func:`mean`.

    Returns
    -------
    Estimate
        ``se`` is R's ``(ci_high - ci_low) / (2 t_df)``; ``deff`` is NaN.

    Notes
    -----
    R 4.1: ``svyquantile(~y, design, quantiles=, ci=TRUE, interval.type=, qrule="math")``.
    The estimate is the smallest value whose weighted CDF reaches *p* (``qrule_math``; as R, a
    *p* below the first weight gives the second-smallest value). The interval is Woodruff's:
    a CI for ``mean(y <= q)`` with the design df (after dropping missing values), mapped back
    through the same rule; a limit outside [0, 1] gives NaN as in R. R's ``"score"`` interval
    (Francisco and Fuller) is not implemented.

    On a replicate design the share's SE is the replicate one. R 4.1-1's
    ``svyquantile.svyrep.design`` does not pass ``interval.type`` on to ``woodruffCI`` and so
    always forms the "mean" interval; here "beta", "xlogit" and "asin" are what they say
    (checked against R's ``woodruffCI`` called with ``method=``).
    """
    _ci.check_choice("interval", interval, QUANTILE_INTERVALS)
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
        parts.append(_quantile_one(rd, values[:, j], dom, plist, interval, alpha, missing))
    cols = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    levels = [plist.tolist()] * len(names)
    labels = tuple(lab for name in names for lab in [svy.variable_label(name)] * (len(plist) * dom.k))
    return _result(svy, "quantile", _keys(names, levels, dom), labels, cols,
                   "weighted CDF inverse (R qrule='math')", f"Woodruff, {interval} (t, design df)", alpha, dom)  # fmt: skip
