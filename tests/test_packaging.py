"""Packaging promises: dependency lists agree, the console script exists, notebooks are clean."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].strip().lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(d): d.replace(" ", "") for d in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = [d for d in env["dependencies"] if isinstance(d, str)]
    listed += [d for part in env["dependencies"] if isinstance(part, dict)
               for d in part.get("pip", []) if not d.startswith("-")]
    conda = {_name(d): d.replace(" ", "") for d in listed if _name(d) not in ("python", "pip")}
    assert conda == runtime


def test_environment_yml_brings_what_the_tests_need():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e .[dev]" in pip  # the package with pyproject's dev extra: pytest, ruff ...
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["dev"]
    assert {"pytest", "pytest-xdist", "ruff"} <= {_name(d) for d in dev}


def test_console_script_points_at_cli_main():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["case-audit"] == "audit_lib.cli:main"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_notebooks_are_committed_without_outputs():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{path.name} has outputs"
                assert cell.get("execution_count") is None, f"{path.name} has execution counts"


def test_package_code_never_reads_the_shared_folder():
    # The developers' shared folder is not in a user's clone; built up so this file passes too.
    forbidden = "/".join(["..", "shared"])
    for path in list((ROOT / "audit_lib").rglob("*.py")) + list((ROOT / "tests").rglob("*.py")):
        assert forbidden not in path.read_text(), path
