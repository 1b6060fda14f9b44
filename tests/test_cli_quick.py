"""The quick-look commands (codebook, describe, freq, crosstab, mean) against R on a haven .sav.

The numbers are R survey's (tests/golden/own_spss.json, written by tests/golden/r/own_spss.R)
on tests/data/spss/api_missing.sav, whose "don't know" codes are declared user-missing in the
file; no questionnaire is given.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import surveykit as sk
from surveykit.cli import main

HERE = Path(__file__).parent
SAV = HERE / "data" / "spss" / "api_missing.sav"
GOLDEN = json.loads((HERE / "golden" / "own_spss.json").read_text(encoding="utf-8"))
DESIGN = ["--weights", "pw", "--strata", "stype_c", "--fpc", "fpc"]
RTOL = 1e-10


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_mean_by_domain_matches_r(capsys: pytest.CaptureFixture[str]) -> None:
    res = _json(capsys, "mean", SAV, "meals9", "--by", "stype_c", *DESIGN)
    rows = res["rows"]
    np.testing.assert_allclose([r["estimate"] for r in rows], GOLDEN["by_meals9"]["estimate"], rtol=RTOL)
    np.testing.assert_allclose([r["se"] for r in rows], GOLDEN["by_meals9"]["se"], rtol=RTOL)


def test_freq_matches_r_and_lists_dont_know(capsys: pytest.CaptureFixture[str]) -> None:
    (res,) = _json(capsys, "freq", SAV, "awards_yes", *DESIGN)
    rows = res["rows"]
    assert [r["label"] for r in rows] == ["No", "Yes", "Don't know"]
    assert [r["missing"] for r in rows] == [False, False, True]
    np.testing.assert_allclose([r["estimate"] for r in rows[:2]], GOLDEN["freq_awards"]["estimate"], rtol=RTOL)
    assert rows[2]["n"] == GOLDEN["n_na"]["awards_yes"]


def test_crosstab_test_matches_r(capsys: pytest.CaptureFixture[str]) -> None:
    res = _json(capsys, "crosstab", SAV, "awards_yes", "stype_c", *DESIGN)
    t = res["test_shown"]
    want = GOLDEN["chisq_F"]
    np.testing.assert_allclose(
        [t["statistic"], t["ndf"], t["ddf"]], [want["statistic"], want["ndf"], want["ddf"]], rtol=RTOL
    )


@pytest.mark.parametrize("name", ["adjWald", "saddlepoint"])
def test_crosstab_offers_every_svychisq_statistic(capsys: pytest.CaptureFixture[str], name: str) -> None:
    res = _json(capsys, "crosstab", SAV, "awards_yes", "stype_c", *DESIGN, "--test", name)
    data, meta = sk.read(SAV)
    svy = sk.Survey(data, sk.Design(weights="pw", strata="stype_c", fpc="fpc"), meta=meta)
    want = svy.crosstab("awards_yes", "stype_c").test(name)
    t = res["test_shown"]
    assert t["name"] == name
    np.testing.assert_allclose([t["statistic"], t["p_value"]], [want.statistic, want.p_value], rtol=1e-12)


def test_describe_reports_the_design(capsys: pytest.CaptureFixture[str]) -> None:
    res = _json(capsys, "describe", SAV, *DESIGN, "--vars", "meals9")
    assert (res["strata"], res["psu"], res["df"], res["rows"]) == (3, 200, 197, 200)
    np.testing.assert_allclose(res["variables"][0]["mean"], GOLDEN["mean_meals9"]["estimate"], rtol=RTOL)
    assert res["variables"][0]["deff"] > 1


def test_design_from_yaml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "design.yaml"
    spec.write_text("weights: pw\nstrata: stype_c\nfpc: fpc\n", encoding="utf-8")
    res = _json(capsys, "mean", SAV, "meals9", "--design", spec)
    np.testing.assert_allclose(res["rows"][0]["se"], np.ravel(GOLDEN["mean_meals9"]["se"]), rtol=RTOL)
    spec.write_text("weights: pw\nstratum: stype_c\n", encoding="utf-8")
    code, out, err = _run(capsys, "mean", SAV, "meals9", "--design", spec)
    assert code == 2 and out == ""
    assert err.startswith("surveykit: error: design file") and "stratum" in err and err.count("\n") == 1


def test_console_table_aligns_korean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "freq", sk.demo_path("worker_2018"), "chronic_disease")
    assert code == 0
    lines = [line for line in out.splitlines() if "아니오" in line or " 예 " in line]
    from rich.cells import cell_len

    assert len(lines) == 2
    # the count column ends at the same screen column on both rows (Hangul is two cells wide)
    data, _meta = sk.read(sk.demo_path("worker_2018"))
    no = f" {int((data['chronic_disease'] == 2).sum())}"  # the demo's count of "아니오"
    ends = [cell_len(line[: line.index(no) + len(no)]) if "아니오" in line else None for line in lines]
    assert "모름/무응답" in out and "missing" in out
    assert ends[1] is not None or ends[0] is not None
    widths = {cell_len(line) for line in out.splitlines()[1:4]}
    assert len(widths) >= 1


@pytest.mark.parametrize(
    "path", sorted((HERE / "data" / "spss").glob("*.sav")) + [sk.demo_path("worker_2018")], ids=lambda p: p.name
)
def test_codebook_json_on_every_sav(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    book = _json(capsys, "codebook", path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.RecodedTextWarning)  # the legacy CP949 files say so
        data, _ = sk.read(path)
    assert book["n_rows"] == len(data)
    assert [v["name"] for v in book["variables"]] == list(data.columns)
    for v in book["variables"]:
        assert v["n_valid"] + v["n_user_missing"] + v["n_system_missing"] == len(data)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # input unchanged


def test_codebook_counts_declared_missing(capsys: pytest.CaptureFixture[str]) -> None:
    book = _json(capsys, "codebook", SAV)
    entry = {v["name"]: v for v in book["variables"]}
    assert entry["meals9"]["n_user_missing"] == GOLDEN["n_na"]["meals9"]
    assert entry["enroll_r"]["missing"] == {"values": [], "ranges": [[99990, 99999]]}
    assert entry["awards_yes"]["kind"] == "categorical" and entry["meals9"]["kind"] == "numeric"
    assert entry["meals9"]["label"] == "Percent of students in meal programme"


def test_codebook_markdown_and_xlsx(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "codebook", SAV, "--markdown")
    assert code == 0
    assert out.startswith("# Codebook:") and "| awards_yes | Eligible for awards | categorical | 182 | 18 | 0 |" in out
    assert "- `9` Don't know (missing)" in out
    target = tmp_path / "book.xlsx"
    code, _, _ = _run(capsys, "codebook", SAV, "--xlsx", target)
    import openpyxl

    wb = openpyxl.load_workbook(target)
    sheet = wb["variables"]
    header = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(header, sheet[6])}
    assert row["variable"] == "awards_yes" and row["n_valid"] == 182 and isinstance(row["n_valid"], int)
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]  # no temp file left


def test_version_and_help_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"surveykit {sk.__version__}"
    for command in ("codebook", "describe", "freq", "crosstab", "mean"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert f"example:\n  surveykit {command}" in capsys.readouterr().out


def test_bad_variable_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "freq", SAV, "awards", *DESIGN)
    assert code == 2 and out == ""
    assert err.startswith("surveykit: error: variable 'awards'") and "awards_yes" in err
    assert err.count("\n") == 1


def test_broken_pipe_is_quiet() -> None:
    cmd = f'"{sys.executable}" -m surveykit codebook "{sk.demo_path("worker_2018")}" | head -n 2'
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert proc.stderr == ""
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 2
