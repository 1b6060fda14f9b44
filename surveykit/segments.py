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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, format_rows
from surveykit.results import Summary, frame_records, jsonable

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey

__all__ = ["segments", "Segmentation", "Stability"]

ALPHA = 0.05
WEAK_SILHOUETTE = 0.25  # Kaufman & Rousseeuw (1990): below this, "no substantial structure"
UNSTABLE_ARI = 0.6  # mean bootstrap ARI below this: segments change with the sample
SILHOUETTE_MAX_ROWS = 5000  # above this many rows the silhouette uses a seeded random subsample
_SILHOUETTE_CHUNK = 2048  # rows per block of the distance matrix (memory ~ chunk x n x 8 bytes)
_SINGLE_THREAD_ROWS = 20_000  # below this, OpenMP start-up costs more than it saves (~10x on 2 cores)
_CATEGORICAL_TYPES = ("single",)
_NUMERIC_TYPES = ("numeric", "likert")


# --- encoding ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Encoded:
    """Feature matrix of the input variables (NaN where missing)."""

    matrix: np.ndarray
    variable: tuple[str, ...]  # source variable of each feature column
    level: tuple[Any, ...]  # one-hot level of each column (None for numeric)
    missing: dict[str, int]  # rows with a missing value, per variable


def _is_categorical(svy: Survey, name: str, column: pd.Series, categorical: Sequence[str] | None) -> bool:
    if categorical is not None:
        return name in categorical
    inst = svy.instrument
    if inst is not None:
        try:
            qtype = inst.question(name).type
        except (DataError, KeyError, AttributeError):
            qtype = None
        if qtype in _CATEGORICAL_TYPES:
            return True
        if qtype in _NUMERIC_TYPES:
            return False
    return not pd.api.types.is_numeric_dtype(column) or isinstance(column.dtype, pd.CategoricalDtype)


def _observed(svy: Survey, name: str) -> pd.Series:
    """The column with user-missing codes set to missing."""
    col = svy.column(name)
    codes = svy.missing_codes(name)
    return col.mask(col.isin(codes)) if codes else col


def _numeric(name: str, col: pd.Series) -> np.ndarray:
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(values) & col.notna().to_numpy()
    if bad.any():
        example = col[bad].iloc[0]
        raise DataError(
            f"variable {name!r} must be numeric to be clustered as a number; got text such as {example!r} "
            f"({format_rows((np.flatnonzero(bad) + 1).tolist())}). Pass categorical=[{name!r}] to one-hot "
            "encode it, or recode it."
        )
    return values


def _one_hot(col: pd.Series) -> tuple[np.ndarray, list[Any]]:
    levels = [int(v) if isinstance(v, float) and v.is_integer() else v for v in col.dropna().unique().tolist()]
    levels = sorted(set(levels), key=lambda v: (str(type(v)), v))
    values = col.to_numpy(dtype=object)
    dummies = np.column_stack([(values == lev).astype(float) for lev in levels]) if levels else np.empty((len(col), 0))
    dummies[col.isna().to_numpy()] = np.nan
    return dummies, levels


def _encode(svy: Survey, names: Sequence[str], categorical: Sequence[str] | None) -> _Encoded:
    blocks, variable, level, missing = [], [], [], {}
    for name in names:
        col = _observed(svy, name)
        missing[name] = int(col.isna().sum())
        if _is_categorical(svy, name, col, categorical):
            block, levels = _one_hot(col)
        else:
            block, levels = _numeric(name, col)[:, None], [None]
        blocks.append(block)
        variable += [name] * len(levels)
        level += levels
    return _Encoded(np.column_stack(blocks), tuple(variable), tuple(level), missing)


def _standardize(x: np.ndarray, w: np.ndarray, enc: _Encoded, on: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted centring and scaling to unit total variance per input variable; (z, mean, scale).

    A numeric variable is divided by its weighted standard deviation. The one-hot columns of a
    categorical variable share one divisor, the square root of their summed weighted variances
    (``sum_l p_l (1 - p_l)``), so a categorical variable weighs as much as a numeric one however
    many levels it has, and rare levels are not blown up.
    """
    mean = w @ x / w.sum()
    var = w @ (x - mean) ** 2 / w.sum()
    block = np.sqrt(pd.Series(var).groupby(np.array(enc.variable)).transform("sum").to_numpy())
    flat = block <= 1e-12 * np.maximum(np.abs(mean), 1.0)
    if flat.any():
        j = int(np.flatnonzero(flat)[0])
        raise DataError(
            f"variable {enc.variable[j]!r} must vary among the {x.shape[0]} rows being segmented; got a single "
            "value in all of them. Drop it from variables."
        )
    if not on:
        return x.copy(), np.zeros_like(mean), np.ones_like(block)
    return (x - mean) / block, mean, block


# --- fitting -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Fit:
    labels: np.ndarray  # 0..k-1, 0 = largest weighted segment
    centers: np.ndarray  # (k, p) in the standardised space
    inertia: float


def _relabel(labels: np.ndarray, centers: np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Order segments by descending weighted size (ties: first row of the segment)."""
    size = np.bincount(labels, weights=w, minlength=k)
    first = np.full(k, labels.size)
    np.minimum.at(first, labels, np.arange(labels.size))
    order = np.lexsort((first, -size))
    new = np.empty(k, dtype=np.int64)
    new[order] = np.arange(k)
    return new[labels], centers[order]


def _fit(z: np.ndarray, w: np.ndarray, k: int, seed: int, n_init: int) -> _Fit:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    threads = 1 if z.shape[0] < _SINGLE_THREAD_ROWS else None
    with threadpool_limits(limits=threads):
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(z, sample_weight=w)
    labels, centers = _relabel(km.labels_, km.cluster_centers_, w, k)
    return _Fit(labels, centers, float(km.inertia_))


def _nearest(z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    d2 = (z * z).sum(1)[:, None] - 2.0 * z @ centers.T + (centers * centers).sum(1)[None, :]
    return np.argmin(d2, axis=1)


def weighted_silhouette(z: np.ndarray, labels: np.ndarray, w: np.ndarray) -> float:
    """Survey-weighted mean silhouette width.

    For row i in segment A: ``a_i = sum_{j in A, j != i} w_j d_ij / (W_A - w_i)``,
    ``b_i = min_{B != A} sum_{j in B} w_j d_ij / W_B`` and ``s_i = (b_i - a_i) / max(a_i, b_i)``
    (0 for a single-row segment); the result is ``sum w_i s_i / sum w_i``.

    Notes
    -----
    With equal weights this is R ``mean(cluster::silhouette(labels, dist(z))[, "sil_width"])``
    (Rousseeuw 1987). Distances are Euclidean, in blocks of rows.
    """
    return float(_silhouettes(z, [labels], w)[0])


def _silhouettes(z: np.ndarray, labelings: Sequence[np.ndarray], w: np.ndarray) -> np.ndarray:
    """Weighted mean silhouette of several labelings of the same rows; each distance block once."""
    from scipy.spatial.distance import cdist

    members = []
    for labels in labelings:
        member = np.zeros((labels.size, int(labels.max()) + 1))
        member[np.arange(labels.size), labels] = w
        members.append(member)
    widths = np.empty((len(labelings), w.size))
    for start in range(0, w.size, _SILHOUETTE_CHUNK):
        rows = slice(start, start + _SILHOUETTE_CHUNK)
        dist = cdist(z[rows], z)
        for i, (labels, member) in enumerate(zip(labelings, members)):
            widths[i, rows] = _silhouette_block(dist @ member, labels[rows], w[rows], member.sum(0))
    return widths @ w / w.sum()


def _silhouette_block(dsum: np.ndarray, own: np.ndarray, w: np.ndarray, size: np.ndarray) -> np.ndarray:
    idx = np.arange(own.size)
    rest = size[own] - w
    a = dsum[idx, own] / np.where(rest > 0, rest, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        other = np.where(size[None, :] > 0, dsum / size[None, :], np.inf)
    other[idx, own] = np.inf
    b = other.min(1)
    s = (b - a) / np.maximum(np.maximum(a, b), np.finfo(float).tiny)
    return np.where(rest > 0, s, 0.0)


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


# --- stability ---------------------------------------------------------------------------------
def rao_wu_multipliers(rd: ResolvedDesign, rng: np.random.Generator) -> np.ndarray:
    """Weight multipliers of one Rao-Wu (n_h - 1) bootstrap replicate of the first-stage PSUs.

    In each stratum with n_h >= 2 PSUs, n_h - 1 PSUs are drawn with replacement; a PSU drawn m
    times gets multiplier ``m n_h / (n_h - 1)``. Strata with one PSU keep multiplier 1.

    Notes
    -----
    R equivalent: one column of ``survey:::subbootweights`` (``as.svrepdesign(type="subbootstrap")``).
    """
    st = rd.stages[0]
    n_h = np.bincount(st.psu_stratum)
    order = np.argsort(st.psu_stratum, kind="stable")
    start = np.concatenate([[0], np.cumsum(n_h)[:-1]])
    draws = np.where(n_h > 1, n_h - 1, 0)
    stratum = np.repeat(np.arange(n_h.size), draws)
    picked = order[start[stratum] + rng.integers(0, n_h[stratum])]
    count = np.bincount(picked, minlength=st.psu_stratum.size).astype(float)
    n_psu = n_h[st.psu_stratum]
    mult = np.where(n_psu > 1, count * n_psu / np.maximum(n_psu - 1, 1), 1.0)
    return mult[st.psu]


@dataclass(frozen=True, slots=True)
class Stability:
    """Bootstrap stability of a segmentation.

    Attributes
    ----------
    reps : int
        Bootstrap replicates refitted.
    ari : tuple of float
        Adjusted Rand index of each replicate against the full-sample segments, on the original
        assigned rows (replicate segments by nearest replicate centre).
    jaccard : pandas.DataFrame
        Per segment: mean over replicates of the best Jaccard similarity with a replicate segment
        (``segment, jaccard``). Hennig (2007) reads < 0.6 as unstable and > 0.85 as highly stable.
    method : str
    """

    reps: int
    ari: tuple[float, ...]
    jaccard: pd.DataFrame
    method: str = "Rao-Wu (n_h - 1) bootstrap of PSUs within strata; refit k-means; ARI and Jaccard"

    @property
    def mean_ari(self) -> float:
        return float(np.mean(self.ari)) if self.ari else float("nan")

    @property
    def sd_ari(self) -> float:
        return float(np.std(self.ari, ddof=1)) if len(self.ari) > 1 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {"reps": self.reps, "method": self.method, "mean_ari": self.mean_ari, "sd_ari": self.sd_ari,
             "ari": self.ari, "jaccard": frame_records(self.jaccard)}
        )


def _best_jaccard(full: np.ndarray, rep: np.ndarray, k: int) -> np.ndarray:
    table = np.zeros((k, k))
    np.add.at(table, (full, rep), 1.0)
    union = table.sum(1)[:, None] + table.sum(0)[None, :] - table
    return (table / np.where(union > 0, union, 1.0)).max(1)


def _stability(z: np.ndarray, w: np.ndarray, psu_rows: np.ndarray, rd: ResolvedDesign,
               fit: _Fit, *, seed: int, n_init: int, reps: int) -> Stability:
    from sklearn.metrics import adjusted_rand_score

    k = fit.centers.shape[0]
    rng = np.random.default_rng([seed, 20180])
    ari, jac = [], []
    pattern = np.unique(z, axis=0, return_inverse=True)[1].ravel()  # distinct-row id of each row
    for rep_seed in rng.integers(0, 2**31 - 1, size=reps):
        mult = rao_wu_multipliers(rd, rng)[psu_rows]
        keep = mult > 0
        if np.unique(pattern[keep]).size < k:
            continue  # too few distinct rows drawn to fit k segments
        refit = _fit(z[keep], w[keep] * mult[keep], k, int(rep_seed), n_init)
        predicted = _nearest(z, refit.centers)
        ari.append(float(adjusted_rand_score(fit.labels, predicted)))
        jac.append(_best_jaccard(fit.labels, predicted, k))
    mean_jac = np.mean(jac, axis=0) if jac else np.full(k, np.nan)
    frame = pd.DataFrame({"segment": np.arange(1, k + 1), "jaccard": mean_jac})
    return Stability(reps=len(ari), ari=tuple(ari), jaccard=frame)


# --- profiles ----------------------------------------------------------------------------------
def _domain_means(rd: ResolvedDesign, y: np.ndarray, seg: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Domain means of y in segments 1..k with Taylor SEs (R ``svyby(~y, ~seg, des, svymean, na.rm=TRUE)``)."""
    from surveykit._variance import design_vcov

    ok = ~np.isnan(y)
    inside = (seg[:, None] == np.arange(1, k + 1)[None, :]) & ok[:, None]
    wd = rd.weights[:, None] * inside
    total = wd.sum(0)
    y0 = np.where(ok, y, 0.0)
    est = (wd * y0[:, None]).sum(0) / np.where(total > 0, total, np.nan)
    u = wd * (y0[:, None] - np.nan_to_num(est)[None, :]) / np.where(total > 0, total, 1.0)
    se = np.sqrt(np.clip(np.diag(design_vcov(u, rd)), 0.0, None))
    n = (inside & (rd.weights[:, None] > 0)).sum(0)
    return {"estimate": est, "se": np.where(total > 0, se, np.nan), "n": n, "weighted_n": total}


def _shares(rd: ResolvedDesign, seg: np.ndarray, k: int) -> pd.DataFrame:
    """Weighted share of each segment among assigned rows, with Taylor SEs.

    R equivalent: ``svymean(~factor(seg), subset(des, !is.na(seg)))``.
    """
    from surveykit._variance import design_vcov

    member = (seg[:, None] == np.arange(1, k + 1)[None, :]).astype(float)
    wa = rd.weights * (seg > 0)
    total = wa.sum()
    est = wa @ member / total
    u = wa[:, None] * (member - est[None, :]) / total
    se = np.sqrt(np.clip(np.diag(design_vcov(u, rd)), 0.0, None))
    frame = pd.DataFrame(
        {
            "segment": np.arange(1, k + 1),
            "estimate": est,
            "se": se,
            "n": ((member > 0) & (wa[:, None] > 0)).sum(0),
            "weighted_n": wa @ member,
        }
    )
    return _with_ci(frame)


def _with_ci(frame: pd.DataFrame) -> pd.DataFrame:
    z = NormalDist().inv_cdf(1 - ALPHA / 2)
    frame["ci_low"] = frame["estimate"] - z * frame["se"]
    frame["ci_high"] = frame["estimate"] + z * frame["se"]
    frame["cv"] = frame["se"] / frame["estimate"].abs()
    return frame


def _level_label(svy: Survey, name: str, level: Any, lang: str) -> str | None:
    if level is None:
        return None
    inst = svy.instrument
    if inst is not None:
        try:
            return str(inst.label(name, level, lang))
        except (DataError, KeyError, ValueError, TypeError):
            pass
    return str(level)


def _variable_rows(svy: Survey, name: str, seg: np.ndarray, k: int, cat: bool, lang: str) -> list[pd.DataFrame]:
    col = _observed(svy, name)
    if cat:
        dummies, levels = _one_hot(col)
        columns = [(dummies[:, j], lev) for j, lev in enumerate(levels)]
    else:
        columns = [(_numeric(name, col), None)]
    out = []
    for y, lev in columns:
        part = pd.DataFrame(_domain_means(svy.resolved, y, seg, k))
        part.insert(0, "segment", np.arange(1, k + 1))
        part.insert(1, "variable", name)
        part.insert(2, "level", lev)
        part.insert(3, "label", _level_label(svy, name, lev, lang))
        out.append(part)
    return out


def _profiles(svy: Survey, seg: np.ndarray, k: int, names: Sequence[str],
              categorical: Sequence[str] | None, lang: str = "ko") -> pd.DataFrame:
    """Design-based mean (SE) of each variable per segment; one-hot levels as proportions."""
    parts = []
    for name in names:
        cat = _is_categorical(svy, name, svy.column(name), categorical)
        parts += _variable_rows(svy, name, seg, k, cat, lang)
    frame = pd.concat(parts, ignore_index=True).sort_values(["segment"], kind="stable", ignore_index=True)
    return _with_ci(frame)[
        ["segment", "variable", "level", "label", "estimate", "se", "ci_low", "ci_high", "cv", "n", "weighted_n"]
    ]


# --- result ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Segmentation:
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
            out.append(f"weighted silhouette {sil:.2f} < {WEAK_SILHOUETTE}: no substantial cluster structure; "
                       "read the segments as a partition of a continuum.")
        if self.stability is not None and self.stability.mean_ari < UNSTABLE_ARI:
            out.append(f"mean bootstrap ARI {self.stability.mean_ari:.2f} < {UNSTABLE_ARI}: the segments "
                       "change with the sample; do not over-interpret them.")
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
                "k": self.k, "variables": self.variables, "features": self.features,
                "method": self.method, "criterion_name": self.criterion_name, "ci_method": self.ci_method,
                "alpha": self.alpha, "seed": self.seed, "n_init": self.n_init, "standardize": self.standardize,
                "n_assigned": self.n_assigned, "n_unassigned": self.n_unassigned, "n_outside": self.n_outside,
                "missing": self.missing, "n_strata": self.n_strata, "n_psu": self.n_psu,
                "criterion": frame_records(self.criterion), "centers": frame_records(self.centers),
                "shares": frame_records(self.shares), "profiles": frame_records(self.profiles),
                "stability": self.stability.to_dict() if self.stability is not None else None,
                "notes": self.notes,
            }
        )

    def summary(self) -> Summary:
        chosen = self.criterion.loc[self.criterion["k"] == self.k, "silhouette"].iloc[0]
        facts = [
            ("Method", self.method), ("Variables", ", ".join(self.variables)),
            ("Segments (k)", f"{self.k}; {self.criterion_name}: {chosen:.3f}"),
            ("Rows", f"{self.n_assigned} assigned, {self.n_unassigned} unassigned (missing input), "
                     f"{self.n_outside} outside the domain"),
            ("Design", f"{self.n_strata} strata, {self.n_psu} PSUs; CI {self.ci_method}"),
        ]
        if self.stability is not None:
            facts.append(("Stability", f"mean ARI {self.stability.mean_ari:.3f} over {self.stability.reps} "
                                       f"replicates ({self.stability.method})"))
        tables = [("Segment shares", self.shares), ("Choice of k", self.criterion)]
        if self.stability is not None:
            tables.append(("Jaccard stability", self.stability.jaccard))
        wide = self.profiles.assign(feature=self._feature_names()).pivot(
            index="feature", columns="segment", values="estimate").reset_index()
        wide.columns = [str(c) for c in wide.columns]
        tables.append(("Profiles (estimate by segment)", wide))
        return Summary(title=f"Segments (k = {self.k})", facts=tuple(facts), tables=tuple(tables), notes=self.notes)

    def _feature_names(self) -> list[str]:
        return [v if lev is None or pd.isna(lev) else f"{v}={lev}"
                for v, lev in zip(self.profiles["variable"], self.profiles["level"])]


# --- entry point -------------------------------------------------------------------------------
def _names(value: str | Sequence[str], what: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names and not allow_empty:
        raise DataError(f"{what} must name at least one column; got none. Pass e.g. {what}=['q1', 'q2'].")
    return names


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
    return _result(svy, enc, seg, fit, best, criterion, stability, rows, w_all,
                   profiles=_profiles(svy, seg, best, [*names, *extra], categorical, lang),
                   centers=fit.centers * scale + mean, seed=seed, n_init=n_init, standardize=standardize)


def _result(svy: Survey, enc: _Encoded, seg: np.ndarray, fit: _Fit, k: int, criterion: pd.DataFrame,
            stability: Stability | None, rows: np.ndarray, w_all: np.ndarray, *, profiles: pd.DataFrame,
            centers: np.ndarray, seed: int, n_init: int, standardize: bool) -> Segmentation:
    features = _feature_labels(enc)
    labels = pd.Series(pd.array(np.where(seg > 0, seg, 0), dtype="Int64"), index=svy.data.index, name="segment")
    labels[seg == 0] = pd.NA
    center_frame = pd.DataFrame(centers, columns=list(features))
    center_frame.insert(0, "segment", np.arange(1, k + 1))
    rd = svy.resolved
    return Segmentation(
        k=k, variables=tuple(dict.fromkeys(enc.variable)), features=features, labels=labels,
        centers=center_frame, criterion=criterion, stability=stability, profiles=profiles,
        shares=_shares(rd, seg, k), n_assigned=int(rows.sum()),
        n_unassigned=int(((w_all > 0) & ~rows).sum()), n_outside=int((w_all <= 0).sum()),
        missing=dict(enc.missing), seed=seed, n_init=n_init, standardize=standardize,
        n_strata=rd.n_strata, n_psu=rd.n_psu_total,
    )
