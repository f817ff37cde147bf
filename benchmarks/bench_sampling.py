"""Benchmark: sample a 100,000-case caseload (issue target: under 5 s on a 2-core machine).

Run: .venv/bin/python benchmarks/bench_sampling.py [--cases 100000] [--repeats 5]
Times the whole `case-audit sample` path in-process: read and validate the CSV, size, allocate,
draw, assign three reviewers with double-marking, write the tables and the workbooks.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit_lib.cli import main as cli  # noqa: E402
from audit_lib.synth.caseload import synth_caseload  # noqa: E402


def run(cases: int, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        caseload = Path(tmp) / "caseload.csv"
        synth_caseload(cases, seed=1).to_csv(caseload, index=False)
        times = []
        for i in range(repeats):
            start = time.perf_counter()
            code = cli(["sample", "--caseload", str(caseload), "--seed", str(i),
                        "--strata", "sex,rosh_level", "--reviewers", "A:north,B:south,C",
                        "--out", str(Path(tmp) / f"out{i}")])
            times.append(time.perf_counter() - start)
            assert code == 0
    return {"cases": cases, "repeats": repeats, "median_s": statistics.median(times),
            "min_s": min(times), "max_s": max(times)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    result = run(args.cases, args.repeats)
    print(f"sampling {result['cases']:,} cases: median {result['median_s']:.2f} s "
          f"(min {result['min_s']:.2f}, max {result['max_s']:.2f}; {result['repeats']} runs); "
          f"target < 5 s")
