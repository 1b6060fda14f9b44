"""Survey designs: the specification (:class:`Design`) and its resolved arrays (:class:`ResolvedDesign`).

A :class:`Design` names columns, like R's ``svydesign(ids=, strata=, weights=, fpc=, nest=)``; it
holds no data. :meth:`Design.resolve` checks it against a data frame and returns the numpy
arrays the variance kernels (:mod:`surveykit._variance`) work on.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveykit.errors import DesignError, LonelyPSUWarning, closest, format_rows

__all__ = ["Design", "ResolvedDesign", "LONELY_PSU_POLICIES"]

LonelyPSU = Literal["fail", "remove", "adjust", "average", "certainty"]
LONELY_PSU_POLICIES: tuple[str, ...] = ("fail", "remove", "adjust", "average", "certainty")


def _as_tuple(cols: str | Sequence[str] | None) -> tuple[str, ...]:
    if cols is None:
        return ()
    from surveykit._ci_columns import as_names

    return tuple(as_names(cols, "design columns"))


@dataclass(frozen=True, slots=True)
class Design:
    """A survey design specification, mirroring R ``survey::svydesign``.

    Parameters
    ----------
    weights : str, optional
        Column of sampling weights (inverse inclusion probabilities). When omitted, weights
        come from ``fpc`` (as R does) or are all 1.
    strata : str, optional
        Column of first-stage strata.
    ids : str or sequence of str, optional
        Cluster ids per stage (``["dnum", "snum"]`` for two stages). ``None`` means each row is
        its own PSU (R's ``ids=~1``).
    fpc : str or sequence of str, optional
        Finite population correction per stage: population sizes (all >= 1) or sampling
        fractions (all <= 1), constant within strata.
    nest : bool
        Cluster ids are only unique within strata (R ``nest=TRUE``).
    lonely_psu : {"fail", "remove", "adjust", "average", "certainty"}
        What to do with a stratum that has one PSU, as R's ``options(survey.lonely.psu=)``.

    Notes
    -----
    The variance is the Taylor-linearisation estimator of ``survey::svyrecvar``: with replacement
    at the first stage unless an FPC is given; with an FPC for more than one stage, the
    multistage recursion adds each later stage scaled by the earlier sampling fraction.
    """

    weights: str | None = None
    strata: str | None = None
    ids: str | Sequence[str] | None = None
    fpc: str | Sequence[str] | None = None
    nest: bool = False
    lonely_psu: LonelyPSU = "fail"

    def __post_init__(self) -> None:
        for key in ("weights", "strata"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise DesignError(f"{key} must be a column name (str) or None; got {value!r}.")
        if self.lonely_psu not in LONELY_PSU_POLICIES:
            raise DesignError(
                f"lonely_psu must be one of {', '.join(LONELY_PSU_POLICIES)}; got {self.lonely_psu!r}."
                + closest(str(self.lonely_psu), LONELY_PSU_POLICIES)
            )
        object.__setattr__(self, "ids", _as_tuple(self.ids) or None)
        object.__setattr__(self, "fpc", _as_tuple(self.fpc) or None)
        ids = self.ids or ()
        fpc = self.fpc or ()
        if len(fpc) > max(len(ids), 1):
            raise DesignError(
                f"fpc names {len(fpc)} stages but ids name {len(ids) or 1}; give one fpc column per sampling stage."
            )

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the design uses."""
        cols = [self.weights, self.strata, *(self.ids or ()), *(self.fpc or ())]
        return tuple(c for c in cols if c is not None)

    def describe(self) -> str:
        """A one-line description, e.g. ``'stratified (stype), 1 stage, weights pw, fpc fpc'``."""
        parts = [f"stratified by {self.strata}" if self.strata else "unstratified"]
        parts.append(f"clusters {' > '.join(self.ids)}" if self.ids else "no clusters")
        parts.append(f"weights {self.weights}" if self.weights else "equal weights")
        if self.fpc:
            parts.append(f"fpc {' > '.join(self.fpc)}")
        return ", ".join(parts)

    def resolve(self, data: pd.DataFrame) -> ResolvedDesign:
        """Check the design against *data* and return its arrays.

        Raises
        ------
        DesignError
            Unknown columns, missing or non-positive weights, missing strata/ids, clusters not
            nested in strata, inconsistent FPC, a single PSU, or a lonely PSU with ``"fail"``.
        """
        from surveykit._design_resolve import resolve_design

        return resolve_design(self, data)


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
    in :mod:`surveykit._ci`) without keeping it alive.
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
    def degf(self) -> int:
        """Design degrees of freedom as R ``degf()``: PSUs minus strata among rows with weight > 0."""
        inset = self.weights != 0
        st = self.stages[0]
        n_psu = np.unique(st.psu[inset]).size
        n_str = np.unique(st.psu_stratum[st.psu[inset]]).size
        return int(n_psu - n_str)

    def with_weights(self, weights: np.ndarray, calibration: Any | None = None) -> ResolvedDesign:
        """A copy with new weights (and, optionally, one more calibration step)."""
        from surveykit._design_resolve import check_weight_sum

        cals = self.calibrations + ((calibration,) if calibration is not None else ())
        w = np.asarray(weights, dtype=float)
        check_weight_sum(w, "new weights")
        return replace(self, weights=w, calibrations=cals)


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
            warnings.warn(
                f"stratum {names}{more} has only one PSU at stage {s}; lonely_psu={policy!r} applied.",
                LonelyPSUWarning,
                stacklevel=4,
            )


def rows_message(mask: np.ndarray) -> str:
    """``'rows 3, 17 (+2 more)'`` for a boolean mask over data rows (1-based)."""
    return format_rows((np.flatnonzero(mask) + 1).tolist())
