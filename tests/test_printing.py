"""print(result) shows the summary table; notebooks get HTML (every value escaped)."""

from __future__ import annotations

import surveykit as sk


def test_results_print_as_tables_and_render_html() -> None:
    svy = sk.demo_survey("organisation_2018")
    results = [
        svy.mean("paid_workers", na="drop"),
        svy.frequency("join_intent"),
        svy.crosstab("org_type", "coverage_held"),
    ]
    for res in results:
        text = str(res)
        assert text == str(res.summary()) and "\n" in text
        assert res._repr_html_() == res.summary().to_html()
        assert repr(res).startswith(type(res).__name__ + "(")  # repr stays the dataclass's
    assert "전혀 없다" in str(results[1]) and "paid_workers" in str(results[0])
    assert "<script>" not in results[1]._repr_html_()
