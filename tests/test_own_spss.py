"""A researcher's own .sav, no questionnaire: the file's user-missing codes reach every estimate.

tests/golden/r/own_spss.R writes tests/data/spss/api_missing.sav with R haven (apistrat with
declared user-missing codes: discrete 99 and 9, a range 99990-99999) and computes R survey's
numbers on the same file read with ``user_na = FALSE`` (every declared code NA). Here the file is
read keeping the codes (``sk.read``'s default) and the Survey applies the file's metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import surveykit as sk

HERE = Path(__file__).parent
SAV = HERE / "data" / "spss" / "api_missing.sav"
GOLDEN = json.loads((HERE / "golden" / "own_spss.json").read_text(encoding="utf-8"))
DESIGN = sk.Design(strata="stype_c", weights="pw", fpc="fpc")
EST_RTOL = 1e-10  # closed-form Taylor estimates
GLM_RTOL = 1e-8  # iterative fit (IRLS to 1e-12 here; R's glm to its own tolerance)


def _flat(x: object) -> np.ndarray:
    return np.ravel(np.asarray(x, dtype=float))


@pytest.fixture(scope="module", params=["meta", "from_file"])
def svy(request: pytest.FixtureRequest) -> sk.Survey:
    if request.param == "meta":
        data, meta = sk.read(SAV)
        return sk.Survey(data, DESIGN, meta=meta)
    return sk.Survey.from_file(SAV, DESIGN)


def test_codes_stay_in_the_data_and_are_masked(svy: sk.Survey) -> None:
    data = svy.data
    assert int((data["meals9"] == 99).sum()) == GOLDEN["n_na"]["meals9"]  # kept as codes
    for name, n in GOLDEN["n_na"].items():
        assert int(svy.user_missing(name).sum()) == n
    assert svy.missing_spec("enroll_r").ranges == ((99990, 99999),)


def test_means_and_totals_match_r(svy: sk.Survey) -> None:
    for name in ("meals9", "enroll_r"):
        est = svy.mean(name, na="drop")
        want = GOLDEN[f"mean_{name}"]
        np.testing.assert_allclose(est.estimate, _flat(want["estimate"]), rtol=EST_RTOL)
        np.testing.assert_allclose(est.se, _flat(want["se"]), rtol=EST_RTOL)
    tot = svy.total("enroll_r", na="drop")
    np.testing.assert_allclose(tot.estimate, _flat(GOLDEN["total_enroll_r"]["estimate"]), rtol=EST_RTOL)
    np.testing.assert_allclose(tot.se, _flat(GOLDEN["total_enroll_r"]["se"]), rtol=EST_RTOL)


def test_wrong_mean_without_the_policy_is_far_off(svy: sk.Survey) -> None:
    # what main gave before: 99 counted as a value
    raw = sk.Survey(svy.data, DESIGN).mean("meals9")
    assert float(raw.estimate[0]) > GOLDEN["mean_meals9"]["estimate"] + 5


def test_domains_match_r(svy: sk.Survey) -> None:
    est = svy.mean("meals9", by="stype_c", na="drop").to_frame()
    want = GOLDEN["by_meals9"]
    np.testing.assert_allclose(est["estimate"], want["estimate"], rtol=EST_RTOL)
    np.testing.assert_allclose(est["se"], want["se"], rtol=EST_RTOL)


def test_proportion_and_frequency_match_r(svy: sk.Survey) -> None:
    p = svy.proportion("awards_yes", level=1)
    want = GOLDEN["prop_awards_logit"]
    np.testing.assert_allclose(p.estimate, [want["estimate"]], rtol=EST_RTOL)
    np.testing.assert_allclose([p.ci_low[0], p.ci_high[0]], want["ci"], rtol=1e-9)
    freq = svy.frequency("awards_yes").to_frame()
    assert list(freq["level"]) == [0, 1, 9]  # "don't know" listed, outside the base
    assert list(freq["missing"]) == [False, False, True]
    assert list(freq["label"]) == ["No", "Yes", "Don't know"]  # the file's value labels
    assert int(freq["n"].iloc[2]) == GOLDEN["n_na"]["awards_yes"]
    np.testing.assert_allclose(freq["estimate"].iloc[:2], GOLDEN["freq_awards"]["estimate"], rtol=EST_RTOL)
    np.testing.assert_allclose(freq["se"].iloc[:2], GOLDEN["freq_awards"]["se"], rtol=EST_RTOL)


def test_crosstab_matches_r(svy: sk.Survey) -> None:
    t = svy.crosstab("awards_yes", "stype_c").test("F")
    want = GOLDEN["chisq_F"]
    np.testing.assert_allclose(
        [t.statistic, t.ndf, t.ddf], [want["statistic"], want["ndf"], want["ddf"]], rtol=EST_RTOL
    )
    np.testing.assert_allclose(t.p_value, want["p_value"], rtol=1e-8)


def test_logistic_model_matches_r(svy: sk.Survey) -> None:
    fit = sk.models.logistic(svy, "awards_yes ~ meals9 + enroll_r")
    want = GOLDEN["glm"]
    coef = fit.coef.set_index("term")
    np.testing.assert_allclose(coef["estimate"], want["estimate"], rtol=GLM_RTOL)
    np.testing.assert_allclose(coef["se"], want["se"], rtol=GLM_RTOL)
    assert fit.n == want["n"]


def test_labels_from_the_file(svy: sk.Survey) -> None:
    assert svy.variable_label("meals9") == "Percent of students in meal programme"
    est = svy.proportion("awards_yes", level=1)
    assert est.label == ("Yes",)


def test_instrument_codes_add_to_the_files(svy: sk.Survey) -> None:
    # user_missing=False: the codes are gone from the data, nothing left to mask
    data, meta = sk.read(SAV, user_missing=False)
    blank = sk.Survey(data, DESIGN, meta=meta)
    assert not blank.user_missing("meals9").any()
    np.testing.assert_allclose(
        blank.mean("meals9", na="drop").estimate, _flat(GOLDEN["mean_meals9"]["estimate"]), rtol=EST_RTOL
    )


def test_from_file_refuses_user_missing_false() -> None:
    with pytest.raises(sk.errors.DataError, match="user_missing must be True"):
        sk.Survey.from_file(SAV, DESIGN, user_missing=False)


def test_meta_must_be_file_meta() -> None:
    data, _ = sk.read(SAV)
    with pytest.raises(sk.errors.DataError, match="meta must be the FileMeta"):
        sk.Survey(data, DESIGN, meta={"missing": {}})


def test_labels_reach_results_with_the_bundled_questionnaire() -> None:
    # before: Estimate.label was always None with a real Instrument (wrong call, swallowed error)
    data, meta = sk.read(sk.demo_path("organisation_2018"))
    svy = sk.Survey(data, sk.Design(), sk.load_instrument("organisation_2018"), meta=meta)
    est = svy.proportion("join_intent")
    assert est.label == ("전혀 없다", "별로 없다", "약간 있다", "매우 있다")
    assert svy.value_labels("join_intent", "en")[4] != est.label[3]  # English labels on request
    assert svy.variable_label("join_intent").startswith("향후 제3섹터 공제회")
