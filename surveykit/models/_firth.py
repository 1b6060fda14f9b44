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

__all__ = ["fit_firth", "penalised_log_lik"]

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


def fit_firth(X: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = MAX_ITER) -> Fit:
    """Penalised Newton iterations ``b += A^-1 U*(b)`` with step halving on the penalised
    log-likelihood. Weights are rescaled to mean 1 for the iterations only.

    Notes
    -----
    The weights enter the penalty through the weighted information, so rescaling all weights by
    ``c`` changes the relative size of the penalty (as in ``logistf(weights=)``). We fit with
    weights scaled to mean 1, i.e. the penalty of a sample of the observed size ``n``.
    """
    ws = w / w.mean()
    beta = np.zeros(X.shape[1])
    obj = penalised_log_lik(beta, X, y, ws)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        scores, _, inv, _ = _modified_scores(X, y, ws, beta)
        step = inv @ scores.sum(axis=0)
        new, new_obj = _halve(beta, step, lambda b: penalised_log_lik(b, X, y, ws), obj)
        change = abs(new_obj - obj) / (abs(new_obj) + 0.1)
        beta, obj = new, new_obj
        if change < TOL and np.max(np.abs(step)) < 1e-7 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    scores, info, _, p = _modified_scores(X, y, ws, beta)
    scale = w.mean()  # report A and u on the caller's weight scale (the sandwich is scale-free)
    return Fit(beta=beta, info=info * scale, scores=scores * scale, p=p,
               iterations=it, converged=converged)
