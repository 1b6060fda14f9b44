"""Everyday verbs beyond means: the design-based variance (R ``svyvar``) and the two-group t test
(R ``svyttest``), on Taylor and replicate designs.

Both are functions of weighted totals, so on a replicate design each replicate's value comes from
one matrix product ``W_rep.T @ Y`` (:func:`surveykit.design.replicate.replicate_totals`), as
R recomputes them with each replicate's weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from surveykit.design.replicate import is_replicate, replicate_variance
from surveykit.errors import DataError
from surveykit.estimate import support as _ci
from surveykit.estimate.core import _ci_crit, _ci_label, _moments, _numeric_matrix, _result, _setup
from surveykit.estimate.result import Estimate
from surveykit.results import Printable, Summary

if TYPE_CHECKING:
    from surveykit.survey import Survey

__all__ = ["var", "ttest", "TTest"]


def _complete(svy: Survey, names: list[str], values: np.ndarray, na: str, verb: str) -> Survey:
    """*svy*, restricted to the rows where every one of *values* is present when some are
    missing (``na="drop"``, R ``na.rm=TRUE``); ``na="fail"`` raises on a missing value."""
    _ci.check_choice("na", na, _ci.NA_POLICIES)
    active = svy.resolved.weights > 0
    missing = np.isnan(values).any(axis=1) & active
    if not missing.any():
        return svy
    if na == "fail":
        for name in names:
            _ci.check_na(svy, name, active, na, verb)
    return svy.domain(~missing)


def var(
    svy: Survey,
    variables: str | Sequence[str],
    *,
    na: Literal["fail", "drop"] = "fail",
    include_missing: bool = False,
    alpha: float = 0.05,
) -> Estimate:
    """Design-based population variance (and covariances) of numeric variables, with SEs.

    Parameters
    ----------
    svy : Survey
    variables : str or sequence of str
        Numeric columns; with several, one row per pair (``variable``, ``level``) in R's
        column-major order of the covariance matrix.
    na : {"fail", "drop"}
        ``"drop"`` uses the rows where every variable is present (R ``na.rm=TRUE``).
    include_missing : bool
        Keep the instrument's user-missing codes as values.
    alpha : float
        Normal-quantile intervals of coverage ``1 - alpha`` (R ``confint``).

    Returns
    -------
    Estimate
        ``statistic="variance"``; ``deff`` is NaN.

    Notes
    -----
    R: ``svyvar(~x + y, design, na.rm=)``: ``n/(n-1) sum w (x - xbar)(y - ybar) / sum w`` with
    ``n`` the rows of weight > 0. Taylor designs: the SE is that of ``svymean`` of the centred
    products, the means held fixed (as R). Replicate designs: the whole statistic, means
    included, is recomputed with each replicate's weights (R ``svyvar.svyrep.design``).
    """
    _ci.check_options(include_missing=include_missing)
    _ci.check_alpha(alpha)
    names = _ci.as_names(variables)
    values = _numeric_matrix(svy, names, include_missing, "svyvar needs numeric variables.")
    sub = _complete(svy, names, values, na, "var")
    rd = sub.resolved
    active = rd.weights > 0
    x = np.where(active[:, None], values, 0.0)
    n = int(np.count_nonzero(active))
    if n < 2:
        raise DataError(f"var needs at least 2 rows with values; got {n}.")
    w = rd.weights
    xbar = (w @ x) / w.sum()
    dev = np.where(active[:, None], x - xbar, 0.0)
    p = len(names)
    ia, ib = np.repeat(np.arange(p), p), np.tile(np.arange(p), p)
    prods = dev[:, ia] * dev[:, ib] * (n / (n - 1))
    rd_, dom = _setup(sub, None, "fail", alpha)
    lay = _ci.layout(dom, None, p * p, rd_)
    cols = _moments(lay, rd_, prods, "mean", False)
    if is_replicate(rd):
        cols["se"] = np.sqrt(replicate_variance(_replicate_cov(rd, x, active, n, ia, ib), rd, cols["estimate"]))
    est, se = cols["estimate"], cols["se"]
    t = _ci_crit(alpha, None, cols["df"], default_design=False)
    cols.update(ci_low=est - t * se, ci_high=est + t * se)
    keys = (tuple(names[i] for i in ia), tuple(names[j] for j in ib), (None,) * (p * p))
    method = "Taylor linearisation (svymean of centred products, means fixed)"
    return _result(sub, "variance", keys, (None,) * (p * p), cols, method, _ci_label(None, False), alpha, dom)


def _replicate_cov(rd: Any, x: np.ndarray, active: np.ndarray, n: int, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """``(R, p*p)`` replicate covariances ``n/(n-1) (S_xy/S_1 - S_x S_y / S_1^2)`` from one product."""
    p = x.shape[1]
    prod = x[:, ia] * x[:, ib]
    tot = rd.repweights.T @ np.column_stack([active.astype(float), x, prod])  # (R, 1 + p + p*p)
    s1, sx, sxy = tot[:, :1], tot[:, 1 : 1 + p], tot[:, 1 + p :]
    with np.errstate(all="ignore"):
        mean = sx / s1
        return (n / (n - 1)) * (sxy / s1 - mean[:, ia] * mean[:, ib])


def _one_sample(svy: Survey, variable: str, y: np.ndarray, na: str, include_missing: bool, alpha: float) -> TTest:
    """R ``svyttest(y ~ 0)``: ``t = mean / se`` on ``degf - 1`` df."""
    from scipy import special

    sub = _complete(svy, [variable], y[:, None], na, "ttest")
    m = sub.mean(variable, include_missing=include_missing, deff=False)
    est, se = float(m.estimate[0]), float(m.se[0])
    df = float(sub.resolved.degf - 1)
    t = est / se
    p = float(2 * special.stdtr(df, -abs(t))) if df > 0 else float("nan")
    crit = float(_ci.crit(alpha, df))
    return TTest(variable, None, (None, None), (float("nan"), est), est, se, float(t), df, p, est - crit * se,
                 est + crit * se, float(alpha), m.method + "; one-sample test of mean 0")  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class TTest(Printable):
    """A design-based t test (R ``svyttest``): ``difference`` is the mean in the second group
    (``levels[1]``) minus the mean in the first, as R's coefficient of the group; for the
    one-sample test (``group`` None) the mean itself."""

    variable: str
    group: str | None
    levels: tuple[Any, Any]
    means: tuple[float, float]
    difference: float
    se: float
    t: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "variable": self.variable, "group": self.group, "contrast": "mean - 0" if self.group is None else f"{self.levels[1]} - {self.levels[0]}",
            "difference": self.difference, "se": self.se, "t": self.t, "df": self.df, "p_value": self.p_value,
            "ci_low": self.ci_low, "ci_high": self.ci_high,
        }])  # fmt: skip

    def summary(self) -> Summary:
        facts: tuple[tuple[str, str], ...] = (
            ("method", self.method),
            ("interval", f"{100 * (1 - self.alpha):g}% t, df={self.df:g}"),
        )
        if self.group is not None:
            facts += (("group means", f"{self.levels[0]}: {self.means[0]:.6g}; {self.levels[1]}: {self.means[1]:.6g}"),)
        title = "Design-based t-test" if self.group is not None else "Design-based one-sample t-test"
        return Summary(title=title, facts=facts, table=self.to_frame())


def ttest(
    svy: Survey,
    variable: str,
    by: str | None = None,
    *,
    na: Literal["fail", "drop"] = "drop",
    include_missing: bool = False,
    alpha: float = 0.05,
) -> TTest:
    """Design-based t test of the difference in means between the two groups of *by*.

    Parameters
    ----------
    svy : Survey
    variable : str
        Numeric outcome.
    by : str, optional
        Grouping column with exactly two values among the rows used (sorted: the difference is
        second minus first, as R's coefficient of a factor or of a 0/1 or 1/2 variable).
        ``None``: the one-sample test of mean 0 (R ``svyttest(y ~ 0)``; ``difference`` is the
        mean).
    na : {"drop", "fail"}
        ``"drop"`` (default, as R's ``svyglm`` ``na.omit``) uses the rows with both values.
    include_missing : bool
        Keep the instrument's user-missing codes as values.
    alpha : float
        Coverage of the interval is ``1 - alpha``.

    Returns
    -------
    TTest

    Notes
    -----
    R: ``svyttest(y ~ g, design)``: the coefficient of ``g`` in ``svyglm(y ~ g, design)`` (the
    difference of the two domain means), its SE, ``t = difference / se``, ``df = degf - 1``
    (``svyglm``'s residual df, ``degf`` of the rows used) and the two-sided t p-value. On a
    Taylor design the SE is the linearisation of the regression coefficient, identical to that of
    the difference of domain means; on a replicate design it is the replicate variance of the
    difference recomputed with each replicate's weights (R refits ``svyglm`` per replicate,
    whose closed form this is).
    """
    from scipy import special

    _ci.check_options(include_missing=include_missing)
    _ci.check_alpha(alpha)
    y = _numeric_matrix(svy, [variable], include_missing, "svyttest needs a numeric outcome.")[:, 0]
    if by is None:
        return _one_sample(svy, variable, y, na, include_missing, alpha)
    group = svy.valid_column(by) if not include_missing else svy.column(by)
    g_missing = pd.isna(group).to_numpy()
    sub = _complete(svy, [variable, by], np.column_stack([y, np.where(g_missing, np.nan, 0.0)]), na, "ttest")
    rd = sub.resolved
    active = rd.weights > 0
    levels = sorted(pd.unique(group[active & ~g_missing]).tolist())
    if len(levels) != 2:
        raise DataError(f"by {by!r} must have exactly two groups among the rows used (R: 'group must be binary'); "
                        f"got {len(levels)}: {levels[:6]!r}. Recode it, or restrict the survey with domain().")  # fmt: skip
    second = (group.to_numpy() == levels[1]) & active
    first = (group.to_numpy() == levels[0]) & active
    w = rd.weights
    yy = np.where(active, y, 0.0)
    n1, n0 = w[second].sum(), w[first].sum()
    m1, m0 = (w * yy)[second].sum() / n1, (w * yy)[first].sum() / n0
    diff = m1 - m0
    if is_replicate(rd):
        tot = rd.repweights.T @ np.column_stack([second * 1.0, first * 1.0, yy * second, yy * first])
        with np.errstate(all="ignore"):
            reps = tot[:, 2] / tot[:, 0] - tot[:, 3] / tot[:, 1]
        se = float(np.sqrt(replicate_variance(reps[:, None], rd, np.array([diff]))[0]))
        method = f"replicate weights ({rd.type}, {rd.n_replicates} replicates)"
    else:
        from surveykit.design.variance import design_vcov

        u = np.where(second, w * (yy - m1) / n1, 0.0) - np.where(first, w * (yy - m0) / n0, 0.0)
        se = float(np.sqrt(design_vcov(u, rd)[0, 0]))
        method = "Taylor linearisation (svyglm coefficient)"
    df = float(rd.degf - 1)
    t = diff / se
    p = float(2 * special.stdtr(df, -abs(t))) if df > 0 else float("nan")
    crit = float(_ci.crit(alpha, df))
    return TTest(variable, by, (levels[0], levels[1]), (float(m0), float(m1)), float(diff), se, float(t), df, p,
                 diff - crit * se, diff + crit * se, float(alpha), method)  # fmt: skip
