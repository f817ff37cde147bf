"""Failed runs are cleaned where no reader takes them for results, then kept whole (issue 26,
item 3), and a full disk keeps no more of them than fit (item 6)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from audit_lib.errors import DiskFullError, IdentifierRefusal, PipelineError
from audit_lib.quarter import failed_runs
from audit_lib.quarter.commit import remove_stale_stages
from audit_lib.quarter.failed_runs import discard_interrupted, keep_failed, prune_failed_runs
from audit_lib.writing import MARKER, describe_os_error, make_stage, read_marker, seal

SECRET = "943 476 5919"
STARTED = dt.datetime(2026, 7, 1, 9, 0, 0)


def _stage(outputs: Path) -> Path:
    """A staging folder as a run leaves it: one page that holds an identifier, one that does
    not, and a table."""
    outputs.mkdir(parents=True, exist_ok=True)
    stage = make_stage(outputs / "demo")
    (stage / "04_report.html").write_text(f"<p>NHS {SECRET}</p>", encoding="utf-8")
    (stage / "01_sampling.html").write_text("<p>fine</p>", encoding="utf-8")
    (stage / "scores").mkdir()
    (stage / "scores" / "t.csv").write_text("note\nfine\n", encoding="utf-8")
    return stage


def _holding_secret(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and SECRET in p.read_text(encoding="utf-8", errors="replace"))


_KILLED = """
import datetime as dt, os, signal, sys
from pathlib import Path
from audit_lib.errors import IdentifierRefusal, PipelineError
from audit_lib.quarter import failed_runs, publish_check
from audit_lib.writing import make_stage

outputs, point, refused = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "refused"
stage = Path(sys.argv[4])

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "scan":
    publish_check.scan_outputs = die
elif point == "seal":
    failed_runs.seal = die
elif point == "move":
    os.replace = die
elif point == "prune":
    failed_runs.prune_failed_runs = die
elif point == "strip":  # as the first file is removed
    real = Path.unlink
    calls = []
    def unlink(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 1:
            die()
        return real(self, *args, **kwargs)
    Path.unlink = unlink
error = IdentifierRefusal("refused") if refused else PipelineError("a cell failed")
failed_runs.keep_failed(outputs, "demo", outputs, stage, dt.datetime(2026, 7, 1, 9), error)
"""


@pytest.mark.parametrize("refused", ["refused", "failed"])
@pytest.mark.parametrize("point", ["scan", "strip", "seal", "move", "prune"])
def test_a_clean_up_killed_at_any_step_leaves_no_refused_file_behind(tmp_path, point, refused):
    """Killed (SIGKILL, which nothing can hold back) at each step of the clean-up: nothing in
    failed/ ever holds the refused file, and the next start (which removes stopped runs'
    staging folders) leaves it nowhere at all."""
    outputs = tmp_path / "outputs"
    stage = _stage(outputs)
    done = subprocess.run([sys.executable, "-c", _KILLED, str(outputs), point, refused,
                           str(stage)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == -9, done.stderr  # killed at that step
    failed = outputs / "failed"
    assert not (failed.is_dir() and _holding_secret(failed))
    for kept in failed.iterdir() if failed.is_dir() else ():
        assert read_marker(kept) is not None, "a failed run is kept sealed, or not at all"
    remove_stale_stages(outputs, "demo")  # what the next run's start does
    discard_interrupted(outputs, "demo")
    assert _holding_secret(outputs) == []
    assert not [p for p in outputs.iterdir() if ".staging." in p.name]


def test_a_kept_failed_run_is_sealed_and_pruned_by_the_rules(tmp_path, monkeypatch):
    monkeypatch.setattr(failed_runs, "keep_limit", lambda: 2)
    outputs = tmp_path / "outputs"
    kept = []
    for minute in range(4):
        stage = _stage(outputs)
        kept.append(keep_failed(outputs, "demo", tmp_path, stage,
                                STARTED.replace(minute=minute), PipelineError("a cell failed")))
    assert sorted(p.name for p in (outputs / "failed").iterdir()) == [
        "demo-20260701T090200", "demo-20260701T090300"]
    last = kept[-1]
    assert set(read_marker(last)["files"]) == {"01_sampling.html", "scores/t.csv", "failed.log"}
    log = (last / "failed.log").read_text()
    assert "04_report.html" in log and "held what looks like an identifier" in log
    assert _holding_secret(outputs) == []


def test_an_older_unfinished_clean_up_is_discarded_at_the_next_start(tmp_path):
    """An older case-audit moved the staging folder into failed/ before cleaning it: stopped
    there, the folder kept the refused files and a marker that lists nothing, so it was never
    pruned. The next start removes it; a user's own folder in failed/ stays."""
    outputs = tmp_path / "outputs"
    stage = _stage(outputs)
    (outputs / "failed").mkdir()
    os.replace(stage, outputs / "failed" / "demo-20260101T000000")
    mine = outputs / "failed" / "demo-20260101T010101"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert discard_interrupted(outputs, "demo") == [outputs / "failed" / "demo-20260101T000000"]
    assert _holding_secret(outputs) == [] and (mine / "notes.txt").read_text() == "mine"


def test_files_that_could_not_be_checked_are_not_called_identifiers(tmp_path):
    outputs = tmp_path / "outputs"
    stage = _stage(outputs)
    (stage / "scores" / "half.json").write_text('{"cut": ', encoding="utf-8")  # half-written
    failed = keep_failed(outputs, "demo", tmp_path, stage, STARTED, PipelineError("a cell"))
    log = (failed / "failed.log").read_text()
    identifiers, unchecked = log.split("could not be read to be checked")
    assert "scores/half.json" in unchecked and "scores/half.json" not in identifiers
    assert "04_report.html" in identifiers and not (failed / "scores" / "half.json").exists()


def test_the_log_names_no_folder_of_the_machine_and_no_identifier(tmp_path):
    outputs = tmp_path / "outputs"
    base = tmp_path / "Jo Bloggs" / "q2"
    error = PipelineError(f"cannot read {base / 'caseload.csv'}")
    failed = keep_failed(outputs, "demo", base, _stage(outputs), STARTED, error)
    log = (failed / "failed.log").read_text()
    assert "cannot read ./caseload.csv" in log and str(tmp_path) not in log
    leaky = PipelineError(f"KeyError: '{SECRET}'")
    failed = keep_failed(outputs, "demo", base, _stage(outputs), STARTED, leaky)
    log = (failed / "failed.log").read_text()
    assert SECRET not in log and "The reason is not kept" in log


def test_a_full_disk_keeps_no_more_failed_runs_than_fit_oldest_pruned_first(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(failed_runs, "keep_limit", lambda: 5)
    outputs = tmp_path / "outputs"
    for minute in range(3):
        keep_failed(outputs, "demo", tmp_path, _stage(outputs), STARTED.replace(minute=minute),
                    PipelineError("a cell failed"))
    room = {"runs": 1}  # the disk has room for the new log once only one old run is left
    real = Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name == "failed.log" and \
                len(list((outputs / "failed").iterdir())) > room["runs"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    error = DiskFullError(f"no space left on device: {outputs / 'demo' / 'x.csv'}")
    kept = keep_failed(outputs, "demo", tmp_path, _stage(outputs), STARTED.replace(minute=9),
                       error)
    assert sorted(p.name for p in (outputs / "failed").iterdir()) == [
        "demo-20260701T090200", "demo-20260701T090900"]
    assert [p.name for p in kept.iterdir() if p.name != MARKER] == ["failed.log"]
    room["runs"] = -1  # no room at all: nothing is kept, and no staging folder is left
    assert keep_failed(outputs, "demo", tmp_path, _stage(outputs), STARTED.replace(minute=10),
                       error) is None
    assert not [p for p in outputs.iterdir() if ".staging." in p.name]


def test_prune_keeps_a_user_folder_and_can_remove_just_the_oldest(tmp_path):
    outputs = tmp_path / "outputs"
    for minute in range(3):
        folder = outputs / "failed" / f"demo-20260701T09{minute:02d}00"
        folder.mkdir(parents=True)
        (folder / "failed.log").write_text("x")
        seal(folder)
    assert [p.name for p in prune_failed_runs(outputs, "demo", keep=0, at_most=1)] == [
        "demo-20260701T090000"]
    assert len(list((outputs / "failed").iterdir())) == 2


def test_a_copy_that_fills_the_disk_names_the_file_not_a_dot(tmp_path):
    target = tmp_path / "outputs" / ".demo.staging.x" / "scores" / "t.csv"
    error = shutil.Error([(str(tmp_path / "t.csv"), str(target),
                           "[Errno 28] No space left on device")])
    assert describe_os_error(error) == (f"no space left on device: {target}; free some space "
                                        "and run again")
    assert "Error" not in describe_os_error(OSError(5, "Input/output error"))[:1]
    refused = IdentifierRefusal("x")
    assert not failed_runs.disk_full(refused)


def test_a_copy_that_fills_the_disk_is_a_disk_full_error_naming_the_file(tmp_path):
    from audit_lib.writing import output_error

    target = tmp_path / "stage" / "scores" / "t.csv"
    error = output_error(shutil.Error([(str(tmp_path / "t.csv"), str(target),
                                        "[Errno 28] No space left on device")]))
    assert isinstance(error, DiskFullError)
    assert str(error) == f"no space left on device: {target}; free some space and run again"
