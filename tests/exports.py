"""A caseload export written as case-management systems write it (test helper).

Systems such as ChildView, Careworks and Eclipse save a caseload *report*, not a table: an
.xlsx workbook whose sheet opens with title lines and a blank row above the header, with a
totals line and blank rows below the data; real date cells shown day-first; 16 columns, some
of which case-audit has no use for; the system's own words for outcomes (``Triage``,
``Deferred Prosecution``), a ``Legal Status`` column saying court or out of court, a ``YOT
Team``, a month-and-year date of birth and ethnicity in the census's 18 categories. The CSV
form is the same sheet saved by Excel as "CSV (comma delimited)": every line padded with
commas to the sheet's width, dates as Excel shows them (dd/mm/yyyy).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

#: The export's 16 headers, as the system writes them.
HEADER = ["Case Ref", "Legal Status", "Outcome", "Outcome Date", "Order End Date",
          "Date of Birth", "Gender", "Ethnicity", "YOT Team", "Worker ID", "RoSH",
          "Safety & Wellbeing", "LAC", "Victim", "Primary Offence", "Gravity Score"]
#: Two title lines, then a blank row, then the header (row 4).
TITLES = ["Kestrel Vale Youth Justice Service", "Open Cases report, quarter ending March 2026"]
HEADER_ROW = len(TITLES) + 2
SHEET = "Open Cases"

#: Outcomes as the system writes them, with the group its Legal Status column gives.
COURT = ["Referral Order", "YRO", "DTO", "Youth Rehabilitation Order"]
OUT_OF_COURT = ["Youth Caution", "YCC", "Community Resolution", "Outcome 22", "Triage",
                "Deferred Prosecution"]
#: A scheme only this service calls so (its Legal Status says out of court).
LOCAL_OUTCOME = "Turning Point"

#: The census's 18 ethnic groups (England and Wales 2011 wording), and the group each is in.
CENSUS_2011 = {
    "White: English/Welsh/Scottish/Northern Irish/British": "white",
    "White: Irish": "white",
    "White: Gypsy or Irish Traveller": "white",
    "White: Other White": "white",
    "Mixed/multiple ethnic groups: White and Black Caribbean": "mixed",
    "Mixed/multiple ethnic groups: White and Black African": "mixed",
    "Mixed/multiple ethnic groups: White and Asian": "mixed",
    "Mixed/multiple ethnic groups: Other Mixed": "mixed",
    "Asian/Asian British: Indian": "asian",
    "Asian/Asian British: Pakistani": "asian",
    "Asian/Asian British: Bangladeshi": "asian",
    "Asian/Asian British: Chinese": "asian",
    "Asian/Asian British: Other Asian": "asian",
    "Black/African/Caribbean/Black British: African": "black",
    "Black/African/Caribbean/Black British: Caribbean": "black",
    "Black/African/Caribbean/Black British: Other Black": "black",
    "Other ethnic group: Arab": "other",
    "Other ethnic group: Any other ethnic group": "other",
}
#: The same in the 2021 census's wording (Roma added), and the short forms exports use.
CENSUS_2021 = {
    "White: English, Welsh, Scottish, Northern Irish or British": "white",
    "White: Roma": "white",
    "Asian, Asian British or Asian Welsh: Pakistani": "asian",
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean": "black",
    "Mixed or Multiple ethnic groups: White and Black Caribbean": "mixed",
    "Other ethnic group: Any other ethnic group": "other",
    "White British": "white",
    "Black Caribbean": "black",
    "Any other Asian background": "asian",
    "Not stated": "",
    "Refused": "",
}


def rows(n: int = 180) -> list[list[object]]:
    """``n`` cases, every value as the system writes it (dates as dates, numbers as numbers)."""
    ethnicities = list(CENSUS_2011) + list(CENSUS_2021)
    out = []
    for i in range(n):
        court = i % 3 != 0
        outcomes = COURT if court else OUT_OF_COURT + [LOCAL_OUTCOME]
        start = dt.date(2026, 1 + i % 3, 1 + i % 28)
        birth_year = 2008 + i % 7
        out.append([
            f"KV{2000 + i:05d}", "Court" if court else "Out of Court",
            outcomes[i % len(outcomes)], start, start + dt.timedelta(days=365),
            f"{1 + i % 12:02d}/{birth_year}", "M" if i % 4 else "F",
            ethnicities[i % len(ethnicities)], ["North", "South", "Central"][i % 3],
            f"W{i % 9:02d}", ["Low", "Medium", "High", "Very High", "Not Assessed"][i % 5],
            ["Low", "Medium", "High"][i % 3], "Y" if i % 6 == 0 else "N",
            "Yes" if i % 2 else "No", ["Theft", "Violence against the person",
                                       "Criminal damage"][i % 3], 1 + i % 6])
    return out


def footer(n: int) -> list[list[object]]:
    """What the report writes below its data: a blank row, the totals line, blank rows."""
    return [[], [f"Total cases: {n}"], [], []]


def write_xlsx(path: Path, n: int = 180, *, extra_sheets: dict[str, list[list]] | None = None,
               titles: list[str] = TITLES) -> Path:
    """The report as the system saves it: sheet 'Open Cases', title lines and a blank row above
    the header, totals and blank rows below, dates as day-first date cells."""
    import openpyxl

    book = openpyxl.Workbook()
    for name, content in (extra_sheets or {}).items():
        sheet = book.create_sheet(name, 0)
        for line in content:
            sheet.append(line)
    ws = book.worksheets[-1] if extra_sheets else book.active
    ws.title = SHEET
    for title in titles:
        ws.append([title])
    ws.append([])
    ws.append(HEADER)
    for row in rows(n):
        ws.append(row)
    for line in footer(n):
        ws.append(line)
    # Report writers format the rows they leave blank (a border here): the workbook then
    # holds them, empty, as Excel's CSV does.
    from openpyxl.styles import Border, Side

    last = len(titles) + 2 + n + len(footer(n))  # the footer's last blank row
    for row in (last - 1, last):
        ws.cell(row=row, column=1).border = Border(top=Side(style="thin"))
    for column in ("D", "E"):
        for cell in ws[column][HEADER_ROW:]:
            cell.number_format = "DD/MM/YYYY"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    book.save(path)
    return path


def write_csv(path: Path, n: int = 180, *, titles: list[str] = TITLES) -> Path:
    """The same report saved by Excel as CSV: every line as wide as the sheet."""
    width = len(HEADER)
    lines = [[t] for t in titles] + [[], HEADER] + [
        [_as_excel_shows(v) for v in row] for row in rows(n)] + footer(n)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for line in lines:
            writer.writerow(list(line) + [""] * (width - len(line)))
    return path


def _as_excel_shows(value: object) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)
