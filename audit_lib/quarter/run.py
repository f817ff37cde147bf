"""Run a quarter: execute the notebooks, check what would be published, record history, swap in."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.errors import PipelineError
from audit_lib.frameworks import load_framework
from audit_lib.inputs.identifiers import NAMES_ENV
from audit_lib.quarter.config import PeriodConfig, load_config
from audit_lib.quarter.engine import WarmKernel
from audit_lib.quarter.kernel import ensure_kernel
from audit_lib.quarter.notebooks import execute
from audit_lib.quarter.provenance import build_manifest, hash_inputs
from audit_lib.quarter.publish_check import scan_outputs
from audit_lib.quarter.render import render_html
from audit_lib.quarter.steps import notebook_path, parameters_for, select_steps
from audit_lib.trends.history import load_earlier_quarters, record_periods
from audit_lib.trends.progress_step import current_results
from audit_lib.writing import (
    check_replaceable,
    make_stage,
    recover_stranded,
    replace_directory,
    write_json,
)

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run produced."""

    period_dir: Path
    steps: list[str]
    manifest: dict = field(default_factory=dict)


def run(config_path: str | Path, only: str | None = None,
        progress: Callable[[str], None] = print) -> RunResult:
    """Execute a quarter's notebooks and publish their results to ``<outputs>/<period>``.

    Work happens in a staging folder next to the period folder. Only when every step succeeded
    is it swapped in; on failure the previous results stay as they were, the failed run is
    kept in ``<outputs>/failed/`` for inspection, and the error names the notebook, the cell and
    the cause.

    Raises
    ------
    ConfigError
        For a bad config or step name.
    PipelineError
        When a notebook fails or an input changes during the run.
    """
    cfg = load_config(config_path)
    steps = select_steps(only)
    notebooks = {name: notebook_path(name, filename, cfg) for name, filename in steps}
    kernel = ensure_kernel()
    if cfg.inputs.get("names"):  # the kernels inherit the names list for the identifier gate
        os.environ[NAMES_ENV] = str(cfg.inputs["names"])
    inputs_before = hash_inputs(cfg)
    cfg.outputs.mkdir(parents=True, exist_ok=True)
    recover_stranded(cfg.period_dir)
    check_replaceable(cfg.period_dir)
    stage = make_stage(cfg.period_dir)
    if only and cfg.period_dir.is_dir():  # keep the other steps' results from the last run
        shutil.copytree(cfg.period_dir, stage, dirs_exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    timings, parameters = {}, {}
    warm = WarmKernel(kernel)  # one kernel for all the notebooks, each in a clean namespace
    try:
        # A first manifest, so the report's provenance footer can cite the inputs and versions.
        write_json(build_manifest(cfg, steps, inputs_before, {}, {}, started), stage / "manifest.json")
        for i, (name, filename) in enumerate(steps, start=1):
            params = parameters_for(name, cfg, stage)
            parameters[name] = params
            progress(f"[{i}/{len(steps)}] {filename} ...")
            t0 = time.perf_counter()
            executed = stage / filename
            execute(notebooks[name], executed, params, kernel, warm)
            t1 = time.perf_counter()
            render_html(executed, executed.with_suffix(".html"),
                        ", ".join(x for x in (cfg.service, cfg.period_label) if x))
            timings[name] = {"notebook": filename, "execute_s": round(t1 - t0, 3),
                             "html_s": round(time.perf_counter() - t1, 3)}
            progress(f"      done in {time.perf_counter() - t0:.1f} s")
        warm.shutdown()
        if hash_inputs(cfg) != inputs_before:
            raise PipelineError("an input file changed while the run was going on; nothing "
                                "was published: run again once the files are final")
        leaks = scan_outputs(stage)
        if leaks:
            listed = "\n".join(f"  - {p}" for p in leaks[:20])
            raise PipelineError(f"the results hold what looks like personal identifiers, so "
                                f"nothing was published:\n{listed}")
        manifest = build_manifest(cfg, steps, inputs_before, parameters, timings, started)
        write_json(manifest, stage / "manifest.json")
        if any(name == "scoring" for name, _ in steps):
            record_history(cfg, stage)
        replace_directory(stage, cfg.period_dir)
    except BaseException:
        failed = cfg.outputs / "failed" / f"{cfg.period}-{started:%Y%m%dT%H%M%S}"
        failed.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(stage), failed)
        logger.warning("failed run kept in %s", failed)
        raise
    finally:
        warm.shutdown()
    progress(f"Results in {cfg.period_dir}")
    return RunResult(cfg.period_dir, [n for n, _ in steps], manifest)


def record_history(cfg: PeriodConfig, run_dir: Path) -> None:
    """Record this period's key-question and local-check results (and any earlier quarters
    supplied) in the history database, each period replaced in one transaction. Rows are
    recorded under the framework's id, whether the config names it by id or by file."""
    fw_id = load_framework(cfg.framework).id
    rows = [current_results(run_dir / "scores", cfg.period, cfg.period_label,
                            cfg.period_end.isoformat(), fw_id)]
    if cfg.inputs.get("earlier_quarters"):
        rows.insert(0, load_earlier_quarters(cfg.inputs["earlier_quarters"], fw_id))
    record_periods(cfg.history, pd.concat(rows, ignore_index=True), cfg.service or None)
