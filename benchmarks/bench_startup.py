"""Benchmark: what a QA officer waits for, against a bare `python -c "import pandas"`.

Run: .venv/bin/python benchmarks/bench_startup.py [--repeats 9] [--before DIR]
Whole processes, alternating (so a change in the machine's load hits every command alike),
medians: `case-audit score` on the demo quarter (the shipped samples, as `make score-demo`
scores them), `case-audit validate` of one returned workbook (made as `case-audit sample` makes
it, filled as a reviewer would), and `case-audit --help`, each divided by the median of a bare
pandas import measured in the same alternation. Targets (issue 25): score <= 3 x, validate
<= 2 x, --help <= 0.5 x. `--before DIR` times another copy of the source (e.g. `git archive
main | tar -x -C DIR`) in the same alternation, run as `python -c` from that folder.
`--profile` says where the time of `score` goes instead: CPU time of each step, in a fresh
Python each time, medians (the imports the command needs, then the steps; the steps' own lazy
imports are already done, so they are not counted twice).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Command name -> (arguments after `case-audit`, target as a multiple of the pandas import).
TARGETS = {"score": 3.0, "validate": 2.0, "--help": 0.5}
RUN_CLI = "import sys; from audit_lib.cli import main; sys.exit(main())"

#: Run in a fresh Python by `--profile`: CPU seconds of each step of `score`, as JSON.
PROFILE = """
import json, sys, time
cpu = time.process_time
start = cpu()
import audit_lib.cli, audit_lib.quarter.scores, audit_lib.scoring.scorecard, audit_lib.chart_style
import audit_lib.scoring.charts, scipy.special, scipy.stats, statsmodels.stats.multitest, holidays
steps = {"imports (Python start not included)": cpu() - start}
from audit_lib import chart_style
from audit_lib.quarter import scores
from audit_lib.scoring import likelihood, scorecard

def timed(module, name, label):
    real = getattr(module, name)
    def step(*args, **kwargs):
        begin = cpu()
        try:
            return real(*args, **kwargs)
        finally:
            steps[label] = steps.get(label, 0) + cpu() - begin
    setattr(module, name, step)

timed(scorecard, "build_scorecard", "read, check and score (build_scorecard)")
timed(likelihood, "describe_standards", "  of which the bands' probabilities (draws)")
timed(scores, "write_scores", "write the results (write_scores)")
timed(chart_style, "png_bytes", "  of which drawing the charts")
timed(scores, "publish_fairness", "  of which the fairness tables")
audit_lib.cli.main(sys.argv[1:])
print(json.dumps(steps))
"""


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """The command's wall time, and its CPU time (user + system, the child's own: far less
    sensitive than the wall time to what else the machine is doing)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=cwd,
                   env={**os.environ, **env} if env else None)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def commands(folder: Path) -> dict[str, list[str]]:
    """Each command's arguments (after `case-audit`)."""
    from bench_workbooks import make_workbooks

    (folder / "book").mkdir()
    (workbook,), _ = make_workbooks(folder / "book", reviewers=1, cases=50)
    samples = ROOT / "samples"
    return {
        "score": ["score", *[a for i in (1, 2, 3) for a in
                             ("--answers", str(samples / f"answers_PM0{i}.csv"))],
                  "--facts", str(samples / "case_facts.csv"),
                  "--judgements", str(samples / "judgements.csv"), "--out", str(folder / "out")],
        "validate": ["validate", str(workbook)],
        "--help": ["--help"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--before", metavar="DIR", type=Path,
                        help="another copy of the source, timed in the same alternation")
    parser.add_argument("--profile", action="store_true",
                        help="where the time of `score` goes (CPU seconds per step)")
    args = parser.parse_args()
    if args.profile:
        return profile(args.repeats)
    script = Path(sys.executable).parent / "case-audit"
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(Path(tmp))
        runs: dict[str, list[tuple[float, float]]] = {"pandas": []}
        for _ in range(args.repeats):
            runs["pandas"].append(timed([sys.executable, "-c", "import pandas"], ROOT))
            for name, argv in cmds.items():
                runs.setdefault(name, []).append(timed([str(script), *argv], ROOT))
                if args.before:
                    other = args.before.resolve()
                    runs.setdefault(f"{name} (before)", []).append(
                        timed([sys.executable, "-c", RUN_CLI, *argv], other,
                              {"PYTHONPATH": str(other)}))
    load_after = os.getloadavg()
    wall = {name: statistics.median(t[0] for t in times) for name, times in runs.items()}
    cpu = {name: statistics.median(t[1] for t in times) for name, times in runs.items()}
    print(f"python -c 'import pandas': median {wall['pandas']:.3f} s wall, {cpu['pandas']:.3f} s "
          f"CPU ({args.repeats} alternating runs)")
    for name in runs:
        if name == "pandas":
            continue
        target = TARGETS[name.split(" ")[0]]
        ratio, cpu_ratio = wall[name] / wall["pandas"], cpu[name] / cpu["pandas"]
        verdict = "" if "before" in name else "  met" if ratio <= target else "  NOT met"
        print(f"case-audit {name:<18} median {wall[name]:.3f} s = {ratio:.2f} x wall "
              f"(target <= {target:g} x){verdict}; CPU {cpu[name]:.3f} s = {cpu_ratio:.2f} x")
    print(f"load average (1, 5 min) before {load_before[0]:.1f}, {load_before[1]:.1f}; after "
          f"{load_after[0]:.1f}, {load_after[1]:.1f}; on {os.cpu_count()} cores")


def profile(repeats: int) -> None:
    """Print the median CPU time of each step of `score` on the demo quarter."""
    import json

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        argv = commands(Path(tmp))["score"]
        runs = []
        for _ in range(repeats):
            done = subprocess.run([sys.executable, "-c", PROFILE, *argv], check=True,
                                  capture_output=True, text=True, cwd=ROOT)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"case-audit score on the demo quarter, CPU seconds per step (median of {repeats}):")
    order = ["imports", "read, check", "  of which the bands'", "write the results",
             "  of which drawing", "  of which the fairness"]
    for step in sorted(runs[0], key=lambda s: [s.startswith(o) for o in order].index(True)):
        print(f"  {step:<45} {statistics.median(r[step] for r in runs):.3f}")
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
