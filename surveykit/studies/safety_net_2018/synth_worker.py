"""Synthetic microdata for the worker questionnaire (``worker_2018``, n = 417).

Plans of exact margins (published counts marked ``#``) plus latent scores for the relationships
in :data:`surveykit.studies.safety_net_2018.synth.EFFECTS`. Demographics are drawn first so the later answers can
depend on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from surveykit.studies.safety_net_2018.synth import (
    EFFECTS,
    add_item_nonresponse,
    by_rank,
    logistic,
    nudge_mean,
    pick_share,
    plan_codes,
    routed,
    shuffled_codes,
    top_code,
    unstraightline,
)

if TYPE_CHECKING:
    from surveykit.instrument import Instrument

N = 417

INCOME = {1: 50, 2: 125, 3: 125, 4: 67, 5: 50}
OCCUPATION = {1: 50, 2: 104, 3: 117, 4: 75, 5: 38, 6: 21, 7: 12}  # 4 = sales/service
EMPLOYMENT = {1: 229, 2: 75, 3: 33, 4: 42, 5: 25, 6: 13}
UNEMPLOYED = {2: 299, 1: 118}  # 1 #
REASON = {1: 52, 2: 25, 3: 15, 4: 10, 5: 12, 6: 4}  # 1 # (modal)
HARDSHIP = {4: 8, 3: 27, 2: 48, 1: 35}  # 1+2 = 83 # (low latent -> not hard)
# disease worry, by rank of the latent: no particular worry (8) lowest, then the less serious
# diseases, then the serious ones (cancer, cardio-, cerebrovascular) highest
WORRY_NONE = {8: 80}
WORRY_MINOR = {4: 65, 5: 48, 6: 42, 7: 14}
WORRY_SERIOUS = {1: 83, 2: 52, 3: 33}  # 1 # (modal)
EMERGENCY = {1: 152, 2: 70, 3: 55, 4: 50, 5: 45, 6: 20, 7: 25}  # 1 # (modal)
SOCIAL_THREE = {2: 15, 1: 402}  # 1 # for each of pension, health, industrial accident
EMPLOYMENT_INS = {2: 61, 1: 356}  # 1 #
PRIVATE = {2: 71, 1: 346}  # 1 #
PRODUCTS = {1: 270, 2: 208, 3: 162, 4: 105, 5: 80, 6: 95, 7: 70, 8: 15}  # 1-4 # (of all 417)
UNINSURED_REASON = {1: 27, 2: 26, 3: 8, 4: 5, 5: 4, 6: 1}  # 1, 2 #
MEMBER = {2: 393, 1: 24}  # 1 #
AWARE = {2: 337, 1: 77}  # 2 # of the 414 who answered; 3 answered code 9
AWARE_NONRESPONSE = 3
JOIN_INTENT = {1: 27, 2: 113, 3: 200, 4: 77}  # 3 # (modal)
WANTED = {
    1: 153,
    2: 64,
    3: 59,
    4: 45,
    5: 30,
    6: 40,
    7: 20,
    8: 6,
}  # 1 # (modal): the top of the latent; others at random
FEE = {1: 85, 2: 155, 3: 105, 4: 52, 5: 20}  # mode 2 printed
CAPITAL = {1: 95, 2: 140, 3: 110, 4: 45, 5: 27}  # mode 2 printed
JOIN_FACTOR = {1: 120, 2: 110, 3: 70, 4: 60, 5: 35, 6: 22}

# Income structure (assumed, as in Korean wage statistics: the source prints no cross-tabulation):
#: latent income gap of women (normal noise sd 0.8 on the latent of the income band)
INCOME_FEMALE = 0.5
#: latent income gap by employment type against permanent employees
INCOME_EMPLOYMENT = {1: 0.0, 2: 0.6, 3: 1.5, 4: 0.8, 5: 0.2, 6: 0.6}

MEANS = {  # target, printed unit, data step
    "unemployment_months": (9.0, 1.0, 1.0),
    "premium_monthly": (180_000.0, 10_000.0, 1_000.0),
}
MEAN_NONRESPONSE = {"unemployment_months": 0.02, "premium_monthly": 0.03}
NONRESPONSE = {
    "unemployment_count": 0.02,
    "unemployment_preparation": 0.02,
    "unemployment_living_cost": 0.02,
    "chronic_disease": 0.01,
    "medical_cost_annual": 0.03,
    "policy_cancelled": 0.02,
    "claim_received": 0.02,
    "ins_factor_premium": 0.02,
    "ins_factor_coverage": 0.02,
    "ins_factor_trust": 0.02,
    "ins_factor_payout": 0.02,
    "ins_factor_refund": 0.02,
    "wanted_product_2": 0.03,
    "fee_band": 0.02,
    "capital_band": 0.02,
    "join_factor": 0.01,
    "gender": 0.01,
    "career_years": 0.02,
    "household_type": 0.01,
    "employment_type": 0.01,
}


#: paid workers assumed for an organisation whose count is a missing code
UNKNOWN_SIZE = 2
#: most respondents one organisation contributes (a survey recruits a few workers per organisation)
MAX_PER_ORG = 8
#: latent shift of a worker's join intent shared by the workers of one organisation: ``ORG_INTENT``
#: when the organisation itself intends to join (intent >= 3) plus normal noise of sd ``ORG_NOISE``
ORG_INTENT, ORG_NOISE = 0.5, 0.5


def _employer(rng: np.random.Generator, c: dict[str, np.ndarray], organisations: pd.DataFrame) -> None:
    """``org_id``: each worker fills one paid post of a synthetic organisation of the same seed.

    The 417 workers are drawn without replacement from the organisations' paid posts
    (``paid_workers``, :data:`UNKNOWN_SIZE` where it is a missing code; at most
    :data:`MAX_PER_ORG` posts per organisation), so larger organisations employ more respondents
    and none has more respondents than paid workers. Workers of one
    organisation share a latent shift of their join intent (:data:`ORG_INTENT`, :data:`ORG_NOISE`).
    """
    ids = organisations["id"].to_numpy(dtype=float)
    size = organisations["paid_workers"].to_numpy(dtype=float)
    size = np.where(np.isfinite(size) & (size < 9999), size, UNKNOWN_SIZE)
    size = np.minimum(size, MAX_PER_ORG).astype(int)
    posts = np.repeat(np.arange(ids.size), size)
    employer = rng.choice(posts, N, replace=False)
    c["org_id"] = ids[employer]
    org_shift = ORG_INTENT * (organisations["join_intent"].to_numpy() >= 3) + rng.normal(0.0, ORG_NOISE, ids.size)
    c["_org_shift"] = org_shift[employer]


def _demographics(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    c["id"] = np.arange(1, N + 1, dtype=float)
    c["gender"] = rng.choice([1.0, 2.0], N, p=[0.44, 0.56])
    c["age"] = np.clip(np.round(rng.normal(40.0, 11.0, N)), 21, 72)
    c["career_years"] = np.clip(np.round((c["age"] - 22) * rng.beta(2.0, 3.0, N)), 0, 50)
    c["employment_type"] = shuffled_codes(rng, *plan_codes(EMPLOYMENT))
    pay_gap = np.vectorize(lambda e: INCOME_EMPLOYMENT[int(e)])(c["employment_type"])
    latent = 0.04 * c["age"] + 0.05 * c["career_years"] - INCOME_FEMALE * (c["gender"] == 2) - pay_gap
    c["income_band"] = by_rank(latent + rng.normal(0.0, 0.8, N), *plan_codes(INCOME))
    c["household_type"] = rng.choice(np.arange(1.0, 7.0), N, p=[0.25, 0.15, 0.35, 0.05, 0.17, 0.03])
    c["occupation"] = shuffled_codes(rng, *plan_codes(OCCUPATION))


def _unemployment(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    precarious = np.isin(c["employment_type"], [2.0, 3.0, 4.0])
    c["unemployed_3y"] = by_rank(0.9 * precarious - 0.03 * (c["age"] - 40) + logistic(rng, N), *plan_codes(UNEMPLOYED))
    u = c["unemployed_3y"] == 1
    k = int(u.sum())
    c["unemployment_count"] = routed(u, np.minimum(1 + rng.poisson(0.5, k), 20))
    months = np.clip(np.round(rng.gamma(2.0, 4.5, k)), 1, 36)
    c["_months"] = routed(u, months)
    c["unemployment_reason"] = routed(u, shuffled_codes(rng, *plan_codes(REASON)))
    c["unemployment_preparation"] = routed(u, rng.choice([1.0, 2.0, 3.0, 4.0], k, p=[0.3, 0.4, 0.25, 0.05]))
    c["unemployment_living_cost"] = routed(u, rng.choice(np.arange(1.0, 7.0), k, p=[0.3, 0.3, 0.2, 0.1, 0.07, 0.03]))
    hard = by_rank(0.1 * months + logistic(rng, k), *plan_codes(HARDSHIP))
    c["unemployment_hardship"] = routed(u, hard)


def _health(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    old = (c["age"] >= 50).astype(float)
    c["chronic_disease"] = np.where(rng.random(N) < 0.1 + 0.2 * old, 1.0, 2.0)
    beta_age = EFFECTS["worker_age50_worry"]["effect"]
    beta_sales = EFFECTS["worker_sales_worry"]["effect"]
    worry = beta_age * old + beta_sales * (c["occupation"] == 4) + logistic(rng, N)
    groups = (WORRY_NONE, WORRY_MINOR, WORRY_SERIOUS)
    level = by_rank(worry, [0.0, 1.0, 2.0], [sum(g.values()) for g in groups])
    disease = np.empty(N)
    for k, group in enumerate(groups):
        disease[level == k] = shuffled_codes(rng, *plan_codes(group))
    c["worried_disease"] = disease
    cost = np.round(30 * np.exp(rng.normal(0.0, 0.9, N)) * (1 + 1.5 * (c["chronic_disease"] == 1)))
    c["medical_cost_annual"] = np.clip(cost, 0, 10000)
    c["emergency_fund_need"] = shuffled_codes(rng, *plan_codes(EMERGENCY))


def _insurance(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    outside = np.isin(c["employment_type"], [4.0, 5.0]).astype(float)
    base = 2.0 * outside + rng.normal(0.0, 1.0, N)
    for var in ("ins_national_pension", "ins_health", "ins_industrial_accident"):
        c[var] = by_rank(-(base + rng.normal(0.0, 0.3, N)), *plan_codes(SOCIAL_THREE))
    c["ins_employment"] = by_rank(
        -(base + 1.0 * (c["employment_type"] == 3) + rng.normal(0.0, 0.5, N)), *plan_codes(EMPLOYMENT_INS)
    )
    beta = EFFECTS["worker_income_private"]["effect"]
    c["private_insured"] = by_rank(beta * c["income_band"] + logistic(rng, N), *plan_codes(PRIVATE))
    insured = c["private_insured"] == 1
    none_yet = np.ones(N, dtype=bool)
    for code, count in PRODUCTS.items():
        latent = rng.random(N) + 2.0 * none_yet
        latent[~insured] = -np.inf
        col = by_rank(-latent, [1.0, 0.0], [count, N - count])
        c[f"private_product_{code}"] = routed(insured, col[insured])
        none_yet &= col == 0
    c["_n_products"] = np.nansum([c[f"private_product_{k}"] for k in PRODUCTS], axis=0)
    k = int(insured.sum())
    c["policy_cancelled"] = routed(insured, rng.choice([1.0, 2.0], k, p=[0.3, 0.7]))
    c["claim_received"] = routed(insured, rng.choice([1.0, 2.0], k, p=[0.45, 0.55]))
    c["uninsured_reason"] = routed(~insured, shuffled_codes(rng, *plan_codes(UNINSURED_REASON)))
    for var in ("premium", "coverage", "trust", "payout", "refund"):
        c[f"ins_factor_{var}"] = np.clip(np.round(3.8 + rng.normal(0.0, 0.9, N)), 1, 5)


def _mutual_aid(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    c["mutual_aid_member"] = by_rank(0.05 * c["career_years"] + logistic(rng, N), *plan_codes(MEMBER))
    member = (c["mutual_aid_member"] == 1).astype(float)
    answered = np.ones(N, dtype=bool)
    answered[rng.choice(np.flatnonzero(member == 0), AWARE_NONRESPONSE, replace=False)] = False
    aware = np.full(N, 9.0)
    latent = 3.0 * member + 0.04 * c["career_years"] + logistic(rng, N)
    aware[answered] = by_rank(latent[answered], *plan_codes(AWARE))
    c["third_sector_aware"] = aware
    beta = EFFECTS["worker_aware_intent"]["effect"]
    latent = beta * (aware == 1) + 0.5 * member + c["_org_shift"] + logistic(rng, N)
    c["join_intent"] = by_rank(latent, *plan_codes(JOIN_INTENT))
    beta = EFFECTS["worker_unemployed_benefit"]["effect"]
    precarious = np.isin(c["employment_type"], [2.0, 3.0, 4.0])
    wanted = beta * (c["unemployed_3y"] == 1) + 0.4 * precarious + logistic(rng, N)
    c["wanted_product"] = top_code(rng, wanted, 1.0, WANTED)
    second = rng.choice(np.arange(1.0, 9.0), N)
    clash = second == c["wanted_product"]
    second[clash] = np.where(c["wanted_product"][clash] == 1, 2.0, 1.0)
    c["wanted_product_2"] = second
    c["fee_band"] = by_rank(c["income_band"] + rng.normal(0.0, 1.5, N), *plan_codes(FEE))
    c["capital_band"] = by_rank(c["income_band"] + rng.normal(0.0, 1.5, N), *plan_codes(CAPITAL))
    c["join_factor"] = shuffled_codes(rng, *plan_codes(JOIN_FACTOR))


def _means(rng: np.random.Generator, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Unemployment months and monthly premium at their printed means; returns non-response masks."""
    asked = {"unemployment_months": c["unemployed_3y"] == 1, "premium_monthly": c["private_insured"] == 1}
    raw = {
        "unemployment_months": c["_months"],
        "premium_monthly": 50_000 * (1 + c["_n_products"]) * np.exp(0.15 * c["income_band"] + rng.normal(0, 0.4, N)),
    }
    skip = {}
    for var, (target, unit, step) in MEANS.items():
        skip[var] = pick_share(rng, asked[var], MEAN_NONRESPONSE[var])
        ok = asked[var] & ~skip[var]
        c[var] = routed(asked[var], raw[var][asked[var]])
        high = 36.0 if var == "unemployment_months" else 5_000_000.0
        c[var][ok] = nudge_mean(rng, raw[var][ok], target, unit, step=step, low=step, high=high)
    return skip


def generate_worker(rng: np.random.Generator, instrument: Instrument, organisations: pd.DataFrame) -> pd.DataFrame:
    """Worker microdata (codes as float64, NaN = skipped) in questionnaire column order.

    ``organisations`` is the synthetic organisation data of the same seed; ``org_id`` links each
    worker to one of its rows (:func:`_employer`).
    """
    c: dict[str, np.ndarray] = {}
    _employer(rng, c, organisations)
    for step in (_demographics, _unemployment, _health, _insurance, _mutual_aid):
        step(rng, c)
    skip = _means(rng, c)
    for battery in instrument.batteries().values():
        unstraightline(rng, c, list(battery))
    frame = pd.DataFrame({col: c[col] for col in instrument.columns()})
    missing = {v: float(instrument.missing_codes(v)[0]) for v in (*NONRESPONSE, *MEAN_NONRESPONSE)}
    add_item_nonresponse(rng, frame, NONRESPONSE, missing)
    for var, rows in skip.items():
        frame.loc[rows, var] = missing[var]
    return frame
