"""The quantile rules for :mod:`surveykit.estimate` (via :mod:`surveykit.estimate.support`): R's ``qrule_math``
(and the other rules of R 4.x ``svyquantile(qrule=)``, :data:`QRULES`) and the per-domain weighted CDFs they
invert, built with one sort of the values and no loop over rows.
"""

from __future__ import annotations

import numpy as np

#: R ``svyquantile(qrule=)``: ``math`` (= ``hf1``) and ``school`` (= ``hf2``) step rules, Hyndman and
#: Fan's types 3-9 adapted to weights, and Shah and Vaish's rule
QRULES: tuple[str, ...] = ("math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7", "hf8",
                           "hf9")  # fmt: skip


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

    __slots__ = ("rows", "xs", "cum", "_w", "_exact", "_ordered")
    _exact: tuple[np.ndarray, np.ndarray, float] | None
    _ordered: tuple[np.ndarray, np.ndarray] | None

    def __init__(self, rows: np.ndarray, x: np.ndarray, w: np.ndarray) -> None:
        self.rows, self._w = rows, w
        self._exact = None
        self._ordered = None
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
            xs, w = self._in_r_order()
            cum = np.cumsum(w.astype(np.longdouble))
            self._exact = (xs, cum.astype(float), float(cum[-1]))
        return self._exact

    def _in_r_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted values and their weights with ties in row order (R ``order()`` is stable)."""
        if self._ordered is None:
            xs = self.xs
            run = np.concatenate([[0], np.cumsum(xs[1:] != xs[:-1])])
            span = int(self.rows.max()) + 1
            rows = np.sort(run * span + self.rows) % span
            self._ordered = (xs, self._w[rows])
        return self._ordered

    def quantile_rule(self, probs: np.ndarray, rule: str = "math") -> np.ndarray:
        """R ``qrule_<rule>`` at each of *probs* (rows of weight 0 dropped, as R): see :func:`apply_rule`."""
        if rule in ("math", "hf1"):
            return self.quantile(probs)
        probs = np.asarray(probs, dtype=float)
        if self.xs.shape[0] == 0:
            return np.full(probs.shape, np.nan)
        xs, w = self._in_r_order()
        keep = w != 0
        return apply_rule(rule, xs[keep], w[keep], probs)


def _qs(xs: np.ndarray, cum: np.ndarray, total: float, probs: np.ndarray):
    """R ``survey:::qs`` on sorted values: ``pos`` (0-based, R's ``last(cumw <= p * sum(w))``), the next
    position, ``wlow = p - cumw[pos]/total`` and ``wup = cumw[next]/total - p``."""
    m = xs.shape[0]
    pos = np.maximum(np.searchsorted(cum, probs * total, side="right") - 1, 0)
    nxt = np.minimum(pos + 1, m - 1)
    return pos, nxt, probs - cum[pos] / total, cum[nxt] / total - probs


def _approx(pk: np.ndarray, xs: np.ndarray, probs: np.ndarray, constant: bool = False) -> np.ndarray:
    """R ``approx(pk, xs, probs, rule = 2)`` (``method = "linear"``, or ``"constant"`` with ``f = 0``):
    points ordered by ``pk`` (stable), tied ``pk`` averaged (R's ``ties = mean``), ends held constant."""
    order = np.argsort(pk, kind="stable")
    pk, xs = pk[order], xs[order]
    if pk.size > 1 and np.any(pk[1:] == pk[:-1]):
        uniq, start = np.unique(pk, return_index=True)
        counts = np.diff(np.append(start, pk.size))
        xs = np.add.reduceat(xs, start) / counts
        pk = uniq
    if constant:
        idx = np.clip(np.searchsorted(pk, probs, side="right") - 1, 0, pk.size - 1)
        return np.where(probs < pk[0], xs[0], xs[idx])
    return np.interp(probs, pk, xs)


def apply_rule(rule: str, xs: np.ndarray, w: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R 4.x ``survey:::qrule_<rule>(x, w, p)`` on values *xs* sorted with ties in row order and their
    non-zero weights *w*; cumulative sums in extended precision, as R's ``cumsum``. NaN for *p*
    outside [0, 1] (R's Woodruff limits outside [0, 1]).

    ``math``/``hf1``: the smallest value whose CDF reaches p; ``school``/``hf2``: the average of the
    two values where the CDF equals p exactly; ``hf3``: on the distinct values, the lower one when
    the CDF equals p at an even (1-based) position; ``hf4``: linear between the two values by the
    weight below p; ``hf5``..``hf9``: linear interpolation of ``(p_k, x_k)`` with R's plotting
    positions; ``shahvaish``: a step function of ``p_k = (S_k + 0.5 - w_k / 2) / (n + 1)``, ``S_k``
    the cumulative weights scaled to mean 1 (R 4.1-1 subtracts the *unscaled* ``w_k / 2``; so does
    this).
    """
    probs = np.asarray(probs, dtype=float)
    ok = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
    p = np.where(ok, probs, 0.0)
    n = xs.shape[0]
    cuml = np.cumsum(w.astype(np.longdouble))
    total = float(cuml[-1])
    cum = cuml.astype(float)
    if rule in ("math", "hf1", "school", "hf2", "hf4"):
        pos, nxt, wlow, wup = _qs(xs, cum, total, p)
        if rule in ("math", "hf1"):
            out = np.where(wlow == 0, xs[pos], xs[nxt])
        elif rule in ("school", "hf2"):
            out = np.where(wlow == 0, (xs[pos] + xs[nxt]) / 2, xs[nxt])
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                gamma = wlow / (wup + wlow)
            out = xs[pos] * (1 - gamma) + xs[nxt] * gamma
    elif rule == "hf3":
        uniq, start = np.unique(xs, return_index=True)
        wu = np.add.reduceat(w, start)
        cu = np.cumsum(wu.astype(np.longdouble))
        pos, nxt, wlow, _ = _qs(uniq, cu.astype(float), float(cu[-1]), p)
        out = np.where((wlow == 0) & ((pos + 1) % 2 == 0), uniq[pos], uniq[nxt])
    elif rule == "shahvaish":
        wbar = w / w.mean()
        S = np.cumsum(wbar.astype(np.longdouble)).astype(float)
        out = _approx((S + 0.5 - w / 2) / (n + 1), xs, p, constant=True)
    else:
        prev = np.concatenate([[0.0], cum[:-1]])
        pk = {
            "hf5": lambda: (cum - w / 2) / cum[-1],
            "hf6": lambda: cum / (cum[-1] + w[-1]),
            "hf7": lambda: prev / cum[n - 2] if n > 1 else np.zeros(1),
            "hf8": lambda: (prev / 3 + cum * 2 / 3) / (cum[-1] + w[-1] / 3),
            "hf9": lambda: (prev * 3 / 8 + cum * 5 / 8) / (cum[-1] + w[-1] / 4),
        }[rule]()
        out = _approx(pk, xs, p)
    return np.where(ok, out, np.nan)


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
