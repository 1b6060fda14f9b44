"""Design-based estimates: mean, total, proportion, ratio and quantile, overall or by domain.

Each verb takes a :class:`~surveykit.survey.Survey` first and returns an :class:`Estimate`.
Variances are Taylor linearisation through :func:`surveykit._variance.design_vcov` (R
``survey::svyrecvar``); every domain and variable is one column of the influence matrix, so a
call makes one kernel pass whatever the number of domains.

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
* **Design effects.** ``deff=True`` is R ``deff=TRUE`` (variance over that of simple random
  sampling *without* replacement of the same n from the estimated N); ``deff="replace"`` is R
  ``deff="replace"`` (SRS with replacement). Both use the weighted element variance with R's
  ``n/(n-1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from surveykit import _ci
from surveykit._variance import design_vcov
from surveykit.errors import DataError
from surveykit.results import Summary, frame_records, jsonable

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey

__all__ = ["Estimate", "mean", "total", "proportion", "ratio", "quantile", "PROPORTION_METHODS", "QUANTILE_INTERVALS"]

PROPORTION_METHODS = _ci.PROPORTION_METHODS
QUANTILE_INTERVALS: tuple[str, ...] = ("mean", "beta", "xlogit", "asin")
DeffKind = bool | Literal["replace"]
COLUMNS: tuple[str, ...] = (
    "variable", "domain", "level", "label", "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n",
    "weighted_n",
)  # fmt: skip
_NUMERIC = COLUMNS[4:]


@dataclass(frozen=True, slots=True, eq=False)
class Estimate:
    """Design-based estimates, one row per variable x level x domain.

    Attributes
    ----------
    statistic : str
        ``"mean"``, ``"total"``, ``"proportion"``, ``"ratio"`` or ``"quantile"``.
    variable, domain, level, label : tuple
        Row keys. ``domain`` is ``None`` without ``by=`` (a tuple for several ``by`` columns);
        ``level`` is the category of a proportion, the probability of a quantile, or ``None``.
    estimate, se, ci_low, ci_high, df, deff, cv, n, weighted_n : numpy.ndarray
        Read-only columns. ``n`` is unweighted (rows in the estimand), ``weighted_n`` the sum
        of their weights; ``deff`` is NaN where not defined (quantiles, ``deff=False``).
    method, ci_method : str
        How the estimate and its interval were made.
    alpha : float
        ``1 - alpha`` is the interval's coverage.
    n_strata, n_psu : int
        First-stage strata and PSUs of the full design.
    by : tuple of str
        Domain columns.
    """

    statistic: str
    variable: tuple[str, ...]
    domain: tuple[Any, ...]
    level: tuple[Any, ...]
    label: tuple[str | None, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: np.ndarray
    deff: np.ndarray
    cv: np.ndarray
    n: np.ndarray
    weighted_n: np.ndarray
    method: str
    ci_method: str
    alpha: float
    n_strata: int
    n_psu: int
    by: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in _NUMERIC:
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return len(self.variable)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame with columns ``variable, domain, level, label, estimate, se, ci_low, ci_high,
        df, deff, cv, n, weighted_n``."""
        data: dict[str, Any] = {c: list(getattr(self, c)) for c in COLUMNS[:4]}
        data.update({c: np.array(getattr(self, c)) for c in _NUMERIC})
        frame = pd.DataFrame(data, columns=list(COLUMNS))
        frame["n"] = frame["n"].astype(np.int64)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description: how it was made and one record per row."""
        meta = {
            "statistic": self.statistic, "method": self.method, "ci_method": self.ci_method,
            "alpha": self.alpha, "n_strata": self.n_strata, "n_psu": self.n_psu, "by": list(self.by),
            "notes": list(self.notes),
        }  # fmt: skip
        return jsonable({**meta, "rows": frame_records(self.to_frame())})

    def summary(self) -> Summary:
        """Printable summary (text and HTML)."""
        level = f"{100 * (1 - self.alpha):g}%"
        facts = (
            ("method", self.method),
            ("interval", f"{level} {self.ci_method}"),
            ("design", f"{self.n_strata} strata, {self.n_psu} PSUs"),
        )
        if self.by:
            facts += (("domains", ", ".join(self.by)),)
        frame = self.to_frame()
        keep = [c for c in COLUMNS if c not in ("label",) or frame[c].notna().any()]
        keep = [c for c in keep if c != "domain" or self.by]
        keep = [c for c in keep if c != "level" or frame["level"].notna().any()]
        return Summary(title=f"Survey {self.statistic}", facts=facts, table=frame[keep], notes=self.notes)


# --- shared machinery ----------------------------------------------------------------------


def _setup(svy: Survey, by: str | Sequence[str] | None, na: str, alpha: float) -> tuple[ResolvedDesign, _ci.Domains]:
    _ci.check_choice("na", na, _ci.NA_POLICIES)
    _ci.check_alpha(alpha)
    rd = svy.resolved
    return rd, _ci.domains(svy, by, rd.weights)


def _se_deff(cell: np.ndarray, w: np.ndarray, z: np.ndarray, rd: ResolvedDesign, deff: DeffKind,
             m: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Design SE of ``sum(w z)`` in each result column and its design effect (R ``deff=``).

    *z* is the per-row (unweighted) linearisation value, ``(n, p)`` aligned with *cell*.
    """
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        wz = w[:, None] * z
    se = np.sqrt(np.clip(np.diag(design_vcov(_ci.dense(cell, wz, m), rd)), 0, None))
    if deff is False:
        return se, np.full(se.shape, np.nan)
    big_n = _ci.bsum(cell, w[:, None], m)
    n = _ci.count(cell, m).astype(float)
    with np.errstate(all="ignore"):
        zbar = _ci.bsum(cell, wz, m) / big_n
        s2 = _ci.bsum(cell, w[:, None] * (z - _ci.spread(zbar, cell, m)) ** 2, m) / big_n * n / (n - 1)
        fac = 1.0 if deff == "replace" else np.where(big_n < n, np.nan, (big_n - n) / big_n)
        vsrs = big_n**2 * s2 * fac / n
        return se, se**2 / vsrs


def _df(rd: ResolvedDesign, cell: np.ndarray, m: int) -> np.ndarray:
    stage = rd.stages[0]
    return _ci.degf_cells(stage.psu, stage.psu_stratum, cell, m)


def _ci_crit(alpha: float, ci_df: float | Literal["design"] | None, df: np.ndarray, default_design: bool) -> np.ndarray:
    if ci_df is None:
        return _ci.crit(alpha, df if default_design else np.inf)
    if ci_df == "design":
        return _ci.crit(alpha, df)
    return _ci.crit(alpha, float(ci_df)) * np.ones_like(df)


def _ci_label(ci_df: float | Literal["design"] | None, default_design: bool) -> str:
    if ci_df is None:
        return "t, design df" if default_design else "normal"
    return "t, design df" if ci_df == "design" else ("normal" if np.isinf(float(ci_df)) else f"t, df={ci_df:g}")


def _keys(names: Sequence[str], levels: Sequence[Sequence[Any]], dom: _ci.Domains) -> tuple[tuple, tuple, tuple]:
    """Row keys for columns ordered variable, level, domain."""
    var, lev, dk = [], [], []
    for name, lvls in zip(names, levels):
        for lv in lvls:
            var += [name] * dom.k
            lev += [lv] * dom.k
            dk += list(dom.keys)
    return tuple(var), tuple(lev), tuple(dk)


def _labels(svy: Survey, names: Sequence[str], levels: Sequence[Sequence[Any]], k: int) -> tuple[str | None, ...]:
    out: list[str | None] = []
    for name, lvls in zip(names, levels):
        lab = _ci.value_labels(svy, name)
        for lv in lvls:
            out += [lab.get(lv) if lv is not None else None] * k
    return tuple(out)


def _result(svy: Survey, statistic: str, keys: tuple[tuple, tuple, tuple], labels: tuple, cols: dict[str, Any],
            method: str, ci_method: str, alpha: float, dom: _ci.Domains, notes: tuple[str, ...] = ()) -> Estimate:  # fmt: skip
    rd = svy.resolved
    with np.errstate(all="ignore"):
        cv = cols["se"] / cols["estimate"]
    return Estimate(
        statistic=statistic, variable=keys[0], domain=keys[2], level=keys[1], label=labels, cv=cv,
        method=method, ci_method=ci_method, alpha=float(alpha), n_strata=rd.n_strata, n_psu=rd.n_psu_total,
        by=dom.by, notes=notes, **cols,
    )  # fmt: skip


def _linear(svy: Survey, values: np.ndarray, names: list[str], kind: str, by: Any, na: str,
            deff: DeffKind, alpha: float, ci_df: Any) -> tuple[Estimate, _ci.Domains]:  # fmt: skip
    """Means or totals of the columns of *values* (``(n, p)``, NaN = missing) in every domain."""
    rd, dom = _setup(svy, by, na, alpha)
    w = rd.weights
    active = dom.codes >= 0
    for name in dict.fromkeys(names):
        _ci.check_na(svy, name, active, na, kind)
    m = values.shape[1] * dom.k
    valid = ~np.isnan(values)
    cell = _ci.cells(dom.codes, valid, dom.k)
    y = np.where(valid, values, 0.0)
    big_n = _ci.bsum(cell, w[:, None], m)
    est = _ci.bsum(cell, w[:, None] * y, m)
    with np.errstate(all="ignore"):
        if kind in ("mean", "proportion"):
            est = est / big_n
            z = (y - _ci.spread(est, cell, m)) / _ci.spread(big_n, cell, m)  # spare column: never summed
        else:
            z = y
    se, de = _se_deff(cell, w, z, rd, deff, m)
    df = _df(rd, cell, m)
    t = _ci_crit(alpha, ci_df, df, default_design=False)
    cols = dict(estimate=est, se=se, ci_low=est - t * se, ci_high=est + t * se, df=df, deff=de,
                n=_ci.count(cell, m), weighted_n=big_n)  # fmt: skip
    levels = [[None]] * len(names)
    res = _result(svy, kind, _keys(names, levels, dom), _labels(svy, names, levels, dom.k), cols,
                  f"Taylor linearisation ({kind})", _ci_label(ci_df, False), alpha, dom)  # fmt: skip
    return res, dom


def _numeric_matrix(svy: Survey, names: list[str], include_missing: bool, fix: str) -> np.ndarray:
    return np.column_stack([_ci.numeric_column(svy, v, include_missing, fix) for v in names])


_FIX_NUMERIC = "Use proportion() for a categorical variable, or recode the values."


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
        Only this level of a categorical column.
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
    names = _ci.as_names(variables)
    parts = [_ci.indicator_columns(svy, v, level, include_missing) for v in names]
    values = np.column_stack([p[0] for p in parts])
    levels = [p[1] for p in parts]
    cols_names = [v for v, lv in zip(names, levels) for _ in lv]
    res, dom = _linear(svy, values, cols_names, "proportion", by, na, deff, alpha, ci_df)
    rd = svy.resolved
    m = values.shape[1] * dom.k
    member = _ci.cells(dom.codes, np.ones(values.shape, bool), dom.k)  # domain rows, answered or not
    df = _df(rd, member, m)
    t_df = df if ci_df in (None, "design") else np.full(df.shape, float(ci_df))
    n_rows = _ci.count(member, m).astype(float)
    w_dom = _ci.bsum(member, rd.weights[:, None], m)
    n_glm = res.n.astype(float)
    w_glm = n_rows * res.weighted_n / w_dom  # sum of R svyglm's mean-1 rescaled weights
    low, high = _ci.proportion_ci(ci_method, res.estimate, res.se, alpha, t_df, n_rows, n_glm, w_glm)
    keys = _keys(names, levels, dom)
    cols = {c: getattr(res, c) for c in ("estimate", "se", "deff", "n", "weighted_n")}
    cols.update(ci_low=low, ci_high=high, df=df)
    label = "normal" if ci_method == "wald" else _ci_label(ci_df, True)
    return _result(svy, "proportion", keys, _labels(svy, names, levels, dom.k), cols,
                   "Taylor linearisation (mean of indicator)", f"{ci_method} ({label})", alpha, dom)  # fmt: skip


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
    nums = _ci.as_names(numerator, "numerator")
    den = _ci.as_names(denominator, "denominator")
    if len(den) != 1:
        raise DataError(f"denominator must be one column name; got {denominator!r}.")
    rd, dom = _setup(svy, by, na, alpha)
    y = _numeric_matrix(svy, nums, include_missing, "Ratios need numeric variables.")
    x = _numeric_matrix(svy, den, include_missing, "Ratios need numeric variables.")
    active = dom.codes >= 0
    for name in nums + den:
        _ci.check_na(svy, name, active, na, "ratio")
    m = len(nums) * dom.k
    w = rd.weights[:, None]
    cell = _ci.cells(dom.codes, ~np.isnan(y) & ~np.isnan(x), dom.k)
    yy, xx = np.nan_to_num(y), np.nan_to_num(x)
    tx = _ci.bsum(cell, w * xx, m)
    if np.any(tx == 0):
        raise DataError(f"denominator {den[0]!r} must have a non-zero weighted total in every domain; got 0.")
    est = _ci.bsum(cell, w * yy, m) / tx
    with np.errstate(all="ignore"):
        z = (yy - _ci.spread(est, cell, m) * xx) / _ci.spread(tx, cell, m)
    se, de = _se_deff(cell, rd.weights, z, rd, deff, m)
    df = _df(rd, cell, m)
    t = _ci_crit(alpha, ci_df, df, default_design=False)
    cols = dict(estimate=est, se=se, ci_low=est - t * se, ci_high=est + t * se, df=df, deff=de,
                n=_ci.count(cell, m), weighted_n=_ci.bsum(cell, w, m))  # fmt: skip
    names = [f"{v}/{den[0]}" for v in nums]
    levels = [[None]] * len(names)
    return _result(svy, "ratio", _keys(names, levels, dom), _labels(svy, names, levels, dom.k), cols,
                   "Taylor linearisation (ratio)", _ci_label(ci_df, False), alpha, dom)  # fmt: skip


def _sorted_cdf(xs: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Sorted values *xs* with their cumulative weights and total, accumulated in extended
    precision as R's ``cumsum()``/``sum()`` do (so ties such as ``cumw == p * sum(w)`` under
    equal weights resolve as in R)."""
    cum = np.cumsum(w.astype(np.longdouble))
    total = float(cum[-1]) if cum.size else 0.0
    return xs, cum.astype(float), total


def _woodruff(rd: ResolvedDesign, x: np.ndarray, codes: np.ndarray, qhat: np.ndarray, interval: str,
              alpha: float, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Limits of the share below each quantile (R ``woodruffCI``): ``(k, m)`` arrays.

    *codes* is the domain of each row (-1 outside or missing); result column ``d * m + j``.
    """
    k, m = qhat.shape
    w = rd.weights
    ok = codes >= 0
    cell = np.where(ok[:, None], codes[:, None] * m + np.arange(m)[None, :], k * m)
    ind = (x[:, None] <= qhat[np.where(ok, codes, 0)]).astype(float)
    big_n = _ci.bsum(cell, w[:, None], k * m)
    pm = _ci.bsum(cell, w[:, None] * ind, k * m) / big_n
    with np.errstate(all="ignore"):
        z = (ind - _ci.spread(pm, cell, k * m)) / _ci.spread(big_n, cell, k * m)
    se, _ = _se_deff(cell, w, z, rd, False, k * m)
    n_rows = np.repeat(np.bincount(codes[ok], minlength=k).astype(float), m)
    dfr = np.repeat(df, m)
    if interval == "mean":
        t = _ci.crit(alpha, dfr)
        low, high = pm - t * se, pm + t * se
    else:
        low, high = _ci.proportion_ci(interval, pm, se, alpha, dfr, n_rows, n_rows, n_rows)
    return low.reshape(k, m), high.reshape(k, m)


def _quantile_one(rd: ResolvedDesign, x: np.ndarray, dom: _ci.Domains, probs: np.ndarray, interval: str,
                  alpha: float) -> dict[str, np.ndarray]:  # fmt: skip
    """Quantiles of one variable in every domain, columns ordered probability-major then domain."""
    codes = np.where(np.isnan(x), -1, dom.codes)
    w = rd.weights
    est, low, high = (np.full((dom.k, probs.size), np.nan) for _ in range(3))
    order = np.argsort(x, kind="stable")  # one sort; each domain's values stay in order
    by_dom = order[np.argsort(codes[order], kind="stable")]
    starts = np.searchsorted(codes[by_dom], np.arange(dom.k + 1))
    cdfs = [_sorted_cdf(x[by_dom[a:b]], w[by_dom[a:b]]) for a, b in zip(starts[:-1], starts[1:])]
    for d, (xs, cumw, tot) in enumerate(cdfs):  # loop over domains
        if xs.size:
            est[d] = _ci.qrule_math(xs, cumw, tot, probs)
    cell = np.where(codes >= 0, codes, dom.k)[:, None]
    df = _df(rd, cell, dom.k)
    p_low, p_high = _woodruff(rd, np.nan_to_num(x), codes, est, interval, alpha, df)
    for d, (xs, cumw, tot) in enumerate(cdfs):
        if xs.size:
            low[d] = _ci.qrule_math(xs, cumw, tot, p_low[d])
            high[d] = _ci.qrule_math(xs, cumw, tot, p_high[d])
    se = (high - low) / (2 * _ci.crit(alpha, df)[:, None])
    out = dict(estimate=est, se=se, ci_low=low, ci_high=high)
    out = {key: v.T.reshape(-1) for key, v in out.items()}
    reps = {"df": df, "n": _ci.count(cell, dom.k), "weighted_n": _ci.bsum(cell, w[:, None], dom.k)}
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
    interval : {"mean", "beta", "xlogit", "asin"}
        How the interval for the share below the quantile is formed before inverting it
        (R ``interval.type``; default ``"mean"``: ``p -/+ t_df se``).
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
    """
    _ci.check_choice("interval", interval, QUANTILE_INTERVALS)
    plist = np.atleast_1d(np.asarray(probs, dtype=float))
    if plist.ndim != 1 or not np.all((plist >= 0) & (plist <= 1)):
        raise DataError(f"probs must be numbers between 0 and 1 (0.5 for the median); got {probs!r}.")
    names = _ci.as_names(variables)
    rd, dom = _setup(svy, by, na, alpha)
    values = _numeric_matrix(svy, names, include_missing, "Quantiles need a numeric variable.")
    parts = []
    for j, name in enumerate(names):  # loop over variables
        _ci.check_na(svy, name, dom.codes >= 0, na, "quantile")
        parts.append(_quantile_one(rd, values[:, j], dom, plist, interval, alpha))
    cols = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    levels = [plist.tolist()] * len(names)
    return _result(svy, "quantile", _keys(names, levels, dom), (None,) * len(cols["estimate"]), cols,
                   "weighted CDF inverse (R qrule='math')", f"Woodruff, {interval} (t, design df)", alpha, dom)  # fmt: skip
