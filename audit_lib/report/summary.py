"""Page one of the board paper: how good, how sure, what improved and held, what to decide.

A board member (police, health, education and council leaders, not statisticians) should be
able to answer four questions in two minutes from this page: how good are we, how sure are we,
what improved since the inspection and has it held, and what are we asked to decide.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audit_lib.frameworks import Framework, load_checks
from audit_lib.report.gaps_view import gaps_sentence
from audit_lib.report.html import escape, list_html, table_html
from audit_lib.report.words import (
    generosity_sentence,
    how_sure,
    inspection_reading,
    measure_statuses,
    measures_held_open,
    overall_how_sure,
    poor_agreement,
)
from audit_lib.scoring.likelihood import likelihood_settings
from audit_lib.scoring.ratings import rate_standards
from audit_lib.scoring.shares import add_shares
from audit_lib.trends.progress import STATUSES


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


def inspection_ratings(progress: pd.DataFrame | None, fw: Framework,
                       inspection: pd.DataFrame | None = None) -> dict[str, str]:
    """Each case-assessed standard's rating at the inspection, from the baseline counts by the
    same rules as today's (so "which standards improved" can be read off page one).

    A standard is rated only when the baseline has every one of its key questions (it takes
    its lowest); one from an earlier framework's results, translated through a mapping, says
    it is approximate."""
    if progress is None or "baseline_n" not in progress:
        return {}
    base = progress.loc[progress["baseline_n"].notna(), ["question_id", "baseline_n",
                                                         "baseline_yes"]]
    ids = {q.id: q.standard_id for q in fw.questions}
    base = base.loc[base["question_id"].isin(ids)]
    if base.empty:
        return {}
    kq = pd.DataFrame({"standard_id": base["question_id"].map(ids),
                       "question_id": base["question_id"],
                       "n_applicable": base["baseline_n"].astype(int),
                       "n_yes": base["baseline_yes"].astype(int)})
    kq = add_shares(kq)
    rated = rate_standards(kq, fw)
    have = set(base.loc[base["baseline_n"].astype(int) > 0, "question_id"])
    rough = set()
    if "comparison" in progress:
        rough = set(progress.loc[progress["comparison"].fillna("").str.contains("baseline from"),
                                 "question_id"])
    out = {}
    for row in rated.to_dict("records"):
        sid = row["standard_id"]
        if row["source"] != "cases" or sid not in set(kq["standard_id"]):
            continue
        questions = [q.id for q in fw.standard(sid).questions]
        lacking = [q for q in questions if q not in have]
        if lacking:  # a standard is only as rated as its lowest key question: all are needed
            out[sid] = f"not recorded (the baseline lacks {', '.join(lacking)})"
        elif not isinstance(row["rating"], str):
            out[sid] = "not rated (too few cases)"
        else:
            out[sid] = row["rating"] + (" (approximate: an earlier framework's results)"
                                        if rough & set(questions) else "")
            sure = _inspection_sure(inspection, sid, row["rating"], fw)
            out[sid] += f", {sure}" if sure else ""
    return out


def _inspection_sure(inspection: pd.DataFrame | None, sid: str, rating: str,
                     fw: Framework) -> str:
    """How sure the inspection's own rating was, from its sample (``inspection_ratings.csv``)."""
    if inspection is None or "standard_id" not in inspection:
        return ""
    found = inspection.loc[inspection["standard_id"] == sid]
    if found.empty:
        return ""
    return inspection_reading(found.iloc[0].to_dict(), rating, fw)


def standards_summary(standards: pd.DataFrame, progress: pd.DataFrame | None,
                      fw: Framework, inspection: pd.DataFrame | None = None,
                      agreement: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every standard: rating at the inspection (and how sure, where the baseline gives
    counts), rating now, how sure (saying when another rating is as likely or likelier, and
    when reviewers agreed poorly), and progress."""
    then = inspection_ratings(progress, fw, inspection)
    status = dict(zip(progress["question_id"], progress["status"])) if progress is not None else {}
    settings = likelihood_settings()
    rows = []
    for row in standards.to_dict("records"):
        s = fw.standard(row["standard_id"])
        rating = row["rating"] if isinstance(row.get("rating"), str) else None
        if not s.rated:
            rows.append({"Standard": f"{s.id} {s.title}", "At the inspection": "",
                         "Now": "not rated in this kind of inspection", "How sure": "",
                         "Key questions since the inspection": ""})
            continue
        if s.source == "evidence":
            sure = "judged from evidence"
        elif rating is None:
            sure = str(row.get("not_rated_reason") or "not rated")
        else:
            sure = how_sure(row, fw, settings=settings)
            poor = poor_agreement([q.id for q in s.questions], agreement) if s.source == "cases" else ""
            sure += f"; {poor}" if poor else ""
        counts = pd.Series([status[q.id] for q in s.questions if q.id in status]).value_counts()
        progress_text = "; ".join(f"{n} {st}" for st, n in
                                  sorted(counts.items(), key=lambda kv: STATUSES.index(kv[0]))
                                  ) if len(counts) else ""
        rows.append({"Standard": f"{s.id} {s.title}",
                     "At the inspection": then.get(s.id, "" if s.source == "cases"
                                                   else "not recorded"),
                     "Now": rating or "not rated", "How sure": sure,
                     "Key questions since the inspection": progress_text})
    return pd.DataFrame(rows)


def question_words(fw: Framework, quoted: bool = False) -> dict[str, str]:
    """Every key question and local check in words, the id in brackets (the words in quotation
    marks, for use inside a sentence)."""
    return {q.id: (f"\u201c{q.text}\u201d ({q.id})" if quoted else f"{q.text} ({q.id})")
            for q in fw.questions + load_checks().questions}


def recommendations_summary(assurance: pd.DataFrame | None, progress: pd.DataFrame | None,
                            evidence: pd.DataFrame | None, period_end: dt.date,
                            fw: Framework) -> pd.DataFrame:
    """One line per recommendation: what the evidence says, made and sustained, sign-off, who
    acts and by when (overdue flagged)."""
    if assurance is None:
        return pd.DataFrame()
    status = measure_statuses(evidence, progress)
    measures = _measures(evidence)
    words = question_words(fw)
    rows = []
    for row in assurance.to_dict("records"):
        mine = measures.get(row["recommendation_id"], [])
        made = "; ".join(f"{words.get(m, m)}: "
                         f"{status.get((row['recommendation_id'], m), 'not compared')}"
                         for m in mine) or "no case-audit measure"
        rows.append({
            "Recommendation": _name(row),
            "What the evidence says": f"{_level(row['assurance_level'])} ({row['judgement']})",
            "Made and sustained?": made,
            "Sign-off": row["sign_off"],
            "Owner": _text(row.get("owner")) or "not named",
            "Due": _due(row, period_end),
        })
    return pd.DataFrame(rows)


def _name(row: dict) -> str:
    """A recommendation as the board knows it: its id and title (the id alone without one)."""
    title = _text(row.get("title"))
    return f"{row['recommendation_id']} {title}" if title else str(row["recommendation_id"])


def _called(row: dict) -> str:
    """A recommendation in a sentence: "R1 (its title)", or "R1" without a title."""
    title = _text(row.get("title"))
    return f"{row['recommendation_id']} ({title})" if title else str(row["recommendation_id"])


def decisions(assurance: pd.DataFrame | None, evidence: pd.DataFrame | None,
              overall: dict, period_end: dt.date, standards: pd.DataFrame,
              fw: Framework, set_aside: list[str] | None = None) -> list[str]:
    """"The board is asked to": one decision per recommendation, with owner and date, plus
    noting the overall rating and what the sample cannot yet settle."""
    items = []
    sentence = overall_sentence(overall)
    items.append(f"Note the self-audit's findings: {sentence[0].lower()}{sentence[1:]}")
    if assurance is None:
        items.append("Note that the inspection's recommendations were not assessed this "
                     "quarter: the triangulation step was not run, so no sign-off is proposed.")
    else:
        measures = _measures(evidence)
        words = question_words(fw, quoted=True)
        measure_of = ({} if evidence is None or "measure_id" not in evidence else
                      dict(zip(evidence["evidence_id"], evidence["measure_id"].fillna(""))))
        for row in assurance.to_dict("records"):
            who = _text(row.get("owner"))
            owner = who or "the owner (none is named in the register)"
            due = _due(row, period_end)
            mine = measures.get(row["recommendation_id"], [])
            if row["sign_off"] == "can be signed off":
                basis = ("with every case-audit measure tied to it at its target" if mine else
                         "no case-audit measure is tied to it")
                items.append(f"Sign off {_called(row)}: {_level(row['assurance_level'])}; "
                             f"{basis}.")
            elif row["sign_off"] == "not addressed":
                items.append(f"Ask {owner} for a plan and a date to address {_called(row)}: "
                             f"the evidence does not show it addressed. Due: {due}.")
            else:
                mine_evidence = (evidence.loc[evidence["recommendation_id"]
                                              == row["recommendation_id"]]
                                 if evidence is not None else None)
                why = (measures_held_open(mine_evidence, words)
                       or _held_open(row, words, measure_of))
                items.append(f"Keep {_called(row)} under review: {why}. "
                             f"{owner[0].upper()}{owner[1:]} to report progress at the next "
                             f"review. Due: {due}.")
    for note in (set_aside if set_aside is not None else []):
        items.append(f"Note that a target the register set no longer applies: {note}")
    certain = likelihood_settings().certain
    rated = standards.loc[standards["source"].isin(["cases", "combined"])
                          & standards["rating"].notna()]
    unsettled = rated.loc[~rated["band_certain"].fillna(False).astype(bool)]
    if len(unsettled):
        items.append(f"Note that {len(unsettled)} of the {len(rated)} ratings from case files "
                     f"are less than {certain:.0%} likely (the setting for calling a rating "
                     "certain), and agree whether to sample more cases next quarter (see "
                     "'What more cases would tell').")
    return items


def summary_html(*, overall: dict, standards: pd.DataFrame, progress: pd.DataFrame | None,
                 assurance: pd.DataFrame | None, evidence: pd.DataFrame | None, fw: Framework,
                 period_end: dt.date, confidence: float,
                 targets: pd.DataFrame | None = None,
                 gaps: pd.DataFrame | None = None,
                 inspection: pd.DataFrame | None = None,
                 agreement: pd.DataFrame | None = None) -> str:
    """The one-screen summary: the overall rating in words (and, when gaps were allowed, how
    many answers were missing), the decisions, every standard then and now, and every
    recommendation's sign-off with owner and date."""
    framework = overall.get("framework_title") or fw.title
    generous = generosity_sentence(overall)
    parts = [f'<p class="lead">{escape(overall_sentence(overall))}</p>',
             f"<p>{escape(generous)}</p>" if generous else "",
             gaps_sentence(gaps),
             "<p>This is a self-audit: the service's own reviewers read a random sample of case "
             "files against the inspection standards. A share from a sample is uncertain, so "
             "each rating says how likely it is; a rating that is not highly likely could "
             "change with the next quarter's cases. Words are explained in the glossary. "
             f"Standards: {escape(framework)}.</p>",
             unconfirmed_html(overall),
             '<h3 id="decisions">The board is asked to</h3>',
             list_html(decisions(assurance, evidence, overall, period_end, standards, fw,
                                 _set_aside(targets)), ordered=True),
             table_html(standards_summary(standards, progress, fw, inspection, agreement),
                        caption="Every standard: its rating at the inspection and now, how "
                                "sure we can be, and its key questions since the inspection")]
    recs = recommendations_summary(assurance, progress, evidence, period_end, fw)
    if len(recs):
        parts.append(table_html(recs, caption="Every inspection recommendation: what the "
                                              "evidence says, whether the improvement was made "
                                              "and held, and who acts by when"))
    return "".join(parts)


def unconfirmed_html(overall: dict) -> str:
    """The rating rules this report relies on that the Inspectorate has not confirmed, one
    line each; empty when every rule is confirmed."""
    notes = overall.get("unconfirmed_rules") or []
    if not notes:
        return ""
    return ('<div class="unconfirmed"><p><b>Ratings by assumed rules.</b> Public sources do '
            "not give these rules for this framework; the 2021 rules are assumed until a QA "
            "lead confirms them from the Inspectorate's guidance. Read the ratings they give "
            "as indicative:</p>" + list_html(notes) + "</div>")


def _measures(evidence: pd.DataFrame | None) -> dict[str, list[str]]:
    if evidence is None or "measure_id" not in evidence:
        return {}
    rows = evidence.loc[evidence["measure_id"].fillna("").astype(str) != ""]
    return {rid: list(part["measure_id"]) for rid, part in rows.groupby("recommendation_id",
                                                                        sort=False)}


def _held_open(row: dict, words: dict[str, str], measure_of: dict[str, str]) -> str:
    capped = _text(row.get("capped_by"))
    if capped:
        names = [words.get(m, m) for m in
                 (measure_of.get(c, c.removeprefix("CA-")) for c in capped.split())]
        if len(names) == 1:
            return (f"the case-audit measure {names[0]} is below its target or has declined, "
                    "and other evidence cannot outweigh it")
        return (f"the case-audit measures {'; '.join(names)} are below their targets or have "
                "declined, and other evidence cannot outweigh them")
    if int(row.get("measures_without_data") or 0):
        return "a case-audit measure tied to it had no applicable cases this quarter"
    if row["assurance_level"] == "limited":
        return "the evidence conflicts or rests on one kind of source"
    return "progress is not yet shown to be secure"


def _set_aside(targets: pd.DataFrame | None) -> list[str]:
    """The notes on register targets set aside this quarter (outside their period)."""
    if targets is None or "note" not in targets:
        return []
    return [str(n) for n in targets["note"].fillna("") if str(n).strip()]


def _level(level: str) -> str:
    return level if level.endswith("assurance") else f"{level} assurance"


def _due(row: dict, period_end: dt.date) -> str:
    due = _text(row.get("due"))
    if not due:
        return "no date set"
    try:
        day = dt.date.fromisoformat(due)
    except ValueError:
        return due
    text = f"{day:%B %Y}"
    done = _text(row.get("action_status")) == "completed"
    if day < period_end and not done:
        text += " (overdue)"
    elif done:
        text += " (action completed)"
    return text


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()
