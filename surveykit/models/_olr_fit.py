"""Weighted proportional-odds (cumulative logit) fit: Newton with analytic derivatives.

Parametrisation as R ``MASS::polr`` / ``survey::svyolr``: ``logit P(Y <= k) = zeta_k - x'b``,
``k = 1..K-1``, parameters ``phi = (b, zeta)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveykit.models._glm import expit

__all__ = ["OlrFit", "fit_olr", "category_probs", "olr_log_lik"]

TOL = 1e-14  # relative change of the weighted log-likelihood at which Newton stops
STEP_TOL = 1e-10  # and the largest Newton step, relative to 1 + |phi|
MAX_ITER = 100


@dataclass(frozen=True, slots=True, eq=False)
class OlrFit:
    beta: np.ndarray
    info: np.ndarray  # minus the Hessian of the weighted log-likelihood in (b, zeta)
    scores: np.ndarray  # n x (p + q) weighted score rows
    iterations: int
    converged: bool


def _bounds(X, codes, beta, zeta):
    """Upper (a) and lower (b) arguments ``zeta_k - eta`` of each row's category; +-inf at the ends."""
    cuts = np.concatenate(([-np.inf], zeta, [np.inf]))
    eta = X @ beta
    return cuts[codes + 1] - eta, cuts[codes] - eta


def _dens(z):
    F = expit(z)
    return F, F * (1.0 - F)


def olr_log_lik(phi: np.ndarray, X: np.ndarray, codes: np.ndarray, w: np.ndarray) -> float:
    p = X.shape[1]
    beta, zeta = phi[:p], phi[p:]
    if np.any(np.diff(zeta) <= 0):
        return -np.inf
    a, b = _bounds(X, codes, beta, zeta)
    prob = expit(a) - expit(b)
    if np.any(prob <= 0):
        return -np.inf
    return float(w @ np.log(prob))


def _derivatives(phi, X, codes, w, q):
    """Score rows (n x m) and the Hessian (m x m) of the weighted log-likelihood."""
    n, p = X.shape
    a, b = _bounds(X, codes, phi[:p], phi[p:])
    F1, f1 = _dens(a)
    F0, f0 = _dens(b)
    P = F1 - F0
    d1, d0 = f1 * (1.0 - 2.0 * F1), f0 * (1.0 - 2.0 * F0)
    Ja = np.zeros((n, p + q))
    Jb = np.zeros((n, p + q))
    Ja[:, :p] = -X
    Jb[:, :p] = -X
    rows = np.arange(n)
    up, lo = codes < q, codes > 0
    Ja[rows[up], p + codes[up]] = 1.0
    Jb[rows[lo], p + codes[lo] - 1] = 1.0
    g = (f1[:, None] * Ja - f0[:, None] * Jb) / P[:, None]
    H = ((Ja * (w * d1 / P)[:, None]).T @ Ja - (Jb * (w * d0 / P)[:, None]).T @ Jb
         - (g * w[:, None]).T @ g)
    return g * w[:, None], H


def _start(codes, w, p, q):
    cum = np.cumsum(np.bincount(codes, weights=w, minlength=q + 1))[:q] / w.sum()
    return np.concatenate((np.zeros(p), np.log(cum / (1.0 - cum))))


def fit_olr(X: np.ndarray, codes: np.ndarray, w: np.ndarray, q: int) -> OlrFit:
    """Maximise ``sum w log P(Y = y)`` by Newton-Raphson with step halving (weights rescaled to
    mean 1 for the iterations; information and scores are returned on the caller's scale)."""
    from surveykit.models._glm import _halve

    ws = w / w.mean()
    p = X.shape[1]
    phi = _start(codes, ws, p, q)
    ll = olr_log_lik(phi, X, codes, ws)
    converged, it = False, 0
    for it in range(1, MAX_ITER + 1):
        scores, H = _derivatives(phi, X, codes, ws, q)
        step = np.linalg.solve(-H, scores.sum(axis=0))
        phi, new = _halve(phi, step, lambda f: olr_log_lik(f, X, codes, ws), ll)
        change, ll = abs(new - ll) / (abs(new) + 0.1), new
        if change < TOL and np.max(np.abs(step)) < STEP_TOL * (1.0 + np.max(np.abs(phi))):
            converged = True
            break
    scores, H = _derivatives(phi, X, codes, w, q)
    return OlrFit(beta=phi, info=-H, scores=scores, iterations=it, converged=converged)


def category_probs(phi: np.ndarray, X: np.ndarray, q: int) -> np.ndarray:
    """P(Y = k) for k = 1..K: n x (q + 1)."""
    p = X.shape[1]
    cum = expit(phi[p:][None, :] - (X @ phi[:p])[:, None])
    n = X.shape[0]
    return np.diff(np.hstack((np.zeros((n, 1)), cum, np.ones((n, 1)))), axis=1)


def category_slopes(phi: np.ndarray, X: np.ndarray, dX: np.ndarray, q: int) -> np.ndarray:
    """d P(Y = k) / dv given dX/dv: ``-(f(zeta_k - eta) - f(zeta_{k-1} - eta)) * dX b``."""
    p = X.shape[1]
    F = expit(phi[p:][None, :] - (X @ phi[:p])[:, None])
    f = F * (1.0 - F)
    n = X.shape[0]
    fk = np.hstack((np.zeros((n, 1)), f, np.zeros((n, 1))))
    return -np.diff(fk, axis=1) * (dX @ phi[:p])[:, None]
