"""Tail probabilities of weighted sums of chi-squares, for the ``svychisq`` statistics
``"saddlepoint"`` and ``"lincom"`` (R ``survey:::pchisqsum`` / ``pFsum``).

Under independence Pearson's X^2 of a complex-sample table is asymptotically ``sum_j d_j Z_j^2``
with ``d_j`` the eigenvalues of the design-effect matrix ``Delta`` (Rao and Scott 1984). With a
denominator ``ddf`` (R's Taylor method, ``ddf = d0 * nu``) the statistic is compared with
``sum_j d_j Z_j^2 / (chi^2_ddf / ddf)``, i.e. ``P(sum_j d_j Z_j^2 - (x / ddf) chi^2_ddf > 0)``.

* :func:`saddlepoint_sf`: Kuonen's (1999) saddlepoint approximation, as R ``survey:::saddle``
  (R replicates the ``-x/ddf`` term ``floor(ddf)`` times: ``rep()`` truncates a non-integer
  count; so does this), with R's fallback to the Satterthwaite approximation when the saddle
  point is within 1e-4 of 0. The saddle point is solved to machine precision (R: ``uniroot``
  with ``tol = 1e-8``, which moves R's p-value in about the 7th digit).
* :func:`exact_sf`: the exact tail by Imhof's (1961) inversion formula, integrated numerically
  (R computes ``"lincom"`` with ``CompQuadForm::davies``/``farebrother`` at accuracy 1e-7, and
  falls back to the saddlepoint when that package is missing).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["saddlepoint_sf", "exact_sf", "satterthwaite_sf"]


def satterthwaite_sf(x: float, a: np.ndarray, ddf: float = math.inf) -> float:
    """``P(sum a_j Z_j^2 > x)`` (``ddf`` inf) or the F form, matched on two moments (R's
    Satterthwaite: scale ``mean(a) * mean(a^2)/mean(a)^2``, df ``len(a) / (mean(a^2)/mean(a)^2)``)."""
    from scipy import stats

    tr = float(np.mean(a))
    tr2 = float(np.mean(a * a)) / tr**2
    scale, ndf = tr * tr2, a.size / tr2
    if math.isinf(ddf):
        return float(stats.chi2.sf(x / scale, ndf))
    return float(stats.f.sf(x / ndf / scale, ndf, ddf))


def _saddle(x: float, lam: np.ndarray) -> float | None:
    """R ``survey:::saddle``: ``P(sum lam_j Z_j^2 > x)``; None where R returns NA."""
    from scipy import optimize, stats

    d = float(lam.max())
    lam, x = lam / d, x / d
    if np.any(lam < 0):
        lmin = float(np.max(1.0 / (2.0 * lam[lam < 0]))) * 0.99999
    elif x > lam.sum():
        lmin = -0.01
    else:
        lmin = -lam.size / (2.0 * x)
    lmax = float(np.min(1.0 / (2.0 * lam[lam > 0]))) * 0.99999

    def k0(z: float) -> float:
        return -float(np.sum(np.log1p(-2.0 * z * lam))) / 2.0

    def k1(z: float) -> float:
        return float(np.sum(lam / (1.0 - 2.0 * z * lam)))

    zeta = optimize.brentq(lambda z: k1(z) - x, lmin, lmax, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    if abs(zeta) < 1e-4:
        return None
    w = math.copysign(math.sqrt(2.0 * (zeta * x - k0(zeta))), zeta)
    v = zeta * math.sqrt(2.0 * float(np.sum(lam**2 / (1.0 - 2.0 * zeta * lam) ** 2)))
    return float(stats.norm.sf(w + math.log(v / w) / w))


def saddlepoint_sf(x: float, a: np.ndarray, ddf: float = math.inf) -> float:
    """R ``pFsum(x, 1, a, ddf, lower.tail = FALSE, method = "saddlepoint")`` (``ddf`` finite) or
    ``pchisqsum(..., method = "saddlepoint")`` (``ddf`` inf)."""
    a = np.asarray(a, dtype=float)
    if math.isinf(ddf):
        s = _saddle(x, a)
    else:
        s = _saddle(0.0, np.concatenate([a, np.full(int(math.floor(ddf)), -x / ddf)]))
    return satterthwaite_sf(x, a, ddf) if s is None else s


def exact_sf(x: float, a: np.ndarray, ddf: float = math.inf) -> float:
    """``P(sum a_j Z_j^2 > x)`` (``ddf`` inf) or ``P(sum a_j Z_j^2 - (x/ddf) chi^2_ddf > 0)``, by
    Imhof's formula ``1/2 + (1/pi) int_0^inf sin(theta(u)) / (u rho(u)) du``."""
    from scipy import integrate

    a = np.asarray(a, dtype=float)
    if math.isinf(ddf):
        lam, h, c = a, np.ones(a.size), x
    else:
        lam, h, c = np.append(a, -x / ddf), np.append(np.ones(a.size), ddf), 0.0

    def integrand(u: float) -> float:
        if u == 0.0:
            return 0.5 * float(np.sum(h * lam)) - 0.5 * c
        theta = 0.5 * float(np.sum(h * np.arctan(lam * u))) - 0.5 * c * u
        log_rho = 0.25 * float(np.sum(h * np.log1p((lam * u) ** 2)))
        return math.sin(theta) * math.exp(-log_rho) / u

    if c == 0.0:  # theta is bounded: the integrand decays as a power of u
        total = integrate.quad(integrand, 0.0, np.inf, limit=2000, epsabs=1e-15, epsrel=1e-12)[0]
    else:  # theta(u) = g(u) - c u / 2: Fourier integrals (QAWF) for the oscillating tail
        cut = 4.0 * math.pi / c

        def part(u: float, trig: object) -> float:
            g = 0.5 * float(np.sum(h * np.arctan(lam * u)))
            log_rho = 0.25 * float(np.sum(h * np.log1p((lam * u) ** 2)))
            return trig(g) * math.exp(-log_rho) / u  # type: ignore[operator]

        head = integrate.quad(integrand, 0.0, cut, limit=2000, epsabs=1e-15, epsrel=1e-12)[0]
        # sin(g - c u/2) = sin(g) cos(c u/2) - cos(g) sin(c u/2)
        t1 = integrate.quad(part, cut, np.inf, args=(math.sin,), weight="cos", wvar=c / 2, limlst=200,
                            epsabs=1e-13)[0]  # fmt: skip
        t2 = integrate.quad(part, cut, np.inf, args=(math.cos,), weight="sin", wvar=c / 2, limlst=200,
                            epsabs=1e-13)[0]  # fmt: skip
        total = head + t1 - t2
    return float(min(max(0.5 + total / math.pi, 0.0), 1.0))
