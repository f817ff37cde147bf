"""The identifier gate for settings a user writes in YAML: period configs, recommendations
registers and custom framework files (every text, keys included)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import FrameworkError
from audit_lib.inputs.identifiers import configured_names, find_identifiers, message_for
from audit_lib.inputs.reading import file_label
from audit_lib.settings import read_yaml

logger = logging.getLogger(__name__)

#: Keys whose texts cite a document (a framework's or register's source notes): the date of a
#: publication is not a person's, so dates are allowed there.
CITATION_KEYS = ("source",)


def walk_texts(data: object, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """Every text in a parsed YAML structure: (location, key, text), keys included.

    A location reads like ``recommendations[2].finding``; a mapping key is yielded as a text
    of its own at ``<location> (a key)``. Numbers and dates are yielded as the text they were
    written as (YAML reads an unquoted ``9434765919`` as a number and ``2009-03-12`` as a
    date, and either could be an identifier); a number with a fraction (a measurement such as
    0.95) and true and false are not texts.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            key_text = str(key)
            where = f"{prefix}.{key_text}" if prefix else key_text
            yield f"{where} (a key)", "", key_text
            yield from _with_key(walk_texts(value, where), key_text)
    elif isinstance(data, list):
        for i, item in enumerate(data, start=1):
            yield from walk_texts(item, f"{prefix}[{i}]")
    elif isinstance(data, str):
        yield prefix, "", data
    elif isinstance(data, int) and not isinstance(data, bool):
        yield prefix, "", str(data)
    elif isinstance(data, float) and data.is_integer() and abs(data) < 1e16:
        yield prefix, "", str(int(data))  # 9434765919.0, as typed
    elif isinstance(data, (dt.date, dt.datetime)):
        yield prefix, "", data.isoformat()


def _with_key(items: Iterator[tuple[str, str, str]], key: str) -> Iterator[tuple[str, str, str]]:
    for where, inner, text in items:
        yield where, inner or key, text


def scan_structure(data: object, *, dates_allowed: Callable[[str, str], bool] = lambda w, k: False,
                   file_names: Callable[[str], bool] = lambda w: False,
                   names: tuple[str, ...] | None = None,
                   skip: Callable[[str], bool] = lambda w: False,
                   relative_to: Path | None = None) -> list[str]:
    """Messages for every text of a YAML structure that holds what looks like an identifier.

    Parameters
    ----------
    data : object
        As parsed from YAML.
    dates_allowed : callable
        ``(location, key) -> bool``: whether a full date is expected there (a period's end, a
        citation's source note).
    file_names : callable
        ``location -> bool``: whether the text is a path. A path is checked as it would be
        published, relative to ``relative_to`` (every folder and file name on the way, dates
        allowed as in file names), or by its last part without ``relative_to``.
    names : tuple of str, optional
        Names to look for; the configured names list by default.
    skip : callable
        ``location -> bool``: values checked elsewhere with a message of their own (a
        sampling seed, which is any whole number).
    relative_to : Path, optional
        The folder paths are written relative to (a period config's).

    Returns
    -------
    list of str
        ``"<location>: holds what looks like ..."``, never the text; a key that holds an
        identifier is named by its position instead, in its message and every other.
    """
    names = configured_names() if names is None else names
    items = [item for item in walk_texts(data) if not skip(item[0])]
    if not items:
        return []
    texts, allowed = [], []
    for where, key, text in items:
        if file_names(where) and not where.endswith("(a key)"):
            texts.append(published_form(text, relative_to))
            allowed.append(True)
        else:
            texts.append(text)
            allowed.append(dates_allowed(where, key))
    hits = find_identifiers(pd.Series(texts, dtype=object), names,
                            dates_allowed=np.array(allowed, dtype=bool))
    bad_keys = {items[int(i)][2] for index in hits.values() for i in index
                if items[int(i)][0].endswith("(a key)")}
    messages = []
    for kind, index in hits.items():
        for i in index:
            where = _withheld(items[int(i)][0], bad_keys)
            messages.append(f"{where}: {message_for(kind)}")
    return sorted(set(messages))


def published_form(path: str, base: Path | None) -> str:
    """A path as a run publishes it (relative to ``base``), without its ``..`` and ``.``
    parts, folders joined by "/"; without ``base``, its last part."""
    if base is None:
        return Path(path).name
    if os.path.isabs(path):
        try:
            path = os.path.relpath(path, base)
        except ValueError:  # another drive on Windows: only the name is published
            return Path(path).name
    return "/".join(p for p in re.split(r"[\\/]", path) if p not in ("", ".", ".."))


def _withheld(where: str, bad_keys: set[str]) -> str:
    for key in bad_keys:
        where = where.replace(key, "(key withheld)")
    return where


def gate_framework_file(name: str) -> None:
    """Check a framework chosen by id or path with the identifier gate, if it is the user's
    own (not shipped in the package): every text of the file, keys included.

    Raises
    ------
    FrameworkError
        Naming each location that holds what looks like an identifier, never the text.
    """
    from audit_lib.frameworks import framework_dirs, load_framework

    fw = load_framework(name)
    if fw.path.resolve().parent == framework_dirs()[0].resolve():  # the package's own
        return
    data = read_yaml(fw.path, "framework file", FrameworkError)
    problems = scan_structure(data, dates_allowed=lambda where, key: key in CITATION_KEYS
                              or key.endswith("_source"))
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise FrameworkError(f"{file_label(fw.path)[0]}: {len(problems)} problem(s) in the "
                             f"framework file:\n{listed}")
