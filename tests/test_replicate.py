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
    for method, want in g["by_extra"]["ciprop"].items():  # svyby(..., svyciprop): each domain its own degf
        p = svy.proportion("yes", by="stype", ci_method=method)
        tol = dict(rel=0, abs_=1e-8) if method == "logit" else {}
        close(p.estimate, want["estimate"], **tol)
        close(p.ci_low, want["ci_low"], **tol)
        close(p.ci_high, want["ci_high"], **tol)
    for interval, want in g["by_extra"]["quantile"].items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q = svy.quantile("api00", 0.5, by="stype", interval=interval)
        close(q.estimate, want["estimate"])
        close(q.ci_low, want["ci_low"])
        close(q.ci_high, want["ci_high"])
    f = svy.frequency("stype").table
    close(f["estimate"], g["freq"])
    close(f["se"], g["freq_se"], abs_=1e-12)  # 0 up to rounding where stype is the stratum
    close(f["weighted_n"], g["freq_total"])
    close(f["weighted_n_se"], g["freq_total_se"], abs_=1e-8)
    # the table's logit interval is the delta method on logit(p): R's "xlogit"
    close(np.column_stack([f["ci_low"], f["ci_high"]]), g["freq_xlogit"])
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


# --- sk.as_replicate against as.svrepdesign -----------------------------------------------------


def test_as_replicate_jk1_cluster_fpc_matches_r():
    svy = sk.as_replicate(sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw", fpc="fpc")), type="JK1")
    g = G["as_replicate"]["jk1"]
    close(svy.resolved.scale, g["scale"])
    assert svy.resolved.n_replicates == 15
    check_all(svy, g)


def test_as_replicate_jk1_mse_matches_r():
    svy = sk.as_replicate(sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw", fpc="fpc")), type="JK1", mse=True)
    check_all(svy, G["as_replicate"]["jk1_mse"])


@pytest.mark.parametrize("key,fpc", [("jkn", "fpc"), ("jkn_nofpc", None)])
def test_as_replicate_jkn_stratified_matches_r(key, fpc):
    svy = sk.as_replicate(sk.Survey(strat(), sk.Design(strata="stype", weights="pw", fpc=fpc)), type="JKn")
    g = G["as_replicate"][key]
    close(svy.resolved.rscales, g["rscales"])
    check_all(svy, g)


def test_as_replicate_jk1_factors_are_rs():
    svy = sk.as_replicate(sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw", fpc="fpc")), type="JK1")
    f = pd.read_csv(HERE / "data" / "replicate" / "jk1.csv").drop(columns="snum").to_numpy()
    close(svy.resolved.repweights, f * clus1()["pw"].to_numpy()[:, None])


@pytest.mark.parametrize("kind,rho", [("BRR", 0.0), ("Fay", 0.5)])
def test_as_replicate_brr_fay_totals_match_r(kind, rho):
    """Totals (overall and by domain) are linear in the weights: any fully balanced Hadamard set
    gives R's variance exactly, whatever the order of the matrix (R: 104 here, surveykit: 104)."""
    base = sk.Survey(strat(), sk.Design(ids="snum", strata="pair", weights="pw"))
    svy = sk.as_replicate(base, type=kind, fay_rho=rho if kind == "Fay" else None)
    g = G["as_replicate"][kind.lower()]
    rd = svy.resolved
    assert rd.n_replicates == len(g["rscales"])
    close(rd.scale, g["scale"])
    assert rd.degf == g["degf"]
    t = svy.total("enroll")
    close(t.se, g["total_se"])
    close(svy.total("enroll", by="stype").se, g["by_total_se"])
    # and the Taylor variance of a total with two PSUs per stratum, as BRR theory says
    close(t.se, base.total("enroll").se)


def test_hadamard_orders_are_hadamard():
    from surveykit.design.replicate_build import hadamard

    for size in (1, 2, 4, 8, 12, 20, 24, 104, 128):
        h = hadamard(size)
        close(h @ h.T, size * np.eye(size))
    with pytest.raises(ValueError):
        hadamard(6)


@pytest.mark.parametrize("kind", ["bootstrap", "subbootstrap"])
def test_bootstrap_generators_have_the_documented_moments(kind):
    """Per PSU, the replicate factor has mean 1 and variance 1 - 1/n_h (bootstrap: n_h draws with
    replacement) or 1 (subbootstrap: n_h - 1 draws, times n_h/(n_h - 1))."""
    df = strat()
    svy = sk.as_replicate(sk.Survey(df, sk.Design(strata="stype", weights="pw")), type=kind, replicates=4000, seed=1)
    f = svy.resolved.repweights / df["pw"].to_numpy()[:, None]
    n_h = df.groupby("stype")["snum"].transform("size").to_numpy()
    per_stratum = pd.DataFrame(f).groupby(df["stype"].to_numpy()).sum().to_numpy()
    # draws are of n_h (or n_h - 1, rescaled) PSUs: every replicate's factors sum to n_h in each stratum
    close(per_stratum, np.repeat(np.array([100.0, 50.0, 50.0])[:, None], 4000, axis=1))
    want_var = 1 - 1 / n_h if kind == "bootstrap" else np.ones(len(df))
    se_mean = np.sqrt(want_var / 4000)
    assert np.all(np.abs(f.mean(axis=1) - 1) < 5 * se_mean)
    assert abs(f.var(axis=1, ddof=1).mean() / want_var.mean() - 1) < 0.02
    # reproducible from the seed; another seed gives other draws
    again = sk.as_replicate(sk.Survey(df, sk.Design(strata="stype", weights="pw")), type=kind, replicates=4000, seed=1)
    close(again.resolved.repweights, svy.resolved.repweights)
    other = sk.as_replicate(sk.Survey(df, sk.Design(strata="stype", weights="pw")), type=kind, replicates=4000, seed=2)
    assert not np.allclose(other.resolved.repweights, svy.resolved.repweights)
    scale = {"bootstrap": 1 / np.mean(1 / np.array([100, 50, 50])), "subbootstrap": None}[kind]
    want_scale = scale / ((scale - 1) * 3999) if scale else 1 / 3999
    close(svy.resolved.scale, want_scale)


def test_bootstrap_with_fpc_draws_without_replacement():
    """With an fpc, n_h PSUs are drawn without replacement from N_h copies of the sample (R
    bootstratum: each PSU floor or ceil(N_h/n_h) times): a PSU with K copies has factor mean
    n K / N and variance n (K/N)(1 - K/N)(N - n)/(N - 1); every replicate's factors sum to n_h."""
    df = strat()
    svy = sk.as_replicate(sk.Survey(df, sk.Design(strata="stype", weights="pw", fpc="fpc")), type="bootstrap",
                          replicates=4000, seed=5)  # fmt: skip
    f = svy.resolved.repweights / df["pw"].to_numpy()[:, None]
    for h, (nh, bign) in {"E": (100, 4421), "H": (50, 755), "M": (50, 1018)}.items():
        rows = df["stype"].to_numpy() == h
        extra = bign % nh  # PSUs with ceil(N/n) copies; the others have floor(N/n)
        var = [nh * (k / bign) * (1 - k / bign) * (bign - nh) / (bign - 1) for k in (bign // nh, bign // nh + 1)]
        want = ((nh - extra) * var[0] + extra * var[1]) / nh
        assert abs(f[rows].var(axis=1, ddof=1).mean() / want - 1) < 0.03
        assert abs(f[rows].mean() - 1) < 1e-12  # the factors of a stratum sum to n_h in every replicate


def test_bootstrap_variance_is_close_to_taylor():
    df = strat()
    base = sk.Survey(df, sk.Design(strata="stype", weights="pw"))
    boot = sk.as_replicate(base, type="bootstrap", replicates=3000, seed=7)
    ratio = boot.mean("api00").se[0] / base.mean("api00").se[0]
    assert 0.95 < ratio < 1.05


# --- errors ----------------------------------------------------------------------------------------


def test_bad_type_names_the_choices():
    with pytest.raises(DesignError, match=r"type must be one of .*'JK1'.*got 'JK2'. Did you mean 'JKn', 'JK1'\?"):
        sk.ReplicateDesign("pw", ["rw1"], type="JK2")


def test_pattern_matching_nothing_names_pattern_and_closest_columns():
    with pytest.raises(
        DesignError,
        match=r"pattern '\^repw\\\\d\+\$' must match at least one column.*matches none"
        r"\. Closest columns: 'pw', 'rw9'.*numbered columns: rw1\.\.rw15 \(15 columns\)",
    ):
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^repw\d+$", type="JK1", scale=0.9))
    with pytest.raises(
        DesignError, match=r"Ignoring case it would match 'rw1', 'rw2', 'rw3', 'rw4', 'rw5' \(\+10 more\)"
    ):
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^RW\d+$", type="JK1", scale=0.9))
    with pytest.raises(DesignError, match=r"replicate weight column 'rw99' must be in the data.*rw9"):
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", ["rw1", "rw99"], type="JK1", scale=0.9))


def test_replicate_weights_with_nan_name_column_and_rows():
    df = jk1_columns()
    df.loc[[3, 7], "rw2"] = np.nan
    with pytest.raises(DesignError, match=r"replicate weight column 'rw2' must have no missing.*got 2 \(rows 4, 8\)"):
        sk.Survey(df, sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=0.9))


def test_wrong_rscales_length_and_bad_options():
    with pytest.raises(DesignError, match=r"rscales must have one value per replicate \(15\) or a single value; got 3"):
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="other", scale=1, rscales=[1, 1, 1]))
    with pytest.raises(DesignError, match="type='Fay' needs fay_rho"):
        sk.ReplicateDesign("pw", ["rw1"], type="Fay")
    with pytest.raises(DesignError, match="scale must be a positive number; got -1"):
        sk.ReplicateDesign("pw", ["rw1"], type="other", scale=-1)
    with pytest.raises(DesignError, match="type='JKn' with combined weights needs rscales="):
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JKn"))
    with pytest.raises(DesignError, match="replicate_weights must be a list of column names or one pattern"):
        sk.ReplicateDesign("pw", [], type="JK1")


def test_replicate_design_refuses_taylor_only_analyses_and_reweighting():
    svy = sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15))
    with pytest.raises(DesignError, match="can only be restricted to a domain"):
        svy.with_weights(svy.weights * 2)
    with pytest.raises(DesignError, match='ci_method="likelihood" is not available on replicate'):
        svy.proportion("yes", ci_method="likelihood")
    taylor = sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw"))
    with pytest.raises(DesignError, match='interval="quantile" needs a replicate-weight design'):
        taylor.quantile("api00", interval="quantile")


def test_as_replicate_errors():
    clus = sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw"))
    st = sk.Survey(strat(), sk.Design(strata="stype", weights="pw"))
    with pytest.raises(DesignError, match="type='JK1' is for unstratified designs"):
        sk.as_replicate(st, type="JK1")
    with pytest.raises(DesignError, match="type='JKn' needs a stratified design"):
        sk.as_replicate(clus, type="JKn")
    with pytest.raises(DesignError, match="BRR and Fay need exactly 2 PSUs in every stratum; stratum 'E' has 100"):
        sk.as_replicate(st, type="BRR")
    with pytest.raises(DesignError, match="type must be one of .*'bootstrap'.*got 'boot'"):
        sk.as_replicate(st, type="boot")
    with pytest.raises(DesignError, match="replicates= is only used by the bootstrap types"):
        sk.as_replicate(clus, type="JK1", replicates=10)
    rep = sk.as_replicate(clus, type="JK1")
    with pytest.raises(DesignError, match="already has replicate weights"):
        sk.as_replicate(rep)


def test_domain_of_replicate_design_matches_by():
    svy = sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15))
    g = G["user"]["combined"]
    dom = svy.domain(svy.data["stype"].to_numpy() == "H")
    m = dom.mean("api00")
    close(m.estimate, [g["by_mean"][1]])
    close(m.se, [g["by_mean_se"][1]])
    assert dom.resolved.degf == g["by_degf"][1]
    assert "replicate weights (JK1, 15 replicates)" in m.method


CROSS = [
    ("user jk1", lambda: sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15)),
     G["user"]["combined"]),
    ("user jk1 mse", lambda: sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1",
                                                                         scale=14 / 15, mse=True)),
     G["user"]["combined_mse"]),
    ("as_replicate jkn", lambda: sk.as_replicate(sk.Survey(strat(), sk.Design(strata="stype", weights="pw",
                                                                              fpc="fpc")), type="JKn"),
     G["as_replicate"]["jkn"]),
]  # fmt: skip


@pytest.mark.parametrize("name,make,g", CROSS, ids=[c[0] for c in CROSS])
def test_crosstab_on_replicate_designs_matches_svychisq(name, make, g):
    """Cell, row and column shares recomputed per replicate (R svymean / svyby), Rao-Scott F and
    Chisq on the replicate covariance of the cell shares, Wald on that of the totals (svychisq)."""
    ct = make().crosstab("stype", "sch.wide")
    want = g["crosstab"]
    tab = ct.table
    close(tab["cell"], want["cell"])
    close(tab["cell_se"], want["cell_se"], abs_=1e-13)
    close(tab["row_se"], want["row_se"], abs_=1e-13)
    close(tab["col_se"], want["col_se"], abs_=1e-13)
    tests = {t.name: t for t in ct.tests}
    close(tests["F"].statistic, want["F"]["statistic"], rel=1e-9)
    close([tests["F"].ndf, tests["F"].ddf], want["F"]["parameter"], rel=1e-9)
    close(tests["F"].p_value, want["F"]["p_value"], rel=1e-8)
    close(tests["Chisq"].statistic, want["Chisq"]["statistic"], rel=1e-9)
    close(tests["Chisq"].p_value, want["Chisq"]["p_value"], rel=1e-8)
    close(tests["Wald"].statistic, want["Wald"]["statistic"], rel=1e-9)
    close([tests["Wald"].ndf, tests["Wald"].ddf], want["Wald"]["parameter"])
    close(tests["Wald"].p_value, want["Wald"]["p_value"], rel=1e-8)
    assert ct.df == g["degf"]


def test_user_sdr_matches_r():
    svy = sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="SDR"))
    g = G["user"]["sdr"]
    close(svy.resolved.scale, g["scale"])  # 4 / R
    check_all(svy, g)


def test_no_weights_means_equal_weights_with_a_warning_as_r():
    with pytest.warns(sk.SurveykitWarning, match="equal full-sample weights assumed"):
        svy = sk.Survey(jk1_columns(), sk.ReplicateDesign(None, r"^rw\d+$", type="JK1", scale=14 / 15))
    m = svy.mean("api00")
    close(m.estimate, G["noweights"]["mean"])
    close(m.se, G["noweights"]["se"])
    assert svy.resolved.degf == G["noweights"]["degf"]


def test_na_drop_on_replicate_design_is_the_answered_rows():
    df = jk1_columns()
    df.loc[[0, 10, 20], "api00"] = np.nan
    design = sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15)
    svy = sk.Survey(df, design)
    with pytest.raises(DataError, match=r"variable 'api00' must have no missing values for mean\(\); got 3"):
        svy.mean("api00")
    kept = sk.Survey(df.dropna(subset=["api00"]), design)  # R: svymean(na.rm = TRUE) subsets the design
    for verb in ("mean", "total"):
        got, want = getattr(svy, verb)("api00", na="drop"), getattr(kept, verb)("api00")
        close(got.estimate, want.estimate)
        close(got.se, want.se)
        close(got.df, want.df)
    close(svy.mean("api00", by="stype", na="drop").se, kept.mean("api00", by="stype").se)


def test_degf_from_distinct_rows_is_the_rank_of_all_rows():
    """degf uses one row per distinct replicate-weight direction: the same rank as the whole
    matrix (numpy's SVD rank), for the design, its domains, in any order of computation."""
    from surveykit.design.replicate import rank_degf

    rng = np.random.default_rng(3)
    base = sk.Survey(strat(), sk.Design(strata="stype", weights="pw"))
    for svy in (
        sk.as_replicate(base, type="JKn"),
        sk.as_replicate(base, type="bootstrap", replicates=30, seed=3),
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15)),
    ):
        rd = svy.resolved
        stype = svy.data["stype"].to_numpy()
        dom = svy.domain(stype == "H")  # a domain first: its keys are shared with the design
        assert dom.resolved.degf == np.linalg.matrix_rank(rd.repweights[stype == "H"]) - 1
        assert rd.degf == np.linalg.matrix_rank(rd.repweights) - 1
        for _ in range(5):
            rows = rng.random(rd.n) < 0.3
            assert rank_degf(rd.repweights, rows, rd.row_keys) == np.linalg.matrix_rank(rd.repweights[rows]) - 1
    noisy = rng.uniform(0.5, 1.5, size=(50, 20))  # no repeated rows: every row is used
    assert rank_degf(noisy, None, np.arange(50.0)) == 19


def test_as_replicate_two_stage_keeps_first_stage_fpc_as_r():
    base = sk.Survey(_api("apiclus2"), sk.Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]))
    with pytest.warns(sk.SurveykitWarning, match="after the first stage are dropped"):
        svy = sk.as_replicate(base, type="JK1")
    g = G["clus2_jk1"]
    close(svy.resolved.scale, g["scale"])
    m = svy.mean("api00")
    close(m.estimate, g["mean"])
    close(m.se, g["se"])
    assert svy.resolved.degf == g["degf"]


@pytest.mark.parametrize("policy", ["remove", "adjust", "average", "certainty"])
def test_as_replicate_jkn_lonely_psu_policies_match_r(policy):
    df = clus1()
    df["lstr"] = np.where(df["dnum"] == 716, "lone", np.where(df["dnum"] < 400, "a", "b"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = sk.Survey(df, sk.Design(ids="dnum", strata="lstr", weights="pw", lonely_psu=policy))
    svy = sk.as_replicate(base, type="JKn")
    g = G["lonely_jkn"][policy]
    close(svy.resolved.scale, g["scale"])
    close(np.sort(svy.resolved.rscales), np.sort(g["rscales"]))
    m = svy.mean("api00")
    close(m.estimate, g["mean"])
    close(m.se, g["se"])
    assert svy.resolved.degf == g["degf"]


def test_segment_stability_refuses_a_replicate_design():
    """The PSU bootstrap of segment stability needs PSUs; a replicate design would be resampled
    row by row without a word, so it is refused (segments themselves still work)."""
    svy = sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15))
    with pytest.raises(sk.DesignError, match=r"segment stability resamples the PSUs .* Pass stability_reps=0"):
        sk.segments.fit(svy, ["api00", "ell"], k=2, stability_reps=5)
    seg = sk.segments.fit(svy, ["api00", "ell"], k=2, stability_reps=0)
    assert seg.k == 2 and not seg.publishable
