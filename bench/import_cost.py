"""Cold start: what importing the Functions app costs against importing azure.functions alone.

    .venv/bin/python bench/import_cost.py [--runs 15]

The Functions host imports `function_app` to index its triggers before the first invocation, health
checks included; the target is at most 1.3 times the cost of `import azure.functions`. Each figure is
the best of `--runs` fresh interpreters (wall clock), so it includes interpreter start-up.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3


def best(statement: str, runs: int) -> float:
    fastest = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], cwd=ROOT, check=True)
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"runs on: fresh Python interpreters ({sys.executable}), best of {args.runs}; no I/O but imports")
    bare = best("pass", args.runs)
    functions = best("import azure.functions", args.runs)
    app = best("import function_app", args.runs)
    ratio = app / functions
    print(f"python start-up        {bare * 1000:7.1f} ms")
    print(f"import azure.functions {functions * 1000:7.1f} ms")
    print(f"import function_app    {app * 1000:7.1f} ms  ({ratio:.2f}x; target {TARGET}x)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
