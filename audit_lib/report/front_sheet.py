"""The board paper's front sheet: which board, which meeting, whose paper, for what, how marked.

A board secretary tables a paper by its front sheet: the board and the meeting's date, the
paper's title, its author and contact officer, whether it is for decision or for information,
its protective marking, the date its statuses are judged on ("as at"), the period it covers
(named as the calendar quarter and as the quarter of the service's financial year) and its
appendices. Each comes from the period config's ``board:`` section, or a default in
``settings/report.yaml``; `board_problems` checks the section when the config is read, naming
each key, and `read_board` gives the paper its settings.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from dataclasses import dataclass, field

from audit_lib.errors import ConfigError
from audit_lib.report.html import escape
from audit_lib.settings import load_settings

logger = logging.getLogger(__name__)

#: The implications a board paper states, in the order it states them.
IMPLICATIONS = ("financial", "legal", "equality", "safeguarding", "data_protection", "risk")
PURPOSES = {"decision": "For decision", "information": "For information"}
#: Keys of the period config's ``board:`` section (each described in the README).
KEYS = ("name", "meeting_date", "title", "author", "contact_officer", "lead_officer", "purpose",
        "classification", "as_at_date", "background_papers", "implications", "minutes_per_case",
        "recommended_sample", "financial_year_start_month", "independent_reviewer")
_SHORT, _LONG = 200, 2000
_TEXT_KEYS = ("name", "title", "author", "contact_officer", "lead_officer",
              "independent_reviewer")


@dataclass(frozen=True)
class BoardSettings:
    """The front sheet's facts and the paper's choices, defaults filled in."""

    name: str
    author: str
    contact_officer: str
    lead_officer: str
    classification: str
    financial_year_start_month: int
    minutes_per_case: float
    meeting_date: dt.date | None = None
    title: str | None = None
    purpose: str | None = None  # None: decided by the asks (For decision when any is one)
    as_at_date: dt.date | None = None  # None: the quarter's end
    background_papers: tuple[str, ...] = ()
    implications: dict[str, str] = field(default_factory=dict)
    recommended_sample: int | None = None
    independent_reviewer: str = "an independent reviewer (such as the council's scrutiny committee)"

    def as_at(self, period_end: dt.date) -> dt.date:
        """The date statuses (due dates, overdue actions) are judged on."""
        return self.as_at_date or period_end


def defaults() -> dict:
    """The ``board`` defaults of ``settings/report.yaml``."""
    return load_settings("report")["board"]


def board_problems(raw: object, period_end: dt.date | None) -> tuple[dict, list[str]]:
    """Check the period config's ``board:`` section.

    Returns
    -------
    (dict, list of str)
        The section with dates as ``YYYY-MM-DD`` text (as the report notebook receives it),
        and one message per problem, each naming its key (``board.meeting_date: ...``).
    """
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, ["board: must be a mapping of front-sheet settings (board.name, "
                    "board.meeting_date ...)"]
    problems = [f"board.{key}: unknown setting (allowed: {', '.join(KEYS)})"
                for key in sorted(set(map(str, raw)) - set(KEYS))]
    out: dict = {}
    for key in _TEXT_KEYS:
        if raw.get(key) is not None:
            out[key] = _text(raw[key], f"board.{key}", _SHORT, problems)
    dates = {}
    for key in ("meeting_date", "as_at_date"):
        if raw.get(key) is not None:
            dates[key] = _date(raw[key], f"board.{key}", problems)
            if dates[key]:
                out[key] = dates[key].isoformat()
    if period_end and dates.get("as_at_date") and dates["as_at_date"] < period_end:
        problems.append("board.as_at_date: must be on or after the quarter's end (period_end): "
                        "statuses cannot be judged before the quarter's figures exist")
    if period_end and dates.get("meeting_date") and dates["meeting_date"] < period_end:
        problems.append("board.meeting_date: must be after the quarter's end (period_end): a "
                        "board cannot read a quarter's results before the quarter ends")
    if (dates.get("meeting_date") and dates.get("as_at_date")
            and dates["as_at_date"] > dates["meeting_date"]):
        problems.append("board.as_at_date: must be on or before the meeting date")
    if raw.get("purpose") is not None:
        purpose = str(raw["purpose"]).strip().lower().removeprefix("for ").strip()
        if purpose not in PURPOSES:
            problems.append('board.purpose: "For decision" or "For information"')
        else:
            out["purpose"] = PURPOSES[purpose]
    if raw.get("classification") is not None:
        allowed = defaults()["classifications"]
        marking = str(raw["classification"]).strip().upper().replace(" ", "-")
        if marking not in allowed:
            problems.append(f"board.classification: one of {', '.join(allowed)}")
        else:
            out["classification"] = marking
    papers = raw.get("background_papers")
    if papers is not None:
        if isinstance(papers, str):
            papers = [papers]
        if not isinstance(papers, list):
            problems.append("board.background_papers: a list of the papers' titles")
        else:
            out["background_papers"] = [_text(p, f"board.background_papers[{i}]", _SHORT,
                                              problems) for i, p in enumerate(papers, start=1)]
    implications = raw.get("implications")
    if implications is not None:
        if not isinstance(implications, dict):
            problems.append(f"board.implications: a mapping of {', '.join(IMPLICATIONS)} to "
                            "the paragraph that replaces case-audit's default")
        else:
            out["implications"] = {}
            for key, text in implications.items():
                if key not in IMPLICATIONS:
                    problems.append(f"board.implications.{key}: unknown (allowed: "
                                    f"{', '.join(IMPLICATIONS)})")
                else:
                    out["implications"][key] = _text(text, f"board.implications.{key}", _LONG,
                                                     problems)
    for key, kind, low, high in (("minutes_per_case", float, 1, 24 * 60),
                                 ("recommended_sample", int, 1, 10_000),
                                 ("financial_year_start_month", int, 1, 12)):
        value = raw.get(key)
        if value is None:
            continue
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not (whole or (kind is float and isinstance(value, float))) or not low <= value <= high:
            what = "a whole number" if kind is int else "a number"
            problems.append(f"board.{key}: {what} from {low} to {high:,}")
        else:
            out[key] = value
    return out, problems


def read_board(raw: dict | None, period_end: dt.date | None = None) -> BoardSettings:
    """The paper's settings: the config's ``board:`` section over the defaults.

    Raises
    ------
    ConfigError
        Naming every key that is wrong, and why.
    """
    checked, problems = board_problems(raw or {}, period_end)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{len(problems)} problem(s) in the board settings:\n{listed}")
    base = defaults()
    author = checked.get("author") or base["author"]
    return BoardSettings(
        name=checked.get("name") or base["name"],
        author=author,
        contact_officer=checked.get("contact_officer") or author,
        lead_officer=checked.get("lead_officer") or base["lead_officer"],
        classification=checked.get("classification") or base["classification"],
        financial_year_start_month=int(checked.get("financial_year_start_month")
                                       or base["financial_year_start_month"]),
        minutes_per_case=float(checked.get("minutes_per_case")
                               or load_settings("report")["minutes_per_case"]),
        meeting_date=_as_date(checked.get("meeting_date")),
        title=checked.get("title"),
        purpose=checked.get("purpose"),
        as_at_date=_as_date(checked.get("as_at_date")),
        background_papers=tuple(checked.get("background_papers") or ()),
        implications=dict(checked.get("implications") or {}),
        recommended_sample=checked.get("recommended_sample"),
        **({"independent_reviewer": checked["independent_reviewer"]}
           if checked.get("independent_reviewer") else {}),
    )


def _text(value: object, where: str, limit: int, problems: list[str]) -> str:
    text = str(value).strip()
    if not text or len(text) > limit or any(unicodedata.category(c) == "Cc" and c not in "\n"
                                            for c in text):
        problems.append(f"{where}: text of 1 to {limit} characters, without control characters")
    return text


def _date(value: object, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{where}: a date written YYYY-MM-DD")
        return None


def _as_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# --- Naming the period -----------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodNames:
    """A quarter named as a board reads it: its months, its calendar quarter and its quarter
    of the financial year (each empty when the period is not such a quarter)."""

    months: str
    calendar: str = ""
    financial: str = ""
    start: dt.date | None = None  # the period's first day (None when it is not a quarter)

    def both(self) -> str:
        """"April to June 2026 (2026 Q2; Q1 2026-27 of the financial year)"."""
        named = [n for n in (self.calendar, self.financial and
                             f"{self.financial} of the financial year") if n]
        return self.months + (f" ({'; '.join(named)})" if named else "")


def period_names(period_end: dt.date, financial_year_start_month: int = 4) -> PeriodNames:
    """The three months ending at ``period_end``, named both ways.

    A quarter ending on a month's last day is named by its months ("April to June 2026"),
    as a calendar quarter when it is one ("2026 Q2") and as a quarter of the financial year
    that starts in ``financial_year_start_month`` when it is one ("Q1 2026-27"). Any other
    period is named by its last day.
    """
    last_day = (period_end + dt.timedelta(days=1)).day == 1
    if not last_day:
        return PeriodNames(f"the quarter to {period_end.day} {period_end:%B %Y}")
    first_month = (period_end.month - 3) % 12 + 1
    first_year = period_end.year - (1 if first_month > period_end.month else 0)
    start = dt.date(first_year, first_month, 1)
    months = (f"{start:%B} to {period_end:%B %Y}" if start.year == period_end.year
              else f"{start:%B %Y} to {period_end:%B %Y}")
    calendar = f"{period_end.year} Q{period_end.month // 3}" if period_end.month % 3 == 0 else ""
    into = (period_end.month - financial_year_start_month) % 12 + 1  # months into the year
    financial = ""
    if into % 3 == 0:
        fy_start = period_end.year - (1 if period_end.month < financial_year_start_month else 0)
        if financial_year_start_month == 1:
            financial = f"Q{into // 3} {fy_start}"
        else:
            financial = f"Q{into // 3} {fy_start}-{(fy_start + 1) % 100:02d}"
    return PeriodNames(months, calendar, financial, start)


def when(day: dt.date) -> str:
    """A full date for the page, inside ``<time>`` (where the publish check expects dates)."""
    return f'<time datetime="{day.isoformat()}">{day.day} {day:%B %Y}</time>'


# --- The front sheet ---------------------------------------------------------------------------


def front_sheet_html(board: BoardSettings, *, title: str, subtitle: str, purpose: str,
                     periods: PeriodNames, period_end: dt.date,
                     appendices: list[tuple[str, str, str]]) -> str:
    """The paper's head: marking, board and meeting, title and period (``subtitle``: the
    service and the period named both ways), and the facts a secretary files it by, in a
    description list (not a table: page one has one table, the standards).

    ``appendices`` are (letter, anchor, heading).
    """
    meeting = (f"meeting of {when(board.meeting_date)}" if board.meeting_date
               else "meeting date not yet set")
    as_at = board.as_at(period_end)
    facts = [
        ("Purpose", escape(purpose)),
        ("Position as at", when(as_at)),
        ("Author", escape(board.author)),
        ("Contact officer", escape(board.contact_officer)),
        ("Appendices", "; ".join(f'<a href="#{anchor}">{letter} {escape(heading)}</a>'
                                 for letter, anchor, heading in appendices)),
    ]
    wide = {"Author", "Contact officer", "Appendices"}
    cls = {name: ' class="wide"' if name in wide else "" for name, _ in facts}
    items = "".join(f"<div><dt{cls[name]}>{name}</dt><dd{cls[name]}>{value}</dd></div>"
                    for name, value in facts)
    return (f'<header class="paper-header">'
            f'<p class="marking">{escape(board.classification)}</p>'
            f'<p class="board">{escape(board.name)}: {meeting}</p>'
            f"<h1>{escape(title)}</h1>"
            f'<p class="subtitle">{escape(subtitle)}</p>'
            f'<dl class="front-sheet">{items}</dl></header>')


def marking_css(board: BoardSettings) -> str:
    """The protective marking at the top and foot of every printed page (a setting chosen from
    a fixed list, so it is safe inside a stylesheet)."""
    marking = board.classification.replace('"', "")
    return (f'<style>@page {{ @top-center {{ content: "{marking}"; font-family: Arial, '
            f'Helvetica, sans-serif; font-size: 9pt; font-weight: bold; }} '
            f'@bottom-center {{ content: "{marking}"; font-family: Arial, Helvetica, '
            f'sans-serif; font-size: 9pt; font-weight: bold; }} }}</style>')
