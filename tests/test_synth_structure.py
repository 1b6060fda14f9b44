"""The synthetic generator's joint structure, and a seed sweep of the bundled model plans.

What the demo briefs print as an association must be either built into the generator
(``studies/safety_net_2018/effects.py``: ``DEPENDENCIES``, read through ``built_in``) or noise
that is not systematically significant across seeds.
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit import synth
from surveykit.report.plan import load_plan
from surveykit.report.prepare import _load_one
from surveykit.report.sections.model_facts import built_in_terms

SEEDS = (1, 2, 3, 4, 5)
PLANS = ("organisation_brief", "worker_brief", "combined_brief")
ALPHA = 0.05
#: a built-in term is significant in at least this many of the seeds
BUILT_IN_MIN = 4
#: a noise term is significant in at most this many of the seeds (2 of 5 happens by chance for
#: one term in ~2 %: P(Bin(5, 0.05) >= 2))
NOISE_MAX = 2
#: share of significant (noise term, seed) pairs: the nominal 5 %, with room for chance
NOISE_SHARE_MAX = 0.10


def _fit_terms(prep, spec) -> pd.DataFrame:
    formula = spec.options["formula"]
    if spec.type == "multinomial":
        fit = sk.models.multinomial(prep.analysis, formula, reference=f"{spec.options['reference']:g}")
        coef = fit.coef[fit.coef["term"] != "Intercept"]
        keys = [f"{o}:{t}" for o, t in zip(coef["outcome"], coef["term"])]
    elif spec.options["kind"] == "logistic":
        fit = sk.models.logistic(prep.analysis, formula)
        coef = fit.coef[fit.coef["term"] != "Intercept"]
        keys = list(coef["term"])
    else:
        fit = sk.models.ordinal_logistic(prep.analysis, formula)
        coef = fit.coef[~fit.coef["term"].str.contains("|", regex=False)]
        keys = list(coef["term"])
    return pd.DataFrame(
        {
            "key": keys,
            "term": list(coef["term"]),
            "p": coef["p_value"].to_numpy(),
            "estimate": coef["estimate"].to_numpy(),
        }
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("sweep")
    rows = []
    for seed in SEEDS:
        paths = {}
        for stem in ("organisation_2018", "worker_2018"):
            paths[stem] = folder / f"{stem}_{seed}.csv"
            synth.csv_frame(synth.generate(stem, seed=seed)).to_csv(paths[stem], index=False)
        for name in PLANS:
            plan = load_plan(name)
            ctx = types.SimpleNamespace(plan=plan)
            preps: dict = {}
            for n, s in sorted(plan.surveys.items(), key=lambda item: bool(item[1].link)):  # linked after its target
                preps[n] = _load_one(s, plan, paths[str(s.instrument)], preps)
            for spec in plan.sections:
                if spec.type not in ("model", "multinomial"):
                    continue
                prep = preps[spec.options["survey"]]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    terms = _fit_terms(prep, spec)
                outcome = spec.options["formula"].split("~", 1)[0].strip()
                built = built_in_terms(ctx, prep, outcome, list(terms["term"]))
                for r in terms.itertuples(index=False):
                    rows.append((name, spec.id, r.key, r.term in built, seed, r.p, r.estimate))
    return pd.DataFrame(rows, columns=["plan", "section", "key", "built_in", "seed", "p", "estimate"])


def test_every_model_section_has_a_built_in_term(sweep):
    per_section = sweep.groupby(["plan", "section"])["built_in"].any()
    assert per_section.all(), per_section[~per_section]


#: built-in terms that are dependencies but not promised effects (not in EFFECTS), so not recovered in most
#: seeds: the organisation's own intent on its workers' (LINKED_DEPENDENCIES: 0.5 on the latent, shared
#: by the few workers of each organisation)
WEAK_BUILT_IN = {"org_join_yes"}


def test_built_in_terms_are_significant_in_most_seeds(sweep):
    built = sweep[sweep["built_in"] & ~sweep["key"].isin(WEAK_BUILT_IN)]
    hits = built.groupby(["plan", "section", "key"])["p"].apply(lambda p: int((p < ALPHA).sum()))
    assert len(hits) >= 8
    assert (hits >= BUILT_IN_MIN).all(), hits[hits < BUILT_IN_MIN]


def test_the_organisations_intent_is_built_in_and_positive_in_every_seed(sweep):
    weak = sweep[sweep["key"].isin(WEAK_BUILT_IN)]
    assert len(weak) == len(SEEDS) and weak["built_in"].all()
    assert (weak["estimate"] > 0).all() and (weak["p"] < 0.10).sum() >= 3


def test_noise_terms_are_not_systematically_significant(sweep):
    noise = sweep[~sweep["built_in"]]
    hits = noise.groupby(["plan", "section", "key"])["p"].apply(lambda p: int((p < ALPHA).sum()))
    assert len(hits) >= 30
    assert (hits <= NOISE_MAX).all(), hits[hits > NOISE_MAX]
    assert (noise["p"] < ALPHA).mean() <= NOISE_SHARE_MAX
    # the issue's example: gender on the workers' intent to join is not built in, and not a finding
    female = noise[noise["key"] == "female"]
    assert len(female) >= len(SEEDS) and (female["p"] < ALPHA).sum() <= NOISE_MAX


def test_gender_is_not_built_into_intent_but_income_is_into_insurance():
    assert "gender" not in synth.built_in("worker", "join_intent")
    assert "third_sector_aware" in synth.built_in("worker_2018", "join_intent")
    assert set(synth.built_in("worker", "income_band")) >= {"gender", "employment_type", "age"}
    assert synth.built_in("worker", "service_need_loan") == {}  # no such worker item
    assert "join_intent" in synth.built_in("organisation", "service_need_welfare")  # a battery item


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return {s: synth.generate(s) for s in ("organisation_2018", "worker_2018")}


def test_product_liability_is_mostly_held_by_manufacturers(demo):
    org = demo["organisation_2018"]
    liability = org[org["coverage_type"] == 3]
    assert len(liability) == 10  # the published plan's count, unchanged
    assert (liability["industry"] == 2).mean() >= 0.6
    held = org["coverage_held"] == 1
    assert held[org["industry"] == 2].mean() > held[org["industry"] != 2].mean()


def test_income_differs_by_gender_and_employment_type(demo):
    w = demo["worker_2018"]
    income = w["income_band"]
    assert income[w["gender"] == 1].mean() - income[w["gender"] == 2].mean() > 0.2
    assert income[w["employment_type"] == 1].mean() - income[w["employment_type"] == 3].mean() > 0.7


def test_disease_worry_rises_at_50_as_the_source_states(demo):
    w = demo["worker_2018"]
    serious = w["worried_disease"].isin([1, 2, 3])
    assert serious[w["age"] >= 50].mean() > serious[w["age"] < 50].mean() + 0.1


def test_org_ids_give_plausible_organisation_sizes(demo):
    counts = demo["worker_2018"]["org_id"].value_counts()
    assert counts.max() <= 8 and 100 <= counts.size <= 186
    assert np.isin(demo["worker_2018"]["org_id"], demo["organisation_2018"]["id"]).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_every_seed_of_the_sweep_reproduces_every_published_figure(seed):
    from surveykit.studies.safety_net_2018.reproduce import reproduce

    org, worker = (synth.generate(s, seed=seed) for s in ("organisation_2018", "worker_2018"))
    assert reproduce(org, worker).all_match
