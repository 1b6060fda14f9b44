"""Derived-variable expressions compute and never run code."""

import numpy as np
import pandas as pd
import pytest

from surveykit._expr import evaluate
from surveykit.errors import DataError

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
