"""Corrupted SPSS files never take the process down: a crash in the C reader is a ReadError.

The mutations are made in the test from the bundled demo file (nothing corrupt is committed).
The pinned recipe (byte 740 set to 46) makes pyreadstat segfault when read in-process; through
``sk.read`` the reader runs in a child process, so the parent gets a ReadError naming the file.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import surveykit as sk
from surveykit.errors import ReadError, SurveykitWarning

DEMO = Path(sk.demo_path("organisation_2018"))


def _mutant(tmp_path: Path, edits: dict[int, int], name: str = "broken.sav", cut: int | None = None) -> Path:
    data = bytearray(DEMO.read_bytes())
    for offset, value in edits.items():
        data[offset] = value
    path = tmp_path / name
    path.write_bytes(bytes(data[:cut] if cut else data))
    return path


def test_segfaulting_file_is_a_read_error(tmp_path: Path) -> None:
    path = _mutant(tmp_path, {740: 46})
    raw = subprocess.run(
        [sys.executable, "-c", f"import pyreadstat; pyreadstat.read_sav({str(path)!r})"],
        capture_output=True,
        timeout=120,
    )
    assert raw.returncode < 0  # the C reader really crashes on this file (signal)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ReadError, match=r"could not be parsed: the SPSS reader crashed \(signal 11\)") as exc:
        sk.read(path)
    assert "broken.sav" in str(exc.value) and "Re-export it" in str(exc.value)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_cli_exits_2_with_one_line_on_a_crashing_file(tmp_path: Path) -> None:
    path = _mutant(tmp_path, {740: 46})
    proc = subprocess.run(
        [sys.executable, "-m", "surveykit", "validate", str(path), "--instrument", "organisation_2018"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("surveykit: error: data file") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


def test_byte_mutations_only_read_or_raise_read_error(tmp_path: Path) -> None:
    """Seeded single-byte flips over the header and dictionary, plus truncations (bounded)."""
    rng = random.Random(2018)
    size = DEMO.stat().st_size
    outcomes = {"read": 0, "ReadError": 0}
    cases = [({rng.randrange(0, min(size, 4000)): rng.randrange(256)}, None) for _ in range(40)]
    cases += [({}, rng.randrange(1, size)) for _ in range(10)]
    for i, (edits, cut) in enumerate(cases):
        path = _mutant(tmp_path, edits, f"m{i}.sav", cut)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SurveykitWarning)
            try:
                sk.read(path)
                outcomes["read"] += 1
            except ReadError:
                outcomes["ReadError"] += 1
    assert sum(outcomes.values()) == len(cases)
    assert outcomes["ReadError"] > 0


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.dictionaries(st.integers(0, 3999), st.integers(0, 255), min_size=1, max_size=4))
def test_property_mutated_sav_reads_or_raises_read_error(
    tmp_path_factory: pytest.TempPathFactory, edits: dict[int, int]
) -> None:
    path = _mutant(tmp_path_factory.mktemp("hyp"), edits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurveykitWarning)
        try:
            data, meta = sk.read(path)
        except ReadError as exc:
            assert str(path.name) in str(exc)
        else:
            assert len(data) == meta.n_rows


def test_a_relative_path_is_read_after_the_caller_changes_directory(tmp_path, monkeypatch):
    """The reader's child process keeps its own working directory; paths go to it absolute."""
    import shutil

    sk.read(DEMO)  # start the long-lived child in the current directory
    shutil.copy(DEMO, tmp_path / "copy.sav")
    monkeypatch.chdir(tmp_path)
    data, meta = sk.read("copy.sav")
    assert len(data) == 186 and meta.n_rows == 186
