"""The board paper read as a board member, a peer reviewer and a screen reader would.

The paper is built from the demo's results (produced by the command line, as the backtests do)
and rendered through the report template. Structural checks run everywhere; the axe-core
accessibility check, the phone check and the printed PDF run where Chromium (and, for axe,
chromium-driver and the axe-core script) are installed, and are skipped with the reason
otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SAMPLES
from test_backtests import EXPECTED as EXPECTED_DEMO
from test_backtests import produced_demo

from audit_lib.frameworks import load_checks, load_framework
from audit_lib.quarter.render import render_html
from audit_lib.report.board_paper import board_paper
from audit_lib.report.summary import overall_sentence

pytestmark = pytest.mark.slow  # the demo's outputs, a browser and a PDF

CONFIG = yaml.safe_load((SAMPLES / "demo.yaml").read_text(encoding="utf-8"))
AXE_VERSION = "4.14.1"


@pytest.fixture(scope="module")
def paper(shared_outputs):
    run = produced_demo(shared_outputs)
    built = board_paper(run, service=CONFIG["service"], period_label=CONFIG["period_label"],
                        period_end=str(CONFIG["period_end"]), framework=CONFIG["framework"],
                        confidence=0.95)
    return built


@pytest.fixture(scope="module")
def page(paper, tmp_path_factory) -> Path:
    """The paper rendered as the quarter renders notebook 04: the same template and title."""
    folder = tmp_path_factory.mktemp("page")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Case audit assurance report"),
                nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/html": paper.html})])]
    executed = folder / "04_assurance_report.ipynb"
    nbformat.write(nb, executed)
    html = folder / "04_assurance_report.html"
    render_html(executed, html, f"{CONFIG['service']}, {CONFIG['period_label']}")
    return html


class Outline(HTMLParser):
    """Headings, tables, figures and lists of a page, as assistive technology sees them."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.stack: list[str] = []
        self.tables: list[dict] = []
        self.images: list[dict] = []
        self.after_figure: list[str] = []
        self.text: list[str] = []
        self._heading: list[str] | None = None
        self._level = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._level = [], int(tag[1])
        if tag == "table":
            self.tables.append({"caption": False, "col_headers": 0, "row_headers": 0, "rows": 0})
        if tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        if tag == "th" and self.tables:
            key = "col_headers" if attrs.get("scope") == "col" else "row_headers"
            self.tables[-1][key] += 1
        if tag == "tr" and self.tables and "tbody" in self.stack:
            self.tables[-1]["rows"] += 1
        if tag == "img":
            self.images.append(attrs)
        self.after_figure.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._level, "".join(self._heading).strip()))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)
        if not {"style", "script"} & set(self.stack):
            self.text.append(data)


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def body_before_appendix(html: str) -> str:
    return html.split('id="appendix"', 1)[0]


# --- Page 1: what a board member needs -------------------------------------------------------


def test_the_summary_comes_first_and_answers_the_boards_questions(paper):
    sections = re.findall(r'<section id="([a-z-]+)"', paper.html)
    assert sections[0] == "summary"
    summary = paper.html.split('<section id="ratings"', 1)[0]
    text = re.sub(r"<[^>]+>", " ", summary)
    # How good are we, and how sure.
    assert re.search(r"Overall the case work is (Outstanding|Good|Requires improvement|"
                     r"Inadequate) \(\d+ of \d+ points\)\. That it is \w[\w ]* is [a-z ]+ "
                     r"\(\d+%\)", text)
    # Every standard: at the inspection, now, how sure, progress.
    fw = load_framework(CONFIG["framework"])
    for column in ("At the inspection", "Now", "How sure", "Key questions since the inspection"):
        assert f'<th scope="col">{column}</th>' in summary
    for standard in fw.standards:
        assert f"{standard.id} {standard.title}" in text.replace("&amp;", "&")
    # What the board is asked to decide: an ordered list, one decision per recommendation,
    # each with who acts and by when; overdue actions flagged.
    asked = summary.split("The board is asked to", 1)[1].split("</ol>", 1)[0]
    decisions = re.findall(r"<li>(.*?)</li>", asked)
    register = yaml.safe_load((SAMPLES / "recommendations.yaml").read_text(encoding="utf-8"))
    recs = register["recommendations"]
    for rec in recs:
        decision = next(d for d in decisions if f"{rec['id']} (" in d).replace("&#x27;", "'")
        # Anything not signed off names who acts.
        assert decision.startswith("Sign off") or rec["owner"] in decision, decision
    assert "(overdue)" in asked
    assert "Due:" in asked


def test_inspection_ratings_are_rated_by_todays_rules_from_the_baseline(paper):
    summary = paper.html.split('<section id="ratings"', 1)[0]
    rows = re.findall(r'<tr[^>]*><th scope="row">([^<]+)</th><td>([^<]*)</td><td>([^<]*)</td>',
                      summary)
    at_inspection = {name.split()[0]: then for name, then, _ in rows}
    baseline = pd.read_csv(SAMPLES / "baseline.csv", dtype=str, keep_default_na=False)
    fw = load_framework(CONFIG["framework"])
    measured = {q.standard_id for q in fw.questions if q.id in set(baseline["question_id"])}
    for standard in fw.standards:
        if standard.id in measured:
            # The inspection's own rating, with how sure its sample made it (issue 23).
            rating, sure = at_inspection[standard.id].split(", ", 1)
            assert rating in {b.rating for b in fw.rating_bands}
            assert sure.endswith("cases") and "%" in sure
        else:
            assert at_inspection[standard.id] == "not recorded"


def test_overall_sentence_names_the_standards_still_missing_a_rating():
    text = overall_sentence({"rating": None, "missing_standards": ["2.4", "3.1"],
                             "missing_reasons": {"2.4": "too few cases to rate (6 of 10)"}})
    assert text.startswith("No overall rating yet")
    assert "2.4: too few cases to rate (6 of 10)" in text and "3.1: no rating" in text


# --- Words, not codes ------------------------------------------------------------------------


def test_the_boards_text_has_no_file_paths_framework_ids_or_column_names(paper):
    body = body_before_appendix(paper.html)
    text = " ".join(outline(body).text)
    fw = load_framework(CONFIG["framework"])
    assert fw.id not in text
    assert not re.search(r"\b[\w/]+\.(csv|json|yaml|png)\b", text)
    for code in ("rosh_level", "disposal_group", "ethnicity_group", "age_band", "oocd",
                 "Wilson", "Fisher", "chi_square", "pct_yes", "n_applicable"):
        assert code not in text, code


def test_every_question_id_a_reader_sees_comes_with_its_wording(paper):
    fw, checks = load_framework(CONFIG["framework"]), load_checks()
    text = " ".join(outline(body_before_appendix(paper.html)).text).replace("&#x27;", "'")
    for q in fw.questions + checks.questions:
        if f"({q.id})" in text or f" {q.id} " in text:
            assert f"{q.text} ({q.id})" in text, q.id


def test_the_glossary_explains_the_terms_the_paper_uses(paper):
    glossary = paper.html.split('id="glossary"', 1)[1]
    for term in ("Interval", "How likely", "Kappa", "Corroborated", "[c]", "Assurance",
                 "Sustained", "Maintained at target"):
        assert f"<dt>{term}" in glossary or term in re.findall(r"<dt>(.*?)</dt>", glossary)[0:99]


# --- Markup a screen reader can use -----------------------------------------------------------


def test_every_table_has_a_caption_column_headers_and_row_headers(paper):
    tables = outline(paper.html).tables
    assert len(tables) >= 15
    for i, table in enumerate(tables):
        assert table["caption"], f"table {i} has no caption"
        assert table["col_headers"] >= 1, f"table {i} has no column headers"
        assert table["row_headers"] == table["rows"], f"table {i} lacks row headers"


def test_every_chart_states_its_finding_and_carries_its_data_as_a_table(paper):
    images = outline(paper.html).images
    assert len(images) >= 5
    for img in images:
        assert len(img.get("alt", "")) > 40 and img["alt"] != "Chart"
    pieces = paper.html.split("<figure")
    for before, figure in zip(pieces, pieces[1:]):
        # The data is beside it: collapsed under "The data behind this chart", or shown as a
        # table just before or after.
        after = figure.split("</figure>", 1)[1][:400]
        assert after.startswith(("<details><summary>The data behind this chart",
                                 '<div class="table-scroll"')) or before.endswith(
            "</tbody></table></div>"), after[:80]


def test_headings_never_skip_a_level_and_free_text_is_in_real_lists(paper):
    levels = [level for level, _ in outline("<h1>x</h1>" + paper.html).headings]
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, (before, after)
    assert "<br>" not in paper.html
    strengths = paper.html.split("<h4>Strengths</h4>", 1)[1][:200]
    assert strengths.startswith("<ul><li>")


def test_hostile_text_in_any_input_is_escaped():
    from audit_lib.report.board_sections import themes_html
    from audit_lib.report.html import rating_class, table_html

    frame = pd.DataFrame({"<b>col</b>": ["<script>alert(1)</script>", "a & b"],
                          "n": [1.2345, None]})
    html = table_html(frame, rating_class(pd.Series(["Good", None])), caption="<i>cap</i>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;col&lt;/b&gt;" in html and "a &amp; b" in html
    assert "<td>1.2</td>" in html and 'class="rating-Good"' in html
    assert ">&lt;i&gt;cap&lt;/i&gt;</caption>" in html and "cap" not in html.split("<table")[0]
    themes = pd.DataFrame([{"theme": "Victims <i>", "original_finding": "<img src=x>",
                            "conclusion": "ok", "strengths": "line 1\nline 2",
                            "areas_for_development": ""}])
    assurance = pd.DataFrame([{"theme": "Victims <i>", "recommendation_id": "R1", "title": "<u>",
                               "judgement": "corroborated", "assurance_level": "limited",
                               "sign_off": "keep under review", "evidence_ids": "EV1"}])
    html = themes_html({"themes": themes, "assurance": assurance}, None)
    assert "<img" not in html and "&lt;img src=x&gt;" in html and "<u>" not in html
    assert "<li>line 1</li><li>line 2</li>" in html and "None recorded." in html


# --- The appendix a peer reviewer traces ratings from ---------------------------------------


def test_the_appendix_traces_evidence_judgements_targets_rules_and_inputs(paper):
    appendix = paper.html.split('id="appendix"', 1)[1]
    for column in ("Evidence", "Recommendation", "Kind of source", "Reference", "Dated",
                   "Months before the quarter&#x27;s end", "Direction", "Weight"):
        assert f'<th scope="col">{column}</th>' in appendix, column
    evidence = pd.read_csv(SAMPLES / "evidence.csv", dtype=str, keep_default_na=False)
    for evidence_id in evidence["evidence_id"]:
        assert f'<th scope="row">{evidence_id}</th>' in appendix
    judgements = pd.read_csv(SAMPLES / "judgements.csv", dtype=str, keep_default_na=False)
    text = re.sub(r"\s+", " ", " ".join(outline(appendix).text))
    for row in judgements.to_dict("records"):
        assert row["standard_id"] in text
    for words in ("Outstanding", "points", "Intervals at 95% confidence"):
        assert words in text


def test_the_printed_page_expands_collapsed_sections_and_keeps_headings_with_content():
    css = (ROOT / "audit_lib" / "report" / "templates" / "clean" / "report.css").read_text()
    printed = css.split("@media print", 1)[1]
    assert 'counter(page) " of " counter(pages)' in css and "size: A4" in css
    assert re.search(r"h1, h2, h3, h4, caption \{ break-after: avoid", printed)
    assert "details::details-content" in printed and "content-visibility: visible" in printed
    assert "figure.chart img { max-height" in printed


def test_the_page_title_names_the_report_service_and_quarter(page):
    html = page.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert CONFIG["service"].split()[0] in title and CONFIG["period_label"] in title
    # No stray tab stops: nothing before the paper (the notebook's wrappers) takes focus.
    assert "tabindex" not in html.split("<body>", 1)[1].split('<div class="board-paper"', 1)[0]


# --- In a real browser: axe-core, a phone, and print -----------------------------------------


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium installed (apt-get install chromium chromium-driver) to check the "
                "rendered report in a browser")


def _axe_script() -> str:
    """axe-core's script: $AXE_CORE_JS, else a cached copy, else fetched once with npm."""
    named = os.environ.get("AXE_CORE_JS")
    if named and Path(named).is_file():
        return Path(named).read_text(encoding="utf-8")
    cache = ROOT / ".venv" / f"axe-core-{AXE_VERSION}"
    script = cache / "package" / "axe.min.js"
    if not script.is_file():
        if not shutil.which("npm"):
            pytest.skip("axe-core is not available: set AXE_CORE_JS to axe.min.js, or install "
                        "npm so the test can fetch it once")
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "pack", f"axe-core@{AXE_VERSION}", "--silent"], cwd=cache,
                              capture_output=True, text=True, timeout=120, check=False)
        tarball = cache / f"axe-core-{AXE_VERSION}.tgz"
        if done.returncode != 0 or not tarball.is_file():
            pytest.skip(f"could not fetch axe-core {AXE_VERSION} with npm (offline?)")
        shutil.unpack_archive(tarball, cache)
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def driver():
    _browser()
    webdriver = pytest.importorskip("selenium.webdriver")
    chromedriver = shutil.which("chromedriver")
    if not chromedriver:
        pytest.skip("no chromedriver installed (apt-get install chromium-driver)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 # The network blocked: the report must stand alone.
                 "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.set_script_timeout(120)
    yield browser
    browser.quit()


def _axe(driver, page: Path, width: int, height: int) -> list[dict]:
    driver.set_window_size(width, height)
    driver.get(page.as_uri())
    driver.execute_script(_axe_script())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa', 'wcag22aa', 'best-practice']}}).then(r => done(r.violations), "
        "e => done([{id: 'axe-error', help: String(e), nodes: []}]));")
    return result


def _describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. "
                     f"{v['nodes'][0]['target'] if v['nodes'] else ''})" for v in violations)


def test_axe_core_finds_no_violations_on_a_desktop_screen(driver, page):
    violations = _axe(driver, page, 1280, 1000)
    assert violations == [], _describe(violations)


def test_on_a_phone_axe_finds_nothing_and_only_tables_and_charts_scroll_sideways(driver, page):
    violations = _axe(driver, page, 390, 844)
    assert violations == [], _describe(violations)
    page_width = driver.execute_script("return document.documentElement.scrollWidth")
    view_width = driver.execute_script("return window.innerWidth")
    assert page_width <= view_width
    # Anything wider than the screen sits in a labelled region reachable from the keyboard.
    wide = driver.execute_script(
        "return [...document.querySelectorAll('table, img')].filter(e => "
        "e.getBoundingClientRect().width > window.innerWidth).map(e => {"
        "const r = e.closest('[role=region]'); if (!r) return 'none';"
        "const by = r.getAttribute('aria-labelledby');"
        "const name = by ? document.getElementById(by).textContent : r.getAttribute('aria-label');"
        "return r.getAttribute('tabindex') + '|' + name; });")
    assert all(w.startswith("0|") and len(w) > 8 for w in wide), wide
    chart_text = driver.execute_script(
        "const i = document.querySelector('figure.chart img');"
        "return i.getBoundingClientRect().width / i.naturalWidth;")
    # Charts are drawn with 9-10 point text at 150 dpi: at this scale it is at least 11 px.
    assert chart_text * 9 / 72 * 150 >= 11


def test_the_printed_pdf_starts_with_the_summary_and_numbers_its_pages(page, tmp_path):
    _browser()
    pypdf = pytest.importorskip("pypdf")
    from audit_lib.report.pdf import print_pdf

    pdf = print_pdf(page, tmp_path / "paper.pdf")
    reader = pypdf.PdfReader(pdf)
    pages = len(reader.pages)
    assert 8 <= pages <= 45
    first = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    assert first.startswith(f"Page 1 of {pages}") or f"Page 1 of {pages}" in first
    assert "Summary for the board" in first and "The board is asked to" in first
    assert "Overall the case work is" in first
    # Collapsed sections are printed: the data behind the charts is in the PDF.
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Share answered Yes by quarter" in text and "Evidence items by recommendation" in text


def test_pdf_without_a_browser_says_how_to_get_one(page, tmp_path, monkeypatch):
    from audit_lib.errors import ConfigError
    from audit_lib.report import pdf

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    monkeypatch.delenv("CASE_AUDIT_BROWSER", raising=False)
    with pytest.raises(ConfigError, match="apt-get install chromium"):
        pdf.print_pdf(page, tmp_path / "paper.pdf")
    assert not (tmp_path / "paper.pdf").exists()


# --- Ratings given by rules the Inspectorate has not confirmed (2025 framework) --------------


def test_the_summary_flags_an_assumed_overall_rule_and_lists_every_unconfirmed_rule():
    from audit_lib.report.summary import unconfirmed_html

    overall = {"rating": "Good", "score": 9, "max_score": 12, "framework": "hmip-youth-2025",
               "framework_title": "HMIP youth justice inspection framework (2025), work with "
               "children and victims", "overall_rule_confirmed": False,
               "unconfirmed_rules": ["Overall rating: rule points_bands <assumed>."]}
    assert overall_sentence(overall) == (
        "Overall the case work is Good (9 of 12 points, by an assumed rule not confirmed by "
        "the Inspectorate).")
    html = unconfirmed_html(overall)
    assert "<li>Overall rating: rule points_bands &lt;assumed&gt;.</li>" in html
    confirmed = {**overall, "overall_rule_confirmed": True, "unconfirmed_rules": []}
    assert "assumed" not in overall_sentence(confirmed) and unconfirmed_html(confirmed) == ""


def test_the_ratings_table_says_which_ratings_an_unconfirmed_rule_gave():
    from audit_lib.report.words import ratings_view

    fw = load_framework("hmip-youth-2025")
    standards = pd.DataFrame({
        "standard_id": ["1.1", "C1.1", "V1.2", "V1"], "source": ["evidence", "cases", "evidence",
                                                                 "combined"],
        "lowest_question_id": [None, "C1.1.3", None, None], "lowest_pct": [None, 70.0, None, None],
        "rating": [None, "Good", "Good", "Good"], "band_certain": [None, False, None, None],
        "rule": ["not_rated", "lowest_key_question", "judged_from_evidence", "lowest_part"],
        "rule_confirmed": ["True", "False", "True", "False"]})  # as read back from the CSV
    kq = pd.DataFrame({"question_id": ["C1.1.3"], "ci_low": [50.0], "ci_high": [85.0]})
    view = ratings_view(standards, kq, fw, 0.95).set_index("Standard")
    assert view.loc["C1.1", "Rule"] == "assumed, not confirmed by the Inspectorate"
    assert view.loc["V1", "Rule"] == "assumed, not confirmed by the Inspectorate"
    assert view.loc["V1.2", "Rule"] == ""
    assert view.loc["1.1", "How likely each rating is"] == "not rated in this inspection"
    assert view.loc["V1", "Title"] == "Work with victims"
    # a 2021 table, every rule confirmed, has no Rule column at all
    confirmed = standards.assign(rule_confirmed=True)
    assert "Rule" not in ratings_view(confirmed, kq, fw, 0.95).columns


# --- Page 1 never says more than the data does --------------------------------------------


def test_a_standard_is_rated_at_the_inspection_only_from_all_its_key_questions():
    from audit_lib.report.summary import inspection_ratings

    progress = pd.read_csv(EXPECTED_DEMO / "progress" / "progress.csv",
                           dtype={"question_id": str})
    fw = load_framework("hmip-youth-2021")
    full = inspection_ratings(progress, fw)
    assert full["2.1"] == "Inadequate"  # 2.1.3 at 43% decides it
    lacking = inspection_ratings(progress.loc[progress["question_id"] != "2.1.3"], fw)
    assert lacking["2.1"] == "not recorded (the baseline lacks 2.1.3)"  # never "Good"


def test_without_triangulation_page_one_says_no_sign_off_was_assessed():
    from audit_lib.report.summary import decisions

    standards = pd.read_csv(EXPECTED_DEMO / "scores" / "standards.csv",
                            dtype={"standard_id": str})
    items = decisions(None, None, {"rating": "Good", "score": 23, "max_score": 36},
                      pd.Timestamp("2026-06-30").date(), standards,
                      load_framework("hmip-youth-2021"))
    assert any("were not assessed this quarter" in item for item in items)
