"""Survey designs: the specification (:class:`Design`); its arrays on a data frame are :mod:`surveykit.design.resolved`.

A :class:`Design` names columns, like R's ``svydesign(ids=, strata=, weights=, fpc=, nest=)``; it
holds no data. :meth:`Design.resolve` checks it against a data frame and returns the numpy
arrays the variance kernels (:mod:`surveykit.design.variance`) work on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from surveykit.design.resolve import resolve_design
from surveykit.design.resolved import ResolvedDesign, Stage, check_lonely, rows_message  # noqa: F401 (re-exported)
from surveykit.errors import DesignError, closest

__all__ = ["Design", "ResolvedDesign", "LONELY_PSU_POLICIES"]

LonelyPSU = Literal["fail", "remove", "adjust", "average", "certainty"]
LONELY_PSU_POLICIES: tuple[str, ...] = ("fail", "remove", "adjust", "average", "certainty")


def _as_tuple(cols: str | Sequence[str] | None) -> tuple[str, ...]:
    if cols is None:
        return ()
    from surveykit._util.columns import as_names

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
        return resolve_design(self, data)
