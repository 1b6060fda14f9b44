"""The PDF writer: text layer, embedded fonts, TOC page numbers, fetch policy, missing glyphs.

One PDF render of the sample brief per module (module fixture); the other renders use tiny
documents. Needs poppler-utils (``pdftotext``, ``pdffonts``), which CI installs.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from surveykit.errors import ReportError
from surveykit.report import Document, Section, Table, Text
from surveykit.report.fonts import font_files
from surveykit.report.render import PackageFetcher, write_pdf
from surveykit.report.text import format_cell
from surveykit.studies.safety_net_2018.sample_brief import sample_document

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils (pdftotext, pdffonts) is not installed",
)

HOSTILE = '<script>alert(1)</script> <img src="file:///etc/passwd"> <img src="http://example.invalid/x.png">'


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample brief rendered once: (document, pdf path, fetcher, page texts, warnings)."""
    doc = sample_document()
    fetcher = PackageFetcher.create()
    collect, logger = _Collect(), logging.getLogger("weasyprint")
    logger.addHandler(collect)
    try:
        path = write_pdf(doc, tmp_path_factory.mktemp("pdf") / "brief.pdf", fetcher=fetcher)
    finally:
        logger.removeHandler(collect)
    pages = run("pdftotext", "-enc", "UTF-8", str(path), "-").split("\f")
    return doc, path, fetcher, [p for p in pages if p.strip()], collect.messages


def test_weasyprint_has_nothing_to_complain_about(sample) -> None:
    assert sample[4] == []  # no ignored CSS, unknown properties, failed fetches or glyph issues


def test_pdf_has_korean_headings_and_every_table_number(sample) -> None:
    doc, _, _, pages, _ = sample
    text = "\n".join(pages)
    for number, sec in enumerate(doc.sections, 1):
        assert re.search(rf"^{number} {re.escape(sec.title)}$", text, re.M), sec.title
    tables = [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]
    for table in tables:
        for row in table.rows:
            for cell in row:
                if cell.flag != "suppressed" and cell.value is not None:
                    assert format_cell(cell, table.digits) in text, (table.caption, cell)
    assert "32.3%" in text and "81.4%" in text  # call-outs
    assert "2019년 3월 15일" in pages[0]


def test_chart_text_is_searchable_hangul(sample) -> None:
    text = "\n".join(sample[3])
    for word in ("실손보험", "저축성보험", "승산비", "신뢰 중시형"):
        assert word in text
    assert "2.41 (1.21, 4.80)" in text  # forest-plot annotation, as drawn


def test_bundled_font_embedded_as_subset(sample) -> None:
    rows = run("pdffonts", str(sample[1])).splitlines()[2:]
    assert len(rows) == 2  # regular and bold, nothing else
    for row in rows:
        assert re.match(r"^[A-Z]{6}\+Surveykit-Noto-Sans-KR(-Bold)?\s", row), row
        assert "Type 3" not in row
        assert re.search(r"\byes\s+yes\s+yes\b", row), row  # embedded, subset, with ToUnicode


def test_toc_page_numbers_point_at_the_headings(sample) -> None:
    doc, _, _, pages, _ = sample
    toc = dict(re.findall(r"^(.+?)\s*\.{5,}\s*(\d+)$", pages[1], re.M))
    assert set(toc) == {s.title for s in doc.sections}
    for number, sec in enumerate(doc.sections, 1):
        heading = re.compile(rf"^{number} {re.escape(sec.title)}$", re.M)
        found = [i for i, page in enumerate(pages, 1) if heading.search(page)]
        assert found and found[0] == int(toc[sec.title]), sec.title


def test_running_header_footer_and_repeated_table_head(sample) -> None:
    doc, _, _, pages, _ = sample
    for i, page in enumerate(pages[1:], 2):
        assert doc.title in page and re.search(rf"^{i}$", page, re.M), f"page {i}"
    long_pages = [p for p in pages if "항목 01" in p or "항목 45" in p]
    assert len(long_pages) >= 2, "the long table should run over two pages"
    assert all("사례 수" in p and "비율(%)" in p for p in long_pages)  # thead repeats
    assert "5. 부록: 긴 표의 쪽 나눔" in long_pages[-1]  # running section header


def test_flag_footnotes_sit_with_their_table(sample) -> None:
    page = re.sub(r"\s+", "", next(p for p in sample[3] if "표 1." in p))
    assert page.count("—†") == 3  # the three suppressed cells of the planted row
    assert "16.7*" in page  # the high-CV cell keeps its value and gets the marker
    assert "†응답자수가적어값을표시하지않음" in page
    assert "*변동계수(CV)가30%를넘어해석에주의" in page


def test_text_footnote_on_the_page_of_its_call(sample) -> None:
    pages = [re.sub(r"\s+", "", p) for p in sample[3]]
    call = [i for i, p in enumerate(pages) if "미가입자(71명)의" in p]
    note = [i for i, p in enumerate(pages) if "복수응답비율이다" in p]
    assert len(call) == 1 and call == note


def test_only_package_fonts_were_fetched(sample) -> None:
    fetcher = sample[2]
    allowed = {p.resolve().as_uri() for p in font_files().values()}
    assert set(fetcher.requested) == allowed and fetcher.refused == []


def test_hostile_text_fetches_nothing(tmp_path: Path) -> None:
    doc = Document("t", "", "en", "2019", sections=(Section("s", "S", (Text((HOSTILE,)),)),))
    fetcher = PackageFetcher.create()
    text = run("pdftotext", str(write_pdf(doc, tmp_path / "h.pdf", fetcher=fetcher)), "-")
    assert "<script>alert(1)</script>" in text and 'src="file:///etc/passwd"' in text
    assert all(url.endswith(".otf") for url in fetcher.requested) and fetcher.refused == []


def test_pdf_is_byte_identical_and_carries_metadata(tmp_path: Path) -> None:
    doc = Document("제목", "부제", "ko", "2019", organisation="기관", sections=(Section("s", "절", (Text("본문"),)),))
    a, b = write_pdf(doc, tmp_path / "a.pdf"), write_pdf(doc, tmp_path / "b.pdf")
    assert a.read_bytes() == b.read_bytes()
    info = run("pdfinfo", str(a))
    assert re.search(r"^Title:\s+제목$", info, re.M) and re.search(r"^Author:\s+기관$", info, re.M)


def test_korean_lines_break_between_words_only(tmp_path: Path) -> None:
    word = "사회안전망실태조사결과"  # Hangul allows a break between any two syllables
    doc = Document("t", "", "ko", "2019", sections=(Section("s", "S", (Text(" ".join([word] * 40)),)),))
    text = run("pdftotext", str(write_pdf(doc, tmp_path / "k.pdf")), "-")
    tokens = [t for line in text.splitlines() if "안전" in line or "결과" in line for t in line.split()]
    assert tokens == [word] * 40  # without the no-wrap spans WeasyPrint splits words across lines


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.invalid/x.png",
        "https://example.invalid/font.otf",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://example.invalid/x",
    ],
)
def test_fetcher_refuses_and_logs_everything_else(url: str, caplog) -> None:
    fetcher = PackageFetcher.create()
    with caplog.at_level(logging.WARNING, logger="surveykit.report"), pytest.raises(ValueError, match="refuses"):
        fetcher.fetch(url)
    assert fetcher.refused == [url] and "refused to fetch" in caplog.text


def test_fetcher_refuses_path_traversal_and_serves_package_fonts() -> None:
    fetcher = PackageFetcher.create()
    font = font_files()[400]
    escape = font.parent.as_uri() + "/../../errors.py"
    with pytest.raises(ValueError, match="refuses"):
        fetcher.fetch(escape)
    response = fetcher.fetch(font.as_uri())
    assert response.read(4) == b"OTTO" and response.content_type == "font/otf"


@pytest.mark.parametrize(
    "text, culprit",
    [
        ("문자 \u0378 끝", "U+0378"),  # unassigned: WeasyPrint draws .notdef
    ],
)
def test_missing_glyph_is_an_error_and_writes_nothing(tmp_path: Path, text: str, culprit: str) -> None:
    doc = Document("t", "", "ko", "2019", sections=(Section("s", "S", (Text(text),)),))
    with pytest.raises(ReportError, match=rf"bundled font.*{re.escape(culprit)}.*make_font_subset"):
        write_pdf(doc, tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []
