"""The board paper's sections: each reads a run's tables and returns HTML for people.

Words, not codes: questions and standards are named in words (the id in brackets), disposal
groups and characteristics in words, and no file path or framework id appears in the board's
text (they belong in the appendix). Every figure is shown so that it cannot contradict its
rating (`audit_lib.display`), every table has a caption, and every chart its data.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from audit_lib.display import pct, pct_range, signed_points
from audit_lib.errors import FrameworkError
from audit_lib.frameworks import VICTIMS, Framework, load_checks, load_framework
from audit_lib.frameworks.applicability import answerable_questions
from audit_lib.report.gaps_view import (
    gaps_html,
    missing_by_question,
    missing_by_standard,
    with_missing,
)
from audit_lib.report.html import (
    escape,
    figure_html,
    lines_html,
    list_html,
    png_inches,
    rating_class,
    table_html,
)
from audit_lib.report.names import clean
from audit_lib.report.progress_words import (
    false_calls_sentence,
    progress_view,
    statuses_explained,
)
from audit_lib.report.words import (
    BALANCE_WORDS,
    cases_needed_line,
    chance,
    interval_at_half,
    likelihood_text,
    rating_thresholds,
    ratings_view,
)
from audit_lib.scoring.likelihood import band_column, likelihood_settings
from audit_lib.settings import load_settings
from audit_lib.vocabulary import column_words

logger = logging.getLogger(__name__)

_TEXT = {"standard_id": str, "question_id": str, "lowest_question_id": str, "case_id": str,
         "category": str, "stratum": str, "measure_id": str, "evidence_id": str,
         "recommendation_id": str, "due": str}
#: Columns of the step's own tables that hold whole numbers: read back as whole numbers (a
#: column with a blank would otherwise come back as float, "56.0").
WHOLE_NUMBERS = ("n_applicable", "n_yes", "min_applicable", "cases_needed", "caseload",
                 "baseline_n", "baseline_yes", "latest_n", "latest_yes", "window_n",
                 "window_yes", "window_quarters", "quarters_recorded", "smallest_quarter_n",
                 "sustained_quarters", "n_cases")
#: The tables whose whole-number columns are read as such (published breakdowns may hold a
#: suppression marker in a count column, and are read as they come).
TYPED_TABLES = ("standards", "key_questions", "local_checks", "progress", "trend",
                "inspection_ratings", "prior_sensitivity")


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame | dict]:
    """Read every CSV (as frames, ids kept as text) and JSON file a step wrote to ``folder``."""
    folder = Path(folder)
    tables: dict[str, pd.DataFrame | dict] = {}
    if not folder.is_dir():
        return tables
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8") as handle:
            header = set(handle.readline().strip().split(","))
        types = _TEXT | ({c: "Int64" for c in WHOLE_NUMBERS if c in header}
                         if path.stem in TYPED_TABLES else {})
        tables[path.stem] = pd.read_csv(path, dtype=types, keep_default_na=False,
                                        na_values=[""])
    for path in sorted(folder.glob("*.json")):
        tables[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return tables


def cases_needed_lines(standards: pd.DataFrame, fw: Framework) -> list[str]:
    """One sentence per case-assessed standard a QA officer can act on next quarter
    (`audit_lib.report.words.cases_needed_line`), from ``standards.csv``."""
    return [cases_needed_line(row, fw, _group_words(fw.standard(row["standard_id"]), fw))
            for row in standards.loc[standards["source"] == "cases"].to_dict("records")]


def _group_words(standard, fw: Framework) -> str:
    groups = standard.questions[0].applies_to.get("disposal_group", ()) if standard.questions else ()
    if len(groups) == 1:
        return f"cases ({fw.group_label(groups[0]).lower()})"
    return "cases"


def moderation_html(moderated: dict, fw: Framework, checks: Framework,
                    pooled: dict | None = None, threshold: int | None = None) -> str:
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
            wording = {q.id: clean(q.text) for q in fw.questions + checks.questions}
            view = pd.DataFrame({
                "Question": low["question_id"].map(lambda q: f"{wording.get(q, '')} ({q})"),
                "Cases": low["n_cases"],
                "Agreement": low["pct_agreement"].map(lambda v: pct(v, [flag])),
                "Kappa": low["cohen_kappa"].map(_number),
                "PABAK": low["pabak"].map(_number) if "pabak" in low else "",
                "Alpha": low["krippendorff_alpha"].map(_number),
                "Note": low["note"].fillna("") if "note" in low else ""})
            parts.append(f"<p>Questions where reviewers agreed on fewer than {flag:g}% of cases, for "
                         "the moderation meeting (the QA officer has every question's "
                         "figures):</p>" + table_html(view, caption="Questions where reviewers "
                                                                     "agreed least"))
    parts.append(fairness_html(pooled, fw, checks))
    summary = moderated.get("suppression")
    if summary:
        threshold = summary.get("threshold", threshold)
        items = "".join(f"<li>{escape(line)}</li>" for line in summary.get("lines", []))
        parts.append(f"<p>Counts below {escape(threshold)} are shown as [c] to protect the "
                     "children "
                     f"they describe; so are figures from which a hidden count could be worked "
                     f"out.</p><details><summary>What was hidden, and why</summary>"
                     f"<ul>{items}</ul></details>")
    return "".join(parts)


def fairness_words(characteristic: str, assessed: dict, fw: Framework, checks: Framework) -> str:
    """What one characteristic's pooled comparison can tell, in words: groups named as the
    board knows them, questions by their wording."""
    def group(name: str) -> str:
        return fw.group_label(name) if characteristic == "disposal_group" else str(name)

    if not assessed.get("assessable"):
        return "could not be assessed: too few children in the groups to compare"
    wording = {q.id: clean(q.text) for q in fw.questions + checks.questions}
    differences = assessed.get("differences") or []
    if differences:
        text = "differences from the largest group: " + "; ".join(
            f"{wording.get(d['question_id'], '')} ({d['question_id']}): {group(d['group'])} "
            f"{d['pct_yes']:.0f}% answered Yes, against {group(d['reference_group'])}"
            for d in differences)
    else:
        text = ("no difference large enough to show with these numbers among "
                + ", ".join(group(g) for g in assessed.get("groups_compared", [])))
    hidden = assessed.get("groups_too_small") or []
    if hidden:
        text += f"; {', '.join(group(g) for g in hidden)} could not be compared (too few children)"
    return text


def fairness_html(pooled: dict | None, fw: Framework, checks: Framework) -> str:
    """Practice by group of children over the pooled quarters: per characteristic, whether the
    groups could be compared, and any difference that held after adjusting for the number of
    comparisons."""
    if not pooled or not pooled.get("characteristics"):
        return "<p>Practice by group of children could not be assessed this quarter.</p>"
    rows = [{"Characteristic": column_words(name),
             "What the cases can tell": fairness_words(name, a, fw, checks)}
            for name, a in pooled["characteristics"].items()]
    quarters = pooled.get("quarters", 1)
    wanted = load_settings("progress")["fairness_pooled_quarters"]
    span = ("this quarter only (no earlier quarter's cases are kept yet)" if quarters == 1
            else f"the last {quarters} quarters pooled")
    pooling = ("One quarter is too few children to compare groups, so up to "
               f"{wanted} quarters are pooled as they accumulate" if quarters < wanted else
               "One quarter is too few children to compare groups, so quarters are pooled")
    return ("<h3>Practice by group of children</h3>"
            f"<p>Each key question and local check by personal characteristic, over {span} "
            f"({pooled.get('children', 0)} children), compared with the largest group. "
            f"{pooling}; where the groups are still too small the table says so: that is not "
            "evidence that there is no difference. Differences count only after adjusting for "
            "the number of comparisons.</p>"
            + table_html(pd.DataFrame(rows), caption="Practice by group of children"))


def _number(value: object) -> str:
    try:
        return "not defined" if pd.isna(value) else f"{float(value):.2f}"
    except (TypeError, ValueError):
        return escape(value)


def local_checks_view(local_checks: pd.DataFrame, checks: Framework) -> pd.DataFrame:
    """Local checks in words against their targets: share, interval, target, and how likely
    the target is met (a share just under target may well be meeting it, and the reverse)."""
    text = {q.id: clean(q.text) for q in checks.questions}
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
            "How likely the target is met": chance(c.get("p_at_target")),
        })
    return pd.DataFrame(rows)


def points(value: float) -> str:
    """A change in percentage points, in words: "+12 points", "-1 point", "-0.2 points" (a
    change that is not zero never reads "0 points")."""
    shown = signed_points(value)
    if shown == "0":
        return "0 points"
    return f"{shown} point" + ("" if shown.lstrip("+-") in ("1", "1.0") else "s")


# --- How good, and how sure ------------------------------------------------------------------


def ratings_html(standards: pd.DataFrame, key_questions: pd.DataFrame, fw: Framework,
                 confidence: float, chart: bytes | None, gaps: pd.DataFrame | None = None,
                 agreement: pd.DataFrame | None = None) -> str:
    """Every standard's rating and how likely each band is, as a table and a chart, and what
    more cases would tell; with ``gaps`` (allowed), each standard's answers missing."""
    # The assumed rules are said once, on page one and in the appendix, not beside each row.
    view = ratings_view(standards, key_questions, fw, confidence, agreement).drop(
        columns="Rule", errors="ignore")
    view["Title"] = view["Title"].map(clean)
    view = with_missing(view, view["Standard"], missing_by_standard(gaps, fw))
    parts = [table_html(view, rating_class(view["Rating"]),
                        caption="Ratings by standard, with how likely each rating is")]
    if chart:
        cases = standards.loc[standards["source"] == "cases"]
        data = pd.DataFrame({"Standard": cases["standard_id"] + " " + cases["standard_id"].map(
            lambda s: fw.standard(s).title), "Rating": cases["rating"].fillna("not rated")})
        for band in reversed(fw.rating_bands):
            data[band.rating] = cases[band_column(band.rating)].map(chance).to_numpy()
        parts.append(figure_html(chart, likelihood_alt(standards, fw),
                                 "How likely each rating is, for the standards rated from case "
                                 "files. Each bar adds up to 100%; the outlined part is the "
                                 "rating given.", data, "How likely each rating is, by standard"))
    parts.append('<h3 id="cases-needed">What more cases would tell</h3>')
    parts.append(list_html(cases_needed_lines(standards, fw)))
    return "".join(parts)


def likelihood_alt(standards: pd.DataFrame, fw: Framework) -> str:
    """Alt text that states the chart's finding, not just what it is."""
    cases = standards.loc[(standards["source"] == "cases") & standards["rating"].notna()]
    certain = int(cases["band_certain"].fillna(False).astype(bool).sum())
    ratings = cases["rating"].value_counts()
    listed = ", ".join(f"{n} {r}" for r, n in ratings.items())
    return (f"Stacked bars, one per standard rated from case files ({len(cases)}: {listed}). "
            f"{certain} of them {'is' if certain == 1 else 'are'} at least "
            f"{likelihood_settings().certain:.0%} likely; for the others a neighbouring rating "
            "is a real possibility.")


def key_questions_html(key_questions: pd.DataFrame, fw: Framework, confidence: float,
                       chart: bytes | None, gaps: pd.DataFrame | None = None) -> str:
    """Every key question in words with its share, interval, margin and likely bands (and,
    with ``gaps``, its answers missing); the chart shows the same figures against the rating
    bands."""
    parts = []
    if chart:
        answered = key_questions.loc[key_questions["n_applicable"] > 0]
        lowest = answered.sort_values("pct_yes").iloc[0] if len(answered) else None
        below = int((answered["pct_yes"] < _target_low(fw)).sum())
        alt = ("Dot-and-line chart of every key question's share answered Yes against the "
               "rating bands. " + (f"Lowest: {lowest['question_id']} at "
                                   f"{pct(lowest['pct_yes'], rating_thresholds(fw))}; "
                                   if lowest is not None else "")
               + f"{below} of {len(answered)} below the Good threshold.")
        parts.append(figure_html(chart, alt, "Each key question's share (dot) with its "
                                 f"{confidence:.0%} interval (line), against the rating bands. "
                                 "The table below gives every figure."))
    view = with_missing(key_question_view(key_questions, fw, confidence),
                        key_questions["question_id"], missing_by_question(gaps))
    parts.append(table_html(view, caption="Every key question: cases, share answered Yes, "
                                          "interval and how likely each band is"))
    return "".join(parts)


def _target_low(fw: Framework) -> float:
    lows = {b.rating: b.low for b in fw.rating_bands}
    return lows.get("Good", min(lows.values()))


def key_question_view(key_questions: pd.DataFrame, fw: Framework,
                      confidence: float) -> pd.DataFrame:
    """Every key question in words, with its cases, share, interval, margin and likely bands."""
    text = {q.id: clean(q.text) for q in fw.questions}
    cuts = rating_thresholds(fw)
    rows = []
    for q in key_questions.to_dict("records"):
        rows.append({
            "Key question": f"{text.get(q['question_id'], '')} ({q['question_id']})",
            "Cases": int(q["n_applicable"]),
            "Share Yes": pct(q["pct_yes"], cuts),
            f"{confidence:.0%} interval": pct_range(q["ci_low"], q["ci_high"], cuts),
            "How likely each band is": likelihood_text({**q, "rating": None}, fw),
        })
    return pd.DataFrame(rows)


def local_checks_html(local_checks: pd.DataFrame | None, checks: Framework,
                      chart: bytes | None, gaps: pd.DataFrame | None = None) -> str:
    """The local checks against their targets, and how likely each target is met (with
    ``gaps``, each check's answers missing)."""
    if local_checks is None:
        return "<p>No local checks were answered this quarter.</p>"
    view = with_missing(local_checks_view(local_checks, checks), local_checks["question_id"],
                        missing_by_question(gaps))
    parts = [table_html(view, caption="Local checks against their targets")]
    if chart:
        met = local_checks["met"].astype(str).eq("True")
        alt = (f"Dot-and-line chart of {len(local_checks)} local checks against their targets "
               f"(bold marks): {int(met.sum())} at or above target, "
               f"{int((~met).sum())} below.")
        parts.append(figure_html(chart, alt, "Each local check's share with its interval, and "
                                 "its target. The table above gives every figure."))
    return "".join(parts)


# --- Made and sustained? ---------------------------------------------------------------------


def victims_html(scores: dict, fw: Framework, confidence: float) -> str:
    """Work with victims, rated on its own, where the framework audits victims' cases: each
    victims' standard's rating (with its rule flagged when assumed), and the questions and
    local checks answered on victims' cases. Empty for other frameworks."""
    if not fw.audits_victims or scores.get("standards") is None:
        return ""
    ids = [s.id for s in fw.standards if s.unit == VICTIMS or (
        s.source == "combined" and any(fw.standard(p).unit == VICTIMS for p in s.parts))]
    ids += [p for s in fw.standards if s.id in ids for p in s.parts if p not in ids]
    order = [s.id for s in fw.standards if s.id in ids]
    standards = scores["standards"].set_index("standard_id").reindex(order).reset_index()
    view = ratings_view(standards, scores["key_questions"], fw, confidence).drop(
        columns="Rule", errors="ignore")
    view["Title"] = view["Title"].map(clean)
    checks = load_checks()
    asked = {q.id for q in answerable_questions(fw, checks).values() if q.units == (VICTIMS,)}
    wording = {q.id: clean(q.text) for q in fw.questions + checks.questions}
    rows = [frame.loc[frame["question_id"].isin(asked)] for name in ("key_questions",
                                                                     "local_checks")
            if isinstance(frame := scores.get(name), pd.DataFrame)]
    answered = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    parts = ["<p>Victims' cases are a unit of audit of their own, sampled and reviewed "
             "separately; work with victims gets its own rating.</p>",
             table_html(view, rating_class(view["Rating"]),
                        caption="Work with victims: ratings and how likely each is")]
    if len(answered):
        cuts = rating_thresholds(fw)
        view = pd.DataFrame({
            "Question": [f"{wording.get(q, '')} ({q})" for q in answered["question_id"]],
            "Victims' cases": answered["n_applicable"].astype(int),
            "Share Yes": [pct(v, cuts) for v in answered["pct_yes"]],
            f"{confidence:.0%} interval": [pct_range(lo, hi, cuts) for lo, hi in
                                           zip(answered["ci_low"], answered["ci_high"])]})
        parts.append(table_html(view, caption="Questions and checks answered on victims' "
                                              "cases"))
    return "".join(parts)


def _framework_title(framework_id: str) -> str:
    """A framework in words (its title), or its id when it is not installed here."""
    try:
        return load_framework(framework_id).title
    except FrameworkError:
        return framework_id


def comparison_html(comparison: dict | None, fw: Framework) -> str:
    """Where progress compares results across frameworks (approximately, through a mapping)
    and which recorded results could not be compared at all; empty when all are ``fw``'s."""
    if not comparison:
        return ""
    notes = []
    translated = comparison.get("quarters_translated") or {}
    if translated:
        sources = sorted({_framework_title(f) for fws in translated.values() for f in fws})
        notes.append(f"Quarters {', '.join(translated)} were audited under an earlier framework "
                     f"({'; '.join(sources)}); their results are translated into this "
                     "framework's key questions through the mapping between the two, pooling "
                     "where several questions map to one, each group's share weighted by this "
                     "quarter's mix of cases (so that a change of mix alone does not read as a "
                     "change). Comparisons with them are approximate (hollow markers in the "
                     "chart) and they do not count toward a status.")
    if comparison.get("baseline_translated_from"):
        notes.append("The inspection was scored under an earlier framework ("
                     + "; ".join(_framework_title(f) for f in comparison["baseline_translated_from"])
                     + "); its results are "
                     "translated into this framework's key questions, so every comparison with "
                     "the inspection is approximate.")
    for other, questions in sorted((comparison.get("unmapped_questions") or {}).items()):
        notes.append(f"Results recorded under {_framework_title(other)} for "
                     f"{', '.join(questions)} are not compared: they have no counterpart in "
                     "this framework, or were asked on different cases (a victims' check asked "
                     "of children's cases then and of victims' cases now).")
    for other in sorted(comparison.get("left_out") or {}):
        notes.append(f"Results recorded under {_framework_title(other)} are not shown: there is "
                     "no mapping from it to this framework, so they cannot be compared.")
    if not notes:
        return ""
    return ('<div class="comparison"><h3>Comparing across frameworks</h3>'
            + "".join(f"<p>{escape(n)}</p>" for n in notes) + "</div>")


def progress_html(progress: pd.DataFrame | None, trend: pd.DataFrame | None,
                  fw: Framework, checks: Framework, comparison: dict | None = None,
                  charts: list[bytes] | None = None) -> str:
    """Per question: improved since the inspection, and held; the trend charts the progress
    step drew in A4-sized parts (``charts``: trend.png, trend_2.png ...), or drawn here in such
    parts when they are missing or do not fit a page (a run of an older case-audit)."""
    if progress is None:
        return ("<p>Progress since the inspection could not be assessed: no baseline or "
                "earlier quarters were given.</p>")
    quarters = progress["sustained_quarters"].dropna() if "sustained_quarters" in progress else []
    parts = [comparison_html(comparison, fw),
             "<p>" + statuses_explained(int(quarters.iloc[0]) if len(quarters) else None)
             + "</p>",
             false_calls_sentence(progress),
             table_html(progress_view(progress, fw, checks),
                        caption="Each key question and local check since the inspection")]
    if trend is not None and len(trend):
        keys = trend.loc[trend["question_id"].isin([q.id for q in fw.questions])].copy()
        cuts = rating_thresholds(fw)
        rough = keys["approximate"].astype(str).eq("True") if "approximate" in keys else False
        keys["shown"] = [pct(v, cuts) + (" (approx.)" if r else "")
                         for v, r in zip(keys["pct_yes"], rough if len(keys) else [])]
        data = keys.pivot_table(index="question_id", columns="period_label", values="shown",
                                aggfunc="first", sort=False)
        wording = {q.id: f"{clean(q.text)} ({q.id})" for q in fw.questions}
        data.index = [wording.get(q, q) for q in data.index]
        data = data.reset_index().rename(columns={"index": "Key question"})
        statuses = progress["status"].value_counts()
        from audit_lib.trends.charts import trend_parts  # matplotlib: only when there are charts

        groups = trend_parts([q.id for q in fw.questions if q.id in set(keys["question_id"])])
        charts = charts or []
        pages = (list(zip(charts, groups)) if len(charts) == len(groups)
                 and all(fits_a_page(png) for png in charts) else trend_pages(keys, fw))
        for i, (png, questions) in enumerate(pages, start=1):
            part = f" (part {i} of {len(pages)}: {questions[0]} to {questions[-1]})" if len(
                pages) > 1 else ""
            alt = ("Small charts, one per key question, of the share answered Yes each "
                   "quarter with the inspection baseline and the target. Since the "
                   "inspection: " + "; ".join(f"{n} {s}" for s, n in statuses.items()) + ".")
            last = i == len(pages)
            parts.append(figure_html(png, alt, "Each key question quarter by quarter, with the "
                                     "inspection baseline (dashed), the target (solid) and the "
                                     "inspection's date (dotted); the line breaks at a missing "
                                     "quarter and at a change of framework" + part,
                                     data if last else None,
                                     "Share answered Yes by quarter"))
    return "".join(parts)


def fits_a_page(png: bytes) -> bool:
    """Whether a chart prints on an A4 page at the size it was drawn."""
    from audit_lib.chart_style import PRINT_HEIGHT_IN, PRINT_WIDTH_IN

    size = png_inches(png)
    return size is not None and size[0] <= PRINT_WIDTH_IN and size[1] <= PRINT_HEIGHT_IN


def trend_pages(trend: pd.DataFrame, fw: Framework) -> list[tuple[bytes, list[str]]]:
    """The trend small multiples drawn in A4-sized parts: (PNG, the questions it shows)."""
    from audit_lib.chart_style import png_bytes
    from audit_lib.trends.charts import trend_charts, trend_parts

    questions = [q.id for q in fw.questions if q.id in set(trend["question_id"])]
    return [(png_bytes(figure), part) for (_, figure), part in
            zip(trend_charts(trend, fw), trend_parts(questions))]


# --- What the evidence says --------------------------------------------------------------------


def themes_html(triangulated: dict, heatmap: bytes | None) -> str:
    """Per theme: what the inspection found, the strengths and the areas for development, as
    lists (each recommendation's sign-off is in the recommendations section, said once); then
    the evidence grid, as a table that prints (the coloured chart is for the screen)."""
    themes = triangulated.get("themes")
    assurance = triangulated.get("assurance")
    if themes is None or assurance is None:
        return "<p>Triangulation was not run for this period.</p>"
    parts = []
    for theme in themes.to_dict("records"):
        parts.append(
            f"<h3>{escape(theme['theme'])}</h3>"
            f"<h4>What the inspection found</h4>{lines_html(theme['original_finding'])}"
            f"<h4>Strengths</h4>{lines_html(theme['strengths'])}"
            f"<h4>Areas for development</h4>{lines_html(theme['areas_for_development'])}")
    matrix = triangulated.get("triangulation_matrix")
    if matrix is not None:
        from audit_lib.report.recommendations_view import grid_table

        grid = grid_table(matrix, assurance)
        caption = "Evidence items by recommendation and kind of source"
        if heatmap:
            parts.append(figure_html(heatmap, "Grid of recommendations by kind of source, each "
                                     "cell counting the evidence items for, against or mixed, "
                                     "and coloured by which way that kind of source points.",
                                     "Which way each kind of evidence points, per "
                                     "recommendation (the table below gives every figure)",
                                     screen_only=True))
        parts.append(table_html(grid, caption=caption))
    return "".join(parts)


# --- Returns, the sample, precision ---------------------------------------------------------------


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def returns_html(returns: pd.DataFrame | None, conflicts: pd.DataFrame | None,
                 checks: Framework, gaps: pd.DataFrame | None = None) -> str:
    """Whether every sampled case came back with every answer, and dates in case records that
    contradict a reviewer's answer (counts only: the cases are listed for the QA officer)."""
    parts = [gaps_html(gaps)]
    if returns is None:
        parts.append("<p>The answers were scored as given: no sample was drawn in this run to "
                     "check the returns against.</p>")
    else:
        counts = {c: int(returns[c].sum()) for c in ("not returned",
                                                      "returned by another reviewer",
                                                      "not in the sample") if c in returns}
        said = {"not returned": "{} assigned {} not returned by the reviewer {} went to",
                "returned by another reviewer": "{} {} returned by a reviewer {} was not "
                                                "assigned to",
                "not in the sample": "{} returned {} not in the sample{}"}
        lines = []
        for column, n in counts.items():
            if n:
                case = "case was" if n == 1 else "cases were"
                lines.append(said[column].format(n, case, "it" if n == 1 else "they")
                             if column != "not in the sample" else
                             said[column].format(n, case, ""))
        parts.append("<p>" + ("Every sampled case was returned by the reviewer it was assigned "
                              "to." if not lines else
                              _sentence("; ".join(lines)) + " (see the table: one case can "
                              "appear under two reviewers).") + "</p>")
        parts.append(table_html(returns.rename(columns=lambda c: c.replace("_", " ").capitalize()),
                                caption="Cases assigned to each reviewer, and any gaps"))
    if conflicts is None or conflicts.empty:
        parts.append("<p>No answer worked out from the dates in the case records contradicts a "
                     "reviewer.</p>")
    else:
        text = {q.id: clean(q.text) for q in checks.questions}
        counts = conflicts.groupby("question_id").size().rename("Cases").reset_index()
        counts["question_id"] = counts["question_id"].map(
            lambda q: f"{text.get(q, '')} ({q})")
        counts = counts.rename(columns={"question_id": "Check"})
        parts.append(f"<p>{len(conflicts)} answer(s) worked out from the dates in the case "
                     "records contradict the reviewer. The reviewer's answer was scored; the QA "
                     "officer checks each case from the conflicts list.</p>"
                     + table_html(counts, caption="Answers from dates that contradict a "
                                                   "reviewer, by check"))
    return "".join(parts)


def sample_html(sampling: dict, fw: Framework) -> str:
    """How the sample was drawn, and whether its make-up matches the caseload."""
    info = sampling.get("sampling")
    if not info:
        return "<p>No sample was drawn in this run: the answers were scored as given.</p>"
    total = info["total"]
    strata = ", ".join(column_words(s) for s in info["strata"]) or "nothing"
    scope = ("across the whole children's caseload" if info.get("whole_caseload")
             else "within each type of disposal")
    text = (f"<p>{total['sample']} of {total['population']} children's cases were sampled at "
            f"random (seed {escape(info['seed'])}), stratified by {escape(strata)} {scope}. "
            f"{info.get('double_marked', 0)} cases were double-marked for moderation.</p>")
    if info.get("left_out"):  # sampling.exclude_audited_quarters
        text += (f"<p>Cases audited in recent quarters were left out: "
                 f"{escape(info['left_out']['summary'])}.</p>")
    diversion = info.get("diversion") or {}
    if diversion.get("note"):  # how this framework counts diversion (its file says)
        text += f"<p>{escape(diversion['note'])}</p>"
    victims = info.get("victims_sample")
    if victims and victims.get("drawn"):
        text += (f"<p>Victims' cases are a unit of audit of their own: {victims['sample']} of "
                 f"{victims['population']} were sampled at random (between "
                 f"{victims['minimum']} and {victims['maximum']}); "
                 f"{victims.get('double_marked', 0)} were double-marked.</p>")
    elif victims:
        text += f"<p>Victims' cases: {escape(victims.get('note', 'not sampled'))}.</p>"
    rep = sampling.get("representativeness")
    if rep is None or not len(rep):
        return text
    tests = rep.loc[rep["variable"] != "disposal_group"].drop_duplicates(
        ["disposal_group", "variable"])
    if not len(tests):
        return text
    view = pd.DataFrame({
        "Type of disposal": tests["disposal_group"].map(fw.group_label),
        "Characteristic": tests["variable"].map(column_words),
        "Adjusted p": tests["chi_square_p_bh"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
        "Note": tests["note"].fillna("")})
    return (text + "<p>Is the sample like the caseload? For each characteristic the sample "
            "was not stratified on, a chi-square test compares the sample's make-up with the "
            "caseload's, with p-values adjusted for the number of tests. " + BALANCE_WORDS
            + "</p>"
            + table_html(view, caption="The sample's make-up against the caseload's"))


def precision_html(sampling: dict, key_questions: pd.DataFrame, fw: Framework,
                   confidence: float) -> str:
    """How precise the figures are, honestly: per disposal group, the interval a share of 50%
    would have from the cases sampled, worked out as every interval in the report is (Wilson,
    at the report's confidence, about the service's practice, no finite-population
    correction); and per key question (N/A answers shrink some denominators further)."""
    info = sampling.get("sampling") or {}
    parts = []
    groups = info.get("groups") or []
    if groups:
        rows = []
        label = f"A 50% share would read (at {confidence:.0%})"
        for g in groups:
            n, N = int(g["sample"]), int(g["population"])
            rows.append({
                "Type of disposal": ("All children's cases" if info.get("whole_caseload")
                                     else fw.group_label(g["disposal_group"])),
                "Cases in the caseload": N, "Cases sampled": n, label: interval_at_half(n)})
        victims = info.get("victims_sample") or {}
        if victims.get("drawn") and victims.get("population"):
            n, N = int(victims["sample"]), int(victims["population"])
            rows.append({"Type of disposal": "Victims' cases", "Cases in the caseload": N,
                         "Cases sampled": n, label: interval_at_half(n)})
        parts.append(
            f"<p>The sample was sized, as the inspection method sizes its samples, at "
            f"{info['confidence']:.0%} confidence for a margin of "
            f"{100 * float(info.get('margin') or 0):g} points about this quarter's caseload, "
            + ("for the whole caseload. " if info.get("whole_caseload") else
               "separately for each type of disposal. ")
            + f"Every interval in this report is shown at {confidence:.0%} confidence and "
            "describes the service's practice (the way cases are worked), not only this "
            "quarter's caseload, so the table shows each sample's precision the same way: the "
            "interval a share of 50% would have."
            + ("" if info.get("whole_caseload") else
               " Key questions are answered within one type of disposal; local checks asked of "
               "both are weighted to the caseload (each type of disposal by its caseload over "
               "its sample), so that neither counts for more than its share of the cases.")
            + "</p>"
            + table_html(pd.DataFrame(rows), caption="Precision by type of disposal"))
    kq = key_questions.loc[key_questions["n_applicable"] > 0]
    if len(kq):
        width = kq["ci_high"] - kq["ci_low"]
        widest, narrowest = kq.loc[width.idxmax()], kq.loc[width.idxmin()]
        parts.append(
            f"<p>Key questions are less precise where some cases were not applicable: each key "
            f"question's {confidence:.0%} interval is in the key-question table, from "
            f"{width.min():.0f} points wide ({escape(narrowest['question_id'])}) to "
            f"{width.max():.0f} points wide ({escape(widest['question_id'])}, "
            f"{int(widest['n_applicable'])} applicable cases).</p>")
    return "".join(parts)
