"""Run a quarter: execute the notebooks, check what would be published, then commit results,
internal tables and history together (`audit_lib.quarter.commit`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.errors import IdentifierRefusal, PipelineError
from audit_lib.frameworks import load_framework
from audit_lib.inputs.identifiers import names_in_force
from audit_lib.quarter.changes import after_commit
from audit_lib.quarter.commit import (
    Journal,
    commit,
    finish_interrupted,
    has_results,
    history_change,
    new_run_id,
    period_lock,
    remove_stale_stages,
)
from audit_lib.quarter.config import RESULTS, PeriodConfig, load_config
from audit_lib.quarter.engine import WarmKernel
from audit_lib.quarter.failed_runs import discard_interrupted, keep_failed
from audit_lib.quarter.kernel import ensure_kernel
from audit_lib.quarter.notebooks import execute
from audit_lib.quarter.provenance import build_manifest, hash_inputs
from audit_lib.quarter.publish_check import describe, scan_outputs
from audit_lib.quarter.published_paths import relative_notebook
from audit_lib.quarter.render import render_html
from audit_lib.quarter.steps import (
    STEPS,
    check_partial_run,
    notebook_path,
    parameters_for,
    select_steps,
)
from audit_lib.quarter.summary import run_summary
from audit_lib.quarter.undo import (
    check_folders,
    generation_swaps,
    identity,
    shown,
    undo_journal,
    withdraw_journal,
)
from audit_lib.trends.history import load_earlier_quarters, read_recorded, recorded_periods
from audit_lib.trends.progress_step import current_results
from audit_lib.writing import (
    make_stage,
    output_error,
    printed_files,
    recover_stranded,
    seal,
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
        progress: Callable[[str], None] = print, *, allow_gaps: bool | None = None) -> RunResult:
    """Execute a quarter's notebooks and publish their results to ``<outputs>/<period>``.

    Work happens in staging folders beside the period's published and internal folders. Only
    when every step succeeded, the inputs did not change and nothing to be published holds an
    identifier, are both swapped in and the history recorded, as one commit: a run stopped at
    any moment leaves the previous results, internal tables and history, or the new ones, all
    three together. The generation replaced is kept (``<outputs>/.previous/<period>``) for
    `undo`. On failure the failed run is kept in ``<outputs>/failed/`` for inspection, without
    any file that holds an identifier, and the error names the notebook, the cell and the cause.

    Raises
    ------
    ConfigError
        For a bad config or step name, or an entry a chosen step needs and the config lacks
        (all named at once, before any step runs).
    PipelineError
        When a notebook fails (gaps in the returns, unless allowed, among the causes), an
        input changes during the run, or the results hold what looks like an identifier.
    OutputError
        When results cannot be written, or the results folders hold files case-audit did not
        write (named; nothing is changed).
    """
    steps = select_steps(only)
    cfg = load_config(config_path, steps=[name for name, _ in steps])
    if allow_gaps is not None:  # the command line's --allow-gaps, over the config's
        cfg.allow_gaps = allow_gaps
    if only:
        check_partial_run([name for name, _ in steps], cfg.period_dir)
    notebooks = {name: notebook_path(name, filename, cfg) for name, filename in steps}
    kernel = ensure_kernel()
    # The config's names list is in force for this run only (the kernels inherit it): in a
    # batch, the next service's run must not be checked against this one's list.
    with names_in_force(cfg.inputs.get("names")):
        inputs_before = hash_inputs(cfg)
        internal_dir = cfg.internal / cfg.period
        with period_lock(cfg.outputs, cfg.period):
            prepare(cfg)
            run_id = new_run_id()
            stage = make_stage(cfg.period_dir)
            internal_dir.parent.mkdir(parents=True, exist_ok=True)
            internal_stage = make_stage(internal_dir)
            started = dt.datetime.now(dt.timezone.utc)
            warm = WarmKernel(kernel)  # one kernel for all the notebooks, each in a clean namespace
            carried: dict[str, str] = {}
            dropped: list[str] = []
            try:
                # Keep the other steps' results from the last run (none once withdrawn).
                if only and has_results(cfg.period_dir):
                    for old, new in ((cfg.period_dir, stage), (internal_dir, internal_stage)):
                        if has_results(old):
                            try:
                                shutil.copytree(old, new, dirs_exist_ok=True)
                            except OSError as exc:  # a full disk names the file, not "."
                                raise output_error(exc) from None
                if has_results(cfg.period_dir):
                    carried, dropped = _printed(cfg.period_dir, stage, [n for n, _ in steps])
                manifest = _execute_steps(cfg, steps, notebooks, kernel, warm, stage,
                                          internal_stage, inputs_before, run_id, started,
                                          progress, carried)
                journal = _journal(cfg, steps, run_id, stage, internal_stage, carried)
            except BaseException as exc:
                shutil.rmtree(internal_stage, ignore_errors=True)
                failed = keep_failed(cfg.outputs, cfg.period, cfg.path.parent, stage, started,
                                     exc, carried)
                if failed is not None:
                    progress(f"The failed run is kept in {failed} (failed.log says why; only the "
                             "latest few of this period are kept, as settings/runs.yaml says).")
                raise
            finally:
                warm.shutdown()
            commit(journal)
    for line in run_summary(cfg.period_dir, [n for n, _ in steps], RESULTS,
                            cfg.internal / cfg.period):
        progress(line)
    for name in dropped:
        progress(f"The PDF {name} was printed from the page this run made again, so it was "
                 "not kept with the new results (the previous run's results keep it, for "
                 f"undo): print it again with case-audit pdf {shown(cfg.period_dir, cfg)}/"
                 f"{printed_page(name)}")
    for line in after_commit(cfg, [n for n, _ in steps]):
        progress(line)
    return RunResult(cfg.period_dir, [n for n, _ in steps], manifest)


def printed_page(pdf: str) -> str:
    """The page a PDF was printed from (as `case-audit pdf` names it by default)."""
    return str(Path(pdf).with_suffix(".html").as_posix())


def _printed(results: Path, stage: Path, steps: list[str]) -> tuple[dict[str, str], list[str]]:
    """The PDFs case-audit printed from the period's pages, among the results copied into the
    stage: those of a page this run makes again are taken out (a PDF must show the page it is
    published with); the rest are carried, never read as an input. Returns the carried (PDF
    -> page) and the names taken out."""
    made_again = {Path(notebook).with_suffix(".html").name for name, notebook in STEPS
                  if name in steps}
    carried, dropped = {}, []
    for pdf, page in printed_files(results).items():
        copy = stage / pdf
        if Path(page).name in made_again:
            copy.unlink(missing_ok=True)
            dropped.append(pdf)
        elif copy.is_file():
            carried[pdf] = page
    return carried, dropped


def prepare(cfg: PeriodConfig) -> None:
    """Before a run, an undo or a withdrawal (the caller holds the period's lock): finish any
    commit a stopped run left, remove stopped runs' staging folders, and check that the
    period's folders (and the generation kept for undo) hold nothing case-audit did not write.

    Raises
    ------
    OutputError
        If a folder holds files case-audit did not write, or a damaged marker or journal
        (named; nothing is changed).
    """
    finish_interrupted(cfg.outputs, holding=cfg.period, base=cfg.path.parent)
    discard_interrupted(cfg.outputs, cfg.period)  # an older case-audit's unfinished clean-up
    internal_dir = cfg.internal / cfg.period
    for folder in (cfg.period_dir, internal_dir):
        recover_stranded(folder)  # from the swap of an older case-audit's run
        remove_stale_stages(folder.parent, folder.name)
    check_folders(cfg)


def _execute_steps(cfg, steps, notebooks, kernel, warm: WarmKernel, stage: Path,
                   internal_stage: Path, inputs_before: dict, run_id: str, started,
                   progress, carried: dict[str, str]) -> dict:
    timings, parameters = {}, {}
    # A first manifest, so the report's provenance footer can cite the inputs and versions.
    write_json(build_manifest(cfg, steps, inputs_before, {}, {}, started, run_id),
               stage / "manifest.json")
    for i, (name, filename) in enumerate(steps, start=1):
        params = parameters_for(name, cfg, stage)
        if name == "scoring":  # unsuppressed tables are staged and committed with the rest
            params["internal_dir"] = str(internal_stage)
        parameters[name] = params
        progress(f"[{i}/{len(steps)}] {filename} ...")
        t0 = time.perf_counter()
        executed = stage / filename
        # The executed notebook names no folder of this machine, failed or not (a failed one
        # that cannot be rewritten is removed from the kept run by the publish check).
        try:
            execute(notebooks[name], executed, params, kernel, warm)
        except BaseException:
            if executed.is_file():
                with contextlib.suppress(Exception):
                    relative_notebook(executed, cfg.path.parent, params, kernel)
            raise
        relative_notebook(executed, cfg.path.parent, params, kernel)
        t1 = time.perf_counter()
        render_html(executed, executed.with_suffix(".html"),
                    ", ".join(x for x in (cfg.service, cfg.period_label) if x))
        timings[name] = {"notebook": filename, "execute_s": round(t1 - t0, 3),
                         "html_s": round(time.perf_counter() - t1, 3)}
        progress(f"      done in {time.perf_counter() - t0:.1f} s")
    warm.shutdown()  # the kernel is not needed for the checks and the commit
    if hash_inputs(cfg) != inputs_before:
        raise PipelineError("an input file changed while the run was going on; nothing "
                            "was published: run again once the files are final")
    manifest = build_manifest(cfg, steps, inputs_before, parameters, timings, started, run_id)
    write_json(manifest, stage / "manifest.json")
    leaks = scan_outputs(stage, carried=carried, base=cfg.path.parent)
    if leaks:
        raise IdentifierRefusal("the results hold what looks like personal identifiers, so "
                                "nothing was published; " + describe(leaks))
    return manifest


def _journal(cfg: PeriodConfig, steps, run_id: str, stage: Path, internal_stage: Path,
             carried: dict[str, str]) -> Journal:
    """Seal the staged folders and say what the commit will do (nothing changes yet)."""
    history, undo_history = None, None
    if any(name == "scoring" for name, _ in steps):
        history, undo_history = history_change(cfg.history, history_rows(cfg, stage),
                                               cfg.service or None, cfg.period, run_id)
    seal(stage, run_id, **identity(cfg, stage), printed=carried or None)
    seal(internal_stage, run_id, **identity(cfg, internal_stage))
    check_folders(cfg)  # again: a file may have arrived meanwhile
    swaps, replaced = generation_swaps(cfg, stage, internal_stage)
    undo = {"run": replaced}
    if undo_history is not None:
        undo["history"] = undo_history
    return Journal(run=run_id, period=cfg.period, outputs=str(cfg.outputs), swaps=swaps,
                   history=history, undo=undo, base=str(cfg.path.parent))


def history_rows(cfg: PeriodConfig, run_dir: Path) -> pd.DataFrame:
    """This period's key-question and local-check results, as the history database records
    them (under the framework's id, whether the config names it by id or by file), and the
    earlier-quarters file's rows of periods the history lacks: a period recorded by its own
    run (or withdrawn) is never replaced by the file."""
    fw_id = load_framework(cfg.framework).id
    rows = [current_results(run_dir / "scores", cfg.period, cfg.period_label,
                            cfg.period_end.isoformat(), fw_id)]
    if cfg.inputs.get("earlier_quarters"):
        earlier = load_earlier_quarters(cfg.inputs["earlier_quarters"], fw_id)
        held = {cfg.period}
        if cfg.history.is_file():
            held |= set(recorded_periods(cfg.history)["period"])
            held |= {entry["period"] for entry in read_recorded(cfg.history)}
        rows.insert(0, earlier.loc[~earlier["period"].isin(held)])
    return pd.concat(rows, ignore_index=True)


def undo(config_path: str | Path, progress: Callable[[str], None] = print) -> Path:
    """Put back the period's previous results, internal tables and history rows, as one commit;
    the undone ones become the previous generation (so undoing again redoes). Reads only the
    config's outputs, internal and history entries.

    Raises
    ------
    ConfigError
        If there is no previous generation.
    OutputError
        If the results folders hold files case-audit did not write, or a note of case-audit's
        is damaged, or cannot be written.
    """
    cfg = load_config(config_path, steps=(), check_files=False)
    with period_lock(cfg.outputs, cfg.period):
        prepare(cfg)
        commit(undo_journal(cfg, new_run_id()))
    state = ("has no results now (undo again to put them back)"
             if not has_results(cfg.period_dir) else
             f"has its previous results back in {shown(cfg.period_dir, cfg)}")
    progress(f"{cfg.period} {state}.")
    for line in after_commit(cfg, []):
        progress(line)
    return cfg.period_dir


def withdraw(config_path: str | Path, progress: Callable[[str], None] = print) -> Path:
    """Take the period out of the published results, the internal tables and the history, as
    one commit (`undo` puts it back). Reads only the config's outputs, internal and history
    entries.

    Raises
    ------
    ConfigError
        If the period has no results to withdraw.
    OutputError
        If the results folders hold files case-audit did not write, or cannot be written.
    """
    cfg = load_config(config_path, steps=(), check_files=False)
    with period_lock(cfg.outputs, cfg.period):
        prepare(cfg)
        commit(withdraw_journal(cfg, new_run_id()))
    progress(f"Withdrew {cfg.period}: its results, internal tables and history rows are kept "
             f"for undo only (case-audit undo --config {shown(cfg.path, cfg)} puts them back).")
    for line in after_commit(cfg, []):
        progress(line)
    return cfg.period_dir
