"""Benchmark: pyarrow for the million answer rows, the reader and the columns (issue 25, item 2).

Run, in an environment with pyarrow (case-audit does not depend on it):
    python3 -m venv /tmp/arrow && /tmp/arrow/bin/pip install -e ".[dev]" pyarrow
    /tmp/arrow/bin/python benchmarks/bench_arrow.py [--repeats 5]
On the 998,069-row answers file of `bench_score_e2e.py`, in one process, alternating, medians:
reading it as case-audit does (pandas' C parser, every column text, "N/A", "NA" and empty cells
kept as text) with pandas' text columns held in Python objects and in Arrow, and with pyarrow's
own CSV reader (every column a string, no value read as missing, blank lines kept); then
factorising every column (what the identifier gate and the checks do to each text column) in
each storage. Every reader's values are checked equal to the C parser's. The whole `score`
command with and without pyarrow is timed by `bench_score_e2e.py --arrow-python`.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from audit_lib.synth.bundle import write_answers_only

    load_before = os.getloadavg()[0]
    options = dict(dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                   index_col=False)
    with tempfile.TemporaryDirectory() as tmp:
        path, _, n = write_answers_only(Path(tmp) / "answers.csv", 15, 12, 309, seed=3)
        header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        # A few cells a tired QA officer's file holds: they must stay text.
        with path.open("a", encoding="utf-8") as fh:
            fh.write("S001,2023-Q3,00123,N/A,2.1.1,NA,\n")

        def c_parser(storage: str):
            with pd.option_context("mode.string_storage", storage):
                return pd.read_csv(path, **options)

        def arrow_reader():
            table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(
                ignore_empty_lines=False, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in header}, null_values=[],
                    strings_can_be_null=False, quoted_strings_can_be_null=False))
            return table.to_pandas()

        readers = {"pandas C parser, text as Python objects": lambda: c_parser("python"),
                   "pandas C parser, text in Arrow": lambda: c_parser("pyarrow"),
                   "pyarrow's CSV reader, text in Arrow": arrow_reader}
        reference = c_parser("python")
        for name, read in readers.items():
            frame = read()
            same = all((frame[c].astype(object).to_numpy() == reference[c].astype(object)
                        .to_numpy()).all() for c in reference.columns)
            print(f"{name}: the same values as case-audit reads: {same} "
                  f"(last row {frame.iloc[-1].tolist()})")
        times = {name: [] for name in readers}
        factorise = {"Python objects": [], "Arrow": []}
        frames = {"Python objects": c_parser("python"), "Arrow": arrow_reader()}
        for _ in range(args.repeats):
            for name, read in readers.items():
                start = time.perf_counter()
                read()
                times[name].append(time.perf_counter() - start)
            for name, frame in frames.items():
                start = time.perf_counter()
                for column in frame.columns:
                    pd.factorize(frame[column])
                factorise[name].append(time.perf_counter() - start)
    print(f"{n:,} answer rows; medians of {args.repeats} alternating runs:")
    for name, found in times.items():
        print(f"  read, {name}: {statistics.median(found):.3f} s")
    for name, found in factorise.items():
        print(f"  factorise its {len(header)} columns, {name}: {statistics.median(found):.3f} s")
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}, "
          f"on {os.cpu_count()} cores; pandas {pd.__version__}, pyarrow {pa.__version__}")


if __name__ == "__main__":
    main()
