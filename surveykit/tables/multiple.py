"""Multiple-response tables: "% of cases" and "% of responses" per item, with tests by group.

:func:`multiple_response` finds the 0/1 item columns (given, an instrument MR set, or
``<name>_<code>`` columns), checks them, builds the base, estimates both ratios with design-based
SEs per group, and with ``by`` tests each item against the groups (Rao-Scott F); it is public
through :mod:`surveykit.tables`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from surveykit._util.columns import check_choice
from surveykit.design.variance import design_vcov
from surveykit.errors import DataError, closest
from surveykit.results import jsonable
from surveykit.tables.levels import _design_facts, _sorted_levels, _two_way
from surveykit.tables.linear import CI_METHODS, _cell_vcov, _quad_se, _ratios, table_ci
from surveykit.tables.rao_scott import _rao_scott
from surveykit.tables.results import ChisqTest, MultipleResponseTable

if TYPE_CHECKING:
    from surveykit.survey import Survey

MR_BASES = ("answered", "any")


def _mr_columns(svy: Survey, columns_or_set: str | Sequence[str]) -> tuple[str, list[str]]:
    if not isinstance(columns_or_set, str):
        from surveykit._util.columns import as_names

        cols = as_names(columns_or_set, "columns_or_set")
        return ",".join(cols), cols
    name = columns_or_set
    inst = svy.instrument
    if inst is not None and name in inst.mr_sets():
        return name, list(inst.mr_sets()[name])
    pattern = re.compile(rf"^{re.escape(name)}_\d+$")
    cols = [c for c in svy.data.columns if pattern.match(str(c))]
    if not cols:
        raise DataError(
            f"multiple-response set {name!r} must be an instrument MR set or have columns named "
            f"'{name}_<code>'; found neither.{closest(name, map(str, svy.data.columns))} "
            "Pass the list of 0/1 columns instead."
        )
    return name, cols


def _mr_matrix(svy: Survey, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """0/1 selections (n, k) and a mask of rows that answered every item."""
    frame = pd.DataFrame({c: svy.valid_column(c) for c in cols})
    values = frame.apply(pd.to_numeric, errors="coerce")
    answered = values.notna().all(axis=1).to_numpy()
    x = values.to_numpy(dtype=float, na_value=np.nan)
    bad = np.isfinite(x) & (x != 0) & (x != 1)
    if bad.any() or (frame.notna().to_numpy() & ~np.isfinite(x)).any():
        r, j = np.argwhere(bad | (frame.notna().to_numpy() & ~np.isfinite(x)))[0]
        raise DataError(
            f"multiple-response column {cols[j]!r} must hold 0/1 (not selected/selected) or a missing "
            f"value; got {jsonable(frame.iat[r, j])!r} (row {r + 1}). Recode the column to 0/1."
        )
    return np.where(np.isfinite(x), x, 0.0), answered


def _mr_rows(svy: Survey, x: np.ndarray, wd: np.ndarray, alpha: float, ci_method: str) -> dict[str, np.ndarray]:
    k = x.shape[1]
    u = np.column_stack([wd[:, None] * x, wd])  # item totals and the base total
    t, v = wd @ np.column_stack([x, np.ones(len(wd))]), design_vcov(u, svy.resolved)
    eye = np.eye(k + 1)[:, :k]
    cases, ca = _ratios(t, eye, np.repeat(np.eye(k + 1)[:, [k]], k, axis=1))
    resp, ra = _ratios(t, eye, np.repeat(eye.sum(axis=1, keepdims=True), k, axis=1))
    cse = _quad_se(ca, v)
    lo, hi = table_ci(cases, cse, svy.resolved.degf_where(wd != 0), alpha, ci_method, int(np.count_nonzero(wd)))
    return {
        "n": x[wd > 0].sum(axis=0).astype(int),
        "weighted_n": t[:k],
        "estimate": cases,
        "se": cse,
        "ci_low": lo,
        "ci_high": hi,
        "responses": resp,
        "responses_se": _quad_se(ra, v),
    }


def multiple_response(
    svy: Survey,
    columns_or_set: str | Sequence[str],
    *,
    by: str | None = None,
    base: str = "answered",
    alpha: float = 0.05,
    ci_method: str = "logit",
    lang: str | None = None,
) -> MultipleResponseTable:
    """Multiple-response table: "% of cases" and "% of responses", with design-based SEs.

    Parameters
    ----------
    svy : Survey
    columns_or_set : str or sequence of str
        0/1 item columns, or a set name (an instrument MR set, or columns ``<name>_<code>``).
    by : str, optional
        Grouping variable: one block of rows per level, and a test per item across the groups.
    base : {"answered", "any"}
        Cases in the base: every row that answered all items (default), or, as SPSS MULT
        RESPONSE, only rows with at least one item selected.
    alpha, ci_method, lang
        As in :func:`frequency` (intervals are for "% of cases").

    Returns
    -------
    MultipleResponseTable

    Notes
    -----
    "% of cases" is R ``svyratio(~item, ~base)``, "% of responses" ``svyratio(~item,
    ~n_selected)`` (both over the base's rows); with ``by`` they are ``svyby(..., svyratio)``.
    The test across groups is, per item, the Rao-Scott second-order F test of item x group
    (``svychisq(~item + by, statistic = "F")``) over the base rows; items are tested one by one
    (no joint test: the items are dependent within a case).
    """
    check_choice("base", base, MR_BASES)
    check_choice("ci_method", ci_method, CI_METHODS)
    name, cols = _mr_columns(svy, columns_or_set)
    x, answered = _mr_matrix(svy, cols)
    in_base = answered & ((x.sum(axis=1) > 0) if base == "any" else True)
    w = svy.resolved.weights
    blocks, groups = [], [(None, in_base)]
    df = svy.resolved.degf_where(in_base & (w != 0))
    if by is not None:
        g = svy.column(by)
        groups = [(lv, in_base & (g == lv).to_numpy()) for lv in _sorted_levels(g[in_base])]
    for level, mask in groups:
        rows = _mr_rows(svy, x, np.where(mask, w, 0.0), alpha, ci_method)
        blocks.append(
            pd.DataFrame(
                {"variable": name, "item": cols, "label": _mr_labels(svy, cols, lang), "domain": level, **rows}
            )
        )
    tests = None if by is None else _mr_tests(svy, cols, by, in_base)
    return MultipleResponseTable(
        variable=name,
        table=pd.concat(blocks, ignore_index=True),
        tests=tests,
        base=base,
        method="Taylor linearisation (ratio)",
        ci_method=ci_method,
        df=df,
        alpha=alpha,
        **_design_facts(svy),
    )


def _mr_labels(svy: Survey, cols: list[str], lang: str | None) -> list[str]:
    """Item labels: the questionnaire's option label, else the file's variable label, else the name."""
    inst = svy.instrument
    out = []
    for c in cols:
        label = None
        if inst is not None:
            try:
                label = inst.label(c, 1, lang or "ko")
            except (KeyError, ValueError):
                label = None
        out.append(label or svy.variable_label(c, lang) or c)
    return out


def _mr_tests(svy: Survey, cols: list[str], by: str, in_base: np.ndarray) -> pd.DataFrame:
    rows = []
    for c in cols:
        t = _item_test(svy, c, by, in_base)
        rows.append({"item": c, "statistic": t.statistic, "ndf": t.ndf, "ddf": t.ddf, "p_value": t.p_value})
    return pd.DataFrame(rows)


def _item_test(svy: Survey, row: str, col: str, base: np.ndarray) -> ChisqTest:
    """The Rao-Scott F test of ``row x col`` over the rows in *base*."""
    tw = _two_way(svy, row, col, base)
    nr, nc = len(tw["rl"]), len(tw["cl"])
    t, v = _cell_vcov(tw["cell"], nr * nc, tw["wd"], svy)
    p, a = _ratios(t, np.eye(nr * nc), np.ones((nr * nc, nr * nc)))
    tests, _ = _rao_scott(p, a.T @ v @ a, int(np.count_nonzero(tw["wd"])), nr, nc, svy.resolved.degf)
    return tests[0]
