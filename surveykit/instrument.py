"""Questionnaires as code: the instrument YAML model.

An *instrument* is one questionnaire: its questions (variable names, Korean/English wording,
types, coded options, user-missing codes, valid ranges, routing rules, Likert batteries) and
the mapping of every published figure to a computable specification. Bundled instruments:
``organisation_2018`` and ``worker_2018`` (package data ``surveykit.instruments``).

YAML schema
-----------
Top level: ``name``, ``survey``, ``title: {ko, en}``, ``fieldwork``, ``n``, ``id`` (respondent id
variable, default ``id``), ``source``, ``sections: [{name, ko, en}]``, ``scales`` (named option
sets: ``{name: {options: [...], missing: [...]}}``), ``questions`` and ``figures``.

A question has ``var`` (snake_case, unique), ``type`` (``single``, ``multi``, ``likert``,
``numeric``, ``text``), ``ko``, ``en``, and as needed ``section``, ``options`` (``[{code, ko,
en}]``), ``missing`` (user-missing codes, same shape: kept as codes in the data, excluded from
estimands), ``scale`` (name of a shared option set; instead of ``options``/``missing``),
``range: [low, high]`` and ``unit`` (numeric), ``ask_if`` (routing rule), ``battery`` (Likert
battery name) and ``note``.

Data layout: one column per question named ``var``; a ``multi`` (multiple-response) question
is one 0/1 column per option named ``<var>_<code>`` (the set's name is ``var``). An empty cell
is system-missing: skipped by routing, or item non-response.

Routing rules (``ask_if``, figure ``base``)
-------------------------------------------
A small expression language, parsed here (never ``eval``)::

    expr := term ('or' term)* ;  term := factor ('and' factor)*
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

Notes
-----
R has no questionnaire model; the closest equivalents are ``haven::labelled_spss`` value
labels and user-missing codes, and SPSS's ``VALUE LABELS`` / ``MISSING VALUES`` / ``MRSETS``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, InstrumentError, closest

__all__ = [
    "Instrument",
    "Question",
    "Option",
    "Section",
    "FigureSpec",
    "Rule",
    "load_instrument",
    "load_published_figures",
    "bundled_instruments",
    "QUESTION_TYPES",
    "FIGURE_KINDS",
]

QUESTION_TYPES = ("single", "multi", "likert", "numeric", "text")
FIGURE_KINDS = ("pct", "mean", "mode", "external")
LANGS = ("ko", "en")
_PACKAGE = "surveykit.instruments"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_NOT_SELECTED = {"ko": "선택 안 함", "en": "Not selected"}
_MEASURE = {"single": "nominal", "multi": "nominal", "likert": "ordinal", "numeric": "scale", "text": "nominal"}


# --------------------------------------------------------------------------------------------
# Routing rules
# --------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,))"
)
_KEYWORDS = {"and", "or", "not", "in"}
_OPS = {
    "==": np.equal, "!=": np.not_equal, "<": np.less,
    "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise InstrumentError(
                f"routing rule {text!r} must use names, numbers and == != < <= > >= in and or not ( ) [ ]; "
                f"got {text[pos:].lstrip()[:1]!r} at position {len(text) - len(text[pos:].lstrip()) + 1}. "
                "Rewrite it, e.g. \"coverage_held == 1\"."
            )
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = value
        tokens.append((kind, value))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive-descent parser producing a tuple AST."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def fail(self, expected: str) -> InstrumentError:
        got = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of rule"
        return InstrumentError(
            f"routing rule {self.text!r} must have {expected} at token {self.i + 1}; got {got!r}. "
            f"Write rules like \"loan_used_3y == 1 and lender in [1, 2]\"."
        )

    def peek(self) -> str:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else ""

    def take(self, kind: str, expected: str) -> str:
        if self.peek() != kind:
            raise self.fail(expected)
        value = self.tokens[self.i][1]
        self.i += 1
        return value

    def take_op(self, ops: Sequence[str], expected: str) -> str:
        if self.peek() != "op" or self.tokens[self.i][1] not in ops:
            raise self.fail(expected)
        self.i += 1
        return self.tokens[self.i - 1][1]

    def parse(self) -> tuple:
        node = self.expr()
        if self.i != len(self.tokens):
            raise self.fail("'and', 'or' or the end")
        return node

    def expr(self) -> tuple:
        node = self.term()
        while self.peek() == "or":
            self.i += 1
            node = ("or", node, self.term())
        return node

    def term(self) -> tuple:
        node = self.factor()
        while self.peek() == "and":
            self.i += 1
            node = ("and", node, self.factor())
        return node

    def factor(self) -> tuple:
        if self.peek() == "not":
            self.i += 1
            return ("not", self.factor())
        if self.peek() == "op" and self.tokens[self.i][1] == "(":
            self.i += 1
            node = self.expr()
            self.take_op([")"], "')'")
            return node
        name = self.take("name", "a variable name")
        if self.peek() in ("in", "not"):
            negate = self.peek() == "not"
            self.i += 1
            if negate:
                self.take("in", "'in' after 'not'")
            return ("in", name, self.number_list(), negate)
        op = self.take_op(list(_OPS), "a comparison (== != < <= > >=) or 'in'")
        return ("cmp", name, op, float(self.take("num", "a number")))

    def number_list(self) -> tuple[float, ...]:
        self.take_op(["["], "'['")
        values = [float(self.take("num", "a number"))]
        while self.peek() == "op" and self.tokens[self.i][1] == ",":
            self.i += 1
            values.append(float(self.take("num", "a number")))
        self.take_op(["]"], "']'")
        return tuple(values)


def _names(node: tuple) -> list[str]:
    if node[0] in ("cmp", "in"):
        return [node[1]]
    return [n for child in node[1:] for n in _names(child)]


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed routing rule (``ask_if``) or figure base, e.g. ``"coverage_held == 1"``.

    ``evaluate`` is vectorised and three-valued: comparisons on system-missing values or on
    the user-missing codes given in ``missing`` are unknown.
    """

    text: str
    node: tuple = field(repr=False)
    variables: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Rule:
        """Parse *text*; raise :class:`InstrumentError` naming the offending token."""
        if not isinstance(text, str) or not text.strip():
            raise InstrumentError(f"a routing rule must be a non-empty string; got {text!r}.")
        node = _Parser(text).parse()
        return cls(text=text.strip(), node=node, variables=tuple(dict.fromkeys(_names(node))))

    def evaluate(
        self, data: pd.DataFrame, missing: Mapping[str, Sequence[float]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(true, known)`` boolean arrays over the rows of *data*."""
        absent = [v for v in self.variables if v not in data.columns]
        if absent:
            raise DataError(
                f"routing rule {self.text!r} needs column {absent[0]!r}; the data has no such column."
                f"{closest(absent[0], data.columns)} Add the column or fix the rule."
            )
        return _eval(self.node, data, missing or {})


def _eval(node: tuple, data: pd.DataFrame, missing: Mapping[str, Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    kind = node[0]
    if kind in ("cmp", "in"):
        x = pd.to_numeric(data[node[1]], errors="coerce").to_numpy(dtype=float)
        known = ~np.isnan(x) & ~np.isin(x, np.asarray(missing.get(node[1], ()), dtype=float))
        if kind == "cmp":
            true = _OPS[node[2]](x, node[3])
        else:
            true = np.isin(x, np.asarray(node[2])) != node[3]
        return true & known, known
    if kind == "not":
        t, k = _eval(node[1], data, missing)
        return ~t & k, k
    ta, ka = _eval(node[1], data, missing)
    tb, kb = _eval(node[2], data, missing)
    if kind == "and":
        return ta & tb, (ka & kb) | (ka & ~ta) | (kb & ~tb)
    return ta | tb, (ka & kb) | ta | tb


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


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

    def columns(self) -> list[str]:
        """Data columns: ``[var]``, or ``<var>_<code>`` per option for a multi question."""
        if self.type == "multi":
            return [f"{self.var}_{o.code}" for o in self.options]
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
            "key": self.key, "kind": self.kind, "questions": list(self.questions),
            "codes": list(self.codes), "code": self.code, "base": self.base.text if self.base else None,
            "na": self.na, "combine": self.combine, "modal": self.modal, "note": self.note,
        }


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
    id: str = "id"
    source: str | None = None
    path: str | None = None
    _by_column: Mapping[str, Question] = field(default_factory=dict, repr=False, compare=False)

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
                for o in q.options:
                    out[f"{q.var}_{o.code}"] = {0: _NOT_SELECTED[_lang(lang)], 1: o.label(lang)}
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
                rows.append((c, q.var, q.type, q.section, self.text(c, lang), codes,
                             ", ".join(map(str, q.missing_codes())) if c == q.var else "",
                             "" if q.range is None else f"{q.range[0]:g}..{q.range[1]:g}", q.unit or "",
                             q.ask_if.text if q.ask_if else "", q.battery or ""))
        return pd.DataFrame(rows, columns=["column", "question", "type", "section", "text", "codes", "missing",
                                           "range", "unit", "ask_if", "battery"])

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
    return int(column[len(q.var) + 1:])


# --------------------------------------------------------------------------------------------
# Loading and schema validation
# --------------------------------------------------------------------------------------------


def bundled_instruments() -> list[str]:
    """Names of the instruments shipped with the package."""
    files = importlib.resources.files(_PACKAGE)
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml") and p.name != "published_figures.yaml")


def load_published_figures() -> dict[str, Any]:
    """The bundled ``published_figures.yaml`` (every published number, with base and count)."""
    import yaml

    text = importlib.resources.files(_PACKAGE).joinpath("published_figures.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader


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
    The YAML is read with PyYAML's safe loader (``CSafeLoader`` when available), never the
    full loader. Bundled instruments are parsed once and shared (they are immutable). Closest R idea: a ``haven`` labelled data
    dictionary; closest SPSS idea: a syntax file of VALUE LABELS / MISSING VALUES / MRSETS.
    """
    s = str(name_or_path)
    if not isinstance(name_or_path, Path) and s in bundled_instruments():
        return _load_bundled(s)
    return _parse(*_read_source(name_or_path))


@functools.lru_cache(maxsize=None)
def _load_bundled(name: str) -> Instrument:
    return _parse(*_read_source(name))  # immutable, so one shared copy per bundled name


def _parse(path: str, text: str) -> Instrument:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the safe loader (C version when built)
    try:
        raw = yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader/CSafeLoader only
    except yaml.YAMLError as exc:
        raise InstrumentError(f"{path}: must be valid YAML; {exc}. Fix the syntax at that line.") from None
    return _build(raw, _Ctx(path))


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
        out[str(name)] = (_options(m["options"], f"scales.{name}.options", ctx),
                          _options(m.get("missing", []), f"scales.{name}.missing", ctx))
    return out


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
        missing = _options(m.get("missing", []), f"{path}.missing", ctx)
    if qtype in ("single", "multi", "likert") and not options:
        raise ctx.error(path, f"must have options (or a scale): a {qtype} question needs coded answers.")
    if qtype in ("numeric", "text") and options:
        raise ctx.error(f"{path}.options", f"must be absent for a {qtype} question; use 'range' and 'missing'.")
    if qtype == "multi" and missing:
        raise ctx.error(f"{path}.missing", "must be absent for a multi question (0/1 columns; empty = not answered).")
    clash = sorted(set(o.code for o in options) & set(o.code for o in missing))
    if clash:
        raise ctx.error(f"{path}.missing", f"must not reuse option codes; got {clash}. Use a distinct code such as 9 or 99.")
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
