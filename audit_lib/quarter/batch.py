"""Run many services' period configs in parallel; one failure never stops the others."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd

from audit_lib.errors import AuditError, ConfigError
from audit_lib.quarter.config import load_config
from audit_lib.quarter.kernel import ensure_kernel
from audit_lib.quarter.run import run
from audit_lib.settings import read_yaml

logger = logging.getLogger(__name__)

SUMMARY_COLUMNS = ["config", "period", "status", "attempts", "seconds", "results", "message"]
#: Fragments of errors raised when two kernels start at the same moment (ports, sockets);
#: such a start is retried rather than reported as the service's failure.
KERNEL_RACE_HINTS = ("Kernel died before replying", "kernel_info", "Address already in use",
                     "Kernel didn't respond", "ZMQError", "TimeoutError")


def find_configs(folder: str | Path) -> list[Path]:
    """Every period config under ``folder`` (``*.yaml`` and ``*.yml``, any depth), sorted.

    Raises
    ------
    ConfigError
        If the folder does not exist or holds no configs.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder of period configs")
    configs = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml")
                     and not p.name.startswith(".") and _looks_like_config(p))
    if not configs:
        raise ConfigError(f"{folder}: no period configs (YAML files with a 'period') found")
    return configs


def _looks_like_config(path: Path) -> bool:
    try:
        data = read_yaml(path, "period config")
    except ConfigError:
        return True  # let the run report it as a failure with its own message
    return isinstance(data, dict) and "period" in data


def run_one(config: str, retries: int = 2) -> dict:
    """Run one config in this process; returns a summary row (never raises)."""
    start = time.perf_counter()
    row = {"config": config, "period": "", "status": "failed", "attempts": 0, "seconds": 0.0,
           "results": "", "message": ""}
    for attempt in range(1, retries + 2):
        row["attempts"] = attempt
        try:
            row["period"] = load_config(config).period
            result = run(config, progress=lambda _: None)
            row.update(status="ok", results=str(result.period_dir), message="")
            break
        except AuditError as exc:
            row["message"] = _short(str(exc))
            if not any(hint in str(exc) for hint in KERNEL_RACE_HINTS) or attempt > retries:
                break
        except Exception as exc:  # a crash in one service must not stop the batch
            row["message"] = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
            if not any(hint in row["message"] for hint in KERNEL_RACE_HINTS) or attempt > retries:
                break
        time.sleep(0.5 * attempt)  # let the other kernel finish starting
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


def _short(message: str, limit: int = 400) -> str:
    """The first lines of an error (where and why) on one line, for the summary table."""
    lines = [line.strip(" -") for line in message.strip().splitlines() if line.strip()]
    text = " | ".join(lines[:3])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_batch(configs: list[Path], jobs: int | None = None,
              progress: Callable[[str], None] = print) -> pd.DataFrame:
    """Run every config with a pool of ``jobs`` processes (default: the number of cores).

    Returns
    -------
    pandas.DataFrame
        One row per config (`SUMMARY_COLUMNS`), in the order given.
    """
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    ensure_kernel()  # once, before the workers: installing it concurrently would race
    rows = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_one, str(c)): str(c) for c in configs}
        for done, future in enumerate(as_completed(futures), start=1):
            row = future.result()
            rows[futures[future]] = row
            mark = "ok" if row["status"] == "ok" else "FAILED"
            progress(f"[{done}/{len(configs)}] {mark:<6} {row['config']} ({row['seconds']} s)"
                     + (f": {row['message']}" if row["message"] else ""))
    return pd.DataFrame([rows[str(c)] for c in configs], columns=SUMMARY_COLUMNS)
