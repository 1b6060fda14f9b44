"""Model sections of a brief state outcome coding, events per parameter, collinearity and, on the
synthetic demo, which terms the generator built in."""

from __future__ import annotations

import importlib.resources
import re

import pytest
import yaml

from surveykit.report.build import build_document
from surveykit.report.plan import load_plan

ORG_OVERFIT = (
    "join_yes ~ org_age10 + C(type_grp) + C(edu_manuf) + revenue_score + staff_score + has_coverage"
    " + has_loan + funding_difficulty"
)


def _plan(tmp_path, bundled: str, sections: list[dict], *, status: str = "synthetic"):
    text = importlib.resources.files("surveykit.reports").joinpath(f"{bundled}.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    raw["sections"] = sections
    raw["study"]["data_status"] = status
    path = tmp_path / f"{bundled}_models.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_plan(path)


def _tables(doc, section_id: str):
    sec = next(s for s in doc.sections if s.id == section_id)
    return [b for b in sec.blocks if hasattr(b, "notes") and hasattr(b, "rows")]


def _cells(table) -> list[str]:
    return [row[0].value if hasattr(row[0], "value") else row[0] for row in table.rows]


@pytest.fixture(scope="module")
def worker_doc():
    doc, _ctx = build_document(load_plan("worker_brief"), lang="en")
    return doc


def _section_id(doc, title_part: str) -> str:
    return next(s.id for s in doc.sections if title_part in s.title)


def test_worker_logistic_states_coding_epp_collinearity_and_built_in(worker_doc):
    table = _tables(worker_doc, _section_id(worker_doc, "intent to join (logistic"))[0]
    notes = " | ".join(table.notes)
    assert (
        "Outcome: Intends to join (current members excluded) (1 = Somewhat, Strongly; 0 = Not at all, Not really)"
        in notes
    )
    assert "Events per parameter 16.9 (135 with the rarer outcome / 8 coefficients)" in notes
    assert "Collinearity check (how much the factors overlap): largest 1.28 (Monthly income band (1-5))" in notes
    assert "[built in]: built into the synthetic-data generator: Aware of third-sector mutual aid." in notes
    labels = _cells(table)
    assert "Aware of third-sector mutual aid [built in]" in labels
    assert "Female" in labels  # gender is not built into intent: no tag
    assert "determinant" not in worker_doc.sections[0].title.lower()
    # members are excluded: 382 non-members with complete answers, clustered by organisation
    assert notes.startswith("n = 382 respondents who answered every item of the model")
    assert "Intervals and p-values are design-based (clusters: Employing organisation's ID)." in table.notes


def test_worker_ordinal_states_the_order_of_its_outcome(worker_doc):
    table = _tables(worker_doc, _section_id(worker_doc, "four-point"))[0]
    assert any("(1 Not at all < 2 Not really < 3 Somewhat < 4 Strongly)" in n for n in table.notes), table.notes


def test_multinomial_section_names_its_reference(worker_doc):
    tables = _tables(worker_doc, _section_id(worker_doc, "first-choice product"))
    rrr, shares = tables
    assert rrr.columns[1] == "Relative-risk ratio" and rrr.caption.endswith("reference Unemployment benefit")
    assert "Outcome: First-choice product (4 groups); reference category: Unemployment benefit" in rrr.notes
    assert "Living or housing loan: Unemployed in the last 3 years [built in]" in _cells(rrr)
    assert not any(n.startswith("reference category") for n in rrr.notes)
    assert _cells(shares) == [
        "Unemployment benefit",
        "Living or housing loan",
        "Medical or accident cover",
        "Retirement savings / family events / other",
    ]
    total = sum(float(r[1].value if hasattr(r[1], "value") else r[1]) for r in shares.rows)
    assert total == pytest.approx(100.0, abs=0.3)


def test_low_events_per_parameter_switches_to_firth_and_says_why(tmp_path):
    section = {"type": "model", "id": "overfit", "survey": "org", "kind": "logistic", "formula": ORG_OVERFIT}
    doc, _ = build_document(_plan(tmp_path, "organisation_brief", [section]), lang="en")
    notes = " | ".join(_tables(doc, "overfit")[0].notes)
    assert "Events per parameter 5.5 (60 with the rarer outcome / 11 coefficients)" in notes
    assert "Fitted by Firth's penalised likelihood because events per parameter are below 10" in notes
    # the staff band and the revenue band come from one size score: the check reports them
    assert "Collinearity check (how much the factors overlap): largest" in notes


def test_firth_false_is_respected(tmp_path):
    section = {"type": "model", "id": "plain", "survey": "org", "kind": "logistic", "formula": ORG_OVERFIT}
    section["firth"] = False
    doc, _ = build_document(_plan(tmp_path, "organisation_brief", [section]), lang="ko")
    notes = " | ".join(_tables(doc, "plain")[0].notes)
    assert "모수당 사건 수 5.5" in notes and "Firth" not in notes
    assert "[생성기 내장]: 합성 자료 생성기에 내장된 관계: 업력(10년)." in notes


def test_real_data_status_says_nothing_about_a_generator(tmp_path):
    section = {"type": "model", "id": "m", "survey": "org", "kind": "logistic", "formula": "join_yes ~ org_age10"}
    doc, _ = build_document(_plan(tmp_path, "organisation_brief", [section], status="real"), lang="en")
    table = _tables(doc, "m")[0]
    assert not any("generator" in n for n in table.notes)
    assert not any("[built in]" in c for c in _cells(table))


def test_an_expression_response_states_no_coding_it_cannot_read(tmp_path):
    formula = "I((join_intent >= 3) * 1) ~ org_age10"
    section = {"type": "model", "id": "expr", "survey": "org", "kind": "logistic", "formula": formula}
    doc, _ = build_document(_plan(tmp_path, "organisation_brief", [section]), lang="en")
    notes = _tables(doc, "expr")[0].notes
    assert not any(n.startswith(("Outcome:", "Events per parameter", "Fitted by Firth")) for n in notes)
    # the columns an expression names are looked up: organisation age is built into join intent
    assert "Organisation age (per 10 years) [built in]" in _cells(_tables(doc, "expr")[0])


BRIEFS = [(plan, lang) for plan in ("worker_brief", "organisation_brief") for lang in ("ko", "en")]
RATIO = {"ko": ("승산비", "상대위험비"), "en": ("Odds ratio", "Relative-risk ratio")}
REFERENCE = {"ko": "기준 범주(승산비 1): ", "en": "Reference categories (ratio 1): "}
BINARY = {
    "ko": "0/1 변수는 1을 0과 비교한다(0이 기준): ",
    "en": "Yes/no factors compare 1 with 0 (0 is the reference): ",
}


@pytest.fixture(scope="module", params=BRIEFS, ids=lambda b: f"{b[0]}-{b[1]}")
def built(request):
    plan, lang = request.param
    doc, ctx = build_document(load_plan(plan), lang=lang)
    return plan, lang, doc, ctx


def _ratio_tables(doc, lang):
    return [
        (s, b) for s in doc.sections for b in s.blocks if getattr(b, "columns", ())[1:2] in [(r,) for r in RATIO[lang]]
    ]


def test_every_ratio_table_names_its_reference_categories_and_what_1_means(built):
    plan, lang, doc, ctx = built
    specs = {s.id: s for s in ctx.plan.sections}
    tables = _ratio_tables(doc, lang)
    assert len(tables) == 3  # logistic, ordinal, multinomial
    named = 0
    for sec, table in tables:
        spec = specs[sec.id]
        prep = ctx.surveys[spec.options["survey"]]
        rhs = [t.strip() for t in spec.options["formula"].split("~", 1)[1].split("+")]
        notes = " | ".join(table.notes)
        for term in rhs:
            if term.startswith("C("):
                var = term[2:-1]
                levels = {prep.label(var, c, lang) for c in prep.analysis.analysis_data()[var].dropna().unique()}
                shown = {
                    c.split(": ", 1)[1].split(" [")[0] for c in _cells(table) if c.startswith(prep.text(var, lang))
                }
                (ref,) = levels - shown  # exactly one level has no row: the note names it
                assert f"{REFERENCE[lang]}{prep.text(var, lang)}: {ref}." in notes
                named += 1
            elif set(prep.analysis.analysis_data()[term].dropna().unique()) == {0, 1}:
                assert BINARY[lang] in notes and f"{prep.text(term, lang)} (1 = " in notes, (term, notes)
                named += 1
    assert named >= 5
    if plan == "worker_brief":
        words = {
            "ko": ("고용형태: 정규직", "여성 (1 = 여성; 0 = 남성)"),
            "en": ("Employment type: Permanent", "Female (1 = Female; 0 = Male)"),
        }
        assert all(w in " | ".join(tables[0][1].notes) for w in words[lang])


def test_model_sections_state_their_model_in_words_and_keep_the_formula_for_the_appendix(built):
    plan, lang, doc, ctx = built
    srs = plan == "organisation_brief"
    for sec, table in _ratio_tables(doc, lang):
        lead = sec.blocks[0].paragraphs[0]
        assert lead.startswith("결과: " if lang == "ko" else "Outcome: ") and " ~ " not in lead
        assert ("원인을 뜻하지 않는다" if lang == "ko" else "not a cause") in lead
        body = " | ".join(n for b in sec.blocks for n in getattr(b, "notes", ()))
        assert not re.search(r" ~ |\bAUC\b|pseudo R|\bAME\b|GVIF|자유도|\bdf\b|design-based Wald", body), body
        said = ("단순무작위표본으로 가정" if lang == "ko" else "assume simple random sampling") in body
        assert said == srs
        assert (
            "표본 설계를 반영한다(집락: 소속 조직" if lang == "ko" else "design-based (clusters: Employing organisation"
        ) in body or srs
    logistic = _ratio_tables(doc, lang)[0][1]
    assert any(
        n.endswith("(0.5 = 우연 수준, 1 = 완벽)." if lang == "ko" else "(0.5 = chance, 1 = perfect).")
        for n in logistic.notes
    )
    methods = next(s for s in doc.sections if s.id == "methods" or s.title == ctx.ui("methods"))
    pairs = dict(next(b for b in methods.blocks if b.kind == "keyvalue").pairs)
    models = {k: v for k, v in pairs.items() if k.startswith("모형: " if lang == "ko" else "Model: ")}
    assert len(models) == 3
    details = list(models.values())
    assert all(re.search(r"[a-z_]+ ~ [a-z_]", d) for d in details)
    assert re.search(r"AUC = 0\.\d{3}, pseudo R² = 0\.\d{3}", details[0])
    fit = [r for r in ctx.records if r.get("test") == "model_fit"]
    assert [r["details"] for r in fit] == details and all(r["estimate"] is None and r["n"] > 100 for r in fit)
