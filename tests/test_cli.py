"""The command line: right outputs, and bad input exits 2 with one line and no traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from surveykit.cli import main


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "surveykit", *args], capture_output=True, text=True, cwd=cwd)


def test_reproduce_json_all_match():
    out = run("reproduce", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {tuple(sorted(r)) for r in rows} == {("computed", "key", "match", "published", "survey")}
    survey_rows = [r for r in rows if r["match"] is not None]
    assert len(survey_rows) == 55 and all(r["match"] for r in survey_rows)
    join = next(r for r in rows if r["key"] == "join_intent_somewhat" and r["survey"] == "organisation")
    assert join["published"] == 50 and join["computed"] == 50


def test_validate_demo_file_prints_report(capsys):
    from surveykit.report.prepare import demo_path

    code = main(["validate", str(demo_path("worker_2018")), "--instrument", "worker_2018", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["n_errors"] == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["validate", "nope.sav", "--instrument", "worker_2018"], "nope.sav"),
        (["validate", "{demo}", "--instrument", "worker_2019"], "worker_2019"),
        (["reproduce", "--data", "a.sav", "b.sav"], "a.sav"),
        (["brief", "no_such_brief"], "no_such_brief"),
        (["brief", "worker_brief", "--data", "missing.sav", "--out", "{tmp}"], "missing.sav"),
    ],
)
def test_bad_input_exits_2_without_traceback(tmp_path, args, message):
    from surveykit.report.prepare import demo_path

    args = [a.replace("{demo}", str(demo_path("worker_2018"))).replace("{tmp}", str(tmp_path)) for a in args]
    out = run(*args)
    assert out.returncode == 2
    assert out.stderr.startswith("surveykit: error: ")
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert not any(tmp_path.rglob("*.pdf"))


def test_synth_writes_demo_files(tmp_path):
    out = run("synth", "--seed", "7", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["organisation_2018.csv", "organisation_2018.sav", "worker_2018.csv", "worker_2018.sav"]
    check = run("reproduce", "--data", str(tmp_path / "organisation_2018.sav"), str(tmp_path / "worker_2018.sav"))
    assert check.returncode == 0, check.stdout[-2000:]


def test_brief_out_pointing_at_a_file_exits_2(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    out = run("brief", "combined_brief", "--out", str(blocker))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "must be a folder; it is a file" in out.stderr
