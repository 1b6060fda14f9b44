"""Weighted logistic pseudo-MLE (Newton/IRLS in numpy) and separation detection."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Fit", "expit", "fit_logistic", "log_lik", "detect_separation", "weighted_gram"]

TOL = 1e-10  # relative change in the weighted deviance at which Newton stops (R glm: 1e-8)
MAX_ITER = 50  # plain ML; more than this is a sign of divergence (separation)
ETA_LIMIT = 30.0  # |x'b| beyond which fitted probabilities are 0/1 to double precision
BLOCK = 8192  # rows per block in weighted_gram: a block of X and its weighted copy fit in L2


@dataclass(frozen=True, slots=True, eq=False)
class Fit:
    """A converged (or stopped) fit: coefficients, the information matrix and score rows."""

    beta: np.ndarray
    info: np.ndarray  # A = X' diag(w p (1-p)) X (observed = expected for the logit link)
    scores: np.ndarray  # u_i: estimating-function contributions, n x p (sum = 0 at the solution)
    p: np.ndarray
    iterations: int
    converged: bool
    eta: np.ndarray | None = None
    loglik: float = float("nan")  # weighted log-likelihood at beta, caller's weight scale


def expit(eta: np.ndarray) -> np.ndarray:
    """The logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * eta))


def log_lik(beta: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted Bernoulli log-likelihood ``sum w (y eta - log(1 + e^eta))``."""
    return log_lik_eta(X @ beta, y, w)


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = MAX_ITER) -> Fit:
    """Maximise the weighted log-likelihood by Newton-Raphson with step halving.

    Weights are rescaled to mean 1 (as ``svyglm(rescale=TRUE)``); estimates do not depend on it.
    Each iteration costs one blocked pass for ``A = X'HX`` and the score, one ``X @ step`` and
    one ``eta``/``p``/log-likelihood evaluation per trial step (full-length passes are what
    costs at 1e6 rows; X is best column-major, as ``model_frame`` builds it).
    """
    ws = w / w.mean()
    beta = np.zeros(X.shape[1])
    eta = np.zeros(X.shape[0])
    p, ll = _state(eta, y, ws)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        info = weighted_gram(X, ws * p * (1.0 - p))
        step = np.linalg.lstsq(info, (ws * (y - p)) @ X, rcond=None)[0]
        dstep = X @ step
        factor = 1.0
        for _ in range(30):  # step halving until the log-likelihood does not decrease
            cand = eta + factor * dstep
            p_new, ll_new = _state(cand, y, ws)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            factor /= 2.0
        else:
            break
        beta, eta, p = beta + factor * step, cand, p_new
        change, ll = abs(ll_new - ll) / (abs(ll_new) + 0.1), ll_new
        if change < TOL and np.max(np.abs(factor * step)) < 1e-7 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    return _finish(X, y, w, beta, it, converged, eta, p, ll * w.mean())


def weighted_gram(X: np.ndarray, c: np.ndarray, Z: np.ndarray | None = None) -> np.ndarray:
    """``X' diag(c) Z`` (``Z`` defaults to ``X``) in row blocks that stay in cache.

    The weighted copy of one block (BLOCK rows) is formed and multiplied while it is hot, so
    the pass reads X once instead of writing and re-reading an n x p temporary.
    """
    Z = X if Z is None else Z
    out = np.zeros((X.shape[1], Z.shape[1]))
    for s in range(0, X.shape[0], BLOCK):
        out += (X[s:s + BLOCK] * c[s:s + BLOCK, None]).T @ Z[s:s + BLOCK]
    return out


def _state(eta: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Fitted probabilities and the weighted log-likelihood ``sum w (y eta + log(1 - p))``."""
    p = expit(eta)
    with np.errstate(divide="ignore"):
        ll = float(w @ (y * eta + np.log1p(-p)))
    if not np.isfinite(ll):  # p rounds to 1 for eta > ~37: use the exact form
        ll = log_lik_eta(eta, y, w)
    return p, ll


def log_lik_eta(eta: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(w @ (y * eta - np.logaddexp(0.0, eta)))


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


def _finish(X, y, w, beta, it, converged, eta, p, loglik) -> Fit:
    """The fit at *beta*, reusing the last iteration's ``eta`` and ``p`` (no extra pass)."""
    info = weighted_gram(X, w * p * (1.0 - p))
    scores = X * (w * (y - p))[:, None]
    return Fit(beta=beta, info=info, scores=scores, p=p, iterations=it, converged=converged,
               eta=eta, loglik=loglik)


def looks_separated(fit: Fit, X: np.ndarray, w: np.ndarray) -> bool:
    """Cheap screen: no convergence, or some fitted linear predictors beyond +-ETA_LIMIT."""
    eta = fit.eta if fit.eta is not None else X @ fit.beta
    return (not fit.converged) or bool(np.any((np.abs(eta) > ETA_LIMIT) & (w > 0)))


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
