"""The quantile rule for :mod:`surveykit.estimate` (via :mod:`surveykit.estimate.support`): R's ``qrule_math`` and
the per-domain weighted CDFs it inverts, built with one sort of the values and no loop over rows.
"""

from __future__ import annotations

import numpy as np


def qrule_math(xs: np.ndarray, cumw: np.ndarray, total: float, probs: np.ndarray) -> np.ndarray:
    """R ``survey:::qrule_math`` on pre-sorted values *xs* with cumulative weights *cumw*.

    The smallest sorted value whose cumulative weight reaches ``p * total``; as in R, a *p*
    below the first weight gives the second value (R's ``last()`` falls back to index 1).
    NaN for *p* outside [0, 1] or NaN (R's Woodruff limits outside [0, 1]).
    """
    probs = np.asarray(probs, dtype=float)
    ok = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
    pp = np.where(ok, probs, 0.0)
    m = xs.shape[0]
    pos = np.searchsorted(cumw, pp * total, side="right") - 1  # last cumw <= p * total
    pos = np.where(pos < 0, 0, pos)
    nxt = np.minimum(pos + 1, m - 1)
    wlow = pp - cumw[pos] / total
    out = np.where(wlow == 0, xs[pos], xs[nxt])
    return np.where(ok, out, np.nan)


# float64 cumulative weights of m values are within m * eps * total of R's long-double ones (and of
# any other order of tied values); a target p * total farther than this from the bracketing
# cumulative weights gives the same qrule_math value in every case. 4x covers the total's own error.
TIE_GUARD = 4.0


class WeightedCdf:
    """Weighted CDF of one domain's values, inverted with R's ``qrule_math``.

    Built from any sort of the values (ties in any order) and a float64 ``cumsum``. Where a
    target ``p * total`` falls within rounding of a cumulative weight, the answer depends on
    R's exact arithmetic, so it is recomputed as R does: ties in row order (R ``order()`` is
    stable) and cumulative sums accumulated in extended precision (R ``cumsum()``).
    """

    __slots__ = ("rows", "xs", "cum", "_w", "_exact")
    _exact: tuple[np.ndarray, np.ndarray, float] | None

    def __init__(self, rows: np.ndarray, x: np.ndarray, w: np.ndarray) -> None:
        self.rows, self._w = rows, w
        self._exact = None
        self.xs = x[rows]
        self.cum = np.cumsum(w[rows])

    def quantile(self, probs: np.ndarray) -> np.ndarray:
        """``qrule_math`` at each of *probs* (NaN outside [0, 1]; NaN when the domain is empty)."""
        probs = np.asarray(probs, dtype=float)
        m = self.xs.shape[0]
        if m == 0:
            return np.full(probs.shape, np.nan)
        total = float(self.cum[-1])
        ok = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
        target = probs[ok] * total
        pos = np.clip(np.searchsorted(self.cum, target, side="right") - 1, 0, m - 1)
        near = np.abs(np.stack([self.cum[pos], self.cum[np.minimum(pos + 1, m - 1)]]) - target)
        if np.all(near > TIE_GUARD * (m + 1) * np.finfo(float).eps * total):
            return qrule_math(self.xs, self.cum, total, probs)
        return qrule_math(*self._exact_cdf(), probs)

    def _exact_cdf(self) -> tuple[np.ndarray, np.ndarray, float]:
        if self._exact is None:
            xs = self.xs
            run = np.concatenate([[0], np.cumsum(xs[1:] != xs[:-1])])
            span = int(self.rows.max()) + 1
            rows = np.sort(run * span + self.rows) % span  # ties in row order
            cum = np.cumsum(self._w[rows].astype(np.longdouble))
            self._exact = (xs, cum.astype(float), float(cum[-1]))
        return self._exact


def domain_cdfs(x: np.ndarray, w: np.ndarray, codes: np.ndarray | None, k: int) -> list[WeightedCdf]:
    """One :class:`WeightedCdf` per domain (``codes``: domain of each row, -1 none; ``None``: all
    rows in one). One sort of the values, then a stable sort of the small domain codes."""
    order = np.argsort(x)
    if codes is None:
        return [WeightedCdf(order, x, w)]
    c = codes[order]
    if k == 1:
        return [WeightedCdf(order[c >= 0], x, w)]
    by_dom = order[np.argsort(c.astype(np.int16) if k < 2**15 - 1 else c, kind="stable")]
    starts = np.searchsorted(codes[by_dom], np.arange(k + 1))
    return [WeightedCdf(by_dom[a:b], x, w) for a, b in zip(starts[:-1], starts[1:])]
