"""Wrong argument types at the public boundary give a surveykit error naming the argument."""

from __future__ import annotations

import pandas as pd
import pytest

import surveykit as sk

DATA = pd.DataFrame({"y": [1.0, 2, 3, 4], "g": [1, 1, 2, 2], "w": [1.0, 2, 1, 1]})
SVY = sk.Survey(DATA, sk.Design(weights="w"))

CALLS = {
    "mean(1)": (lambda: SVY.mean(1), sk.DataError, "variables must be a column name"),
    "mean(by=1)": (lambda: SVY.mean("y", by=1), sk.DataError, "by must be a column name"),
    "ratio(1, 2)": (lambda: SVY.ratio(1, 2), sk.DataError, "numerator must be a column name"),
    "frequency(alpha='x')": (lambda: SVY.frequency("g", alpha="x"), sk.DataError, "alpha must be a number"),
    "multiple_response(1)": (lambda: SVY.multiple_response(1), sk.DataError, "columns_or_set must be"),
    "logistic(DataFrame)": (lambda: sk.models.logistic(DATA, "y ~ g"), sk.ModelError, "svy must be a surveykit.Survey"),
    "ordinal(DataFrame)": (lambda: sk.models.ordinal_logistic(DATA, "y ~ g"), sk.ModelError, "svy must be"),
    "logistic(alpha='x')": (lambda: sk.models.logistic(SVY, "g ~ y", alpha="x"), sk.ModelError, "alpha must be"),
    "segments(1)": (lambda: sk.segments.segments(SVY, 1), sk.DataError, "must be a column name"),
    "read(1)": (lambda: sk.read(1), sk.ReadError, "path must be a file path"),
    "Design(weights=1)": (lambda: sk.Design(weights=1), sk.DesignError, "weights must be a column name"),
    "Design(ids={...})": (lambda: sk.Design(ids={"a": 1}), sk.DataError, "design columns must be"),
    "rake(1)": (lambda: sk.weighting.rake(SVY, 1), sk.DataError, "margins must be a mapping"),
    "poststratify(1, 2)": (lambda: sk.weighting.poststratify(SVY, 1, 2), sk.DataError, "strata must be"),
    "Survey(design='x')": (lambda: sk.Survey(DATA, "x"), sk.DesignError, "design must be a surveykit.Design"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_bad_argument_types_give_surveykit_errors(name: str) -> None:
    call, error, message = CALLS[name]
    with pytest.raises(error, match=message):
        call()
