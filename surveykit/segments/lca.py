"""Latent class analysis of :func:`surveykit.segments.fit`: a survey-weighted EM for multinomial items.

The model (Lazarsfeld; Goodman 1974): class ``c`` has prior ``pi_c`` and, given the class, the
items are independent with level probabilities ``theta_j[c, l]``. :func:`_lca` maximises the
*pseudo-log-likelihood* ``sum_i w_i log sum_c pi_c prod_j theta_j[c, x_ij]`` with the survey
weights rescaled to mean 1 (so that scaling the weights changes nothing and BIC's ``log n`` is
that of the rows), by EM from several random starts, and keeps the start with the largest
log-likelihood. Items missing in a row (code -1) are left out of that row's likelihood (the
usual missing-at-random treatment of poLCA ``na.rm=FALSE`` and StepMix).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOL = 1e-12  # EM stops when the log-likelihood rises by less than TOL * (1 + |ll|)
MAX_ITER = 5000
SCREEN_TOL = 1e-7  # random starts are screened at this tolerance; the best is then run to TOL


@dataclass(frozen=True, slots=True)
class _LCAFit:
    labels: np.ndarray  # modal class 0..k-1, 0 = largest weighted class
    prior: np.ndarray  # (k,) class shares pi
    theta: tuple[np.ndarray, ...]  # per item (k, L_j) level probabilities
    posterior: np.ndarray  # (n, k)
    loglik: float  # weighted (mean-1 weights) log-likelihood
    n_params: int
    n: int
    iterations: int
    converged: bool

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + self.n_params * np.log(self.n)

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def entropy(self) -> float:
        """Relative entropy ``1 - sum(-w p log p) / (n log k)`` (1 = perfectly separated classes)."""
        k = self.prior.size
        p = np.clip(self.posterior, 1e-300, 1.0)
        return float(1.0 - (-(self.posterior * np.log(p)).sum()) / (self.n * np.log(k)))


def _one_hot(x: np.ndarray, levels: tuple[int, ...]) -> np.ndarray:
    """(n, sum L_j) indicators of the item levels; a missing item (-1) is a row of zeros."""
    blocks = []
    for j, n_lev in enumerate(levels):
        blocks.append((x[:, j][:, None] == np.arange(n_lev)[None, :]).astype(float))
    return np.hstack(blocks)


def _posterior(
    x: np.ndarray, prior: np.ndarray, theta: tuple[np.ndarray, ...], onehot: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior class probabilities (n, k) and each row's log-likelihood (n,)."""
    if onehot is None:
        onehot = _one_hot(x, tuple(t.shape[1] for t in theta))
    with np.errstate(divide="ignore"):
        logt = np.log(np.hstack(theta))  # (k, sum L)
        joint = (onehot @ np.where(np.isfinite(logt), logt, -1e300).T) + np.log(prior)[None, :]
    top = joint.max(1, keepdims=True)
    dens = np.exp(joint - top)
    total = dens.sum(1, keepdims=True)
    return dens / total, (top + np.log(total)).ravel()


def _m_step(onehot: np.ndarray, w: np.ndarray, post: np.ndarray, levels: tuple[int, ...]) -> tuple[np.ndarray, tuple]:
    wp = w[:, None] * post
    prior = wp.sum(0) / w.sum()
    counts = wp.T @ onehot  # (k, sum L)
    cut = np.cumsum((0, *levels))
    theta = tuple(counts[:, a:b] / counts[:, a:b].sum(1, keepdims=True) for a, b in zip(cut[:-1], cut[1:]))
    return prior, theta


def _em(
    x: np.ndarray,
    w: np.ndarray,
    levels: tuple[int, ...],
    prior: np.ndarray,
    theta: tuple[np.ndarray, ...],
    tol: float | None = None,
) -> tuple[np.ndarray, tuple, np.ndarray, float, int, bool]:
    """EM from (prior, theta) until the log-likelihood rises by less than ``tol * (1 + |ll|)``.

    The loop keeps the item probabilities as one (k, sum L) matrix (the E and M steps of
    :func:`_posterior` and :func:`_m_step` without the per-item tuples), which makes the many
    short bootstrap refits of the stability check cheap."""
    tol = TOL if tol is None else tol
    onehot = _one_hot(x, levels)
    starts = np.cumsum((0, *levels))[:-1]
    lev = np.asarray(levels)
    flat = np.hstack(theta)
    w_sum = w.sum()
    ll_old = -np.inf
    converged, it = False, MAX_ITER
    for it in range(1, MAX_ITER + 1):
        with np.errstate(divide="ignore"):
            logt = np.log(flat)
            joint = onehot @ np.where(np.isfinite(logt), logt, -1e300).T + np.log(prior)[None, :]
        top = joint.max(1, keepdims=True)
        dens = np.exp(joint - top)
        total = dens.sum(1, keepdims=True)
        post = dens / total
        ll = float(w @ (top + np.log(total)).ravel())
        if ll - ll_old < tol * (1.0 + abs(ll)):
            converged = True
            break
        ll_old = ll
        wp = w[:, None] * post
        prior = wp.sum(0) / w_sum
        counts = wp.T @ onehot
        flat = counts / np.repeat(np.add.reduceat(counts, starts, axis=1), lev, axis=1)
    theta = tuple(np.split(flat, starts[1:], axis=1))
    if not converged:
        post, row_ll = _posterior(x, prior, theta, onehot)
        ll = float(w @ row_ll)
    return prior, theta, post, ll, it, converged


def _start(rng: np.random.Generator, k: int, levels: tuple[int, ...]) -> tuple[np.ndarray, tuple]:
    """A random start: equal class shares, Dirichlet(1) level probabilities (as poLCA ``probs.start``)."""
    return np.full(k, 1.0 / k), tuple(rng.dirichlet(np.ones(n), size=k) for n in levels)


def _lca(
    x: np.ndarray,
    w: np.ndarray,
    levels: tuple[int, ...],
    k: int,
    seed: int,
    n_init: int,
    start: tuple[np.ndarray, tuple] | None = None,
) -> _LCAFit:
    """Best of *n_init* EM runs (or one run from *start*, to ``SCREEN_TOL`` only), classes ordered by
    descending size. Rows with the same answers are pooled (their weights summed) first: the
    likelihood is a sum over rows, so this is exact and makes EM cost independent of n."""
    x_all, n_rows = x, x.shape[0]
    x, inverse = np.unique(x_all, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    w1 = np.bincount(inverse, weights=w * (n_rows / w.sum()), minlength=x.shape[0])
    rng = np.random.default_rng([seed, k, 7])
    starts = [start] if start is not None else [_start(rng, k, levels) for _ in range(n_init)]
    best = None
    for prior0, theta0 in starts:  # every start to a loose tolerance, then the best one to TOL
        run = _em(x, w1, levels, np.asarray(prior0, float), tuple(np.asarray(t, float) for t in theta0), SCREEN_TOL)
        if best is None or run[3] > best[3]:
            best = run
    assert best is not None  # at least one start (n_init >= 1 is checked)
    if start is None:
        prior, theta, post, ll, iters, conv = _em(x, w1, levels, best[0], best[1])
        iters += best[4]
    else:  # a warm start (bootstrap refits): the screening tolerance is enough to assign rows
        prior, theta, post, ll, iters, conv = best
    order = np.argsort(-prior, kind="stable")
    prior, post = prior[order], post[inverse][:, order]
    theta = tuple(t[order] for t in theta)
    n_params = (k - 1) + k * sum(n - 1 for n in levels)
    return _LCAFit(np.argmax(post, 1), prior, theta, post, ll, n_params, n_rows, iters, conv)


def _lca_predict(x: np.ndarray, fit: _LCAFit) -> np.ndarray:
    """Posterior class probabilities of new rows (items coded as in the fit, -1 = missing)."""
    return _posterior(x, fit.prior, fit.theta)[0]
