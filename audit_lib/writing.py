"""Write results safely: atomic files, a staged output folder, and spreadsheet-safe text."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from audit_lib.errors import DiskFullError, OutputError
from audit_lib.settings import load_settings

logger = logging.getLogger(__name__)

def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


#: Permissions for files and folders we create: what the user's umask allows, as for any file
#: they save (mkstemp and mkdtemp would otherwise make them private to the owner).
_FILE_MODE = 0o666 & ~_umask()
_DIR_MODE = 0o777 & ~_umask()

#: A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
#: Characters skipped before looking for a formula's first character: spaces, and invisible
#: format characters (zero-width space, soft hyphen, byte-order mark ...), which a spreadsheet
#: may trim or ignore when it reads the cell.
_INVISIBLE_CATEGORIES = ("Cf", "Zs")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program could read ``text`` as a formula (or a DDE command).

    True when the text starts with ``= + - @``, a tab, carriage return or NUL; also after
    leading spaces and invisible format characters, and in the full-width and small forms
    (``＝ ＋ － ＠``, ``﹦``) and the minus sign, which some programs and input methods turn
    into their ASCII forms (Unicode NFKC).
    """
    if not text:
        return False
    first = text[0]
    if first in FORMULA_PREFIXES:
        return True
    if first.isascii() and not first.isspace():
        return False  # the common case, decided without Unicode tables
    start = 0
    while start < len(text) and (text[start] in " \u00a0" or
                                 unicodedata.category(text[start]) in _INVISIBLE_CATEGORIES):
        start += 1
    if start == len(text):
        return False
    head = unicodedata.normalize("NFKC", text[start:start + 2])[:1]
    return head in FORMULA_PREFIXES or head == "\u2212"


def neutralise_text(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be run as formulas; numbers stay numbers."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_text)
    return out


def write_cell(ws, row: int, column: int, value: object = None):
    """Put ``value`` in a worksheet cell (openpyxl) so that a spreadsheet shows it, never runs it.

    openpyxl stores any text starting with ``=`` as a formula; text that `looks_like_formula`
    is stored as text instead, with Excel's quote prefix (so editing the cell keeps it text),
    and keeps its exact value for whoever reads the workbook back. Control characters that
    Excel cannot store become U+FFFD.

    Returns
    -------
    openpyxl.cell.Cell
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and (cell.data_type == "f" or looks_like_formula(value)):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as UTF-8 CSV, atomically and spreadsheet-safe."""
    with atomic_path(path) as tmp:
        spreadsheet_safe(frame).to_csv(tmp, index=False, lineterminator="\n")


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write each frame as ``<name>.csv`` in ``folder`` (created if needed); return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = folder / (name if name.endswith(".csv") else f"{name}.csv")
        write_csv(frame, path)
        paths.append(path)
    return paths


def write_bytes(data: bytes, path: Path) -> None:
    """Write ``data`` (an image, say) to ``path``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(data: dict, path: Path) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_json_default) + "\n", encoding="utf-8")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it over ``path`` on success.

    A crash before the rename leaves any previous file at ``path`` untouched.

    Raises
    ------
    OutputError
        If the folder is not writable or the disk is full.
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise output_error(exc, path.parent) from None
    tmp = Path(name)
    try:
        os.chmod(tmp, _FILE_MODE)
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_error(exc, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staged_directory(out_dir: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``out_dir``; it replaces ``out_dir`` on success.

    On any error the staging folder is removed and ``out_dir`` (if it existed) is unchanged, so
    a failed run never leaves half-written results.

    Raises
    ------
    OutputError
        If the parent folder cannot be created or written.
    """
    out_dir = Path(out_dir)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        recover_stranded(out_dir)
        check_replaceable(out_dir)
        stage = make_stage(out_dir)
    except OSError as exc:
        raise output_error(exc, parent) from None
    try:
        yield stage
        seal(stage)
        check_replaceable(out_dir)  # again: someone may have added a file in the meantime
        replace_directory(stage, out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


#: Written into every results folder: a folder without it is never replaced, so a mistyped
#: --out cannot wipe a folder of inputs or other work. It lists every file case-audit wrote
#: there (with its SHA-256), so a file anyone else put in the folder, or changed, is noticed
#: before the folder is replaced.
MARKER = ".case-audit-output"
_MARKER_NOTE = ("Written by case-audit, which replaces this folder whole on each run. It lists "
                "every file case-audit wrote here; a run stops, changing nothing, if the folder "
                "holds anything else. Keep your own files elsewhere.")
_SHOWN = 20  # paths listed in a message; the rest are counted


def seal(folder: Path, run_id: str | None = None, **about) -> dict:
    """Write ``folder``'s marker: every file in it with its SHA-256, and every folder.

    Called when a staged folder is complete, just before it is swapped in. ``about`` adds
    fields to the listing (the service and period a run's results are of, PDFs printed from
    its pages). Returns what was written (``run``, ``files``, ``folders`` and ``about``'s).
    """
    folder = Path(folder)
    files, folders = {}, []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == MARKER:
            continue
        if path.is_dir():
            folders.append(rel)
        elif path.is_file():
            files[rel] = _sha256(path)
    listing = {"written_by": "case-audit", "about": _MARKER_NOTE, "run": run_id,
               **{k: v for k, v in about.items() if v is not None},
               "folders": folders, "files": files}
    with atomic_path(folder / MARKER) as tmp:
        tmp.write_text(json.dumps(listing, indent=1) + "\n", encoding="utf-8")
    return listing


def add_to_marker(folder: Path, path: Path, printed_from: Path | None = None) -> bool:
    """List a file case-audit has just written into a finished results folder (a report's PDF)
    in the folder's marker, so that the next run replaces it with the rest rather than stopping
    on it. A PDF is also listed under ``printed`` with the page it was printed from
    (``printed_from``), so that a later run never reads it as an input: it carries it while
    that page stays, and leaves it behind when the page is made again. Returns False, changing
    nothing, when the folder has no marker or already holds files case-audit did not write."""
    folder, path = Path(folder), Path(path)
    listing = read_marker(folder)
    if listing is None or unknown_files(folder) != [path.relative_to(folder).as_posix()]:
        return False
    rel = path.relative_to(folder).as_posix()
    listing["files"][rel] = _sha256(path)
    if printed_from is not None:
        listing.setdefault("printed", {})[rel] = Path(printed_from).relative_to(folder).as_posix()
    with atomic_path(folder / MARKER) as tmp:
        tmp.write_text(json.dumps(listing, indent=1) + "\n", encoding="utf-8")
    return True


def read_marker(folder: Path) -> dict | None:
    """The listing in ``folder``'s marker; None if there is no marker or it lists nothing (a
    staging folder not yet sealed, or a folder written by a case-audit before listings)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return None
    return data


def printed_files(folder: Path) -> dict[str, str]:
    """PDFs case-audit printed into a results folder (`add_to_marker`): each one's path and the
    page it was printed from, both relative to the folder."""
    listing = read_marker(folder) or {}
    printed = listing.get("printed")
    return {str(k): str(v) for k, v in printed.items()} if isinstance(printed, dict) else {}


def marker_damage(folder: Path) -> str | None:
    """What is wrong with ``folder``'s marker, when it is damaged (neither case-audit's listing
    nor the plain note of an earlier version): None when it is fine or absent."""
    path = Path(folder) / MARKER
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or type(exc).__name__})"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not text"
    if not text.lstrip().startswith(("{", "[")):
        return None  # the plain note an earlier version (or a staging folder) writes
    try:
        listing = json.loads(text)
    except ValueError:
        return "it is cut short or garbled"
    if not isinstance(listing, dict) or not isinstance(listing.get("files"), dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in listing["files"].items()):
        return "it does not list the files case-audit wrote"
    return None


def unknown_files(out_dir: Path) -> list[str]:
    """Paths in ``out_dir`` (relative, sorted) that its marker does not list with the same
    SHA-256: files someone else put there or changed since case-audit wrote them. Operating
    systems' own files (Thumbs.db, .DS_Store ...) are not counted.

    Raises
    ------
    OutputError
        If the folder has no listing to compare with.
    """
    out_dir = Path(out_dir)
    listing = read_marker(out_dir)
    if listing is None:
        raise OutputError(f"{out_dir}: this folder was written by an earlier version of "
                          "case-audit, which did not list the files it wrote, so a run cannot "
                          "tell your files from its own. Check that nothing of yours is in it, "
                          "then delete or rename the folder and run again (nothing was changed).")
    known, folders = listing["files"], set(listing.get("folders") or [])
    ignored = set(load_settings("outputs")["system_files"])
    unknown = []
    for path in sorted(out_dir.rglob("*")):
        rel = path.relative_to(out_dir).as_posix()
        if rel == MARKER or path.name in ignored or path.name.startswith("._"):
            continue
        if path.is_dir():
            if rel not in folders:
                unknown.append(rel + "/")
        elif rel not in known or _sha256(path) != known[rel]:
            unknown.append(rel)
    # A folder of someone else's is named once, not with every file in it.
    return [u for u in unknown if not any(u != o and o.endswith("/") and u.startswith(o)
                                          for o in unknown)]


def check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder that holds anything case-audit did not write.

    Raises
    ------
    OutputError
        If ``out_dir`` is a file; a non-empty folder without case-audit's marker; or a folder
        holding files its marker does not list (added, or changed since), which are named.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder; choose another --out.")
    if not out_dir.is_dir():
        return
    if not (out_dir / MARKER).exists():
        if any(out_dir.iterdir()):
            raise OutputError(f"{out_dir}: this folder already holds files case-audit did not "
                              "write, and results replace the whole folder; choose a new or "
                              "empty folder (nothing was changed).")
        return
    unknown = unknown_files(out_dir)
    if unknown:
        listed = "\n".join(f"  - {out_dir / u}" for u in unknown[:_SHOWN])
        more = f"\n  ... and {len(unknown) - _SHOWN:,} more" if len(unknown) > _SHOWN else ""
        raise OutputError(
            f"{out_dir}: holds {len(unknown):,} file(s) case-audit did not write, or changed "
            "since it wrote them; each run replaces this folder whole, so nothing was changed. "
            "Move them somewhere else (returned workbooks belong in a folder of their own, "
            f"outside the results), then run again:\n{listed}{more}")


def unsealed_stage(folder: Path) -> bool:
    """Whether ``folder`` is a staging folder not yet sealed: its marker is still the note
    `make_stage` wrote (no listing of files)."""
    try:
        return (Path(folder) / MARKER).read_text(encoding="utf-8").strip() == _MARKER_NOTE
    except (OSError, UnicodeDecodeError):
        return False


def make_stage(out_dir: Path) -> Path:
    """Create the staging folder for ``out_dir`` (beside it), marked as case-audit's."""
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging.", dir=out_dir.parent))
    os.chmod(stage, _DIR_MODE)
    (stage / MARKER).write_text(_MARKER_NOTE + "\n", encoding="utf-8")
    return stage


def published_path(path: str | Path) -> Path:
    """Where a file in a staging folder (`make_stage`) will be once the folder is swapped in
    (``outputs/.2026-Q2.staging.x1y2/sampling/sample.csv`` -> ``outputs/2026-Q2/sampling/
    sample.csv``), so messages name a place that will exist; other paths as they are."""
    parts = [_STAGED.sub(r"\g<name>", part) for part in Path(path).parts]
    return Path(*parts)


_STAGED = re.compile(r"^\.(?P<name>.+)\.staging\.[A-Za-z0-9_]+$")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def replace_directory(stage: Path, out_dir: Path) -> None:
    """Move the finished folder ``stage`` to ``out_dir``, replacing what was there.

    On Linux the two folders are exchanged in one atomic step (``renameat2`` with
    ``RENAME_EXCHANGE``), so a crash at any moment leaves either the old or the new results.
    Elsewhere the old folder is first moved aside; if the process dies between the two moves,
    the next run puts it back (`recover_stranded`).

    Raises
    ------
    OutputError
        If ``out_dir`` is a file or cannot be replaced; the previous folder is then restored.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder; choose another --out.")
    if out_dir.is_dir():
        try:
            exchanged = _exchange(stage, out_dir)
        except OSError as exc:
            raise output_error(exc, out_dir) from None
        if exchanged:
            shutil.rmtree(stage, ignore_errors=True)  # it now holds the previous results
            logger.info("results written to %s", out_dir)
            return
    old = None
    try:
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            os.replace(out_dir, old / out_dir.name)
        os.replace(stage, out_dir)
    except OSError as exc:
        if old is not None:
            with contextlib.suppress(OSError):
                if not out_dir.exists():
                    os.replace(old / out_dir.name, out_dir)
                old.rmdir()
        raise output_error(exc, out_dir) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("results written to %s", out_dir)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders where the system can (Linux); False where it cannot."""
    if sys.platform != "linux":
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)),
                 rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # e.g. a file system without it
        return False
    raise OSError(code, os.strerror(code), str(b))


def recover_stranded(out_dir: Path) -> None:
    """Put back previous results left aside by a run that died in the middle of its swap."""
    if out_dir.exists():
        return
    stranded = sorted(out_dir.parent.glob(f".{out_dir.name}.old.*/{out_dir.name}"),
                      key=lambda p: p.stat().st_mtime)
    if stranded:
        os.replace(stranded[-1], out_dir)
        shutil.rmtree(stranded[-1].parent, ignore_errors=True)
        logger.warning("restored the previous results of %s left by an interrupted run",
                       out_dir)


def output_error(exc: OSError, where: Path | None = None) -> OutputError:
    """The `OutputError` (a `DiskFullError` for a full disk) saying what went wrong with a
    file operation (`describe_os_error`)."""
    if isinstance(exc, shutil.Error) or where is None:
        message = describe_os_error(exc, where)
    else:
        message = _describe(exc, Path(where))
    return (DiskFullError if disk_full(exc) else OutputError)(message)


def disk_full(exc: BaseException) -> bool:
    """Whether an error is a full disk: an OSError saying so (shutil's copies gather theirs in
    one error), a `DiskFullError`, or an error whose message reports one (a notebook's)."""
    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        return any(_NO_SPACE in str(item[-1]).lower() for item in exc.args[0]
                   if isinstance(item, tuple) and item)
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return _NO_SPACE in str(exc).lower()


_NO_SPACE = "no space left on device"


def describe_os_error(exc: OSError, where: Path | None = None) -> str:
    """What went wrong with a file operation, in words, naming the path (``where`` or the
    error's own file name); never a traceback's text. shutil's copies gather their errors in
    one (a list of source, destination and reason): the first is named."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) \
            and exc.args[0] and isinstance(exc.args[0][0], tuple):
        _, target, why = (list(exc.args[0][0]) + ["", "", ""])[:3]
        where = where or Path(str(target))
        if disk_full(exc):
            return f"{_NO_SPACE}: {where}; free some space and run again"
        return f"{where}: could not copy ({str(why).split(':')[0] or 'error'})."
    if where is None:
        where = Path(os.fsdecode(exc.filename)) if exc.filename else None
    if where is None:
        return f"{exc.strerror or type(exc).__name__} (no file named)."
    if exc.errno in (errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS, errno.EEXIST,
                     errno.ENOTDIR):
        return _describe(exc, Path(where))
    return f"{where}: {exc.strerror or type(exc).__name__}."


def _describe(exc: OSError, where: Path) -> str:
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        blocker = next((p for p in (where, *where.parents) if p.is_file()), None)
        if blocker is not None:
            return f"{blocker}: exists and is not a folder; choose another --out."
    if exc.errno == errno.ENOSPC:
        # What was published before is untouched (every write is atomic); a failed run may be
        # kept, so this does not say "nothing was changed".
        return f"{_NO_SPACE}: {where}; free some space and run again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}: not allowed to write here; choose a folder you can write to."
    return f"{where}: could not write ({exc.strerror or type(exc).__name__})."


def _json_default(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
