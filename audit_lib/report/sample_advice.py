"""The officer's recommendation on next quarter's sample, and what it costs in reviewer days.

A rating that is not yet certain could be settled by reading more cases ("cases needed",
``standards.csv``), at a price: each case is a reviewer's hour and a half (``minutes_per_case``,
``settings/report.yaml``, or the period config's ``board.minutes_per_case``). The officer
recommends more cases for a disposal group only where at most ``sample_increase_limit`` more
would settle a rating; otherwise the sample stays, and pooling quarters settles it for nothing.
The period config's ``board.recommended_sample`` overrides the recommendation with the
officer's own figure, costed the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from audit_lib.frameworks import VICTIMS, Framework
from audit_lib.report.front_sheet import BoardSettings
from audit_lib.report.names import standard_title
from audit_lib.settings import load_settings


@dataclass(frozen=True)
class SampleAdvice:
    """This quarter's sample and the one recommended, in cases and reviewer days."""

    cases_now: int
    reads_now: int  # cases read, second reads of double-marked cases included
    cases_next: int
    reads_next: int
    days_now: float
    days_next: float
    settles: tuple[str, ...]  # standards (in words) the recommended sample would settle
    reason: str

    @property
    def change(self) -> str:
        """"keep" or "increase" (or "set", for the officer's own figure)."""
        return "keep" if self.cases_next == self.cases_now else "change"


def reviewer_days(reads: int, minutes_per_case: float) -> float:
    """Reviewer days for ``reads`` case readings."""
    hours = float(load_settings("report")["reviewer_day_hours"])
    return reads * minutes_per_case / 60 / hours


def _group_of(standard, fw: Framework, whole: bool) -> str:
    if standard.unit == VICTIMS:
        return VICTIMS
    if whole:
        return "all"
    groups = standard.questions[0].applies_to.get("disposal_group", ()) if standard.questions \
        else ()
    return groups[0] if len(groups) == 1 else "all"


def sample_advice(sampling: dict | None, standards: pd.DataFrame, fw: Framework,
                  board: BoardSettings) -> SampleAdvice | None:
    """The recommendation for next quarter (None when no sample was drawn this quarter)."""
    if not sampling or not sampling.get("groups"):
        return None
    settings = load_settings("report")
    limit = float(settings["sample_increase_limit"])
    groups = {g["disposal_group"]: (int(g["sample"]), int(g["population"]))
              for g in sampling["groups"]}
    ceiling = int(sampling.get("max_per_group") or 10**6)
    victims = sampling.get("victims_sample") or {}
    if victims.get("drawn"):
        groups[VICTIMS] = (int(victims["sample"]), int(victims["population"]))
    whole = bool(sampling.get("whole_caseload"))
    cases_now = sum(n for n, _ in groups.values())
    reads_now = cases_now + int(sampling.get("double_marked") or 0) + int(
        victims.get("double_marked") or 0 if victims.get("drawn") else 0)
    wanted = dict((g, n) for g, (n, _) in groups.items())
    settles, beyond = [], []
    rated = standards.loc[(standards["source"] == "cases") & standards["rating"].notna()]
    for row in rated.to_dict("records"):
        if str(row.get("band_certain")).strip().lower() == "true":
            continue
        s = fw.standard(row["standard_id"])
        group = _group_of(s, fw, whole)
        if group not in groups:
            continue
        n, population = groups[group]
        needed, have = str(row.get("cases_needed") or ""), row.get("min_applicable")
        if not needed.isdigit() or have is None or pd.isna(have) or float(have) <= 0:
            beyond.append((standard_title(fw, s.id), None))
            continue
        implied = math.ceil(n * int(needed) / float(have))
        cap = min(population, ceiling if group != VICTIMS else int(victims.get("maximum")
                                                                  or population))
        if implied <= n:
            continue
        if implied <= cap and implied <= n * (1 + limit):
            wanted[group] = max(wanted[group], implied)
            settles.append(standard_title(fw, s.id))
        else:
            beyond.append((standard_title(fw, s.id), (implied, n)))
    minutes = board.minutes_per_case
    if board.recommended_sample:
        cases_next = int(board.recommended_sample)
        reason = "the officer's own figure"
        settles = []
    else:
        cases_next = sum(wanted.values())
        if settles:
            reason = (f"enough to tell {_listed(settles)} from the neighbouring rating, if the "
                      "shares stay as they are")
        elif beyond:
            costly = [(name, more) for name, more in beyond if more is not None]
            costly.sort(key=lambda item: item[1][0] / item[1][1])
            reason = ("a modest increase would settle no uncertain rating"
                      + (f" ({costly[0][0]} would need {costly[0][1][0]} cases, not "
                         f"{costly[0][1][1]})" if costly else
                         " (their shares sit too near a threshold)")
                      + "; pooling quarters will, at no cost")
        else:
            reason = "every rating from case files is already certain"
    reads_next = round(cases_next * (reads_now / cases_now)) if cases_now else cases_next
    return SampleAdvice(cases_now, reads_now, cases_next, reads_next,
                        reviewer_days(reads_now, minutes), reviewer_days(reads_next, minutes),
                        tuple(settles), reason)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def days(value: float) -> str:
    """Reviewer days as a board reads them: "about 16 reviewer days"."""
    whole = max(1, round(value)) if value > 0 else 0
    return f"about {whole} reviewer day{'s' if whole != 1 else ''} a quarter"
