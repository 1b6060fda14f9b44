"""Sampling designs: the :class:`Design` specification (R ``svydesign``), its resolution on a data
frame into kernel arrays (:class:`ResolvedDesign`) and the Taylor-linearisation variance kernels.

Public face of the folder: :class:`Design`, :class:`ResolvedDesign`, ``LONELY_PSU_POLICIES``,
:class:`ReplicateDesign` (R ``svrepdesign``) and :func:`as_replicate` (R ``as.svrepdesign``).
:mod:`surveykit.design.core` holds the specification, :mod:`surveykit.design.resolve` its checks
against data, :mod:`surveykit.design.resolved` the arrays, :mod:`surveykit.design.variance` the
kernels (R ``svyrecvar``).
"""

from __future__ import annotations

from surveykit.design.core import LONELY_PSU_POLICIES, Design
from surveykit.design.replicate import REPLICATE_TYPES, ReplicateDesign, ResolvedReplicate
from surveykit.design.resolved import ResolvedDesign, Stage

__all__ = ["Design", "ResolvedDesign", "Stage", "LONELY_PSU_POLICIES", "ReplicateDesign", "ResolvedReplicate",
           "REPLICATE_TYPES", "as_replicate"]


def __getattr__(name: str):  # noqa: ANN202  (as_replicate builds Surveys: imported on first use)
    if name == "as_replicate":
        from surveykit.design.replicate_build import as_replicate

        return as_replicate
    raise AttributeError(f"module 'surveykit.design' has no attribute {name!r}")
