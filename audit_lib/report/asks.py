"""What the board is asked to do: three to five asks, each a decision or a noting.

Each ask is in words (no question or recommendation codes), carries the figure that drives it,
names who owns it and says by when; a date that has passed is replaced by a new one (the end
of the next quarter after the "as at" date) with the old one shown. Asks are grouped so there
are never more than five: what got worse, recommendations not addressed, those that can be
closed (a recommendation the board owns is confirmed by someone independent, never signed off
by the board itself), those still open, and the officer's recommendation on the sample with its
cost in reviewer days.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from audit_lib.display import pct
from audit_lib.frameworks import Framework
from audit_lib.report.front_sheet import BoardSettings, PeriodNames
from audit_lib.report.html import escape
from audit_lib.report.readings import Change, QuestionReading, fall_figure
from audit_lib.report.sample_advice import SampleAdvice, days

#: At most this many asks on page one (and at least `FEWEST`).
MOST, FEWEST = 5, 3
#: The most items (recommendations) one ask lists on page one; the body lists every one.
MOST_ITEMS = 3


@dataclass(frozen=True)
class Ask:
    """One thing the board is asked to do."""

    kind: str  # "Decide" or "Note"
    text: str  # the ask and its figure, in words
    owner: str
    by: str

    def html(self) -> str:
        """The ask as a list item: kind, text, then owner and date (an ask that names an owner
        and a date for each of its items says so in its text instead)."""
        text = self.text[:1].upper() + self.text[1:]
        who = (f'<span class="owner">Owner: {escape(self.owner)}. By: {escape(self.by)}.'
               "</span>" if self.owner else "")
        return f"<li><b>{escape(self.kind)}:</b> {escape(text)} {who}</li>"


def next_review(as_at: dt.date) -> dt.date:
    """The last day of the first calendar quarter ending after ``as_at``: when the next
    quarter's figures can show a change."""
    month = ((as_at.month - 1) // 3 + 1) * 3
    end = dt.date(as_at.year, month, 1)
    end = (dt.date(end.year + (end.month == 12), end.month % 12 + 1, 1) - dt.timedelta(days=1))
    if end <= as_at:
        return next_review(end + dt.timedelta(days=1))
    return end


def due_text(row: dict, as_at: dt.date, *, still_open: bool = True) -> str:
    """When an owner must act: the register's date, or, where that has passed and the work is
    still open, a new date with the old one shown."""
    due = _text(row.get("due"))
    fresh = next_review(as_at)
    if not due:
        return f"{fresh:%B %Y} (proposed: the register sets no date)"
    try:
        day = dt.date.fromisoformat(due)
    except ValueError:
        return due
    if day >= as_at or not still_open:
        return f"{day:%B %Y}"
    return f"{fresh:%B %Y} (was {day:%B %Y})"


@dataclass(frozen=True)
class MeasureLine:
    """A case-audit measure of a recommendation, in words, and how far short of target."""

    evidence_id: str
    text: str
    shortfall: float  # target minus share, in points (negative when met)
    held: bool  # below target or declined: it holds the recommendation open
    figure: str = ""  # the text without the measure's name: "84%, target 90%"


def measure_lines(evidence: pd.DataFrame | None, questions: dict[str, QuestionReading],
                  names: dict[str, str], fw: Framework) -> dict[str, list[MeasureLine]]:
    """Per recommendation, each case-audit measure's figure in words."""
    out: dict[str, list[MeasureLine]] = {}
    if evidence is None or "measure_id" not in evidence:
        return out
    cuts = [b.low for b in fw.rating_bands if b.low > 0]
    for row in evidence.to_dict("records"):
        measure = _text(row.get("measure_id"))
        if not measure:
            continue
        name = names.get(measure, measure)
        target, share = _number(row.get("target_pct")), _number(row.get("pct_yes"))
        near = cuts + ([] if math.isnan(target) else [target])
        now = pct(share, near)
        reading = questions.get(measure)
        declined = _text(row.get("progress_status")) == "declined"
        if declined and reading is not None:  # the figure the call rests on: pooled quarters
            figure = (f"down from {pct(reading.baseline_pct, near)} at the inspection to "
                      f"{fall_figure(reading, near)[0]}")
        else:
            figure = f"{now}, target {pct(target)}"
        out.setdefault(str(row["recommendation_id"]), []).append(MeasureLine(
            str(row["evidence_id"]), f"{name} {figure}", target - share,
            declined or row.get("direction") == "contradicts", figure))
    return out


def weakest(lines: list[MeasureLine], named: bool = True) -> str:
    """The measure furthest short of its target, and how many more hold the recommendation
    open: "victims contacted 66% against an 80% target; 1 more below target"."""
    held = sorted((m for m in lines if m.held), key=lambda m: -m.shortfall)
    if not held:
        return ""
    more = len(held) - 1
    return ((held[0].text if named else held[0].figure)
            + (f"; {more} more below target" if more else ""))


def board_owned(owner: str, board: BoardSettings) -> bool:
    """Whether a recommendation belongs to the board itself (its chair, or the board)."""
    text = owner.casefold()
    return "board" in text or board.name.casefold() in text


def _title(row: dict) -> str:
    title = _text(row.get("title")) or "an untitled recommendation"
    acronym = len(title) > 1 and title[1].isupper()  # "YJS ...", not "A dedicated ..."
    return title if acronym else title[0].lower() + title[1:]


def recommendation_asks(assurance: pd.DataFrame, lines: dict[str, list[MeasureLine]],
                        board: BoardSettings, as_at: dt.date) -> dict[str, Ask]:
    """The recommendations' asks: not addressed, to close, still open (each may be absent)."""
    asks: dict[str, Ask] = {}
    rows = assurance.to_dict("records")
    by_kind: dict[str, list[dict]] = {}
    for row in rows:
        by_kind.setdefault(row["sign_off"], []).append(row)

    def figures(row: dict, only_held: bool, named: bool = True) -> str:
        mine = lines.get(str(row["recommendation_id"]), [])
        shown = (weakest(mine, named) if only_held else
                 "; ".join(m.text if named else m.figure for m in mine))
        if shown:
            return shown
        level = _text(row.get("assurance_level"))
        level = level if level.endswith("assurance") else f"{level} assurance"
        agree = max(_int(row.get("n_supporting_types")), _int(row.get("n_contradicting_types")))
        return (f"{level}: {agree} of {_int(row.get('n_source_types'))} kinds of source agree"
                if _int(row.get("n_source_types")) else f"{level}: no evidence")

    def owners(items: list[dict]) -> str:
        names = list(dict.fromkeys(_text(r.get("owner")) or "not named" for r in items))
        return "; ".join(names)

    fresh = next_review(as_at)
    missing = by_kind.get("not addressed", [])
    if missing:
        parts = [f"{_title(r)} ({figures(r, True)}{_who(r, len(missing), as_at)})"
                 for r in missing]
        # Several: each recommendation's owner and date beside it, and the lead officer, who
        # brings the paper, owns the decision.
        asks["not addressed"] = Ask(
            "Decide", "ask for a plan and a date for what is not addressed: "
            + _some(parts) + ".", board.lead_officer if len(missing) > 1 else owners(missing),
            due_text(missing[0], as_at) if len(missing) == 1 else f"{fresh:%B %Y}")
    closing = by_kind.get("can be signed off", [])
    if closing:
        own = [r for r in closing if board_owned(_text(r.get("owner")), board)]
        others = [r for r in closing if r not in own]
        one_owner = len({_text(r.get("owner")) for r in closing}) == 1

        def item(r: dict, quoted: bool) -> str:
            title = f"\u201c{_text(r.get('title'))}\u201d" if quoted else _title(r)
            who = "" if one_owner else f"; {_text(r.get('owner')) or 'owner not named'}"
            return f"{title} ({figures(r, False)}{who})"

        # At most `MOST_ITEMS` named (the board's own first: they need another's word).
        own_shown = own[:MOST_ITEMS]
        others_shown = others[:MOST_ITEMS - len(own_shown)]
        more = len(closing) - len(own_shown) - len(others_shown)
        sentences = []
        if others_shown:
            sentences.append("agree to close " + "; ".join(item(r, False) for r in others_shown)
                             + ".")
        if own_shown:
            sentences.append(
                f"{'Ask' if sentences else 'ask'} {board.independent_reviewer} to confirm that "
                + "; ".join(item(r, True) for r in own_shown)
                + (" can be closed: the board owns it, so should not close it itself."
                   if len(own_shown) == 1 else
                   " can be closed: the board owns them, so should not close them itself."))
        if more:
            sentences.append(f"{more} more can be closed, listed under the recommendations.")
        # One owner: said once, after the text; several: each beside its recommendation, and
        # the lead officer, who brings the paper, owns the decision.
        asks["can be signed off"] = Ask("Decide", " ".join(sentences),
                                        owners(closing) if one_owner else board.lead_officer,
                                        "this meeting")
    still = by_kind.get("keep under review", [])
    if still:
        parts = [f"{_title(r)} ({figures(r, True, len(still) < 3)}"
                 f"{_who(r, len(still), as_at)})" for r in still]
        asks["keep under review"] = Ask(
            "Note", f"{len(still)} recommendation{'s stay' if len(still) != 1 else ' stays'} "
            "open: " + _some(parts) + ".", "" if len(still) > 1 else owners(still),
            due_text(still[0], as_at) if len(still) == 1 else f"{fresh:%B %Y}")
    return asks


def _some(parts: list[str]) -> str:
    """An ask's items, at most `MOST_ITEMS` of them, then how many more the recommendations
    section lists (page one has one A4 page)."""
    more = len(parts) - MOST_ITEMS
    return "; ".join(parts[:MOST_ITEMS]) + (
        f"; and {more} more, listed under the recommendations" if more > 0 else "")


def _who(row: dict, items: int, as_at: dt.date) -> str:
    """Inside an ask listing several items, each one's owner and date ("; Head of Service, by
    September 2026"); an ask of one item gives them once, after its text."""
    if items == 1:
        return ""
    return f"; {_text(row.get('owner')) or 'owner not named'}, by {due_text(row, as_at)}"


def worse_ask(changes: list[Change], owner_of: dict[str, str], board: BoardSettings,
              as_at: dt.date) -> Ask | None:
    """Ask the owner of what got worse for an explanation and a plan."""
    if not changes:
        return None
    owners = {owner_of[q] for c in changes for q in c.question_ids if q in owner_of}
    owner = owners.pop() if len(owners) == 1 else board.lead_officer
    shown = changes[:3]
    more = len(changes) - len(shown)
    text = ("ask for an explanation and a plan for what is lower than at the inspection: "
            + "; ".join(f"{c.name} ({c.short})" for c in shown)
            + (f"; and {more} more in the body of this paper" if more else "") + ".")
    return Ask("Decide", text, owner, f"{next_review(as_at):%B %Y}")


def sample_ask(advice: SampleAdvice | None, board: BoardSettings,
               periods_next: PeriodNames) -> Ask | None:
    """The officer's recommendation on next quarter's sample, and its cost."""
    if advice is None:
        return None
    if advice.cases_next == advice.cases_now:
        what = (f"agree the officer's recommendation to keep next quarter's sample at "
                f"{advice.cases_now} cases ({days(advice.days_now)}): {advice.reason}.")
    else:
        what = (f"agree the officer's recommendation to sample {advice.cases_next} cases next "
                f"quarter, not {advice.cases_now} ({days(advice.days_next)}, against "
                f"{days(advice.days_now)} now): {advice.reason}.")
    return Ask("Decide", what, board.author, f"{periods_next.start:%B %Y}")


def choose(asks: list[Ask], spare: list[Ask]) -> list[Ask]:
    """At most `MOST` asks (the notings merged when there are more), at least `FEWEST` (from
    ``spare``, notings held back for a short list)."""
    asks = list(asks)
    while len(asks) > MOST:
        notes = [i for i, a in enumerate(asks) if a.kind == "Note"]
        if len(notes) < 2:
            break
        first, second = asks[notes[0]], asks[notes[1]]
        merged = Ask("Note", f"{first.text} {second.text}",
                     "; ".join(dict.fromkeys([first.owner, *second.owner.split("; ")])),
                     second.by)
        asks[notes[0]] = merged
        del asks[notes[1]]
    for i, extra in enumerate(spare):
        if len(asks) >= FEWEST:
            break
        asks.insert(i, extra)
    return asks


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _int(value: object) -> int:
    number = _number(value)
    return 0 if math.isnan(number) else int(number)


def _number(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
