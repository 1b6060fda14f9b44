"""End to end: analysis plan -> HTML, PDF, results.json, tables.xlsx on the bundled demo data."""

import hashlib
import json
import re
import shutil
import subprocess

import pytest
import yaml

from surveykit.errors import ModelError, ReportError, SurveykitError
from surveykit.report.build import build_brief, build_document
from surveykit.report.plan import load_plan
from surveykit.report.prepare import demo_path
from surveykit.report.render import render_html

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    out = tmp_path_factory.mktemp("briefs")
    paths = build_brief("organisation_brief", out=out)
    return {p.suffix: p for p in paths}


def _pdftext(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_outputs_are_written_and_nothing_else(org):
    folder = org[".pdf"].parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "organisation_brief.html",
        "organisation_brief.pdf",
        "results.json",
        "tables.xlsx",
    ]
    assert org[".pdf"].read_bytes()[:5] == b"%PDF-"


def test_pdf_has_korean_headings_and_the_json_key_figures(org):
    text = _pdftext(org[".pdf"])
    for heading in (
        "설문조사 개요",
        "핵심 지표",
        "공제 가입 의향과 관련 요인",
        "공표 수치 재현",
        "분석 방법",
        "요약: 주요 결과",
    ):
        assert heading in text
    results = json.loads(org[".json"].read_text(encoding="utf-8"))["results"]
    figures = [r for r in results if r.get("published_pct") is not None]
    assert len(figures) == 6
    for r in figures:
        printed = f"{100 * r['estimate']:.1f}%"
        assert printed in text, r["key"]
        # the brief's estimate reproduces the published share to its printed precision
        assert abs(100 * r["estimate"] - r["published_pct"]) <= 0.05 + 1e-9
        assert r["ci_low"] < r["estimate"] < r["ci_high"]


def test_pdf_embeds_the_bundled_font_only(org):
    fonts = subprocess.run(["pdffonts", str(org[".pdf"])], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all("Surveykit-Noto-Sans-KR" in r for r in rows)
    assert all(" yes yes " in r for r in rows)  # embedded, subset


def test_results_json_has_every_number_with_key_and_n(org):
    results = json.loads(org[".json"].read_text(encoding="utf-8"))["results"]
    keys = [r["key"] for r in results]
    assert len(keys) == len(set(keys)) > 100
    assert all("estimate" in r and "n" in r for r in results)
    join = next(r for r in results if r["key"] == "org.join_intent.3")
    assert join["estimate"] == pytest.approx(93 / 186) and join["n"] == 93
    predicted = [r for r in results if ".predicted.org_age10=" in r["key"]]
    assert len(predicted) == 3 and all(r["ci_low"] < r["estimate"] < r["ci_high"] for r in predicted)
    # older organisations: higher predicted intent (the generator's built-in effect)
    assert [r["estimate"] for r in predicted] == sorted(r["estimate"] for r in predicted)


def _visible(html: str) -> str:
    """The text of the document body, tags removed (Korean words sit in no-wrap spans)."""
    body = html[html.index("<body") :]
    return re.sub(r"<[^>]+>", "", body)


def test_small_cells_are_suppressed_and_high_cv_flagged(org):
    results = json.loads(org[".json"].read_text(encoding="utf-8"))["results"]
    suppressed = [r for r in results if r.get("flag") in ("suppressed", "secondary")]
    # a hidden cell is hidden in results.json too: no estimate, interval or count
    assert suppressed and all(r[k] is None for r in suppressed for k in ("estimate", "se", "ci_low", "ci_high", "n"))
    assert all(r.get("flag") != "suppressed" for r in results if (r.get("n") or 0) >= 5 and "flag" in r)
    text = _visible(org[".html"].read_text(encoding="utf-8"))
    assert "응답자 수가 적어 값을 표시하지 않음" in text
    assert "변동계수(CV)가 높아 해석에 주의" in text


def test_planted_small_cell_is_suppressed(tmp_path):
    from surveykit.io import read, write_csv

    data, _ = read(demo_path("worker_2018"))
    data.loc[data["fee_band"] == 5, "fee_band"] = 4
    data.loc[data.index[:2], "fee_band"] = 5  # plant: exactly two respondents in band 5
    write_csv(data, tmp_path / "workers.csv")
    plan = {
        "id": "planted",
        "lang": "ko",
        "surveys": {"w": {"instrument": "worker_2018", "data": "workers.csv"}},
        "reliability": {"min_n": 5, "max_cv": 0.3, "min_effective_n": 30},
        "sections": [{"type": "frequencies", "survey": "w", "variables": ["fee_band"], "chart": True}],
    }
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    doc, ctx = build_document(load_plan(tmp_path / "plan.yaml"))
    record = next(r for r in ctx.records if r["key"] == "w.fee_band.5")
    assert record["n"] == 2 and record["flag"] == "suppressed"
    table = doc.sections[0].blocks[0]
    row = next(r for r in table.rows if r[2].flag == "suppressed")
    assert row[2].value is None and row[1].value is None and row[1].flag == "suppressed"  # count hidden too
    assert sum(1 for r in table.rows if r[2].flag == "secondary") == 1  # and one more cell, so 100% - rest fails
    html = _visible(render_html(doc))
    assert f"{100 * record['estimate']:.1f}" not in html  # 0.5% is printed nowhere
    assert "응답자 수가 적어 값을 표시하지 않음" in html


def test_tables_xlsx_has_one_sheet_per_table(org):
    from openpyxl import load_workbook

    book = load_workbook(org[".xlsx"], read_only=True)
    assert len(book.sheetnames) >= 10
    assert len(set(book.sheetnames)) == len(book.sheetnames)


def test_same_inputs_give_byte_identical_html():
    plan = load_plan("combined_brief")
    first = render_html(build_document(plan)[0])
    second = render_html(build_document(plan)[0])
    assert hashlib.sha256(first.encode()).digest() == hashlib.sha256(second.encode()).digest()


def test_english_brief_uses_english_labels():
    doc, _ctx = build_document(load_plan("combined_brief"), lang="en")
    html = render_html(doc)
    text = _visible(html)
    assert "Organisations: key figures" in text and "Reproduction of published figures" in text
    assert "Strong" in text  # join_intent code 4 in English
    assert "Methods" in text and "Appendix" in text
    assert doc.lang == "en"


def test_a_failing_section_leaves_no_output_and_inputs_untouched(tmp_path):
    plan = (
        yaml.safe_load(load_plan("worker_brief").path.read_text(encoding="utf-8"))
        if load_plan("worker_brief").path
        else None
    )
    if plan is None:
        from importlib.resources import files

        plan = yaml.safe_load((files("surveykit.reports") / "worker_brief.yaml").read_text(encoding="utf-8"))
    plan["sections"].append(
        {"type": "model", "survey": "worker", "kind": "logistic", "formula": "join_yes ~ no_such_var"}
    )
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    source = demo_path("worker_2018")
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    with pytest.raises((ModelError, ReportError, SurveykitError), match="no_such_var"):
        build_brief(path, out=tmp_path / "out")
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_outputs_get_ordinary_file_permissions(org):
    import os
    import stat

    mask = os.umask(0)
    os.umask(mask)
    for path in org.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_plan_weighting_steps_match_the_library_and_are_reported(tmp_path):
    import surveykit as sk

    margins = {"gender": {1: 190, 2: 223, 9: 4}}
    plan = {
        "id": "weighted",
        "lang": "en",
        "surveys": {
            "w": {"instrument": "worker_2018", "data": "demo", "weighting": [{"method": "rake", "margins": margins}]}
        },
        "sections": [{"type": "frequencies", "survey": "w", "variables": ["join_intent"]}, {"type": "methods"}],
    }
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    doc, ctx = build_document(load_plan(tmp_path / "plan.yaml"))
    direct = sk.weighting.rake(sk.demo_survey("worker_2018"), margins).frequency("join_intent").to_frame()
    record = next(r for r in ctx.records if r["key"] == "w.join_intent.3")
    row = direct[direct["level"] == 3].iloc[0]
    assert record["estimate"] == pytest.approx(row["estimate"], rel=1e-12)
    assert record["se"] == pytest.approx(row["se"], rel=1e-12)
    assert record["estimate"] != pytest.approx(200 / 417)  # the weights changed the estimate
    methods = dict(doc.sections[-1].blocks[1].pairs)
    assert "rake(gender" in methods["Design (w)"]


def test_plan_weighting_errors_name_the_step(tmp_path):
    plan = {
        "id": "bad",
        "surveys": {
            "w": {"instrument": "worker_2018", "data": "demo", "weighting": [{"method": "rakes", "margins": {}}]}
        },
        "sections": [{"type": "overview"}],
    }
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    with pytest.raises(ReportError, match=r"surveys.w.weighting\[0\]: method must be one of poststratify, rake, trim"):
        build_document(load_plan(tmp_path / "plan.yaml"))


def _plan_file(tmp_path, surveys, sections, **extra):
    plan = {"id": "probe", "lang": "ko", "surveys": surveys, "sections": sections, **extra}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "expr",
    ["@clean.to_csv('pwned.csv')", "founded_year.to_csv('pwned.csv')", "__import__('os').system('touch pwned.csv')"],
)
def test_derived_expressions_cannot_run_code(tmp_path, monkeypatch, expr):
    monkeypatch.chdir(tmp_path)
    path = _plan_file(
        tmp_path,
        {"org": {"instrument": "organisation_2018", "data": "demo", "derive": [{"name": "x", "expr": expr}]}},
        [{"type": "overview"}],
    )
    with pytest.raises(ReportError, match=r"derive\[0\]: (expression .* may use only|expression .* must be valid)"):
        build_document(load_plan(path))
    assert not (tmp_path / "pwned.csv").exists()


def test_an_external_figure_is_refused_as_a_key_figure(tmp_path):
    import importlib.resources

    bundled = importlib.resources.files("surveykit.instruments").joinpath("organisation_2018.yaml")
    text = bundled.read_text(encoding="utf-8")
    extra = "figures:\n  - {key: printed_only, kind: external}\n"
    (tmp_path / "org.yaml").write_text(text.replace("figures:\n", extra, 1), encoding="utf-8")
    path = _plan_file(
        tmp_path,
        {"org": {"instrument": str(tmp_path / "org.yaml"), "data": "demo"}},
        [{"type": "key_figures", "survey": "org", "figures": ["printed_only"]}],
    )
    message = (
        r"sections\[0\] \(key_figures\): key figure 'printed_only' must be computed from a question "
        r"of instrument 'organisation_2018'; it is an external figure"
    )
    with pytest.raises(ReportError, match=message):
        build_document(load_plan(path))


def test_free_text_questions_are_not_tabulated(tmp_path):
    path = _plan_file(
        tmp_path,
        {"org": {"instrument": "organisation_2018", "data": "demo"}},
        [{"type": "frequencies", "survey": "org", "variables": ["main_business"]}],
    )
    with pytest.raises(
        ReportError, match=r"plan.yaml: sections\[0\] \(frequencies\): .*'main_business': it is a free-text"
    ):
        build_document(load_plan(path))


def test_section_errors_name_plan_and_section(tmp_path):
    path = _plan_file(
        tmp_path,
        {"org": {"instrument": "organisation_2018", "data": "demo"}},
        [{"type": "overview"}, {"type": "frequencies", "survey": "org", "variables": ["join_intnet"]}],
    )
    with pytest.raises(SurveykitError, match=r"plan.yaml: sections\[1\] \(frequencies\): .*Did you mean 'join_intent'"):
        build_document(load_plan(path))


def test_data_that_fail_validation_are_refused(tmp_path):
    from surveykit.io import read, write_csv

    data, _ = read(demo_path("organisation_2018"))
    data["join_intent"] = data["join_intent"].astype(object)
    data.loc[data.index[:2], "join_intent"] = ["abc", "<img src=x>"]
    write_csv(data, tmp_path / "orgs.csv")
    path = _plan_file(
        tmp_path,
        {"org": {"instrument": "organisation_2018", "data": "orgs.csv"}},
        [{"type": "frequencies", "survey": "org", "variables": ["join_intent"]}],
    )
    with pytest.raises(
        ReportError, match=r"'orgs.csv' must match questionnaire 'organisation_2018'.*join_intent.*surveykit.validate"
    ):
        build_brief(path, out=tmp_path / "out")
    assert not (tmp_path / "out" / "probe").exists()


def test_a_plan_without_tables_still_writes_all_outputs(tmp_path):
    from openpyxl import load_workbook

    path = _plan_file(tmp_path, {"org": {"instrument": "organisation_2018", "data": "demo"}}, [{"type": "overview"}])
    outputs = build_brief(path, out=tmp_path / "out")
    xlsx = next(p for p in outputs if p.suffix == ".xlsx")
    assert load_workbook(xlsx).sheetnames == ["README"]


def test_out_must_be_a_writable_folder(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="must be a folder; it is a file"):
        build_brief("combined_brief", out=blocker)


def test_xlsx_is_byte_identical_across_builds(tmp_path):
    import time

    from surveykit.report.render import write_xlsx

    doc, ctx = build_document(load_plan("combined_brief"))
    write_xlsx(ctx.sheets, tmp_path / "a.xlsx")
    time.sleep(1.1)
    write_xlsx(ctx.sheets, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_english_reproduction_table_has_no_korean():
    doc, _ctx = build_document(load_plan("combined_brief"), lang="en")
    table = next(s for s in doc.sections if s.id.endswith("reproduction")).blocks[1]
    text = " ".join(str(c.value) for row in table.rows for c in row)
    assert not re.search(r"[\uac00-\ud7a3]", text)
    assert "KRW 10-30 thousand" in text


def test_chart_labels_with_mathtext_characters_stay_literal(tmp_path):
    labels = {
        1: {"ko": "Costs $5 to $10", "en": "Costs $5 to $10"},
        2: {"ko": "a^b_c", "en": "a^b_c"},
        3: {"ko": "back\\slash {x}", "en": "back\\slash {x}"},
    }
    path = _plan_file(
        tmp_path,
        {
            "org": {
                "instrument": "organisation_2018",
                "data": "demo",
                "derive": [
                    {
                        "name": "age_band",
                        "from": "founded_year",
                        "cut": [1949, 2008, 2013, 2018],
                        "labels": labels,
                        "text": {"ko": "업력 $", "en": "Age $"},
                    }
                ],
            }
        },
        [{"type": "frequencies", "survey": "org", "variables": ["age_band"], "chart": True}],
    )
    doc, _ = build_document(load_plan(path))
    svg = next(b.svg for b in doc.sections[0].blocks if b.kind == "chart")
    page = render_html(doc, embed_fonts=False)
    for lab in ("Costs $5 to $10", "a^b_c", "back\\slash {x}"):
        assert f">{lab}</text>" in svg and f">{lab}</text>" in page


def test_an_unstable_segmentation_is_not_published_as_segments(tmp_path):
    """The organisation segments at k = 8 fail the PSU-bootstrap stability threshold (mean ARI
    0.56 < 0.6): the brief says so and shows no segment table, profiles or shares."""
    import importlib.resources

    import yaml

    from surveykit.report.document import Table, Text
    from surveykit.segments import UNSTABLE_ARI

    text = importlib.resources.files("surveykit.reports").joinpath("organisation_brief.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    raw["sections"] = [dict(s, k=8) for s in raw["sections"] if s["type"] == "segments"]
    (tmp_path / "unstable.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    doc, ctx = build_document(load_plan(tmp_path / "unstable.yaml"), lang="en")
    section = next(s for s in doc.sections if s.id.endswith("segments"))
    assert all(isinstance(b, Text) for b in section.blocks)
    text = " ".join(section.blocks[0].paragraphs)
    assert "not stable under resampling of PSUs" in text and f"threshold {UNSTABLE_ARI:.1f}" in text
    assert not any(isinstance(b, Table) for b in section.blocks)
    assert not [r for r in ctx.records if ".share." in r["key"] and r["key"].startswith("org.")]
