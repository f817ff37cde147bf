"""The publish check: the identifier gate over every table, report and notebook a run would publish."""

from __future__ import annotations

import html as html_module
import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

from audit_lib.inputs.identifiers import configured_names, load_privacy_settings, scan_frame


def scan_outputs(folder: Path) -> list:
    """Run the identifier gate over every table and report a run is about to publish.

    CSV files are scanned cell by cell (dates allowed in the schemas' date columns, as on
    input); HTML reports by their visible text, where the dates the toolkit itself prints (run
    times, evidence dates) are allowed but every other kind of identifier is not. Inputs' free
    text was gated on the way in, so a full date could only reach a report from a structured
    column. Returns the problems found, located by file, row and column.
    """
    names = configured_names()
    settings = load_privacy_settings()
    report_text = replace(settings, structured_date_columns=settings.structured_date_columns
                          | {"report_text"})
    problems = []
    for path in sorted(folder.rglob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        problems += scan_frame(frame, str(path.relative_to(folder)), names=names,
                               settings=settings)
    texts = {}
    for path in sorted(folder.rglob("*.html")):
        texts[path] = _visible_text(path.read_text(encoding="utf-8"))
    for path in sorted(folder.rglob("*.ipynb")):
        texts[path] = _notebook_text(path)
    for path in sorted(folder.rglob("*.json")):
        texts[path] = _json_text(path)
    for path, lines in texts.items():
        frame = pd.DataFrame({"report_text": lines})
        problems += scan_frame(frame, str(path.relative_to(folder)), names=names,
                               settings=report_text)
    return problems


def _notebook_text(path: Path) -> list[str]:
    """Every text output of an executed notebook (streams, plain text, HTML as text)."""
    import nbformat

    lines = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            data = output.get("data", {})
            text += data.get("text/plain", "") + "\n".join(
                _visible_text(data.get("text/html", "")))
            lines += [line for line in str(text).splitlines() if line.strip()]
    return lines


def _json_text(path: Path) -> list[str]:
    """The string values of a JSON file, one per line (hashes and paths included)."""
    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, str):
            yield value

    try:
        return [v for v in walk(json.loads(path.read_text(encoding="utf-8"))) if v.strip()]
    except (OSError, ValueError):
        return []


def _visible_text(page: str) -> list[str]:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'src="data:[^"]*"', "", page)
    page = re.sub(r"<[^>]+>", "\n", page)
    text = html_module.unescape(page)
    # The toolkit's own random seed (any whole number) could pass for an NHS number.
    text = re.sub(r"\bseed \d+", "seed", text)
    return [line.strip() for line in text.splitlines() if line.strip()]
