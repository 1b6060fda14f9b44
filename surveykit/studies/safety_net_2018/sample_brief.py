"""A fixed sample brief exercising every block kind (tests, benchmarks, a look at the style).

Percentages and counts are published figures of the 2018 safety-net surveys; their confidence
intervals are simple Wilson intervals (not design-based) and the odds ratios and profile values
are marked as illustrative: this document shows the renderer, not the statistics.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from surveykit.report.document import (
    Callout,
    Callouts,
    Cell,
    CellValue,
    Document,
    Flag,
    KeyValue,
    PageBreak,
    Section,
    Table,
    Text,
)

__all__ = ["sample_document", "wilson"]

_Z95 = 1.959963984540054  # standard normal 97.5% quantile

# organisation products: label, count, base (published-figures.yaml)
ORG_PRODUCTS = (
    ("보장성 상품 가입", 60, 186),
    ("보증상품 이용", 62, 186),
    ("최근 3년 대출상품 이용", 63, 186),
    ("제3섹터 공제로 자금조달", 24, 186),
)
WORKER_PRIVATE = (("실손보험", 270, 417), ("암보험", 208, 417), ("질병보험", 162, 417), ("저축성보험", 105, 417))


def wilson(count: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percent and Wilson 95% interval for counts out of bases (vectorised)."""
    count, base = np.asarray(count, float), np.asarray(base, float)
    p = count / base
    centre = (p + _Z95**2 / (2 * base)) / (1 + _Z95**2 / base)
    half = _Z95 * np.sqrt(p * (1 - p) / base + _Z95**2 / (4 * base**2)) / (1 + _Z95**2 / base)
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def _rows(
    spec: tuple[tuple[str, int, int], ...],
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[int], list[int]]:
    labels = [s[0] for s in spec]
    counts, bases = [s[1] for s in spec], [s[2] for s in spec]
    pct, lo, hi = wilson(np.array(counts), np.array(bases))
    return labels, pct, lo, hi, counts, bases


def _org_section(charts: bool) -> Section:
    from surveykit.report import charts as ch

    labels, pct, lo, hi, counts, bases = _rows(ORG_PRODUCTS)
    rows: list[tuple[Cell | CellValue, ...]] = [
        (lab, int(c), int(b), float(p), float(a), float(z))
        for lab, c, b, p, a, z in zip(labels, counts, bases, pct, lo, hi)
    ]
    rows.append(("제조·생산물 배상책임 (가입 조직 중)", 10, 60, Cell(16.7, "high_cv"), 9.3, 28.0))
    rows.append(
        (
            "기타 보장성 상품 (가입 조직 중)",
            2,
            60,
            Cell(3.3, "suppressed"),
            Cell(None, "suppressed"),
            Cell(None, "suppressed"),
        )
    )
    table = Table(
        "조직의 보장·금융상품 이용률",
        ("항목", "사례 수", "기준", "비율(%)", "하한", "상한"),
        tuple(rows),
        notes=("95% 신뢰구간은 Wilson 구간(예시).",),
        flags=(Flag("high_cv", "*", "변동계수(CV)가 30%를 넘어 해석에 주의"),),
        source="2018 제3섹터 조직 사회안전망 실태조사 (n=186)",
    )
    blocks: list = [
        Text(
            (
                "조직의 32.3%가 보장성 상품에 가입하였고, 33.3%가 보증상품을, 33.9%가 최근 3년간 "
                "대출상품을 이용하였다. 제3섹터 공제를 통한 자금조달은 12.9%에 그쳤다.",
            )
        ),
        table,
    ]
    if charts:
        blocks.append(
            ch.bar_ci(
                labels, pct, lo, hi, caption="조직의 상품 이용률 (%, 95% 신뢰구간)", source="2018 제3섹터 조직 조사"
            )
        )
    return Section("org-products", "조직의 보장·금융상품 이용", tuple(blocks))


def _worker_section(charts: bool) -> Section:
    from surveykit.report import charts as ch

    labels, pct, lo, hi, _, _ = _rows(WORKER_PRIVATE)
    blocks: list = [
        Text(
            (
                "종사자의 83%가 민간보험에 가입하였다. 상품별로는 실손보험이 64.7%로 가장 많았고 "
                "암보험 49.9%, 질병보험 38.8%, 저축성보험 25.2% 순이었다.",
                "미가입자(71명)의 38%는 보험료 부담을, 36.6%는 필요성이 없음을 이유로 들었다.",
            ),
            footnotes=("민간보험 상품별 비율은 전체 종사자 417명 대비 복수응답 비율이다.",),
        )
    ]
    if charts:
        blocks.append(ch.bar_ci(labels, pct, lo, hi, caption="종사자의 민간보험 상품별 가입률 (%)", highlight=0))
        blocks.append(
            ch.grouped_bars(
                ["가입 의향 약간 있음", "희망 상품 1순위 비율"],
                {"조직": [50.0, 46.2], "종사자": [48.0, 36.7]},
                caption="공제회 가입 의향과 희망 상품: 조직과 종사자",
            )
        )
    return Section("workers", "종사자의 보험 가입과 공제 수요", tuple(blocks))


def _model_section(charts: bool) -> Section:
    from surveykit.report import charts as ch

    terms = ["설립 10년 이상", "설립 5-9년", "협동조합", "사회적기업", "매출 5억 이상"]
    est, lo, hi = [2.41, 1.62, 0.84, 1.12, 0.57], [1.21, 0.85, 0.43, 0.61, 0.28], [4.80, 3.09, 1.64, 2.06, 1.16]
    blocks: list = [
        Text(
            (
                "설립연도가 오래된 조직일수록 공제회 가입 의사가 상대적으로 강하였다. "
                "아래 승산비와 유형별 특성은 렌더링 예시 값이다.",
            )
        )
    ]
    if charts:
        blocks.append(
            ch.forest(terms, est, lo, hi, caption="공제회 가입 의향의 승산비 (예시)", xlabel="승산비 (로그 축)")
        )
        blocks.append(
            ch.heatmap(
                ["신뢰 중시형", "가격 중시형", "관망형"],
                ["가입 의향", "신뢰성", "사회적가치", "보험료"],
                [[72, 81, 64, 22], [41, 35, 18, 77], [12, 20, -5, 30]],
                caption="응답자 유형별 특성 (%, 예시)",
            )
        )
    return Section("model", "가입 의향의 관련 요인", tuple(blocks))


def _appendix() -> Section:
    rows = tuple((f"항목 {i:02d}", i * 7 % 186, 186, round(100 * (i * 7 % 186) / 186, 1)) for i in range(1, 46))
    return Section(
        "appendix",
        "부록: 긴 표의 쪽 나눔",
        (
            PageBreak(),
            Table("여러 쪽에 걸친 표 (머리행 반복 확인용)", ("항목", "사례 수", "기준", "비율(%)"), rows),
        ),
    )


def sample_document(lang: str = "ko", *, charts: bool = True) -> Document:
    """A fixed Korean brief with call-outs, tables (with flags), four charts and footnotes."""
    intro = Section(
        "summary",
        "요약",
        (
            Text(
                (
                    "2018년 서울 제3섹터 조직 186곳과 종사자 417명을 조사하였다. 조직의 절반(50%)과 종사자의 48%가 "
                    "공제회에 가입할 의향이 약간 있다고 답하였다.",
                )
            ),
            Callouts(
                (
                    Callout("보장성 상품 가입 조직", "32.3%", "186개 조직 중 60곳"),
                    Callout("보증상품 이용 조직", "33.3%", "높은 수수료 25.8%"),
                    Callout("제3섹터 공제 인지 못함", "81.4%", "종사자 414명 기준"),
                )
            ),
            KeyValue(
                (
                    ("조사 기간", "2018년 10월 ~ 12월"),
                    ("조사 대상", "제3섹터 조직 186곳, 종사자 417명"),
                    ("신뢰 수준", "95%"),
                ),
                caption="조사 개요",
            ),
        ),
    )
    sections = (intro, _org_section(charts), _worker_section(charts), _model_section(charts), _appendix())
    return Document(
        title="제3섹터 사회안전망 실태와 공제회 수요",
        subtitle="2018 서울 조직·종사자 조사 정책 브리프",
        lang="ko" if lang == "ko" else "en",
        date=dt.date(2019, 3, 15),
        meta={"자료": "서울시 사회적경제지원센터", "표본": "조직 n=186, 종사자 n=417"},
        sections=sections,
        organisation="서울시 사회적경제지원센터",
    )
