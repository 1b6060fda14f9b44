"""Helpers of the lazy-versus-in-memory model tests: one comparison of two coefficient tables,
and one recorder of the queries a lazy survey sends to its engine."""

from __future__ import annotations

from typing import Any

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


def record_queries(monkeypatch: Any, lazy: Any) -> list[tuple[str, list[Any]]]:
    """Every query *lazy* sends to its engine from now on, as (SQL text, bound parameters)."""
    seen: list[tuple[str, list[Any]]] = []
    fetch = type(lazy.scan).fetch

    def recording(self: Any, sql: str, params: Any = None) -> Any:
        seen.append((sql, list(params or [])))
        return fetch(self, sql, params)

    monkeypatch.setattr(type(lazy.scan), "fetch", recording)
    return seen
