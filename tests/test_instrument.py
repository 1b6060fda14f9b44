"""The questionnaire model: bundled instruments, figure mapping, schema errors, routing rules."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from surveykit.errors import DataError, InstrumentError
from surveykit.instrument import (
    FIGURE_KINDS,
    Instrument,
    Rule,
    bundled_instruments,
    load_instrument,
    load_published_figures,
)

INSTRUMENTS = Path(__file__).resolve().parents[1] / "instruments"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # fast and still safe
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SURVEY_OF = {"organisation_2018": "organisation", "worker_2018": "worker"}


@pytest.fixture(scope="module")
def published() -> dict:
    return load_published_figures()


@pytest.fixture(scope="module", params=sorted(SURVEY_OF))
def inst(request) -> Instrument:
    return load_instrument(request.param)


def _raw(name: str) -> dict:
    return yaml.load((INSTRUMENTS / f"{name}.yaml").read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def _write(tmp_path: Path, raw: dict, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.dump(raw, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# -- bundled instruments ------------------------------------------------------------------------


def test_bundled_names_and_metadata(published):
    assert bundled_instruments() == sorted(SURVEY_OF)
    for name, survey in SURVEY_OF.items():
        inst = load_instrument(name)
        assert inst.name == name and inst.survey == survey
        assert inst.n == published["instruments"][survey]["n"]
        assert inst.id == "id" and inst.question("id").type == "numeric"
        assert inst.title_ko and inst.title_en and inst.fieldwork


def test_shipped_published_counts_reproduce_the_printed_percentages(published):
    """The shipped copy is intact: each count/base rounds to the printed pct at its precision."""
    checked = 0
    for survey, figures in published["figures"].items():
        for f in figures:
            if "count" not in f or f.get("approx"):
                continue
            decimals = len(str(f["pct"]).partition(".")[2])
            for count in np.atleast_1d(f["count"]):
                shown = np.floor(100 * count / f["base"] * 10**decimals + 0.5) / 10**decimals
                assert shown == pytest.approx(f["pct"], abs=1e-9), (survey, f["key"], count)
            checked += 1
    assert checked >= 40  # 42 pct figures carry a count (approx ones excluded)


def test_sections_cover_every_listed_topic(inst, published):
    topics = published["instruments"][inst.survey]["topics_ko"]
    assert [s.name for s in inst.sections] == list(topics)
    used = {q.section for q in inst.questions}
    assert set(topics) <= used, "every topic must hold at least one question"


def test_load_by_path_equals_bundled(inst):
    again = load_instrument(INSTRUMENTS / f"{inst.name}.yaml")
    assert again.columns() == inst.columns()
    assert again.figures == inst.figures


# -- the figure mapping: every published key resolves ----------------------------------------------


def test_every_published_key_is_mapped_once(inst, published):
    keys = [f["key"] for f in published["figures"][inst.survey]]
    assert sorted(f.key for f in inst.figures) == sorted(keys)


def test_figure_specs_resolve_to_questions_and_codes(inst, published):
    pub = {f["key"]: f for f in published["figures"][inst.survey]}
    columns = set(inst.columns())
    for spec in inst.figures:
        entry = pub[spec.key]
        assert spec.kind in FIGURE_KINDS
        if spec.kind == "external":
            assert "base" not in entry and not spec.questions
            continue
        for col in spec.questions:
            assert col in columns, spec.key
            q = inst.question(col)
            if spec.kind == "pct":
                valid = (0, 1) if col != q.var else q.codes()
                assert spec.codes and set(spec.codes) <= set(valid), spec.key
                assert "pct" in entry
            elif spec.kind == "mean":
                assert q.type == "numeric" and "mean" in entry, spec.key
            else:  # mode: the coded label is the printed modal category
                assert inst.label(col, spec.code, "ko") == entry["value_ko"], spec.key
        for var in spec.base.variables if spec.base else ():
            assert var in columns, spec.key


def test_figure_bases_match_the_published_subgroup_counts(inst, published):
    """A base "x == c" must select exactly the group another figure counts (e.g. 60 holders)."""
    pub = {f["key"]: f for f in published["figures"][inst.survey]}
    checked = 0
    for spec in inst.figures:
        if spec.kind != "pct" or spec.base is None:
            continue
        kind, var, op, value = spec.base.node
        assert (kind, op) == ("cmp", "==")
        group = [f for f in inst.figures if f.questions == (var,) and f.base is None]
        assert len(group) == 1, spec.key
        entry = pub[group[0].key]
        if group[0].codes == (int(value),):
            assert entry["count"] == pub[spec.key]["base"], spec.key
        else:  # the complement of a yes/no figure: 417 - 346 insured = 71 uninsured
            assert len(inst.question(var).options) == 2 and int(value) not in group[0].codes
            assert entry["base"] - entry["count"] == pub[spec.key]["base"], spec.key
        checked += 1
    assert checked >= 4  # worker: 4 sub-group figures; organisation: 10


def test_na_rule_matches_published_bases(published):
    worker = load_instrument("worker_2018")
    pub = {f["key"]: f for f in published["figures"]["worker"]}
    assert worker.figure("private_indemnity").na == "count"  # 270/417 though the uninsured skip it
    assert pub["private_indemnity"]["base"] == worker.n
    unaware = worker.figure("third_sector_mutual_unaware")
    assert unaware.na == "exclude" and pub[unaware.key]["base"] == worker.n - 3


# -- required questions and routing ----------------------------------------------------------------

ORG_VARS = {
    "founded_year": "numeric",
    "org_type": "single",
    "industry": "single",
    "revenue_band": "single",
    "fulltime_band": "single",
    "coverage_held": "single",
    "loan_used_3y": "single",
    "funding_issue": "single",
    "join_intent": "single",
    "join_factor": "single",
    "wanted_product": "single",
    "fee_band": "single",
    "capital_band": "single",
    "funding_source": "multi",
    "guarantee_issue": "single",
    "guarantee_provider": "single",
}
WORKER_VARS = {
    "age": "numeric",
    "gender": "single",
    "occupation": "single",
    "employment_type": "single",
    "income_band": "single",
    "unemployed_3y": "single",
    "unemployment_months": "numeric",
    "unemployment_reason": "single",
    "unemployment_hardship": "single",
    "worried_disease": "single",
    "emergency_fund_need": "single",
    "ins_employment": "single",
    "ins_national_pension": "single",
    "ins_health": "single",
    "ins_industrial_accident": "single",
    "private_insured": "single",
    "private_product": "multi",
    "premium_monthly": "numeric",
    "uninsured_reason": "single",
    "mutual_aid_member": "single",
    "third_sector_aware": "single",
    "join_intent": "single",
    "wanted_product": "single",
    "fee_band": "single",
    "capital_band": "single",
}


@pytest.mark.parametrize("name, wanted", [("organisation_2018", ORG_VARS), ("worker_2018", WORKER_VARS)])
def test_model_variables_exist_with_types(name, wanted):
    inst = load_instrument(name)
    assert {v: inst.question(v).type for v in wanted} == wanted


def test_required_labels():
    org, wrk = load_instrument("organisation_2018"), load_instrument("worker_2018")
    assert org.question("founded_year").range == (1950, 2018)
    labels = {o.ko for o in org.question("org_type").options}
    assert {"사회적기업", "협동조합", "마을기업", "자활기업", "소셜벤처", "비영리단체(NPO)", "중간지원조직"} <= labels
    assert {"교육서비스업", "제조업"} <= {o.ko for o in org.question("industry").options}
    assert "1~5억" in {o.ko for o in org.question("revenue_band").options}
    assert "2~4명" in {o.ko for o in org.question("fulltime_band").options}
    assert "판매서비스직" in {o.ko for o in wrk.question("occupation").options}
    assert "자발적 퇴사" in {o.ko for o in wrk.question("unemployment_reason").options}
    for inst in (org, wrk):
        join = inst.question("join_intent")
        assert [(o.code, o.ko) for o in join.options] == [
            (1, "전혀 없다"),
            (2, "별로 없다"),
            (3, "약간 있다"),
            (4, "매우 있다"),
        ]
        assert join.missing_codes() == (9,) and inst.label("join_intent", 9) == "모름/무응답"


ROUTING = {
    "organisation_2018": {
        "coverage_type": "coverage_held",
        "coverage_premium_annual": "coverage_held",
        "guarantee_issue": "guarantee_used",
        "guarantee_provider": "guarantee_used",
        "lender": "loan_used_3y",
    },
    "worker_2018": {
        "unemployment_count": "unemployed_3y",
        "unemployment_months": "unemployed_3y",
        "unemployment_reason": "unemployed_3y",
        "unemployment_hardship": "unemployed_3y",
        "uninsured_reason": "private_insured",
        "private_product": "private_insured",
    },
}


@pytest.mark.parametrize("name", sorted(ROUTING))
def test_required_routing(name):
    inst = load_instrument(name)
    for var, filter_var in ROUTING[name].items():
        rule = inst.question(var).ask_if
        assert rule is not None and rule.variables == (filter_var,), var
    wrk = load_instrument("worker_2018")
    frame = pd.DataFrame({"private_insured": [1, 2, 9, np.nan]})
    assert wrk.mask(wrk.question("uninsured_reason").ask_if, frame).tolist() == [False, True, False, False]
    assert wrk.mask(wrk.question("private_product").ask_if, frame).tolist() == [True, False, False, False]


# -- accessors -----------------------------------------------------------------------------------


def test_columns_labels_and_file_meta():
    wrk = load_instrument("worker_2018")
    cols = wrk.columns()
    assert [c for c in cols if c.startswith("private_product_")] == [f"private_product_{k}" for k in range(1, 9)]
    assert "private_product" not in cols and len(cols) == len(set(cols))
    assert wrk.mr_sets()["private_product"][0] == "private_product_1"
    assert wrk.question("private_product_3").var == "private_product"
    assert wrk.text("private_product_1", "en").endswith(": Medical indemnity")
    assert wrk.label("private_product_1", 0, "en") == "Not selected"
    assert wrk.label("join_intent", 3, "en") == "Some"
    assert wrk.missing_codes("private_product_1") == ()
    meta = wrk.to_file_meta("ko")
    assert set(meta) == {"variable_labels", "value_labels", "missing", "measure"}
    assert set(meta["variable_labels"]) == set(cols)
    assert meta["value_labels"]["join_intent"][9] == "모름/무응답"
    assert meta["missing"]["premium_monthly"] == [99999999] and "private_product_1" not in meta["missing"]
    assert meta["measure"]["age"] == "scale" and meta["measure"]["ins_factor_trust"] == "ordinal"
    assert wrk.batteries()["ins_factor"][0] == "ins_factor_premium"


def test_unknown_names_suggest():
    wrk = load_instrument("worker_2018")
    with pytest.raises(DataError, match="Did you mean 'join_intent'"):
        wrk.question("join_intnet")
    with pytest.raises(DataError, match="not in the codebook"):
        wrk.label("join_intent", 7)
    with pytest.raises(DataError, match="'ko' or 'en'"):
        wrk.text("age", "fr")
    with pytest.raises(InstrumentError, match="Did you mean 'worker_2018'"):
        load_instrument("worker_2019")


# -- schema errors name the file and the key path ---------------------------------------------------


def _load_broken(tmp_path: Path, mutate) -> str:
    raw = copy.deepcopy(_raw("organisation_2018"))
    mutate(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_wrong_type_names_key_path(tmp_path):
    def mutate(raw):
        raw["questions"][3]["options"][2]["code"] = "three"

    msg = _load_broken(tmp_path, mutate)
    assert "questions[3].options[2].code must be a whole-number code; got str 'three'" in msg


def test_unknown_key_suggests(tmp_path):
    def mutate(raw):
        raw["questions"][5]["optoins"] = raw["questions"][5].pop("options")

    msg = _load_broken(tmp_path, mutate)
    assert "questions[5].optoins is not a known key" in msg and "Did you mean 'options'" in msg


def test_duplicate_variable(tmp_path):
    def mutate(raw):
        raw["questions"][4]["var"] = raw["questions"][2]["var"]

    msg = _load_broken(tmp_path, mutate)
    assert "questions[4].var must be unique" in msg and "questions[2]" in msg


def test_routing_rule_with_unknown_variable(tmp_path):
    def mutate(raw):
        q = next(q for q in raw["questions"] if q["var"] == "lender")
        q["ask_if"] = "loan_used == 1"

    msg = _load_broken(tmp_path, mutate)
    assert ".ask_if must refer to known variables; 'loan_used' is not a question" in msg
    assert "Did you mean 'loan_used_3y'" in msg


def test_routing_rule_syntax_error_names_path(tmp_path):
    def mutate(raw):
        raw["questions"][13]["ask_if"] = "coverage_held = 1"

    msg = _load_broken(tmp_path, mutate)
    assert "questions[13].ask_if" in msg and "'='" in msg


def test_routing_rule_bomb_names_path_and_limit(tmp_path):
    def mutate(raw):
        raw["questions"][13]["ask_if"] = "(" * 5000 + "coverage_held == 1" + ")" * 5000

    msg = _load_broken(tmp_path, mutate)
    assert "questions[13].ask_if" in msg and "at most 2000 characters; got 10,018" in msg


def test_figure_with_unknown_code_or_column(tmp_path):
    def bad_code(raw):
        raw["figures"][0]["codes"] = [42]

    assert "figures[0].codes must be codes of 'revenue_band'" in _load_broken(tmp_path, bad_code)

    def bad_col(raw):
        raw["figures"][1]["question"] = "fulltime"

    assert "figures[1].question must name a data column" in _load_broken(tmp_path, bad_col)


def test_other_schema_errors(tmp_path):
    def bad_type(raw):
        raw["questions"][2]["type"] = "singel"

    assert "Did you mean 'single'" in _load_broken(tmp_path, bad_type)

    def no_name(raw):
        del raw["name"]

    assert "must have key 'name'" in _load_broken(tmp_path, no_name)

    def empty_title(raw):
        raw["title"] = {}

    assert "title must give the wording in ko or en" in _load_broken(tmp_path, empty_title)

    def bad_scale(raw):
        q = next(q for q in raw["questions"] if q.get("scale") == "join_intent")
        q["scale"] = "join_intnet"

    assert "Did you mean 'join_intent'" in _load_broken(tmp_path, bad_scale)

    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="must be valid YAML"):
        load_instrument(path)
    with pytest.raises(InstrumentError, match="must exist"):
        load_instrument(tmp_path / "absent.yaml")


def test_missing_code_that_is_also_an_option_is_rejected(tmp_path):
    """A user-missing code equal to an option code would turn that answer into 'missing'."""

    def mutate(raw):
        q = raw["questions"][3]
        assert q["var"] == "industry" and q["options"][11] == {"code": 12, "ko": "기타", "en": "Other"}
        q["missing"] = [{"code": 12, "ko": "모름/무응답", "en": "Don't know / no answer"}]

    msg = _load_broken(tmp_path, mutate)
    assert "questions[3].missing[0].code must not also be an answer option" in msg
    assert "questions[3].options[11] '기타'" in msg and "(e.g. 99)" in msg  # 9 is an industry option


@pytest.mark.parametrize("used", [True, False], ids=["used", "unused"])
def test_scale_missing_code_that_is_also_an_option_is_rejected(tmp_path, used):
    """Checked where the scale is defined, whether or not a question uses it."""

    def mutate(raw):
        options = [{"code": 1, "ko": "예", "en": "Yes"}, {"code": 2, "ko": "아니오", "en": "No"}]
        raw["scales"]["clashing"] = {
            "options": options,
            "missing": [{"code": 9, "ko": "모름", "en": "Don't know"}, {"code": 2, "ko": "무응답", "en": "No answer"}],
        }
        if used:
            q = next(q for q in raw["questions"] if q.get("scale") == "yes_no")
            q["scale"] = "clashing"

    msg = _load_broken(tmp_path, mutate)
    assert "scales.clashing.missing[1].code must not also be an answer option" in msg
    assert "scales.clashing.options[1] '아니오'" in msg and "(e.g. 99)" in msg


# Broken YAML -> (1-based line, column) of the offending character, found by reading the text.
_BROKEN_YAML = {
    "unclosed flow": ("name: x\nquestions: [\n  - a\n", 3, 3),
    "indented key": ("name: x\n title: y\n", 2, 7),
    "tab indent": ("name: x\nquestions:\n\t- a\n", 3, 1),
    "control char after Korean": ("title: 한국어\nname: x\x01\n", 2, 8),
}


@pytest.mark.parametrize("loader", ["SafeLoader", "CSafeLoader"])
@pytest.mark.parametrize("case", sorted(_BROKEN_YAML))
def test_yaml_error_is_one_line_with_position(case, loader):
    from surveykit._util.yaml import yaml_error

    text, line, column = _BROKEN_YAML[case]
    if not hasattr(yaml, loader):
        pytest.skip(f"PyYAML built without {loader}")
    with pytest.raises(yaml.YAMLError) as info:
        yaml.load(text, Loader=getattr(yaml, loader))
    msg = yaml_error("f.yaml", info.value, text)
    assert msg.startswith(f"f.yaml: must be valid YAML; line {line}, column {column}: ")
    assert "\n" not in msg and msg.endswith(".") and not msg.endswith("..") and "<unicode string>" not in msg


def test_instrument_yaml_syntax_error_is_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(_BROKEN_YAML["unclosed flow"][0], encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: must be valid YAML; line 3, column 3: ") and "\n" not in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_plan_yaml_syntax_error_is_one_line(tmp_path):
    from surveykit.errors import ReportError
    from surveykit.report.plan import load_plan

    path = tmp_path / "plan.yaml"
    path.write_text(_BROKEN_YAML["indented key"][0], encoding="utf-8")
    with pytest.raises(ReportError) as info:
        load_plan(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: must be valid YAML; line 2, column 7: ") and "\n" not in msg


# -- the rule language ---------------------------------------------------------------------------


def test_rule_three_valued_logic():
    data = pd.DataFrame({"a": [1, 2, 9, np.nan, 1], "b": [np.nan, 1, 1, 2, 3]})
    missing = {"a": [9]}
    true, known = Rule.parse("a == 1 or b == 1").evaluate(data, missing)
    assert true.tolist() == [True, True, True, False, True]  # row 3: unknown a, true b
    assert known.tolist() == [True, True, True, False, True]
    true, known = Rule.parse("a == 1 and b in [2, 3]").evaluate(data, missing)
    assert true.tolist() == [False, False, False, False, True]
    assert known.tolist() == [False, True, True, False, True]  # row 3: false b decides
    true, known = Rule.parse("not (a >= 2) and b not in [1]").evaluate(data, missing)
    assert true.tolist() == [False, False, False, False, True]
    assert known.tolist() == [False, True, True, False, True]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "a == ",
        "a == 1 b",
        "a in 1",
        "(a == 1",
        "a not 3",
        "",
        "1 == a",
    ],
)
def test_rule_rejects_anything_outside_the_grammar(text):
    with pytest.raises(InstrumentError, match="rule"):
        Rule.parse(text)


@pytest.mark.parametrize(
    "text, node",
    [
        ("a == -1", ("cmp", "a", "==", -1.0)),
        ("a in (1, 2.5)", ("in", "a", (1.0, 2.5), False)),
        (
            "a == 1 & b != 2 | not c >= 3",
            ("or", ("and", ("cmp", "a", "==", 1.0), ("cmp", "b", "!=", 2.0)), ("not", ("cmp", "c", ">=", 3.0))),
        ),
        (
            "a == 1 and b == 2 and c == 3",
            ("and", ("and", ("cmp", "a", "==", 1.0), ("cmp", "b", "==", 2.0)), ("cmp", "c", "==", 3.0)),
        ),
        ("`a` < 1e3", ("cmp", "a", "<", 1000.0)),
    ],
)
def test_rule_is_the_routing_subset_of_the_expression_grammar(text, node):
    assert Rule.parse(text).node == node


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "a + 1 == 2",
            "routing rule 'a + 1 == 2' must have a variable name compared with one number; got 'a + 1 == 2'.",
        ),
        ("1 < a < 3", "must have a variable name compared with one number; got '1 < a < 3'."),
        ("a == b", "routing rule 'a == b' must have a number; got 'b'."),
        ("region == 'Seoul'", "must have a number; got \"'Seoul'\"."),
        ("abs(a) == 1", "must have a variable name compared with one number"),
        ("a", "must have a comparison (== != < <= > >=) or 'in'; got 'a'."),
        ("abs(a, b) == 1", "routing rule 'abs(a, b) == 1' must call abs with 1 argument; got 2. Write abs(a)."),
        ("a.b == 1", "routing rule 'a.b == 1' may use only"),
        ("coverage_held = 1", "must be valid (invalid syntax); got '=' at column 15."),
    ],
)
def test_rule_errors_say_what_is_allowed(text, message):
    with pytest.raises(InstrumentError) as info:
        Rule.parse(text)
    assert message in str(info.value)


def test_rule_unknown_column_in_data():
    with pytest.raises(DataError, match="Did you mean 'alpha'"):
        Rule.parse("alpah == 1").evaluate(pd.DataFrame({"alpha": [1]}))


def test_codebook_table():
    org = load_instrument("organisation_2018")
    book = org.codebook("ko").set_index("column")
    assert list(book.index) == org.columns()
    assert book.loc["coverage_type", "ask_if"] == "coverage_held == 1"
    assert book.loc["join_intent", "codes"] == "1=전혀 없다; 2=별로 없다; 3=약간 있다; 4=매우 있다"
    assert book.loc["join_intent", "missing"] == "9"
    assert book.loc["founded_year", "range"] == "1950..2018"
    assert book.loc["funding_source_1", "question"] == "funding_source"
    assert book.loc["funding_source_1", "codes"] == "0=선택 안 함; 1=특수관계인 차입"
    assert book.loc["service_need_loan", "battery"] == "service_need"


_CELL = st.sampled_from([1.0, 2.0, 3.0, 9.0, float("nan")])


@settings(max_examples=60, deadline=None)
@given(a=st.lists(_CELL, min_size=1, max_size=30), data=st.data())
def test_rule_logic_identities(a, data):
    """Kleene logic keeps De Morgan and 'in' == chained 'or'; fully known rows follow Python."""
    b = data.draw(st.lists(_CELL, min_size=len(a), max_size=len(a)))
    frame, missing = pd.DataFrame({"a": a, "b": b}), {"a": [9], "b": [9]}

    def ev(text):
        return Rule.parse(text).evaluate(frame, missing)

    for left, right in [
        ("not (a == 1 and b == 2)", "a != 1 or b != 2"),
        ("not (a < 2 or b >= 3)", "a >= 2 and b < 3"),
        ("a in [1, 2]", "a == 1 or a == 2"),
        ("a not in [1, 2]", "not (a == 1 or a == 2)"),
    ]:
        (t1, k1), (t2, k2) = ev(left), ev(right)
        assert (t1 == t2).all() and (k1 == k2).all(), (left, right)
    true, known = ev("a == 1 and not b > 2")
    x, y = np.asarray(a), np.asarray(b)
    full = ~np.isnan(x) & ~np.isnan(y) & (x != 9) & (y != 9)
    assert (true[full] == ((x == 1) & ~(y > 2))[full]).all() and known[full].all()
