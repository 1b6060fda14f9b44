"""Writers: a :class:`~surveykit.report.document.Document` to HTML, PDF, JSON and XLSX.

* :func:`render_html` - one self-contained HTML string (CSS, charts and fonts inline);
* :func:`write_html`, :func:`write_pdf` (WeasyPrint, A4), :func:`write_json`, :func:`write_xlsx`.

Fonts: the HTML embeds a subset of the bundled Korean font, cut to the characters the document
uses, as ``data:`` URIs (``embed_fonts=True``, the default), so it shows Korean in any browser,
offline. The PDF references the package's font files by ``file://`` URL, resolved at render time;
WeasyPrint embeds what it uses. Both outputs are byte-identical for the same document: nothing
reads the clock and charts are deterministic.

Safety: templates autoescape and use ``StrictUndefined``; only the package's CSS and the
sanitised chart SVG are marked safe, never data. The PDF renderer fetches through
:class:`PackageFetcher`, which serves only the package's own ``fonts/`` and ``static/`` files and
refuses (and logs) everything else. A missing glyph (WeasyPrint's ``.notdef`` warning) raises
:class:`~surveykit.errors.ReportError` instead of printing boxes. Every file is written to a
temporary file in the target folder and moved into place, so an error leaves no partial output.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from surveykit._util.atomic import atomic_target
from surveykit.errors import ReportError
from surveykit.report.document import Chart, Document, Table, legend
from surveykit.report.fonts import FAMILY, font_face_css, package_dir
from surveykit.report.pdfguard import PackageFetcher, fallback_fonts, glyph_check
from surveykit.report.svg import sanitize_svg
from surveykit.report.text import UI, format_cell, kw
from surveykit.results import jsonable

__all__ = ["render_html", "write_html", "write_pdf", "write_json", "write_xlsx", "PackageFetcher"]

_FONT_SLOT = "/*@surveykit-font-face@*/"
#: WeasyPrint's accessible PDF variant; the variant alone leaves ``pdf_tags`` off in WeasyPrint 70
_PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


@functools.cache
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(package_dir() / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["kw"] = kw
    env.filters["cell"] = format_cell
    return env


def _view(doc: Document) -> list[dict[str, Any]]:
    """Sections with numbered tables/figures, resolved flags and sanitised SVG.

    Body sections are numbered 1, 2, ...; appendix sections follow them, lettered A, B, ...
    """
    counts = {"table": 0, "chart": 0}
    sections: list[dict[str, Any]] = []
    ordered = [s for s in doc.sections if not s.appendix] + [s for s in doc.sections if s.appendix]
    n_body = 0
    for sec in ordered:
        if sec.appendix:
            number = chr(ord("A") + len(sections) - n_body) if len(sections) - n_body < 26 else str(len(sections))
        else:
            n_body += 1
            number = str(n_body)
        items = []
        for block in sec.blocks:
            item: dict[str, Any] = {"kind": block.kind, "block": block, "flags": {}, "legend": []}
            if block.kind in counts:
                counts[block.kind] += 1
                n = counts[block.kind]
                item["number"] = n
                item["anchor"] = f"{'tbl' if block.kind == 'table' else 'fig'}-{n}"
            if isinstance(block, Table):
                item["flags"] = block.resolve_flags(doc.lang)
                item["legend"] = legend(item["flags"])
            elif isinstance(block, Chart):
                where = f"section {sec.id!r}, figure {item['number']} ({block.caption!r})"
                item["svg"] = Markup(sanitize_svg(block.svg, f"fig{item['number']}-", where=where))
            items.append(item)
        lead_break = bool(items) and items[0]["kind"] == "pagebreak"
        sections.append(
            {
                "id": sec.id,
                "title": sec.title,
                "number": number,
                "appendix": sec.appendix,
                "first_appendix": sec.appendix and len(sections) == n_body,
                "break_before": lead_break,
                "blocks": items[1:] if lead_break else items,
            }
        )
    return sections


def _render(doc: Document) -> str:
    """The page with a placeholder where the ``@font-face`` rules go."""
    if not isinstance(doc, Document):
        raise ReportError(
            f"render needs a surveykit.report.Document; got {type(doc).__name__}. "
            f"Build one with Document(title=..., sections=[...])."
        )
    static = package_dir() / "static"
    # brief.css is the layout; status.css places the data-status footer and the cover notice
    css = "\n".join((static / name).read_text(encoding="utf-8") for name in ("brief.css", "status.css"))
    return (
        _env()
        .get_template("brief.html.j2")
        .render(
            doc=doc,
            ui=UI[doc.lang],
            sections=_view(doc),
            css=Markup(css),
            font_css=Markup(_FONT_SLOT),
        )
    )


def render_html(doc: Document, *, embed_fonts: bool = True) -> str:
    """Render *doc* as one self-contained HTML page.

    Parameters
    ----------
    doc : Document
    embed_fonts : bool
        ``True`` (default): the bundled Korean font, subset to the document's characters, is
        inlined as ``data:`` URIs, so Korean shows on machines without a Korean font.
        ``False``: no ``@font-face``; the page falls back to installed fonts (small output,
        used for snapshots).

    Returns
    -------
    str
        The HTML; byte-identical for equal documents.

    Notes
    -----
    No R ``survey`` equivalent; comparable to a self-contained R Markdown HTML document
    (``rmarkdown::html_document(self_contained = TRUE)``).
    """
    html = _render(doc)
    fonts = font_face_css(embed=True, text=html) if embed_fonts else ""
    return html.replace(_FONT_SLOT, fonts, 1)


def _atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write *data* to a temporary file beside *path*, then move it into place."""
    target = Path(path)
    if not target.parent.is_dir():
        raise ReportError(
            f"output folder {str(target.parent)!r} must exist; it does not. Create it first or choose another path."
        )
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_target(target) as tmp:
        Path(tmp).write_bytes(payload)
    return target


def write_html(doc: Document, path: str | os.PathLike[str], *, embed_fonts: bool = True) -> Path:
    """Write :func:`render_html` output to *path* (UTF-8, atomically); return the path."""
    return _atomic_write(path, render_html(doc, embed_fonts=embed_fonts))


def render_pdf(doc: Document, *, fetcher: Any = None) -> bytes:
    """Render *doc* to PDF bytes (A4) with WeasyPrint; see :func:`write_pdf`."""
    import weasyprint

    html = _render(doc).replace(_FONT_SLOT, font_face_css(embed=False), 1)
    fetcher = fetcher if fetcher is not None else PackageFetcher.create()
    with glyph_check() as check:
        # tagged PDF/UA-1: structure tags, document language (<html lang>) and title (<title>)
        rendered = weasyprint.HTML(string=html, url_fetcher=fetcher).render(**_PDF_OPTIONS)
        pdf = rendered.write_pdf(**_PDF_OPTIONS)
    problems = sorted(set(check.problems)) + fallback_fonts(rendered, FAMILY)
    if problems:
        raise ReportError(
            f"PDF for {doc.title!r}: every character must exist in the bundled font "
            f"({FAMILY}); got {'; '.join(problems[:5])}. Replace those characters or "
            f"extend scripts/make_font_subset.py and rebuild the font subset."
        )
    return pdf


def write_pdf(doc: Document, path: str | os.PathLike[str], *, fetcher: Any = None) -> Path:
    """Render *doc* to an A4 PDF at *path* (atomically) and return the path.

    Parameters
    ----------
    doc : Document
    path : path-like
        The output file; its folder must exist.
    fetcher : PackageFetcher, optional
        The URL fetcher (default: a new :class:`PackageFetcher`); pass one to inspect requests.

    Raises
    ------
    ReportError
        When a character has no glyph in the bundled font (whether WeasyPrint drew a ``.notdef``
        box or fell back to a system font, which other machines may lack), or the document is
        invalid.

    Notes
    -----
    No R ``survey`` equivalent; comparable to ``pagedown::chrome_print()`` of an R Markdown brief.
    """
    return _atomic_write(path, render_pdf(doc, fetcher=fetcher))


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write *obj* (a Document, a result with ``to_dict()``, or plain data) as UTF-8 JSON.

    Values pass through :func:`surveykit.results.jsonable` (NaN -> null, numpy -> Python).
    """
    data = jsonable(obj.to_dict() if hasattr(obj, "to_dict") else obj)
    text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    return _atomic_write(path, text + "\n")


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(names: Sequence[str]) -> list[str]:
    """Excel-safe, unique sheet names of at most 31 characters."""
    out: list[str] = []
    for i, name in enumerate(names, 1):
        base = _SHEET_BAD.sub(" ", str(name)).strip().strip("'") or f"Table {i}"
        candidate, k = base[:31], 2
        while candidate.lower() in {o.lower() for o in out}:
            suffix = f" ({k})"
            candidate, k = base[: 31 - len(suffix)] + suffix, k + 1
        out.append(candidate)
    return out


_NUMBER_TEXT = re.compile(r"^[+\-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")


def _excel_value(value: Any, digits: int) -> tuple[Any, str | None]:
    """A cell value for Excel and its number format: numbers stay numbers (printed text such as
    ``"32.3"`` or ``"1,234"`` becomes a number with a format of the same precision)."""
    value = jsonable(value)
    if isinstance(value, bool) or value is None:
        return value, None
    if isinstance(value, int):
        return value, "#,##0"
    if isinstance(value, float):
        if digits < 0:  # full precision (a data frame's raw values)
            return value, None
        return value, "#,##0" if digits == 0 else "#,##0." + "0" * digits
    text = str(value).strip()
    if text.endswith("%") and _NUMBER_TEXT.match(text[:-1].strip()):  # "36%" -> 0.36 shown as 36%
        number, fmt = _excel_value(text[:-1].strip(), digits)
        return number / 100, (fmt or "0").replace("#,##", "") + "%"
    m = _NUMBER_TEXT.match(text)
    if not m:
        return value, None
    number = float(text.replace(",", "").replace("\u2212", "-"))
    decimals = len(m.group(1) or "")
    if decimals == 0 and "." not in text:
        return int(number), "#,##0"
    return number, "#,##0." + "0" * decimals


def _table_sheet(ws: Any, table: Table, lang: str) -> None:
    """One document table: header, rows (numbers as numbers; suppressed cells as their marker,
    flagged cells with the flag as a comment) and its notes below."""
    from openpyxl.comments import Comment

    flags = table.resolve_flags(lang)
    ws.append(list(table.columns))
    for r, row in enumerate(table.rows, 2):
        for c, cell in enumerate(row, 1):
            flag = flags.get(cell.flag) if cell.flag else None
            target = ws.cell(row=r, column=c)
            if flag is not None and flag.suppress:
                target.value = flag.marker
                continue
            value, fmt = _excel_value(cell.value, table.digits)
            target.value = value
            if fmt:
                target.number_format = fmt
            if flag is not None:
                target.comment = Comment(f"{flag.marker} {flag.note}", "surveykit")
    notes = [f"{marker} {note}" for marker, note in legend(flags)] + list(table.notes)
    if table.source:
        notes.append(table.source)
    if notes:
        ws.append([])
        for note in notes:
            ws.append([note])


def write_xlsx(
    tables: Sequence[Any] | Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    readme: Sequence[tuple[str, Any]] = (),
    lang: str = "en",
) -> Path:
    """Write tables to an Excel workbook, one sheet per table.

    Parameters
    ----------
    tables : sequence of Table or of (name, Table | DataFrame) pairs, or a mapping name -> either
        Sheet names come from the keys or the table captions, made unique and <= 31 characters.
        A :class:`Table` keeps its notes (below the rows) and flags; numbers printed as text
        (``"32.3"``, ``"1,234"``) are stored as numbers with a number format of that precision.
    path : path-like
    readme : sequence of (label, value) pairs
        When given, a first sheet ``README`` lists them (e.g. data status, sheet contents).
    lang : {"en", "ko"}
        Language of the flag notes.
    """
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    items = (
        list(tables.items())
        if isinstance(tables, Mapping)
        else [(t.caption, t) if isinstance(t, Table) else tuple(t) for t in tables]
    )
    if not items and not readme:
        raise ReportError(f"write_xlsx: {str(path)!r} needs at least one table (or a readme); got none.")
    wb = Workbook()
    wb.remove(wb.active)
    names = _sheet_names((["README"] if readme else []) + [n for n, _ in items])
    if readme:
        ws = wb.create_sheet(names.pop(0))
        for label, value in readme:
            ws.append([str(label), *[_excel_value(value, 0)[0]]])
        for cell in ws["A"]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 28
        ws.column_dimensions["B"].width = 100
    for name, (_, table) in zip(names, items):
        ws = wb.create_sheet(name)
        if isinstance(table, Table):
            _table_sheet(ws, table, lang)
        else:
            ws.append([str(c) for c in table.columns])
            for row in table.itertuples(index=False):
                values = [_excel_value(v, -1) for v in row]
                ws.append([v for v, _ in values])
                for cell, (_, fmt) in zip(ws[ws.max_row], values):
                    if fmt:
                        cell.number_format = fmt
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return _atomic_write(path, _fixed_stamps(buf.getvalue()))


_XLSX_STAMP = "2000-01-01T00:00:00Z"


def _fixed_stamps(xlsx: bytes) -> bytes:
    """The workbook with its save time (core properties, zip entry times) fixed, so equal input
    gives byte-identical files."""
    import io
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + _XLSX_STAMP.encode() + rb"\g<2>",
                    data,
                )
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()
