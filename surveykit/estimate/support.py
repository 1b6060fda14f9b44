"""Internal helpers of :mod:`surveykit.estimate`: estimand columns, domains, intervals, quantile rule.

* data preparation: survey columns become float arrays (NaN = not part of the estimand) and
  domain codes, with one clear :class:`~surveykit.errors.DataError` for every kind of bad input;
* intervals and the quantile rule work on arrays of already-computed estimates (one element per
  result row) and never loop over data rows.

scipy is imported inside the functions so that ``import surveykit`` stays light.

The code lives in small private modules re-exported here: :mod:`surveykit._util.columns` (option
checks, columns, indicators), :mod:`surveykit.estimate.layout` (domains, :class:`Layout`),
:mod:`surveykit.estimate.intervals` (critical values, proportion intervals) and
:mod:`surveykit.estimate.quantile_rule` (``qrule_math``, weighted CDFs).
"""

from __future__ import annotations

from surveykit._util.columns import NA_POLICIES, as_names, check_alpha, check_choice, check_options, check_probs
from surveykit.estimate.columns import check_na, indicator_columns, numeric_column, raw_column, value_labels
from surveykit.estimate.intervals import PROPORTION_METHODS, crit, proportion_ci
from surveykit.estimate.layout import DesignFacts, Domains, Layout, degf_present, design_facts, domains, layout
from surveykit.estimate.quantile_rule import TIE_GUARD, WeightedCdf, domain_cdfs, qrule_math

__all__ = [
    "NA_POLICIES", "as_names", "check_alpha", "check_choice", "check_na", "check_options", "check_probs",
    "indicator_columns", "numeric_column", "raw_column", "value_labels",
    "DesignFacts", "Domains", "Layout", "degf_present", "design_facts", "domains", "layout",
    "PROPORTION_METHODS", "crit", "proportion_ci",
    "TIE_GUARD", "WeightedCdf", "domain_cdfs", "qrule_math",
]  # fmt: skip
