"""Synthetic microdata for the organisation questionnaire (``organisation_2018``, n = 186).

Every margin below is a plan, not a sample: published counts are fixed exactly (see
``published_figures.yaml``), unpublished categories are filled with plausible counts that keep
each printed modal category modal. Relationships come from latent scores (see
:data:`surveykit.studies.safety_net_2018.synth.EFFECTS`).
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

N = 186
YEAR = 2018

# code -> count plans (codes in questionnaire order). Published counts marked with "#".
ORG_TYPE = {1: 52, 2: 48, 3: 14, 4: 10, 5: 18, 6: 28, 7: 10, 8: 6}
# typical age (years since founding) by organisation type: NPOs oldest, social ventures youngest
TYPE_AGE = {1: 8.0, 2: 3.5, 3: 6.0, 4: 11.0, 5: 3.0, 6: 15.0, 7: 8.0, 8: 6.0}
INDUSTRY = {1: 37, 2: 26, 3: 18, 4: 17, 5: 20, 6: 14, 7: 12, 8: 11, 9: 9, 10: 7, 11: 6, 12: 9}  # 1, 2 #
REVENUE = {1: 48, 2: 67, 3: 36, 4: 29, 5: 6}  # 2 # (modal)
FULLTIME = {1: 22, 2: 30, 3: 53, 4: 42, 5: 30, 6: 9}  # 3 # (modal)
FULLTIME_RANGE = {1: (0, 0), 2: (1, 1), 3: (2, 4), 4: (5, 9), 5: (10, 29), 6: (30, 80)}
ACCIDENT_3Y = {2: 173, 1: 13}  # 1 #
ACCIDENT_TYPE = {1: 9, 2: 2, 3: 1, 4: 1}  # mostly worker injury, as printed
COVERAGE_HELD = {2: 126, 1: 60}  # 1 #
COVERAGE_TYPE = {1: 31, 2: 17, 3: 10, 4: 1, 5: 1}  # 1, 2, 3 #
GUARANTEE_USED = {2: 124, 1: 62}  # 1 #
GUARANTEE_ISSUE = {1: 31, 2: 16, 3: 9, 4: 5, 5: 1}  # 1-4 #
GUARANTEE_PROVIDER = {1: 57, 2: 2, 3: 1, 4: 2}  # 1 #
LOAN_USED = {2: 123, 1: 63}  # 1 #
LENDER = {1: 13, 2: 12, 3: 10, 4: 11, 5: 7, 6: 6, 7: 4}  # 1, 2 #
FUNDING_SOURCE = {1: 82, 2: 29, 3: 24, 4: 22, 5: 12, 6: 15, 7: 10}  # 1, 2, 3 # (selected counts)
FUNDING_ISSUE = {1: 71, 2: 24, 3: 18, 4: 14, 5: 7, 6: 52}  # 1, 6 #
JOIN_INTENT = {1: 12, 2: 48, 3: 93, 4: 33}  # 3 # (modal)
WANTED = {1: 86, 2: 24, 3: 12, 4: 16, 5: 14, 6: 22, 7: 10, 8: 2}  # 1 # (modal)
FEE = {1: 32, 2: 80, 3: 46, 4: 18, 5: 10}  # mode 2 printed
CAPITAL = {1: 48, 2: 70, 3: 35, 4: 20, 5: 13}  # mode 2 printed
JOIN_FACTOR = {1: 43, 2: 41, 3: 36, 4: 30, 5: 24, 6: 12}  # 1, 2 # (1 modal)

# Joint structure of industry and products (assumed: the source prints no cross-tabulation).
MANUFACTURING = 2
#: latent shift of holding any coverage product for a manufacturer (product liability is bought
#: by makers of products)
MANUFACTURER_COVERAGE = 1.2
#: latent shift of a workplace accident in manufacturing (2) and construction (11)
RISKY_INDUSTRY_ACCIDENT = {2: 0.8, 11: 0.8}
#: product line -> {industry: latent shift} for the coverage holders' main product: product
#: liability (3) mostly manufacturers, some food/agriculture; group accident (2) care, facility
#: management and construction
PRODUCT_LINES = {3: {2: 4.0, 4: 1.5, 10: 1.5}, 2: {5: 1.5, 9: 1.5, 11: 1.5}}

#: latent shift towards the emergency operating loan (first-choice product) for organisations
#: that took a loan in the last 3 years
LOAN_WANTS_LOAN = 1.4

# printed means and the unit they are printed in
MEANS = {
    "contracts_annual": (316.0, 1.0, 1.0),  # target, printed unit, step of the data
    "contract_amount_annual": (470_000_000.0, 10_000_000.0, 1_000_000.0),
    "accidents_annual": (0.16, 0.01, 1.0),
    "accident_amount": (7_000_000.0, 1_000_000.0, 100_000.0),
}

# item non-response shares, only on items no published figure rests on (or on means, whose
# target is hit on the answered rows)
NONRESPONSE = {
    "org_type": 0.01,
    "net_income": 0.03,
    "debt_ratio_band": 0.04,
    "paid_workers": 0.01,
    "social_insurance_all": 0.01,
    "coverage_premium_annual": 0.03,
    "retirement_pension": 0.02,
    "service_need_loan": 0.02,
    "service_need_insurance": 0.02,
    "service_need_guarantee": 0.02,
    "service_need_retirement": 0.02,
    "service_need_welfare": 0.02,
    "wanted_product_2": 0.03,
    "fee_band": 0.02,
    "capital_band": 0.02,
}
MEAN_NONRESPONSE = {
    "contracts_annual": 0.03,
    "contract_amount_annual": 0.04,
    "accidents_annual": 0.02,
    "accident_amount": 0.01,
}

BUSINESS = {
    1: "청소년 진로교육 프로그램",
    2: "친환경 생활용품 제조",
    3: "공정무역 제품 유통",
    4: "지역 식당 및 케이터링",
    5: "돌봄 서비스",
    6: "공연 기획 및 문화예술 교육",
    7: "지역 미디어 제작",
    8: "사회혁신 컨설팅",
    9: "건물 청소 및 시설관리",
    10: "도시농업 및 로컬푸드",
    11: "집수리 및 에너지 효율화",
    12: "기타 사회서비스",
}


def _general(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    c["id"] = np.arange(1, N + 1, dtype=float)
    c["org_type"] = shuffled_codes(rng, *plan_codes(ORG_TYPE))
    typical = np.vectorize(TYPE_AGE.get)(c["org_type"])
    age = np.clip(np.round(typical * np.exp(rng.normal(0.0, 0.55, N))), 0, 45)
    c["founded_year"] = YEAR - age
    c["industry"] = shuffled_codes(rng, *plan_codes(INDUSTRY))
    c["main_business"] = np.array([BUSINESS[int(i)] for i in c["industry"]], dtype=object)
    # organisation size: older organisations are larger
    size = 0.6 * np.log1p(age) + rng.normal(0.0, 0.8, N)
    c["_size"] = size
    c["revenue_band"] = by_rank(size, *plan_codes(REVENUE))
    c["fulltime_band"] = by_rank(size + rng.normal(0.0, 0.5, N), *plan_codes(FULLTIME))


def _finance(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    lo = np.vectorize(lambda b: FULLTIME_RANGE[int(b)][0])(c["fulltime_band"])
    hi = np.vectorize(lambda b: FULLTIME_RANGE[int(b)][1])(c["fulltime_band"])
    fulltime = lo + np.floor(rng.random(N) * (hi - lo + 1))
    c["paid_workers"] = fulltime + rng.poisson(1.0 + 0.4 * fulltime)
    p_profit = 1 / (1 + np.exp(-(c["_size"] - 0.8)))
    c["net_income"] = np.where(rng.random(N) < p_profit, 1.0, rng.choice([2.0, 3.0], N, p=[0.4, 0.6]))
    c["debt_ratio_band"] = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], N, p=[0.3, 0.3, 0.18, 0.14, 0.08])
    c["social_insurance_all"] = rng.choice([1.0, 2.0, 3.0], N, p=[0.8, 0.14, 0.06])
    risky = np.vectorize(lambda i: RISKY_INDUSTRY_ACCIDENT.get(int(i), 0.0))(c["industry"])
    c["accident_3y"] = by_rank(c["_size"] + risky + logistic(rng, N), *plan_codes(ACCIDENT_3Y))
    hit = c["accident_3y"] == 1
    c["accident_type"] = np.full(N, np.nan)
    c["accident_type"][hit] = shuffled_codes(rng, *plan_codes(ACCIDENT_TYPE))


def _coverage_type(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    """Main coverage product of the holders: product lines follow the industry (:data:`PRODUCT_LINES`).

    Product liability (3) goes by rank of ``PRODUCT_LINES[3][industry] + logistic`` to the
    holders most likely to make products (manufacturers first), group accident (2) likewise
    among the rest (care, facility management, construction), fire/property and other at
    random, and general liability (1) to the remaining holders; every count is the plan's.
    """
    out = np.full(industry.size, np.nan)
    free = np.ones(industry.size, dtype=bool)
    for code in (3, 2):
        boost = np.vectorize(lambda i, code=code: PRODUCT_LINES[code].get(int(i), 0.0))(industry)
        latent = np.where(free, boost + logistic(rng, industry.size), -np.inf)
        top = np.argsort(-latent, kind="stable")[: COVERAGE_TYPE[code]]
        out[top], free[top] = code, False
    rest = np.flatnonzero(free)
    out[rest] = shuffled_codes(rng, [1, 4, 5], [COVERAGE_TYPE[1], COVERAGE_TYPE[4], COVERAGE_TYPE[5]])
    return out


def _products(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    beta = EFFECTS["org_revenue_coverage"]["effect"]
    manufacturer = c["industry"] == MANUFACTURING
    latent = beta * c["revenue_band"] + MANUFACTURER_COVERAGE * manufacturer + logistic(rng, N)
    c["coverage_held"] = by_rank(latent, *plan_codes(COVERAGE_HELD))
    held = c["coverage_held"] == 1
    c["coverage_type"] = routed(held, _coverage_type(rng, c["industry"][held]))
    premium = np.round(1_500_000 * np.exp(rng.normal(0.0, 0.7, held.sum())) / 10_000) * 10_000
    c["coverage_premium_annual"] = routed(held, premium)
    c["retirement_pension"] = rng.choice([1.0, 2.0, 3.0, 4.0], N, p=[0.12, 0.38, 0.35, 0.15])
    c["guarantee_used"] = by_rank(0.5 * c["revenue_band"] + logistic(rng, N), *plan_codes(GUARANTEE_USED))
    used = c["guarantee_used"] == 1
    c["guarantee_issue"] = routed(used, shuffled_codes(rng, *plan_codes(GUARANTEE_ISSUE)))
    c["guarantee_provider"] = routed(used, shuffled_codes(rng, *plan_codes(GUARANTEE_PROVIDER)))
    c["loan_used_3y"] = by_rank(0.3 * c["revenue_band"] + logistic(rng, N), *plan_codes(LOAN_USED))
    loan = c["loan_used_3y"] == 1
    c["lender"] = routed(loan, shuffled_codes(rng, *plan_codes(LENDER)))


def _means(rng: np.random.Generator, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Contracts, amounts and accidents with their printed means; returns non-response masks."""
    size = c["_size"]
    raw = {
        "contracts_annual": np.exp(5.0 + 0.6 * size + rng.normal(0.0, 0.9, N)),
        "contract_amount_annual": np.exp(19.0 + 0.8 * size + rng.normal(0.0, 0.8, N)),
    }
    accidents = np.where(c["accident_3y"] == 1, 1.0 + rng.poisson(0.6, N), (rng.random(N) < 0.08) * 1.0)
    raw["accidents_annual"] = accidents
    skip = {v: pick_share(rng, np.ones(N, dtype=bool), share) for v, share in MEAN_NONRESPONSE.items()}
    skip["accident_amount"] |= skip["accidents_annual"]  # no cost reported without an accident count
    for var in ("contracts_annual", "contract_amount_annual", "accidents_annual"):
        target, unit, step = MEANS[var]
        c[var] = raw[var].copy()
        ok = ~skip[var]
        c[var][ok] = nudge_mean(rng, raw[var][ok], target, unit, step=step)
    amount = c["accidents_annual"] * 3_000_000 * np.exp(rng.normal(1.0, 0.6, N))
    ok = ~skip["accident_amount"]
    target, unit, step = MEANS["accident_amount"]
    c["accident_amount"] = amount
    c["accident_amount"][ok] = nudge_mean(rng, amount[ok], target, unit, step=step, only_positive=True)
    return skip


def _funding(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    """Multiple response: one rank assignment per option, favouring rows with nothing yet."""
    none_yet = np.ones(N, dtype=bool)
    loan = (c["loan_used_3y"] == 1).astype(float)
    for code, count in FUNDING_SOURCE.items():
        latent = rng.random(N) + 0.6 * none_yet + (0.8 * loan if code == 2 else 0.0)
        col = by_rank(-latent, [1.0, 0.0], [count, N - count])
        c[f"funding_source_{code}"] = col
        none_yet &= col == 0
    c["funding_issue"] = shuffled_codes(rng, *plan_codes(FUNDING_ISSUE))


def _demand(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    age_dec = (YEAR - c["founded_year"]) / 10
    latent = EFFECTS["org_age_intent"]["effect"] * age_dec + logistic(rng, N)
    c["join_intent"] = by_rank(latent, *plan_codes(JOIN_INTENT))
    for k, var in enumerate(("loan", "insurance", "guarantee", "retirement", "welfare")):
        need = 0.5 * c["join_intent"] + rng.normal(0.0, 1.0, N) + (0.6 if var == "loan" else 0.0)
        c[f"service_need_{var}"] = np.clip(np.round(need + 1.3), 1, 5)
    c["wanted_product"] = top_code(rng, LOAN_WANTS_LOAN * (c["loan_used_3y"] == 1) + logistic(rng, N), 1.0, WANTED)
    second = rng.choice(np.arange(1.0, 9.0), N)
    clash = second == c["wanted_product"]
    second[clash] = np.where(c["wanted_product"][clash] == 1, 2.0, 1.0)
    c["wanted_product_2"] = second
    c["fee_band"] = by_rank(c["_size"] + rng.normal(0.0, 1.0, N), *plan_codes(FEE))
    c["capital_band"] = by_rank(c["_size"] + rng.normal(0.0, 1.0, N), *plan_codes(CAPITAL))
    c["join_factor"] = shuffled_codes(rng, *plan_codes(JOIN_FACTOR))


def generate_org(rng: np.random.Generator, instrument: Instrument) -> pd.DataFrame:
    """Organisation microdata (codes as float64, NaN = skipped) in questionnaire column order."""
    c: dict[str, np.ndarray] = {}
    for step in (_general, _finance, _products, _funding, _demand):
        step(rng, c)
    skip = _means(rng, c)
    battery = list(instrument.batteries()["service_need"])
    unstraightline(rng, c, battery)
    frame = pd.DataFrame({col: c[col] for col in instrument.columns()})
    missing = {v: float(instrument.missing_codes(v)[0]) for v in (*NONRESPONSE, *MEAN_NONRESPONSE)}
    add_item_nonresponse(rng, frame, NONRESPONSE, missing)
    for var, rows in skip.items():
        frame.loc[rows, var] = missing[var]
    return frame
