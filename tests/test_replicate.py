"""Replicate-weight designs against R survey 4.1-1 (tests/golden/r/replicate.R -> replicate.json).

Designs: user-supplied replicate columns (svrepdesign: combined JK1 weights, mse=TRUE, type
"other" with rscales, uncombined JKn factors), as.svrepdesign JK1/JKn (compared with surveykit's
own sk.as_replicate), BRR/Fay/bootstrap/subbootstrap from the replicate factors R drew, and
sk.as_replicate's BRR/Fay (totals, which every balanced Hadamard set gives exactly) and bootstrap
generators (distribution checks).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.errors import DataError, DesignError

HERE = Path(__file__).parent
G = json.loads((HERE / "golden" / "replicate.json").read_text())
REL = 1e-10


def close(got, want, rel=REL, abs_=0.0):
    got = np.asarray(got, dtype=float).ravel()
    want = np.asarray(want, dtype=float).ravel()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rel, atol=abs_)


def _api(name: str) -> pd.DataFrame:
    df = pd.read_csv(HERE / "data" / "api" / f"{name}.csv")
    df["yes"] = (df["sch.wide"] == "Yes").astype(float)
    return df


def clus1() -> pd.DataFrame:
    return _api("apiclus1")


def strat() -> pd.DataFrame:
    """apistrat in R's order (stype, snum) with the 100 strata of two schools ("pair")."""
    df = _api("apistrat").sort_values(["stype", "snum"], kind="stable").reset_index(drop=True)
    rank = df.groupby("stype").cumcount()
    df["pair"] = df["stype"] + " " + (rank // 2).astype(str)
    assert df["snum"].tolist() == G["pair_order"]
    return df


def with_factors(df: pd.DataFrame, file: str, prefix: str = "f") -> tuple[pd.DataFrame, list[str]]:
    f = pd.read_csv(HERE / "data" / "replicate" / file)
    assert f["snum"].tolist() == df["snum"].tolist()
    cols = [c for c in f.columns if c != "snum"]
    names = [f"{prefix}{c[1:]}" for c in cols]
    reps = pd.DataFrame(f[cols].to_numpy(), columns=names)
    return pd.concat([df.reset_index(drop=True), reps], axis=1), names


def check_all(svy: sk.Survey, g: dict, *, quantile: bool = True) -> None:
    """Every statistic of replicate.R's stats() for one design."""
    assert svy.resolved.degf == g["degf"]
    m = svy.mean(["api00", "api99"])
    close(m.estimate, g["mean"])
    close(m.se, g["mean_se"])
    close(m.deff, g["mean_deff"], rel=1e-9)
    t = svy.total("enroll")
    close(t.estimate, g["total"])
    close(t.se, g["total_se"])
    close(t.deff, g["total_deff"], rel=1e-9)
    r = svy.ratio("api00", "api99")
    close(r.estimate, g["ratio"])
    close(r.se, g["ratio_se"])
    b = svy.mean("api00", by="stype")
    assert [k for k in b.domain] == g["by_keys"]
    close(b.estimate, g["by_mean"])
    close(b.se, g["by_mean_se"])
    close(b.df, g["by_degf"])
    bt = svy.total("enroll", by="stype")
    close(bt.estimate, g["by_total"])
    close(bt.se, g["by_total_se"])
    br = svy.ratio("api00", "api99", by="stype")
    close(br.estimate, g["by_ratio"])
    close(br.se, g["by_ratio_se"])
    for method, want in g["ciprop"].items():
        p = svy.proportion("yes", ci_method=method)
        # "logit": R's estimate and limits come from quasibinomial svyglm fits, one per replicate
        # (IRLS stopped at R's epsilon 1e-8, a few 1e-10 from the exact logit of the mean)
        tol = dict(rel=0, abs_=1e-8) if method == "logit" else {}
        close(p.estimate, want["estimate"], **tol)
        close(p.se, g["prop_se"])
        close([p.ci_low[0], p.ci_high[0]], want["ci"], **tol)
    if not quantile:
        return
    probs = [0.25, 0.5, 0.9]
    q = svy.quantile("api00", probs)
    want = g["quantile"]["mean"]
    for key in ("estimate", "ci_low", "ci_high", "se"):
        close(getattr(q, key), want[key])
    if "quantile" in g["quantile"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q = svy.quantile("api00", probs, interval="quantile")
        for key in ("estimate", "ci_low", "ci_high", "se"):
            close(getattr(q, key), g["quantile"]["quantile"][key])
    for interval, want in (g.get("woodruff") or {}).items():
        q = svy.quantile("api00", probs, interval=interval)
        close(q.ci_low, want["ci_low"])
        close(q.ci_high, want["ci_high"])


# --- user-supplied replicate columns (svrepdesign) ---------------------------------------------


def jk1_columns() -> pd.DataFrame:
    df, names = with_factors(clus1(), "jk1.csv", "rw")
    for n in names:
        df[n] = df[n] * df["pw"]  # combined weights, as replicate.R's weights(rclus1, "analysis")
    return df


def test_user_combined_jk1_matches_r():
    svy = sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15))
    check_all(svy, G["user"]["combined"])


def test_user_combined_mse_matches_r():
    svy = sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15, mse=True))
    check_all(svy, G["user"]["combined_mse"])


def test_user_other_with_rscales_matches_r():
    rs = np.round(np.arange(0.5, 1.95, 0.1), 10)
    svy = sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", [f"rw{j}" for j in range(1, 16)], type="other",
                                                       scale=0.5, rscales=rs))  # fmt: skip
    close(svy.resolved.rscales, G["user"]["other"]["rscales"])
    check_all(svy, G["user"]["other"])


def test_user_uncombined_jkn_guesses_rscales_as_r():
    # R's uncombined JKn factors (0, 1 or n_h/(n_h-1)); R guesses rscales = 1/max(column)
    g = G["user"]["uncombined_jkn"]
    df, names = with_factors(strat(), "jkn.csv")
    with pytest.warns(sk.SurveykitWarning, match="rscales"):
        svy = sk.Survey(df, sk.ReplicateDesign("pw", r"^f\d+$", type="JKn", combined_weights=False))
    close(svy.resolved.rscales, g["rscales"])
    check_all(svy, g)


# --- replicate factors R generated (BRR, Fay, bootstrap, subbootstrap) --------------------------


@pytest.mark.parametrize("kind,file,extra", [
    ("BRR", "brr.csv", {}), ("Fay", "fay.csv", {"fay_rho": 0.5}),
    ("bootstrap", "bootstrap.csv", {}), ("subbootstrap", "subbootstrap.csv", {}),
])  # fmt: skip
def test_r_replicate_factors_match_r(kind, file, extra):
    g = G["as_replicate"][kind.lower()]
    df, names = with_factors(strat(), file)
    scale = {} if kind in ("BRR", "Fay") else {"scale": g["scale"]}
    svy = sk.Survey(df, sk.ReplicateDesign("pw", names, type=kind, combined_weights=False, **scale, **extra))
    close(svy.resolved.scale, g["scale"])
    check_all(svy, g)
