"""The document model a brief is rendered from: plain, frozen, generic data.

A :class:`Document` holds :class:`Section` objects, each a sequence of blocks:
:class:`Text`, :class:`Callouts`, :class:`Table`, :class:`Chart`, :class:`KeyValue`,
:class:`Findings` (key findings, each linking to where its numbers are), :class:`Box` (a boxed
explanation) and :class:`PageBreak`. Sections marked ``appendix`` are printed after the others,
lettered A, B, ...; a document's ``notice`` (e.g. that its data are synthetic) is printed on the
cover and in every page's footer. Nothing here knows about statistics: the analysis layer (``report.build``)
fills the model from results, and ``report.render`` turns it into HTML and PDF.

Every class coerces lists to tuples and checks its input once, raising
:class:`~surveykit.errors.ReportError` with the block and the fix. Text is plain text: it is
always escaped when rendered, so free-text answers holding markup are harmless.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias

from surveykit.errors import ReportError, closest
from surveykit.results import jsonable

__all__ = [
    "legend",
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
    "Finding",
    "Findings",
    "Box",
    "PageBreak",
    "Block",
    "DEFAULT_FLAGS",
    "LANGS",
    "Lang",
    "as_lang",
    "CellValue",
]

Lang: TypeAlias = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = ("ko", "en")
ALIGNS = ("left", "right", "center")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)  # not strftime: independent of the process locale
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
CellValue: TypeAlias = str | int | float | None


def _tuple(value: Any, what: str) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ReportError(f"{what} must be a list or tuple; got {type(value).__name__}. Wrap a single item in a list.")
    return tuple(value)


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def as_lang(value: object, what: str = "lang") -> Lang:
    """*value* as a document language (one of :data:`LANGS`), or a :class:`ReportError`."""
    for lang in LANGS:
        if value == lang:
            return lang
    raise ReportError(f"{what} must be one of {LANGS}; got {value!r}. Pass 'ko' or 'en'.")


@dataclass(frozen=True, slots=True)
class Flag:
    """A footnoted cell flag: ``key`` is what cells refer to, ``marker`` is printed after the
    value, ``note`` says why (e.g. ``"CV above 30%: interpret with caution"``).

    ``suppress=True`` hides the value (shown as an em dash), as a small-cell rule requires.
    """

    key: str
    marker: str
    note: str
    suppress: bool = False


DEFAULT_FLAGS: Mapping[str, Mapping[str, Flag]] = MappingProxyType(
    {
        "ko": MappingProxyType(
            {
                "suppressed": Flag("suppressed", "†", "응답자 수가 적어 값을 표시하지 않음", suppress=True),
                "secondary": Flag(
                    "secondary", "†", "숨긴 값이 합계에서 역산되지 않도록 함께 표시하지 않음", suppress=True
                ),
                "high_cv": Flag("high_cv", "*", "변동계수(CV)가 높아 해석에 주의"),
                "low_n": Flag("low_n", "‡", "유효 표본 수가 적어 해석에 주의"),
            }
        ),
        "en": MappingProxyType(
            {
                "suppressed": Flag("suppressed", "†", "Too few respondents; value not shown", suppress=True),
                "secondary": Flag(
                    "secondary",
                    "†",
                    "Not shown so that a hidden value cannot be worked out from the total",
                    suppress=True,
                ),
                "high_cv": Flag("high_cv", "*", "High coefficient of variation (CV); interpret with caution"),
                "low_n": Flag("low_n", "‡", "Low effective sample size; interpret with caution"),
            }
        ),
    }
)


def legend(flags: Mapping[str, Flag]) -> list[tuple[str, str]]:
    """The flag notes of a table, one line per marker: flags sharing a marker (a cell hidden for
    too few respondents and one hidden with it print the same mark, so that the reader cannot
    tell which is which) share one line with both reasons."""
    lines: dict[str, list[str]] = {}
    for flag in flags.values():
        notes = lines.setdefault(flag.marker, [])
        if flag.note not in notes:
            notes.append(flag.note)
    return [(marker, "; ".join(notes)) for marker, notes in lines.items()]


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: a value and optionally the key of a :class:`Flag`."""

    value: CellValue
    flag: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None and not isinstance(self.value, (str, int, float)):
            raise ReportError(
                f"a table cell must hold text or a number; got "
                f"{type(self.value).__name__}. Convert it with str() or float()."
            )


@dataclass(frozen=True, slots=True)
class Text:
    """Paragraphs of plain text, with optional footnotes placed at the foot of the page."""

    paragraphs: tuple[str, ...]
    footnotes: tuple[str, ...] = ()
    kind: ClassVar[str] = "text"

    def __post_init__(self) -> None:
        paragraphs = (self.paragraphs,) if isinstance(self.paragraphs, str) else self.paragraphs
        _set(self, "paragraphs", tuple(str(p) for p in _tuple(paragraphs, "Text.paragraphs")))
        _set(self, "footnotes", tuple(str(f) for f in _tuple(self.footnotes, "Text.footnotes")))


@dataclass(frozen=True, slots=True)
class Callout:
    """One key figure: a label, the value as printed, and an optional note."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Callouts:
    """A row of key-figure boxes (two to four read best)."""

    items: tuple[Callout, ...]
    kind: ClassVar[str] = "callouts"

    def __post_init__(self) -> None:
        items = tuple(i if isinstance(i, Callout) else Callout(*i) for i in _tuple(self.items, "Callouts.items"))
        if not items:
            raise ReportError("Callouts.items must hold at least one (label, value, note); got none.")
        _set(self, "items", items)


def _cell(value: Any) -> Cell:
    return value if isinstance(value, Cell) else Cell(value)


@dataclass(frozen=True, slots=True, init=False)
class Table:
    """A table with a caption, header, rows of cells, notes and per-column alignment.

    Cells may be :class:`Cell` objects carrying a flag key; plain values are wrapped. Flags are
    looked up in ``flags`` first, then in :data:`DEFAULT_FLAGS` for the document language.
    Floats are printed with ``digits`` decimals, integers with thousands separators, text as is.
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    col_align: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    digits: int = 1
    source: str = ""
    kind: ClassVar[str] = "table"

    # written out (not generated) because it takes more than it stores: lists, and plain values as cells
    def __init__(
        self,
        caption: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Cell | CellValue]],
        notes: Sequence[str] = (),
        col_align: Sequence[str] = (),
        flags: Sequence[Flag] = (),
        digits: int = 1,
        source: str = "",
    ) -> None:
        _set(self, "caption", caption)
        _set(self, "digits", digits)
        _set(self, "source", source)
        columns = tuple(str(c) for c in _tuple(columns, f"Table {caption!r} columns"))
        cells = tuple(
            tuple(_cell(v) for v in _tuple(r, f"Table {caption!r} row {i}"))
            for i, r in enumerate(_tuple(rows, f"Table {caption!r} rows"), 1)
        )
        for i, row in enumerate(cells, 1):
            if len(row) != len(columns):
                raise ReportError(
                    f"Table {caption!r}: every row must have {len(columns)} cells "
                    f"(one per column); row {i} has {len(row)}. Pad or trim the row."
                )
        align = _tuple(col_align, f"Table {caption!r} col_align") or (("left",) + ("right",) * (len(columns) - 1))
        bad = [a for a in align if a not in ALIGNS]
        if len(align) != len(columns) or bad:
            raise ReportError(
                f"Table {caption!r}: col_align must give one of {ALIGNS} per "
                f"column ({len(columns)}); got {list(align)}."
            )
        _set(self, "columns", columns)
        _set(self, "rows", cells)
        _set(self, "col_align", tuple(align))
        _set(self, "notes", tuple(str(n) for n in _tuple(notes, "Table.notes")))
        _set(self, "flags", tuple(_tuple(flags, "Table.flags")))

    @classmethod
    def from_frame(cls, frame: Any, caption: str, **options: Any) -> Table:
        """A table from a DataFrame: its columns as the header, its rows as cells.

        Missing values become empty cells; *options* are the other fields (notes, flags, ...).
        """
        import pandas as pd

        rows = tuple(
            tuple(
                None if (not isinstance(v, str) and pd.isna(v)) else (v.item() if hasattr(v, "item") else v)
                for v in row
            )
            for row in frame.itertuples(index=False)
        )
        return cls(caption, tuple(str(c) for c in frame.columns), rows, **options)

    def resolve_flags(self, lang: str) -> dict[str, Flag]:
        """The flags this table uses, by key, in order of first use; unknown keys raise."""
        known = {**DEFAULT_FLAGS[lang], **{f.key: f for f in self.flags}}
        used: dict[str, Flag] = {}
        for i, row in enumerate(self.rows, 1):
            for col, cell in zip(self.columns, row):
                if cell.flag is None or cell.flag in used:
                    continue
                if cell.flag not in known:
                    raise ReportError(
                        f"Table {self.caption!r}, row {i}, column {col!r}: unknown flag "
                        f"{cell.flag!r}; define it in Table.flags or use one of "
                        f"{sorted(known)}.{closest(cell.flag, known)}"
                    )
                used[cell.flag] = known[cell.flag]
        return used

    def to_frame(self):
        """The table as a DataFrame (raw values; suppressed cells become missing)."""
        import pandas as pd

        known = {**DEFAULT_FLAGS["en"], **{f.key: f for f in self.flags}}
        suppressed = {key for key, flag in known.items() if flag.suppress}
        data = [[None if c.flag in suppressed else c.value for c in row] for row in self.rows]
        return pd.DataFrame(data, columns=pd.Index(self.columns, dtype=object))


@dataclass(frozen=True, slots=True)
class Chart:
    """A figure: SVG markup (from :mod:`surveykit.report.charts`), a caption and alt text.

    The SVG is sanitised when rendered: only drawing elements are kept, ids are prefixed per
    chart, and anything scriptable or external is refused.
    """

    svg: str
    caption: str
    alt: str
    notes: tuple[str, ...] = ()
    source: str = ""
    kind: ClassVar[str] = "chart"

    def __post_init__(self) -> None:
        if not isinstance(self.svg, str) or "<svg" not in self.svg:
            raise ReportError(
                f"Chart {self.caption!r}: svg must be SVG markup text (as made by "
                f"surveykit.report.charts); got {type(self.svg).__name__}."
            )
        if not str(self.alt).strip():
            raise ReportError(
                f"Chart {self.caption!r}: alt must describe the chart for readers "
                f"who cannot see it; got an empty string."
            )
        _set(self, "notes", tuple(str(n) for n in _tuple(self.notes, "Chart.notes")))


@dataclass(frozen=True, slots=True)
class KeyValue:
    """A two-column list of facts (e.g. how the survey was done)."""

    pairs: tuple[tuple[str, str], ...]
    caption: str = ""
    kind: ClassVar[str] = "keyvalue"

    def __post_init__(self) -> None:
        pairs = self.pairs.items() if isinstance(self.pairs, Mapping) else _tuple(self.pairs, "KeyValue.pairs")
        _set(self, "pairs", tuple((str(k), str(v)) for k, v in pairs))


@dataclass(frozen=True, slots=True)
class Finding:
    """One key finding: a sentence and the id of the section that holds its numbers."""

    text: str
    anchor: str = ""

    def __post_init__(self) -> None:
        if self.anchor and not _ID.match(self.anchor):
            raise ReportError(
                f"Finding {self.text[:40]!r}: anchor must be a section id (letters, digits, '-', '_'); "
                f"got {self.anchor!r}."
            )


@dataclass(frozen=True, slots=True)
class Findings:
    """A list of key findings (an executive summary); ``link`` is the text of each link."""

    items: tuple[Finding, ...]
    link: str = ""
    kind: ClassVar[str] = "findings"

    def __post_init__(self) -> None:
        items = tuple(i if isinstance(i, Finding) else Finding(*i) for i in _tuple(self.items, "Findings.items"))
        if not items:
            raise ReportError("Findings.items must hold at least one finding; got none.")
        _set(self, "items", items)


@dataclass(frozen=True, slots=True)
class Box:
    """A boxed explanation: a title and (term, explanation) pairs or plain paragraphs."""

    title: str
    pairs: tuple[tuple[str, str], ...] = ()
    paragraphs: tuple[str, ...] = ()
    kind: ClassVar[str] = "box"

    def __post_init__(self) -> None:
        _set(self, "pairs", tuple((str(k), str(v)) for k, v in _tuple(self.pairs, "Box.pairs")))
        _set(self, "paragraphs", tuple(str(p) for p in _tuple(self.paragraphs, "Box.paragraphs")))


@dataclass(frozen=True, slots=True)
class PageBreak:
    """Start a new page in the PDF (no effect on screen)."""

    kind: ClassVar[str] = "pagebreak"


Block: TypeAlias = Text | Callouts | Table | Chart | KeyValue | Findings | Box | PageBreak
_BLOCKS = (Text, Callouts, Table, Chart, KeyValue, Findings, Box, PageBreak)


@dataclass(frozen=True, slots=True)
class Section:
    """A numbered section: an HTML id (letters, digits, ``-``, ``_``), a title and blocks.

    ``appendix=True`` prints it in the appendix (after the other sections, lettered A, B, ...).
    """

    id: str
    title: str
    blocks: tuple[Block, ...]
    appendix: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ReportError(
                f"Section {self.title!r}: id must start with a letter and hold only "
                f"letters, digits, '-' or '_'; got {self.id!r}."
            )
        blocks = _tuple(self.blocks, f"Section {self.id!r} blocks")
        for i, block in enumerate(blocks, 1):
            if not isinstance(block, _BLOCKS):
                raise ReportError(
                    f"Section {self.id!r}, block {i}: must be one of "
                    f"{[b.__name__ for b in _BLOCKS]}; got {type(block).__name__}."
                )
        _set(self, "blocks", blocks)


@dataclass(frozen=True, slots=True)
class Document:
    """A whole brief: cover facts, free-form ``meta`` (shown on the cover) and sections.

    ``notice`` (e.g. that the data are synthetic) is printed on the cover, ``footer`` (its short
    form) in every page's footer, and both go into the PDF's metadata with ``keywords``.
    ``date`` is printed as given (a :class:`datetime.date` is formatted per ``lang``); the
    renderer never reads the clock, so the same document always renders to the same bytes.
    """

    title: str
    subtitle: str
    lang: Lang
    date: _dt.date | str
    meta: Mapping[str, str] = field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    organisation: str = ""
    notice: str = ""
    footer: str = ""
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "keywords", tuple(str(k) for k in _tuple(self.keywords, "Document.keywords")))
        if self.lang not in LANGS:
            raise ReportError(f"Document.lang must be one of {LANGS}; got {self.lang!r}.")
        sections = _tuple(self.sections, "Document.sections")
        ids = [s.id for s in sections]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ReportError(
                f"Document section ids must be unique; got {dupes} more than once. Rename the repeated sections."
            )
        _set(self, "sections", sections)
        _set(self, "meta", MappingProxyType({str(k): str(v) for k, v in dict(self.meta).items()}))

    def date_text(self) -> str:
        """The date as printed on the cover."""
        if isinstance(self.date, _dt.date):
            d = self.date
            return (
                f"{d.year}년 {d.month}월 {d.day}일" if self.lang == "ko" else f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
            )
        return str(self.date)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe plain data (for ``write_json``)."""
        return jsonable(_plain(self))


def _plain(obj: Any) -> Any:
    if isinstance(obj, _BLOCKS + (Document, Section, Cell, Callout, Flag, Finding)):
        out = {"kind": getattr(obj, "kind", type(obj).__name__.lower())}
        out.update({f.name: _plain(getattr(obj, f.name)) for f in fields(obj)})
        return out
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, _dt.date):
        return obj.isoformat()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
