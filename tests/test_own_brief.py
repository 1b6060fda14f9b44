"""A brief for a survey that is not the 2018 study, from a plan without a questionnaire.

``tests/data/own_plan/plan.yaml`` runs on ``tests/data/spss/api_missing.sav`` (R's ``apistrat``
written by haven, "don't know" declared user-missing; stratified by stype_c, weights pw, fpc
fpc). The PDF text must hold R survey's numbers (tests/golden/own_spss.json, written by
tests/golden/r/own_spss.R) as the brief prints them, and none of the 2018 study's words.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from scipy import stats

from surveykit.cli import main
from surveykit.report.build import build_document
from surveykit.report.plan import load_plan

HERE = Path(__file__).parent
PLAN = HERE / "data" / "own_plan" / "plan.yaml"
GOLDEN = json.loads((HERE / "golden" / "own_spss.json").read_text(encoding="utf-8"))
STUDY_WORDS = re.compile(r"2018|공제회|mutual-aid|mutual aid|사회적경제|third-sector|Seoul|서울|synthetic|합성", re.I)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


def _pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module", params=["en", "ko"])
def brief(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"own_{request.param}")
    plan = ["--plan", str(PLAN)] if request.param == "en" else [str(PLAN)]  # --plan is the same as the argument
    assert main(["brief", *plan, "--out", str(out), "--lang", request.param, "--quiet"]) == 0
    folder = out / "api_brief"
    sfx = "" if request.param == "en" else ".ko"  # the plan's language is en; another language is suffixed
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"api_brief{sfx}.html", f"api_brief{sfx}.pdf", f"results{sfx}.json", f"tables{sfx}.xlsx"]
    )
    html = (folder / f"api_brief{sfx}.html").read_text(encoding="utf-8")
    return request.param, _pdftext(folder / f"api_brief{sfx}.pdf"), html


def _r_numbers() -> list[str]:
    """R's figures formatted as the brief prints them (percent 1 decimal, F 2, df 2/1, p 3)."""
    freq = GOLDEN["freq_awards"]["estimate"]
    ci = GOLDEN["prop_awards_logit"]["ci"]
    chi = GOLDEN["chisq_F"]
    glm = GOLDEN["glm"]
    p_values = [2 * stats.t.sf(abs(b / se), glm["df_residual"]) for b, se in zip(glm["estimate"][1:], glm["se"][1:])]
    return [
        f"{100 * freq[0]:.1f}",
        f"{100 * freq[1]:.1f}",
        f"{100 * ci[0]:.1f}",
        f"{100 * ci[1]:.1f}",
        f"F = {chi['statistic']:.2f}",
        f"({chi['ndf']:.2f}, {chi['ddf']:.1f})",
        f"n = {glm['n']}",
        f"{glm['df_residual']:.1f}",
        *(f"{p:.3f}" for p in p_values),
    ]


def test_pdf_holds_r_survey_numbers(brief):
    _, text, _ = brief
    numbers = _r_numbers()
    assert numbers[:6] == ["36.5", "63.5", "56.0", "70.4", "F = 11.13", "(1.89, 373.3)"]  # as checked by hand
    for printed in numbers:
        assert printed in text, printed
    assert re.search(r"\bNo\s+79\s+36\.5\s+29\.6\s+44\.0\b", text)  # the file's labels in both languages
    assert re.search(r"(Don't know|모름)[^\n]*\s18\s*\n", text)  # user-missing 9 listed, outside the base


def test_pdf_has_nothing_of_the_2018_study(brief):
    _, text, html = brief
    assert not STUDY_WORDS.search(text), STUDY_WORDS.search(text)
    assert not STUDY_WORDS.search(re.sub(r"<[^>]+>", " ", html))


def test_study_facts_and_design_line_in_the_briefs_language(brief):
    lang, text, _ = brief
    if lang == "en":
        assert "Academic Performance Index (API) school sample" in text and "6,194 California schools" in text
        assert "stratified by stype_c, no clusters, weights pw, fpc fpc" in text
        assert "Fieldwork" not in text and "Response" not in text.split("Methods appendix")[0]
    else:
        assert "학업성취지수(API) 학교 표본" in text and "캘리포니아 학교 6,194곳" in text
        assert "층화: stype_c, 집락 없음, 가중치: pw, 유한모집단 보정: fpc" in text
        assert "stratified by" not in text and "조사 기간" not in text


def _variant(tmp_path: Path, **changes) -> Path:
    raw = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    raw["surveys"]["api"]["data"] = str(HERE / "data" / "spss" / "api_missing.sav")
    raw["sections"] = [{"type": "overview"}]
    raw["study"].update(changes)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _overview_text(path: Path, lang: str) -> tuple[str, list[tuple[str, str]]]:
    doc, _ = build_document(load_plan(path), lang=lang)
    blocks = next(s for s in doc.sections if s.id.endswith("-overview")).blocks
    paras = " ".join(p for b in blocks if hasattr(b, "paragraphs") for p in b.paragraphs)
    pairs = [p for b in blocks if hasattr(b, "pairs") for p in b.pairs]
    return paras, pairs


def test_synthetic_notice_only_for_synthetic_data(tmp_path):
    paras, pairs = _overview_text(_variant(tmp_path), "en")
    assert paras == "" and ("Sampling", "Simple random samples within school types (strata)") in pairs
    paras, _ = _overview_text(_variant(tmp_path, data_status="synthetic"), "ko")
    assert paras == "이 브리프의 수치는 실제 응답이 아닌 합성 자료로 계산하였다."
    paras, pairs = _overview_text(
        _variant(
            tmp_path,
            data_status="synthetic",
            intro="Plain intro.",
            fieldwork="2026-03 ~ 2026-05",
            response={"en": "71%", "ko": "71%"},
        ),
        "en",
    )
    assert paras == "Plain intro. The figures in this brief are computed on synthetic data, not on real responses."
    assert ("Fieldwork", "2026-03 ~ 2026-05") in pairs and ("Response", "71%") in pairs


def test_bad_data_status_is_named(tmp_path):
    from surveykit.errors import ReportError

    with pytest.raises(ReportError, match=r"study\.data_status must be one of 'real', 'synthetic'; got 'fake'"):
        load_plan(_variant(tmp_path, data_status="fake"))


def test_demo_plan_without_instrument_is_refused_with_the_fix(tmp_path):
    from surveykit.errors import ReportError

    path = _variant(tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["surveys"]["api"]["data"] = "demo"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ReportError, match="data 'demo' needs an instrument"):
        build_document(load_plan(path))


def test_the_2018_briefs_still_say_what_they_said():
    """Their texts moved from the generic report code into their plans; the briefs read the same."""
    paras, pairs = _overview_text(Path("organisation_brief"), "ko")
    assert paras == (
        "이 브리프는 2018년 서울 제3섹터 조직·종사자 사회안전망 설문조사의 공표 결과를 바탕으로, 같은 분석을 "
        "합성 자료로 시연한 것이다. 원자료는 공개되지 않았으므로, 공표된 모든 수치를 정확히 재현하도록 보정한 합성 자료로 계산하였다."
    )
    assert pairs[:3] == [
        ("조사명", "제3섹터 조직 및 종사자 사회안전망 실태와 보장상품 수요 조사"),
        ("조사 기간", "2018-10 ~ 2018-12"),
        ("조사 대상", "사회적경제/소셜벤처/NPO/중간지원조직/플랫폼노동자 등 제3섹터 조직 및 종사자"),
    ]
    paras, pairs = _overview_text(Path("worker_brief"), "en")
    assert paras.startswith("This brief demonstrates, on synthetic data, the analyses of the 2018 Seoul third-sector")
    assert paras.endswith("calibrated synthetic microdata that reproduce every published number exactly.")
    assert ("Fieldwork", "2018-10 to 2018-12") in pairs
    assert pairs[-1] == (
        "Workers: weighting and design",
        "unstratified, clusters org_id, equal weights "
        "(no population frame data were published; the workers of one organisation form a cluster)",
    )


def test_an_unweighted_plan_says_nothing_of_published_frames(tmp_path):
    path = _variant(tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["surveys"]["api"]["design"] = {}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    for lang, text in (
        ("en", "No weights or design information: standard errors and intervals assume simple random sampling"),
        ("ko", "가중치·표본 설계 정보 없음: 표준오차와 신뢰구간은 응답자를 단순무작위표본으로 가정하고 계산함"),
    ):
        _, pairs = _overview_text(path, lang)
        assert pairs[-1][1] == text
