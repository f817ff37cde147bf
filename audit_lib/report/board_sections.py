"""Gather a finished run's tables for the board report: scores, sample, trend, sustained change."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import pandas as pd

from audit_lib.frameworks import Framework
from audit_lib.report.html import percent_view, table_html
from audit_lib.settings import load_settings
from audit_lib.trends.history import load_earlier_quarters, load_history, period_results
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
    """One sentence a board member can repeat."""
    who = f"{service}, {period_label}" if service else period_label
    if overall.get("rating"):
        return (f"{who}: overall {overall['rating']} ({overall['score']} of "
                f"{overall['max_score']} points) on {overall['framework']}.")
    missing = ", ".join(overall.get("missing_standards", []))
    return f"{who}: overall rating incomplete; no rating yet for {missing}."


def trend_inputs(key_questions: pd.DataFrame, fw: Framework, period: str, period_label: str,
                 period_end: str, history_db: str | Path, earlier_quarters: str | Path | None
                 ) -> pd.DataFrame:
    """History rows for the trend: earlier quarters (database, then the earlier-quarters file
    for periods the database lacks) plus this period's results, which replace any recorded
    rows of the same period."""
    recorded = load_history(history_db, fw.id)
    parts = [recorded.loc[recorded["period"] != period]]
    if earlier_quarters:
        earlier = load_earlier_quarters(earlier_quarters, fw.id)
        parts.append(earlier.loc[~earlier["period"].isin(recorded["period"])
                                 & (earlier["period"] != period)])
    parts.append(period_results(key_questions, period, period_label, period_end, fw.id))
    history = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return history.loc[history["question_id"].isin([q.id for q in fw.questions])]


def trend_and_sustained(history: pd.DataFrame, fw: Framework, baseline: str | Path | None,
                        confidence: float, target_rating: str, quarters: int
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trend table (with Fisher's exact test against the baseline) and the sustained reading."""
    base = load_baseline(baseline) if baseline else None
    trend = trend_table(history, base, confidence)
    return trend, sustained(trend, fw, target_rating, quarters)


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
    sizes.columns = ["Disposal group", "Caseload", "Sampled", "Margin (+/- points)"]
    total = info["total"]
    text = (f"<p>{total['sample']} of {total['population']} cases were sampled at random "
            f"(seed {escape(info['seed'])}), stratified by "
            f"{escape(', '.join(map(str, info['strata']))) or 'nothing'} "
            f"within each disposal group; at {info['confidence']:.0%} confidence the margin for "
            f"the whole sample is +/-{total['achieved_margin_pct']:.1f} points. "
            f"{info.get('double_marked', 0)} cases were double-marked for moderation.</p>")
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
        parts.append(f"<p>Counts below {escape(threshold)} are shown as [c] to protect the children "
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
    started = escape(manifest.get("started", "unknown"))
    # Notebooks and framework files that are the service's own, not case-audit's, are named:
    # a reader should know the method was changed locally.
    own = [f"{escape(key.split(':', 1)[0])} {escape(item.get('file', ''))} (SHA-256 "
           f"{escape(str(item.get('sha256', ''))[:12])})"
           for key, item in manifest.get("code", {}).items() if item.get("own")]
    local = (f" Run with the service's own {'; '.join(own)}." if own else "")
    return (
        '<hr><p class="provenance">'
        f"Framework: {escape(fw.title)} ({escape(fw.id)}). Confidence {confidence:.0%}. "
        f'Run started <time datetime="{started}">{started}</time>; case-audit '
        f"{escape(versions.get('case-audit', 'unknown'))}, code commit {escape(commit[:12])}. "
        f"{len(manifest.get('inputs_sha256', {}))} input files, each identified by its SHA-256 "
        f"in manifest.json.{local}</p>")
