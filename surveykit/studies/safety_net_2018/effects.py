"""What the synthetic generator builds in: the one home of built-in effects.

:data:`EFFECTS` are the relationships the demo data promise (each recovered by an unweighted
logistic model at p < 0.05 at the default seed, and in most seeds of the seed sweep);
:data:`DEPENDENCIES` lists every direct dependency of the generator, those effects included.
Everything not listed is drawn independently, so an association a model finds between two
unlinked columns is noise of the synthetic data. The brief's model sections read
:func:`built_in` to say which of their terms were built in. ``docs/synthetic.md`` explains the
assumptions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EFFECTS", "DEPENDENCIES", "LINKED_DEPENDENCIES", "built_in"]

#: Built-in relationships: ``name -> {survey, model, effect}``. ``model`` is a statsmodels
#: formula on the generated columns (unweighted logistic unless stated); ``effect`` is the
#: log-odds coefficient built into the latent score (standard-logistic noise, so the latent
#: slope is the logistic slope of a dichotomy cut at a fixed rank). ``term`` names the
#: coefficient in the fitted model. Tests and the models engineer read this table.
#:
#: :data:`DEPENDENCIES` lists every direct dependency the generator builds in, the effects below
#: included; everything else is drawn independently.
EFFECTS: dict[str, dict[str, Any]] = {
    "org_age_intent": {
        "survey": "organisation",
        "model": "I((join_intent >= 3) * 1) ~ I((2018 - founded_year) / 10)",
        "term": "I((2018 - founded_year) / 10)",
        "effect": 0.9,
        "en": "older organisations more willing to join: log-odds of intent >= 3 per 10 years of age",
    },
    "org_revenue_coverage": {
        "survey": "organisation",
        "model": "I((coverage_held == 1) * 1) ~ revenue_band",
        "term": "revenue_band",
        "effect": 0.6,
        "en": "larger organisations more often hold coverage products: per revenue band",
    },
    "worker_age50_worry": {
        "survey": "worker",
        "model": "I(worried_disease.isin([1, 2, 3]) * 1) ~ I(age >= 50) + I(occupation == 4)",
        "term": "I(age >= 50)[T.True]",
        "effect": 1.2,
        "en": "disease worry higher among workers aged 50+: log-odds of worrying most about a serious disease (cancer, cardio- or cerebrovascular) rather than a minor one or none (ordered latent: none < minor < serious)",
    },
    "worker_sales_worry": {
        "survey": "worker",
        "model": "I(worried_disease.isin([1, 2, 3]) * 1) ~ I(age >= 50) + I(occupation == 4)",
        "term": "I(occupation == 4)[T.True]",
        "effect": 1.0,
        "en": "disease worry higher among sales/service workers (same outcome and latent as above)",
    },
    "worker_unemployed_benefit": {
        "survey": "worker",
        "model": "I((wanted_product == 1) * 1) ~ I(unemployed_3y == 1)",
        "term": "I(unemployed_3y == 1)[T.True]",
        "effect": 1.3,
        "en": "unemployment in the last 3 years -> wanting the unemployment-benefit product",
    },
    "worker_aware_intent": {
        "survey": "worker",
        "model": "I((join_intent >= 3) * 1) ~ I(third_sector_aware == 1)",
        "term": "I(third_sector_aware == 1)[T.True]",
        "effect": 1.4,
        "en": "awareness of third-sector mutual aid -> intent to join (data: aware rows, code 9 dropped)",
    },
    "worker_income_private": {
        "survey": "worker",
        "model": "I((private_insured == 1) * 1) ~ income_band",
        "term": "income_band",
        "effect": 0.6,
        "en": "private insurance held rises with income: per income band",
    },
}


#: Every direct dependency the generator builds in: ``(survey, outcome, inputs, note)``, where
#: ``outcome`` and ``inputs`` are generated columns and ``note`` gives the latent slope. The one
#: home of "what is built in": the tests, the seed sweep and the brief's model sections
#: (:func:`built_in`) read it. Any association between two columns not linked here (directly or
#: through a chain of these) is noise of the synthetic data. The "source:" notes are what the
#: 2018 brief states; the rest are assumptions chosen to be plausible.
DEPENDENCIES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    # organisations
    (
        "organisation",
        "founded_year",
        ("org_type",),
        "typical age by type: non-profits oldest, social ventures youngest",
    ),
    ("organisation", "revenue_band", ("founded_year",), "one size score: 0.6 log(1 + age)"),
    ("organisation", "fulltime_band", ("founded_year", "revenue_band"), "the same size score plus noise"),
    ("organisation", "paid_workers", ("fulltime_band",), "full-time staff plus part-timers"),
    ("organisation", "net_income", ("revenue_band",), "size score -> profit"),
    ("organisation", "accident_3y", ("revenue_band", "industry"), "size 1.0; manufacturing and construction 0.8"),
    (
        "organisation",
        "coverage_held",
        ("revenue_band", "industry"),
        "revenue band 0.6 (built-in effect); manufacturer 1.2",
    ),
    (
        "organisation",
        "coverage_type",
        ("industry",),
        "product liability 4.0 for manufacturers; group accident 1.5 for care, facilities, construction",
    ),
    ("organisation", "guarantee_used", ("revenue_band",), "0.5 per revenue band"),
    ("organisation", "loan_used_3y", ("revenue_band",), "0.3 per revenue band"),
    (
        "organisation",
        "funding_source_2",
        ("loan_used_3y",),
        "loan users borrow from commercial banks (0.8 on a uniform score)",
    ),
    (
        "organisation",
        "join_intent",
        ("founded_year",),
        "source: older organisations more willing to join; 0.9 per 10 years",
    ),
    ("organisation", "service_need_loan", ("join_intent",), "0.5 per intent point (every service_need item)"),
    ("organisation", "wanted_product", ("loan_used_3y",), "loan users want the emergency loan (1.4)"),
    ("organisation", "fee_band", ("revenue_band",), "size score"),
    ("organisation", "capital_band", ("revenue_band",), "size score"),
    ("organisation", "contracts_annual", ("revenue_band",), "size score"),
    ("organisation", "accidents_annual", ("accident_3y",), "an accident in 3 years -> accidents per year"),
    # workers
    ("worker", "career_years", ("age",), "a share of the years since 22"),
    (
        "worker",
        "income_band",
        ("age", "career_years", "gender", "employment_type"),
        "age 0.04/yr, career 0.05/yr; women -0.5; fixed-term -0.6, part-time -1.5, freelance -0.8",
    ),
    (
        "worker",
        "unemployed_3y",
        ("employment_type", "age"),
        "fixed-term, part-time, freelance 0.9; -0.03 per year of age",
    ),
    ("worker", "unemployment_hardship", ("unemployment_months",), "0.1 per month unemployed"),
    ("worker", "chronic_disease", ("age",), "aged 50+ 0.2 more likely"),
    (
        "worker",
        "worried_disease",
        ("age", "occupation"),
        "source: worry higher at 50+ (1.2) and in sales/service (1.0)",
    ),
    ("worker", "medical_cost_annual", ("chronic_disease",), "2.5 times with a chronic disease"),
    ("worker", "ins_employment", ("employment_type",), "freelance/owner and part-time less often insured"),
    ("worker", "ins_health", ("employment_type",), "freelance/owner less often insured (pension, accident alike)"),
    ("worker", "private_insured", ("income_band",), "0.6 per income band (built-in effect)"),
    ("worker", "premium_monthly", ("income_band", "private_product_1"), "products held and income"),
    ("worker", "mutual_aid_member", ("career_years",), "0.05 per year of career"),
    ("worker", "third_sector_aware", ("mutual_aid_member", "career_years"), "members 3.0; 0.04 per year of career"),
    (
        "worker",
        "join_intent",
        ("third_sector_aware", "mutual_aid_member", "org_id"),
        "aware 1.4 (built-in effect), members 0.5, a shared shift per organisation",
    ),
    (
        "worker",
        "wanted_product",
        ("unemployed_3y", "employment_type"),
        "unemployed 1.3 and precarious 0.4 -> unemployment benefit",
    ),
    ("worker", "fee_band", ("income_band",), "income band plus noise"),
    ("worker", "capital_band", ("income_band",), "income band plus noise"),
    ("worker", "org_id", ("org_id",), "workers of larger organisations sampled more often"),
)


#: Dependencies across the two surveys, through the worker's ``org_id``: ``(survey, outcome,
#: other survey, inputs there, note)``. The ``org_id`` input of the worker's join intent in
#: :data:`DEPENDENCIES` is this shift; a linked analysis (``sk.link``) sees it as a dependency on
#: the organisation's own answer.
LINKED_DEPENDENCIES: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    (
        "worker",
        "join_intent",
        "organisation",
        ("join_intent",),
        "an organisation that itself intends to join (3 or 4) shifts its workers' latent intent by 0.5, "
        "plus a shift of sd 0.5 shared by its workers",
    ),
)

_NAMES = {"organisation_2018": "organisation", "worker_2018": "worker"}


def built_in(survey: str, outcome: str, inputs_of: str | None = None) -> dict[str, str]:
    """Direct inputs of ``outcome`` in the generator of ``survey`` -> the note on how (``{}``: none).

    ``survey`` is ``"organisation"`` or ``"worker"`` (or an instrument name such as
    ``"worker_2018"``). Battery items share their first item's entry (``service_need_*``,
    ``ins_*``). Read from :data:`DEPENDENCIES`; with ``inputs_of`` another survey, the inputs in
    that survey (its columns attached by ``sk.link``), read from :data:`LINKED_DEPENDENCIES`.
    """
    survey = _NAMES.get(survey, survey)
    if inputs_of is not None and _NAMES.get(inputs_of, inputs_of) != survey:
        other = _NAMES.get(inputs_of, inputs_of)
        return {
            column: note
            for s, o, o_survey, inputs, note in LINKED_DEPENDENCIES
            if (s, o, o_survey) == (survey, outcome, other)
            for column in inputs
        }
    family = {
        "service_need_": "service_need_loan",
        "ins_national_pension": "ins_health",
        "ins_industrial_accident": "ins_health",
    }
    key = next((v for k, v in family.items() if outcome.startswith(k)), outcome)
    out: dict[str, str] = {}
    for s, o, inputs, note in DEPENDENCIES:
        if s == survey and o == key and o not in inputs:
            out.update(dict.fromkeys(inputs, note))
    return out
