"""Page one of the board paper: one A4 page a board member decides from in two minutes.

How good the case work is and how sure we can be; the inspection it is measured against; what
improved and held; what got worse; and three to five asks, each with its figure, owner and
date. One table: every standard at the inspection and now. Everything else is in the body.
The sentences about progress and certainty read the run's tables through
`audit_lib.report.readings` only, so they have one place each (`how_sure_lines`,
`progress_lines`) for a change in how those tables are worked out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from audit_lib.display import pct
from audit_lib.errors import FrameworkError
from audit_lib.frameworks import Framework, load_framework
from audit_lib.report.asks import (
    Ask,
    choose,
    measure_lines,
    next_review,
    recommendation_asks,
    sample_ask,
    worse_ask,
)
from audit_lib.report.front_sheet import BoardSettings, PeriodNames, period_names
from audit_lib.report.gaps_view import gaps_sentence
from audit_lib.report.html import escape, rating_class, table_html
from audit_lib.report.names import clean, plain_names, standard_title
from audit_lib.report.readings import (
    QuestionReading,
    StandardReading,
    band_rank,
    declined_in_families,
    got_worse,
    judged_share,
    likeliest_unclear_fall,
    lower_not_clear,
    question_readings,
    ratings_then,
    standard_readings,
)
from audit_lib.report.sample_advice import SampleAdvice
from audit_lib.report.words import (
    generosity_sentence,
    inspection_reading,
    overall_how_sure,
    rating_thresholds,
)
from audit_lib.settings import load_settings
from audit_lib.trends.baseline import Inspection


def overall_sentence(overall: dict) -> str:
    """"Overall the case work is Good (23 of 36 points). That it is Good is almost certain
    (96%); Requires improvement 4%." in words."""
    rating = overall.get("rating")
    if not rating:
        reasons = overall.get("missing_reasons") or {}
        missing = "; ".join(f"{sid}: {reasons.get(sid) or 'no rating'}"
                            for sid in overall.get("missing_standards", []))
        return f"No overall rating yet: not every standard that counts has a rating ({missing})."
    assumed = ("" if overall.get("overall_rule_confirmed", True) else
               ", by an assumed rule not confirmed by the Inspectorate")
    text = (f"Overall the case work is {rating} ({overall['score']} of {overall['max_score']} "
            f"points{assumed})")
    sure = overall_how_sure(overall)
    return text + (". " + sure if sure else ".")


@dataclass
class PageOne:
    """Page one's HTML and what the front sheet needs from it."""

    html: str
    asks: list[Ask]
    purpose: str


def how_sure_lines(overall: dict, standards: pd.DataFrame, fw: Framework) -> list[str]:
    """How sure: the overall rating and its probability, and how much of it rests on
    standards judged from evidence (taken as given)."""
    lines = [overall_sentence(overall)]
    generous = generosity_sentence(overall)  # a self-audit is not an inspection
    if generous:
        lines.append(generous)
    points, n, lower = judged_share(overall, standards, fw)
    if n and overall.get("score") is not None:
        lines.append(f"It takes the {n} standard{'s' if n != 1 else ''} judged from evidence "
                     f"({points} of the {overall['score']} points) as given"
                     + (f"; were each a rating lower, the overall would be {lower}."
                        if lower and lower != overall.get("rating") else
                        "; were each a rating lower, the overall would be the same."))
    return lines


def context_line(inspection: Inspection, fw: Framework, periods: PeriodNames) -> str:
    """The inspection this quarter is measured against, as published (HTML)."""
    framework = ""
    if inspection.framework not in ("", fw.id):  # a 2021 inspection, audited now under 2025
        try:
            framework = f" (under the {escape(clean(load_framework(inspection.framework).title))})"
        except FrameworkError:
            framework = " (under an earlier framework)"
    if inspection.date or inspection.overall:
        when_text = (f"of {inspection.date:%B %Y}" if inspection.date else "(its date not "
                     "recorded)")
        overall = (f", which rated the service {escape(inspection.overall)} overall"
                   if inspection.overall else "")
        return (f"<p>This self-audit is measured against the inspection {when_text}"
                f"{framework}{overall}.</p>")
    return ("<p>This self-audit is measured against the inspection's results in the baseline "
            "file, which gives no date or published ratings: ratings at the inspection are "
            "worked out from its figures.</p>")


def progress_lines(questions: dict[str, QuestionReading], then: dict[str, tuple[str, bool]],
                   now: dict[str, StandardReading], fw: Framework,
                   names: dict[str, str]) -> str:
    """What improved and held since the inspection, with figures (one paragraph)."""
    if not questions:
        return ("<p>Progress since the inspection could not be assessed: no baseline or "
                "earlier quarters were given.</p>")
    cuts = rating_thresholds(fw)
    held = [q for q in questions.values() if q.improved_and_held]
    improving = [q for q in questions.values() if q.improving]
    kept = [q for q in questions.values() if q.held and not q.improved_and_held]
    better = [sid for sid, r in now.items() if _lower_rank(fw, r.rating) is not None
              and _lower_rank(fw, then.get(sid, ("", False))[0]) is not None
              and _lower_rank(fw, r.rating) < _lower_rank(fw, then[sid][0])]

    def named(items: list[QuestionReading], most: int) -> str:
        items = sorted(items, key=lambda q: -(q.latest_pct - q.baseline_pct))
        shown = "; ".join(f"{names.get(q.question_id, q.question_id)} ("
                          f"{pct(q.baseline_pct, cuts)} to {pct(q.latest_pct, cuts)})"
                          for q in items[:most])
        return shown + (f"; and {len(items) - most} more" if len(items) > most else "")

    parts = []
    if better:
        parts.append(f"{len(better)} of the {len(now)} standards are rated higher than at the "
                     "inspection.")
    if held:
        parts.append(f"Improved and held: {len(held)} question{'s' if len(held) != 1 else ''}, "
                     f"most of all {named(held, 1)}.")
    if improving:
        parts.append(f"Improved, not yet held: {len(improving)}.")
    if kept:
        parts.append(f"Held at target since the inspection: {len(kept)}.")
    if not parts:
        parts.append("No question is shown to have improved since the inspection.")
    return "<p><b>Better:</b> " + escape(" ".join(parts)) + "</p>"


def worse_paragraph(questions: dict[str, QuestionReading], worse: list,
                    fw: Framework, names: dict[str, str]) -> str:
    """What got worse (HTML): every standard rated lower and every question called declined,
    each with its figure; then the likeliest fall not yet clear, with its figure and chance;
    then how many questions read lower without a clear fall, against what chance gives."""
    text = ("; ".join(f"{c.name}: {c.figure}" for c in worse) + "." if worse else
            "nothing is clearly lower than at the inspection.")
    likely = likeliest_unclear_fall(questions, worse, fw, names,
                                    float(load_settings("report")["worse_probability"]))
    if likely:
        text += f" Likely lower, not yet clear: {likely.name}: {likely.figure}."
    unclear = lower_not_clear(questions, worse)
    compared = sum(1 for q in questions.values() if q.compared)
    if unclear:
        text += (f" In all, {unclear} question{'s read' if unclear != 1 else ' reads'} lower "
                 f"than at the inspection without a clear fall; had nothing changed, about "
                 f"half of the {compared} compared with the inspection would read lower by "
                 "chance alone (the progress section lists them).")
    return '<p id="worse"><b>Worse:</b> ' + escape(text) + "</p>"


def _lower_rank(fw: Framework, rating: str | None) -> int | None:
    order = [b.rating for b in fw.rating_bands]
    return order.index(rating) if rating in order else None


def standards_table(standards: pd.DataFrame, now: dict[str, StandardReading],
                    then: dict[str, tuple[str, bool]], fw: Framework,
                    judgements: pd.DataFrame | None,
                    inspection_ratings: pd.DataFrame | None = None) -> str:
    """The page's one table: each standard rated in this kind of inspection, then (a rating
    worked out from the inspection's figures with how sure it is) and now."""
    sure_then = ({} if inspection_ratings is None or "standard_id" not in inspection_ratings
                 else {str(r["standard_id"]): r for r in inspection_ratings.to_dict("records")})
    judged_on = ({} if judgements is None or "judged_on" not in judgements else
                 dict(zip(judgements["standard_id"], judgements["judged_on"].fillna(""))))
    rows, unrated = [], []
    for row in standards.to_dict("records"):
        s = fw.standard(row["standard_id"])
        if not s.rated:
            unrated.append(s.id)
            continue
        reading = now[s.id]
        before, published = then.get(s.id, ("not recorded", True))
        sure = reading.how_sure()
        if s.source == "evidence":
            sure = "judged" + (f", {dt.date.fromisoformat(judged_on[s.id]):%B %Y}"
                               if judged_on.get(s.id) else " from evidence")
        shown = before if published else f"{before} (worked out)"
        if not published and s.id in sure_then and band_rank(fw, before) is not None:
            how = inspection_reading(sure_then[s.id], before, fw)  # its own sample's certainty
            shown += f", {how}" if how else ""
        rows.append({"Standard": f"{s.id} {standard_title(fw, s.id)}",
                     "At the inspection": shown,
                     "Now": reading.rating or str(row.get("not_rated_reason") or "not rated"),
                     "How sure": sure})
    view = pd.DataFrame(rows)
    notes = []
    poor = [q for r in now.values() if fw.standard(r.standard_id).rated for q in r.poorly_agreed]
    if poor:  # one line for all, not one beside each rating: page one has one A4 page
        notes.append(f"Reviewers agreed poorly on key question{'s' if len(poor) > 1 else ''} "
                     f"{_listed(poor)}: allowed for in how sure.")
    if unrated:
        notes.append(f"Not rated in this kind of inspection: {', '.join(unrated)}.")
    if any("(worked out)" in r["At the inspection"] for r in rows):
        notes.append("\u201cWorked out\u201d: from the inspection's own figures, where the "
                     "baseline file gives no published rating.")
    note = f'<p class="small">{escape(" ".join(notes))}</p>' if notes else ""
    return table_html(view, rating_class(view["Now"]), caption="Each standard at the inspection "
                      "and now, and how sure the rating now is", reflow=True) + note


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def page_one(*, overall: dict, standards: pd.DataFrame, progress: pd.DataFrame | None,
             assurance: pd.DataFrame | None, evidence: pd.DataFrame | None, fw: Framework,
             board: BoardSettings, period_end: dt.date, inspection: Inspection,
             advice: SampleAdvice | None, judgements: pd.DataFrame | None = None,
             gaps: pd.DataFrame | None = None, periods: PeriodNames | None = None,
             rules_anchor: str = "rules", inspection_ratings: pd.DataFrame | None = None,
             agreement: pd.DataFrame | None = None) -> PageOne:
    """Page one of the board paper (see the module's description). ``inspection_ratings``
    (the progress step's table) says how sure a rating worked out from the inspection's figures
    is; ``agreement`` (moderation) names key questions the reviewers agreed on poorly."""
    periods = periods or period_names(period_end, board.financial_year_start_month)
    names = plain_names(fw)
    titles = {s.id: standard_title(fw, s.id, short=True) for s in fw.standards}
    questions = question_readings(progress)
    now = standard_readings(standards, fw, agreement)
    then = ratings_then(inspection, progress, fw)
    as_at = board.as_at(period_end)
    rated = {k: v for k, v in now.items() if fw.standard(k).rated}  # this inspection rates
    worse = got_worse(questions, then, rated, fw, names, titles)
    worse += declined_in_families(evidence, questions, worse, fw, names)
    parts = [f'<p class="lead">{escape(" ".join(how_sure_lines(overall, standards, fw)))}</p>',
             gaps_sentence(gaps), context_line(inspection, fw, periods)]
    if overall.get("unconfirmed_rules"):
        parts.append(f'<p>The Inspectorate has not published how this framework turns shares '
                     f"into ratings, so these ratings assume the earlier framework's rules "
                     f'(<a href="#{rules_anchor}">listed in the appendix</a>): read them as '
                     "indicative.</p>")
    parts.append('<h3 id="changes">What improved and held; what got worse</h3>')
    parts.append(progress_lines(questions, then, rated, fw, names))
    parts.append(worse_paragraph(questions, worse, fw, names))
    asks = _asks(overall, assurance, evidence, questions, worse, fw, names, board, as_at,
                 advice, period_end, periods)
    parts.append('<h3 id="decisions">The board is asked to</h3>')
    parts.append("<ol class=\"asks\">" + "".join(a.html() for a in asks) + "</ol>")
    parts.append(standards_table(standards, now, then, fw, judgements, inspection_ratings))
    purpose = board.purpose or ("For decision" if any(a.kind == "Decide" for a in asks)
                                else "For information")
    return PageOne("".join(parts), asks, purpose)


def _asks(overall: dict, assurance: pd.DataFrame | None, evidence: pd.DataFrame | None,
          questions: dict[str, QuestionReading], worse: list, fw: Framework,
          names: dict[str, str], board: BoardSettings, as_at: dt.date,
          advice: SampleAdvice | None, period_end: dt.date, periods: PeriodNames) -> list[Ask]:
    review = next_review(as_at)
    rating = overall.get("rating")
    findings = Ask("Note", f"the self-audit's findings for {periods.months}: "
                   + (f"the case work is {rating} overall ({overall['score']} of "
                      f"{overall['max_score']} points)." if rating else
                      "no overall rating yet (not every standard that counts has a rating)."),
                   board.author, f"the next report, on the quarter to {review:%B %Y}")
    # The findings are page one's first lines; they are an ask only on a short list.
    asks: list[Ask] = []
    spare: list[Ask] = [findings]
    owner_of: dict[str, str] = {}
    if evidence is not None and assurance is not None and "measure_id" in evidence:
        owners = dict(zip(assurance["recommendation_id"], assurance["owner"].fillna("")))
        for rid, measure in zip(evidence["recommendation_id"], evidence["measure_id"].fillna("")):
            if measure and owners.get(rid):
                owner_of.setdefault(measure, owners[rid])
    ask = worse_ask(worse, owner_of, board, as_at)
    if ask:
        asks.append(ask)
    if assurance is None:
        asks.append(Ask("Note", "the inspection's recommendations were not assessed this "
                        "quarter: the evidence was not triangulated, so no sign-off is "
                        "proposed.", board.author, f"{review:%B %Y}"))
    else:
        lines = measure_lines(evidence, questions, names, fw)
        recs = recommendation_asks(assurance, lines, board, as_at)
        asks += [recs[k] for k in ("not addressed", "can be signed off") if k in recs]
        if "keep under review" in recs:
            asks.append(recs["keep under review"])
    held = [q for q in questions.values() if q.improved_and_held]
    if held:
        spare.append(Ask("Note", f"{len(held)} question{'s have' if len(held) != 1 else ' has'}"
                         " improved since the inspection and held at target over the last "
                         "quarters.", board.lead_officer, f"{review:%B %Y}"))
    sample = sample_ask(advice, board, period_names(review, board.financial_year_start_month))
    return choose(asks + ([sample] if sample else []), spare)
