"""Weighting a replicate design (R postStratify / calibrate / rake on svrepdesign): every
replicate's weights get the same adjustment, so the replicate variance includes the weighting.
Against R survey 4.1-1 (tests/golden/r/replicate.R -> replicate.json, "weighted")."""

from __future__ import annotations

import numpy as np
import pytest
from test_replicate import G, close, jk1_columns, strat

import surveykit as sk
from surveykit.errors import DesignError

POP = {"E": 4421, "H": 755, "M": 1018}


def _svy():
    return sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15))


def _weighted(kind):
    svy = _svy()
    if kind == "poststratify":
        return sk.weighting.poststratify(svy, "stype", POP)
    if kind == "calibrate":
        return sk.weighting.calibrate(
            svy, "~ stype + api99", {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069}
        )
    return sk.weighting.rake(
        svy, {"stype": POP, "sch.wide": {"No": 1100, "Yes": 5094}}, max_iter=200, epsilon=1e-14
    )  # R: control = list(maxit = 200, epsilon = 1e-14)


@pytest.mark.parametrize("kind", ["poststratify", "calibrate", "rake"])
def test_weighting_a_replicate_design_matches_r(kind):
    svy = _weighted(kind)
    g = G["weighted"][kind]
    m = svy.mean(["api00", "api99"])
    close(m.estimate, g["mean"])
    # calibrating on api99 makes its mean exact: both SEs are rounding noise (~1e-12)
    close(m.se, g["mean_se"], rel=1e-9, abs_=1e-11)
    close(svy.total("enroll").se, g["total_se"], rel=1e-9)
    assert svy.resolved.degf == g["degf"]
    assert svy.history[-1].startswith(kind)
    # every replicate meets the population counts too
    rep = svy.resolved.repweights
    if kind != "calibrate":
        codes = svy.data["stype"].map({"E": 0, "H": 1, "M": 2}).to_numpy()
        sums = np.stack([np.bincount(codes, weights=rep[:, r], minlength=3) for r in range(rep.shape[1])])
        close(sums, np.tile([4421.0, 755.0, 1018.0], (rep.shape[1], 1)), rel=1e-9)


def test_weighting_a_replicate_domain_keeps_rows_outside_at_zero():
    svy = _svy()
    dom = svy.domain(svy.data["sch.wide"].to_numpy() == "Yes")
    ps = sk.weighting.poststratify(dom, "stype", POP)
    outside = dom.resolved.weights == 0
    assert np.all(ps.resolved.repweights[outside] == 0)
    assert np.all(ps.resolved.weights[outside] == 0)


def test_other_reweighting_of_a_replicate_design_is_refused():
    svy = sk.as_replicate(sk.Survey(strat(), sk.Design(strata="stype", weights="pw")), type="JKn")
    with pytest.raises(DesignError, match="can only be restricted to a domain"):
        sk.weighting.trim(svy, upper=40)
