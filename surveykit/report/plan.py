"""Analysis plans: the YAML that says what a brief contains.

A plan names one or more surveys (instrument, data, design, derived variables, weighting steps:
``poststratify`` with ``by`` and ``population``, ``rake`` with ``margins``, ``trim`` with
``lower``/``upper``, applied in order), the reliability
rule for published cells, and an ordered list of sections. Loading checks every key and names the
file and key path of anything wrong. The bundled plans live in ``reports/`` (package data
``surveykit.reports``): ``organisation_brief``, ``worker_brief`` and ``combined_brief``.

Section types and their keys::

    overview                                      survey facts, fieldwork, n, weighting
    key_figures   survey, figures: [key, ...]     published figures as call-outs, with CIs
    frequencies   survey, variables: [...], chart: bool
    crosstab      survey, row, col                Rao-Scott test
    multiple_response  survey, set                "% of cases" with CIs
    model         survey, kind: logistic|ordinal, formula, labels: {term: {ko, en}}
    segments      survey, variables: [...], profile: [...], outcome, k
    reproduction                                  published vs computed, every figure
    quality       survey                          validation summary and item non-response
    methods                                       design, variance, CI method, versions, file hashes
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from surveykit.errors import ReportError, closest

__all__ = ["Plan", "SurveySpec", "SectionSpec", "load_plan", "bundled_plans", "SECTION_KEYS"]

SECTION_KEYS: dict[str, dict[str, bool]] = {
    # key -> required?
    "overview": {},
    "key_figures": {"survey": True, "figures": True},
    "frequencies": {"survey": True, "variables": True, "chart": False},
    "crosstab": {"survey": True, "row": True, "col": True},
    "multiple_response": {"survey": True, "set": True},
    "model": {"survey": True, "kind": True, "formula": True, "labels": False, "firth": False},
    "segments": {"survey": True, "variables": True, "profile": False, "outcome": False, "k": False},
    "reproduction": {},
    "quality": {"survey": True},
    "methods": {},
}
_COMMON_SECTION_KEYS = {"type", "title", "id", "note"}
_PLAN_KEYS = {"id", "lang", "title", "subtitle", "organisation", "date", "surveys", "reliability", "sections"}
_SURVEY_KEYS = {"instrument", "data", "design", "derive", "label", "weighting"}
_RELIABILITY_DEFAULTS = {"min_n": 5, "max_cv": 0.3, "min_effective_n": 30}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class SurveySpec:
    """One survey of a plan: instrument, data source, design keywords and derived variables."""

    name: str
    instrument: str
    data: str
    design: dict[str, Any] = field(default_factory=dict)
    derive: tuple[dict[str, Any], ...] = ()
    label: dict[str, str] = field(default_factory=dict)
    weighting: tuple[dict[str, Any], ...] = ()


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
            raise ReportError(f"analysis plan {str(p)!r} must be an existing YAML file; it does not exist.")
        label, where = str(p), p
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ReportError(f"{label}: must be UTF-8 text; byte {exc.start} is not. Save the plan as UTF-8 "
                              "(e.g. `iconv -f cp949 -t utf-8`).") from None
    else:
        res = importlib.resources.files("surveykit.reports") / f"{name_or_path}.yaml"
        if not res.is_file():
            raise ReportError(
                f"analysis plan {str(name_or_path)!r} must be a YAML path or a bundled plan name; "
                f"got neither.{closest(str(name_or_path), bundled_plans())} Bundled: {', '.join(bundled_plans())}."
            )
        text, where, label = res.read_text(encoding="utf-8"), None, f"{name_or_path}.yaml"
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        from surveykit._yaml import yaml_error

        raise ReportError(yaml_error(label, exc, text)) from None
    if not isinstance(raw, dict):
        raise ReportError(f"{label}: must hold a mapping at the top level; got {type(raw).__name__}.")
    return raw, where, label


def _text(value: Any, label: str, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"ko": value, "en": value}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()) and set(value) <= {"ko", "en"}:
        return dict(value)
    raise ReportError(f"{label}: {key} must be a string or a mapping with 'ko' and 'en'; got {value!r}.")


def _unknown(keys: set[str], allowed: set[str], label: str, where: str) -> None:
    for k in sorted(keys - allowed):
        raise ReportError(f"{label}: {where}{k} is not a known key.{closest(k, allowed)} Known: {', '.join(sorted(allowed))}.")


_DERIVE_KEYS = {"name", "expr", "from", "map", "cut", "labels", "text"}


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _derive(item: Any, label: str, where: str) -> None:
    """Type-check one derived variable: ``name`` and either ``expr`` or ``from`` with ``map``/``cut``."""
    if not isinstance(item, dict):
        raise ReportError(f"{label}: {where} must be a mapping with 'name'; got {item!r}.")
    _unknown(set(item), _DERIVE_KEYS, label, where + ".")
    name = item.get("name")
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ReportError(f"{label}: {where}.name must be a variable name (letters, digits, _); got {name!r}.")
    if ("expr" in item) == ("from" in item):
        raise ReportError(f"{label}: {where} needs exactly one of 'expr' or 'from' (with 'map' or 'cut').")
    if "expr" in item and not isinstance(item["expr"], str):
        raise ReportError(f"{label}: {where}.expr must be text such as \"(2018 - founded_year) / 10\"; got {item['expr']!r}.")
    if "from" in item:
        if not isinstance(item["from"], str):
            raise ReportError(f"{label}: {where}.from must be a column name; got {item['from']!r}.")
        if ("map" in item) == ("cut" in item):
            raise ReportError(f"{label}: {where} with 'from' needs exactly one of 'map' or 'cut'.")
    mapping = item.get("map", {})
    if not isinstance(mapping, dict) or not all(_number(k) and _number(v) for k, v in mapping.items()):
        raise ReportError(f"{label}: {where}.map must map codes to numbers, e.g. {{1: 0, 2: 1}}; got {mapping!r}.")
    cut = item.get("cut", [0, 1])
    if not isinstance(cut, list) or len(cut) < 2 or not all(_number(c) for c in cut) or cut != sorted(set(cut)):
        raise ReportError(f"{label}: {where}.cut must be an increasing list of at least 2 numbers; got {cut!r}.")
    labels = item.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(k, int) and not isinstance(k, bool) for k in labels):
        raise ReportError(f"{label}: {where}.labels must map integer codes to {{ko, en}} texts; got {labels!r}.")
    for k, v in labels.items():
        _text(v, label, f"{where}.labels.{k}")
    _text(item.get("text"), label, f"{where}.text")


def _survey(name: str, raw: Any, label: str) -> SurveySpec:
    where = f"surveys.{name}."
    if not isinstance(raw, dict):
        raise ReportError(f"{label}: surveys.{name} must be a mapping; got {type(raw).__name__}.")
    _unknown(set(raw), _SURVEY_KEYS, label, where)
    for req in ("instrument", "data"):
        if req not in raw:
            raise ReportError(f"{label}: {where}{req} is required; add it (e.g. data: demo).")
    derive = raw.get("derive") or []
    if not isinstance(derive, list):
        raise ReportError(f"{label}: {where}derive must be a list of derived variables; got {derive!r}.")
    for i, item in enumerate(derive):
        _derive(item, label, f"{where}derive[{i}]")
    design = raw.get("design") or {}
    if not isinstance(design, dict):
        raise ReportError(f"{label}: {where}design must be a mapping of Design keywords; got {design!r}.")
    weighting = raw.get("weighting") or []
    if not isinstance(weighting, list) or not all(isinstance(w, dict) and "method" in w for w in weighting):
        raise ReportError(f"{label}: {where}weighting must be a list of steps with a 'method'; got {weighting!r}.")
    return SurveySpec(name, str(raw["instrument"]), str(raw["data"]), dict(design), tuple(derive),
                      _text(raw.get("label"), label, where + "label"), tuple(weighting))


def _names(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _figures(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("key"), str)) for v in value)


_OPTION_TYPES: dict[str, tuple[Any, str]] = {
    "survey": (lambda v: isinstance(v, str), "a survey name"),
    "figures": (_figures, "a list of figure keys (or {key, ko, en} mappings)"),
    "variables": (_names, "a non-empty list of variable names"),
    "profile": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of variable names"),
    "chart": (lambda v: isinstance(v, bool), "true or false"),
    "row": (lambda v: isinstance(v, str), "a variable name"),
    "col": (lambda v: isinstance(v, str), "a variable name"),
    "set": (lambda v: isinstance(v, str), "the name of a multiple-response set"),
    "outcome": (lambda v: isinstance(v, str), "a variable name"),
    "kind": (lambda v: v in ("logistic", "ordinal"), "'logistic' or 'ordinal'"),
    "formula": (lambda v: isinstance(v, str) and re.fullmatch(r"\s*\S.*~.*\S\s*", v) is not None,
                'a model formula such as "y ~ x + C(g)"'),
    "labels": (lambda v: isinstance(v, dict), "a mapping"),
    "firth": (lambda v: v in (True, False, "auto"), "true, false or 'auto'"),
    "k": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 2), "an integer >= 2"),
}


def _option(key: str, value: Any, label: str, where: str) -> None:
    check, what = _OPTION_TYPES[key]
    if not check(value):
        raise ReportError(f"{label}: {where} must be {what}; got {value!r}.")


def _section(i: int, raw: Any, surveys: dict[str, SurveySpec], label: str) -> SectionSpec:
    where = f"sections[{i}]."
    if not isinstance(raw, dict) or "type" not in raw:
        raise ReportError(f"{label}: sections[{i}] must be a mapping with a 'type'; got {raw!r}.")
    kind = raw["type"]
    if kind not in SECTION_KEYS:
        raise ReportError(
            f"{label}: {where}type must be one of {', '.join(SECTION_KEYS)}; got {kind!r}.{closest(str(kind), SECTION_KEYS)}"
        )
    spec = SECTION_KEYS[kind]
    _unknown(set(raw), set(spec) | _COMMON_SECTION_KEYS, label, where)
    for key, required in spec.items():
        if required and key not in raw:
            raise ReportError(f"{label}: {where}{key} is required for a {kind} section.")
    if "survey" in raw and raw["survey"] not in surveys:
        raise ReportError(
            f"{label}: {where}survey must name a survey of the plan; got {raw['survey']!r}.{closest(str(raw['survey']), surveys)}"
        )
    options = {k: v for k, v in raw.items() if k not in _COMMON_SECTION_KEYS}
    for key, value in options.items():
        _option(key, value, label, f"{where}{key}")
    if kind == "crosstab" and options["row"] == options["col"]:
        raise ReportError(f"{label}: {where}row and col must be two different variables; both are {options['row']!r}.")
    return SectionSpec(kind, str(raw.get("id", f"s{i + 1}-{kind}")), _text(raw.get("title"), label, where + "title"), options)


def load_plan(name_or_path: str | Path) -> Plan:
    """Load and check an analysis plan (a YAML path or a bundled name such as ``"worker_brief"``).

    Raises
    ------
    ReportError
        Naming the file and the key path of the first problem, with a suggestion where one fits.
    """
    raw, path, label = _read(name_or_path)
    _unknown(set(raw), _PLAN_KEYS, label, "")
    if not isinstance(raw.get("surveys"), dict) or not raw["surveys"]:
        raise ReportError(f"{label}: surveys must be a non-empty mapping of name -> survey.")
    surveys = {str(k): _survey(str(k), v, label) for k, v in raw["surveys"].items()}
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise ReportError(f"{label}: sections must be a non-empty list.")
    lang = raw.get("lang", "ko")
    if lang not in ("ko", "en"):
        raise ReportError(f"{label}: lang must be 'ko' or 'en'; got {lang!r}.")
    reliability = dict(_RELIABILITY_DEFAULTS)
    rel = raw.get("reliability") or {}
    if not isinstance(rel, dict):
        raise ReportError(f"{label}: reliability must be a mapping; got {rel!r}.")
    _unknown(set(rel), set(_RELIABILITY_DEFAULTS), label, "reliability.")
    for k, v in rel.items():
        if not _number(v) or v < 0:
            raise ReportError(f"{label}: reliability.{k} must be a non-negative number; got {v!r}.")
        reliability[k] = v
    plan_id = str(raw.get("id", Path(label).stem))
    if not _PLAN_ID.match(plan_id):
        raise ReportError(f"{label}: id must be letters, digits, '_' or '-' (it names the output folder); got {plan_id!r}.")
    return Plan(
        id=plan_id,
        path=path,
        lang=lang,
        title=_text(raw.get("title"), label, "title") or {"ko": label, "en": label},
        subtitle=_text(raw.get("subtitle"), label, "subtitle"),
        organisation=_text(raw.get("organisation"), label, "organisation"),
        date=str(raw.get("date", "")),
        surveys=surveys,
        reliability=reliability,
        sections=tuple(_section(i, s, surveys, label) for i, s in enumerate(sections_raw)),
    )
