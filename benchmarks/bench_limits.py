"""Benchmark: how fast hostile inputs are refused or read (issue 15, no. 11; issues 25 and 26).

Run: .venv/bin/python benchmarks/bench_limits.py [--repeats 5] [--before DIR]
A 100,000-column CSV (1 MB: it used to run 300 s with no output) and a 342-byte YAML alias
bomb (it used to reach MemoryError after 33 s) are each refused with a clear message; this
prints the median time to refusal of each, in process. Then the times the tests used to
assert, moved here (issue 25: a test bounds the work by counts, never by seconds): a
2,000-column CSV of 50 blank rows read (and refused: no data), with 500 columns for scale;
a sheet of 2,000 rows with a false dimension (A1:XFD1048576) scanned and read; long hostile
cells (60,000 characters of a repeated pattern, and 6,000 for scale) through the identifier
gate.

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


def median_time(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


#: Repeated units that make long cells hard for the identifier gate's patterns (a regular
#: expression that backtracks would take minutes on them).
HOSTILE_UNITS = ("a.", "0 ", "a@", "1/", "AB1 ", "12 march ", "+44 ", "a" * 7 + "@b.")


def false_dimension_book(folder: Path) -> Path:
    """A workbook whose one sheet says it spans A1:XFD1048576 and holds 2,000 short rows."""
    import io
    import zipfile

    import openpyxl

    blank = io.BytesIO()
    openpyxl.Workbook().save(blank)
    body = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>v{r}</t></is></c></row>'
                   for r in range(1, 2_001))
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:XFD1048576"/><sheetData>{body}</sheetData></worksheet>')
    path = folder / "book.xlsx"
    with zipfile.ZipFile(blank) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, sheet.encode() if info.filename ==
                         "xl/worksheets/sheet1.xml" else src.read(info.filename))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", metavar="DIR", help="another copy of the source to time too")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    import pandas as pd

    from audit_lib.errors import ConfigError, InputError
    from audit_lib.inputs.identifiers import PrivacySettings, scan_frame
    from audit_lib.inputs.reading import read_table
    from audit_lib.inputs.workbook_scan import scan_workbook
    from audit_lib.settings import read_yaml

    settings = PrivacySettings()  # no allowed phrases: every pattern runs on every cell

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
    with tempfile.TemporaryDirectory() as tmp:
        wide = {}
        for columns in (500, 2_000):
            wide[columns] = Path(tmp) / f"wide{columns}.csv"
            wide[columns].write_bytes((",".join(f"c{i}" for i in range(columns)) + "\n"
                                       + ("," * (columns - 1) + "\n") * 50).encode())
        read_s = {c: median_refusal(lambda p=p: read_table(p, required=()), InputError,
                                    args.repeats) for c, p in wide.items()}
        book = false_dimension_book(Path(tmp))
        book_s = median_time(lambda: (scan_workbook(book), read_table(book, required=())),
                             args.repeats)
    print(f"2,000-column CSV of 50 blank rows read in {read_s[2_000]:.3f} s, 500 columns in "
          f"{read_s[500]:.3f} s: {read_s[2_000] / read_s[500]:.1f} x for 4 x the columns "
          "(before issue 25: 2.2 to 4.5 s, quadratic)")
    print(f"a 2,000-row sheet with a false dimension (A1:XFD1048576) scanned and read in "
          f"{book_s:.3f} s")
    for unit in HOSTILE_UNITS:
        frames = [pd.DataFrame({"note": [unit * (n // len(unit))] * 3}) for n in (60_000, 6_000)]
        long_s, short_s = (median_time(lambda f=f: scan_frame(
            f, "f.csv", names=["Jo Bloggs"], settings=settings), args.repeats) for f in frames)
        print(f"hostile cells {unit!r:>12} x 60,000 characters: gate {long_s * 1000:7.1f} ms; "
              f"6,000: {short_s * 1000:6.1f} ms ({long_s / short_s:4.1f} x for 10 x longer)")
    from hostile_files import shared_strings_bomb, styles_bomb

    with tempfile.TemporaryDirectory() as tmp:
        for label, make, count in [("900,000 unused shared texts", shared_strings_bomb, 900_000),
                                   ("2 million shared texts", shared_strings_bomb, 2_000_000),
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
