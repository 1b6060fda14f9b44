"""Design-based tables: one-way frequencies, two-way crosstabs with the Rao-Scott test, and
multiple-response tables.

Proportions are linearised (``u = w_d (I - p) / W_d`` over the rows of the base) and their
variances come from :func:`surveykit.design.variance.design_vcov`, so they respect strata, clusters,
FPCs, domains and calibrated weights exactly as R ``survey`` does. Rows outside the base
(user-missing codes, system-missing values, rows outside a domain) keep their place in the
design with weight 0.

The result classes live in ``tables.results``, the linearised cell totals, ratios and intervals
in ``tables.linear``, levels, labels and bases in ``tables.levels``, the ``svychisq`` tests in
``tables.rao_scott`` and multiple-response tables in ``tables.multiple``; this module builds the
frequency and crosstab tables and re-exports the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit._util.columns import check_alpha, check_choice
from surveykit.design.replicate import is_replicate, replicate_cells, replicate_vcov
from surveykit.design.variance import level_variances
from surveykit.errors import DataError
from surveykit.tables.levels import (
    _codes,
    _design_facts,
    _label,
    _labels,
    _sorted_levels,
    _two_way,
    _user_missing,
)
from surveykit.tables.linear import (  # noqa: F401 (CI_METHODS, QUAD_ROUNDING re-exported)
    CI_METHODS,
    QUAD_ROUNDING,
    _cell_reps,
    _cell_vcov,
    _quad_se,
    _ratio_se,
    _ratios,
    table_ci,
)  # fmt: skip
from surveykit.tables.multiple import MR_BASES, multiple_response  # noqa: F401 (MR_BASES re-exported)
from surveykit.tables.rao_scott import _rao_scott, _wald
from surveykit.tables.results import (  # noqa: F401 (STATISTICS re-exported)
    STATISTICS,
    ChisqTest,
    Crosstab,
    FrequencyTable,
    MultipleResponseTable,
)

if TYPE_CHECKING:
    from surveykit.design.resolved import ResolvedDesign
    from surveykit.survey import Survey

__all__ = [
    "frequency",
    "crosstab",
    "multiple_response",
    "FrequencyTable",
    "Crosstab",
    "ChisqTest",
    "MultipleResponseTable",
]

SYSTEM_MISSING = "(system missing)"

for _cls in (FrequencyTable, ChisqTest, Crosstab, MultipleResponseTable):
    _cls.__module__ = __name__  # defined in surveykit.tables.results; public here
multiple_response.__module__ = __name__  # defined in surveykit.tables.multiple; public here
del _cls


def frequency(
    svy: Survey,
    var: str,
    *,
    missing: Sequence[Any] | None = None,
    include_missing: bool = False,
    alpha: float = 0.05,
    ci_method: str = "logit",
    lang: str | None = None,
) -> FrequencyTable:
    """One-way frequency table with design-based proportions, SEs and confidence intervals.

    Parameters
    ----------
    svy : Survey
    var : str
        The variable (codes or strings).
    missing : sequence, optional
        User-missing codes; default: the Survey's policy (:meth:`Survey.user_missing`: the
        file's missing values and ranges and the instrument's codes).
    include_missing : bool
        Count user-missing codes in the base of the percentages (they are always listed).
    alpha : float
        1 - confidence level.
    ci_method : {"logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson", "wald"}
        The interval methods of :func:`surveykit.estimate.proportion` (the same code): ``"logit"``
        is R ``svyciprop(method="logit")`` (default), ``"mean"`` ``svyciprop(method="mean")`` (``t``
        quantile), ``"wald"`` ``p -/+ z se`` (normal quantile, as ``confint(svymean(...))``); t
        quantiles use the base's design df. ``frequency(svy, v, ci_method=m)`` equals
        ``proportion(svy.domain(<v is valid>), v, ci_method=m)`` row for row.
    lang : {"ko", "en"}, optional
        Language of the questionnaire's value labels; default its first language (a file's
        own labels have one language).

    Returns
    -------
    FrequencyTable

    Notes
    -----
    R equivalents: ``svytotal(~factor(var))`` (``weighted_n`` and its SE, over all rows),
    ``svymean(~factor(var), subset(design, valid))`` (``estimate``, ``se``) and
    ``svyciprop(~I(var == level), subset(design, valid))`` (the interval, with
    ``df = degf(subset)``). System-missing values (NA) get their own row, never in the base.
    """
    check_choice("ci_method", ci_method, CI_METHODS)
    check_alpha(alpha)
    col = svy.column(var)
    w = svy.resolved.weights
    is_user_missing = _user_missing(svy, var, missing)
    valid_levels = _sorted_levels(col[~is_user_missing & (w > 0)])
    miss_levels = _sorted_levels(col[is_user_missing & (w > 0)])
    levels = valid_levels + miss_levels
    base_levels = levels if include_missing else valid_levels
    if not base_levels:
        raise DataError(
            f"variable {var!r} must have valid (non-missing) values with positive weight; got none. "
            "Check the missing codes and the domain."
        )
    codes = _codes(col, levels)
    na = col.isna().to_numpy() & (w > 0)
    codes = np.where(na, len(levels), codes)  # system missing: one more cell, for its count
    k = len(base_levels)
    t, t_se, p, se = _one_way(codes, len(levels) + 1, k, w, svy)
    wd = np.where((codes >= 0) & (codes < k), w, 0.0)
    df = svy.resolved.degf_where(wd != 0)
    lo, hi = table_ci(p, se, df, alpha, ci_method, int(np.count_nonzero(wd)))
    table = _frequency_frame(svy, var, levels, base_levels, codes, w, t, t_se, lang)
    nan = np.full(len(table) - k, np.nan)
    table["estimate"], table["se"] = np.r_[p, nan], np.r_[se, nan]
    table["ci_low"], table["ci_high"] = np.r_[lo, nan], np.r_[hi, nan]
    return FrequencyTable(
        variable=var,
        table=table,
        base_n=int(np.count_nonzero(wd)),
        base_weighted_n=float(wd.sum()),
        method="replicate weights" if is_replicate(svy.resolved) else "Taylor linearisation",
        ci_method=ci_method,
        df=df,
        alpha=alpha,
        **_design_facts(svy),
    )


def _one_way(
    codes: np.ndarray, m: int, k: int, w: np.ndarray, svy: Survey
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cell totals, their SEs, and the proportions of the first *k* (base) cells with SEs.

    Without calibrations (and lonely-PSU policy other than ``"average"``) only the variances
    are computed (:func:`~surveykit.design.variance.level_variances`: linear in rows and levels);
    otherwise the full cell covariance goes through the kernel (:func:`_frequency_dense`).
    """
    rd = svy.resolved
    if is_replicate(rd):  # replicate recomputation (R svrepdesign)
        return replicate_cells(codes, m, k, w, rd)
    if rd.calibrations or rd.lonely_psu == "average":
        return _frequency_dense(codes, m, k, w, svy)
    ok = codes >= 0
    t = np.bincount(codes[ok], weights=w[ok], minlength=m)
    t_base = t[:k].sum()
    p = t[:k] / t_base if t_base != 0 else np.zeros(k)
    base = ok & (codes < k)
    p_all = np.r_[p, np.zeros(m - k)]
    se = np.sqrt(level_variances(codes, m, w, base, p_all, rd)[:k]) / (t_base if t_base != 0 else 1.0)
    t_se = np.sqrt(level_variances(codes, m, w, base, np.zeros(m), rd))
    return t, t_se, p, se


def _frequency_dense(
    codes: np.ndarray, m: int, k: int, w: np.ndarray, svy: Survey
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`_one_way` from the ``m x m`` covariance of the cell totals (calibrated designs)."""
    t, v = _cell_vcov(codes, m, w, svy)
    # base levels come first in `levels`; proportions are ratios to their summed total
    num = np.eye(m)[:, :k]
    p, a = _ratios(t, num, np.repeat(num.sum(axis=1, keepdims=True), k, axis=1))
    return t, np.sqrt(np.maximum(np.diag(v), 0)), p, _quad_se(a, v)


def _frequency_frame(
    svy: Survey,
    var: str,
    levels: list,
    base: list,
    codes: np.ndarray,
    w: np.ndarray,
    t: np.ndarray,
    t_se: np.ndarray,
    lang: str | None,
) -> pd.DataFrame:
    labels = _labels(svy, var, lang)
    k = len(levels)
    in_base = set(base)  # a set: membership per level must not cost O(levels)
    counts = np.bincount(codes[(codes >= 0) & (w > 0)], minlength=k + 1)
    rows = pd.DataFrame(
        {
            "variable": var,
            "level": levels + [None],
            "label": [_label(labels, lv) for lv in levels] + [SYSTEM_MISSING],
            "missing": [lv not in in_base for lv in levels] + [True],
            "n": counts,
            "weighted_n": t,
            "weighted_n_se": t_se,
        }
    )
    return rows if counts[k] > 0 else rows.iloc[:k].copy()


def crosstab(
    svy: Survey,
    row: str,
    col: str,
    *,
    alpha: float = 0.05,
    wald: bool = True,
    lang: str | None = None,
) -> Crosstab:
    """Two-way table: cell, row and column proportions with SEs, and tests of independence.

    Parameters
    ----------
    svy : Survey
    row, col : str
        Row and column variables. Rows where either is missing (NA or a user-missing code of
        the instrument) are outside the table's base (weight 0, design kept).
    alpha : float
        Recorded for interval reporting.
    wald : bool
        Also compute the design-based Wald test (``svychisq(statistic = "Wald")``).
    lang : {"ko", "en"}, optional
        As in :func:`frequency`.

    Returns
    -------
    Crosstab
        ``tests``: ``"F"`` (Rao-Scott second-order: ``X^2 / tr(Delta)`` on ``d0 = tr(Delta)^2 /
        tr(Delta^2)`` and ``d0 * nu`` df), ``"Chisq"`` (first-order: X^2, p-value of
        ``X^2 / mean eigenvalue`` on ``(R-1)(C-1)`` df) and, with ``wald``, ``"Wald"``.

    Notes
    -----
    R equivalents: ``svychisq(~row + col, design, statistic = "F" | "Chisq" | "Wald")``;
    ``svymean(~interaction(row, col))`` (cell), ``svyby(~col, ~row, design, svymean)`` (row),
    ``svyby(~row, ~col, design, svymean)`` (column). As in R, ``N`` in the Pearson X^2 of the
    "Chisq" test is R's ``nrow(design)``: every row with positive weight (in a domain, the
    domain's rows, R's ``subset``), *including* rows where *row* or *col* is missing or a
    user-missing code, while the proportions use the base rows only; ``nu`` is the design df
    of the whole survey. ``N`` cancels in the F statistic and in every p-value. ``Crosstab.n``
    is the number of base rows.
    """
    tw = _two_way(svy, row, col)
    nr, nc = len(tw["rl"]), len(tw["cl"])
    t, v = _cell_vcov(tw["cell"], nr * nc, tw["wd"], svy)
    counts = np.bincount(tw["cell"][tw["cell"] >= 0], minlength=nr * nc)
    n_design = int(np.count_nonzero(svy.resolved.weights > 0))  # R's nrow(design): NA rows too
    labels = (_labels(svy, row, lang), _labels(svy, col, lang))
    reps = _cell_reps(tw["cell"], nr * nc, tw["wd"], svy)  # replicate designs: cell totals per replicate
    return assemble_crosstab(row, col, tw["rl"], tw["cl"], counts, t, v, svy.resolved.degf, n_design, labels,
                             wald=wald, alpha=alpha, facts=_design_facts(svy), reps=reps, rd=svy.resolved)  # fmt: skip


def assemble_crosstab(row: str, col: str, rl: list, cl: list, counts: np.ndarray, t: np.ndarray, v: np.ndarray,
                      nu: int, n_design: int, labels: tuple[dict, dict], *, wald: bool, alpha: float,
                      facts: dict[str, int], method: str = "Taylor linearisation", reps: np.ndarray | None = None,
                      rd: ResolvedDesign | None = None) -> Crosstab:  # fmt: skip
    """The :class:`Crosstab` of the ``nr x nc`` cell totals *t* and their covariance *v* (cells in
    R's order, row level fastest): proportions, SEs and the tests. Shared by the in-memory
    :func:`crosstab` and the lazy survey, which computes *t* and *v* in the engine. On a
    replicate design *reps* holds the cell totals per replicate (and *rd* the resolved replicate
    design, in memory or the lazy survey's stand-in): shares and tests are recomputed per
    replicate, as R ``svychisq.svyrep.design``."""
    nr, nc = len(rl), len(cl)
    p, a = _ratios(t, np.eye(nr * nc), np.ones((nr * nc, nr * nc)))
    if reps is None or rd is None:
        v_p = a.T @ v @ a
    else:  # R svychisq.svyrep.design: the replicate covariance of the cell proportions
        assert is_replicate(rd)  # replicate cell totals come only from a replicate design
        with np.errstate(all="ignore"):
            v_p = replicate_vcov(reps / reps.sum(axis=1, keepdims=True), rd, p)
        method = "replicate weights"
    tests, eig = _rao_scott(p, v_p, n_design, nr, nc, nu)
    if wald:
        tests.append(_wald(t, v, nr, nc, nu))
    table = _crosstab_frame(rl, cl, counts, t, v, labels, reps, rd)
    return Crosstab(
        row_variable=row,
        col_variable=col,
        table=table,
        tests=tuple(tests),
        method=method,
        ci_method="none",
        df=nu,
        alpha=alpha,
        n=int(counts.sum()),
        deltas=tuple(np.sort(eig)[::-1]),
        **facts,
    )


def _crosstab_frame(rl: list, cl: list, counts: np.ndarray, t: np.ndarray, v: np.ndarray,
                    labels: tuple[dict, dict], reps: np.ndarray | None = None,
                    rd: ResolvedDesign | None = None) -> pd.DataFrame:  # fmt: skip
    nr, nc, k = len(rl), len(cl), len(rl) * len(cl)
    cell_row, cell_col = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    eye = np.eye(k)
    den_cell = np.ones((k, k))
    den_row = (cell_row[:, None] == cell_row[None, :]).astype(float)
    den_col = (cell_col[:, None] == cell_col[None, :]).astype(float)
    p, pa = _ratios(t, eye, den_cell)
    rp, ra = _ratios(t, eye, den_row)
    cp, ca = _ratios(t, eye, den_col)
    rlab, clab = labels

    def se(grad: np.ndarray, den: np.ndarray, r: np.ndarray) -> np.ndarray:
        return _ratio_se(grad, v, reps, rd, eye, den, r)

    return pd.DataFrame(
        {
            "row_level": [rl[i] for i in cell_row],
            "col_level": [cl[j] for j in cell_col],
            "row_label": [_label(rlab, rl[i]) for i in cell_row],
            "col_label": [_label(clab, cl[j]) for j in cell_col],
            "n": counts,
            "weighted_n": t,
            "weighted_n_se": np.sqrt(np.maximum(np.diag(v), 0.0)),
            "cell": p,
            "cell_se": se(pa, den_cell, p),
            "row": rp,
            "row_se": se(ra, den_row, rp),
            "col": cp,
            "col_se": se(ca, den_col, cp),
        }
    )
