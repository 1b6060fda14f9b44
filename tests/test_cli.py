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


# --- interrupted briefs leave no staging folder -------------------------------------------


def _staging(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "-staging-" in p.name) if folder.exists() else []


def test_sigterm_during_a_brief_removes_the_staging_folder(tmp_path):
    import signal
    import time

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "surveykit", "brief", "organisation_brief", "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not _staging(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _staging(out), "the build never created its staging folder"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr and "surveykit: terminated" in stderr
    assert list(out.iterdir()) == []  # no staging folder, no partial brief


def test_a_stale_staging_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path):
    import os
    import time

    import yaml

    from surveykit.report.build import build_brief

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)
    out = tmp_path / "out"
    stale = out / f".probe-staging-{dead_pid}-abc123"
    old = out / f".probe-staging-{os.getppid()}-old999"  # live PID, but two days old
    live = out / f".probe-staging-{os.getppid()}-live42"  # a build running right now
    other = out / ".not-ours"
    for folder in (stale, old, live, other):
        folder.mkdir(parents=True)
        (folder / "probe.html").write_text("<html><body>partial")
    two_days = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days, two_days))
    plan = {
        "id": "probe",
        "lang": "ko",
        "surveys": {"org": {"instrument": "organisation_2018", "data": "demo"}},
        "sections": [{"type": "overview"}],
    }
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    outputs = build_brief(tmp_path / "plan.yaml", out=out)
    assert _staging(out) == [live.name]
    assert other.exists() and all(p.exists() for p in outputs)


def test_keyboard_interrupt_removes_the_staging_folder_and_restores_sigterm(tmp_path, monkeypatch):
    import signal

    import yaml

    from surveykit.report import render
    from surveykit.report.build import build_brief

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "write_pdf", interrupted)
    plan = {
        "id": "probe",
        "lang": "ko",
        "surveys": {"org": {"instrument": "organisation_2018", "data": "demo"}},
        "sections": [{"type": "overview"}],
    }
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        build_brief(tmp_path / "plan.yaml", out=tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before
