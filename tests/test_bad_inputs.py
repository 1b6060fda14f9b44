"""The bad-input corpus (tests/data/bad/cases.yaml, written by make_cases.py).

Every case, through the command line: exit 2, one line ``surveykit: error: ...`` matching the
case's pattern, no traceback, nothing written to stdout, no output left behind, the input files
unchanged, and no file planted by a payload ("pwned") anywhere.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml

from surveykit.cli import main

HERE = Path(__file__).parent
BAD = HERE / "data" / "bad"
ROOT = HERE.parent
CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_corpus_is_large_and_covers_every_command() -> None:
    assert len(CASES) >= 60
    assert {c["argv"][0] for c in CASES} >= {"brief", "validate", "codebook", "freq", "mean", "crosstab"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_exits_2_with_one_line(
    case: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a payload's relative 'pwned' would land here
    out = tmp_path / "out"
    argv = [a.replace("{bad}", str(BAD)).replace("{out}", str(out)).replace("{root}", str(ROOT)) for a in case["argv"]]
    before = _digest(BAD)
    code = main(argv)
    stdout, stderr = capsys.readouterr()
    lines = [line for line in stderr.splitlines() if not line.startswith("surveykit: warning:")]
    assert code == 2, stderr
    assert len(lines) == 1 and lines[0].startswith("surveykit: error: "), stderr
    assert re.search(case["expect"], lines[0]), lines[0]
    assert "Traceback" not in stderr and stdout == ""
    assert not out.exists() or not any(out.rglob("*")), list(out.rglob("*"))
    assert _digest(BAD) == before
    assert not list(tmp_path.rglob("pwned")) and not (ROOT / "pwned").exists()
