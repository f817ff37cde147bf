"""The paper's glossary: every term a board member may not know, explained once, and linked from
the place the paper first uses it.

Each entry names the forms it covers (`Entry.forms`, matched as whole words in any case); the
paper links the first use of each (`link_first_uses`), never inside a heading, a caption, a
table's header, a link or the front sheet. A test reads the paper for the terms of the trade
and checks that each is covered here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit_lib.report.html import escape, slug
from audit_lib.scoring.likelihood import likelihood_settings
from audit_lib.settings import load_settings


@dataclass(frozen=True)
class Entry:
    """A term, what it means, and the words that use it."""

    term: str
    text: str
    forms: tuple[str, ...]
    match_case: bool = False

    @property
    def anchor(self) -> str:
        return "gl-" + slug(self.term)

    def pattern(self) -> re.Pattern:
        """The forms as whole words in a page's (escaped) text, any case unless `match_case`."""
        forms = sorted(self.forms, key=len, reverse=True)
        alternatives = "|".join(re.escape(f).replace("'", "(?:'|&\\#x27;|\u2019)")
                                for f in forms)
        return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])",
                          flags=0 if self.match_case else re.IGNORECASE)


def entries() -> list[Entry]:
    """The glossary, in alphabetical order, its figures from the settings."""
    certain = likelihood_settings().certain
    progress = load_settings("progress")
    age = load_settings("triangulation")["evidence_age"]["max_months"]
    items = [
        Entry("Assurance (substantial, reasonable, limited, no assurance)",
              "How confident the evidence lets the board be that a recommendation has been "
              "addressed, in the terms UK public-sector internal audit uses.",
              ("substantial assurance", "reasonable assurance", "limited assurance",
               "no assurance", "assurance level", "assurance levels")),
        Entry("Assumed rule",
              "A rating rule the Inspectorate has not published for this framework; the "
              "earlier framework's rule is used until a QA lead confirms it, so the ratings it "
              "gives are indicative.", ("assumed rule", "assumed rules", "assumed")),
        Entry("As at", "The date on which due dates and actions are judged: an action due "
              "before it and not done is overdue.", ("as at",)),
        Entry("Baseline", "The inspection's own results, which progress is measured against.",
              ("baseline",)),
        Entry("[c]", "A figure hidden to protect the children it describes, because it counts "
              "fewer children than the disclosure threshold, or because a hidden figure could be "
              "worked out from it.", ("[c]",)),
        Entry("Cases needed", "How many cases a quarter's sample would need for the "
              f"rating to be settled (at least {certain:.0%} likely) with a good chance, "
              "allowing for answers that do not apply; never more than the caseload (then: "
              "audit every case). A planning figure for the next sample.",
              ("cases needed", "more cases would tell")),
        Entry("Certain", f"A rating at least {certain:.0%} likely (a setting the board can "
              "change).", ("certain",)),
        Entry("Chi-square test", "A test of whether the sample's make-up (for example by "
              "ethnicity) differs from the caseload's by more than chance would.",
              ("chi-square",)),
        Entry("Corroborated, contested, single source",
              "Corroborated: at least two independent kinds of source agree and none strongly "
              "disagrees. Contested: kinds of source disagree. Single source: too few kinds of "
              "source to corroborate.", ("corroborated", "contested", "single source")),
        Entry("Double-marked, moderation",
              "A share of cases is read by a second reviewer without seeing the first's "
              "answers; comparing the two (moderation) shows how consistently the questions "
              "are answered.", ("double-marked", "double-marking", "moderation", "second mark",
                                "second reviewer")),
        Entry("Evidence register", "The list of evidence items (documents, interviews, focus "
              "groups, observations, surveys, performance data) for each recommendation, each "
              f"dated and weighted. An item more than {age} months old at the quarter's end "
              "counts one step weaker.", ("evidence register", "evidence item",
                                          "evidence items", "kind of source", "kinds of source")),
        Entry("Financial year", "The service's year for budgets and plans, 1 April to 31 March "
              "unless the board's config says otherwise: Q1 2026-27 is April to June 2026.",
              ("financial year",)),
        Entry("How likely", "The probability, given the cases read, that the true share lies "
              "in a rating band; put in words from the UK government's probability yardstick "
              "(almost certain 95% or more, highly likely 80%, likely 55%, a realistic "
              "possibility 40%, unlikely 25%).",
              ("how likely", "almost certain", "highly likely", "realistic possibility",
               "probability yardstick")),
        Entry("Improved, declined, no clear change",
              "Improved: the last quarters together are above the inspection's share by a "
              "test that allows for the number of questions read at once (at most "
              f"{progress['false_discovery_rate']:.0%} of the changes called are expected to be "
              "chance), the latest quarter is above it too, no quarter is credibly below it, "
              "and, where the change is shown with its interval, the whole interval is above "
              "zero. Declined: the same, downwards. No clear change: neither.",
              ("improved", "declined", "no clear change")),
        Entry("Interval", "The range the true share probably lies in, given that only a sample "
              "of cases was read (95% confidence unless a table says otherwise).",
              ("interval", "intervals", "confidence")),
        Entry("Judged from evidence", "Rated by the service's reviewers from documents and "
              "meetings rather than case files, as the inspection rates organisational "
              "standards; the rating is taken as given, with no probability.",
              ("judged from evidence", "judged standards", "judged standard")),
        Entry("Kappa, Krippendorff's alpha, PABAK",
              "Measures of how far two reviewers agree beyond what chance alone would give: 1 is "
              "perfect agreement, 0 no better than chance. PABAK adjusts kappa for answers that "
              "are nearly all one kind.", ("kappa", "Krippendorff's alpha", "PABAK")),
        Entry("Key question, local check, standard",
              "The inspection standards are rated from key questions answered on each case "
              "file (a standard takes the rating of its lowest key question); local checks are "
              "the service's own questions with their own targets.",
              ("key question", "key questions", "local check", "local checks")),
        Entry("Maintained at target", "At target at the inspection and still at target.",
              ("maintained at target",)),
        Entry("Margin of error", "Half the width of an interval: how far the true share may be "
              "from the share found, in percentage points.", ("margin", "margins")),
        Entry("OFFICIAL", "The government security classification for routine public-sector "
              "business; this paper holds no personal data.", ("OFFICIAL", "OFFICIAL-SENSITIVE"),
              match_case=True),
        Entry("Percentage points", "The difference between two percentages: from 50% to 60% "
              "is 10 percentage points.", ("percentage points", "percentage point")),
        Entry("Adjusted p-value", "A test result corrected for the number of comparisons made "
              "at once, so that chance differences are not reported as findings.",
              ("adjusted p", "p-value", "p-values")),
        Entry("Pseudonymised case reference", "The code a case is known by in the audit, "
              "never a name; the QA officer alone can link it to the case record.",
              ("pseudonymised", "case reference", "case references")),
        Entry("Public Sector Equality Duty", "The duty of public bodies (Equality Act 2010, "
              "section 149) to have due regard to eliminating discrimination and advancing "
              "equality of opportunity between people who share a protected characteristic "
              "and those who do not.", ("Public Sector Equality Duty",)),
        Entry("Reviewer day", "A reviewer's working day, "
              f"{load_settings('report')['reviewer_day_hours']:g} hours: the unit the cost of a "
              "sample is given in.", ("reviewer day", "reviewer days")),
        Entry("Self-audit", "The service's own reviewers read a random sample of its case files "
              "against the inspection's questions. Reviewers may mark more generously than "
              "inspectors would.", ("self-audit",)),
        Entry("Sign-off (can be signed off, keep under review, not addressed)",
              "What the evidence lets the board do with a recommendation: close it, look again "
              "at the next review, or ask for a plan.",
              ("sign-off", "signed off", "sign off", "keep under review", "not addressed")),
        Entry("Stratified sample", "A random sample drawn separately within groups (for "
              "example by sex and risk level) so that each group is represented in proportion.",
              ("stratified",)),
        Entry("Sustained", "An improvement that held: improved, over the last quarters in a "
              "row, each with enough cases, none credibly below the inspection's share or the "
              "target, not probably falling, and together at target.", ("sustained",)),
        Entry("On the line", "Another rating is as likely as the one the Inspectorate's rule "
              "gives, or likelier; both are shown.", ("on the line",)),
        Entry("Not comparable", "The inspection was scored under another framework: its "
              "figures are shown, but no change is claimed.", ("not comparable",)),
        Entry("Triangulation", "Weighing several independent kinds of evidence about one "
              "recommendation, so that no single source decides it.",
              ("triangulation", "triangulated")),
        Entry("Type of disposal", "Court disposals (orders made by a court) or out-of-court "
              "disposals (cautions and community resolutions decided without a court).",
              ("type of disposal", "court disposals", "out-of-court disposal",
               "out-of-court disposals", "out-of-court")),
        Entry("Work with children, work with victims",
              "The 2025 framework's standards: work with children combines court, out-of-court, "
              "resettlement and bail and remand work; work with victims is judged on a separate "
              "sample of victims' cases and from evidence of the service's arrangements.",
              ("work with children", "work with victims", "victims' cases")),
    ]
    return sorted(items, key=lambda e: e.term.lower().lstrip("["))


def glossary_html() -> str:
    """The glossary as a description list, each term an anchor the paper links to."""
    items = "".join(f'<dt id="{e.anchor}">{escape(e.term)}</dt><dd>{escape(e.text)}</dd>'
                    for e in entries())
    return f'<dl class="glossary">{items}</dl>'


#: Elements whose text is never linked: headings, table captions and headers (they name
#: things), links, labels of lists, the contents.
_SKIP = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "summary", "dt", "time", "style", "script",
         "nav", "thead", "caption"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")


def link_first_uses(html: str, until: str = 'id="glossary"') -> str:
    """Link the first use of each glossary term in ``html`` to its entry (up to ``until``, the
    glossary itself). Text is changed only between tags, outside `_SKIP` elements and table
    captions, so no attribute or heading is touched."""
    end = html.find(until)
    head, tail = (html, "") if end < 0 else (html[:end], html[end:])
    # Longest forms first, so "almost certain" is not taken for "certain".
    todo = sorted(((e, e.pattern()) for e in entries()),
                  key=lambda item: -max(len(f) for f in item[0].forms))
    out, stack, at = [], [], 0
    for match in _TAG.finditer(head):
        text = head[at:match.start()]
        if text and todo and not (set(stack) & _SKIP):
            text = _link(text, todo)
        out.append(text)
        out.append(match.group(0))
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if name in ("br", "img", "meta", "link", "input", "hr") or attrs.endswith("/"):
            pass
        elif closing:
            while stack and stack.pop() != name:
                pass
        else:
            stack.append("caption" if 'class="table-caption"' in attrs else name)
        at = match.end()
    rest = head[at:]
    out.append(_link(rest, todo) if rest and todo and not stack else rest)
    return "".join(out) + tail


def _link(text: str, todo: list) -> str:
    """Link, in one piece of text, the first use of each term not yet linked (longest forms
    first, so "maintained at target" is not taken for "target")."""
    spans: list[tuple[int, int, Entry]] = []
    for entry, pattern in list(todo):
        for found in pattern.finditer(text):
            if any(s < found.end() and found.start() < e for s, e, _ in spans):
                continue
            spans.append((found.start(), found.end(), entry))
            todo.remove((entry, pattern))
            break
    if not spans:
        return text
    pieces, at = [], 0
    for start, end, entry in sorted(spans, key=lambda s: s[0]):
        pieces += [text[at:start], f'<a class="term" href="#{entry.anchor}">{text[start:end]}'
                                   "</a>"]
        at = end
    return "".join(pieces) + text[at:]
