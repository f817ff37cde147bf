"""Check that two runs wrote the same outputs: every file, byte for byte where it can be.

Run: .venv/bin/python benchmarks/same_outputs.py BEFORE_DIR AFTER_DIR
(for instance the outputs/ and internal/ folders of the demo run by the code before a change
and after it). Exits 1, listing each difference, when any file differs or is missing.

What changes from run to run whatever the code does is left out, and only that: the run's id
and times in `.case-audit-output` markers and `manifest.json` (whose hashes of the other files
are compared), papermill's and the kernel's timings in executed notebooks and the random names
of the staging folders their parameters name (sources and outputs of every cell are compared),
and the times inside .xlsx files (every other part of the
archive is compared, byte for byte once unzipped), undo notes' run ids, the code commit the
report and manifest name (it changes with any change to the code), and in a history database
the run id and time each period was recorded (every table compared row by row). Everything
else (CSV, JSON, PNG, HTML ...) is compared byte for byte.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

#: Keys of a marker or manifest that name the run or its times.
RUN_KEYS = {"run", "started", "finished", "durations", "git_commit"}
#: The code commit a report names ("code commit 71773151e9c1", "code commit not recorded").
COMMIT = re.compile(r"code commit (?:[0-9a-f]{7,40}|not recorded)")
#: A history database's columns that name the run and time a period was recorded.
HISTORY_RUN_COLUMNS = {("recorded_periods", "run"), ("recorded_periods", "recorded")}
#: A staging folder's name, random on each run (``.demo.staging.d871q4_c``).
STAGING = re.compile(r"\.staging\.[A-Za-z0-9_]+")
#: Parts of an .xlsx archive that hold the time it was written.
XLSX_TIMES = {"docProps/core.xml"}


def _json_without(path: Path, keys: set[str]) -> object:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in keys}
        files = data.get("files")
        if isinstance(files, dict):  # a notebook's or workbook's hash changes with its times,
            # a page's with the code commit it names: each is compared itself
            data["files"] = {k: v for k, v in files.items()
                             if not k.endswith((".ipynb", ".xlsx", "manifest.json",
                                                ".case-audit-output", ".html"))}
    return data


def _notebook(path: Path) -> list:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c["cell_type"], STAGING.sub(".staging.*", "".join(c["source"])),
             COMMIT.sub("code commit *", json.dumps(c.get("outputs")))) for c in cells]


def _sqlite(path: Path) -> dict[str, list]:
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {}
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}" ORDER BY 1')
            names = [d[0] for d in cursor.description]
            out[table] = [tuple(None if (table, n) in HISTORY_RUN_COLUMNS else v
                                for n, v in zip(names, row)) for row in cursor]
    return out


def _xlsx(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {n: book.read(n) for n in book.namelist() if n not in XLSX_TIMES}


def same(a: Path, b: Path) -> bool:
    """Whether two output files say the same (see the module's notes)."""
    if a.name in (".case-audit-output", "manifest.json") or a.name.endswith(".undo.json"):
        return _json_without(a, RUN_KEYS) == _json_without(b, RUN_KEYS)
    if a.suffix == ".ipynb":
        return _notebook(a) == _notebook(b)
    if a.suffix == ".xlsx":
        return _xlsx(a) == _xlsx(b)
    if a.suffix == ".sqlite":
        return _sqlite(a) == _sqlite(b)
    if a.suffix == ".html":
        return (COMMIT.sub("code commit *", a.read_text(encoding="utf-8"))
                == COMMIT.sub("code commit *", b.read_text(encoding="utf-8")))
    return a.read_bytes() == b.read_bytes()


def compare(before: Path, after: Path) -> list[str]:
    """Every difference between two folders of outputs, as lines to print."""
    names_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    problems = [f"only in {before}: {n}" for n in sorted(names_a - names_b)]
    problems += [f"only in {after}: {n}" for n in sorted(names_b - names_a)]
    problems += [f"differs: {n}" for n in sorted(names_a & names_b)
                 if not same(before / n, after / n)]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    problems = compare(args.before, args.after)
    count = sum(1 for p in args.before.rglob("*") if p.is_file())
    for line in problems:
        print(line)
    print(f"{count} files compared: " + ("the same" if not problems else
                                         f"{len(problems)} difference(s)"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
