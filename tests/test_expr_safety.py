"""The one expression grammar is safe and bounded: derived variables, routing rules, domains.

No user argument reaches numpy as ``out=``; size and depth bombs fail fast with a clear error;
``Survey.domain`` strings reach no attribute or function; random text raises only our errors.
"""

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveykit.errors import DataError, InstrumentError, ReportError
from surveykit.instrument import Rule, load_instrument
from surveykit.instrument.expr import evaluate, evaluate_mask
from surveykit.report.prepare import _derive_one
from surveykit.studies.safety_net_2018.demo import demo_survey


@pytest.fixture(scope="module")
def org():
    return demo_survey("organisation_2018")


def _analysis_frame(svy) -> pd.DataFrame:
    """The demo data as derivations see it: every user-missing code set to NaN (float64 columns)."""
    clean = svy.data.copy()
    for var, codes in load_instrument("organisation_2018").missing_map().items():
        if var in clean.columns and codes:
            clean[var] = clean[var].where(~clean[var].isin(codes))
    return clean


def _frame_hash(frame: pd.DataFrame) -> int:
    return int(pd.util.hash_pandas_object(frame, index=True).sum())


# -- a second argument never reaches numpy as out= --------------------------------------------------


@pytest.mark.parametrize(
    "expr, message",
    [
        ("abs(founded_year, paid_workers)", "must call abs with 1 argument; got 2. Write abs(founded_year)."),
        ("sqrt(paid_workers, founded_year)", "must call sqrt with 1 argument; got 2."),
        ("floor(paid_workers, founded_year)", "must call floor with 1 argument; got 2."),
        ("round(paid_workers, founded_year)", "must give round's digits as a whole number"),
    ],
)
def test_extra_arguments_leave_the_analysis_frame_unchanged(org, expr, message):
    clean = _analysis_frame(org)
    assert clean["paid_workers"].dtype == np.float64  # a float column: numpy could write into it
    before, columns = _frame_hash(clean), {c: clean[c].to_numpy(copy=True) for c in clean.columns}
    with pytest.raises(ReportError) as info:
        _derive_one({"name": "x", "expr": expr}, clean, "surveys.org.derive[0]")
    assert str(info.value).startswith(f"surveys.org.derive[0]: expression {expr!r} ")
    assert message in str(info.value)
    assert _frame_hash(clean) == before
    for name, values in columns.items():
        np.testing.assert_array_equal(clean[name].to_numpy(), values)


def test_evaluated_columns_are_copies_not_views():
    frame = pd.DataFrame({"x": [1.0, -2.0], "y": [3.0, 4.0]})
    before = _frame_hash(frame)
    out = evaluate("abs(x) + y", frame)
    out[:] = 0.0  # writing into the result must not reach the frame
    assert _frame_hash(frame) == before and frame["x"].tolist() == [1.0, -2.0]


# -- size and depth bombs: a clear error, fast -------------------------------------------------------

BOMBS = {
    "parens 10k": "(" * 10000 + "x" + ")" * 10000,
    "minus 100k": "-" * 100000 + "x",
    "sum 100k": "x+" * 100000 + "x",
    "parens 60": "(" * 60 + "x" + ")" * 60,
    "brackets 200": "[" * 200,
    "minus 1999": "-" * 1999 + "x",
    "not 400": "not " * 400 + "x",
    "calls 60": "abs(" * 60 + "x" + ")" * 60,
    "power tower": "x**" * 600 + "x",
    "sum 999": "x+" * 999 + "x",
    "huge int": "1" * 1999,
    "huge float": "9" * 400 + ".0",
    "in list 600": "x in [" + ", ".join(["1"] * 600) + "]",
    "and chain 600": " and ".join(["x == 1"] * 300),
}
_LIMITS = (
    r"must (be at most 2000 characters|nest brackets at most 50|nest operators and calls at most 50|"
    r"have at most 500 terms|use numbers of at most)"
)


# an expression bomb that is not stopped takes minutes or exhausts memory; the bound leaves room
# for a loaded machine (checks take milliseconds on a quiet one)
FAST = 5.0


def _fast(call, error, pattern):
    start = time.perf_counter()
    with pytest.raises(error, match=pattern):
        call()
    return time.perf_counter() - start


@pytest.mark.parametrize("text", list(BOMBS.values()), ids=list(BOMBS))
def test_bombs_fail_fast_everywhere(org, text):
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert _fast(lambda: evaluate(text, frame), DataError, "^expression .*" + _LIMITS) < FAST
    assert _fast(lambda: Rule.parse(text), InstrumentError, "^routing rule .*" + _LIMITS) < FAST
    assert _fast(lambda: org.domain(text), DataError, "^domain expression .*" + _LIMITS) < FAST


def test_overflowing_powers_do_not_hang():
    frame = pd.DataFrame({"x": [10.0, 0.5]})
    start = time.perf_counter()
    np.testing.assert_array_equal(evaluate("10 ** 10 ** 10 + x ** 1000000", frame), [np.inf, np.inf])
    np.testing.assert_array_equal(evaluate("x ** (10 ** 10)", frame), [np.inf, 0.0])
    assert time.perf_counter() - start < FAST


def test_bomb_messages_are_short_and_name_the_limit():
    with pytest.raises(DataError) as info:
        evaluate("x+" * 100000 + "x", pd.DataFrame({"x": [1.0]}))
    msg = str(info.value)
    assert len(msg) < 300 and "(200001 characters) must be at most 2000 characters; got 200001." in msg


# -- Survey.domain: one grammar, no attributes, same answers as before -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "org_type.__class__",
        "@pd",
        "@org_type > 1",
        "__import__('os')",
        "`org_type`.__class__",
        "org_type.isna()",
        "org_type.values > 0",
        "`org_type",
        "lambda: 1",
        "[c for c in 'ab']",
        "org_type[0] == 1",
        "org_type == [1, 2]",
        "getattr(org_type, 'x')",
        "org_type if 1 else 0",
        "pd.eval('1')",
        "org_type == 2; import os",
        "__builtins__ == 1",
        "main_business.str.len() > 3",
    ],
)
def test_domain_cannot_reach_attributes_or_functions(org, text):
    with pytest.raises(DataError, match=r"^domain expression "):
        org.domain(text)


def _mask(series: pd.Series) -> np.ndarray:
    return series.fillna(False).to_numpy(dtype=bool)


def test_domain_equals_the_old_dataframe_eval_results(org):
    # the data as every estimand sees them: user-missing codes are missing (Survey.user_missing),
    # and a negation of a missing value is unknown, so outside the domain
    d = org.analysis_data()
    known = d.org_type.notna()
    assert (org.data.org_type.notna() & ~known).any()  # the demo has user-missing org types
    first = d["main_business"].iloc[0]
    cases = {  # expression -> the mask DataFrame.eval gives on these data
        "org_type == 2": d.org_type == 2,
        "org_type != 2": (d.org_type != 2) & known,
        "org_type >= 3 and paid_workers < 10": (d.org_type >= 3) & (d.paid_workers < 10),
        "(org_type == 2) & (coverage_held == 1)": (d.org_type == 2) & (d.coverage_held == 1),
        "org_type == 2 | coverage_held == 1": (d.org_type == 2) | (d.coverage_held == 1),
        "~(org_type == 2)": ~(d.org_type == 2) & known,
        "not org_type == 2": ~(d.org_type == 2) & known,
        "org_type in [1, 2]": d.org_type.isin([1, 2]),
        "org_type not in [1, 2]": ~d.org_type.isin([1, 2]) & known,
        "coverage_type == 1": d.coverage_type == 1,
        "2018 - founded_year > 5": 2018 - d.founded_year > 5,
        f"main_business == {first!r}": d.main_business == first,
        f"`main_business` != {first!r}": d.main_business != first,
        "coverage_held": d.coverage_held != 0,
    }
    for text, old in cases.items():
        new = org.domain(text)
        np.testing.assert_array_equal(new.weights, org.domain(_mask(old)).weights, err_msg=text)
        assert new.weights.sum() > 0, text  # every case selects someone


def test_domain_missing_is_outside_even_for_not_equal(org):
    """Behaviour change: DataFrame.eval put a skipped (NaN) row inside ``x != 1``; now it is outside."""
    d = org.data
    new = org.domain("coverage_type != 1")
    answered = d.coverage_type.notna() & (d.coverage_type != 1)
    np.testing.assert_array_equal(new.weights > 0, answered.to_numpy())
    assert d.coverage_type.isna().any() and not (new.weights[d.coverage_type.isna().to_numpy()] > 0).any()
    np.testing.assert_array_equal(org.domain("is_missing(coverage_type)").weights > 0, d.coverage_type.isna())


def test_domain_errors_name_the_fix(org):
    with pytest.raises(
        DataError,
        match=r"names 'org_typ', which must be a data column; it is not\. "
        r"Did you mean 'org_type'",
    ):
        org.domain("org_typ == 2")
    with pytest.raises(DataError, match=r"compares 'org_type' with text, so it must hold text"):
        org.domain("org_type == '2'")


# -- random text: only our errors, never another exception, never a hang ---------------------------

_FRAME = pd.DataFrame(
    {"a": [1.0, 2.0, np.nan, 9.0], "b": [0.0, -1.0, 3.0, np.nan], "region": ["Seoul", None, "Busan", "Seoul"]}
)
_TOKENS = st.sampled_from(
    [
        "a",
        "b",
        "region",
        "zz",
        "`a`",
        "`b c`",
        "0",
        "1",
        "2.5",
        "-3",
        "1e400",
        "10**10**10",
        "'Seoul'",
        '"x"',
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "**",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "and",
        "or",
        "not",
        "in",
        "&",
        "|",
        "~",
        "(",
        ")",
        "[",
        "]",
        ",",
        ".",
        "@",
        "`",
        "'",
        "lambda",
        "__import__",
        "__class__",
        "abs(",
        "round(",
        "min(",
        "max(",
        "sqrt(",
        "log(",
        "is_missing(",
        "open(",
        "x=",
        "*",
        ":",
        "if",
        "else",
        "None",
        "True",
        "0x1F",
        "1_000",
        "1j",
        "\\",
        "\n",
        "#",
    ]
)
_TEXT = st.one_of(
    st.lists(_TOKENS, max_size=40).map(" ".join),
    st.lists(_TOKENS, max_size=40).map("".join),
    st.text(max_size=60),
    st.tuples(_TOKENS, st.integers(1, 3000)).map(lambda t: t[0] * t[1]),
)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
def test_random_text_raises_only_our_errors(text):
    try:
        values = evaluate(text, _FRAME)
    except DataError:
        pass
    else:
        assert values.dtype == np.float64 and values.shape == (len(_FRAME),)
    try:
        mask = evaluate_mask(text, _FRAME)
    except DataError:
        pass
    else:
        assert mask.dtype == bool and mask.shape == (len(_FRAME),)
    try:
        rule = Rule.parse(text)
    except InstrumentError:
        return
    try:
        true, known = rule.evaluate(_FRAME, {"a": [9]})
    except DataError:
        return
    assert true.dtype == bool and known.dtype == bool and not (true & ~known).any()


_LEAF = st.sampled_from(["a", "b", "`a`", "0", "1", "2.5", "9", "-1"])
_COND_LEAF = st.builds(
    lambda col, op, v: f"{col} {op} {v}",
    st.sampled_from(["a", "b"]),
    st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    st.sampled_from(["0", "1", "2", "9", "-1"]),
)
_MEMBER = st.builds(
    lambda col, neg, vs: f"{col} {'not in' if neg else 'in'} [{', '.join(vs)}]",
    st.sampled_from(["a", "b"]),
    st.booleans(),
    st.lists(st.sampled_from(["0", "1", "9"]), min_size=1, max_size=3),
)
_TEXT_COND = st.sampled_from(["region == 'Seoul'", "region != 'Busan'", "region in ['Seoul', 'Jeju']"])
_ROUTING = st.recursive(
    st.one_of(_COND_LEAF, _MEMBER),
    lambda inner: st.one_of(
        st.builds(lambda x, y, j: f"({x}) {j} ({y})", inner, inner, st.sampled_from(["and", "or", "&", "|"])),
        st.builds(lambda x: f"not ({x})", inner),
    ),
    max_leaves=8,
)
_NUMERIC = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.builds(
            lambda x, op, y: f"({x}) {op} ({y})", inner, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), inner
        ),
        st.builds(
            lambda f, x: f"{f}({x})",
            st.sampled_from(["abs", "sqrt", "log", "log10", "exp", "floor", "ceil", "round", "is_missing"]),
            inner,
        ),
        st.builds(lambda x, d: f"round({x}, {d})", inner, st.integers(-3, 3)),
        st.builds(
            lambda f, xs: f"{f}({', '.join(xs)})",
            st.sampled_from(["min", "max"]),
            st.lists(inner, min_size=2, max_size=3),
        ),
        st.builds(lambda x: f"-({x})", inner),
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(numeric=_NUMERIC, routing=_ROUTING, text=_TEXT_COND, join=st.sampled_from(["and", "or"]))
def test_well_formed_expressions_evaluate_consistently(numeric, routing, text, join):
    """Generated grammar: numbers come back float64[n]; a mask is 'known and non-zero'; a routing
    rule evaluates exactly as the former hand-written routing evaluator did."""
    from surveykit.instrument.expr import evaluate_logic

    values = evaluate(numeric, _FRAME)
    assert values.dtype == np.float64 and values.shape == (len(_FRAME),)
    combined = f"({numeric} > 1) {join} ({routing}) {join} {text}"
    truth = evaluate(combined, _FRAME)
    np.testing.assert_array_equal(evaluate_mask(combined, _FRAME), ~np.isnan(truth) & (truth != 0))
    rule = Rule.parse(routing)
    true, known = rule.evaluate(_FRAME, {"a": [9]})
    want_true, want_known = _kleene(rule.node, _FRAME, {"a": [9]})  # the former _rules evaluator
    np.testing.assert_array_equal(true, want_true)
    np.testing.assert_array_equal(known, want_known)
    np.testing.assert_array_equal(evaluate_logic(routing, _FRAME, {"a": [9]})[0], want_true)


def _kleene(node, data, missing):
    """Reference: the tuple-AST evaluator routing rules used before they shared the grammar."""
    ops = {
        "==": np.equal,
        "!=": np.not_equal,
        "<": np.less,
        "<=": np.less_equal,
        ">": np.greater,
        ">=": np.greater_equal,
    }
    if node[0] in ("cmp", "in"):
        x = data[node[1]].to_numpy(dtype=float)
        known = ~np.isnan(x) & ~np.isin(x, np.asarray(missing.get(node[1], ()), dtype=float))
        true = ops[node[2]](x, node[3]) if node[0] == "cmp" else np.isin(x, np.asarray(node[2])) != node[3]
        return true & known, known
    if node[0] == "not":
        t, k = _kleene(node[1], data, missing)
        return ~t & k, k
    (ta, ka), (tb, kb) = _kleene(node[1], data, missing), _kleene(node[2], data, missing)
    if node[0] == "and":
        return ta & tb, (ka & kb) | (ka & ~ta) | (kb & ~tb)
    return ta | tb, (ka & kb) | ta | tb
