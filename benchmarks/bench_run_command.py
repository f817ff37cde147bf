"""Benchmark: `case-audit run` on the demo quarter as a user runs it, a whole process each time.

Run: .venv/bin/python benchmarks/bench_run_command.py [--repeats 5] [--config demo.yaml]
     [--before DIR]
Each run starts from a fresh copy of samples/ (no history, no earlier outputs), so every run
does the same work: the four notebooks on one warm kernel, the HTML pages, the board paper, the
publish check and the commit. Wall and CPU time (the process and its kernel) are medians;
`--before DIR` times another copy of the source (e.g. `git archive main | tar -x -C DIR`) in
the same alternation, run as `python -c` with that folder first on the path (its kernel
inherits it), and compares the last two runs' outputs with `same_outputs.py`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_CLI = "import sys; from audit_lib.cli import main; sys.exit(main())"


def one_run(source: Path, config: str, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `case-audit run` of ``config`` from a fresh ``folder``."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "samples", folder / "samples",
                    ignore=shutil.ignore_patterns("*.py"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN_CLI, "run", "--config", f"samples/{config}"],
                   cwd=folder, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(source)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--config", default="demo.yaml", help="a config in samples/")
    parser.add_argument("--before", metavar="DIR", type=Path,
                        help="another copy of the source, timed in the same alternation")
    args = parser.parse_args()
    sources = {"this source": ROOT}
    if args.before:
        sources["before"] = args.before.resolve()
    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in sources}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for name, source in sources.items():
                times[name].append(one_run(source, args.config, Path(tmp) / name))
        same = None
        if args.before:
            same = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "same_outputs.py"),
                 str(Path(tmp) / "before"), str(Path(tmp) / "this source")],
                capture_output=True, text=True).stdout.strip().splitlines()[-1]
    load_after = os.getloadavg()
    medians = {name: (statistics.median(t[0] for t in runs),
                      statistics.median(t[1] for t in runs)) for name, runs in times.items()}
    for name, (wall, cpu) in medians.items():
        print(f"case-audit run --config samples/{args.config}, {name}: median {wall:.2f} s "
              f"wall, {cpu:.2f} s CPU ({args.repeats} alternating runs)")
    if args.before:
        print(f"this source / before: {medians['this source'][0] / medians['before'][0]:.2f} x "
              f"wall, {medians['this source'][1] / medians['before'][1]:.2f} x CPU; outputs "
              f"(the folder's files, the code commit left out): {same}")
    print(f"load average (1, 5 min) before {load_before[0]:.1f}, {load_before[1]:.1f}; after "
          f"{load_after[0]:.1f}, {load_after[1]:.1f}; on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
