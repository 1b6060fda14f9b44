"""surveykit.segments: weighted k-means segments, choice of k, stability, profiles.

Goldens (tests/golden/segments.json, written by tests/golden/r/segments.R with R survey 4.1.1
and cluster 2.1.4) check the profile means, shares and their design SEs against
``svyby``/``svymean``, and the silhouette against ``cluster::silhouette``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import surveykit as sk
from surveykit import segments as seg_mod
from surveykit.errors import DataError
from surveykit.segments import Segmentation, segments

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "segments.json").read_text(encoding="utf-8"))
API = HERE / "data" / "api"

# Closed-form Taylor linearisation: same arithmetic as R up to summation order.
TAYLOR_REL_TOL = 1e-10
# Silhouette: Euclidean distances and means, no iteration.
SILHOUETTE_TOL = 1e-12
# Weighted k-means centres after duplicating rows vs doubling weights: both runs converge to
# the same partition; centres are weighted means, equal up to summation order.
CENTER_TOL = 1e-9
FAST = {"n_init": 3, "stability_reps": 8}  # keeps the whole module well under 10 s


class FakeQuestion:
    def __init__(self, qtype: str) -> None:
        self.type = qtype


class FakeInstrument:
    """The two instrument methods segments() relies on (question(var).type, missing_codes)."""

    def __init__(self, types: dict[str, str], missing: dict[str, tuple[int, ...]]) -> None:
        self.types, self.missing = types, missing

    def question(self, var: str) -> FakeQuestion:
        if var not in self.types:
            raise DataError(f"unknown {var}")
        return FakeQuestion(self.types[var])

    def missing_codes(self, var: str) -> tuple[int, ...]:
        return self.missing.get(var, ())

    def label(self, var: str, code: float, lang: str = "ko") -> str:
        return f"{var}:{int(code)}:{lang}"


def planted(n: int = 240, seed: int = 3, spread: float = 1.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-separated groups of unequal weight, in 12 strata x 4 PSUs."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 2.0], [0.0, 8.0, -2.0]])
    x = centres[group] + rng.normal(scale=spread, size=(n, 3))
    frame = pd.DataFrame(x, columns=["x1", "x2", "x3"])
    frame["w"] = np.where(group == 2, 4.0, 1.0) * rng.uniform(1, 2, n)
    frame["psu"] = np.arange(n) // 5
    frame["stratum"] = np.arange(n) // 20
    return frame, group


def design() -> sk.Design:
    return sk.Design(weights="w", strata="stratum", ids="psu")


@pytest.fixture(scope="module")
def planted_fit() -> tuple[Segmentation, np.ndarray, sk.Survey]:
    frame, group = planted()
    svy = sk.Survey(frame, design())
    return segments(svy, ["x1", "x2", "x3"], k_range=range(2, 6), seed=1, **FAST), group, svy


# --- against R -------------------------------------------------------------------------------
def rule_segments(frame: pd.DataFrame) -> np.ndarray:
    seg = np.where(frame["api00"] >= 750, 1, np.where(frame["meals"] >= 50, 2, 3))
    return np.where(frame["acs.46"].isna(), 0, seg).astype(np.int64)


API_DESIGNS = {
    "strat": ("apistrat", sk.Design(weights="pw", strata="stype", fpc="fpc")),
    "clus1": ("apiclus1", sk.Design(weights="pw", ids="dnum", fpc="fpc")),
}


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(got, float) - want) / np.abs(want)))


@pytest.mark.parametrize("name", sorted(API_DESIGNS))
def test_profiles_and_shares_match_r_svyby(name: str) -> None:
    file, des = API_DESIGNS[name]
    frame = pd.read_csv(API / f"{file}.csv")
    svy = sk.Survey(frame, des)
    seg = rule_segments(frame)
    gold = GOLDEN["profiles"][name]
    assert int((seg > 0).sum()) == gold["n_assigned"]

    prof = seg_mod._profiles(svy, seg, 3, ["api00", "meals", "ell", "target"], categorical=[])
    for var in ("api00", "meals", "ell"):
        rows = prof[prof["variable"] == var].sort_values("segment")
        assert rel_err(rows["estimate"], gold["means"][var]) < TAYLOR_REL_TOL
        assert rel_err(rows["se"], gold["means"][f"se_{var}"]) < TAYLOR_REL_TOL
    target = prof[prof["variable"] == "target"].sort_values("segment")
    assert rel_err(target["estimate"], gold["target"]["estimate"]) < TAYLOR_REL_TOL
    assert rel_err(target["se"], gold["target"]["se"]) < TAYLOR_REL_TOL

    shares = seg_mod._shares(svy.resolved, seg, 3)
    assert rel_err(shares["estimate"], gold["shares"]["estimate"]) < TAYLOR_REL_TOL
    assert rel_err(shares["se"], gold["shares"]["se"]) < TAYLOR_REL_TOL


def test_silhouette_matches_r_cluster_with_equal_weights() -> None:
    frame = pd.read_csv(API / "apistrat.csv")
    seg = rule_segments(frame)
    keep = seg > 0
    z = frame.loc[keep, ["api00", "meals", "ell"]].to_numpy(float)
    want = GOLDEN["silhouette"]["mean_width"]
    for const in (1.0, 7.25):  # any constant weight is "equal weights"
        got = seg_mod.weighted_silhouette(z, seg[keep] - 1, np.full(keep.sum(), const))
        assert abs(got - want) < SILHOUETTE_TOL


def test_weighted_silhouette_follows_its_definition() -> None:
    rng = np.random.default_rng(7)
    z, labels, w = rng.normal(size=(25, 2)), rng.integers(0, 3, 25), rng.uniform(0.5, 3, 25)
    labels[0] = 0
    d = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(-1))
    widths = []
    for i in range(25):  # the textbook double loop, as a reference
        own = (labels == labels[i]) & (np.arange(25) != i)
        a = (w[own] * d[i, own]).sum() / w[own].sum()
        b = min(
            (w[labels == c] * d[i, labels == c]).sum() / w[labels == c].sum()
            for c in set(labels.tolist()) - {labels[i]}
        )
        widths.append((b - a) / max(a, b))
    want = float(np.dot(w, widths) / w.sum())
    assert abs(seg_mod.weighted_silhouette(z, labels, w) - want) < SILHOUETTE_TOL


# --- recovery and stability --------------------------------------------------------------------
def test_planted_groups_are_found(planted_fit) -> None:
    result, group, _ = planted_fit
    assert result.k == 3
    assert bool(result.criterion.loc[result.criterion["k"] == 3, "chosen"].iloc[0])
    assert list(result.criterion["k"]) == [2, 3, 4, 5]
    assert adjusted_rand_score(group, result.labels.to_numpy(dtype=int)) > 0.95
    assert result.stability.reps == FAST["stability_reps"]
    assert result.stability.mean_ari > 0.9
    assert (result.stability.jaccard["jaccard"] > 0.9).all()


def test_noise_is_unstable(planted_fit) -> None:
    rng = np.random.default_rng(11)
    frame, _ = planted()
    frame[["x1", "x2", "x3"]] = rng.normal(size=(len(frame), 3))
    noise = segments(sk.Survey(frame, design()), ["x1", "x2", "x3"], k=3, seed=1, **FAST)
    assert noise.stability.mean_ari < 0.7
    assert noise.stability.mean_ari < planted_fit[0].stability.mean_ari - 0.25
    assert noise.criterion["silhouette"].iloc[0] < planted_fit[0].criterion["silhouette"].max()


def test_segments_are_numbered_by_weighted_size(planted_fit) -> None:
    shares = planted_fit[0].shares["estimate"].to_numpy()
    assert np.all(np.diff(shares) <= 0)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)


def test_same_seed_same_result() -> None:
    frame, _ = planted(n=120, seed=5, spread=2.5)
    svy = sk.Survey(frame, design())
    one = segments(svy, ["x1", "x2"], k=4, seed=9, **FAST)
    two = segments(svy, ["x1", "x2"], k=4, seed=9, **FAST)
    pd.testing.assert_series_equal(one.labels, two.labels)
    pd.testing.assert_frame_equal(one.centers, two.centers)
    assert one.stability.ari == two.stability.ari


def test_duplicating_rows_equals_doubling_weights() -> None:
    frame, _ = planted(n=90, seed=2)
    doubled = frame.assign(w=np.where(frame.index < 30, 2 * frame["w"], frame["w"]))
    duplicated = pd.concat([frame, frame.iloc[:30]], ignore_index=True)
    plain = sk.Design(weights="w")
    a = segments(sk.Survey(doubled, plain), ["x1", "x2", "x3"], k=3, n_init=3, stability_reps=0)
    b = segments(sk.Survey(duplicated, plain), ["x1", "x2", "x3"], k=3, n_init=3, stability_reps=0)
    np.testing.assert_allclose(a.centers.to_numpy(), b.centers.to_numpy(), rtol=CENTER_TOL, atol=CENTER_TOL)
    np.testing.assert_allclose(a.shares["estimate"], b.shares["estimate"], rtol=CENTER_TOL)
    assert (a.labels.to_numpy() == b.labels.to_numpy()[:90]).all()


def test_weights_change_the_centres() -> None:
    frame, _ = planted(n=90, seed=2)
    frame["x1"] += np.where(frame.index % 2 == 0, 1.5, -1.5)
    heavy = frame.assign(w=np.where(frame.index % 2 == 0, 20.0, 1.0))
    a = segments(sk.Survey(frame, sk.Design(weights="w")), ["x1", "x2", "x3"], k=3, n_init=3, stability_reps=0)
    b = segments(sk.Survey(heavy, sk.Design(weights="w")), ["x1", "x2", "x3"], k=3, n_init=3, stability_reps=0)
    assert np.abs(a.centers["x1"].to_numpy() - b.centers["x1"].to_numpy()).max() > 0.5


# --- missing inputs, encoding, profiles ----------------------------------------------------------
def survey_with_codes() -> tuple[sk.Survey, pd.DataFrame]:
    frame, _ = planted(n=120, seed=4)
    frame["x3"] = np.round(frame["x3"]).astype(float)
    frame.loc[[3, 8], "x1"] = np.nan
    frame.loc[[8, 15, 21], "x3"] = 9.0  # user-missing "don't know"
    frame["kind"] = np.where(frame["x2"] > 4, 1, np.where(frame.index % 3 == 0, 2, 3))
    frame["scale"] = 1 + (frame.index % 5)
    inst = FakeInstrument({"kind": "single", "scale": "likert", "x3": "numeric"}, {"x3": (9,)})
    return sk.Survey(frame, design(), instrument=inst), frame


def test_rows_with_missing_inputs_are_unassigned_and_counted() -> None:
    svy, _ = survey_with_codes()
    result = segments(svy, ["x1", "x2", "x3"], k=3, n_init=3, stability_reps=0)
    unassigned = result.labels.isna()
    assert sorted(np.flatnonzero(unassigned)) == [3, 8, 15, 21]
    assert result.n_unassigned == 4 and result.n_assigned == 116 and result.n_outside == 0
    assert result.missing == {"x1": 2, "x2": 0, "x3": 3}
    assert str(result.labels.dtype) == "Int64"
    assert int(result.shares["n"].sum()) == 116


def test_rows_outside_a_domain_are_unassigned() -> None:
    svy, frame = survey_with_codes()
    sub = svy.domain(frame["stratum"].to_numpy() < 4)
    result = segments(sub, ["x2"], k=2, n_init=3, stability_reps=0)
    assert result.n_outside == 40
    assert result.labels.iloc[80:].isna().all()


def test_single_choice_is_one_hot_and_likert_is_numeric() -> None:
    svy, frame = survey_with_codes()
    result = segments(svy, ["x2", "kind", "scale"], k=2, n_init=3, stability_reps=0, lang="en")
    assert result.features == ("x2", "kind=1", "kind=2", "kind=3", "scale")
    kind = result.profiles[result.profiles["variable"] == "kind"]
    assert kind["label"].iloc[0] == "kind:1:en"
    totals = kind.groupby("segment")["estimate"].sum().to_numpy()
    np.testing.assert_allclose(totals, 1.0, rtol=1e-12)
    forced = segments(svy, ["x2", "kind"], k=2, n_init=3, stability_reps=0, categorical=[])
    assert forced.features == ("x2", "kind")


def test_profile_mean_is_the_weighted_mean_by_hand() -> None:
    svy, frame = survey_with_codes()
    result = segments(svy, ["x1", "x2"], k=3, n_init=3, stability_reps=0, profile_vars=["x3"])
    labels = result.labels.to_numpy(dtype=float, na_value=np.nan)
    for g in range(1, 4):
        inside = labels == g
        for var, valid in (("x2", inside), ("x3", inside & (frame["x3"] != 9).to_numpy())):
            w, y = frame["w"].to_numpy()[valid], frame[var].to_numpy()[valid]
            row = result.profiles[(result.profiles["segment"] == g) & (result.profiles["variable"] == var)]
            assert row["estimate"].iloc[0] == pytest.approx(np.sum(w * y) / np.sum(w), rel=1e-12)
            assert row["n"].iloc[0] == valid.sum()
        share = frame["w"].to_numpy()[inside].sum() / frame["w"].to_numpy()[~np.isnan(labels)].sum()
        assert result.shares["estimate"].iloc[g - 1] == pytest.approx(share, rel=1e-12)


def test_domain_masks_give_the_segment_domains(planted_fit) -> None:
    result, _, svy = planted_fit
    masks = result.domain_masks()
    assert sorted(masks) == [1, 2, 3]
    assert (sum(m.astype(int) for m in masks.values()) == 1).all()
    for g, mask in masks.items():
        weighted = svy.domain(mask).weighted_n
        assert weighted == pytest.approx(result.shares["weighted_n"].iloc[g - 1], rel=1e-12)


# --- bootstrap ------------------------------------------------------------------------------------
def test_rao_wu_multipliers_keep_each_stratum_total() -> None:
    frame = pd.DataFrame({"psu": [0, 0, 1, 2, 3, 3, 4, 5, 6], "st": [0, 0, 0, 0, 1, 1, 1, 1, 2]})
    frame["psu"] = [0, 0, 1, 2, 3, 3, 4, 5, 6]
    with pytest.warns(sk.LonelyPSUWarning):
        svy = sk.Survey(frame, sk.Design(strata="st", ids="psu", lonely_psu="adjust"))
    rd = svy.resolved
    rng = np.random.default_rng(0)
    for _ in range(20):
        mult = seg_mod.rao_wu_multipliers(rd, rng)
        per_psu = pd.Series(mult).groupby(rd.stages[0].psu).first().to_numpy()
        stratum = rd.stages[0].psu_stratum
        np.testing.assert_allclose(np.bincount(stratum, weights=per_psu), [3.0, 3.0, 1.0])
        assert set(np.round(per_psu[stratum < 2], 12)) <= {0.0, 1.5, 3.0, 4.5}
        assert mult[-1] == 1.0  # a lone PSU is kept as it is


# --- results and errors ---------------------------------------------------------------------------
def test_result_is_frozen_and_serialisable(planted_fit) -> None:
    result = planted_fit[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.k = 4  # type: ignore[misc]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["k"] == 3 and len(data["profiles"]) == 9 and data["stability"]["reps"] == 8
    assert set(result.to_frame().columns) >= {"segment", "variable", "estimate", "se", "ci_low", "ci_high", "n"}
    text = str(result.summary())
    assert "Segments (k = 3)" in text and "mean ARI" in text
    assert "<table" in result.summary().to_html()


def test_bad_input_gets_one_clear_error() -> None:
    svy, _ = survey_with_codes()
    with pytest.raises(DataError, match="Did you mean 'x1'"):
        segments(svy, ["x11"], k=2)
    with pytest.raises(DataError, match="k must be a whole number >= 2; got 1"):
        segments(svy, ["x1"], k=1)
    with pytest.raises(DataError, match="must vary"):
        segments(svy.domain("kind == 1"), ["x2", "kind"], k=2)
    with pytest.raises(DataError, match="distinct rows"):
        segments(svy, ["scale"], k=6, stability_reps=0)
    text = sk.Survey(pd.DataFrame({"t": ["a", "b", "c", "a"] * 3}))
    with pytest.raises(DataError, match=r"must be numeric.*\(rows 1, 2, 3"):
        segments(text, ["t"], k=2, categorical=[])
    with pytest.raises(DataError, match="variables must name at least one"):
        segments(svy, [], k=2)


def test_every_input_variable_gets_unit_weighted_variance() -> None:
    svy, frame = survey_with_codes()
    enc = seg_mod._encode(svy, ["x2", "kind", "scale"], None)
    w = frame["w"].to_numpy()
    z, _, _ = seg_mod._standardize(enc.matrix, w, enc, True)
    var = w @ z**2 / w.sum()
    per_variable = pd.Series(var).groupby(list(enc.variable)).sum()
    np.testing.assert_allclose(per_variable.to_numpy(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(w @ z / w.sum(), 0.0, atol=1e-12)


def test_centres_are_weighted_segment_means_in_original_units() -> None:
    svy, frame = survey_with_codes()
    for standardize in (True, False):
        result = segments(svy, ["x2", "kind"], k=3, n_init=3, stability_reps=0, standardize=standardize)
        labels = result.labels.to_numpy(dtype=float, na_value=np.nan)
        for g in range(1, 4):
            w = frame["w"].to_numpy()[labels == g]
            centre = result.centers.iloc[g - 1]
            assert centre["x2"] == pytest.approx(np.sum(w * frame["x2"].to_numpy()[labels == g]) / w.sum(), rel=1e-9)
            share_1 = np.sum(w * (frame["kind"].to_numpy()[labels == g] == 1)) / w.sum()
            assert centre["kind=1"] == pytest.approx(share_1, rel=1e-9, abs=1e-12)


def test_notes_warn_readers_about_weak_or_unstable_segments(planted_fit) -> None:
    assert planted_fit[0].notes == ()
    rng = np.random.default_rng(11)
    frame, _ = planted()
    frame[["x1", "x2", "x3"]] = rng.normal(size=(len(frame), 3))
    frame.loc[[0, 1], "x1"] = np.nan
    noise = segments(sk.Survey(frame, design()), ["x1", "x2", "x3"], k=3, seed=1, **FAST)
    joined = " ".join(noise.notes)
    assert "no substantial cluster structure" in joined and "do not over-interpret" in joined
    assert "2 rows with a missing input" in joined
    assert noise.to_dict()["notes"] == list(noise.notes)
    assert "Note: weighted silhouette" in str(noise.summary())


def test_large_samples_use_a_silhouette_subsample(monkeypatch) -> None:
    frame, group = planted(n=240, seed=8)
    svy = sk.Survey(frame, design())
    full = segments(svy, ["x1", "x2", "x3"], k_range=[2, 3], n_init=3, stability_reps=0)
    monkeypatch.setattr(seg_mod, "SILHOUETTE_MAX_ROWS", 120)
    sub = segments(svy, ["x1", "x2", "x3"], k_range=[2, 3], n_init=3, stability_reps=0)
    assert sub.k == full.k == 3
    got, want = sub.criterion["silhouette"].to_numpy(), full.criterion["silhouette"].to_numpy()
    assert not np.allclose(got, want, rtol=1e-9)  # a subsample was used
    np.testing.assert_allclose(got, want, atol=0.05)  # and it estimates the full value
