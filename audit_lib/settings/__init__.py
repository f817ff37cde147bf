"""Read the policy settings shipped as YAML in ``audit_lib/settings`` (with their source notes)."""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from functools import lru_cache
from importlib import resources
from typing import BinaryIO

import yaml

from audit_lib.errors import ConfigError

logger = logging.getLogger(__name__)


class NotRegularFile(OSError):
    """A path that names something other than a regular file: a named pipe (FIFO), a device,
    a socket, or a link to one. Reading one could wait for ever (a pipe nobody writes to) or
    never end (``/dev/zero``), so case-audit refuses it before reading a byte. ``strerror``
    says what it is and what to do."""


#: What `open_regular` calls each kind of file that is not a regular one.
_SPECIAL = [(stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"),
            (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")]


def open_regular(path) -> BinaryIO:
    """Open ``path`` for reading in binary, only if it is a regular file (a link to one is
    followed).

    The file is opened without waiting (a named pipe opens at once instead of waiting for a
    writer) and what was opened is checked, so a pipe, a device, a socket, a folder, or a
    link to any of them, is refused before anything is read.

    Raises
    ------
    NotRegularFile
        An OSError whose ``strerror`` says what the path is and what to do.
    OSError
        As `open` does (a missing file, no permission ...).
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket cannot be opened as a file
            raise _not_regular(path, "a socket") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
            raise _not_regular(path, kind)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _not_regular(path, kind: str) -> NotRegularFile:
    return NotRegularFile(errno.EINVAL, f"it is {kind}, not a regular file; give the file "
                          "itself (a copy saved from the program that made it)", str(path))


def regular_file_problem(path) -> str | None:
    """What is wrong with reading ``path`` as a file, if it is a pipe, a device, a socket or
    a folder (or a link to one), without opening it; None for a regular file or a path that
    does not exist (the reader says so)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
    return _not_regular(path, kind).strerror


class _YamlRefused(Exception):
    """A YAML file uses something case-audit does not accept; ``what`` says what."""

    def __init__(self, what: str, mark):
        super().__init__(what)
        self.what, self.mark = what, mark


#: PyYAML's loader in C (libyaml) where it was built with it, else its pure-Python one: the same
#: constructor and the same Python values, read six to eight times as fast with the checks
#: below (benchmarks/README.md).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: How Python words a number it cannot read (``int("x")``, ``float("x")``): PyYAML raises it
#: for a value tagged ``!!int`` or ``!!float`` that is not a number.
_NOT_A_NUMBER = re.compile(r"invalid literal for int\(\)|could not convert string to float")


def _refuse_aliases_and_depth(text: str, max_depth: int | None, loader: type) -> None:
    """Read the first document's events with ``loader``'s parser and refuse the first alias, or
    the first node nested deeper than ``max_depth``, before anything is composed.

    An alias (``*name``) repeats a node an anchor named; aliases of aliases expand
    exponentially (a few hundred bytes become gigabytes: the "billion laughs"), and
    case-audit's files never need them. Nesting is limited before PyYAML's recursive
    composer could exhaust the stack. A node's depth counts itself and the collections
    around it (a top-level scalar is 1 deep); keys count as nodes. Only the first document
    is read: a second is refused as invalid YAML by the loader after.

    Raises
    ------
    _YamlRefused
        ``alias`` or ``depth``, with the event's mark.
    yaml.YAMLError
        If the text is not YAML (as the loader would raise it).
    """
    open_collections = 0
    documents = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                return
        elif isinstance(event, yaml.AliasEvent):
            raise _YamlRefused("alias", event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            open_collections -= 1
        elif isinstance(event, yaml.NodeEvent):  # a scalar or a collection's start
            if max_depth is not None and open_collections + 1 > max_depth:
                raise _YamlRefused("depth", event.start_mark)
            if isinstance(event, yaml.CollectionStartEvent):
                open_collections += 1


def _load(text: str, max_depth: int | None, loader: type) -> object:
    """The text's one document, read by ``loader`` after its aliases and depth are checked."""
    _refuse_aliases_and_depth(text, max_depth, loader)
    reading = loader(text)
    try:
        return reading.get_single_data()
    finally:
        reading.dispose()


def read_yaml(path, what: str, error: type[Exception] = ConfigError, *,
              trusted: bool = False) -> object:
    """Parse a YAML file, turning every way it can fail into one clear ``error``.

    Aliases are refused, and a user's file (anything not shipped with the package) must be
    within the size and nesting limits of ``settings/inputs.yaml`` (``yaml:``), so that a
    hostile file cannot exhaust memory or the interpreter's stack.

    Parameters
    ----------
    path : path or importlib Traversable
        The file.
    what : str
        What the file is, for messages ("framework file", "period config" ...).
    error : exception class
        Raised with a message naming the file (a ConfigError unless the caller's domain has
        its own, such as FrameworkError).
    trusted : bool
        True for the settings files shipped in the package (read before the limits are
        known); they are still refused aliases.

    Raises
    ------
    error
        If the file is missing, unreadable, not UTF-8, not YAML, uses aliases, or is larger
        or deeper than the limits.
    """
    max_bytes = max_depth = None
    if not trusted:
        limits = yaml_limits()
        max_bytes, max_depth = limits["max_bytes"], limits["max_depth"]
    if "\0" in str(path):  # no file name can hold it; the system would refuse it unexplained
        raise error(f"the {what}'s path holds a NUL character, which no file name can hold; "
                    "type the path again") from None
    try:
        if trusted:
            text = path.read_text(encoding="utf-8")
        else:
            # A user's file: only a regular file is read (a pipe would wait for ever and a
            # device never end), and no more of it than the limit.
            with open_regular(path) as fh:
                data = fh.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise error(f"{path}: the {what} is larger than {max_bytes:,} bytes, the limit "
                            "for YAML files (settings/inputs.yaml); it cannot be a case-audit "
                            "file.")
            text = data.decode("utf-8")
        try:
            return _load(text, max_depth, _Loader)
        except yaml.constructor.ConstructorError:
            raise  # the same constructor in C and in Python: the same error, the same line
        except yaml.YAMLError:
            if _Loader is yaml.SafeLoader:
                raise
            # Not YAML to libyaml (or nested past its own limit of a thousand levels, which
            # it reports as a parse error): read again in pure Python, which says what is
            # wrong and where as case-audit always has.
            return _load(text, max_depth, yaml.SafeLoader)
    except FileNotFoundError:
        raise error(f"{path}: cannot read the {what}: not found.") from None
    except UnicodeDecodeError:
        raise error(f"{path}: cannot read the {what} (it is not UTF-8 text).") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or type(exc).__name__})."
                    ) from None
    except ValueError as exc:
        if _NOT_A_NUMBER.search(str(exc)):  # a value tagged !!int or !!float that is not one
            raise error(f"{path}: the {what} holds a value marked as a number (!!int or "
                        "!!float) that is not a number; remove the mark or write the number."
                        ) from None
        # PyYAML's dates: an impossible one (2026-02-30) is a ValueError
        raise error(f"{path}: the {what} holds a date that does not exist (such as 30 "
                    "February); write it as YYYY-MM-DD.") from None
    except _YamlRefused as exc:
        where = f" at line {exc.mark.line + 1}" if exc.mark else ""
        if exc.what == "alias":
            raise error(f"{path}: the {what} uses a YAML alias (*name){where}, which case-audit "
                        "does not accept; write the value out in full.") from None
        raise error(f"{path}: the {what} is nested more than {max_depth} levels deep{where}, "
                    "the limit for YAML files (settings/inputs.yaml).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise error(f"{path}: the {what} is not valid YAML{where}.") from None
    except (RecursionError, MemoryError):  # a last resort: the limits above should prevent it
        raise error(f"{path}: the {what} is too large or too deeply nested to read.") from None


def input_limits(section: str, keys: tuple[str, ...]) -> dict[str, int]:
    """Limits from one section of ``settings/inputs.yaml`` (``yaml:``, ``tables:``,
    ``workbooks:``), each a positive whole number.

    Raises
    ------
    ConfigError
        If a limit is missing or not a positive whole number.
    """
    found = load_settings("inputs").get(section)
    limits = {}
    for key in keys:
        value = found.get(key) if isinstance(found, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"settings file inputs.yaml: '{section}: {key}' must be a "
                              "positive whole number.")
        limits[key] = value
    return limits


def yaml_limits() -> dict[str, int]:
    """Size and nesting limits for users' YAML files, from ``settings/inputs.yaml``.

    Raises
    ------
    ConfigError
        If a limit is missing or not a positive whole number.
    """
    return input_limits("yaml", ("max_bytes", "max_depth"))


@lru_cache(maxsize=None)
def load_settings(name: str) -> dict:
    """Return the settings file ``audit_lib/settings/<name>.yaml`` as a dict (keys ending in
    ``_source`` are the notes saying where each figure comes from).

    Raises
    ------
    ConfigError
        If the file is missing or not a YAML mapping.
    """
    data = read_yaml(resources.files("audit_lib") / "settings" / f"{name}.yaml",
                     "settings file", trusted=True)
    if not isinstance(data, dict):
        raise ConfigError(f"settings file {name}.yaml must be a mapping")
    return data


def interval_confidence() -> float:
    """The confidence level of every interval unless a period config or option says otherwise.

    From ``settings/statistics.yaml`` (``interval_confidence``), the one home of that default.

    Raises
    ------
    ConfigError
        If the setting is missing, lacks its source note, or is not between 0.5 and 1.
    """
    data = load_settings("statistics")
    value = data.get("interval_confidence")
    if not data.get("interval_confidence_source"):
        raise ConfigError("settings file statistics.yaml: interval_confidence needs an "
                          "interval_confidence_source note saying where it comes from")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 <= value < 1:
        raise ConfigError("settings file statistics.yaml: interval_confidence must be a number "
                          "from 0.5 to below 1 (for example 0.95)")
    return float(value)
