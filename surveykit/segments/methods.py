"""The three methods of :func:`surveykit.segments.fit` behind one interface.

Each ``_Method`` turns the input frame of the assigned rows into what its algorithm needs
(``prepare``), fits k segments with survey weights (``fit``, segments numbered by descending
weighted size) and assigns new rows (``predict``):

* ``kmeans``: weighted standardising and one-hot encoding as :func:`segments`, then
  :class:`sklearn.cluster.KMeans` with ``sample_weight``;
* ``lca``: the weighted EM of :mod:`surveykit.segments.lca` on the level codes;
* ``kprototypes``: :class:`kmodes.kprototypes.KPrototypes` with ``sample_weight`` on the
  weighted-standardised numeric items and the categorical codes (Huang 1998).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError
from surveykit.segments.encode import _Encoded, _standardize
from surveykit.segments.inputs import _Inputs
from surveykit.segments.kmeans import _fit, _nearest, _relabel
from surveykit.segments.kproto_cost import vectorised_labels_cost
from surveykit.segments.lca import _lca, _lca_predict


@dataclass
class _Method:
    name: str
    inputs: _Inputs
    w: np.ndarray
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))

    def kmeans_space(self, frame: pd.DataFrame, *, learn: bool = False) -> np.ndarray:
        """Standardised one-hot/number matrix (the k-means space; also used by CH and silhouette)."""
        x, source = self.inputs.matrix(frame)
        if learn:
            enc = _Encoded(x, source, (None,) * len(source), {})
            _, self.mean, self.scale = _standardize(x, self.w, enc, True)
        return (x - self.mean) / self.scale

    def prepare(self, frame: pd.DataFrame) -> Any:
        if self.name == "kmeans":
            return self.kmeans_space(frame)
        if self.name == "lca":
            return self.inputs.codes(frame)
        return self._mixed(frame)

    def _mixed(self, frame: pd.DataFrame) -> np.ndarray:
        cols = []
        num = [n for n, c in zip(self.inputs.variables, self.inputs.categorical) if not c]
        z = self.kmeans_space(frame)
        x, source = self.inputs.matrix(frame)
        for n in num:
            cols.append(z[:, source.index(n)])
        codes = self.inputs.codes(frame)
        return np.column_stack([*cols, *codes.T.astype(float)])

    def fit(self, data: Any, w: np.ndarray, k: int, seed: int, n_init: int, start: Any = None) -> Any:
        if self.name == "kmeans":
            return _fit(data, w, k, seed, n_init)
        if self.name == "lca":
            return _lca(
                data,
                w,
                tuple(len(self.inputs.levels[n]) for n, c in zip(self.inputs.variables, self.inputs.categorical) if c),
                k,
                seed,
                n_init,
                start,
            )
        return _kproto(data, w, k, seed, n_init, int(sum(not c for c in self.inputs.categorical)))

    def predict(self, model: Any, data: Any) -> np.ndarray:
        if self.name == "kmeans":
            return _nearest(data, model.centers)
        if self.name == "lca":
            return np.argmax(_lca_predict(data, model), axis=1)
        with vectorised_labels_cost(model.km):
            return model.relabel[model.km.predict(data, categorical=model.cat_idx)]

    def warm_start(self, model: Any) -> Any:
        return (model.prior, model.theta) if self.name == "lca" else None


@dataclass(frozen=True)
class _KProtoFit:
    km: Any
    labels: np.ndarray
    relabel: np.ndarray
    cat_idx: list[int]
    cost: float


def _kproto(data: np.ndarray, w: np.ndarray, k: int, seed: int, n_init: int, n_num: int) -> _KProtoFit:
    try:
        from kmodes.kprototypes import KPrototypes
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataError(
            "method='kprototypes' needs the kmodes package; got it not installed. "
            "Install surveykit[segments] (pip install kmodes)."
        ) from exc
    cat_idx = list(range(n_num, data.shape[1]))
    if not cat_idx or n_num == 0:
        raise DataError(
            "method='kprototypes' needs both numeric and categorical inputs; got only "
            f"{'numeric' if not cat_idx else 'categorical'} ones. Use method='kmeans' for numbers "
            "or method='lca' for categorical items."
        )
    km = KPrototypes(n_clusters=k, init="Cao", n_init=n_init, random_state=seed, max_iter=100)
    with vectorised_labels_cost(km):
        km.fit(data, categorical=cat_idx, sample_weight=w)
    raw = np.asarray(km.labels_, dtype=np.int64)
    labels, _ = _relabel(raw, np.zeros((k, 1)), w, k)
    relabel = np.arange(k, dtype=np.int64)
    relabel[raw] = labels  # old label -> new label (consistent for every row)
    return _KProtoFit(km, labels, relabel, cat_idx, float(km.cost_))
