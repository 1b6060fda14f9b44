"""The proportional-odds test when a binary fit behind it is separated (an empty cell at a cut).

A binary covariate with no respondent on one side of a cut has an infinite ML slope in that
cut's binary logit; a Wald contrast with it gave p-values like 1e-72 on the demo data. Such a
slope is left out of the test with the reason in ``po_excluded``; the well-defined test is
unchanged (tests/test_models_ordinal.py holds it to the R svyolr golden data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.models import logistic, ordinal_logistic
from surveykit.report.build import build_document
from surveykit.report.plan import load_plan


def planted(n: int = 1500, seed: int = 11) -> pd.DataFrame:
    """Proportional-odds data (x, g, z, u) with two planted empty cells: no ``z = 1`` at the
    lowest level (cut 1, low side) and no ``u = 0`` at the highest (cut 3, high side)."""
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, 60, n)
    x, g = rng.normal(size=n), rng.choice(["a", "b"], n)
    z, u = (rng.random(n) < 0.3).astype(float), (rng.random(n) < 0.85).astype(float)
    latent = 0.9 * x + 0.5 * (g == "b") + 1.5 * z + 0.8 * u + rng.logistic(size=n)
    y = np.digitize(latent, [-0.5, 0.8, 2.0]) + 1
    y_z = np.where((z == 1) & (y == 1), 2, y)
    y_u = np.where((u == 0) & (y == 4), 3, y)
    return pd.DataFrame(
        {"y": y, "y_z": y_z, "y_u": y_u, "x": x, "g": g, "z": z, "u": u, "psu": psu, "st": psu // 15,
         "w": rng.uniform(0.5, 2.5, n)}
    )  # fmt: skip


def _svy(data: pd.DataFrame) -> sk.Survey:
    return sk.Survey(data, design=sk.Design(weights="w", strata="st", ids="psu"))


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return planted()


def test_planted_empty_cell_is_left_out_with_its_reason(data):
    assert not ((data["z"] == 1) & (data["y_z"] == 1)).any()  # the planted empty cell
    res = ordinal_logistic(_svy(data), "y_z ~ x + C(g) + z")
    ex = res.po_excluded
    assert ex[["term", "cut", "threshold", "reason", "value", "side"]].to_dict("records") == [
        {"term": "z", "cut": 1, "threshold": "1|2", "reason": "empty cell", "value": 1.0, "side": "low"}
    ]
    assert ex["note"].iloc[0] == "empty cell: no respondent with z = 1 at or below '1' (cut 1, 1|2)"
    assert res.po_test.df == 2 * 3 - 1  # (q - 1) contrasts per slope, one fewer for z
    assert res.po_test.terms == ("C(g)[T.b]", "x", "z")
    assert res.po_test.p_value > 0.05 and res.recommendation is None  # no spurious rejection
    slopes = res.po_slopes.set_index("term")
    assert np.isnan(slopes.loc["z", "b (Y > 1)"]) and np.isfinite(slopes.drop(index="z").to_numpy()).all()
    assert "left out of that test" in str(res.summary()) and ex["note"].iloc[0] in str(res.summary())
    assert res.to_dict()["po_excluded"][0]["reason"] == "empty cell"


def test_other_slopes_at_the_separated_cut_are_the_ml_limit(data):
    """With z dropped, the cut-1 slopes of x and g are the fit on the z = 0 rows (the rows with
    z = 1 all lie above the cut: fitted probability 1, no influence): checked by a separate fit."""
    res = ordinal_logistic(_svy(data), "y_z ~ x + C(g) + z")
    sub = logistic(_svy(data[data["z"] == 0].assign(hi=(data["y_z"] > 1).astype(int))), "hi ~ x + C(g)")
    want = sub.coef.set_index("term")["estimate"]
    got = res.po_slopes.set_index("term")["b (Y > 1)"]
    np.testing.assert_allclose(got[["x", "C(g)[T.b]"]], want[["x", "C(g)[T.b]"]], rtol=1e-8)


def test_empty_cell_above_the_top_cut_with_the_intercept_involved(data):
    assert not ((data["u"] == 0) & (data["y_u"] == 4)).any()
    res = ordinal_logistic(_svy(data), "y_u ~ x + u")
    ex = res.po_excluded
    assert ex[["term", "cut", "reason", "value", "side"]].to_dict("records") == [
        {"term": "u", "cut": 3, "reason": "empty cell", "value": 0.0, "side": "high"}
    ]
    assert ex["note"].iloc[0] == "empty cell: no respondent with u = 0 above '3' (cut 3, 3|4)"
    assert res.po_test.df == 3 and res.po_test.p_value > 0.05 and res.recommendation is None


def test_nothing_left_to_test_is_reported_not_computable(data):
    three = data.assign(y3=np.minimum(data["y_z"], 3))  # levels 1 < 2 < 3; z only finite at cut 2
    res = ordinal_logistic(_svy(three), "y3 ~ z")
    assert res.po_test is None and res.recommendation is None
    assert res.po_excluded["term"].tolist() == ["z"]
    assert "proportional odds test not computable" in str(res.summary())
    assert np.isfinite(res.coef["se"]).all()  # the ordinal model itself stands


def test_replicate_design_leaves_the_same_slope_out(data):
    rep = sk.as_replicate(_svy(data), type="JKn")
    res = ordinal_logistic(rep, "y_z ~ x + C(g) + z")
    assert res.po_excluded["term"].tolist() == ["z"] and res.po_test.df == 5
    assert np.isfinite(res.po_test.F) and res.po_test.p_value > 0.05


def _po_texts(plan: str, lang: str) -> tuple[list[str], str]:
    """The ordinal section's body notes on the proportional-odds test, and its appendix details."""
    doc, ctx = build_document(load_plan(plan), lang=lang)
    notes = [n for s in doc.sections for b in s.blocks for n in (getattr(b, "notes", ()) or ())]
    body = [n for n in notes if "단계에서 같다는 가정" in n or "빠진 요인" in n or "every step of the scale" in n
            or "Left out of that test" in n]  # fmt: skip
    details = next(r["details"] for r in ctx.records if r.get("test") == "model_fit" and "roportional" in r["details"]
                   or r.get("test") == "model_fit" and "비례승산" in r["details"])  # fmt: skip
    return body, details


@pytest.mark.parametrize(
    ("plan", "lang", "body", "appendix"),
    [
        ("organisation_brief", "ko",
         ["요인의 연관이 척도의 모든 단계에서 같다는 가정의 검정: p = 0.218.",
          "이 가정의 검정에서 빠진 요인: 제3섹터 공제로 자금조달 경험(= 1): 응답이 '1' 이하인 응답자가 없음."],
         ["p = 0.218", "비례승산 가정 검정에서 제외: 제3섹터 공제로 자금조달 경험(= 1): '1' 이하 응답자 없음"
                       "(절단점 1|2의 빈 칸)"]),
        ("worker_brief", "en",
         ["Test of the assumption that each factor's association is the same at every step of the scale: p = 0.236.",
          "Left out of that test: Aware of third-sector mutual aid (= 1): no respondents answered at or below '1'."],
         ["p = 0.236", "Left out of the proportional-odds test: Aware of third-sector mutual aid (= 1): "
                       "no respondents at or below '1' (empty cell at cut 1|2)"]),
    ],
)  # fmt: skip
def test_demo_briefs_no_longer_reject_on_an_empty_cell(plan, lang, body, appendix):
    """Both demo briefs printed 'rejected' at p ~ 1e-72 / 1e-90 (prior_mutual, aware empty at
    the lowest intent level); the slopes fitted alone pass, and so does the test without them.
    The body says it in plain words; the appendix keeps the statistic and the cut."""
    notes, details = _po_texts(plan, lang)
    assert notes == body
    assert all(a in details for a in appendix), details
    assert not any("rejected" in n or "기각" in n for n in [*notes, details])
