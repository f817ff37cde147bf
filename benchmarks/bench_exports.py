"""Benchmark: caseload exports as case-management systems write them (issue 27).

Run: .venv/bin/python benchmarks/bench_exports.py [--cases 50000] [--repeats 5]
                                                  [--before DIR] [--packaging]

Prints the figures the issue names, for the export of tests/exports.py (180 cases, two title
lines and a blank row above the header, a totals line and blank rows below, 16 columns, UK
dates; as .xlsx and as Excel's CSV of it): the problems `validate` reports and the map lines
it needs (before: 43 lines for the workbook, 22 for the CSV, four hand edits and two maps);
the cases sampled and the answers per reviewer (before: 115 of 180, no word of the workload).
Then the cost of finding the table: the median time to read a `--cases` export with title
lines and totals against the same rows as a plain table, side by side in one run; and, with
`--before DIR` (a copy of the code before, e.g. `git archive main | tar -x -C DIR`), reading a
plain million-row answers file with this code and with that one, in alternating processes.
`--packaging` builds the wheel as `pip install .` does (verbose) and counts setuptools'
"Package would be ignored" warnings (before: 3 warnings, about 120 lines).
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
sys.path.insert(0, str(ROOT / "tests"))


def fixture_figures(tmp: Path) -> list[str]:
    """What validate and sample say of the 180-case export, as .xlsx and as CSV."""
    import contextlib
    import io
    import json

    import exports

    from audit_lib.cli import main as cli

    lines = []
    for kind, write in (("xlsx", exports.write_xlsx), ("csv", exports.write_csv)):
        path = write(tmp / f"caseload.{kind}")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli(["validate", str(path)])
        problems = [x for x in err.getvalue().splitlines() if x.startswith("  - ")]
        maps = sum("add this line to the columns map" in x for x in problems)
        with contextlib.redirect_stdout(io.StringIO()):
            cli(["sample", "--caseload", str(path), "--seed", "7", "--reviewers",
                 "PM01:north,PM02:south,PM03", "--out", str(tmp / f"sample-{kind}")])
        info = json.loads((tmp / f"sample-{kind}" / "sampling.json").read_text())
        work, total = info["workload"], info["total"]
        per = list(work["per_reviewer"].values())
        lines.append(f"export as .{kind}: validate exit {code}, {len(problems)} problem line(s), "
                     f"{maps} map line(s) needed; sample {total['sample']} of "
                     f"{total['population']}, {work['answers']:,} answers, about "
                     f"{round(sum(per) / len(per)):,} per reviewer (stated in the summary); "
                     f"own-team rule applied: {info['own_team_rule']['applied']}")
    return lines


def time_reading(tmp: Path, cases: int, repeats: int) -> str:
    """Median read of a large export with title lines and totals vs the same rows plain."""
    import csv

    import exports

    from audit_lib.frameworks import load_framework
    from audit_lib.sampling.caseload import load_caseload

    report = exports.write_csv(tmp / "report.csv", cases)
    plain = tmp / "plain.csv"
    with report.open(encoding="utf-8-sig", newline="") as src, plain.open(
            "w", encoding="utf-8", newline="") as dst:
        rows = list(csv.reader(src))
        csv.writer(dst, lineterminator="\r\n").writerows(rows[3:3 + cases + 1])
    fw = load_framework("hmip-youth-2021")
    times = {"report": [], "plain": []}
    for _ in range(repeats):
        for name, path in (("report", report), ("plain", plain)):
            start = time.perf_counter()
            assert len(load_caseload(path, fw)) == cases
            times[name].append(time.perf_counter() - start)
    a, b = statistics.median(times["report"]), statistics.median(times["plain"])
    return (f"load_caseload of {cases:,} cases (16 columns): the report (titles, totals) "
            f"{a:.2f} s, the same rows as a plain table {b:.2f} s: {a / b:.2f} x "
            f"(median of {repeats}, alternating)")


def time_before(tmp: Path, before: Path, repeats: int) -> str:
    """Reading a plain million-row answers file with this code and the code before."""
    answers = tmp / "answers.csv"
    with answers.open("w") as fh:
        fh.write("case_id,reviewer,question_id,answer,note\n")
        for i in range(1_000_000):
            fh.write(f"{i // 25:06d},PM0{i % 3},2.{i % 4 + 1}.{i % 3 + 1},"
                     f"{('Yes', 'No', 'N/A')[i % 3]},\n")
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); "
            "from audit_lib.inputs.reading import read_table; t = time.perf_counter(); "
            "read_table(sys.argv[2], ('case_id',)); print(time.perf_counter() - t)")
    times = {"now": [], "before": []}
    for _ in range(repeats):
        for name, tree in (("now", ROOT), ("before", before)):
            done = subprocess.run([sys.executable, "-c", code, str(tree), str(answers)],
                                  capture_output=True, text=True, check=True)
            times[name].append(float(done.stdout.strip()))
    a, b = statistics.median(times["now"]), statistics.median(times["before"])
    return (f"read_table of 1,000,000 answer rows: this code {a:.2f} s, before {b:.2f} s: "
            f"{a / b:.2f} x (median of {repeats}, alternating processes)")


def packaging(tmp: Path) -> str:
    """setuptools' warnings while building the wheel `pip install .` builds."""
    source = tmp / "source"
    source.mkdir()
    subprocess.run(f"git -C {ROOT} archive HEAD | tar -x -C {source}", shell=True, check=True)
    # The working tree's pyproject.toml, in case it is not committed yet.
    (source / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-v", "-w", str(tmp / "dist"),
                           str(source)], capture_output=True, text=True, check=True)
    said = done.stdout + done.stderr
    return (f"wheel build (pip wheel -v): {said.count('Package would be ignored')} 'Package "
            f"would be ignored' warning(s), {said.count('_Warning')} setuptools warning(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", type=Path, help="a copy of the code before, to compare")
    parser.add_argument("--packaging", action="store_true", help="count packaging warnings")
    args = parser.parse_args()
    print(f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for line in fixture_figures(tmp):
            print(line)
        print(time_reading(tmp, args.cases, args.repeats))
        if args.before:
            print(time_before(tmp, args.before.resolve(), args.repeats))
        if args.packaging:
            print(packaging(tmp))
    print(f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
