"""Text filters for the templates: Korean word wrapping, cell formatting, UI labels.

WeasyPrint ignores ``word-break: keep-all``, so Korean would wrap inside words. :func:`kw`
escapes the text first and then wraps every whitespace-separated word (eojeol) holding Hangul in
``<span class="w">`` (``white-space: nowrap``); lines then break only between words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType

from markupsafe import Markup, escape

from surveykit.report.document import Cell

__all__ = ["kw", "format_cell", "has_hangul", "UI"]

_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff]")
_SPACE = re.compile(r"(\s+)")

UI: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "ko": MappingProxyType(
            {
                "contents": "목차",
                "table": "표",
                "figure": "그림",
                "note": "주",
                "source": "자료",
                "kicker": "정책 브리프",
                "page": "쪽",
            }
        ),
        "en": MappingProxyType(
            {
                "contents": "Contents",
                "table": "Table",
                "figure": "Figure",
                "note": "Note",
                "source": "Source",
                "kicker": "POLICY BRIEF",
                "page": "page",
            }
        ),
    }
)


def has_hangul(text: str) -> bool:
    """Whether *text* holds a Hangul character."""
    return _HANGUL.search(text) is not None


def kw(text: object) -> Markup:
    """Escape *text*, then wrap each Korean word in a no-wrap span.

    >>> str(kw("설문 <응답> rate"))
    '<span class="w">설문</span> <span class="w">&lt;응답&gt;</span> rate'
    """
    parts = _SPACE.split(str(text))  # str() drops a Markup type too: data is never trusted
    return Markup("").join(
        Markup('<span class="w">{}</span>').format(part) if _HANGUL.search(part) else escape(part) for part in parts
    )


def format_cell(cell: Cell, digits: int) -> str:
    """A cell value as printed: floats with *digits* decimals, integers with separators."""
    value = cell.value
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if math.isfinite(value) else ""
    return str(value)
