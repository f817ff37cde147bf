"""SHA-256 fingerprints of input files, to record them and to notice a file changed mid-run."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from audit_lib.errors import InputError, Problem

logger = logging.getLogger(__name__)


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(paths: Iterable[str | Path]) -> dict[str, str]:
    """SHA-256 of each existing file (missing files are left to the loaders to report)."""
    return {str(p): sha256(p) for p in paths if Path(p).is_file()}


def check_unchanged(before: dict[str, str]) -> None:
    """Raise if any file changed (or vanished) since ``before`` was taken.

    Raises
    ------
    InputError
        Naming each changed file; nothing is written then.
    """
    changed = [path for path, digest in before.items()
               if not Path(path).is_file() or sha256(path) != digest]
    if changed:
        raise InputError([Problem(path, None, None, "the file changed while it was being "
                                  "processed; nothing was written: run again once it is final")
                          for path in changed])
