"""The publish check: every file a run would publish, dates allowed only where structured,
problems counted per file (issue 15, nos. 9 and 12)."""

from __future__ import annotations

import json

import nbformat
import openpyxl
import pytest

from audit_lib.errors import Problem
from audit_lib.quarter.publish_check import describe, scan_outputs


def found(folder) -> list[tuple[str, str]]:
    return sorted((p.file, p.message.split(": ")[0]) for p in scan_outputs(folder, names=()))


def test_dates_in_html_are_allowed_only_in_time_elements_and_date_columns(tmp_path):
    (tmp_path / "report.html").write_text(
        "<html><body><p>Run started <time>2026-06-30T10:00:00+00:00</time></p>"
        "<table><thead><tr><th>Evidence</th><th>Date</th><th>Finding</th></tr></thead>"
        "<tbody><tr><td>EV1</td><td>2026-03-02</td><td>seen 03/03/2011</td></tr></tbody></table>"
        "<p>Born 4 March 2011.</p><style>p { x: 01/01/2001 }</style></body></html>")
    assert found(tmp_path) == [
        ("report.html", "text number 8 holds what looks like a full date (day, month and year)"),
        ("report.html", "text number 9 holds what looks like a full date (day, month and year)")]


def test_json_dates_only_in_date_fields_and_paths_only_by_their_name(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({
        "started": "2026-06-30T10:00:00+00:00", "period_end": "2026-06-30",
        "service": "YJS (contact 07700 900123)", "note": "born 03/03/2011",
        "inputs_sha256": {"/home/q/answers_2026-03-31.csv": "ab" * 32}}))
    assert sorted((p.column, p.message.split(":")[0]) for p in scan_outputs(tmp_path, names=())
                  ) == [("note", "holds what looks like a full date (day, month and year)"),
                        ("service", "holds what looks like a UK phone number")]


def test_notebook_outputs_tables_workbooks_and_file_names_are_checked(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok\nAB123456C\n"),
                    nbformat.v4.new_output("error", ename="KeyError", evalue="'jo@example.org'",
                                           traceback=["KeyError: 'jo@example.org'"])]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "02_scoring.ipynb")
    (tmp_path / "scores").mkdir()
    (tmp_path / "scores" / "t.csv").write_text("case_id,start_date,note\n1,2026-01-01,SW1A 1AA\n")
    book = openpyxl.Workbook()
    book.active.append(["case_id", "start_date"])
    book.active.append(["9434765919", "2026-01-01"])
    book.save(tmp_path / "PM01.xlsx")
    (tmp_path / "Jo Bloggs 07700 900123.csv").write_text("a\n1\n")
    problems = scan_outputs(tmp_path, names=())
    where = sorted({(p.file, p.row, p.column) for p in problems})
    # (the notebook's texts: its cell's source "x", then the outputs' lines)
    assert where == [("(file name withheld)", None, None), ("02_scoring.ipynb", 3, None),
                     ("02_scoring.ipynb", 4, None), ("02_scoring.ipynb", 5, None),
                     ("PM01.xlsx", 2, "A"), ("scores/t.csv", 2, "note")]
    text = "\n".join(str(p) for p in problems)
    for secret in ("Bloggs", "07700", "AB123456C", "example.org", "9434765919", "SW1A"):
        assert secret not in text


def test_a_file_that_cannot_be_read_is_reported_not_skipped(tmp_path):
    (tmp_path / "overall.json").write_text("{not json")
    assert found(tmp_path) == [("overall.json", "could not be read to check it for identifiers "
                                                "(JSONDecodeError)")]


def test_describe_counts_every_problem_and_lists_the_first_of_each_file():
    problems = [Problem("a.csv", r, "note", "holds what looks like an email address")
                for r in range(2, 40)] + [Problem("b.html", 3, None, "holds a date")]
    text = describe(problems, per_file=5)
    lines = text.splitlines()
    assert lines[0] == "39 problem(s) in 2 file(s):"
    assert lines[6] == "  - ... and 33 more in a.csv"
    assert lines[7] == "  - b.html, row 3: holds a date"
    assert len(lines) == 8


@pytest.mark.parametrize("name", ["01_sampling.html", "x.txt"])
def test_plain_text_files_are_checked_line_by_line(tmp_path, name):
    (tmp_path / name).write_text("fine\ncall 07700 900123\n")
    assert [p.row for p in scan_outputs(tmp_path, names=())] == [2]
