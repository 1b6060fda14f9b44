"""Shared machinery of :mod:`surveykit.estimate`: option checks and domains (``_setup``), the
answered-rows rule, linearised SEs and design effects, interval critical values, result keys and
labels, empty-domain handling and assembly of an :class:`~surveykit.estimate.Estimate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from surveykit._util.warn import warn as warn_user
from surveykit.design.replicate import is_replicate, replicate_se
from surveykit.errors import ReliabilityWarning
from surveykit.estimate import support as _ci
from surveykit.estimate.result import Estimate

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey

DeffKind = bool | Literal["replace"]


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
             deff: DeffKind, big_n: np.ndarray, n: np.ndarray,
             rep: tuple[Any, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Design SE of ``sum(w z)`` in each result column and its design effect (R ``deff=``).

    *z* is the per-value (unweighted) linearisation value ``(n, p)``; *zbar* its weighted mean
    per column, ``None`` where that is 0 by construction (means, proportions, ratios), so the
    element variance is ``sum(w z^2) / N`` from the same pass.

    On a replicate design the SE is R's replicate recomputation instead: *rep* is
    ``(num, den, ratio, estimate)`` of :func:`surveykit.design.replicate.replicate_se` (the
    estimate as a ratio of weighted totals, or ``ratio=False`` for totals).
    """
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        u = w[:, None] * z
    if is_replicate(rd):
        assert rep is not None  # the callers pass the replicate recipe with a replicate design
        se = replicate_se(lay, rd, *rep)
    else:
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
    """Row labels: the value label of a proportion's level, else the variable's label (question
    wording), both from :meth:`Survey.value_labels` / :meth:`Survey.variable_label`."""
    out: list[str | None] = []
    for name, lvls in zip(names, levels):
        lab = _ci.value_labels(svy, name)
        for lv in lvls:
            out += [lab.get(lv) if lv is not None else svy.variable_label(name)] * k
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
        warn_user(
            f"{statistic} has no answered rows for {shown}: se, deff, cv and interval are NaN there. "
            "Merge or drop those domains, or check the missing values.",
            ReliabilityWarning,
        )
    return cols


def _domain_text(by: tuple[str, ...], key: Any) -> str:
    if not by:
        return "the whole sample"
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{b}={k}" for b, k in zip(by, parts))


def _result(svy: Survey, statistic: str, keys: tuple[tuple, tuple, tuple], labels: tuple, cols: dict[str, Any],
            method: str, ci_method: str, alpha: float, dom: _ci.Domains, notes: tuple[str, ...] = (),
            warn_empty: bool = True) -> Estimate:  # fmt: skip
    rd = svy.resolved
    if is_replicate(rd):
        method = f"replicate weights ({rd.type}, {rd.n_replicates} replicates)"
    cols = _empty_cells(statistic, keys, cols, dom.by, warn_empty)
    with np.errstate(all="ignore"):
        cv = cols["se"] / cols["estimate"]
    return Estimate(
        statistic=statistic, variable=keys[0], domain=keys[2], level=keys[1], label=labels, cv=cv,
        method=method, ci_method=ci_method, alpha=float(alpha), n_strata=0 if is_replicate(rd) else rd.n_strata,
        n_psu=0 if is_replicate(rd) else rd.n_psu_total,
        by=dom.by, notes=notes, **cols,
    )  # fmt: skip


def _moments(lay: _ci.Layout, rd: ResolvedDesign, values: np.ndarray, kind: str,
             deff: DeffKind) -> dict[str, np.ndarray]:  # fmt: skip
    """Estimate, SE, deff, n, weighted n and df of the means or totals of *values* ``(n, p)``."""
    w = rd.weights
    n, df = lay.counts(rd)
    big_n = lay.sum(w)
    if lay.cell is None and values.shape[1] == 1 and kind != "total":  # the common mean: one buffer
        z = np.multiply(w, values[:, 0])  # w y, then (y - mean) / N in place: the same numbers
        tot = np.array([np.sum(z)])
        est = tot / big_n
        np.subtract(values[:, 0], float(est[0]), out=z)
        np.divide(z, float(big_n[0]), out=z)
        se, de = _se_deff(lay, w, z[:, None], None, rd, deff, big_n, n, (values, None, True, est))
        return dict(estimate=est, se=se, deff=de, n=n, weighted_n=big_n, df=df)
    with np.errstate(all="ignore"):  # the spare column may hold inf/NaN; it is never summed
        tot = lay.sum(w[:, None] * values)
        if kind == "total":
            est, z, zbar = tot, values, tot / big_n
        else:
            est = tot / big_n
            z = (values - lay.spread(est)) / lay.spread(big_n)
            zbar = None
    se, de = _se_deff(lay, w, z, zbar, rd, deff, big_n, n, (values, None, kind != "total", est))
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
