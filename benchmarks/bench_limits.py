"""Benchmark: how fast hostile inputs are refused (issue 15, no. 11).

Run: .venv/bin/python benchmarks/bench_limits.py [--repeats 5]
A 100,000-column CSV (1 MB: it used to run 300 s with no output) and a 342-byte YAML alias
bomb (it used to reach MemoryError after 33 s) are each refused with a clear message; this
prints the median time to refusal of each, in process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_refusal(call, error, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            call()
        except error:
            times.append(time.perf_counter() - start)
        else:
            raise SystemExit("the input was not refused")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from audit_lib.errors import ConfigError, InputError
    from audit_lib.inputs.reading import read_table
    from audit_lib.settings import read_yaml

    with tempfile.TemporaryDirectory() as tmp:
        wide = Path(tmp) / "wide.csv"
        wide.write_bytes((",".join(f"c{i}" for i in range(100_000)) + "\n"
                          + ",".join("1" * 100_000) + "\n").encode())
        bomb = Path(tmp) / "bomb.yaml"
        bomb.write_text("a: &a [" + ",".join(['"lol"'] * 9) + "]\n" + "".join(
            f"{b}: &{b} [" + ",".join([f"*{a}"] * 9) + "]\n"
            for a, b in zip("abcdefgh", "bcdefghi")))
        size = wide.stat().st_size
        csv_s = median_refusal(lambda: read_table(wide, required=()), InputError, args.repeats)
        yaml_s = median_refusal(lambda: read_yaml(bomb, "period config"), ConfigError,
                                args.repeats)
    print(f"100,000-column CSV ({size:,} bytes) "
          f"refused in {csv_s * 1000:.1f} ms (median of {args.repeats}; before: 300 s)")
    print(f"YAML alias bomb refused in {yaml_s * 1000:.2f} ms (before: MemoryError after 33 s)")
    print(f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
