"""The reproduction check on the shipped demo data, and its match rules."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import surveykit as sk
from surveykit.errors import DataError, ReadError
from surveykit.instrument import load_published_figures
from surveykit.studies.safety_net_2018.reproduce import _demo_file, _round_pct, printed_unit, reproduce

DEMO = Path(__file__).resolve().parents[1] / "instruments" / "demo"
PUBLISHED = load_published_figures()["figures"]
PUBLISHED_ROWS = [(survey, fig) for survey in ("organisation", "worker") for fig in PUBLISHED[survey]]


@pytest.fixture(scope="module")
def demo_result():
    return reproduce()


@pytest.fixture(scope="module")
def demo_frames():
    from surveykit.io import read

    return {s: read(DEMO / f"{s}_2018.sav")[0] for s in ("organisation", "worker")}


def test_default_paths_are_the_shipped_demo_files():
    assert _demo_file("organisation").resolve() == (DEMO / "organisation_2018.sav").resolve()
    assert sk.demo_path("worker_2018", ".csv").resolve() == (DEMO / "worker_2018.csv").resolve()


def test_every_published_figure_is_checked(demo_result):
    got = [(f.survey, f.key) for f in demo_result.figures]
    assert got == [(s, fig["key"]) for s, fig in PUBLISHED_ROWS]
    assert demo_result.all_match


@pytest.mark.parametrize("survey,fig", PUBLISHED_ROWS, ids=[f"{s}-{f['key']}" for s, f in PUBLISHED_ROWS])
def test_each_figure_reproduced_with_its_published_count(demo_result, survey, fig):
    check = demo_result.figure(fig["key"], survey)
    if check.kind == "external":
        assert check.match is None and check.computed is None
        return
    assert check.match is True, check
    if "count" in fig:  # the exact respondent count behind the printed share
        allowed = fig["count"] if isinstance(fig["count"], list) else [fig["count"]]
        assert check.count in allowed
        assert check.base == fig["base"]
        assert check.computed == fig["pct"]
    elif "mean" in fig:
        unit = float(printed_unit(fig["mean"]))
        assert abs(check.exact - fig["mean"]) < unit / 2
    else:
        assert check.computed == fig["value_ko"]


def test_csv_demo_gives_the_same_result(demo_result):
    csv = reproduce(DEMO / "organisation_2018.csv", DEMO / "worker_2018.csv")
    assert csv.to_dict()["figures"] == demo_result.to_dict()["figures"]


def test_to_dict_is_json_and_external_excluded(demo_result):
    d = demo_result.to_dict()
    json.dumps(d, ensure_ascii=False)
    assert d["all_match"] is True
    external = [f for f in d["figures"] if f["kind"] == "external"]
    assert [f["key"] for f in external] == ["insured_rate_national_reference"]
    assert external[0]["match"] is None and external[0]["published"] == 97
    assert {"key", "survey", "published", "computed", "match"} <= set(d["figures"][0])


def test_frame_and_summary(demo_result):
    frame = demo_result.to_frame()
    assert list(frame.columns[:5]) == ["key", "survey", "kind", "published", "computed"]
    assert len(frame) == len(PUBLISHED_ROWS)
    text = str(demo_result.summary())
    assert "join_intent_somewhat" in text and "1~10만원" in text and "all match" in text


def test_a_changed_answer_breaks_its_figure(demo_frames):
    org = demo_frames["organisation"].copy()
    row = org.index[org["join_intent"] == 3][0]
    org.loc[row, "join_intent"] = 2.0
    result = reproduce(org, demo_frames["worker"])
    check = result.figure("join_intent_somewhat", "organisation")
    assert check.match is False and check.count == 92 and check.computed == 49
    assert not result.all_match and result.n_mismatch == 1


def test_modal_claim_is_checked(demo_frames):
    """industry_education keeps its 19.9% but stops being the largest industry."""
    org = demo_frames["organisation"].copy()
    others = org.index[~org["industry"].isin([1, 2])][:40]
    org.loc[others, "industry"] = 2.0
    check = reproduce(org, demo_frames["worker"]).figure("industry_education", "organisation")
    assert check.count == 37 and check.computed == 19.9 and check.match is False
    assert "most frequent" in check.note


def test_mode_tie_fails(demo_frames):
    wrk = demo_frames["worker"].copy()
    counts = wrk["fee_band"].value_counts()
    gap = int(counts[2] - counts[3])
    if gap % 2:  # one answer from code 1 to code 3 makes the gap even
        wrk.loc[wrk.index[wrk["fee_band"] == 1][0], "fee_band"] = 3.0
        gap -= 1
    wrk.loc[wrk.index[wrk["fee_band"] == 2][: gap // 2], "fee_band"] = 3.0
    counts = wrk["fee_band"].value_counts()
    assert counts[2] == counts[3] == counts.max()
    check = reproduce(demo_frames["organisation"], wrk).figure("fee_mode", "worker")
    assert check.match is False and check.computed is None and "tie" in check.note


def test_mean_outside_printed_rounding_fails(demo_frames):
    wrk = demo_frames["worker"].copy()
    valid = wrk["unemployment_months"].between(0, 36)
    wrk.loc[valid, "unemployment_months"] += 1.0  # mean 9.0 -> 10.0
    check = reproduce(demo_frames["organisation"], wrk).figure("unemployment_months_mean", "worker")
    assert check.match is False and check.computed == 10


@pytest.mark.parametrize(
    "value,unit", [(470000000, "1E+7"), (0.16, "0.01"), (316, "1"), (9, "1"), (180000, "1E+4"), (7000000, "1E+6")]
)
def test_printed_unit(value, unit):
    assert printed_unit(value) == Decimal(unit)


def test_percent_rounding_is_half_up():
    assert _round_pct(1, 8, 0) == Decimal("13")  # 12.5 -> 13, not banker's 12
    assert _round_pct(53, 186, 1) == Decimal("28.5")
    assert _round_pct(337, 414, 1) == Decimal("81.4")


def test_swapped_files_name_the_missing_column(demo_frames):
    with pytest.raises(DataError, match="organisation figure columns.*Pass the organisation file"):
        reproduce(demo_frames["worker"], demo_frames["organisation"])


def test_missing_file_is_a_read_error(tmp_path):
    with pytest.raises(ReadError, match="does not exist"):
        reproduce(tmp_path / "nope.sav")


def test_unknown_figure_lookup(demo_result):
    with pytest.raises(DataError, match="Did you mean 'fee_mode'"):
        demo_result.figure("fee_mod", "worker")


def test_frames_are_not_modified(demo_frames):
    before = demo_frames["worker"].copy()
    reproduce(demo_frames["organisation"], demo_frames["worker"])
    pd.testing.assert_frame_equal(before, demo_frames["worker"])


# jsonlite::write_json(digits = NA) keeps 15 significant digits; shares and means are single
# closed-form divisions, so agreement is to that printing precision.
R_REL_TOL = 1e-13
GOLDEN = json.loads((Path(__file__).parent / "golden" / "reproduce.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("g", GOLDEN["figures"], ids=[f"{g['survey']}-{g['key']}" for g in GOLDEN["figures"]])
def test_matches_r_recomputation_of_the_demo_data(demo_result, g):
    """Counts, bases, exact shares, means and modes agree with R (tests/golden/r/reproduce.R)."""
    check = demo_result.figure(g["key"], g["survey"])
    assert check.kind == g["kind"]
    if g["kind"] == "pct":
        counts = g["counts"] if isinstance(g["counts"], list) else [g["counts"]]
        bases = g["bases"] if isinstance(g["bases"], list) else [g["bases"]]
        pcts = g["pct"] if isinstance(g["pct"], list) else [g["pct"]]
        assert (check.count, check.base) in set(zip(counts, bases))
        assert check.exact == pytest.approx(pcts[counts.index(check.count)], rel=R_REL_TOL)
    elif g["kind"] == "mean":
        assert check.base == g["base"]
        assert check.exact == pytest.approx(g["mean"], rel=R_REL_TOL)
    elif g["kind"] == "mode":
        assert (check.base, check.count, check.exact) == (g["base"], g["mode_count"], g["mode_code"])


def test_data_of_the_wrong_type_is_a_data_error():
    with pytest.raises(DataError, match="organisation data must be a file path or a DataFrame; got int"):
        reproduce(5)
