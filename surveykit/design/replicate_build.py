"""Replicate weights built from a Taylor design: :func:`as_replicate` (R ``survey::as.svrepdesign``).

Deterministic types (JK1, JKn, BRR, Fay) follow R's ``jk1weights``, ``jknweights`` and
``brrweights``; the bootstrap types draw with numpy's generator (R's RNG is not reproduced, so
the draws differ from R's but have the same distribution): ``"bootstrap"`` is R's
``bootweights`` (Canty and Davison: ``n_h`` PSUs drawn with replacement in each stratum, or,
with an fpc, without replacement from ``N_h`` copies of the sample), ``"subbootstrap"`` R's
``subbootweights`` (Rao and Wu: ``n_h - 1`` draws with replacement, rescaled by
``n_h / (n_h - 1)``). Each PSU's replicate factor multiplies the sampling weights of its rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from surveykit._util.warn import warn as warn_user
from surveykit.design.replicate import ReplicateDesign, ResolvedReplicate, make_resolved
from surveykit.design.replicate_hadamard import r_hadamard
from surveykit.errors import DesignError, SurveykitWarning, closest

if TYPE_CHECKING:
    from surveykit.design.resolved import Stage
    from surveykit.survey import Survey

__all__ = ["as_replicate", "AS_REPLICATE_TYPES", "hadamard", "reweight_replicates"]

AS_REPLICATE_TYPES: tuple[str, ...] = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap")


def _psu_order(st: Stage) -> tuple[np.ndarray, np.ndarray]:
    """PSU codes in order of first appearance, and each PSU's stratum (R ``unique(psu)``)."""
    first = np.full(st.psu_stratum.shape[0], np.iinfo(np.int64).max)
    np.minimum.at(first, st.psu, np.arange(st.psu.shape[0]))
    order = np.argsort(first, kind="stable")
    return order, st.psu_stratum[order]


def _jk1(st: Stage) -> tuple[np.ndarray, float, np.ndarray]:
    n = st.psu_stratum.shape[0]
    order, _ = _psu_order(st)
    f = np.full((n, n), n / (n - 1))
    f[order, np.arange(n)] = 0.0  # replicate r deletes the r-th PSU (in order of appearance)
    return f, float(st.f_h[0] * (n - 1) / n), np.ones(n)


def _jkn(st: Stage, lonely: str) -> tuple[np.ndarray, float, np.ndarray]:
    n_psu, n_str = st.psu_stratum.shape[0], st.n_h.shape[0]
    order, strata = _psu_order(st)
    cols, rscales = [], []
    for h in dict.fromkeys(strata.tolist()):  # strata in order of first appearance, as R
        psus = order[strata == h]
        nh, fpc = psus.size, float(st.f_h[h])
        if nh == 1 and fpc != 0:
            if lonely == "fail":
                raise DesignError(
                    f"JKn needs at least 2 PSUs in every stratum; stratum {st.stratum_label[h]!r} has 1. Pass "
                    'lonely_psu="adjust", "average", "remove" or "certainty" to the Design (as R).'
                )
            if lonely == "adjust":
                col = np.where(st.psu_stratum == h, 0.0, n_str / (n_str - 1))
                cols.append(col)
                rscales.append((n_str - 1) / n_str)
            continue
        for p in psus:
            col = np.ones(n_psu)
            col[st.psu_stratum == h] = nh / (nh - 1) if nh > 1 else 0.0
            col[p] = 0.0
            cols.append(col)
            rscales.append(fpc * (nh - 1) / nh)
    if not cols:
        raise DesignError("every stratum was sampled exhaustively: the design has no sampling variance to replicate.")
    scale = n_psu / len(cols) if (len(cols) < n_psu and lonely == "average") else 1.0
    return np.column_stack(cols), scale, np.asarray(rscales)


def hadamard(size: int) -> np.ndarray:
    """A ``size x size`` Hadamard matrix (entries -1/+1): Sylvester's for a power of 2, otherwise
    Paley's construction I for ``size = q + 1`` (``q`` a prime with ``q % 4 == 3``) doubled by
    Sylvester's rule. Raises ValueError for other sizes."""
    base = size
    doublings = 0
    while base % 2 == 0 and base > 1 and not _paley_ok(base - 1):
        base //= 2
        doublings += 1
    if base == 1:
        h = np.ones((1, 1))
    elif _paley_ok(base - 1):
        q = base - 1
        squares = {(i * i) % q for i in range(1, q)}
        chi = np.array([0] + [1 if i in squares else -1 for i in range(1, q)], dtype=float)
        jac = chi[(np.arange(q)[None, :] - np.arange(q)[:, None]) % q]  # Jacobsthal matrix
        s = np.zeros((base, base))
        s[0, 1:], s[1:, 0], s[1:, 1:] = 1.0, -1.0, jac
        h = s + np.eye(base)
    else:
        raise ValueError(f"no Hadamard construction for size {size}")
    for _ in range(doublings):
        h = np.block([[h, h], [h, -h]])
    return h


def _paley_ok(q: int) -> bool:
    return q >= 3 and q % 4 == 3 and all(q % d for d in range(2, int(q**0.5) + 1))


def _hadamard_size(k: int) -> int:
    """Smallest available Hadamard order above *k* (k strata need k + 1 rows: the first, all +1,
    is not used)."""
    size = k + 1
    while True:
        try:
            hadamard(size)
            return size
        except ValueError:
            size += 1


def _brr(st: Stage, rho: float) -> tuple[np.ndarray, float, np.ndarray]:
    order, strata = _psu_order(st)
    if np.any(st.n_h != 2):
        h = int(np.flatnonzero(st.n_h != 2)[0])
        raise DesignError(
            f"BRR and Fay need exactly 2 PSUs in every stratum; stratum {st.stratum_label[h]!r} has {st.n_h[h]}. "
            "Pair the PSUs into strata of two, or use type='JKn' or 'bootstrap'."
        )
    n_str = st.n_h.shape[0]
    rank = np.zeros(st.psu_stratum.shape[0], np.int64)  # first (0) or second (1) PSU of its pair
    seen = np.zeros(n_str, np.int64)
    for p, h in zip(order, strata):
        rank[p], seen[h] = seen[h], seen[h] + 1
    r_matrix = r_hadamard(n_str)
    if r_matrix is not None:  # R's own matrix: stratum k (R's sorted order) takes row k + 1
        names = [_r_string(v) for v in st.stratum_label]
        row = np.empty(n_str, np.int64)
        row[sorted(range(n_str), key=lambda h: names[h])] = np.arange(1, n_str + 1)
        first_kept = r_matrix[row[st.psu_stratum]] == 1  # (P, R): R keeps the first PSU where H is 1
        keep = np.where(rank[:, None] == 0, first_kept, ~first_kept)
        size = r_matrix.shape[1]
    else:
        size = _hadamard_size(n_str)
        hm = hadamard(size)[1 : n_str + 1]  # one row per stratum (R: H[1 + ii, ])
        first_in = hm[st.psu_stratum] > 0  # (P, R): this replicate keeps the stratum's second PSU when +1
        keep = np.where(rank[:, None] == 1, first_in, ~first_in)
    factors = np.where(keep, 2.0 - rho, rho)
    return factors, 1.0 / (size * (1 - rho) ** 2), np.ones(size)


def _r_string(value: object) -> str:
    """A stratum label as R's ``as.character`` writes it (R sorts strata by these strings)."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _bootstrap(st: Stage, replicates: int, rng: np.random.Generator, sub: bool) -> tuple[np.ndarray, float, np.ndarray]:
    n_psu, n_str = st.psu_stratum.shape[0], st.n_h.shape[0]
    factors = np.zeros((n_psu, replicates))
    for h in range(n_str):  # loop over strata: one multinomial draw per stratum for all replicates
        psus = np.flatnonzero(st.psu_stratum == h)
        nh = psus.size
        if sub:
            if nh < 2:
                raise DesignError(f"subbootstrap needs at least 2 PSUs per stratum; stratum "
                                  f"{st.stratum_label[h]!r} has {nh}.")  # fmt: skip
            counts = rng.multinomial(nh - 1, np.full(nh, 1.0 / nh), size=replicates).astype(float) * (nh / (nh - 1))
        elif np.isinf(st.f_h[h]) or st.f_h[h] == 1.0:
            counts = rng.multinomial(nh, np.full(nh, 1.0 / nh), size=replicates).astype(float)
        else:  # R: sample(rep(psu, length = N_h), n_h) without replacement
            pop = int(round(nh / (1.0 - st.f_h[h])))
            copies = np.full(nh, pop // nh)
            copies[rng.permutation(nh)[: pop % nh]] += 1
            counts = rng.multivariate_hypergeometric(copies, nh, size=replicates).astype(float)
        factors[psus] = counts.T
    if sub:
        return factors, 1.0 / (replicates - 1), np.ones(replicates)
    per = float(1.0 / np.mean(1.0 / st.n_h))  # R: harmonic mean PSUs per stratum
    return factors, per / ((per - 1) * (replicates - 1)), np.ones(replicates)


def as_replicate(svy: Survey, type: str = "JK1", replicates: int | None = None, seed: int | None = None,
                 fay_rho: float | None = None, mse: bool = False) -> Survey:  # fmt: skip
    """A new Survey with replicate weights built from *svy*'s design (R ``as.svrepdesign``).

    Parameters
    ----------
    svy : Survey
        With a Taylor design (strata, clusters, fpc); not calibrated, not already replicate.
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap"}
        JK1 (unstratified: delete one PSU), JKn (stratified: delete one PSU within its stratum),
        BRR and Fay (two PSUs per stratum; half-samples from a Hadamard matrix), bootstrap
        (Canty-Davison) or subbootstrap (Rao-Wu).
    replicates : int, optional
        Number of bootstrap replicates (default 50, as R); only for the bootstrap types.
    seed : int, optional
        Seed of the bootstrap draws (``numpy.random.default_rng``).
    fay_rho : float, optional
        Fay's rho for ``type="Fay"`` (default 0.5); BRR is Fay with rho 0.
    mse : bool
        Centre replicate variances at the full-sample estimate (R ``mse=TRUE``).

    Returns
    -------
    Survey
        Same data, full-sample weights and instrument, with a :class:`ReplicateDesign`.

    Notes
    -----
    As R: the first-stage fpc is folded into JK1's ``scale`` (``(1 - n/N) (n - 1) / n``) and
    JKn's ``rscales`` (``(1 - n_h/N_h) (n_h - 1) / n_h``); later-stage fpcs are dropped (with a
    warning); BRR and Fay drop the fpc (with a warning); bootstrap uses it in the draws. Lonely
    PSUs in JKn follow the design's ``lonely_psu`` as R's ``jknweights``. BRR and Fay use the
    Hadamard matrix R's ``brrweights`` uses (:mod:`surveykit.design.replicate_hadamard`), with
    R's assignment (strata in the order of their names as R's ``as.character`` writes them,
    sorted by code point as R does in a C locale; the first PSU of a stratum, in data order,
    is kept where the matrix has 1), so the replicates are R's. For the strata counts where R
    uses its tabulated order-28 or -36 matrices (24-27, 32-35, 48-55, 68-71, ... strata), a
    Sylvester or Paley matrix of the smallest order is used instead: totals get the same
    variance (full orthogonal balance), nonlinear statistics differ slightly.
    """
    from surveykit.design.replicate import is_replicate
    from surveykit.survey import Survey

    if type not in AS_REPLICATE_TYPES:
        raise DesignError(f"type must be one of {', '.join(map(repr, AS_REPLICATE_TYPES))}; got {type!r}."
                          + closest(str(type), AS_REPLICATE_TYPES))  # fmt: skip
    if not isinstance(svy, Survey):
        raise DesignError(f"as_replicate needs a Survey; got {builtins_type(svy)}.")
    rd = svy.resolved
    if is_replicate(rd):
        raise DesignError("as_replicate needs a Survey with a Taylor design; this one already has replicate weights.")
    if rd.calibrations:
        raise DesignError("as_replicate needs an uncalibrated design: calibrate the replicate Survey instead is not "
                          "supported yet; build the replicates before weighting.")  # fmt: skip
    boot = type in ("bootstrap", "subbootstrap")
    if replicates is not None and not boot:
        raise DesignError(f"replicates= is only used by the bootstrap types; got replicates={replicates!r} with "
                          f"type={type!r}.")  # fmt: skip
    if fay_rho is not None and type != "Fay":
        raise DesignError(f"fay_rho is only used with type='Fay'; got fay_rho={fay_rho!r} with type={type!r}.")
    stratified = svy.design.strata is not None
    if type == "JK1" and stratified:
        raise DesignError("type='JK1' is for unstratified designs; this design has strata. Use type='JKn'.")
    if type in ("JKn", "BRR", "Fay") and not stratified:
        raise DesignError(f"type={type!r} needs a stratified design; this one has none. Use 'JK1' or 'bootstrap'.")
    st = rd.stages[0]
    if len(rd.stages) > 1 or (svy.design.fpc and len(svy.design.fpc) > 1):
        warn_user("finite population corrections after the first stage are dropped (as R).",
                      SurveykitWarning)  # fmt: skip
    if type in ("BRR", "Fay") and rd.has_fpc:
        warn_user("the finite population correction is dropped for BRR and Fay (as R).",
                      SurveykitWarning)  # fmt: skip
    if type == "JK1":
        factors, scale, rscales = _jk1(st)
    elif type == "JKn":
        factors, scale, rscales = _jkn(st, rd.lonely_psu)
    elif type in ("BRR", "Fay"):
        rho = 0.0 if type == "BRR" else (0.5 if fay_rho is None else float(fay_rho))
        if not 0 <= rho < 1:
            raise DesignError(f"fay_rho must be in [0, 1); got {fay_rho!r}.")
        factors, scale, rscales = _brr(st, rho)
    else:
        reps = 50 if replicates is None else replicates
        if not isinstance(reps, (int, np.integer)) or reps < 2:
            raise DesignError(f"replicates must be an integer of at least 2; got {replicates!r}.")
        factors, scale, rscales = _bootstrap(st, int(reps), np.random.default_rng(seed), type == "subbootstrap")
    rep = factors[st.psu] * rd.weights[:, None]
    names = tuple(f"replicate_{r + 1}" for r in range(rep.shape[1]))
    design = ReplicateDesign(svy.design.weights, names, type=type, scale=scale, rscales=tuple(rscales), mse=mse,
                             fay_rho=(rho if type == "Fay" else None))  # fmt: skip
    resolved = make_resolved(rd.weights, rep, scale, rscales, mse, type, names)
    new = object.__new__(Survey)
    new._init(svy._data, design, svy.instrument, resolved, svy.history + (f"replicate weights: {type}",), svy.meta)
    return new


def reweight_replicates(svy: Survey, weights: np.ndarray, adjust: Callable[[np.ndarray], np.ndarray],
                        step: str) -> Survey:  # fmt: skip
    """*svy* (replicate design) with full-sample *weights* and every replicate's weights passed
    through the same *adjust* (post-stratification, raking, calibration), as R's methods for
    ``svyrep.design`` do: the replicate variance then includes the weighting. Rows outside a
    domain (weight 0) stay out of every replicate."""
    from dataclasses import replace

    rd = svy.resolved
    assert isinstance(rd, ResolvedReplicate)  # called by weighting only for replicate designs
    inside = rd.weights > 0
    rep = np.column_stack([adjust(np.where(inside, rd.repweights[:, r], 0.0)) for r in range(rd.n_replicates)])
    bad = ~np.isfinite(rep) | (rep < 0)
    if bad.any():
        r = int(np.flatnonzero(bad.any(axis=0))[0])
        raise DesignError(f"weighting replicate {r + 1} gave negative or non-finite weights; the adjustment "
                          "cannot be applied to every replicate. Use bounds, or collapse sparse cells.")  # fmt: skip
    resolved = replace(rd, weights=np.asarray(weights, float), repweights=rep, _degf=[], _keys=[])
    return svy._derive(resolved, step)


def builtins_type(obj: object) -> str:
    return obj.__class__.__name__
