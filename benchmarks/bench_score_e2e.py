"""Benchmark: `case-audit score` on 1 million answer rows from CSV vs a DuckDB process.

Run: .venv/bin/python benchmarks/bench_score_e2e.py [--repeats 5] [--before DIR]
     [--arrow-python PYTHON]
Both are timed as whole processes, alternating, on the same CSV files: ours validates the
answers and facts (every check, the identifier gate included), derives date checks, scores with
Wilson intervals and writes the results; DuckDB runs the core aggregation (count and Yes count
per question, N/A excluded) with `read_csv`. Start-up costs count. Target (issue 18): at most
3 x DuckDB (moonshot 2 x); issue 25: at most 8 x (moonshot 3 x), peak memory under 1 GiB
(each process's peak resident memory is printed). The imports `score` needs are timed on their
own too: the floor. `--arrow-python` runs the same source's `score` in another environment
with pyarrow installed (pandas' text columns then held in Arrow), in the same alternation, and
checks its outputs are the same files byte for byte.
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

DUCKDB = """
import duckdb, sys
rows = duckdb.sql(f\"\"\"
SELECT question_id, count(*) FILTER (WHERE answer <> 'N/A') AS n_applicable,
       count(*) FILTER (WHERE answer = 'Yes') AS n_yes
FROM read_csv('{sys.argv[1]}', all_varchar = true) GROUP BY question_id\"\"\").fetchall()
print(len(rows))
"""


#: Peak resident memory (bytes) of each command timed, by its label.
PEAKS: dict[str, list[int]] = {}


def timed(command: list[str], env: dict | None = None, cwd: Path = ROOT,
          label: str = "") -> float:
    """The command's wall time; its peak resident memory goes to `PEAKS` under ``label``."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env={**os.environ, **env} if env else None)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command[:3]} failed: {child.stderr.read().decode()[-2000:]}")
    child.stderr.close()
    PEAKS.setdefault(label, []).append(usage.ru_maxrss * 1024)  # Linux gives KiB
    return wall


#: What `case-audit score` must import (reading and checks, Wilson intervals and the bands'
#: probabilities from scipy.special, Fisher's tests and their false-discovery-rate adjustment
#: from scipy.stats and statsmodels, charts): the floor under any end-to-end time, measured on
#: its own. (Before issue 25 it also imported pandera and statsmodels' intervals.)
IMPORTS = ("import audit_lib.cli, audit_lib.quarter.scores, audit_lib.scoring.scorecard, "
           "scipy.special, statsmodels.stats.multitest, scipy.stats, holidays, "
           "audit_lib.chart_style, audit_lib.scoring.charts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--services", type=int, default=15)
    parser.add_argument("--before", metavar="DIR",
                        help="another copy of the source (e.g. `git archive <commit> | tar -x "
                        "-C DIR`): its `score` is timed too, in the same alternation, and its "
                        "outputs compared")
    parser.add_argument("--arrow-python", metavar="PYTHON",
                        help="the Python of an environment with pyarrow installed: this "
                        "source's `score` is timed in it too, and its outputs compared")
    args = parser.parse_args()
    from audit_lib.synth.bundle import write_answers_only

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        answers, facts, n = write_answers_only(Path(tmp) / "answers.csv", args.services, 12, 309,
                                               seed=3)
        print(f"{n:,} answer rows in {answers.stat().st_size / 2**20:.0f} MiB of CSV")
        ours_cmd = [str(Path(sys.executable).parent / "case-audit"), "score", "--answers",
                    str(answers), "--facts", str(facts), "--out", str(Path(tmp) / "scores")]
        duck_cmd = [sys.executable, "-c", DUCKDB, str(answers)]
        imports_cmd = [sys.executable, "-c", IMPORTS]
        before_cmd = [sys.executable, "-c", "import sys; from audit_lib.cli import main; "
                      "sys.exit(main())", *ours_cmd[1:-1], str(Path(tmp) / "scores-before")]
        arrow_cmd = None
        if args.arrow_python:
            arrow_cmd = [args.arrow_python, "-c", "import sys; from audit_lib.cli import main; "
                         "sys.exit(main())", *ours_cmd[1:-1], str(Path(tmp) / "scores-arrow")]
        ours, theirs, imports, before, arrow = [], [], [], [], []
        for _ in range(args.repeats):  # alternating, so drift in the machine's load hits all
            ours.append(timed(ours_cmd, label="ours"))
            theirs.append(timed(duck_cmd, label="duckdb"))
            imports.append(timed(imports_cmd, label="imports"))
            if args.before:
                # Run from that folder: `python -c` puts the working folder first on sys.path.
                other = Path(args.before).resolve()
                before.append(timed(before_cmd, {"PYTHONPATH": str(other)}, cwd=other,
                                    label="before"))
            if arrow_cmd:
                arrow.append(timed(arrow_cmd, {"PYTHONPATH": str(ROOT)}, label="arrow"))
        def compared(other: str) -> str:
            return subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "same_outputs.py"),
                 str(Path(tmp) / "scores"), str(Path(tmp) / other)],
                capture_output=True, text=True).stdout.strip().splitlines()[-1]

        same = compared("scores-arrow") if arrow_cmd else None
        same_before = compared("scores-before") if args.before else None
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    imports_m = statistics.median(imports)
    print(f"case-audit score: median {ours_m:.2f} s; DuckDB process: median {theirs_m:.2f} s "
          f"({args.repeats} alternating runs)")
    print(f"ratio {ours_m / theirs_m:.2f} x (target <= 8 x, moonshot 3 x; issue 18's: 3 x)")
    print(f"the imports alone (Python start, pandas, scipy, statsmodels' multitest, "
          f"matplotlib, the toolkit): median {imports_m:.2f} s = {imports_m / theirs_m:.2f} x "
          f"DuckDB; the work after them: about {ours_m - imports_m:.2f} s")
    if before:
        print(f"the source in {args.before}: median {statistics.median(before):.2f} s = "
              f"{statistics.median(before) / theirs_m:.2f} x DuckDB; outputs: {same_before}")
    if arrow:
        print(f"with pyarrow ({args.arrow_python}): median {statistics.median(arrow):.2f} s = "
              f"{statistics.median(arrow) / ours_m:.2f} x without; outputs: {same}")
    for label, peaks in PEAKS.items():
        print(f"peak memory, {label}: median {statistics.median(peaks) / 2**30:.2f} GiB "
              f"(max {max(peaks) / 2**30:.2f})")
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}, "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
