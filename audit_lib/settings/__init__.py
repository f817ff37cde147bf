"""Read the policy settings shipped as YAML in ``audit_lib/settings`` (with their source notes)."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

import yaml

from audit_lib.errors import ConfigError

logger = logging.getLogger(__name__)


def read_yaml(path, what: str, error: type[Exception] = ConfigError) -> object:
    """Parse a YAML file, turning every way it can fail into one clear ``error``.

    Parameters
    ----------
    path : path or importlib Traversable
        The file.
    what : str
        What the file is, for messages ("framework file", "period config" ...).
    error : exception class
        Raised with a message naming the file (a ConfigError unless the caller's domain has
        its own, such as FrameworkError).
    """
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: cannot read the {what}: not found.") from None
    except UnicodeDecodeError:
        raise error(f"{path}: cannot read the {what} (it is not UTF-8 text).") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise error(f"{path}: the {what} is not valid YAML{where}.") from None


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
                     "settings file")
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
