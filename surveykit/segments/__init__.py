"""Respondent segments: weighted k-means, a weighted choice of k, design-aware stability, profiles.

:func:`segments` clusters the respondents of a :class:`~surveykit.survey.Survey` on a few input
variables and returns a frozen :class:`Segmentation`: labels aligned with the data, centres, the
criterion curve over k, bootstrap stability, and design-based profiles of each segment.

The pieces, in order:

1. *Encoding.* Numeric and Likert variables enter as numbers; single-choice (and text) variables
   are one-hot encoded over their observed codes. User-missing codes (``svy.missing_codes``) count
   as missing. A row with any missing input, or with weight 0 (outside a domain), is *unassigned*.
2. *Standardising* (default): every feature is centred at its survey-weighted mean and every
   input variable scaled to unit weighted variance (a one-hot block as a whole), so no variable
   dominates by its unit or its number of levels.
3. *Clustering:* :class:`sklearn.cluster.KMeans` with ``sample_weight`` = survey weights, which
   minimises the weighted within-segment sum of squares (a population-level k-means).
4. *Choice of k* (``k=None``): the k in ``k_range`` with the largest *weighted mean silhouette*.
5. *Stability:* Rao-Wu bootstrap of PSUs within strata; refit; adjusted Rand index and Jaccard
   against the full-sample segments on the original rows.
6. *Profiles:* design-based domain means (Taylor linearisation, as R ``svyby(..., svymean)``).

Steps 1-2 live in ``segments.encode``, 3 in ``segments.kmeans``, 4 in ``segments.silhouette``,
5 in ``segments.stability`` and 6 in ``segments.profiles``; this module chooses k, runs the
steps and builds the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError
from surveykit.results import Printable, Summary, frame_records, jsonable
from surveykit.segments.encode import _encode, _Encoded, _standardize
from surveykit.segments.fit import SegmentFit, fit
from surveykit.segments.kmeans import _Fit, _fit
from surveykit.segments.profiles import ALPHA, _profiles, _shares
from surveykit.segments.silhouette import _silhouettes, weighted_silhouette  # noqa: F401
from surveykit.segments.stability import UNSTABLE_ARI, Stability, _stability, rao_wu_multipliers  # noqa: F401

if TYPE_CHECKING:
    from surveykit.survey import Survey

__all__ = ["fit", "SegmentFit", "segments", "Segmentation", "Stability", "UNSTABLE_ARI"]

WEAK_SILHOUETTE = 0.25  # Kaufman & Rousseeuw (1990): below this, "no substantial structure"
SILHOUETTE_MAX_ROWS = 5000  # above this many rows the silhouette uses a seeded random subsample

Stability.__module__ = __name__  # defined in surveykit.segments.stability; public here


def _criterion(z: np.ndarray, w: np.ndarray, ks: Sequence[int], seed: int, n_init: int) -> tuple[pd.DataFrame, dict]:
    fits = {k: _fit(z, w, k, seed, n_init) for k in ks}
    sub = np.arange(z.shape[0])
    if sub.size > SILHOUETTE_MAX_ROWS:  # the silhouette is O(n^2): estimate it on a seeded subsample
        sub = np.sort(np.random.default_rng([seed, 1]).choice(sub.size, SILHOUETTE_MAX_ROWS, replace=False))
    table = pd.DataFrame(
        {
            "k": list(ks),
            "silhouette": _silhouettes(z[sub], [fits[k].labels[sub] for k in ks], w[sub]),
            "inertia": [fits[k].inertia for k in ks],
        }
    )
    best = int(table["k"].iloc[int(np.argmax(table["silhouette"].to_numpy()))])
    table["chosen"] = table["k"] == best
    return table, fits


@dataclass(frozen=True, slots=True)
class Segmentation(Printable):
    """Result of :func:`segments`.

    Attributes
    ----------
    k : int
        Number of segments; segments are numbered 1..k by descending weighted size.
    variables, features : tuple of str
        Input variables and the encoded features (``var`` or ``var=level`` for one-hot levels).
    labels : pandas.Series
        ``Int64`` segment of every data row (same index as ``svy.data``); ``<NA>`` = unassigned.
    centers : pandas.DataFrame
        Segment centres in the original units of each feature (one-hot: weighted share).
    criterion : pandas.DataFrame
        ``k, silhouette, inertia, chosen``: weighted mean silhouette and weighted within-segment
        sum of squares (standardised space) for each candidate k.
    stability : Stability or None
        Bootstrap stability (``None`` when ``stability_reps=0``).
    profiles, shares : pandas.DataFrame
        Design-based profiles (one row per segment x variable x level) and segment shares.
    n_assigned, n_unassigned, n_outside : int
        Rows clustered; rows in the domain left out for a missing input; rows outside the domain.
    missing : dict
        Rows with a missing (NaN or user-missing) value, per input variable.
    """

    k: int
    variables: tuple[str, ...]
    features: tuple[str, ...]
    labels: pd.Series
    centers: pd.DataFrame
    criterion: pd.DataFrame
    stability: Stability | None
    profiles: pd.DataFrame
    shares: pd.DataFrame
    n_assigned: int
    n_unassigned: int
    n_outside: int
    missing: dict[str, int]
    seed: int
    n_init: int
    standardize: bool
    n_strata: int
    n_psu: int
    method: str = "weighted k-means (sklearn KMeans, sample_weight = survey weights)"
    criterion_name: str = "weighted mean silhouette (largest wins)"
    ci_method: str = "normal quantile, as R svymean confint"
    alpha: float = ALPHA

    @property
    def notes(self) -> tuple[str, ...]:
        """Cautions for readers: weak structure (silhouette < 0.25, Kaufman & Rousseeuw 1990) or
        unstable segments (mean ARI < 0.6), and unassigned rows."""
        out = []
        sil = float(self.criterion.loc[self.criterion["k"] == self.k, "silhouette"].iloc[0])
        if sil < WEAK_SILHOUETTE:
            out.append(
                f"weighted silhouette {sil:.2f} < {WEAK_SILHOUETTE}: no substantial cluster structure; "
                "read the segments as a partition of a continuum."
            )
        if self.stability is not None and self.stability.mean_ari < UNSTABLE_ARI:
            out.append(
                f"mean bootstrap ARI {self.stability.mean_ari:.2f} < {UNSTABLE_ARI}: the segments "
                "change with the sample; do not over-interpret them."
            )
        if self.n_unassigned:
            out.append(f"{self.n_unassigned} rows with a missing input are not in any segment.")
        return tuple(out)

    def domain_masks(self) -> dict[int, np.ndarray]:
        """Boolean mask of each segment over the data rows, for ``svy.domain(mask)``."""
        seg = self.labels.fillna(0).to_numpy(dtype=np.int64)
        return {g: seg == g for g in range(1, self.k + 1)}

    def to_frame(self) -> pd.DataFrame:
        """Profiles, one row per segment x variable x level (``shares`` holds the segment sizes)."""
        return self.profiles.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe plain data (what report templates bind to)."""
        return jsonable(
            {
                "k": self.k,
                "variables": self.variables,
                "features": self.features,
                "method": self.method,
                "criterion_name": self.criterion_name,
                "ci_method": self.ci_method,
                "alpha": self.alpha,
                "seed": self.seed,
                "n_init": self.n_init,
                "standardize": self.standardize,
                "n_assigned": self.n_assigned,
                "n_unassigned": self.n_unassigned,
                "n_outside": self.n_outside,
                "missing": self.missing,
                "n_strata": self.n_strata,
                "n_psu": self.n_psu,
                "criterion": frame_records(self.criterion),
                "centers": frame_records(self.centers),
                "shares": frame_records(self.shares),
                "profiles": frame_records(self.profiles),
                "stability": self.stability.to_dict() if self.stability is not None else None,
                "notes": self.notes,
            }
        )

    def summary(self) -> Summary:
        chosen = self.criterion.loc[self.criterion["k"] == self.k, "silhouette"].iloc[0]
        facts = [
            ("Method", self.method),
            ("Variables", ", ".join(self.variables)),
            ("Segments (k)", f"{self.k}; {self.criterion_name}: {chosen:.3f}"),
            (
                "Rows",
                f"{self.n_assigned} assigned, {self.n_unassigned} unassigned (missing input), "
                f"{self.n_outside} outside the domain",
            ),
            ("Design", f"{self.n_strata} strata, {self.n_psu} PSUs; CI {self.ci_method}"),
        ]
        if self.stability is not None:
            facts.append(
                (
                    "Stability",
                    f"mean ARI {self.stability.mean_ari:.3f} over {self.stability.reps} "
                    f"replicates ({self.stability.method})",
                )
            )
        tables = [("Segment shares", self.shares), ("Choice of k", self.criterion)]
        if self.stability is not None:
            tables.append(("Jaccard stability", self.stability.jaccard))
        wide = (
            self.profiles.assign(feature=self._feature_names())
            .pivot(index="feature", columns="segment", values="estimate")
            .reset_index()
        )
        wide.columns = [str(c) for c in wide.columns]
        tables.append(("Profiles (estimate by segment)", wide))
        return Summary(title=f"Segments (k = {self.k})", facts=tuple(facts), tables=tuple(tables), notes=self.notes)

    def _feature_names(self) -> list[str]:
        return [
            v if lev is None or pd.isna(lev) else f"{v}={lev}"
            for v, lev in zip(self.profiles["variable"], self.profiles["level"])
        ]


def _names(value: str | Sequence[str], what: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    from surveykit._util.columns import as_names

    if isinstance(value, (list, tuple)) and not value:
        if allow_empty:
            return ()
        raise DataError(f"{what} must name at least one column; got none. Pass e.g. {what}=['q1', 'q2'].")
    return tuple(as_names(value, what))


def _whole(value: Any, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise DataError(f"{what} must be a whole number >= {low}; got {value!r}.")
    return int(value)


def _candidate_ks(k: int | None, k_range: Sequence[int], z: np.ndarray) -> list[int]:
    ks = [_whole(k, "k", 2)] if k is not None else sorted({_whole(v, "each k in k_range", 2) for v in k_range})
    if not ks:
        raise DataError("k_range must hold at least one k >= 2; got an empty range. Pass e.g. range(2, 7).")
    distinct = np.unique(z, axis=0).shape[0]
    if max(ks) >= distinct:
        raise DataError(
            f"k must be smaller than the number of distinct rows being segmented ({distinct}); got k = {max(ks)}. "
            "Use fewer segments or more variables/rows."
        )
    return ks


def _feature_labels(enc: _Encoded) -> tuple[str, ...]:
    return tuple(v if lev is None else f"{v}={lev}" for v, lev in zip(enc.variable, enc.level))


def segments(
    svy: Survey,
    variables: str | Sequence[str],
    *,
    k: int | None = None,
    k_range: Sequence[int] = range(2, 7),
    seed: int = 0,
    standardize: bool = True,
    n_init: int = 10,
    stability_reps: int = 50,
    profile_vars: str | Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    lang: str = "ko",
) -> Segmentation:
    """Segment respondents by survey-weighted k-means, with design-aware stability and profiles.

    Parameters
    ----------
    svy : Survey
        The survey (or a domain of it: rows with weight 0 are left unassigned).
    variables : str or sequence of str
        Clustering inputs. Numeric and ``likert`` questions enter as numbers; ``single`` questions
        (per the instrument) and text columns are one-hot encoded.
    k : int, optional
        Number of segments; ``None`` chooses it over ``k_range`` by the weighted silhouette.
    k_range : sequence of int
        Candidate k (each >= 2) when ``k`` is None.
    seed : int
        Seeds k-means and the bootstrap; the same seed gives the same labels.
    standardize : bool
        Centre every feature at its weighted mean and scale every variable to unit weighted
        variance (numeric: by its standard deviation; one-hot block: by the square root of the
        summed variances of its levels).
    n_init : int
        k-means restarts (the best weighted inertia is kept).
    stability_reps : int
        Bootstrap replicates for stability; 0 skips it.
    profile_vars : str or sequence of str
        Extra variables profiled per segment (not clustered on); missing values are dropped per
        variable.
    categorical : sequence of str, optional
        Overrides the instrument: exactly these variables are one-hot encoded.
    lang : {"ko", "en"}
        Language of the value labels in the profiles.

    Returns
    -------
    Segmentation

    Notes
    -----
    R has no single equivalent. The pieces match: ``stats::kmeans`` with weights (weighted
    Lloyd/Elkan, as ``sklearn.cluster.KMeans(sample_weight=)``); ``cluster::silhouette`` (the
    weighted form reduces to it for equal weights); ``as.svrepdesign(type="subbootstrap")`` for
    the Rao-Wu replicates; ``svyby(~x, ~segment, design, svymean)`` for the profiles and
    ``svymean(~factor(segment), subset(design, !is.na(segment)))`` for the shares.

    The silhouette is chosen over Calinski-Harabasz because it is bounded, comparable across k
    and does not favour large k on weak structure; its weighted form averages each row's width
    with its survey weight and measures distances to segments as weighted mean distances, so it
    describes the population rather than the sample. Weighted inertia is reported alongside.
    The silhouette costs O(n^2); above ``SILHOUETTE_MAX_ROWS`` rows it is computed on a seeded
    uniform subsample of that many rows (weights kept), as ``sklearn.metrics.silhouette_score``
    does with ``sample_size``.
    Stability is computed on the original rows: each replicate's centres assign every assigned
    row, and the adjusted Rand index and per-segment best Jaccard (Hennig 2007) compare them
    with the full-sample segments (unweighted row counts).
    """
    names = _names(variables, "variables")
    extra = _names(profile_vars, "profile_vars", allow_empty=True)
    n_init = _whole(n_init, "n_init", 1)
    stability_reps = _whole(stability_reps, "stability_reps", 0)
    enc = _encode(svy, names, categorical)
    w_all = svy.weights
    rows = ~np.isnan(enc.matrix).any(axis=1) & (w_all > 0)
    if not rows.any():
        raise DataError(
            f"segments need rows with every input observed; got none among {len(w_all)} rows "
            f"(missing per variable: {enc.missing}). Choose variables with fewer missing values."
        )
    w = w_all[rows]
    z, mean, scale = _standardize(enc.matrix[rows], w, enc, standardize)
    ks = _candidate_ks(k, k_range, z)
    criterion, fits = _criterion(z, w, ks, seed, n_init)
    best = int(criterion.loc[criterion["chosen"], "k"].iloc[0])
    fit = fits[best]
    seg = np.zeros(len(w_all), dtype=np.int64)
    seg[rows] = fit.labels + 1
    stability = None
    if stability_reps:
        psu_rows = np.flatnonzero(rows)
        stability = _stability(z, w, psu_rows, svy.resolved, fit, seed=seed, n_init=n_init, reps=stability_reps)
    return _result(
        svy,
        enc,
        seg,
        fit,
        best,
        criterion,
        stability,
        rows,
        w_all,
        profiles=_profiles(svy, seg, best, [*names, *extra], categorical, lang),
        centers=fit.centers * scale + mean,
        seed=seed,
        n_init=n_init,
        standardize=standardize,
    )


def _result(
    svy: Survey,
    enc: _Encoded,
    seg: np.ndarray,
    fit: _Fit,
    k: int,
    criterion: pd.DataFrame,
    stability: Stability | None,
    rows: np.ndarray,
    w_all: np.ndarray,
    *,
    profiles: pd.DataFrame,
    centers: np.ndarray,
    seed: int,
    n_init: int,
    standardize: bool,
) -> Segmentation:
    features = _feature_labels(enc)
    labels = pd.Series(pd.array(np.where(seg > 0, seg, 0), dtype="Int64"), index=svy.data.index, name="segment")
    labels[seg == 0] = pd.NA
    center_frame = pd.DataFrame(centers, columns=list(features))
    center_frame.insert(0, "segment", np.arange(1, k + 1))
    rd = svy.resolved
    return Segmentation(
        k=k,
        variables=tuple(dict.fromkeys(enc.variable)),
        features=features,
        labels=labels,
        centers=center_frame,
        criterion=criterion,
        stability=stability,
        profiles=profiles,
        shares=_shares(rd, seg, k),
        n_assigned=int(rows.sum()),
        n_unassigned=int(((w_all > 0) & ~rows).sum()),
        n_outside=int((w_all <= 0).sum()),
        missing=dict(enc.missing),
        seed=seed,
        n_init=n_init,
        standardize=standardize,
        n_strata=rd.n_strata,
        n_psu=rd.n_psu_total,
    )
