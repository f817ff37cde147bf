"""case-audit: audit youth justice case files against HMIP standards, with honest uncertainty.

The package reads bottom to top as the method (see the README's folder tree): ``inputs`` ->
``sampling`` -> ``returns`` -> ``scoring`` -> ``moderation`` / ``triangulation`` / ``trends`` ->
``report`` -> ``quarter``, with ``errors``, ``vocabulary``, ``settings``, ``frameworks`` and
``writing`` underneath and the ``case-audit`` command (``cli``) on top.

The entry points another program or a notebook needs are importable from here; they are
loaded on first use, so ``import audit_lib`` stays quick::

    from audit_lib import build_scorecard, write_scores, run_quarter
"""

from __future__ import annotations

from importlib import import_module

#: Public name -> (module, attribute).
_ENTRY_POINTS = {
    "AuditError": ("audit_lib.errors", "AuditError"),
    "InputError": ("audit_lib.errors", "InputError"),
    "ConfigError": ("audit_lib.errors", "ConfigError"),
    "load_framework": ("audit_lib.frameworks", "load_framework"),
    "available_frameworks": ("audit_lib.frameworks", "available_frameworks"),
    "build_plan": ("audit_lib.sampling.plan", "build_plan"),
    "sample_caseload": ("audit_lib.sampling.quarter_sample", "sample_caseload"),
    "write_sample": ("audit_lib.sampling.quarter_sample", "write_sample"),
    "build_scorecard": ("audit_lib.scoring.scorecard", "build_scorecard"),
    "write_scores": ("audit_lib.quarter.scores", "write_scores"),
    "run_triangulation": ("audit_lib.triangulation.writer", "run_triangulation"),
    "load_config": ("audit_lib.quarter.config", "load_config"),
    "init_quarter": ("audit_lib.quarter.init", "init_quarter"),
    "validate_files": ("audit_lib.quarter.validate", "validate_files"),
    "run_quarter": ("audit_lib.quarter.run", "run"),
}

__all__ = ["__version__", *_ENTRY_POINTS]


def __getattr__(name: str):
    """Import an entry point the first time it is asked for (PEP 562)."""
    if name == "__version__":  # importlib.metadata costs every command a few hundredths
        globals()[name] = _version()
        return globals()[name]
    if name not in _ENTRY_POINTS:
        raise AttributeError(f"module 'audit_lib' has no attribute {name!r}")
    module, attribute = _ENTRY_POINTS[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("case-audit")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def __dir__() -> list[str]:
    return sorted(__all__)
