"""Write surveykit_written.sav with surveykit.io.write_sav, for R haven to read back.

read_written.R then records what haven sees (labels, user-missing, data) in
surveykit_written_haven.json; tests/test_io.py checks that our reader agrees with haven on our
own output. Run from this folder (make_files.sh does): ``python surveykit_written.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from surveykit.io import write_sav

HERE = Path(__file__).resolve().parent

FRAME = pd.DataFrame({
    "id": [1.0, 2.0, 3.0, 4.0, 5.0],
    "join_intent": [4.0, 9.0, np.nan, 1.0, 3.0],
    "fee": [1.0, 99.0, 2.0, 9.0, np.nan],
    "staff": [3.0, 998.0, 12.0, np.nan, 997.0],
    "org_name": ["똠방각하 협동조합", "", "가나다", "희망 나눔", "마을 부엌"],
})
KWARGS = dict(
    variable_labels={"join_intent": "향후 공제 가입 의향", "fee": "적정 회비",
                     "staff": "정규직 근로자 수", "org_name": "조직명"},
    value_labels={"join_intent": {1: "전혀 없다", 2: "별로 없다", 3: "약간 있다", 4: "매우 있다",
                                  9: "모름/무응답"},
                  "fee": {1: "1만원 미만", 2: "1~10만원", 9: "모름", 99: "무응답"},
                  "staff": {997: "해당 없음", 998: "모름", 999: "무응답"}},
    missing={"join_intent": [9], "fee": [9, 99], "staff": {"ranges": [(997, 999)]}},
    measure={"join_intent": "ordinal", "fee": "ordinal", "staff": "scale"},
)


def main(path: Path = HERE / "surveykit_written.sav") -> Path:
    return write_sav(FRAME, path, **KWARGS)


if __name__ == "__main__":
    main()
