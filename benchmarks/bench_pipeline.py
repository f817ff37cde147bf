"""Benchmark: `case-audit run` on the demo vs the same library calls in one plain Python process.

Run: .venv/bin/python benchmarks/bench_pipeline.py [--repeats 3]
Prints the median wall time of each, their ratio (the notebook overhead; the four notebooks
share one warm kernel, audit_lib/quarter/engine.py), each notebook's share of the run, and
where the time goes: kernel start, imports, the work itself, HTML rendering.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402


def demo_config(tmp: Path) -> Path:
    folder = tmp / "samples"
    shutil.copytree(ROOT / "samples", folder, ignore=shutil.ignore_patterns("*.py"))
    config = yaml.safe_load((ROOT / "samples" / "demo.yaml").read_text())
    config.update(outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../internal")
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def time_run(config: Path) -> tuple[float, dict]:
    from audit_lib.quarter.run import run

    start = time.perf_counter()
    result = run(config, progress=lambda _: None)
    elapsed = time.perf_counter() - start
    manifest = json.loads((result.period_dir / "manifest.json").read_text())
    return elapsed, manifest["durations"]


PLAIN = r'''
import sys, time
start = time.perf_counter()
from pathlib import Path
import pandas as pd
from audit_lib.quarter.config import load_config
from audit_lib.sampling.plan import build_plan
from audit_lib.sampling.quarter_sample import sample_caseload, write_sample
from audit_lib.quarter.scores import write_scores
from audit_lib.scoring.scorecard import build_scorecard
from audit_lib.trends.progress_step import write_progress
from audit_lib.triangulation.writer import run_triangulation
imported = time.perf_counter()
cfg = load_config(sys.argv[1]); out = Path(sys.argv[2]); s = cfg.sampling; i = cfg.inputs
sample = sample_caseload(i["caseload"], build_plan(**s), cfg.framework)
write_sample(sample, out / "sampling")
card = build_scorecard(i["answers"], i["facts"], i["judgements"], cfg.framework, cfg.confidence,
                       None, i["moderation"])
end = cfg.period_end.isoformat()
write_scores(card, out / "scores", sample_dir=out / "sampling", internal_dir=out / "internal",
             disclosure_threshold=cfg.disclosure_threshold, period_end=end)
write_progress(framework=cfg.framework, baseline=i["baseline"],
               earlier_quarters=i["earlier_quarters"], current=out / "scores", period=cfg.period,
               period_label=cfg.period_label, period_end=end, target_rating=cfg.target_rating,
               sustained_quarters=cfg.sustained_quarters, confidence=cfg.confidence,
               out_dir=out / "progress")
run_triangulation(i["register"], i["evidence"], out / "scores", out / "triangulation",
                  target_rating=cfg.target_rating, period_end=end,
                  progress_dir=out / "progress")
print(f"{imported - start:.3f} {time.perf_counter() - imported:.3f}")
'''


def time_plain(config: Path, out: Path) -> tuple[float, float, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PLAIN, str(config), str(out)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    total = time.perf_counter() - start
    imports, work = (float(x) for x in done.stdout.split())
    return total, imports, work


def time_kernel_start() -> float:
    """Start the case-audit kernel and run one empty cell: the fixed cost per notebook."""
    import nbformat
    from nbclient import NotebookClient

    from audit_lib.quarter.kernel import ensure_kernel

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    start = time.perf_counter()
    NotebookClient(nb, kernel_name=ensure_kernel()).execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs, plains, kernels, shares = [], [], [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        config = demo_config(Path(tmp))
        for i in range(args.repeats):  # alternate the two, so drift hits both alike
            elapsed, durations = time_run(config)
            runs.append(elapsed)
            shares.append(durations)
            plains.append(time_plain(config, Path(tmp) / f"plain{i}"))
            kernels.append(time_kernel_start())
    run_median = statistics.median(runs)
    plain_median = statistics.median(p[0] for p in plains)
    print(f"case-audit run (4 notebooks + HTML): median {run_median:.1f} s over {args.repeats} runs")
    print(f"plain Python, same library calls:    median {plain_median:.1f} s "
          f"(imports {statistics.median(p[1] for p in plains):.1f} s, "
          f"work {statistics.median(p[2] for p in plains):.1f} s)")
    print(f"notebook overhead ratio: {run_median / plain_median:.1f} x")
    print(f"kernel start + one empty cell: median {statistics.median(kernels):.1f} s per notebook")
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}, on "
          f"{os.cpu_count()} cores")
    last = shares[-1]
    total = sum(d["execute_s"] + d["html_s"] for d in last.values())
    for d in last.values():
        print(f"  {d['notebook']:<28} execute {d['execute_s']:5.1f} s, HTML {d['html_s']:4.1f} s "
              f"({(d['execute_s'] + d['html_s']) / total:.0%} of the notebooks' time)")


if __name__ == "__main__":
    main()
