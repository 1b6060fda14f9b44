"""Instrument YAML to :class:`~surveykit.instrument.Instrument`: reading, parsing, schema checks.

:func:`_read_source` finds the YAML text (a bundled name or a path), :func:`_parse` loads it
with the safe loader, and :func:`_build` checks it against the schema documented in
:mod:`surveykit.instrument` -- known keys, types, unique snake_case variable names, option and
missing codes, ranges, routing rules, figure specifications and their codes -- raising one
:class:`~surveykit.errors.InstrumentError` that names the file, the key path (e.g.
``questions[12].options[3].code``) and the fix. :class:`_Ctx` carries the file name and the
checking helpers.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surveykit._rules import Rule
from surveykit._yaml import yaml_error
from surveykit.errors import InstrumentError, closest
from surveykit.instrument import (
    FIGURE_KINDS,
    LANGS,
    QUESTION_TYPES,
    FigureSpec,
    Instrument,
    Option,
    Question,
    Section,
    _PACKAGE,
    bundled_instruments,
)

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _read_source(name_or_path: str | Path) -> tuple[str, str]:
    s = str(name_or_path)
    if isinstance(name_or_path, Path) or s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s:
        p = Path(s)
        if not p.is_file():
            raise InstrumentError(f"instrument file {s!r} must exist; it does not. Check the path.")
        try:
            return s, p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InstrumentError(f"{s}: must be a readable UTF-8 YAML file; {exc}.") from None
    names = bundled_instruments()
    if s not in names:
        raise InstrumentError(
            f"instrument {s!r} must be a bundled name ({', '.join(names)}) or a .yaml path; got neither."
            f"{closest(s, names)}"
        )
    return f"{s}.yaml", importlib.resources.files(_PACKAGE).joinpath(f"{s}.yaml").read_text(encoding="utf-8")


def _parse(path: str, text: str) -> Instrument:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the safe loader (C version when built)
    try:
        raw = yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader/CSafeLoader only
    except yaml.YAMLError as exc:
        raise InstrumentError(yaml_error(path, exc, text)) from None
    return _build(raw, _Ctx(path))


@dataclass(frozen=True, slots=True)
class _Ctx:
    file: str

    def error(self, path: str, msg: str) -> InstrumentError:
        return InstrumentError(f"{self.file}: {path} {msg}")

    def mapping(self, value: Any, path: str, allowed: Sequence[str], required: Sequence[str]) -> dict:
        if not isinstance(value, dict):
            raise self.error(path, f"must be a mapping; got {type(value).__name__} {value!r:.60}.")
        for key in value:
            if key not in allowed:
                raise self.error(
                    f"{path}.{key}" if path else str(key),
                    f"is not a known key; allowed: {', '.join(allowed)}.{closest(str(key), allowed)} "
                    "Rename or remove it.",
                )
        for key in required:
            if key not in value:
                raise self.error(path or "top level", f"must have key {key!r}; it is missing. Add it.")
        return value

    def typed(self, value: Any, path: str, kinds: type | tuple[type, ...], what: str) -> Any:
        if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
            raise self.error(path, f"must be {what}; got {value!r}. Fix the value.")
        if not isinstance(value, kinds):
            raise self.error(path, f"must be {what}; got {type(value).__name__} {value!r:.60}. Fix the value.")
        return value

    def text(self, value: Any, path: str) -> str:
        value = self.typed(value, path, str, "a non-empty string")
        if not value.strip():
            raise self.error(path, "must be a non-empty string; got ''. Fill it in.")
        return value

    def items(self, value: Any, path: str) -> list:
        return self.typed(value, path, list, "a list")

    def rule(self, value: Any, path: str) -> Rule:
        try:
            return Rule.parse(self.typed(value, path, str, "a rule string like \"coverage_held == 1\""))
        except InstrumentError as exc:
            raise self.error(path, str(exc)) from None


_TOP_KEYS = ("name", "survey", "title", "fieldwork", "n", "id", "source", "sections", "scales", "questions", "figures")
_Q_KEYS = ("var", "type", "ko", "en", "section", "options", "missing", "scale", "range", "unit", "ask_if", "battery", "note")
_F_KEYS = ("key", "kind", "question", "codes", "code", "base", "na", "combine", "modal", "note")


def _build(raw: Any, ctx: _Ctx) -> Instrument:
    top = ctx.mapping(raw, "", _TOP_KEYS, ("name", "survey", "title", "questions"))
    title = ctx.mapping(top["title"], "title", LANGS, LANGS)
    sections = tuple(_section(s, f"sections[{i}]", ctx) for i, s in enumerate(ctx.items(top.get("sections", []), "sections")))
    scales = _scales(top.get("scales", {}), ctx)
    qs = tuple(_question(q, f"questions[{i}]", ctx, scales) for i, q in enumerate(ctx.items(top["questions"], "questions")))
    by_column = _check_questions(qs, sections, ctx)
    id_var = ctx.text(top.get("id", "id"), "id")
    if id_var not in by_column:
        raise ctx.error("id", f"must name a question; got {id_var!r}.{closest(id_var, list(by_column))} Add an id question.")
    figures = tuple(_figure(f, f"figures[{i}]", ctx) for i, f in enumerate(ctx.items(top.get("figures", []), "figures")))
    inst = Instrument(
        name=ctx.text(top["name"], "name"), survey=ctx.text(top["survey"], "survey"),
        title_ko=ctx.text(title["ko"], "title.ko"), title_en=ctx.text(title["en"], "title.en"),
        questions=qs, figures=figures, sections=sections,
        fieldwork=None if top.get("fieldwork") is None else str(top["fieldwork"]),
        n=None if top.get("n") is None else ctx.typed(top["n"], "n", int, "a whole number"),
        id=id_var, source=top.get("source"), path=ctx.file,
        _by_column=types.MappingProxyType({c: q for c, q in by_column.items() if c != q.var}),
    )
    return dataclasses.replace(inst, figures=_check_figures(inst, ctx))


def _section(raw: Any, path: str, ctx: _Ctx) -> Section:
    m = ctx.mapping(raw, path, ("name", "ko", "en"), ("name", "ko", "en"))
    return Section(ctx.text(m["name"], f"{path}.name"), ctx.text(m["ko"], f"{path}.ko"), ctx.text(m["en"], f"{path}.en"))


def _options(raw: Any, path: str, ctx: _Ctx) -> tuple[Option, ...]:
    out: list[Option] = []
    for i, o in enumerate(ctx.items(raw, path)):
        p = f"{path}[{i}]"
        m = ctx.mapping(o, p, ("code", "ko", "en"), ("code", "ko", "en"))
        code = ctx.typed(m["code"], f"{p}.code", int, "a whole-number code")
        if any(x.code == code for x in out):
            raise ctx.error(f"{p}.code", f"must be unique within the list; got {code} twice. Renumber the options.")
        out.append(Option(code, ctx.text(str(m["ko"]), f"{p}.ko"), ctx.text(str(m["en"]), f"{p}.en")))
    return tuple(out)


def _scales(raw: Any, ctx: _Ctx) -> dict[str, tuple[tuple[Option, ...], tuple[Option, ...]]]:
    ctx.typed(raw, "scales", dict, "a mapping of scale name -> {options, missing}")
    out = {}
    for name, spec in raw.items():
        m = ctx.mapping(spec, f"scales.{name}", ("options", "missing"), ("options",))
        options = _options(m["options"], f"scales.{name}.options", ctx)
        out[str(name)] = (options, _missing(m.get("missing", []), options, f"scales.{name}", ctx))
    return out


def _missing(raw: Any, options: tuple[Option, ...], path: str, ctx: _Ctx) -> tuple[Option, ...]:
    """User-missing codes under ``<path>.missing``; none may also be an answer option.

    A shared code would make that answer count as missing (excluded from every estimate).
    """
    missing = _options(raw, f"{path}.missing", ctx)
    by_code = {o.code: (i, o) for i, o in enumerate(options)}
    for j, m in enumerate(missing):
        if m.code in by_code:
            i, o = by_code[m.code]
            taken = set(by_code) | {x.code for x in missing}
            free = next((c for c in (9, 99, 999, 9999) if c not in taken), "an unused number")
            raise ctx.error(
                f"{path}.missing[{j}].code",
                f"must not also be an answer option; {m.code} is {path}.options[{i}] {o.ko!r} ({o.en}), so that "
                f"answer would count as missing. Give the user-missing code a number no option uses (e.g. {free}).",
            )
    return missing


def _question(raw: Any, path: str, ctx: _Ctx, scales: Mapping[str, tuple]) -> Question:
    m = ctx.mapping(raw, path, _Q_KEYS, ("var", "type", "ko", "en"))
    var = ctx.text(m["var"], f"{path}.var")
    if not _NAME_RE.match(var):
        raise ctx.error(f"{path}.var", f"must be snake_case (a-z, 0-9, _; starting with a letter); got {var!r}.")
    qtype = ctx.text(m["type"], f"{path}.type")
    if qtype not in QUESTION_TYPES:
        raise ctx.error(f"{path}.type",
                        f"must be one of {', '.join(QUESTION_TYPES)}; got {qtype!r}.{closest(qtype, QUESTION_TYPES)}")
    options, missing = _question_codes(m, path, ctx, scales, qtype)
    return Question(
        var=var, type=qtype, ko=ctx.text(m["ko"], f"{path}.ko"), en=ctx.text(m["en"], f"{path}.en"),
        section=m.get("section"), options=options, missing=missing,
        range=_range(m.get("range"), f"{path}.range", ctx), unit=m.get("unit"),
        ask_if=ctx.rule(m["ask_if"], f"{path}.ask_if") if "ask_if" in m else None,
        battery=m.get("battery"), scale=m.get("scale"), note=m.get("note"),
    )


def _question_codes(m: dict, path: str, ctx: _Ctx, scales: Mapping[str, tuple], qtype: str) -> tuple:
    if "scale" in m:
        if "options" in m or "missing" in m:
            raise ctx.error(f"{path}.scale", "must not be combined with options/missing; use one or the other.")
        name = ctx.text(m["scale"], f"{path}.scale")
        if name not in scales:
            raise ctx.error(f"{path}.scale", f"must name a scale under 'scales'; got {name!r}.{closest(name, scales)}")
        options, missing = scales[name]
    else:
        options = _options(m.get("options", []), f"{path}.options", ctx)
        missing = _missing(m.get("missing", []), options, path, ctx)
    if qtype in ("single", "multi", "likert") and not options:
        raise ctx.error(path, f"must have options (or a scale): a {qtype} question needs coded answers.")
    if qtype in ("numeric", "text") and options:
        raise ctx.error(f"{path}.options", f"must be absent for a {qtype} question; use 'range' and 'missing'.")
    if qtype == "multi" and missing:
        raise ctx.error(f"{path}.missing", "must be absent for a multi question (0/1 columns; empty = not answered).")
    if qtype == "likert" and "battery" not in m:
        raise ctx.error(path, "must have 'battery' (a likert item belongs to a battery). Add battery: <name>.")
    if qtype != "numeric" and "range" in m:
        raise ctx.error(f"{path}.range", f"must be absent for a {qtype} question; ranges apply to numeric questions.")
    return options, missing


def _range(raw: Any, path: str, ctx: _Ctx) -> tuple[float, float] | None:
    if raw is None:
        return None
    numbers = isinstance(raw, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
    if not (numbers and len(raw) == 2):
        raise ctx.error(path, f"must be [low, high] numbers; got {raw!r}.")
    if raw[0] > raw[1]:
        raise ctx.error(path, f"must have low <= high; got {raw!r}. Swap the bounds.")
    return float(raw[0]), float(raw[1])


def _check_questions(qs: tuple[Question, ...], sections: tuple[Section, ...], ctx: _Ctx) -> dict[str, Question]:
    by_column: dict[str, Question] = {}
    names = [s.name for s in sections]
    for i, q in enumerate(qs):
        for c in (q.var, *q.columns()):
            if c in by_column and by_column[c] is not q:
                first = qs.index(by_column[c])
                raise ctx.error(f"questions[{i}].var", f"must be unique; {c!r} is already used by questions[{first}]. Rename one.")
            by_column[c] = q
        if q.section is not None and sections and q.section not in names:
            raise ctx.error(f"questions[{i}].section", f"must name a section; got {q.section!r}.{closest(q.section, names)}")
    order = {c: i for i, q in enumerate(qs) for c in q.columns()}
    for i, q in enumerate(qs):
        for v in q.ask_if.variables if q.ask_if else ():
            if v not in order:
                raise ctx.error(f"questions[{i}].ask_if",
                                f"must refer to known variables; {v!r} is not a question.{closest(v, list(order))}")
            if order[v] >= i:
                raise ctx.error(f"questions[{i}].ask_if", f"must refer to earlier questions; {v!r} comes at or after {q.var!r}.")
    return by_column


def _figure(raw: Any, path: str, ctx: _Ctx) -> FigureSpec:
    m = ctx.mapping(raw, path, _F_KEYS, ("key", "kind"))
    kind = ctx.text(m["kind"], f"{path}.kind")
    if kind not in FIGURE_KINDS:
        raise ctx.error(f"{path}.kind", f"must be one of {', '.join(FIGURE_KINDS)}; got {kind!r}.{closest(kind, FIGURE_KINDS)}")
    q = m.get("question")
    questions = tuple(ctx.text(x, f"{path}.question[{j}]") for j, x in enumerate(q)) if isinstance(q, list) else (
        () if q is None else (ctx.text(q, f"{path}.question"),))
    if (kind == "external") == bool(questions):
        raise ctx.error(f"{path}.question", "must be given for pct/mean/mode figures and absent for external ones.")
    raw_codes = ctx.items(m.get("codes", []), f"{path}.codes")
    codes = tuple(ctx.typed(c, f"{path}.codes[{j}]", int, "a whole-number code") for j, c in enumerate(raw_codes))
    na = m.get("na", "exclude")
    if na not in ("exclude", "count"):
        raise ctx.error(f"{path}.na", f"must be 'exclude' or 'count'; got {na!r}.")
    combine = m.get("combine")
    if (len(questions) > 1) != (combine == "each"):
        raise ctx.error(f"{path}.combine", "must be 'each' exactly when 'question' lists several columns.")
    return FigureSpec(
        key=ctx.text(m["key"], f"{path}.key"), kind=kind, questions=questions, codes=codes,
        code=None if m.get("code") is None else ctx.typed(m["code"], f"{path}.code", int, "a whole-number code"),
        base=ctx.rule(m["base"], f"{path}.base") if "base" in m else None, na=na, combine=combine,
        modal=bool(ctx.typed(m.get("modal", False), f"{path}.modal", bool, "true or false")), note=m.get("note"),
    )


def _check_figures(inst: Instrument, ctx: _Ctx) -> tuple[FigureSpec, ...]:
    """Check figure specs against the questions; MR-column pct figures default to codes [1]."""
    seen: set[str] = set()
    out: list[FigureSpec] = []
    columns = inst.columns()
    for i, f in enumerate(inst.figures):
        path = f"figures[{i}]"
        if f.key in seen:
            raise ctx.error(f"{path}.key", f"must be unique; {f.key!r} appears twice.")
        seen.add(f.key)
        for col in f.questions:
            if col not in columns:
                raise ctx.error(f"{path}.question", f"must name a data column; got {col!r}.{closest(col, columns)}")
            _check_figure_codes(inst, f, col, path, ctx)
        for v in f.base.variables if f.base else ():
            if v not in columns:
                raise ctx.error(f"{path}.base", f"must refer to known variables; {v!r} is not a column.{closest(v, columns)}")
        all_mr = bool(f.questions) and all(c not in inst.variables() for c in f.questions)
        out.append(dataclasses.replace(f, codes=(1,)) if f.kind == "pct" and all_mr and not f.codes else f)
    return tuple(out)


def _check_figure_codes(inst: Instrument, f: FigureSpec, col: str, path: str, ctx: _Ctx) -> None:
    q = inst.question(col)
    is_mr = col != q.var
    want = {"pct": ("single", "likert", "multi"), "mode": ("single", "likert"), "mean": ("numeric",)}[f.kind]
    if q.type not in want:
        raise ctx.error(f"{path}.question", f"must be a {'/'.join(want)} question for kind {f.kind!r}; {col!r} is {q.type}.")
    if f.kind == "pct":
        valid = (0, 1) if is_mr else q.codes()
        if not f.codes and not is_mr:
            raise ctx.error(f"{path}.codes", f"must list the counted codes of {col!r}; choose from {list(valid)}.")
        bad = [c for c in f.codes if c not in valid]
        if bad:
            raise ctx.error(f"{path}.codes", f"must be codes of {col!r} ({list(valid)}); got {bad}.")
    if f.kind == "mode" and f.code not in q.codes():
        raise ctx.error(f"{path}.code", f"must be an option code of {col!r} ({list(q.codes())}); got {f.code!r}.")
