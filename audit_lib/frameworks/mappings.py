"""Mappings between frameworks' key questions (YAML data), so results can be compared across them.

A service inspected under one framework may audit under another (a 2021 inspection followed by
2025-framework quarters, or the reverse). A mapping file says, for each key question of the
target framework, which key questions of the source framework it is compared with (pooled when
several), whether the comparison is approximate, and where that judgement comes from. Without
a mapping, results of two frameworks are never compared.

Files live in ``mappings/`` beside the framework files (and in a ``mappings/`` folder of each
folder named in ``$CASE_AUDIT_FRAMEWORKS``), one per direction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from audit_lib.errors import FrameworkError
from audit_lib.frameworks import framework_dirs, load_framework
from audit_lib.settings import read_yaml

logger = logging.getLogger(__name__)

#: The folder, inside each framework folder, that holds mapping files.
MAPPINGS_FOLDER = "mappings"


@dataclass(frozen=True)
class MappingLine:
    """One target key question and the source key questions it is compared with."""

    target: str
    sources: tuple[str, ...]
    approximate: bool
    source_note: str


@dataclass(frozen=True)
class Mapping:
    """How the key questions of framework ``source`` translate into those of ``target``."""

    source: str
    target: str
    note: str
    path: Path
    lines: tuple[MappingLine, ...]
    unmapped: dict[str, str]  # source question -> why it has no counterpart

    def line(self, target_question: str) -> MappingLine | None:
        """The line for a target key question; None if nothing maps to it."""
        return next((x for x in self.lines if x.target == target_question), None)


def mapping_files() -> list[Path]:
    """Every mapping file installed: the package's own, then the user folders'."""
    files = []
    for folder in framework_dirs():
        files += sorted((folder / MAPPINGS_FOLDER).glob("*.yaml"))
    return files


def find_mapping(source: str, target: str) -> Mapping | None:
    """The mapping from framework ``source`` to ``target`` (ids), or None if none is installed.

    Raises
    ------
    FrameworkError
        If a mapping file is malformed, or two files map the same pair.
    """
    found = None
    for path in mapping_files():
        data = read_yaml(path, "framework mapping file", FrameworkError)
        if not isinstance(data, dict) or (data.get("from"), data.get("to")) != (source, target):
            continue
        if found is not None:
            raise FrameworkError(f"{path}: maps {source} to {target}, as {found.path} already "
                                 "does; keep one file per direction")
        found = load_mapping_file(path)
    return found


def load_mapping_file(path: Path) -> Mapping:
    """Read and validate one mapping file against the two frameworks it names.

    Raises
    ------
    FrameworkError
        Naming the file and every problem in it: unknown frameworks or questions, a target
        mapped twice, a line without its ``approximate`` flag or source note.
    """
    path = Path(path)
    data = read_yaml(path, "framework mapping file", FrameworkError)
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("kind") != "mapping":
        raise FrameworkError(f"{path}: a mapping file is a mapping with kind: mapping, from, to, "
                             "source and lines")
    frameworks = {}
    for key in ("from", "to"):
        try:
            frameworks[key] = load_framework(str(data.get(key)))
        except FrameworkError:
            problems.append(f"'{key}': {data.get(key)!r} is not an installed framework")
    if not data.get("source"):
        problems.append("'source' must say where the mapping comes from")
    source_ids = {q.id for q in frameworks["from"].questions} if "from" in frameworks else None
    target_ids = {q.id for q in frameworks["to"].questions} if "to" in frameworks else None
    lines, seen = [], set()
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.append("'lines' must list each target key question with its sources")
        raw_lines = []
    for i, item in enumerate(raw_lines, start=1):
        label = f"lines[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{label} must be a mapping with to, from, approximate and source")
            continue
        target = str(item.get("to", ""))
        sources = item.get("from")
        sources = [sources] if isinstance(sources, str) else sources
        if not isinstance(sources, list) or not sources:
            problems.append(f"{label}: 'from' must list one or more key questions of the source")
            sources = []
        sources = tuple(str(s) for s in sources)
        if target_ids is not None and target not in target_ids:
            problems.append(f"{label}: {target!r} is not a key question of {data.get('to')}")
        if source_ids is not None:
            for s in sources:
                if s not in source_ids:
                    problems.append(f"{label}: {s!r} is not a key question of {data.get('from')}")
        if target in seen:
            problems.append(f"{label}: {target} is mapped twice")
        seen.add(target)
        if not isinstance(item.get("approximate"), bool):
            problems.append(f"{label}: 'approximate' must be true or false")
        if not item.get("source"):
            problems.append(f"{label}: needs a 'source' note saying why these questions compare")
        lines.append(MappingLine(target, sources, item.get("approximate") is not False,
                                 str(item.get("source") or "")))
    unmapped = data.get("unmapped") or {}
    if not isinstance(unmapped, dict):
        problems.append("'unmapped' must map a source key question to why it has no counterpart")
        unmapped = {}
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise FrameworkError(f"{path}: {len(problems)} problem(s) in the mapping file:\n{listed}")
    logger.debug("loaded mapping %s -> %s from %s", data["from"], data["to"], path)
    return Mapping(str(data["from"]), str(data["to"]), str(data["source"]), path, tuple(lines),
                   {str(k): str(v) for k, v in unmapped.items()})
