"""A design resolved on one data frame: the kernel arrays (:class:`ResolvedDesign`, one
:class:`Stage` per sampling stage) and the checks shared by resolution and re-weighting.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from surveykit._util.warn import warn
from surveykit.errors import DesignError, LonelyPSUWarning, format_rows


@dataclass(frozen=True, slots=True)
class Stage:
    """Kernel-ready arrays of one sampling stage (internal)."""

    psu: np.ndarray  # int64[n]: PSU code of each row, 0..P-1, unique across strata
    psu_stratum: np.ndarray  # int64[P]: stratum code of each PSU
    n_h: np.ndarray  # int64[H]: sampled PSUs per stratum (full design)
    f_h: np.ndarray  # float64[H]: 1 - n_h/N_h (1 without fpc)
    stratum_group: np.ndarray  # int64[H]: parent PSU (previous stage) of each stratum, 0 at stage 1
    group_fraction: np.ndarray  # float64[G]: n/N of each parent PSU's stratum at the previous stage
    stratum_label: tuple[Any, ...]  # original label of each stratum (for messages)


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class ResolvedDesign:
    """Numpy arrays of a design on a particular data frame (see ``docs/architecture.md``).

    Weak-referenceable, so that kernels may cache arrays derived from it (e.g. per-design facts
    in :mod:`surveykit.estimate.support`) without keeping it alive.
    """

    weights: np.ndarray
    strata: np.ndarray
    clusters: np.ndarray
    popsize: np.ndarray
    n_psu: np.ndarray
    lonely_psu: str
    stages: tuple[Stage, ...]
    has_fpc: bool
    calibrations: tuple[Any, ...] = field(default=())

    @property
    def n(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_strata(self) -> int:
        """Number of first-stage strata in the full design."""
        return int(self.stages[0].n_h.shape[0])

    @property
    def n_psu_total(self) -> int:
        """Number of first-stage PSUs in the full design."""
        return int(self.stages[0].psu_stratum.shape[0])

    @property
    def is_replicate(self) -> bool:
        """False: a Taylor design (:class:`~surveykit.design.replicate.ResolvedReplicate` says True)."""
        return False

    @property
    def degf(self) -> int:
        """Design degrees of freedom as R ``degf()``: PSUs minus strata among rows with weight != 0
        (computed once per resolved design: its arrays are never changed)."""
        got = _DEGF.get(self)
        if got is None:
            got = _DEGF[self] = self.degf_where(self.weights != 0)
        return got

    def degf_where(self, rows: np.ndarray) -> int:
        """R ``degf()`` of the design restricted to *rows* (bool per row): first-stage PSUs with
        rows there minus the strata of those PSUs (see :func:`degf_present`)."""
        st = self.stages[0]
        present = np.bincount(st.psu[rows], minlength=st.psu_stratum.size) > 0
        return int(degf_present(present[:, None], st.psu_stratum)[0])

    def with_weights(self, weights: np.ndarray, calibration: Any | None = None) -> ResolvedDesign:
        """A copy with new weights (and, optionally, one more calibration step)."""
        cals = self.calibrations + ((calibration,) if calibration is not None else ())
        w = np.asarray(weights, dtype=float)
        check_weight_sum(w, "new weights")
        return replace(self, weights=w, calibrations=cals)


_DEGF: weakref.WeakKeyDictionary[ResolvedDesign, int] = weakref.WeakKeyDictionary()  # ResolvedDesign.degf


def check_lonely(stages: tuple[Stage, ...], policy: str) -> None:
    """Raise (``fail``) or warn (``remove``/``adjust``/``average``) about single-PSU strata."""
    for s, st in enumerate(stages, start=1):
        lonely = np.flatnonzero((st.n_h == 1) & (st.f_h > 1e-7))
        if lonely.size == 0:
            continue
        names = ", ".join(repr(st.stratum_label[h]) for h in lonely[:5])
        more = f" (+{lonely.size - 5} more)" if lonely.size > 5 else ""
        if policy == "fail":
            raise DesignError(
                f"every stratum must have at least 2 PSUs at stage {s}; got 1 in stratum {names}{more}. "
                'Pass lonely_psu="adjust" (centre at the grand mean), "average", "remove" or '
                '"certainty" to Design, or merge the stratum with a neighbour.'
            )
        if policy != "certainty":
            warn(
                f"stratum {names}{more} has only one PSU at stage {s}; lonely_psu={policy!r} applied.",
                LonelyPSUWarning,
            )


def rows_message(mask: np.ndarray) -> str:
    """``'rows 3, 17 (+2 more)'`` for a boolean mask over data rows (1-based)."""
    return format_rows((np.flatnonzero(mask) + 1).tolist())


#: largest allowed sum of weights: its square (variance terms) must stay finite in float64
MAX_WEIGHT_SUM = 1e150


def check_weight_sum(w: np.ndarray, what: str) -> None:
    """Refuse finite weights whose sum overflows or is too large for variance arithmetic.

    Parameters
    ----------
    w : numpy.ndarray
        Finite, non-negative weights, one per row.
    what : str
        How to name the weights in the message, e.g. ``"weights column 'w'"``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(w))
    if np.isfinite(total) and total <= MAX_WEIGHT_SUM:
        return
    big = w > MAX_WEIGHT_SUM / len(w)
    if not big.any():
        big = w >= np.sort(w)[-min(5, len(w))]
    shown = "inf (overflow)" if not np.isfinite(total) else f"{total:.3g}"
    raise DesignError(
        f"{what} must sum to a finite number of at most {MAX_WEIGHT_SUM:g}; got a sum of {shown}, "
        f"driven by the largest weights ({rows_message(big)}, up to {float(np.max(w)):.3g}). "
        "Rescale the weights (e.g. divide them all by the same constant) or correct those rows."
    )


def degf_present(present: np.ndarray, psu_stratum: np.ndarray) -> np.ndarray:
    """R ``degf()`` per column of *present* (``(P, m)`` bool: PSU has rows in the column):
    first-stage PSUs minus strata among them. The one home of the design df: every estimate,
    table and model takes its df from here (through :meth:`ResolvedDesign.degf_where` or
    directly, per column, in :mod:`surveykit.estimate.layout`)."""
    m = present.shape[1]
    if present.shape[0] == 0:
        return np.zeros(m)
    n_str = int(psu_stratum.max()) + 1
    psu_idx, col_idx = np.nonzero(present)
    strata = np.bincount(col_idx * n_str + psu_stratum[psu_idx], minlength=m * n_str).reshape(m, n_str) > 0
    return (present.sum(axis=0) - strata.sum(axis=1)).astype(float)
