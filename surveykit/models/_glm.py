"""Weighted logistic pseudo-MLE (Newton/IRLS in numpy) and separation detection."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Fit", "expit", "fit_logistic", "log_lik", "detect_separation"]

TOL = 1e-10  # relative change in the weighted deviance at which Newton stops (R glm: 1e-8)
MAX_ITER = 50  # plain ML; more than this is a sign of divergence (separation)
ETA_LIMIT = 30.0  # |x'b| beyond which fitted probabilities are 0/1 to double precision


@dataclass(frozen=True, slots=True, eq=False)
class Fit:
    """A converged (or stopped) fit: coefficients, the information matrix and score rows."""

    beta: np.ndarray
    info: np.ndarray  # A = X' diag(w p (1-p)) X (observed = expected for the logit link)
    scores: np.ndarray  # u_i: estimating-function contributions, n x p (sum = 0 at the solution)
    p: np.ndarray
    iterations: int
    converged: bool


def expit(eta: np.ndarray) -> np.ndarray:
    """The logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * eta))


def log_lik(beta: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted Bernoulli log-likelihood ``sum w (y eta - log(1 + e^eta))``."""
    eta = X @ beta
    return float(np.sum(w * (y * eta - np.logaddexp(0.0, eta))))


def _newton_step(X: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray):
    p = expit(X @ beta)
    wv = w * p * (1.0 - p)
    info = (X * wv[:, None]).T @ X
    grad = X.T @ (w * (y - p))
    return np.linalg.lstsq(info, grad, rcond=None)[0], p, info


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = MAX_ITER) -> Fit:
    """Maximise the weighted log-likelihood by Newton-Raphson with step halving.

    Weights are rescaled to mean 1 (as ``svyglm(rescale=TRUE)``); estimates do not depend on it.
    """
    ws = w / w.mean()
    beta = np.zeros(X.shape[1])
    ll = log_lik(beta, X, y, ws)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        step, _, _ = _newton_step(X, y, ws, beta)
        new, ll_new = _halve(beta, step, lambda b: log_lik(b, X, y, ws), ll)
        change = abs(ll_new - ll) / (abs(ll_new) + 0.1)
        beta, ll = new, ll_new
        if change < TOL and np.max(np.abs(step)) < 1e-6 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    return _finish(X, y, w, beta, it, converged)


def _halve(beta, step, objective, current, max_halvings: int = 30):
    """Take the Newton step, halving it until the objective does not decrease."""
    factor = 1.0
    for _ in range(max_halvings):
        cand = beta + factor * step
        val = objective(cand)
        if np.isfinite(val) and val >= current - 1e-12 * abs(current):
            return cand, val
        factor /= 2.0
    return beta, current


def _finish(X, y, w, beta, it, converged) -> Fit:
    p = expit(X @ beta)
    info = (X * (w * p * (1.0 - p))[:, None]).T @ X
    scores = X * (w * (y - p))[:, None]
    return Fit(beta=beta, info=info, scores=scores, p=p, iterations=it, converged=converged)


def looks_separated(fit: Fit, X: np.ndarray, w: np.ndarray) -> bool:
    """Cheap screen: no convergence, or some fitted linear predictors beyond +-ETA_LIMIT."""
    eta = X[w > 0] @ fit.beta
    return (not fit.converged) or bool(np.any(np.abs(eta) > ETA_LIMIT))


def detect_separation(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> bool:
    """Linear-programming check for (quasi-)complete separation (Konis 2007).

    Separation exists when some direction ``b != 0`` has ``(2y-1) x'b >= 0`` for every row
    with positive weight. We maximise ``sum (2y-1) x'b`` under those constraints with
    ``|b_j| <= 1``; a positive optimum means the ML estimate does not exist.
    """
    from scipy.optimize import linprog

    rows = w > 0
    s = (2.0 * y[rows] - 1.0)[:, None] * X[rows]
    s = np.unique(np.round(s, 12), axis=0)
    res = linprog(-s.sum(axis=0), A_ub=-s, b_ub=np.zeros(len(s)),
                  bounds=[(-1.0, 1.0)] * X.shape[1], method="highs")
    return bool(res.status == 0 and -res.fun > 1e-7)
