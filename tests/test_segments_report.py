"""The brief's segments section: sk.segments.fit as the plan asks, honest shares, join intent by segment."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml

import surveykit as sk
from surveykit.errors import ReportError
from surveykit.report.build import build_document
from surveykit.report.document import Table, Text
from surveykit.report.plan import load_plan
from surveykit.report.prepare import prepare_surveys
from surveykit.segments import UNSTABLE_ARI


def _segments_only(name: str):
    plan = load_plan(name)
    return dataclasses.replace(plan, sections=tuple(s for s in plan.sections if s.type == "segments"))


@pytest.fixture(scope="module")
def worker():
    plan = _segments_only("worker_brief")
    built = {lang: build_document(plan, lang=lang) for lang in ("en", "ko")}
    spec = plan.sections[0]
    svy = prepare_surveys(plan)["worker"].analysis
    opts = spec.options
    res = sk.segments.fit(
        svy,
        list(opts["variables"]),
        method=opts["method"],
        k="auto",
        random_state=0,
        missing=opts["missing"],
        profile_vars=opts["profile"],
        short_names=opts["short_names"],
    )
    return built, spec, svy, res


def test_bundled_plans_choose_the_method_that_fits_their_items() -> None:
    worker = next(s for s in load_plan("worker_brief").sections if s.type == "segments").options
    org = next(s for s in load_plan("organisation_brief").sections if s.type == "segments").options
    assert worker["method"] == "lca" and worker["outcome"] == "join_intent" and "join_intent" not in worker["variables"]
    assert org["method"] == "kprototypes" and {"org_age", "staff_score", "revenue_score"} < set(org["variables"])
    for opts in (worker, org):
        assert set(opts["why"]) == {"ko", "en"} and set(opts["short_names"]) == set(opts["variables"])


def test_worker_section_publishes_named_segments_with_logit_shares(worker) -> None:
    built, spec, _, res = worker
    doc, ctx = built["en"]
    section = doc.sections[0]
    kinds = [type(b).__name__ for b in section.blocks]
    assert kinds == ["Text", "Table", "Table", "Chart", "Table", "Table"]
    assert res.method == "lca" and res.publishable and res.stability.mean_ari >= UNSTABLE_ARI
    intro = " ".join(section.blocks[0].paragraphs)
    assert intro.startswith(spec.options["why"]["en"]) and "latent class analysis" in intro
    assert f"mean ARI of {res.stability.mean_ari:.2f}" in intro
    sizes = section.blocks[1]
    for row, name, r in zip(sizes.rows, res.names["en"], res.shares.itertuples()):
        assert row[0].value == f"{r.segment}. {name}"
        assert row[2].value == f"{100 * r.estimate:.1f}" and row[3].value == f"{100 * r.ci_low:.1f}"
        assert 0 <= r.ci_low < r.estimate < r.ci_high <= 1
    shares = {r["key"]: r for r in ctx.records if ".share." in r["key"]}
    assert len(shares) == res.k
    np.testing.assert_allclose(
        [shares[f"worker.{spec.id}.share.{g}"]["estimate"] for g in range(1, res.k + 1)],
        res.shares["estimate"],
        rtol=1e-12,
    )
    ko_sizes = built["ko"][0].sections[0].blocks[1]
    assert [row[0].value for row in ko_sizes.rows] == [f"{g}. {n}" for g, n in enumerate(res.names["ko"], 1)]


def test_profiles_are_domain_estimates_next_to_everyone(worker) -> None:
    built, _, svy, res = worker
    prof = built["en"][0].sections[0].blocks[2]
    assert prof.columns == ("Characteristic", "All", *[f"Segment {g}" for g in range(1, res.k + 1)])
    row = next(r for r in prof.rows if r[0].value == "Employment insurance: Enrolled (%)")
    p = res.profiles
    want = p[(p["variable"] == "ins_employment") & (p["level"] == 1)].sort_values("segment")["estimate"]
    assert [c.value for c in row[2:]] == [f"{100 * v:.1f}" for v in want]
    overall = svy.domain(res.labels.notna().to_numpy()).proportion("ins_employment", na="drop").to_frame()
    assert row[1].value == f"{100 * overall.loc[overall['level'] == 1, 'estimate'].iloc[0]:.1f}"
    age = next(r for r in prof.rows if r[0].value == "Age in years")
    assert age[2].value == f"{p[(p['variable'] == 'age') & (p['segment'] == 1)]['estimate'].iloc[0]:,.2f}"


def test_join_intent_by_segment_with_the_rao_scott_test(worker) -> None:
    built, spec, svy, res = worker
    doc, ctx = built["en"]
    table = doc.sections[0].blocks[4]
    tab = svy.assign(g=res.labels.astype("float64").to_numpy()).crosstab("g", "join_intent")
    f = next(t for t in tab.tests if t.name == "F")
    # the brief's one crosstab table: base and the test in plain words; the statistics go to the appendix
    assert table.notes[0] == f"Percentages are of the respondents in each row (column n); {int(tab.n)} in all."
    assert table.notes[1] == (
        f"Test of no difference: the distribution differs by segment (p = {f.p_value:.3f}); an association, not a cause."
    )
    assert "Rao" not in " ".join(table.notes)
    rec = next(r for r in ctx.records if r["key"] == f"worker.{spec.id}.join_intent.rao_scott_F")
    assert rec["estimate"] == pytest.approx(float(f.statistic), rel=1e-12)
    assert rec["test"] == "rao_scott" and (rec["ndf"], rec["ddf"]) == pytest.approx((f.ndf, f.ddf), rel=1e-12)
    cell = next(r for r in ctx.records if r["key"] == f"worker.{spec.id}.join_intent.1.4")
    assert 0 <= cell["ci_low"] < cell["estimate"] < cell["ci_high"] <= 1  # logit interval, as every crosstab
    frame = tab.to_frame()
    some = frame[(frame["row_level"] == 1) & (frame["col_level"] == 3)]["row"].iloc[0]
    assert table.rows[0][3].value == f"{100 * some:.1f}"
    # segment 2 (24 respondents) has two cells under 5: hidden, and the cells that would give them back
    # (the row's smallest other cell, the same columns of segment 1) hidden with them
    assert [c.flag for c in table.rows[1][1:5]] == ["suppressed", "suppressed", "low_n", "secondary"]
    assert [c.flag for c in table.rows[0][1:5]] == ["secondary", "secondary", None, "secondary"]


def test_criteria_table_in_plain_words(worker) -> None:
    built, _, _, res = worker
    crit = built["en"][0].sections[0].blocks[5]
    assert crit.columns[:4] == (
        "Segments k",
        "BIC (lower is better)",
        "AIC (lower is better)",
        "Clarity of assignment (0-1)",
    )
    assert [r[0].value for r in crit.rows] == res.criteria["k"].tolist()
    assert [r[-1].value for r in crit.rows] == ["✓" if k == res.k else "" for k in res.criteria["k"]]
    assert "information criteria" in crit.notes[0] and "Resampling stability" in crit.notes[0]
    assert "Calinski" not in crit.notes[0]  # only the criteria shown are explained


def _plan(tmp_path, section: dict) -> object:
    plan = {
        "id": "probe",
        "lang": "en",
        "surveys": {"worker": {"instrument": "worker_2018", "data": "demo"}},
        "sections": [{"type": "segments", "survey": "worker", **section}],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return load_plan(path)


def test_an_unstable_segmentation_is_reported_not_published(tmp_path) -> None:
    likert = ["ins_factor_premium", "ins_factor_coverage", "ins_factor_trust", "ins_factor_payout", "ins_factor_refund"]
    plan = _plan(tmp_path, {"method": "kmeans", "k": 5, "variables": likert, "outcome": "join_intent"})
    doc, ctx = build_document(plan)
    section = doc.sections[0]
    assert all(isinstance(b, Text) for b in section.blocks) and not any(isinstance(b, Table) for b in section.blocks)
    text = " ".join(section.blocks[0].paragraphs)
    ari = next(r["estimate"] for r in ctx.records if r["key"].endswith(".stability"))
    assert ari < UNSTABLE_ARI
    assert f"mean ARI {ari:.2f}, threshold {UNSTABLE_ARI:.1f}" in text and "not stable under resampling" in text
    assert not [r for r in ctx.records if ".share." in r["key"]]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"k": [6, 2]}, r"sections\[0\].k must be a range \[low, high\] with low <= high"),
        ({"k": [2, 3, 4]}, r"sections\[0\].k must be auto, a whole number >= 2 or a range .*got \[2, 3, 4\]"),
        ({"k": 1}, r"sections\[0\].k must be auto, a whole number >= 2 .*got 1\."),
        ({"method": "pam"}, r"sections\[0\].method must be one of 'kmeans', 'kprototypes', 'lca'; got 'pam'"),
        ({"missing": "drop"}, r"sections\[0\].missing must be one of 'exclude', 'category', 'impute'; got 'drop'"),
        ({"short_names": ["x"]}, r"sections\[0\].short_names"),
    ],
)
def test_plan_segments_options_are_checked(tmp_path, section: dict, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        _plan(tmp_path, {"variables": ["age"], **section})


def test_plan_k_forms() -> None:
    from surveykit.report.sections.segments import _k

    assert _k(None) == "auto" and _k("auto") == "auto" and _k(4) == 4 and _k([2, 8]) == range(2, 9)


def test_a_replicate_design_is_reported_without_segments() -> None:
    """No PSUs to resample: stability cannot be assessed, so the section shows no segments and says why."""
    from surveykit.report.context import Ctx
    from surveykit.report.sections import segments as section

    plan = _segments_only("worker_brief")
    prep = prepare_surveys(plan)["worker"]
    rep = sk.as_replicate(prep.analysis, type="bootstrap", replicates=20, seed=1)
    ctx = Ctx(plan, "en", {"worker": dataclasses.replace(prep, analysis=rep)})
    out = section.build(ctx, plan.sections[0])
    assert [type(b).__name__ for b in out.blocks] == ["Text"]
    assert (
        "cannot be assessed with this design (replicate weights), so no segments are shown"
        in out.blocks[0].paragraphs[0]
    )
    assert not [r for r in ctx.records if ".share." in r["key"]]


def test_profile_levels_that_add_to_100_hide_a_second_cell() -> None:
    """Organisation segment 2: 'Social insurance: None enrolled' rests on too few organisations;
    All + Some + None = 100%, so the smallest other level is hidden with it (issue 13)."""
    doc, _ = build_document(_segments_only("organisation_brief"), lang="en")
    prof = next(b for b in doc.sections[0].blocks if isinstance(b, Table) and b.caption == "Segment profiles")
    rows = {r[0].value: r for r in prof.rows}
    levels = [k for k in rows if str(k).startswith("Social insurance: ")]
    assert len(levels) == 3
    for seg in (2, 3):  # columns: characteristic, all, segment 1, segment 2
        flags = [rows[k][seg].flag for k in levels]
        hidden = [f for f in flags if f in ("suppressed", "secondary")]
        assert len(hidden) != 1, (seg, flags)  # never one hidden level alone
    seg2 = [rows[k][3] for k in levels]
    assert [c.flag for c in seg2].count("suppressed") == 1 and [c.flag for c in seg2].count("secondary") == 1
    assert sum(c.value is None for c in seg2) == 2
