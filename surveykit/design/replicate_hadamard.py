"""The Hadamard matrices of R ``survey``'s ``brrweights``, built as R builds them, so that
:func:`surveykit.design.replicate_build.as_replicate` gives R's BRR and Fay replicates exactly.

R ``survey::hadamard(n)`` (``n`` strata) picks, in this order: a stored matrix of order 4, 16,
28 or 36 when one is within 4 above ``n`` rounded down to a multiple of 4; else Paley's
construction (``survey:::paley``) when it gives an order more than 4 above ``n`` below the best
doubled stored matrix; else a stored matrix doubled. Paley's matrix for a prime ``p = 3 mod 4``
is the ``(p+1) x (p+1)`` 0/1 matrix with a border of ones and core
``[i, j] = 0 if (i + j) mod p is 0 or a quadratic residue, else 1``; doubling is
``[[H, H], [H, 1 - H]]``. R's stored orders 4 and 16 are Sylvester's matrices in that 0/1 form
(``[[1, 1], [1, 0]]`` doubled), built here; the stored 28 and 36 are tabulated in R and not
rebuilt: for the strata counts that use them (24-27, 32-35, 48-55, 68-71, 108-111, 140-143,
220-223, ...) :func:`r_hadamard` returns None and ``as_replicate`` uses its own matrix (same variance for totals, slightly
different for nonlinear statistics).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["r_hadamard"]

_STORED = (4, 16, 28, 36)
_PRIME_LIMIT = 7919  # R's survey:::paley knows the primes = 3 mod 4 up to this one


def _primes_3mod4() -> list[int]:
    sieve = np.ones(_PRIME_LIMIT + 1, bool)
    sieve[:2] = False
    for i in range(2, int(_PRIME_LIMIT**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = False
    return [int(p) for p in np.flatnonzero(sieve) if p % 4 == 3]


_PRIMES = _primes_3mod4()


def _paley_prime(p: int) -> np.ndarray:
    residues = np.zeros(p, bool)
    residues[(np.arange(1, (p - 1) // 2 + 1) ** 2) % p] = True
    residues[0] = True
    out = np.ones((p + 1, p + 1), np.int8)
    out[1:, 1:] = ~residues[np.add.outer(np.arange(p), np.arange(p)) % p]
    return out


def _double(h: np.ndarray) -> np.ndarray:
    return np.block([[h, h], [h, 1 - h]])


def _sylvester(order: int) -> np.ndarray:
    h = np.ones((1, 1), np.int8)
    while h.shape[0] < order:
        h = _double(h)
    return h


def _paley(n: int, nmax: int | None = None) -> np.ndarray | None:
    """R ``survey:::paley(n, nmax)``: a Paley matrix (possibly doubled) of order > n, or None."""
    nmax = 2 * n if nmax is None else nmax
    nceil = nn = n + 4 - n % 4
    if n % 8 >= 4:  # R: (n %% 4) + 4 == n %% 8
        while nn % 8 == 0:
            nn //= 2
        if nn - 1 in _PRIMES:
            h = _paley_prime(nn - 1)
            while nn < nceil:
                h, nn = _double(h), nn * 2
            return h
    if n > _PRIMES[-1]:
        return None
    p = min(q for q in _PRIMES if q >= n)
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return _paley(nceil + 3)
    if p > nmax:
        return None
    return _paley_prime(p)


def _stored(order: int, doublings: int) -> np.ndarray | None:
    if order in (28, 36):
        return None  # tabulated in R, not rebuilt here
    h = _sylvester(order)
    for _ in range(doublings):
        h = _double(h)
    return h


def r_hadamard(n: int) -> np.ndarray | None:
    """The 0/1 matrix R ``survey::hadamard(n)`` returns for *n* strata (rows 2..n+1 are used, one
    per stratum; columns are replicates), or None where R uses its tabulated order 28 or 36."""
    m = n - n % 4
    near = [s for s in _STORED if m < s <= m + 4]
    if near:
        return _stored(min(near), 0)
    sizes = [s * 2 ** max(0, math.ceil(math.log2((n + 1) / s))) for s in _STORED]
    best = int(np.argmin([s - n for s in sizes]))
    if sizes[best] - n > 4:
        h = _paley(n, sizes[best])
        if h is not None:
            return h
    return _stored(_STORED[best], math.ceil(math.log2(sizes[best] / _STORED[best])))
