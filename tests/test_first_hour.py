"""The first hour without friction: `case-audit --version` (cheaply), `make help` aligned, the
README saying how to run `case-audit` after `make demo`, and the regional roll-up naming each
service's period."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib

import pandas as pd
import pytest
from conftest import ROOT

from audit_lib.trends.rollup import share_table

#: Modules `--version` has no business importing (each takes a noticeable time to load).
HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "openpyxl", "papermill", "statsmodels",
         "pandera", "yaml")


def test_version_says_the_installed_version_and_imports_nothing_heavy():
    code = ("import sys\nfrom audit_lib.cli import main\nrc = main(['--version'])\n"
            f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules], rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert done.stdout.splitlines()[0] == f"case-audit {version}"
    assert done.stdout.splitlines()[-1] == "LOADED [] 0"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed here")
def test_make_help_lines_up_every_target():
    done = subprocess.run(["make", "-s", "help"], capture_output=True, text=True, cwd=ROOT,
                          check=True)
    lines = done.stdout.splitlines()
    assert len(lines) >= 8 and any("demo-2025" in line for line in lines)
    starts = set()
    for line in lines:
        name = line.split()[1]
        starts.add(line.index(line.split()[2], line.index(name) + len(name)))
    assert len(starts) == 1, done.stdout  # every description starts in one column


def test_the_readme_says_how_to_run_case_audit_after_make_demo():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Running `case-audit` yourself", 1)[1].split("\n## ", 1)[0]
    for needed in (".venv/bin/case-audit", "source .venv/bin/activate",
                   ".venv\\Scripts\\case-audit", ".venv\\Scripts\\activate.bat",
                   ".venv\\Scripts\\Activate.ps1", "Linux, macOS", "Command Prompt",
                   "PowerShell"):
        assert needed in section, needed
    # The venv make creates is the one the README names.
    assert "VENV := .venv" in (ROOT / "Makefile").read_text()


def test_the_rollup_names_each_services_period():
    latest = pd.DataFrame({
        "service": ["Fen", "Fen", "Marsh", "Marsh"],
        "period": ["2026-Q2", "2026-Q2", "2026-Q1", "2026-Q1"],
        "period_label": ["2026 Q2", "2026 Q2", "2026 Q1", "2026 Q1"],
        "question_id": ["2.1.1", "2.1.2", "2.1.1", "2.1.2"],
        "pct_yes": [70.4, 80.0, 55.5, 60.0]})
    table = share_table(latest)
    assert table.columns.tolist() == ["service", "period", "2.1.1", "2.1.2"]
    assert table[["service", "period"]].values.tolist() == [["Fen", "2026 Q2"],
                                                          ["Marsh", "2026 Q1"]]
    unlabelled = latest.assign(period_label=[None, None, "", ""])
    assert share_table(unlabelled)["period"].tolist() == ["2026-Q2", "2026-Q1"]
