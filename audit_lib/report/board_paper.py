"""The board paper: a quarter's run read back and written for a partnership board, in one page.

Page one is a summary a board member can decide from (`audit_lib.report.summary`); then the
sections, each a call into `audit_lib.report.board_sections`; then an appendix a peer reviewer
can trace every rating from. The page is self-contained (charts embedded, nothing fetched) and
written to WCAG 2.2 AA: headings in order, captions and row headers on every table, real lists,
charts with alt text that states the finding and their data as a table, and print rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from audit_lib.frameworks import Framework, load_checks, load_framework
from audit_lib.report import appendix as ap
from audit_lib.report import board_sections as bs
from audit_lib.report.html import escape
from audit_lib.report.summary import summary_html

logger = logging.getLogger(__name__)


@dataclass
class BoardPaper:
    """The paper's title (for the page and its PDF) and its HTML."""

    title: str
    html: str


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


def board_paper(run_dir: str | Path, *, service: str, period_label: str, period_end: str,
                framework: str, confidence: float) -> BoardPaper:
    """Write the board paper for a finished quarter's run.

    Parameters
    ----------
    run_dir : path
        The run's folder (the sampling, scores, progress and triangulation steps' results).
    service, period_label : str
        The service's name and the quarter's label, as the board knows them.
    period_end : str
        The quarter's last day (YYYY-MM-DD), against which due dates and evidence are dated.
    framework : str
        Framework id or file.
    confidence : float
        Confidence level of the intervals shown.

    Returns
    -------
    BoardPaper
    """
    run = Path(run_dir)
    fw: Framework = load_framework(framework)
    checks = load_checks()
    end = dt.date.fromisoformat(str(period_end))
    tables = read_run(run)
    scores, tri = tables["scores"], tables["triangulation"]
    progress = tables["progress"].get("progress")
    overall = scores.get("overall", {})
    gaps = scores.get("gaps")  # answers missing, when the QA officer allowed gaps
    title = f"Case audit assurance report: {service}, {period_label}" if service else (
        f"Case audit assurance report: {period_label}")
    sections = [
        ("summary", "Summary for the board",
         summary_html(overall=overall, standards=scores["standards"], progress=progress,
                      assurance=tri.get("assurance"), evidence=tri.get("evidence"), fw=fw,
                      period_end=end, confidence=confidence, targets=tri.get("targets"),
                      gaps=gaps, inspection=tables["progress"].get("inspection_ratings"),
                      agreement=tables["moderation"].get("agreement"))),
        ("ratings", "How good is the case work, and how sure can we be?",
         bs.ratings_html(scores["standards"], scores["key_questions"], fw, confidence,
                         _png(run / "scores" / "standards_likelihood.png"), gaps,
                         tables["moderation"].get("agreement"))),
        ("progress", "Made and sustained? Progress since the inspection",
         bs.progress_html(progress, tables["progress"].get("trend"), tri.get("assurance"),
                          tri.get("evidence"), fw, checks, _png(run / "progress" / "trend.png"),
                          tables["progress"].get("comparison"))),
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
    ]
    appendix = [
        ("evidence", "The evidence register", ap.evidence_register_html(tri.get("evidence"), end)),
        ("judgements", "Standards judged from evidence: the reasons",
         ap.judgements_html(scores.get("judgements"), fw)),
        ("targets", "The target of every measure", ap.targets_html(tri.get("targets"))),
        ("rules", "Rating rules and settings", ap.rules_html(fw, overall, tables["sampling"],
                                                            confidence)),
        ("method", "Method", ap.method_html(fw, overall, scores.get("prior_sensitivity"))),
        ("glossary", "Glossary", ap.glossary_html()),
        ("provenance", "What produced this report",
         ap.provenance_html(tables["run"].get("manifest", {}), fw, confidence)),
    ]
    return BoardPaper(title, _page(title, service, period_label, sections, appendix))


def _page(title: str, service: str, period_label: str, sections, appendix) -> str:
    sections = [section for section in sections if section[2]]  # e.g. no work with victims
    contents = "".join(f'<li><a href="#{key}">{escape(heading)}</a></li>'
                       for key, heading, _ in sections + appendix[:1])
    parts = [f'<header class="paper-header"><h1>Case audit assurance report</h1>'
             f'<p class="subtitle">{escape(service + ", " if service else "")}'
             f"{escape(period_label)}</p></header>",
             f'<nav aria-label="Contents" class="contents"><h2 class="visually-hidden">Contents'
             f"</h2><ol>{contents}</ol></nav>"]
    for key, heading, body in sections:
        parts.append(f'<section id="{key}" aria-labelledby="{key}-h"><h2 id="{key}-h">'
                     f"{escape(heading)}</h2>{body}</section>")
    parts.append('<section id="appendix" class="appendix" aria-labelledby="appendix-h">'
                 '<h2 id="appendix-h">Appendix for peer reviewers</h2>')
    for key, heading, body in appendix:
        parts.append(f'<section id="{key}" aria-labelledby="{key}-h"><h3 id="{key}-h">'
                     f"{escape(heading)}</h3>{body}</section>")
    parts.append("</section>")
    return '<div class="board-paper">' + "".join(parts) + "</div>"
