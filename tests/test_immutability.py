"""Results and Surveys are deeply immutable: writing into a frame or array they hand out never
changes them (one test per result class)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit import models
from surveykit.results import Printable

pytestmark = pytest.mark.filterwarnings("ignore::surveykit.errors.SurveykitWarning")


@pytest.fixture(scope="module")
def org() -> sk.Survey:
    return sk.demo_survey("organisation_2018")


@pytest.fixture(scope="module")
def worker() -> sk.Survey:
    return sk.demo_survey("worker_2018")


def _results(org: sk.Survey, worker: sk.Survey) -> dict[str, object]:
    mr_cols = [c for c in worker.data.columns if c.startswith("private_product_")]
    intent = org.data["join_intent"]
    fit = models.logistic(org.assign(join_yes=(intent >= 3).astype(float).where(intent <= 4)), "join_yes ~ C(org_type)")
    data, meta = sk.read(sk.demo_path("worker_2018"))
    return {
        "Estimate": org.mean("paid_workers", na="drop"),
        "FrequencyTable": org.frequency("join_intent"),
        "Crosstab": org.crosstab("org_type", "coverage_held"),
        "MultipleResponseTable": worker.multiple_response(mr_cols),
        "LogisticResult": fit,
        "MarginalEffects": fit.marginal_effects(),
        "TermTest": fit.wald_test("C(org_type)"),
        "OrdinalResult": models.ordinal_logistic(org, "join_intent ~ C(org_type)"),
        "ValidationReport": sk.validate(org.data, org.instrument),
        "FileMeta": meta,
        "TTest": org.ttest("paid_workers"),
        "GlmResult": models.poisson(org, "paid_workers ~ C(org_type)"),
        "MultinomialResult": models.multinomial(org, "org_type ~ paid_workers"),
        "SegmentFit": sk.segments.fit(
            worker, ["ins_health", "ins_employment", "private_insured"], method="lca", k=2, stability_reps=2
        ),
        "Segmentation": sk.segments.segments(
            worker, ["ins_health", "ins_employment", "private_insured"], k=2, stability_reps=2
        ),
    }


def _snapshot(value: object) -> object:
    if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)):
        return value.copy()
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def _same(a: object, b: object) -> bool:
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.equals(b) and list(a.columns) == list(b.columns)
    if isinstance(a, pd.Series):
        return isinstance(b, pd.Series) and a.equals(b)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return True


def _vandalise(value: object) -> bool:
    """Write into *value* in place; True when something was written."""
    if isinstance(value, pd.DataFrame) and len(value) and value.shape[1]:
        value.iloc[0, 0] = -12345 if value.dtypes.iloc[0].kind in "if" else "vandalised"
        value["__new__"] = 1
        return True
    if isinstance(value, pd.Series) and len(value):
        value.iloc[0] = -12345 if value.dtype.kind in "if" else "vandalised"
        return True
    if isinstance(value, np.ndarray) and value.size and value.flags.writeable:
        value.flat[0] = -12345 if value.dtype.kind in "if" else value.flat[0]
        return True
    if isinstance(value, dict):
        return any([_vandalise(v) for v in value.values()])
    return False


def test_every_result_class_is_covered(org: sk.Survey, worker: sk.Survey) -> None:
    import surveykit.estimate.moments
    import surveykit.io.codebook
    import surveykit.studies.safety_net_2018.reproduce  # noqa: F401

    def subclasses(cls: type) -> set[type]:
        out = set(cls.__subclasses__())
        return out | {s for c in out for s in subclasses(c)}

    covered = set(_results(org, worker)) | {"ReproductionResult", "Codebook"}
    names = {c.__name__ for c in subclasses(Printable)}
    assert names <= covered, names - covered


@pytest.mark.filterwarnings("ignore")
def test_no_result_changes_when_its_frames_are_written(org: sk.Survey, worker: sk.Survey) -> None:
    written = 0
    for name, res in _results(org, worker).items():
        fields = [f.name for f in dataclasses.fields(res)] if dataclasses.is_dataclass(res) else []
        props = [p for p, v in vars(type(res)).items() if isinstance(v, property)]
        for attr in dict.fromkeys(fields + props):
            if attr.startswith("_"):
                continue
            before = _snapshot(getattr(res, attr))
            if _vandalise(getattr(res, attr)):
                written += 1
                assert _same(before, getattr(res, attr)), f"{name}.{attr} changed when written"
        with pytest.raises((AttributeError, TypeError, dataclasses.FrozenInstanceError)):
            res.summary = None  # type: ignore[misc]
    assert written >= 15


def test_survey_data_is_isolated_both_ways(org: sk.Survey) -> None:
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0], "w": [1.0, 2.0, 1.0, 1.0]})
    svy = sk.Survey(frame, sk.Design(weights="w"))
    frame.loc[0, "y"] = 100.0  # the caller's frame after the Survey is built
    out = svy.data
    out.loc[1, "y"] = 200.0  # the frame the Survey hands out
    out["z"] = 1
    assert svy.data["y"].tolist() == [1.0, 2.0, 3.0, 6.0] and "z" not in svy.data.columns
    assert svy.mean("y").estimate[0] == pytest.approx((1 + 4 + 3 + 6) / 5)
    analysis = org.analysis_data()
    analysis.iloc[:, 1] = -1
    assert not (org.analysis_data().iloc[:, 1] == -1).all()
    with pytest.raises(ValueError):
        svy.weights[0] = 5 if not svy.weights.flags.writeable else (_ for _ in ()).throw(ValueError())
    assert svy.resolved.weights.tolist() == [1.0, 2.0, 1.0, 1.0]
