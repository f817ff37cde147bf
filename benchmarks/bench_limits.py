"""Benchmark: how fast hostile inputs are refused (issue 15, no. 11; issue 26, item 4).

Run: .venv/bin/python benchmarks/bench_limits.py [--repeats 5] [--before DIR]
A 100,000-column CSV (1 MB: it used to run 300 s with no output) and a 342-byte YAML alias
bomb (it used to reach MemoryError after 33 s) are each refused with a clear message; this
prints the median time to refusal of each, in process.

Then the three hostile workbooks of issue 26 (tests/hostile_files.py): two million and twenty
million shared texts no cell uses, and four million cell styles, each a small file within the
container limits. Each is read by `read_table` in a fresh process (time to refusal, and the
process's peak memory); with ``--before DIR`` (another copy of the source) the same, stopped
after ``--timeout`` seconds.
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
sys.path.insert(0, str(ROOT / "tests"))  # the hostile workbooks are built as the tests build them

READ = """
import resource, sys, time
from audit_lib.errors import InputError
from audit_lib.inputs.reading import read_table
start = time.perf_counter()
try:
    read_table(sys.argv[1], required=("case_id",))
    said = "read"
except InputError as exc:
    said = str(exc).splitlines()[-1].strip()[:90]
try:  # this process's own peak (ru_maxrss would count the parent's pages before exec)
    peak = next(int(line.split()[1]) for line in open("/proc/self/status")
                if line.startswith("VmHWM")) / 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{time.perf_counter() - start:.2f}|{peak:.0f}|{said}")
"""


def refuse_in_process(path: Path, source: Path, timeout: float) -> str:
    """Time to refusal (s), peak memory (MB) and the message, read in a fresh process."""
    try:
        done = subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True,
                              text=True, cwd=source, timeout=timeout,
                              env={**os.environ, "PYTHONPATH": str(source)})
    except subprocess.TimeoutExpired:
        return f"not refused after {timeout:.0f} s (stopped)"
    seconds, peak, said = done.stdout.strip().split("|", 2)
    return f"{seconds} s, peak {peak} MB: {said}"


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
    parser.add_argument("--before", metavar="DIR", help="another copy of the source to time too")
    parser.add_argument("--timeout", type=float, default=120)
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
    from hostile_files import shared_strings_bomb, styles_bomb

    with tempfile.TemporaryDirectory() as tmp:
        for label, make, count in [("2 million shared texts", shared_strings_bomb, 2_000_000),
                                   ("20 million shared texts", shared_strings_bomb, 20_000_000),
                                   ("4 million cell styles", styles_bomb, 4_000_000)]:
            path = make(Path(tmp) / f"{count}.xlsx", count)
            print(f"{label} ({path.stat().st_size / 1e6:.1f} MB): this source: "
                  f"{refuse_in_process(path, ROOT, args.timeout)}")
            if args.before:
                print(f"    {args.before}: "
                      f"{refuse_in_process(path, Path(args.before).resolve(), args.timeout)}")
    print(f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
