"""docs/tutorial.md runs as written: its sh, yaml and python blocks, in a folder holding only the .sav.

A ``yaml`` block whose first line is ``# <name>`` is written to that file; each ``surveykit ...``
line of a ``sh`` block (after the files are written) runs as ``python -m surveykit`` (exit 0); ``python`` blocks run
with ``python -c``; each in a fresh process in that folder.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
SAV = ROOT / "tests" / "data" / "spss" / "api_missing.sav"
STUDY_WORDS = re.compile(r"2018|공제회|mutual-aid|사회적경제|third-sector|Seoul|서울|synthetic|합성", re.I)


def _blocks() -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)\n(.*?)^```", TUTORIAL.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_tutorial_has_three_commands_a_plan_and_python():
    kinds = [k for k, _ in _blocks()]
    assert kinds == ["sh", "yaml", "sh", "python"]
    first = _blocks()[0][1].strip().splitlines()
    assert len(first) == 3 and first[0].startswith("surveykit codebook") and first[2].startswith("surveykit brief")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_tutorial_runs_as_written(tmp_path):
    """Each command and the Python block run in a fresh process in the reader's folder, as a reader would."""
    shutil.copy(SAV, tmp_path / SAV.name)
    for kind, body in _blocks():  # the files the text shows first (the plan is shown after the commands)
        if kind == "yaml":
            name = body.splitlines()[0].lstrip("# ").strip()
            (tmp_path / name).write_text(body, encoding="utf-8")
    for kind, body in _blocks():
        if kind == "sh":
            for line in filter(None, (ln.strip() for ln in body.splitlines())):
                argv = shlex.split(line)
                assert argv[0] == "surveykit"
                out = subprocess.run(
                    [sys.executable, "-m", "surveykit", *argv[1:]], capture_output=True, text=True, cwd=tmp_path
                )
                assert out.returncode == 0, (line, out.stderr)
                if argv[1] == "mean":
                    assert re.search(r"meals9\s+47\.7754\s+2\.4190", out.stdout)  # R: svymean 47.77538, SE 2.419036
        elif kind == "python":
            out = subprocess.run([sys.executable, "-c", body], capture_output=True, text=True, cwd=tmp_path)
            assert out.returncode == 0, out.stderr
            assert "Frequency: awards_yes" in out.stdout and "Don't know" in out.stdout
    pdf = tmp_path / "out" / "api_brief" / "api_brief.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "6,194 California schools" in text and "stratified by stype_c, no clusters, weights pw, fpc fpc" in text
    assert not STUDY_WORDS.search(text)
    assert (tmp_path / "questionnaire.yaml").read_text(encoding="utf-8").startswith("# Questionnaire drafted by")
