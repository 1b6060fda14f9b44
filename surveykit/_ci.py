"""Internal helpers of :mod:`surveykit.estimate`: estimand columns, domains, intervals, quantile rule.

* data preparation: survey columns become float arrays (NaN = not part of the estimand) and
  domain codes, with one clear :class:`~surveykit.errors.DataError` for every kind of bad input;
* intervals and the quantile rule work on arrays of already-computed estimates (one element per
  result row) and never loop over data rows.

scipy is imported inside the functions so that ``import surveykit`` stays light.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit._variance import cell_keys, cells_vcov, design_vcov
from surveykit.errors import DataError, closest, format_rows

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey

NA_POLICIES: tuple[str, ...] = ("fail", "drop")


def as_names(variables: str | Sequence[str], what: str = "variables") -> list[str]:
    """Column argument as a list of names (``str`` or a sequence of ``str``)."""
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names or not all(isinstance(v, str) for v in names):
        raise DataError(f"{what} must be a column name or a list of column names; got {variables!r}.")
    return names


def check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    """One wording for a bad option value."""
    if value not in choices:
        raise DataError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}." + closest(str(value), choices)
        )


def check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise DataError(f"alpha must be a number between 0 and 1 (0.05 gives 95% intervals); got {alpha!r}.")


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_options(deff: Any = False, ci_df: Any = None, include_missing: Any = False) -> None:
    """One wording for the estimators' other options: ``<arg> must be <what>; got <value>.``"""
    if not isinstance(deff, (bool, np.bool_)) and deff != "replace":
        raise DataError(f"deff must be True, False or \"replace\"; got {deff!r}.")
    if ci_df is not None and ci_df != "design" and not (_is_real(ci_df) and ci_df > 0):
        raise DataError(
            f"ci_df must be a number > 0 (inf for the normal quantile), \"design\" or None; got {ci_df!r}."
        )
    if not isinstance(include_missing, (bool, np.bool_)):
        raise DataError(f"include_missing must be True or False; got {include_missing!r}.")


def check_probs(probs: Any) -> np.ndarray:
    """Quantile probabilities as a 1-d float array; one DataError for anything but numbers in [0, 1]."""
    items = list(probs) if isinstance(probs, (list, tuple, np.ndarray, pd.Series)) else [probs]
    ok = bool(items) and all(_is_real(p) and 0 <= p <= 1 for p in items)
    if not ok or np.ndim(probs) > 1:
        raise DataError(f"probs must be numbers between 0 and 1 (0.5 for the median); got {probs!r}.")
    return np.asarray(items, dtype=float)


def raw_column(svy: Survey, name: str, include_missing: bool) -> pd.Series:
    """The column with the instrument's user-missing codes set to NA (unless *include_missing*)."""
    col = svy.column(name)
    codes = () if include_missing else svy.missing_codes(name)
    if codes:
        col = col.mask(col.isin(list(codes)))
    return col


def numeric_column(svy: Survey, name: str, include_missing: bool, fix: str) -> np.ndarray:
    """*name* as float64 (NaN for missing); a DataError naming rows when values are not numbers."""
    col = raw_column(svy, name, include_missing)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan)
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna().to_numpy() & col.notna().to_numpy()
    if bad.any():
        first = col[bad].iloc[0]
        raise DataError(
            f"variable {name!r} must be numeric; got {int(bad.sum())} non-numeric values such as {first!r} "
            f"({format_rows((np.flatnonzero(bad) + 1).tolist())}). {fix}"
        )
    return num.to_numpy(dtype=float, na_value=np.nan)


def check_na(svy: Survey, name: str, active: np.ndarray | None, na: str, verb: str) -> None:
    """With ``na="fail"``, raise when *name* is system-missing on an *active* row (weight > 0, in a
    domain; ``None``: every row). User-missing codes are not checked: they are left out of the
    estimand by design."""
    if na == "drop":
        return
    bad = svy.column(name).isna().to_numpy()
    if active is not None:
        bad = bad & active
    if bad.any():
        raise DataError(
            f"variable {name!r} must have no missing values for {verb}(); got {int(bad.sum())} "
            f"({format_rows((np.flatnonzero(bad) + 1).tolist())}). Pass na=\"drop\" to estimate over the "
            "answered rows while keeping the whole design (R: na.rm=TRUE), or impute them first."
        )


@dataclass(frozen=True, slots=True)
class DesignFacts:
    """Weight-dependent facts of a resolved design, computed once per design (see :func:`design_facts`)."""

    all_positive: bool  # every weight > 0 (no Survey.domain() zeros)
    n_positive: int  # rows with weight > 0
    degf: float  # R degf(): first-stage PSUs minus strata among rows with weight > 0


_FACTS: weakref.WeakKeyDictionary[Any, DesignFacts] = weakref.WeakKeyDictionary()


def design_facts(rd: ResolvedDesign) -> DesignFacts:
    """:class:`DesignFacts` of *rd*, cached while *rd* lives (its arrays are never mutated)."""
    facts = _FACTS.get(rd)
    if facts is None:
        pos = rd.weights > 0
        st = rd.stages[0]
        present = np.bincount(st.psu[pos], minlength=st.psu_stratum.shape[0])[:, None] > 0
        facts = DesignFacts(bool(pos.all()), int(np.count_nonzero(pos)), float(degf_present(present, st.psu_stratum)[0]))
        _FACTS[rd] = facts
    return facts


@dataclass(frozen=True, slots=True)
class Domains:
    """Domain membership: ``codes[i]`` in ``0..k-1`` or -1 (outside every domain, or weight 0).

    ``codes`` is ``None`` when every row is in the one domain (no ``by``, every weight > 0);
    ``complete`` says that no code is -1.
    """

    codes: np.ndarray | None
    keys: tuple[Any, ...]
    by: tuple[str, ...]
    complete: bool = False

    @property
    def k(self) -> int:
        return len(self.keys)

    @property
    def active(self) -> np.ndarray | None:
        """Rows in some domain (``None``: every row)."""
        return None if self.complete else self.codes >= 0


def _group_codes(svy: Survey, cols: list[str]) -> tuple[np.ndarray, list[Any]]:
    """Sorted group codes (-1 for a missing value) and keys, as ``groupby(sort=True, dropna=True)``."""
    if len(cols) == 1:  # factorize gives the same codes and keys, without the groupby machinery
        codes, uniques = pd.factorize(svy.column(cols[0]), sort=True)
        return codes.astype(np.int64, copy=False), list(uniques)
    frame = pd.DataFrame({c: svy.column(c) for c in cols})
    grouped = frame.groupby(cols, sort=True, dropna=True)
    raw = grouped.ngroup().to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(raw), -1, raw).astype(np.int64), list(grouped.size().index)


def domains(svy: Survey, by: str | Sequence[str] | None, rd: ResolvedDesign) -> Domains:
    """Domains of *by* among rows with positive weight, sorted (R ``svyby`` drops empty ones)."""
    facts = design_facts(rd)
    if by is None:
        codes = None if facts.all_positive else np.where(rd.weights > 0, 0, -1).astype(np.int64)
        return Domains(codes, (None,), (), facts.all_positive)
    cols = as_names(by, "by")
    raw, keys = _group_codes(svy, cols)
    if not facts.all_positive:
        raw = np.where(rd.weights > 0, raw, -1)
    sizes = np.bincount(raw + 1, minlength=len(keys) + 1)  # sizes[0]: rows in no domain
    present = sizes[1:] > 0
    if not present.any():
        raise DataError(f"by {cols!r} must have at least one non-missing value on a row with weight > 0; got none.")
    if not present.all():
        remap = np.full(len(keys) + 1, -1, np.int64)
        remap[:-1][present] = np.arange(int(present.sum()))
        raw = remap[raw]
    return Domains(raw, tuple(k for k, p in zip(keys, present) if p), tuple(cols), bool(sizes[0] == 0))


def value_labels(svy: Survey, name: str) -> dict[Any, str]:
    """Value labels of *name* from the instrument, when it offers ``value_labels(name)``."""
    inst = svy.instrument
    getter = getattr(inst, "value_labels", None)
    if getter is None:
        return {}
    try:
        labels = getter(name)
    except (KeyError, ValueError, TypeError, AttributeError):
        return {}
    return {k: str(v) for k, v in dict(labels or {}).items()}


def _observed_levels(col: pd.Series, missing: np.ndarray) -> list[Any]:
    """Levels whose proportions are wanted when none is named (see :func:`indicator_columns`)."""
    if pd.api.types.is_bool_dtype(col):
        return [True]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    observed = pd.unique(col[~missing]) if missing.any() else pd.unique(col)
    is_num = pd.api.types.is_numeric_dtype(col)
    return [1] if is_num and set(observed.tolist()) <= {0, 1} else sorted(observed.tolist())


def _known_level(col: pd.Series, name: str, level: Any, missing: np.ndarray, numeric: bool) -> Any:
    """*level* if it is a level of *col* (an observed value; a category of a Categorical).

    A numeric string names the equal observed value of a numeric column (``"2"`` is ``2``);
    nothing else is converted. A DataError with close matches (compared as text) otherwise.
    """
    if isinstance(level, (list, tuple, set, dict, np.ndarray, pd.Series, pd.Index)):
        raise DataError(
            f"level must be one value (a level of {name!r}); got {level!r}. Leave level out to get every level."
        )
    if isinstance(col.dtype, pd.CategoricalDtype):
        known = list(col.cat.categories)
    else:
        known = pd.unique(col[~missing]).tolist()
    if level in known:
        return level
    if numeric and isinstance(level, str):
        try:
            as_number = float(level)
        except ValueError:
            as_number = np.nan
        match = [v for v in known if v == as_number]
        if len(match) == 1:
            return match[0]
    tidy = [int(v) if isinstance(v, float) and v.is_integer() else v for v in known]  # 2.0 (masked ints) as 2
    shown = ", ".join(map(repr, sorted(tidy, key=str)[:12])) + (", ..." if len(tidy) > 12 else "")
    raise DataError(
        f"level must be a value of {name!r}; got {level!r} ({type(level).__name__}), but {name!r} has "
        f"{shown}.{closest(str(level), [str(v) for v in tidy])} Pass one of those values."
    )


def indicator_columns(
    svy: Survey, name: str, level: Any, include_missing: bool
) -> tuple[np.ndarray, list[Any]]:
    """0/1 columns (NaN where missing) for the levels of *name* whose proportions are wanted.

    With *level*: that level only, which must be a value of the column (see
    :func:`_known_level`). A 0/1 or boolean column: the share of 1. Otherwise every observed
    level (categories in order for a pandas Categorical, sorted otherwise). Numeric columns are
    compared as float64 (a 0/1 column is its own indicator); others as objects.
    """
    col = raw_column(svy, name, include_missing)
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    arr = col.to_numpy(dtype=float, na_value=np.nan) if numeric else None
    missing = np.isnan(arr) if numeric else col.isna().to_numpy()
    if level is not None:
        level = _known_level(col, name, level, missing, numeric)
    levels = [level] if level is not None else _observed_levels(col, missing)
    if numeric and levels == [1] and level is None:
        return arr[:, None], levels  # observed values are 0 and 1 (NaN where missing)
    if numeric and all(isinstance(lv, (int, float, np.number)) and not isinstance(lv, bool) for lv in levels):
        ind = np.column_stack([arr == lv for lv in levels]).astype(float)
    else:
        values = col.to_numpy(dtype=object)
        ind = np.column_stack([values == lv for lv in levels]).astype(float)
    if missing.any():
        ind[missing, :] = np.nan
    return ind, levels


PROPORTION_METHODS: tuple[str, ...] = ("logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson", "wald")


def crit(alpha: float, df: np.ndarray | float) -> np.ndarray:
    """Upper ``1 - alpha/2`` quantile of Student's t with *df* (normal where df is inf).

    As R's ``qt(1 - alpha/2, df)``: NaN for ``df <= 0``. Calls ``scipy.special.stdtrit`` and
    ``ndtri`` directly, which is what ``scipy.stats.t.ppf``/``norm.ppf`` compute, without their
    per-call argument checking (about 0.3 ms each).
    """
    from scipy import special

    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        t = special.stdtrit(np.where(df > 0, df, np.nan), 1 - alpha / 2)
    return np.where(np.isinf(df), special.ndtri(1 - alpha / 2), t)


def _expit(eta: np.ndarray) -> np.ndarray:
    return np.exp(eta) / (1 + np.exp(eta))


def _logit_ci(p: np.ndarray, se: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric on the logit scale (R ``svyciprop`` "logit" and "xlogit", delta method)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.log(p / (1 - p))
        half = t * se / (p * (1 - p))
    return _expit(eta - half), _expit(eta + half)


def _asin_ci(p: np.ndarray, se: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric on the arcsine-square-root scale, back-transformed with ``sin(.)^2`` as R does."""
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.arcsin(np.sqrt(p))
        half = t * se / (2 * np.sqrt(p * (1 - p)))
    return np.sin(centre - half) ** 2, np.sin(centre + half) ** 2


def _beta_ci(
    p: np.ndarray, se: np.ndarray, alpha: float, df: np.ndarray, n_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Korn and Graubard (1998): Clopper-Pearson with the df-adjusted effective sample size."""
    from scipy import stats

    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / se**2
        adj = stats.t.ppf(alpha / 2, n_rows - 1) / stats.t.ppf(alpha / 2, np.where(df > 0, df, np.nan))
        n_eff = n_eff * adj**2
        low = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        high = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    return low, high


def _wilson_ci(p: np.ndarray, se: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval on the Kish effective sample size ``p(1-p)/se^2`` (not in R)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / se**2
        z2n = t**2 / n_eff
        centre = (p + z2n / 2) / (1 + z2n)
        half = t * np.sqrt(p * (1 - p) / n_eff + z2n / (4 * n_eff)) / (1 + z2n)
    return centre - half, centre + half


def _likelihood_one(p: float, c2: float, n_glm: float) -> tuple[float, float]:
    """Roots of ``2 (n_glm - 1) KL(p || q) = c2`` below and above *p* (see :func:`_likelihood_ci`)."""
    from scipy.optimize import brentq

    if not (0 < p < 1) or not np.isfinite(c2) or n_glm <= 1:
        return np.nan, np.nan
    if c2 == 0:
        return p, p

    def f(q: float) -> float:
        kl = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
        return 2 * (n_glm - 1) * kl - c2

    tiny = 1e-300
    low = brentq(f, tiny, p, xtol=1e-15, rtol=4 * np.finfo(float).eps) if f(tiny) > 0 else 0.0
    high = brentq(f, p, 1 - 1e-16, xtol=1e-15, rtol=4 * np.finfo(float).eps) if f(1 - 1e-16) > 0 else 1.0
    return low, high


def _likelihood_ci(
    p: np.ndarray, se: np.ndarray, t: np.ndarray, n_glm: np.ndarray, w_glm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Profile-likelihood interval of the quasibinomial intercept, as R ``svyciprop(method="likelihood")``.

    For an intercept-only quasibinomial fit the scaled deviance is ``2 (n - 1) KL(p || q)`` and R
    widens the cut-off by ``lambda = var_design(eta) / var_naive(eta) = se^2 w_glm / (p (1 - p))``,
    where ``w_glm`` is the sum of the rescaled (mean 1) weights the glm sees.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = se**2 * w_glm / (p * (1 - p))
        c2 = t**2 * lam
    pairs = [_likelihood_one(*args) for args in zip(p.tolist(), c2.tolist(), n_glm.tolist())]
    out = np.array(pairs, dtype=float).reshape(-1, 2)
    return out[:, 0], out[:, 1]


def proportion_ci(
    method: str,
    p: np.ndarray,
    se: np.ndarray,
    alpha: float,
    df: np.ndarray,
    n_rows: np.ndarray,
    n_glm: np.ndarray,
    w_glm: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits for proportions *p* with design SEs *se*; *method* from ``PROPORTION_METHODS``."""
    t = crit(alpha, df)
    dispatch: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
        "logit": lambda: _logit_ci(p, se, t),
        "xlogit": lambda: _logit_ci(p, se, t),
        "asin": lambda: _asin_ci(p, se, t),
        "beta": lambda: _beta_ci(p, se, alpha, df, n_rows),
        "mean": lambda: (p - t * se, p + t * se),
        "wald": lambda: (p - crit(alpha, np.inf) * se, p + crit(alpha, np.inf) * se),
        "wilson": lambda: _wilson_ci(p, se, t),
        "likelihood": lambda: _likelihood_ci(p, se, t, n_glm, w_glm),
    }
    return dispatch[method]()


def qrule_math(xs: np.ndarray, cumw: np.ndarray, total: float, probs: np.ndarray) -> np.ndarray:
    """R ``survey:::qrule_math`` on pre-sorted values *xs* with cumulative weights *cumw*.

    The smallest sorted value whose cumulative weight reaches ``p * total``; as in R, a *p*
    below the first weight gives the second value (R's ``last()`` falls back to index 1).
    NaN for *p* outside [0, 1] or NaN (R's Woodruff limits outside [0, 1]).
    """
    probs = np.asarray(probs, dtype=float)
    ok = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
    pp = np.where(ok, probs, 0.0)
    m = xs.shape[0]
    pos = np.searchsorted(cumw, pp * total, side="right") - 1  # last cumw <= p * total
    pos = np.where(pos < 0, 0, pos)
    nxt = np.minimum(pos + 1, m - 1)
    wlow = pp - cumw[pos] / total
    out = np.where(wlow == 0, xs[pos], xs[nxt])
    return np.where(ok, out, np.nan)


# float64 cumulative weights of m values are within m * eps * total of R's long-double ones (and of
# any other order of tied values); a target p * total farther than this from the bracketing
# cumulative weights gives the same qrule_math value in every case. 4x covers the total's own error.
TIE_GUARD = 4.0


class WeightedCdf:
    """Weighted CDF of one domain's values, inverted with R's ``qrule_math``.

    Built from any sort of the values (ties in any order) and a float64 ``cumsum``. Where a
    target ``p * total`` falls within rounding of a cumulative weight, the answer depends on
    R's exact arithmetic, so it is recomputed as R does: ties in row order (R ``order()`` is
    stable) and cumulative sums accumulated in extended precision (R ``cumsum()``).
    """

    __slots__ = ("rows", "xs", "cum", "_w", "_exact")

    def __init__(self, rows: np.ndarray, x: np.ndarray, w: np.ndarray) -> None:
        self.rows, self._w, self._exact = rows, w, None
        self.xs = x[rows]
        self.cum = np.cumsum(w[rows])

    def quantile(self, probs: np.ndarray) -> np.ndarray:
        """``qrule_math`` at each of *probs* (NaN outside [0, 1]; NaN when the domain is empty)."""
        probs = np.asarray(probs, dtype=float)
        m = self.xs.shape[0]
        if m == 0:
            return np.full(probs.shape, np.nan)
        total = float(self.cum[-1])
        ok = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
        target = probs[ok] * total
        pos = np.clip(np.searchsorted(self.cum, target, side="right") - 1, 0, m - 1)
        near = np.abs(np.stack([self.cum[pos], self.cum[np.minimum(pos + 1, m - 1)]]) - target)
        if np.all(near > TIE_GUARD * (m + 1) * np.finfo(float).eps * total):
            return qrule_math(self.xs, self.cum, total, probs)
        return qrule_math(*self._exact_cdf(), probs)

    def _exact_cdf(self) -> tuple[np.ndarray, np.ndarray, float]:
        if self._exact is None:
            xs = self.xs
            run = np.concatenate([[0], np.cumsum(xs[1:] != xs[:-1])])
            span = int(self.rows.max()) + 1
            rows = np.sort(run * span + self.rows) % span  # ties in row order
            cum = np.cumsum(self._w[rows].astype(np.longdouble))
            self._exact = (xs, cum.astype(float), float(cum[-1]))
        return self._exact


def domain_cdfs(x: np.ndarray, w: np.ndarray, codes: np.ndarray | None, k: int) -> list[WeightedCdf]:
    """One :class:`WeightedCdf` per domain (``codes``: domain of each row, -1 none; ``None``: all
    rows in one). One sort of the values, then a stable sort of the small domain codes."""
    order = np.argsort(x)
    if codes is None:
        return [WeightedCdf(order, x, w)]
    c = codes[order]
    if k == 1:
        return [WeightedCdf(order[c >= 0], x, w)]
    by_dom = order[np.argsort(c.astype(np.int16) if k < 2**15 - 1 else c, kind="stable")]
    starts = np.searchsorted(codes[by_dom], np.arange(k + 1))
    return [WeightedCdf(by_dom[a:b], x, w) for a, b in zip(starts[:-1], starts[1:])]


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    """Result column of every (row, variable) value, and the sums, counts and variances over them.

    ``cell`` is ``int64 (n, p)``: ``j * k + d`` for variable *j* in domain *d*, or the spare
    column ``m = p * k`` for a value outside every domain, with weight 0 or missing; every sum
    drops the spare column, where values may even be NaN. Each row belongs to at most one
    domain, so a sum over result columns is one ``bincount``, and the PSU totals of every column
    one ``bincount`` over ``keys`` (see :func:`surveykit._variance.cells_vcov`).
    ``cell is None`` is the common case of one column holding every row (one variable, one
    domain, nothing missing, every weight positive): sums are plain sums.
    """

    cell: np.ndarray | None
    m: int
    keys: tuple[np.ndarray, ...] | None

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of *values* (``(n,)``, ``(n, 1)`` or ``(n, p)``, broadcast) in each result column."""
        if self.cell is None:
            return np.array([np.sum(values)])
        vals = np.broadcast_to(values.reshape(values.shape[0], -1), self.cell.shape)
        return np.bincount(self.cell.ravel(), weights=vals.ravel(), minlength=self.m + 1)[: self.m]

    def sum_product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Sum of ``a * b`` (both ``(n, p)``) in each result column."""
        if self.cell is None:
            return np.array([np.einsum("ij,ij->", a, b)])
        return self.sum(a * b)

    def spread(self, per_column: np.ndarray) -> np.ndarray | float:
        """Each value's entry of *per_column* (spare column: 0); a scalar when there is one column."""
        if self.m == 1:
            return float(per_column[0])
        return np.append(per_column, 0.0)[self.cell]

    def counts(self, rd: ResolvedDesign) -> tuple[np.ndarray, np.ndarray]:
        """Rows (``n``) and R ``degf()`` (first-stage PSUs minus strata among the rows) per column."""
        if self.cell is None:
            facts = design_facts(rd)
            return np.array([facts.n_positive]), np.array([facts.degf])
        st = rd.stages[0]
        n_p = st.psu_stratum.shape[0]
        by_psu = np.bincount(self.keys[0], minlength=n_p * (self.m + 1)).reshape(n_p, self.m + 1)[:, : self.m]
        return by_psu.sum(axis=0), degf_present(by_psu > 0, st.psu_stratum)

    def vcov(self, u: np.ndarray, rd: ResolvedDesign) -> np.ndarray:
        """Design variance-covariance ``(m, m)`` of the column totals of *u* (weighted influence)."""
        if self.cell is None:
            return design_vcov(u.reshape(u.shape[0], 1), rd)
        return cells_vcov(u, self.cell, self.m, rd, self.keys)


def layout(dom: Domains, valid: np.ndarray | None, p: int, rd: ResolvedDesign) -> Layout:
    """:class:`Layout` of *p* variables in the domains *dom*; *valid* ``(n, p)`` marks answered
    values (``None``: all)."""
    m = p * dom.k
    if m == 1 and dom.codes is None and valid is None:
        return Layout(None, 1, None)
    n = rd.weights.shape[0]
    codes = np.zeros(n, np.int64) if dom.codes is None else dom.codes
    cell = codes[:, None] + dom.k * np.arange(p)[None, :] if p > 1 else codes[:, None]
    if not dom.complete:
        cell = np.where((codes >= 0)[:, None], cell, m)
    if valid is not None:
        cell = np.where(valid, cell, m)
    return Layout(cell, m, cell_keys(cell, m, rd))


def degf_present(present: np.ndarray, psu_stratum: np.ndarray) -> np.ndarray:
    """R ``degf()`` per column of *present* (``(P, m)`` bool: PSU has rows in the column):
    PSUs minus strata among them."""
    m = present.shape[1]
    n_str = int(psu_stratum.max()) + 1
    psu_idx, col_idx = np.nonzero(present)
    strata = np.bincount(col_idx * n_str + psu_stratum[psu_idx], minlength=m * n_str).reshape(m, n_str) > 0
    return (present.sum(axis=0) - strata.sum(axis=1)).astype(float)
