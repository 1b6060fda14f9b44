"""Instrument YAML to :class:`~surveykit.instrument.model.Instrument`: reading, parsing, schema checks.

:func:`_read_source` finds the YAML text (a bundled name or a path), :func:`_parse` loads it
with the safe loader, and :func:`_build` checks it against the schema documented in
:mod:`surveykit.instrument.model` -- known keys, types, unique column-like variable names, option and
missing codes, ranges, routing rules, figure specifications and their codes -- raising one
:class:`~surveykit.errors.InstrumentError` that names the file, the key path (e.g.
``questions[12].options[3].code``) and the fix. :class:`_Ctx` carries the file name and the
checking helpers.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surveykit._util.schema import Checker, is_number, key_path
from surveykit._util.yaml import MAX_CHARS, load_yaml
from surveykit.errors import InstrumentError, closest, excerpt
from surveykit.instrument.model import (
    _PACKAGE,
    FIGURE_KINDS,
    LANGS,
    QUESTION_TYPES,
    FigureSpec,
    Instrument,
    Option,
    Question,
    Section,
    bundled_instruments,
)
from surveykit.instrument.rules import Rule

#: a column name as SPSS/Stata/R spell it: Unicode letters, digits, _ . @ # $; not starting with a digit
_NAME_RE = re.compile(r"^[^\W\d][\w.@#$]*$")
_NAME_MAX = 64


def _read_source(name_or_path: str | Path) -> tuple[str, str]:
    s = str(name_or_path)
    if isinstance(name_or_path, Path) or s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s:
        p = Path(s)
        if not p.is_file():
            raise InstrumentError(f"instrument file {excerpt(s)} must exist; it does not. Check the path.")
        if p.stat().st_size > 4 * MAX_CHARS:
            raise InstrumentError(
                f"{s}: must be valid YAML of at most {MAX_CHARS:,} characters; got "
                f"{p.stat().st_size:,} bytes. Split the file or remove what it does not need."
            )
        try:
            return s, p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InstrumentError(f"{s}: must be a readable UTF-8 YAML file; {exc}.") from None
    names = bundled_instruments()
    if s not in names:
        raise InstrumentError(
            f"instrument {excerpt(s)} must be a bundled name ({', '.join(names)}) or a .yaml path; got neither."
            f"{closest(s, names)}"
        )
    return f"{s}.yaml", importlib.resources.files(_PACKAGE).joinpath(f"{s}.yaml").read_text(encoding="utf-8")


def _parse(path: str, text: str) -> Instrument:
    return _build(load_yaml(text, path, InstrumentError), _Ctx(path))


@dataclass(frozen=True, slots=True)
class _Ctx(Checker):
    """The shared :class:`~surveykit._util.schema.Checker` raising ``InstrumentError``, plus instrument helpers."""

    error: type[Exception] = InstrumentError
    show_type: bool = True

    def typed(self, value: Any, path: str, kinds: type | tuple[type, ...], what: str) -> Any:
        if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
            self.expect(path, what, value)
        if not isinstance(value, kinds):
            self.expect(path, what, value)
        return value

    def text(self, value: Any, path: str) -> str:
        return self.string(value, path, "a non-empty string", fix="Fill it in (quote it if YAML reads it as a number).")

    def label(self, value: Any, path: str) -> str:
        """An option's wording: a non-empty string (a plain number is taken as its text)."""
        if is_number(value) and isinstance(value, int):
            return str(value)
        return self.string(value, path, "a non-empty string", fix="Quote the text (YAML reads yes/no as true/false).")

    def optional_text(self, value: Any, path: str) -> str | None:
        return None if value is None else self.text(value, path)

    def items(self, value: Any, path: str) -> list:
        return self.seq(value, path, "a list")

    def rule(self, value: Any, path: str) -> Rule:
        text = self.typed(value, path, str, 'a rule string like "coverage_held == 1"')
        if len(text) > 2000:
            self.fail(path, f"must be a rule of at most 2000 characters; got {len(text):,}. Shorten it.")
        try:
            return Rule.parse(text)
        except InstrumentError as exc:
            raise self.err(path, str(exc)) from None
        except RecursionError:
            raise self.err(path, "must nest parentheses less deeply; simplify the rule.") from None


_TOP_KEYS = ("name", "survey", "title", "fieldwork", "n", "id", "source", "sections", "scales", "questions", "figures")
_Q_KEYS = (
    "var",
    "type",
    "ko",
    "en",
    "section",
    "options",
    "missing",
    "scale",
    "range",
    "unit",
    "ask_if",
    "battery",
    "note",
    "columns",
)
_F_KEYS = ("key", "kind", "question", "codes", "code", "base", "na", "combine", "modal", "note")


def _build(raw: Any, ctx: _Ctx) -> Instrument:
    top = ctx.mapping(raw, "", _TOP_KEYS, ("name", "questions"))
    name = ctx.text(top["name"], "name")
    title = _bilingual(ctx.mapping(top.get("title", {"ko": name}), "title", LANGS), "title", ctx)
    sections = tuple(
        _section(s, f"sections[{i}]", ctx) for i, s in enumerate(ctx.items(top.get("sections", []), "sections"))
    )
    scales = _scales(top.get("scales", {}), ctx)
    qs = tuple(
        _question(q, f"questions[{i}]", ctx, scales) for i, q in enumerate(ctx.items(top["questions"], "questions"))
    )
    by_column = _check_questions(qs, sections, ctx)
    id_var = ctx.text(top["id"], "id") if top.get("id") is not None else ("id" if "id" in by_column else None)
    if id_var is not None and id_var not in by_column:
        raise ctx.err(
            "id",
            f"must name a question; got {excerpt(id_var)}.{closest(id_var, list(by_column))} "
            "Add that question, or drop 'id' when the file has no respondent id.",
        )
    figures = tuple(
        _figure(f, f"figures[{i}]", ctx) for i, f in enumerate(ctx.items(top.get("figures", []), "figures"))
    )
    inst = Instrument(
        name=name,
        survey=ctx.text(top.get("survey", name), "survey"),
        title_ko=title[0],
        title_en=title[1],
        questions=qs,
        figures=figures,
        sections=sections,
        fieldwork=_fieldwork(top.get("fieldwork"), ctx),
        n=None if top.get("n") is None else ctx.integer(top["n"], "n", "a whole number >= 1", minimum=1),
        id=id_var,
        source=ctx.optional_text(top.get("source"), "source"),
        path=ctx.file,
        _by_column=types.MappingProxyType({c: q for c, q in by_column.items() if c != q.var}),
    )
    return dataclasses.replace(inst, figures=_check_figures(inst, ctx))


def _bilingual(m: dict, path: str, ctx: _Ctx) -> tuple[str, str]:
    """``(ko, en)`` of a mapping with ``ko`` and/or ``en``; the one given fills the other."""
    if not m:
        raise ctx.err(path, "must give the wording in ko or en (or both); got neither. Add ko: ... and/or en: ....")
    ko = ctx.text(m["ko"], f"{path}.ko") if "ko" in m else None
    en = ctx.text(m["en"], f"{path}.en") if "en" in m else None
    return ko or en, en or ko  # type: ignore[return-value]


def _fieldwork(value: Any, ctx: _Ctx) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) or (is_number(value) and isinstance(value, int)) or hasattr(value, "isoformat"):
        return str(value)
    ctx.expect("fieldwork", 'a period such as "2018-09"', value, "Quote it.")


def _section(raw: Any, path: str, ctx: _Ctx) -> Section:
    m = ctx.mapping(raw, path, ("name", "ko", "en"), ("name", "ko", "en"))
    return Section(
        ctx.text(m["name"], f"{path}.name"), ctx.text(m["ko"], f"{path}.ko"), ctx.text(m["en"], f"{path}.en")
    )


def _options(raw: Any, path: str, ctx: _Ctx) -> tuple[Option, ...]:
    out: list[Option] = []
    for i, o in enumerate(ctx.items(raw, path)):
        p = f"{path}[{i}]"
        m = ctx.mapping(o, p, ("code", "ko", "en"), ("code",))
        code = ctx.integer(m["code"], f"{p}.code", "a whole-number code")
        if any(x.code == code for x in out):
            raise ctx.err(f"{p}.code", f"must be unique within the list; got {code} twice. Renumber the options.")
        if not ("ko" in m or "en" in m):
            raise ctx.err(p, f"must give the label of code {code} in ko or en (or both); got neither. Add ko: ....")
        ko = ctx.label(m["ko"], f"{p}.ko") if "ko" in m else None
        en = ctx.label(m["en"], f"{p}.en") if "en" in m else None
        out.append(Option(code, ko or en, en or ko))  # type: ignore[arg-type]
    return tuple(out)


def _scales(raw: Any, ctx: _Ctx) -> dict[str, tuple[tuple[Option, ...], tuple[Option, ...]]]:
    ctx.mapping(raw, "scales", what="a mapping of scale name -> {options, missing}")
    out = {}
    for name, spec in raw.items():
        where = key_path("scales", name)
        m = ctx.mapping(spec, where, ("options", "missing"), ("options",))
        options = _options(m["options"], f"{where}.options", ctx)
        out[str(name)] = (options, _missing(m.get("missing", []), options, where, ctx))
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
            raise ctx.err(
                f"{path}.missing[{j}].code",
                f"must not also be an answer option; {m.code} is {path}.options[{i}] {excerpt(o.ko)} ({o.en}), so that "
                f"answer would count as missing. Give the user-missing code a number no option uses (e.g. {free}).",
            )
    return missing


def _question(raw: Any, path: str, ctx: _Ctx, scales: Mapping[str, tuple]) -> Question:
    m = ctx.mapping(raw, path, _Q_KEYS, ("var", "type"))
    var = ctx.text(m["var"], f"{path}.var")
    if not _NAME_RE.match(var) or len(var) > _NAME_MAX:
        raise ctx.err(
            f"{path}.var",
            f"must be a column name (letters, digits, _ . @ # $; not starting with a digit; "
            f"at most {_NAME_MAX} characters); got {excerpt(var)}. Use the name the data file gives "
            "the column.",
        )
    qtype = ctx.text(m["type"], f"{path}.type")
    if qtype not in QUESTION_TYPES:
        raise ctx.err(
            f"{path}.type",
            f"must be one of {', '.join(QUESTION_TYPES)}; got {excerpt(qtype)}.{closest(qtype, QUESTION_TYPES)}",
        )
    options, missing = _question_codes(m, path, ctx, scales, qtype)
    ko, en = _bilingual({k: m[k] for k in LANGS if k in m}, path, ctx)
    return Question(
        var=var,
        type=qtype,
        ko=ko,
        en=en,
        mr_columns=_mr_columns(m, options, path, ctx, qtype),
        section=ctx.optional_text(m.get("section"), f"{path}.section"),
        options=options,
        missing=missing,
        range=_range(m.get("range"), f"{path}.range", ctx),
        unit=ctx.optional_text(m.get("unit"), f"{path}.unit"),
        ask_if=ctx.rule(m["ask_if"], f"{path}.ask_if") if "ask_if" in m else None,
        battery=ctx.optional_text(m.get("battery"), f"{path}.battery"),
        scale=m.get("scale"),
        note=ctx.optional_text(m.get("note"), f"{path}.note"),
    )


def _question_codes(m: dict, path: str, ctx: _Ctx, scales: Mapping[str, tuple], qtype: str) -> tuple:
    if "scale" in m:
        if "options" in m or "missing" in m:
            raise ctx.err(f"{path}.scale", "must not be combined with options/missing; use one or the other.")
        name = ctx.text(m["scale"], f"{path}.scale")
        if name not in scales:
            raise ctx.err(
                f"{path}.scale", f"must name a scale under 'scales'; got {excerpt(name)}.{closest(name, scales)}"
            )
        options, missing = scales[name]
    else:
        options = _options(m.get("options", []), f"{path}.options", ctx)
        missing = _missing(m.get("missing", []), options, path, ctx)
    if qtype in ("single", "multi", "likert") and not options:
        raise ctx.err(path, f"must have options (or a scale): a {qtype} question needs coded answers.")
    if qtype in ("numeric", "text") and options:
        raise ctx.err(f"{path}.options", f"must be absent for a {qtype} question; use 'range' and 'missing'.")
    if qtype == "multi" and missing:
        raise ctx.err(f"{path}.missing", "must be absent for a multi question (0/1 columns; empty = not answered).")
    if qtype == "likert" and "battery" not in m:
        raise ctx.err(path, "must have 'battery' (a likert item belongs to a battery). Add battery: <name>.")
    if qtype != "numeric" and "range" in m:
        raise ctx.err(f"{path}.range", f"must be absent for a {qtype} question; ranges apply to numeric questions.")
    return options, missing


def _mr_columns(m: dict, options: tuple[Option, ...], path: str, ctx: _Ctx, qtype: str) -> tuple[str, ...]:
    if "columns" not in m:
        return ()
    if qtype != "multi":
        raise ctx.err(
            f"{path}.columns", f"must be absent for a {qtype} question; only a multi question has several columns."
        )
    cols = tuple(ctx.text(c, f"{path}.columns[{j}]") for j, c in enumerate(ctx.items(m["columns"], f"{path}.columns")))
    if len(cols) != len(options):
        raise ctx.err(
            f"{path}.columns",
            f"must list one data column per option ({len(options)}); got {len(cols)}. "
            "Give each option its 0/1 column, in option order.",
        )
    for j, c in enumerate(cols):
        if not _NAME_RE.match(c):
            raise ctx.err(
                f"{path}.columns[{j}]", f"must be a column name (letters, digits, _ . @ # $); got {excerpt(c)}."
            )
    return cols


def _range(raw: Any, path: str, ctx: _Ctx) -> tuple[float, float] | None:
    if raw is None:
        return None
    if not (isinstance(raw, list) and len(raw) == 2):
        ctx.expect(path, "[low, high] numbers", raw)
    for j, v in enumerate(raw):
        ctx.number(v, f"{path}[{j}]", "a finite number (a bound of [low, high])")
    if raw[0] > raw[1]:
        ctx.fail(path, f"must have low <= high; got {ctx.got(raw)}. Swap the bounds.")
    return float(raw[0]), float(raw[1])


def _check_questions(qs: tuple[Question, ...], sections: tuple[Section, ...], ctx: _Ctx) -> dict[str, Question]:
    by_column: dict[str, Question] = {}
    names = [s.name for s in sections]
    for i, q in enumerate(qs):
        for c in (q.var, *q.columns()):
            if c in by_column and by_column[c] is not q:
                first = qs.index(by_column[c])
                raise ctx.err(
                    f"questions[{i}].var",
                    f"must be unique; {excerpt(c)} is already used by questions[{first}]. Rename one.",
                )
            by_column[c] = q
        if q.section is not None and sections and q.section not in names:
            raise ctx.err(
                f"questions[{i}].section", f"must name a section; got {excerpt(q.section)}.{closest(q.section, names)}"
            )
    order = {c: i for i, q in enumerate(qs) for c in q.columns()}
    for i, q in enumerate(qs):
        for v in q.ask_if.variables if q.ask_if else ():
            if v not in order:
                raise ctx.err(
                    f"questions[{i}].ask_if",
                    f"must refer to known variables; {excerpt(v)} is not a question.{closest(v, list(order))}",
                )
            if order[v] >= i:
                raise ctx.err(
                    f"questions[{i}].ask_if",
                    f"must refer to earlier questions; {excerpt(v)} comes at or after {excerpt(q.var)}.",
                )
    return by_column


def _figure(raw: Any, path: str, ctx: _Ctx) -> FigureSpec:
    m = ctx.mapping(raw, path, _F_KEYS, ("key", "kind"))
    kind = ctx.text(m["kind"], f"{path}.kind")
    if kind not in FIGURE_KINDS:
        raise ctx.err(
            f"{path}.kind",
            f"must be one of {', '.join(FIGURE_KINDS)}; got {excerpt(kind)}.{closest(kind, FIGURE_KINDS)}",
        )
    q = m.get("question")
    questions = (
        tuple(ctx.text(x, f"{path}.question[{j}]") for j, x in enumerate(q))
        if isinstance(q, list)
        else (() if q is None else (ctx.text(q, f"{path}.question"),))
    )
    if (kind == "external") == bool(questions):
        raise ctx.err(f"{path}.question", "must be given for pct/mean/mode figures and absent for external ones.")
    raw_codes = ctx.items(m.get("codes", []), f"{path}.codes")
    codes = tuple(ctx.integer(c, f"{path}.codes[{j}]", "a whole-number code") for j, c in enumerate(raw_codes))
    na = ctx.choice(m.get("na", "exclude"), f"{path}.na", ("exclude", "count"))
    combine = m.get("combine")
    if combine is not None:
        ctx.choice(combine, f"{path}.combine", ("each",))
    if (len(questions) > 1) != (combine == "each"):
        raise ctx.err(f"{path}.combine", "must be 'each' exactly when 'question' lists several columns.")
    return FigureSpec(
        key=ctx.text(m["key"], f"{path}.key"),
        kind=kind,
        questions=questions,
        codes=codes,
        code=None if m.get("code") is None else ctx.integer(m["code"], f"{path}.code", "a whole-number code"),
        base=ctx.rule(m["base"], f"{path}.base") if "base" in m else None,
        na=na,
        combine=combine,
        modal=ctx.boolean(m.get("modal", False), f"{path}.modal"),
        note=ctx.optional_text(m.get("note"), f"{path}.note"),
    )


def _check_figures(inst: Instrument, ctx: _Ctx) -> tuple[FigureSpec, ...]:
    """Check figure specs against the questions; MR-column pct figures default to codes [1]."""
    seen: set[str] = set()
    out: list[FigureSpec] = []
    columns = inst.columns()
    for i, f in enumerate(inst.figures):
        path = f"figures[{i}]"
        if f.key in seen:
            raise ctx.err(f"{path}.key", f"must be unique; {excerpt(f.key)} appears twice.")
        seen.add(f.key)
        for col in f.questions:
            if col not in columns:
                raise ctx.err(
                    f"{path}.question", f"must name a data column; got {excerpt(col)}.{closest(col, columns)}"
                )
            _check_figure_codes(inst, f, col, path, ctx)
        for v in f.base.variables if f.base else ():
            if v not in columns:
                raise ctx.err(
                    f"{path}.base", f"must refer to known variables; {excerpt(v)} is not a column.{closest(v, columns)}"
                )
        all_mr = bool(f.questions) and all(c not in inst.variables() for c in f.questions)
        out.append(dataclasses.replace(f, codes=(1,)) if f.kind == "pct" and all_mr and not f.codes else f)
    return tuple(out)


def _check_figure_codes(inst: Instrument, f: FigureSpec, col: str, path: str, ctx: _Ctx) -> None:
    q = inst.question(col)
    is_mr = col != q.var
    want = {"pct": ("single", "likert", "multi"), "mode": ("single", "likert"), "mean": ("numeric",)}[f.kind]
    if q.type not in want:
        raise ctx.err(
            f"{path}.question",
            f"must be a {'/'.join(want)} question for kind {excerpt(f.kind)}; {excerpt(col)} is {q.type}.",
        )
    if f.kind == "pct":
        valid = (0, 1) if is_mr else q.codes()
        if not f.codes and not is_mr:
            raise ctx.err(
                f"{path}.codes", f"must list the counted codes of {excerpt(col)}; choose from {excerpt(list(valid))}."
            )
        bad = [c for c in f.codes if c not in valid]
        if bad:
            raise ctx.err(
                f"{path}.codes", f"must be codes of {excerpt(col)} ({excerpt(list(valid))}); got {excerpt(bad)}."
            )
    if f.kind == "mode" and f.code not in q.codes():
        raise ctx.err(
            f"{path}.code",
            f"must be an option code of {excerpt(col)} ({excerpt(list(q.codes()))}); got {excerpt(f.code)}.",
        )


def load_instrument(name_or_path: str | Path) -> Instrument:
    """Load and validate an instrument YAML.

    Parameters
    ----------
    name_or_path : str or Path
        A bundled name (``organisation_2018``, ``worker_2018``) or a path to a YAML file.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        The file is missing, not YAML, or breaks the schema; the message names the file and
        the key path (e.g. ``questions[12].options[3].code``) and how to fix it.

    Notes
    -----
    The YAML is read by :func:`surveykit._util.yaml.load_yaml`: PyYAML's safe constructors (libyaml's
    parser when available), no anchors or aliases, no duplicate keys, bounded size and depth. Bundled instruments are parsed once and shared (they are immutable). Closest R idea: a ``haven`` labelled data
    dictionary; closest SPSS idea: a syntax file of VALUE LABELS / MISSING VALUES / MRSETS.
    """
    s = str(name_or_path)
    if not isinstance(name_or_path, Path) and s in bundled_instruments():
        return _load_bundled(s)
    return _parse(*_read_source(name_or_path))


@functools.cache
def _load_bundled(name: str) -> Instrument:
    return _parse(*_read_source(name))  # immutable, so one shared copy per bundled name
