"""Sampling designs: the :class:`Design` specification (R ``svydesign``), its resolution on a data
frame into kernel arrays (:class:`ResolvedDesign`) and the Taylor-linearisation variance kernels.

Public face of the folder: :class:`Design`, :class:`ResolvedDesign`, ``LONELY_PSU_POLICIES``,
:class:`ReplicateDesign` (R ``svrepdesign``); ``sk.as_replicate`` (R ``as.svrepdesign``, in
:mod:`surveykit.design.replicate_build`) builds Surveys, so it is public at the package top.
:mod:`surveykit.design.core` holds the specification, :mod:`surveykit.design.resolve` its checks
against data, :mod:`surveykit.design.resolved` the arrays, :mod:`surveykit.design.variance` the
kernels (R ``svyrecvar``).
"""

from __future__ import annotations

from surveykit.design.core import LONELY_PSU_POLICIES, Design
from surveykit.design.replicate import REPLICATE_TYPES, ReplicateDesign, ResolvedReplicate
from surveykit.design.resolved import ResolvedDesign, Stage

__all__ = [
    "Design",
    "ResolvedDesign",
    "Stage",
    "LONELY_PSU_POLICIES",
    "ReplicateDesign",
    "ResolvedReplicate",
    "REPLICATE_TYPES",
]
