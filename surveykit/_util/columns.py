"""The one wording of argument checks: column arguments (:func:`as_names`), choices, ``alpha``,
probabilities and estimate options ("X must be Y; got Z")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest

NA_POLICIES: tuple[str, ...] = ("fail", "drop")


def as_names(variables: str | Sequence[str], what: str = "variables") -> list[str]:
    """Column argument as a list of names (``str`` or a sequence of ``str``)."""
    if isinstance(variables, str):
        names = [variables]
    elif isinstance(variables, (list, tuple, pd.Index, np.ndarray)):
        names = list(variables)
    else:
        names = []
    if not names or not all(isinstance(v, str) for v in names):
        raise DataError(f"{what} must be a column name or a list of column names; got {variables!r}.")
    return names


def check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    """One wording for a bad option value."""
    if value not in choices:
        raise DataError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}." + closest(str(value), choices)
        )


def check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise DataError(f"alpha must be a number between 0 and 1 (0.05 gives 95% intervals); got {alpha!r}.")


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_options(deff: Any = False, ci_df: Any = None, include_missing: Any = False) -> None:
    """One wording for the estimators' other options: ``<arg> must be <what>; got <value>.``"""
    if not isinstance(deff, (bool, np.bool_)) and deff != "replace":
        raise DataError(f'deff must be True, False or "replace"; got {deff!r}.')
    if ci_df is not None and ci_df != "design" and not (_is_real(ci_df) and ci_df > 0):
        raise DataError(f'ci_df must be a number > 0 (inf for the normal quantile), "design" or None; got {ci_df!r}.')
    if not isinstance(include_missing, (bool, np.bool_)):
        raise DataError(f"include_missing must be True or False; got {include_missing!r}.")


def check_probs(probs: Any) -> np.ndarray:
    """Quantile probabilities as a 1-d float array; one DataError for anything but numbers in [0, 1]."""
    items = list(probs) if isinstance(probs, (list, tuple, np.ndarray, pd.Series)) else [probs]
    ok = bool(items) and all(_is_real(p) and 0 <= p <= 1 for p in items)
    if not ok or np.ndim(probs) > 1:
        raise DataError(f"probs must be numbers between 0 and 1 (0.5 for the median); got {probs!r}.")
    return np.asarray(items, dtype=float)
