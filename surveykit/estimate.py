"""Design-based estimates: mean, total, proportion, ratio and quantile, overall or by domain.

Each verb takes a :class:`~surveykit.survey.Survey` first and returns an :class:`Estimate`.
Variances are Taylor linearisation through :func:`surveykit._variance.cells_vcov` (R
``survey::svyrecvar``); every domain and variable is one result column, and since a row is in
at most one domain, the PSU totals of all columns come from one ``bincount`` whatever the number
of domains (:class:`surveykit._ci.Layout`). One variable without domains or missing values, the
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

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from surveykit import _ci
from surveykit.errors import DataError, ReliabilityWarning
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
    return rd, _ci.domains(svy, by, rd)


def _answered(svy: Survey, names: Sequence[str], values: np.ndarray, dom: _ci.Domains, na: str,
              verb: str) -> np.ndarray | None:  # fmt: skip
    """Answered values (``~isnan(values)``), or ``None`` when nothing is missing (one pass).

    With ``na="fail"``, a system-missing value on a row in a domain raises (user-missing codes,
    also NaN here, do not).
    """
    nan = np.isnan(values)
    if not nan.any():
        return None
    for name in dict.fromkeys(names):
        _ci.check_na(svy, name, dom.active, na, verb)
    return ~nan


def _se_deff(lay: _ci.Layout, w: np.ndarray, z: np.ndarray, zbar: np.ndarray | None, rd: ResolvedDesign,
             deff: DeffKind, big_n: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Design SE of ``sum(w z)`` in each result column and its design effect (R ``deff=``).

    *z* is the per-value (unweighted) linearisation value ``(n, p)``; *zbar* its weighted mean
    per column, ``None`` where that is 0 by construction (means, proportions, ratios), so the
    element variance is ``sum(w z^2) / N`` from the same pass.
    """
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        u = w[:, None] * z
    se = np.sqrt(np.clip(np.diag(lay.vcov(u, rd)), 0, None))
    if deff is False:
        return se, np.full(se.shape, np.nan)
    nf = n.astype(float)
    with np.errstate(all="ignore"):
        if zbar is None:
            ss = lay.sum_product(u, z)
        else:
            dev = z - lay.spread(zbar)
            ss = lay.sum_product(w[:, None] * dev, dev)
        s2 = ss / big_n * nf / (nf - 1)
        fac = 1.0 if deff == "replace" else np.where(big_n < nf, np.nan, (big_n - nf) / big_n)
        vsrs = big_n**2 * s2 * fac / nf
        return se, se**2 / vsrs


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


def _empty_cells(statistic: str, keys: tuple[tuple, tuple, tuple], cols: dict[str, Any], by: tuple[str, ...],
                 warn: bool) -> dict[str, Any]:  # fmt: skip
    """Set se, deff and the interval to NaN where a result row rests on no rows (``n == 0``: a
    domain where every value is missing), and warn once naming those domains."""
    empty = np.asarray(cols["n"]) == 0
    if not empty.any():
        return cols
    cols = dict(cols)
    for name in ("se", "deff", "ci_low", "ci_high"):
        cols[name] = np.where(empty, np.nan, np.asarray(cols[name], dtype=float))
    if warn:
        where = dict.fromkeys((keys[0][i], _domain_text(by, keys[2][i])) for i in np.flatnonzero(empty))
        shown = "; ".join(f"{v!r} in {d}" for v, d in where)
        warnings.warn(
            f"{statistic} has no answered rows for {shown}: se, deff, cv and interval are NaN there. "
            "Merge or drop those domains, or check the missing values.",
            ReliabilityWarning,
            stacklevel=_caller_level(),
        )
    return cols


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside surveykit, counted from the caller."""
    frame, level = sys._getframe(1), 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("surveykit"):
        frame, level = frame.f_back, level + 1
    return level


def _domain_text(by: tuple[str, ...], key: Any) -> str:
    if not by:
        return "the whole sample"
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{b}={k}" for b, k in zip(by, parts))


def _result(svy: Survey, statistic: str, keys: tuple[tuple, tuple, tuple], labels: tuple, cols: dict[str, Any],
            method: str, ci_method: str, alpha: float, dom: _ci.Domains, notes: tuple[str, ...] = (),
            warn_empty: bool = True) -> Estimate:  # fmt: skip
    rd = svy.resolved
    cols = _empty_cells(statistic, keys, cols, dom.by, warn_empty)
    with np.errstate(all="ignore"):
        cv = cols["se"] / cols["estimate"]
    return Estimate(
        statistic=statistic, variable=keys[0], domain=keys[2], level=keys[1], label=labels, cv=cv,
        method=method, ci_method=ci_method, alpha=float(alpha), n_strata=rd.n_strata, n_psu=rd.n_psu_total,
        by=dom.by, notes=notes, **cols,
    )  # fmt: skip


def _moments(lay: _ci.Layout, rd: ResolvedDesign, values: np.ndarray, kind: str,
             deff: DeffKind) -> dict[str, np.ndarray]:  # fmt: skip
    """Estimate, SE, deff, n, weighted n and df of the means or totals of *values* ``(n, p)``."""
    w = rd.weights
    n, df = lay.counts(rd)
    big_n = lay.sum(w)
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        tot = lay.sum(w[:, None] * values)
        if kind == "total":
            est, z, zbar = tot, values, tot / big_n
        else:
            est = tot / big_n
            z = (values - lay.spread(est)) / lay.spread(big_n)
            zbar = None
    se, de = _se_deff(lay, w, z, zbar, rd, deff, big_n, n)
    return dict(estimate=est, se=se, deff=de, n=n, weighted_n=big_n, df=df)


def _linear(svy: Survey, values: np.ndarray, names: list[str], kind: str, by: Any, na: str,
            deff: DeffKind, alpha: float, ci_df: Any,
            final: bool = True) -> tuple[Estimate, _ci.Domains, np.ndarray | None]:  # fmt: skip
    """Means or totals of the columns of *values* (``(n, p)``, NaN = missing) in every domain;
    also the domains and the answered mask (``None``: nothing missing). ``final=False``: an
    intermediate result (no warning for empty domains; the caller's result warns)."""
    rd, dom = _setup(svy, by, na, alpha)
    valid = _answered(svy, names, values, dom, na, kind)
    lay = _ci.layout(dom, valid, values.shape[1], rd)
    cols = _moments(lay, rd, values, kind, deff)
    est, se = cols["estimate"], cols["se"]
    t = _ci_crit(alpha, ci_df, cols["df"], default_design=False)
    cols.update(ci_low=est - t * se, ci_high=est + t * se)
    levels = [[None]] * len(names)
    res = _result(svy, kind, _keys(names, levels, dom), _labels(svy, names, levels, dom.k), cols,
                  f"Taylor linearisation ({kind})", _ci_label(ci_df, False), alpha, dom, (), final)  # fmt: skip
    return res, dom, valid


def _numeric_matrix(svy: Survey, names: list[str], include_missing: bool, fix: str) -> np.ndarray:
    if len(names) == 1:  # a view of the column when it is already float64
        return _ci.numeric_column(svy, names[0], include_missing, fix)[:, None]
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
    se, de = _se_deff(lay, w, z, None, rd, deff, big_n, n)
    t = _ci_crit(alpha, ci_df, df, default_design=False)
    cols = dict(estimate=est, se=se, ci_low=est - t * se, ci_high=est + t * se, df=df, deff=de,
                n=n, weighted_n=big_n)  # fmt: skip
    names = [f"{v}/{den[0]}" for v in nums]
    levels = [[None]] * len(names)
    return _result(svy, "ratio", _keys(names, levels, dom), _labels(svy, names, levels, dom.k), cols,
                   "Taylor linearisation (ratio)", _ci_label(ci_df, False), alpha, dom)  # fmt: skip


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
    se, _ = _se_deff(lay, w, z, None, rd, False, n_col, np.tile(n, m))
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
    return _result(svy, "quantile", _keys(names, levels, dom), (None,) * len(cols["estimate"]), cols,
                   "weighted CDF inverse (R qrule='math')", f"Woodruff, {interval} (t, design df)", alpha, dom)  # fmt: skip
