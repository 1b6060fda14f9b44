"""surveykit: design-based survey analysis, from SPSS files to bilingual PDF briefs.

The public names are listed in ``__all__`` (pinned by ``tests/test_public_api.py``). Heavy
modules (statsmodels, scikit-learn, WeasyPrint, matplotlib) load only when first used, so
``import surveykit`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from surveykit.errors import (
    ConvergenceWarning,
    DataError,
    DesignError,
    InstrumentError,
    LonelyPSUWarning,
    ModelError,
    ReadError,
    RecodedTextWarning,
    ReliabilityWarning,
    ReportError,
    SeparationWarning,
    SmallCellWarning,
    SurveykitError,
    SurveykitWarning,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "read": "surveykit.io",
    "write_sav": "surveykit.io",
    "FileMeta": "surveykit.io",
    "Instrument": "surveykit.instrument",
    "load_instrument": "surveykit.instrument",
    "Design": "surveykit.design",
    "ReplicateDesign": "surveykit.design",
    "as_replicate": "surveykit.design.replicate_build",
    "validate": "surveykit.instrument.validate",
    "ValidationReport": "surveykit.instrument.validate",
    "Survey": "surveykit.survey",
    "demo_path": "surveykit.studies.safety_net_2018.demo",
    "demo_survey": "surveykit.studies.safety_net_2018.demo",
    "codebook": "surveykit.io.codebook",
    "scan": "surveykit.engines",
    "link": "surveykit.design.link",
}
_SUBMODULES = ("estimate", "tables", "models", "segments", "synth", "weighting", "report")

__all__ = [
    "__version__",
    *sorted(_LAZY),
    *_SUBMODULES,
    "SurveykitError",
    "InstrumentError",
    "ReadError",
    "DesignError",
    "DataError",
    "ModelError",
    "ReportError",
    "SurveykitWarning",
    "SmallCellWarning",
    "LonelyPSUWarning",
    "ConvergenceWarning",
    "SeparationWarning",
    "RecodedTextWarning",
    "ReliabilityWarning",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"surveykit.{name}")
    else:
        raise AttributeError(f"module 'surveykit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
