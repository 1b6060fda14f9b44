"""The plan key ``surveys.<name>.link``: another survey's variables attached through ``sk.link``.

The linked survey a plan builds equals ``sk.link`` + the model called directly (to the last bit),
and so R ``svydesign(ids = ~org_id, ...)`` on the merged frame (``tests/golden/link.json``, from
``tests/golden/r/link.R``); plan mistakes name the file and key; the bundled combined brief
prints a linked worker model whose organisation terms are labelled built in or noise.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import surveykit as sk
from surveykit.cli import main
from surveykit.errors import ReportError
from surveykit.report.build import build_document
from surveykit.report.plan import load_plan
from surveykit.report.prepare import prepare_surveys
from surveykit.report.render import render_html
from surveykit.report.sections.model_facts import built_in_terms

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LINK_DATA = HERE / "data" / "link"
GOLDEN = json.loads((HERE / "golden" / "link.json").read_text())
TOL = 1e-8
FORMULA = "join_yes ~ age10 + org_age10 + org_revenue_band"


def _plan(tmp_path: Path, *, weighted: bool = False, link: dict | None = None, name: str = "p.yaml") -> Path:
    """A plan over the R golden's worker and organisation files, the workers linked to the organisations."""
    plan = {
        "id": "linked",
        "surveys": {
            "orgs": {
                "data": str(LINK_DATA / "organisations.csv"),
                "label": {"ko": "조직", "en": "Organisations"},
                "derive": [{"name": "age10", "expr": "(2018 - founded_year) / 10", "text": "Organisation age"}],
            },
            "workers": {
                "data": str(LINK_DATA / "workers.csv"),
                "design": {"weights": "w"} if weighted else {},
                "derive": [
                    {"name": "age10", "expr": "age / 10"},
                    {"name": "join_yes", "expr": "(join_intent >= 3) * 1"},
                    {"name": "insured", "expr": "(private_insured == 1) * 1"},
                ],
                "link": link if link is not None else {"to": "orgs", "by": ["org_id", "id"], "prefix": "org_"},
            },
        },
        "sections": [{"type": "model", "survey": "workers", "kind": "logistic", "formula": FORMULA}],
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["equal", "weighted"])
def test_plan_link_gives_rs_worker_ses(tmp_path, case):
    preps = prepare_surveys(load_plan(_plan(tmp_path, weighted=case == "weighted")))
    svy = preps["workers"].analysis
    gold = GOLDEN[case]
    assert svy.design.ids == ("org_id",)
    assert svy.resolved.n_psu_total == gold["n_psu"] and svy.resolved.degf == gold["degf"]
    age = svy.mean("age")
    assert abs(age.estimate[0] - gold["mean_age"]) < TOL and abs(age.se[0] - gold["se_age"]) < TOL
    rev = svy.mean("org_revenue_band")
    assert abs(rev.estimate[0] - gold["mean_org_revenue"]) < TOL and abs(rev.se[0] - gold["se_org_revenue"]) < TOL
    p = svy.proportion("insured")
    assert abs(p.se[0] - gold["se_insured"]) < TOL
    coef = sk.models.logistic(svy, FORMULA, firth=False).coef.set_index("term")
    assert list(coef.index) == ["Intercept", "age10", "org_age10", "org_revenue_band"]
    assert np.allclose(coef["estimate"], gold["logit_coef"], rtol=0, atol=TOL)
    assert np.allclose(coef["se"], gold["logit_se"], rtol=0, atol=TOL)


def test_plan_link_equals_sk_link_and_the_model_called_directly(tmp_path):
    linked = prepare_surveys(load_plan(_plan(tmp_path, weighted=True)))
    # the same plan without the link, then sk.link and the model by hand
    raw = yaml.safe_load(_plan(tmp_path, weighted=True).read_text(encoding="utf-8"))
    del raw["surveys"]["workers"]["link"]
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    plain = prepare_surveys(load_plan(tmp_path / "plain.yaml"))
    direct = sk.link(plain["workers"].survey, plain["orgs"].survey, on=("org_id", "id"), prefix="org_")
    via_plan = linked["workers"].analysis
    assert via_plan.data.equals(direct.data) and via_plan.design == direct.design
    a = sk.models.logistic(via_plan, FORMULA, firth=False).coef
    b = sk.models.logistic(direct, FORMULA, firth=False).coef
    np.testing.assert_array_equal(a[["estimate", "se", "p_value"]].to_numpy(), b[["estimate", "se", "p_value"]])
    # the organisation variables keep their survey's texts, after its label
    assert linked["workers"].text("org_age10", "en") == "Organisations: Organisation age"
    assert linked["workers"].linked["org_revenue_band"][1] == "revenue_band"


def test_the_combined_brief_links_workers_to_organisations():
    plan = load_plan("combined_brief")
    assert plan.surveys["worker"].link == {
        "to": "org",
        "on": ("org_id", "id"),
        "columns": ["join_yes", "staff_band"],
        "prefix": "org_",
    }
    preps = prepare_surveys(plan)
    worker, org = preps["worker"], preps["org"]
    assert worker.survey.design.ids == ("org_id",)
    by_id = org.survey.data.set_index("id")
    ids = worker.survey.data["org_id"]
    np.testing.assert_array_equal(worker.survey.data["org_join_yes"], by_id.loc[ids, "join_yes"].to_numpy())
    np.testing.assert_array_equal(worker.survey.data["org_staff_band"], by_id.loc[ids, "fulltime_band"].to_numpy())
    assert worker.text("org_staff_band", "ko") == "조직: 정규직 인원 구간(1 없음 ~ 6 30명 이상)"
    # built in: the organisation's own intent (LINKED_DEPENDENCIES); its size is noise given that intent
    section = next(s for s in plan.sections if s.id == "worker-org-model")
    ctx = type("C", (), {"plan": plan})()
    terms = ["age10", "unemployed", "aware", "insured", "org_join_yes", "org_staff_band"]
    assert built_in_terms(ctx, worker, "join_nonmember", terms) == {"aware", "org_join_yes"}
    fit = sk.models.logistic(worker.analysis, section.options["formula"])
    coef = fit.coef.set_index("term")
    assert coef.loc["org_join_yes", "estimate"] > 0 and coef.loc["org_join_yes", "p_value"] < 0.05


def test_brief_prints_the_linked_model_with_its_labels():
    doc, ctx = build_document(load_plan("combined_brief"), lang="en")
    text = html.unescape(re.sub(r"<[^>]+>", "", render_html(doc)))
    start = re.search(r"Table \d+\.Workers' intent to join and their organisation \(linked analysis\)", text).start()
    table = text[start : text.index("Average change in the probability", start)]
    assert "Organisations: Intends to join (some or strong) [built in]" in table
    assert "Aware of third-sector mutual aid [built in]" in table
    size = "Organisations: Full-time staff band (1 none to 6 30 or more)"
    assert size in table and f"{size} [built in]" not in table
    assert "built into the synthetic-data generator: Aware of third-sector mutual aid, Organisations: Intends" in table
    assert "Yes/no factors compare 1 with 0 (0 is the reference): " in table
    assert "Organisations: Intends to join (some or strong) (1 = Some, Strong; 0 = None at all, Little)" in table
    # the formula is printed in the methods appendix, not in the body
    assert "Formula: join_nonmember ~ age10 + unemployed + aware + insured + org_join_yes + org_staff_band" in text
    assert " ~ " not in table
    # the number printed is the model's: the odds ratio of the organisation's intent
    fit = sk.models.logistic(
        ctx.surveys["worker"].analysis,
        "join_nonmember ~ age10 + unemployed + aware + insured + org_join_yes + org_staff_band",
    )
    odds = float(np.exp(fit.coef.set_index("term").loc["org_join_yes", "estimate"]))
    record = next(r for r in ctx.records if r["key"] == "worker.worker-org-model.org_join_yes")
    assert record["estimate"] == pytest.approx(odds, rel=1e-12)
    assert f"{odds:.2f}" in table


# --------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("link", "pattern"),
    [
        (
            {"to": "orgz", "by": ["org_id", "id"]},
            r"p\.yaml: surveys\.workers\.link\.to must name a survey of the plan; got 'orgz'\. Did you mean 'orgs'",
        ),
        (
            {"to": "workers", "by": "org_id"},
            r"surveys\.workers\.link\.to must name another survey of the plan; got 'workers'",
        ),
        ({"by": ["org_id", "id"]}, r"surveys\.workers\.link\.to is required in a link"),
        ({"to": "orgs"}, r"surveys\.workers\.link\.by is required in a link; add it \(e\.g\. by: \[org_id, id\]\)"),
        ({"to": "orgs", "by": ["org_id", "id", "x"]}, r"surveys\.workers\.link\.by must list 2 columns .*got 3"),
        ({"to": "orgs", "by": {"a": 1}}, r"surveys\.workers\.link\.by must be an id column name"),
        (
            {"to": "orgs", "by": "org_id", "columns": "revenue_band"},
            r"surveys\.workers\.link\.columns must be a non-empty list",
        ),
        (
            {"to": "orgs", "by": "org_id", "columns": ["a", "a"]},
            r"surveys\.workers\.link\.columns must list each column once",
        ),
        ({"to": "orgs", "by": "org_id", "prefix": "org-"}, r"surveys\.workers\.link\.prefix must be text put before"),
        (
            {"to": "orgs", "by": "org_id", "colums": ["a"]},
            r"surveys\.workers\.link\.colums is not a known key\. Did you mean 'columns'",
        ),
        (
            {True: ["org_id", "id"], "to": "orgs"},
            r"surveys\.workers\.link\.on is read by YAML as true .*by: \[org_id, id\]",
        ),
    ],
)
def test_link_mistakes_name_the_file_and_key(tmp_path, link, pattern):
    with pytest.raises(ReportError, match=pattern):
        load_plan(_plan(tmp_path, link=link))


def test_unquoted_on_in_yaml_is_explained(tmp_path):
    path = _plan(tmp_path)
    text = path.read_text(encoding="utf-8").replace("by:", "on:")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportError, match=r"link\.on is read by YAML as true"):
        load_plan(path)


def test_a_chained_link_is_refused(tmp_path):
    raw = yaml.safe_load(_plan(tmp_path).read_text(encoding="utf-8"))
    raw["surveys"]["more"] = {"data": "x.csv", "link": {"to": "workers", "by": "id"}}
    (tmp_path / "chain.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(
        ReportError,
        match=r"surveys\.more\.link\.to must name a survey without a link of its own; 'workers' links to 'orgs'",
    ):
        load_plan(tmp_path / "chain.yaml")


@pytest.mark.parametrize(
    ("link", "pattern"),
    [
        (
            {"to": "orgs", "by": ["org_id", "id"], "columns": ["revenue_bnd"]},
            r"^p\.yaml: surveys\.workers\.link \(to orgs\): column 'revenue_bnd' must be a column of the organisation data; it is not\. Did you mean 'revenue_band'",
        ),
        (
            {"to": "orgs", "by": ["orgid", "id"]},
            r"^p\.yaml: surveys\.workers\.link \(to orgs\): id column 'orgid' must be a column of the worker data",
        ),
        (
            {"to": "orgs", "by": ["org_id", "id"], "columns": ["age10"]},
            r"^p\.yaml: surveys\.workers\.link \(to orgs\): organisation variable 'age10' is already a worker column.*prefix='org_'",
        ),
    ],
)
def test_link_problems_found_in_the_data_name_the_file_and_key(tmp_path, link, pattern):
    plan = load_plan(_plan(tmp_path, link=link))
    with pytest.raises(ReportError, match=pattern):
        prepare_surveys(plan)


def test_cli_exits_2_without_traceback_on_a_bad_link(tmp_path, capsys):
    path = _plan(tmp_path, link={"to": "orgs", "by": ["org_id", "id"], "columns": ["revenue_bnd"]})
    code = main(["brief", str(path), "--out", str(tmp_path / "out"), "--quiet", "--jobs", "1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert re.search(r"^surveykit: error: p\.yaml: surveys\.workers\.link \(to orgs\): column 'revenue_bnd'", err)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))
