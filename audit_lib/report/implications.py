"""The board paper's implications: financial, legal, equality, safeguarding, data protection
and risk, each from the period config (``board.implications``) or a stated default.

The defaults are worked out from the quarter's figures where they can be (reviewer time, what
the fairness tables can and cannot say, the children's safety questions, what stays internal,
what could change the board's view), and otherwise are ``settings/report.yaml``'s wording.
"""

from __future__ import annotations

import pandas as pd

from audit_lib.display import pct
from audit_lib.frameworks import Framework
from audit_lib.report.front_sheet import IMPLICATIONS, BoardSettings
from audit_lib.report.html import escape
from audit_lib.report.names import plain_names
from audit_lib.report.sample_advice import SampleAdvice, days
from audit_lib.report.words import rating_thresholds
from audit_lib.settings import load_settings
from audit_lib.vocabulary import column_words

HEADINGS = {"financial": "Financial", "legal": "Legal",
            "equality": "Equality (Public Sector Equality Duty)", "safeguarding": "Safeguarding",
            "data_protection": "Data protection", "risk": "Risk"}


def financial(advice: SampleAdvice | None, board: BoardSettings) -> str:
    """Reviewer time: the only cost of the self-audit."""
    if advice is None:
        return ("No financial implications: no sample was drawn this quarter, so there is no "
                "reviewer time to cost.")
    text = (f"No financial implications beyond reviewer time: {days(advice.days_now)} "
            f"({advice.reads_now} case readings, second reads included, at "
            f"{board.minutes_per_case:g} minutes each), found from the service's own staff.")
    if advice.cases_next != advice.cases_now:
        text += (f" The recommended sample of {advice.cases_next} cases would take "
                 f"{days(advice.days_next)}.")
    return text


def equality(pooled: dict | None, fw: Framework, threshold: int | None) -> str:
    """What the fairness tables can and cannot say, under the Public Sector Equality Duty."""
    duty = ("Under the Public Sector Equality Duty the board must have due regard to "
            "eliminating discrimination and advancing equality of opportunity for children who "
            "share a protected characteristic. ")
    if not pooled or not pooled.get("characteristics"):
        return duty + ("This quarter's cases could not be compared by group of children; the "
                       "paper cannot say whether practice differs by sex, ethnicity or age.")
    chars = pooled["characteristics"]
    words = plain_names(fw)
    said, unsaid, found = [], [], []
    for name, assessed in chars.items():
        label = column_words(name).lower()
        if not assessed.get("assessable"):
            unsaid.append(label)
            continue
        differences = assessed.get("differences") or []
        if differences:
            found += [f"{words.get(d['question_id'], d['question_id'])} by {label}"
                      for d in differences]
        else:
            said.append(label)
    span = (f"{pooled.get('children', 0)} children over "
            + (f"{pooled['quarters']} quarters" if pooled.get("quarters", 1) > 1
               else "this quarter only"))
    parts = [duty + f"From {span}:"]
    if found:
        parts.append("practice differs, after adjusting for the number of comparisons, in "
                     + "; ".join(found) + " (see the body of this paper).")
    if said:
        parts.append("no difference large enough to show with these numbers by "
                     + ", ".join(said) + ".")
    if unsaid:
        parts.append("practice by " + ", ".join(unsaid) + " could not be assessed: too few "
                     "children in the groups to compare. That is not evidence that there is no "
                     "difference; quarters are pooled until there are enough.")
    if threshold:
        parts.append(f"Counts of fewer than {threshold} children are not published.")
    return " ".join(parts)


def safeguarding(key_questions: pd.DataFrame, fw: Framework) -> str:
    """The children's safety questions now, and what a reviewer does with a case at risk."""
    default = " ".join(str(load_settings("report")["implications"]["safeguarding"]).split())
    safety = [q for q in fw.questions if q.aim == "safety_of_child"]
    kq = key_questions.set_index("question_id")
    rows = [(q, kq.loc[q.id]) for q in safety if q.id in kq.index
            and kq.loc[q.id, "n_applicable"] > 0]
    if not rows:
        return default
    cuts = rating_thresholds(fw)
    good = next((b.low for b in fw.rating_bands if b.rating == "Good"), max(cuts))
    below = [(q, r) for q, r in rows if float(r["pct_yes"]) < good]
    lowest_q, lowest = min(rows, key=lambda item: float(item[1]["pct_yes"]))
    names = plain_names(fw)
    text = (f"Of the {len(rows)} questions on keeping the child safe, {len(rows) - len(below)} "
            f"are at or above the Good threshold ({pct(good)}); the lowest is "
            f"{names[lowest_q.id]} at {pct(lowest['pct_yes'], cuts)}.")
    return text + " " + default


def data_protection(threshold: int | None) -> str:
    """What the paper holds and what stays internal."""
    return ("The paper holds no personal data: cases are known by pseudonymised references, "
            + (f"counts of fewer than {threshold} children are hidden ([c]), " if threshold
               else "small counts are hidden ([c]), ")
            + "and every published file was checked for identifiers before publication. The "
            "case-level table a peer reviewer traces ratings with, and the unsuppressed "
            "tables, stay in the service's internal folder and are never published.")


def risk(assurance: pd.DataFrame | None, standards: pd.DataFrame, worse: int) -> str:
    """What could lead the board astray."""
    rated = standards.loc[standards["source"].isin(["cases", "combined"])
                          & standards["rating"].notna()]
    unsettled = int((~rated["band_certain"].astype(str).str.lower().eq("true")).sum())
    parts = []
    if assurance is not None and len(assurance):
        open_ = int((assurance["sign_off"] != "can be signed off").sum())
        parts.append(f"The main risk is closing a recommendation before its improvement has "
                     f"held: {open_} of {len(assurance)} stay open on this quarter's evidence.")
    if unsettled:
        parts.append(f"{unsettled} of the {len(rated)} ratings from case files are not yet "
                     "certain and could change with the next quarter's cases.")
    if worse:
        parts.append(f"{worse} finding{'s are' if worse != 1 else ' is'} lower than at the "
                     "inspection and could, left alone, be found so by the next inspection.")
    parts.append("A self-audit may mark more generously than inspectors would; the moderation "
                 "figures show how consistently reviewers mark.")
    return " ".join(parts)


def implications_html(board: BoardSettings, worked_out: dict[str, str]) -> str:
    """The section: each implication from the config, else its default (marked as such)."""
    legal = " ".join(str(load_settings("report")["implications"]["legal"]).split())
    defaults = {**worked_out, "legal": worked_out.get("legal", legal)}
    items, marked = [], False
    for key in IMPLICATIONS:
        given = board.implications.get(key)
        text = given if given else defaults.get(key, "")
        mark = "" if given else "<sup>\u2020</sup>"
        marked = marked or not given
        items.append(f"<h3>{escape(HEADINGS[key])}</h3><p>{escape(text)}{mark}</p>")
    note = ('<p class="small"><sup>\u2020</sup> case-audit\'s default wording, from this '
            "quarter's figures; the author has not replaced it.</p>") if marked else ""
    return "".join(items) + note
