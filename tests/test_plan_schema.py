"""Deep schema checks: every key of a plan or instrument is type-checked when the file loads.

Each case edits a copy of a bundled plan (``worker_brief``) or instrument
(``organisation_2018``) and asserts the exact message head: file, key path, what it must be.
A Hypothesis property feeds random documents and random mutations of the bundled files to
both loaders: they load or raise ``ReportError``/``InstrumentError``, nothing else.
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveykit.errors import InstrumentError, ReportError
from surveykit.instrument import load_instrument
from surveykit.report.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
PLAN = yaml.safe_load((ROOT / "reports" / "worker_brief.yaml").read_text(encoding="utf-8"))
INSTRUMENT = yaml.safe_load((ROOT / "instruments" / "organisation_2018.yaml").read_text(encoding="utf-8"))
NAN, INF = float("nan"), float("inf")


def _set(raw: dict, path: tuple, value: Any) -> None:
    node = raw
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()
W = ("surveys", "worker")

# (edit path, new value, expected message after "<file>: ")
PLAN_CASES = [
    (
        W + ("derive", 0, "text"),
        ["Age"],
        "surveys.worker.derive[0].text must be a string or a mapping with 'ko' and 'en'; got ['Age'].",
    ),
    (W + ("derive", 0, "text"), {"ko": "연령", "en": 10}, "surveys.worker.derive[0].text.en must be a string; got 10."),
    (W + ("derive", 0, "text"), {"ko": "연령", "fr": "âge"}, "surveys.worker.derive[0].text.fr is not a known key."),
    (
        W + ("weighting",),
        [{"method": ["rake"], "margins": {"gender": {1: 190}}}],
        "surveys.worker.weighting[0]: method must be one of poststratify, rake, trim; got ['rake'].",
    ),
    (
        W + ("weighting",),
        [{"method": "rake", "margins": {"gender": {1: 190}}, "max_iter": "abc"}],
        "surveys.worker.weighting[0].max_iter must be a positive integer; got 'abc'.",
    ),
    (
        W + ("weighting",),
        [{"method": "rake", "margins": {"gender": {1: 190}}, "max_iter": 0}],
        "surveys.worker.weighting[0].max_iter must be a positive integer; got 0.",
    ),
    (
        W + ("weighting",),
        [{"method": "rake", "margins": {"gender": {1: NAN}}}],
        "surveys.worker.weighting[0].margins.gender.1 must be a population count (a finite number >= 0); got nan.",
    ),
    (
        W + ("weighting",),
        [{"method": "rake", "margins": [["gender", {1: 190}]]}],
        "surveys.worker.weighting[0].margins must be a mapping of variable -> population counts",
    ),
    (
        W + ("weighting",),
        [{"method": "rake", "margin": {"gender": {1: 190}}}],
        "surveys.worker.weighting[0].margin is not a known key. Did you mean 'margins'?",
    ),
    (
        W + ("weighting",),
        [{"method": "poststratify", "by": "gender"}],
        "surveys.worker.weighting[0].population is required for a poststratify step; add it.",
    ),
    (
        W + ("weighting",),
        [{"method": "poststratify", "by": [1], "population": {1: 5}}],
        "surveys.worker.weighting[0].by[0] must be a name (a string); got 1.",
    ),
    (
        W + ("weighting",),
        [{"method": "trim", "lower": NAN}],
        "surveys.worker.weighting[0].lower must be a positive finite number (a weight bound) or null; got nan.",
    ),
    (
        W + ("weighting",),
        [{"method": "trim", "upper": -INF}],
        "surveys.worker.weighting[0].upper must be a positive finite number (a weight bound) or null; got -inf.",
    ),
    (
        W + ("weighting",),
        [{"method": "trim", "lower": 3, "upper": 0.5}],
        "surveys.worker.weighting[0].lower must be at most upper (0.5); got 3.",
    ),
    (
        W + ("weighting",),
        [{"method": "trim", "strict": "yes"}],
        "surveys.worker.weighting[0].strict must be true or false; got 'yes'.",
    ),
    (
        W + ("weighting",),
        {"method": "trim"},
        "surveys.worker.weighting must be a list of weighting steps with a 'method'; got {'method': 'trim'}.",
    ),
    (W + ("design",), {"ids": [["id"]]}, "surveys.worker.design.ids[0] must be a name (a string); got ['id']."),
    (
        W + ("design",),
        {"ids": 3},
        "surveys.worker.design.ids must be a column name or a list of column names (one per stage); got 3.",
    ),
    (W + ("design",), {"weigths": "wt"}, "surveys.worker.design.weigths is not a known key. Did you mean 'weights'?"),
    (
        W + ("design",),
        {"strata": ["region"]},
        "surveys.worker.design.strata must be a column name (a string); got ['region'].",
    ),
    (W + ("design",), {"lonely_psu": "drop"}, "surveys.worker.design.lonely_psu must be one of 'fail', 'remove'"),
    (W + ("design",), {"nest": 1}, "surveys.worker.design.nest must be true or false; got 1."),
    (W + ("design",), ["weights", "wt"], "surveys.worker.design must be a mapping of Design keywords"),
    (("reliability", "min_n"), NAN, "reliability.min_n must be a non-negative number; got nan. Use a finite number"),
    (("reliability", "max_cv"), INF, "reliability.max_cv must be a non-negative number; got inf. Use a finite number"),
    (("reliability", "min_effective_n"), -INF, "reliability.min_effective_n must be a non-negative number; got -inf."),
    (("reliability", "min_n"), "5", "reliability.min_n must be a non-negative number; got '5'."),
    (("reliability", "min_size"), 5, "reliability.min_size is not a known key."),
    (
        ("reliability",),
        [5, 0.3],
        "reliability must be a mapping such as {min_n: 5, max_cv: 0.3, min_effective_n: 30}; got [5, 0.3].",
    ),
    (W + ("derive", 2, "map"), {1: 0, 2: INF}, "surveys.worker.derive[2].map.2 must be a finite number; got inf."),
    (W + ("derive", 2, "map"), {1: 0, 2: None}, "surveys.worker.derive[2].map.2 must be a finite number; got None."),
    (W + ("derive", 1, "cut"), [17, NAN, 80], "surveys.worker.derive[1].cut"),
    (
        W + ("derive", 1, "labels", 1),
        ["20대"],
        "surveys.worker.derive[1].labels.1 must be a string or a mapping with 'ko' and 'en'; got ['20대'].",
    ),
    (
        W + ("derive", 1, "labels"),
        {"one": {"ko": "가"}},
        "surveys.worker.derive[1].labels must map integer codes to {ko, en} texts; got code 'one'.",
    ),
    (
        W + ("derive", 0, "name"),
        "10age",
        "surveys.worker.derive[0].name must be a variable name (letters, digits, _); got '10age'.",
    ),
    (W + ("derive", 0, "map"), {1: 1}, "surveys.worker.derive[0].map goes with 'from', not 'expr'"),
    (W + ("derive", 0, "fromm"), "age", "surveys.worker.derive[0].fromm is not a known key. Did you mean 'from'?"),
    (W + ("derive", 0, "expr"), ["age / 10"], "surveys.worker.derive[0].expr must be text such as"),
    (W + ("derive",), {"name": "x"}, "surveys.worker.derive must be a list of derived variables; got {'name': 'x'}."),
    (
        W + ("instrument",),
        ["worker_2018"],
        "surveys.worker.instrument must be a bundled instrument name or a path (a string)",
    ),
    (W + ("data",), 3, "surveys.worker.data must be 'demo' or a path to a data file (a string); got 3."),
    (W + ("label",), {"en": 5}, "surveys.worker.label.en must be a string; got 5."),
    (W + ("labell",), "x", "surveys.worker.labell is not a known key. Did you mean 'label'?"),
    (("sections", 2, "figures", 0, "ko"), 1, "sections[2].figures[0].ko must be a string; got 1."),
    (
        ("sections", 2, "figures", 0),
        {"kye": "unemployed_3y"},
        "sections[2].figures[0].kye is not a known key. Did you mean 'key'?",
    ),
    (
        ("sections", 2, "figures", 0),
        ["unemployed_3y"],
        "sections[2].figures[0] must be a figure key (a string) or a {key, ko, en} mapping; got ['unemployed_3y'].",
    ),
    (
        ("sections", 9, "k"),
        1,
        "sections[9].k must be auto, a whole number >= 2 or a range [low, high] such as [2, 6]; got 1. Fix the value.",
    ),
    (
        ("sections", 9, "k"),
        2.5,
        "sections[9].k must be auto, a whole number >= 2 or a range [low, high] such as [2, 6]; got 2.5. Fix the value.",
    ),
    (("sections", 9, "profile"), "join_yes", "sections[9].profile must be a list of variable names; got 'join_yes'."),
    (("sections", 3, "variables", 1), {"x": 1}, "sections[3].variables[1] must be a name (a string); got {'x': 1}."),
    (("sections", 3, "title"), ["a"], "sections[3].title must be a string or a mapping with 'ko' and 'en'; got ['a']."),
    (("sections", 3, "id"), 3, "sections[3].id must be a section id (a string of letters, digits, '_' or '-'); got 3."),
    (("sections", 3, "note"), ["x"], "sections[3].note must be a string; got ['x']."),
    (
        ("sections", 7, "labels"),
        {"age10": 5},
        "sections[7].labels.age10 must be a string or a mapping with 'ko' and 'en'; got 5.",
    ),
    (("sections", 7, "firth"), "yes", "sections[7].firth must be one of true, false, 'auto'; got 'yes'."),
    (("sections", 7, "kind"), ["logistic"], "sections[7].kind must be one of 'logistic', 'ordinal'; got ['logistic']."),
    (("sections", 4, "set"), None, "sections[4].set must be the name of a multiple-response set; got None."),
    (("sections", 3), ["frequencies"], "sections[3] must be a mapping with a 'type'; got ['frequencies']."),
    (("sections", 3, "type"), ["frequencies"], "sections[3].type must be one of overview, key_figures"),
    (("sections",), {"type": "overview"}, "sections must be a non-empty list; got {'type': 'overview'}."),
    (("surveys",), [{"worker": {}}], "surveys must be a non-empty mapping of name -> survey; got [{'worker': {}}]."),
    (("surveys", 1), {"instrument": "worker_2018", "data": "demo"}, "surveys.1 must be a text key; got 1."),
    (("title",), {"ko": "제목", "de": "Titel"}, "title.de is not a known key."),
    (("subtitle",), 2018, "subtitle must be a string or a mapping with 'ko' and 'en'; got 2018."),
    (("lang",), ["ko"], "lang must be 'ko' or 'en'; got ['ko']."),
    (("date",), [2018, 12], 'date must be a date printed on the cover, e.g. "2018-12"; got [2018, 12]. Quote it.'),
    (("id",), 42, "id must be letters, digits, '_' or '-' (it names the output folder); got 42."),
]


@pytest.mark.parametrize(
    "path, value, message", PLAN_CASES, ids=[m.split(" ")[0] + f"-{i}" for i, (_p, _v, m) in enumerate(PLAN_CASES)]
)
def test_malformed_plan_names_file_and_key_path(tmp_path, path, value, message):
    raw = copy.deepcopy(PLAN)
    _set(raw, path, value)
    file = tmp_path / "plan.yaml"
    file.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ReportError) as info:
        load_plan(file)
    msg = str(info.value)
    assert msg.startswith(f"{file}: {message}"), msg
    assert "\n" not in msg and len(msg) < 400


@pytest.mark.parametrize("literal, shown", [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf"), (".NaN", "nan")])
def test_yaml_nan_and_inf_literals_are_refused_where_numbers_are_required(tmp_path, literal, shown):
    text = (ROOT / "reports" / "worker_brief.yaml").read_text(encoding="utf-8")
    file = tmp_path / "plan.yaml"
    file.write_text(text.replace("{min_n: 5,", f"{{min_n: {literal},"), encoding="utf-8")
    with pytest.raises(
        ReportError,
        match=rf"reliability.min_n must be a non-negative number; got {shown}\. "
        r"Use a finite number \(.nan and .inf are not allowed\)\.",
    ):
        load_plan(file)


def test_bilingual_string_text_is_normalised_for_the_builders(tmp_path):
    raw = copy.deepcopy(PLAN)
    raw["surveys"]["worker"]["derive"][0]["text"] = "Age"
    raw["surveys"]["worker"]["derive"][1]["labels"][1] = "Under 30"
    file = tmp_path / "plan.yaml"
    file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    derive = load_plan(file).surveys["worker"].derive
    assert derive[0]["text"] == {"ko": "Age", "en": "Age"}
    assert derive[1]["labels"][1] == {"ko": "Under 30", "en": "Under 30"}


def test_bundled_plans_and_instruments_still_load():
    from surveykit.instrument import bundled_instruments
    from surveykit.report.plan import bundled_plans

    assert [load_plan(p).id for p in bundled_plans()] == bundled_plans()
    assert all(load_instrument(n).name for n in bundled_instruments())


# -- instruments ----------------------------------------------------------------------------------

INSTRUMENT_CASES = [
    (("n",), -3, "n must be a whole number >= 1; got int -3."),
    (("n",), NAN, "n must be a whole number >= 1; got float nan."),
    (("fieldwork",), ["2018"], "fieldwork must be a period such as \"2018-09\"; got list ['2018']. Quote it."),
    (("source",), {"a": 1}, "source must be a non-empty string; got dict {'a': 1}."),
    (("title", "ko"), 5, "title.ko must be a non-empty string; got int 5."),
    (("title", "de"), "x", "title.de is not a known key."),
    (("scales",), ["x"], "scales must be a mapping of scale name -> {options, missing}; got list ['x']."),
    (("questions", 0, "note"), ["x"], "questions[0].note must be a non-empty string; got list ['x']."),
    (
        ("questions", 3, "options", 0, "ko"),
        ["a"],
        "questions[3].options[0].ko must be a non-empty string; got list ['a'].",
    ),
    (
        ("questions", 3, "options", 0, "en"),
        True,
        "questions[3].options[0].en must be a non-empty string; got True. Quote the text",
    ),
    (
        ("questions", 3, "options", 0, "code"),
        1.5,
        "questions[3].options[0].code must be a whole-number code; got float 1.5.",
    ),
    (("questions", 3, "section"), ["x"], "questions[3].section must be a non-empty string; got list ['x']."),
    (("questions", 3, "battery"), 7, "questions[3].battery must be a non-empty string; got int 7."),
    (
        ("questions", 3, "ask_if"),
        "(" * 5000 + "a == 1" + ")" * 5000,
        "questions[3].ask_if must be a rule of at most 2000 characters; got 10,006.",
    ),
    (("questions", 3, "ask_if"), "(" * 900 + "a == 1" + ")" * 900, "questions[3].ask_if "),
    (("figures", 0, "na"), "drop", "figures[0].na must be one of 'exclude', 'count'; got str 'drop'."),
    (("figures", 0, "combine"), "all", "figures[0].combine must be one of 'each'; got str 'all'."),
    (("figures", 0, "modal"), "yes", "figures[0].modal must be true or false; got str 'yes'."),
    (("figures", 0, "note"), 5, "figures[0].note must be a non-empty string; got int 5."),
    (("figures", 0, "codes"), [1, NAN], "figures[0].codes[1] must be a whole-number code; got float nan."),
    (("questions",), {"var": "id"}, "questions must be a list; got dict {'var': 'id'}."),
    (("questions", 0, 3), "x", "questions[0].3 must be a text key; got int 3."),
]


def _numeric_question() -> int:
    return next(i for i, q in enumerate(INSTRUMENT["questions"]) if q["type"] == "numeric" and "range" in q)


@pytest.mark.parametrize(
    "path, value, message",
    INSTRUMENT_CASES,
    ids=[m.split(" ")[0] + f"-{i}" for i, (_p, _v, m) in enumerate(INSTRUMENT_CASES)],
)
def test_malformed_instrument_names_file_and_key_path(tmp_path, path, value, message):
    raw = copy.deepcopy(INSTRUMENT)
    _set(raw, path, value)
    file = tmp_path / "broken.yaml"
    file.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(file)
    msg = str(info.value)
    assert msg.startswith(f"{file}: {message}"), msg
    assert "\n" not in msg and len(msg) < 400


@pytest.mark.parametrize(
    "bound, shown", [(NAN, "float nan"), (INF, "float inf"), (-INF, "float -inf"), ("9", "str '9'")]
)
def test_instrument_range_must_be_finite_numbers(tmp_path, bound, shown):
    raw = copy.deepcopy(INSTRUMENT)
    i = _numeric_question()
    raw["questions"][i]["range"] = [0, bound]
    file = tmp_path / "broken.yaml"
    file.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(file)
    assert str(info.value).startswith(
        f"{file}: questions[{i}].range[1] must be a finite number (a bound of [low, high]); got {shown}."
    )


# -- property: random documents and mutations never escape as another exception -------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["demo", "worker_2018", "overview", "rake", "ko", "en", "age", "1"]),
)
_KEYS = st.one_of(
    st.text(max_size=8),
    st.integers(-3, 3),
    st.sampled_from(
        [
            "id",
            "type",
            "surveys",
            "sections",
            "design",
            "ids",
            "weighting",
            "method",
            "derive",
            "name",
            "from",
            "map",
            "cut",
            "labels",
            "text",
            "questions",
            "var",
            "options",
            "code",
            "ko",
            "en",
            "range",
            "figures",
            "reliability",
            "min_n",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out += _paths(v, (*prefix, k))
    return out


PLAN_PATHS = _paths(PLAN)
INSTRUMENT_PATHS = _paths(INSTRUMENT)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def _load_quietly(loader, error, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "doc.yaml"
        file.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        try:
            loader(file)
        except error as exc:
            assert str(exc).startswith(f"{file}") and "\n" not in str(exc)
        assert time.perf_counter() - start < 5


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(_VALUES)
def test_random_documents_raise_only_schema_errors(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    _load_quietly(load_plan, ReportError, text)
    _load_quietly(load_instrument, InstrumentError, text)


@PROPERTY
@given(st.sampled_from(PLAN_PATHS), _VALUES)
def test_mutated_bundled_plan_raises_only_report_errors(path, value):
    raw = copy.deepcopy(PLAN)
    _set(raw, path, value)
    _load_quietly(load_plan, ReportError, yaml.safe_dump(raw, allow_unicode=True))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.sampled_from(INSTRUMENT_PATHS), _VALUES)
def test_mutated_bundled_instrument_raises_only_instrument_errors(path, value):
    raw = copy.deepcopy(INSTRUMENT)
    _set(raw, path, value)
    _load_quietly(load_instrument, InstrumentError, yaml.safe_dump(raw, allow_unicode=True))


_PLAN_TEXT = (ROOT / "reports" / "worker_brief.yaml").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.integers(0, len(_PLAN_TEXT)), st.integers(0, 40), st.text(alphabet=" \n:-[]{}&*!'\"#,?|>0.a", max_size=6))
def test_text_edits_of_a_bundled_plan_raise_only_report_errors(at, cut, insert):
    _load_quietly(load_plan, ReportError, _PLAN_TEXT[:at] + insert + _PLAN_TEXT[at + cut :])


def test_plain_string_texts_build_a_brief(tmp_path):
    """``text: "Age group"`` and a plain-string value label used to crash when the brief was built."""
    from surveykit.report.build import build_document

    raw = copy.deepcopy(PLAN)
    raw["surveys"]["worker"]["derive"][1]["text"] = "Age group"
    raw["surveys"]["worker"]["derive"][1]["labels"][1] = "Under 30"
    raw["sections"] = [s for s in raw["sections"] if s["type"] in ("overview", "crosstab")]
    file = tmp_path / "plan.yaml"
    file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    doc, ctx = build_document(load_plan(file))
    prep = ctx.surveys["worker"]
    assert prep.text("age_group", "en") == "Age group" and prep.label("age_group", 1, "ko") == "Under 30"
    assert len(doc.sections) == 2


def test_a_key_with_a_newline_is_quoted_in_the_message() -> None:
    """Found by the random-document property: the raw key broke the one-line message."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, pytest.raises(ReportError) as info:
        path = Path(tmp) / "doc.yaml"
        path.write_text("? '\n\n  '\n: null\n", encoding="utf-8")
        load_plan(path)
    message = str(info.value)
    assert "\n" not in message and "is not a known key" in message and "'\\n'" in message
