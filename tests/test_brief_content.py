"""What a brief says, read from its outputs (issue 13): synthetic status on every page and in every
file, findings first, no internal keys or formulas before the appendix, shares inside [0, 1],
hidden cells not recoverable, numbers stored as numbers."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from surveykit.errors import ReportError
from surveykit.instrument import load_published_figures
from surveykit.report.build import build_brief, build_document
from surveykit.report.context import secondary_suppression
from surveykit.report.document import Box, Document, Finding, Findings, Section, Text
from surveykit.report.plan import load_plan
from surveykit.report.render import render_html
from surveykit.report.text import quantity, won

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")

NOTICE = {"ko": "합성 자료", "en": "synthetic data"}
APPENDIX = {"ko": "부록", "en": "Appendix"}
#: the machine wording the body must not show (it belongs in the appendix or nowhere)
JARGON = re.compile(r"svyciprop|Rao[–-]Scott|\bdf = \(|method=")
#: model-section jargon (models.py): formula, AUC, pseudo R², AME, SRS intervals called design-based
MODEL_JARGON = re.compile(r"[A-Za-z_]+ ~ [A-Za-z_]|\bAUC\b|pseudo R|\bAME\b|design-based|설계기반")


@pytest.fixture(scope="module")
def briefs(tmp_path_factory):
    out = tmp_path_factory.mktemp("content")
    built = {}
    for plan, lang in (("organisation_brief", "ko"), ("worker_brief", "en")):
        paths = build_brief(plan, out=out, lang=lang)
        built[(plan, lang)] = {p.suffix: p for p in paths}
    return built


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def _body_pages(pages: list[str], lang: str) -> list[str]:
    """Pages before the appendix starts (its title opens a page), without the table of contents."""
    start = next(i for i, p in enumerate(pages) if i > 1 and _opens_appendix(p, lang))
    return pages[2:start]


def _opens_appendix(page: str, lang: str) -> bool:
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    return len(lines) > 1 and lines[1] == APPENDIX[lang]  # line 0 is the running header


@needs_poppler
@pytest.mark.parametrize("which", [("organisation_brief", "ko"), ("worker_brief", "en")])
def test_every_page_says_the_data_are_synthetic(briefs, which):
    pages = _pages(briefs[which][".pdf"])
    lang = which[1]
    assert len(pages) > 8
    missing = [i for i, p in enumerate(pages, 1) if NOTICE[lang] not in p.replace("\n", " ")]
    assert missing == []
    cover = pages[0]
    # the cover says what it is not, and does not carry the organisation as author
    assert ("시연용 브리프" if lang == "ko" else "demonstration brief") in cover.replace("\n", " ")
    assert ("원 조사 기관:" if lang == "ko" else "Original survey by:") in cover


@needs_poppler
@pytest.mark.parametrize("which", [("organisation_brief", "ko"), ("worker_brief", "en")])
def test_pdf_metadata_say_synthetic(briefs, which):
    info = subprocess.run(["pdfinfo", str(briefs[which][".pdf"])], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    lang = which[1]
    assert NOTICE[lang] in fields["Title"] or "synthetic" in fields["Title"].lower()
    assert "synthetic data" in fields["Keywords"]
    assert NOTICE[lang] in fields["Subject"]
    assert "Author" not in fields  # the Centre is not the author of a demonstration


@needs_poppler
@pytest.mark.parametrize("which", [("organisation_brief", "ko"), ("worker_brief", "en")])
def test_no_internal_keys_or_method_jargon_before_the_appendix(briefs, which):
    lang = which[1]
    pages = _pages(briefs[which][".pdf"])
    body = "\n".join(_body_pages(pages, lang))
    assert body and APPENDIX[lang] not in body.splitlines()[0]
    keys = {f["key"] for figs in load_published_figures()["figures"].values() for f in figs}
    assert [k for k in keys if re.search(rf"\b{k}\b", body)] == []
    assert JARGON.search(body) is None, JARGON.search(body)
    # the appendix keeps the full statistics (one home for the Rao-Scott numbers)
    appendix = "\n".join(pages[2 + len(_body_pages(pages, lang)) :])
    assert "Rao–Scott F =" in appendix and "svyciprop" in appendix


@needs_poppler
def test_model_sections_speak_plain_words(briefs):
    pages = _pages(briefs[("organisation_brief", "ko")][".pdf"])
    body = "\n".join(_body_pages(pages, "ko"))
    assert MODEL_JARGON.search(body) is None, MODEL_JARGON.search(body)


def _shares(data: dict, segments: bool) -> list[dict]:
    """Recorded shares with an interval (not odds or relative-risk ratios, F statistics or average marginal effects,
    which models.py records as "probability" though they are differences of probabilities)."""
    return [
        r
        for r in data["results"]
        if r.get("ci_low") is not None
        and r.get("scale") not in ("odds ratio", "relative-risk ratio", "F statistic")
        and ".ame." not in r["key"]
        and (r.get("section_type") == "segments") == segments
    ]


def _outside(shares: list[dict]) -> list[str]:
    return [r["key"] for r in shares if not 0 <= r["ci_low"] <= r["estimate"] <= r["ci_high"] <= 1]


@pytest.mark.parametrize("which", [("organisation_brief", "ko"), ("worker_brief", "en")])
def test_results_json_states_status_and_keeps_shares_in_unit_interval(briefs, which):
    data = json.loads(briefs[which][".json"].read_text(encoding="utf-8"))
    assert data["schema"] == "surveykit.results/1" and data["data_status"] == "synthetic"
    assert NOTICE[which[1]] in data["data_notice"]
    shares = _shares(data, segments=False)
    assert len(shares) > 40 and _outside(shares) == []
    hidden = [r for r in data["results"] if r.get("flag") in ("suppressed", "secondary")]
    assert hidden and all(r["estimate"] is None and r["n"] is None for r in hidden)


def test_segment_shares_stay_in_unit_interval(briefs):
    data = json.loads(briefs[("worker_brief", "en")][".json"].read_text(encoding="utf-8"))
    shares = _shares(data, segments=True)
    assert shares and _outside(shares) == []


@pytest.mark.parametrize("which", [("organisation_brief", "ko"), ("worker_brief", "en")])
def test_tables_xlsx_stores_numbers_as_numbers(briefs, which):
    from openpyxl import load_workbook

    wb = load_workbook(briefs[which][".xlsx"])
    assert wb.sheetnames[0] == "README"
    readme = {r[0]: r[1] for r in wb["README"].iter_rows(values_only=True)}
    assert readme[("자료 상태" if which[1] == "ko" else "Data status")] == "synthetic"
    word = "표" if which[1] == "ko" else "Table"
    assert all(n.startswith(word + " ") for n in wb.sheetnames[1:]) and len(wb.sheetnames) > 10
    number_text = re.compile(r"^[+\-−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$")
    as_text, numbers = [], 0
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and number_text.match(cell.value.strip()):
                    as_text.append((ws.title, cell.coordinate, cell.value))
                elif isinstance(cell.value, (int, float)):
                    numbers += 1
                    assert cell.number_format != "General" or isinstance(cell.value, int)
    assert as_text == [] and numbers > 200


def test_findings_come_first_in_both_languages_with_margins_from_the_intervals():
    plan = load_plan("organisation_brief")
    for lang, moe_word in (("ko", "표본오차 ±"), ("en", "margin of error ±")):
        doc, ctx = build_document(plan, lang=lang)
        first = doc.sections[0]
        assert first.id == "s1-summary"
        findings = next(b for b in first.blocks if isinstance(b, Findings)).items
        assert 3 <= len(findings) <= 6
        ids = {s.id for s in doc.sections}
        assert all(f.anchor in ids for f in findings)
        rec = next(r for r in ctx.records if r["key"] == "org.coverage_product_held")
        moe = 50 * (rec["ci_high"] - rec["ci_low"])
        assert f"{100 * rec['estimate']:.1f}%" in findings[0].text
        assert f"{moe_word}{moe:.1f}" in findings[0].text
        # the crosstab's finding follows its test: "differs" (as an association) only when p < 0.05
        cross = next(r for r in ctx.records if r.get("test") == "rao_scott")
        text = " ".join(f.text for f in findings)
        if cross["p_value"] < 0.05:
            assert ("따라 다르다" if lang == "ko" else "differ by") in text
            assert ("원인을 뜻하지 않는다" if lang == "ko" else "not evidence that one causes") in text
            assert ("뚜렷하지 않다" if lang == "ko" else "no clear difference") not in text
        else:
            assert ("뚜렷하지 않다" if lang == "ko" else "no clear difference") in text
            assert ("따라 다르다" if lang == "ko" else "differ by") not in text
        claims = text.replace("not evidence that one causes the other", "")  # the disclaimer itself
        assert not re.search(r"cause[sd]? |because|leads to|때문|영향을 준|원인이다", claims)
        html = render_html(doc, embed_fonts=False)
        assert all(f'href="#{f.anchor}"' in html for f in findings)


def test_summary_compares_only_when_intervals_do_not_overlap(tmp_path):
    plan = load_plan("worker_brief")
    doc, ctx = build_document(plan, lang="en")
    findings = next(b for b in doc.sections[0].blocks if isinstance(b, Findings)).items
    join = sorted(
        (r for r in ctx.records if r.get("variable") == "join_intent" and r.get("flag") is None),
        key=lambda r: -r["estimate"],
    )
    top, second = join[0], join[1]
    sentence = next(f.text for f in findings if "join" in f.text.lower() or top["answer"] in f.text)
    if top["ci_low"] > second["ci_high"]:
        assert "clearly ahead" in sentence
    else:
        assert "within the margin of error" in sentence


def test_secondary_suppression_leaves_nothing_to_subtract():
    # one small cell: the next smallest is hidden too, so 100% minus the rest gives only their sum
    assert secondary_suppression(["suppressed", None, None, None], [2, 40, 3, 50], 5) == [
        "suppressed",
        None,
        "secondary",
        None,
    ]
    # two hidden cells resting on fewer than min_n respondents together: a third is hidden
    assert secondary_suppression(["suppressed", "suppressed", None, None], [1, 2, 40, 9], 5) == [
        "suppressed",
        "suppressed",
        None,
        "secondary",
    ]
    assert secondary_suppression([None, "high_cv"], [40, 9], 5) == [None, "high_cv"]


def test_a_planted_small_crosstab_cell_cannot_be_recovered(tmp_path):
    from surveykit.io import read, write_csv
    from surveykit.report.prepare import demo_path

    data, _ = read(demo_path("worker_2018"))
    data.loc[data["gender"] == 2, "private_insured"] = 1
    data.loc[data.index[data["gender"] == 2][:2], "private_insured"] = 2  # two women uninsured
    write_csv(data, tmp_path / "w.csv")
    plan = {
        "id": "planted",
        "lang": "en",
        "surveys": {"w": {"instrument": "worker_2018", "data": "w.csv"}},
        "sections": [{"type": "crosstab", "survey": "w", "row": "gender", "col": "private_insured"}],
    }
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    doc, _ctx = build_document(load_plan(tmp_path / "plan.yaml"))
    table = doc.sections[0].blocks[0]
    grid = [[c.flag for c in row[1:-1]] for row in table.rows]
    hidden = [[f in ("suppressed", "secondary") for f in row] for row in grid]
    assert any("suppressed" in row for row in grid)
    # every row and every column with a hidden cell hides at least two
    for line in [*hidden, *zip(*hidden)]:
        assert sum(line) != 1


def test_amounts_read_as_readers_write_them():
    assert won(470_000_000) == "4억 7,000만" and won(7_000_000) == "700만" and won(180_000) == "18만"
    assert quantity(470_000_000, "KRW", "ko") == "4억 7,000만 원"
    assert quantity(470_000_000, "KRW", "en") == "KRW 470,000,000"
    assert quantity(9, "months", "ko") == "9개월" and quantity(0.16, "accidents/year", "en") == "0.16 a year"


@needs_poppler
def test_reproduction_prints_labels_and_counts_what_it_checks(briefs):
    pages = _pages(briefs[("worker_brief", "en")][".pdf"])
    text = "\n".join(pages)
    m = re.search(
        r"Of the (\d+) published figures, the (\d+) that can be computed from the data were\s+"
        r"recomputed; (\d+) match",
        text,
    )
    assert m, "reproduction intro missing"
    n_all, n_checked, n_ok = map(int, m.groups())
    n_external = sum(
        1
        for f in load_published_figures()["figures"]["worker"]
        if "value_ko" not in f and "pct" in f and f["key"].endswith("_reference")
    )
    assert n_all == n_checked + n_external and n_ok <= n_checked and n_external == 1
    assert "KRW 180,000 a" in text  # the monthly premium, with unit and separators
    assert "Medical indemnity: Medical indemnity" not in text


SNAPSHOT = Path(__file__).parent / "snapshots" / "brief_content.html"


def _content_document(lang: str = "ko") -> Document:
    return Document(
        title="시연 브리프",
        subtitle="부제",
        lang=lang,
        date="2018-12",
        organisation="예시 센터",
        notice="이 문서는 합성 자료로 만든 시연용이다.",
        footer="합성 자료 시연",
        keywords=("합성 자료", "synthetic data"),
        sections=(
            Section("s2-methods", "방법", (Text(("부록 본문",)),), appendix=True),
            Section(
                "s1-summary",
                "요약",
                (
                    Findings((Finding("응답 186건 중 32.3%가 <가입>했다(표본오차 ±6.7%p).", "s3-figs"),)),
                    Box("읽는 법", (("신뢰구간", "범위"),), ("단순무작위표본 가정",)),
                ),
            ),
            Section("s3-figs", "핵심 지표", (Text(("본문",)),)),
        ),
    )


def test_html_snapshot_of_status_findings_and_appendix():
    html = render_html(_content_document(), embed_fonts=False)
    if os.environ.get("SURVEYKIT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(html, encoding="utf-8")
    assert html == SNAPSHOT.read_text(encoding="utf-8")
    # body sections numbered first, the appendix lettered after them, whatever the given order
    assert html.index('id="s1-summary"') < html.index('id="s3-figs"') < html.index('id="appendix"')
    assert html.index('id="appendix"') < html.index('id="s2-methods"')
    assert (
        '<span class="num">A</span><span class="w">방법' in html
        and '<span class="num">2</span><span class="w">핵심' in html
    )
    assert "&lt;가입&gt;" in html and "<가입>" not in html  # finding text is escaped
    assert '<meta name="keywords" content="합성 자료, synthetic data">' in html
    assert '<meta name="author"' not in html  # a demonstration has no institutional author
    assert "<title>시연 브리프 (합성 자료 시연)</title>" in html and '<div class="status-footer" role="note">' in html


def test_a_finding_anchor_must_be_a_section_id():
    with pytest.raises(ReportError, match="anchor must be a section id"):
        Finding("text", "not an id!")
