"""Calibration objects: how each weighting step residualises influence values for the variance.

:class:`PostStratification`, :class:`Raking` and :class:`LinearCalibration` are attached to a
re-weighted Survey by :mod:`surveykit.weighting`; their ``residualize(u)`` is applied by
:func:`surveykit.design.variance.design_vcov` before the design variance, as R ``svyrecvar`` does for
``postStratify``, ``rake`` and ``calibrate`` designs. They are public through
:mod:`surveykit.weighting`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RAKE_RESIDUAL_SWEEPS = 10  # R svyrecvar: `for (iterations in 1:10)` over the raking margins


def _group_sums(u: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of ``u`` (n, k) by integer code: (n_groups, k)."""
    return np.column_stack([np.bincount(codes, weights=u[:, j], minlength=n_groups) for j in range(u.shape[1])])


@dataclass(frozen=True, slots=True, eq=False)
class PostStratification:
    """Residualisation of one post-stratification step (R ``postStratify``'s index object).

    ``u`` becomes ``u - w_new * sum_g(u w_old / w_new) / sum_g(w_old)`` within each post-stratum.
    """

    codes: np.ndarray  # int64[n]: post-stratum of each row
    weights: np.ndarray  # float64[n]: weights after this step
    old_weights: np.ndarray  # float64[n]: weights before it

    def residualize(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float).reshape(len(self.codes), -1)
        psw = np.where((self.weights == 0) & (self.old_weights == 0), 1.0, self.weights)
        n_groups = int(self.codes.max()) + 1
        ratio = np.divide(self.old_weights, psw, out=np.zeros_like(psw), where=psw != 0)
        sums = _group_sums(u * ratio[:, None], self.codes, n_groups)
        den = np.bincount(self.codes, weights=self.old_weights, minlength=n_groups)
        means = np.divide(sums, den[:, None], out=np.zeros_like(sums), where=den[:, None] != 0)
        return u - means[self.codes] * psw[:, None]


@dataclass(frozen=True, slots=True, eq=False)
class Raking:
    """Residualisation after raking, as R ``svyrecvar`` does for a ``"raking"`` object.

    ``margins`` holds, for each margin of the last raking pass, the level codes and the weights
    right after that margin was post-stratified. R sweeps ``u <- u - w_m * ave(u / w_m, m)``
    over the margins ten times (a fixed count, not a convergence test); so do we.
    """

    margins: tuple[tuple[np.ndarray, np.ndarray], ...]

    def residualize(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float).reshape(len(self.margins[0][0]), -1)
        prepared = []
        for codes, psw in self.margins:
            n_groups = int(codes.max()) + 1
            counts = np.bincount(codes, minlength=n_groups).astype(float)
            prepared.append((codes, psw, n_groups, np.where(counts == 0, 1.0, counts)))
        for _ in range(RAKE_RESIDUAL_SWEEPS):
            for codes, psw, n_groups, counts in prepared:
                ratio = np.divide(u, psw[:, None], out=np.zeros_like(u), where=psw[:, None] != 0)
                means = _group_sums(ratio, codes, n_groups) / counts[:, None]
                u = u - psw[:, None] * means[codes]
        return u


@dataclass(frozen=True, slots=True, eq=False)
class LinearCalibration:
    """Residualisation after GREG calibration (R's ``greg_calibration`` at stage 0).

    ``u`` becomes ``w * resid(u / w)``, the residual of the least-squares projection on the
    column space of ``X * sqrt(w0)``; ``basis`` is an orthonormal basis of that space and
    ``w = g * sqrt(w0)``.
    """

    basis: np.ndarray  # float64[n, r]
    w: np.ndarray  # float64[n]

    def residualize(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float).reshape(len(self.w), -1)
        e = np.divide(u, self.w[:, None], out=np.zeros_like(u), where=self.w[:, None] != 0)
        e = e - self.basis @ (self.basis.T @ e)
        return e * self.w[:, None]


def _orthonormal_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of ``x`` (rank-revealing, like R's ``qr``)."""
    q, r = np.linalg.qr(x)
    d = np.abs(np.diag(r))
    if d.size and d.min() > 1e-7 * d.max():
        return q
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, s > 1e-7 * s.max()]
