"""The publish check: the identifier gate over every file a run would publish (or keep after a
failure), and the names of those files.

Tables are checked cell by cell, reports by their visible text, executed notebooks whole (every
cell's source and outputs, and the notebook's and cells' metadata), JSON by every value (keys,
numbers and dates too), PDFs by their text and other files line by line. A full date is allowed
only where a date is structured: a table column whose header is one of the schemas' date
columns (``start_date``, ``date`` ...), a JSON field named as a date (``started``,
``period_end`` ...) or holding a machine's timestamp (a date with its time of day), a notebook
parameter named as a date, and the ``<time>`` elements the report uses for its own timestamps.
Everywhere else, as in inputs' free text, a full date is refused with every other kind of
identifier. A text naming a folder of this machine (the config's folder or any above it, the
home folder) is refused too: a folder's name can be a person's.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from audit_lib.errors import InputError, Problem
from audit_lib.inputs.identifier_batches import FindLater
from audit_lib.inputs.identifiers import (
    PrivacySettings,
    configured_names,
    find_identifiers,
    frame_cells,
    load_privacy_settings,
    message_for,
)
from audit_lib.inputs.table import normalise_header
from audit_lib.inputs.text_gate import walk_texts
from audit_lib.inputs.workbook_scan import scan_workbook
from audit_lib.writing import MARKER

logger = logging.getLogger(__name__)

#: JSON fields holding a date by design: a run's times, a period's end, a notebook's cell times.
_DATE_FIELDS = {"started", "finished", "period_end", "date", "created", "modified",
                "start_time", "end_time"}
#: Fields holding the toolkit's own random seed: any whole number, so it may read as a date.
#: (The config check refuses a seed that reads as an NHS or phone number.)
_SEED_FIELDS = {"seed"}
# The seed, printed or assigned ("seed 20260401", "seed = 20260401").
_SEED = re.compile(r"\bseed\b[ =:]{1,3}\d+")
# A machine's timestamp: a date with its time of day (no one's date of birth has one).
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                        r"(?:Z|[+-]\d{2}:?\d{2})?")
# A parameter assigned in a notebook's parameters cell: ``name = value`` or
# ``name: type = value  # comment``.
_ASSIGNED = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::[^=]*)?=")
_SKIPPED = {".png", ".jpg", ".jpeg", ".svg", ".gif"}  # charts drawn from gated tables
_ABSOLUTE = "names a folder of this computer (a folder's name can be a person's): write paths " \
            "relative to the period config's folder"


@dataclass(frozen=True)
class _Text:
    text: str
    dates_allowed: bool = False
    where: str | None = None  # a JSON field's path; texts of pages are numbered instead
    absolute: bool = False  # an absolute path (in JSON), checked by its name only
    path_only: bool = False  # an HTML link's target: checked for the machine's folders only


def scan_outputs(folder: Path, names: tuple[str, ...] | None = None, *,
                 carried: Iterable[str] = (), base: Path | None = None) -> list[Problem]:
    """Run the identifier gate over every file in ``folder`` and every file's name.

    CSV files are scanned cell by cell and workbooks as inputs are; HTML pages, executed
    notebooks, JSON, PDFs and other text files by their text, with full dates allowed only in
    structured date fields (see the module's description). A file that cannot be read to be
    checked is reported as such. ``carried`` names files (relative to ``folder``) carried
    unchanged from the period's previous results that case-audit printed itself from a page
    that passed this check (PDFs, `audit_lib.writing.printed_files`): they are not read. With
    ``base`` (the period config's folder), a text naming that folder, a folder above it or the
    home folder is reported too. Returns the problems found, located by file (relative to
    ``folder``), sheet, row and column.
    """
    folder = Path(folder)
    names = configured_names() if names is None else names
    settings = load_privacy_settings()
    problems: list[Problem] = []
    skipped = {folder / name for name in carried}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER
                   and p not in skipped)
    labels = {p: p.relative_to(folder).as_posix() for p in files}
    titles = pd.Series([p.name for p in files], dtype=object)
    for kind, index in find_identifiers(titles, names, settings=settings,
                                        dates_allowed=np.ones(len(files), dtype=bool)).items():
        for i in index:
            path = files[int(i)]
            labels[path] = str(PurePosixPath(labels[path]).parent / "(file name withheld)")
            problems.append(Problem(labels[path], None, None, f"the file's name "
                                                              f"{message_for(kind)}"))
    # Every file's texts are gathered and found in one call (`FindLater`: the same problems,
    # in the same order, as file by file); a file that cannot be read is reported as such.
    finder = FindLater(names, settings)
    pending: list[tuple[Path, _Pending]] = []
    for path in files:
        try:
            pending.append((path, _prepare_file(path, labels[path], names, settings, base,
                                                finder)))
        except Exception as exc:  # noqa: BLE001 - a damaged file of any kind: say so
            pending.append((path, _Pending([_unreadable(labels[path], exc)])))
    try:
        found = finder.run()
    except Exception:  # noqa: BLE001 - some file's texts: find each file's alone, as before
        return problems + [p for path in files
                           for p in _scan_file(path, labels[path], names, settings, base)]
    for path, job in pending:
        try:
            problems += job.result(found)
        except Exception as exc:  # noqa: BLE001
            problems.append(_unreadable(labels[path], exc))
    return problems


def _unreadable(label: str, exc: Exception) -> Problem:
    return Problem(label, None, None, UNREADABLE + f" ({type(exc).__name__})")


#: How a file the check could not read is reported (`keep_failed` tells these apart).
UNREADABLE = "could not be read to check it for identifiers"


@dataclass
class _Pending:
    """A file's check: what it found itself (a workbook's, an unreadable file's), and the texts
    it gave a `FindLater` (``part``) with how to turn their hits into problems (``finish``)."""

    done: list[Problem]
    part: int | None = None
    finish: Callable[[dict[str, pd.Index]], list[Problem]] | None = None

    def result(self, found: list[dict[str, pd.Index]]) -> list[Problem]:
        if self.finish is None:
            return self.done
        return self.done + self.finish(found[self.part] if self.part is not None else {})


def _scan_file(path: Path, label: str, names: tuple[str, ...],
               settings: PrivacySettings, base: Path | None = None) -> list[Problem]:
    """One file's problems, found on its own."""
    try:
        finder = FindLater(names, settings)
        return _prepare_file(path, label, names, settings, base, finder).result(finder.run())
    except Exception as exc:  # noqa: BLE001 - a damaged file of any kind: say so
        return [_unreadable(label, exc)]


def _prepare_file(path: Path, label: str, names: tuple[str, ...], settings: PrivacySettings,
                  base: Path | None, finder: FindLater) -> _Pending:
    """Read a file and give its texts to ``finder``; the problems come once it has run."""
    suffix = path.suffix.lower()
    if suffix in _SKIPPED:
        return _Pending([])
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        cells = frame_cells(frame, label, settings=settings)
        part = finder.add(cells.cells, cells.dates_allowed, cells.references)
        texts = [_Text(str(v)) for v in [*frame.columns, *pd.unique(frame.to_numpy().ravel())]]
        return _Pending([], part, lambda hits: cells.problems(hits) +
                        _path_problems(texts, label, base))
    if suffix == ".xlsx":
        return _Pending(list(scan_workbook(path, names=names, settings=settings, file=label)))
    if suffix == ".html":
        texts = _html_texts(path.read_text(encoding="utf-8"), settings)
    elif suffix == ".ipynb":
        texts = _notebook_texts(path, settings)
    elif suffix == ".json":
        texts = _json_texts(json.loads(path.read_text(encoding="utf-8")), settings)
    elif suffix == ".pdf":
        texts = _pdf_texts(path)
    else:
        texts = [_Text(line) for line in path.read_text(encoding="utf-8").splitlines()]
    kept = _checked_texts(texts)
    part = finder.add(*_text_cells(kept)) if kept else None
    return _Pending([], part, lambda hits: _text_problems(kept, hits, label, settings) +
                    _path_problems(texts, label, base))


def _path_problems(texts: list[_Text], label: str, base: Path | None) -> list[Problem]:
    """A Problem for each text naming a folder of this machine, located as identifiers are."""
    if base is None:
        return []
    from audit_lib.quarter.published_paths import folder_finder

    names_folder = folder_finder(base)
    problems = []
    for number, t in enumerate(texts, start=1):
        if t.absolute or names_folder(t.text):
            problems.append(Problem(label, None, t.where, _ABSOLUTE) if t.where else
                            Problem(label, number, None, f"text number {number} {_ABSOLUTE}"))
    return problems[:50]


def _scan_texts(texts: list[_Text], label: str, names: tuple[str, ...],
                settings: PrivacySettings) -> list[Problem]:
    kept = _checked_texts(texts)
    if not kept:
        return []
    finder = FindLater(names, settings)
    finder.add(*_text_cells(kept))
    return _text_problems(kept, finder.run()[0], label, settings)


def _checked_texts(texts: list[_Text]) -> list[_Text]:
    """The texts the gate reads: not blank, not a link's target (checked for folders only),
    the toolkit's own seed taken out."""
    return [replace(t, text=_SEED.sub("seed", t.text)) for t in texts
            if t.text.strip() and not t.path_only]


def _text_cells(texts: list[_Text]) -> tuple[pd.Series, np.ndarray]:
    """The texts to find identifiers in, numbered in reading order, and where dates are allowed."""
    return (pd.Series([t.text for t in texts], dtype=object),
            np.array([t.dates_allowed for t in texts], dtype=bool))


def _text_problems(texts: list[_Text], hits: dict[str, pd.Index], label: str,
                   settings: PrivacySettings) -> list[Problem]:
    """Problems for what was found in ``texts`` (`_checked_texts`), by their position."""
    problems = []
    # Rows are the text's position in the file's reading order ("line" of visible text).
    for kind, index in hits.items():
        fields = sorted({texts[int(i)].where for i in index if texts[int(i)].where})
        problems += [Problem(label, None, f, message_for(kind)) for f in fields]
        rows = sorted(int(i) + 1 for i in index if not texts[int(i)].where)
        problems += [Problem(label, r, None, f"text number {r} {message_for(kind)}")
                     for r in rows[: settings.max_reported_per_column]]
        if len(rows) > settings.max_reported_per_column:
            problems.append(Problem(label, None, None, f"{message_for(kind)} (also in "
                                    f"{len(rows) - settings.max_reported_per_column:,} more "
                                    "texts of this file, not listed)"))
    return problems


class _Visible(HTMLParser):
    """The visible text of a page, in reading order, with where dates are structured."""

    def __init__(self, structured: frozenset[str]):
        super().__init__(convert_charrefs=True)
        self.structured = structured
        self.texts: list[_Text] = []
        self.skip = 0  # inside <style> or <script>
        self.time = 0  # inside <time>
        self.headers: list[list[str]] = []  # per open table: its header texts
        self.column: list[int] = []  # per open table: the index of the current cell
        self.cell = ""  # "th", "td" or ""
        self.buffer: list[str] = []
        self.dated_whole: list[str] = []  # each text allowed a date, whole (not by line)

    def handle_starttag(self, tag, attrs):
        self._flush()
        if tag in ("style", "script"):
            self.skip += 1
        elif tag == "time":
            self.time += 1
        elif tag == "table":
            self.headers.append([])
            self.column.append(-1)
        elif tag == "tr" and self.column:
            self.column[-1] = -1
        elif tag in ("th", "td") and self.column:
            self.column[-1] += 1
            self.cell = tag
        for name, value in attrs:
            if name in ("alt", "title") and value:
                self.texts.append(_Text(value))
            elif name in ("href", "src", "action", "poster", "data") and value and \
                    not value.startswith("data:"):  # an embedded chart holds no path
                self.texts.append(_Text(value, path_only=True))

    def handle_endtag(self, tag):
        self._flush()
        if tag in ("style", "script"):
            self.skip = max(0, self.skip - 1)
        elif tag == "time":
            self.time = max(0, self.time - 1)
        elif tag == "table" and self.headers:
            self.headers.pop()
            self.column.pop()
        elif tag in ("th", "td"):
            self.cell = ""

    def handle_data(self, data):
        if not self.skip:
            self.buffer.append(data)

    def close(self):
        super().close()
        self._flush()

    def _flush(self):
        text = "".join(self.buffer)
        self.buffer = []
        if not text.strip():
            return
        dated = self.time > 0
        if self.headers and self.cell:
            column = self.column[-1]
            headers = self.headers[-1]
            if self.cell == "th":
                while len(headers) <= column:
                    headers.append("")
                headers[column] = (headers[column] + " " + text).strip()
            elif 0 <= column < len(headers):
                dated = dated or normalise_header(headers[column]) in self.structured
        if dated:
            self.dated_whole.append(" ".join(text.split()))
        for line in text.splitlines():
            if line.strip():
                self.texts.append(_Text(line.strip(), dated))


def _html_texts(page: str, settings: PrivacySettings) -> list[_Text]:
    parser = _Visible(settings.structured_date_columns)
    parser.feed(page)
    parser.close()
    return parser.texts


def _notebook_texts(path: Path, settings: PrivacySettings) -> list[_Text]:
    """Everything an executed notebook holds: each cell's source line by line (a parameter
    named as a date may hold one), its outputs (HTML by its visible text, as a page is read;
    plain text, streams and error tracebacks line by line), and the notebook's and each
    cell's metadata as JSON (papermill records the parameters there)."""
    from audit_lib.quarter.jupyter_imports import without_iri_grammar

    without_iri_grammar()
    import nbformat

    nb = nbformat.read(path, as_version=4)
    texts: list[_Text] = []
    for cell in nb.cells:
        parameters = bool({"parameters", "injected-parameters"}
                          & set(cell.get("metadata", {}).get("tags", [])))
        for line in _joined(cell.get("source", "")).splitlines():
            assigned = _ASSIGNED.match(line) if parameters else None
            value = _literal(line[assigned.end():]) if assigned else None
            if isinstance(value, (dict, list)):  # a section of the config, e.g. board:
                texts += _json_texts(value, settings, f"parameter {assigned.group(1)}")
                continue
            texts.append(_Text(line, bool(assigned) and _dated(assigned.group(1), settings)))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                texts += _html_texts(_joined(data["text/html"]), settings)
            elif "text/plain" in data:
                texts += [_Text(line) for line in _joined(data["text/plain"]).splitlines()]
            texts += [_Text(line) for line in _joined(output.get("text", "")).splitlines()]
            for line in [output.get("evalue", ""), *output.get("traceback", [])]:
                texts += [_Text(part) for part in _ANSI.sub("", str(line)).splitlines()]
        texts += _json_texts(dict(cell.get("metadata", {})), settings, "cell metadata")
    texts += _json_texts(dict(nb.metadata), settings, "metadata")
    return texts


def _literal(text: str) -> object:
    """A parameter's value as Python reads it (papermill writes literals), or None."""
    import ast

    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _dated(key: str, settings: PrivacySettings) -> bool:
    """Whether a field or parameter of this name holds a date (or the seed) by design."""
    return key in _DATE_FIELDS or key in _SEED_FIELDS or key.endswith("_date") or (
        normalise_header(key) in settings.structured_date_columns)


def pdf_problems(path: Path, names: tuple[str, ...] | None = None,
                 source: Path | None = None) -> list[str]:
    """The publish check of one printed PDF (`audit_lib.report.pdf.print_pdf`): what its text
    holds, as messages naming the text's place, never its value. ``source`` is the report the
    PDF was printed from: it is checked first, as the publish check reads a page; then a date
    it holds where dates are structured (the ``<time>`` of a meeting, a table's date column)
    is allowed in the PDF too, since print loses the structure but not the text."""
    names = configured_names() if names is None else names
    settings = load_privacy_settings()
    try:
        if source is not None:
            # The page first, as the publish check reads it: a date it structures is allowed
            # in the PDF only because everything else on the page has passed the check.
            page = _scan_texts(_html_texts(Path(source).read_text(encoding="utf-8"), settings),
                               "the page it was printed from", names, settings)
            if page:
                return [f"the page it was printed from: {p.message}"
                        for p in InputError(page).problems]
        texts = _pdf_texts(Path(path))
        if source is not None:
            texts = _without_structured_dates(texts, Path(source), settings)
        problems = _scan_texts(texts, "the PDF", names, settings)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on a damaged file
        return [f"{UNREADABLE} ({type(exc).__name__})"]
    return [p.message for p in InputError(problems).problems]


def _without_structured_dates(texts: list[_Text], source: Path,
                              settings: PrivacySettings) -> list[_Text]:
    """``texts`` with every structured full date of the page ``source`` taken out where it
    stands as a whole (not "1 July 2026" inside "21 July 2026"); the rest of each text is still
    checked. Only texts that are a full date by themselves are taken out, so a month and year
    ("July 2026") cannot hide the day before it."""
    parser = _Visible(settings.structured_date_columns)
    parser.feed(source.read_text(encoding="utf-8"))
    parser.close()
    dated = sorted({d for d in parser.dated_whole if d}, key=len, reverse=True)
    if dated:
        full = find_identifiers(pd.Series(dated), (), settings=settings).get("date")
        dated = [dated[int(i)] for i in (full if full is not None else [])]
    if not dated:
        return texts
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(d) for d in dated) + r")(?!\w)")
    return [replace(t, text=pattern.sub("(a date)", " ".join(t.text.split()))) for t in texts]


def _pdf_texts(path: Path) -> list[_Text]:
    """A PDF's text, line by line (pypdf's extraction), and its document information (title,
    author ...)."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    texts = [_Text(str(value)) for value in (reader.metadata or {}).values()]
    for page in reader.pages:
        texts += [_Text(line) for line in (page.extract_text() or "").splitlines()]
    return texts


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _joined(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _json_texts(data: object, settings: PrivacySettings, prefix: str = "") -> list[_Text]:
    """The texts of a JSON document, keys, numbers and dates too: dates allowed in fields
    named as dates and in machines' timestamps; of an absolute path, only its file name (and
    a date there dates the file), the path itself being reported by `_path_problems`."""
    texts = []
    for where, key, text in walk_texts(data, prefix):
        if where.endswith("(a key)"):
            key = text
        if os.path.isabs(text) or re.match(r"^[A-Za-z]:[\\/]", text):
            texts.append(_Text(Path(text).name, True, where, absolute=True))
            continue
        dated = _dated(key, settings) or _TIMESTAMP.fullmatch(text) is not None
        texts.append(_Text(text, dated, where))
    return texts


def describe(problems: list[Problem], per_file: int = 10) -> str:
    """The problems as lines for a message: the first ``per_file`` of each file, then how many
    more that file has, and the total first."""
    ordered = InputError(problems).problems  # sorted, repeats removed
    lines = [f"{len(ordered):,} problem(s) in {len({p.file for p in ordered}):,} file(s):"]
    by_file: dict[str, list[Problem]] = {}
    for p in ordered:
        by_file.setdefault(p.file, []).append(p)
    for shown in by_file.values():
        lines += [f"  - {p}" for p in shown[:per_file]]
        if len(shown) > per_file:
            lines.append(f"  - ... and {len(shown) - per_file:,} more in {shown[0].file}")
    return "\n".join(lines)
