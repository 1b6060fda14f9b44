"""Model matrices from parsed formulas, coded exactly as patsy codes them, in numpy.

Factors are data columns (numeric, or categorical when text, boolean or a pandas Categorical),
``C(column)`` (categorical) or expressions computed by :func:`surveykit.instrument.expr.evaluate`
(boolean when the outermost operation compares). Categorical factors get treatment dummies
with patsy's names (``C(g)[T.b]``), reference level and redundancy rule (a factor is coded
full-rank when the lower-order term it would need is absent); right-hand terms are ordered
as patsy orders them (terms without numeric factors first, then by the set of numeric
factors, by degree within each group). Nothing here evaluates formula text.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, ModelError, closest
from surveykit.instrument.expr import evaluate
from surveykit.models._formula_parse import Factor, Term, term_name
from surveykit.models._formula_tokens import formula_error

__all__ = ["MAX_CELLS", "MAX_COLUMNS", "Coding", "FactorInfo", "factor_values", "layout", "sorted_levels"]

MAX_COLUMNS = 1000  # columns of one model matrix
MAX_CELLS = 250_000_000  # rows x columns (2 GB of float64)


@dataclass(frozen=True, slots=True)
class FactorInfo:
    """How a factor is coded: ``levels`` None for numeric; ``reference`` indexes ``levels``."""

    factor: Factor
    levels: tuple[Any, ...] | None
    reference: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class Coding:
    """The fitted coding of a formula (what patsy's ``design_info`` was): rebuilds matrices.

    ``specs[j]`` lists, for column ``j``, the factors multiplied into it with the level index
    of a categorical factor (``-1`` for a numeric one); ``()`` is the intercept.
    """

    formula: str
    factors: dict[str, FactorInfo]
    response: FactorInfo
    column_names: tuple[str, ...]
    term_names: tuple[str, ...]
    term_slices: tuple[slice, ...]
    specs: tuple[tuple[tuple[str, int], ...], ...]
    text_levels: dict[str, tuple[Any, ...]]  # non-numeric columns used inside expressions

    def categorical_variables(self) -> dict[str, tuple[Any, ...]]:
        """Data column -> levels, for right-hand columns used as categorical factors (or as
        text inside expressions, as ``I(g == "a")``)."""
        out: dict[str, tuple[Any, ...]] = {}
        for info in self.factors.values():
            if info.levels is not None and info.factor.kind != "expression":
                out.setdefault(str(info.factor.column), info.levels)
        return {**self.text_levels, **out}

    def matrix(self, values: dict[str, np.ndarray], n: int) -> np.ndarray:
        """The *n*-row model matrix (column-major) from factor values (floats, or level codes)."""
        if n * len(self.specs) > MAX_CELLS:
            raise ModelError(
                f"the model matrix of {self.formula!r} must have at most {MAX_CELLS:,} cells; got "
                f"{n:,} rows x {len(self.specs)} columns. Merge levels, drop terms or subset the rows."
            )
        X = np.empty((n, len(self.specs)), order="F")
        for j, spec in enumerate(self.specs):
            if not spec:
                X[:, j] = 1.0
                continue
            name, k = spec[0]
            X[:, j] = values[name] if k < 0 else values[name] == k
            for name, k in spec[1:]:
                X[:, j] *= values[name] if k < 0 else values[name] == k
        return X


def check_columns(formula: str, factors: list[Factor], data: pd.DataFrame) -> None:
    """A DataError for the first data column a factor names that *data* lacks."""
    for f in factors:
        for v in f.variables:
            if v not in data.columns:
                raise DataError(
                    f"formula {formula!r} must name columns of the survey data; got {v!r} at column "
                    f"{f.column_no}.{closest(v, map(str, data.columns))} "
                    'Fix the name (write Q("a.b") for names with dots).'
                )


def _expression(f: Factor, data: pd.DataFrame) -> np.ndarray:
    cols = {v: data[v] for v in f.variables if v.isidentifier()}
    for alias, column, op, text in f.aliases:
        if not op:
            cols[alias] = data[column]
            continue
        s = data[column]
        hit = s.isin(text) if op == "in" else (s == text) if op == "==" else (s != text)
        cols[alias] = np.where(s.isna().to_numpy(), np.nan, hit.to_numpy(dtype=float))
    return evaluate(str(f.expr), pd.DataFrame(cols, index=data.index, copy=False))


def _sniff(s: pd.Series) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Level codes (-1 missing) and levels of a categorical column, as patsy finds them."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(), tuple(s.cat.categories.tolist())
    if s.dtype == bool:
        return s.to_numpy().astype(np.int64), (False, True)
    if pd.api.types.is_bool_dtype(s.dtype):
        return _codes(s, (False, True)), (False, True)
    try:
        codes, uniques = pd.factorize(s, sort=True)
        return codes, tuple(uniques.tolist())
    except TypeError:  # mixed types: order by type name, then text
        levels = tuple(sorted(set(s.dropna().tolist()), key=lambda v: (type(v).__name__, str(v))))
        return _codes(s, levels), levels


def sorted_levels(values: Any) -> tuple[Any, ...]:
    """The distinct non-missing *values* in the order a categorical column's levels take here
    (patsy's: sorted; mixed types by type name, then text); the reference level is the first."""
    return _sniff(pd.Series(list(values), dtype=object).dropna())[1]


def _codes(s: pd.Series, levels: tuple[Any, ...]) -> np.ndarray:
    if isinstance(s.dtype, pd.CategoricalDtype) and tuple(s.cat.categories.tolist()) == levels:
        return s.cat.codes.to_numpy()
    if s.dtype == bool and levels == (False, True):
        return s.to_numpy().astype(np.int64)
    return pd.Index(list(levels), dtype=object).get_indexer(s.astype(object))


def factor_values(
    f: Factor, data: pd.DataFrame, levels: tuple[Any, ...] | None = None, fitted: bool = False
) -> tuple[np.ndarray, tuple[Any, ...] | None]:
    """Values of factor *f* on *data*: floats (NaN missing) and None, or codes and levels.

    With ``fitted`` the factor is coded with the given *levels* (None: numeric), as fitted;
    otherwise its type and levels are found from the data.
    """
    if f.kind == "expression":
        x = _expression(f, data)
        if (levels is not None) if fitted else (f.boolean or _bool_column(f, data)):
            return np.where(np.isnan(x), -1, x != 0).astype(np.int64), (False, True)
        return x, None
    s = data[str(f.column)]
    if fitted:
        if levels is None:
            return _numeric(f, s), None
        return _codes(s, levels), levels
    numeric = (
        pd.api.types.is_numeric_dtype(s.dtype)
        and not pd.api.types.is_bool_dtype(s.dtype)
        and not isinstance(s.dtype, pd.CategoricalDtype)
    )
    if f.kind == "column" and numeric:
        return _numeric(f, s), None
    codes, found = _sniff(s)
    return codes, found


def _bool_column(f: Factor, data: pd.DataFrame) -> bool:
    """``I(b)`` of a boolean column b: patsy codes it False/True."""
    return (
        len(f.variables) == 1
        and f.expr in (f.variables[0], *(a[0] for a in f.aliases))
        and pd.api.types.is_bool_dtype(data[f.variables[0]].dtype)
    )


def _numeric(f: Factor, s: pd.Series) -> np.ndarray:
    try:
        return s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(
            f"column {f.column!r} must be numeric, as in the fitted model; got {s.dtype} values. Recode it as numbers."
        ) from None


def _reference(formula: str, f: Factor, levels: tuple[Any, ...]) -> int:
    if not f.has_reference:
        return 0
    ref = f.reference
    if ref in levels:
        return levels.index(ref)
    if isinstance(ref, int) and -len(levels) <= ref < len(levels):
        return ref % len(levels)
    raise formula_error(
        formula,
        f"give a reference level of {f.column!r} that occurs",
        repr(ref),
        f.column_no,
        "Use one of " + ", ".join(map(repr, levels)),
    )


def info_for(formula: str, f: Factor, levels: tuple[Any, ...] | None) -> FactorInfo:
    return FactorInfo(f, levels, 0 if levels is None else _reference(formula, f, levels))


def _order(terms: tuple[Term, ...], infos: dict[str, FactorInfo]) -> tuple[list[Term], list[frozenset[str]]]:
    buckets: dict[frozenset[str], list[Term]] = {}
    for t in terms:
        buckets.setdefault(frozenset(f.name for f in t if infos[f.name].levels is None), []).append(t)
    keys = sorted(buckets, key=lambda k: k != frozenset())  # stable: no-numeric bucket first
    return [t for k in keys for t in sorted(buckets[k], key=len)], keys


def _codings(term: Term, infos: dict[str, FactorInfo], used: set[frozenset]) -> list[dict[str, bool]]:
    """patsy's ``pick_contrasts_for_term``: per subterm, categorical factor -> full rank."""
    cats = [f.name for f in term if infos[f.name].levels is not None]
    subs = []
    for r in range(len(cats) + 1):
        for combo in itertools.combinations(cats, r):
            sub = frozenset((c, False) for c in combo)
            if sub not in used:
                subs.append(sub)
    used.update(subs)
    changed = True
    while changed:
        changed = False
        for si, short in enumerate(subs):
            for li in range(si + 1, len(subs)):
                if len(subs[li]) - len(short) == 1 and subs[li] >= short:
                    ((name, _),) = subs[li] - short
                    subs[li] = short | {(name, True)}
                    subs.pop(si)
                    changed = True
                    break
            if changed:
                break
    return [dict(s) for s in subs]


def _columns(term: Term, coding: dict[str, bool], infos: dict[str, FactorInfo]):
    """(name, spec) of the columns of one subterm; the left-most factor varies fastest."""
    pieces = []
    for f in term:
        info = infos[f.name]
        if info.levels is None:
            pieces.append([(f.name, (f.name, -1))])
        elif f.name in coding:
            lv = info.levels
            if coding[f.name]:
                pieces.append([(f"{f.name}[{v}]", (f.name, k)) for k, v in enumerate(lv)])
            else:
                pieces.append([(f"{f.name}[T.{v}]", (f.name, k)) for k, v in enumerate(lv) if k != info.reference])
    for combo in itertools.product(*reversed(pieces)):
        combo = combo[::-1]
        yield (":".join(c[0] for c in combo) or "Intercept"), tuple(c[1] for c in combo)


def text_levels(rhs: tuple[Term, ...], data: pd.DataFrame) -> dict[str, tuple[Any, ...]]:
    """Levels of the non-numeric columns that right-hand expressions use."""
    out: dict[str, tuple[Any, ...]] = {}
    for f in (f for t in rhs for f in t if f.kind == "expression"):
        for v in f.variables:
            s = data[v]
            if v not in out and not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
                out[v] = _sniff(s)[1]
    return out


def layout(
    formula: str,
    rhs: tuple[Term, ...],
    infos: dict[str, FactorInfo],
    response: FactorInfo,
    texts: dict[str, tuple[Any, ...]] | None = None,
) -> Coding:
    """The coding of the right-hand terms: patsy's order, names, slices and redundancy rule."""
    ordered, buckets = _order(rhs, infos)
    used: dict[frozenset[str], set[frozenset]] = {k: set() for k in buckets}
    names: list[str] = []
    specs: list[tuple[tuple[str, int], ...]] = []
    slices: list[slice] = []
    for t in ordered:
        start = len(names)
        bucket = frozenset(f.name for f in t if infos[f.name].levels is None)
        for coding in _codings(t, infos, used[bucket]):
            for name, spec in _columns(t, coding, infos):
                names.append(name)
                specs.append(spec)
                if len(names) > MAX_COLUMNS:
                    raise formula_error(
                        formula,
                        f"code at most {MAX_COLUMNS} model columns",
                        "more",
                        t[0].column_no,
                        "Merge levels or drop interactions",
                    )
        slices.append(slice(start, len(names)))
    rhs_infos = {f.name: infos[f.name] for t in rhs for f in t}
    return Coding(
        formula,
        rhs_infos,
        response,
        tuple(names),
        tuple(term_name(t) for t in ordered),
        tuple(slices),
        tuple(specs),
        dict(texts or {}),
    )


def response_frame(info: FactorInfo, values: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    """patsy's response matrix: one column, or one indicator per level (``y[a]``, ``y[b]``)."""
    name = info.factor.name
    if info.levels is None:
        return pd.DataFrame({name: values[rows]}, index=rows)
    codes = values[rows]
    return pd.DataFrame({f"{name}[{v}]": (codes == k).astype(float) for k, v in enumerate(info.levels)}, index=rows)


def one_response(formula: str, lhs: tuple[Term, ...]) -> Factor:
    if len(lhs) != 1 or len(lhs[0]) != 1:
        col = lhs[1][0].column_no if len(lhs) > 1 and lhs[1] else 1
        raise formula_error(
            formula,
            "have one response variable before '~'",
            f"{len(lhs)} terms" if len(lhs) != 1 else "an interaction",
            col,
            "Model one response; recode it with I(...) if needed",
        )
    return lhs[0][0]
