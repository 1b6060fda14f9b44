"""Domains and result layout for :mod:`surveykit.estimate` (via :mod:`surveykit.estimate.support`): cached design
facts, domain codes of ``by=``, and the :class:`Layout` that maps every (row, variable) value to its
result column so that sums, counts, R ``degf()`` and design variances are single ``bincount`` calls.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit._util.columns import as_names
from surveykit.design.replicate import is_replicate, replicate_counts
from surveykit.design.resolved import degf_present
from surveykit.design.variance import cell_keys, cells_vcov, design_vcov
from surveykit.errors import DataError

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey


@dataclass(frozen=True, slots=True)
class DesignFacts:
    """Weight-dependent facts of a resolved design, computed once per design (see :func:`design_facts`)."""

    all_positive: bool  # every weight > 0 (no Survey.domain() zeros)
    n_positive: int  # rows with weight > 0
    degf: float  # R degf(): first-stage PSUs minus strata among rows with weight > 0


_FACTS: weakref.WeakKeyDictionary[Any, DesignFacts] = weakref.WeakKeyDictionary()


def design_facts(rd: ResolvedDesign) -> DesignFacts:
    """:class:`DesignFacts` of *rd*, cached while *rd* lives (its arrays are never mutated)."""
    facts = _FACTS.get(rd)
    if facts is None:
        pos = rd.weights > 0
        st = rd.stages[0]
        present = np.bincount(st.psu[pos], minlength=st.psu_stratum.shape[0])[:, None] > 0
        facts = DesignFacts(
            bool(pos.all()), int(np.count_nonzero(pos)), float(degf_present(present, st.psu_stratum)[0])
        )
        _FACTS[rd] = facts
    return facts


@dataclass(frozen=True, slots=True)
class Domains:
    """Domain membership: ``codes[i]`` in ``0..k-1`` or -1 (outside every domain, or weight 0).

    ``codes`` is ``None`` when every row is in the one domain (no ``by``, every weight > 0);
    ``complete`` says that no code is -1.
    """

    codes: np.ndarray | None
    keys: tuple[Any, ...]
    by: tuple[str, ...]
    complete: bool = False

    @property
    def k(self) -> int:
        return len(self.keys)

    @property
    def active(self) -> np.ndarray | None:
        """Rows in some domain (``None``: every row)."""
        if self.complete or self.codes is None:
            return None
        return np.asarray(self.codes >= 0)


def _group_codes(svy: Survey, cols: list[str]) -> tuple[np.ndarray, list[Any]]:
    """Sorted group codes (-1 for a missing value) and keys, as ``groupby(sort=True, dropna=True)``."""
    if len(cols) == 1:  # factorize gives the same codes and keys, without the groupby machinery
        codes, uniques = pd.factorize(svy.column(cols[0]), sort=True)
        return codes.astype(np.int64, copy=False), list(uniques)
    frame = pd.DataFrame({c: svy.column(c) for c in cols})
    grouped = frame.groupby(cols, sort=True, dropna=True)
    raw = grouped.ngroup().to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(raw), -1, raw).astype(np.int64), list(grouped.size().index)


def domains(svy: Survey, by: str | Sequence[str] | None, rd: ResolvedDesign) -> Domains:
    """Domains of *by* among rows with positive weight, sorted (R ``svyby`` drops empty ones)."""
    facts = design_facts(rd)
    if by is None:
        codes = None if facts.all_positive else np.where(rd.weights > 0, 0, -1).astype(np.int64)
        return Domains(codes, (None,), (), facts.all_positive)
    cols = as_names(by, "by")
    raw, keys = _group_codes(svy, cols)
    if not facts.all_positive:
        raw = np.where(rd.weights > 0, raw, -1)
    sizes = np.bincount(raw + 1, minlength=len(keys) + 1)  # sizes[0]: rows in no domain
    present = sizes[1:] > 0
    if not present.any():
        raise DataError(f"by {cols!r} must have at least one non-missing value on a row with weight > 0; got none.")
    if not present.all():
        remap = np.full(len(keys) + 1, -1, np.int64)
        remap[:-1][present] = np.arange(int(present.sum()))
        raw = remap[raw]
    return Domains(raw, tuple(k for k, p in zip(keys, present) if p), tuple(cols), bool(sizes[0] == 0))


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    """Result column of every (row, variable) value, and the sums, counts and variances over them.

    ``cell`` is ``int64 (n, p)``: ``j * k + d`` for variable *j* in domain *d*, or the spare
    column ``m = p * k`` for a value outside every domain, with weight 0 or missing; every sum
    drops the spare column, where values may even be NaN. Each row belongs to at most one
    domain, so a sum over result columns is one ``bincount``, and the PSU totals of every column
    one ``bincount`` over ``keys`` (see :func:`surveykit.design.variance.cells_vcov`).
    ``cell is None`` is the common case of one column holding every row (one variable, one
    domain, nothing missing, every weight positive): sums are plain sums.
    """

    cell: np.ndarray | None
    m: int
    keys: tuple[np.ndarray, ...] | None

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of *values* (``(n,)``, ``(n, 1)`` or ``(n, p)``, broadcast) in each result column."""
        if self.cell is None:
            return np.array([np.sum(values)])
        vals = np.broadcast_to(values.reshape(values.shape[0], -1), self.cell.shape)
        return np.bincount(self.cell.ravel(), weights=vals.ravel(), minlength=self.m + 1)[: self.m]

    def sum_product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Sum of ``a * b`` (both ``(n, p)``) in each result column."""
        if self.cell is None:
            return np.array([np.einsum("ij,ij->", a, b)])
        return self.sum(a * b)

    def spread(self, per_column: np.ndarray) -> np.ndarray | float:
        """Each value's entry of *per_column* (spare column: 0); a scalar when there is one column."""
        if self.m == 1:
            return float(per_column[0])
        return np.append(per_column, 0.0)[self.cell]

    def counts(self, rd: ResolvedDesign) -> tuple[np.ndarray, np.ndarray]:
        """Rows (``n``) and R ``degf()`` (first-stage PSUs minus strata among the rows) per column;
        for a replicate design, the rank of its rows' replicate weights minus one."""
        if is_replicate(rd):
            return replicate_counts(self, rd)
        if self.cell is None or self.keys is None:
            facts = design_facts(rd)
            return np.array([facts.n_positive]), np.array([facts.degf])
        st = rd.stages[0]
        n_p = st.psu_stratum.shape[0]
        by_psu = np.bincount(self.keys[0], minlength=n_p * (self.m + 1)).reshape(n_p, self.m + 1)[:, : self.m]
        return by_psu.sum(axis=0), degf_present(by_psu > 0, st.psu_stratum)

    def vcov(self, u: np.ndarray, rd: ResolvedDesign) -> np.ndarray:
        """Design variance-covariance ``(m, m)`` of the column totals of *u* (weighted influence)."""
        if self.cell is None:
            return design_vcov(u.reshape(u.shape[0], 1), rd)
        return cells_vcov(u, self.cell, self.m, rd, self.keys)


def layout(dom: Domains, valid: np.ndarray | None, p: int, rd: ResolvedDesign) -> Layout:
    """:class:`Layout` of *p* variables in the domains *dom*; *valid* ``(n, p)`` marks answered
    values (``None``: all)."""
    m = p * dom.k
    if m == 1 and dom.codes is None and valid is None:
        return Layout(None, 1, None)
    n = rd.weights.shape[0]
    codes = np.zeros(n, np.int64) if dom.codes is None else dom.codes
    cell = codes[:, None] + dom.k * np.arange(p)[None, :] if p > 1 else codes[:, None]
    if not dom.complete:
        cell = np.where((codes >= 0)[:, None], cell, m)
    if valid is not None:
        cell = np.where(valid, cell, m)
    return Layout(cell, m, cell_keys(cell, m, rd))
