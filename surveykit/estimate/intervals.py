"""Confidence-interval methods for :mod:`surveykit.estimate` (via :mod:`surveykit.estimate.support`): t/normal
critical values and the proportion intervals of R ``svyciprop`` (logit, likelihood, asin, beta, mean,
xlogit, wilson, wald), all on arrays of already-computed estimates (one element per result row).
scipy is imported inside the functions so that ``import surveykit`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
    """Lower and upper limits for proportions *p* with design SEs *se*; *method* from ``PROPORTION_METHODS``.

    The one home of proportion intervals: :func:`surveykit.estimate.proportion`, the tables
    (:func:`surveykit.tables.frequency`, multiple response) and segment shares all call it.
    An estimate without sampling variance (``se == 0``: every row in or out of the category,
    including ``p = 0`` and ``p = 1``) gets the degenerate interval ``[p, p]`` by every method,
    where the formulas divide by zero (R gives ``NaN`` for some methods there); such estimates
    are flagged by the reliability rules rather than given an invented width.
    """
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
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = dispatch[method]()
    exact = (se == 0) & np.isfinite(p)
    return np.where(exact, p, low), np.where(exact, p, high)
