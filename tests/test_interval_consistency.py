"""One home per interval: frequency tables, multiple response and proportion give the same numbers.

``frequency(svy, v)`` is the proportion of each valid level within the domain of valid answers,
so for every interval method it must equal ``proportion`` on that domain, row for row (same
estimate, SE, df and limits). Both call :func:`surveykit.estimate.intervals.proportion_ci`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.estimate.intervals import PROPORTION_METHODS

SAV = Path(__file__).parent / "data" / "spss" / "api_missing.sav"


@pytest.fixture(scope="module")
def svy() -> sk.Survey:
    return sk.Survey.from_file(SAV, sk.Design(strata="stype_c", weights="pw", fpc="fpc"))


@pytest.fixture(scope="module")
def demo() -> sk.Survey:
    return sk.demo_survey("worker_2018")


def test_every_proportion_method_is_offered_by_the_tables() -> None:
    assert sk.tables.CI_METHODS == PROPORTION_METHODS
    assert len(PROPORTION_METHODS) == 8


@pytest.mark.parametrize("method", PROPORTION_METHODS)
def test_frequency_equals_proportion_on_the_valid_domain(svy: sk.Survey, method: str) -> None:
    freq = sk.tables.frequency(svy, "awards_yes", ci_method=method)
    valid = ~svy.user_missing("awards_yes") & svy.data["awards_yes"].notna().to_numpy()
    assert (~valid).sum() > 0  # the file declares user-missing 9 and holds NA: the domain is smaller
    prop = sk.estimate.proportion(svy.domain(valid), "awards_yes", ci_method=method, na="drop")
    rows = freq.table[freq.table["level"] == 1]  # a 0/1 column: proportion gives the share of 1
    est = prop.to_frame()
    assert len(rows) == len(est) == 1
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(rows[col].to_numpy(), est[col].to_numpy(), rtol=1e-12, atol=1e-15)
    assert freq.df == int(est["df"].iloc[0])


@pytest.mark.parametrize("method", PROPORTION_METHODS)
def test_frequency_equals_proportion_with_many_levels(demo: sk.Survey, method: str) -> None:
    var = "unemployment_reason"
    freq = sk.tables.frequency(demo, var, ci_method=method)
    valid = ~demo.user_missing(var) & demo.data[var].notna().to_numpy()
    prop = sk.estimate.proportion(demo.domain(valid), var, ci_method=method, na="drop").to_frame()
    rows = freq.table[~freq.table["missing"]]
    assert len(rows) == len(prop) >= 3
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(rows[col].to_numpy(), prop[col].to_numpy(), rtol=1e-12, atol=1e-15)


def test_wald_is_normal_and_mean_is_t_everywhere(svy: sk.Survey) -> None:
    from scipy import stats

    wald = sk.tables.frequency(svy, "awards_yes", ci_method="wald").table.iloc[0]
    mean = sk.tables.frequency(svy, "awards_yes", ci_method="mean").table.iloc[0]
    df = sk.tables.frequency(svy, "awards_yes").df
    z, t = stats.norm.ppf(0.975), stats.t.ppf(0.975, df)
    assert wald["ci_high"] - wald["estimate"] == pytest.approx(z * wald["se"], rel=1e-12)
    assert mean["ci_high"] - mean["estimate"] == pytest.approx(t * mean["se"], rel=1e-12)


@pytest.mark.parametrize("method", PROPORTION_METHODS)
def test_a_share_of_zero_is_the_same_degenerate_interval_everywhere(method: str) -> None:
    frame = pd.DataFrame({"g": [1] * 6 + [2] * 6, "y": [0, 1, 0, 1, 1, 0] + [0] * 6, "w": 1.0})
    s = sk.Survey(frame, sk.Design(weights="w"))
    prop = sk.estimate.proportion(s, "y", by="g", ci_method=method).to_frame()
    zero = prop[prop["domain"] == 2].iloc[0]
    assert (zero["estimate"], zero["ci_low"], zero["ci_high"]) == (0.0, 0.0, 0.0)
    freq = sk.tables.frequency(s.domain(frame["g"].eq(2).to_numpy()), "y", ci_method=method).table.iloc[0]
    assert (freq["estimate"], freq["ci_low"], freq["ci_high"]) == (1.0, 1.0, 1.0)
    positive = prop[prop["domain"] == 1].iloc[0]
    assert 0.0 < positive["ci_low"] < positive["estimate"] < positive["ci_high"] < 1.0 or method in ("mean", "wald")


def test_multiple_response_uses_the_same_intervals() -> None:
    frame = pd.DataFrame({"a_1": [1, 0, 1, 1, 0, 0, 1, 0], "a_2": [0, 0, 1, 0, 1, 1, 1, 0], "w": 1.0})
    s = sk.Survey(frame, sk.Design(weights="w"))
    for method in PROPORTION_METHODS:
        mr = sk.tables.multiple_response(s, ["a_1", "a_2"], ci_method=method).table
        prop = sk.estimate.proportion(s, ["a_1", "a_2"], ci_method=method).to_frame()
        np.testing.assert_allclose(mr["ci_low"].to_numpy(), prop["ci_low"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(mr["ci_high"].to_numpy(), prop["ci_high"].to_numpy(), rtol=1e-12)


def test_labels_reach_results_with_the_bundled_questionnaires() -> None:
    s = sk.demo_survey("worker_2018")
    wording = s.variable_label("medical_cost_annual")
    assert wording and "의료비" in wording
    assert s.mean("medical_cost_annual", na="drop").label == (wording,)
    q = s.quantile("medical_cost_annual", [0.25, 0.5], na="drop")
    assert q.label == (wording, wording)
    prop = s.proportion("private_insured", na="drop")
    assert prop.label == ("예", "아니오")
    freq = sk.tables.frequency(s, "private_insured")
    assert freq.table["label"].tolist()[:2] == ["예", "아니오"]
    org = sk.demo_survey("organisation_2018")
    by = org.mean(org.data.select_dtypes("number").columns[2], by=org.data.columns[1], na="drop")
    assert all(isinstance(x, str) and x for x in by.label)
