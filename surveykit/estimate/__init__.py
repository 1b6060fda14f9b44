"""Design-based estimates: mean, total, proportion, ratio and quantile, overall or by domain.

Each verb takes a :class:`~surveykit.survey.Survey` first and returns an :class:`Estimate`.
Variances are Taylor linearisation through :func:`surveykit.design.variance.cells_vcov` (R
``survey::svyrecvar``); every domain and variable is one result column, and since a row is in
at most one domain, the PSU totals of all columns come from one ``bincount`` whatever the number
of domains (:class:`surveykit.estimate.support.Layout`). One variable without domains or missing values, the
common case, is plain sums over the rows. Everything stays vectorised over rows; at 1e6 rows a
mean with SE and design effect takes a few milliseconds (``benchmarks/bench_estimate.py``).

Conventions (all as R ``survey`` 4.1, checked against ``tests/golden/estimate.json``):

* **Domains** (``by=``, or a :meth:`Survey.domain`) keep the whole design: rows outside get
  weight 0, PSU counts per stratum come from the full sample (R ``svyby``/``subset``).
* **Missing values.** ``na="fail"`` (default) raises on a missing value in the estimand.
  ``na="drop"`` is R's ``na.rm=TRUE``: R subsets the design to the answered rows, but keeps each
  stratum's full-sample PSU count and pads absent PSUs with zeros, which is exactly a domain
  estimate over the answered rows; that is what is computed here. User-missing codes of the
  Survey's instrument (e.g. 9 = don't know) are always left out of the estimand unless
  ``include_missing=True``.
* **Degrees of freedom.** The ``df`` column is R ``degf()`` of the domain: first-stage PSUs
  minus strata among its rows with weight > 0. Means, totals and ratios use the normal quantile
  for their interval (R ``confint.svystat``); proportions and quantiles use the t quantile with
  ``df`` (R ``svyciprop``, ``svyquantile``). ``ci_df=`` overrides either.
* **Empty domains.** A domain where every value is missing (``na="drop"``) has ``n = 0``:
  its ``se``, ``deff``, ``cv`` and interval are NaN (the estimate is NaN, a total 0) and one
  :class:`~surveykit.errors.ReliabilityWarning` names those domains. R ``svyby`` stops with an
  error there.
* **Design effects.** ``deff=True`` is R ``deff=TRUE`` (variance over that of simple random
  sampling *without* replacement of the same n from the estimated N); ``deff="replace"`` is R
  ``deff="replace"`` (SRS with replacement). Both use the weighted element variance with R's
  ``n/(n-1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from surveykit.design.replicate import is_replicate, replicate_thetas, replicate_variance
from surveykit.errors import DataError, DesignError
from surveykit.estimate import support as _ci
from surveykit.estimate.core import (
    _FIX_NUMERIC,
    DeffKind,
    _answered,
    _ci_crit,
    _ci_label,
    _keys,
    _labels,
    _linear,
    _numeric_matrix,
    _result,
    _se_deff,
    _setup,
)  # fmt: skip
from surveykit.estimate.quantiles import QUANTILE_INTERVALS, quantile
from surveykit.estimate.result import COLUMNS, Estimate  # noqa: F401  (COLUMNS re-exported)

if TYPE_CHECKING:
    from surveykit.survey import Survey

__all__ = ["Estimate", "mean", "total", "proportion", "ratio", "quantile", "PROPORTION_METHODS", "QUANTILE_INTERVALS"]

PROPORTION_METHODS = _ci.PROPORTION_METHODS


# --- public verbs --------------------------------------------------------------------------


def mean(
    svy: Survey,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    na: Literal["fail", "drop"] = "fail",
    include_missing: bool = False,
    deff: DeffKind = True,
    alpha: float = 0.05,
    ci_df: float | Literal["design"] | None = None,
) -> Estimate:
    """Design-based mean of each variable, overall or in each domain of *by*.

    Parameters
    ----------
    svy : Survey
    variables : str or sequence of str
        Numeric (or boolean) columns.
    by : str or sequence of str, optional
        Domain columns; one row per observed combination, sorted (rows with a missing *by*
        value belong to no domain).
    na : {"fail", "drop"}
        ``"drop"`` leaves missing values out of the estimand and keeps the design (R ``na.rm=TRUE``).
    include_missing : bool
        Keep the instrument's user-missing codes as values.
    deff : bool or "replace"
        Design effect against SRS without (``True``) or with (``"replace"``) replacement.
    alpha : float
        Intervals have coverage ``1 - alpha``.
    ci_df : float, "design" or None
        Degrees of freedom of the interval's quantile; ``None`` is R's normal quantile.

    Returns
    -------
    Estimate

    Notes
    -----
    R: ``svymean(~y, design, deff=, na.rm=)``, by domain ``svyby(~y, ~g, design, svymean)``,
    interval ``confint()`` (normal quantile). Linearisation ``u_i = w_i (y_i - ybar) / sum(w)``.

    Examples
    --------
    >>> import pandas as pd, surveykit as sk
    >>> svy = sk.Survey(pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0]}))
    >>> round(float(svy.mean("y").estimate[0]), 6), round(float(svy.mean("y").se[0]), 6)
    (3.0, 1.080123)
    """
    _ci.check_options(deff, ci_df, include_missing)
    names = _ci.as_names(variables)
    values = _numeric_matrix(svy, names, include_missing, _FIX_NUMERIC)
    return _linear(svy, values, names, "mean", by, na, deff, alpha, ci_df)[0]


def total(
    svy: Survey,
    variables: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    na: Literal["fail", "drop"] = "fail",
    include_missing: bool = False,
    deff: DeffKind = True,
    alpha: float = 0.05,
    ci_df: float | Literal["design"] | None = None,
) -> Estimate:
    """Design-based total (sum of weight x value) of each variable, overall or by domain.

    Parameters are those of :func:`mean`.

    Returns
    -------
    Estimate

    Notes
    -----
    R: ``svytotal(~y, design, deff=, na.rm=)`` and ``svyby(..., svytotal)``; normal-quantile
    interval as ``confint()``. Linearisation ``u_i = w_i y_i``.
    """
    _ci.check_options(deff, ci_df, include_missing)
    names = _ci.as_names(variables)
    values = _numeric_matrix(svy, names, include_missing, _FIX_NUMERIC)
    return _linear(svy, values, names, "total", by, na, deff, alpha, ci_df)[0]


def proportion(
    svy: Survey,
    variables: str | Sequence[str],
    *,
    level: Any = None,
    by: str | Sequence[str] | None = None,
    ci_method: str = "logit",
    na: Literal["fail", "drop"] = "fail",
    include_missing: bool = False,
    deff: DeffKind = True,
    alpha: float = 0.05,
    ci_df: float | Literal["design"] | None = None,
) -> Estimate:
    """Proportion in a category, with an interval suited to proportions.

    Parameters
    ----------
    svy : Survey
    variables : str or sequence of str
        A 0/1 or boolean column (the share of 1), or a categorical one (one row per level).
    level : optional
        Only this level of a categorical column. It must be a value of the column (a category
        of a pandas Categorical); a numeric string names the equal value of a numeric column
        (``level="2"`` is ``2``), nothing else is converted. Otherwise a DataError lists the
        values (user-missing codes only with ``include_missing=True``).
    ci_method : {"logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson", "wald"}
        The six methods of R ``svyciprop`` plus two extras: ``"wilson"`` (Wilson score interval on
        the effective sample size ``p(1-p)/se^2``, with the design-df t quantile) and ``"wald"``
        (``p -/+ z se``, normal quantile, as ``confint(svymean(...))``).
    by, na, include_missing, deff, alpha, ci_df
        As :func:`mean`; ``ci_df=None`` means the design df (R ``svyciprop``'s ``df=degf(design)``).

    Returns
    -------
    Estimate

    Notes
    -----
    R: ``svyciprop(~I(y == level), design, method=)``; ``se`` and ``deff`` are those of
    ``svymean`` of the indicator. "logit" is R's quasibinomial ``svyglm`` Wald interval, which for
    an intercept-only model is the delta method on ``logit(p)`` (identical to "xlogit" up to R's
    IRLS convergence). "likelihood" solves the profile-likelihood equation exactly where R
    interpolates a spline through the profile. "beta" is Korn and Graubard (1998) with R's
    df-adjusted effective n, using the domain's row count (``nrow(design)``).
    """
    _ci.check_choice("ci_method", ci_method, PROPORTION_METHODS)
    _ci.check_options(deff, ci_df, include_missing)
    names = _ci.as_names(variables)
    parts = [_ci.indicator_columns(svy, v, level, include_missing) for v in names]
    values = np.column_stack([p[0] for p in parts])
    levels = [p[1] for p in parts]
    cols_names = [v for v, lv in zip(names, levels) for _ in lv]
    res, dom, valid = _linear(svy, values, cols_names, "proportion", by, na, deff, alpha, ci_df, final=False)
    rd = svy.resolved
    if valid is None:  # every domain row answered: the domain's rows are the estimand's
        n_rows, df, w_dom = res.n.astype(float), res.df, res.weighted_n
    else:
        member = _ci.layout(dom, None, values.shape[1], rd)  # domain rows, answered or not
        n_rows, df = member.counts(rd)
        n_rows, w_dom = n_rows.astype(float), member.sum(rd.weights)
    t_df = df if ci_df in (None, "design") else np.full(df.shape, float(ci_df))
    n_glm = res.n.astype(float)
    w_glm = n_rows * res.weighted_n / w_dom  # sum of R svyglm's mean-1 rescaled weights
    se_ci = res.se
    if is_replicate(rd):
        se_ci = _replicate_ci_se(ci_method, rd, _ci.layout(dom, valid, values.shape[1], rd), values, res)
    low, high = _ci.proportion_ci(ci_method, res.estimate, se_ci, alpha, t_df, n_rows, n_glm, w_glm)
    keys = _keys(names, levels, dom)
    cols = {c: getattr(res, c) for c in ("estimate", "se", "deff", "n", "weighted_n")}
    cols.update(ci_low=low, ci_high=high, df=df)
    label = "normal" if ci_method == "wald" else _ci_label(ci_df, True)
    return _result(svy, "proportion", keys, _labels(svy, names, levels, dom.k), cols,
                   "Taylor linearisation (mean of indicator)", f"{ci_method} ({label})", alpha, dom)  # fmt: skip


def _replicate_ci_se(ci_method: str, rd: Any, lay: _ci.Layout, values: np.ndarray, res: Estimate) -> np.ndarray:
    """The SE the proportion interval uses on a replicate design. R's "logit" interval comes from
    ``svyglm`` refitted on each replicate: the replicate variance of ``logit(p_r)``, returned
    here on the ``p`` scale (times ``p (1 - p)``) for :func:`~surveykit.estimate.intervals.proportion_ci`.
    R's "likelihood" interval is NA on replicate designs; it is refused."""
    if ci_method == "likelihood":
        raise DesignError(
            'ci_method="likelihood" is not available on replicate-weight designs (R svyciprop returns NA '
            'there). Use "logit" (replicate refits, as R), "xlogit", "beta", "asin" or "mean".'
        )
    if ci_method != "logit":
        return res.se
    p = res.estimate
    with np.errstate(all="ignore"):
        thetas = replicate_thetas(lay, rd, values)
        eta = np.log(thetas / (1 - thetas))
        se_eta = np.sqrt(replicate_variance(eta, rd, np.log(p / (1 - p))))
        return se_eta * p * (1 - p)


def ratio(
    svy: Survey,
    numerator: str | Sequence[str],
    denominator: str,
    *,
    by: str | Sequence[str] | None = None,
    na: Literal["fail", "drop"] = "fail",
    include_missing: bool = False,
    deff: DeffKind = True,
    alpha: float = 0.05,
    ci_df: float | Literal["design"] | None = None,
) -> Estimate:
    """Ratio of totals ``sum(w y) / sum(w x)`` for each numerator, overall or by domain.

    Parameters
    ----------
    numerator : str or sequence of str
    denominator : str
    by, na, include_missing, deff, alpha, ci_df
        As :func:`mean`; ``na="drop"`` drops rows missing in either variable.

    Returns
    -------
    Estimate
        ``variable`` is ``"y/x"``.

    Notes
    -----
    R: ``svyratio(~y, ~x, design, deff=)``, ``svyby(~y, ~g, design, svyratio, denominator=~x)``;
    linearisation ``u_i = w_i (y_i - R x_i) / sum(w x)``; normal-quantile interval.
    """
    _ci.check_options(deff, ci_df, include_missing)
    nums = _ci.as_names(numerator, "numerator")
    den = _ci.as_names(denominator, "denominator")
    if len(den) != 1:
        raise DataError(f"denominator must be one column name; got {denominator!r}.")
    rd, dom = _setup(svy, by, na, alpha)
    y = _numeric_matrix(svy, nums, include_missing, "Ratios need numeric variables.")
    x = _numeric_matrix(svy, den, include_missing, "Ratios need numeric variables.")
    valid = _answered(svy, nums + den, np.where(np.isnan(x), np.nan, y), dom, na, "ratio")  # NaN in either
    lay = _ci.layout(dom, valid, len(nums), rd)
    w = rd.weights
    n, df = lay.counts(rd)
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        tx = lay.sum(w[:, None] * x)
        if np.any((tx == 0) & (n > 0)):  # a domain with no answered rows gets NaN (and a warning)
            raise DataError(f"denominator {den[0]!r} must have a non-zero weighted total in every domain; got 0.")
        est = lay.sum(w[:, None] * y) / tx
        z = (y - lay.spread(est) * x) / lay.spread(tx)
    big_n = lay.sum(w)
    se, de = _se_deff(lay, w, z, None, rd, deff, big_n, n, (y, x, True, est))
    t = _ci_crit(alpha, ci_df, df, default_design=False)
    cols = dict(estimate=est, se=se, ci_low=est - t * se, ci_high=est + t * se, df=df, deff=de,
                n=n, weighted_n=big_n)  # fmt: skip
    names = [f"{v}/{den[0]}" for v in nums]
    levels = [[None]] * len(names)
    return _result(svy, "ratio", _keys(names, levels, dom), _labels(svy, names, levels, dom.k), cols,
                   "Taylor linearisation (ratio)", _ci_label(ci_df, False), alpha, dom)  # fmt: skip
