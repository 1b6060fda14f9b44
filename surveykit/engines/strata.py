"""Strata facts of a lazy design without clusters, and the algebra on them shared by the lazy
means, crosstabs and models: the covariance of column totals when every row is a PSU
(:func:`_unclustered_vcov`) and R ``degf()`` from rows counted per design cell (:func:`_degf`)."""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

from surveykit.design.resolved import ResolvedDesign, degf_present


class _Strata(TypedDict):
    """Strata facts of a design without clusters (see :func:`_unclustered`), per stratum unless said."""

    code: np.ndarray  # the stratum of each design cell
    n_h: np.ndarray
    f_h: np.ndarray
    weight: np.ndarray  # per cell
    single: np.ndarray
    policy: str  # the design's lonely_psu


def _unclustered_vcov(u: np.ndarray, sq: np.ndarray, strata: _Strata) -> np.ndarray:
    """Covariance of the column totals of *u* (per cell) when every row is a PSU: per stratum,
    ``f_h n_h/(n_h-1) (sum_i u_i u_i' - T_h T_h'/n_h)``, R ``lonely.psu="adjust"`` adding a lone
    row's ``u_i u_i'`` (measured from 0). *sq* holds the cells' ``sum_i u_i u_i'``: ``(cells, k, k)``,
    or ``(cells, k)`` its diagonal when a row falls in one column only (a table's cells)."""
    code, n_h, f_h, single = strata["code"], strata["n_h"], strata["f_h"], strata["single"]
    n_str, k = n_h.shape[0], u.shape[1]
    t_h, q_h = np.zeros((n_str, k)), np.zeros((n_str, *sq.shape[1:]))
    np.add.at(t_h, code, u)
    np.add.at(q_h, code, sq)

    def cross(h: Any) -> np.ndarray:
        return q_h[h] if q_h.ndim == 3 else np.diag(q_h[h])

    scale = np.where(single, f_h, f_h * n_h / np.maximum(n_h - 1, 1))
    scale = np.where((f_h < 1e-7) | single, 0.0, scale)
    v = np.zeros((k, k))
    for h in np.flatnonzero(scale):  # loop over strata, not rows
        v += scale[h] * (cross(h) - np.outer(t_h[h], t_h[h]) / n_h[h])
    if strata.get("policy") == "adjust":
        for h in np.flatnonzero(single & (f_h >= 1e-7)):
            v += f_h[h] * cross(h)
    return v


def _degf(counts: np.ndarray, rd: ResolvedDesign | None, strata: _Strata | None) -> np.ndarray:
    """R ``degf()`` per (domain, variable) from the rows counted per cell: first-stage PSUs with
    rows there minus their strata (without clusters each row is a PSU)."""
    n_cells, d, k = counts.shape
    if rd is not None:
        st = rd.stages[0]
        by_psu = np.zeros((st.psu_stratum.shape[0], d * k))
        np.add.at(by_psu, st.psu, counts.reshape(n_cells, d * k))
        return degf_present(by_psu > 0, st.psu_stratum).reshape(d, k)
    assert strata is not None  # exactly one of rd and strata is given
    per_stratum = np.zeros((strata["n_h"].shape[0], d, k))
    np.add.at(per_stratum, strata["code"], counts)
    return per_stratum.sum(axis=0) - (per_stratum > 0).sum(axis=0)
