"""Questionnaires as code: the instrument YAML model.

An *instrument* is one questionnaire: its questions (variable names, Korean/English wording,
types, coded options, user-missing codes, valid ranges, routing rules, Likert batteries) and
the mapping of every published figure to a computable specification. Bundled instruments:
``organisation_2018`` and ``worker_2018`` (package data ``surveykit.instruments``).

YAML schema
-----------
Top level: ``name`` and ``questions`` are required; ``survey`` (default: ``name``), ``title: {ko,
en}`` (default: ``name``; one language fills the other), ``fieldwork``, ``n``, ``id`` (respondent
id variable; default ``id`` when there is such a question, else none), ``source``, ``sections: [{name, ko, en}]``, ``scales`` (named option
sets: ``{name: {options: [...], missing: [...]}}``), ``questions`` and ``figures``.

A question has ``var`` (the data column's name as the file spells it -- ``Q1a``, ``HHID``, ``소득``
-- unique; letters, digits, ``_ . @ # $``, not starting with a digit), ``type`` (``single``,
``multi``, ``likert``, ``numeric``, ``text``), ``ko`` and/or ``en`` (one fills the other), and as
needed ``columns`` (a multi question's data columns, one per option, any names), ``section``, ``options`` (``[{code, ko,
en}]``), ``missing`` (user-missing codes, same shape: kept as codes in the data, excluded from
estimands), ``scale`` (name of a shared option set; instead of ``options``/``missing``),
``range: [low, high]`` and ``unit`` (numeric), ``ask_if`` (routing rule), ``battery`` (Likert
battery name) and ``note``.

Data layout: one column per question named ``var``; a ``multi`` (multiple-response) question
is one 0/1 column per option, named by ``columns`` or else ``<var>_<code>`` (the set's name is
``var``). :meth:`Instrument.from_meta` drafts an instrument from a file's own metadata. An empty cell
is system-missing: skipped by routing, or item non-response.

Routing rules (``ask_if``, figure ``base``)
-------------------------------------------
The routing subset of the one expression grammar (:mod:`surveykit.instrument.expr`; never ``eval``, at
most 2000 characters, 500 terms, 50 levels of nesting)::

    expr := term ('or' term)* ;  term := factor ('and' factor)*      ('&' / '|' also work)
    factor := 'not' factor | '(' expr ')' | NAME OP NUMBER | NAME ['not'] 'in' '[' NUMBER, ... ']'
    OP := == | != | < | <= | > | >=

``NAME`` is a data column (a question, or an MR column ``<var>_<code>``). Evaluation is
vectorised and three-valued (Kleene): a comparison on a system-missing value or on a
user-missing code is *unknown*; ``Instrument.mask`` treats unknown as false.

Figure specifications (``figures:``; the contract of ``reproduce.py`` and ``synth.py``)
-------------------------------------------------------------------------------------
Each entry has ``key`` (a key of ``published_figures.yaml`` for this ``survey``) and ``kind``:

``pct``
    Percentage of respondents whose ``question`` value is in ``codes``. ``question`` is one
    data column (an MR column ``<var>_<code>`` counts value 1; ``codes`` defaults to ``[1]``
    there), or a list of columns with ``combine: each`` (each column must reproduce the
    figure on its own). Denominator: rows where ``base`` holds (all rows without ``base``);
    with ``na: exclude`` (default) rows whose value is system-missing or a user-missing code
    are dropped from the denominator (item non-response: e.g. *unaware of third-sector mutual
    aid* 81.4% = 337/414, 3 of 417 did not answer); with ``na: count`` they stay in it as
    "not in codes" (e.g. private-product shares over all 417 workers although the uninsured
    skipped the question). ``modal: true`` adds the published claim that ``codes`` is the
    most frequent answer among valid answers (ties fail).
``mean``
    Unweighted mean of the numeric ``question`` over rows where ``base`` holds whose value is
    neither missing nor a user-missing code.
``mode``
    ``code`` is the single most frequent valid answer of ``question`` among rows where
    ``base`` holds (user-missing codes and system-missing excluded); its Korean label equals
    the published ``value_ko``.
``external``
    Not a survey estimate (a reference number quoted in the text); ``note`` says what it is.

All percentages are of unweighted respondent counts (the published brief reports raw shares).

The routing-rule parser lives in ``_rules`` and the YAML reading and schema checks in
``instrument.schema`` (which also holds the loader); this module holds the model.

Notes
-----
R has no questionnaire model; the closest equivalents are ``haven::labelled_spss`` value
labels and user-missing codes, and SPSS's ``VALUE LABELS`` / ``MISSING VALUES`` / ``MRSETS``.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from surveykit.errors import DataError, InstrumentError, closest
from surveykit.instrument.rules import Rule

if TYPE_CHECKING:
    from surveykit.io import FileMeta

__all__ = [
    "Instrument",
    "Question",
    "Option",
    "Section",
    "FigureSpec",
    "Rule",
    "load_published_figures",
    "bundled_instruments",
    "QUESTION_TYPES",
    "FIGURE_KINDS",
]

QUESTION_TYPES = ("single", "multi", "likert", "numeric", "text")
FIGURE_KINDS = ("pct", "mean", "mode", "external")
LANGS = ("ko", "en")
_PACKAGE = "surveykit.instruments"
_NOT_SELECTED = {"ko": "선택 안 함", "en": "Not selected"}
_MEASURE = {"single": "nominal", "multi": "nominal", "likert": "ordinal", "numeric": "scale", "text": "nominal"}

Rule.__module__ = __name__  # defined in surveykit.instrument.rules; public here (repr, pickle, docs)


@dataclass(frozen=True, slots=True)
class Option:
    """One coded answer: ``code`` with Korean and English labels."""

    code: int
    ko: str
    en: str

    def label(self, lang: str = "ko") -> str:
        return self.ko if _lang(lang) == "ko" else self.en


@dataclass(frozen=True, slots=True)
class Section:
    """A questionnaire section (topic block)."""

    name: str
    ko: str
    en: str


@dataclass(frozen=True, slots=True)
class Question:
    """One question; see the module docstring for the meaning of each field."""

    var: str
    type: str
    ko: str
    en: str
    section: str | None = None
    options: tuple[Option, ...] = ()
    missing: tuple[Option, ...] = ()
    range: tuple[float, float] | None = None
    unit: str | None = None
    ask_if: Rule | None = None
    battery: str | None = None
    scale: str | None = None
    note: str | None = None
    mr_columns: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        """Data columns: ``[var]``; for a multi question its ``mr_columns`` (one per option, in
        option order) or, when none are given, ``<var>_<code>`` per option."""
        if self.type == "multi":
            return list(self.mr_columns) if self.mr_columns else [f"{self.var}_{o.code}" for o in self.options]
        return [self.var]

    def codes(self) -> tuple[int, ...]:
        """Valid (substantive) option codes."""
        return tuple(o.code for o in self.options)

    def missing_codes(self) -> tuple[int, ...]:
        """User-missing codes (e.g. 9 = 모름/무응답)."""
        return tuple(o.code for o in self.missing)

    def text(self, lang: str = "ko") -> str:
        """The question wording in *lang* (``ko`` or ``en``)."""
        return self.ko if _lang(lang) == "ko" else self.en

    def label(self, code: float, lang: str = "ko") -> str:
        """The label of *code* (an option or a user-missing code)."""
        for opt in (*self.options, *self.missing):
            if opt.code == code:
                return opt.label(lang)
        raise DataError(
            f"code {code!r} of question {self.var!r} must be one of {list(self.codes() + self.missing_codes())}; "
            f"it is not in the codebook. Check the data or add the option to the instrument."
        )


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """How one published figure is computed from the microdata (module docstring: semantics)."""

    key: str
    kind: str
    questions: tuple[str, ...] = ()
    codes: tuple[int, ...] = ()
    code: int | None = None
    base: Rule | None = None
    na: str = "exclude"
    combine: str | None = None
    modal: bool = False
    note: str | None = None

    @property
    def question(self) -> str | None:
        """The first (usually only) data column the figure is computed from."""
        return self.questions[0] if self.questions else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "questions": list(self.questions),
            "codes": list(self.codes),
            "code": self.code,
            "base": self.base.text if self.base else None,
            "na": self.na,
            "combine": self.combine,
            "modal": self.modal,
            "note": self.note,
        }


class _Drafter(Protocol):
    """The signature of :meth:`Instrument.from_meta` (see :func:`surveykit.instrument.draft.from_meta`)."""

    def __call__(self, meta: FileMeta, data: pd.DataFrame | None = None, *, name: str | None = None) -> Instrument: ...


class _DrafterSlot(Protocol):
    """What the class attribute is: a descriptor (the bound ``classmethod``) giving a :class:`_Drafter`."""

    def __get__(self, instance: Any, owner: Any = None, /) -> _Drafter: ...


@dataclass(frozen=True, slots=True)
class Instrument:
    """A questionnaire: metadata, questions and published-figure specs.

    Load with :func:`load_instrument`. Immutable; accessors return fresh containers.
    """

    name: str
    survey: str
    title_ko: str
    title_en: str
    questions: tuple[Question, ...]
    figures: tuple[FigureSpec, ...] = ()
    sections: tuple[Section, ...] = ()
    fieldwork: str | None = None
    n: int | None = None
    id: str | None = "id"
    source: str | None = None
    path: str | None = None
    _by_column: Mapping[str, Question] = field(default_factory=dict, repr=False, compare=False)
    #: ``Instrument.from_meta(meta, data=None, *, name=None)``: a draft from a file's metadata. A
    #: classmethod bound by the folder's face (``surveykit.instrument``), so that this module never
    #: imports its drafter; declared here for the type checker, which checks the binding against it.
    from_meta: ClassVar[_DrafterSlot]

    # -- lookup -------------------------------------------------------------------------------
    def question(self, var: str) -> Question:
        """The question named *var*, or owning the MR column *var* (``private_product_1``)."""
        q = self._by_column.get(var)
        if q is None:
            q = next((x for x in self.questions if x.var == var), None)
        if q is None:
            raise DataError(
                f"variable {var!r} must be a question or column of instrument {self.name!r}; it is not."
                f"{closest(var, [*self.variables(), *self.columns()])} Check the spelling."
            )
        return q

    def variables(self) -> list[str]:
        """Question names in questionnaire order (MR sets by their set name)."""
        return [q.var for q in self.questions]

    def columns(self) -> list[str]:
        """Data column names in order, MR questions expanded to ``<var>_<code>``."""
        return [c for q in self.questions for c in q.columns()]

    def figure(self, key: str) -> FigureSpec:
        """The figure spec with *key*."""
        for f in self.figures:
            if f.key == key:
                return f
        raise DataError(
            f"figure key {key!r} must be one of instrument {self.name!r}'s figures; it is not."
            f"{closest(key, [f.key for f in self.figures])}"
        )

    def batteries(self) -> dict[str, tuple[str, ...]]:
        """Likert batteries: ``{battery: (var, ...)}`` in questionnaire order."""
        out: dict[str, list[str]] = {}
        for q in self.questions:
            if q.battery:
                out.setdefault(q.battery, []).append(q.var)
        return {k: tuple(v) for k, v in out.items()}

    def mr_sets(self) -> dict[str, tuple[str, ...]]:
        """Multiple-response sets: ``{var: (column, ...)}``."""
        return {q.var: tuple(q.columns()) for q in self.questions if q.type == "multi"}

    # -- labels -------------------------------------------------------------------------------
    def text(self, var: str, lang: str = "ko") -> str:
        """Wording of question or column *var*; an MR column gets ``"<wording>: <option>"``."""
        q = self.question(var)
        if var != q.var:
            return f"{q.text(lang)}: {q.label(_mr_code(var, q), lang)}"
        return q.text(lang)

    def label(self, var: str, code: float, lang: str = "ko") -> str:
        """Label of *code* for question or column *var* (MR columns: 0/1)."""
        q = self.question(var)
        if var != q.var:
            return self.value_labels(lang)[var][int(code)]
        return q.label(code, lang)

    def missing_codes(self, var: str) -> tuple[int, ...]:
        """User-missing codes of question or column *var* (empty for MR columns)."""
        q = self.question(var)
        return q.missing_codes() if var == q.var else ()

    def missing_map(self) -> dict[str, tuple[int, ...]]:
        """``{column: user-missing codes}`` for every column that has any."""
        return {q.var: q.missing_codes() for q in self.questions if q.missing}

    def variable_labels(self, lang: str = "ko") -> dict[str, str]:
        """``{column: wording}`` for every data column."""
        return {c: self.text(c, lang) for c in self.columns()}

    def value_labels(self, lang: str = "ko") -> dict[str, dict[int, str]]:
        """``{column: {code: label}}``, user-missing codes included; MR columns ``{0, 1}``."""
        out: dict[str, dict[int, str]] = {}
        for q in self.questions:
            if q.type == "multi":
                for c, o in zip(q.columns(), q.options):
                    out[c] = {0: _NOT_SELECTED[_lang(lang)], 1: o.label(lang)}
            elif q.options or q.missing:
                out[q.var] = {o.code: o.label(lang) for o in (*q.options, *q.missing)}
        return out

    def measure(self) -> dict[str, str]:
        """SPSS measurement level per column: nominal, ordinal (Likert) or scale (numeric)."""
        return {c: _MEASURE[q.type] for q in self.questions for c in q.columns()}

    def to_file_meta(self, lang: str = "ko") -> dict[str, Any]:
        """Keyword arguments for ``surveykit.io.write_sav(data, path, **meta)``.

        Keys ``variable_labels``, ``value_labels``, ``missing`` (``{column: [codes]}``) and
        ``measure``; the SPSS equivalents are VARIABLE LABELS, VALUE LABELS, MISSING VALUES and
        VARIABLE LEVEL.
        """
        return {
            "variable_labels": self.variable_labels(lang),
            "value_labels": self.value_labels(lang),
            "missing": {k: list(v) for k, v in self.missing_map().items()},
            "measure": self.measure(),
        }

    def codebook(self, lang: str = "ko") -> pd.DataFrame:
        """One row per data column: variable, question, type, section, text, codes, missing,
        range, unit, ask_if, battery (codes as ``"1=label; 2=label"``)."""
        labels = self.value_labels(lang)
        rows = []
        for q in self.questions:
            for c in q.columns():
                codes = "; ".join(f"{k}={v}" for k, v in labels.get(c, {}).items() if k not in q.missing_codes())
                rows.append(
                    (
                        c,
                        q.var,
                        q.type,
                        q.section,
                        self.text(c, lang),
                        codes,
                        ", ".join(map(str, q.missing_codes())) if c == q.var else "",
                        "" if q.range is None else f"{q.range[0]:g}..{q.range[1]:g}",
                        q.unit or "",
                        q.ask_if.text if q.ask_if else "",
                        q.battery or "",
                    )
                )
        return pd.DataFrame(
            rows,
            columns=[
                "column",
                "question",
                "type",
                "section",
                "text",
                "codes",
                "missing",
                "range",
                "unit",
                "ask_if",
                "battery",
            ],
        )

    # -- rules --------------------------------------------------------------------------------
    def evaluate(self, rule: Rule | str, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Three-valued ``(true, known)`` of *rule* on *data*, user-missing codes unknown."""
        rule = Rule.parse(rule) if isinstance(rule, str) else rule
        return rule.evaluate(data, self.missing_map())

    def mask(self, rule: Rule | str | None, data: pd.DataFrame) -> np.ndarray:
        """Boolean array: rows where *rule* is known to hold (all rows for ``None``)."""
        if rule is None:
            return np.ones(len(data), dtype=bool)
        return self.evaluate(rule, data)[0]


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise DataError(f"language must be 'ko' or 'en'; got {lang!r}. Pass lang='ko' or lang='en'.")
    return lang


def _mr_code(column: str, q: Question) -> int:
    return q.options[q.columns().index(column)].code


def bundled_instruments() -> list[str]:
    """Names of the instruments shipped with the package."""
    files = importlib.resources.files(_PACKAGE)
    return sorted(
        p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml") and p.name != "published_figures.yaml"
    )


def load_published_figures() -> dict[str, Any]:
    """The bundled ``published_figures.yaml`` (every published number, with base and count)."""
    from surveykit._util.yaml import load_yaml

    text = importlib.resources.files(_PACKAGE).joinpath("published_figures.yaml").read_text(encoding="utf-8")
    return load_yaml(text, "published_figures.yaml", InstrumentError)
