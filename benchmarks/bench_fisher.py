"""Benchmark: Fisher's exact tests of a breakdown's 2x2 tables, one call each vs all at once.

Run: .venv/bin/python benchmarks/bench_fisher.py [--repeats 5]
The fairness tables test one 2x2 table per question and group against the reference group: a
few hundred tables. Two sets, each of 300 random tables: a quarter's (counts 0 to 40) and a
national year's (counts 1,000 to 40,000, as the million answers of bench_score_e2e make).
Timed in process: `scipy.stats.fisher_exact` one table a call (what the fairness tables did
before issue 25) and `audit_lib.scoring.fisher.fisher_two_sided` on all of them at once; the
p-values are checked equal.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import numpy as np
    from scipy.stats import fisher_exact

    from audit_lib.scoring.fisher import fisher_two_sided

    rng = np.random.default_rng(25)
    sets = {"a quarter's tables (counts 0 to 40)": rng.integers(0, 41, size=(300, 4)),
            "a national year's (counts 1,000 to 40,000)": rng.integers(1_000, 40_001,
                                                                     size=(300, 4))}
    load = os.getloadavg()[0]
    for name, tables in sets.items():
        one, together = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            each = [fisher_exact([[a, b], [c, d]]).pvalue for a, b, c, d in tables.tolist()]
            one.append(time.perf_counter() - start)
            start = time.perf_counter()
            at_once = fisher_two_sided(*tables.T)
            together.append(time.perf_counter() - start)
        assert at_once.tolist() == each, "the p-values differ"
        one_s, together_s = statistics.median(one), statistics.median(together)
        print(f"300 of {name}: one call each {one_s:.3f} s, all at once {together_s:.3f} s "
              f"({one_s / together_s:.1f} x faster; median of {args.repeats}; every p-value "
              "equal)")
    print(f"load average (1 min) before {load:.1f}, after {os.getloadavg()[0]:.1f}, "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
