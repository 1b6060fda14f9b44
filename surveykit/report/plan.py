"""Analysis plans: the YAML that says what a brief contains.

A plan names one or more surveys (data, optionally an instrument -- drafted from the data file's
metadata when absent -- design, derived variables, weighting steps:
``poststratify`` with ``by`` and ``population``, ``rake`` with ``margins``, ``trim`` with
``lower``/``upper``, applied in order; ``link`` to another survey of the plan through
:func:`surveykit.link`), the reliability
rule for published cells, and an ordered list of sections. Loading reads the YAML strictly
(:func:`surveykit._util.yaml.load_yaml`: no anchors or aliases, no duplicate keys, bounded size and
depth) and checks every key's type at every level with the shared
:class:`surveykit._util.schema.Checker` (survey entries in :mod:`surveykit.report._plan_surveys`),
naming the file and key path of anything wrong; docs/plans.md lists the rules. The bundled plans live in ``reports/`` (package data
``surveykit.reports``): ``organisation_brief``, ``worker_brief`` and ``combined_brief``.

Section types and their keys::

    summary       max_findings (3-6, default 5)   key findings as sentences and a how-to-read box
    overview                                      study facts (plan key study: name, fieldwork,
                                                  population, sampling, response, intro, data_note,
                                                  data_status: real|synthetic), n, design
    key_figures   survey, figures: [key, ...]     published figures as call-outs, with CIs
    frequencies   survey, variables: [...], chart: bool
    crosstab      survey, row, col                Rao-Scott test
    multiple_response  survey, set                "% of cases" with CIs
    model         survey, kind: logistic|ordinal, formula, labels: {term: {ko, en}}
    multinomial   survey, formula, reference      nominal outcome: relative-risk ratios
    segments      survey, variables: [...], method, k, missing, profile: [...], outcome, short_names, why
    reproduction                                  published vs computed, every figure
    quality       survey                          validation summary and item non-response
    methods                                       design, variance, CI method, versions, file hashes

Sections of the types in :data:`APPENDIX_TYPES` (reproduction, quality, methods) are printed in
the appendix, after every other section, whatever their place in the list.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveykit._util.schema import Checker, key_path
from surveykit._util.yaml import MAX_CHARS, load_yaml
from surveykit.errors import ReportError, closest, excerpt
from surveykit.report._plan_surveys import (
    SURVEY_KEYS,
    check_derive,
    check_design,
    check_link,
    check_links,
    check_mr_sets,
    check_weighting,
)

__all__ = ["Plan", "SurveySpec", "SectionSpec", "load_plan", "bundled_plans", "SECTION_KEYS", "APPENDIX_TYPES"]

SECTION_KEYS: dict[str, dict[str, bool]] = {
    # key -> required?
    "overview": {},
    "key_figures": {"survey": True, "figures": True},
    "frequencies": {"survey": True, "variables": True, "chart": False},
    "crosstab": {"survey": True, "row": True, "col": True},
    "multiple_response": {"survey": True, "set": True},
    "model": {"survey": True, "kind": True, "formula": True, "labels": False, "firth": False},
    "multinomial": {"survey": True, "formula": True, "reference": False, "labels": False},
    "segments": {
        "survey": True,
        "variables": True,
        "method": False,
        "k": False,
        "missing": False,
        "profile": False,
        "outcome": False,
        "short_names": False,
        "why": False,
    },
    "reproduction": {},
    "quality": {"survey": True},
    "methods": {},
    "summary": {"max_findings": False},
}
_COMMON_SECTION_KEYS = ("type", "id", "title", "note")
#: section types printed in the appendix (internal quality assurance, methods, reproduction)
APPENDIX_TYPES = frozenset({"reproduction", "quality", "methods"})
#: study facts (plan key ``study:``) printed by the overview section, each only when given (bilingual texts)
STUDY_KEYS = ("name", "fieldwork", "population", "sampling", "response", "intro", "data_note")
DATA_STATUS = ("real", "synthetic")
_PLAN_KEYS = ("id", "lang", "title", "subtitle", "organisation", "date", "reliability", "study", "surveys", "sections")
_RELIABILITY_DEFAULTS = {"min_n": 5, "max_cv": 0.3, "min_effective_n": 30}
_PLAN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class SurveySpec:
    """One survey of a plan: instrument (None: drafted from the data file's metadata), data source,
    design keywords and derived variables."""

    name: str
    instrument: str | None
    data: str
    design: dict[str, Any] = field(default_factory=dict)
    derive: tuple[dict[str, Any], ...] = ()
    label: dict[str, str] = field(default_factory=dict)
    weighting: tuple[dict[str, Any], ...] = ()
    mr_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    design_note: dict[str, str] = field(default_factory=dict)
    #: ``{to, on, columns, prefix}``: another survey's variables attached by :func:`surveykit.link` ({}: none)
    link: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """One section of a plan: its type, optional title (ko/en) and the type's options."""

    type: str
    id: str
    title: dict[str, str]
    options: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Plan:
    """A loaded, checked analysis plan."""

    id: str
    path: Path | None
    lang: str
    title: dict[str, str]
    subtitle: dict[str, str]
    organisation: dict[str, str]
    date: str
    surveys: dict[str, SurveySpec]
    reliability: dict[str, float]
    sections: tuple[SectionSpec, ...]
    study: dict[str, dict[str, str]] = field(default_factory=dict)
    data_status: str | None = None

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None


def bundled_plans() -> list[str]:
    """Names of the plans shipped with the package."""
    root = importlib.resources.files("surveykit.reports")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith("_brief.yaml"))


def _read(name_or_path: str | Path) -> tuple[dict[str, Any], Path | None, str]:
    p = Path(name_or_path)
    if p.suffix in {".yaml", ".yml"} or p.exists():
        if not p.is_file():
            raise ReportError(f"analysis plan {excerpt(str(p))} must be an existing YAML file; it does not exist.")
        label, where = str(p), p
        if p.stat().st_size > 4 * MAX_CHARS:
            raise ReportError(
                f"{label}: must be valid YAML of at most {MAX_CHARS:,} characters; got "
                f"{p.stat().st_size:,} bytes. Split the file or remove what it does not need."
            )
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ReportError(
                f"{label}: must be UTF-8 text; byte {exc.start} is not. Save the plan as UTF-8 "
                "(e.g. `iconv -f cp949 -t utf-8`)."
            ) from None
    else:
        res = importlib.resources.files("surveykit.reports") / f"{name_or_path}.yaml"
        if not res.is_file():
            raise ReportError(
                f"analysis plan {excerpt(str(name_or_path))} must be a YAML path or a bundled plan name; "
                f"got neither.{closest(str(name_or_path), bundled_plans())} Bundled: {', '.join(bundled_plans())}."
            )
        text, where, label = res.read_text(encoding="utf-8"), None, f"{name_or_path}.yaml"
    raw = load_yaml(text, label, ReportError)
    if not isinstance(raw, dict):
        raise ReportError(
            f"{label}: must hold a mapping at the top level; got {type(raw).__name__}. "
            "Start the plan with keys such as id:, surveys: and sections:."
        )
    return raw, where, label


def _survey(name: str, raw: Any, c: Checker) -> SurveySpec:
    where = key_path("surveys", name)
    c.mapping(raw, where, SURVEY_KEYS, what="a mapping with data (and optionally instrument)")
    if "data" not in raw:
        c.fail(f"{where}.data", "is required; add it (e.g. data: survey.sav).")
    instrument = (
        None
        if raw.get("instrument") is None
        else c.string(raw["instrument"], f"{where}.instrument", "a bundled instrument name or a path (a string)")
    )
    data = c.string(raw["data"], f"{where}.data", "'demo' or a path to a data file (a string)")
    return SurveySpec(
        name,
        instrument,
        data,
        check_design(raw.get("design"), f"{where}.design", c),
        check_derive(raw.get("derive"), f"{where}.derive", c),
        c.bilingual(raw.get("label"), f"{where}.label"),
        check_weighting(raw.get("weighting"), f"{where}.weighting", c),
        check_mr_sets(raw.get("mr_sets"), f"{where}.mr_sets", c),
        c.bilingual(raw.get("design_note"), f"{where}.design_note"),
        check_link(raw.get("link"), f"{where}.link", c),
    )


def _figures(value: Any, path: str, c: Checker) -> None:
    what = "a non-empty list of figure keys (or {key, ko, en} mappings)"
    for i, item in enumerate(c.seq(value, path, what, nonempty=True)):
        if isinstance(item, dict):
            c.mapping(item, f"{path}[{i}]", ("key", "ko", "en"), what=what)
            if "key" not in item:
                c.fail(f"{path}[{i}]", "must have key 'key' (a published figure key); it is missing. Add it.")
            for key in item:
                c.string(item[key], f"{path}[{i}].{key}", "a figure key (a string)" if key == "key" else "a string")
        else:
            c.string(item, f"{path}[{i}]", "a figure key (a string) or a {key, ko, en} mapping")


def _labels(value: Any, path: str, c: Checker) -> None:
    for term, text in c.mapping(value, path, what="a mapping of model term -> {ko, en}").items():
        c.bilingual(text, key_path(path, term))


_FORMULA = re.compile(r"\s*\S.*~.*\S\s*")
_OPTION_CHECKS: dict[str, Any] = {
    "survey": lambda v, p, c: c.string(v, p, "a survey name"),
    "figures": _figures,
    "variables": lambda v, p, c: c.names(v, p, "a non-empty list of variable names"),
    "profile": lambda v, p, c: c.names(v, p, "a list of variable names", nonempty=False),
    "chart": lambda v, p, c: c.boolean(v, p),
    "row": lambda v, p, c: c.string(v, p, "a variable name"),
    "col": lambda v, p, c: c.string(v, p, "a variable name"),
    "set": lambda v, p, c: c.string(v, p, "the name of a multiple-response set"),
    "outcome": lambda v, p, c: c.string(v, p, "a variable name"),
    "kind": lambda v, p, c: c.choice(v, p, ("logistic", "ordinal")),
    "formula": lambda v, p, c: c.string(v, p, 'a model formula such as "y ~ x + C(g)"', pattern=_FORMULA),
    "labels": _labels,
    "reference": lambda v, p, c: (
        c.string(v, p, "the outcome's baseline category (a code or level)")
        if isinstance(v, str)
        else c.number(v, p, "the outcome's baseline category (a code or level)")
    ),
    "max_findings": lambda v, p, c: c.choice(v, p, (3, 4, 5, 6)),
    "firth": lambda v, p, c: c.choice(v, p, (True, False, "auto")),
    "k": lambda v, p, c: _segment_k(v, p, c),
    "method": lambda v, p, c: c.choice(v, p, ("kmeans", "kprototypes", "lca")),
    "missing": lambda v, p, c: c.choice(v, p, ("exclude", "category", "impute")),
    "short_names": lambda v, p, c: [
        c.bilingual(text, key_path(p, var))
        for var, text in c.mapping(v, p, what="a mapping of variable -> {ko, en}").items()
    ],
    "why": lambda v, p, c: c.bilingual(v, p),
}


def _segment_k(value: Any, path: str, c: Checker) -> None:
    """Segments ``k``: ``auto`` (or null), a whole number >= 2, or a range ``[low, high]``."""
    what = "auto, a whole number >= 2 or a range [low, high] such as [2, 6]"
    if value is None or value == "auto":
        return
    if isinstance(value, list):
        if len(value) != 2:
            c.expect(path, what, value, "Give two numbers, e.g. [2, 6].")
        low, high = (c.integer(v, f"{path}[{i}]", what, minimum=2) for i, v in enumerate(value))
        if high < low:
            c.fail(path, f"must be a range [low, high] with low <= high; got {c.got(value)}. Swap them.")
        return
    c.integer(value, path, what, minimum=2)


def _section(i: int, raw: Any, surveys: dict[str, SurveySpec], c: Checker) -> SectionSpec:
    where = f"sections[{i}]"
    if not isinstance(raw, dict) or "type" not in raw:
        c.expect(where, "a mapping with a 'type'", raw, "Start the entry with type: <section type>.")
    kind = raw["type"]
    if not isinstance(kind, str) or kind not in SECTION_KEYS:
        hint = closest(kind, SECTION_KEYS) if isinstance(kind, str) else ""
        c.fail(f"{where}.type", f"must be one of {', '.join(SECTION_KEYS)}; got {c.got(kind)}.{hint}")
    spec = SECTION_KEYS[kind]
    c.mapping(raw, where, (*_COMMON_SECTION_KEYS, *spec))
    for key, required in spec.items():
        if required and key not in raw:
            c.fail(f"{where}.{key}", f"is required for a {kind} section.")
    options = {k: v for k, v in raw.items() if k not in _COMMON_SECTION_KEYS}
    for key, value in options.items():
        _OPTION_CHECKS[key](value, f"{where}.{key}", c)
    if "survey" in options and options["survey"] not in surveys:
        c.fail(
            f"{where}.survey",
            f"must name a survey of the plan; got {c.got(options['survey'])}.{closest(options['survey'], surveys)}",
        )
    if kind == "crosstab" and options["row"] == options["col"]:
        c.fail(where, f"row and col must be two different variables; both are {c.got(options['row'])}.")
    section_id = raw.get("id", f"s{i + 1}-{kind}")
    c.string(section_id, f"{where}.id", "a section id (a string of letters, digits, '_' or '-')", pattern=_PLAN_ID)
    if raw.get("note") is not None:
        c.string(raw["note"], f"{where}.note", "a string")
    return SectionSpec(kind, section_id, c.bilingual(raw.get("title"), f"{where}.title"), options)


def _reliability(value: Any, c: Checker) -> dict[str, float]:
    rel = c.mapping(
        value,
        "reliability",
        tuple(_RELIABILITY_DEFAULTS),
        what="a mapping such as {min_n: 5, max_cv: 0.3, min_effective_n: 30}",
        optional=True,
    )
    for k, v in rel.items():
        c.number(v, f"reliability.{k}", "a non-negative number", minimum=0)
    return {**_RELIABILITY_DEFAULTS, **rel}


def _date(value: Any, c: Checker) -> str:
    if value is None:
        return ""
    if (
        isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool))
        or hasattr(value, "isoformat")
    ):
        return str(value)
    c.expect("date", 'a date printed on the cover, e.g. "2018-12"', value, "Quote it.")


def load_plan(name_or_path: str | Path) -> Plan:
    """Load and check an analysis plan (a YAML path or a bundled name such as ``"worker_brief"``).

    Every key is checked at load time: its type at every level (mappings, lists, strings,
    finite numbers), known keys only, required keys present.

    Raises
    ------
    ReportError
        Naming the file and the key path of the first problem, with a suggestion where one fits;
        the file is not read beyond a short excerpt of the offending value.
    """
    raw, path, label = _read(name_or_path)
    c = Checker(label, ReportError)
    c.mapping(raw, "", _PLAN_KEYS)
    surveys_raw = raw.get("surveys")
    if not isinstance(surveys_raw, dict) or not surveys_raw:
        c.fail("surveys", f"must be a non-empty mapping of name -> survey; got {c.got(surveys_raw)}.")
    c.mapping(surveys_raw, "surveys", what="a non-empty mapping of name -> survey")
    surveys = {k: _survey(k, v, c) for k, v in surveys_raw.items()}
    check_links({k: s.link for k, s in surveys.items()}, c)
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        c.fail("sections", f"must be a non-empty list; got {c.got(sections_raw)}.")
    lang = raw.get("lang", "ko")
    if lang not in ("ko", "en") or not isinstance(lang, str):
        c.fail("lang", f"must be 'ko' or 'en'; got {c.got(lang)}.")
    reliability = _reliability(raw.get("reliability"), c)
    study = c.mapping(
        raw.get("study"),
        "study",
        (*STUDY_KEYS, "data_status"),
        what="a mapping of study facts, e.g. {name: ..., fieldwork: ..., data_status: real}",
        optional=True,
    )
    plan_id = raw.get("id", Path(label).stem)
    if not isinstance(plan_id, str) or not _PLAN_ID.match(plan_id):
        c.fail("id", f"must be letters, digits, '_' or '-' (it names the output folder); got {c.got(plan_id)}.")
    return Plan(
        id=plan_id,
        path=path,
        lang=lang,
        title=c.bilingual(raw.get("title"), "title") or {"ko": label, "en": label},
        subtitle=c.bilingual(raw.get("subtitle"), "subtitle"),
        organisation=c.bilingual(raw.get("organisation"), "organisation"),
        date=_date(raw.get("date"), c),
        surveys=surveys,
        reliability=reliability,
        sections=tuple(_section(i, s, surveys, c) for i, s in enumerate(sections_raw)),
        study={k: c.bilingual(study[k], f"study.{k}") for k in STUDY_KEYS if study.get(k) is not None},
        data_status=None
        if study.get("data_status") is None
        else c.choice(study["data_status"], "study.data_status", DATA_STATUS),
    )
