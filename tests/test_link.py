"""sk.link: organisation variables attached to workers, organisations as PSUs (golden: R survey)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.errors import DataError, DesignError

ROOT = Path(__file__).resolve().parent
GOLDEN = json.loads((ROOT / "golden" / "link.json").read_text())
TOL = 1e-8


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    workers = pd.read_csv(ROOT / "data" / "link" / "workers.csv")
    orgs = pd.read_csv(ROOT / "data" / "link" / "organisations.csv")
    workers = workers.assign(
        insured=(workers["private_insured"] == 1) * 1.0,
        join_yes=(workers["join_intent"] >= 3) * 1.0,
        age10=workers["age"] / 10,
    )
    orgs = orgs.assign(age10=(2018 - orgs["founded_year"]) / 10)
    return workers, orgs


def _linked(case: str) -> sk.Survey:
    workers, orgs = _frames()
    design = sk.Design(weights="w") if case == "weighted" else sk.Design()
    return sk.link(sk.Survey(workers, design), orgs, on=("org_id", "id"), prefix="org_")


@pytest.mark.parametrize("case", ["equal", "weighted"])
def test_worker_ses_equal_r_svydesign_ids_org_id(case):
    gold = GOLDEN[case]
    svy = _linked(case)
    assert svy.resolved.n_psu_total == gold["n_psu"] and svy.resolved.degf == gold["degf"]
    age = svy.mean("age")
    assert abs(age.estimate[0] - gold["mean_age"]) < TOL and abs(age.se[0] - gold["se_age"]) < TOL
    rev = svy.mean("org_revenue_band")
    assert abs(rev.estimate[0] - gold["mean_org_revenue"]) < TOL
    assert abs(rev.se[0] - gold["se_org_revenue"]) < TOL
    p = svy.proportion("insured")
    assert abs(p.estimate[0] - gold["prop_insured"]) < TOL and abs(p.se[0] - gold["se_insured"]) < TOL
    assert np.allclose([p.ci_low[0], p.ci_high[0]], gold["ci_insured"], rtol=0, atol=TOL)
    fit = sk.models.logistic(svy, "join_yes ~ age10 + org_age10 + org_revenue_band", firth=False)
    coef = fit.coef.set_index("term")
    assert list(coef.index) == ["Intercept", "age10", "org_age10", "org_revenue_band"]
    assert np.allclose(coef["estimate"], gold["logit_coef"], rtol=0, atol=TOL)
    assert np.allclose(coef["se"], gold["logit_se"], rtol=0, atol=TOL)


def test_clustering_changes_the_ses_against_independent_workers():
    workers, orgs = _frames()
    flat = sk.Survey(workers).mean("age").se[0]
    assert _linked("equal").mean("age").se[0] != pytest.approx(flat, rel=1e-6)


def test_linked_survey_keeps_worker_order_design_and_labels():
    workers = sk.demo_survey("worker_2018")
    orgs = sk.demo_survey("organisation_2018")
    linked = sk.link(workers, orgs, on=("org_id", "id"), columns=["org_type", "paid_workers"], prefix="org_")
    assert linked.n == workers.n and linked.data["id"].tolist() == workers.data["id"].tolist()
    assert linked.design.ids == ("org_id",)
    by_id = orgs.data.set_index("id")["org_type"]
    assert np.allclose(linked.data["org_org_type"], by_id.loc[linked.data["org_id"]].to_numpy(), equal_nan=True)
    # the organisation questionnaire's labels and user-missing codes travel with the variable
    assert linked.value_labels("org_org_type") == orgs.value_labels("org_type")
    assert linked.variable_label("org_paid_workers") == orgs.variable_label("paid_workers")
    assert 9999 in linked.missing_codes("org_paid_workers")
    assert (
        linked.user_missing("org_paid_workers").sum()
        == orgs.user_missing("paid_workers")[pd.Index(orgs.data["id"]).get_indexer(linked.data["org_id"])].sum()
    )
    # the worker questionnaire still labels the worker variables
    assert linked.value_labels("join_intent") == workers.value_labels("join_intent")


def test_demo_workers_link_to_every_organisation_id_they_name():
    workers = sk.demo_survey("worker_2018")
    orgs = sk.demo_survey("organisation_2018")
    assert workers.data["org_id"].isin(orgs.data["id"]).all()
    per_org = workers.data["org_id"].value_counts()
    paid = orgs.data.set_index("id")["paid_workers"]
    assert (per_org <= paid.loc[per_org.index].where(paid < 9999, np.inf)).all()  # no more respondents than posts


def test_unmatched_worker_ids_are_named_with_rows():
    workers, orgs = _frames()
    workers.loc[[3, 10], "org_id"] = 9001
    with pytest.raises(DataError, match=r"9001 on worker rows 4, 11 match no 'id'"):
        sk.link(workers, orgs, on=("org_id", "id"), prefix="org_")


def test_missing_worker_id_is_named():
    workers, orgs = _frames()
    workers.loc[5, "org_id"] = np.nan
    with pytest.raises(DataError, match=r"missing on worker row 6"):
        sk.link(workers, orgs, on=("org_id", "id"), prefix="org_")


def test_duplicate_organisation_ids_are_named():
    workers, orgs = _frames()
    orgs.loc[1, "id"] = orgs.loc[0, "id"]
    with pytest.raises(DataError, match=r"one organisation per row; 1 occur more than once \(organisation rows 1, 2\)"):
        sk.link(workers, orgs, on=("org_id", "id"), prefix="org_")


def test_conflicting_column_names_are_named():
    workers, orgs = _frames()
    with pytest.raises(DataError, match=r"'age10' is already a worker column.*prefix='org_'"):
        sk.link(workers, orgs, on=("org_id", "id"))
    with pytest.raises(DataError, match="column 'revnue_band' must be a column of the organisation data"):
        sk.link(workers, orgs, on=("org_id", "id"), columns=["revnue_band"])


def test_bad_on_and_unknown_id_column():
    workers, orgs = _frames()
    with pytest.raises(DataError, match="on must be a column name"):
        sk.link(workers, orgs, on=("org_id",))  # type: ignore[arg-type]
    with pytest.raises(DataError, match="id column 'org' must be a column of the worker data"):
        sk.link(workers, orgs, on=("org", "id"))


def test_designs_that_cannot_be_reclustered_are_refused():
    workers, orgs = _frames()
    svy = sk.Survey(workers)
    with pytest.raises(DesignError, match="changed by domain"):
        sk.link(svy.domain("age > 30"), orgs, on=("org_id", "id"), prefix="org_")
    with pytest.raises(DesignError, match="already has clusters id"):
        sk.link(sk.Survey(workers, sk.Design(ids="id")), orgs, on=("org_id", "id"), prefix="org_")


def test_link_result_is_usable_by_every_verb():
    svy = _linked("weighted")
    assert svy.frequency("org_org_type").to_frame().shape[0] >= 2
    ct = svy.crosstab("join_yes", "org_revenue_band")
    assert np.isfinite(ct.test().p_value) and ct.test().ddf == pytest.approx(ct.test().ndf * svy.resolved.degf)
    fit = sk.models.ordinal_logistic(svy, "join_intent ~ age10 + org_age10")
    assert fit.df_resid < svy.resolved.degf  # df from the 154 organisations, not 417 workers
