"""The result class of :mod:`surveykit.estimate`: :class:`Estimate`, one row per variable x level x
domain, with its column order (``COLUMNS``) and its frame, dict and summary views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.results import Printable, Summary, frame_records, jsonable

COLUMNS: tuple[str, ...] = (
    "variable", "domain", "level", "label", "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n",
    "weighted_n",
)  # fmt: skip
_NUMERIC = COLUMNS[4:]


@dataclass(frozen=True, slots=True, eq=False)
class Estimate(Printable):
    """Design-based estimates, one row per variable x level x domain.

    Attributes
    ----------
    statistic : str
        ``"mean"``, ``"total"``, ``"proportion"``, ``"ratio"`` or ``"quantile"``.
    variable, domain, level, label : tuple
        Row keys. ``domain`` is ``None`` without ``by=`` (a tuple for several ``by`` columns);
        ``level`` is the category of a proportion, the probability of a quantile, or ``None``;
        ``label`` is the level's value label for proportions, else the variable's label (the
        questionnaire's wording, else the file's variable label), ``None`` when there is none.
    estimate, se, ci_low, ci_high, df, deff, cv, n, weighted_n : numpy.ndarray
        Read-only columns. ``n`` is unweighted (rows in the estimand), ``weighted_n`` the sum
        of their weights; ``deff`` is NaN where not defined (quantiles, ``deff=False``).
    method, ci_method : str
        How the estimate and its interval were made.
    alpha : float
        ``1 - alpha`` is the interval's coverage.
    n_strata, n_psu : int
        First-stage strata and PSUs of the full design (0 and 0 for a replicate-weight design,
        which has neither).
    by : tuple of str
        Domain columns.
    """

    statistic: str
    variable: tuple[str, ...]
    domain: tuple[Any, ...]
    level: tuple[Any, ...]
    label: tuple[str | None, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: np.ndarray
    deff: np.ndarray
    cv: np.ndarray
    n: np.ndarray
    weighted_n: np.ndarray
    method: str
    ci_method: str
    alpha: float
    n_strata: int
    n_psu: int
    by: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in _NUMERIC:
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return len(self.variable)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame with columns ``variable, domain, level, label, estimate, se, ci_low, ci_high,
        df, deff, cv, n, weighted_n``."""
        data: dict[str, Any] = {c: list(getattr(self, c)) for c in COLUMNS[:4]}
        data.update({c: np.array(getattr(self, c)) for c in _NUMERIC})
        frame = pd.DataFrame(data, columns=list(COLUMNS))
        frame["n"] = frame["n"].astype(np.int64)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description: how it was made and one record per row."""
        meta = {
            "statistic": self.statistic, "method": self.method, "ci_method": self.ci_method,
            "alpha": self.alpha, "n_strata": self.n_strata, "n_psu": self.n_psu, "by": list(self.by),
            "notes": list(self.notes),
        }  # fmt: skip
        return jsonable({**meta, "rows": frame_records(self.to_frame())})

    def summary(self) -> Summary:
        """Printable summary (text and HTML)."""
        level = f"{100 * (1 - self.alpha):g}%"
        facts: tuple[tuple[str, str], ...] = (
            ("method", self.method),
            ("interval", f"{level} {self.ci_method}"),
            ("design", f"{self.n_strata} strata, {self.n_psu} PSUs" if self.n_psu else "replicate weights"),
        )
        if self.by:
            facts += (("domains", ", ".join(self.by)),)
        frame = self.to_frame()
        keep = [c for c in COLUMNS if c not in ("label",) or frame[c].notna().any()]
        keep = [c for c in keep if c != "domain" or self.by]
        keep = [c for c in keep if c != "level" or frame["level"].notna().any()]
        return Summary(title=f"Survey {self.statistic}", facts=facts, table=frame[keep], notes=self.notes)
