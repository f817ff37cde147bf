"""Start-up pays only for what a command uses: what each command imports (issue 25).

Each command runs in a fresh Python (a subprocess, as a user runs it), which then reports the
modules it has imported. How long the commands take is measured by
benchmarks/bench_startup.py; here the work is bounded by what is imported, not by seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, SAMPLES

#: Libraries that each take a noticeable share of a second to import.
HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "statsmodels", "pandera", "hypothesis",
         "openpyxl", "nbconvert", "nbformat", "papermill", "jupyter_client", "krippendorff",
         "holidays")


def imported_by(*runs: list[str], code: str = "") -> list[set[str]]:
    """For each command line (the arguments of `case-audit`), run one after another in one
    fresh Python, the modules it imported that were not imported before it. ``code``, when
    given, runs first (a library call rather than a command); with no command line, what it
    imported is returned."""
    script = textwrap.dedent(f"""
        import contextlib, io, json, sys
        before = set(sys.modules)
        new = []
        {code or "pass"}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            from audit_lib.cli import main
            for argv in {list(runs)!r}:
                main(argv)
                new.append(sorted(set(sys.modules) - before))
                before = set(sys.modules)
        if not new:
            new.append(sorted(set(sys.modules) - before))
        print(json.dumps(new))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [set(modules) for modules in json.loads(done.stdout.strip().splitlines()[-1])]


def heavy(modules: set[str]) -> set[str]:
    """The heavy libraries among ``modules`` (by top-level name)."""
    return {m.split(".")[0] for m in modules} & set(HEAVY)


def test_help_of_every_command_imports_nothing_heavy():
    from audit_lib.cli import _parser

    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    runs = [["--help"], *([c, "--help"] for c in commands)]
    if "--version" in _parser()._option_string_actions:  # issue 27's option, once merged
        runs.append(["--version"])
    for argv, modules in zip(runs, imported_by(*runs)):
        assert not heavy(modules), f"case-audit {' '.join(argv)} imports {sorted(heavy(modules))}"


def test_listing_frameworks_imports_nothing_heavy():
    (modules,) = imported_by(["frameworks"])
    assert "audit_lib.frameworks" in modules and not heavy(modules)


def test_init_imports_only_what_its_identifier_gate_needs(tmp_path):
    # The config it writes is read back through the identifier gate, which works on pandas;
    # nothing else heavy is needed to write a config and two folders.
    (modules,) = imported_by(["init", str(tmp_path / "q"), "--period", "2026-Q3"])
    assert (tmp_path / "q" / "2026-Q3.yaml").is_file()
    assert heavy(modules) <= {"pandas", "numpy"}, sorted(heavy(modules))


SCORE = ["score", *[a for i in (1, 2, 3) for a in ("--answers", str(SAMPLES / f"answers_PM0{i}.csv"))],
         "--facts", str(SAMPLES / "case_facts.csv"), "--judgements", str(SAMPLES / "judgements.csv")]


def test_scoring_reads_checks_and_scores_without_statsmodels_pandera_or_charts():
    code = (f"from audit_lib.scoring.scorecard import build_scorecard; build_scorecard("
            f"{[str(SAMPLES / f'answers_PM0{i}.csv') for i in (1, 2, 3)]!r}, "
            f"{str(SAMPLES / 'case_facts.csv')!r}, {str(SAMPLES / 'judgements.csv')!r})")
    (modules,) = imported_by(code=code)
    assert "audit_lib.scoring.likelihood" in modules  # it did score
    found = heavy(modules)
    assert not found & {"statsmodels", "pandera", "hypothesis", "matplotlib", "openpyxl"}, found
    assert "scipy.stats" not in modules  # Wilson's intervals and the bands' probabilities
    #                                      need only scipy.special


def test_the_score_command_imports_neither_pandera_nor_statsmodels_intervals(tmp_path):
    (modules,) = imported_by([*SCORE, "--out", str(tmp_path / "scores")])
    assert (tmp_path / "scores" / "key_questions.csv").is_file()
    assert "matplotlib.figure" in modules  # it draws its charts, so matplotlib is its due
    assert not heavy(modules) & {"pandera", "hypothesis"}
    assert "statsmodels.stats.proportion" not in modules


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_reading_a_file_imports_openpyxl_only_for_a_workbook(tmp_path, kind):
    from conftest import write_csv

    path = write_csv(tmp_path / "caseload.csv", ["case_id", "disposal_type", "start_date"],
                     [["00123", "Youth Rehabilitation Order", "2026-03-02"]])
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        for row in [["case_id", "disposal_type", "start_date"],
                    ["00123", "Youth Rehabilitation Order", "2026-03-02"]]:
            book.active.append(row)
        path = tmp_path / "caseload.xlsx"
        book.save(path)
    (modules,) = imported_by(code="from audit_lib.inputs.reading import read_table; "
                                  f"read_table({str(path)!r}, required=('case_id',))")
    assert ("openpyxl" in modules) == (kind == "xlsx")


def test_telling_a_reviewer_workbook_imports_no_openpyxl(tmp_path):
    # Issue 25: is_workbook reads the About sheet's first row from the archive; openpyxl opens
    # the workbook once, in the reader.
    import openpyxl

    from audit_lib.sampling.workbook_writer import ABOUT_SHEET, MARKER

    book = openpyxl.Workbook()
    book.active.title = ABOUT_SHEET
    book.active.append(["marker", MARKER])
    path = tmp_path / "PM01.xlsx"
    book.save(path)
    (modules,) = imported_by(code="from audit_lib.returns.workbook_reader import is_workbook; "
                                  f"assert is_workbook({str(path)!r})")
    assert "openpyxl" not in heavy(modules)


def test_running_notebooks_builds_no_grammar_for_web_addresses():
    """papermill and nbconvert import nbformat, whose jsonschema would build rfc3987_syntax's
    Earley parsers (about a second) for checks nbformat never makes (issue 25); notebooks
    are still validated as before."""
    imported, = imported_by(code="exec(%r)" % textwrap.dedent("""
        from audit_lib.quarter.engine import register_engine
        from audit_lib.quarter.render import render_html
        register_engine()
        import nbformat
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
        nbformat.validate(nb)
        try:
            nbformat.validate({"cells": "none"})
        except nbformat.ValidationError:
            pass
        else:
            raise SystemExit("an invalid notebook was not refused")
    """))
    assert "nbformat" in imported and "jsonschema" in imported
    # (rfc3987_syntax is listed, marked absent: its parsers are built by lark)
    assert "lark" not in {m.split(".")[0] for m in imported}
