"""Run a quarter: execute the notebooks with papermill, render HTML, record history, manifest."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path

from audit_lib.config import PeriodConfig, load_config
from audit_lib.errors import AuditError, ConfigError
from audit_lib.fingerprints import fingerprint
from audit_lib.outputs import (
    check_replaceable, make_stage, recover_stranded, replace_directory, write_json,
)

logger = logging.getLogger(__name__)

#: The steps of a quarter, in order, and the notebook each runs.
STEPS = (
    ("sampling", "01_sampling.ipynb"),
    ("scoring", "02_scoring.ipynb"),
    ("triangulation", "03_triangulation.ipynb"),
    ("report", "04_assurance_report.ipynb"),
)
KERNEL_NAME = "case-audit"
PACKAGES = ("case-audit", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "papermill",
            "nbconvert", "nbformat", "ipykernel", "pandera", "openpyxl", "defusedxml", "pyyaml",
            "holidays")


class PipelineError(AuditError):
    """A notebook failed; the message names the notebook, the cell and the cause."""


#: Names of case-audit's own exceptions, whose messages are safe to repeat.
_OWN_ERRORS = {"AuditError", "InputError", "ConfigError", "FrameworkError", "OutputError",
               "PipelineError"}


@dataclass
class RunResult:
    """What a run produced."""

    period_dir: Path
    steps: list[str]
    manifest: dict = field(default_factory=dict)


def project_root() -> Path:
    """The repository folder that holds ``notebooks/`` (the package's parent)."""
    return Path(str(resources.files("audit_lib"))).parent


def ensure_kernel() -> str:
    """Make sure a Jupyter kernel named `KERNEL_NAME` runs this very interpreter.

    The kernelspec is installed into this environment (``sys.prefix``), so notebooks always
    execute with the toolkit's own Python and packages, whatever other kernels exist.
    """
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    install(kernel_name=KERNEL_NAME, display_name="Python (case-audit)", prefix=sys.prefix)
    logger.info("installed the %s kernel for %s", KERNEL_NAME, sys.executable)
    return KERNEL_NAME


def parameters_for(step: str, cfg: PeriodConfig, run_dir: Path) -> dict:
    """The parameters each notebook receives from the period config (paths absolute)."""
    inputs = cfg.inputs
    s = cfg.sampling

    def path(key: str) -> str:
        return str(inputs[key]) if inputs.get(key) else ""

    if step == "sampling":
        return {
            "caseload": path("caseload"), "out_dir": str(run_dir / "sampling"),
            "framework": cfg.framework, "seed": int(s.get("seed", 0)),
            "confidence": float(s.get("confidence", 0.8)), "margin": float(s.get("margin", 0.05)),
            "size": int(s.get("size") or 0), "strata": list(s.get("strata", [])),
            "reviewers": [str(r) for r in s.get("reviewers", [])],
            "double_mark": float(s.get("double_mark", 0.2)),
            "victim_minimum": int(s.get("victim_minimum", 9)),
        }
    if step == "scoring":
        return {
            "answers": [str(p) for p in inputs["answers"]],
            "moderation": [str(p) for p in inputs["moderation"]],
            "facts": path("facts"), "judgements": path("judgements"),
            "sample_dir": str(run_dir / "sampling"), "framework": cfg.framework,
            "confidence": cfg.confidence,
            "victim_contact_days": -1 if cfg.victim_contact_days is None
            else cfg.victim_contact_days,
            "disclosure_threshold": cfg.disclosure_threshold,
            "internal_dir": str(cfg.internal / cfg.period),
            "out_dir": str(run_dir / "scores"),
        }
    if step == "triangulation":
        return {"register": path("register"), "evidence": path("evidence"),
                "scores_dir": str(run_dir / "scores"), "out_dir": str(run_dir / "triangulation")}
    if step == "report":
        return {
            "run_dir": str(run_dir), "service": cfg.service, "period": cfg.period,
            "period_label": cfg.period_label, "period_end": cfg.period_end.isoformat(),
            "framework": cfg.framework, "confidence": cfg.confidence,
            "history": str(cfg.history), "earlier_quarters": path("earlier_quarters"),
            "baseline": path("baseline"), "sustained_quarters": cfg.sustained_quarters,
            "target_rating": cfg.target_rating,
            "disclosure_threshold": cfg.disclosure_threshold,
            "out_dir": str(run_dir / "report"),
        }
    raise ConfigError(f"unknown step {step!r}")


def notebook_path(step: str, filename: str, cfg: PeriodConfig) -> Path:
    """The notebook a step runs: the project's own, unless the config names another.

    Raises
    ------
    ConfigError
        If the notebook does not exist.
    """
    path = cfg.notebooks.get(step) or project_root() / "notebooks" / filename
    if not path.is_file():
        raise ConfigError(f"notebook for step {step!r} not found: {path}")
    return path


def select_steps(only: str | None) -> list[tuple[str, str]]:
    """The steps to run: all, or those named in ``only`` (comma-separated).

    Raises
    ------
    ConfigError
        For an unknown step name.
    """
    if not only:
        return list(STEPS)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    names = [name for name, _ in STEPS]
    for w in wanted:
        if w not in names:
            raise ConfigError(f"unknown step {w!r}; steps are {', '.join(names)}")
    return [(n, f) for n, f in STEPS if n in wanted]


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
        from audit_lib.privacy import NAMES_ENV

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
    try:
        # A first manifest, so the report's provenance footer can cite the inputs and versions.
        write_json(_manifest(cfg, steps, inputs_before, {}, {}, started), stage / "manifest.json")
        for i, (name, filename) in enumerate(steps, start=1):
            params = parameters_for(name, cfg, stage)
            parameters[name] = params
            progress(f"[{i}/{len(steps)}] {filename} ...")
            t0 = time.perf_counter()
            executed = stage / filename
            _execute(notebooks[name], executed, params, kernel)
            t1 = time.perf_counter()
            render_html(executed, executed.with_suffix(".html"))
            timings[name] = {"notebook": filename, "execute_s": round(t1 - t0, 3),
                             "html_s": round(time.perf_counter() - t1, 3)}
            progress(f"      done in {time.perf_counter() - t0:.1f} s")
        if hash_inputs(cfg) != inputs_before:
            raise PipelineError("an input file changed while the run was going on; nothing "
                                "was published: run again once the files are final")
        leaks = scan_outputs(stage)
        if leaks:
            listed = "\n".join(f"  - {p}" for p in leaks[:20])
            raise PipelineError(f"the results hold what looks like personal identifiers, so "
                                f"nothing was published:\n{listed}")
        manifest = _manifest(cfg, steps, inputs_before, parameters, timings, started)
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
    progress(f"Results in {cfg.period_dir}")
    return RunResult(cfg.period_dir, [n for n, _ in steps], manifest)


def _quiet_kernel_manager():
    """A kernel manager whose kernel does not write its own log lines to the terminal.

    ipykernel prints start-up warnings and shutdown messages on stderr that mean nothing to a
    QA officer (and fill batch logs); errors in cells still reach us through the notebook.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

        _launch_kernel = _async_launch_kernel

    return QuietKernelManager


def _execute(notebook: Path, output: Path, params: dict, kernel: str) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(notebook), str(output), parameters=params, kernel_name=kernel,
                            cwd=str(notebook.parent), progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False,
                            kernel_manager_class=_quiet_kernel_manager())
    except PapermillExecutionError as exc:
        # Our own errors are written for users and never hold a cell's value; other errors'
        # text might quote data, so only their kind is shown (the details stay in the
        # executed notebook kept with the failed run).
        if exc.ename in _OWN_ERRORS:
            cause = f"{exc.ename}: {exc.evalue}".strip()
        else:
            cause = f"{exc.ename} (an unexpected error: details in the executed notebook)"
        raise PipelineError(
            f"notebook {notebook.name} failed in cell {exc.exec_count} "
            f"(code cell {exc.cell_index}):\n{cause}\nThe executed notebook up to the failure "
            f"is kept with the failed run.") from None


def render_html(executed: Path, html_path: Path) -> None:
    """Render an executed notebook as a self-contained HTML page without code cells.

    The report template removes every script the standard templates fetch from a CDN
    (require.js, MathJax, mermaid, widgets); charts are embedded as images.
    """
    import nbformat
    from nbconvert import HTMLExporter

    templates = Path(str(resources.files("audit_lib") / "templates"))
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(templates)],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:  # warnings and logs on stderr are for the QA officer, not the board
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    body, _ = exporter.from_notebook_node(nb)
    html_path.write_text(body, encoding="utf-8")


def hash_inputs(cfg: PeriodConfig) -> dict[str, str]:
    """SHA-256 of the config and every input file it names."""
    files = [cfg.path]
    for value in cfg.inputs.values():
        if isinstance(value, list):
            files += value
        elif value is not None:
            files.append(value)
    return fingerprint(files)


def record_history(cfg: PeriodConfig, run_dir: Path) -> None:
    """Record this period's key-question results (and any earlier quarters supplied) in the
    history database, each period replaced in one transaction."""
    import pandas as pd

    from audit_lib.history import load_earlier_quarters, period_results, record_periods

    kq = pd.read_csv(run_dir / "scores" / "key_questions.csv", dtype={"question_id": str})
    rows = [period_results(kq, cfg.period, cfg.period_label, cfg.period_end.isoformat(),
                           cfg.framework)]
    if cfg.inputs.get("earlier_quarters"):
        rows.insert(0, load_earlier_quarters(cfg.inputs["earlier_quarters"], cfg.framework))
    record_periods(cfg.history, pd.concat(rows, ignore_index=True), cfg.service or None)


def _manifest(cfg, steps, hashes, parameters, timings, started) -> dict:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "period": cfg.period,
        "period_label": cfg.period_label,
        "service": cfg.service,
        "framework": cfg.framework,
        "config": str(cfg.path),
        "steps": [name for name, _ in steps],
        "inputs_sha256": hashes,
        "parameters": parameters,
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


def run_notebook(notebook: str | Path, out_dir: str | Path, parameters: dict) -> Path:
    """Execute one notebook outside a quarter (e.g. the regional roll-up) and render its HTML.

    The executed notebook and its HTML land in ``out_dir`` with the notebook's own tables.

    Raises
    ------
    PipelineError
        Naming the cell and the cause when the notebook fails.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notebook = Path(notebook)
    executed = out / notebook.name
    _execute(notebook, executed, {**parameters, "out_dir": str(out)}, ensure_kernel())
    render_html(executed, executed.with_suffix(".html"))
    return executed.with_suffix(".html")


def scan_outputs(folder: Path) -> list:
    """Run the identifier gate over every table and report a run is about to publish.

    CSV files are scanned cell by cell (dates allowed in the schemas' date columns, as on
    input); HTML reports by their visible text, where the dates the toolkit itself prints (run
    times, evidence dates) are allowed but every other kind of identifier is not. Inputs' free
    text was gated on the way in, so a full date could only reach a report from a structured
    column. Returns the problems found, located by file, row and column.
    """
    from dataclasses import replace

    import pandas as pd

    from audit_lib.privacy import configured_names, load_privacy_settings, scan_frame

    names = configured_names()
    settings = load_privacy_settings()
    report_text = replace(settings, structured_date_columns=settings.structured_date_columns
                          | {"report_text"})
    problems = []
    for path in sorted(folder.rglob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        problems += scan_frame(frame, str(path.relative_to(folder)), names=names,
                               settings=settings)
    texts = {}
    for path in sorted(folder.rglob("*.html")):
        texts[path] = _visible_text(path.read_text(encoding="utf-8"))
    for path in sorted(folder.rglob("*.ipynb")):
        texts[path] = _notebook_text(path)
    for path in sorted(folder.rglob("*.json")):
        texts[path] = _json_text(path)
    for path, lines in texts.items():
        frame = pd.DataFrame({"report_text": lines})
        problems += scan_frame(frame, str(path.relative_to(folder)), names=names,
                               settings=report_text)
    return problems


def _notebook_text(path: Path) -> list[str]:
    """Every text output of an executed notebook (streams, plain text, HTML as text)."""
    import nbformat

    lines = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            data = output.get("data", {})
            text += data.get("text/plain", "") + "\n".join(
                _visible_text(data.get("text/html", "")))
            lines += [line for line in str(text).splitlines() if line.strip()]
    return lines


def _json_text(path: Path) -> list[str]:
    """The string values of a JSON file, one per line (hashes and paths included)."""
    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, str):
            yield value

    try:
        return [v for v in walk(json.loads(path.read_text(encoding="utf-8"))) if v.strip()]
    except (OSError, ValueError):
        return []


def _visible_text(page: str) -> list[str]:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'src="data:[^"]*"', "", page)
    page = re.sub(r"<[^>]+>", "\n", page)
    import html as html_module

    text = html_module.unescape(page)
    # The toolkit's own random seed (any whole number) could pass for an NHS number.
    text = re.sub(r"\bseed \d+", "seed", text)
    return [line.strip() for line in text.splitlines() if line.strip()]
