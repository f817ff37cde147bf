"""Installs as users install: a wheel in a fresh environment, and the commands without make.

The wheel test builds case-audit as ``pip install .`` would, installs it into a new virtual
environment and runs the demo quarter with that environment's ``case-audit``, from a folder
outside the source tree, so nothing can come from the checkout. It works offline: the new
environment borrows the test environment's third-party packages (a ``.pth`` line naming its
site-packages, and nbconvert's page templates, which pip would install under the
environment's ``share/jupyter``) but has its own copy of case-audit, installed from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, demo_quarter

#: What a wheel is built from (the rest of the checkout is not part of the package).
SOURCES = ("audit_lib", "notebooks", "pyproject.toml", "README.md", "LICENSE")


def _env() -> dict[str, str]:
    """The environment of a user's shell: nothing pointing back at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_environment_runs_the_demo_quarter(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    # Verbose, to read what the build says: a clean build has no packaging warning (a data
    # folder setuptools "would ignore" printed forty lines each, on every install).
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--no-index", "-v", "-w", str(dist),
                            str(source)], check=True, capture_output=True, text=True, env=_env())
    said = built.stdout + built.stderr
    assert "would be ignored" not in said and "_Warning" not in said, said
    wheel = next(dist.glob("case_audit-*.whl"))

    venv = tmp_path / "venv"
    # Without a pip of its own (seeding one takes seconds): this environment's pip installs
    # into it (--python runs pip on the new environment's interpreter, as its own pip would).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True)
    python = _bin(venv) / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    data = venv / "share" / "jupyter"
    data.mkdir(parents=True)
    shutil.copytree(Path(sys.prefix) / "share" / "jupyter" / "nbconvert", data / "nbconvert")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "--no-index", "--quiet", str(wheel)],
                   check=True, capture_output=True, env=_env())

    work = tmp_path / "work"
    shutil.copytree(SAMPLES, work / "samples", ignore=shutil.ignore_patterns("*.py"))
    located = subprocess.run([str(python), "-c", "import audit_lib; print(audit_lib.__file__)"],
                             cwd=work, check=True, capture_output=True, text=True, env=_env())
    assert Path(located.stdout.strip()).is_relative_to(venv)  # the wheel's copy, not the source

    ran = subprocess.run([str(_bin(venv) / "case-audit"), "run", "--config", "samples/demo.yaml"],
                         cwd=work, capture_output=True, text=True, env=_env())
    assert ran.returncode == 0, ran.stderr
    out = work / "outputs" / "demo"
    assert (out / "04_assurance_report.html").is_file()
    assert (out / "scores" / "standards.csv").is_file()
    for step in ("01_sampling", "02_scoring", "03_triangulation", "04_assurance_report"):
        executed = json.loads((out / f"{step}.ipynb").read_text(encoding="utf-8"))
        # The notebook that ran is the one installed with the package (named from the
        # folder holding the package, as a published notebook names case-audit's own files,
        # not from the checkout's notebooks/) ...
        assert executed["metadata"]["papermill"]["input_path"] == \
            f"case-audit/audit_lib/notebooks/{step}.ipynb"
    # ... on a kernel that runs the new environment's interpreter.
    kernel = json.loads((data / "kernels" / "case-audit" / "kernel.json").read_text())
    assert Path(kernel["argv"][0]).parent == _bin(venv)
    # The config template and the settings travel with the package too.
    made = subprocess.run([str(_bin(venv) / "case-audit"), "init", "next", "--period", "2026-Q3"],
                          cwd=work, capture_output=True, text=True, env=_env())
    assert made.returncode == 0, made.stderr
    assert (work / "next" / "2026-Q3.yaml").is_file()


def test_the_packages_listed_for_the_wheel_are_every_subpackage_and_data_folder():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "audit_lib").rglob("__init__.py")}
    # Folders of data only (templates, mappings) are packages to setuptools too: left out of
    # the list, each costs a "Package would be ignored" warning on every install.
    data = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "audit_lib").rglob("*")
            if p.is_dir() and p.name != "__pycache__" and not (p / "__init__.py").exists()}
    assert data and set(setuptools["packages"]) == found | data | {"audit_lib.notebooks"}
    assert setuptools["package-dir"] == {"audit_lib.notebooks": "notebooks"}
    assert setuptools["package-data"]["audit_lib.notebooks"] == ["*.ipynb"]
    for package in data:  # each with its files
        folder = ROOT / package.replace(".", "/")
        if any(p.is_file() for p in folder.iterdir()):
            assert setuptools["package-data"].get(package), package


# --- without make ---------------------------------------------------------------------------

def _block(heading: str, language: str) -> list[str]:
    """The commands (comments dropped) of the README's first ``language`` block under
    ``heading``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    block = re.search(rf"```{language}\n(.*?)```", section, flags=re.S).group(1)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _recipe(target: str) -> list[str]:
    """A Makefile target's commands, with make's variables spelt out as the README has them."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    body = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)+)", makefile, flags=re.M)
    lines = []
    for line in body.group(1).splitlines():
        line = line.strip().lstrip("@")
        line = line.replace("$(BIN)", ".venv/bin").replace("$(VENV)", ".venv")
        line = line.replace("$(PYTHON)", "python3").replace(" --quiet", "")
        if line.startswith("touch") or line.startswith("test -x"):
            line = line.split("|| ", 1)[-1] if "||" in line else ""
        if line:
            lines.append(line)
    return lines


HEADING = "## Without make (Windows, or any machine)"


def test_the_readme_gives_the_commands_behind_make_demo_and_make_test():
    posix = _block(HEADING, "bash")
    expected = _recipe("$(STAMP)") + _recipe("demo") + _recipe("test")
    assert posix == expected
    windows = _block(HEADING, "bat")
    assert windows == [line.replace(".venv/bin/", ".venv\\Scripts\\").replace("python3", "py -3")
                       for line in posix]


@pytest.mark.slow
def test_the_commands_without_make_run(shared_outputs):
    """The README's commands as a user types them, with this environment as their .venv: the
    demo quarter runs, lint passes and the suite's command collects (running it would recurse;
    the venv commands are exercised by the wheel test above). The demo quarter is the
    session's one run of the README's command (`demo_quarter`), which other modules read."""
    scripts = Path(sys.executable).parent
    posix = _block(HEADING, "bash")

    def argv(command: str) -> list[str]:
        words = command.split()
        head = words[0]
        if head.startswith(".venv/bin/"):
            head = str(scripts / head.removeprefix(".venv/bin/"))
        return [head, *words[1:]]

    demo = next(c for c in posix if " run --config " in c)
    folder = demo_quarter(shared_outputs)
    ran = json.loads((folder / "ran.json").read_text(encoding="utf-8"))
    assert ran["argv"] == argv(demo)  # that run is this command, typed beside samples/
    assert (folder / "samples" / "demo.yaml").is_file()
    assert ran["returncode"] == 0, ran["stderr"]
    assert (folder / "outputs" / "demo" / "04_assurance_report.html").is_file()

    lint = next(c for c in posix if "ruff check" in c)
    assert subprocess.run(argv(lint), cwd=ROOT, capture_output=True).returncode == 0
    # The suite's command line, with its options and the project's pytest settings, collects
    # tests: here this module's (collecting all of them again would import the whole suite a
    # third time; make test itself fails if its command collects nothing).
    suite = next(c for c in posix if "pytest" in c)
    collected = subprocess.run([*argv(suite), "--collect-only", "-q", __file__],
                               cwd=ROOT, capture_output=True, text=True)
    assert collected.returncode == 0, collected.stdout[-2000:]
    assert "test_install.py::test_the_commands_without_make_run" in collected.stdout
