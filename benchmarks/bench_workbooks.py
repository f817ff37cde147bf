"""Benchmark: read 50 filled reviewer workbooks, and render the board report to HTML.

Run: .venv/bin/python benchmarks/bench_workbooks.py [--reviewers 50 --cases 30 --repeats 3]
Workbooks are made as `case-audit sample` makes them, then filled the way a reviewer would
(openpyxl, every applicable question answered, dates typed). Timed: `read_workbook` on all of
them (identifier gate included), then `case-audit score` on all of them in-process; and
`render_html` of an executed board report (from a demo run) to a self-contained page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_workbooks(folder: Path, reviewers: int, cases: int) -> tuple[list[Path], Path]:
    import numpy as np
    import openpyxl

    from audit_lib.sampling.plan import build_plan
    from audit_lib.sampling.quarter_sample import sample_caseload, write_sample
    from audit_lib.sampling.workbook_writer import CASES_SHEET, DATE_INPUTS, FIRST_DATA_ROW
    from audit_lib.synth.caseload import synth_caseload

    caseload = folder / "caseload.csv"
    synth_caseload(reviewers * cases * 4, seed=5).to_csv(caseload, index=False)
    names = [f"R{i:02d}" for i in range(1, reviewers + 1)]
    plan = build_plan(1, size=reviewers * cases // 2, max_size=10_000, victim_minimum=0,
                      reviewers=names, double_mark=0.0)
    sample = sample_caseload(caseload, plan)
    write_sample(sample, folder / "sample")
    rng = np.random.default_rng(1)
    filled = []
    for name in names:
        book = openpyxl.load_workbook(folder / "sample" / "workbooks" / f"{name}.xlsx")
        ws = book[CASES_SHEET]
        for r in range(FIRST_DATA_ROW, ws.max_row + 1):
            for c in range(1, ws.max_column + 1):
                cell = ws.cell(row=r, column=c)
                key = ws.cell(row=1, column=c).value
                if cell.protection.locked or key.startswith("note_"):
                    continue
                if key in DATE_INPUTS:
                    cell.value = dt.date(2026, 3, 2) + dt.timedelta(days=int(rng.integers(0, 20)))
                else:
                    cell.value = "Yes" if rng.random() < 0.75 else "No"
        path = folder / "returned" / f"{name}.xlsx"
        path.parent.mkdir(exist_ok=True)
        book.save(path)
        filled.append(path)
    return filled, folder / "sample" / "case_facts.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from audit_lib.cli import main as cli
    from audit_lib.returns.workbook_reader import read_workbook

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        workbooks, facts = make_workbooks(folder, args.reviewers, args.cases)
        reads, scores = [], []
        for i in range(args.repeats):
            start = time.perf_counter()
            rows = sum(len(read_workbook(p)[0]) for p in workbooks)
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            code = cli(["score", *(a for p in workbooks for a in ("--answers", str(p))),
                        "--facts", str(facts), "--out", str(folder / f"scores{i}")])
            scores.append(time.perf_counter() - start)
            assert code == 0
        print(f"read {len(workbooks)} filled workbooks ({rows:,} answers): median "
              f"{statistics.median(reads):.2f} s; `case-audit score` on them: median "
              f"{statistics.median(scores):.2f} s ({args.repeats} runs)")
        report = ROOT / "outputs" / "demo" / "04_assurance_report.ipynb"
        if report.is_file():
            from audit_lib.quarter.render import render_html

            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                render_html(report, folder / "report.html")
                times.append(time.perf_counter() - start)
            size = (folder / "report.html").stat().st_size / 2**20
            print(f"render the board report to self-contained HTML: median "
                  f"{statistics.median(times):.2f} s ({size:.1f} MiB page)")
        else:
            print("(run `make demo` first to time the board report's HTML rendering)")


if __name__ == "__main__":
    main()
