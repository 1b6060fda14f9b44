"""sk.as_replicate BRR/Fay use R brrweights' Hadamard matrices and assignment, so the replicate
factors equal R's exactly (tests/golden/r/replicate.R saved R's factors; replicate_models.R
R's survey::hadamard(n) for a selection of strata counts)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.design.replicate_hadamard import r_hadamard

HERE = Path(__file__).parent
HAD = json.loads((HERE / "golden" / "replicate_models.json").read_text())["hadamard"]
REP = json.loads((HERE / "golden" / "replicate.json").read_text())


@pytest.mark.parametrize("case", HAD, ids=lambda c: f"n{c['n']}")
def test_hadamard_matrices_are_rs(case):
    h = r_hadamard(case["n"])
    k = case["order"]
    want = np.array(list(case["bits"]), dtype=np.int8).reshape(k, k, order="F")
    assert h is not None
    np.testing.assert_array_equal(h, want)


def test_hadamard_matrices_are_hadamard_and_large_enough():
    none = []
    for n in range(1, 261):
        h = r_hadamard(n)
        if h is None:
            none.append(n)
            continue
        pm = 2.0 * h - 1.0
        assert h.shape[0] > n
        np.testing.assert_array_equal(pm @ pm.T, h.shape[0] * np.eye(h.shape[0]))
    # where R uses its tabulated order-28 and -36 matrices
    assert none == [*range(24, 28), *range(32, 36), *range(48, 56), *range(68, 72), *range(108, 112),
                    *range(140, 144), *range(220, 224)]  # fmt: skip


def _paired() -> pd.DataFrame:
    df = pd.read_csv(HERE / "data" / "api" / "apistrat.csv").sort_values(["stype", "snum"], kind="stable")
    df = df.reset_index(drop=True)
    df["pair"] = df["stype"] + " " + (df.groupby("stype").cumcount() // 2).astype(str)
    assert df["snum"].tolist() == REP["pair_order"]
    return df


@pytest.mark.parametrize("kind,file,rho", [("BRR", "brr.csv", None), ("Fay", "fay.csv", 0.5)])
def test_as_replicate_brr_and_fay_are_rs_replicates(kind, file, rho):
    df = _paired()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svy = sk.as_replicate(sk.Survey(df, sk.Design(ids="snum", strata="pair", weights="pw")), type=kind,
                              fay_rho=rho)  # fmt: skip
    want = pd.read_csv(HERE / "data" / "replicate" / file).drop(columns="snum").to_numpy()
    got = svy.resolved.repweights / df["pw"].to_numpy()[:, None]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    g = REP["as_replicate"][kind.lower()]
    rel = dict(rtol=1e-10, atol=0)
    np.testing.assert_allclose(svy.mean(["api00", "api99"]).se, g["mean_se"], **rel)
    np.testing.assert_allclose(svy.ratio("api00", "api99").se, g["ratio_se"], **rel)
    np.testing.assert_allclose(svy.mean("api00", by="stype").se, g["by_mean_se"], **rel)
    np.testing.assert_allclose(svy.var(["api00", "api99"]).se, g["var_se"], **rel)
    assert svy.resolved.degf == g["degf"]


def test_strata_are_assigned_in_rs_string_order():
    """R sorts stratum names as strings ("10" before "2"); a numeric stratum column gets the same rows."""
    df = _paired()
    codes = {name: i for i, name in enumerate(sorted(df["pair"].unique(), key=lambda s: (s[0], int(s[2:]))))}
    df["pair_num"] = df["pair"].map(codes).astype(float)  # numbers whose string order differs from the labels'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        num = sk.as_replicate(sk.Survey(df, sk.Design(ids="snum", strata="pair_num", weights="pw")), type="BRR")
    order = sorted(codes.values(), key=str)  # "0", "1", "10", "100", "11", ...
    h = r_hadamard(len(codes))
    assert h is not None
    rows_by_stratum = {c: i + 1 for i, c in enumerate(order)}
    first = df.groupby("pair_num").head(1).index  # first school of each pair, in data order
    f = num.resolved.repweights / df["pw"].to_numpy()[:, None]
    for i in first[:10]:
        row = rows_by_stratum[int(df.loc[i, "pair_num"])]
        np.testing.assert_array_equal(f[i] == 2.0, h[row] == 1)
