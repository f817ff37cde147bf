"""Read the policy settings shipped as YAML in ``audit_lib/settings`` (with their source notes)."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

import yaml

from audit_lib.errors import ConfigError

logger = logging.getLogger(__name__)


@lru_cache(maxsize=None)
def load_settings(name: str) -> dict:
    """Return the settings file ``audit_lib/settings/<name>.yaml`` as a dict (keys ending in
    ``_source`` are the notes saying where each figure comes from).

    Raises
    ------
    ConfigError
        If the file is missing or not a YAML mapping.
    """
    path = resources.files("audit_lib") / "settings" / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"settings file {name}.yaml is missing or unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"settings file {name}.yaml must be a mapping")
    return data
