"""Load a plan's surveys: read the data, derive variables, build the Survey, validate (internal).

Data ``demo`` means the bundled synthetic demo file of the instrument; any other value is a path
(relative paths resolve against the plan's folder). Without an instrument the questionnaire is
drafted from the data file's metadata (:meth:`~surveykit.instrument.model.Instrument.from_meta`). Derived variables never change the input
file: they are added to an in-memory copy. User-missing codes become missing before deriving.
A survey with a ``link`` gets the other survey's variables (its data columns and derived
variables) attached by :func:`surveykit.link` after its own derived variables and before its
weighting steps; the other survey is prepared first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveykit.design import Design
from surveykit.errors import DataError, DesignError, InstrumentError, ReportError
from surveykit.instrument import Instrument, load_instrument
from surveykit.instrument.expr import evaluate
from surveykit.instrument.validate import ValidationReport, validate
from surveykit.io import read
from surveykit.report.plan import Plan, SurveySpec
from surveykit.survey import Survey

__all__ = ["Prepared", "Derived", "prepare_surveys", "demo_path"]


@dataclass(frozen=True, slots=True)
class Derived:
    """Text and value labels of a derived variable."""

    name: str
    text: dict[str, str]
    labels: dict[int, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Prepared:
    """One survey of a plan, ready for analysis.

    ``survey`` keeps user-missing codes as codes and applies the one missing-data policy of
    :class:`~surveykit.Survey` (tables list them as rows; estimates, models and segments leave
    them out). ``analysis`` is the same Survey (kept for the sections that name it).
    """

    name: str
    spec: SurveySpec
    survey: Survey
    analysis: Survey
    instrument: Instrument
    source_name: str
    sha256: str
    validation: ValidationReport
    derived: dict[str, Derived]
    #: attached column -> (the linked survey, its column name there)
    linked: dict[str, tuple[Prepared, str]] = field(default_factory=dict)

    def text(self, var: str, lang: str) -> str:
        """Question text (or derived variable text) of *var* in *lang*; a linked variable's is its
        survey's, after that survey's label (``Organisations: ...``)."""
        if var in self.linked:
            other, source = self.linked[var]
            return f"{other.spec.label.get(lang) or other.name}: {other.text(source, lang)}"
        if var in self.derived:
            return self.derived[var].text.get(lang, var)
        try:
            return self.instrument.text(var, lang)
        except (KeyError, ValueError):
            return var

    def label(self, var: str, code: Any, lang: str) -> str:
        """Value label of *code* for *var* (linked survey's, derived labels, then the instrument)."""
        if var in self.linked:
            other, source = self.linked[var]
            return other.label(source, code, lang)
        if var in self.derived:
            lab = self.derived[var].labels.get(int(code)) if _is_int(code) else None
            return lab.get(lang, str(code)) if lab else _num(code)
        try:
            return self.instrument.label(var, code, lang)
        except (KeyError, ValueError):
            return _num(code)


def _is_int(v: Any) -> bool:
    try:
        return float(v) == int(float(v))
    except (TypeError, ValueError):
        return False


def _num(v: Any) -> str:
    return str(int(float(v))) if _is_int(v) else str(v)


def demo_path(instrument: str) -> Path:
    """Path of the bundled demo data file for an instrument name."""
    from surveykit.studies.safety_net_2018.demo import DEMO_INSTRUMENTS
    from surveykit.studies.safety_net_2018.demo import demo_path as _demo

    if instrument not in DEMO_INSTRUMENTS:
        raise ReportError(
            f"bundled demo data exist for instruments {', '.join(DEMO_INSTRUMENTS)}; got {instrument!r}. "
            "Give the plan's data as a file path instead of 'demo', or pass the data file."
        )
    return _demo(instrument)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _clean(data: pd.DataFrame, instrument: Instrument, meta: Any) -> pd.DataFrame:
    """A copy where every user-missing code is NaN (for deriving variables): the Survey's policy."""
    return Survey(data, None, instrument, meta=meta).analysis_data().copy()


def _derive_one(spec: dict[str, Any], clean: pd.DataFrame, where: str) -> tuple[pd.Series, Derived]:
    """Compute one derived variable (its spec was type-checked when the plan loaded)."""
    name = str(spec["name"])
    text = spec.get("text") or {"ko": name, "en": name}
    labels = {int(k): v for k, v in (spec.get("labels") or {}).items()}
    try:
        if "expr" in spec:
            values = evaluate(spec["expr"], clean)
        else:
            source = pd.to_numeric(clean[spec["from"]], errors="coerce").astype(float)
            if "map" in spec:
                values = source.map({float(k): float(v) for k, v in spec["map"].items()})
            else:
                values = pd.cut(source, bins=[float(c) for c in spec["cut"]], labels=False) + 1
    except (DataError, KeyError) as exc:
        raise ReportError(
            f"{where}: {exc}"
            if isinstance(exc, DataError)
            else f"{where}: from must name a data column; got {spec['from']!r}."
        ) from exc
    return pd.Series(np.asarray(values, dtype=float), index=clean.index, name=name), Derived(name, dict(text), labels)


_WEIGHTING = {"poststratify": ("by", "population"), "rake": ("margins",), "trim": ()}


def _weight(svy: Survey, step: dict[str, Any], where: str) -> Survey:
    """Apply one weighting step of a plan (``poststratify``, ``rake`` or ``trim``)."""
    from surveykit import weighting

    method = step.get("method")
    if method not in _WEIGHTING:
        raise ReportError(f"{where}: method must be one of {', '.join(_WEIGHTING)}; got {method!r}.")
    missing = [k for k in _WEIGHTING[method] if k not in step]
    if missing:
        raise ReportError(f"{where}: a {method} step needs {', '.join(missing)}.")
    if method == "poststratify":
        return weighting.poststratify(svy, step["by"], step["population"])
    if method == "rake":
        return weighting.rake(svy, step["margins"], max_iter=int(step.get("max_iter", 100)))
    return weighting.trim(svy, step.get("lower"), step.get("upper"), strict=bool(step.get("strict", False)))


# validation findings that would make tables wrong: refuse to build rather than publish them
_BLOCKING = ("missing_variable", "not_numeric", "invalid_code", "duplicate_id")


def _refuse_broken(report: ValidationReport, path: Path, instrument: str) -> None:
    blocking = [i for i in report.issues if i.severity == "error" and i.check in _BLOCKING]
    if blocking:
        shown = " ".join(i.message for i in blocking[:3])
        more = f" (+{len(blocking) - 3} more)" if len(blocking) > 3 else ""
        raise ReportError(
            f"data file {path.name!r} must match questionnaire {instrument!r} before a brief is built; "
            f"got {len(blocking)} problems{more}: {shown} Validate the file against the "
            "questionnaire (surveykit.validate) for the full list and fix the data."
        )


def _link(
    survey: Survey, spec: SurveySpec, plan: Plan, other: Prepared
) -> tuple[Survey, dict[str, tuple[Prepared, str]]]:
    """Attach the linked survey's variables (:func:`surveykit.link`, the one merge)."""
    from surveykit.design.link import link

    link_spec = spec.link
    where = f"{plan.path.name if plan.path is not None else plan.id + '.yaml'}: surveys.{spec.name}.link"
    try:
        linked = link(
            survey, other.survey, on=link_spec["on"], columns=link_spec["columns"], prefix=link_spec["prefix"]
        )
    except (DataError, DesignError) as exc:
        raise ReportError(f"{where} (to {other.name}): {exc}") from None
    added = [c for c in linked.data.columns if c not in survey.data.columns]
    prefix = link_spec["prefix"]
    return linked, {c: (other, c[len(prefix) :]) for c in added}


def _load_one(
    spec: SurveySpec, plan: Plan, data_override: str | Path | None, loaded: dict[str, Prepared] | None = None
) -> Prepared:
    """Prepare one survey; *loaded* holds the surveys prepared so far (a linked one among them)."""
    instrument = load_instrument(spec.instrument) if spec.instrument is not None else None
    if data_override is not None:
        path = Path(data_override)
    elif spec.data == "demo":
        if instrument is None:
            raise ReportError(
                f"plan {plan.id}: surveys.{spec.name}.data 'demo' needs an instrument (the demo data "
                "belong to a bundled questionnaire); give the data as a file path instead."
            )
        path = demo_path(instrument.name)
    else:
        path = Path(spec.data)
        if not path.is_absolute() and plan.folder is not None:
            path = plan.folder / path
    data, meta = read(path)
    if instrument is None:  # the questionnaire drafted from the file's own metadata
        instrument = Instrument.from_meta(meta, data, name=path.stem)
    if spec.mr_sets:
        from surveykit.instrument.draft import declare_mr_sets

        try:
            instrument = declare_mr_sets(instrument, spec.mr_sets)
        except (DataError, InstrumentError) as exc:
            raise ReportError(f"plan {plan.id}: surveys.{spec.name}.mr_sets: {exc}") from None
    report = validate(data, instrument, source=path.name, id=instrument.id)
    _refuse_broken(report, path, spec.instrument or f"(drafted from {path.name})")
    clean = _clean(data, instrument, meta)
    derived: dict[str, Derived] = {}
    frame = data.copy()
    for i, d in enumerate(spec.derive):
        series, info = _derive_one(d, clean, f"plan {plan.id}: surveys.{spec.name}.derive[{i}]")
        frame[info.name] = series
        clean[info.name] = series
        derived[info.name] = info
    try:
        design = Design(**spec.design)
    except TypeError as exc:
        raise ReportError(f"plan {plan.id}: surveys.{spec.name}.design has an unknown keyword; {exc}") from exc
    try:
        survey = Survey(frame, design, instrument, meta=meta)
    except DesignError as exc:
        raise ReportError(f"plan {plan.id}: surveys.{spec.name}.design on {path.name}: {exc}") from exc
    linked: dict[str, tuple[Prepared, str]] = {}
    if spec.link:
        other = (loaded or {}).get(spec.link["to"])
        if other is None:
            raise ReportError(
                f"plan {plan.id}: surveys.{spec.name}.link needs survey {spec.link['to']!r} prepared first."
            )
        survey, linked = _link(survey, spec, plan, other)
    for i, step in enumerate(spec.weighting):
        survey = _weight(survey, step, f"plan {plan.id}: surveys.{spec.name}.weighting[{i}]")
    return Prepared(spec.name, spec, survey, survey, instrument, path.name, _sha256(path), report, derived, linked)


def prepare_surveys(plan: Plan, data: str | Path | None = None) -> dict[str, Prepared]:
    """Read and prepare every survey of *plan*; *data* replaces the data of a one-survey plan."""
    if data is not None and len(plan.surveys) != 1:
        raise ReportError(
            f"data replace the data of a plan with one survey; plan {plan.id!r} has "
            f"{len(plan.surveys)} ({', '.join(plan.surveys)}). Edit the plan's surveys.*.data instead."
        )
    loaded: dict[str, Prepared] = {}
    # a linked survey after the one it links to (a link never chains: the plan check refuses it)
    for name, spec in sorted(plan.surveys.items(), key=lambda item: bool(item[1].link)):
        loaded[name] = _load_one(spec, plan, data, loaded)
    return {name: loaded[name] for name in plan.surveys}
