"""Result objects of :mod:`surveykit.tables`: frozen frequency, crosstab, test and multiple-response tables.

:class:`FrequencyTable`, :class:`Crosstab` (with its :class:`ChisqTest` tests) and
:class:`MultipleResponseTable` hold the tidy table a builder made and how it was made (method,
CI method, df, alpha, design size), and give it back as ``to_frame()``, ``to_dict()`` and
``summary()``; they are public through :mod:`surveykit.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest
from surveykit.results import Printable, Summary, frame_records, jsonable

STATISTICS = ("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")


def _facts(obj: Any) -> tuple[tuple[str, str], ...]:
    return (
        ("method", obj.method),
        ("CI", f"{obj.ci_method}, {100 * (1 - obj.alpha):g}%, df {obj.df}"),
        ("design", f"{obj.n_strata} strata, {obj.n_psu} PSUs"),
    )


def _percent_view(frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        out[c] = 100 * out[c]
    return out


@dataclass(frozen=True, slots=True)
class FrequencyTable(Printable):
    """A one-way frequency table (R: ``svytable``/``svytotal``, ``svymean``, ``svyciprop``).

    ``table`` has one row per level: ``variable, level, label, missing, n, weighted_n,
    weighted_n_se, estimate, se, ci_low, ci_high`` with ``estimate`` the proportion (0..1) among
    the base (user-missing levels show counts but no proportion unless ``include_missing``).
    """

    variable: str
    table: pd.DataFrame
    base_n: int
    base_weighted_n: float
    method: str
    ci_method: str
    df: int
    alpha: float
    n_strata: int
    n_psu: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        meta = {k: getattr(self, k) for k in self.__slots__ if k != "table"}
        return jsonable({**meta, "rows": frame_records(self.table)})

    def summary(self) -> Summary:
        cols = ["level", "label", "n", "weighted_n", "estimate", "se", "ci_low", "ci_high"]
        shown = _percent_view(self.table[cols], ["estimate", "se", "ci_low", "ci_high"])
        shown = shown.rename(columns={"estimate": "percent"})
        facts = (*_facts(self), ("base", f"n = {self.base_n}, weighted {self.base_weighted_n:.6g}"))
        return Summary(f"Frequency: {self.variable}", facts, shown, digits=2)


@dataclass(frozen=True, slots=True)
class ChisqTest:
    """One test of independence, as R ``svychisq(statistic=)`` reports it.

    ``statistic`` is F for ``"F"`` and ``"Wald"``, Pearson's X^2 for ``"Chisq"`` (whose p-value
    uses X^2 / mean eigenvalue on ``ndf`` df; ``ddf`` is then ``inf``).
    """

    name: str
    statistic: float
    ndf: float
    ddf: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return jsonable({k: getattr(self, k) for k in self.__slots__})


@dataclass(frozen=True, slots=True)
class Crosstab(Printable):
    """A two-way table with cell, row and column proportions and the Rao-Scott tests.

    ``table`` has one row per cell: ``row_level, col_level, row_label, col_label, n,
    weighted_n, weighted_n_se, cell, cell_se, row, row_se, col, col_se`` (``row`` = share of
    the cell within its row level).
    """

    row_variable: str
    col_variable: str
    table: pd.DataFrame
    tests: tuple[ChisqTest, ...]
    method: str
    ci_method: str
    df: int
    alpha: float
    n_strata: int
    n_psu: int
    n: int
    deltas: tuple[float, ...] = field(default=())

    def test(self, name: str = "F") -> ChisqTest:
        """One of R ``svychisq``'s statistics.

        ``"F"`` (Rao-Scott second order), ``"Chisq"`` (first order), ``"Wald"`` (design-based
        Wald F on ``((R-1)(C-1), nu)`` df), ``"adjWald"`` (the Wald statistic times
        ``(nu - d + 1) / (d nu)``, d = (R-1)(C-1), on ``(d, nu - d + 1)`` df), ``"saddlepoint"``
        and ``"lincom"`` (Pearson's X^2 against the weighted sum of chi-squares with the
        eigenvalues of Delta as weights: saddlepoint approximation, or the exact distribution by
        numerical inversion; on a Taylor design, as R, with the denominator ``chi^2_ddf / ddf``,
        ``ddf = d0 nu``, on a replicate design without). The last three are computed on request.
        ``Wald`` and ``adjWald`` need the table built with ``wald=True``.
        """
        for t in self.tests:
            if t.name == name:
                return t
        if name not in STATISTICS:
            raise DataError(f"test must be one of {list(STATISTICS)}; got {name!r}." + closest(name, STATISTICS))
        if name == "adjWald":
            wald = [t for t in self.tests if t.name == "Wald"]
            if not wald:
                raise DataError('test "adjWald" needs the Wald test; this crosstab was built with wald=False.')
            w = wald[0]
            ddf = w.ddf - w.ndf + 1
            stat = w.statistic * ddf / w.ddf  # (chisq / d) * (nu - d + 1) / nu
            from scipy import stats

            p = float(stats.f.sf(stat, w.ndf, ddf)) if ddf > 0 else float("nan")
            return ChisqTest("adjWald", stat, w.ndf, ddf, p)
        from surveykit.tables.chisqsum import exact_sf, saddlepoint_sf

        chisq, f = self.test("Chisq"), self.test("F")
        eig = np.asarray(self.deltas, dtype=float)
        ddf = float("inf") if self.method.startswith("replicate") else f.ddf  # R: pchisqsum / pFsum(ddf = d0 nu)
        tail = saddlepoint_sf if name == "saddlepoint" else exact_sf
        return ChisqTest(name, chisq.statistic, chisq.ndf, ddf, tail(chisq.statistic, eig, ddf))

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        meta = {k: getattr(self, k) for k in self.__slots__ if k not in ("table", "tests")}
        return jsonable({**meta, "rows": frame_records(self.table), "tests": [t.to_dict() for t in self.tests]})

    def percentages(self, kind: str = "row") -> pd.DataFrame:
        """The table of ``kind`` (``"row"``, ``"col"``, ``"cell"``) percentages, rows x columns."""
        if kind not in ("row", "col", "cell"):
            raise DataError(f"kind must be 'row', 'col' or 'cell'; got {kind!r}.")
        wide = self.table.pivot(index="row_label", columns="col_label", values=kind)
        return 100 * wide

    def summary(self) -> Summary:
        f = self.test("F")
        facts = (
            *_facts(self),
            ("Rao-Scott F", f"{f.statistic:.4f} on ({f.ndf:.3f}, {f.ddf:.3f}) df, p = {f.p_value:.4g}"),
        )
        table = self.percentages("row").reset_index()
        return Summary(f"Crosstab: {self.row_variable} x {self.col_variable} (row %)", facts, table, digits=2)


@dataclass(frozen=True, slots=True)
class MultipleResponseTable(Printable):
    """Multiple-response table: "% of cases" (``estimate``) and "% of responses" per item.

    ``table`` has one row per item (x ``domain`` level with ``by``): ``variable, item, label,
    domain, n, weighted_n, estimate, se, ci_low, ci_high, responses, responses_se``.
    ``tests`` holds, with ``by``, one Rao-Scott F test of item x group per item.
    """

    variable: str
    table: pd.DataFrame
    tests: pd.DataFrame | None
    base: str
    method: str
    ci_method: str
    df: int
    alpha: float
    n_strata: int
    n_psu: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        meta = {k: getattr(self, k) for k in self.__slots__ if k not in ("table", "tests")}
        tests = None if self.tests is None else frame_records(self.tests)
        return jsonable({**meta, "rows": frame_records(self.table), "tests": tests})

    def summary(self) -> Summary:
        cols = ["item", "label", "domain", "n", "estimate", "se", "responses"]
        shown = _percent_view(self.table[cols], ["estimate", "se", "responses"])
        shown = shown.rename(columns={"estimate": "% of cases", "responses": "% of responses"})
        extra = () if self.tests is None else (("tests by group (Rao-Scott F)", self.tests),)
        facts = (*_facts(self), ("base", self.base))
        return Summary(f"Multiple response: {self.variable}", facts, shown, digits=2, tables=extra)
