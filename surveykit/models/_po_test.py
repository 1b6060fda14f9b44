"""The design-based Wald test of proportional odds (a survey Brant test), with separated cuts.

The test compares the slopes of the ``q`` binary logits ``logit P(Y > k) = a_k + x'b_k``. When
one of those binary fits is (quasi-)completely separated -- typically a binary covariate with an
empty cell at a cut (no respondent with ``x = 1`` at or below level ``k``) -- its ML slope is
infinite and a Wald contrast involving it is meaningless (the pseudo-inverse of a near-singular
information matrix gives p-values like 1e-70). Such coefficients are left out of the test and
listed, with the reason, in ``excluded``; the rest of the test is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveykit.models._fitdesign import ModelDesign, design_scores_vcov
from surveykit.models._glm import Fit, fit_logistic, looks_separated, separation_direction
from surveykit.models._inference import TermTest, replicate_refit_vcov, wald

__all__ = ["po_test", "EXCLUDED_COLUMNS"]

EXCLUDED_COLUMNS = ("term", "cut", "threshold", "reason", "value", "side", "note")
_DIRECTION_TOL = 1e-7  # separation_direction's own threshold for an involved coefficient


def po_test(
    X1: np.ndarray,
    codes: np.ndarray,
    md: ModelDesign,
    q: int,
    names: tuple[str, ...],
    ddf: float,
    levels: tuple[str, ...] | None = None,
) -> tuple[TermTest | None, pd.DataFrame, pd.DataFrame]:
    """Design-based Wald test of proportional odds; returns ``(test, slopes, excluded)``.

    Fits the ``q`` binary logits ``logit P(Y > k) = a_k + x'b_k`` (weighted), stacks their
    influence rows so that ``design_vcov`` gives the joint design covariance of all ``b_k``,
    and tests ``b_1 = b_2 = ... = b_q`` with F on the model's residual design df. Under
    proportional odds every ``b_k`` estimates the same ``b``.

    A binary fit that looks separated (:func:`looks_separated`) is checked by linear programming
    (:func:`separation_direction`). When one slope alone separates (an empty cell), its
    coefficient at that cut is infinite: it is excluded, the rows it determines (fitted
    probability 1 or 0 in the limit, influence 0) are dropped and the cut is refitted without it,
    which is the limit of the diverging ML fit for the other slopes (the intercept may diverge
    with it). A separation of several slopes together excludes the whole cut. Each term is then
    tested across the cuts where it is finite (``n_cuts - 1`` contrasts); ``test`` is None when
    no term has two such cuts. ``excluded`` lists every left-out (term, cut) with the reason
    (``"empty cell"`` with the covariate ``value`` missing on one ``side`` of the cut, or
    ``"separation"``) and an English ``note``. Without separation the test is the plain one.
    """
    levels = levels or tuple(str(k + 1) for k in range(q + 1))
    n, p1 = X1.shape
    w = md.w
    est = np.zeros(q * p1)
    scores = np.zeros((n, q * p1), order="F")
    inv = np.zeros((q * p1, q * p1))
    finite = np.ones((q, p1), bool)
    refits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (columns, row mask, y) per cut
    excluded: list[dict] = []
    for k in range(q):
        yk = (codes > k).astype(float)
        cols, rows, fit = _finite_fit(X1, yk, w)
        block = k * p1 + cols
        if fit is None:  # a separation the slopes cannot be singled out of: drop the cut
            finite[k] = False
            excluded += [_row(names[j - 1], k, levels, "separation") for j in range(1, p1)]
            refits.append((cols[:0], rows, yk))
            continue
        finite[k] = np.isin(np.arange(p1), cols)
        est[block] = fit.beta
        scores[:, block] = fit.scores
        inv[np.ix_(block, block)] = np.linalg.pinv(fit.info)
        refits.append((cols, rows, yk))
        for j in np.setdiff1d(np.arange(1, p1), cols):
            excluded.append(_empty_cell(names[j - 1], X1[:, j], yk, w, k, levels))
    if md.rd.is_replicate:  # the q binary fits refitted with every replicate's weights

        def refit(wr: np.ndarray) -> np.ndarray:
            out = np.zeros(q * p1)
            for k, (cols, rows, yk) in enumerate(refits):
                if cols.size:
                    out[k * p1 + cols] = fit_logistic(X1[:, cols], yk, wr * rows).beta
            return out

        V = replicate_refit_vcov(refit, md.keep, md.rd, est)[0]
    else:
        V = inv.T @ design_scores_vcov(scores, md) @ inv  # = design variance of the influence rows
    first = np.argmax(finite, axis=0)  # per column, the first cut where its slope is finite
    contrasts = []
    for k in range(1, q):  # b_first - b_k, cut by cut, as the plain test orders them
        for j in range(1, p1):  # column 0 is the intercept a_k
            if finite[k, j] and k > first[j]:
                r = np.zeros(est.size)
                r[first[j] * p1 + j], r[k * p1 + j] = 1.0, -1.0
                contrasts.append(r)
    tested = [names[j - 1] for j in range(1, p1) if finite[:, j].sum() >= 2]
    test = None
    if contrasts:
        test = wald(
            est, V, np.array(contrasts), ddf, tuple(tested), label="Proportional-odds test (Wald, design-based)"
        )
    b = est.reshape(q, p1)
    table = pd.DataFrame(
        {f"b (Y > {k + 1})": np.where(finite[k, 1:], b[k, 1:], np.nan) for k in range(q)}, index=list(names)
    )
    return test, table.reset_index(names="term"), pd.DataFrame(excluded, columns=list(EXCLUDED_COLUMNS))


def _finite_fit(X1: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, Fit | None]:
    """The binary fit of ``y`` on ``X1`` with separating single slopes removed (see po_test).

    Returns the kept columns, the row mask (0 on rows determined by a removed slope) and the
    fit, or None as the fit when the separation involves the intercept or several coefficients.
    """
    cols, rows = np.arange(X1.shape[1]), np.ones(X1.shape[0])
    for _ in range(X1.shape[1]):
        Xc = X1 if cols.size == X1.shape[1] else X1[:, cols]  # the plain fit runs on X1 itself
        fit = fit_logistic(Xc, y, w * rows)
        if not looks_separated(fit, Xc, w * rows):
            return cols, rows, fit
        d = separation_direction(Xc, y, w * rows)
        if d is None:  # slow convergence, not separation
            return cols, rows, fit
        involved = np.flatnonzero((np.abs(d) > _DIRECTION_TOL) & (cols != 0))
        if involved.size != 1:
            return cols, rows, None
        # the rows the direction determines (x'd != 0) leave the fit; on the rest x'd = 0, so the
        # slope is 0 or (with the intercept in d) constant there: dropping its column is exact
        eta = Xc @ d
        rows = rows * (np.abs(eta) <= 1e-9 * max(1.0, float(np.max(np.abs(eta)))))
        cols = np.delete(cols, involved[0])
    return cols, rows, None


def _row(term: str, k: int, levels: tuple[str, ...], reason: str, value: float = np.nan, side: str = "") -> dict:
    where = {"low": f"at or below {levels[k]!r}", "high": f"above {levels[k]!r}"}.get(side, "")
    note = (
        f"empty cell: no respondent with {term} = {value:g} {where}"
        if reason == "empty cell"
        else f"the binary fit at this cut is (quasi-)completely separated; {term} has no finite estimate"
    )
    return {
        "term": term,
        "cut": k + 1,
        "threshold": f"{levels[k]}|{levels[k + 1]}",
        "reason": reason,
        "value": value,
        "side": side,
        "note": f"{note} (cut {k + 1}, {levels[k]}|{levels[k + 1]})",
    }


def _empty_cell(term: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, levels: tuple[str, ...]) -> dict:
    """Name the empty cell behind a separating slope: a value of *x* absent on one side of cut *k*."""
    pos = w > 0
    values = np.unique(x[pos])
    if values.size == 2:
        for v in values:
            for side, on in (("low", y == 0), ("high", y == 1)):
                if not np.any(pos & (x == v) & on):
                    return _row(term, k, levels, "empty cell", float(v), side)
    return _row(term, k, levels, "separation")
