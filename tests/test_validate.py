"""Data-quality checks: each kind of problem is planted in a clean frame and must be found
with the right check, variable and (1-based) rows; a clean frame gives no issue at all."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from surveykit.errors import DataError
from surveykit.instrument import Instrument, load_instrument
from surveykit.instrument.validate import ValidationReport, reconcile, validate

N_ROWS = 12


def clean_frame(inst: Instrument, n: int = N_ROWS) -> pd.DataFrame:
    """Valid answers for every question, honouring routing; battery items vary within a row."""
    data = pd.DataFrame(index=range(n))
    k = np.arange(n)
    offsets = {v: j for items in inst.batteries().values() for j, v in enumerate(items)}
    for q in inst.questions:
        asked = inst.mask(q.ask_if, data)
        shift = k + offsets.get(q.var, 0)
        if q.type in ("single", "likert"):
            cols = {q.var: np.asarray(q.codes(), dtype=float)[shift % len(q.codes())]}
        elif q.type == "multi":
            cols = {c: ((shift + j) % 2).astype(float) for j, c in enumerate(q.columns())}
        elif q.type == "numeric":
            lo, hi = q.range
            cols = {q.var: lo + (k % (hi - lo + 1))}
        else:
            cols = {q.var: np.array(["자유응답"] * n, dtype=object)}
        for c, v in cols.items():
            data[c] = np.where(asked, v, None) if q.type == "text" else np.where(asked, v, np.nan)
    return data


@pytest.fixture(scope="module")
def org() -> Instrument:
    return load_instrument("organisation_2018")


@pytest.fixture(scope="module")
def wrk() -> Instrument:
    return load_instrument("worker_2018")


def only(report: ValidationReport, check: str):
    found = report.by_check(check)
    assert len(found) == 1, [(i.check, i.variable, i.rows) for i in report.issues]
    return found[0]


@pytest.mark.parametrize("name", ["organisation_2018", "worker_2018"])
def test_clean_frame_has_no_issues(name):
    inst = load_instrument(name)
    data = clean_frame(inst)
    before = data.copy()
    report = validate(data, inst, source="clean.sav")
    assert report.issues == () and report.ok
    assert report.n_errors == report.n_warnings == 0
    pd.testing.assert_frame_equal(data, before)  # never mutates its input
    nr = report.nonresponse
    assert (nr["nonresponse"] == 0).all() and set(nr["variable"]) == set(inst.variables())
    # the routed questions are eligible only where the filter holds
    elig = dict(zip(nr["variable"], nr["eligible"]))
    assert elig["coverage_type" if name.startswith("org") else "uninsured_reason"] == N_ROWS // 2
    assert "No issues found." in str(report.summary())


def test_invalid_code_and_not_numeric(org):
    data = clean_frame(org)
    data.loc[2, "org_type"] = 42  # row 3
    data.loc[[4, 7], "industry"] = 0.5  # rows 5, 8
    data["revenue_band"] = data["revenue_band"].astype(object)
    data.loc[1, "revenue_band"] = "1~5억"  # row 2: a label where a code belongs
    data.loc[5, "funding_source_2"] = 2  # row 6: MR column must be 0/1
    data.loc[6, "org_type"] = 99  # user-missing code: valid
    data.loc[3, "revenue_band"] = "  "  # row 4: a blank cell is system-missing, not text
    report = validate(data, org, source="org.sav")
    codes = {i.variable: i for i in report.by_check("invalid_code")}
    assert set(codes) == {"org_type", "industry", "funding_source_2"}
    assert codes["org_type"].rows == (3,) and "42" in codes["org_type"].message
    assert codes["industry"].rows == (5, 8)
    assert codes["funding_source_2"].rows == (6,)
    text = only(report, "not_numeric")
    assert (text.variable, text.rows) == ("revenue_band", (2,))
    assert text.message.startswith("org.sav: column 'revenue_band' must hold numeric codes")
    assert report.n_errors == 4
    # the blank (row 4) and the unusable text (row 2) both leave revenue_band unanswered
    assert report.nonresponse.set_index("variable").loc["revenue_band", "system_missing"] == 2


def test_out_of_range_spares_user_missing(org):
    data = clean_frame(org)
    data.loc[1, "founded_year"] = 1900
    data.loc[9, "founded_year"] = 2030
    data.loc[3, "founded_year"] = 9999  # 모름/무응답
    issue = only(validate(data, org), "out_of_range")
    assert (issue.variable, issue.rows, issue.severity) == ("founded_year", (2, 10), "error")
    assert "[1950, 2018]" in issue.message


def test_routing_answered_though_skipped(org):
    data = clean_frame(org)
    skipped = data.index[data["coverage_held"] == 2][:2]
    data.loc[skipped, "coverage_type"] = 1
    issue = only(validate(data, org), "routing_skipped")
    assert issue.variable == "coverage_type" and issue.rows == tuple(skipped + 1)
    assert "coverage_held == 1" in issue.message


def test_routing_missing_though_asked(wrk):
    data = clean_frame(wrk)
    asked = data.index[data["unemployed_3y"] == 1][0]
    data.loc[asked, "unemployment_months"] = np.nan
    insured = data.index[data["private_insured"] == 1][1]
    data.loc[insured, [c for c in data.columns if c.startswith("private_product_")]] = np.nan
    report = validate(data, wrk)
    found = {i.variable: i.rows for i in report.by_check("routing_missing")}
    assert found == {"unemployment_months": (asked + 1,), "private_product": (insured + 1,)}
    assert report.n_errors == 0 and report.n_warnings == 2


def test_routing_unknown_filter_is_not_flagged(wrk):
    data = clean_frame(wrk)
    data.loc[0, "private_insured"] = 9  # don't know: routing cannot be judged
    data.loc[0, "uninsured_reason"] = 1
    data.loc[1, "private_insured"] = np.nan  # no answer at all
    assert validate(data, wrk).issues == ()


def test_duplicate_and_missing_ids(org):
    data = clean_frame(org)
    data.loc[4, "id"] = data.loc[1, "id"]  # rows 2 and 5 share an id
    data.loc[8, "id"] = np.nan
    report = validate(data, org)
    dup = only(report, "duplicate_id")
    assert dup.rows == (2, 5) and dup.variable == "id"
    assert only(report, "missing_id").rows == (9,)
    assert validate(data, org, id=None).issues == ()


def test_straight_lining(wrk):
    data = clean_frame(wrk)
    items = list(wrk.batteries()["ins_factor"])
    data.loc[5, items] = 4
    data.loc[7, items] = 9  # all "don't know": non-response, not straight-lining
    issue = only(validate(data, wrk), "straight_lining")
    assert (issue.variable, issue.rows, issue.severity) == ("ins_factor", (6,), "warning")


def test_item_nonresponse_table(wrk):
    data = clean_frame(wrk)
    data.loc[[0, 1], "join_intent"] = 9
    data.loc[2, "join_intent"] = np.nan
    data.loc[3, "third_sector_aware"] = 9
    nr = validate(data, wrk).nonresponse.set_index("variable")
    row = nr.loc["join_intent"]
    assert (row["user_missing"], row["system_missing"], row["nonresponse"]) == (2, 1, 3)
    assert row["answered"] == N_ROWS - 3 and row["rate"] == pytest.approx(3 / N_ROWS, rel=1e-12)
    assert nr.loc["third_sector_aware", "nonresponse"] == 1
    assert nr.loc["gender", "nonresponse"] == 0


def test_unknown_and_missing_variables(wrk):
    data = clean_frame(wrk).drop(columns=["gender"]).rename(columns={"join_intent": "join_intnet"})
    report = validate(data, wrk, source="w.csv")
    missing = {i.variable for i in report.by_check("missing_variable")}
    assert missing == {"gender", "join_intent"}
    unknown = only(report, "unknown_variable")
    assert unknown.variable == "join_intnet" and "Did you mean 'join_intent'" in unknown.message
    assert next(i for i in report.by_check("missing_variable") if i.variable == "join_intent").message.endswith(
        "Did you mean 'join_intnet'?"
    )


def test_report_outputs(org):
    data = clean_frame(org)
    data.loc[2, "org_type"] = 42
    data.loc[3, "id"] = data.loc[0, "id"]
    data["extra"] = 1
    report = validate(data, org, source="org.sav")
    assert (report.n_errors, report.n_warnings) == (2, 1)
    assert [i.severity for i in report.issues] == ["error", "error", "warning"]
    frame = report.to_frame()
    assert list(frame.columns) == ["severity", "check", "variable", "n", "rows", "message", "fix"]
    assert frame.loc[frame["check"] == "duplicate_id", "rows"].item() == "1, 4"
    d = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert d["n_errors"] == 2 and d["source"] == "org.sav" and len(d["nonresponse"]) == len(org.variables())
    assert {tuple(i["rows"]) for i in d["issues"]} == {(3,), (1, 4), ()}
    text = str(report.summary())
    assert re.search(r"^errors\s+2$", text, re.M) and re.search(r"^warnings\s+1$", text, re.M)
    assert "invalid_code" in text and "duplicate_id" in text and "unknown_variable" in text
    assert "<table" in report.summary().to_html()


def test_bad_input(org):
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        validate([[1, 2]], org)


# -- reconcile ------------------------------------------------------------------------------------


@dataclass
class Missing:
    values: tuple = ()
    ranges: tuple = ()


@dataclass
class Meta:
    """Stand-in with the FileMeta attributes reconcile reads."""

    columns: tuple[str, ...]
    variable_labels: dict[str, Any] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    missing: dict[str, Any] = field(default_factory=dict)
    path: str = "survey.sav"


def meta_from(inst: Instrument, lang: str = "ko") -> Meta:
    m = inst.to_file_meta(lang)
    return Meta(
        columns=tuple(inst.columns()),
        variable_labels=m["variable_labels"],
        value_labels=m["value_labels"],
        missing={k: Missing(tuple(v)) for k, v in m["missing"].items()},
    )


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_reconcile_matching_meta(wrk, lang):
    report = reconcile(meta_from(wrk, lang), wrk)
    assert report.issues == () and report.n_rows == 0


def test_reconcile_finds_mismatches(wrk):
    meta = meta_from(wrk)
    meta.value_labels["gender"] = {1: "남성", 2: "여자", 3: "기타", 9: "무응답"}
    meta.value_labels["occupation"] = {1: "관리직"}
    meta.variable_labels["age"] = "연령대"
    meta.missing["join_intent"] = Missing((), ((8.0, 9.0),))  # a range covering 9: fine
    meta.missing["premium_monthly"] = Missing((999.0,))
    del meta.missing["fee_band"]
    meta.columns = tuple(c for c in meta.columns if c != "career_years") + ("q99",)
    report = reconcile(meta, wrk)
    by = {(i.check, i.variable): i for i in report.issues}
    assert "2: file '여자' vs instrument '여성'/'Female'" in by["label_mismatch", "gender"].message
    assert "3='기타'" in by["code_not_in_instrument", "gender"].message
    assert ("code_unlabelled", "occupation") in by
    assert "'연령대'" in by["label_mismatch", "age"].message
    assert ("missing_mismatch", "join_intent") not in by
    assert "should be [99999999]; the file declares [999]" in by["missing_mismatch", "premium_monthly"].message
    assert "declares none" in by["missing_mismatch", "fee_band"].message
    assert ("missing_variable", "career_years") in by and ("unknown_variable", "q99") in by
    assert by["missing_variable", "career_years"].message.startswith("survey.sav: file must have column")
    assert report.n_errors == 2 and len(report.issues) == 8


@pytest.mark.parametrize("name", ["organisation_2018", "worker_2018"])
def test_sav_round_trip_reconciles(tmp_path, name):
    """Instrument metadata written by io.write_sav reads back as a perfect match."""
    from surveykit.io import read, write_sav

    inst = load_instrument(name)
    data = clean_frame(inst)
    data.loc[0, "join_intent"] = 9  # a user-missing code survives as a code
    path = write_sav(data, tmp_path / f"{name}.sav", **inst.to_file_meta("ko"))
    back, meta = read(path)
    assert reconcile(meta, inst).issues == ()
    report = validate(back, inst, source=str(path))
    assert report.issues == ()
    assert report.nonresponse.set_index("variable").loc["join_intent", "user_missing"] == 1


@pytest.mark.parametrize("name", ["organisation_2018", "worker_2018"])
def test_demo_data_passes_validation(name):
    """The calibrated synthetic microdata obeys its own questionnaire: codes, ranges, routing."""
    from surveykit.studies.safety_net_2018.synth import generate

    inst = load_instrument(name)
    data = generate(inst)
    report = validate(data, inst, source=f"{name} demo")
    assert report.issues == (), report.to_frame()[["check", "variable", "n"]].to_string()
    assert report.n_rows == inst.n


def test_the_id_check_uses_the_questionnaires_own_id_column():
    import surveykit as sk

    data, meta = sk.read(Path(__file__).parent / "data" / "spss" / "api_missing.sav")
    import dataclasses

    inst = dataclasses.replace(sk.Instrument.from_meta(meta, data), id="snum")  # a questionnaire whose id is not "id"
    report = sk.validate(data, inst)
    assert not [i for i in report.issues if i.severity == "error"]
    dup = data.copy()
    dup.loc[1, "snum"] = dup.loc[0, "snum"]
    codes = {(i.check, i.variable) for i in sk.validate(dup, inst).issues}
    assert ("duplicate_id", "snum") in codes
