"""Report rendering: a document model, charts, and HTML/PDF/JSON/XLSX writers.

``import surveykit.report`` is light: the document model loads at once; the writers
(WeasyPrint, openpyxl) and the charts (matplotlib) load on first use.

>>> from surveykit.report import Document, Section, Text, render_html
"""

from __future__ import annotations

import importlib
from typing import Any

from surveykit.report.document import (
    DEFAULT_FLAGS,
    Callout,
    Callouts,
    Cell,
    Chart,
    Document,
    Flag,
    KeyValue,
    PageBreak,
    Section,
    Table,
    Text,
)

_LAZY = {
    "render_html": "surveykit.report.render",
    "write_html": "surveykit.report.render",
    "write_pdf": "surveykit.report.render",
    "write_json": "surveykit.report.render",
    "write_xlsx": "surveykit.report.render",
    "charts": "surveykit.report.charts",
    "build_brief": "surveykit.report.build",
    "load_plan": "surveykit.report.plan",
}

__all__ = [
    "Document",
    "Section",
    "Text",
    "Callout",
    "Callouts",
    "Cell",
    "Flag",
    "Table",
    "Chart",
    "KeyValue",
    "PageBreak",
    "DEFAULT_FLAGS",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'surveykit.report' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if name == "charts" else getattr(module, name)
