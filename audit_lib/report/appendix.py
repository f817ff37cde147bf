"""The board paper's appendices for peer reviewers: the evidence register with each item's age,
the reasons for evidence-judged ratings, every measure's target, the rating rules (with the
assumptions a framework makes, listed once), how to trace a rating to its cases, the method and
what produced the report. (The glossary is `audit_lib.report.glossary`.)"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audit_lib.display import pct
from audit_lib.frameworks import Framework
from audit_lib.report.front_sheet import when
from audit_lib.report.html import escape, list_html, table_html
from audit_lib.report.method_words import method_items, prior_sensitivity_html
from audit_lib.report.names import clean, standard_title, verify_notes
from audit_lib.scoring.likelihood import likelihood_settings
from audit_lib.triangulation.evidence_age import months_before


def evidence_register_html(evidence: pd.DataFrame | None, period_end: dt.date,
                           limit: int) -> str:
    """Every evidence item with its source, reference, date, direction and weight, and how old
    it is at the quarter's end: an item older than ``limit`` months is marked, with the weaker
    weight it counted at beside the weight it was given."""
    if evidence is None or evidence.empty:
        return "<p>No evidence register was used.</p>"
    dates = pd.to_datetime(evidence["date"].replace("", None), errors="coerce")
    if "age_months" in evidence:
        age = pd.to_numeric(evidence["age_months"], errors="coerce")
    else:  # an older run's table: aged here the same way
        age = pd.Series([float("nan") if pd.isna(d) else months_before(d.date(), period_end)
                         for d in dates], index=evidence.index)
    older = (evidence["older_than_limit"].astype(str).str.lower().eq("true")
             if "older_than_limit" in evidence else age > limit)
    given = (evidence["weight_as_given"].fillna(evidence["weight"])
             if "weight_as_given" in evidence else evidence["weight"])
    weight = [f"{w} (given {g})" if w != g else w for w, g in zip(evidence["weight"], given)]
    months = [("" if pd.isna(v) else f"{v:.0f}" + (" (older)" if old else ""))
              for v, old in zip(age, older)]
    view = pd.DataFrame({
        "Evidence": evidence["evidence_id"],
        "Recommendation": evidence["recommendation_id"],
        "Kind of source": evidence["source_type"].str.replace("_", " "),
        "Reference": evidence["source_ref"].fillna(""),
        "Dated": dates.dt.strftime("%B %Y").fillna("this quarter's case audit"),
        "Months old": months,
        "Direction": evidence["direction"], "Weight": weight})
    n_old = int(older.sum())
    text = (f"<p>Age is counted in whole months to the quarter's end, {when(period_end)}. "
            + (f"{n_old} item{'s are' if n_old != 1 else ' is'} older than {limit} months: "
               "each counts one step weaker than it was given (strong as moderate, moderate as "
               "weak), and is marked older." if n_old else
               f"No item is older than {limit} months.") + "</p>")
    return text + table_html(view, caption="The evidence register, with each item's age")


def judgements_html(judgements: pd.DataFrame | None, fw: Framework,
                    evidence: pd.DataFrame | None, period_end: dt.date, limit: int,
                    share: tuple[int, int, str], overall: dict) -> str:
    """Each rating judged from evidence: why, on which evidence items, who judged and when
    (marked when older than ``limit`` months), and how much of the overall score rests on
    them."""
    if judgements is None or judgements.empty:
        return "<p>No standard was judged from evidence this quarter.</p>"
    known = set(evidence["evidence_id"]) if evidence is not None else set()

    def items(ids: object) -> str:
        listed = [i for i in str(ids or "").split() if i]
        if not listed:
            return "none named"
        return ", ".join(i if i in known else f"{i} (not in the evidence register)"
                         for i in listed)

    def judged(day: object) -> str:
        try:
            when = dt.date.fromisoformat(str(day))
        except ValueError:
            return "not recorded"
        months = months_before(when, period_end)
        return f"{when:%B %Y}" + (f" (older than {limit} months)" if months > limit else "")

    def column(name: str) -> pd.Series:
        return judgements[name] if name in judgements else pd.Series("", index=judgements.index)

    view = pd.DataFrame({
        "Standard": judgements["standard_id"].map(lambda s: f"{s} {standard_title(fw, s)}"),
        "Rating": judgements["rating"], "Why": judgements["rationale"].fillna(""),
        "Evidence": column("evidence_ids").fillna("").map(items),
        "Judged by": column("judged_by").fillna("").replace("", "not recorded"),
        "Judged": column("judged_on").fillna("").map(judged)})
    points, n, lower = share
    text = ""
    if n and overall.get("score") is not None:
        text = (f"<p>These {n} standard{'s' if n != 1 else ''} give {points} of the "
                f"{overall['score']} points behind the overall rating; its probability takes "
                "them as given."
                + (f" Were each one rating lower, the overall would be {escape(lower)}."
                   if lower else "") + "</p>")
    return text + table_html(view, caption="Standards judged from evidence: why, on what "
                                           "evidence, by whom and when")


def targets_html(targets: pd.DataFrame | None) -> str:
    """The target each case-audit measure was judged against and where it comes from, and any
    register override set aside because its period had ended."""
    if targets is None or targets.empty:
        return "<p>No case-audit measure was tied to a recommendation.</p>"
    view = pd.DataFrame({
        "Recommendation": targets["recommendation_id"], "Measure": targets["measure_id"],
        "Target": targets["target_pct"].map(lambda v: pct(v)),
        "Where the target comes from": targets["target_source"]})
    notes = [n for n in targets.get("note", pd.Series(dtype=object)).astype(object).fillna("")
             if n]
    warn = "".join(f"<p><b>Target override set aside.</b> {escape(n)}</p>" for n in notes)
    return warn + table_html(view, caption="The target of every case-audit measure")


def rules_html(fw: Framework, overall: dict, sampling: dict, confidence: float,
               inspection_check: list[tuple[str, str, str]] | None = None) -> str:
    """The method's rules from the framework file: thresholds, points, overall bands, which
    standards count, the confidences; the rules assumed for this framework, checked against the
    inspection's published ratings; and, once, what the framework file marks to verify."""
    settings = likelihood_settings()
    bands = pd.DataFrame({
        "Rating": [b.rating for b in fw.rating_bands],
        "Share of applicable cases answered Yes": [
            f"{b.low:g}% or more" if b.high is None else f"{b.low:g}% to under {b.high:g}%"
            for b in fw.rating_bands],
        "Points": [fw.points.get(b.rating, "") for b in fw.rating_bands]})
    overall_bands = pd.DataFrame({
        "Overall rating": [b.rating for b in fw.overall_bands],
        "Points": [f"{b.low:g} to {b.high:g}" for b in fw.overall_bands]})
    counted = [f"{s.id} {s.title}" for s in fw.standards if s.counts_toward_overall]
    not_counted = [f"{s.id} {s.title}" for s in fw.standards
                   if not s.counts_toward_overall and s.rated]
    unrated = [f"{s.id} {s.title}" for s in fw.standards if not s.rated]
    info = sampling.get("sampling") or {}
    parts = [f"<p>Framework: {escape(clean(fw.title))}. A case-assessed standard takes the rating of "
             "its lowest key question; thresholds are compared before any rounding.</p>",
             table_html(bands, caption="Rating bands for a key question's share"),
             table_html(overall_bands, caption=f"Overall rating from the points (out of "
                                               f"{fw.max_score})"),
             f"<p>Standards that count toward the overall score: {escape(', '.join(counted))}."
             + (f" Rated but not counted: {escape(', '.join(not_counted))}." if not_counted
                else "")
             + (f" Not rated in this kind of inspection: {escape(', '.join(unrated))}."
                if unrated else "") + "</p>",
             f"<p>Intervals are shown at {confidence:.0%} confidence"
             + (f"; the sample was sized at {info['confidence']:.0%}" if info else "")
             + f". A standard needs {settings.min_cases} applicable cases on every key question "
             f"to be rated; a rating is called certain at {settings.certain:.0%} likely.</p>"]
    assumed = overall.get("unconfirmed_rules") or []
    if assumed:
        parts.append("<p><b>Rules assumed for this framework.</b> Public sources do not give "
                     "them; the earlier framework's rules are used until a QA lead confirms "
                     "them from the Inspectorate's guidance, so the ratings they give are "
                     "indicative:</p>" + list_html(assumed))
    parts.append(checked_against_inspection(inspection_check))
    verify = verify_notes(fw)
    if verify:
        parts.append("<p>What the framework file takes from secondary sources or infers (marked "
                     "<i>verify</i> or <i>INFERRED</i> there; listed here once, and nowhere else "
                     "in this paper): a QA lead should confirm each against the Inspectorate's "
                     "current guidance.</p>" + list_html(verify))
    return "".join(parts)


def checked_against_inspection(check: list[tuple[str, str, str]]) -> str:
    """Where the rules, applied to the inspection's own figures, give another rating than the
    one it published: (what, worked out, published)."""
    if not check:
        return ""
    lines = [f"{what}: the rules give {mine}; the inspection published {published}"
             for what, mine, published in check]
    return ("<p><b>The rules checked against the inspection.</b> Applied to the inspection's "
            "own figures, the rules above do not always give the rating it published, so they "
            "may not be the Inspectorate's:</p>" + list_html(lines))


def method_html(fw: Framework, overall: dict, sensitivity: pd.DataFrame | None = None) -> str:
    """The method in plain words (`audit_lib.report.method_words`), and how much the prior
    matters for each standard."""
    return list_html(method_items(overall), escaped=True) + prior_sensitivity_html(sensitivity)


def provenance_html(manifest: dict, fw: Framework, confidence: float) -> str:
    """What produced this report, from the run's manifest: versions, times and every input's
    SHA-256 (paths relative to the period config)."""
    versions = manifest.get("packages", {})
    commit = manifest.get("git_commit") or "not recorded"
    started = manifest.get("started", "")
    when = started[:7] if started else "unknown"
    parts = [f"<p>Framework: {escape(fw.title)}. Intervals at {confidence:.0%} confidence. "
             f"Run in {escape(_month(when))} by case-audit "
             f"{escape(versions.get('case-audit', 'unknown'))} (code commit "
             f"{escape(commit[:12])}), Python {escape(manifest.get('python', ''))}.</p>"]
    # Notebooks and framework files that are the service's own, not case-audit's, are named:
    # a reader should know the method was changed locally.
    own = [f"{key.split(':', 1)[0]} {item.get('file', '')} (SHA-256 "
           f"{str(item.get('sha256', ''))[:12]})"
           for key, item in manifest.get("code", {}).items() if item.get("own")]
    if own:
        parts.append("<p><b>Changed locally.</b> This quarter was run with the service's own "
                     + escape("; ".join(own)) + ", not case-audit's.</p>")
    hashes = manifest.get("inputs_sha256", {})
    if hashes:
        view = pd.DataFrame({"Input (relative to the period config)": list(hashes),
                             "SHA-256 (first 16 digits)": [h[:16] for h in hashes.values()]})
        parts.append(table_html(view, caption="Every input file, identified by its SHA-256"))
    return "".join(parts)


def _month(text: str) -> str:
    try:
        return f"{dt.date.fromisoformat(text + '-01'):%B %Y}"
    except ValueError:
        return text


def tracing_html(period: str, internal_named: bool = True) -> str:
    """How a peer reviewer traces a rating to its cases with the internal case-level table."""
    return (
        "<p>The published tables count answers; they never list a case's answers, which "
        "with the breakdowns by group could single a child out. The QA officer keeps the "
        "case-level table in the service's internal folder (the period config's "
        f"<i>internal</i> folder, under {escape(period)}, file case_answers.csv), never "
        "published. Ask the QA officer for it, and:</p>"
        + list_html([
            "Each row is one case's answer to one question: the case's pseudonymised reference "
            "(case_id), the question (question_id), the answer (Yes, No or N/A), the reviewer "
            "who gave it, or the case record's dates where the answer was worked out from "
            "them, and, for a double-marked case, the second reviewer's answer and whether "
            "the two agree.",
            "To see which cases decided a rating, take the standard's lowest key question "
            "(the ratings table names it), filter the table on that question, and count the "
            "answers: Yes over Yes and No is the share shown. The cases answered No are the "
            "ones to read.",
            "The references are the ones the published sample list (the sampling folder's "
            "sample.csv) and the reviewers' workbooks use. Only the QA officer can link a "
            "reference to a case record (the key to the pseudonyms is held apart from the "
            "outputs): read the record with the QA officer, not from a copy.",
            "Where two reviewers disagreed, the internal disagreements list gives both answers "
            "and notes, for the moderation meeting.",
        ]))
