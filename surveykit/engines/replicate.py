"""Replicate-weight designs on a lazy source: ``sk.Survey(sk.scan(...), sk.ReplicateDesign(...))``.

A replicate estimate of a mean or total is a ratio of weighted sums, so every replicate's
estimate comes from the same aggregating query as the full-sample one
(:func:`surveykit.engines.aggregate.sums` with one ``SUM`` per replicate column); the variance
is R's ``svrVar`` (:func:`surveykit.design.replicate.replicate_variance`) on those few numbers.

The design's ``scale`` and ``rscales`` are R's defaults for its type, which may depend on the
largest replicate factor: they come from :meth:`ReplicateDesign.resolve` on a one-row stand-in
holding each replicate column's maximum, so the rule (and its warnings) lives in one place.
R ``degf()`` is the rank of the replicate weights of the estimate's rows minus one: the engine
returns one row per distinct direction of the replicate weights (rows of one PSU are
proportional), and the rank is taken in numpy (:func:`surveykit.design.replicate.rank_degf`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.design import Design
from surveykit.design.replicate import ReplicateDesign, ResolvedReplicate, rank_degf, replicate_variance
from surveykit.engines.aggregate import Cells, Sums, weight_sql
from surveykit.errors import DataError, DesignError

if TYPE_CHECKING:
    from surveykit.engines.view import Scan

__all__ = ["Replicates", "replicates", "replicate_moments", "replicate_degf", "replicate_logit_se"]

_ROW_KEY_SEED = 12345  # the random direction of ResolvedReplicate.row_keys


@dataclass(frozen=True)
class Replicates:
    """A replicate design on a scan: its columns, the SQL of each combined replicate weight, and
    the resolved stand-in carrying ``scale``, ``rscales``, ``mse`` and ``type``."""

    names: tuple[str, ...]
    sql: tuple[str, ...]
    rd: ResolvedReplicate


def replicates(scan: Scan, design: ReplicateDesign) -> tuple[Replicates, Cells]:
    """Check the replicate design in the engine (one query) and return it with the one design
    cell of a replicate design (no strata or clusters: the rows and those of positive weight)."""
    names = tuple(design.replicate_columns(pd.DataFrame(columns=list(scan.columns))))
    if design.weights:
        scan.check_columns([design.weights], "weights column", DesignError)
    for c in (*names, *([design.weights] if design.weights else [])):
        if not scan.is_numeric(c):
            raise DesignError(f"replicate weight columns must be numeric; {c!r} is {scan.dtype(c)}.")
    w = weight_sql(scan, design)
    parts = ["count(*) AS n", f"count(*) FILTER (WHERE {w} > 0) AS positive"]
    if design.weights:
        finite = scan.dialect.isfinite(w)
        parts.append(f"count(*) FILTER (WHERE {w} IS NULL OR NOT {finite} OR {w} < 0) AS bad_w")
    for r, c in enumerate(names):
        x = f"CAST({scan.q(c)} AS DOUBLE)"
        parts += [
            f"count(*) FILTER (WHERE {x} IS NULL OR NOT {scan.dialect.isfinite(x)}) AS bad{r}",
            f"count(*) FILTER (WHERE {x} < 0) AS neg{r}",
            f"max({x}) AS max{r}",
        ]
    row = scan.fetch(f"SELECT {', '.join(parts)} FROM {scan.table}").to_pylist()[0]
    if row["n"] == 0:
        raise DataError(f"{scan.source} must have at least one row; got none.")
    if design.weights and row["bad_w"]:
        raise DesignError(
            f"weights column {design.weights!r} must be finite and >= 0; got {row['bad_w']} missing, "
            f"infinite or negative values in {scan.source}. Drop or correct those rows."
        )
    for r, c in enumerate(names):
        if row[f"bad{r}"]:
            raise DesignError(
                f"replicate weight column {c!r} must have no missing or infinite values; got {row[f'bad{r}']} "
                f"in {scan.source}. R svrepdesign refuses them too: fill or drop those rows."
            )
        if row[f"neg{r}"]:
            raise DesignError(f"replicate weight column {c!r} must be >= 0; got {row[f'neg{r}']} negative values.")
    stand_in = pd.DataFrame({c: [float(row[f"max{r}"])] for r, c in enumerate(names)})
    if design.weights:
        stand_in[design.weights] = 1.0
    rd = design.resolve(stand_in)
    combined = [f"CAST({scan.q(c)} AS DOUBLE)" for c in names]
    sql = tuple(combined if design.combined_weights else [f"{x} * {w}" for x in combined])
    cells = Cells(pd.DataFrame({"__rows": [int(row["n"])]}), (), int(row["n"]), int(row["positive"]))
    return Replicates(names, sql, rd), cells


def replicate_moments(
    kind: str, s: Sums, rep: Replicates, degf: tuple[np.ndarray, np.ndarray]
) -> dict[str, np.ndarray]:
    """Estimates, replicate SEs, design effects, counts and df (each ``(D, k)``) from the sums of
    one query (:func:`surveykit.engines.aggregate.sums` with the replicate weights)."""
    assert s.rep_w is not None and s.rep_wy is not None  # sums() was given the replicates
    w, wy, wyy = s.w.sum(axis=0), s.wy.sum(axis=0), s.wyy.sum(axis=0)  # one cell
    rw, rwy = s.rep_w.sum(axis=0), s.rep_wy.sum(axis=0)  # (D, k, R)
    n = s.count.sum(axis=0)
    with np.errstate(all="ignore"):
        ybar = wy / w  # shifted
        if kind == "total":
            est = wy + s.shift * w
            thetas = rwy + s.shift[None, :, None] * rw
            a = est / w - s.shift
            ss = wyy - 2 * a * wy + a**2 * w
        else:
            est = ybar + s.shift
            thetas = rwy / rw + s.shift[None, :, None]
            ss = (wyy - 2 * ybar * wy + ybar**2 * w) / w**2
    d, k, n_rep = thetas.shape
    flat = np.moveaxis(thetas, 2, 0).reshape(n_rep, d * k)
    var = replicate_variance(flat, rep.rd, est.reshape(-1)).reshape(d, k)
    se = np.sqrt(var)
    nf = n.astype(float)
    with np.errstate(all="ignore"):
        s2 = ss / w * nf / (nf - 1)
        fac = np.where(w < nf, np.nan, (w - nf) / w)
        deff = se**2 / (w**2 * s2 * fac / nf)
    return {
        "estimate": est,
        "se": se,
        "deff": deff,
        "n": n,
        "weighted_n": w,
        "df": degf[0],
        "df_domain": degf[1],
        "thetas": flat,  # (R, D * k), domain-major: the replicate estimates
        "n_missing": s.missing.sum(axis=0),
        "w_missing": s.w_missing.sum(axis=0),
    }


def replicate_degf(scan: Scan, design: Design, rep: Replicates, exprs: list[tuple[str, list[Any]]],
                   by: tuple[str, ...], domain_keys: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """R ``degf()`` per (domain, variable): rank of the replicate weights of the answered rows
    of positive weight in the domain, minus one; and the same over all the domain's rows,
    answered or not (the df of a proportion's interval). The engine groups the rows by the direction of
    their replicate weights (``sum_r v_r w_r / sum_r w_r``, rounded; proportional rows share it)
    and returns each direction's largest weights, which are those of one of its rows."""
    n_rep = len(rep.sql)
    v = np.random.default_rng(_ROW_KEY_SEED).uniform(0.5, 1.5, n_rep)
    num = " + ".join(f"{float(v[r])!r} * {x}" for r, x in enumerate(rep.sql))
    den = " + ".join(rep.sql)
    key = f"round(({num}) / ({den}) * 1e12)"
    w = weight_sql(scan, design)
    answered = [f"count(*) FILTER (WHERE ({e}) IS NOT NULL) AS a{j}" for j, (e, _) in enumerate(exprs)]
    group = [scan.q(b) for b in by] + ["surveykit_key"]
    where = " AND ".join([f"{scan.q(b)} IS NOT NULL" for b in by] + [f"{w} > 0", f"({den}) > 0"])
    inner = f"SELECT *, {key} AS surveykit_key FROM {scan.table} WHERE {where}"
    tops = [f"max({x}) AS r{r}" for r, x in enumerate(rep.sql)]
    sql = f"SELECT {', '.join(group + tops + answered)} FROM ({inner}) AS keyed GROUP BY {', '.join(group)}"
    table = scan.fetch(sql, [a for _, ps in exprs for a in ps]).to_pandas()
    weights = table[[f"r{r}" for r in range(n_rep)]].to_numpy(float)
    out = np.full((len(domain_keys), len(exprs)), -1.0)
    whole = np.full((len(domain_keys), len(exprs)), -1.0)
    if by:
        labels = [tuple(t) if len(by) > 1 else t[0] for t in table[list(by)].itertuples(index=False, name=None)]
        position = {key: i for i, key in enumerate(domain_keys)}
        dom = np.array([position.get(lab, -1) for lab in labels], dtype=np.int64)
    else:
        dom = np.zeros(len(table), np.int64)
    for d in range(len(domain_keys)):
        whole[d, :] = rank_degf(weights, dom == d)
        for j in range(len(exprs)):
            rows = (dom == d) & (table[f"a{j}"].to_numpy() > 0)
            out[d, j] = rank_degf(weights, rows) if rows.sum() < (dom == d).sum() else whole[d, j]
    return out, whole


def replicate_logit_se(thetas: np.ndarray, rep: Replicates, estimate: np.ndarray) -> np.ndarray:
    """``(D, k)``: the SE a proportion's "logit" interval uses on a replicate design, as the
    in-memory one: the replicate variance of ``logit(p_r)``, on the ``p`` scale (times ``p (1 - p)``)."""
    p = np.asarray(estimate, dtype=float)
    with np.errstate(all="ignore"):
        eta = np.log(thetas / (1 - thetas))
        se_eta = np.sqrt(replicate_variance(eta, rep.rd, np.log(p / (1 - p)).reshape(-1))).reshape(p.shape)
        return se_eta * p * (1 - p)
