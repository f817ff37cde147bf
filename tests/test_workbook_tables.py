"""Workbook limits count what openpyxl loads whole (issue 26, item 4): the shared texts and the
cell styles, read from the archive before openpyxl opens the file, and each workbook is opened
once. Work is bounded by counts here; the times are in benchmarks/bench_limits.py."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from hostile_files import shared_strings_bomb, styles_bomb

from audit_lib.errors import InputError
from audit_lib.inputs import file_checks, workbook_tables
from audit_lib.inputs.file_checks import check_xlsx_container
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.workbook_scan import scan_workbook
from audit_lib.inputs.workbook_tables import load_table_limits
from audit_lib.returns.workbook_reader import is_workbook, read_returned_workbook


@pytest.fixture
def never_opened(monkeypatch):
    """openpyxl must not open the file; and the bytes read from the archive are counted."""
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook the limits refuse")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    monkeypatch.setattr("openpyxl.reader.excel.load_workbook", refuse)
    read = {"bytes": 0}
    real = zipfile.ZipExtFile.read

    def counting(self, n=-1):
        data = real(self, n)
        read["bytes"] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    file_checks._container_problems.cache_clear()
    return read


def _refused_everywhere(path: Path) -> str:
    """Refused by every reader: the table reader, the gate's scan and the returned-workbook
    reader, each with the same message; returns it."""
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id",))
    (problem,) = err.value.problems
    scanned = scan_workbook(path)
    assert not scanned.read and [p.message for p in scanned] == [problem.message]
    with pytest.raises(InputError):
        read_returned_workbook(path)
    assert not is_workbook(path)
    return problem.message


def test_two_million_shared_texts_are_counted_and_refused_before_openpyxl(tmp_path,
                                                                          never_opened):
    path = shared_strings_bomb(tmp_path / "answers.xlsx", 2_000_000)
    message = _refused_everywhere(path)
    assert "table of shared texts holds more than 1,048,576 texts" in message
    # The count stops at the limit: about a million texts (18 bytes each) were read of the
    # two million, once for the three readers (the result is kept while the file is
    # unchanged), and never the whole part.
    part = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml").file_size
    assert never_opened["bytes"] < 1_048_576 * 18 + 2 * workbook_tables._CHUNK + 100_000
    assert never_opened["bytes"] < part * 0.6


def test_shared_texts_beyond_what_the_cells_can_use_are_refused_before_openpyxl(tmp_path,
                                                                               never_opened):
    """900,000 unused texts are under the table's own limit but far more than a sheet of a
    few cells can use: refused from the counts, before openpyxl spends seconds on them."""
    path = shared_strings_bomb(tmp_path / "answers.xlsx", 900_000)
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id",))
    (problem,) = err.value.problems
    assert problem.message.startswith("its table of shared texts holds 900,000 texts, more "
                                      "than its 4 cells can use")
    scanned = scan_workbook(path)
    assert not scanned.read and [p.message for p in scanned] == [problem.message]
    with pytest.raises(InputError):
        read_returned_workbook(path)
    # The texts counted once for the three readers (the result is kept while the file is
    # unchanged), the cells only as far as the texts.
    part = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml").file_size
    assert never_opened["bytes"] < part * 1.1 + 4 * workbook_tables._CHUNK + 100_000


def test_four_million_cell_styles_are_refused_from_the_archives_directory(tmp_path,
                                                                         never_opened):
    path = styles_bomb(tmp_path / "answers.xlsx", 4_000_000)
    message = _refused_everywhere(path)
    assert "table of cell styles is 76,000,487 bytes, more than the limit" in message
    assert never_opened["bytes"] < 100_000  # not one byte of the style table was read


def test_a_style_table_within_its_size_is_counted_and_refused(tmp_path, never_opened):
    path = styles_bomb(tmp_path / "answers.xlsx", 150_000)  # 2.8 MB: under the size limit
    message = _refused_everywhere(path)
    assert "table of cell styles holds more than 100,000 styles" in message
    assert never_opened["bytes"] < 100_001 * 19 + 2 * workbook_tables._CHUNK + 100_000


def test_the_limits_come_from_the_settings_with_their_notes():
    from audit_lib.settings import load_settings

    section = load_settings("inputs")["workbook_tables"]
    limits = load_table_limits()
    for key in ("max_shared_strings", "max_shared_strings_bytes", "max_style_records",
                "max_styles_bytes", "spare_shared_strings"):
        assert getattr(limits, key) == section[key] and section[f"{key}_source"]


def test_a_genuine_workbook_passes_and_is_counted_once_while_unchanged(tmp_path, monkeypatch):
    book = openpyxl.Workbook()
    book.active.append(["case_id", "note"])
    for i in range(500):
        book.active.append([f"{i:05d}", f"note {i}"])
    path = tmp_path / "answers.xlsx"
    book.save(path)
    counted = []
    real = workbook_tables.table_problems
    monkeypatch.setattr(file_checks, "table_problems",
                        lambda archive, limits=None: counted.append(1) or real(archive, limits))
    file_checks._container_problems.cache_clear()
    check_xlsx_container(path)
    assert read_table(path, required=("case_id",)).frame.shape[0] == 500
    assert counted == [1]
    book.active.append(["00999", "more"])  # a new version of the file is counted again
    book.save(path)
    check_xlsx_container(path)
    assert counted == [1, 1]


def test_a_returned_workbook_is_opened_once_by_openpyxl(tmp_path, monkeypatch):
    from conftest import SAMPLES

    from audit_lib.cli import main

    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(SAMPLES / "caseload.csv"), "--seed", "1",
                 "--size", "15", "--reviewers", "PM01", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / "workbooks" / "PM01.xlsx")
    book["Cases"]["N3"] = '=IF(TRUE,"Yes","No")'
    returned = tmp_path / "PM01.xlsx"
    book.save(returned)
    opened = []
    real = openpyxl.load_workbook

    def counting(*args, **kwargs):
        opened.append(kwargs.get("data_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    monkeypatch.setattr("audit_lib.returns.workbook_reader.load_workbook", counting,
                        raising=False)
    with pytest.raises(InputError) as err:
        read_returned_workbook(returned)
    # The formula is still found (in the same pass over the sheet's XML as the counts).
    assert [(p.sheet, p.row, p.column) for p in err.value.problems] == [("Cases", 3, "N")]
    assert opened == [True]
