"""Writing results when things go wrong: killed processes, read-only folders, full disks."""

from __future__ import annotations

import builtins
import errno
import hashlib
import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES

from audit_lib.cli import main
from audit_lib.errors import OutputError
from audit_lib.writing import (
    MARKER,
    atomic_path,
    recover_stranded,
    seal,
    staged_directory,
    write_csv,
    write_json,
)

ANSWERS = sorted(SAMPLES.glob("answers_*.csv"))
DEMO_ARGS = [*(a for path in ANSWERS for a in ("--answers", str(path))),
             "--facts", str(SAMPLES / "case_facts.csv"),
             "--judgements", str(SAMPLES / "judgements.csv")]
# The scores folder as `score` and the quarter's scoring step both write it (issue 17).
SCORE_FILES = ["conflicts.csv", "derived_checks.csv", "gaps.csv", "judgements.csv",
               "key_questions.csv",
               "key_questions.png", "local_checks.csv", "local_checks.png",
               "moderation/breakdown_age_band.csv",
               "moderation/breakdown_disposal_group.csv", "moderation/breakdown_ethnicity_group.csv",
               "moderation/breakdown_rosh_level.csv", "moderation/breakdown_sex.csv",
               *(f"moderation/pooled/breakdown_{c}.csv" for c in (
                   "age_band", "disposal_group", "ethnicity_group", "rosh_level", "sex")),
               "moderation/pooled/pooled.json",
               "moderation/suppression.json", "overall.json", "prior_sensitivity.csv", "standards.csv",
               "standards_likelihood.png"]

# What write_csv and write_json put on disk for the "previous" results, worked out by hand.
OLD_FRAME = pd.DataFrame({"case_id": ["00123"], "answer": ["Yes"]})
OLD_CSV = b"case_id,answer\n00123,Yes\n"
OLD_JSON = b'{\n  "rating": "Good"\n}\n'


# --- helpers -------------------------------------------------------------------------------

def contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MARKER}


def hidden(folder: Path) -> list[str]:
    """Names of the dot-files and dot-folders in ``folder``: temp files, staging folders."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def run_child(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python from the repository folder, as the CLI would be run."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


def inside(path: object, folder: Path) -> bool:
    path = Path(os.fsdecode(path)).absolute()
    return path == folder or folder in path.parents


def refuse_writes(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> None:
    """Make ``folder`` behave as a read-only mount (EROFS) or a folder without write
    permission (EACCES): creating, opening for writing or renaming anything in it fails.

    chmod cannot do this: the tests run as root, who may write anywhere.
    """
    folder = folder.absolute()
    real_open, real_mkdir = os.open, os.mkdir
    real_replace, real_rename = os.replace, os.rename
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def refuse(path: object) -> None:
        raise OSError(code, os.strerror(code), os.fsdecode(path))

    def fake_open(path, flags, *args, **kwargs):
        if flags & writing and inside(path, folder):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        if inside(path, folder):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)

    def renamer(real):
        def fake(src, dst, *args, **kwargs):
            for path in (src, dst):
                if inside(path, folder):
                    refuse(path)
            return real(src, dst, *args, **kwargs)
        return fake

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(os, "replace", renamer(real_replace))
    monkeypatch.setattr(os, "rename", renamer(real_rename))


def fill_disk(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every write to a temporary file (``.name.XXXX.tmp``) put part of its data on disk
    and then fail with ENOSPC, as a full disk does. Returns the files it failed, so a test can
    check the fault really happened."""
    real_open = builtins.open
    failed: list[str] = []

    def fake_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        name = Path(os.fsdecode(file)).name if isinstance(file, (str, bytes, os.PathLike)) else ""
        if any(m in mode for m in "wax+") and name.startswith(".") and name.endswith(".tmp"):
            write = handle.write

            def write_half(data):
                write(data[: max(1, len(data) // 2)])
                failed.append(name)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            handle.write = write_half
        return handle

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)  # pathlib's write_text opens through io.open
    return failed


def score(out: Path, *args: str) -> int:
    return main(["score", *(args or DEMO_ARGS), "--out", str(out)])


@pytest.fixture(scope="module")
def clean_scores(tmp_path_factory) -> dict[str, bytes]:
    """The demo's score files from one undisturbed run, by name."""
    out = tmp_path_factory.mktemp("clean") / "scores"
    assert score(out) == 0
    files = contents(out)
    assert sorted(files) == SCORE_FILES
    return files


@pytest.fixture
def previous(tmp_path, clean_scores) -> Path:
    """A results folder from an earlier run, as a rerun finds it."""
    out = tmp_path / "scores"
    out.mkdir()
    for name, data in clean_scores.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    seal(out)  # the marker an earlier run left, listing what it wrote
    return out


# --- a process killed part-way ---------------------------------------------------------------

KILLED_WHILE_RENAMING = """
    import os, sys
    from pathlib import Path
    import pandas as pd
    from audit_lib.writing import write_csv, write_json
    path, kind = Path(sys.argv[1]), sys.argv[2]
    if kind == "csv":
        write_csv(pd.DataFrame({"case_id": ["00123"], "answer": ["Yes"]}), path)
    else:
        write_json({"rating": "Good"}, path)
    os.replace = lambda *args, **kwargs: os._exit(9)   # killed between writing and renaming
    if kind == "csv":
        write_csv(pd.DataFrame({"case_id": ["00124", "00125"], "answer": ["No", "N/A"]}), path)
    else:
        write_json({"rating": "Inadequate", "score": 0}, path)
"""


@pytest.mark.parametrize("kind, previous_bytes", [("csv", OLD_CSV), ("json", OLD_JSON)],
                         ids=["csv", "json"])
def test_killed_before_the_rename_leaves_the_previous_file_intact(tmp_path, kind, previous_bytes):
    path = tmp_path / f"results.{kind}"
    child = run_child(KILLED_WHILE_RENAMING, str(path), kind)
    assert child.returncode == 9, child.stderr  # died at the rename, not of an error
    assert path.read_bytes() == previous_bytes
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    assert all(n.startswith(f".results.{kind}.") and n.endswith(".tmp") for n in leftovers)


KILLED_IN_STAGED_DIRECTORY = """
    import os, sys
    from pathlib import Path
    import pandas as pd
    import audit_lib.writing
    from audit_lib.writing import staged_directory, write_csv, write_json
    audit_lib.writing._exchange = lambda a, b: False  # the portable path (no atomic exchange)
    out, when = Path(sys.argv[1]), sys.argv[2]
    with staged_directory(out) as stage:
        write_csv(pd.DataFrame({"case_id": ["00123"], "answer": ["Yes"]}), stage / "answers.csv")
        write_json({"rating": "Good"}, stage / "overall.json")
    real_replace, renames = os.replace, []

    def replace(*args, **kwargs):
        renames.append(args)
        if len(renames) == int(when):
            os._exit(9)
        return real_replace(*args, **kwargs)

    with staged_directory(out) as stage:
        write_csv(pd.DataFrame({"case_id": ["00124"], "answer": ["No"]}), stage / "answers.csv")
        write_json({"rating": "Inadequate"}, stage / "overall.json")
        write_csv(pd.DataFrame({"x": [1]}), stage / "extra.csv")
        if when == "0":
            os._exit(9)          # killed inside the with-block, results half-written
        os.replace = replace     # from here on, only the swap renames
"""

@pytest.mark.parametrize("when", [
    pytest.param("0", id="inside-the-with-block"),
    pytest.param("1", id="at-the-first-rename-of-the-swap"),
    pytest.param("2", id="between-the-two-renames-of-the-swap"),
])
def test_killed_staged_directory_leaves_the_previous_folder_intact(tmp_path, when):
    out = tmp_path / "scores"
    child = run_child(KILLED_IN_STAGED_DIRECTORY, str(out), when)
    assert child.returncode == 9, child.stderr
    if when == "2":  # the previous results sit aside until the next run puts them back
        recover_stranded(out)
    assert contents(out) == {"answers.csv": OLD_CSV, "overall.json": OLD_JSON}
    leftovers = hidden(tmp_path)
    assert all(n.startswith((".scores.staging.", ".scores.old.")) for n in leftovers)


def test_on_linux_the_swap_is_one_atomic_exchange(tmp_path, monkeypatch):
    import sys

    if sys.platform != "linux":
        pytest.skip("renameat2 exchange is Linux only")
    out = tmp_path / "scores"
    with staged_directory(out) as stage:
        write_csv(OLD_FRAME, stage / "answers.csv")
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda *a, **k: renames.append(a) or real_replace(*a, **k))
    with staged_directory(out) as stage:
        write_json({"rating": "Good"}, stage / "overall.json")
    assert contents(out) == {"overall.json": b'{\n  "rating": "Good"\n}\n'}
    assert not [a for a in renames if Path(a[0]).is_dir() or Path(a[1]) == out]
    assert hidden(tmp_path) == []


# --- a folder the user may not write to ------------------------------------------------------

@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["EACCES", "EROFS"])
def test_read_only_folder_gives_a_clear_output_error(tmp_path, monkeypatch, code):
    (tmp_path / "results.csv").write_bytes(OLD_CSV)
    refuse_writes(monkeypatch, tmp_path, code)
    for write in (lambda: write_csv(OLD_FRAME, tmp_path / "results.csv"),
                  lambda: write_json({"rating": "Good"}, tmp_path / "overall.json")):
        with pytest.raises(OutputError) as caught:
            write()
        assert str(caught.value) == (f"{tmp_path}: not allowed to write here; choose a folder "
                                     "you can write to.")
    with pytest.raises(OutputError, match="not allowed to write here"):
        with staged_directory(tmp_path / "scores"):
            pytest.fail("the body must not run when the staging folder cannot be made")
    assert contents(tmp_path) == {"results.csv": OLD_CSV}


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["EACCES", "EROFS"])
def test_cli_read_only_folder_exits_2_without_traceback(tmp_path, previous, monkeypatch, capsys,
                                                        code):
    before = contents(previous)
    refuse_writes(monkeypatch, tmp_path, code)
    assert score(previous) == 2
    err = capsys.readouterr().err
    assert f"case-audit score: {tmp_path}: not allowed to write here" in err
    assert "Traceback" not in err
    assert contents(previous) == before
    assert hidden(tmp_path) == []


def test_cli_results_folder_that_cannot_be_moved_aside_is_reported(tmp_path, previous,
                                                                   monkeypatch, capsys):
    """On Windows a results file open in Excel stops the old folder from being renamed."""
    before = contents(previous)
    real_replace = os.replace

    def locked(src, dst, *args, **kwargs):
        if Path(src) == previous:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(src))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", locked)
    monkeypatch.setattr("audit_lib.writing._exchange", lambda a, b: False)  # as on Windows
    assert score(previous) == 2
    err = capsys.readouterr().err
    assert f"{previous}: not allowed to write here" in err and "Traceback" not in err
    assert contents(previous) == before


def fail_swap(monkeypatch: pytest.MonkeyPatch, out: Path, failing: str) -> None:
    """Refuse one rename of the swap: moving ``out`` aside, or moving the staging folder in."""
    real_replace = os.replace

    def refuse(src, dst, *args, **kwargs):
        moving = Path(src) == out if failing == "old-aside" else \
            Path(src).name.startswith(f".{out.name}.staging.")
        if moving:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(src))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setattr("audit_lib.writing._exchange", lambda a, b: False)  # as on Windows


@pytest.mark.parametrize("failing", ["old-aside", "new-in"])
def test_a_failed_swap_restores_the_previous_folder(tmp_path, previous, monkeypatch, failing):
    before = contents(previous)
    fail_swap(monkeypatch, previous, failing)
    with pytest.raises(OutputError, match=f"^{previous}: not allowed to write here"):
        with staged_directory(previous) as stage:
            write_csv(OLD_FRAME, stage / "answers.csv")
    assert contents(previous) == before
    assert not [n for n in hidden(tmp_path) if n.startswith(".scores.staging.")]


@pytest.mark.parametrize("failing", ["old-aside", "new-in"])
def test_a_failed_swap_leaves_no_hidden_folders_behind(tmp_path, previous, monkeypatch, failing):
    fail_swap(monkeypatch, previous, failing)
    with pytest.raises(OutputError):
        with staged_directory(previous) as stage:
            write_csv(OLD_FRAME, stage / "answers.csv")
    assert hidden(tmp_path) == []


# --- a full disk -------------------------------------------------------------------------------

@pytest.mark.parametrize("writer, name, previous_bytes", [
    (lambda path: write_csv(pd.DataFrame({"case_id": ["00124"] * 50, "answer": ["No"] * 50}),
                            path), "results.csv", OLD_CSV),
    (lambda path: write_json({"rating": "Inadequate", "note": "x" * 500}, path), "overall.json",
     OLD_JSON),
], ids=["csv", "json"])
def test_full_disk_while_writing_says_so_and_leaves_nothing_half_written(
        tmp_path, monkeypatch, writer, name, previous_bytes):
    path = tmp_path / name
    path.write_bytes(previous_bytes)
    failed = fill_disk(monkeypatch)
    with pytest.raises(OutputError) as caught:
        writer(path)
    assert failed, "the simulated full disk was never hit"
    assert str(caught.value) == f"no space left on device: {path}; free some space and run again"
    assert contents(tmp_path) == {name: previous_bytes}


def test_full_disk_at_fsync_says_so_and_leaves_nothing_behind(tmp_path, monkeypatch):
    """Space is often only claimed when the data is flushed, so fsync can report it."""
    path = tmp_path / "results.csv"
    path.write_bytes(OLD_CSV)

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OutputError, match="no space left on device"):
        write_csv(pd.DataFrame({"case_id": ["00124"], "answer": ["No"]}), path)
    assert contents(tmp_path) == {"results.csv": OLD_CSV}


def test_cli_full_disk_exits_2_and_leaves_the_previous_results(tmp_path, previous, monkeypatch,
                                                               capsys):
    before = contents(previous)
    failed = fill_disk(monkeypatch)
    assert score(previous) == 2
    assert failed
    err = capsys.readouterr().err
    assert "no space left on device: " in err and "free some space and run again" in err
    assert "Traceback" not in err
    assert contents(previous) == before
    assert hidden(tmp_path) == []


# --- something in the way ------------------------------------------------------------------------

def test_cli_out_naming_an_existing_file_is_refused(tmp_path, capsys):
    target = tmp_path / "scores.csv"
    target.write_bytes(OLD_CSV)
    assert score(target) == 2
    err = capsys.readouterr().err
    assert f"{target}: exists and is not a folder; choose another --out." in err
    assert "Traceback" not in err
    assert target.read_bytes() == OLD_CSV
    assert hidden(tmp_path) == []


def test_cli_out_inside_an_existing_file_is_refused(tmp_path, capsys):
    blocker = tmp_path / "scores.csv"
    blocker.write_bytes(OLD_CSV)
    assert score(blocker / "q2") == 2
    err = capsys.readouterr().err
    assert f"case-audit score: {blocker}" in err and "Traceback" not in err
    assert contents(tmp_path) == {"scores.csv": OLD_CSV}


def test_write_csv_into_a_file_instead_of_a_folder_is_an_output_error(tmp_path):
    blocker = tmp_path / "scores.csv"
    blocker.write_bytes(OLD_CSV)
    with pytest.raises(OutputError, match=f"^{blocker}: exists and is not a folder"):
        write_csv(OLD_FRAME, blocker / "results.csv")
    assert contents(tmp_path) == {"scores.csv": OLD_CSV}


@pytest.mark.parametrize("write", [
    lambda blocker: staged_directory(blocker / "q2").__enter__(),
    lambda blocker: staged_directory(blocker / "2026" / "q2").__enter__(),
    lambda blocker: write_csv(OLD_FRAME, blocker / "results.csv"),
], ids=["folder-in-a-file", "folder-deeper-in-a-file", "file-in-a-file"])
def test_a_file_where_a_folder_should_be_is_named_as_such(tmp_path, write):
    blocker = tmp_path / "scores.csv"
    blocker.write_bytes(OLD_CSV)
    with pytest.raises(OutputError) as caught:
        write(blocker)
    assert str(caught.value).startswith(f"{blocker}: exists and is not a folder")


def test_error_inside_atomic_path_leaves_the_previous_file_and_no_temp(tmp_path):
    path = tmp_path / "results.csv"
    path.write_bytes(OLD_CSV)
    with pytest.raises(ValueError, match="stop"):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"half")
            raise ValueError("stop")
    assert contents(tmp_path) == {"results.csv": OLD_CSV}


def test_cli_interrupted_while_writing_changes_nothing(tmp_path, previous, monkeypatch, capsys):
    before = contents(previous)
    real_fsync, synced = os.fsync, []

    def interrupt_third(fd):
        synced.append(fd)
        if len(synced) == 3:  # two result files written, then Ctrl+C
            raise KeyboardInterrupt
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupt_third)
    import logging

    monkeypatch.setattr(logging.getLogger("asyncio"), "level", logging.getLogger("asyncio").level)
    assert score(previous) == 130
    assert "interrupted; the results published before are unchanged" in capsys.readouterr().err
    # A kernel that died with the interrupt is not reported again, as a traceback, at exit.
    assert not logging.getLogger("asyncio").isEnabledFor(logging.CRITICAL)
    assert contents(previous) == before
    assert hidden(tmp_path) == []


# --- running again ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("fault", ["full-disk", "read-only", "file-in-the-way"])
def test_rerun_after_a_failure_matches_a_clean_run(tmp_path, monkeypatch, clean_scores, fault):
    out = tmp_path / "scores"
    with monkeypatch.context() as patch:
        if fault == "full-disk":
            fill_disk(patch)
        elif fault == "read-only":
            refuse_writes(patch, tmp_path, errno.EROFS)
        else:
            out.write_bytes(OLD_CSV)
        assert score(out) == 2
    if fault == "file-in-the-way":
        out.unlink()
    assert score(out) == 0
    assert contents(out) == clean_scores
    assert hidden(tmp_path) == []


# --- inputs are only read --------------------------------------------------------------------

def sha256_tree(folder: Path, skip: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and skip not in p.parents}


def test_score_and_validate_never_modify_the_inputs(tmp_path, monkeypatch):
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    out = folder / "scores"  # results beside the inputs, as users often put them
    before = sha256_tree(folder, out)
    assert before  # the copy holds the sample inputs
    args = [a.replace(str(SAMPLES), str(folder)) for a in DEMO_ARGS]
    assert score(out, *args) == 0
    with monkeypatch.context() as patch:
        fill_disk(patch)
        assert score(out, *args) == 2
    inputs = [a for a in args if a.startswith(str(folder))]
    assert main(["validate", *inputs]) == 0
    assert sha256_tree(folder, out) == before
    assert {p.name for p in folder.iterdir()} == {Path(k).parts[0] for k in before} | {"scores"}
