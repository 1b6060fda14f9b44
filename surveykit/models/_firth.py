"""Firth-type penalised logistic regression with a weighted Jeffreys-prior penalty.

The estimate maximises ``l_w(b) + 1/2 log det A(b)`` where ``l_w`` is the weighted
log-likelihood and ``A = X' diag(w p (1-p)) X`` the weighted information. Its score is the
modified score of Firth (1993) with leverages of the weighted fit::

    U*(b) = sum_i [w_i (y_i - p_i) + h_i (1/2 - p_i)] x_i,
    h_i   = w_i p_i (1-p_i) x_i' A^-1 x_i.

Estimates stay finite under separation. The design-based variance is the sandwich
``A^-1 B A^-1`` with ``B`` the design variance of the modified-score rows ``u_i`` (which sum to
zero at the solution), the same construction svyglm uses for the plain score.
"""

from __future__ import annotations

import numpy as np

from surveykit.models._glm import Fit, _halve, expit, log_lik

__all__ = ["fit_firth", "firth_step", "penalised_log_lik", "flic_intercept"]

TOL = 1e-10  # relative change of the penalised log-likelihood at which Newton stops
MAX_ITER = 200  # Firth converges in well under 50 steps on separated data; 200 is generous


def _info(X: np.ndarray, w: np.ndarray, p: np.ndarray) -> np.ndarray:
    return (X * (w * p * (1.0 - p))[:, None]).T @ X


def penalised_log_lik(beta: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """``l_w(b) + 1/2 log det(X' W X)``; ``-inf`` when the information is singular."""
    p = expit(X @ beta)
    sign, logdet = np.linalg.slogdet(_info(X, w, p))
    if sign <= 0:
        return -np.inf
    return log_lik(beta, X, y, w) + 0.5 * logdet


def _modified_scores(X, y, w, beta):
    p = expit(X @ beta)
    info = _info(X, w, p)
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:  # saturated fitted values: keep going on the pseudo-inverse
        inv = np.linalg.pinv(info)
    h = w * p * (1.0 - p) * np.einsum("ij,jk,ik->i", X, inv, X)
    scores = X * (w * (y - p) + h * (0.5 - p))[:, None]
    return scores, info, inv, p


SWITCH_AFTER = 25  # Newton steps with A before the exact Hessian (slow linear convergence)


def firth_step(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, it: int, free: np.ndarray | None = None
) -> np.ndarray:
    """A Newton step on the penalised log-likelihood over the *free* coefficients.

    The first ``SWITCH_AFTER`` steps use the information ``A`` as the Hessian (logistf's
    iteration). Where the penalty is large relative to the data that iteration converges only
    linearly (factor ~0.9 per step); later steps use the Hessian of the penalised
    log-likelihood, the Jacobian of the exact modified score by central differences, if it is
    negative definite. The solution is the root of the exact score either way; the Hessian
    only sets the speed.
    """
    free = np.ones(beta.size, bool) if free is None else free
    scores, info, _, _ = _modified_scores(X, y, w, beta)
    score = scores.sum(axis=0)[free]
    hess = -info[np.ix_(free, free)]
    if it > SWITCH_AFTER:
        cols = []
        for j in np.flatnonzero(free):
            h = 1e-6 * max(1.0, abs(beta[j]))
            up, dn = beta.copy(), beta.copy()
            up[j] += h
            dn[j] -= h
            cols.append(
                (_modified_scores(X, y, w, up)[0].sum(axis=0) - _modified_scores(X, y, w, dn)[0].sum(axis=0))[free]
                / (2.0 * h)
            )
        H = np.column_stack(cols)
        H = 0.5 * (H + H.T)
        if np.all(np.linalg.eigvalsh(H) < 0):
            hess = H
    step = np.zeros_like(beta)
    step[free] = np.linalg.lstsq(-hess, score, rcond=None)[0]
    return step


def fit_firth(X: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = MAX_ITER, rescale: bool = True) -> Fit:
    """Penalised Newton iterations ``b += A^-1 U*(b)`` with step halving on the penalised
    log-likelihood. Sampling weights (*rescale* True) are rescaled to mean 1 for the iterations
    only; frequency weights (*rescale* False) are used as given, so a frequency-weighted table
    of distinct rows gives the fit of the individual-level data.

    Notes
    -----
    The weights enter the penalty through the weighted information, so rescaling all weights by
    ``c`` changes the relative size of the penalty (as in ``logistf(weights=)``). We fit with
    weights scaled to mean 1, i.e. the penalty of a sample of the observed size ``n``.
    """
    ws = w / _positive_mean(w) if rescale else w  # over positive weights: a domain is fitted as its own sample
    beta = np.zeros(X.shape[1])
    obj = penalised_log_lik(beta, X, y, ws)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        step = firth_step(X, y, ws, beta, it)
        new, new_obj = _halve(beta, step, lambda b: penalised_log_lik(b, X, y, ws), obj)
        change = abs(new_obj - obj) / (abs(new_obj) + 0.1)
        beta, obj = new, new_obj
        if change < TOL and np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    scores, info, _, p = _modified_scores(X, y, ws, beta)
    scale = (
        _positive_mean(w) if rescale else 1.0
    )  # report A and u on the caller's weight scale (the sandwich is scale-free)
    return Fit(beta=beta, info=info * scale, scores=scores * scale, p=p, iterations=it, converged=converged)


def flic_intercept(X: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, intercept: int) -> float:
    """FLIC (Puhr et al. 2017): the intercept re-estimated by weighted ML with the Firth slopes
    fixed, i.e. ``glm(y ~ 1, offset = X b - b_0, weights = w)``.

    Firth's penalty pulls the intercept, and so every predicted probability, towards 1/2; with
    the FLIC intercept the weighted mean of the fitted probabilities equals the weighted event
    rate, as in ML. The score ``sum w (y - expit(b0 + off))`` is monotone in ``b0``; its root is
    bracketed and found by ``scipy.optimize.brentq``.
    """
    from scipy import optimize

    off = X @ beta - X[:, intercept] * beta[intercept]

    def score(b0: float) -> float:
        return float(w @ (y - expit(b0 + off)))

    lo, hi = beta[intercept] - 1.0, beta[intercept] + 1.0
    for _ in range(60):
        if score(lo) > 0 and score(hi) < 0:
            break
        lo, hi = lo - 2.0 * (hi - lo), hi + 2.0 * (hi - lo)
    return float(optimize.brentq(score, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps))


def _positive_mean(w: np.ndarray) -> float:
    """Mean of the positive weights: the scale that makes a domain's fit (rows outside it have
    weight 0) equal to the fit of the domain's rows alone, as R ``logistf`` on the subset."""
    pos = w[w > 0]
    return float(pos.mean()) if pos.size else 1.0
