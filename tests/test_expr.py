"""Derived-variable expressions compute and never run code."""

import numpy as np
import pandas as pd
import pytest

from surveykit.errors import DataError
from surveykit.instrument.expr import evaluate

FRAME = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": [2.0, 0.0, 1.0, 4.0], "t": ["x", "y", "z", "w"]})


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("a + b * 2", [5.0, 2.0, np.nan, 12.0]),
        ("(a - 1) / 10", [0.0, 0.1, np.nan, 0.3]),
        ("a ** 2 % 3", [1.0, 1.0, np.nan, 1.0]),
        ("-a", [-1.0, -2.0, np.nan, -4.0]),
        ("a >= 2", [0.0, 1.0, np.nan, 1.0]),
        ("1 < b <= 2", [1.0, 0.0, 0.0, 0.0]),
        ("a == 4 or b == 0", [0.0, 1.0, np.nan, 1.0]),
        ("not b", [0.0, 1.0, 0.0, 0.0]),
        ("max(a, b)", [2.0, 2.0, 1.0, 4.0]),
        ("sqrt(b)", [np.sqrt(2), 0.0, 1.0, 2.0]),
    ],
)
def test_expressions_compute_with_missing_propagating(expr, expected):
    np.testing.assert_allclose(evaluate(expr, FRAME), expected, equal_nan=True)


@pytest.mark.parametrize(
    "expr, message",
    [
        ("@clean.to_csv('pwned.csv')", "must be valid"),
        ("a.to_csv('pwned.csv')", r"got Call"),
        ("a.real", r"got Attribute"),
        ("__import__('os').system('touch x')", r"got Call|a call of"),
        ("open('x')", "a call of 'open'"),
        ("a[0]", "got Subscript"),
        ("(lambda: 1)()", "got Call"),
        ("'text'", "got Constant"),
        ("c + 1", "names 'c', which must be a data column"),
        ("t + 1", "'t', which must be numeric"),
        ("", "non-empty"),
    ],
)
def test_anything_else_is_refused_with_a_clear_error(tmp_path, expr, message):
    with pytest.raises(DataError, match=message):
        evaluate(expr, FRAME)
    assert not list(tmp_path.iterdir())


# -- the function table: arity, constants, NaN semantics --------------------------------------------

NAN = np.nan
FUNCS = pd.DataFrame(
    {
        "x": [1.25, -2.5, NAN, 3.5, 0.5],
        "a": [1.0, NAN, NAN, 5.0, -1.0],
        "b": [2.0, 3.0, NAN, 4.0, NAN],
        "c": [0.0, 9.0, NAN, NAN, NAN],
    }
)


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("round(x)", [1.0, -2.0, NAN, 4.0, 0.0]),  # half to even, like numpy and Python
        ("round(x, 1)", [1.2, -2.5, NAN, 3.5, 0.5]),
        ("round(x * 100, -1)", [120.0, -250.0, NAN, 350.0, 50.0]),
        ("min(a, b)", [1.0, 3.0, NAN, 4.0, -1.0]),  # missing arguments are ignored
        ("max(a, b)", [2.0, 3.0, NAN, 5.0, -1.0]),
        ("max(a, b, c)", [2.0, 9.0, NAN, 5.0, -1.0]),
        ("min(a, b, c, 0)", [0.0, 0.0, 0.0, 0.0, -1.0]),
        ("abs(x)", [1.25, 2.5, NAN, 3.5, 0.5]),
        ("floor(x) + ceil(x)", [3.0, -5.0, NAN, 7.0, 1.0]),
        ("is_missing(a)", [0.0, 1.0, 1.0, 0.0, 0.0]),
        ("is_missing(a + b)", [0.0, 1.0, 1.0, 0.0, 1.0]),
    ],
)
def test_functions_compute_exactly(expr, expected):
    np.testing.assert_array_equal(evaluate(expr, FUNCS), np.asarray(expected))


@pytest.mark.parametrize(
    "expr, message",
    [
        ("abs(x, a)", "expression 'abs(x, a)' must call abs with 1 argument; got 2. Write abs(x)."),
        ("sqrt()", "expression 'sqrt()' must call sqrt with 1 argument; got 0. Write sqrt(x)."),
        ("log(x, 10)", "must call log with 1 argument; got 2. Write log(x)."),
        ("round(x, 1, 2)", "must call round with 1 or 2 arguments; got 3. Write round(x) or round(x, 1)."),
        ("round(x, a)", "must give round's digits as a whole number from -15 to 15; got 'a'."),
        ("round(x, 1.5)", "must give round's digits as a whole number"),
        ("round(x, 99)", "must give round's digits as a whole number"),
        ("min(a)", "must call min with at least 2 arguments; got 1. Write min(a, b)."),
        ("max(a, out=b)", "must call max without keyword arguments; got 'out=b'. Write max(a, b)."),
        ("abs(*a)", "got Starred"),
        ("sum(a, b)", "got a call of 'sum'"),
    ],
)
def test_function_arity_is_checked_before_evaluation(expr, message):
    with pytest.raises(DataError) as info:
        evaluate(expr, FUNCS)
    assert message in str(info.value)


# -- logic, text, membership, missing codes ----------------------------------------------------------

LOGIC = pd.DataFrame(
    {
        "a": [1.0, NAN, NAN, 0.0, 9.0],
        "b": [0.0, 0.0, 1.0, NAN, 1.0],
        "region": ["Seoul", "Busan", None, "Seoul", "Jeju"],
    }
)


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("a == 1 and b == 1", [0.0, 0.0, NAN, 0.0, 0.0]),  # Kleene: a false operand decides 'and'
        ("a == 1 or b == 1", [1.0, NAN, 1.0, NAN, 1.0]),  # a true operand decides 'or'
        ("(a == 1) & (b == 1)", [0.0, 0.0, NAN, 0.0, 0.0]),
        ("(a == 1) | (b == 1)", [1.0, NAN, 1.0, NAN, 1.0]),
        ("a == 1 | b == 1", [1.0, NAN, 1.0, NAN, 1.0]),  # & and | have boolean precedence, as in pandas
        ("region == 'a&b' | region == 'x|y'", [0.0, 0.0, NAN, 0.0, 0.0]),  # not inside text
        ("~(b == 1)", [1.0, 1.0, 0.0, NAN, 0.0]),
        ("region == 'Seoul'", [1.0, 0.0, NAN, 1.0, 0.0]),
        ("'Seoul' != region", [0.0, 1.0, NAN, 0.0, 1.0]),
        ("region in ['Seoul', 'Jeju']", [1.0, 0.0, NAN, 1.0, 1.0]),
        ("region not in ('Seoul',)", [0.0, 1.0, NAN, 0.0, 1.0]),
        ("a in [0, 9]", [0.0, NAN, NAN, 1.0, 1.0]),
        ("a not in [-1, 1]", [0.0, NAN, NAN, 1.0, 1.0]),
        ("`region` == 'Jeju'", [0.0, 0.0, NAN, 0.0, 1.0]),
    ],
)
def test_logic_is_three_valued_and_text_compares_with_columns(expr, expected):
    np.testing.assert_array_equal(evaluate(expr, LOGIC), np.asarray(expected))


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_text_comparisons_work_for_every_text_dtype(dtype):
    frame = pd.DataFrame({"s": pd.Series(["a", None, "b"], dtype=dtype)})
    np.testing.assert_array_equal(evaluate("s == 'a'", frame), [1.0, NAN, 0.0])
    np.testing.assert_array_equal(evaluate("s != 'a'", frame), [0.0, NAN, 1.0])
    np.testing.assert_array_equal(evaluate("s not in ['b']", frame), [1.0, NAN, 0.0])
    np.testing.assert_array_equal(evaluate("is_missing(s)", frame), [0.0, 1.0, 0.0])


def test_user_missing_codes_count_as_missing():
    np.testing.assert_array_equal(evaluate("a + 1", LOGIC, {"a": [9]}), [2.0, NAN, NAN, 1.0, NAN])
    np.testing.assert_array_equal(evaluate("is_missing(a)", LOGIC, {"a": [9]}), [0.0, 1.0, 1.0, 0.0, 1.0])


@pytest.mark.parametrize(
    "expr, message",
    [
        ("region == 1", "uses 'region', which must be numeric; it holds text"),
        ("a == 'x'", "compares 'a' with text, so it must hold text; it holds numbers"),
        ("region < 'S'", "must compare text only with a column by == or !=; got \"region < 'S'\""),
        ("~a", "must apply ~ only to a condition in brackets"),
        ("a in b", "must follow 'in' with a bracketed list of values"),
        ("a in []", "must follow 'in' with a bracketed list of values"),
        ("a in [1, 'x']", "must list either numbers or texts after 'in'"),
        ("a in [b]", "must list only numbers or texts after 'in'; got 'b'"),
        ("region == 'a' == region", "must use 'in' and text comparisons without chaining"),
        ("a is None", "Comparison Is is not supported"),
        ("a == True", "Write is_missing(x) for missing values and 1 or 0 for true or false."),
        ("`a", "must quote a column name as `name`"),
        ("``", "must quote a column name as `name`"),
        ("1e400", "must use numbers of at most 1e+15 in size"),
        ("10 ** 100000000000000000000", "must use numbers of at most 1e+15 in size"),
        ("a ==", "must be valid (invalid syntax); got the end of the text."),
        ("a & | b", "must be valid (invalid syntax); got '|' at column 5."),
        ("a > @limit", "must be valid (no @ variables); got '@' at column 5. Write the value itself"),
        ("a == [1, 2]", "got List ('[1, 2]'). A list of values may only follow in: write x in [1, 2]."),
    ],
)
def test_refusals_say_what_is_allowed_and_how_to_fix(expr, message):
    with pytest.raises(DataError) as info:
        evaluate(expr, LOGIC)
    assert message in str(info.value)


def test_evaluate_mask_treats_missing_and_unknown_as_outside():
    from surveykit.instrument.expr import evaluate_logic, evaluate_mask

    assert evaluate_mask("a == 1 or b == 1", LOGIC).tolist() == [True, False, True, False, True]
    true, known = evaluate_logic("a == 1 or b == 1", LOGIC)
    assert true.tolist() == [True, False, True, False, True]
    assert known.tolist() == [True, False, True, False, True]
    assert evaluate_mask("a", LOGIC).tolist() == [True, False, False, False, True]  # non-zero = true
