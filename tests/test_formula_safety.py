"""Formulas are data, never code: planted payloads through the API and the CLI run nothing."""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
import yaml

import surveykit as sk
from surveykit.errors import SurveykitError
from surveykit.report.plan import load_plan

# Each payload would create the file {p} if the formula were evaluated as Python.
PAYLOADS = [
    "y ~ I(x + 0*__import__('os').system('touch {p}'))",
    "y ~ x + __import__('os').system('touch {p}')",
    "y ~ I(open('{p}', 'w'))",
    "y ~ I(x.__class__.__base__.__subclasses__())",
    "y ~ I((lambda: __import__('os').system('touch {p}'))())",
    "y ~ I([__import__('os').system('touch {p}') for _ in [1]])",
    "y ~ I(eval(\"open('{p}', 'w')\"))",
    "y ~ I(x if open('{p}', 'w') else x)",
    "y ~ np.save('{p}', x)",
    "y ~ I(np.save('{p}', x))",
    "y ~ np.lib.npyio.save('{p}', x)",
    "y ~ C(x, __import__('os').system('touch {p}'))",
    "y ~ C(__import__('os').system('touch {p}'))",
    "y ~ C(g, Treatment(reference=__import__('os').system('touch {p}')))",
    "I(__import__('os').system('touch {p}')) ~ x",
    "y ~ I(x.isin([__import__('os').system('touch {p}')]))",
    "y ~ I(__builtins__)",
    "y ~ I(Q.__globals__)",
    "y ~ Q('x') + Q(open('{p}', 'w'))",
    "y ~ I(x) + I(__import__('pathlib').Path('{p}').touch())",
    "y ~ I(exec('import os; os.system(\"touch {p}\")'))",
    "y ~ I(log(x) + __import__('os').system('touch {p}'))",
]


def survey() -> sk.Survey:
    rng = np.random.default_rng(5)
    n = 120
    data = pd.DataFrame(
        {"y": rng.integers(0, 2, n), "x": rng.normal(size=n), "g": rng.choice(list("ab"), n), "w": np.ones(n)}
    )
    return sk.Survey(data, sk.Design(weights="w"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_through_the_api_run_nothing(tmp_path, payload):
    target = tmp_path / "pwned"
    formula = payload.format(p=target.as_posix())
    for fit in (sk.models.logistic, sk.models.ordinal_logistic):
        with pytest.raises(SurveykitError) as info:
            fit(survey(), formula)
        assert not target.exists()
        assert str(info.value).startswith(f"formula {formula!r} must ")


def test_the_safe_forms_still_fit():
    res = sk.models.logistic(survey(), "y ~ I(x ** 2) + C(g) + log(abs(x)) + I(x > 0.5)")
    assert list(res.coef["term"]) == ["Intercept", "C(g)[T.b]", "I(x > 0.5)[T.True]", "I(x ** 2)", "log(abs(x))"]


def _plan_with(tmp_path, formula: str, kind: str = "logistic"):
    bundled = load_plan("worker_brief").path or files("surveykit.reports") / "worker_brief.yaml"
    plan = yaml.safe_load(bundled.read_text(encoding="utf-8"))
    model = next(s for s in plan["sections"] if s["type"] == "model")
    plan["sections"] = [{**model, "kind": kind, "formula": formula}]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "payload, kind",
    [
        ("join_yes ~ age10 + I(age10 + 0*__import__('os').system('touch {p}'))", "logistic"),
        ("join_intent ~ C(emp_grp, Treatment(reference=open('{p}', 'w')))", "ordinal"),
        ("join_yes ~ age10 + np.save('{p}', age10)", "logistic"),
    ],
)
def test_payloads_through_the_cli_exit_2_with_one_line(tmp_path, payload, kind):
    target = tmp_path / "pwned"
    path = _plan_with(tmp_path, payload.format(p=target.as_posix()), kind)
    out = subprocess.run(
        [sys.executable, "-m", "surveykit", "brief", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("surveykit: error: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr and "must" in out.stderr and "at column" in out.stderr
    assert not target.exists()
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))
