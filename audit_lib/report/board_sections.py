"""Gather a finished run's tables for the board report: scores, sample, trend, sustained change."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import pandas as pd

from audit_lib.frameworks import VICTIMS, Framework, load_checks
from audit_lib.frameworks.applicability import answerable_questions
from audit_lib.frameworks.mappings import find_mapping
from audit_lib.report.html import percent_view, rating_class, ratings_view, table_html
from audit_lib.settings import load_settings
from audit_lib.trends.history import load_earlier_quarters, load_history, period_results
from audit_lib.trends.translate import translate_results
from audit_lib.trends.trend import load_baseline, sustained, trend_table

logger = logging.getLogger(__name__)

_TEXT = {"standard_id": str, "question_id": str, "lowest_question_id": str, "case_id": str,
         "category": str, "stratum": str}


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame | dict]:
    """Read every CSV (as frames, ids kept as text) and JSON file a step wrote to ``folder``."""
    folder = Path(folder)
    tables: dict[str, pd.DataFrame | dict] = {}
    if not folder.is_dir():
        return tables
    for path in sorted(folder.glob("*.csv")):
        tables[path.stem] = pd.read_csv(path, dtype=_TEXT, keep_default_na=False,
                                        na_values=[""])
    for path in sorted(folder.glob("*.json")):
        tables[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return tables


def headline(overall: dict, service: str, period_label: str) -> str:
    """One sentence a board member can repeat, naming the framework in words and saying when
    the overall rating comes from a rule the Inspectorate has not confirmed."""
    who = f"{service}, {period_label}" if service else period_label
    framework = overall.get("framework_title") or overall.get("framework")
    on = f" on {framework}" if framework else ""
    if overall.get("rating"):
        assumed = ("" if overall.get("overall_rule_confirmed", True) else
                   ", by an assumed rule not confirmed by the Inspectorate")
        return (f"{who}: overall {overall['rating']} ({overall['score']} of "
                f"{overall['max_score']} points{assumed}){on}.")
    missing = ", ".join(overall.get("missing_standards", []))
    return f"{who}: overall rating incomplete{on}; no rating yet for {missing}."


def unconfirmed_html(overall: dict) -> str:
    """The rating rules this report relies on that the Inspectorate has not confirmed, one
    line each; empty when every rule is confirmed."""
    notes = overall.get("unconfirmed_rules") or []
    if not notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return ('<div class="unconfirmed"><p><b>Ratings by assumed rules.</b> Public sources do '
            "not give these rules for this framework; the 2021 rules are assumed until a QA "
            "lead confirms them from the Inspectorate's guidance. Read the ratings they give "
            f"as indicative:</p><ul>{items}</ul></div>")


def trend_inputs(key_questions: pd.DataFrame, fw: Framework, period: str, period_label: str,
                 period_end: str, history_db: str | Path, earlier_quarters: str | Path | None
                 ) -> pd.DataFrame:
    """History rows for the trend: earlier quarters (database, then the earlier-quarters file
    for periods the database lacks) plus this period's results, which replace any recorded
    rows of the same period.

    Quarters audited under another framework are translated into ``fw``'s key questions
    through the mapping between the two (`audit_lib.trends.translate`), marked ``approximate``
    where the mapping says so; those of a framework with no mapping are left out
    (`comparison_html` names them), never compared as if they were ``fw``'s.
    """
    recorded = load_history(history_db, None)
    parts = [recorded.loc[recorded["period"] != period]]
    if earlier_quarters:
        earlier = load_earlier_quarters(earlier_quarters, fw)
        parts.append(earlier.loc[~earlier["period"].isin(recorded["period"])
                                 & (earlier["period"] != period)])
    parts.append(period_results(key_questions, period, period_label, period_end, fw.id))
    history = pd.concat([p for p in parts if len(p)], ignore_index=True)
    history = one_framework_per_period(history, fw.id)
    translated = translate_results(history, fw, keys=("period", "period_label", "period_end"),
                                   missing="leave_out").frame
    translated = translated.sort_values(["period_end", "period"], kind="stable")
    return translated.loc[translated["question_id"].isin([q.id for q in fw.questions])
                          ].reset_index(drop=True)


def one_framework_per_period(history: pd.DataFrame, framework: str) -> pd.DataFrame:
    """Keep one framework's results per period: ``framework``'s when the period has them (a
    quarter rescored under the new framework), otherwise the first recorded."""
    chosen = history.groupby("period")["framework"].agg(
        lambda f: framework if (f == framework).any() else sorted(set(f))[0])
    return history.loc[history["framework"] == history["period"].map(chosen)]


def trend_and_sustained(history: pd.DataFrame, fw: Framework, baseline: str | Path | None,
                        confidence: float, target_rating: str, quarters: int
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trend table (with Fisher's exact test against the baseline) and the sustained reading.

    A baseline from another framework is translated through the mapping, or refused when
    there is none (`audit_lib.trends.trend.load_baseline`).
    """
    base = load_baseline(baseline, fw) if baseline else None
    trend = trend_table(history, base, confidence)
    return trend, sustained(trend, fw, target_rating, quarters)


def comparison_html(trend: pd.DataFrame, fw: Framework, history_db: str | Path,
                    earlier_quarters: str | Path | None) -> str:
    """Where the trend compares results across frameworks (approximately, through a mapping)
    and which recorded results could not be compared; empty when all are ``fw``'s own."""
    notes = []
    mapped = trend.loc[trend["approximate"] | trend["mapped_from"].ne("")]
    if len(mapped):
        periods = ", ".join(dict.fromkeys(mapped["period_label"].astype(str)))
        sources = sorted({m.split(" ", 1)[0] for m in mapped["mapped_from"] if m})
        notes.append(f"Quarters {escape(periods)} were audited under {escape(', '.join(sources))}; "
                     f"their results are translated into {escape(fw.id)}'s key questions "
                     "through the mapping between the frameworks, pooling where several "
                     "questions map to one. The comparison is approximate (hollow markers in "
                     "the chart).")
    base = trend.loc[trend["baseline_approximate"]]
    if len(base):
        notes.append("The inspection baseline was scored under another framework and is "
                     f"translated into {escape(fw.id)}'s key questions through the mapping: "
                     "comparisons with it are approximate.")
    recorded = set(load_history(history_db, None)["framework"])
    if earlier_quarters:
        recorded |= set(load_earlier_quarters(earlier_quarters, fw)["framework"])
    for other in sorted(recorded - {fw.id}):
        if find_mapping(other, fw.id) is None:
            notes.append(f"Results recorded under {escape(other)} are not shown: there is no "
                         f"mapping from {escape(other)} to {escape(fw.id)}, so they cannot be "
                         "compared.")
    return "".join(f"<p>{note}</p>" for note in notes)


def victims_html(scores: dict, fw: Framework, confidence: float) -> str:
    """Work with victims, rated on its own, where the framework audits victims' cases: each
    victims' standard's rating (with its rule flagged when assumed), and the questions and
    local checks answered on victims' cases. Empty for other frameworks."""
    if not fw.audits_victims or "standards" not in scores:
        return ""
    ids = [s.id for s in fw.standards if s.unit == VICTIMS or (
        s.source == "combined" and any(fw.standard(p).unit == VICTIMS for p in s.parts))]
    ids += [p for s in fw.standards if s.id in ids for p in s.parts if p not in ids]
    order = [s.id for s in fw.standards if s.id in ids]
    standards = scores["standards"].set_index("standard_id").reindex(order).reset_index()
    view = ratings_view(standards, scores["key_questions"], fw, confidence)
    asked = {q.id for q in answerable_questions(fw, load_checks()).values()
             if q.units == (VICTIMS,)}
    rows = [frame.loc[frame["question_id"].isin(asked)] for name in ("key_questions",
                                                                     "local_checks")
            if isinstance(frame := scores.get(name), pd.DataFrame)]
    answered = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    parts = ["<h2>Work with victims</h2><p>Victims' cases are a unit of audit of their own, "
             "sampled and reviewed separately; work with victims gets its own rating.</p>",
             table_html(view, rating_class(view["Rating"]))]
    if len(answered):
        parts.append("<p>Questions and checks answered on victims' cases:</p>" + table_html(
            percent_view(answered, {"question_id": "Question", "n_applicable": "Victims",
                                    "n_yes": "Yes", "pct_yes": "Share", "ci_low": "Low",
                                    "ci_high": "High"})))
    return "".join(parts)


def escape(text: object) -> str:
    """HTML-escape any text shown in the report."""
    return html.escape(str(text))


def caveat_html(confidence: float) -> str:
    """The standing caveat under the headline."""
    return (
        "<p>This is a self-audit by the service's own reviewers against the inspection "
        "standards, not an inspection. Shares come from a sample of cases, so each carries an "
        f"interval ({confidence:.0%} Wilson); where a rating's interval crosses a band "
        "threshold the report says the band is not certain.</p>"
    )


def conflicts_html(conflicts: pd.DataFrame | None) -> str:
    """Count of derived answers that contradict reviewers, by check, without case details."""
    if conflicts is None or conflicts.empty:
        return "<p>No derived answer contradicts a reviewer.</p>"
    counts = conflicts.groupby("question_id").size().rename("Cases").reset_index()
    counts = counts.rename(columns={"question_id": "Check"})
    return (f"<p>{len(conflicts)} answer(s) derived from case dates contradict the reviewer. "
            "The reviewer's answer was scored; the QA officer checks each case (listed in "
            "scores/conflicts.csv).</p>" + table_html(counts))


def sample_html(sampling: dict) -> str:
    """Sample sizes, achieved margins and representativeness."""
    info = sampling.get("sampling")
    if not info:
        return "<p>No sample was drawn in this run: the answers were scored as given.</p>"
    sizes = pd.DataFrame(info["groups"])[["disposal_group", "population", "sample",
                                          "achieved_margin_pct"]]
    whole = info.get("whole_caseload", False)
    if whole:
        sizes["disposal_group"] = "All children's cases"
    sizes.columns = ["Disposal group", "Caseload", "Sampled", "Margin (+/- points)"]
    total = info["total"]
    scope = "across the whole caseload" if whole else "within each disposal group"
    text = (f"<p>{total['sample']} of {total['population']} cases were sampled at random "
            f"(seed {info['seed']}), stratified by {', '.join(info['strata']) or 'nothing'} "
            f"{scope}; at {info['confidence']:.0%} confidence the margin for "
            f"the whole sample is +/-{total['achieved_margin_pct']:.1f} points. "
            f"{info.get('double_marked', 0)} cases were double-marked for moderation.</p>")
    victims = info.get("victims_sample")
    if victims and victims.get("drawn"):
        text += (f"<p>Victims' cases are a unit of audit of their own: {victims['sample']} of "
                 f"{victims['population']} were sampled at random (bounded "
                 f"{victims['minimum']} to {victims['maximum']}); "
                 f"{victims.get('double_marked', 0)} were double-marked.</p>")
    elif victims:
        text += f"<p>Victims' cases: {escape(victims.get('note', 'not sampled'))}.</p>"
    rep = sampling.get("representativeness")
    rep_html = ""
    if rep is not None and len(rep):
        tests = rep.loc[rep["variable"] != "disposal_group"].drop_duplicates(
            ["disposal_group", "variable"])
        if len(tests):
            view = percent_view(tests, {"disposal_group": "Group", "variable": "Variable",
                                        "chi_square_p": "Chi-square p", "note": "Note"})
            rep_html = ("<p>Representativeness: a p-value well above 0.05 means the sample's "
                        "make-up is consistent with the caseload.</p>" + table_html(view))
    return text + table_html(sizes) + rep_html


def sustained_view(trend: pd.DataFrame, steady: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per key question: baseline, this quarter, the test against the baseline, sustained?"""
    latest = trend.loc[trend["period"] == period, ["question_id", "fisher_p"]]
    view = steady.merge(latest, on="question_id", how="left")
    view["sustained"] = view["sustained"].map({True: "yes", False: "no"})
    return percent_view(view, {"question_id": "Key question", "baseline_pct": "Inspection",
                               "latest_pct": "This quarter", "fisher_p": "Fisher p vs inspection",
                               "sustained": "Sustained", "reading": "Reading"})


def themes_html(triangulated: dict) -> str:
    """Per theme: original finding, conclusion, strengths, areas for development, sign-off."""
    themes = triangulated.get("themes")
    assurance = triangulated.get("assurance")
    if themes is None or assurance is None:
        return "<p>Triangulation was not run for this period.</p>"
    parts = []
    for theme in themes.to_dict("records"):
        recs = assurance.loc[assurance["theme"] == theme["theme"], [
            "recommendation_id", "judgement", "assurance_level", "sign_off", "evidence_ids"]]
        recs.columns = ["Recommendation", "Judgement", "Assurance", "Sign-off", "Evidence"]
        parts.append(
            f"<h3>{escape(theme['theme'])}</h3>"
            f"<p><b>Original finding.</b> {_lines(theme['original_finding'])}</p>"
            f"<p><b>Conclusion now.</b> {_lines(theme['conclusion'])}</p>"
            f"<p><b>Strengths.</b> {_lines(theme['strengths'])}</p>"
            f"<p><b>Areas for development.</b> {_lines(theme['areas_for_development'])}</p>"
            + table_html(recs))
    return "".join(parts)


def _lines(text: object) -> str:
    if text is None or (isinstance(text, float) and pd.isna(text)) or text == "":
        return "none recorded."
    return "<br>".join(escape(line) for line in str(text).splitlines())


def moderation_html(moderated: dict, threshold: int | None = None) -> str:
    """Agreement between reviewers and the published (suppressed) group breakdowns.

    The threshold shown is the one the scoring step applied (``suppression.json``), which
    ``threshold`` only stands in for when that file is missing.
    """
    policy = load_settings("report")
    parts = []
    agreement = moderated.get("agreement")
    if agreement is None:
        parts.append("<p>No cases were double-marked this quarter.</p>")
    else:
        overall = agreement.loc[agreement["question_id"] == "ALL"]
        if len(overall):
            row = overall.iloc[0]
            parts.append(
                f"<p>{int(row['n_cases'])} case(s) were double-marked. Reviewers agreed on "
                f"{row['pct_agreement']:.0f}% of answers; Cohen's kappa "
                f"{_number(row['cohen_kappa'])}, Krippendorff's alpha "
                f"{_number(row['krippendorff_alpha'])}.</p>")
        flag = float(policy["flag_agreement_below_pct"])
        low = agreement.loc[(agreement["question_id"] != "ALL")
                            & (pd.to_numeric(agreement["pct_agreement"], errors="coerce") < flag)]
        if len(low):
            view = pd.DataFrame({
                "Question": low["question_id"], "Cases": low["n_cases"],
                "Agreement": low["pct_agreement"].map(lambda v: f"{v:.0f}%"),
                "Kappa": low["cohen_kappa"].map(_number),
                "Alpha": low["krippendorff_alpha"].map(_number)})
            parts.append(f"<p>Questions where reviewers agreed on fewer than {flag:g}% of cases, for "
                         "the moderation meeting (all questions in scores/moderation/"
                         "agreement.csv):</p>" + table_html(view))
    rows = []
    for name, frame in moderated.items():
        if not name.startswith("breakdown_"):
            continue
        shown = frame.loc[frame["n_applicable"].astype(str) != "[c]"]
        p = pd.to_numeric(shown["fisher_p"], errors="coerce")
        notable = shown.loc[p < float(policy["significance_level"])]
        rows.append({
            "Characteristic": name.removeprefix("breakdown_").replace("_", " "),
            "Group results published": f"{len(shown)} of {len(frame)}",
            f"Differences from the reference group (Fisher p < {policy['significance_level']:g})": (
                "; ".join(f"{q} {g}" for q, g in zip(notable["question_id"], notable["group"]))
                or "none among published results"),
        })
    if rows:
        parts.append("<h3>Practice by group of children</h3><p>Each key question and local "
                     "check by personal characteristic, compared with the largest group. Full "
                     "tables are in scores/moderation/.</p>" + table_html(pd.DataFrame(rows)))
    summary = moderated.get("suppression")
    if summary:
        threshold = summary.get("threshold", threshold)
        items = "".join(f"<li>{escape(line)}</li>" for line in summary.get("lines", []))
        parts.append(f"<p>Counts below {threshold} are shown as [c] to protect the children "
                     f"they describe; so are figures from which a hidden count could be worked "
                     f"out.</p><details><summary>What was hidden, and why</summary>"
                     f"<ul>{items}</ul></details>")
    return "".join(parts)


def _number(value: object) -> str:
    try:
        return "n/a" if pd.isna(value) else f"{float(value):.2f}"
    except (TypeError, ValueError):
        return escape(value)


def provenance_html(manifest: dict, fw: Framework, confidence: float) -> str:
    """Footer: what produced this report, from the run's manifest."""
    commit = manifest.get("git_commit") or "not recorded"
    versions = manifest.get("packages", {})
    return (
        '<hr><p class="provenance">'
        f"Framework: {escape(fw.title)} ({escape(fw.id)}). Confidence {confidence:.0%}. "
        f"Run started {escape(manifest.get('started', 'unknown'))}; case-audit "
        f"{escape(versions.get('case-audit', 'unknown'))}, code commit {escape(commit[:12])}. "
        f"{len(manifest.get('inputs_sha256', {}))} input files, each identified by its SHA-256 "
        "in manifest.json.</p>")
