"""Shared test helpers: write small input files in the formats users give us."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

# No test asserts a time (bound work by counts; times belong in benchmarks/): hypothesis's own
# clocks (a deadline per example, a health check on slow data generation) would fail a test
# for the machine's load, not for the code.
settings.register_profile("no-clocks", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("no-clocks")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write a small CSV file and return its path."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def minimal_pdf(text: str, author: str = "case-audit") -> bytes:
    """A one-page PDF with ``text`` in Helvetica and ``author`` in its document information,
    with the binary comment line PDF writers put second (so it is no text file)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
               b"<< /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Author (%s) >>" % author.encode("latin-1")]
    out, offsets = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out


@pytest.fixture
def facts_file(tmp_path: Path) -> Path:
    """Three cases: a court case with a victim, an OOCD case, a high-risk court case."""
    return write_csv(tmp_path / "facts.csv",
                     ["case_id", "disposal_group", "rosh_level", "identifiable_victim",
                      "start_date", "assessment_date", "decision_date", "victim_contact_date"],
                     [["00123", "court", "medium", "yes", "2026-03-02", "", "", "2026-03-05"],
                      ["00124", "oocd", "low", "no", "2026-03-02", "2026-03-09", "2026-03-10", ""],
                      ["00125", "court", "high", "no", "02/03/2026", "", "", ""]])


@pytest.fixture(scope="session")
def shared_outputs(tmp_path_factory) -> Callable[[str, Callable[[Path], object]], Path]:
    """Build an output folder once per test session, shared by every module and xdist worker.

    ``shared_outputs(name, build)`` returns ``<session tmp>/shared/<name>``, calling
    ``build(folder)`` the first time (under a file lock, so a second worker waits for the
    first rather than running the same demo again). Tests only read what it returns.
    """
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the workers' folders share one parent
        root = root.parent
    shared = root / "shared"
    shared.mkdir(parents=True, exist_ok=True)

    def get(name: str, build: Callable[[Path], object]) -> Path:
        folder = shared / name
        with FileLock(str(shared / f"{name}.lock")):
            if not (shared / f"{name}.done").is_file():
                shutil.rmtree(folder, ignore_errors=True)  # a half-built one from a failure
                build(folder)
                (shared / f"{name}.done").touch()
        return folder

    return get


#: The demo quarter as a user runs it (the README's command behind ``make demo``), from a
#: folder holding a copy of samples/; results go to ``outputs/demo`` beside it.
DEMO_COMMAND = ["case-audit", "run", "--config", "samples/demo.yaml"]


#: The demo quarter runs from a folder named after a person on the names list it runs with
#: (issue 26): a QA officer's quarters are often kept under their own name, which must appear
#: in nothing published.
DEMO_FOLDER = "Siobh\u00e1n O'Neill"
DEMO_NAMES = ("Siobh\u00e1n O'Neill", "Larkspur Example")


def demo_quarter(shared_outputs) -> Path:
    """The demo quarter, run once per test session by `DEMO_COMMAND` in a fresh process.

    Returns the folder that holds ``samples/`` (the config ``samples/demo.yaml``), the
    results (``outputs/demo``, the history), ``internal/`` and ``ran.json``: the command
    line, its exit code and what it printed (the run's progress lines) and logged. The folder
    is named `DEMO_FOLDER`, and the run has `DEMO_NAMES` as its names list (given by its
    environment variable, so the command stays the README's). Tests only read it; a test that
    runs the quarter again copies the folder first (``shutil.copytree``). A failed run is kept
    as it is, for the tests to report.
    """
    return shared_outputs(DEMO_FOLDER, _run_demo_quarter)


def _run_demo_quarter(folder: Path) -> None:
    import json
    import subprocess
    import sys

    from audit_lib.inputs.identifiers import NAMES_ENV

    shutil.copytree(SAMPLES, folder / "samples", ignore=shutil.ignore_patterns("*.py"))
    names = folder.parent / "demo-names.txt"  # outside the quarter's folder
    names.write_text("\n".join(DEMO_NAMES) + "\n", encoding="utf-8")
    argv = [str(Path(sys.executable).parent / DEMO_COMMAND[0]), *DEMO_COMMAND[1:]]
    ran = subprocess.run(argv, cwd=folder, capture_output=True, text=True,
                         env={**os.environ, NAMES_ENV: str(names)})
    (folder / "ran.json").write_text(json.dumps({
        "argv": argv, "returncode": ran.returncode, "stdout": ran.stdout,
        "stderr": ran.stderr}), encoding="utf-8")


#: Modules that run whole quarters or batches, longest first (seconds per module summed from
#: ``pytest --junitxml``, issue 18). With ``--dist loadfile`` a module is one unit of work,
#: handed out in collection order (``--no-loadscope-reorder``): starting the longest first, and
#: leaving the many quick modules to fill in at the end, lets both workers finish together.
#: test_install comes second: its wheel test keeps the other worker busy while test_pipeline
#: builds the session's `demo_quarter`, which test_install's next test reads.
LONGEST_FIRST = ("test_pipeline.py", "test_install.py", "test_quarters.py", "test_demo_2025.py",
                 "test_gaps.py", "test_batch.py", "test_faults.py", "test_commit.py", "test_cli.py",
                 "test_backtests.py", "test_hostile_report.py", "test_paths.py",
                 "test_board_paper.py", "test_plan.py", "test_workbooks.py")


def pytest_collection_modifyitems(config, items):
    """Put the modules of `LONGEST_FIRST` first, in that order; the rest keep theirs."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest as found
