"""A quarter with hostile text in every input field publishes no live markup anywhere."""

from __future__ import annotations

# --- Black box: a quarter with hostile text in every input field (issue 15, no. 8) ---------
# Whatever the report's sections become, nothing a user typed may become live markup in any
# page a run publishes, nor in the executed notebooks' HTML outputs (Jupyter renders them).

HOSTILE = {
    "service": "<script>alert('service')</script> YJS",
    "label": "Q2 <img src=x onerror=alert('label')>",
    "stratum": "<svg/onload=alert('stratum')>",
    "category": "<b onmouseover=alert('category')>a</b>",
    "finding": "<iframe src=javascript:alert('finding')></iframe>",
    "theme": "Victims <svg onload=alert('theme')>",
    "title": "<a href=javascript:alert('title')>R</a>",
    "rationale": "<script>alert('rationale')</script>",
    "note": "\"><script>alert('note')</script>",
    "earlier": "<img src=x onerror=alert('earlier')>",
}


def hostile_quarter(folder):
    import csv
    import shutil

    import yaml
    from conftest import SAMPLES

    samples = folder / "samples"
    shutil.copytree(SAMPLES, samples, ignore=shutil.ignore_patterns("*.py", "README.md"))

    def edit(name, change):
        path = samples / name
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows = change(rows)
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)

    edit("caseload.csv", lambda rows: [rows[0] + [HOSTILE["stratum"]]] + [
        r + [HOSTILE["category"] if i % 2 else "plain"] for i, r in enumerate(rows[1:])])
    edit("evidence.csv", lambda rows: [rows[0]] + [
        r[:3] + [HOSTILE["title"], r[4], HOSTILE["finding"]] + r[6:] for r in rows[1:]])
    edit("judgements.csv", lambda rows: [rows[0]] + [r[:2] + [HOSTILE["rationale"]]
                                                    for r in rows[1:]])
    edit("earlier_quarters.csv", lambda rows: [rows[0]] + [
        [r[0], HOSTILE["earlier"]] + r[2:] for r in rows[1:]])
    for name in ("answers_PM01.csv", "answers_PM02.csv", "answers_PM03.csv",
                 "moderation_marks.csv"):
        edit(name, lambda rows: [rows[0]] + [r[:4] + [HOSTILE["note"]] for r in rows[1:]])
    register = yaml.safe_load((samples / "recommendations.yaml").read_text())
    register["title"] = HOSTILE["title"]
    register["themes"][2]["title"] = HOSTILE["theme"]
    for rec in register["recommendations"]:
        rec.update(title=HOSTILE["title"], finding=HOSTILE["finding"], target=HOSTILE["title"])
    (samples / "recommendations.yaml").write_text(yaml.safe_dump(register))
    config = yaml.safe_load((SAMPLES / "demo.yaml").read_text())
    config.update(service=HOSTILE["service"], period_label=HOSTILE["label"],
                  outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../internal",
                  allow_gaps=True)  # the new strata draw cases the shipped answers lack
    config["sampling"]["strata"] = ["sex", HOSTILE["stratum"]]
    (samples / "demo.yaml").write_text(yaml.safe_dump(config))
    return samples / "demo.yaml"


class Markup:
    """Every element and attribute of a page, and where scripts run."""

    def __init__(self, page: str):
        from html.parser import HTMLParser

        self.tags, self.live = [], []
        markup = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                markup.tags.append(tag)
                for name, value in attrs:
                    value = value or ""
                    if (name.startswith("on") or "javascript:" in value.lower()
                            or "alert(" in value or (tag in ("img", "iframe") and name == "src"
                                                     and not value.startswith("data:image/"))):
                        markup.live.append(f"<{tag} {name}=...>")
                if tag in ("svg", "iframe", "object", "embed"):
                    markup.live.append(f"<{tag}>")

            def handle_data(self, data):
                if self.lasttag in ("script", "style") and "alert(" in data:
                    markup.live.append(f"<{self.lasttag}> running input")

        Parser(convert_charrefs=True).feed(page)


def test_no_input_becomes_live_markup_anywhere_in_a_published_quarter(tmp_path):
    import json

    from audit_lib.quarter.run import run

    result = run(hostile_quarter(tmp_path), progress=lambda _: None)
    pages = {p.name: p.read_text(encoding="utf-8")
             for p in sorted(result.period_dir.rglob("*.html"))}
    assert len(pages) == 4
    for path in sorted(result.period_dir.rglob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            for j, output in enumerate(cell.get("outputs", [])):
                html = output.get("data", {}).get("text/html")
                if html:
                    pages[f"{path.name} cell {i} output {j}"] = "".join(html)
    for name, page in pages.items():
        assert Markup(page).live == [], name
    report = pages["04_assurance_report.html"]
    # The hostile texts did reach the report, as text a reader sees.
    for key in ("service", "label", "stratum", "theme"):
        assert "alert(&#x27;" + key in report or f"alert('{key}')" in report.replace(
            "&#x27;", "'"), key
