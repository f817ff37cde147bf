"""Runnable synthetic service folders (like samples/), many at once, and the synth command."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pandas as pd
import yaml

from audit_lib.errors import ConfigError, OutputError
from audit_lib.frameworks import DEFAULT_FRAMEWORK
from audit_lib.sampling.plan import build_plan
from audit_lib.sampling.quarter_sample import sample_caseload
from audit_lib.synth.answers import answers_frame, generate, moderate, service_facts, text_facts
from audit_lib.synth.evidence import synth_evidence, synth_judgements
from audit_lib.synth.history import synth_history
from audit_lib.synth.model import (
    ANSWER_COLUMNS,
    BUNDLE_SAMPLING,
    CASELOAD_COLUMNS,
    FACT_COLUMNS,
    LAST_PERIOD,
    MODERATOR_AGREES,
    REVIEWERS,
    STREAM_BUNDLE,
    Service,
    build_model,
    build_service,
    check_sizes,
    period_info,
    period_name,
    quarters_ending,
    sample_register_path,
    service_code,
    stream,
)
from audit_lib.triangulation.registers import load_register
from audit_lib.writing import atomic_path, staged_directory, write_csv

logger = logging.getLogger(__name__)

# --- Bundles ------------------------------------------------------------------------------------

def write_service_bundle(out_dir: str | Path, service_index: int = 1, n_quarters: int = 5,
                         cases_per_quarter: int = 300, seed: int = 0, *,
                         outputs: str | Path | None = None, framework: str = DEFAULT_FRAMEWORK,
                         register: str | Path | None = None, evidence_items: int = 24,
                         last_period: str = LAST_PERIOD) -> Path:
    """Write one service's complete, runnable period folder, like ``samples/``.

    The latest quarter's caseload is generated first; the sample is then drawn from
    ``caseload.csv`` exactly as the sampling notebook draws it with the config's settings
    (`audit_lib.sampling.quarter_sample.sample_caseload`: `draw_sample` and `assign_reviewers`), and
    exactly the sampled cases are answered, each by its assigned reviewer, with moderators'
    marks for the double-marked ones. Earlier quarters become ``earlier_quarters.csv`` (counts
    from samples of the same size) and ``baseline.csv`` an earlier inspection.

    Files: ``caseload.csv, case_facts.csv, answers_<reviewer>.csv, moderation_marks.csv,
    judgements.csv, baseline.csv, earlier_quarters.csv`` (when ``n_quarters`` > 1),
    ``recommendations.yaml, evidence.csv`` and ``period.yaml`` (run it with
    ``case-audit run --config <out_dir>/period.yaml``). The folder is replaced only when every
    file is written.

    Parameters
    ----------
    out_dir : path
        The bundle's folder.
    service_index : int
        The service's number (its effects are those of the same service in `synth_answers`).
    n_quarters : int
        Quarters generated; the latest is the bundle's period.
    cases_per_quarter : int
        Cases in each quarter's caseload (the sample is drawn from them).
    seed : int
        The same seed gives the same files, byte for byte.
    outputs : path, optional
        Results folder the config points to; ``<out_dir>/../outputs/<out_dir name>`` by default.
    register : path, optional
        Recommendations register copied in; the sample register by default.

    Returns
    -------
    Path
        The period config.

    Raises
    ------
    ConfigError
        For counts out of range or a malformed register.
    OutputError
        If the folder cannot be written.
    """
    check_sizes(service_index=service_index, n_quarters=n_quarters,
                 cases_per_quarter=cases_per_quarter, seed=seed, evidence_items=evidence_items)
    out_dir = Path(out_dir)
    outputs = Path(outputs) if outputs else out_dir.parent / "outputs" / out_dir.name
    register_path = Path(register) if register else sample_register_path()
    reg = load_register(register_path)
    model = build_model(seed, framework)
    svc = build_service(model, service_index)
    periods = quarters_ending(n_quarters, last_period)
    facts = service_facts(model, svc, periods, cases_per_quarter)
    period = period_name(periods[-1])
    label, period_end = period_info(period)
    current = facts.loc[facts["period"] == period].reset_index(drop=True)
    # Eight digits at most, as `case-audit init` chooses: a ten-digit seed can pass the NHS
    # number's check digit, and the sampling notebook prints it.
    sampling = {"seed": int(stream(seed, service_index, STREAM_BUNDLE).integers(1, 10**8)),
                **BUNDLE_SAMPLING}
    rng = stream(seed, service_index, STREAM_BUNDLE, 2)

    with staged_directory(out_dir) as stage:
        write_csv(text_facts(current)[CASELOAD_COLUMNS], stage / "caseload.csv")
        # The plan exactly as the quarter's sampling step builds it from the period config.
        sample = sample_caseload(stage / "caseload.csv", build_plan(**sampling), framework)
        cases = sample.cases[["case_id", "reviewer", "moderator"]].reset_index(drop=True)
        sampled = current.set_index("case_id").loc[cases["case_id"]].reset_index()
        answers = answers_frame(model, svc, sampled, cases["reviewer"].to_numpy(), rng)
        answer_files = []
        for reviewer, part in answers.groupby("reviewer", sort=True):
            name = f"answers_{reviewer}.csv"
            write_csv(part[ANSWER_COLUMNS[2:]], stage / name)
            answer_files.append(name)
        moderator = answers["case_id"].map(dict(zip(cases["case_id"], cases["moderator"])))
        double = moderator.ne("").to_numpy()
        derived = {q.id for q in model.checks.questions if q.derived is not None}
        marks = moderate(answers.loc[double].reset_index(drop=True),
                          moderator[double].reset_index(drop=True), MODERATOR_AGREES, rng,
                          derived)
        if len(marks):
            write_csv(marks[ANSWER_COLUMNS[2:]], stage / "moderation_marks.csv")
        write_csv(text_facts(sampled)[FACT_COLUMNS], stage / "case_facts.csv")
        write_csv(synth_judgements(service_index, seed, framework), stage / "judgements.csv")

        # Earlier quarters: a sample of the same size from each quarter's caseload.
        earlier = facts.loc[facts["period"] != period]
        every = answers
        if len(earlier):
            picks = earlier.groupby("period", sort=False).sample(
                n=min(len(sampled), cases_per_quarter), random_state=rng).reset_index(drop=True)
            past = answers_frame(model, svc, picks, rng.choice(REVIEWERS, len(picks)), rng)
            every = pd.concat([past, answers], ignore_index=True)
        history, baseline = synth_history(every, framework, seed)
        history = history.loc[history["period"] != period]
        if len(history):
            write_csv(history, stage / "earlier_quarters.csv")
        write_csv(baseline, stage / "baseline.csv")
        shutil.copyfile(register_path, stage / "recommendations.yaml")
        write_csv(synth_evidence(reg, evidence_items, seed, period_end), stage / "evidence.csv")
        config = _period_config(svc, period, label, period_end, framework, answer_files,
                                bool(len(marks)), bool(len(history)), sampling,
                                _relative(outputs, out_dir))
        (stage / "period.yaml").write_text(config, encoding="utf-8")
    logger.info("wrote the bundle of %s (%d sampled cases) to %s", svc.code, len(cases), out_dir)
    return out_dir / "period.yaml"


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` when possible (so a bundle can move with its outputs)."""
    try:
        return os.path.relpath(path.resolve(), folder.resolve()).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return str(path.resolve())


def _period_config(svc: Service, period: str, label: str, period_end: str, framework: str,
                   answer_files: list[str], moderation: bool, earlier: bool, sampling: dict,
                   outputs: str) -> str:
    """A period config in the form of ``samples/demo.yaml``; paths relative to the bundle."""
    inputs = {"caseload": "caseload.csv", "answers": answer_files}
    if moderation:
        inputs["moderation"] = ["moderation_marks.csv"]
    inputs.update(facts="case_facts.csv", judgements="judgements.csv", baseline="baseline.csv")
    if earlier:
        inputs["earlier_quarters"] = "earlier_quarters.csv"
    inputs.update(register="recommendations.yaml", evidence="evidence.csv")
    config = {
        "period": period, "period_label": label, "period_end": period_end,
        "service": f"Synthetic service {svc.code} (fictional)", "framework": framework,
        "confidence": 0.95, "inputs": inputs, "sampling": sampling,
        "trend": {"sustained_quarters": 3, "target_rating": "Good"},
        "disclosure": {"threshold": 10},
        "outputs": outputs, "history": f"{outputs}/history.sqlite",
        "internal": f"{outputs}-internal",  # beside the published results, never inside
    }
    header = ("# Period config of a synthetic, fictional service made by `case-audit synth`.\n"
              "# Run it with:  case-audit run --config period.yaml   (paths are relative to "
              "this file)\n")
    return header + yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=100)


def write_many(out_dir: str | Path, n_services: int, n_quarters: int = 5,
               cases_per_quarter: int = 300, seed: int = 0, *,
               framework: str = DEFAULT_FRAMEWORK) -> str:
    """Write one bundle per service under ``out_dir/<service>/`` (results to
    ``out_dir/outputs/<service>/``) and return a one-line summary.

    Raises
    ------
    ConfigError, OutputError
        As `write_service_bundle`.
    """
    check_sizes(n_services=n_services)
    out_dir = Path(out_dir)
    sampled = 0
    for index in range(1, n_services + 1):
        config = write_service_bundle(out_dir / service_code(index), index, n_quarters,
                                      cases_per_quarter, seed, framework=framework)
        sampled += len(pd.read_csv(config.parent / "case_facts.csv", usecols=["case_id"]))
    return (f"Wrote {n_services} synthetic service bundle(s) to {out_dir} ({n_quarters} "
            f"quarter(s) of {cases_per_quarter} cases each, {sampled} sampled cases in the "
            f"latest quarters); run one with: case-audit run --config "
            f"{out_dir / service_code(1) / 'period.yaml'}")


def write_answers_only(path: str | Path, n_services: int, n_quarters: int,
                       cases_per_quarter: int, seed: int = 0,
                       framework: str = DEFAULT_FRAMEWORK) -> tuple[Path, Path, int]:
    """Write the long answers CSV (`ANSWER_COLUMNS`) and its facts (``<name>_facts.csv``).

    Returns
    -------
    tuple
        The answers file, the facts file and the number of answers.

    Raises
    ------
    ConfigError, OutputError
        For counts out of range or a file that cannot be written.
    """
    path = Path(path)
    answers, facts = generate(n_services, n_quarters, cases_per_quarter, seed, framework,
                               LAST_PERIOD)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot create the folder ({exc.strerror}).") from None
    facts_path = path.with_name(f"{path.stem}_facts{path.suffix or '.csv'}")
    # Every value is generated here, none can start like a formula: plain, fast writing.
    with atomic_path(path) as tmp:
        answers[ANSWER_COLUMNS].to_csv(tmp, index=False, lineterminator="\n",
                                       chunksize=1_000_000)
    with atomic_path(facts_path) as tmp:
        facts[["service", "period", *FACT_COLUMNS]].to_csv(tmp, index=False, lineterminator="\n")
    return path, facts_path, len(answers)


def synth_main(services: int, quarters: int, cases: int, seed: int = 0, out: str | None = None,
               answers_only: str | None = None, framework: str = DEFAULT_FRAMEWORK) -> int:
    """What ``case-audit synth`` does: bundles under ``out``, or one big answers file.

    Returns
    -------
    int
        0 (the exit code).

    Raises
    ------
    ConfigError
        If neither ``out`` nor ``answers_only`` is given, or a count is out of range.
    """
    if not out and not answers_only:
        raise ConfigError("give --out DIR for service bundles, or --answers-only FILE")
    if answers_only:
        path, facts_path, n = write_answers_only(answers_only, services, quarters, cases, seed,
                                                 framework)
        print(f"Wrote {n:,} answers from {services} service(s) x {quarters} quarter(s) x "
              f"{cases} cases to {path}, and their case facts to {facts_path}.")
    if out:
        print(write_many(out, services, quarters, cases, seed, framework=framework))
    return 0
