""":func:`fit`: segments worth publishing (k-means, k-prototypes or latent classes).

One call chooses k over a range by several criteria (the table is ``result.criteria``), checks
design-based stability (Rao-Wu PSU bootstrap), estimates segment shares with logit intervals and
profiles as domains by the one estimation machinery, names the segments in Korean and English
from their most distinguishing answers, and can assign new respondents (``predict``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit._util.columns import check_alpha, check_choice
from surveykit.errors import DataError
from surveykit.results import Printable, Summary, frame_records, jsonable
from surveykit.segments import criteria as _crit
from surveykit.segments import describe as _desc
from surveykit.segments.inputs import MISSING_OPTIONS, _Inputs, build_inputs
from surveykit.segments.methods import _Method
from surveykit.segments.stability import UNSTABLE_ARI, Stability

if TYPE_CHECKING:
    from surveykit.survey import Survey

METHODS = ("kmeans", "kprototypes", "lca")
MIN_ARI = UNSTABLE_ARI  # mean bootstrap ARI below this: not publishable (the one threshold, segments.stability)
AUTO_RANGE = range(2, 7)
EXTEND_BY = 3
DEFAULT_REPS = 50
CHOICE_REPS = 20  # PSU-bootstrap refits per candidate k in the stability screen of k='auto'


@dataclass(frozen=True, eq=False)
class SegmentFit(Printable):
    """Result of :func:`fit`.

    Attributes
    ----------
    method : {"kmeans", "kprototypes", "lca"}
    k : int
        Segments, numbered 1..k by descending weighted size.
    labels : pandas.Series
        ``Int64`` segment of every data row; ``<NA>`` = unassigned (missing input, outside the domain).
    criteria : pandas.DataFrame
        One row per candidate k with every criterion and ``*_choice`` flags.
    chosen_by : str
        The rule that chose k (or "given").
    shares : pandas.DataFrame
        ``segment, name_ko, name_en, estimate, se, ci_low, ci_high, df, deff, cv, n, weighted_n``:
        ``svy.proportion`` of the segment column, logit interval.
    profiles : pandas.DataFrame
        Domain estimates per segment x variable x level (``svy.proportion``/``svy.mean`` by segment).
    names : dict
        ``{"ko": [...], "en": [...]}``, one name per segment.
    stability : Stability or None
    publishable : bool
        False when stability was not assessed or the mean bootstrap ARI is below ``min_ari``.
    reason : str
        Why it is (not) publishable.
    notes : tuple of str
        Edges of the k range, unassigned rows and the like.
    """

    method: str
    k: int
    variables: tuple[str, ...]
    labels: pd.Series
    criteria: pd.DataFrame
    chosen_by: str
    shares: pd.DataFrame
    profiles: pd.DataFrame
    names: dict[str, list[str]]
    stability: Stability | None
    publishable: bool
    reason: str
    notes: tuple[str, ...]
    n_assigned: int
    n_unassigned: int
    missing: str
    _method: Any
    _model: Any

    def predict(self, new_data: pd.DataFrame | Survey) -> pd.Series:
        """Segment (1..k, ``Int64``) of new respondents; ``<NA>`` where an input is missing or a
        categorical answer was never seen in the fit. A :class:`Survey` is read through its
        ``analysis_data()``; a DataFrame gets the fitted survey's user-missing codes masked."""
        from surveykit.survey import Survey

        if isinstance(new_data, Survey):
            frame = self._method.inputs.columns(new_data.analysis_data(), user_missing=False)
        elif isinstance(new_data, pd.DataFrame):
            frame = self._method.inputs.columns(new_data)
        else:
            raise DataError(f"new_data must be a pandas DataFrame or a Survey; got {type(new_data).__name__}.")
        ok = self._method.inputs.complete(frame)
        out = pd.Series(pd.array([pd.NA] * len(frame), dtype="Int64"), index=frame.index, name="segment")
        if ok.any():
            data = self._method.prepare(frame[ok])
            out[ok] = self._method.predict(self._model, data) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "method": self.method,
                "k": self.k,
                "variables": self.variables,
                "chosen_by": self.chosen_by,
                "criteria": frame_records(self.criteria),
                "shares": frame_records(self.shares),
                "profiles": frame_records(self.profiles),
                "names": self.names,
                "publishable": self.publishable,
                "reason": self.reason,
                "notes": self.notes,
                "n_assigned": self.n_assigned,
                "n_unassigned": self.n_unassigned,
                "missing": self.missing,
                "stability": self.stability.to_dict() if self.stability is not None else None,
            }
        )

    def summary(self) -> Summary:
        facts = [
            ("Method", self.method),
            ("Variables", ", ".join(self.variables)),
            ("Segments (k)", f"{self.k} ({self.chosen_by})"),
            ("Rows", f"{self.n_assigned} assigned, {self.n_unassigned} unassigned"),
            ("Publishable", f"{'yes' if self.publishable else 'no'}: {self.reason}"),
        ]
        return Summary(
            title=f"Segments ({self.method}, k = {self.k})",
            facts=tuple(facts),
            tables=(("Segment shares", self.shares), ("Choice of k", self.criteria)),
            notes=self.notes,
        )


def _ks(k: Any) -> tuple[list[int], bool]:
    if isinstance(k, str):
        check_choice("k", k, ("auto",))
        return list(AUTO_RANGE), True
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        if k < 2:
            raise DataError(f"k must be a whole number >= 2, a range or 'auto'; got {k!r}.")
        return [int(k)], False
    try:
        ks = sorted({int(v) for v in k})
    except (TypeError, ValueError):
        raise DataError(f"k must be a whole number >= 2, a range such as range(2, 8) or 'auto'; got {k!r}.") from None
    if not ks or ks[0] < 2:
        raise DataError(f"k must be a whole number >= 2, a range or 'auto'; got {k!r}. Pass e.g. range(2, 8).")
    return ks, False


def _choose(
    method: _Method,
    data: Any,
    z: np.ndarray,
    w: np.ndarray,
    ks: list[int],
    seed: int,
    n_init: int,
    stable_of: Any,
    fits: dict | None = None,
) -> tuple[pd.DataFrame, int, dict, str]:
    """Criteria of every k, each criterion's vote among the stable k, and the chosen k.

    ``stable_of(k, fit)`` gives the mean PSU-bootstrap ARI of k segments (None: not assessed)."""
    fits = dict(fits or {})
    for k in ks:
        if k not in fits:
            fits[k] = method.fit(data, w, k, seed, n_init)
    if method.name == "lca":
        table = _crit.lca_criteria(fits, ks)
    elif method.name == "kmeans":
        table = _crit.kmeans_criteria(z, w, ks, seed, n_init, fits)
    else:
        table = _crit.kprototypes_criteria(z, w, ks, lambda k: fits[k].labels, {k: fits[k].cost for k in ks})
    if len(ks) > 1:
        table["stability"] = [stable_of(k, fits[k]) for k in ks]
    best, rule = _crit.choose(table, method.name)
    return table, best, fits, rule if len(ks) > 1 else "given"


def fit(
    svy: Survey,
    variables: str | Sequence[str],
    *,
    method: str = "kmeans",
    k: int | str | Sequence[int] = "auto",
    random_state: int = 0,
    missing: str = "exclude",
    n_init: int = 10,
    stability_reps: int | None = None,
    min_ari: float = MIN_ARI,
    profile_vars: str | Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    short_names: dict[str, Any] | None = None,
    alpha: float = 0.05,
    lang: str = "ko",
) -> SegmentFit:
    """Segment respondents with survey weights and publish only what holds.

    Parameters
    ----------
    svy : Survey
    variables : str or sequence of str
        Inputs. ``lca`` treats every input as categorical; ``kmeans`` one-hot encodes the
        categorical ones (instrument ``single`` questions, text, or ``categorical=``);
        ``kprototypes`` needs both kinds.
    method : {"kmeans", "kprototypes", "lca"}
    k : "auto", int or range
        ``"auto"`` searches 2..6 and, if the choice is 6, extends once to 9; a given range is
        searched as given (a choice on its edge is noted).
    random_state : int
    missing : {"exclude", "category", "impute"}
        See :mod:`surveykit.segments.inputs`. User-missing codes are never numbers.
    n_init : int
        Restarts per fit (k-means, EM random starts, k-prototypes).
    stability_reps : int, optional
        Rao-Wu bootstrap replicates of the PSUs (0 skips; the result is then not publishable).
        Default: 50, and 0 on a replicate-weight design (it has no PSUs to resample: shares and
        profiles are still estimated with its replicate weights; an explicit number is refused).
        The first ``CHOICE_REPS`` of them also screen the candidate k of a range for stability.
    min_ari : float
        Mean bootstrap adjusted Rand index a publishable segmentation must reach.
    profile_vars : str or sequence of str
        Extra variables profiled by segment.
    categorical : sequence of str, optional
        Exactly these inputs are categorical (overrides the instrument).
    short_names : dict, optional
        ``{variable: {"ko": "보험", "en": "insured"}}`` (or one string): short names of the
        inputs used in segment names instead of the question wording.
    alpha : float
        Interval level 1 - alpha of shares and profiles.
    lang : {"ko", "en"}
        Language of the value and variable labels in ``profiles`` (names come in both).

    Returns
    -------
    SegmentFit

    Notes
    -----
    R: no single equivalent. LCA is ``poLCA::poLCA`` with weights (poLCA itself has none; the
    EM here maximises the weighted pseudo-likelihood, checked against Python StepMix with
    ``sample_weight``); k-means ``stats::kmeans``; k-prototypes ``clustMixType::kproto``; shares
    ``svyciprop(~I(segment == g), design, method="logit")``; profiles
    ``svyby(~x, ~segment, design, svymean)``. BIC uses mean-1 weights and ``log n`` of the rows.
    Bootstrap refits of LCA start from the full-sample estimates.
    """
    from surveykit._util.columns import as_names

    check_choice("method", method, METHODS)
    check_choice("missing", missing, MISSING_OPTIONS)
    check_alpha(alpha)
    check_choice("lang", lang, ("ko", "en"))
    names = tuple(as_names(variables, "variables"))
    extra = tuple(as_names(profile_vars, "profile_vars")) if profile_vars else ()
    for name in extra:
        svy.column(name)
    replicate = svy.resolved.is_replicate
    if stability_reps is None:
        stability_reps = 0 if replicate else DEFAULT_REPS
    for what, value, low in (("n_init", n_init, 1), ("stability_reps", stability_reps, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise DataError(f"{what} must be a whole number >= {low}; got {value!r}.")
    if isinstance(min_ari, bool) or not isinstance(min_ari, (int, float)) or not -1 <= min_ari <= 1:
        raise DataError(f"min_ari must be a number between -1 and 1 (0.6 by default); got {min_ari!r}.")
    ks, auto = _ks(k)
    inputs, frame = build_inputs(svy, names, categorical, missing, method == "lca")
    w_all = svy.weights
    rows = inputs.complete(frame) & (w_all > 0)
    if not rows.any():
        raise DataError(
            f"segments need rows with every input observed; got none among {len(w_all)} rows. "
            "Choose variables with fewer missing values or pass missing='impute'."
        )
    w = w_all[rows]
    fr = frame[rows]
    meth = _Method(method, inputs, w)
    z = meth.kmeans_space(fr, learn=True)
    data = meth.prepare(fr)
    distinct = np.unique(data, axis=0).shape[0]
    if auto and any(v < distinct for v in ks):
        ks = [v for v in ks if v < distinct]  # "auto" never asks for more segments than answer patterns
    if max(ks) >= distinct:
        raise DataError(
            f"k must be smaller than the number of distinct answer patterns ({distinct}); got "
            f"k = {max(ks)}. Use fewer segments or more variables."
        )
    psu_rows = np.flatnonzero(rows)
    assess = bool(stability_reps) and not replicate
    stable_cache: dict[int, float | None] = {}

    def stable_of(kk: int, model: Any) -> float | None:
        if kk not in stable_cache:
            stable_cache[kk] = (
                _desc.stability(
                    meth,
                    data,
                    w,
                    psu_rows,
                    svy.resolved,
                    model,
                    np.asarray(model.labels, dtype=np.int64),
                    kk,
                    seed=random_state,
                    n_init=min(n_init, 3),
                    reps=min(CHOICE_REPS, int(stability_reps)),
                ).mean_ari
                if assess
                else None
            )
        return stable_cache[kk]

    table, best, fits, rule = _choose(meth, data, z, w, ks, random_state, n_init, stable_of)
    notes = []
    if len(ks) > 1 and best == max(ks):
        wider = [v for v in range(max(ks) + 1, max(ks) + 1 + EXTEND_BY) if v < distinct]
        if auto and wider:
            ks = ks + wider
            table, best, fits, rule = _choose(meth, data, z, w, ks, random_state, n_init, stable_of, fits)
            notes.append(
                f"k = {max(ks) - len(wider)} was on the edge of 2..{max(ks) - len(wider)}; "
                f"the range was extended once to {max(ks)}."
            )
        if best == max(ks):
            notes.append(
                f"the chosen k = {best} is on the upper edge of the range searched; more segments "
                "may describe the data better."
            )
    if len(ks) > 1 and not assess:
        notes.append(
            "k was chosen without the stability vote ("
            + ("a replicate-weight design has no PSUs to resample" if replicate else "stability_reps=0")
            + ")."
        )
    model = fits[best]
    labels = np.asarray(model.labels, dtype=np.int64)
    seg = np.zeros(len(w_all), dtype=np.int64)
    seg[rows] = labels + 1
    stab = None
    if stability_reps:
        stab = _desc.stability(
            meth,
            data,
            w,
            np.flatnonzero(rows),
            svy.resolved,
            model,
            labels,
            best,
            seed=random_state,
            n_init=min(n_init, 3),
            reps=int(stability_reps),
        )
    if stab is None:
        publishable = False
        reason = "stability was not assessed (" + (
            "a replicate-weight design has no PSUs to resample)" if replicate else "stability_reps=0)"
        )
    elif not stab.ari or stab.mean_ari < min_ari:
        publishable = False
        reason = f"mean bootstrap ARI {stab.mean_ari:.2f} < {min_ari}: the segments change with the sample"
    else:
        publishable, reason = True, f"mean bootstrap ARI {stab.mean_ari:.2f} >= {min_ari} over {stab.reps} replicates"
    n_unassigned = int(((w_all > 0) & ~rows).sum())
    if n_unassigned:
        notes.append(f"{n_unassigned} rows with a missing input are not in any segment.")
    extra_cat = {n: inputs_categorical(svy, n, categorical) for n in extra}
    seg_names = {lang: _desc.names(svy, fr, seg[rows], w, inputs, best, lang, short_names) for lang in ("ko", "en")}
    shares = _desc.shares(svy, seg, best, alpha)
    shares.insert(1, "name_ko", seg_names["ko"])
    shares.insert(2, "name_en", seg_names["en"])
    labels_series = pd.Series(pd.array(np.where(seg > 0, seg, 0), dtype="Int64"), index=svy.data.index, name="segment")
    labels_series[seg == 0] = pd.NA
    return SegmentFit(
        method=method,
        k=best,
        variables=names,
        labels=labels_series,
        criteria=table,
        chosen_by=rule,
        shares=shares,
        profiles=_desc.profiles(svy, seg, inputs, extra_cat, lang, alpha),
        names=seg_names,
        stability=stab,
        publishable=publishable,
        reason=reason,
        notes=tuple(notes),
        n_assigned=int(rows.sum()),
        n_unassigned=n_unassigned,
        missing=missing,
        _method=meth,
        _model=model,
    )


def inputs_categorical(svy: Survey, name: str, categorical: Sequence[str] | None) -> bool:
    from surveykit.segments.encode import _is_categorical

    return _is_categorical(svy, name, svy.column(name), categorical)


__all__ = ["fit", "SegmentFit", "METHODS", "_Inputs"]
