"""Surveys larger than memory: :func:`scan` a Parquet/CSV source (or a DuckDB table) and build
``sk.Survey(scan, design)``; the estimates are computed from per-cell sums aggregated inside
DuckDB (:mod:`surveykit.engines.aggregate`) and the small variance algebra in numpy
(:mod:`surveykit.engines.lazy`), with the same numbers as the in-memory :class:`~surveykit.Survey`.
"""

from __future__ import annotations

from surveykit.engines.lazy import LazySurvey
from surveykit.engines.source import scan
from surveykit.engines.view import Scan

__all__ = ["Scan", "scan", "LazySurvey"]
