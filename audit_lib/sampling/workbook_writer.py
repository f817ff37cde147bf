"""Write one reviewer workbook (.xlsx) per reviewer: case facts locked, answer dropdowns.

The layout constants here are also what `audit_lib.returns.workbook_reader` reads back.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.frameworks import CHILDREN, VICTIMS, Framework, Question
from audit_lib.frameworks.applicability import (
    DOES_NOT_APPLY,
    UNIT_COLUMN,
    answerable_questions,
    applicability,
)
from audit_lib.sampling.issued import FIELDS, PROPERTY_PREFIX, Issue
from audit_lib.settings import load_settings
from audit_lib.vocabulary import ANSWERS
from audit_lib.writing import write_cell

logger = logging.getLogger(__name__)

MARKER = "case-audit reviewer workbook"
#: 2: the workbook says what it was issued for (service, period, framework, sample).
VERSION = 2
CASES_SHEET, MODERATION_SHEET = "Cases", "Moderation"
VICTIMS_SHEET, VICTIMS_MODERATION_SHEET = "Victims", "Victims moderation"
LISTS_SHEET, ABOUT_SHEET, INSTRUCTIONS_SHEET = "Lists", "About", "Instructions"
ROLE_BY_SHEET = {CASES_SHEET: "primary", MODERATION_SHEET: "moderation",
                 VICTIMS_SHEET: "primary", VICTIMS_MODERATION_SHEET: "moderation"}
FIRST_DATA_ROW = 3  # row 1: column keys; row 2: what each column asks
FACT_COLUMNS = ("case_id", "disposal_group", "disposal_type", "rosh_level",
                "identifiable_victim", "significant_change", "start_date")
#: A victims' sheet: one row per victim, keyed by the victim's reference; linked_case_id is the
#: child's case the victim is linked to.
VICTIM_FACT_COLUMNS = ("victim_ref", "linked_case_id", "disposal_group", "start_date")
#: Each sheet's unit of audit and the column that identifies its rows.
UNIT_BY_SHEET = {CASES_SHEET: CHILDREN, MODERATION_SHEET: CHILDREN, VICTIMS_SHEET: VICTIMS,
                 VICTIMS_MODERATION_SHEET: VICTIMS}
KEY_BY_UNIT = {CHILDREN: "case_id", VICTIMS: "victim_ref"}
#: Dates a reviewer may type: each is asked on the rows where a check derived from it applies.
DATE_INPUTS = ("assessment_date", "decision_date", "victim_contact_date")
NOTE_THEMES = {"note_key_questions": "Key questions", "note_oocd": "Out-of-court disposals",
               "note_risk": "Risk of harm", "note_victims": "Victims"}
GREY = "D9D9D9"
#: How dates show in a workbook: day/month/year, as the instructions ask reviewers to type them.
DATE_FORMAT = "dd/mm/yyyy"
#: Column widths in characters: question columns (their text wraps in row 2), note columns,
#: and the instructions' one column (narrow enough for a portrait A4 page at 100%, whatever
#: program prints it); fact and date columns fit their header and values.
QUESTION_WIDTH, NOTE_WIDTH, INSTRUCTIONS_WIDTH = 16, 40, 85
#: Points per line of 11-point text, used to give wrapped rows the height they need (Excel
#: and LibreOffice do not grow a row a program wrote, so long lines would overlap).
LINE_HEIGHT = 15


def note_column(question_id: str) -> str:
    """The note column a question's comments go in."""
    prefix = question_id.split(".")[0]
    return {"OOCD": "note_oocd", "ROH": "note_risk", "VIC": "note_victims",
            "V1": "note_victims"}.get(prefix, "note_key_questions")


def write_workbook(path: Path, reviewer: str, cases: pd.DataFrame,
                   moderation: pd.DataFrame, framework: Framework, checks: Framework, *,
                   victims: pd.DataFrame | None = None,
                   victims_moderation: pd.DataFrame | None = None,
                   issued: Issue | None = None) -> None:
    """Write one reviewer's workbook: instructions, their cases and any cases to double-mark.

    ``issued`` (the service, period and sample it is for; the framework is ``framework``'s) is
    written in the document properties and on the hidden, protected About sheet, so that the
    workbook can be told apart from another quarter's or another sample's when it comes back.

    ``cases`` and ``moderation`` are rows of the sample (case facts included). Every question
    that applies to at least one case gets a column with a Yes / No / N/A dropdown; cells of
    questions that do not apply to a case are greyed and locked, as are the case facts.
    Under a framework that audits victims' cases, ``victims`` and ``victims_moderation`` (rows
    of the victims' sample, ``case_id`` holding the victim reference) go on sheets of their
    own with the questions asked on victims' cases.
    """
    from openpyxl import Workbook

    by_unit: dict[str, list[Question]] = {}
    for q in answerable_questions(framework, checks).values():
        by_unit.setdefault(q.units[0], []).append(q)
    book = Workbook()
    _instructions(book.active, reviewer, framework)
    lists = book.create_sheet(LISTS_SHEET)
    for i, value in enumerate(ANSWERS, start=1):
        write_cell(lists, i, 1, value)
    lists.sheet_state = "hidden"
    issued = Issue(**{**(issued or Issue()).as_dict(), "framework": framework.id})
    about = book.create_sheet(ABOUT_SHEET)
    for i, (key, value) in enumerate([("marker", MARKER), ("version", VERSION),
                                      ("reviewer", reviewer), ("checks", checks.id),
                                      *issued.as_dict().items()], start=1):
        write_cell(about, i, 1, key)
        write_cell(about, i, 2, value)
    about.sheet_state = "hidden"
    about.protection.sheet = True  # read, never typed into
    _properties(book, reviewer, issued)
    sheets = [(CASES_SHEET, cases), (MODERATION_SHEET, moderation),
              (VICTIMS_SHEET, victims), (VICTIMS_MODERATION_SHEET, victims_moderation)]
    position = 1
    for name, rows in sheets:
        if rows is None or (name != CASES_SHEET and not len(rows)):
            continue
        unit = UNIT_BY_SHEET[name]
        _case_sheet(book.create_sheet(name, position), rows, by_unit.get(unit, []), unit,
                    multi_unit=len(framework.units) > 1)
        position += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _properties(book, reviewer: str, issued: Issue) -> None:
    """What the workbook is, in its document properties (File > Info shows them): no dates
    beyond the file's own times, nothing about any case."""
    from openpyxl.packaging.custom import StringProperty

    book.properties.title = f"Case audit workbook for reviewer {reviewer}"
    book.properties.subject = ", ".join(x for x in (issued.service, issued.period) if x)
    book.properties.creator = "case-audit"
    book.properties.keywords = MARKER
    for key in FIELDS:
        value = getattr(issued, key)
        if value:
            book.custom_doc_props.append(StringProperty(name=PROPERTY_PREFIX + key, value=value))


def _instructions(ws, reviewer: str, framework: Framework) -> None:
    from openpyxl.styles import Alignment, Font

    ws.title = INSTRUCTIONS_SHEET
    lines = [
        (f"Case audit workbook for reviewer {reviewer}", True),
        (f"Framework: {framework.title}", False),
        ("", False),
        ("How to fill it in", True),
        ("1. Open the 'Cases' sheet. Each row is one anonymised case; grey columns are facts "
         "from the case management system and cannot be changed.", False),
        ("2. For each white cell, choose Yes (sufficient), No (not sufficient) or N/A (the "
         "question does not apply to this case, e.g. no review was due) from the dropdown.", False),
        ("3. Grey cells in the question columns do not apply to that case: leave them empty.",
         False),
        ("4. Dates (assessment, decision, victim contact) are asked only where they apply; "
         "type them as dates, day/month/year. They are used to check timeliness.", False),
        ("5. Use the note columns for anything the moderation meeting should know. Do not write "
         "names, dates of birth, addresses or other details that identify anyone.", False),
        ("6. If there is a 'Moderation' sheet, you are the second reviewer for those cases: "
         "score them independently, without looking at the first reviewer's answers.", False),
        *([("   A 'Victims' sheet (and 'Victims moderation') holds victims' cases: one row "
            "per victim, known only by a reference code. Never write a victim's name.", False)]
          if framework.audits_victims else []),
        ("7. Do not add, remove, rename or reorder columns or sheets. Save and return the file "
         "as it is (.xlsx).", False),
    ]
    for i, (text, bold) in enumerate(lines, start=1):
        cell = write_cell(ws, i, 1, text)
        cell.font = Font(bold=bold, size=13 if i == 1 else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        # Each row as tall as its wrapped lines (a little slack: proportional fonts vary).
        lines_needed = max(1, -(-len(text) // int(INSTRUCTIONS_WIDTH * 0.9)))
        ws.row_dimensions[i].height = LINE_HEIGHT * lines_needed + (6 if i == 1 else 3)
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    _print_setup(ws, landscape=False)


def _case_sheet(ws, cases: pd.DataFrame, questions: list[Question], unit: str = CHILDREN,
                multi_unit: bool = False) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import MultiCellRange
    from openpyxl.worksheet.datavalidation import DataValidation

    fact_columns = VICTIM_FACT_COLUMNS if unit == VICTIMS else FACT_COLUMNS
    by_id = {q.id: q for q in questions}
    facts = cases.copy()
    if multi_unit:
        facts[UNIT_COLUMN] = unit
    if unit == VICTIMS:
        facts["identifiable_victim"] = "yes"  # every victim's case has an identifiable victim
    for column in fact_columns + DATE_INPUTS:
        if column not in facts.columns:
            facts[column] = ""
    # Applicability of every question to every case, from the case facts.
    condition_columns = sorted({c for q in questions for c in q.applies_to} & set(facts.columns))
    grid = facts[["case_id", *[c for c in condition_columns if c != "case_id"]]].copy()
    pairs = grid.merge(pd.DataFrame({"question_id": list(by_id)}), how="cross")
    for column in condition_columns:
        pairs[column] = pairs[column].fillna("").astype(str)
    state = applicability(pairs, by_id).reshape(len(grid), len(by_id))
    applies = state != DOES_NOT_APPLY
    used = [q for j, q in enumerate(questions) if applies[:, j].any()]
    used_idx = [questions.index(q) for q in used]
    asked = _dates_asked(questions, applies, len(facts))
    date_cols = [c for c in DATE_INPUTS if asked[c].any()]
    columns = list(fact_columns) + date_cols + [q.id for q in used] + list(NOTE_THEMES)
    labels = ([c.replace("_", " ") for c in fact_columns] + [c.replace("_", " ") for c in date_cols]
              + [q.text for q in used] + list(NOTE_THEMES.values()))

    grey = PatternFill("solid", fgColor=GREY)
    bold = Font(bold=True)
    for j, (key, label) in enumerate(zip(columns, labels), start=1):
        head = write_cell(ws, 1, j, key)
        head.font = bold
        head.fill = grey
        text = write_cell(ws, 2, j, label)
        text.alignment = Alignment(wrap_text=True, vertical="top")
        text.fill = grey
        if key.startswith("note_"):
            width = NOTE_WIDTH
        elif key in fact_columns or key in date_cols:
            # Wide enough for the column's key and its longest value, so nothing is cut off
            # on screen or on paper ("disposal_grou").
            values = facts[key].map(_shown) if key in facts.columns else pd.Series(dtype=str)
            width = max([len(key), len(DATE_FORMAT), *values.str.len().tolist()]) + 2
        else:
            width = QUESTION_WIDTH
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[2].height = 110

    answer_dv = DataValidation(type="list", formula1=f"={LISTS_SHEET}!$A$1:$A${len(ANSWERS)}",
                               allow_blank=True, showErrorMessage=True,
                               errorTitle="Yes, No or N/A",
                               error="Choose Yes, No or N/A from the list.")
    date_dv = DataValidation(type="date", operator="greaterThan", formula1="36526",
                             allow_blank=True, showErrorMessage=True, errorTitle="Date",
                             error="Type a date from the year 2000 on, as day/month/year.")
    open_cell = Protection(locked=False)
    answer_cells: list[tuple[int, int]] = []
    date_cells: list[tuple[int, int]] = []
    n_fact = len(fact_columns)
    for i, (_, case) in enumerate(facts.iterrows()):
        r = FIRST_DATA_ROW + i
        for j, key in enumerate(fact_columns, start=1):
            value = case[key]
            if isinstance(value, pd.Timestamp):
                value = value.date()
            cell = write_cell(ws, r, j, None if blank(value) else value)
            cell.fill = grey
            if key == "start_date":
                cell.number_format = DATE_FORMAT
        for k, key in enumerate(date_cols, start=n_fact + 1):
            cell = ws.cell(row=r, column=k)
            cell.number_format = DATE_FORMAT
            if asked[key][i]:
                cell.protection = open_cell
                date_cells.append((r, k))
            else:
                cell.fill = grey
        first_q = n_fact + len(date_cols) + 1
        for k, q_index in enumerate(used_idx, start=first_q):
            cell = ws.cell(row=r, column=k)
            if applies[i, q_index]:
                cell.protection = open_cell
                answer_cells.append((r, k))
            else:
                cell.fill = grey
        for k in range(first_q + len(used), first_q + len(used) + len(NOTE_THEMES)):
            cell = ws.cell(row=r, column=k)
            cell.protection = open_cell
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    # One range list per validation: adding cells one by one is quadratic in openpyxl.
    for validation, cells in ((answer_dv, answer_cells), (date_dv, date_cells)):
        if cells:  # an empty validation range makes Excel offer to "repair" the file
            validation.sqref = MultiCellRange(_ranges(cells))
            ws.add_data_validation(validation)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=2)
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    _print_setup(ws, landscape=True)
    ws.print_title_rows = f"1:{FIRST_DATA_ROW - 1}"  # every printed page repeats the headers


#: Excel's width of a column nobody has sized (in widths of a digit).
_DEFAULT_WIDTH = 8.43


def _print_setup(ws, *, landscape: bool) -> None:
    """A4, page numbers in the footer. A sheet of cases prints landscape, on as many pages
    across as keep its text readable (`pages_across`), with the case id repeated at the left
    of each page and gridlines so a printed row can be followed across; the instructions
    print portrait, fitted to the page's width. Both run as many pages down as needed."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = pages_across(ws) if landscape else 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = landscape
    if landscape:
        ws.print_title_cols = "A:A"  # the case id on every page across
    ws.oddFooter.center.text = "&A, page &P of &N"


def pages_across(ws) -> int:
    """How many landscape A4 pages across a sheet needs so that, fitted to them, its text is
    printed at no less than the setting's scale (``settings/workbooks.yaml``), the first
    column being repeated on each page.

    Raises
    ------
    ConfigError
        If a setting is missing, lacks its source note or is not a positive number.
    """
    settings = load_settings("workbooks")
    for key in ("print_min_scale", "print_columns_per_page"):
        value = settings.get(key)
        if not settings.get(f"{key}_source") or isinstance(value, bool) or not isinstance(
                value, (int, float)) or value <= 0:
            raise ConfigError(f"settings file workbooks.yaml: {key} must be a positive number "
                              f"with a {key}_source note")
    from openpyxl.utils import get_column_letter

    dims = [ws.column_dimensions[get_column_letter(c)] for c in range(1, ws.max_column + 1)]
    widths = [d.width if d.customWidth and d.width else _DEFAULT_WIDTH for d in dims]
    per_page = settings["print_columns_per_page"] * 100 / settings["print_min_scale"]
    repeated = widths[0] if widths else 0
    if repeated >= per_page / 2:  # too wide to repeat on every page: share the pages out
        return max(1, math.ceil(sum(widths) / per_page))
    return max(1, math.ceil((sum(widths) - repeated) / (per_page - repeated)))


def _shown(value: object) -> str:
    """A fact as the workbook shows it (dates day/month/year), to size its column."""
    if blank(value):
        return ""
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _ranges(cells: list[tuple[int, int]]) -> str:
    """Compress (row, column) cells into Excel ranges, one per run of rows in a column."""
    from openpyxl.utils import get_column_letter

    parts = []
    for column in sorted({c for _, c in cells}):
        rows = sorted(r for r, c in cells if c == column)
        start = prev = rows[0]
        for r in rows[1:] + [None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            letter = get_column_letter(column)
            parts.append(f"{letter}{start}" if start == prev else f"{letter}{start}:{letter}{prev}")
            if r is not None:
                start = prev = r
    return " ".join(parts)


def _dates_asked(questions: list[Question], applies: np.ndarray, n_rows: int
                 ) -> dict[str, np.ndarray]:
    """Per typed date column, the rows it is asked on: those where a check derived from it
    applies (or may apply: a blank fact does not rule a case out)."""
    asked = {c: np.zeros(n_rows, dtype=bool) for c in DATE_INPUTS}
    for j, q in enumerate(questions):
        for column in (q.derived or {}).values():
            if column in asked:
                asked[column] |= applies[:, j]
    return asked


def blank(value: object) -> bool:
    """Whether a cell value is empty (None, NaN, NaT or "")."""
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == "" or (
        value is pd.NaT)
