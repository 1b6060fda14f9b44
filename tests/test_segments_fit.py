"""sk.segments.fit: choice of k on planted data, k-prototypes, shares, names, predict, messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score

import surveykit as sk
from surveykit.errors import DataError
from surveykit.io import FileMeta
from surveykit.segments import criteria as crit_mod


def survey(frame: pd.DataFrame, meta: FileMeta | None = None) -> sk.Survey:
    frame = frame.copy()
    n = len(frame)
    frame["w"] = frame.get("w", np.random.default_rng(9).uniform(1, 3, n))
    frame["psu"] = np.arange(n) // 5
    frame["st"] = np.arange(n) // 40
    return sk.Survey(frame, sk.Design(weights="w", strata="st", ids="psu"), meta=meta)


def four_clusters(seed: int = 0, n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    """Four clusters of unequal size, two of them close: the weighted silhouette alone picks 3."""
    rng = np.random.default_rng(seed)
    g = rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])
    centres = np.array([[0, 0], [4.5, 0], [12, 0], [12, 7]], float)
    x = centres[g] + rng.normal(size=(n, 2))
    frame = pd.DataFrame(x, columns=["a", "b"])
    frame["w"] = rng.uniform(1, 3, n)
    return frame, g


@pytest.fixture(scope="module")
def four() -> tuple[sk.segments.SegmentFit, np.ndarray, sk.Survey]:
    frame, g = four_clusters()
    svy = survey(frame)
    return sk.segments.fit(svy, ["a", "b"], random_state=1, stability_reps=20, n_init=5), g, svy


def test_auto_k_picks_the_planted_four_where_silhouette_alone_picks_three(four) -> None:
    res, g, svy = four
    old = sk.segments.segments(svy, ["a", "b"], seed=1, stability_reps=0, n_init=5)
    assert old.k == 3  # the old rule (silhouette only)
    crit = res.criteria
    choice = {c: int(crit.loc[crit[f"{c}_choice"], "k"].iloc[0]) for c in ("calinski_harabasz", "silhouette", "gap")}
    assert choice == {"calinski_harabasz": 4, "silhouette": 3, "gap": 4}
    assert res.k == 4 and crit["k"].tolist() == [2, 3, 4, 5, 6]
    assert adjusted_rand_score(g, res.labels.to_numpy(int)) >= 0.9
    assert res.chosen_by.startswith("lower median") and bool(crit.loc[crit["k"] == 4, "stability_choice"].iloc[0])
    assert res.publishable and "ARI" in res.reason


def test_weighted_calinski_harabasz_equals_sklearn_for_equal_weights() -> None:
    frame, _ = four_clusters(seed=3)
    z = frame[["a", "b"]].to_numpy()
    labels = np.unique((z[:, 0] > 6).astype(int) + 2 * (z[:, 1] > 3.5), return_inverse=True)[1].ravel()
    k = int(labels.max()) + 1
    got = crit_mod.calinski_harabasz(z, np.full(len(z), 2.5), labels, k)
    assert got == pytest.approx(calinski_harabasz_score(z, labels), rel=1e-12)


def test_integer_weights_equal_repeated_rows_in_calinski_harabasz() -> None:
    frame, _ = four_clusters(seed=4, n=120)
    z = frame[["a", "b"]].to_numpy()
    labels = (z[:, 0] > 6).astype(int)
    reps = np.random.default_rng(1).integers(1, 4, len(z))
    # mean-1 weights: B and W scale alike; the df n - k counts rows (n here, sum(reps) repeated)
    n, m = len(z), reps.sum()
    weighted = crit_mod.calinski_harabasz(z, reps.astype(float), labels, 2) * (m - 2) / (n - 2)
    assert weighted == pytest.approx(calinski_harabasz_score(np.repeat(z, reps, 0), np.repeat(labels, reps)), rel=1e-10)


def test_k_on_the_edge_extends_the_range_once_and_says_so() -> None:
    rng = np.random.default_rng(5)
    g = rng.integers(0, 7, 560)
    centres = np.array([[10 * np.cos(a), 10 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 7, endpoint=False)])
    frame = pd.DataFrame(centres[g] + rng.normal(scale=0.6, size=(560, 2)), columns=["a", "b"])
    res = sk.segments.fit(survey(frame), ["a", "b"], stability_reps=0, n_init=3)
    assert res.criteria["k"].tolist() == list(range(2, 10))
    assert res.k == 7
    assert "the range was extended once to 9" in res.notes[0]
    given = sk.segments.fit(survey(frame), ["a", "b"], k=range(2, 5), stability_reps=0, n_init=3)
    assert given.k == 4 and any("upper edge of the range" in note for note in given.notes)


def test_unstable_segmentation_is_not_publishable() -> None:
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    res = sk.segments.fit(survey(frame), ["a", "b", "c"], k=5, stability_reps=20, n_init=3)
    assert not res.publishable
    assert res.reason.startswith(f"mean bootstrap ARI {res.stability.mean_ari:.2f} < 0.6")
    skipped = sk.segments.fit(survey(frame), ["a", "b", "c"], k=2, stability_reps=0, n_init=3)
    assert not skipped.publishable and skipped.reason == "stability was not assessed (stability_reps=0)"


def test_shares_are_svy_proportion_logit_and_never_leave_zero_one() -> None:
    rng = np.random.default_rng(7)
    g = np.where(rng.uniform(size=300) < 0.99, 0, 1)  # a 1% segment: a normal interval goes below 0
    frame = pd.DataFrame({"a": np.where(g == 1, 20.0, 0.0) + rng.normal(size=300), "b": rng.normal(size=300)})
    svy = survey(frame)
    res = sk.segments.fit(svy, ["a", "b"], k=2, stability_reps=0, n_init=3)
    shares = res.shares
    assert ((shares["ci_low"] > 0) & (shares["ci_high"] < 1)).all()
    assert shares["estimate"].sum() == pytest.approx(1.0, abs=1e-12)
    seg = res.labels.astype(float).to_numpy()
    want = svy.assign(g=seg).proportion("g", na="drop", ci_method="logit").to_frame()
    np.testing.assert_allclose(
        shares[["estimate", "se", "ci_low", "ci_high"]], want[["estimate", "se", "ci_low", "ci_high"]], rtol=1e-14
    )
    small = shares.iloc[1]
    assert small["estimate"] - 1.96 * small["se"] < 0 < small["ci_low"]  # where the old normal CI fails
    assert shares["n"].tolist() == [int((seg == 1).sum()), int((seg == 2).sum())]


def mixed_frame(n: int = 450, seed: int = 8) -> tuple[pd.DataFrame, np.ndarray, FileMeta]:
    """Three segments: insured & unwilling, uninsured & willing, uninsured & unwilling, plus income."""
    rng = np.random.default_rng(seed)
    g = rng.choice(3, n, p=[0.45, 0.35, 0.2])
    insured = np.where(rng.uniform(size=n) < 0.92, np.array([1, 2, 2])[g], np.array([2, 1, 1])[g])
    intent = np.where(rng.uniform(size=n) < 0.9, np.array([1, 4, 1])[g], 2)
    income = np.array([4.0, 2.0, 0.0])[g] + rng.normal(scale=0.5, size=n)
    frame = pd.DataFrame({"insured": insured.astype(float), "intent": intent.astype(float), "income": income})
    frame.loc[rng.choice(n, 6, replace=False), "intent"] = 9.0  # user-missing "don't know"
    from surveykit.io.meta import MissingSpec

    meta = FileMeta(
        path="x.sav",
        format="sav",
        n_rows=n,
        columns=tuple(frame.columns),
        variable_labels={"insured": "보험", "intent": "가입 의향", "income": "소득"},
        value_labels={
            "insured": {1: "보험 가입", 2: "보험 미가입"},
            "intent": {1: "가입 의향 없음", 2: "가입 의향 낮음", 4: "가입 의향 높음", 9: "모름"},
        },
        missing={"intent": MissingSpec(values=(9,))},
    )
    return frame, g, meta


@pytest.fixture(scope="module")
def mixed() -> tuple[sk.segments.SegmentFit, np.ndarray, sk.Survey]:
    frame, g, meta = mixed_frame()
    svy = survey(frame, meta)
    res = sk.segments.fit(
        svy,
        ["insured", "intent", "income"],
        method="kprototypes",
        k=3,
        categorical=["insured", "intent"],
        stability_reps=10,
        n_init=3,
    )
    return res, g, svy


def test_kprototypes_recovers_mixed_segments_and_never_uses_user_missing_codes(mixed) -> None:
    pytest.importorskip("kmodes")
    res, g, svy = mixed
    ok = res.labels.notna().to_numpy()
    assert res.n_unassigned == 6 and not ok[svy.user_missing("intent")].any()
    assert adjusted_rand_score(g[ok], res.labels[ok].to_numpy(int)) >= 0.9
    levels = res.profiles.loc[res.profiles["variable"] == "intent", "level"].unique().tolist()
    assert 9 not in levels and 9.0 not in levels


def test_names_come_from_the_most_distinguishing_value_labels(mixed) -> None:
    res, g, svy = mixed
    seg_of = {int(np.bincount(res.labels[g == t].dropna().to_numpy(int)).argmax()): t for t in range(3)}
    by_truth = {seg_of[s]: name for s, name in zip(res.shares["segment"], res.shares["name_ko"])}
    assert by_truth[1] == "가입 의향 높음·보험 미가입"  # intent distinguishes this segment most
    assert by_truth[0].startswith("보험 가입") or by_truth[0].startswith("소득 높음")
    assert len(set(res.names["en"])) == 3 and res.names["ko"] == res.shares["name_ko"].tolist()


def test_predict_round_trip_and_new_respondents(mixed) -> None:
    res, _, svy = mixed
    assert res.predict(svy).equals(res.labels)
    assert res.predict(svy.data).equals(res.labels)  # the survey's user-missing code 9 is masked
    new = pd.DataFrame(
        {"insured": [2.0, 1.0, 2.0, 7.0], "intent": [4.0, 1.0, 9.0, 1.0], "income": [2.0, 4.0, 2.0, 1.0]}
    )
    got = res.predict(new)
    assert got.iloc[2] is pd.NA and got.iloc[3] is pd.NA  # user-missing; a level never seen
    assert got.iloc[0] != got.iloc[1]
    with pytest.raises(DataError, match="new data must have the segmentation input 'income'"):
        res.predict(new.drop(columns="income"))


def test_missing_category_and_impute_keep_every_row() -> None:
    frame, _, meta = mixed_frame(seed=11)
    svy = survey(frame, meta)
    dk = svy.user_missing("intent")
    cat = sk.segments.fit(svy, ["insured", "intent"], method="lca", k=2, missing="category", stability_reps=0, n_init=3)
    assert cat.n_assigned == len(frame) and cat.n_unassigned == 0
    assert cat._method.inputs.levels["intent"] == (1, 2, 4, "(missing)")
    exclude = sk.segments.fit(svy, ["insured", "intent"], method="lca", k=2, stability_reps=0, n_init=3)
    assert exclude.n_assigned == len(frame) - dk.sum() and exclude.labels[dk].isna().all()
    imp = sk.segments.fit(
        svy,
        ["insured", "intent", "income"],
        method="kmeans",
        k=3,
        missing="impute",
        categorical=["insured", "intent"],
        stability_reps=0,
        n_init=3,
    )
    assert imp.n_assigned == len(frame)
    valid = ~dk
    w = svy.weights
    modes = pd.Series(w[valid]).groupby(frame["intent"].to_numpy()[valid]).sum()
    assert imp._method.inputs.fill["intent"] == int(modes.idxmax())


def test_worker_survey_200_bootstrap_refits() -> None:
    """200 PSU-bootstrap refits (their time is measured in benchmarks/bench_segments.py, not here)."""
    svy = sk.demo_survey("worker_2018")
    items = ["ins_employment", "private_insured", "third_sector_aware", "join_intent"]
    res = sk.segments.fit(svy, items, method="lca", k=3, stability_reps=200, n_init=3)
    assert res.stability.reps == 200 and len(res.stability.ari) == 200
    assert 0 <= res.stability.mean_ari <= 1 and res.stability.mean_ari == pytest.approx(
        float(np.mean(res.stability.ari))
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "pam"}, "method"),
        ({"missing": "drop"}, "missing"),
        ({"k": 1}, "k must be a whole number >= 2, a range or 'auto'; got 1."),
        ({"k": "many"}, "k"),
        ({"k": [1, 2]}, "k must be a whole number >= 2, a range or 'auto'; got \\[1, 2\\]"),
        ({"method": "kprototypes", "k": 2}, "method='kprototypes' needs both numeric and categorical inputs"),
        ({"n_init": 0}, "n_init must be a whole number >= 1; got 0."),
        ({"min_ari": 2}, "min_ari must be a number between -1 and 1"),
        ({"profile_vars": ["bb"]}, "variable 'bb' must be a column of the survey data"),
        ({"alpha": 5}, "alpha must be a number between 0 and 1"),
        ({"lang": "fr"}, "lang"),
    ],
)
def test_messages(kwargs: dict, message: str) -> None:
    frame, _ = four_clusters(n=80)
    kwargs = {"stability_reps": 0, "n_init": 2, **kwargs}
    with pytest.raises(DataError, match=message):
        sk.segments.fit(survey(frame), ["a", "b"], **kwargs)


def test_unknown_input_and_all_missing_messages() -> None:
    frame, _ = four_clusters(n=80)
    with pytest.raises(DataError, match="variable 'aa' must be a column of the survey data; it is not.*'a'"):
        sk.segments.fit(survey(frame), ["aa", "b"], stability_reps=0)
    with pytest.raises(DataError, match="variable 'c' must have observed values among the rows being segmented"):
        sk.segments.fit(survey(frame.assign(c=np.nan)), ["a", "c"], stability_reps=0)
    with pytest.raises(DataError, match="new_data must be a pandas DataFrame or a Survey; got list"):
        sk.segments.fit(survey(frame), ["a", "b"], k=2, stability_reps=0, n_init=2).predict([1, 2])


def test_property_share_intervals_stay_inside_zero_one() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from surveykit.segments import describe

    frame, _ = four_clusters(n=120)
    svy = survey(frame)

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.integers(0, 4), min_size=120, max_size=120).filter(lambda s: len(set(s) - {0}) >= 2))
    def check(values: list[int]) -> None:
        seg = np.array(values)
        present = sorted(set(values) - {0})
        relabel = np.zeros(5, dtype=np.int64)
        relabel[present] = np.arange(1, len(present) + 1)
        out = describe.shares(svy, relabel[seg], len(present), 0.05)
        defined = out[out["df"] > 0]  # with no design df left (as R) the interval is undefined, not wide
        assert defined[["ci_low", "ci_high"]].notna().all().all()
        assert (
            (defined["ci_low"] >= 0)
            & (defined["ci_high"] <= 1)
            & (defined["ci_low"] <= defined["estimate"])
            & (defined["estimate"] <= defined["ci_high"])
        ).all()

    check()


def test_kprototypes_auto_recovers_the_planted_k(mixed) -> None:
    pytest.importorskip("kmodes")
    frame, g, meta = mixed_frame()
    res = sk.segments.fit(
        survey(frame, meta),
        ["insured", "intent", "income"],
        method="kprototypes",
        categorical=["insured", "intent"],
        stability_reps=0,
        n_init=3,
    )
    assert res.k == 3 and res.chosen_by == "largest Calinski-Harabasz"
    ok = res.labels.notna().to_numpy()
    assert adjusted_rand_score(g[ok], res.labels[ok].to_numpy(int)) >= 0.9


@pytest.mark.parametrize("method", ["kmeans", "kprototypes", "lca"])
def test_scaling_the_weights_changes_nothing(method: str) -> None:
    frame, _, meta = mixed_frame(n=240, seed=12)
    variables = ["insured", "intent"] + ([] if method == "lca" else ["income"])
    fits = []
    for factor in (1.0, 250.0):
        scaled = frame.assign(w=np.random.default_rng(2).uniform(1, 3, len(frame)) * factor)
        fits.append(
            sk.segments.fit(
                survey(scaled, meta),
                variables,
                method=method,
                k=3,
                stability_reps=0,
                n_init=3,
                categorical=["insured", "intent"],
            )
        )
    assert fits[0].labels.equals(fits[1].labels)
    np.testing.assert_allclose(
        fits[0].shares[["estimate", "se", "ci_low", "ci_high"]],
        fits[1].shares[["estimate", "se", "ci_low", "ci_high"]],
        rtol=1e-9,
    )


@pytest.mark.parametrize("method", ["kmeans", "lca"])
def test_integer_weights_give_the_partition_of_repeated_rows(method: str) -> None:
    frame, g, meta = mixed_frame(n=200, seed=13)
    reps = np.random.default_rng(3).integers(1, 4, len(frame))
    variables = ["insured", "intent"] + (["income"] if method == "kmeans" else [])
    kw = {"method": method, "k": 3, "stability_reps": 0, "n_init": 5, "categorical": ["insured", "intent"]}
    weighted = sk.segments.fit(survey(frame.assign(w=reps.astype(float)), meta), variables, **kw)
    long = frame.loc[frame.index.repeat(reps)].reset_index(drop=True).assign(w=1.0)
    repeated = sk.segments.fit(survey(long, meta), variables, **kw)
    first = np.concatenate([[0], np.cumsum(reps)[:-1]])
    np.testing.assert_array_equal(repeated.labels.to_numpy()[first], weighted.labels.to_numpy())
    np.testing.assert_allclose(repeated.shares["estimate"], weighted.shares["estimate"], rtol=1e-9)


def test_profiles_are_domain_estimates_with_labels(mixed) -> None:
    res, _, svy = mixed
    seg = res.labels.astype(float).to_numpy()
    want = svy.assign(g=seg).proportion("insured", by="g", na="drop").to_frame()
    got = res.profiles[res.profiles["variable"] == "insured"].sort_values(["segment", "level"])
    want = want.assign(segment=want["domain"].astype(int)).sort_values(["segment", "level"])
    np.testing.assert_allclose(
        got[["estimate", "se", "ci_low", "ci_high"]], want[["estimate", "se", "ci_low", "ci_high"]], rtol=1e-14
    )
    assert set(got["label"]) == {"보험 가입", "보험 미가입"} and set(got["variable_label"]) == {"보험"}
    income = res.profiles[res.profiles["variable"] == "income"]
    assert income["label"].isna().all() and len(income) == 3


def test_result_prints_and_serialises(four) -> None:
    import json

    res, _, _ = four
    text = str(res)
    assert "Segments (kmeans, k = 4)" in text and "Publishable   yes: mean bootstrap ARI" in text
    data = json.loads(json.dumps(res.to_dict()))
    assert data["k"] == 4 and data["publishable"] is True and len(data["shares"]) == 4
    assert [row["k"] for row in data["criteria"]] == [2, 3, 4, 5, 6]
    assert data["names"]["en"] == res.shares["name_en"].tolist()


def test_a_given_k_still_reports_its_criteria() -> None:
    frame, _ = four_clusters(n=200)
    res = sk.segments.fit(survey(frame), ["a", "b"], k=3, stability_reps=0, n_init=3)
    assert res.chosen_by == "given" and res.criteria["k"].tolist() == [3]
    z_labels = res.labels.to_numpy(int) - 1
    x = frame[["a", "b"]].to_numpy()
    z = (x - np.average(x, axis=0, weights=frame["w"])) / np.sqrt(
        np.average((x - np.average(x, axis=0, weights=frame["w"])) ** 2, axis=0, weights=frame["w"])
    )
    want = crit_mod.calinski_harabasz(z, frame["w"].to_numpy(), z_labels, 3)
    assert res.criteria["calinski_harabasz"].iloc[0] == pytest.approx(want, rel=1e-12)


SHARES_GOLDEN = Path(__file__).parent / "golden" / "segments_shares.json"


@pytest.mark.parametrize("name", ["strat", "clus1"])
def test_shares_match_r_svyciprop_logit(name: str) -> None:
    """tests/golden/r/segments_shares.R: svyciprop(~I(seg == g), subset(des, !is.na(seg)), "logit")."""
    import json

    from surveykit.segments import describe

    gold = json.loads(SHARES_GOLDEN.read_text(encoding="utf-8"))["shares"][name]
    file, des = {
        "strat": ("apistrat", sk.Design(weights="pw", strata="stype", fpc="fpc")),
        "clus1": ("apiclus1", sk.Design(weights="pw", ids="dnum", fpc="fpc")),
    }[name]
    frame = pd.read_csv(Path(__file__).parent / "data" / "api" / f"{file}.csv")
    seg = np.where(frame["api00"] >= 750, 1, np.where(frame["api00"] < 500, 4, np.where(frame["meals"] >= 50, 2, 3)))
    seg = np.where(frame["acs.46"].isna(), 0, seg).astype(np.int64)
    got = describe.shares(sk.Survey(frame, des), seg, 4, 0.05)
    for col in ("estimate", "se", "ci_low", "ci_high", "df"):
        want = np.array([row[col] for row in gold])
        np.testing.assert_allclose(got[col].to_numpy(float), want, rtol=1e-10, err_msg=col)


def test_shares_and_profiles_on_a_replicate_design_use_its_replicate_weights() -> None:
    """sk.as_replicate: no PSUs to resample, so stability is not assessed (not publishable, said why),
    but shares and profiles are the replicate-weight estimates of svy.proportion / svy.mean."""
    frame = pd.read_csv(Path(__file__).parent / "data" / "api" / "apiclus1.csv")
    rep = sk.as_replicate(sk.Survey(frame, sk.Design(weights="pw", ids="dnum", fpc="fpc")), type="JK1")
    res = sk.segments.fit(rep, ["api00", "ell", "meals"], k=3, profile_vars=["stype"], n_init=3)
    assert res.stability is None and not res.publishable
    assert res.reason == "stability was not assessed (a replicate-weight design has no PSUs to resample)"
    seg = res.labels.astype(float).to_numpy()
    want = rep.assign(g=seg).proportion("g", na="drop", ci_method="logit").to_frame()
    cols = ["estimate", "se", "ci_low", "ci_high", "df"]
    np.testing.assert_allclose(res.shares[cols].to_numpy(float), want[cols].to_numpy(float), rtol=1e-12)
    assert want["df"].iloc[0] == rep.resolved.degf  # replicate df, not the rows
    assert ((res.shares["ci_low"] > 0) & (res.shares["ci_high"] < 1)).all()
    by = rep.assign(g=seg).mean("ell", by="g", na="drop").to_frame()
    got = res.profiles[res.profiles["variable"] == "ell"].sort_values("segment")
    np.testing.assert_allclose(
        got[["estimate", "se"]].to_numpy(float), by[["estimate", "se"]].to_numpy(float), rtol=1e-12
    )
    auto = sk.segments.fit(rep, ["api00", "ell"], k=range(2, 4), n_init=2)
    assert any("without the stability vote (a replicate-weight design" in note for note in auto.notes)
