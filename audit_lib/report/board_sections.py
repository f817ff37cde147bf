"""Gather a finished run's tables for the board report: scores, sample, trend, sustained change."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import pandas as pd

from audit_lib.display import pct, pct_range, share_of
from audit_lib.frameworks import Framework
from audit_lib.report.html import (
    likelihood_text,
    likely_bands,
    percent_view,
    rating_thresholds,
    table_html,
)
from audit_lib.sampling.draw import achieved_margin
from audit_lib.scoring.likelihood import likelihood_settings, likelihood_words
from audit_lib.settings import load_settings

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
    """One sentence a board member can repeat: the overall rating and how likely it is."""
    who = f"{service}, {period_label}" if service else period_label
    if overall.get("rating"):
        text = (f"{who}: overall {overall['rating']} ({overall['score']} of "
                f"{overall['max_score']} points).")
        return f"{text} {overall_likelihood_text(overall)}".strip()
    reasons = overall.get("missing_reasons") or {}
    missing = ("; " if reasons else ", ").join(
        f"{sid} ({reasons[sid]})" if reasons.get(sid) else sid
        for sid in overall.get("missing_standards", []))
    return f"{who}: overall rating incomplete; no rating yet for {missing}."


def overall_likelihood_text(overall: dict) -> str:
    """"Good is highly likely (96%); Requires improvement 4%." from ``overall.json``."""
    probabilities = overall.get("band_probabilities") or {}
    rating = overall.get("rating")
    if not probabilities or rating not in probabilities:
        return ""
    settings = likelihood_settings()
    p = probabilities[rating]
    others = sorted(((r, q) for r, q in probabilities.items() if r != rating and q >= 0.01),
                    key=lambda item: -item[1])
    text = f"{rating} is {likelihood_words(p, settings)} ({share_of(p)})"
    if others:
        text += "; " + ", ".join(f"{r} {share_of(q)}" for r, q in others)
    return text + "."


def cases_needed_lines(standards: pd.DataFrame, fw: Framework) -> list[str]:
    """One sentence per case-assessed standard a QA officer can act on next quarter.

    Built from ``standards.csv``: the rated band's probability, the runner-up band, and
    ``cases_needed`` (applicable cases per key question that would make the rated band as
    likely as ``band_certain_probability`` if the shares stayed as they are).
    """
    settings = likelihood_settings()
    lines = []
    for row in standards.loc[standards["source"] == "cases"].to_dict("records"):
        s = fw.standard(row["standard_id"])
        name = f"{s.id} {s.title}"
        group = _group_words(s, fw)
        needed = str(row.get("cases_needed") or "")
        current = row.get("min_applicable")
        current = int(current) if current is not None and not pd.isna(current) else 0
        bands = likely_bands(row, fw)
        rating = row.get("rating")
        if not isinstance(rating, str):
            reason = str(row.get("not_rated_reason") or "not rated")
            if needed.isdigit():
                lines.append(f"{name}: {reason}. About {max(int(needed) - current, 1)} more "
                             f"{group} per key question would allow a rating and tell its band "
                             "with confidence.")
            else:
                lines.append(f"{name}: {reason}.")
            continue
        p = dict(bands).get(rating, float("nan"))
        runner = next((r for r, _ in bands if r != rating), None)
        if bool(row.get("band_certain")):
            lines.append(f"{name}: {rating} is {likelihood_words(p, settings)} ({share_of(p)}); "
                         "the sample is large enough to tell.")
        elif needed.isdigit():
            more = int(needed) - current
            if more > 0:
                lines.append(f"{name}: {rating} {share_of(p)}, {runner} {share_of(dict(bands)[runner])}. "
                             f"About {more} more {group} per key question (about {needed} in all) "
                             f"would tell {rating} from {runner} with {settings.certain:.0%} "
                             "confidence, if the shares stay as they are.")
            else:
                lines.append(f"{name}: {rating} {share_of(p)}, {runner} {share_of(dict(bands)[runner])}. "
                             f"About {needed} {group} per key question should tell them apart; "
                             "the next quarter's results will show which.")
        else:
            lines.append(f"{name}: {rating} {share_of(p)}, {runner} {share_of(dict(bands)[runner])}. "
                         f"Even {settings.cases_needed_cap} {group} per key question would not "
                         f"tell {rating} from {runner}: the lowest share sits almost on the "
                         "threshold between them.")
    return lines


def _group_words(standard, fw: Framework) -> str:
    groups = standard.questions[0].applies_to.get("disposal_group", ()) if standard.questions else ()
    if len(groups) == 1:
        return f"cases ({fw.group_label(groups[0]).lower()})"
    return "cases"


def precision_html(sampling: dict, key_questions: pd.DataFrame, fw: Framework,
                   confidence: float) -> str:
    """How precise the figures are, honestly: per disposal group at the sampling confidence
    (as the sample was sized) and at the report's confidence (as intervals are shown), and per
    key question (N/A answers shrink some denominators further)."""
    info = sampling.get("sampling") or {}
    parts = []
    groups = info.get("groups") or []
    if groups:
        rows = []
        for g in groups:
            n, N = int(g["sample"]), int(g["population"])
            rows.append({
                "Disposal group": fw.group_label(g["disposal_group"]),
                "Cases in the caseload": N, "Cases sampled": n,
                f"Margin at {info['confidence']:.0%} (how the sample was sized)":
                    _points(achieved_margin(n, N, info["confidence"])),
                f"Margin at {confidence:.0%} (how intervals are shown)":
                    _points(achieved_margin(n, N, confidence)),
            })
        parts.append(
            f"<p>The sample was sized, as the inspection method sizes its samples, at "
            f"{info['confidence']:.0%} confidence, separately for each disposal group. This "
            f"report shows intervals at {confidence:.0%} confidence, so that a reader is not "
            "over-confident about a share; at that confidence the same cases give a wider "
            "margin. Each figure below is for one disposal group (key questions are answered "
            "within one group); no figure in this report is estimated from the whole sample "
            "pooled.</p>" + table_html(pd.DataFrame(rows)))
    kq = key_questions.loc[key_questions["n_applicable"] > 0]
    if len(kq):
        margin = ((kq["ci_high"] - kq["ci_low"]) / 2).map(lambda v: f"+/-{v:.0f} points")
        widest = kq.assign(margin=(kq["ci_high"] - kq["ci_low"]) / 2).sort_values(
            "margin").iloc[-1]
        parts.append(
            f"<p>Key questions are less precise where some cases were not applicable: each key "
            f"question's margin at {confidence:.0%} is in the key-question table (from "
            f"{margin.iloc[(kq['ci_high'] - kq['ci_low']).argmin()]} to {margin.loc[widest.name]}"
            f", the widest for {escape(widest['question_id'])} with "
            f"{int(widest['n_applicable'])} applicable cases).</p>")
    return "".join(parts)


def _points(margin: float) -> str:
    return "" if pd.isna(margin) else f"+/-{100 * margin:.0f} points"


def key_question_view(key_questions: pd.DataFrame, fw: Framework,
                      confidence: float) -> pd.DataFrame:
    """Every key question in words, with its cases, share, interval, margin and likely bands."""
    text = {q.id: q.text for q in fw.questions}
    cuts = rating_thresholds(fw)
    rows = []
    for q in key_questions.to_dict("records"):
        answered = q["n_applicable"] > 0
        rows.append({
            "Key question": f"{text.get(q['question_id'], '')} ({q['question_id']})",
            "Cases": int(q["n_applicable"]),
            "Share Yes": pct(q["pct_yes"], cuts),
            f"{confidence:.0%} interval": pct_range(q["ci_low"], q["ci_high"], cuts),
            "Margin": f"+/-{(q['ci_high'] - q['ci_low']) / 2:.0f} points" if answered else "",
            "How likely each band is": likelihood_text({**q, "rating": None}, fw),
        })
    return pd.DataFrame(rows)


def method_html(fw: Framework, overall: dict) -> str:
    """The method in plain words: ratings, how likely, certain, too few cases, cases needed."""
    settings = likelihood_settings()
    cuts = ", ".join(f"{b.rating} from {b.low:g}%" for b in fw.rating_bands if b.low > 0)
    method = overall.get("band_probabilities_method") or "joint"
    drawn = ("all case-assessed key questions together" if method == "joint"
             else "each standard's key questions together, standards treated as independent")
    items = [
        f"<li><b>Ratings.</b> A key question's share is the share of applicable cases answered "
        f"Yes (N/A leaves the count). A standard takes the rating of its lowest key question "
        f"({cuts}; below that Inadequate), compared before any rounding. Shares shown near a "
        "threshold carry a decimal so that no shown figure contradicts its rating.</li>",
        "<li><b>How likely each rating is.</b> A share from a sample is uncertain. For each key "
        "question we work out how likely its true share is to lie in each rating band, from a "
        "Bayesian posterior with the Jeffreys prior, Beta(Yes + 0.5, No + 0.5): the prior a "
        "statistician uses when nothing is known beforehand, worth about one case. A standard's "
        "key questions are answered on the same cases, so their shares are drawn together "
        f"({settings.draws:,} draws, fixed seed, from a Dirichlet posterior over the cases' "
        "patterns of answers, which gives each key question exactly its Jeffreys posterior); "
        "the lowest-question rule is applied to every draw. The overall rating's likelihood "
        f"comes from the same draws ({drawn}), with standards judged from evidence fixed at "
        "their judged rating.</li>",
        f"<li><b>Certain.</b> A rating is called certain when it is at least "
        f"{settings.certain:.0%} likely (settings/ratings.yaml). Most middle-band results from "
        "a quarter's sample are not; the report then says how likely each band is.</li>",
        f"<li><b>Too few cases.</b> A standard is not rated when any of its key questions has "
        f"fewer than {settings.min_cases} applicable cases; it then does not count toward the "
        "overall score, which reads incomplete. (The Inspectorate does not rate the domains of "
        "very small services either.)</li>",
        "<li><b>Cases needed.</b> For a rating that is not yet certain, the number of "
        "applicable cases per key question at which, if every share stayed as it is, the rating "
        f"would be {settings.certain:.0%} likely (key questions taken as independent; a planning "
        f"figure, capped at {settings.cases_needed_cap}).</li>",
    ]
    return "<ul>" + "".join(items) + "</ul>"


def escape(text: object) -> str:
    """HTML-escape any text shown in the report."""
    return html.escape(str(text))


def caveat_html(confidence: float) -> str:
    """The standing caveat under the headline."""
    return (
        "<p>This is a self-audit by the service's own reviewers against the inspection "
        "standards, not an inspection. Shares come from a sample of cases, so each carries an "
        f"interval ({confidence:.0%} confidence), and each rating comes with how likely it and "
        "its neighbouring ratings are: a rating that is not highly likely could change with "
        "the next quarter's cases.</p>"
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
    """How the sample was drawn, and whether its make-up matches the caseload.

    Precision is stated by `precision_html`, per disposal group; no margin is quoted for the
    whole sample pooled, since no figure is estimated from it.
    """
    info = sampling.get("sampling")
    if not info:
        return "<p>No sample was drawn in this run: the answers were scored as given.</p>"
    total = info["total"]
    text = (f"<p>{total['sample']} of {total['population']} cases were sampled at random "
            f"(seed {info['seed']}), stratified by {', '.join(info['strata']) or 'nothing'} "
            f"within each disposal group. {info.get('double_marked', 0)} cases were "
            "double-marked for moderation.</p>")
    rep = sampling.get("representativeness")
    rep_html = ""
    if rep is not None and len(rep):
        tests = rep.loc[rep["variable"] != "disposal_group"].drop_duplicates(
            ["disposal_group", "variable"])
        if len(tests):
            view = percent_view(tests, {"disposal_group": "Group", "variable": "Characteristic",
                                        "chi_square_p_bh": "Adjusted p", "note": "Note"})
            rep_html = ("<p>Is the sample like the caseload? For each characteristic the sample "
                        "was not stratified on, a chi-square test compares the sample's make-up "
                        "with the caseload's; the p-values are adjusted for the number of tests "
                        "(Benjamini-Hochberg). A value well above 0.05 means the sample's "
                        "make-up is consistent with the caseload. Characteristics the sample was "
                        "stratified on match by construction and are not tested.</p>"
                        + table_html(view))
    return text + rep_html


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


def moderation_html(moderated: dict, threshold: int | None = None,
                    pooled: dict | None = None) -> str:
    """Agreement between reviewers, and what the breakdowns by group of children can say.

    The group comparison uses the pooled breakdowns (a rolling year, ``pooled/``) and says
    "could not be assessed" where the groups were too small to compare, never "no disparity".
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
            if isinstance(row.get("note"), str) and row["note"]:
                parts.append(f"<p>Note: {escape(row['note'])}.</p>")
        flag = float(policy["flag_agreement_below_pct"])
        low = agreement.loc[(agreement["question_id"] != "ALL")
                            & (pd.to_numeric(agreement["pct_agreement"], errors="coerce") < flag)]
        if len(low):
            view = pd.DataFrame({
                "Question": low["question_id"], "Cases": low["n_cases"],
                "Agreement": low["pct_agreement"].map(lambda v: pct(v, [flag])),
                "Kappa": low["cohen_kappa"].map(_number),
                "PABAK": low["pabak"].map(_number) if "pabak" in low else "",
                "Alpha": low["krippendorff_alpha"].map(_number),
                "Note": low["note"].fillna("") if "note" in low else ""})
            parts.append(f"<p>Questions where reviewers agreed on fewer than {flag:g}% of cases, for "
                         "the moderation meeting (all questions in scores/moderation/"
                         "agreement.csv):</p>" + table_html(view))
    parts.append(fairness_html(pooled))
    summary = moderated.get("suppression")
    if summary:
        threshold = summary.get("threshold", threshold)
        items = "".join(f"<li>{escape(line)}</li>" for line in summary.get("lines", []))
        parts.append(f"<p>Counts below {threshold} are shown as [c] to protect the children "
                     f"they describe; so are figures from which a hidden count could be worked "
                     f"out.</p><details><summary>What was hidden, and why</summary>"
                     f"<ul>{items}</ul></details>")
    return "".join(parts)


def fairness_html(pooled: dict | None) -> str:
    """Practice by group of children over the pooled quarters: per characteristic, whether the
    groups could be compared, and any difference that held after adjusting for the number of
    comparisons."""
    if not pooled or not pooled.get("characteristics"):
        return "<p>Practice by group of children could not be assessed this quarter.</p>"
    rows = [{"Characteristic": name.replace("_", " "), "What the cases can tell": a["text"]}
            for name, a in pooled["characteristics"].items()]
    quarters = pooled.get("quarters", 1)
    span = "this quarter" if quarters == 1 else f"the last {quarters} quarters pooled"
    return ("<h3>Practice by group of children</h3>"
            f"<p>Each key question and local check by personal characteristic, over {span} "
            f"({pooled.get('children', 0)} children), compared with the largest group. One "
            "quarter is too few children to compare groups, so quarters are pooled; where the "
            "groups are still too small the table says so: that is not evidence that there is "
            "no difference. Differences count only after adjusting for the number of "
            "comparisons.</p>" + table_html(pd.DataFrame(rows)))


def _number(value: object) -> str:
    try:
        return "not defined" if pd.isna(value) else f"{float(value):.2f}"
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


def local_checks_view(local_checks: pd.DataFrame, checks: Framework) -> pd.DataFrame:
    """Local checks in words against their targets: share, interval, target, and how likely
    the target is met (a share just under target may well be meeting it, and the reverse)."""
    text = {q.id: q.text for q in checks.questions}
    rows = []
    for c in local_checks.to_dict("records"):
        target = [] if pd.isna(c["target_pct"]) else [float(c["target_pct"])]
        met = c.get("met")
        rows.append({
            "Check": f"{text.get(c['question_id'], '')} ({c['question_id']})",
            "Cases": int(c["n_applicable"]),
            "Share Yes": pct(c["pct_yes"], target),
            "Interval": pct_range(c["ci_low"], c["ci_high"], target),
            "Target": pct(c["target_pct"]),
            "Met": "" if met is None or pd.isna(met) else ("yes" if str(met) == "True" else "no"),
            "How likely the target is met": share_of(c.get("p_at_target")),
        })
    return pd.DataFrame(rows)


def progress_view(progress: pd.DataFrame, fw: Framework, checks: Framework) -> pd.DataFrame:
    """Each question since the inspection, for the board: then, now, the change with its
    interval, and its status (no p-values: see the method notes and progress.csv)."""
    text = {q.id: q.text for q in fw.questions + checks.questions}
    rows = []
    for p in progress.to_dict("records"):
        target = [] if pd.isna(p["target_pct"]) else [float(p["target_pct"])]
        change = ""
        if not pd.isna(p.get("diff_pct_points")):
            change = (f"{p['diff_pct_points']:+.0f} points ({p['diff_ci_low']:+.0f} to "
                      f"{p['diff_ci_high']:+.0f})")
        rows.append({
            "Question": f"{text.get(p['question_id'], '')} ({p['question_id']})",
            "At the inspection": pct(p.get("baseline_pct"), target),
            f"Now ({p['latest_label']})": pct(p["latest_pct"], target),
            "Change (interval)": change,
            "Target": pct(p["target_pct"]),
            "Status": p["status"],
        })
    return pd.DataFrame(rows)


def recommendations_progress_html(assurance: pd.DataFrame | None, evidence: pd.DataFrame | None,
                                  progress: pd.DataFrame | None) -> str:
    """Per recommendation, has the improvement been made and sustained: its measures' statuses
    since the inspection, and the sign-off the evidence supports."""
    if assurance is None or progress is None:
        return "<p>Progress could not be assessed this quarter (no baseline or triangulation).</p>"
    status = dict(zip(progress["question_id"], progress["status"]))
    measures = (evidence.loc[evidence["measure_id"].fillna("") != "",
                             ["recommendation_id", "measure_id"]]
                if evidence is not None and "measure_id" in evidence else pd.DataFrame())
    items = []
    for row in assurance.to_dict("records"):
        rid = row["recommendation_id"]
        mine = measures.loc[measures["recommendation_id"] == rid, "measure_id"] if len(
            measures) else []
        parts = [f"{m} {status.get(m, 'not compared')}" for m in mine]
        measured = "; ".join(parts) if parts else "no case-audit measure"
        items.append(f"<li><b>{escape(rid)} {escape(row.get('title', ''))}</b>: "
                     f"{escape(measured)}. Sign-off: {escape(row['sign_off'])}.</li>")
    return "<ul>" + "".join(items) + "</ul>"


def targets_html(targets: pd.DataFrame | None) -> str:
    """The target each case-audit measure was judged against and where it comes from, and any
    register override set aside because its period had ended."""
    if targets is None or targets.empty:
        return ""
    view = pd.DataFrame({
        "Recommendation": targets["recommendation_id"], "Measure": targets["measure_id"],
        "Target": targets["target_pct"].map(lambda v: pct(v)),
        "Where the target comes from": targets["target_source"]})
    notes = [n for n in targets.get("note", pd.Series(dtype=object)).fillna("") if n]
    warn = "".join(f"<p><b>Target override set aside.</b> {escape(n)}</p>" for n in notes)
    return warn + table_html(view)
