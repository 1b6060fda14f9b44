"""Layout rules of the briefs, read from the outputs (pdftotext per page, the HTML, the chart SVG).

* tables break only with their header and at least three rows on each page, and keep their notes;
  headings and captions never end a page; no page (but the cover) is nearly empty;
* the key-figure cards fill balanced rows; numbers never wrap; tables scroll on a phone;
* forest plots print their log ticks in full (10, not 1) and draw the OR = 1 reference line;
  a bar is highlighted only under the stated rule; standardised profiles get a diverging key;
* the PDF is tagged (PDF/UA-1) with its language and title.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from surveykit.report import Callout, Callouts, Document, Section, Table, Text
from surveykit.report.render import render_html, write_pdf

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")

SNAPSHOT = Path(__file__).parent / "snapshots" / "brief_layout_main.html"
UPDATE = os.environ.get("SURVEYKIT_UPDATE_SNAPSHOTS") == "1"
MIN_CONTENT_LINES = 4  # below this (besides running header and page number) a page is "nearly empty"


def run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def pages_text(pdf: Path) -> list[str]:
    """The text of each page (pdftotext -layout), in page order."""
    n = int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.M).group(1))
    return [run("pdftotext", "-layout", "-f", str(p), "-l", str(p), str(pdf), "-") for p in range(1, n + 1)]


def content_lines(page: str, title: str) -> list[str]:
    """Non-blank lines of a page without the running header (the title line) and the page number."""
    lines = [" ".join(line.split()) for line in page.splitlines() if line.strip()]
    if lines and lines[0].startswith(" ".join(title.split())[:20]):
        lines = lines[1:]
    if lines and re.fullmatch(r"(\S.*\s)?\d{1,3}", lines[-1]) and re.fullmatch(r"\d{1,3}", lines[-1].split()[-1]):
        lines = lines[:-1]
    return lines


# ---------- the break rules on small documents with known row labels ----------


def _table(name: str, n: int) -> Table:
    rows = tuple((f"{name}-row{i:02d}", i, float(i)) for i in range(1, n + 1))
    return Table(f"{name} caption", ("label", "n", "value"), rows, notes=(f"{name} note line",))


def _filler(k: int) -> Text:
    line = "Filler text so that the table starts at a different height on the page each time. " * 2
    return Text(tuple(line for _ in range(k)))


def _rows_by_page(pages: list[str], name: str) -> list[int]:
    return [len(re.findall(rf"{name}-row\d\d", page)) for page in pages if f"{name}-row" in page]


@pytest.mark.parametrize("fill", range(8, 40, 3))
@pytest.mark.parametrize("n", [4, 30])
def test_a_table_breaks_with_three_rows_each_side_and_keeps_its_note(tmp_path: Path, fill: int, n: int) -> None:
    doc = Document(
        "Layout",
        "",
        "en",
        "2019",
        sections=(Section("s", "Section", (_filler(fill), _table("T", n), Text(("After.",)))),),
    )
    pages = pages_text(write_pdf(doc, tmp_path / "t.pdf"))
    counts = _rows_by_page(pages, "T")
    assert sum(counts) == n
    if n <= 5:
        assert counts == [n]  # a short table never breaks
    assert all(c >= 3 for c in counts), counts  # never one or two rows alone before or after a break
    last = max(i for i, page in enumerate(pages) if "T-row" in page)
    assert "T note line" in pages[last]  # the note is on the page of the last row
    first = min(i for i, page in enumerate(pages) if "T-row" in page)
    assert "T caption" in pages[first]  # the caption is on the page of the first rows


@pytest.mark.parametrize("fill", range(30, 46, 2))
def test_a_heading_never_ends_a_page(tmp_path: Path, fill: int) -> None:
    doc = Document(
        "Layout",
        "",
        "en",
        "2019",
        sections=(
            Section("a", "First", (_filler(fill),)),
            Section("b", "Second heading", (Text(("One line.",)), _table("U", 4))),
        ),
    )
    pages = pages_text(write_pdf(doc, tmp_path / "h.pdf"))
    for page in pages[2:]:
        lines = content_lines(page, "Layout")
        assert lines and not lines[-1].startswith("2 Second heading"), lines[-3:]
        assert not (lines[-1] == "One line." and "U-row01" not in page)  # the lead-in stays with its table


# ---------- the demo briefs ----------


@pytest.fixture(scope="module", params=[("worker_brief", "ko"), ("organisation_brief", "en")], ids=lambda p: p[1])
def brief(request, tmp_path_factory):
    """A built demo brief: (plan id, lang, pdf path, html text, page texts, document title)."""
    from surveykit.report.build import build_brief

    plan, lang = request.param
    paths = build_brief(plan, out=tmp_path_factory.mktemp("layout"), lang=lang)
    pdf = next(p for p in paths if p.suffix == ".pdf")
    html = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return {"plan": plan, "lang": lang, "pdf": pdf, "html": html, "pages": pages_text(pdf), "title": title}


def test_no_page_is_nearly_empty(brief) -> None:
    for number, page in enumerate(brief["pages"][1:], 2):  # the cover is a cover
        lines = content_lines(page, brief["title"])
        assert len(lines) >= MIN_CONTENT_LINES, f"page {number} holds only {lines}"


def test_no_heading_or_caption_ends_a_page(brief) -> None:
    headings = {" ".join(f"{n} {t}".split()) for n, t in re.findall(r'data-running="(\d+)\. ([^"]+)"', brief["html"])}
    caption = re.compile(r"^(표|그림|Table|Figure) \d+\.")
    for number, page in enumerate(brief["pages"][2:], 3):
        last = content_lines(page, brief["title"])[-1]
        assert last not in headings and not any(h.startswith(last) for h in headings if len(last) > 3), (number, last)
        assert not caption.match(last), (number, last)


def test_pdf_is_tagged_with_language_and_title(brief) -> None:
    info = run("pdfinfo", str(brief["pdf"]))
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+(.+)$", info, re.M).group(1).strip() == brief["title"].strip()
    raw = brief["pdf"].read_bytes()
    import zlib

    streams = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            streams.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    text = raw + b"".join(streams)
    assert re.search(rb"/Lang\s*\(" + brief["lang"].encode() + rb"\)", text)
    assert b"/StructTreeRoot" in text and re.search(rb"pdfuaid:part\D{0,3}1", text)


def test_chart_rules_unit() -> None:
    from surveykit.report import charts

    assert [charts.tick_label(t) for t in charts.log_ticks(0.3, 14.0)] == ["0.5", "1", "2", "5", "10"]
    assert [charts.tick_label(t) for t in (0.05, 0.2, 20.0, 100.0)] == ["0.05", "0.2", "20", "100"]
    assert 1.0 in charts.log_ticks(2.0, 3.0)  # the reference value always has a tick
    assert len(charts.log_ticks(0.001, 1000.0)) <= 11
    # the highlight rule: highest and its CI above every other CI
    assert charts.clear_leader([50, 20, 10], [45, 15, 5], [55, 25, 15], 0)
    assert not charts.clear_leader([50, 40, 10], [45, 35, 5], [55, 45.5, 15], 0)  # 45 < 45.5: overlap
    assert not charts.clear_leader([50, 60], [45, 55], [55, 65], 0)  # not the highest
    assert not charts.clear_leader([50], [45], [55], 0)  # nothing to lead
    lead = charts.bar_ci(["a", "b"], [50, 20], [45, 15], [55, 25], caption="c", highlight=0)
    tie = charts.bar_ci(["a", "b"], [50, 45], [45, 40], [55, 50], caption="c", highlight=0)
    bare = charts.bar_ci(["a", "b"], [50, 20], caption="c", highlight=0)  # no CI: no rule, no highlight
    assert 'id="highlight"' in lead.svg and lead.notes == (charts._HIGHLIGHT_NOTE["en"],)
    assert "highlight" not in tie.svg + bare.svg and tie.notes == bare.notes == ()
    assert charts.bar_ci(["가"], [1.0], [0.5], [1.5], caption="c", highlight=0).notes == ()
    ko = charts.bar_ci(["가", "나"], [50, 20], [45, 15], [55, 25], caption="가입", highlight=0)
    assert ko.notes == (charts._HIGHLIGHT_NOTE["ko"],)
    # forest: the reference line is drawn after (above) the grid lines
    f = charts.forest(["A", "B"], [2.0, 0.5], [1.2, 0.3], [3.4, 12.0], caption="f")
    assert f.svg.index('id="reference-line"') > f.svg.index('id="xtick_1"')
    assert re.search(r">10</text>", f.svg) and not re.search(r">1</text>.*>1</text>", f.svg, re.S)
    # a long category label goes on two balanced lines instead of squeezing the plot
    long = charts.forest(
        ["Organisation type: Village/self-sufficiency/social venture"], [2.0], [1.2], [3.4], caption="f"
    )
    assert ">Organisation type: Village/</text>" in long.svg and ">self-sufficiency/social venture</text>" in long.svg
    assert long.alt.startswith("Organisation type: Village/self-sufficiency/social venture: ")
    seq = charts.heatmap(["a"], ["x", "y"], [[10.0, 30.0]], caption="h")
    div = charts.heatmap(["a"], ["x", "y"], [[-1.0, 2.0]], caption="h", center=0.0, key="z")
    assert 'id="colour-key"' in seq.svg and 'id="colour-key"' in div.svg
    assert _sides(div.svg) == (True, True) and _sides(seq.svg) == (False, True)


def _sides(svg: str) -> tuple[bool, bool]:
    """Whether the SVG has reddish (below the centre) and bluish (above) fills."""
    fills = {
        (int(f[1:3], 16), int(f[5:7], 16))
        for f in re.findall(r"fill: (#[0-9a-f]{6})|fill=\"(#[0-9a-f]{6})\"", svg)
        for f in f
        if f
    }
    return any(r > b + 30 for r, b in fills), any(b > r + 30 for r, b in fills)


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", html, re.S)


def test_forest_plots_have_the_reference_line_at_the_tick_1(brief) -> None:
    forests = [s for s in _svgs(brief["html"]) if "reference-line" in s]
    assert forests, "the brief has forest plots"
    for svg in forests:
        ref = re.search(r'<g id="fig\d+-reference-line">\s*<path d="M ([\d.]+) ', svg)
        assert ref, "the OR = 1 line is drawn"
        ticks = dict(re.findall(r'<g id="fig\d+-xtick_\d+">.*?<use[^>]* x="([\d.]+)".*?>([^<>]+)</text>', svg, re.S))
        labels = {text.strip(): float(x) for x, text in ticks.items()}
        assert "1" in labels and abs(labels["1"] - float(ref.group(1))) < 0.01
        # every tick label is a 1-2-5 number printed in full, increasing along the axis
        values = [float(t) for t, _ in sorted(labels.items(), key=lambda kv: kv[1])]
        assert values == sorted(values) and all(f"{v:.4g}".lstrip("0.").rstrip("0.")[0] in "125" for v in values)


def test_bar_highlight_only_under_the_stated_rule(brief) -> None:
    svgs = _svgs(brief["html"])
    note = "주황색 막대" if brief["lang"] == "ko" else "Orange bar"
    for figure in re.findall(r'<figure class="chart".*?</figure>', brief["html"], re.S):
        has_highlight = "-highlight" in figure
        assert has_highlight == (
            note in re.sub(r"<[^>]+>", "", figure)
        )  # a highlight always comes with the rule, and only then
    assert svgs


def test_standardised_profiles_get_a_diverging_palette_with_a_key(brief) -> None:
    if brief["plan"] != "worker_brief":
        pytest.skip("the organisation segmentation is unstable and not published")
    heat = next(s for s in _svgs(brief["html"]) if "colour-key" in s)
    assert _sides(heat) == (True, True)  # below-average cells reddish, above-average bluish
    figure = next(f for f in re.findall(r'<figure class="chart".*?</figure>', brief["html"], re.S) if "colour-key" in f)
    note = re.sub(r"<[^>]+>", "", figure.split("</svg>")[-1])
    assert "0 = " in note  # the figure note says where the centre is (the key under the cells names the scale)


def test_cards_fill_balanced_rows(brief) -> None:
    for block in re.findall(
        r'<div class="cards cols-(\d)">(.*?)\n</div>\n(?!<div class="callouts">)', brief["html"], re.S
    ):
        cols, body = int(block[0]), block[1]
        rows = [chunk.count('class="callout"') for chunk in body.split('<div class="callouts">')[1:]]
        assert max(rows) - min(rows) <= 1 and max(rows) <= cols <= 4, rows


@pytest.mark.parametrize(
    ("n", "rows", "cols"), [(1, [1], 2), (3, [3], 3), (5, [3, 2], 3), (7, [4, 3], 4), (10, [4, 3, 3], 4)]
)
def test_card_rows(n: int, rows: list[int], cols: int) -> None:
    block = Callouts(tuple(Callout(f"l{i}", f"{i}.5%") for i in range(n)))
    html = render_html(Document("t", "", "en", "2019", sections=(Section("s", "S", (block,)),)), embed_fonts=False)
    assert f'<div class="cards cols-{cols}">' in html
    assert [c.count('class="callout"') for c in html.split('<div class="callouts">')[1:]] == rows


def test_numbers_never_wrap_and_tables_scroll_on_a_phone() -> None:
    from surveykit.report.fonts import package_dir

    css = (package_dir() / "static" / "brief.css").read_text(encoding="utf-8")
    assert re.search(r"table\.data td\.right[^{]*\{[^}]*white-space: nowrap", css)
    assert re.search(r"\.callout \.value \{[^}]*white-space: nowrap", css)
    assert re.search(r"\.table-scroll \{ overflow-x: auto; \}", css)
    doc = Document("t", "", "en", "2019", sections=(Section("s", "S", (_table("P", 2),)),))
    html = render_html(doc, embed_fonts=False)
    assert re.search(r'<div class="table-scroll">\s*<table class="data">', html)


def layout_document() -> Document:
    """A fixed document with seven cards, a table and a lead-in (snapshot input)."""
    cards = Callouts(tuple(Callout(f"지표 {i}", f"{10 * i + 0.3:.1f}%", f"n={100 + i}") for i in range(1, 8)))
    return Document(
        "배치 점검",
        "",
        "ko",
        "2019",
        sections=(Section("k", "핵심 지표", (Text(("한 줄 소개.",)), cards, _table("S", 4))),),
    )


def test_layout_markup_snapshot() -> None:
    """The markup of <main> (not the CSS, which has its own snapshot in test_report_render)."""
    html = render_html(layout_document(), embed_fonts=False)
    main = html[html.index("<main>") : html.index("</main>") + len("</main>")] + "\n"
    if UPDATE:
        SNAPSHOT.write_text(main, encoding="utf-8")
    assert SNAPSHOT.is_file(), "run with SURVEYKIT_UPDATE_SNAPSHOTS=1 once to create the snapshot"
    assert main == SNAPSHOT.read_text(encoding="utf-8")
