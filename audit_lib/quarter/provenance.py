"""Provenance of a run: what was read (SHA-256), with what settings, code and package versions."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from audit_lib.inputs.fingerprints import fingerprint
from audit_lib.quarter.config import PeriodConfig
from audit_lib.quarter.paths import project_root
from audit_lib.writing import published_path


def runtime_packages() -> list[str]:
    """case-audit and every runtime dependency it declares (from the installed metadata, so the
    list follows pyproject.toml without being repeated here)."""
    try:
        required = metadata.requires("case-audit") or []
    except metadata.PackageNotFoundError:
        return ["case-audit"]
    names = [re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].strip() for spec in required
             if "extra ==" not in spec]
    return ["case-audit", *dict.fromkeys(n for n in names if n)]


def hash_inputs(cfg: PeriodConfig) -> dict[str, str]:
    """SHA-256 of the config, every input file it names, and the notebooks and framework files
    of its own it uses (those shipped with case-audit are identified by its version)."""
    files = [cfg.path]
    for value in cfg.inputs.values():
        if isinstance(value, list):
            files += value
        elif value is not None:
            files.append(value)
    files += list(cfg.notebooks.values())
    files += [p for p in framework_files(cfg) if not _shipped(p)]
    return fingerprint(files)


#: How a published path names a file of case-audit's own (a shipped notebook or framework)
#: when the config is kept elsewhere: from case-audit's folder, whose place is the machine's.
OWN_FILES = "case-audit"


def relative_to_config(value: object, base) -> object:
    """Paths in ``value`` (a path, or lists and dicts holding them) written relative to the
    config's folder, with forward slashes: a manifest names no folder of the machine that ran
    it, and reads the same on Windows. A file of case-audit's own, when the config is kept
    outside case-audit's folder, is named from that folder (``case-audit/notebooks/...``):
    the way up and down between the two would name the machine's folders."""
    if isinstance(value, dict):
        return {relative_to_config(k, base): relative_to_config(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [relative_to_config(v, base) for v in value]
    if isinstance(value, (str, os.PathLike)) and os.path.isabs(value):
        # A staged folder is named where it is published: the staging name is random, and
        # gone once the run is committed.
        value = published_path(value)
        own = project_root().resolve()
        if _inside(value, own) and not _inside(base, own):
            return f"{OWN_FILES}/" + Path(value).resolve().relative_to(own).as_posix()
        try:
            return os.path.relpath(value, base).replace(os.sep, "/")
        except ValueError:  # another drive on Windows: the name alone
            return os.path.basename(value)
    return value


def _inside(path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder)
    except (ValueError, OSError):
        return False
    return True


def framework_files(cfg: PeriodConfig) -> list[Path]:
    """The framework and check-set files a quarter is scored against."""
    from audit_lib.frameworks import LOCAL_CHECKS_ID, load_framework

    return [load_framework(cfg.framework).path, load_framework(LOCAL_CHECKS_ID).path]


def code_fingerprints(cfg: PeriodConfig, steps) -> dict[str, dict[str, str]]:
    """What ran: each step's notebook and each framework file, with its SHA-256 and whether it
    is the user's own rather than case-audit's."""
    from audit_lib.quarter.steps import notebook_path

    out = {}
    for name, filename in steps:
        path = notebook_path(name, filename, cfg)
        out[f"notebook:{name}"] = {"file": path.name, "path": str(path),
                                   "sha256": fingerprint([path])[str(path)],
                                   "own": name in cfg.notebooks}
    for path in framework_files(cfg):
        out[f"framework:{path.stem}"] = {"file": path.name, "path": str(path),
                                         "sha256": fingerprint([path])[str(path)],
                                         "own": not _shipped(path)}
    return out


def _shipped(path: Path) -> bool:
    from audit_lib.frameworks import framework_dirs

    return Path(path).resolve().parent == framework_dirs()[0].resolve()


def build_manifest(cfg, steps, hashes, parameters, timings, started, run_id: str | None = None
                   ) -> dict:
    """What a run read and did, with every path relative to the period config's folder."""
    base = cfg.path.parent
    versions = {}
    for package in runtime_packages():
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "run": run_id,
        "period": cfg.period,
        "period_label": cfg.period_label,
        "service": cfg.service,
        "framework": cfg.framework,
        "config": cfg.path.name,
        "paths_relative_to": "the period config's folder",
        "steps": [name for name, _ in steps],
        "inputs_sha256": relative_to_config(hashes, base),
        "code": relative_to_config(code_fingerprints(cfg, steps), base),
        "parameters": relative_to_config(parameters, base),
        "python": sys.version.split()[0],
        "packages": versions,
        "git_commit": _git_commit(),
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "durations": timings,
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project_root(), text=True,
                             capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
