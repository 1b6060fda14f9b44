"""Multiple-response sets in a plan without a questionnaire: from the file's MRSETS records, or
declared in the plan over 0/1 columns of any names (not only ``<var>_<code>``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from surveykit.errors import ReportError
from surveykit.report.build import build_document
from surveykit.report.plan import load_plan

HERE = Path(__file__).parent
MR = HERE / "data" / "spss" / "mr_cp949.sav"


def _plan(tmp_path: Path, data: Path, set_name: str, **survey) -> Path:
    raw = {
        "id": "mr",
        "lang": "ko",
        "surveys": {"s": {"data": str(data), **survey}},
        "sections": [{"type": "multiple_response", "survey": "s", "set": set_name}],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _table(path: Path, lang: str = "ko"):
    doc, ctx = build_document(load_plan(path), lang=lang)
    table = doc.sections[0].blocks[0]
    rows = [tuple(getattr(c, "value", c) for c in r) for r in table.rows]
    return table, rows, {r["key"]: r for r in ctx.records}


def test_set_from_the_files_mrsets_record(tmp_path):
    table, rows, records = _table(_plan(tmp_path, MR, "fund"))
    assert table.caption == "재원"
    # 3 respondents per item: below min_n, so the counts are hidden with the shares
    assert [r[0] for r in rows] == ["정부", "기부", "회비"] and [r[1] for r in rows] == [None, None, None]
    assert [r[1].flag for r in table.rows] == ["suppressed"] * 3
    assert records["s.fund_b"]["estimate"] == pytest.approx(0.5) and records["s.fund_b"]["n"] == 3


def test_set_declared_in_the_plan_over_any_column_names(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "rid": range(1, 11),
            "src.gov": [1] * 7 + [0] * 3,
            "srcDonation": [1, 1] + [0] * 8,
            "fees": [1, 0] * 5,
            "w": rng.uniform(1, 3, 10).round(2),
        }
    )
    csv = tmp_path / "d.csv"
    frame.to_csv(csv, index=False)
    path = _plan(
        tmp_path,
        csv,
        "sources",
        design={"weights": "w"},
        mr_sets={
            "sources": {
                "columns": ["src.gov", "srcDonation", "fees"],
                "label": {"ko": "재원", "en": "Funding sources"},
                "options": [{"ko": "정부", "en": "Government"}, "기부", {"en": "Fees"}],
            }
        },
    )
    table, rows, records = _table(path, "en")
    assert table.caption == "Funding sources" and [r[0] for r in rows] == ["Government", "기부", "Fees"]
    w = frame["w"].to_numpy()
    for col, key in (("src.gov", "s.src.gov"), ("srcDonation", "s.srcDonation"), ("fees", "s.fees")):
        assert records[key]["estimate"] == pytest.approx(float((w * frame[col]).sum() / w.sum()), rel=1e-12)
    assert [records[k]["n"] for k in ("s.src.gov", "s.srcDonation", "s.fees")] == [7, 2, 5]


@pytest.mark.parametrize(
    "sets, message",
    [
        ({"x": {"columns": ["fund_a"]}}, r"surveys\.s\.mr_sets\.x\.columns must list at least 2 different columns"),
        (
            {"x": {"columns": ["fund_a", "fund_b"], "options": ["a"]}},
            r"mr_sets\.x\.options must label every column \(2\); got 1",
        ),
        ({"x": {"label": "y"}}, r"mr_sets\.x\.columns is required"),
    ],
)
def test_bad_declarations_name_the_key(tmp_path, sets, message):
    with pytest.raises(ReportError, match=message):
        load_plan(_plan(tmp_path, MR, "x", mr_sets=sets))


def test_declared_set_over_unknown_or_taken_columns_is_refused(tmp_path):
    with pytest.raises(ReportError, match=r"mr_sets: set 'x': column 'nope' must be a single-column question"):
        build_document(load_plan(_plan(tmp_path, MR, "x", mr_sets={"x": {"columns": ["Q1a", "nope"]}})))
    with pytest.raises(ReportError, match=r"column 'fund_a' must be .* it is in a multi question"):
        build_document(load_plan(_plan(tmp_path, MR, "x", mr_sets={"x": {"columns": ["fund_a", "age"]}})))
