"""Internal helpers of :mod:`surveykit.estimate`: estimand columns, domains, intervals, quantile rule.

* data preparation: survey columns become float arrays (NaN = not part of the estimand) and
  domain codes, with one clear :class:`~surveykit.errors.DataError` for every kind of bad input;
* intervals and the quantile rule work on arrays of already-computed estimates (one element per
  result row) and never loop over data rows.

scipy is imported inside the functions so that ``import surveykit`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest, format_rows

if TYPE_CHECKING:
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


def check_na(svy: Survey, name: str, active: np.ndarray, na: str, verb: str) -> None:
    """With ``na="fail"``, raise when *name* is system-missing on an *active* row (weight > 0, in a
    domain). User-missing codes are not checked: they are left out of the estimand by design."""
    if na == "drop":
        return
    bad = svy.column(name).isna().to_numpy() & active
    if bad.any():
        raise DataError(
            f"variable {name!r} must have no missing values for {verb}(); got {int(bad.sum())} "
            f"({format_rows((np.flatnonzero(bad) + 1).tolist())}). Pass na=\"drop\" to estimate over the "
            "answered rows while keeping the whole design (R: na.rm=TRUE), or impute them first."
        )


@dataclass(frozen=True, slots=True)
class Domains:
    """Domain membership: ``codes[i]`` in ``0..k-1`` or -1 (outside every domain)."""

    codes: np.ndarray
    keys: tuple[Any, ...]
    by: tuple[str, ...]

    @property
    def k(self) -> int:
        return len(self.keys)


def domains(svy: Survey, by: str | Sequence[str] | None, weights: np.ndarray) -> Domains:
    """Domains of *by* among rows with positive weight, sorted (R ``svyby`` drops empty ones)."""
    n = weights.shape[0]
    if by is None:
        return Domains(np.where(weights > 0, 0, -1).astype(np.int64), (None,), ())
    cols = as_names(by, "by")
    frame = pd.DataFrame({c: svy.column(c) for c in cols})
    grouped = frame.groupby(cols, sort=True, dropna=True)
    raw = grouped.ngroup().to_numpy(dtype=float, na_value=np.nan)
    raw = np.where(np.isnan(raw) | (weights <= 0), -1, raw).astype(np.int64)
    keys = list(grouped.size().index)
    present = np.bincount(raw[raw >= 0], minlength=len(keys)) > 0
    remap = np.full(len(keys) + 1, -1, np.int64)
    remap[:-1][present] = np.arange(int(present.sum()))
    codes = remap[raw] if n else raw
    if not present.any():
        raise DataError(f"by {cols!r} must have at least one non-missing value on a row with weight > 0; got none.")
    return Domains(codes, tuple(k for k, p in zip(keys, present) if p), tuple(cols))


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


def indicator_columns(
    svy: Survey, name: str, level: Any, include_missing: bool
) -> tuple[np.ndarray, list[Any]]:
    """0/1 columns (NaN where missing) for the levels of *name* whose proportions are wanted.

    With *level*: that level only. A 0/1 or boolean column: the share of 1. Otherwise every
    observed level (categories in order for a pandas Categorical, sorted otherwise).
    """
    col = raw_column(svy, name, include_missing)
    missing = col.isna().to_numpy()
    if level is not None:
        levels = [level]
    elif pd.api.types.is_bool_dtype(col):
        levels = [True]
    elif isinstance(col.dtype, pd.CategoricalDtype):
        levels = list(col.cat.categories)
    else:
        observed = pd.unique(col[~missing])
        is_num = pd.api.types.is_numeric_dtype(col)
        levels = [1] if is_num and set(observed.tolist()) <= {0, 1} else sorted(observed.tolist())
    values = col.to_numpy(dtype=object)
    ind = np.column_stack([values == lv for lv in levels]).astype(float)
    ind[missing, :] = np.nan
    return ind, levels

PROPORTION_METHODS: tuple[str, ...] = ("logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson", "wald")


def crit(alpha: float, df: np.ndarray | float) -> np.ndarray:
    """Upper ``1 - alpha/2`` quantile of Student's t with *df* (normal where df is inf).

    As R's ``qt(1 - alpha/2, df)``: NaN for ``df <= 0``.
    """
    from scipy import stats

    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        t = stats.t.ppf(1 - alpha / 2, np.where(df > 0, df, np.nan))
    return np.where(np.isinf(df), stats.norm.ppf(1 - alpha / 2), t)


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


def cells(codes: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """Result column of each (row, variable): ``j * k + d`` for variable *j* in domain *d*.

    Rows outside every domain (or with weight 0) or with a missing value point at the spare
    column ``m = p * k``, which every sum below drops. Each row belongs to at most one domain,
    so a row has at most one column per variable and a sum over a result column is a single
    ``bincount`` over the rows.
    """
    m = k * valid.shape[1]
    idx = codes[:, None] + k * np.arange(valid.shape[1])[None, :]
    return np.where(valid & (codes >= 0)[:, None], idx, m)


def pad(values: np.ndarray) -> np.ndarray:
    """Per-column *values* with a 0 for the spare column, so ``pad(v)[cell]`` is safe."""
    return np.append(values, 0.0)


def spread(values: np.ndarray, cell: np.ndarray, m: int) -> np.ndarray | float:
    """Each row's value of its result column (spare column: 0); a scalar when there is one column."""
    if m == 1:
        return float(values[0])
    return pad(values)[cell]


def bsum(cell: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Sum of *values* (broadcast to ``cell``'s shape) in each of the *m* result columns."""
    vals = np.broadcast_to(values, cell.shape)
    if m == 1 and cell.shape[1] == 1:  # fast path: one column, a masked sum (no bincount)
        return np.array([np.sum(vals, where=cell == 0)])
    return np.bincount(cell.ravel(), weights=vals.ravel(), minlength=m + 1)[:m]


def count(cell: np.ndarray, m: int) -> np.ndarray:
    """Unweighted number of rows in each result column."""
    if m == 1:
        return np.array([np.count_nonzero(cell == 0)])
    return np.bincount(cell.ravel(), minlength=m + 1)[:m]


def dense(cell: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """``(n, m)`` matrix with *values* at each row's result columns, 0 elsewhere (kernel input)."""
    n = cell.shape[0]
    vals = np.broadcast_to(values, cell.shape)
    if m == 1 and cell.shape[1] == 1:
        return np.where(cell == 0, vals, 0.0)
    out = np.zeros((n, m + 1))
    rows = np.arange(n)
    for j in range(cell.shape[1]):  # loop over variables, not rows
        out[rows, cell[:, j]] = vals[:, j]
    return out[:, :m]


def degf_cells(psu: np.ndarray, psu_stratum: np.ndarray, cell: np.ndarray, m: int) -> np.ndarray:
    """R ``degf()`` per result column: first-stage PSUs minus strata among the column's rows.

    *psu* is each row's first-stage PSU code, *psu_stratum* each PSU's stratum code.
    """
    n_psu = psu_stratum.shape[0]
    n_str = int(psu_stratum.max()) + 1
    if m == 1 and cell.shape[1] == 1:
        present = (np.bincount(psu[cell[:, 0] == 0], minlength=n_psu) > 0)[None, :]
    else:
        key = cell * n_psu + psu[:, None]
        present = np.bincount(key.ravel(), minlength=(m + 1) * n_psu)[: m * n_psu].reshape(m, n_psu) > 0
    col_idx, psu_idx = np.nonzero(present)
    strata = np.bincount(col_idx * n_str + psu_stratum[psu_idx], minlength=m * n_str).reshape(m, n_str) > 0
    return (present.sum(axis=1) - strata.sum(axis=1)).astype(float)
