"""The aggregating queries of a lazy survey: one GROUP BY over the design cells (and domains).

A *design cell* is one combination of the design columns (strata, every stage's ids, fpc): the
finest cluster of the design. Every Taylor estimator needs only sums of weighted values within
cells, because the variance kernel (:func:`surveykit.design.variance.design_vcov`) adds the
linearised values of a PSU before anything else: so the cells (thousands of rows, not
millions) are resolved as a design of their own, and the data stay in the engine.

Values are shifted by a constant per variable (their overall mean, from a first query) before
the sums of squares are formed, so that ``sum(w y^2) - ...`` loses no precision to large means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.design import Design

if TYPE_CHECKING:
    from surveykit.engines.source import Scan

from surveykit.errors import DataError, DesignError

__all__ = ["Cells", "cells", "Sums", "sums", "table_sums", "weight_sql"]

CELL = "__surveykit_cell__"


@dataclass(frozen=True)
class Cells:
    """The design cells of a lazy survey: their frame (design columns + row counts) and keys."""

    frame: pd.DataFrame  # one row per cell: the design columns, "__rows"
    keys: tuple[str, ...]  # the design columns that define a cell (strata, ids, fpc)
    rows: int  # rows of the source
    positive: int  # rows with positive weight (R's nrow(design))


def _design_keys(design: Design) -> tuple[str, ...]:
    keys = ([design.strata] if design.strata else []) + list(design.ids or ()) + list(design.fpc or ())
    return tuple(dict.fromkeys(keys))


def weight_sql(scan: Scan, design: Design) -> str:
    """The SQL of a row's weight (a double; 1 without a weights column)."""
    return f"CAST({scan.q(design.weights)} AS DOUBLE)" if design.weights else "CAST(1 AS DOUBLE)"


def cells(scan: Scan, design: Design) -> Cells:
    """Check the design columns and fetch the design cells: one GROUP BY in the engine, which
    also counts per cell the rows with a missing or invalid weight and those with positive weight."""
    keys = _design_keys(design)
    scan.check_columns(keys + ((design.weights,) if design.weights else ()), "design column", DesignError)
    parts = ["count(*) AS __rows"]
    if design.weights:
        w = scan.q(design.weights)
        if not scan.is_numeric(design.weights):
            raise DesignError(f"weights column {design.weights!r} must be numeric; got {scan.dtype(design.weights)}.")
        finite = scan.dialect.isfinite(f"CAST({w} AS DOUBLE)")
        parts.append(f"count(*) FILTER (WHERE {w} IS NULL OR NOT {finite} OR {w} < 0) AS __bad_w")
        parts.append(f"count(*) FILTER (WHERE {w} > 0) AS __positive")
    else:
        parts += ["0 AS __bad_w", "count(*) AS __positive"]
    cols = ", ".join(scan.q(k) for k in keys)
    group = f" GROUP BY {cols} ORDER BY {cols}" if keys else ""
    frame = scan.fetch(f"SELECT {cols + ', ' if keys else ''}{', '.join(parts)} FROM {scan.table}{group}").to_pandas()
    for k in keys:
        missing = int(frame.loc[frame[k].isna(), "__rows"].sum())
        if missing:
            raise DesignError(
                f"design column {k!r} must have no missing values; got {missing} missing in "
                f"{scan.source}. Drop those rows or fill them before building the design."
            )
    bad = int(frame["__bad_w"].sum())
    if design.weights and bad:
        raise DesignError(
            f"weights column {design.weights!r} must be finite and >= 0; got {bad} missing, "
            f"infinite or negative values in {scan.source}. Drop or correct those rows."
        )
    rows = int(frame["__rows"].sum())
    if rows == 0:
        raise DataError(f"{scan.source} must have at least one row; got none.")
    positive = int(frame["__positive"].sum())
    frame = frame.drop(columns=["__bad_w", "__positive"]).reset_index(drop=True)
    return Cells(frame, keys, rows, positive)


@dataclass(frozen=True)
class Sums:
    """Per (cell, domain) sums of one block of variables over their answered rows.

    Arrays are ``(cells, domains, variables)``: ``count`` rows, ``w`` = sum of weights,
    ``wy`` = sum of ``w (y - shift)``, ``wyy`` = sum of ``w (y - shift)^2``, and for designs
    without clusters ``ww``, ``wwy``, ``wwyy`` (the same with ``w^2``); ``shift`` per variable.
    ``domain_keys`` are the sorted domain values (``(None,)`` without ``by``);
    ``missing`` / ``w_missing`` count the rows (weights) of the domain where the variable is missing.
    """

    count: np.ndarray
    w: np.ndarray
    wy: np.ndarray
    wyy: np.ndarray
    ww: np.ndarray | None
    wwy: np.ndarray | None
    wwyy: np.ndarray | None
    shift: np.ndarray
    domain_keys: tuple[Any, ...]
    missing: np.ndarray
    w_missing: np.ndarray
    rep_w: np.ndarray | None = None  # (cells, domains, variables, replicates): sum(w_r) of a replicate design
    rep_wy: np.ndarray | None = None  # sum(w_r (y - shift))


def sums(scan: Scan, design: Design, cl: Cells, exprs: list[tuple[str, list[Any]]], by: tuple[str, ...],
         squares_of_weights: bool, replicates: tuple[str, ...] = ()) -> Sums:  # fmt: skip
    """One query: the sums of :class:`Sums` for the SQL value expressions *exprs* (each with the
    parameters its ``?`` placeholders take, in order). The shift of each variable (its mean over
    the source) is a one-row subquery the sums are joined with, so the engine makes one round trip.

    With *replicates* (the SQL of each replicate's combined weight, a replicate design) the same
    query also forms, per replicate, ``sum(w_r)`` and ``sum(w_r (y - shift))`` over the answered
    rows, and keeps only the rows of positive full-sample weight (the in-memory domains' rule)."""
    w_sql = weight_sql(scan, design)
    w = w_sql.replace("{", "{{").replace("}", "}}")  # a template below
    shift_alias = "surveykit_shift"
    means = [f"coalesce(avg(CAST(({e}) AS DOUBLE)), 0) AS mean{j}" for j, (e, _) in enumerate(exprs)]
    parts: list[str] = []
    args: list[Any] = []

    def add(template: str, *pieces: tuple[str, list[Any]]) -> None:
        parts.append(template.format(*(p for p, _ in pieces)))
        for _, ps in pieces:
            args.extend(ps)

    for j, (e, ps) in enumerate(exprs):
        y = (f"(CAST(({e}) AS DOUBLE) - {shift_alias}.mean{j})", ps)
        ok = (f"({e}) IS NOT NULL", ps)
        add(f"max({shift_alias}.mean{j}) AS shift{j}")
        add(f"count(*) FILTER (WHERE {{0}}) AS c{j}", ok)
        add(f"sum({w}) FILTER (WHERE {{0}}) AS w{j}", ok)
        add(f"sum({w} * {{0}}) FILTER (WHERE {{1}}) AS wy{j}", y, ok)
        add(f"sum({w} * {{0}} * {{1}}) FILTER (WHERE {{2}}) AS wyy{j}", y, y, ok)
        add(f"count(*) FILTER (WHERE NOT ({{0}})) AS m{j}", ok)
        add(f"sum({w}) FILTER (WHERE NOT ({{0}})) AS wm{j}", ok)
        if squares_of_weights:
            add(f"sum({w} * {w}) FILTER (WHERE {{0}}) AS ww{j}", ok)
            add(f"sum({w} * {w} * {{0}}) FILTER (WHERE {{1}}) AS wwy{j}", y, ok)
            add(f"sum({w} * {w} * {{0}} * {{1}}) FILTER (WHERE {{2}}) AS wwyy{j}", y, y, ok)
        for r, rw in enumerate(replicates):
            rw = rw.replace("{", "{{").replace("}", "}}")
            add(f"sum({rw}) FILTER (WHERE {{0}}) AS rw{j}_{r}", ok)
            add(f"sum({rw} * {{0}}) FILTER (WHERE {{1}}) AS rwy{j}_{r}", y, ok)
    args.extend(a for _, ps in exprs for a in ps)  # the shift subquery's parameters follow the select list
    group = [scan.q(c) for c in dict.fromkeys(cl.keys + tuple(by))]
    where = " AND ".join([f"{scan.q(b)} IS NOT NULL" for b in by] + ([f"{w_sql} > 0"] if replicates else []))
    sql = (
        f"SELECT {', '.join(group + parts)} FROM {scan.table} CROSS JOIN "
        f"(SELECT {', '.join(means)} FROM {scan.table}) AS {shift_alias}"
        + (f" WHERE {where}" if where else "")
        + (f" GROUP BY {', '.join(group)}" if group else "")
    )
    table = scan.fetch(sql, args).to_pandas()
    k = len(exprs)
    shift = table[[f"shift{j}" for j in range(k)]].iloc[0].to_numpy(float) if len(table) else np.zeros(k)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    return _arrange(table, cl, by, len(exprs), squares_of_weights, shift, len(replicates))


def _arrange(table: pd.DataFrame, cl: Cells, by: tuple[str, ...], k: int, sq: bool, shift: np.ndarray,
             n_rep: int) -> Sums:  # fmt: skip
    n_cells = len(cl.frame)
    if cl.keys:
        index = cl.frame[list(cl.keys)].assign(**{CELL: np.arange(n_cells)})
        table = table.merge(index, on=list(cl.keys), how="left", validate="many_to_one")
        cell = table[CELL].to_numpy(dtype=np.int64)
    else:
        cell = np.zeros(len(table), np.int64)
    if by:
        dom_frame = table[list(by)].drop_duplicates()
        dom_frame = dom_frame.sort_values(list(by), kind="stable").reset_index(drop=True)
        keys = [tuple(r) if len(by) > 1 else r[0] for r in dom_frame.itertuples(index=False, name=None)]
        if not keys:
            raise DataError(f"by {list(by)!r} must have at least one non-missing value; got none.")
        code = dom_frame.assign(__d=np.arange(len(dom_frame))).merge(table[list(by)], on=list(by), how="right")["__d"]
        dom = code.to_numpy(dtype=np.int64)
    else:
        keys, dom = [None], np.zeros(len(table), np.int64)
    shape = (n_cells, len(keys), k)

    def block(prefix: str) -> np.ndarray:
        out = np.zeros(shape)
        for j in range(k):
            np.add.at(out[:, :, j], (cell, dom), table[f"{prefix}{j}"].fillna(0).to_numpy(dtype=float))
        return out

    def replicate_block(prefix: str) -> np.ndarray | None:
        if not n_rep:
            return None
        out = np.zeros(shape + (n_rep,))
        for j in range(k):
            for r in range(n_rep):
                np.add.at(out[:, :, j, r], (cell, dom), table[f"{prefix}{j}_{r}"].fillna(0).to_numpy(dtype=float))
        return out

    return Sums(
        block("c"),
        block("w"),
        block("wy"),
        block("wyy"),
        block("ww") if sq else None,
        block("wwy") if sq else None,
        block("wwyy") if sq else None,
        shift,
        tuple(keys),
        block("m"),
        block("wm"),
        replicate_block("rw"),
        replicate_block("rwy"),
    )


def table_sums(scan: Scan, design: Design, cl: Cells, row: str, col: str,
               replicates: Sequence[str] = ()) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """Per (design cell, row level, column level): rows, ``sum(w)`` and ``sum(w^2)`` over the rows
    with positive weight where both variables are present; also each result row's design cell.
    With *replicates* (the SQL of each replicate weight) also ``sum`` of each, as ``r0, r1, ...``:
    the replicate cell totals of one query."""
    w = weight_sql(scan, design)
    r, c = scan.q(row), scan.q(col)
    group = list(dict.fromkeys([scan.q(k) for k in cl.keys] + [r, c]))
    reps = "".join(f", sum({x}) AS r{j}" for j, x in enumerate(replicates))
    sql = (
        f"SELECT {', '.join(group)}, count(*) AS n, sum({w}) AS sw, sum({w} * {w}) AS sww{reps} FROM {scan.table} "
        f"WHERE {r} IS NOT NULL AND {c} IS NOT NULL AND {w} > 0 GROUP BY {', '.join(group)}"
    )
    table = scan.fetch(sql).to_pandas()
    if cl.keys:
        index = cl.frame[list(cl.keys)].assign(**{CELL: np.arange(len(cl.frame))})
        cell = table[list(cl.keys)].merge(index, on=list(cl.keys), how="left")[CELL].to_numpy(dtype=np.int64)
    else:
        cell = np.zeros(len(table), np.int64)
    return table, cell
