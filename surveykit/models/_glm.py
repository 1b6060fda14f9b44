"""Weighted logistic pseudo-MLE (Newton/IRLS in numpy) and separation detection."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Fit", "expit", "fit_logistic", "log_lik", "detect_separation", "separation_direction", "weighted_gram"]

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
    Each trial point costs one blocked pass over the rows (``_Pass``: eta, p, log-likelihood,
    score and information together), so an accepted step already carries what the next
    Newton step needs; the last pass gives the information of the returned fit.
    """
    scale = w.mean()
    ws = w / scale
    beta = np.zeros(X.shape[1])
    cur = _Pass(X, y, ws, beta)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        step = np.linalg.lstsq(cur.info, cur.score, rcond=None)[0]
        factor = 1.0
        for _ in range(30):  # step halving until the log-likelihood does not decrease
            cand = _Pass(X, y, ws, beta + factor * step)
            if np.isfinite(cand.ll) and cand.ll >= cur.ll - 1e-12 * abs(cur.ll):
                break
            factor /= 2.0
        else:
            break
        beta, change, cur = beta + factor * step, abs(cand.ll - cur.ll) / (abs(cand.ll) + 0.1), cand
        if change < TOL and np.max(np.abs(factor * step)) < 1e-7 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    scores = X * (w * (y - cur.p))[:, None]
    return Fit(
        beta=beta,
        info=cur.info * scale,
        scores=scores,
        p=cur.p,
        iterations=it,
        converged=converged,
        eta=cur.eta,
        loglik=cur.ll * scale,
    )


class _Pass:
    """One blocked pass at *beta*: ``eta``, ``p``, the log-likelihood, the score ``X'(w(y-p))``
    and the information ``X' diag(w p (1-p)) X``, each block used while it is in cache."""

    __slots__ = ("eta", "p", "ll", "score", "info")

    def __init__(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray) -> None:
        n, k = X.shape
        self.eta, self.p = np.empty(n), np.empty(n)
        self.score, self.info, self.ll = np.zeros(k), np.zeros((k, k)), 0.0
        with np.errstate(divide="ignore"):
            for s in range(0, n, BLOCK):
                self._block(
                    X[s : s + BLOCK],
                    y[s : s + BLOCK],
                    w[s : s + BLOCK],
                    beta,
                    self.eta[s : s + BLOCK],
                    self.p[s : s + BLOCK],
                )

    def _block(self, X, y, w, beta, eta, p) -> None:
        np.dot(X, beta, out=eta)
        np.multiply(eta, 0.5, out=p)  # expit(eta) = (1 + tanh(eta / 2)) / 2, in place
        np.tanh(p, out=p)
        p += 1.0
        p *= 0.5
        q = 1.0 - p
        ll = float(w @ (y * eta + np.log1p(-p)))  # sum w (y eta + log(1 - p))
        self.ll += ll if np.isfinite(ll) else log_lik_eta(eta, y, w)  # p rounds to 1: exact form
        self.score += (w * (y - p)) @ X
        self.info += (X * (w * p * q)[:, None]).T @ X


def weighted_gram(X: np.ndarray, c: np.ndarray, Z: np.ndarray | None = None) -> np.ndarray:
    """``X' diag(c) Z`` (``Z`` defaults to ``X``) in row blocks that stay in cache.

    The weighted copy of one block (BLOCK rows) is formed and multiplied while it is hot, so
    the pass reads X once instead of writing and re-reading an n x p temporary.
    """
    Z = X if Z is None else Z
    out = np.zeros((X.shape[1], Z.shape[1]))
    for s in range(0, X.shape[0], BLOCK):
        out += (X[s : s + BLOCK] * c[s : s + BLOCK, None]).T @ Z[s : s + BLOCK]
    return out


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
    return separation_direction(X, y, w) is not None


def separation_direction(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """The separating direction ``b`` of :func:`detect_separation` (None without separation).

    Its non-zero entries (``|b_j| > 1e-7``) mark the coefficients that diverge in the ML fit,
    i.e. the coefficients involved in the separation.
    """
    from scipy.optimize import linprog

    rows = w > 0
    s = (2.0 * y[rows] - 1.0)[:, None] * X[rows]
    s = np.unique(np.round(s, 12), axis=0)
    res = linprog(-s.sum(axis=0), A_ub=-s, b_ub=np.zeros(len(s)), bounds=[(-1.0, 1.0)] * X.shape[1], method="highs")
    if res.status == 0 and -res.fun > 1e-7:
        return np.asarray(res.x)
    return None
