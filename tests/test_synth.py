"""Synthetic demo data: determinism, exact margins, routing, non-response and built-in effects."""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveykit import synth
from surveykit.errors import DataError
from surveykit.instrument import load_instrument
from surveykit.studies.safety_net_2018.reproduce import reproduce

DEMO = Path(__file__).resolve().parents[1] / "instruments" / "demo"
STEMS = ("organisation_2018", "worker_2018")
# Significance level at which every built-in effect must be recovered on the demo data.
EFFECT_ALPHA = 0.05
# Item non-response the generator adds: "plausible" per the brief, 1-4 % of eligible rows
# (a share of a small routed base rounds, so allow half a respondent either side).
NONRESPONSE_MAX = 0.045
# Published figures whose base forces user-missing codes (81.4% = 337/414: 3 of 417 unanswered).
FORCED_NONRESPONSE = {"third_sector_aware": 3}


@pytest.fixture(scope="module")
def instruments():
    return {s: load_instrument(s) for s in STEMS}


@pytest.fixture(scope="module")
def demo(instruments):
    return {s: synth.generate(instruments[s]) for s in STEMS}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_write_demo_is_byte_identical_for_a_seed(tmp_path):
    a = synth.write_demo(tmp_path / "a", seed=7)
    b = synth.write_demo(tmp_path / "b", seed=7)
    assert [p.name for p in a] == [
        "organisation_2018.sav",
        "organisation_2018.csv",
        "worker_2018.sav",
        "worker_2018.csv",
    ]
    assert [_sha(p) for p in a] == [_sha(p) for p in b]  # .sav too: its creation stamp is fixed


def test_shipped_demo_is_the_seed_2018_output(tmp_path, demo):
    from surveykit.io import read

    written = synth.write_demo(tmp_path)
    for path in written:
        if path.suffix == ".csv":
            assert path.read_bytes() == (DEMO / path.name).read_bytes()
    for stem in STEMS:
        shipped, _ = read(DEMO / f"{stem}.sav")
        pd.testing.assert_frame_equal(shipped.reset_index(drop=True), demo[stem], check_dtype=False)


def test_sav_carries_labels_and_missing_codes():
    from surveykit.io import read

    data, meta = read(DEMO / "worker_2018.sav")
    assert meta.file_label == "SYNTHETIC demo data (surveykit), calibrated to 2018 figures"
    assert meta.value_labels["join_intent"][3] == "약간 있다"
    assert meta.variable_labels["age"] == "만 나이"
    assert 9 in meta.missing["third_sector_aware"].values
    assert (data["third_sector_aware"] == 9).sum() == 3  # kept as a code, not NaN


def test_other_seed_changes_data_but_not_the_figures(instruments, demo):
    other = {s: synth.generate(instruments[s], seed=99) for s in STEMS}
    for s in STEMS:
        assert not other[s].equals(demo[s])
    assert reproduce(other["organisation_2018"], other["worker_2018"]).all_match


def test_generate_accepts_a_name_and_is_deterministic(demo):
    again = synth.generate("worker_2018", seed=synth.DEFAULT_SEED)
    pd.testing.assert_frame_equal(again, demo["worker_2018"])


@pytest.mark.parametrize("stem", STEMS)
def test_columns_follow_the_instrument(stem, instruments, demo):
    inst, data = instruments[stem], demo[stem]
    assert list(data.columns) == inst.columns()
    assert len(data) == inst.n
    assert data[inst.id].tolist() == list(range(1, inst.n + 1))


@pytest.mark.parametrize("stem", STEMS)
def test_routing_is_respected_exactly(stem, instruments, demo):
    inst, data = instruments[stem], demo[stem]
    routed = [q for q in inst.questions if q.ask_if is not None]
    assert routed
    for q in routed:
        asked = inst.mask(q.ask_if, data)
        block = data[q.columns()]
        assert block[~asked].isna().all().all(), q.var  # skipped: system-missing
        assert block[asked].notna().all().all(), q.var  # asked: answered or a missing code


@pytest.mark.parametrize("stem", STEMS)
def test_item_nonresponse_is_plausible_and_spares_figures(stem, instruments, demo):
    inst, data = instruments[stem], demo[stem]
    figure_vars = {c for f in inst.figures if f.kind == "pct" for c in f.questions}
    any_missing = 0
    for var, codes in inst.missing_map().items():
        asked = data[var].notna()
        share = data.loc[asked, var].isin(codes).mean()
        assert share <= NONRESPONSE_MAX, var
        any_missing += share > 0
        if var in figure_vars:
            assert data[var].isin(codes).sum() == FORCED_NONRESPONSE.get(var, 0), var
    assert any_missing >= 10


@pytest.mark.parametrize("stem", STEMS)
def test_passes_validation(stem, instruments, demo):
    if importlib.util.find_spec("surveykit.instrument.validate") is None:
        pytest.skip("surveykit.instrument.validate not available yet")
    from surveykit.instrument.validate import validate

    report = validate(demo[stem], instruments[stem])
    assert report.n_errors == 0, report.to_frame()


def _fit(effect: dict, data: pd.DataFrame):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    return smf.glm(effect["model"], data, family=sm.families.Binomial()).fit()


def _effect_data(name: str, demo: dict) -> pd.DataFrame:
    effect = synth.EFFECTS[name]
    data = demo["organisation_2018" if effect["survey"] == "organisation" else "worker_2018"]
    return data[data["third_sector_aware"] != 9] if name == "worker_aware_intent" else data


def test_org_age_raises_join_intent(demo):
    """The published relationship: older organisations are more willing to join."""
    effect = synth.EFFECTS["org_age_intent"]
    fit = _fit(effect, demo["organisation_2018"])
    assert fit.params[effect["term"]] > 0 and fit.pvalues[effect["term"]] < EFFECT_ALPHA


@pytest.mark.parametrize("name", sorted(synth.EFFECTS))
def test_every_built_in_effect_is_recovered(name, demo):
    effect = synth.EFFECTS[name]
    fit = _fit(effect, _effect_data(name, demo))
    assert fit.params[effect["term"]] > 0, name
    assert fit.pvalues[effect["term"]] < EFFECT_ALPHA, name


def test_by_rank_exact_margin_and_order():
    rng = np.random.default_rng(1)
    latent = rng.normal(size=50)
    codes = synth.by_rank(latent, [1, 2, 3], [10, 25, 15])
    assert np.bincount(codes.astype(int))[1:].tolist() == [10, 25, 15]
    assert latent[codes == 1].max() < latent[codes == 2].min() < latent[codes == 3].min()
    with pytest.raises(DataError, match="summing to 50"):
        synth.by_rank(latent, [1, 2], [10, 20])


def test_nudge_mean_hits_the_printed_unit():
    rng = np.random.default_rng(3)
    draws = rng.gamma(2.0, 4.0, 117)
    out = synth.nudge_mean(rng, draws, 9.0, 1.0, low=1.0, high=36.0)
    assert abs(out.mean() - 9.0) < 0.5 and out.min() >= 1 and out.max() <= 36
    assert np.all(out == np.round(out))
    zeros = np.where(rng.random(100) < 0.8, 0.0, rng.gamma(2.0, 1e6, 100))
    cost = synth.nudge_mean(rng, zeros, 7e6, 1e6, step=1e5, only_positive=True)
    assert np.all(cost[zeros == 0] == 0) and abs(cost.mean() - 7e6) < 5e5


def test_bad_seed_and_survey_are_data_errors(instruments):
    with pytest.raises(DataError, match="seed must be a non-negative whole number"):
        synth.generate(instruments["worker_2018"], seed=-1)
    odd = type("Odd", (), {"name": "x", "survey": "household"})()
    with pytest.raises(DataError, match="organisation or worker questionnaire"):
        synth.generate(odd)


def test_effects_table_is_documented():
    for name, effect in synth.EFFECTS.items():
        assert {"survey", "model", "term", "effect", "en"} <= set(effect), name
        assert effect["effect"] > 0
    assert 0.6 <= synth.EFFECTS["org_age_intent"]["effect"] <= 0.9


def test_generation_does_not_warn(instruments):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        synth.generate(instruments["organisation_2018"], seed=5)


def test_write_demo_into_a_file_is_a_read_error(tmp_path):
    from surveykit.errors import ReadError

    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(ReadError, match="must be a folder"):
        synth.write_demo(target)


def test_write_sav_file_label_round_trips_and_is_bounded(tmp_path):
    from surveykit.errors import DataError
    from surveykit.io import read, write_sav

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    path = write_sav(frame, tmp_path / "a.sav", file_label="합성 자료")
    assert read(path)[1].file_label == "합성 자료"
    assert read(write_sav(frame, tmp_path / "b.sav"))[1].file_label is None
    with pytest.raises(DataError, match="at most 64 bytes"):
        write_sav(frame, tmp_path / "c.sav", file_label="가" * 30)
    assert not (tmp_path / "c.sav").exists()
