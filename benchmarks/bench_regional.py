"""Benchmark: a region's quarter (`case-audit batch`) and its roll-up (`case-audit rollup`).

Run: .venv/bin/python benchmarks/bench_regional.py [--services 150] [--jobs 2]
                                                   [--rollup-services 150 --quarters 12]
Batch: `case-audit synth` writes one runnable bundle per service (one quarter of 300 cases,
like the demo), then `case-audit batch` runs every period config with a pool of processes (each
a whole quarter: four notebooks on a warm kernel, HTML, publish check, history). Prints the
wall time, services per minute, per minute per core, and the median run of one service.
Roll-up: one history database per service (as runs write them) holding 12 quarters each, then
`case-audit rollup` over all of them (the regional notebook, with funnel plots). Target
(issue): the roll-up under a minute. Both are timed as whole processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLI = str(Path(sys.executable).parent / "case-audit")


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def batch(folder: Path, services: int, jobs: int) -> None:
    subprocess.run([CLI, "synth", "--services", str(services), "--quarters", "1", "--cases",
                    "300", "--seed", "1", "--out", str(folder)], check=True, cwd=ROOT,
                   capture_output=True)
    start = time.perf_counter()  # the batch's own progress lines are shown as it goes
    # Exit code 1 means some services failed: they are counted in the summary, not fatal here.
    done = subprocess.run([CLI, "batch", "--configs", str(folder), "--jobs", str(jobs)],
                          cwd=ROOT)
    if done.returncode not in (0, 1):
        raise SystemExit(f"case-audit batch stopped with exit code {done.returncode}")
    elapsed = time.perf_counter() - start
    import pandas as pd

    load = os.getloadavg()[0]
    summary = pd.read_csv(folder / "batch_summary.csv")
    ok = int((summary["status"] == "ok").sum())
    per_minute = services / elapsed * 60
    seconds = [c for c in summary.columns if c.endswith("_s") or c == "seconds"]
    one = f"; median {statistics.median(summary[seconds[0]]):.1f} s per service" if seconds else ""
    failed = summary.loc[summary["status"] != "ok", "message"].str.split(":").str[0]
    if len(failed):
        print(f"{len(failed)} service(s) failed: " + "; ".join(sorted(set(failed))))
    print(f"batch of {services} services ({ok} ok) with {jobs} job(s): {elapsed:.1f} s wall, "
          f"{per_minute:.1f} services per minute, {per_minute / jobs:.1f} per minute per "
          f"core{one}; load average (1 min) at the end {load:.1f} on {os.cpu_count()} cores")


def histories(folder: Path, services: int, quarters: int) -> None:
    """One history.sqlite per service with ``quarters`` quarters of results, as runs leave them."""
    from audit_lib.synth.answers import synth_answers
    from audit_lib.synth.history import synth_history
    from audit_lib.trends.history import COLUMNS, record_periods

    answers = synth_answers(services, quarters, 300, seed=2)
    earlier, _ = synth_history(answers)
    earlier["framework"] = "hmip-youth-2021"
    for service, rows in earlier.groupby("service"):
        record_periods(folder / str(service) / "history.sqlite", rows[COLUMNS], str(service))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=150, help="services in the batch")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rollup-services", type=int, default=150)
    parser.add_argument("--quarters", type=int, default=12, help="quarters in each history")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_batch:
            batch(tmp / "region", args.services, args.jobs)
        histories(tmp / "histories", args.rollup_services, args.quarters)
        elapsed = timed([CLI, "rollup", "--histories", str(tmp / "histories"), "--out",
                         str(tmp / "rollup")])
        print(f"roll-up of {args.rollup_services} services x {args.quarters} quarters "
              f"(one history database per service): {elapsed:.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
