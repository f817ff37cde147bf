"""Only regular files are read (issue 26, item 5): a named pipe, a device, a socket, or a link to
one, is refused at once with a clear message, for every kind of input; and odd characters in a
config's paths give a message, never a traceback (item 6)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES

from audit_lib.errors import AuditError, ConfigError, InputError

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")


def special(tmp_path: Path, kind: str, name: str) -> Path:
    """A path ``name`` in ``tmp_path`` that is not a regular file."""
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")  # a link to a device that never ends
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        tmp_path.joinpath(".sockets").mkdir(exist_ok=True)
        _SOCKETS.append(server)
    elif kind == "link-to-fifo":
        os.mkfifo(tmp_path / f"real-{name}")
        path.symlink_to(tmp_path / f"real-{name}")
    return path


_SOCKETS: list[socket.socket] = []


def refused_at_once(call) -> BaseException:
    """Run ``call`` in a thread and return the error it raised. A read of a pipe would wait
    for ever: the thread is abandoned after a minute and the test fails (no timing asserted)."""
    caught: list[BaseException] = []

    def target():
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            caught.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the read waited on a file that is not a regular file"
    assert caught, "a file that is not a regular file was read"
    return caught[0]


KINDS = ["fifo", "device", "socket", "link-to-fifo"]
WHAT = {"fifo": "a named pipe (FIFO)", "device": "a device", "socket": "a socket",
        "link-to-fifo": "a named pipe (FIFO)"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_csv_or_workbook_that_is_not_a_regular_file_is_refused_and_named(tmp_path, kind):
    from audit_lib.inputs.reading import read_table

    for name in ("pipe.csv", "pipe.xlsx"):
        error = refused_at_once(lambda n=name: read_table(special(tmp_path, kind, n),
                                                          required=("case_id",)))
        assert isinstance(error, InputError)
        (problem,) = error.problems
        assert WHAT[kind] in problem.message and "not a regular file" in problem.message
        assert "not found" not in problem.message


@pytest.mark.parametrize("kind", KINDS)
def test_a_returned_workbook_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    from audit_lib.inputs.workbook_scan import scan_workbook
    from audit_lib.returns.workbook_reader import is_workbook

    path = special(tmp_path, kind, "PM01.xlsx")
    assert not is_workbook(path)
    result = refused_at_once(lambda: (_ for _ in ()).throw(InputError(scan_workbook(path))))
    assert WHAT[kind] in str(result)


@pytest.mark.parametrize("kind", KINDS)
def test_a_yaml_file_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    from audit_lib.quarter.config import load_config
    from audit_lib.triangulation.registers import load_register

    for load, name in ((load_config, "demo.yaml"), (load_register, "register.yaml")):
        error = refused_at_once(lambda n=name, f=load: f(special(tmp_path, kind, n)))
        assert isinstance(error, ConfigError)
        assert WHAT[kind] in str(error) and "Traceback" not in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_a_names_list_or_key_file_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    from audit_lib.inputs.identifiers import load_names
    from audit_lib.inputs.pseudonyms import load_key

    for load, name in ((load_names, "names.txt"), (load_key, "key.txt")):
        error = refused_at_once(lambda n=name, f=load: f(special(tmp_path, kind, n)))
        assert isinstance(error, ConfigError) and WHAT[kind] in str(error)


def test_the_cli_refuses_a_config_that_is_a_pipe_without_hanging(tmp_path):
    pipe = special(tmp_path, "fifo", "demo.yaml")
    cli = Path(sys.executable).parent / "case-audit"
    for command in (["validate", str(pipe)], ["run", "--config", str(pipe)]):
        done = subprocess.run([str(cli), *command], capture_output=True, text=True, timeout=300,
                              cwd=ROOT)
        assert done.returncode == 2, done.stderr
        assert "a named pipe (FIFO), not a regular file" in done.stderr
        assert "Traceback" not in done.stderr


def _demo(tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "samples"
    if not folder.exists():
        shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md"))
    data = yaml.safe_load((SAMPLES / "demo.yaml").read_text(encoding="utf-8"))
    data.update({"outputs": "../outputs", "history": "../outputs/history.sqlite",
                 "internal": "../internal"})
    for key, value in changes.items():
        if key.startswith("inputs."):
            data["inputs"][key.split(".", 1)[1]] = value
        else:
            data[key] = value
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("where, value", [
    ("inputs.caseload", "case\x00load.csv"), ("outputs", "../out\x00puts"),
    ("inputs.caseload", "case\nload.csv"), ("inputs.caseload", "case\x07.csv"),
    ("inputs.answers", ["answers_PM01.csv", "\u202evsc.10MP_srewsna"]),
    ("history", "../outputs/hist\u200bory.sqlite"), ("columns", "cols\x00.yaml"),
])
def test_odd_characters_in_a_configs_paths_give_a_message_not_a_traceback(tmp_path, where,
                                                                          value):
    from audit_lib.cli import main
    from audit_lib.quarter.config import load_config

    path = _demo(tmp_path, **{where: value})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{where}: the path holds a control or invisible character" in str(err.value)
    shown = value if isinstance(value, str) else value[-1]
    assert shown not in str(err.value)
    assert main(["validate", str(path)]) == 2


def test_a_yaml_with_an_impossible_date_is_a_message(tmp_path):
    from audit_lib.triangulation.registers import load_register

    path = tmp_path / "register.yaml"
    path.write_text("recommendations:\n  - id: R1\n    due: 2026-02-30\n", encoding="utf-8")
    with pytest.raises(AuditError, match="a date that does not exist"):
        load_register(path)


def test_pdf_of_a_missing_or_special_report_is_a_message_not_a_traceback(tmp_path):
    from audit_lib.cli import main

    assert main(["pdf", str(tmp_path / "missing.html")]) == 2
    assert main(["pdf", str(special(tmp_path, "fifo", "report.html"))]) == 2
