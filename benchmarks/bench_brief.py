"""Time the main command: both demo briefs (HTML, PDF, JSON, XLSX), as a user runs it.

Runs ``surveykit brief --out TMP`` in a fresh process (imports included) and reports the wall
time of the best of ``--repeat`` runs. Target (issue 6): under 20 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    args, _unknown = parser.parse_known_args(argv)
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "surveykit", "brief", "--out", out], check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    print(
        f"surveykit brief (2 briefs, HTML+PDF+JSON+XLSX): best {min(times):.1f} s of {len(times)} "
        f"(all: {', '.join(f'{t:.1f}' for t in times)}); target < 20 s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
