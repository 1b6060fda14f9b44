"""Analysis plans: the bundled plans load; mistakes name the file, the key path and the fix."""

from pathlib import Path

import pytest
import yaml

from surveykit.errors import ReportError
from surveykit.report.plan import SECTION_KEYS, bundled_plans, load_plan


def test_bundled_plans_load_with_their_sections():
    assert bundled_plans() == ["combined_brief", "organisation_brief", "worker_brief"]
    org = load_plan("organisation_brief")
    assert [s.type for s in org.sections][:3] == ["summary", "overview", "key_figures"]
    assert {s.type for s in org.sections} == set(SECTION_KEYS)  # every section type is exercised
    assert org.reliability == {"min_n": 5, "max_cv": 0.3, "min_effective_n": 30}
    assert org.surveys["org"].instrument == "organisation_2018"
    combined = load_plan("combined_brief")
    assert set(combined.surveys) == {"org", "worker"}


def _write(tmp_path: Path, plan: dict) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path


BASE = {
    "id": "t",
    "surveys": {"org": {"instrument": "organisation_2018", "data": "demo"}},
    "sections": [{"type": "overview"}],
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sectons": []}, r"plan.yaml: sectons is not a known key. Did you mean 'sections'"),
        (
            {"sections": [{"type": "frequency", "survey": "org"}]},
            r"sections\[0\].type must be one of .*Did you mean 'frequencies'",
        ),
        (
            {"sections": [{"type": "crosstab", "survey": "org", "row": "a"}]},
            r"sections\[0\].col is required for a crosstab",
        ),
        (
            {"sections": [{"type": "quality", "survey": "orgs"}]},
            r"sections\[0\].survey must name a survey.*Did you mean 'org'",
        ),
        ({"reliability": {"min_n": -1}}, r"reliability.min_n must be a non-negative number"),
        ({"lang": "de"}, r"lang must be 'ko' or 'en'; got 'de'"),
        ({"surveys": {"org": {"instrument": "organisation_2018"}}}, r"surveys.org.data is required"),
        ({"id": "../x"}, r"id must be letters, digits, '_' or '-'"),
        (
            {"sections": [{"type": "frequencies", "survey": "org", "variables": "join_intent"}]},
            r"sections\[0\].variables must be a non-empty list of variable names; got 'join_intent'",
        ),
        (
            {"sections": [{"type": "frequencies", "survey": "org", "variables": ["a"], "chart": "no"}]},
            r"sections\[0\].chart must be true or false",
        ),
        (
            {"sections": [{"type": "model", "survey": "org", "kind": "logistic", "formula": "y ~ "}]},
            r"sections\[0\].formula must be a model formula",
        ),
        (
            {"sections": [{"type": "crosstab", "survey": "org", "row": "a", "col": "a"}]},
            r"row and col must be two different variables",
        ),
        ({"reliability": {"min_n": True}}, r"reliability.min_n must be a non-negative number"),
        (
            {
                "surveys": {
                    "org": {
                        "instrument": "organisation_2018",
                        "data": "demo",
                        "derive": [{"name": "x", "from": "a", "map": {"a": 1}}],
                    }
                }
            },
            r"surveys.org.derive\[0\].map must map codes to numbers",
        ),
        (
            {
                "surveys": {
                    "org": {
                        "instrument": "organisation_2018",
                        "data": "demo",
                        "derive": [{"name": "x", "from": "a", "cut": "abc"}],
                    }
                }
            },
            r"derive\[0\].cut must be an increasing list",
        ),
        (
            {
                "surveys": {
                    "org": {
                        "instrument": "organisation_2018",
                        "data": "demo",
                        "derive": [{"name": "x", "expr": "a", "from": "b", "map": {1: 1}}],
                    }
                }
            },
            r"derive\[0\] needs exactly one of 'expr' or 'from'",
        ),
    ],
)
def test_plan_errors_name_file_and_key(tmp_path, change, message):
    path = _write(tmp_path, {**BASE, **change})
    with pytest.raises(ReportError, match=message):
        load_plan(path)


def test_unknown_plan_name_suggests_bundled():
    with pytest.raises(ReportError, match="Did you mean 'worker_brief'"):
        load_plan("worker_brif")


def test_documented_plan_example_is_a_valid_plan(tmp_path):
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "plans.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, flags=re.S).group(1)
    path = tmp_path / "documented.yaml"
    path.write_text(example, encoding="utf-8")
    plan = load_plan(path)
    assert {s.type for s in plan.sections} == set(SECTION_KEYS)
    assert plan.surveys["worker"].weighting[0]["method"] == "rake"
    from surveykit.report.build import build_document

    doc, ctx = build_document(plan)  # the documented plan runs on the bundled data
    assert len(doc.sections) == len(plan.sections) and ctx.records


def test_plan_in_a_legacy_encoding_is_refused_clearly(tmp_path):
    path = tmp_path / "cp949.yaml"
    path.write_bytes(yaml.safe_dump({**BASE, "title": "조직 브리프"}, allow_unicode=True).encode("cp949"))
    with pytest.raises(ReportError, match=r"must be UTF-8 text; byte \d+ is not"):
        load_plan(path)
