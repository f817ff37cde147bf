"""Benchmark: how many sampled cases change reviewer when the caseload gains a late case or the
sample's size changes, and how many of a quarter's cases were audited the quarter before
(issue 22: "105 of 125", "41 of 59", "39 of 125").

Run: .venv/bin/python benchmarks/bench_allocation.py [--seeds 20] [--cases 400]
Counts, not times (and the seconds the allocation takes, for the record). For each seed: a
synthetic caseload sampled at a 5-point margin (about 125 cases in two disposal groups, three
reviewers with teams, 20% double-marked), then the same caseload with one late case, and the
same caseload at a 10-point margin; each case's reviewer compared where the case is in both
samples. Side by side in the same run, the allocation before issue 22 (cases dealt in a seeded
order to the eligible reviewer with the fewest cases so far, kept here only to compare).
Then two consecutive quarters (new seed) with and without `exclude_audited_quarters: 1`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit_lib.frameworks import load_framework  # noqa: E402
from audit_lib.sampling.assignment import assign_reviewers  # noqa: E402
from audit_lib.sampling.caseload import load_caseload  # noqa: E402
from audit_lib.sampling.draw import draw_sample  # noqa: E402
from audit_lib.sampling.plan import build_plan  # noqa: E402
from audit_lib.sampling.random_keys import random_keys  # noqa: E402
from audit_lib.synth.caseload import synth_caseload  # noqa: E402

REVIEWERS = "PM01:north,PM02:south,PM03"


def dealt_before_issue_22(sample: pd.DataFrame, reviewers, seed: int) -> pd.Series:
    """The first marks as the allocation before issue 22 dealt them (for comparison only)."""
    teams = sample["team"] if "team" in sample.columns else pd.Series("", index=sample.index)
    order = pd.Series(random_keys(sample["case_id"], seed, "assign"), index=sample.index
                      ).sort_values(kind="stable").index
    load = {r.name: 0 for r in reviewers}
    out = pd.Series("", index=sample.index)
    for i in order:
        eligible = [r for r in reviewers if not r.team or r.team != teams[i]]
        choice = min(eligible, key=lambda r: load[r.name])
        load[choice.name] += 1
        out[i] = choice.name
    return out


def allocations(caseload: pd.DataFrame, margin: float, seed: int, fw, exclude=frozenset()):
    plan = build_plan(seed, margin=margin, strata=["sex"], reviewers=REVIEWERS, double_mark=0.2)
    drawn = draw_sample(caseload, plan, fw.groups, exclude=exclude).cases
    start = time.perf_counter()
    now = assign_reviewers(drawn, list(plan.reviewers), 0.2, seed)
    took = time.perf_counter() - start
    before = dealt_before_issue_22(drawn, list(plan.reviewers), seed)
    return (now.set_index("case_id")["reviewer"], before.set_axis(drawn["case_id"]), took)


def moved(a: pd.Series, b: pd.Series) -> tuple[int, int]:
    common = a.index.intersection(b.index)
    return int((a[common] != b[common]).sum()), len(common)


def run(seeds: int, cases: int) -> None:
    fw = load_framework("hmip-youth-2021")
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_allocation_{os.getpid()}.csv"
    synth_caseload(cases, seed=11).to_csv(tmp, index=False)
    caseload = load_caseload(tmp, fw)
    tmp.unlink()
    late = caseload.iloc[[0]].assign(case_id="LATE-1")
    grown = pd.concat([caseload, late], ignore_index=True)
    results = {k: [] for k in ("late_now", "late_before", "small_now", "small_before",
                               "overlap", "overlap_excluded", "size", "small_size", "seconds")}
    for seed in range(seeds):
        now, before, took = allocations(caseload, 0.05, seed, fw)
        late_now, late_before, _ = allocations(grown, 0.05, seed, fw)
        small_now, small_before, _ = allocations(caseload, 0.10, seed, fw)
        results["late_now"].append(moved(now, late_now)[0])
        results["late_before"].append(moved(before, late_before)[0])
        results["small_now"].append(moved(now, small_now)[0])
        results["small_before"].append(moved(before, small_before)[0])
        results["size"].append(len(now))
        results["small_size"].append(len(small_now))
        results["seconds"].append(took)
        following, _, _ = allocations(caseload, 0.05, seed + 1000, fw)
        left_out, _, _ = allocations(caseload, 0.05, seed + 1000, fw, frozenset(now.index))
        results["overlap"].append(len(following.index.intersection(now.index)))
        results["overlap_excluded"].append(len(left_out.index.intersection(now.index)))

    def med(key):
        return statistics.median(results[key])

    def mean(key):
        return statistics.mean(results[key])

    print(f"{seeds} seeds, caseload of {len(caseload)}, sample median {med('size'):.0f} "
          f"(smaller sample {med('small_size'):.0f}), 3 reviewers with teams")
    print(f"one late case added: mean {mean('late_now'):.1f} moved (max "
          f"{max(results['late_now'])}); before issue 22 mean {mean('late_before'):.1f} "
          f"(max {max(results['late_before'])}) (when the late case is not drawn, the sample "
          "and so its allocation are the same)")
    print(f"a smaller sample: median {med('small_now'):.0f} of {med('small_size'):.0f} moved "
          f"(max {max(results['small_now'])}); before issue 22 median "
          f"{med('small_before'):.0f} (max {max(results['small_before'])})")
    print(f"next quarter's sample audited in this one: median {med('overlap'):.0f} of "
          f"{med('size'):.0f}; with exclude_audited_quarters: 1, median "
          f"{med('overlap_excluded'):.0f}")
    print(f"allocation time median {med('seconds') * 1000:.0f} ms; load average (1 min) "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--cases", type=int, default=400)
    args = parser.parse_args()
    run(args.seeds, args.cases)
