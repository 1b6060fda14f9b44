"""HTML rendering, the document model, charts, SVG sanitising and the JSON/XLSX writers."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from surveykit.errors import ReportError
from surveykit.report import (
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
from surveykit.report.render import render_html, write_html, write_json, write_xlsx
from surveykit.report.svg import sanitize_svg
from surveykit.report.text import kw

SNAPSHOT = Path(__file__).parent / "snapshots" / "report_small.html"
UPDATE = os.environ.get("SURVEYKIT_UPDATE_SNAPSHOTS") == "1"

HOSTILE = '<script>alert(1)</script> <img src="file:///etc/passwd"> <img src="http://example.invalid/x.png">'

# A hand-written SVG (not matplotlib's) so the snapshot does not move with matplotlib versions.
TINY_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="120pt" height="40pt" viewBox="0 0 120 40"><defs><clipPath id="clip">'
    '<rect x="0" y="0" width="120" height="40"/></clipPath></defs>'
    '<g id="bars" clip-path="url(#clip)"><rect x="0" y="5" width="60" height="10" '
    'style="fill: #1f3a5f"/><use xlink:href="#bars" x="0" y="20"/>'
    '<text x="64" y="14" style="font-size: 8px">공제 50.0</text></g></svg>'
)


def visible(html: str) -> str:
    """The text of an HTML page (tags dropped), for asserting on words split into spans."""
    return re.sub(r"<[^>]+>", "", html)


def small_document(extra_text: str = "") -> Document:
    """A small fixed document with every block kind (snapshot input)."""
    table = Table(
        "조직 유형별 가입 의향",
        ("유형", "사례 수", "비율(%)"),
        (
            ("협동조합", 41, 52.4),
            ("사회적기업", 12, Cell(35.0, "high_cv")),
            ("마을기업", 3, Cell(66.7, "suppressed")),
            ("합계", 186, 50.0),
        ),
        notes=("가중치를 적용한 비율이다.",),
        flags=(Flag("high_cv", "*", "변동계수(CV)가 30%를 넘어 해석에 주의"),),
        source="2018 조직 조사",
    )
    blocks = (
        Text(
            ("조직의 절반이 공제회 가입 의향을 밝혔다. " + extra_text,),
            footnotes=("약간 있다와 매우 있다를 합한 비율.",),
        ),
        Callouts((Callout("가입 의향", "50.0%", "186개 조직"),)),
        table,
        Chart(TINY_SVG, "가입 의향 (%)", "협동조합 52.4%, 사회적기업 35.0%"),
        KeyValue({"조사 기간": "2018년 10월 ~ 12월"}, caption="조사 개요"),
        PageBreak(),
    )
    return Document(
        "공제회 수요 브리프",
        "2018 조직 조사",
        "ko",
        dt.date(2019, 3, 15),
        meta={"표본": "n=186"},
        organisation="서울시사회적경제지원센터",
        sections=(Section("intent", "가입 의향", blocks), Section("notes", "부록", (Text("끝."),))),
    )


def test_html_snapshot() -> None:
    html = render_html(small_document(), embed_fonts=False)
    if UPDATE:
        SNAPSHOT.write_text(html, encoding="utf-8")
    assert SNAPSHOT.is_file(), "run with SURVEYKIT_UPDATE_SNAPSHOTS=1 once to create the snapshot"
    assert html == SNAPSHOT.read_text(encoding="utf-8")


def test_html_is_byte_identical_and_embeds_a_font_subset() -> None:
    a, b = render_html(small_document()), render_html(small_document())
    assert a == b
    faces = re.findall(r"@font-face \{[^}]*src: url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", a)
    assert len(faces) == 2  # regular + bold
    assert "file://" not in a  # no machine path in the HTML
    import base64
    import io

    from fontTools.ttLib import TTFont

    cmap = TTFont(io.BytesIO(base64.b64decode(faces[0]))).getBestCmap()
    assert all(ord(ch) in cmap for ch in "공제회가입의향협동조합")
    assert len(cmap) < 2000  # a per-document subset, not the 13,000-glyph bundle


def test_hostile_text_is_escaped() -> None:
    html = render_html(small_document(HOSTILE), embed_fonts=False)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


def test_korean_words_wrapped_after_escaping() -> None:
    assert str(kw("공제회 <b>가입</b> rate")) == (
        '<span class="w">공제회</span> <span class="w">&lt;b&gt;가입&lt;/b&gt;</span> rate'
    )
    html = render_html(small_document(), embed_fonts=False)
    assert '<span class="w">절반이</span>' in html


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("가힣 ab<>&\"'/\n\t=;.") | st.characters(), max_size=40))
def test_kw_escapes_everything_and_keeps_the_text(text: str) -> None:
    bare = re.sub(r'</?span( class="w")?>', "", str(kw(text)))
    assert html.unescape(bare) == text
    assert not set("<>\"'") & set(bare) and not re.search(r"&(?!(amp|lt|gt|#34|#39);)", bare)


def test_kw_does_not_trust_markup_data() -> None:
    assert str(kw(Markup("<b>가</b>"))) == '<span class="w">&lt;b&gt;가&lt;/b&gt;</span>'


def test_import_stays_light() -> None:
    code = (
        "import sys, surveykit.report; "
        "print(sorted(m for m in ('matplotlib', 'weasyprint', 'openpyxl', 'fontTools', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_flags_footnoted_where_planted() -> None:
    html = render_html(small_document(), embed_fonts=False)
    # suppressed: value hidden, dash + marker, footnote with the reason
    assert '<td class="right suppressed">—<sup class="flag">†</sup></td>' in html
    assert "66.7" not in html
    text = visible(html)
    assert "†응답자 수가 적어 값을 표시하지 않음" in text
    # high CV: value kept with marker, footnote says why
    assert "35.0</td>" not in html and re.search(
        r">35\.0</span><sup class=\"flag\">\*</sup>|>35\.0<sup class=\"flag\">\*</sup>", html
    )
    assert "*변동계수(CV)가 30%를 넘어 해석에 주의" in text
    # low_n was not used, so its footnote is absent
    assert "유효 표본 수" not in text


@pytest.mark.parametrize("n, rows", [(1, [1]), (4, [4]), (5, [3, 2]), (6, [3, 3])])
def test_callouts_rows(n: int, rows: list[int]) -> None:
    block = Callouts(tuple(Callout(f"l{i}", f"{i}%") for i in range(n)))
    doc = Document("t", "", "en", "2019", sections=(Section("s", "S", (block,)),))
    html = render_html(doc, embed_fonts=False)
    found = [chunk.count('class="callout"') for chunk in html.split('<div class="callouts">')[1:]]
    assert found == rows


def test_labels_follow_language() -> None:
    ko = render_html(small_document(), embed_fonts=False)
    en_doc = Document("Brief", "", "en", "March 2019", sections=small_document().sections)
    en_html = render_html(en_doc, embed_fonts=False)
    assert '<html lang="en">' in en_html
    en = visible(en_html)
    ko = visible(ko)
    assert "목차" in ko and "표 1." in ko and "그림 1." in ko and "주: " in ko
    assert "Contents" in en and "Table 1." in en and "Figure 1." in en and "Note: " in en


def test_dates_are_printed_per_language() -> None:
    assert small_document().date_text() == "2019년 3월 15일"
    en = Document("t", "", "en", dt.date(2019, 3, 5))
    assert en.date_text() == "5 March 2019"
    assert Document("t", "", "en", "Spring 2019").date_text() == "Spring 2019"


def test_unknown_flag_names_table_row_column() -> None:
    bad = Table("T", ("a", "b"), (("x", Cell(1.0, "high_vc")),))
    doc = Document("t", "", "ko", "2019", sections=(Section("s", "S", (bad,)),))
    with pytest.raises(ReportError, match=r"Table 'T', row 1, column 'b'.*'high_vc'.*Did you mean 'high_cv'"):
        render_html(doc, embed_fonts=False)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Table("T", ("a", "b"), (("x",),)), r"row 1 has 1"),
        (lambda: Table("T", ("a",), (("x",),), col_align=("middle",)), r"col_align"),
        (lambda: Section("1bad", "S", ()), r"id must start with a letter"),
        (lambda: Section("s", "S", ("text",)), r"block 1: must be one of"),
        (lambda: Document("t", "", "fr", "2019"), r"lang must be one of"),
        (lambda: Document("t", "", "ko", "2019", sections=(Section("a", "A", ()),) * 2), r"unique"),
        (lambda: Chart("not svg", "c", "alt"), r"svg must be SVG markup"),
        (lambda: Chart(TINY_SVG, "c", " "), r"alt must describe"),
        (lambda: Cell([1, 2]), r"text or a number"),
    ],
)
def test_model_rejects_bad_input(make, message) -> None:
    with pytest.raises(ReportError, match=message):
        make()


def test_build_refuses_an_unknown_language_before_computing() -> None:
    from surveykit.report.build import build_document
    from surveykit.report.document import as_lang
    from surveykit.report.plan import load_plan

    assert as_lang("en") == "en"
    with pytest.raises(ReportError, match=r"^lang must be one of \('ko', 'en'\); got 'fr'\. Pass 'ko' or 'en'\.$"):
        build_document(load_plan("combined_brief"), lang="fr")


def test_table_takes_lists_and_stores_tuples_of_cells() -> None:
    table = Table("T", ["a", "b"], [["x", 1.5], ("y", Cell(None, "suppressed"))], notes=["n"])
    assert table.columns == ("a", "b") and table.notes == ("n",)
    assert table.rows == ((Cell("x"), Cell(1.5)), (Cell("y"), Cell(None, "suppressed")))
    assert table == Table("T", ("a", "b"), (("x", 1.5), ("y", Cell(None, "suppressed"))), ("n",))


def test_table_to_frame_hides_suppressed_values() -> None:
    frame = small_document().sections[0].blocks[2].to_frame()
    assert list(frame.columns) == ["유형", "사례 수", "비율(%)"]
    assert frame["비율(%)"].isna().tolist() == [False, False, True, False]
    assert frame.loc[1, "비율(%)"] == 35.0


def test_table_from_frame() -> None:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"유형": ["a", "b"], "n": np.array([3, 4]), "pct": [12.5, np.nan]})
    table = Table.from_frame(frame, "cap", notes=("note",))
    assert table.columns == ("유형", "n", "pct") and table.notes == ("note",)
    assert [c.value for c in table.rows[1]] == ["b", 4, None] and type(table.rows[0][1].value) is int


# ---------- SVG sanitising ----------


def test_svg_ids_prefixed_and_references_follow() -> None:
    out = sanitize_svg(TINY_SVG, "fig7-")
    assert 'id="fig7-clip"' in out and "url(#fig7-clip)" in out and 'xlink:href="#fig7-bars"' in out
    assert not re.search(r'id="(?!fig7-)', out)


def test_svg_styles_become_presentation_attributes() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="red" style="fill: blue; stroke: #000; '
        'stroke-width: 0.8; clip-path: url(#c); paint-order: stroke"/></svg>'
    )
    out = sanitize_svg(svg, "p-")
    assert 'fill="red"' in out and 'stroke="#000"' in out and 'stroke-width="0.8"' in out
    assert 'clip-path="url(#p-c)"' in out and 'style="fill: blue; paint-order: stroke"' in out


@pytest.mark.parametrize(
    "evil, message",
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', r"<script> is not allowed"),
        ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', r"'onload'.*not allowed"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            '<image x:href="file:///etc/passwd"/></svg>',
            r"may only refer to its own elements",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(http://example.invalid/a)"/></svg>',
            r"external resource",
        ),
        ('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', r"<foreignObject> is not allowed"),
        ('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', r"DOCTYPE/ENTITY"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', r"<svg> root"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', r"not well-formed"),
    ],
)
def test_svg_refuses_scriptable_or_external_content(evil: str, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        sanitize_svg(evil, "f1-")


def test_two_charts_on_a_page_have_distinct_ids() -> None:
    chart = Chart(TINY_SVG, "c", "alt")
    doc = Document("t", "", "ko", "2019", sections=(Section("s", "S", (chart, chart)),))
    ids = re.findall(r' id="([^"]+)"', render_html(doc, embed_fonts=False))
    assert len(ids) == len(set(ids))
    assert "fig1-clip" in ids and "fig2-clip" in ids


# ---------- charts ----------


@pytest.fixture(scope="module")
def charts():
    from surveykit.report import charts as ch

    return ch


def test_charts_are_deterministic_text_svg(charts) -> None:
    make = lambda: charts.bar_ci(["가입 의향", "모름"], [47.3, 12.5], [40.1, 8.0], [54.6, 17.9], caption="c")
    a, b = make(), make()
    assert a.svg == b.svg
    assert "<text" in a.svg and "가입 의향" in a.svg  # fonttype none: Hangul stays text
    assert "<metadata" not in sanitize_svg(a.svg, "x-") and "Date" not in a.svg
    assert "47.3" in a.svg and a.alt == "가입 의향: 47.3; 모름: 12.5"


def test_chart_negatives_use_ascii_hyphen(charts) -> None:
    c = charts.heatmap(["A", "B"], ["x", "y"], [[-5.0, 2.0], [3.0, -0.2]], caption="h")
    assert ">-5<" in c.svg and "\u2212" not in c.svg
    assert ">0<" in c.svg and ">-0<" not in c.svg  # -0.2 rounds to 0, never "-0"


def test_forest_and_grouped_bars(charts) -> None:
    f = charts.forest(["A", "B"], [2.0, 0.5], [1.2, 0.3], [3.4, 0.9], caption="f")
    assert "2.00 (1.20, 3.40)" in f.svg and ">1<" in f.svg  # reference value labelled on the log axis
    g = charts.grouped_bars(["q1", "q2"], {"조직": [50.0, 46.2], "종사자": [48.0, 36.7]}, caption="g")
    assert "조직" in g.svg and "종사자" in g.svg and "46.2" in g.svg


def test_missing_values_get_no_label(charts) -> None:
    c = charts.bar_ci(["a", "b"], [12.5, float("nan")], caption="c")
    g = charts.grouped_bars(["a", "b"], {"x": [1.0, float("nan")]}, caption="g")
    assert "nan" not in c.svg and "nan" not in g.svg and "12.5" in c.svg


def test_chart_input_errors(charts) -> None:
    with pytest.raises(ReportError, match=r"one value per label \(2\)"):
        charts.bar_ci(["a", "b"], [1.0], caption="c")
    with pytest.raises(ReportError, match=r"odds ratios \(> 0\)"):
        charts.forest(["a"], [-0.3], [-0.5], [0.1], caption="c")
    with pytest.raises(ReportError, match=r"2 rows x 1 columns"):
        charts.heatmap(["a", "b"], ["x"], [[1.0, 2.0]], caption="c")


# ---------- writers ----------


def test_write_html_json_atomic(tmp_path: Path) -> None:
    out = write_html(small_document(), tmp_path / "brief.html", embed_fonts=False)
    assert out.read_text(encoding="utf-8") == render_html(small_document(), embed_fonts=False)
    data = json.loads(write_json(small_document(), tmp_path / "doc.json").read_text(encoding="utf-8"))
    assert data["title"] == "공제회 수요 브리프" and data["sections"][0]["blocks"][2]["kind"] == "table"
    assert data["date"] == "2019-03-15"
    import numpy as np

    plain = json.loads(write_json({"v": np.float64("nan"), "n": np.int64(3)}, tmp_path / "p.json").read_text())
    assert plain == {"v": None, "n": 3}
    with pytest.raises(ReportError, match=r"output folder .* must exist"):
        write_html(small_document(), tmp_path / "missing" / "x.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.html", "doc.json", "p.json"]  # no temp files left


def test_write_xlsx_sheet_names(tmp_path: Path) -> None:
    import pandas as pd
    from openpyxl import load_workbook

    long = "가" * 40
    t = small_document().sections[0].blocks[2]
    path = write_xlsx([t, ("a/b:c", pd.DataFrame({"x": [1, 2]})), (long, t), (long, t)], tmp_path / "t.xlsx")
    wb = load_workbook(path)
    names = wb.sheetnames
    assert len(names) == len(set(n.lower() for n in names)) == 4
    assert all(len(n) <= 31 for n in names) and names[1] == "a b c"
    rows = list(wb[names[0]].values)
    assert rows[0] == ("유형", "사례 수", "비율(%)") and rows[3] == ("마을기업", 3, "†")
    assert wb[names[0]]["A1"].font.bold and wb[names[0]].freeze_panes == "A2"
    with pytest.raises(ReportError, match=r"at least one table"):
        write_xlsx([], tmp_path / "empty.xlsx")


# ---------- bundled font ----------

BRIEF_SYMBOLS = "·‘’“”–—%~×≥≤±−→★☆①「」『』。、〈〉《》【】₩℃"


def test_bundled_font_covers_korean_and_symbols() -> None:
    from fontTools.ttLib import TTFont

    from surveykit.report.fonts import FAMILY, font_files

    for weight, path in font_files().items():
        with TTFont(str(path), lazy=True) as font:
            cmap = font.getBestCmap()
            family, cff, weight_class = font["name"].getDebugName(1), "CFF " in font, font["OS/2"].usWeightClass
        wanted = [*range(0xAC00, 0xD7A4), *range(0x3131, 0x318F), *range(0x20, 0x7F), *map(ord, BRIEF_SYMBOLS)]
        missing = [f"U+{cp:04X}" for cp in wanted if cp not in cmap]
        assert missing == [], (path.name, missing[:10])
        assert family == FAMILY and cff and weight_class == weight  # OTF outlines, renamed family
        assert 1e6 < path.stat().st_size < 3e6
    licence = (font_files()[400].parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence


def test_matplotlib_finds_the_bundled_font() -> None:
    from matplotlib import font_manager

    from surveykit.report.fonts import FAMILY, font_files, register_matplotlib

    assert register_matplotlib() == FAMILY
    found = font_manager.findfont(font_manager.FontProperties(family=FAMILY), fallback_to_default=False)
    assert Path(found).resolve() == font_files()[400].resolve()


def test_font_subset_script_ranges_include_the_brief_symbols() -> None:
    import importlib.util

    script = Path(__file__).parent.parent / "scripts" / "make_font_subset.py"
    spec = importlib.util.spec_from_file_location("make_font_subset", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    points = set(module.codepoints())
    assert {ord(c) for c in BRIEF_SYMBOLS} <= points and {0xAC00, 0xD7A3, 0x3131, 0x1100} <= points


LITERAL_LABELS = ["Costs $5 to $10", "a^b_c", "back\\slash {x}", "$\\alpha$ 50%"]


def test_chart_labels_are_drawn_literally_not_as_mathtext(charts) -> None:
    c = charts.bar_ci(LITERAL_LABELS, [10.0, 20.0, 30.0, 40.0], caption="$1")
    g = charts.grouped_bars(LITERAL_LABELS[:2], {"$x$": [1.0, 2.0]}, caption="g")
    for label in LITERAL_LABELS:
        assert f">{html.escape(label, quote=False)}</text>" in c.svg
    assert ">$x$</text>" in g.svg and "DejaVu" not in c.svg + g.svg  # no mathtext font
    page = visible(render_html(Document("t", "", "en", "2019", sections=(Section("s", "S", (c,)),)), embed_fonts=False))
    for label in LITERAL_LABELS:
        assert html.escape(label, quote=False) in page


def test_svg_comments_are_dropped_not_refused() -> None:
    svg = TINY_SVG.replace("<defs>", "<!-- Costs $5 to $10 --><defs>")
    out = sanitize_svg(svg, "f-")
    assert "<!--" not in out and "f-clip" in out
    with pytest.raises(ReportError, match="DOCTYPE/ENTITY/CDATA"):
        sanitize_svg(svg.replace("<defs>", "<!ENTITY x 'y'><defs>", 1), "f-")


def test_cells_hidden_together_share_one_marker_and_one_legend_line(tmp_path: Path) -> None:
    """A cell under the small-cell rule and the one hidden with it print the same mark (a reader
    must not tell which is the small one): the legend says it once, with both reasons."""
    from openpyxl import load_workbook

    table = Table(
        "가입 의향",
        ("유형", "있다", "없다"),
        (("가", Cell(1.0, "suppressed"), Cell(2.0, "secondary")), ("나", 40.0, Cell(60.0, "high_cv"))),
    )
    doc = Document("브리프", "부제", "ko", dt.date(2019, 3, 15), sections=(Section("s", "표", (table,)),))
    page = render_html(doc)
    flagnotes = [
        (m, re.sub(r"<[^>]+>", "", note))
        for m, note in re.findall(r'<p class="flagnote"><span class="marker">(.*?)</span>(.*?)</p>', page)
    ]
    assert flagnotes == [
        ("†", "응답자 수가 적어 값을 표시하지 않음; 숨긴 값이 합계에서 역산되지 않도록 함께 표시하지 않음"),
        ("*", "변동계수(CV)가 높아 해석에 주의"),
    ]
    wb = load_workbook(write_xlsx([table], tmp_path / "t.xlsx", lang="ko"))
    rows = [r for r in wb[wb.sheetnames[0]].values if r and r[0]]
    assert rows[1][1:] == ("†", "†")
    assert rows[-2][0].startswith("† 응답자 수가 적어 값을 표시하지 않음; 숨긴 값이")
