"""The one way surveykit warns: :func:`warn` points the warning at the user's line (the first
frame outside the package), wherever inside surveykit it is raised, so no call site counts
stack levels by hand."""

from __future__ import annotations

import sys
import warnings
from types import FrameType

__all__ = ["warn"]


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)`` attributed to the user's code that called surveykit."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("surveykit"):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)
