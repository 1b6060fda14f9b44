"""Weighted cumulative-link (proportional-odds) fit: Newton with analytic derivatives.

Parametrisation as R ``MASS::polr`` / ``survey::svyolr``: ``P(Y <= k) = F(zeta_k - x'b)``,
``k = 1..K-1``, parameters ``phi = (b, zeta)``, with ``F`` the inverse link (:data:`LINKS`):
``logit`` (logistic), ``probit`` (normal), ``cloglog`` (``1 - exp(-exp(z))``, MASS ``polr``'s
"cloglog") and ``loglog`` (``exp(-exp(-z))``, MASS's "loglog"; R ``svyolr``'s Taylor method calls
this one "cloglog", see :func:`surveykit.models.ordinal_logistic`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveykit.models._glm import BLOCK, expit

__all__ = ["OlrFit", "fit_olr", "category_probs", "olr_log_lik", "LINKS", "link_cdf"]

LINKS: tuple[str, ...] = ("logit", "probit", "cloglog", "loglog")

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


def _dens(z: np.ndarray, link: str = "logit") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``F(z)``, its density ``f(z)`` and ``f'(z)`` for the inverse link; 0 density at +-inf."""
    if link == "logit":
        F = expit(z)
        f = F * (1.0 - F)
        return F, f, f * (1.0 - 2.0 * F)
    from scipy.special import ndtr

    fin = np.isfinite(z)
    zf = np.where(fin, z, 0.0)
    if link == "probit":
        F = ndtr(z)
        f = np.where(fin, np.exp(-0.5 * zf * zf) / np.sqrt(2.0 * np.pi), 0.0)
        return F, f, -zf * f
    if link == "cloglog":  # F = 1 - exp(-exp(z))
        ez = np.exp(np.minimum(zf, 700.0))
        F = np.where(fin, -np.expm1(-ez), (z > 0).astype(float))
        f = np.where(fin, np.exp(zf - ez), 0.0)
        return F, f, f * (1.0 - ez)
    emz = np.exp(np.minimum(-zf, 700.0))  # loglog: F = exp(-exp(-z))
    F = np.where(fin, np.exp(-emz), (z > 0).astype(float))
    f = np.where(fin, np.exp(-zf - emz), 0.0)
    return F, f, f * (emz - 1.0)


def link_cdf(z: np.ndarray, link: str = "logit") -> np.ndarray:
    """The inverse link ``F`` (a CDF) at *z*."""
    return _dens(np.asarray(z, dtype=float), link)[0]


def _quantile(p: np.ndarray, link: str) -> np.ndarray:
    """``F^-1(p)``: the link function."""
    from scipy.special import ndtri

    if link == "logit":
        return np.log(p / (1.0 - p))
    if link == "probit":
        return ndtri(p)
    if link == "cloglog":
        return np.log(-np.log1p(-p))
    return -np.log(-np.log(p))


def olr_log_lik(phi: np.ndarray, X: np.ndarray, codes: np.ndarray, w: np.ndarray, link: str = "logit") -> float:
    p = X.shape[1]
    beta, zeta = phi[:p], phi[p:]
    if np.any(np.diff(zeta) <= 0):
        return -np.inf
    a, b = _bounds(X, codes, beta, zeta)
    prob = link_cdf(a, link) - link_cdf(b, link)
    if np.any(prob <= 0):
        return -np.inf
    return float(w @ np.log(prob))


class _OlrPass:
    """Log-likelihood, score and Hessian at ``phi = (b, zeta)``, in one blocked pass.

    The Jacobians of the bounds are ``[-x, e_k]`` (upper, ``k`` = the row's category) and
    ``[-x, e_{k-1}]`` (lower), so every block of the Hessian is a weighted sum: ``X'cX`` for
    (b, b), ``X' diag(c) onehot`` for (b, zeta) and per-category sums (tridiagonal) for
    (zeta, zeta). Rows are processed BLOCK at a time so the dozen row-wise temporaries stay in
    cache. ``ll`` is ``-inf`` (and nothing else is kept) outside the parameter space.
    """

    __slots__ = ("ll", "grad", "hess", "u", "v")

    def __init__(self, phi: np.ndarray, X: np.ndarray, codes: np.ndarray, w: np.ndarray, q: int, onehot: np.ndarray,
                 link: str = "logit") -> None:  # fmt: skip
        n, p = X.shape
        self.ll = -np.inf
        if np.any(np.diff(phi[p:]) <= 0):
            return
        cuts = np.concatenate(([-np.inf], phi[p:], [np.inf]))
        self.u, self.v = np.empty(n), np.empty(n)
        acc = _Sums(p, q, link)
        for s in range(0, n, BLOCK):
            sl = slice(s, s + BLOCK)
            if not acc.add(X[sl], codes[sl], w[sl], onehot[sl], phi[:p], cuts, self.u[sl], self.v[sl]):
                return
        self.ll, self.grad, self.hess = acc.ll, acc.gradient(), acc.hessian()


class _Sums:
    """Running sums of one ``_OlrPass``."""

    def __init__(self, p: int, q: int, link: str = "logit") -> None:
        self.q, self.ll, self.link = q, 0.0, link
        self.xs, self.hbb = np.zeros(p), np.zeros((p, p))
        self.hbz_up, self.hbz_lo = np.zeros((p, q + 1)), np.zeros((p, q + 1))
        self.cat = np.zeros((5, q + 1))  # per category: w u, w v, upper, lower, cross

    def add(self, X, codes, w, onehot, beta, cuts, u_out, v_out) -> bool:
        """Add one block; False when some row has probability <= 0."""
        eta = X @ beta
        F1, f1, g1 = _dens(cuts[codes + 1] - eta, self.link)
        F0, f0, g0 = _dens(cuts[codes] - eta, self.link)
        P = F1 - F0
        if np.any(P <= 0):
            return False
        self.ll += float(w @ np.log(P))
        u = np.divide(f1, P, out=u_out)  # d log P / d(upper bound)
        v = np.divide(f0, P, out=v_out)  # -d log P / d(lower bound)
        d1, d0 = g1 / P, g0 / P  # f'(upper) / P, f'(lower) / P
        s = u - v
        wu, wv = w * u, w * v
        self.xs -= (w * s) @ X
        self.hbb += (X * (w * (d1 - d0 - s * s))[:, None]).T @ X
        self.hbz_up += (X * (w * (s * u - d1))[:, None]).T @ onehot
        self.hbz_lo += (X * (w * (d0 - s * v))[:, None]).T @ onehot
        for row, vals in enumerate((wu, wv, w * (d1 - u * u), -w * (d0 + v * v), wu * v)):
            self.cat[row] += np.bincount(codes, weights=vals, minlength=self.q + 1)
        return True

    def gradient(self) -> np.ndarray:
        return np.concatenate((self.xs, self.cat[0, :-1] - self.cat[1, 1:]))

    def hessian(self) -> np.ndarray:
        q = self.q
        hzz = np.diag(self.cat[2, :q] + self.cat[3, 1:])
        k = np.arange(q - 1)
        hzz[k, k + 1] = hzz[k + 1, k] = self.cat[4, 1:q]
        hbz = self.hbz_up[:, :q] + self.hbz_lo[:, 1:]
        return np.block([[self.hbb, hbz], [hbz.T, hzz]])


def _onehot(codes: np.ndarray, q: int) -> np.ndarray:
    """n x (q + 1) category indicators, column-major."""
    out = np.zeros((codes.size, q + 1), order="F")
    out[np.arange(codes.size), codes] = 1.0
    return out


def _score_rows(X: np.ndarray, w: np.ndarray, last: _OlrPass, onehot: np.ndarray, q: int) -> np.ndarray:
    """Weighted score rows ``w_i d log P_i / d phi`` (n x (p + q)), column-major."""
    p = X.shape[1]
    wu, wv = w * last.u, w * last.v
    out = np.empty((X.shape[0], p + q), order="F")
    out[:, :p] = X * (-(wu - wv))[:, None]
    out[:, p:] = onehot[:, :q] * wu[:, None] - onehot[:, 1:] * wv[:, None]
    return out


def _start(codes, w, p, q, link="logit"):
    cum = np.cumsum(np.bincount(codes, weights=w, minlength=q + 1))[:q] / w.sum()
    return np.concatenate((np.zeros(p), _quantile(cum, link)))


def fit_olr(X: np.ndarray, codes: np.ndarray, w: np.ndarray, q: int, link: str = "logit",
            start: np.ndarray | None = None) -> OlrFit:  # fmt: skip
    """Maximise ``sum w log P(Y = y)`` by Newton-Raphson with step halving (weights rescaled to
    mean 1 for the iterations; information and scores are returned on the caller's scale).

    Each trial point is one ``_OlrPass``; an accepted one already holds the next step's score
    and Hessian, and the last one gives the returned information and score rows.
    """
    scale = w.mean()
    ws = w / scale
    p = X.shape[1]
    onehot = _onehot(codes, q)
    phi = _start(codes, ws, p, q, link) if start is None else np.asarray(start, dtype=float).copy()
    cur = _OlrPass(phi, X, codes, ws, q, onehot, link)
    if not np.isfinite(cur.ll):  # a replicate's start outside its parameter space: start afresh
        phi = _start(codes, ws, p, q, link)
        cur = _OlrPass(phi, X, codes, ws, q, onehot, link)
    converged, it = False, 0
    for it in range(1, MAX_ITER + 1):
        step = _newton_step(cur.hess, cur.grad)
        new_phi, new = _halve_pass(phi, step, cur, lambda f: _OlrPass(f, X, codes, ws, q, onehot, link))
        change = abs(new.ll - cur.ll) / (abs(new.ll) + 0.1)
        phi, cur = new_phi, new
        if change < TOL and np.max(np.abs(step)) < STEP_TOL * (1.0 + np.max(np.abs(phi))):
            converged = True
            break
    return OlrFit(
        beta=phi, info=-cur.hess * scale, scores=_score_rows(X, w, cur, onehot, q), iterations=it, converged=converged
    )


def _newton_step(hess: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``-H^-1 g``; least squares when H is singular (separation: the maximum is at infinity)."""
    try:
        step = np.linalg.solve(-hess, grad)
    except np.linalg.LinAlgError:
        step = np.full_like(grad, np.nan)
    if not np.all(np.isfinite(step)):
        step = np.linalg.lstsq(-hess, grad, rcond=None)[0]
    return step


def _halve_pass(phi, step, cur, evaluate, max_halvings: int = 30):
    """The Newton step, halved until the log-likelihood does not decrease (else stay put)."""
    factor = 1.0
    for _ in range(max_halvings):
        cand = phi + factor * step
        new = evaluate(cand)
        if np.isfinite(new.ll) and new.ll >= cur.ll - 1e-12 * abs(cur.ll):
            return cand, new
        factor /= 2.0
    return phi, cur


def category_probs(phi: np.ndarray, X: np.ndarray, q: int, link: str = "logit") -> np.ndarray:
    """P(Y = k) for k = 1..K: n x (q + 1)."""
    p = X.shape[1]
    cum = link_cdf(phi[p:][None, :] - (X @ phi[:p])[:, None], link)
    n = X.shape[0]
    return np.diff(np.hstack((np.zeros((n, 1)), cum, np.ones((n, 1)))), axis=1)


def category_slopes(phi: np.ndarray, X: np.ndarray, dX: np.ndarray, q: int, link: str = "logit") -> np.ndarray:
    """d P(Y = k) / dv given dX/dv: ``-(f(zeta_k - eta) - f(zeta_{k-1} - eta)) * dX b``."""
    p = X.shape[1]
    f = _dens(phi[p:][None, :] - (X @ phi[:p])[:, None], link)[1]
    n = X.shape[0]
    fk = np.hstack((np.zeros((n, 1)), f, np.zeros((n, 1))))
    return -np.diff(fk, axis=1) * (dX @ phi[:p])[:, None]
