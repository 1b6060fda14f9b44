"""Run every benchmark: ``python benchmarks/run.py [--sizes 100000 1000000] [--only estimate tables]``.

Each ``bench_*.py`` runs the same work in surveykit, the Python ``svy`` package and (when ``Rscript``
with ``survey`` is installed) R side by side, and prints the ratios.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    sys.path.insert(0, str(HERE))
    argv = sys.argv[1:]
    only: list[str] = []
    if "--only" in argv:
        i = argv.index("--only")
        rest = argv[i + 1 :]
        stop = next((j for j, a in enumerate(rest) if a.startswith("--")), len(rest))
        only, argv = rest[:stop], argv[:i] + rest[stop:]
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        print(f"\n== {path.stem} ==", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(argv)


if __name__ == "__main__":
    main()
