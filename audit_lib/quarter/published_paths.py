"""Paths in what a run publishes or keeps: written relative to the period config's folder, as
the manifest writes them, never as the machine's own folders (a folder's name can be a
person's: ``/home/jane.smith/quarters/``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from audit_lib.quarter.paths import project_root
from audit_lib.quarter.provenance import OWN_FILES, relative_to_config
from audit_lib.writing import atomic_path

logger = logging.getLogger(__name__)

#: The comment papermill's injected-parameters cell starts with, here saying how its paths read.
PARAMETERS_COMMENT = "Parameters (paths relative to the period config's folder)"
# A staging folder's random name, as published (`audit_lib.writing.published_path`).
_STAGED = re.compile(r"\.(?P<name>[^/\\\s]+?)\.staging\.[A-Za-z0-9_]+")


def machine_folders(base: Path) -> list[tuple[str, str]]:
    """The folders of this machine a published text must not name, each with how it is
    written instead, longest first: the config's folder (``.``) and every folder above it
    (``..``, ``../..``) but the file system's root, case-audit's own folder (``case-audit``,
    as `relative_to_config` names its files) and the user's home folder (``~``)."""
    base = Path(base).resolve()
    folders: dict[str, str] = {str(project_root().resolve()): OWN_FILES}
    for depth, folder in enumerate([base, *base.parents]):
        if folder == Path(folder.anchor):
            break
        # (a config kept inside case-audit's folder: its own files are named from the config)
        folders[str(folder)] = "." if depth == 0 else "/".join([".."] * depth)
    try:
        home = Path.home().resolve()
    except (RuntimeError, OSError):  # no home folder (a service account)
        home = None
    if home is not None and home != Path(home.anchor):
        folders.setdefault(str(home), "~")
    return sorted(folders.items(), key=lambda item: len(item[0]), reverse=True)


def _folders_pattern(folders: list[tuple[str, str]]) -> re.Pattern | None:
    if not folders:
        return None
    alternatives = "|".join(re.escape(folder) for folder, _ in folders)
    # A folder's name ends at a separator or at a character no name holds here.
    return re.compile(rf"(?:{alternatives})(?=[/\\]|$|[^\w.\-])")


def folder_finder(base: Path):
    """A test ``text -> bool``: whether the text names a folder of this machine
    (`machine_folders` of ``base``)."""
    pattern = _folders_pattern(machine_folders(base))
    return lambda text: bool(pattern and pattern.search(text))


def relative_text(text: str, base: Path, folders: list[tuple[str, str]] | None = None) -> str:
    """``text`` with every path under `machine_folders` written relative to ``base`` (the
    config's folder), and staging folders by the name they are published under."""
    folders = machine_folders(base) if folders is None else folders
    pattern = _folders_pattern(folders)
    if pattern is None:
        return text
    written = dict(folders)
    text = pattern.sub(lambda m: written[m.group(0)], text)
    return _STAGED.sub(r"\g<name>", text)


def relative_notebook(path: Path, base: Path, parameters: dict, kernel_name: str) -> None:
    """Rewrite an executed notebook so that it names no folder of this machine: its injected
    parameters and papermill's record of them relative to ``base`` (the config's folder, as the
    manifest has them), and every other text (outputs, error tracebacks, metadata) likewise.

    Raises
    ------
    OutputError
        If the notebook cannot be written back.
    """
    from audit_lib.quarter.jupyter_imports import without_iri_grammar

    without_iri_grammar()
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.read(path, as_version=4)
    relative = relative_to_config(parameters, base)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = translate_parameters(kernel_name, "python", relative, PARAMETERS_COMMENT)
    record = nb.metadata.get("papermill")
    if isinstance(record, dict):
        record["parameters"] = relative
        for key in ("input_path", "output_path"):
            if isinstance(record.get(key), str):
                record[key] = relative_to_config(record[key], base)
    folders = machine_folders(base)
    nb = _rewritten(nb, lambda text: relative_text(text, base, folders))
    with atomic_path(path) as tmp:
        nbformat.write(nb, tmp)


def _rewritten(value, change):
    """``value`` (a notebook, or any JSON-like part of one) with ``change`` applied to every
    text in it, keys included."""
    if isinstance(value, dict):
        out = type(value)()
        for key, item in value.items():
            out[change(key) if isinstance(key, str) else key] = _rewritten(item, change)
        return out
    if isinstance(value, list):
        return [_rewritten(item, change) for item in value]
    if isinstance(value, str):
        return change(value)
    return value
