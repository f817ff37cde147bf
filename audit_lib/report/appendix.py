"""The board paper's appendix for peer reviewers: the evidence register with each item's age,
the reasons for evidence-judged ratings, every measure's target, the rating rules and method,
what produced the report, and the glossary."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audit_lib.display import pct
from audit_lib.frameworks import Framework
from audit_lib.report.html import escape, list_html, table_html
from audit_lib.report.method_words import method_items, prior_sensitivity_html
from audit_lib.scoring.likelihood import likelihood_settings


def evidence_register_html(evidence: pd.DataFrame | None, period_end: dt.date) -> str:
    """Every evidence item with its source, reference, date, direction, weight and how old it
    is at the quarter's end."""
    if evidence is None or evidence.empty:
        return "<p>No evidence register was used.</p>"
    dates = pd.to_datetime(evidence["date"].replace("", None), errors="coerce")
    age = ((pd.Timestamp(period_end) - dates).dt.days / 30.44).round()
    view = pd.DataFrame({
        "Evidence": evidence["evidence_id"],
        "Recommendation": evidence["recommendation_id"],
        "Kind of source": evidence["source_type"].str.replace("_", " "),
        "Reference": evidence["source_ref"].fillna(""),
        "Dated": dates.dt.strftime("%B %Y").fillna("this quarter's case audit"),
        "Months before the quarter's end": age.map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        "Direction": evidence["direction"], "Weight": evidence["weight"]})
    return table_html(view, caption="The evidence register, with each item's age")


def judgements_html(judgements: pd.DataFrame | None, fw: Framework) -> str:
    """The reasons for each rating judged from evidence."""
    if judgements is None or judgements.empty:
        return "<p>No standard was judged from evidence this quarter.</p>"
    view = pd.DataFrame({
        "Standard": judgements["standard_id"].map(lambda s: f"{s} {fw.standard(s).title}"),
        "Rating": judgements["rating"], "Why": judgements["rationale"].fillna("")})
    return table_html(view, caption="Standards judged from evidence, and why")


def targets_html(targets: pd.DataFrame | None) -> str:
    """The target each case-audit measure was judged against and where it comes from, and any
    register override set aside because its period had ended."""
    if targets is None or targets.empty:
        return "<p>No case-audit measure was tied to a recommendation.</p>"
    view = pd.DataFrame({
        "Recommendation": targets["recommendation_id"], "Measure": targets["measure_id"],
        "Target": targets["target_pct"].map(lambda v: pct(v)),
        "Where the target comes from": targets["target_source"]})
    notes = [n for n in targets.get("note", pd.Series(dtype=object)).fillna("") if n]
    warn = "".join(f"<p><b>Target override set aside.</b> {escape(n)}</p>" for n in notes)
    return warn + table_html(view, caption="The target of every case-audit measure")


def rules_html(fw: Framework, overall: dict, sampling: dict, confidence: float) -> str:
    """The method's rules from the framework file: thresholds, points, overall bands, which
    standards count, the confidences, and the figures still marked to verify."""
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
    parts = [f"<p>Framework: {escape(fw.title)}. A case-assessed standard takes the rating of "
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
    verify = verify_notes(fw)
    if verify:
        parts.append("<p>Figures marked <i>verify</i> in the framework file (from secondary "
                      "sources; a QA lead should confirm them against the Inspectorate's current "
                      "guidance):</p>" + list_html(verify))
    return "".join(parts)


def verify_notes(fw: Framework) -> list[str]:
    """The framework file's source notes that ask for the figure to be verified."""
    import yaml

    try:
        data = yaml.safe_load(fw.path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    found = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}" if where else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                label = item.get("rating") or item.get("id") if isinstance(item, dict) else None
                walk(item, f"{where} {label}" if label else f"{where}[{i + 1}]")
        elif isinstance(value, str) and "verify" in value.lower() and where.endswith("source"):
            found.append(f"{where.removesuffix('.source').replace('_', ' ')}: {value}")

    walk(data, "")
    return list(dict.fromkeys(found))


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


#: The glossary: words a board member may meet in this report, in plain English.
GLOSSARY = {
    "Assurance (substantial, reasonable, limited, no assurance)":
        "How confident the evidence lets the board be that a recommendation has been "
        "addressed, in the terms UK public-sector internal audit uses.",
    "Baseline": "The inspection's own results, which progress is measured against.",
    "[c]": "A figure hidden to protect the children it describes, because it counts fewer "
           "children than the disclosure threshold, or because a hidden figure could be worked "
           "out from it.",
    "Certain": "A rating at least 90% likely (a setting the board can change).",
    "On the line": "Another rating is as likely as the one the Inspectorate's rule gives, or "
                   "likelier; both are shown.",
    "Not comparable": "The inspection was scored under another framework: its figures are "
                      "shown, but no change is claimed.",
    "Corroborated, contested, single source":
        "Corroborated: at least two independent kinds of source agree and none strongly "
        "disagrees. Contested: kinds of source disagree. Single source: too few kinds of source "
        "to corroborate.",
    "How likely": "The probability, given the cases read, that the true share lies in a rating "
                  "band; put in words from the UK government's probability yardstick.",
    "Interval": "The range the true share probably lies in, given that only a sample of cases "
                "was read (95% confidence unless a table says otherwise).",
    "Kappa, Krippendorff's alpha, PABAK":
        "Measures of how far two reviewers agree beyond what chance alone would give: 1 is "
        "perfect agreement, 0 no better than chance. PABAK adjusts kappa for answers that are "
        "nearly all one kind.",
    "Key question, local check, standard":
        "The inspection standards are rated from key questions answered on each case file; "
        "local checks are the service's own questions with their own targets.",
    "Maintained at target": "At target at the inspection and still at target.",
    "Adjusted p-value": "A test result corrected for the number of comparisons made at once, so "
                        "that chance differences are not reported as findings.",
    "Sustained": "An improvement that held: in each of the last quarters, none credibly below "
                 "the inspection's share or the target, not falling, and together at target.",
    "Type of disposal": "Court disposals (orders made by a court) or out-of-court disposals "
                        "(cautions and community resolutions decided without a court).",
}


def glossary_html() -> str:
    """The glossary as a description list."""
    items = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>"
                    for term, text in sorted(GLOSSARY.items(), key=lambda kv: kv[0].lower()))
    return f'<dl class="glossary">{items}</dl>'
