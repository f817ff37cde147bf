"""Benchmark: score 10 million answer rows in memory, against the same aggregation in DuckDB.

Run: .venv/bin/python benchmarks/bench_scoring.py [--services 150 --quarters 12 --cases 309]
                                                   [--repeats 5]
Data: `audit_lib.synth.synth_answers` (150 services x 12 quarters x ~309 cases x ~18 answers
= ~10 million rows, categorical columns). Ours: `audit_lib.scoring.ratings.score_groups` by service,
period and question (counts, shares and Wilson intervals). Reference: DuckDB SQL over the same
pandas frame (count of Yes + No and of Yes per group). Medians of alternating runs, the ratio,
and peak memory (process peak RSS, and the scoring step's own peak from tracemalloc).
Targets (issue): at most 1.5 x DuckDB's time, under 2 GiB peak.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEYS = ["service", "period", "question_id"]
SQL = """
SELECT service, period, question_id,
       count(*) FILTER (WHERE answer IN ('Yes', 'No')) AS n_applicable,
       count(*) FILTER (WHERE answer = 'Yes') AS n_yes
FROM answers GROUP BY service, period, question_id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=150)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--cases", type=int, default=309)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import duckdb

    from audit_lib.scoring.shares import score_groups
    from audit_lib.synth.answers import synth_answers

    t0 = time.perf_counter()
    answers = synth_answers(args.services, args.quarters, args.cases, seed=7)[KEYS + ["answer"]]
    print(f"{len(answers):,} answer rows generated in {time.perf_counter() - t0:.1f} s "
          f"({answers.memory_usage(deep=True).sum() / 2**20:.0f} MiB in memory)")
    con = duckdb.connect()
    con.register("answers", answers)
    ours, theirs = [], []
    score_groups(answers, KEYS)  # warm up: first-call costs (imports) are not the aggregation
    con.sql(SQL).df()
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = score_groups(answers, KEYS)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference = con.sql(SQL).df()
        theirs.append(time.perf_counter() - start)
    check = result.merge(reference, on=KEYS, suffixes=("", "_db"))
    assert len(check) == len(result) == len(reference)
    assert (check["n_yes"] == check["n_yes_db"]).all()
    assert (check["n_applicable"] == check["n_applicable_db"]).all()
    tracemalloc.start()
    score_groups(answers, KEYS)
    _, scoring_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    print(f"case-audit score_groups: median {ours_m:.3f} s; DuckDB: median {theirs_m:.3f} s "
          f"({args.repeats} alternating runs, {len(result):,} groups, same counts)")
    print(f"ratio {ours_m / theirs_m:.2f} x DuckDB (target <= 1.5 x)")
    print(f"peak memory: process {peak_rss:.2f} GiB (data generation included); scoring step "
          f"{scoring_peak / 2**30:.2f} GiB (target < 2 GiB)")


if __name__ == "__main__":
    main()
