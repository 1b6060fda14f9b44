"""The survey models recover the synthetic generator's documented effects on the demo data."""

import numpy as np
import pytest

import surveykit as sk
from surveykit.studies.safety_net_2018.synth import EFFECTS

SURVEYS = {"organisation": "organisation_2018", "worker": "worker_2018"}


def _clean_survey(survey: str) -> sk.Survey:
    """Demo data with every user-missing code set to missing (they are not answers)."""
    name = SURVEYS[survey]
    data, _meta = sk.read(sk.demo_path(name))
    inst = sk.load_instrument(name)
    for var, codes in inst.missing_map().items():
        if var in data.columns and codes:
            data[var] = data[var].where(~data[var].isin(codes))
    return sk.Survey(data, sk.Design(), inst)


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_logistic_recovers_built_in_effect(name):
    effect = EFFECTS[name]
    fit = sk.models.logistic(_clean_survey(effect["survey"]), effect["model"])
    row = fit.coef.set_index("term").loc[effect["term"]]
    # sign and significance at n = 186 / 417
    assert row["estimate"] > 0 and row["p_value"] < 0.05
    # rough size: the built-in log-odds effect lies within the 99.9% interval of the estimate
    half = row["se"] * 3.29
    assert row["estimate"] - half < effect["effect"] < row["estimate"] + half


def test_ordinal_model_recovers_organisation_age_effect():
    svy = _clean_survey("organisation")
    data = svy.data.assign(age10=(2018 - svy.data["founded_year"]) / 10)
    fit = sk.models.ordinal_logistic(sk.Survey(data, sk.Design()), "join_intent ~ age10")
    row = fit.coef.set_index("term").loc["age10"]
    assert row["estimate"] > 0 and row["p_value"] < 0.01
    assert np.isfinite(fit.coef["se"]).all()
