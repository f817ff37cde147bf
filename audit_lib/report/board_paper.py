"""The board paper: a quarter's run read back and written as a paper a board secretary tables.

A front sheet (`audit_lib.report.front_sheet`) and page one (`audit_lib.report.summary`) on
one A4 page, to decide from; then the body, each section a call into
`audit_lib.report.board_sections` or its neighbours, the implications, the background papers;
then appendices a peer reviewer traces every rating and sign-off from. The page is
self-contained (charts embedded, nothing fetched), written to WCAG 2.2 AA (headings in order,
named tables and charts, their data as tables, a glossary linked from each term's first use)
and prints as a board paper: A4, the protective marking on every page, bookmarks from the
headings (`audit_lib.report.pdf`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from audit_lib.frameworks import Framework, load_checks, load_framework
from audit_lib.report import appendix as ap
from audit_lib.report import board_sections as bs
from audit_lib.report.asks import measure_lines
from audit_lib.report.front_sheet import (
    BoardSettings,
    front_sheet_html,
    marking_css,
    period_names,
    read_board,
)
from audit_lib.report.glossary import glossary_html, link_first_uses
from audit_lib.report.html import escape, list_html
from audit_lib.report.implications import (
    data_protection,
    equality,
    financial,
    implications_html,
    risk,
    safeguarding,
)
from audit_lib.report.names import clean, plain_names, standard_title
from audit_lib.report.readings import (
    band_rank,
    got_worse,
    judged_share,
    question_readings,
    ratings_then,
    standard_readings,
    worked_out_ratings,
)
from audit_lib.report.recommendations_view import recommendations_html
from audit_lib.report.sample_advice import sample_advice
from audit_lib.report.summary import page_one
from audit_lib.trends.baseline import Inspection
from audit_lib.triangulation.evidence_age import max_age_months

logger = logging.getLogger(__name__)


@dataclass
class BoardPaper:
    """The paper's title (for the page and its PDF), its HTML, and what page one asks."""

    title: str
    html: str
    purpose: str = ""


def read_run(run_dir: str | Path) -> dict[str, dict]:
    """Every table and JSON file a quarter's run wrote, by step folder."""
    run = Path(run_dir)
    folders = {"scores": run / "scores", "moderation": run / "scores" / "moderation",
               "pooled": run / "scores" / "moderation" / "pooled", "sampling": run / "sampling",
               "progress": run / "progress", "triangulation": run / "triangulation"}
    out = {name: bs.read_tables(folder) for name, folder in folders.items()}
    out["run"] = bs.read_tables(run)
    return out


def _png(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _trend_charts(run: Path) -> list[bytes]:
    """The progress step's trend charts, in their parts' order (trend.png, trend_2.png ...)."""
    from audit_lib.trends.charts import trend_part_names  # matplotlib, only for the paper

    found = []
    for name in trend_part_names(len(list((run / "progress").glob("trend*.png")))):
        png = _png(run / "progress" / name)
        if png is None:
            break
        found.append(png)
    return found


def board_paper(run_dir: str | Path, *, service: str, period_label: str, period_end: str,
                framework: str, confidence: float, board: dict | None = None,
                period: str = "") -> BoardPaper:
    """Write the board paper for a finished quarter's run.

    Parameters
    ----------
    run_dir : path
        The run's folder (the sampling, scores, progress and triangulation steps' results).
    service, period_label : str
        The service's name and the quarter's label, as the board knows them.
    period_end : str
        The quarter's last day (YYYY-MM-DD): evidence is aged at it.
    framework : str
        Framework id or file.
    confidence : float
        Confidence level of the intervals shown.
    board : dict, optional
        The period config's ``board:`` section (`audit_lib.report.front_sheet`): the front
        sheet, the "as at" date due dates are judged on, implications, reviewer time.
    period : str
        The period's key (names its internal folder, for the tracing appendix).

    Returns
    -------
    BoardPaper

    Raises
    ------
    ConfigError
        If ``board`` holds a setting that is wrong (each named).
    """
    run = Path(run_dir)
    fw: Framework = load_framework(framework)
    checks = load_checks()
    end = dt.date.fromisoformat(str(period_end))
    settings = read_board(board, end)
    periods = period_names(end, settings.financial_year_start_month)
    limit = max_age_months()
    tables = read_run(run)
    scores, tri = tables["scores"], tables["triangulation"]
    progress = tables["progress"].get("progress")
    inspection = Inspection.from_json(tables["progress"].get("inspection"))
    overall = scores.get("overall", {})
    standards = scores["standards"]
    gaps = scores.get("gaps")  # answers missing, when the QA officer allowed gaps
    assurance, evidence = tri.get("assurance"), tri.get("evidence")
    advice = sample_advice(tables["sampling"].get("sampling"), standards, fw, settings)
    # (anchor, heading, the short name the front sheet lists it by, body)
    appendix = [
        ("evidence", "The evidence register", "Evidence register",
         ap.evidence_register_html(evidence, end, limit)),
        ("judgements", "Standards judged from evidence: on what, by whom, when",
         "Judged standards",
         ap.judgements_html(scores.get("judgements"), fw, evidence, end, limit,
                            judged_share(overall, standards, fw), overall)),
        ("targets", "The target of every measure", "Targets",
         ap.targets_html(tri.get("targets"))),
        ("rules", "Rating rules, settings and assumptions", "Rules and assumptions",
         ap.rules_html(fw, overall, tables["sampling"], confidence,
                       inspection_check(inspection, progress, fw))),
        ("tracing", "Tracing a rating to its cases", "Tracing to cases",
         ap.tracing_html(period or period_label)),
        ("method", "Method", "Method",
         ap.method_html(fw, overall, scores.get("prior_sensitivity"))),
        ("glossary", "Glossary", "Glossary", glossary_html()),
        ("provenance", "What produced this report", "Provenance",
         ap.provenance_html(tables["run"].get("manifest", {}), fw, confidence)),
    ]
    lettered = [(chr(ord("A") + i), key, heading, short, body)
                for i, (key, heading, short, body) in enumerate(appendix)]
    agreement = tables["moderation"].get("agreement")
    page = page_one(overall=overall, standards=standards, progress=progress,
                    assurance=assurance, evidence=evidence, fw=fw, board=settings,
                    period_end=end, inspection=inspection, advice=advice,
                    judgements=scores.get("judgements"), gaps=gaps, periods=periods,
                    inspection_ratings=tables["progress"].get("inspection_ratings"),
                    agreement=agreement)
    names = plain_names(fw)
    lines = measure_lines(evidence, question_readings(progress), names, fw)
    worse = got_worse(question_readings(progress), ratings_then(inspection, progress, fw),
                      {k: v for k, v in standard_readings(standards, fw).items()
                       if fw.standard(k).rated}, fw, names,
                      {s.id: standard_title(fw, s.id, short=True) for s in fw.standards})
    threshold = (tables["moderation"].get("suppression") or {}).get("threshold")
    implications = implications_html(settings, {
        "financial": financial(advice, settings),
        "equality": equality(tables["pooled"].get("pooled"), fw, threshold),
        "safeguarding": safeguarding(scores["key_questions"], fw),
        "data_protection": data_protection(threshold),
        "risk": risk(assurance, standards, len(worse)),
    })
    sections = [
        ("ratings", "How good is the case work, and how sure can we be?",
         bs.ratings_html(standards, scores["key_questions"], fw, confidence,
                         _png(run / "scores" / "standards_likelihood.png"), gaps, agreement)),
        ("progress", "Made and sustained? Progress since the inspection",
         bs.progress_html(progress, tables["progress"].get("trend"), fw, checks,
                          tables["progress"].get("comparison"), _trend_charts(run))),
        ("recommendations", "The inspection's recommendations: sign-off, owner and date",
         recommendations_html(assurance, evidence, lines, settings.as_at(end), limit)),
        ("victims", "Work with victims", bs.victims_html(scores, fw, confidence)),
        ("themes", "What the evidence says, theme by theme",
         bs.themes_html(tri, _png(run / "triangulation" / "triangulation_heatmap.png"))),
        ("key-questions", "Every key question",
         bs.key_questions_html(scores["key_questions"], fw, confidence,
                               _png(run / "scores" / "key_questions.png"), gaps)),
        ("local-checks", "Local checks: out-of-court decisions, risk plans, victim contact",
         bs.local_checks_html(scores.get("local_checks"), checks,
                              _png(run / "scores" / "local_checks.png"), gaps)),
        ("returns", "Did every case come back? Returns and dates that disagree",
         bs.returns_html(scores.get("returns"), scores.get("conflicts"), checks, gaps)),
        ("sample", "The sample, and how precise the figures are",
         bs.sample_html(tables["sampling"], fw)
         + bs.precision_html(tables["sampling"], scores["key_questions"], fw, confidence)),
        ("moderation", "Do reviewers agree? Practice by group of children",
         bs.moderation_html(tables["moderation"], fw, checks, tables["pooled"].get("pooled"))),
        ("implications", "Implications", implications),
        ("background", "Background papers",
         list_html(background_papers(settings, inspection, tri, fw))),
    ]
    title = settings.title or "Case audit assurance report"
    subtitle = ", ".join(x for x in (service, periods.both()) if x)
    head = front_sheet_html(settings, title=title, subtitle=subtitle, purpose=page.purpose,
                            periods=periods, period_end=end,
                            appendices=[(letter, key, short)
                                        for letter, key, _, short, _ in lettered])
    html = _page(settings, head, page.html, sections, lettered)
    full_title = f"{title}: {service}, {period_label}" if service else f"{title}: {period_label}"
    return BoardPaper(full_title, html, page.purpose)


def inspection_check(inspection: Inspection, progress, fw: Framework
                     ) -> list[tuple[str, str, str]]:
    """Where this framework's rules, applied to the inspection's own figures and published
    standard ratings, give another rating than the one it published."""
    if inspection.framework not in ("", fw.id) or not (inspection.ratings or inspection.overall):
        return []
    out = []
    for sid, worked in worked_out_ratings(progress, fw).items():
        published = inspection.ratings.get(sid)
        if published and band_rank(fw, worked) is not None and worked != published:
            out.append((f"{sid} {clean(fw.standard(sid).title)}",
                        f"{worked} from its own figures", published))
    counted = [s for s in fw.standards if s.counts_toward_overall]
    if inspection.overall and all(s.id in inspection.ratings for s in counted):
        score = sum(fw.points.get(inspection.ratings[s.id], 0) for s in counted)
        band = next((b.rating for b in fw.overall_bands if b.low <= score <= b.high), None)
        if band and band != inspection.overall:
            out.append(("The overall rating", f"{band} ({score} of {fw.max_score} points from "
                        "its published standard ratings)", inspection.overall))
    return out


def background_papers(board: BoardSettings, inspection: Inspection, tri: dict,
                      fw: Framework) -> list[str]:
    """The papers this one draws on: the config's list, or the inspection report, the
    registers and the framework by default."""
    if board.background_papers:
        return list(board.background_papers)
    papers = []
    if inspection.date:
        papers.append(f"The inspection report of {inspection.date:%B %Y}, whose results and "
                      "ratings this paper is measured against.")
    else:
        papers.append("The inspection report this paper's baseline is taken from.")
    if tri.get("assurance") is not None:
        papers.append("The recommendations register (the inspection's recommendations, their "
                      "owners, due dates and measures) and the evidence register, held by the "
                      "quality assurance lead.")
    papers.append(f"{clean(fw.title)}: the standards and rating rules used.")
    papers.append("The reviewers' returned workbooks and the case-level table, held internally "
                  "by the quality assurance lead (never published).")
    return papers


def _page(board: BoardSettings, head: str, summary: str, sections, appendix) -> str:
    sections = [section for section in sections if section[2]]  # e.g. no work with victims
    contents = "".join(f'<li><a href="#{key}">{escape(heading)}</a></li>'
                       for key, heading, _ in sections)
    contents += "".join(f'<li><a href="#{key}">Appendix {letter}: {escape(heading)}</a></li>'
                        for letter, key, heading, _, _ in appendix)
    parts = [marking_css(board), head,
             '<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary for '
             f"the board</h2>{summary}</section>",
             f'<nav aria-label="Contents" class="contents"><h2 id="contents-h">Contents</h2>'
             f"<ol>{contents}</ol></nav>"]
    for key, heading, body in sections:
        parts.append(f'<section id="{key}" aria-labelledby="{key}-h"><h2 id="{key}-h">'
                     f"{escape(heading)}</h2>{body}</section>")
    parts.append('<section id="appendix" class="appendix" aria-labelledby="appendix-h">'
                 '<h2 id="appendix-h">Appendices for peer reviewers</h2>')
    for letter, key, heading, _, body in appendix:
        parts.append(f'<section id="{key}" aria-labelledby="{key}-h"><h3 id="{key}-h">'
                     f"Appendix {letter}: {escape(heading)}</h3>{body}</section>")
    parts.append("</section>")
    return '<div class="board-paper">' + link_first_uses("".join(parts)) + "</div>"
