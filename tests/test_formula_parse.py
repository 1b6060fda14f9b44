"""surveykit's formula grammar: parsed terms, matrices equal to patsy's, errors, limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import surveykit as sk
from surveykit.errors import DataError, ModelError, SurveykitError
from surveykit.models._formula import model_frame, rebuild_matrix
from surveykit.models._formula_parse import parse, term_name
from surveykit.studies.safety_net_2018.synth import EFFECTS

API = Path(__file__).parent / "data" / "api"


def rhs(formula):
    return [term_name(t) for t in parse(formula).rhs]


def small_data(n=60, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": rng.choice(list("abc"), n),
            "h": rng.choice([1, 2, 3], n),
            "b": rng.random(n) > 0.5,
            "a.b": rng.normal(size=n),
            "o": pd.Categorical(rng.choice(list("lmh"), n), categories=list("lmh")),
        }
    )


# ---- parsed terms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, terms",
    [
        ("y ~ x + z", ["Intercept", "x", "z"]),
        ("y ~ 1", ["Intercept"]),
        ("y ~ 0", []),
        ("y ~ x - 1", ["x"]),
        ("y ~ 0 + x", ["x"]),
        ("y ~ x + 0", ["x"]),
        ("y ~ -1 + x", ["x"]),
        ("y ~ x + -1", ["Intercept", "x"]),  # as patsy: a unary -1 inside + keeps the intercept
        ("y ~ x - 1 + 1", ["Intercept", "x"]),
        ("y ~ x * z", ["Intercept", "x", "z", "x:z"]),
        ("y ~ x*z - x", ["Intercept", "z", "x:z"]),
        ("y ~ x:z:x", ["Intercept", "x:z"]),
        ("y ~ z:x + x:z", ["Intercept", "z:x"]),
        ("y ~ (x + z):C(g)", ["Intercept", "x:C(g)", "z:C(g)"]),
        ("y ~ C(g,Treatment(2)) + C( g )", ["Intercept", "C(g, Treatment(2))", "C(g)"]),
        ("y ~ C(g, Treatment(reference='b'))", ["Intercept", "C(g, Treatment(reference='b'))"]),
        ('y ~ Q("a.b") + I(z**2) + I(-x)', ["Intercept", 'Q("a.b")', "I(z ** 2)", "I(-x)"]),
        ("y ~ np.log(x) + sqrt(z)", ["Intercept", "np.log(x)", "sqrt(z)"]),
    ],
)
def test_parsed_terms(formula, terms):
    assert rhs(formula) == terms


def test_factors_know_their_kind_columns_and_reference():
    p = parse('I(Q("sch.wide") == "Yes") ~ C(g, Treatment(reference="b")) + x:Q("a.b")')
    ((y,),) = p.lhs
    assert (y.kind, y.variables, y.boolean) == ("expression", ("sch.wide",), True)
    assert y.aliases == (("_sk_text0", "sch.wide", "==", "Yes"),)
    c = p.rhs[1][0]
    assert (c.kind, c.column, c.reference, c.has_reference) == ("categorical", "g", "b", True)
    x, q = p.rhs[2]
    assert (x.kind, q.kind, q.column, q.name) == ("column", "column", "a.b", 'Q("a.b")')
    assert not parse("y ~ I(x ** 2)").rhs[1][0].boolean


# ---- matrices: identical to patsy's (the reference, used here on safe formulas only) -------


def assert_like_patsy(formula, data, rtol=0.0):
    import patsy

    mf = model_frame(formula, data)
    y, X = patsy.dmatrices(formula, data, return_type="dataframe")
    assert mf.columns == tuple(X.columns)
    np.testing.assert_allclose(mf.X, X.to_numpy(), rtol=rtol, atol=0.0)  # rtol 0: bit for bit
    assert list(mf.term_names) == X.design_info.term_names
    assert list(mf.term_slices) == list(X.design_info.term_name_slices.values())
    np.testing.assert_array_equal(np.flatnonzero(mf.keep), X.index.to_numpy())
    assert list(mf.y_frame.columns) == list(y.columns)
    np.testing.assert_array_equal(mf.y_frame.to_numpy(), y.to_numpy())
    return mf


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ x + C(g)",
        "y ~ x:C(g)",
        "y ~ x + x:C(g)",
        "y ~ C(g):x + I(-x)",
        "y ~ x*z - 1",
        'y ~ C(g, Treatment(reference="b"))',
        "y ~ C(g, Treatment(2)) + C(h, Treatment(2))",
        "y ~ C(h, Treatment(-1))",
        "y ~ b + g + o",
        "y ~ (x + z):C(g)",
        "y ~ C(g)*x",
        "y ~ C(g)*C(h)",
        "y ~ C(g):C(h)",
        "y ~ 0 + C(g):C(h)",
        "y ~ x*C(g)*C(h)",
        "y ~ C(g):C(h):x + x",
        'y ~ Q("a.b") + I(Q("a.b") * 2)',
        "g ~ x",
        "o ~ x",
        "b ~ x + C(b)",
        "y ~ x + z - x",
    ],
)
def test_matrices_equal_patsy(formula):
    data = small_data()
    data.loc[3, "x"] = np.nan  # complete cases: rows 4 and 6 are left out
    data.loc[5, "g"] = None
    assert_like_patsy(formula, data)


@pytest.mark.parametrize(
    "formula, rtol",
    [
        ("y ~ I(x > 0) + b + I(b) + o", 0.0),
        ('I(g == "a") ~ x + I(h.isin([1, 2]))', 0.0),
        ("I(g != 'a') ~ I(x > 0 and z < 1)", 0.0),
        # the safe evaluator's x ** 2 and log may differ from numpy's by one unit in the last place
        ("y ~ I(z**2) + C(g):x", 1e-15),
        ("y ~ np.log(z ** 2) + np.sqrt(np.abs(x))", 1e-15),
    ],
)
def test_expression_matrices_equal_patsy_on_complete_data(formula, rtol):
    if " and " in formula:  # pandas cannot 'and' two columns: compare with the & patsy needs
        import patsy

        data = small_data()
        mf = model_frame(formula, data)
        y, X = patsy.dmatrices("I(g != 'a') ~ I((x > 0) & (z < 1))", data, return_type="dataframe")
        np.testing.assert_array_equal(mf.X, X.to_numpy())
        assert mf.columns[1] == "I(x > 0 and z < 1)[T.True]"
        return
    assert_like_patsy(formula, small_data(), rtol)


def test_repo_formulas_equal_patsy_on_their_data():
    from surveykit.report.plan import load_plan
    from surveykit.report.prepare import prepare_surveys

    for name in ("worker_brief", "organisation_brief", "combined_brief"):
        plan = load_plan(name)
        prepared = prepare_surveys(plan)
        for s in (s for s in plan.sections if s.type == "model"):
            assert_like_patsy(s.options["formula"], prepared[s.options["survey"]].analysis.data)
    api = pd.read_csv(API / "apistrat.csv")
    mf = assert_like_patsy('I(Q("sch.wide") == "Yes") ~ ell + meals + C(stype) + Q("acs.k3")', api)
    assert mf.columns[:3] == ("Intercept", "C(stype)[T.H]", "C(stype)[T.M]")
    assert_like_patsy("api4 ~ meals + ell + C(stype)", api.assign(api4=pd.qcut(api["api00"], 4, labels=False)))
    for effect in EFFECTS.values():
        data, _ = sk.read(sk.demo_path(f"{effect['survey']}_2018"))
        assert_like_patsy(effect["model"], data.fillna(0))


def test_missing_values_inside_expressions_are_missing_not_false():
    # patsy turned NaN > 0 into False and kept the row; surveykit leaves the row out (as R)
    data = small_data()
    data.loc[[2, 7], "x"] = np.nan
    mf = model_frame("y ~ I(x > 0) + z", data)
    assert mf.X.shape[0] == len(data) - 2 and not mf.keep[[2, 7]].any()


def test_rebuild_uses_the_fitted_coding():
    data = small_data()
    mf = model_frame("y ~ x + C(g, Treatment('b')) + x:C(h) + I(Q('a.b') ** 2)", data)
    np.testing.assert_array_equal(rebuild_matrix(mf, data), mf.X)
    new = data.iloc[:4].assign(g=["c", "c", "a", "b"])
    X = rebuild_matrix(mf, new)
    assert X.shape == (4, len(mf.columns))
    np.testing.assert_array_equal(X[:, mf.columns.index("C(g, Treatment('b'))[T.c]")], [1, 1, 0, 0])
    with pytest.raises(DataError, match="levels seen in the fit; got \\['z'\\] for C\\(g.*row 2"):
        rebuild_matrix(mf, new.assign(g=["a", "z", "a", "a"]))


def test_categorical_variables_for_marginal_effects():
    mf = model_frame("y ~ x + C(h) + b + I(z > 0)", small_data())
    assert mf.design_info.categorical_variables() == {"h": (1, 2, 3), "b": (False, True)}


# ---- errors: the project's wording, with the column ------------------------------------------


@pytest.mark.parametrize(
    "formula, must, got, col",
    [
        ("y ~ x +", "have a term here", "the end of the formula", 8),
        ("y", "have one '~'", "the end of the formula", 2),
        ("~ x", "have a response before '~'", "'~'", 1),
        ("y ~ x ~ z", "join terms with", "'~'", 7),
        ("y ~ (x", "have balanced brackets", "an unclosed '('", 5),
        ("y ~ 2", "use only 0 or 1 as numbers", "'2'", 5),
        ("y ~ -x", "use unary minus only as -1 or -0", "'-'", 5),
        ("y ~ x.y", "use no attributes", "'.'", 6),
        ("y ~ C(g, Sum)", "use the Treatment contrast", "'Sum'", 10),
        ("y ~ foo(x)", "use only C(...), Q(...), I(...)", "'foo'", 5),
        ("y ~ I(x.__class__)", "use no attributes inside an expression", "'.'", 8),
        ("y ~ I(lambda: 1)", "use column names, not Python words", "'lambda'", 7),
        ('y ~ I("a")', "use a quoted text only compared with a column", "'\"a\"'", 7),
        ("y ~ I(x +)", "have a complete expression", "'I(x + )'", 5),
        ("y ~ I(x, x)", "have one expression", "'I(x, x)'", 5),
        ("y + x ~ g", "have one response variable", "2 terms", 5),
        ('y ~ "x', "close every quoted name", 'an unclosed "', 5),
        ("y ~ x $ z", "use names, numbers", "'$'", 7),
        ("y ~ C(g, Treatment('q'))", "give a reference level of 'g' that occurs", "'q'", 5),
    ],
)
def test_errors_name_formula_position_and_fix(formula, must, got, col):
    with pytest.raises(ModelError) as info:
        model_frame(formula, small_data())
    msg = str(info.value)
    assert msg.startswith(f"formula {formula!r} must {must}")
    assert f"; got {got} at column {col}. " in msg and msg.endswith(".")


def test_unknown_column_is_a_data_error_with_a_suggestion():
    with pytest.raises(
        DataError,
        match=r"formula 'y ~ x \+ zz' must name columns of the survey data; "
        r"got 'zz' at column 9\. Did you mean 'z'\? Fix the name",
    ):
        model_frame("y ~ x + zz", small_data())
    with pytest.raises(DataError, match="got 'zz'"):
        model_frame("y ~ I(zz ** 2)", small_data())


@pytest.mark.parametrize(
    "formula, must",
    [
        ("y ~ " + "(" * 13 + "x" + ")" * 13, "nest brackets at most 12 deep"),
        ("y ~ " + "*".join(f"(a{i} + b{i})" for i in range(8)), "expand to at most 100 terms"),
        ("y ~ a:b:c:d:e:f:g", "interact at most 6 factors"),
        ("y ~ " + "+".join(["x"] * 320), "have at most 600 tokens"),
        ("y ~ x" + " " * 2000, "have at most 2000 characters"),
        ("y ~ - - - - - 1", "have at most 4 signs in a row"),
        ("y ~ I(" + " + ".join(["x"] * 70) + ")", "have at most 120 tokens in one expression"),
        ("y ~ I(" + "-" * 300 + "x)", "have at most 120 tokens in one expression"),
    ],
)
def test_limits_end_in_a_clear_error(formula, must):
    with pytest.raises(ModelError, match=f"must {must}"):
        model_frame(formula, small_data())


def test_cell_limit(monkeypatch):
    import surveykit.models._formula_build as build

    monkeypatch.setattr(build, "MAX_CELLS", 100)
    with pytest.raises(ModelError, match=r"must have at most 100 cells; got 60 rows x 2 columns"):
        model_frame("y ~ x", small_data())


def test_intercept_only_model_keeps_its_rows():
    data = small_data()
    mf = model_frame("y ~ 1", data)
    assert mf.columns == ("Intercept",) and rebuild_matrix(mf, data).shape == (len(data), 1)


def test_text_inside_an_expression_gets_level_contrasts_in_marginal_effects():
    data = small_data(n=300)
    res = sk.models.logistic(sk.Survey(data, sk.Design()), 'y ~ x + I(g == "a")')
    me = res.marginal_effects().frame
    assert list(zip(me["variable"], me["contrast"])) == [("x", "dy/dx"), ("g", "b - a"), ("g", "c - a")]


def test_column_limit():
    n = 40
    data = pd.DataFrame({"y": np.arange(n) % 2, "p": np.arange(n), "q": np.arange(n) + 100})
    with pytest.raises(ModelError, match="must code at most 1000 model columns"):
        model_frame("y ~ C(p):C(q)", data)


# ---- property: any text ends in a surveykit error or a parse, never anything else ------------

_PIECES = st.sampled_from(
    [
        "y",
        "x",
        "g",
        "b",
        "o",
        "~",
        "+",
        "-",
        "*",
        ":",
        "(",
        ")",
        "0",
        "1",
        "2",
        "C(",
        "I(",
        "Q(",
        '"a.b"',
        "'g'",
        ",",
        "Treatment(",
        "reference=",
        ".",
        "__import__",
        "np.",
        "log(",
        "[",
        "]",
        "==",
        "**",
        "lambda",
        " ",
        "isin(",
        "\\",
        "'",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=30).map("".join)))
def test_parser_only_raises_surveykit_errors(text):
    try:
        parse(text)
    except SurveykitError:
        return
    try:  # it parsed: building it on data also ends in a matrix or a surveykit error
        model_frame(text, _DATA)
    except SurveykitError:
        pass


_DATA = small_data()
