"""One commit point: published results, internal tables and history always agree, whenever the
process is killed (issue 15, nos. 1 to 4)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SAMPLES

from audit_lib.cli import main
from audit_lib.errors import ConfigError, OutputError
from audit_lib.quarter.commit import period_lock
from audit_lib.quarter.config import load_config
from audit_lib.quarter.run import prepare
from audit_lib.trends.history import load_history
from audit_lib.writing import MARKER, read_marker

# A stand-in for the notebooks, so that a quarter runs in a second: each step writes a few
# files, the scoring step a key-question table and an internal table, both carrying the
# generation (GEN) of the run, which the history then records too. Everything else in the run
# (staging, the publish check, the manifest, the commit) is case-audit's own code.
FAKE_STEPS = '''
import os
from pathlib import Path

import nbformat

import audit_lib.quarter.run as quarter_run

GEN = int(os.environ["CASE_AUDIT_TEST_GEN"])


def fake_execute(notebook, output, params, kernel, warm=None):
    name = Path(output).name
    if name.startswith("01_"):
        out = Path(params["out_dir"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "sample.csv").write_text(f"case_id,gen\\n00123,{GEN}\\n")
    if name.startswith("02_"):
        out = Path(params["out_dir"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "key_questions.csv").write_text(
            f"question_id,n_applicable,n_yes\\n2.1.1,10,{GEN}\\n2.1.2,10,{GEN}\\n")
        internal = Path(params["internal_dir"])
        internal.mkdir(parents=True, exist_ok=True)
        (internal / "disagreements.csv").write_text(f"case_id,gen\\n00123,{GEN}\\n")
    nbformat.write(nbformat.v4.new_notebook(), output)


def fake_render(executed, html_path, subtitle=""):
    Path(html_path).write_text(f"<p>generation {GEN}</p>")


quarter_run.execute = fake_execute
quarter_run.render_html = fake_render
quarter_run.ensure_kernel = lambda: "case-audit"  # no notebook runs, so no kernel is needed
'''

KILL_AT = '''
import os
import sys

import audit_lib.quarter.commit as commit

point = sys.argv[2]
real_write, real_apply, real_replace = commit.write_json, commit._apply, commit.replace_periods
swaps = []


def write_json(data, path):
    if point == "before-the-commit-point" and str(path).endswith(".commit.json"):
        os._exit(9)
    real_write(data, path)
    if point == "after-the-commit-point" and str(path).endswith(".commit.json"):
        os._exit(9)
    if point == "after-the-undo-note" and str(path).endswith(".undo.json"):
        os._exit(9)


def apply(swap, run):
    real_apply(swap, run)
    swaps.append(swap)
    if point == "after-the-published-swap" and len(swaps) == 1:
        os._exit(9)
    if point == "between-the-swaps-and-history" and len(swaps) == 2:
        os._exit(9)


def replace_periods(*args, **kwargs):
    real_replace(*args, **kwargs)
    if point == "after-history":
        os._exit(9)


commit.write_json, commit._apply, commit.replace_periods = write_json, apply, replace_periods

if point.startswith("portable"):  # as on a system without an atomic exchange of folders
    import audit_lib.writing

    audit_lib.writing._exchange = lambda a, b: False
    real_os_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        real_os_replace(src, dst, *args, **kwargs)
        if point == "portable-between-the-renames" and ".old." in os.fspath(dst):
            os._exit(9)  # the old results moved aside, the new ones not yet in place

    commit.os = type("os", (), {"replace": staticmethod(replace)})
'''

RUN = '''
import sys

from audit_lib.quarter.run import run

run(sys.argv[1], progress=lambda _: None)
'''

BOUNDARIES = ["before-the-commit-point", "after-the-commit-point", "after-the-published-swap",
              "between-the-swaps-and-history", "after-history", "after-the-undo-note",
              "portable-between-the-renames"]


def quarter(folder: Path) -> Path:
    """A copy of the demo's inputs and config, results under ``folder``."""
    samples = folder / "samples"
    shutil.copytree(SAMPLES, samples, ignore=shutil.ignore_patterns("*.py", "README.md"))
    config = yaml.safe_load((SAMPLES / "demo.yaml").read_text())
    config.update(outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../internal")
    path = samples / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


#: What every child imports before it runs (see `child`).
PRELOAD = ["audit_lib.quarter.run", "audit_lib.quarter.commit", "nbformat"]

#: The start of a child's script: where it runs, its generation and argv, and its output.
CHILD_START = """
import os
import sys

os.chdir({cwd!r})
os.environ["CASE_AUDIT_TEST_GEN"] = {gen!r}
sys.argv = ["-c", *{argv!r}]
for fd, name in ((1, {stdout!r}), (2, {stderr!r})):
    os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
"""


def child(config: Path, gen: int, kill_at: str | None = None,
          code: str = RUN) -> subprocess.CompletedProcess:
    """Run a quarter in a fresh Python, as the CLI would, killed (os._exit) at ``kill_at``.

    Where there is a fork server (Linux, macOS), the child is forked from it: a clean Python
    of its own (not this test's process, so it holds none of this process's locks or state)
    that has already imported `PRELOAD`, so that each child starts in a fraction of a second
    rather than importing pandas, nbformat and audit_lib again. It runs the script as
    ``python -c`` would (``__main__``, argv, working folder); an uncaught exception exits 1
    with its traceback on stderr, as there. Elsewhere (Windows) it is ``python -c`` itself.
    """
    import multiprocessing
    import tempfile

    argv = [str(config), kill_at or ""]
    script = FAKE_STEPS + (KILL_AT if kill_at else "") + code
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *argv], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "CASE_AUDIT_TEST_GEN": str(gen)})
    server = multiprocessing.get_context("forkserver")
    server.set_forkserver_preload(PRELOAD)  # used when the server starts (once a session)
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        start = CHILD_START.format(cwd=str(ROOT), gen=str(gen), argv=argv, stdout=str(out),
                                   stderr=str(err))
        source = textwrap.dedent(start + script)
        process = server.Process(target=exec, args=(source, {"__name__": "__main__"}))
        process.start()
        process.join(timeout=120)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired([sys.executable, "-c", source, *argv], 120)
        return subprocess.CompletedProcess([sys.executable, "-c", source, *argv],
                                           process.exitcode, out.read_text(), err.read_text())


def generations(config: Path) -> dict[str, int | None]:
    """The generation each of the three places holds: published, internal, history."""
    cfg = load_config(config, steps=(), check_files=False)
    published = cfg.period_dir / "scores" / "key_questions.csv"
    internal = cfg.internal / cfg.period / "disagreements.csv"
    history = load_history(cfg.history, cfg.framework)
    rows = history.loc[history["period"] == cfg.period, "n_yes"].unique()
    return {"published": int(pd.read_csv(published)["n_yes"].iloc[0]) if published.exists()
            else None,
            "internal": int(pd.read_csv(internal)["gen"].iloc[0]) if internal.exists() else None,
            "history": int(rows[0]) if len(rows) == 1 else None}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Path:
    """A quarter whose first run (generation 1) is published."""
    folder = tmp_path_factory.mktemp("first")
    config = quarter(folder)
    done = child(config, 1)
    assert done.returncode == 0, done.stderr
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    return folder


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_killed_at_each_boundary_results_internal_tables_and_history_agree(
        first_run, tmp_path, boundary):
    folder = tmp_path / "q"
    shutil.copytree(first_run, folder)
    config = folder / "samples" / "demo.yaml"
    killed = child(config, 2, kill_at=boundary)
    assert killed.returncode == 9, killed.stderr  # really killed at that point
    cfg = load_config(config)
    journal = cfg.outputs / f".{cfg.period}.commit.json"
    committed = boundary != "before-the-commit-point"
    assert journal.exists() == committed
    if not committed:  # nothing anyone can see has changed
        assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    # The next run (here only its first step, which every run and undo takes, holding the
    # period's lock) finishes a committed run or cleans up after one that was not.
    with period_lock(cfg.outputs, cfg.period):
        prepare(cfg)
    expected = 2 if committed else 1
    assert generations(config) == {"published": expected, "internal": expected,
                                   "history": expected}
    assert not journal.exists()
    for parent in (cfg.outputs, cfg.internal):
        assert not [p.name for p in parent.iterdir() if ".staging." in p.name or ".old." in p.name]
    if committed:  # the replaced generation is kept, and undo puts all of it back
        assert (cfg.outputs / ".previous" / cfg.period / "scores" / "key_questions.csv").is_file()
        assert main(["undo", "--config", str(config)]) == 0
        assert generations(config) == {"published": 1, "internal": 1, "history": 1}


def test_a_run_after_a_kill_before_the_commit_point_publishes_normally(first_run, tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(first_run, folder)
    config = folder / "samples" / "demo.yaml"
    assert child(config, 2, kill_at="before-the-commit-point").returncode == 9
    cfg = load_config(config)
    stale = [p for p in cfg.outputs.iterdir() if ".staging." in p.name]
    assert stale  # the killed run's staging folder was left behind ...
    done = child(config, 3)
    assert done.returncode == 0, done.stderr
    assert not [p for p in cfg.outputs.iterdir() if ".staging." in p.name]  # ... and removed
    assert generations(config) == {"published": 3, "internal": 3, "history": 3}


# --- Never delete what case-audit did not write (issue 15, no. 1) --------------------------

def test_files_a_user_put_in_the_results_stop_the_rerun_and_nothing_changes(first_run, tmp_path,
                                                                            capsys):
    folder = tmp_path / "q"
    shutil.copytree(first_run, folder)
    config = folder / "samples" / "demo.yaml"
    cfg = load_config(config)
    workbooks = cfg.period_dir / "sampling" / "workbooks"
    workbooks.mkdir(parents=True)
    (workbooks / "PM01.xlsx").write_bytes(b"a returned workbook")
    (cfg.period_dir / "notes.docx").write_bytes(b"my notes")
    sample = cfg.period_dir / "sampling" / "sample.csv"
    sample.write_text(sample.read_text() + "00999,1\n")  # edited in Excel and saved
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    done = child(config, 2)
    assert done.returncode == 1 and "OutputError" in done.stderr
    message = done.stderr
    for path in ("notes.docx", "sampling/sample.csv", "sampling/workbooks/"):
        assert f"  - {cfg.period_dir / path}" in message
    assert "holds 3 file(s) case-audit did not write, or changed since it wrote them" in message
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert {p: d for p, d in after.items() if ".lock" not in p.name} == {
        p: d for p, d in before.items() if ".lock" not in p.name}
    assert generations(config)["history"] == 1
    assert main(["undo", "--config", str(config)]) == 2  # undo refuses just the same
    assert "did not write" in capsys.readouterr().err


def test_the_first_run_of_a_period_can_be_undone_and_redone(first_run, tmp_path, capsys):
    folder = tmp_path / "q"
    shutil.copytree(first_run, folder)
    config = folder / "samples" / "demo.yaml"
    assert main(["undo", "--config", str(config)]) == 0  # back to before the first run
    assert "demo has no results now (undo again to put them back)" in capsys.readouterr().out
    assert generations(config) == {"published": None, "internal": None, "history": None}
    cfg = load_config(config)
    assert not load_history(cfg.history, None)["period"].eq("demo").any()
    assert main(["undo", "--config", str(config)]) == 0  # redo
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}


def test_undo_without_a_previous_run_says_so(tmp_path):
    config = quarter(tmp_path)
    from audit_lib.quarter.run import undo

    with pytest.raises(ConfigError, match="there is no previous run of demo to go back to"):
        undo(config, progress=lambda _: None)


def test_undo_twice_redoes_and_each_folder_lists_what_it_holds(first_run, tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(first_run, folder)
    config = folder / "samples" / "demo.yaml"
    assert child(config, 2).returncode == 0
    cfg = load_config(config)
    listing = read_marker(cfg.period_dir)
    assert listing["run"] and "scores/key_questions.csv" in listing["files"]
    assert json.loads((cfg.period_dir / "manifest.json").read_text())["run"] == listing["run"]
    assert read_marker(cfg.internal / cfg.period)["run"] == listing["run"]
    assert main(["undo", "--config", str(config)]) == 0
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    assert main(["undo", "--config", str(config)]) == 0
    assert generations(config) == {"published": 2, "internal": 2, "history": 2}


def test_a_second_run_of_the_same_period_is_refused_while_one_is_going_on(first_run, tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(first_run, folder)
    config = folder / "samples" / "demo.yaml"
    cfg = load_config(config)
    with period_lock(cfg.outputs, cfg.period):  # another run holds the period
        done = child(config, 2)
    assert done.returncode == 1 and "another case-audit run of this period" in done.stderr
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    with period_lock(cfg.outputs, cfg.period), pytest.raises(OutputError):
        with period_lock(cfg.outputs, cfg.period):
            pass


def test_marker_lists_every_file_and_folder(first_run):
    cfg = load_config(first_run / "samples" / "demo.yaml")
    listing = read_marker(cfg.period_dir)
    files = {p.relative_to(cfg.period_dir).as_posix() for p in cfg.period_dir.rglob("*")
             if p.is_file() and p.name != MARKER}
    assert set(listing["files"]) == files
    assert set(listing["folders"]) == {"sampling", "scores"}


FULL_DISK_AT_HISTORY = '''
import sqlite3

import audit_lib.trends.history as history

real_connect = history.sqlite3.connect


class Full:
    """A connection whose writes fail as SQLite's do when the disk is full."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *args):
        if sql.startswith(("INSERT", "DELETE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


history.sqlite3 = type("sqlite3", (), {"connect": staticmethod(
    lambda *a, **k: Full(real_connect(*a, **k)) if not k.get("uri") else real_connect(*a, **k)),
    "Error": sqlite3.Error, "DatabaseError": sqlite3.DatabaseError,
    "Connection": sqlite3.Connection})
'''


def test_a_full_disk_while_history_is_written_is_finished_by_the_next_run(first_run, tmp_path,
                                                                         capsys):
    folder = tmp_path / "q"
    shutil.copytree(first_run, folder)
    config = folder / "samples" / "demo.yaml"
    failed = child(config, 2, code=FULL_DISK_AT_HISTORY + RUN)
    assert failed.returncode == 1 and "OutputError" in failed.stderr
    assert "the run's results were committed but could not all be put in place" in failed.stderr
    assert "database or disk is full" in failed.stderr
    cfg = load_config(config)
    assert (cfg.outputs / f".{cfg.period}.commit.json").exists()
    assert generations(config) == {"published": 2, "internal": 2, "history": 1}
    # Once there is space again, any run or undo finishes the commit first.
    assert main(["undo", "--config", str(config)]) == 0
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    assert main(["undo", "--config", str(config)]) == 0
    assert generations(config) == {"published": 2, "internal": 2, "history": 2}
