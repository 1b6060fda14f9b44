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

__all__ = ["kw", "format_cell", "has_hangul", "UI", "won", "quantity"]

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
                "kicker_demo": "시연용 브리프 · 합성 자료",
                "notice": "알림:",
                "source_date": "원 조사 공표:",
                "source_org": "원 조사 기관:",
                "page": "쪽",
                "appendix": "부록",
                "appendix_lead": "방법, 공표 수치 재현, 데이터 품질 점검: 결과를 검증하려는 독자를 위한 자료.",
                "see": "관련 표 보기",
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
                "kicker_demo": "DEMONSTRATION BRIEF · SYNTHETIC DATA",
                "notice": "Notice:",
                "source_date": "Original figures published:",
                "source_org": "Original survey by:",
                "page": "page",
                "appendix": "Appendix",
                "appendix_lead": "Methods, reproduction of the published figures and data-quality checks, for readers who want to verify the results.",
                "see": "See the table",
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


# unit of a published mean -> (Korean suffix, English pattern)
_UNITS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "KRW": (" 원", "KRW {}"),
        "KRW/month": (" 원/월", "KRW {} a month"),
        "contracts/year": ("건/년", "{} a year"),
        "accidents/year": ("건/년", "{} a year"),
        "months": ("개월", "{} months"),
    }
)


def won(value: float) -> str:
    """A Korean amount in 억/만 units: ``470000000 -> '4억 7,000만'``, ``180000 -> '18만'``."""
    v = int(round(value))
    sign, v = ("-" if v < 0 else ""), abs(v)
    eok, man, rest = v // 100_000_000, (v % 100_000_000) // 10_000, v % 10_000
    parts = [f"{eok:,}억" if eok else "", f"{man:,}만" if man else "", f"{rest:,}" if rest or not v else ""]
    return sign + " ".join(p for p in parts if p)


def quantity(value: object, unit: str | None, lang: str) -> str:
    """A number with its unit and separators, as a reader expects it.

    >>> quantity(470000000, "KRW", "ko"), quantity(470000000, "KRW", "en"), quantity(32.3, "%", "en")
    ('4억 7,000만 원', 'KRW 470,000,000', '32.3%')
    """
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    number = float(value)
    if not math.isfinite(number):
        return ""
    text = f"{number:,.0f}" if number == int(number) else f"{number:,.2f}".rstrip("0").rstrip(".")
    if unit == "%":
        return f"{text}%"
    if unit is None or unit not in _UNITS:
        return text if unit is None else f"{text} {unit}"
    ko_suffix, en_pattern = _UNITS[unit]
    if lang == "ko":
        return (won(number) if unit.startswith("KRW") else text) + ko_suffix
    return en_pattern.format(text)
