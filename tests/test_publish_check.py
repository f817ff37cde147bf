"""The publish check: every file a run would publish, dates allowed only where structured,
problems counted per file (issue 15, nos. 9 and 12)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import openpyxl
import pytest
from conftest import minimal_pdf

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


# --- Issue 26: every published file, whole ------------------------------------------------------

def _notebook(path, source_lines, metadata=None, parameters=()):
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("\n".join(parameters))
    injected.metadata["tags"] = ["injected-parameters"]
    cell = nbformat.v4.new_code_cell("\n".join(source_lines))
    cell.metadata["papermill"] = {"start_time": "2026-12-06T13:04:25.553938+00:00",
                                  "end_time": "2026-12-06T13:04:25.987654+00:00",
                                  "duration": 1234.567891}
    cell.metadata["execution"] = {"iopub.status.busy": "2026-12-06T12:44:25.557054Z"}
    nb.cells = [injected, cell]
    nb.metadata["papermill"] = metadata or {}
    nbformat.write(nb, path)
    return path


def test_a_notebooks_sources_and_metadata_are_checked_not_only_its_outputs(tmp_path):
    _notebook(tmp_path / "01_sampling.ipynb", ["x = 1  # NHS 943 476 5919"],
              {"parameters": {"caseload": "Jo Bloggs/caseload.csv", "seed": 20260401,
                              "period_end": "2026-06-30"}},
              ['period_end = "2026-06-30"', "seed = 20260401", 'note = "born 03/03/2011"'])
    problems = scan_outputs(tmp_path, names=("Jo Bloggs",))
    found = sorted(((p.row or 0, p.column or "", p.message.split(": ")[0]) for p in problems))
    assert found == [
        (0, "metadata.papermill.parameters.caseload",
         "holds what looks like a name from the names list"),
        (3, "", "text number 3 holds what looks like a full date (day, month and year)"),
        (6, "", "text number 6 holds what looks like an NHS number")]
    assert "Bloggs" not in "\n".join(str(p) for p in problems)


def test_a_parameter_holding_a_config_section_is_checked_field_by_field(tmp_path):
    # The report's parameters carry the config's board section, whose meeting is a date by
    # design; a date anywhere else in it is not.
    _notebook(tmp_path / "04_assurance_report.ipynb", ["x = 1"], parameters=[
        'board = {"meeting_date": "2026-07-21", "as_at_date": "2026-07-14", '
        '"author": "QA lead", "background_papers": ["Letter of 03/03/2011"]}'])
    found = [(p.column, p.message.split(": ")[0]) for p in scan_outputs(tmp_path, names=())]
    assert found == [("parameter board.background_papers[1]",
                      "holds what looks like a full date (day, month and year)")]


def test_a_manifest_number_is_checked_as_text(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"parameters": {"sampling": {"seed": 20260401}, "ref": 9434765919},
         "durations": {"scoring": {"execute_s": 12.345}}}))
    assert [(p.column, p.message.split(":")[0]) for p in scan_outputs(tmp_path, names=())] == [
        ("parameters.ref", "holds what looks like an NHS number")]


def _pdf(path, text, author="case-audit"):
    """A one-page PDF with ``text`` in Helvetica and ``author`` in its document information."""
    path.write_bytes(minimal_pdf(text, author))
    return path


def test_a_pdf_is_checked_by_its_text_and_its_document_information(tmp_path):
    from audit_lib.quarter.publish_check import pdf_problems

    _pdf(tmp_path / "04_assurance_report.pdf", "Call the carer on 07700 900123", "Jo Bloggs")
    problems = scan_outputs(tmp_path, names=("Jo Bloggs",))
    assert sorted(p.message.split(": ")[0] for p in problems) == [
        "text number 1 holds what looks like a name from the names list",
        "text number 2 holds what looks like a UK phone number"]
    clean = _pdf(tmp_path / "clean.pdf", "Overall: Good (23 of 36 points)")
    assert pdf_problems(clean, names=("Jo Bloggs",)) == []


def test_a_printed_pdf_that_fails_the_check_is_not_written(tmp_path, monkeypatch):
    from audit_lib.errors import IdentifierRefusal
    from audit_lib.quarter.publish_check import pdf_problems
    from audit_lib.report import pdf

    page = tmp_path / "report.html"
    page.write_text("<html><body><p>fine</p></body></html>")

    def chromium(command, **kwargs):  # prints a PDF holding what the gate refuses
        target = next(a for a in command if a.startswith("--print-to-pdf=")).split("=", 1)[1]
        _pdf(Path(target), "NHS 943 476 5919")
        return SimpleNamespace(returncode=0)

    monkeypatch.setattr(pdf, "find_browser", lambda: "chromium")
    monkeypatch.setattr(pdf.subprocess, "run", chromium)
    with pytest.raises(IdentifierRefusal) as err:
        pdf.print_pdf(page, tmp_path / "report.pdf", check=pdf_problems)
    assert "NHS number" in str(err.value) and "5919" not in str(err.value)
    assert not (tmp_path / "report.pdf").exists()


@pytest.mark.parametrize("printed, refused", [
    ("Board: meeting of 21 July 2026", False),  # the page's <time>: structured there
    ("Board: meeting of 21 July 2026, born 3 March 2009", True),  # the rest is still read
    ("Reviewed 22 July 2026", True),  # a date the page does not structure
    ("Born 11 July 2026", True),  # "1 July 2026" (another <time>) cannot hide a day before it
    ("Published July 2026; born 9 July 2026", True),  # nor a month and year
    # A free-text date on the page that equals a structured one: the page itself is refused
    ("Board: meeting of 21 July 2026", "born 1 July 2026"),
])
def test_a_pdf_allows_the_dates_its_report_structures_and_no_others(tmp_path, monkeypatch,
                                                                     printed, refused):
    from audit_lib.errors import IdentifierRefusal
    from audit_lib.quarter.publish_check import pdf_problems
    from audit_lib.report import pdf

    page = tmp_path / "report.html"
    extra = f"<p>The child was {refused}.</p>" if isinstance(refused, str) else ""
    page.write_text('<html><body><p>Board: meeting of <time datetime="2026-07-21">21 July\n'
                    '2026</time>, papers by <time>1 July 2026</time>, published <time>July 2026'
                    f"</time></p>{extra}</body></html>")

    def chromium(command, **kwargs):
        target = next(a for a in command if a.startswith("--print-to-pdf=")).split("=", 1)[1]
        _pdf(Path(target), printed)
        return SimpleNamespace(returncode=0)

    monkeypatch.setattr(pdf, "find_browser", lambda: "chromium")
    monkeypatch.setattr(pdf.subprocess, "run", chromium)
    if refused:
        with pytest.raises(IdentifierRefusal, match="full date") as err:
            pdf.print_pdf(page, tmp_path / "report.pdf", check=pdf_problems)
        if isinstance(refused, str):
            assert "the page it was printed from: text number" in str(err.value)
        assert not (tmp_path / "report.pdf").exists()
    else:
        written = pdf.print_pdf(page, tmp_path / "report.pdf", check=pdf_problems)
        assert pdf_problems(written, names=())  # read without its report: refused as before


@pytest.mark.parametrize("name, text", [
    ("01_sampling.html", "<p>Read from {base}/caseload.csv</p>"),
    ("failed.log", "Error in {base}/../returned/PM01.xlsx"),
    ("manifest.json", '{{"inputs": {{"caseload": "{base}/caseload.csv"}}}}'),
    ("t.csv", "case_id,file\n1,{home}/caseload.csv\n"),
])
def test_a_text_naming_a_folder_of_this_machine_is_refused(tmp_path, name, text):
    base = tmp_path / "Jo Bloggs" / "q2"
    base.mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text(text.format(base=base, home=Path.home()))
    problems = scan_outputs(out, names=(), base=base)
    assert [p.message.split(" (")[0].split("} ")[-1] for p in problems] and all(
        "names a folder of this computer" in p.message for p in problems)
    assert "Bloggs" not in "\n".join(str(p) for p in problems)
    assert scan_outputs(out, names=()) == [] or name == "manifest.json"  # without base: none


def test_a_link_to_a_folder_of_this_machine_is_refused_and_an_embedded_chart_is_not(tmp_path):
    base = tmp_path / "Jo Bloggs" / "q2"
    base.mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "page.html").write_text(f'<p><a href="file://{base}/evidence.csv">evidence</a>'
                                   '<img src="data:image/png;base64,L3RtcC9hYmM=" alt="chart">'
                                   '</p>')
    problems = scan_outputs(out, names=(), base=base)
    assert len(problems) == 1 and "names a folder of this computer" in problems[0].message


@pytest.mark.parametrize("kind", ["html", "log", "notebook", "json", "pdf", "csv"])
def test_every_variant_is_caught_by_the_publish_check_in_every_kind_of_file(tmp_path,
                                                                           monkeypatch, kind):
    """The variants the gate must catch (tests/test_identifier_shapes.py) are caught in every
    kind of file a run publishes, one per text, never echoed."""
    from test_identifier_shapes import MUST_BE_CAUGHT, NAMES

    from audit_lib.inputs.identifiers import PrivacySettings, load_privacy_settings
    from audit_lib.quarter import publish_check

    packaged = load_privacy_settings()
    monkeypatch.setattr(publish_check, "load_privacy_settings", lambda: PrivacySettings(
        packaged.structured_date_columns, packaged.allowed_phrases, 10_000,
        packaged.reference_columns))
    variants = [text for text, _ in MUST_BE_CAUGHT]
    if kind == "pdf":  # Helvetica's text: Latin-1 variants, written as a PDF string allows
        variants = [v for v in variants if v.isascii() and not set(v) & set("()\\")]
        for i, variant in enumerate(variants):
            _pdf(tmp_path / f"p{i}.pdf", variant)
    elif kind == "html":
        (tmp_path / "page.html").write_text("".join(f"<p>{v}</p>" for v in variants))
    elif kind == "log":
        (tmp_path / "failed.log").write_text("\n".join(variants) + "\n")
    elif kind == "notebook":
        _notebook(tmp_path / "n.ipynb", [f"# {v}" for v in variants])
    elif kind == "json":
        (tmp_path / "m.json").write_text(json.dumps({f"k{i}": v for i, v in
                                                     enumerate(variants)}))
    elif kind == "csv":
        frame = "note\n" + "\n".join('"' + v.replace('"', '""') + '"' for v in variants) + "\n"
        (tmp_path / "t.csv").write_text(frame)
    problems = scan_outputs(tmp_path, names=NAMES)
    if kind == "pdf":
        assert {p.file for p in problems} == {f"p{i}.pdf" for i in range(len(variants))}
    elif kind == "json":
        assert {p.column for p in problems} == {f"k{i}" for i in range(len(variants))}
    else:
        assert len({(p.row, p.column) for p in problems}) >= len(variants)
    listed = "\n".join(str(p) for p in problems)
    assert not [v for v in variants if len(v) > 6 and v in listed]


def test_files_checked_together_give_what_each_gives_alone(tmp_path):
    """The publish check gathers every file's texts into one finding (issue 25): each file's
    problems, their order and their places are those it gives checked on its own; a file that
    cannot be read is still reported alone, and the same text in a date column of one table
    and in free text of another is allowed in the first only."""
    from audit_lib.inputs.identifiers import load_privacy_settings
    from audit_lib.quarter.publish_check import _scan_file

    (tmp_path / "a.csv").write_text("case_id,start_date,note\nC1,2026-03-02,seen by Jane Smith\n"
                                    "C2,2011-03-04,943 476 5919\nC3,,SW1A 1AA\n")
    (tmp_path / "b.csv").write_text("note,phone\n2011-03-04,07700 900123\nJane Smith,\n")
    (tmp_path / "c.csv").write_text("")
    (tmp_path / "d.csv").write_text("only,a,header\n")
    (tmp_path / "page.html").write_text(
        "<html><body><p>Jane Smith</p><table><tr><th>Date</th><th>Note</th></tr>"
        "<tr><td>2011-03-04</td><td>2011-03-04</td></tr></table>"
        "<p>jane@example.org</p></body></html>")
    (tmp_path / "facts.json").write_text(json.dumps(
        {"started": "2011-03-04", "note": "2011-03-04", "who": ["Jane Smith", "SW1A 1AA"]}))
    (tmp_path / "notes.txt").write_text("one\nQQ123456C\n\n07700 900123\n")
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "pictures.png").write_bytes(b"\x89PNG")
    names = ("Jane Smith",)
    together = scan_outputs(tmp_path, names=names, base=tmp_path)
    settings = load_privacy_settings()
    alone = [p for path in sorted(tmp_path.iterdir())
             for p in _scan_file(path, path.name, names, settings, tmp_path)]
    assert together == alone
    files = {p.file for p in together}
    assert {"a.csv", "b.csv", "page.html", "facts.json", "notes.txt", "broken.json"} <= files
    assert not any(p.file == "a.csv" and p.column == "start_date" for p in together)
    assert any(p.file == "b.csv" and p.column == "note" and "date" in p.message
               for p in together)
