"""Benchmark: write the board paper of each demo quarter, and print it to PDF.

Run: .venv/bin/python benchmarks/bench_board_paper.py [--repeats 5]
     (after `make demo` and `make demo-2025`: it reads their published run folders)
Ours: `audit_lib.report.board_paper.board_paper` on each demo's run (the front sheet, page one,
the body, implications, appendices and the glossary links; the trend charts are the progress
step's PNGs, drawn there once in A4-sized parts); beside it, what drawing those parts again
would cost (`audit_lib.report.board_sections.trend_pages`, the fallback for a run of an older
case-audit); then `case-audit pdf` on the published page (Chromium, once per repeat). Medians
of the repeats, with the load average: times here measure work, not a target (the issue names
none).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]
DEMOS = {"demo": ROOT / "samples" / "demo.yaml", "demo-2025": ROOT / "samples" / "demo-2025.yaml"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import pandas as pd

    from audit_lib.frameworks import load_framework
    from audit_lib.quarter.config import load_config
    from audit_lib.report.board_paper import board_paper
    from audit_lib.report.board_sections import trend_pages
    from audit_lib.report.pdf import find_browser, print_pdf

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for demo, config in DEMOS.items():
        cfg = load_config(config, steps=())
        if not (cfg.period_dir / "04_assurance_report.html").is_file():
            sys.exit(f"{cfg.period_dir} has no report: run make {demo} first")
        fw = load_framework(cfg.framework)
        trend = pd.read_csv(cfg.period_dir / "progress" / "trend.csv", dtype={"question_id": str})
        trend = trend.loc[trend["question_id"].isin([q.id for q in fw.questions])]

        def paper(cfg=cfg):
            return board_paper(cfg.period_dir, service=cfg.service,
                               period_label=cfg.period_label,
                               period_end=cfg.period_end.isoformat(), framework=cfg.framework,
                               confidence=cfg.confidence, board=cfg.board, period=cfg.period)

        built = paper()  # warm up: imports and settings are read once
        papers, charts, pdfs = [], [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            paper()
            papers.append(time.perf_counter() - start)
            start = time.perf_counter()
            parts = trend_pages(trend, fw)
            charts.append(time.perf_counter() - start)
        if find_browser():
            with tempfile.TemporaryDirectory() as tmp:
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    print_pdf(cfg.period_dir / "04_assurance_report.html", Path(tmp) / "p.pdf")
                    pdfs.append(time.perf_counter() - start)
        print(f"{demo}: board paper median {statistics.median(papers):.2f} s "
              f"(min {min(papers):.2f}, max {max(papers):.2f}; {len(built.html) / 2**20:.1f} MiB "
              f"of HTML); drawing the trend charts again in {len(parts)} part(s) would add "
              f"{statistics.median(charts):.2f} s"
              + (f"; PDF median {statistics.median(pdfs):.2f} s" if pdfs else "; no browser"))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
