"""Model sections of a brief state outcome coding, events per parameter, collinearity and, on the
synthetic demo, which terms the generator built in."""

from __future__ import annotations

import importlib.resources

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
    assert "Collinearity check: largest GVIF^(1/2df) = 1.28" in notes
    assert "[built in]: built into the synthetic-data generator: Aware of third-sector mutual aid." in notes
    labels = _cells(table)
    assert "Aware of third-sector mutual aid [built in]" in labels
    assert "Female" in labels  # gender is not built into intent: no tag
    assert "determinant" not in worker_doc.sections[0].title.lower()
    # members are excluded: 382 non-members with complete answers, clustered by organisation
    assert notes.startswith("n = 382, residual design df 142")


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
    assert "Collinearity check: largest GVIF^(1/2df)" in notes


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
