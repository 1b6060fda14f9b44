"""The design a model is fitted under: complete cases, their weights, and the sandwich variance."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import ModelError
from surveykit.models._formula import ModelFrame

__all__ = ["ModelDesign", "check_survey", "model_design", "sandwich", "design_scores_vcov"]


@dataclass(frozen=True, slots=True, eq=False)
class ModelDesign:
    """Weights of the complete cases (``w``) and the design with weight 0 on the other rows.

    ``n_psu`` and ``n_strata`` count the first-stage PSUs and strata among rows with weight
    != 0, as R ``degf()`` does for the complete-case design.
    """

    w: np.ndarray
    rd: Any  # ResolvedDesign with zero weights outside the complete cases
    keep: np.ndarray
    data: pd.DataFrame
    description: str
    n_psu: int
    n_strata: int

    @property
    def degf(self) -> int:
        """R ``degf()`` of the complete-case design (PSUs minus strata with weight != 0)."""
        return int(self.rd.degf)

    def facts(self) -> dict[str, Any]:
        return {
            "n": int(np.count_nonzero(self.w > 0)),
            "weighted_n": float(self.w.sum()),
            "n_strata": self.n_strata,
            "n_psu": self.n_psu,
            "design": self.description,
            "_data": self.data,
        }


def _counts(rd: Any, w_all: np.ndarray) -> tuple[int, int]:
    """First-stage PSUs and strata among rows with weight != 0."""
    st = rd.stages[0]
    nonzero = w_all != 0
    psu = st.psu if nonzero.all() else st.psu[nonzero]
    present = np.bincount(psu, minlength=st.psu_stratum.size) > 0
    strata = np.bincount(st.psu_stratum[present], minlength=st.n_h.size) > 0
    return int(present.sum()), int(strata.sum())


def check_survey(svy: Any) -> None:
    """The models' first argument must be a Survey (one wording for every model)."""
    from surveykit.survey import Survey

    if not isinstance(svy, Survey):
        raise ModelError(
            f"svy must be a surveykit.Survey; got {type(svy).__name__}. Build one with sk.Survey(data, sk.Design(...))."
        )


def model_design(svy: Any, mf: ModelFrame) -> ModelDesign:
    """Zero the weights of incomplete rows (as ``svyglm``'s ``design[-nas, ]``) and check rank.

    Raises
    ------
    ModelError
        No complete row with positive weight, or model columns that are linearly dependent.
    """
    rd = svy.resolved
    complete = bool(mf.keep.all())
    w_all = rd.weights if complete else np.where(mf.keep, rd.weights, 0.0)
    w = w_all if complete else w_all[mf.keep]
    positive = w > 0
    if not positive.any():
        raise ModelError(
            f"model {mf.formula!r} needs complete rows with positive weight; got none. "
            "Check the variables for missing values and the domain."
        )
    _check_rank(mf.X, positive, mf)
    cols = list(dict.fromkeys([*mf.variables, *mf.response_variables]))
    data = svy.analysis_data()[cols].reset_index(drop=True)
    data = data if complete else data.loc[mf.keep].reset_index(drop=True)
    design = getattr(svy, "design", None)
    desc = design.describe() if design is not None and hasattr(design, "describe") else "each row a PSU, weight 1"
    n_psu, n_strata = _counts(rd, w_all)
    return ModelDesign(
        w=w,
        rd=rd if complete else rd.with_weights(w_all),
        keep=mf.keep,
        data=data,
        description=desc,
        n_psu=n_psu,
        n_strata=n_strata,
    )


def check_response_varies(mf: Any, w: np.ndarray) -> None:
    """Refuse a response with one value among the complete rows with positive weight.

    Such a model has no finite estimate (every fit looks "separated"), so the message says what
    is wrong instead of warning about separation.
    """
    yf = mf.y_frame.to_numpy()[np.asarray(w) > 0]
    level = re.compile(r"^.*\[(?:T\.)?(.*)\]$")  # patsy's "y[a]" / "y[T.a]" indicator columns
    if mf.y_frame.shape[1] > 1 or level.match(str(mf.y_frame.columns[0])):  # categorical response
        names = [level.sub(r"\1", str(c)) for c in mf.y_frame.columns]
        values = np.asarray(names, dtype=object)[np.argmax(yf, axis=1)]
    else:
        values = yf[:, 0]
    uniq = pd.unique(pd.Series(values).dropna())
    if len(uniq) != 1:
        return
    value = uniq[0].item() if hasattr(uniq[0], "item") else uniq[0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raise ModelError(
        f"the response {mf.response!r} of {mf.formula!r} must vary among the complete rows with "
        f"positive weight; it is constant: all {len(values)} rows have {value!r}. A model cannot "
        "explain a constant outcome: report its share instead (e.g. Survey.proportion), or check "
        "the domain, the missing-value codes and the recoding that left only this value."
    )


def _check_rank(X: np.ndarray, positive: np.ndarray, mf: ModelFrame) -> None:
    """Full column rank over the rows with positive weight: a p x p check of the scaled Gram
    matrix (one blocked pass); the SVD/QR of those rows only when that check fails."""
    from surveykit.models._glm import weighted_gram

    gram = weighted_gram(X, positive.astype(float))
    scale = np.sqrt(np.diag(gram))
    if np.all(scale > 0) and np.linalg.eigvalsh(gram / np.outer(scale, scale)).min() > 1e-10:
        return
    X = X[positive]
    rank = np.linalg.matrix_rank(X)
    if rank == X.shape[1]:
        return
    _, r = np.linalg.qr(X)
    weak = np.abs(np.diag(r)) <= 1e-10 * np.abs(np.diag(r)).max()
    cols = [c for c, bad in zip(mf.columns, weak) if bad] or list(mf.columns[rank:])
    raise ModelError(
        f"model {mf.formula!r} must have linearly independent columns; got {X.shape[1] - rank} "
        f"aliased ({', '.join(cols)}). Drop the term or merge sparse categories."
    )


def sandwich(fit: Any, md: ModelDesign) -> np.ndarray:
    """``A^-1 B A^-1``: B is the design variance of the score rows (R ``svy.varcoef``).

    R forms the influence rows ``scores @ A^-1`` and takes their design variance; the design
    variance is a quadratic form in the rows (calibration residuals are linear in them too),
    so ``V(scores @ M) = M' V(scores) M`` and we skip the n x p product.
    """
    inv = np.linalg.pinv(fit.info)  # pinv: a diverged (separated) ML fit has a singular A
    return inv.T @ design_scores_vcov(fit.scores, md) @ inv


def design_scores_vcov(scores: np.ndarray, md: ModelDesign) -> np.ndarray:
    """Design variance (``svyrecvar``) of the complete-case score rows, zero on other rows."""
    from surveykit.design.variance import design_vcov

    if md.keep.all():
        return design_vcov(scores, md.rd)
    full = np.zeros((md.keep.size, scores.shape[1]), order="F")
    full[md.keep] = scores
    return design_vcov(full, md.rd)
