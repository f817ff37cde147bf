"""Benchmark: the identifier gate on the million-row answers file and its facts, this source
against another copy (issue 26: the gate reads identifiers by their shape; it must not become
much slower).

Run: .venv/bin/python benchmarks/bench_gate.py --before DIR [--repeats 5]
(with DIR made by `git archive <commit> | tar -x -C DIR`: the code before the change.)

Both copies run `scan_frame` (the gate as the readers call it: each column's distinct values,
folded and matched) on the same frames, in fresh processes, alternating, so drift in the
machine's load hits both. The files are those of `bench_score_e2e.py` (15 services, 12
quarters, ~1 million answers; the facts hold the date columns). The judgements file of the
demo is gated too, as a sample of free text.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIMED = """
import sys, time
import pandas as pd
from audit_lib.inputs.identifiers import scan_frame, load_privacy_settings
settings = load_privacy_settings()
frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sys.argv[1:]]
scan_frame(pd.DataFrame({"note": ["warm up 07700 900123"]}), "w.csv")
start = time.perf_counter()
found = sum(len(scan_frame(f, "f.csv", settings=settings)) for f in frames)
print(time.perf_counter() - start, found)
"""


def timed(source: Path, files: list[Path]) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", TIMED, *map(str, files)], check=True,
                         capture_output=True, text=True, cwd=source,
                         env={**os.environ, "PYTHONPATH": str(source)})
    seconds, found = out.stdout.split()
    return float(seconds), int(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--services", type=int, default=15)
    parser.add_argument("--before", metavar="DIR", required=True,
                        help="another copy of the source, timed in the same alternation")
    args = parser.parse_args()
    from audit_lib.synth.bundle import write_answers_only

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        answers, facts, n = write_answers_only(Path(tmp) / "answers.csv", args.services, 12, 309,
                                               seed=3)
        files = [answers, facts, ROOT / "samples" / "judgements.csv"]
        print(f"{n:,} answer rows; facts and the demo's judgements too")
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(timed(ROOT, files))
            theirs.append(timed(Path(args.before).resolve(), files))
    ours_m = statistics.median(t for t, _ in ours)
    theirs_m = statistics.median(t for t, _ in theirs)
    print(f"the gate, this source: median {ours_m:.2f} s ({ours[0][1]} problems found)")
    print(f"the gate, {args.before}: median {theirs_m:.2f} s ({theirs[0][1]} problems found)")
    print(f"ratio {ours_m / theirs_m:.2f} x ({args.repeats} alternating runs)")
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}, "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
