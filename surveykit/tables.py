"""Design-based tables: one-way frequencies, two-way crosstabs with the Rao-Scott test, and
multiple-response tables.

Proportions are linearised (``u = w_d (I - p) / W_d`` over the rows of the base) and their
variances come from :func:`surveykit._variance.design_vcov`, so they respect strata, clusters,
FPCs, domains and calibrated weights exactly as R ``survey`` does. Rows outside the base
(user-missing codes, system-missing values, rows outside a domain) keep their place in the
design with weight 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit._variance import design_vcov
from surveykit.errors import DataError, closest
from surveykit.results import Summary, frame_records, jsonable

if TYPE_CHECKING:
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

CI_METHODS = ("logit", "wald")
STATISTICS = ("F", "Chisq", "Wald")
MR_BASES = ("answered", "any")
SYSTEM_MISSING = "(system missing)"


# --------------------------------------------------------------------------------------------
# result objects


def _facts(obj: Any) -> tuple[tuple[str, str], ...]:
    return (
        ("method", obj.method),
        ("CI", f"{obj.ci_method}, {100 * (1 - obj.alpha):g}%, df {obj.df}"),
        ("design", f"{obj.n_strata} strata, {obj.n_psu} PSUs"),
    )


def _percent_view(frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        out[c] = 100 * out[c]
    return out


@dataclass(frozen=True, slots=True)
class FrequencyTable:
    """A one-way frequency table (R: ``svytable``/``svytotal``, ``svymean``, ``svyciprop``).

    ``table`` has one row per level: ``variable, level, label, missing, n, weighted_n,
    weighted_n_se, estimate, se, ci_low, ci_high`` with ``estimate`` the proportion (0..1) among
    the base (user-missing levels show counts but no proportion unless ``include_missing``).
    """

    variable: str
    table: pd.DataFrame
    base_n: int
    base_weighted_n: float
    method: str
    ci_method: str
    df: int
    alpha: float
    n_strata: int
    n_psu: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        meta = {k: getattr(self, k) for k in self.__slots__ if k != "table"}
        return jsonable({**meta, "rows": frame_records(self.table)})

    def summary(self) -> Summary:
        cols = ["level", "label", "n", "weighted_n", "estimate", "se", "ci_low", "ci_high"]
        shown = _percent_view(self.table[cols], ["estimate", "se", "ci_low", "ci_high"])
        shown = shown.rename(columns={"estimate": "percent"})
        facts = (*_facts(self), ("base", f"n = {self.base_n}, weighted {self.base_weighted_n:.6g}"))
        return Summary(f"Frequency: {self.variable}", facts, shown, digits=2)


@dataclass(frozen=True, slots=True)
class ChisqTest:
    """One test of independence, as R ``svychisq(statistic=)`` reports it.

    ``statistic`` is F for ``"F"`` and ``"Wald"``, Pearson's X^2 for ``"Chisq"`` (whose p-value
    uses X^2 / mean eigenvalue on ``ndf`` df; ``ddf`` is then ``inf``).
    """

    name: str
    statistic: float
    ndf: float
    ddf: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return jsonable({k: getattr(self, k) for k in self.__slots__})


@dataclass(frozen=True, slots=True)
class Crosstab:
    """A two-way table with cell, row and column proportions and the Rao-Scott tests.

    ``table`` has one row per cell: ``row_level, col_level, row_label, col_label, n,
    weighted_n, weighted_n_se, cell, cell_se, row, row_se, col, col_se`` (``row`` = share of
    the cell within its row level).
    """

    row_variable: str
    col_variable: str
    table: pd.DataFrame
    tests: tuple[ChisqTest, ...]
    method: str
    ci_method: str
    df: int
    alpha: float
    n_strata: int
    n_psu: int
    n: int
    deltas: tuple[float, ...] = field(default=())

    def test(self, name: str = "F") -> ChisqTest:
        """The test named ``"F"`` (Rao-Scott second order), ``"Chisq"`` or ``"Wald"``."""
        for t in self.tests:
            if t.name == name:
                return t
        raise DataError(f"test must be one of {list(STATISTICS)}; got {name!r}." + closest(name, STATISTICS))

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        meta = {k: getattr(self, k) for k in self.__slots__ if k not in ("table", "tests")}
        return jsonable({**meta, "rows": frame_records(self.table), "tests": [t.to_dict() for t in self.tests]})

    def percentages(self, kind: str = "row") -> pd.DataFrame:
        """The table of ``kind`` (``"row"``, ``"col"``, ``"cell"``) percentages, rows x columns."""
        if kind not in ("row", "col", "cell"):
            raise DataError(f"kind must be 'row', 'col' or 'cell'; got {kind!r}.")
        wide = self.table.pivot(index="row_label", columns="col_label", values=kind)
        return 100 * wide

    def summary(self) -> Summary:
        f = self.test("F")
        facts = (
            *_facts(self),
            ("Rao-Scott F", f"{f.statistic:.4f} on ({f.ndf:.3f}, {f.ddf:.3f}) df, p = {f.p_value:.4g}"),
        )
        table = self.percentages("row").reset_index()
        return Summary(f"Crosstab: {self.row_variable} x {self.col_variable} (row %)", facts, table, digits=2)


@dataclass(frozen=True, slots=True)
class MultipleResponseTable:
    """Multiple-response table: "% of cases" (``estimate``) and "% of responses" per item.

    ``table`` has one row per item (x ``domain`` level with ``by``): ``variable, item, label,
    domain, n, weighted_n, estimate, se, ci_low, ci_high, responses, responses_se``.
    ``tests`` holds, with ``by``, one Rao-Scott F test of item x group per item.
    """

    variable: str
    table: pd.DataFrame
    tests: pd.DataFrame | None
    base: str
    method: str
    ci_method: str
    df: int
    alpha: float
    n_strata: int
    n_psu: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        meta = {k: getattr(self, k) for k in self.__slots__ if k not in ("table", "tests")}
        tests = None if self.tests is None else frame_records(self.tests)
        return jsonable({**meta, "rows": frame_records(self.table), "tests": tests})

    def summary(self) -> Summary:
        cols = ["item", "label", "domain", "n", "estimate", "se", "responses"]
        shown = _percent_view(self.table[cols], ["estimate", "se", "responses"])
        shown = shown.rename(columns={"estimate": "% of cases", "responses": "% of responses"})
        extra = () if self.tests is None else (("tests by group (Rao-Scott F)", self.tests),)
        facts = (*_facts(self), ("base", self.base))
        return Summary(f"Multiple response: {self.variable}", facts, shown, digits=2, tables=extra)


# --------------------------------------------------------------------------------------------
# numeric core (vectorised; no loops over rows)


def _cell_vcov(codes: np.ndarray, k: int, wd: np.ndarray, svy: Survey) -> tuple[np.ndarray, np.ndarray]:
    """Weighted totals of the *k* cells and their design covariance (one kernel call).

    Every statistic of a table is a smooth function of these cell totals, and its linearised
    ``u`` is ``U @ A`` with ``U = wd * onehot(cell)`` and a small gradient matrix ``A``: the
    kernel (including calibration residualisation) is linear in ``u``, so
    ``V(U A) = A' V(U) A`` exactly and the data are passed through the kernel once.
    """
    ok = codes >= 0
    totals = np.bincount(codes[ok], weights=wd[ok], minlength=k)
    u = np.zeros((codes.shape[0], k))
    u[np.flatnonzero(ok), codes[ok]] = wd[ok]
    return totals, design_vcov(u, svy.resolved)


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


def _ci(p: np.ndarray, se: np.ndarray, df: int, alpha: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Logit (R ``svyciprop(method="logit")``) or Wald interval with ``t(df)`` quantiles."""
    from scipy import special, stats

    q = stats.t.ppf(1 - alpha / 2, df) if df > 0 else np.nan
    if method == "wald":
        return p - q * se, p + q * se
    inner = (p > 0) & (p < 1) & (se > 0)
    ps = np.where(inner, p, 0.5)
    half = q * np.where(inner, se, 0.0) / (ps * (1 - ps))
    logit = special.logit(ps)
    lo, hi = special.expit(logit - half), special.expit(logit + half)
    return np.where(inner, lo, p), np.where(inner, hi, p)


# --------------------------------------------------------------------------------------------
# labels, codes, base


def _check(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise DataError(f"{name} must be one of {list(choices)}; got {value!r}." + closest(str(value), choices))


def _labels(svy: Survey, var: str, lang: str) -> dict[Any, str]:
    inst = svy.instrument
    if inst is None:
        return {}
    try:
        return dict(inst.value_labels(lang).get(var, {}))
    except (KeyError, ValueError):
        return {}


def _label(labels: dict[Any, str], level: Any) -> str:
    if isinstance(level, float) and level.is_integer():
        level = int(level)
    return labels.get(level, str(level))


def _missing_codes(svy: Survey, var: str, missing: Sequence[Any] | None) -> list[Any]:
    if missing is not None:
        return list(missing)
    return list(svy.missing_codes(var))


def _sorted_levels(values: pd.Series) -> list[Any]:
    uniq = pd.unique(values.dropna())
    try:
        return sorted(uniq.tolist())
    except TypeError:
        return sorted(uniq.tolist(), key=str)


def _codes(col: pd.Series, levels: list[Any]) -> np.ndarray:
    """Level index of each row (-1 for values not in *levels*)."""
    return pd.Index(levels, dtype=object).get_indexer(col.astype(object)).astype(np.int64)


def _onehot(codes: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((codes.shape[0], k))
    ok = codes >= 0
    out[np.flatnonzero(ok), codes[ok]] = 1.0
    return out


def _design_facts(svy: Survey) -> dict[str, int]:
    rd = svy.resolved
    return {"n_strata": rd.n_strata, "n_psu": rd.n_psu_total}


# --------------------------------------------------------------------------------------------
# frequency


def frequency(
    svy: Survey,
    var: str,
    *,
    missing: Sequence[Any] | None = None,
    include_missing: bool = False,
    alpha: float = 0.05,
    ci_method: str = "logit",
    lang: str = "ko",
) -> FrequencyTable:
    """One-way frequency table with design-based proportions, SEs and confidence intervals.

    Parameters
    ----------
    svy : Survey
    var : str
        The variable (codes or strings).
    missing : sequence, optional
        User-missing codes; default: the instrument's codes for *var* (none without one).
    include_missing : bool
        Count user-missing codes in the base of the percentages (they are always listed).
    alpha : float
        1 - confidence level.
    ci_method : {"logit", "wald"}
        ``"logit"`` as R ``svyciprop(method="logit")`` (default); ``"wald"`` as
        ``svyciprop(method="mean")``; both with ``t`` quantiles on the base's design df.
    lang : {"ko", "en"}
        Language of the value labels from the instrument.

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
    _check("ci_method", ci_method, CI_METHODS)
    col = svy.column(var)
    codes_missing = _missing_codes(svy, var, missing)
    w = svy.resolved.weights
    is_user_missing = col.isin(codes_missing).to_numpy() & col.notna().to_numpy()
    valid_levels = _sorted_levels(col[~is_user_missing & (w > 0)])
    miss_levels = [c for c in codes_missing if ((col == c).to_numpy() & (w > 0)).any()]
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
    t, v = _cell_vcov(codes, len(levels) + 1, w, svy)
    k = len(base_levels)
    # base levels come first in `levels`; proportions are ratios to their summed total
    num = np.eye(len(levels) + 1)[:, :k]
    p, a = _ratios(t, num, np.repeat(num.sum(axis=1, keepdims=True), k, axis=1))
    se = _quad_se(a, v)
    wd = np.where(np.isin(codes, np.arange(k)), w, 0.0)
    df = svy.resolved.with_weights(wd).degf
    lo, hi = _ci(p, se, df, alpha, ci_method)
    table = _frequency_frame(svy, var, levels, base_levels, codes, w, t, np.sqrt(np.maximum(np.diag(v), 0)), lang)
    nan = np.full(len(table) - k, np.nan)
    table["estimate"], table["se"] = np.r_[p, nan], np.r_[se, nan]
    table["ci_low"], table["ci_high"] = np.r_[lo, nan], np.r_[hi, nan]
    return FrequencyTable(
        variable=var, table=table, base_n=int(np.count_nonzero(wd)), base_weighted_n=float(wd.sum()),
        method="Taylor linearisation", ci_method=ci_method, df=df, alpha=alpha, **_design_facts(svy),
    )


def _frequency_frame(
    svy: Survey, var: str, levels: list, base: list, codes: np.ndarray, w: np.ndarray, t: np.ndarray,
    t_se: np.ndarray, lang: str,
) -> pd.DataFrame:
    labels = _labels(svy, var, lang)
    k = len(levels)
    counts = np.bincount(codes[(codes >= 0) & (w > 0)], minlength=k + 1)
    rows = pd.DataFrame(
        {
            "variable": var,
            "level": levels + [None],
            "label": [_label(labels, lv) for lv in levels] + [SYSTEM_MISSING],
            "missing": [lv not in base for lv in levels] + [True],
            "n": counts,
            "weighted_n": t,
            "weighted_n_se": t_se,
        }
    )
    return rows if counts[k] > 0 else rows.iloc[:k].copy()


# --------------------------------------------------------------------------------------------
# crosstab and the Rao-Scott tests


def _two_way(svy: Survey, row: str, col: str, base: np.ndarray | None = None) -> dict[str, Any]:
    """Level codes of a two-way table over the valid rows (both variables present, not user-missing)."""
    r, c = svy.column(row), svy.column(col)
    valid = r.notna().to_numpy() & c.notna().to_numpy() & (svy.resolved.weights > 0)
    valid &= ~r.isin(_missing_codes(svy, row, None)).to_numpy()
    valid &= ~c.isin(_missing_codes(svy, col, None)).to_numpy()
    if base is not None:
        valid &= base
    rl, cl = _sorted_levels(r[valid]), _sorted_levels(c[valid])
    if len(rl) < 2 or len(cl) < 2:
        raise DataError(
            f"crosstab variables {row!r} and {col!r} must each have at least 2 valid levels; got "
            f"{len(rl)} and {len(cl)}. Choose variables that vary in this base."
        )
    rc, cc = _codes(r, rl), _codes(c, cl)
    cell = np.where(valid, rc + len(rl) * cc, -1)  # row level varies fastest, as R's interaction()
    wd = np.where(valid, svy.resolved.weights, 0.0)
    return {"rl": rl, "cl": cl, "rc": np.where(valid, rc, -1), "cc": np.where(valid, cc, -1),
            "cell": cell, "wd": wd}


def _interaction_contrasts(nr: int, nc: int) -> np.ndarray:
    """R's ``Cmat``: interaction columns of ``~rows*cols`` residualised on ``~rows+cols``."""
    rows = np.tile(np.arange(nr), nc)
    cols = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack([np.ones(nr * nc), _onehot(rows, nr)[:, 1:], _onehot(cols, nc)[:, 1:]])
    inter = np.column_stack(
        [(rows == i) & (cols == j) for j in range(1, nc) for i in range(1, nr)]
    ).astype(float)
    q, _ = np.linalg.qr(x1)
    return inter - q @ (q.T @ inter)


def _pearson(counts: np.ndarray, nr: int, nc: int) -> float:
    """Pearson's X^2 of a table given as a flat vector in R's cell order."""
    table = counts.reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)
    return float(terms.sum())


def _rao_scott(p: np.ndarray, v: np.ndarray, n: int, nr: int, nc: int, nu: int) -> tuple[list[ChisqTest], np.ndarray]:
    """R ``svychisq(statistic = "F")`` and ``"Chisq"``: design effects ``Delta`` and the tests."""
    from scipy import stats

    cmat = _interaction_contrasts(nr, nc)
    inv = np.divide(1.0, p, out=np.zeros_like(p), where=p != 0)
    denom = (cmat * (inv / n)[:, None]).T @ cmat
    numr = (cmat * inv[:, None]).T @ v @ (cmat * inv[:, None])
    delta = np.linalg.solve(denom, numr)
    tr, tr2 = np.trace(delta), np.trace(delta @ delta)
    d0 = tr**2 / tr2
    x2 = _pearson(p * n, nr, nc)
    f = x2 / tr
    df = (nr - 1) * (nc - 1)
    tests = [
        ChisqTest("F", f, d0, d0 * nu, float(stats.f.sf(f, d0, d0 * nu))),
        ChisqTest("Chisq", x2, float(df), np.inf, float(stats.chi2.sf(x2 / (tr / df), df))),
    ]
    return tests, np.linalg.eigvals(delta).real


def _wald(t: np.ndarray, v: np.ndarray, nr: int, nc: int, nu: int) -> ChisqTest:
    """R ``svychisq(statistic = "Wald")``: Wald test of ``T_rc - T_r T_c / T = 0`` for r, c > 1."""
    from scipy import stats

    table = t.reshape(nc, nr).T
    total, tr, tc = table.sum(), table.sum(axis=1), table.sum(axis=0)
    cell_row, cell_col = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    use = [(i, j) for j in range(1, nc) for i in range(1, nr)]
    y = np.array([table[i, j] - tr[i] * tc[j] / total for i, j in use])
    # gradient of each y_m with respect to the cell totals (R's Jacobian Jcb, chained)
    a = np.column_stack(
        [(np.arange(nr * nc) == i + nr * j) - (cell_row == i) * tc[j] / total
         - (cell_col == j) * tr[i] / total + tr[i] * tc[j] / total**2 for i, j in use]
    )
    df = (nr - 1) * (nc - 1)
    stat = float(y @ np.linalg.solve(a.T @ v @ a, y)) / df
    return ChisqTest("Wald", stat, float(df), float(nu), float(stats.f.sf(stat, df, nu)))


def crosstab(
    svy: Survey,
    row: str,
    col: str,
    *,
    alpha: float = 0.05,
    wald: bool = True,
    lang: str = "ko",
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
    lang : {"ko", "en"}

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
    ``svyby(~row, ~col, design, svymean)`` (column). As in R, ``N`` in X^2 is the number of rows
    in the base and ``nu`` the design df of the whole survey.
    """
    tw = _two_way(svy, row, col)
    nr, nc = len(tw["rl"]), len(tw["cl"])
    t, v = _cell_vcov(tw["cell"], nr * nc, tw["wd"], svy)
    p, a = _ratios(t, np.eye(nr * nc), np.ones((nr * nc, nr * nc)))
    nu = svy.resolved.degf
    n = int(np.count_nonzero(tw["wd"]))
    tests, eig = _rao_scott(p, a.T @ v @ a, n, nr, nc, nu)
    if wald:
        tests.append(_wald(t, v, nr, nc, nu))
    table = _crosstab_frame(svy, row, col, tw, t, v, lang)
    return Crosstab(
        row_variable=row, col_variable=col, table=table, tests=tuple(tests), method="Taylor linearisation",
        ci_method="none", df=nu, alpha=alpha, n=n, deltas=tuple(np.sort(eig)[::-1]), **_design_facts(svy),
    )


def _crosstab_frame(svy: Survey, row: str, col: str, tw: dict, t: np.ndarray, v: np.ndarray,
                    lang: str) -> pd.DataFrame:
    nr, nc, k = len(tw["rl"]), len(tw["cl"]), len(tw["rl"]) * len(tw["cl"])
    cell_row, cell_col = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    eye = np.eye(k)
    p, pa = _ratios(t, eye, np.ones((k, k)))
    rp, ra = _ratios(t, eye, (cell_row[:, None] == cell_row[None, :]).astype(float))
    cp, ca = _ratios(t, eye, (cell_col[:, None] == cell_col[None, :]).astype(float))
    counts = np.bincount(tw["cell"][tw["cell"] >= 0], minlength=k)
    rlab, clab = _labels(svy, row, lang), _labels(svy, col, lang)
    return pd.DataFrame(
        {
            "row_level": [tw["rl"][i] for i in cell_row],
            "col_level": [tw["cl"][j] for j in cell_col],
            "row_label": [_label(rlab, tw["rl"][i]) for i in cell_row],
            "col_label": [_label(clab, tw["cl"][j]) for j in cell_col],
            "n": counts,
            "weighted_n": t,
            "weighted_n_se": np.sqrt(np.maximum(np.diag(v), 0.0)),
            "cell": p,
            "cell_se": _quad_se(pa, v),
            "row": rp,
            "row_se": _quad_se(ra, v),
            "col": cp,
            "col_se": _quad_se(ca, v),
        }
    )


# --------------------------------------------------------------------------------------------
# multiple response


def _mr_columns(svy: Survey, columns_or_set: str | Sequence[str]) -> tuple[str, list[str]]:
    if not isinstance(columns_or_set, str):
        cols = list(columns_or_set)
        return ",".join(cols), cols
    name = columns_or_set
    inst = svy.instrument
    if inst is not None and name in inst.mr_sets():
        return name, list(inst.mr_sets()[name])
    pattern = re.compile(rf"^{re.escape(name)}_\d+$")
    cols = [c for c in svy.data.columns if pattern.match(str(c))]
    if not cols:
        raise DataError(
            f"multiple-response set {name!r} must be an instrument MR set or have columns named "
            f"'{name}_<code>'; found neither.{closest(name, map(str, svy.data.columns))} "
            "Pass the list of 0/1 columns instead."
        )
    return name, cols


def _mr_matrix(svy: Survey, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """0/1 selections (n, k) and a mask of rows that answered every item."""
    frame = pd.DataFrame({c: svy.column(c) for c in cols})
    for c in cols:
        codes = _missing_codes(svy, c, None)
        if codes:
            frame[c] = frame[c].mask(frame[c].isin(codes))
    values = frame.apply(pd.to_numeric, errors="coerce")
    answered = values.notna().all(axis=1).to_numpy()
    x = values.to_numpy(dtype=float, na_value=np.nan)
    bad = np.isfinite(x) & (x != 0) & (x != 1)
    if bad.any() or (frame.notna().to_numpy() & ~np.isfinite(x)).any():
        r, j = np.argwhere(bad | (frame.notna().to_numpy() & ~np.isfinite(x)))[0]
        raise DataError(
            f"multiple-response column {cols[j]!r} must hold 0/1 (not selected/selected) or a missing "
            f"value; got {jsonable(frame.iat[r, j])!r} (row {r + 1}). Recode the column to 0/1."
        )
    return np.where(np.isfinite(x), x, 0.0), answered


def _mr_rows(svy: Survey, x: np.ndarray, wd: np.ndarray, alpha: float, ci_method: str) -> dict[str, np.ndarray]:
    k = x.shape[1]
    u = np.column_stack([wd[:, None] * x, wd])  # item totals and the base total
    t, v = wd @ np.column_stack([x, np.ones(len(wd))]), design_vcov(u, svy.resolved)
    eye = np.eye(k + 1)[:, :k]
    cases, ca = _ratios(t, eye, np.repeat(np.eye(k + 1)[:, [k]], k, axis=1))
    resp, ra = _ratios(t, eye, np.repeat(eye.sum(axis=1, keepdims=True), k, axis=1))
    cse = _quad_se(ca, v)
    lo, hi = _ci(cases, cse, svy.resolved.with_weights(wd).degf, alpha, ci_method)
    return {"n": x[wd > 0].sum(axis=0).astype(int), "weighted_n": t[:k], "estimate": cases, "se": cse,
            "ci_low": lo, "ci_high": hi, "responses": resp, "responses_se": _quad_se(ra, v)}


def multiple_response(
    svy: Survey,
    columns_or_set: str | Sequence[str],
    *,
    by: str | None = None,
    base: str = "answered",
    alpha: float = 0.05,
    ci_method: str = "logit",
    lang: str = "ko",
) -> MultipleResponseTable:
    """Multiple-response table: "% of cases" and "% of responses", with design-based SEs.

    Parameters
    ----------
    svy : Survey
    columns_or_set : str or sequence of str
        0/1 item columns, or a set name (an instrument MR set, or columns ``<name>_<code>``).
    by : str, optional
        Grouping variable: one block of rows per level, and a test per item across the groups.
    base : {"answered", "any"}
        Cases in the base: every row that answered all items (default), or, as SPSS MULT
        RESPONSE, only rows with at least one item selected.
    alpha, ci_method, lang
        As in :func:`frequency` (intervals are for "% of cases").

    Returns
    -------
    MultipleResponseTable

    Notes
    -----
    "% of cases" is R ``svyratio(~item, ~base)``, "% of responses" ``svyratio(~item,
    ~n_selected)`` (both over the base's rows); with ``by`` they are ``svyby(..., svyratio)``.
    The test across groups is, per item, the Rao-Scott second-order F test of item x group
    (``svychisq(~item + by, statistic = "F")``) over the base rows; items are tested one by one
    (no joint test: the items are dependent within a case).
    """
    _check("base", base, MR_BASES)
    _check("ci_method", ci_method, CI_METHODS)
    name, cols = _mr_columns(svy, columns_or_set)
    x, answered = _mr_matrix(svy, cols)
    in_base = answered & ((x.sum(axis=1) > 0) if base == "any" else True)
    w = svy.resolved.weights
    blocks, groups = [], [(None, in_base)]
    df = svy.resolved.with_weights(np.where(in_base, w, 0.0)).degf
    if by is not None:
        g = svy.column(by)
        groups = [(lv, in_base & (g == lv).to_numpy()) for lv in _sorted_levels(g[in_base])]
    for level, mask in groups:
        rows = _mr_rows(svy, x, np.where(mask, w, 0.0), alpha, ci_method)
        blocks.append(pd.DataFrame({"variable": name, "item": cols, "label": _mr_labels(svy, cols, lang),
                                    "domain": level, **rows}))
    tests = None if by is None else _mr_tests(svy, cols, by, in_base)
    return MultipleResponseTable(
        variable=name, table=pd.concat(blocks, ignore_index=True), tests=tests, base=base,
        method="Taylor linearisation (ratio)", ci_method=ci_method, df=df, alpha=alpha, **_design_facts(svy),
    )


def _mr_labels(svy: Survey, cols: list[str], lang: str) -> list[str]:
    inst = svy.instrument
    out = []
    for c in cols:
        try:
            out.append(inst.label(c, 1, lang) if inst is not None else c)
        except (KeyError, ValueError):
            out.append(c)
    return out


def _mr_tests(svy: Survey, cols: list[str], by: str, in_base: np.ndarray) -> pd.DataFrame:
    rows = []
    for c in cols:
        t = _item_test(svy, c, by, in_base)
        rows.append({"item": c, "statistic": t.statistic, "ndf": t.ndf, "ddf": t.ddf, "p_value": t.p_value})
    return pd.DataFrame(rows)


def _item_test(svy: Survey, row: str, col: str, base: np.ndarray) -> ChisqTest:
    """The Rao-Scott F test of ``row x col`` over the rows in *base*."""
    tw = _two_way(svy, row, col, base)
    nr, nc = len(tw["rl"]), len(tw["cl"])
    t, v = _cell_vcov(tw["cell"], nr * nc, tw["wd"], svy)
    p, a = _ratios(t, np.eye(nr * nc), np.ones((nr * nc, nr * nc)))
    tests, _ = _rao_scott(p, a.T @ v @ a, int(np.count_nonzero(tw["wd"])), nr, nc, svy.resolved.degf)
    return tests[0]
