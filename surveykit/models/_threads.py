"""BLAS threading for the model fits: :func:`surveykit._util.threads.single_thread_blas` (one home,
shared with the replicate-weight passes of :mod:`surveykit.design.replicate`)."""

from __future__ import annotations

from surveykit._util.threads import single_thread_blas

__all__ = ["single_thread_blas"]
