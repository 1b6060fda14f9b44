"""One comparison of two coefficient tables for the lazy-versus-in-memory model tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

RTOL = 1e-10
COLS = ["estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]


def same_coefs(want: pd.DataFrame, got: pd.DataFrame, cols: list[str] = COLS, rtol: float = RTOL) -> float:
    """Term for term equality of two coefficient tables to *rtol*; the largest relative difference."""
    assert got["term"].tolist() == want["term"].tolist()
    a, b = want[cols].to_numpy(float), got[cols].to_numpy(float)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=0)
    return float(np.max(np.abs(b / a - 1)))
