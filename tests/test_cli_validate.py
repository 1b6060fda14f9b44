"""``surveykit validate``: one report block, honest "No issues found", exit codes 0 / 1 / 2.

0: no errors (warnings allowed); 1: errors, or warnings with ``--strict``; 2: bad input or usage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import surveykit as sk
from surveykit.cli import main
from surveykit.report.prepare import demo_path

HERE = Path(__file__).parent
MR = HERE / "data" / "spss" / "mr_cp949.sav"


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_file_one_block_no_issues_exit_0(capsys):
    code, out, err = _run(capsys, "validate", demo_path("worker_2018"), "--instrument", "worker_2018", "--strict")
    assert code == 0, err
    assert out.count("Validation report") == 1 and "No issues found." in out
    assert "errors      0" in out and "warnings    0" in out


def test_warnings_only_exit_0_but_1_with_strict_and_no_false_all_clear(capsys):
    # the drafted MR set labels its columns 1 = the option, the file 1 = '예': label warnings only
    code, out, _ = _run(capsys, "validate", MR)
    assert code == 0
    assert out.count("Validation report") == 1 and "No issues found" not in out
    assert "warnings    3" in out and "label_mismatch" in out and "errors      0" in out
    code, _, _ = _run(capsys, "validate", MR, "--strict")
    assert code == 1


def test_errors_exit_1_without_strict_and_json_has_both_checks(tmp_path, capsys):
    data, meta = sk.read(MR)
    draft = tmp_path / "q.yaml"
    assert main(["codebook", str(MR), "--instrument", str(draft)]) == 0
    data.loc[[1, 4], "region"] = 7  # a code the questionnaire does not have
    data.loc[2, "HHID"] = 1  # a duplicate id
    bad = tmp_path / "bad.csv"
    data.to_csv(bad, index=False)
    capsys.readouterr()
    code, out, _ = _run(capsys, "validate", bad, "--instrument", draft)
    assert code == 1
    assert out.count("Validation report") == 1 and "No issues found" not in out
    assert "invalid_code" in out and "duplicate_id" in out
    code, out, _ = _run(capsys, "validate", bad, "--instrument", draft, "--json")
    assert code == 1
    report = json.loads(out)
    checks = {(i["check"], i["variable"]) for i in report["issues"]}
    assert ("invalid_code", "region") in checks and ("duplicate_id", "HHID") in checks
    assert report["n_errors"] == 2 and [i["rows"] for i in report["issues"] if i["check"] == "invalid_code"] == [[2, 5]]


def test_file_metadata_findings_are_in_the_same_report(capsys):
    code, out, _ = _run(capsys, "validate", MR, "--json")
    report = json.loads(out)
    assert code == 0 and report["n_rows"] == 6 and report["n_warnings"] == 3
    assert {i["variable"] for i in report["issues"]} == {"fund_a", "fund_b", "fund_c"}


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "no_such.sav"],
        ["validate", "{mr}", "--instrument", "no_such_instrument"],
    ],
)
def test_bad_input_exits_2(argv, capsys):
    code, out, err = _run(capsys, *[a.replace("{mr}", str(MR)) for a in argv])
    assert code == 2 and out == "" and err.startswith("surveykit: error: ")


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    assert "the following arguments are required: file" in capsys.readouterr().err


def test_help_states_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = capsys.readouterr().out
    assert "0 no errors (warnings allowed), 1 errors found (or warnings, with --strict), 2 bad input" in out
