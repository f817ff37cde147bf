"""Print a rendered report to PDF through a headless Chromium (council committee systems take
PDFs).

The page is printed as the browser prints it (A4, the report's print rules, page numbers, the
protective marking), with every collapsed section open, bookmarks made from its headings, and
the network blocked: a report that needs the internet would show broken here, as it would on a
locked-down council laptop.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from audit_lib.errors import (
    ConfigError,
    IdentifierRefusal,
    InputError,
    OutputError,
    PipelineError,
    Problem,
)
from audit_lib.writing import add_to_marker, atomic_path

#: Browser commands tried in turn (Chromium, Chrome, Edge); CASE_AUDIT_BROWSER names another.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
            "msedge", "microsoft-edge")

HOW_TO_GET_ONE = (
    "No Chromium, Chrome or Edge browser was found to print the PDF. Install one (Debian or "
    "Ubuntu: sudo apt-get install chromium; macOS: install Google Chrome; Windows: Edge is "
    "already there), or name its program in the CASE_AUDIT_BROWSER environment variable. "
    "Meanwhile, open the report in a browser and print it to PDF: the report's print rules "
    "apply there too.")

#: How long a print may take before it is abandoned (seconds).
TIMEOUT = 120


def find_browser() -> str | None:
    """The command of a Chromium-family browser, or None."""
    named = os.environ.get("CASE_AUDIT_BROWSER")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _opened(html: str) -> str:
    """The page with every <details> element open, so print shows what the screen collapses."""
    return re.sub(r"<details(?![^>]*\bopen\b)", "<details open", html, flags=re.IGNORECASE)


def print_pdf(report: str | Path, out: str | Path | None = None,
              check: Callable[..., list[str]] | None = None) -> Path:
    """Print ``report`` (an HTML file) to ``out`` (default: beside it, ending .pdf).

    ``check`` (the publish check's, `audit_lib.quarter.publish_check.pdf_problems`) reads the
    printed PDF, given the report as ``source``, before it is written to ``out``: a PDF it
    finds problems in is not written.

    Raises
    ------
    InputError
        If the report is missing or not an HTML file.
    IdentifierRefusal
        If ``check`` finds problems in the printed PDF (nothing is written).
    ConfigError
        If no browser is installed (the message says how to get one).
    PipelineError
        If the browser fails or times out.
    OutputError
        If the PDF cannot be written (a previous PDF is left as it was).
    """
    report = Path(report)
    if not report.is_file() or report.suffix.lower() not in {".html", ".htm"}:
        raise InputError([Problem(str(report), None, None, "not an HTML report (give the .html "
                                  "file a run published)")])
    out = Path(out) if out else report.with_suffix(".pdf")
    if out.resolve() == report.resolve():
        raise ConfigError(f"{out}: the PDF would overwrite the report; choose another --out")
    browser = find_browser()
    if browser is None:
        raise ConfigError(HOW_TO_GET_ONE)
    if not out.parent.is_dir():
        raise OutputError(f"{out.parent}: folder does not exist")
    with tempfile.TemporaryDirectory(prefix="case-audit-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(_opened(report.read_text(encoding="utf-8")), encoding="utf-8")
        printed = Path(tmp) / "report.pdf"
        command = [browser, "--headless", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--disable-extensions", f"--user-data-dir={tmp}/profile",
                   # No network: the report must stand alone.
                   "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                   "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
                   # Bookmarks from the headings, so a reader can jump to any section.
                   "--generate-pdf-document-outline",
                   f"--print-to-pdf={printed}", page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise PipelineError(f"{report}: the browser did not finish printing within "
                                f"{TIMEOUT} s") from None
        except OSError as exc:
            raise PipelineError(f"{browser}: could not start the browser ({exc.strerror})") from None
        if not printed.is_file() or printed.stat().st_size == 0:
            raise PipelineError(f"{report}: the browser wrote no PDF (exit code {done.returncode})")
        problems = check(printed, source=report) if check else []
        if problems:
            raise IdentifierRefusal(f"{out}: not written: in the printed PDF, "
                                    + "; ".join(problems))
        with atomic_path(out) as target:
            shutil.copyfile(printed, target)
    # A PDF printed into a published quarter's folder belongs to that run: listed in its
    # marker, the next run replaces it with the rest (the previous one is kept for undo).
    if out.resolve().parent == report.resolve().parent:
        add_to_marker(out.resolve().parent, out.resolve(), printed_from=report.resolve())
    return out
