"""``case-audit validate``: check any file a quarter reads, as the step that reads it would.

Each file's kind is recognised from what it holds: a reviewer workbook (all its sheets, read
as scoring reads them: answers, dates, empty cells, cases not returned), long answers, case
facts, victims' facts, a caseload export (through the column map, as sampling reads it),
judgements, a baseline or earlier quarters, an evidence register, a recommendations register,
a period config. Nothing is written. Returns can so be checked as they arrive, and a QA
officer can check a config and its files before the quarter's run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from audit_lib.errors import ConfigError, InputError, Problem, collect
from audit_lib.frameworks import DEFAULT_FRAMEWORK, load_checks, load_framework
from audit_lib.inputs.columns import AGE, ColumnMap, ColumnReport, load_column_map, recognise
from audit_lib.inputs.identifiers import names_in_force
from audit_lib.inputs.reading import file_label, read_table
from audit_lib.quarter.config import PeriodConfig, load_config
from audit_lib.quarter.ready import as_problems, check_returns, config_readiness
from audit_lib.returns.facts import combine_facts, load_facts, load_victim_facts
from audit_lib.returns.gaps import GapsError
from audit_lib.returns.issued import expected_issue
from audit_lib.returns.judgements import load_judgements
from audit_lib.returns.returns_check import load_sample
from audit_lib.returns.workbook_reader import is_workbook
from audit_lib.sampling.caseload import load_caseload
from audit_lib.settings import read_yaml
from audit_lib.trends.baseline import load_baseline
from audit_lib.trends.history import load_earlier_quarters
from audit_lib.triangulation.registers import load_evidence, load_register
from audit_lib.vocabulary import DATE_COLUMNS

logger = logging.getLogger(__name__)

WORKBOOK, ANSWERS, FACTS, VICTIM_FACTS = "workbook", "answers", "facts", "victim facts"
CASELOAD, JUDGEMENTS, BASELINE, EARLIER = "caseload", "judgements", "baseline", "quarters"
EVIDENCE, REGISTER, CONFIG = "evidence", "register", "config"
#: Every kind, in the order files are checked (facts before the answers checked against them).
KINDS = (CONFIG, CASELOAD, FACTS, VICTIM_FACTS, JUDGEMENTS, BASELINE, EARLIER, REGISTER,
         EVIDENCE, WORKBOOK, ANSWERS)
#: Each kind in words, for the OK lines.
WORDS = {WORKBOOK: "reviewer workbook", ANSWERS: "answers", FACTS: "facts",
         VICTIM_FACTS: "victim facts", CASELOAD: "caseload", JUDGEMENTS:
         "judgements", BASELINE: "baseline", EARLIER: "earlier quarters", EVIDENCE:
         "evidence register", REGISTER: "recommendations register", CONFIG: "period config"}
#: The columns a facts file has and a caseload export does not (dates reviewers record).
_FACTS_ONLY = ("disposal_group", *[c for c in DATE_COLUMNS if c != "start_date"])


def file_kind(path: str | Path, column_map: ColumnMap | None = None) -> str:
    """Tell what a file is from what it holds (see the module's docstring).

    Raises
    ------
    InputError
        If the file cannot be read or is none of the kinds.
    """
    path = Path(path)
    name = file_label(path)[0]  # a file name that holds an identifier is never repeated
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = read_yaml(path, "file")
        except ConfigError as exc:
            raise InputError([Problem(name, None, None,
                                      str(exc).removeprefix(f"{path}: "))]) from None
        if isinstance(data, dict) and ("period" in data or "inputs" in data):
            return CONFIG
        if isinstance(data, dict) and "recommendations" in data:
            return REGISTER
        raise InputError([Problem(name, None, None, "not recognised: a period config "
                                  "needs period: and inputs:, a recommendations register "
                                  "recommendations:")])
    if is_workbook(path):
        return WORKBOOK
    table = read_table(path, (), date_columns=column_map.is_date_header if column_map else (),
                       header_names=_EVERY_NAME + (column_map.header_names() if column_map
                                                   else ()),
                       header_hint=None)  # a file naming none of them is "not recognised"
    known = own = set(table.frame.columns)
    if column_map is not None:  # an export's own headers count as the columns they mean
        renamed, _, _ = recognise(table, _EVERY_COLUMN, column_map, drop_unused=False)
        known = set(renamed.frame.columns)
    if {"question_id", "answer"} <= known:
        return ANSWERS
    if {"question_id", "n_applicable", "n_yes"} <= known:
        return EARLIER if "period" in known else BASELINE
    if {"standard_id", "rating"} <= known:
        return JUDGEMENTS
    if {"evidence_id", "recommendation_id"} <= known:
        return EVIDENCE
    if {"victim_ref", "case_id"} <= known:
        return VICTIM_FACTS
    # A facts file names its group or its checks' dates as case-audit does; an export's own
    # column of the group ("Legal Status") makes it no less a caseload.
    if "case_id" in known and own & set(_FACTS_ONLY):
        return FACTS
    if {"case_id", "disposal_type", "start_date"} <= known:
        return CASELOAD
    if "case_id" in known and "disposal_type" in known:
        return FACTS
    raise InputError([table.problem(1, None, "not recognised: an answers file needs question_id "
                                    "and answer, a facts file case_id and disposal_group, a "
                                    "caseload case_id, disposal_type and start_date, a "
                                    "victims' file victim_ref and case_id, a judgements file "
                                    "standard_id and rating, a baseline question_id, "
                                    "n_applicable and n_yes, an evidence register evidence_id "
                                    "and recommendation_id; or give a workbook made by "
                                    "case-audit, a period config or a recommendations register")])


_EVERY_COLUMN = ("case_id", "disposal_type", "disposal_group", "start_date", "sex",
                 "ethnicity_group", "age_band", AGE, "team", "rosh_level",
                 "safety_wellbeing_level", "looked_after", "identifiable_victim",
                 "significant_change", *DATE_COLUMNS)
#: Every column some kind of file is told apart by: the header row is the row naming most.
_EVERY_NAME = _EVERY_COLUMN + ("question_id", "answer", "reviewer", "n_applicable", "n_yes",
                               "period", "standard_id", "rating", "evidence_id",
                               "recommendation_id", "victim_ref")


def validate_files(paths: Sequence[str | Path], framework: str | None = None, *,
                   moderation: Sequence[str | Path] = (),
                   columns: ColumnMap | Mapping | str | Path | None = None,
                   allow_gaps: bool = False, config: str | Path | None = None) -> list[str]:
    """Check every file as the step that reads it would, cross-checking where files meet:
    answers and workbooks against a facts file (or the caseload, or the facts the workbooks
    show), an evidence register against a recommendations register.

    Parameters
    ----------
    paths : sequence of path
        The files to check, of any kind; a folder stands for every file in it that
        case-audit reads (.csv, .xlsx, .yaml).
    framework : str, optional
        The framework the answers are checked against: the config's, or the default.
    moderation : sequence of path
        Second reviewers' long answers files (double-marking), checked as such.
    columns : ColumnMap, mapping, path or None
        The service's own names for its exports' headers and values (a file holds them in a
        ``columns:`` block, as a config does); with ``config``, the config's map is used.
    allow_gaps : bool
        Gaps in the returns (answers left blank where the question applies, cases with no
        answers) are then listed as notes rather than problems.
    config : path, optional
        A period config: its columns map, framework, names list and sampling settings are
        used, as the quarter's run uses them, and a caseload is sampled as the run would
        sample it (nothing is written) to say the sample's size and workload.

    Returns
    -------
    list of str
        One line per file checked, then notes.

    Raises
    ------
    InputError
        Listing every problem in every file.
    ConfigError
        If the config cannot be read, or both it and ``columns`` give a map.
    """
    cfg = None
    if config is not None:
        cfg = load_config(config, steps=())
        if columns is not None and not isinstance(columns, ColumnMap):
            raise ConfigError("give the columns map in the config (columns:) or with "
                              "--columns, not both: the run reads the config's")
        columns = cfg.columns or None
        framework = framework or cfg.framework
    with names_in_force(cfg.inputs.get("names") if cfg is not None else None):
        return _validate(paths, framework or DEFAULT_FRAMEWORK, moderation, columns,
                         allow_gaps, cfg)


def _validate(paths: Sequence[str | Path], framework: str, moderation: Sequence[str | Path],
              columns: ColumnMap | Mapping | str | Path | None, allow_gaps: bool,
              cfg: PeriodConfig | None) -> list[str]:
    fw = load_framework(framework)
    checks = load_checks()
    column_map = columns if isinstance(columns, ColumnMap) else load_column_map(columns)
    problems: list[Problem] = []
    notes: list[str] = [f"note: {note}" for note in column_map.notes]
    by_kind: dict[str, list[str]] = {k: [] for k in KINDS}
    paths, more = expand_folders(paths, problems)
    notes += more
    for path in paths:
        kind = collect(problems, file_kind, path, column_map)
        if kind:
            by_kind[kind].append(str(path))

    for path in by_kind[CONFIG]:  # every entry, then the files of each step read as it would
        found, more = config_readiness(path)
        problems += found
        notes += more
    caseloads = [collect(problems, load_caseload, p, fw, columns=column_map)
                 for p in by_kind[CASELOAD]]
    for path, caseload in zip(by_kind[CASELOAD], caseloads):
        if caseload is not None:  # what each column was read as, and what was not used
            notes += [f"note: {file_label(path)[0]}: {line}" for line in
                      ColumnReport.from_dict(caseload.attrs.get("columns") or {}).lines()]
            if cfg is not None and cfg.sampling.get("seed") is not None:
                notes += _sample_preview(path, cfg, column_map, problems)
    facts = None
    for path in by_kind[FACTS]:
        facts = collect(problems, load_facts, path, fw, columns=column_map)
        if facts is not None:
            notes += [f"note: {file_label(path)[0]}: {line}" for line in
                      ColumnReport.from_dict(facts.attrs.get("columns") or {}).lines()]
    if len(by_kind[FACTS]) > 1:
        facts = None  # answers cannot be matched against two facts files at once
    elif not by_kind[FACTS] and len(caseloads) == 1 and caseloads[0] is not None:
        facts = caseloads[0]  # the caseload holds the facts of every case sampled from it
        if by_kind[WORKBOOK] or by_kind[ANSWERS] or moderation:
            notes.append("note: answers were checked against the caseload's cases")
    victims = [collect(problems, load_victim_facts, p, fw, facts, columns=column_map)
               for p in by_kind[VICTIM_FACTS]] if fw.audits_victims else []
    if by_kind[VICTIM_FACTS] and not fw.audits_victims:
        problems += [Problem(p, None, None, f"{fw.id} does not audit victims' cases: give a "
                             "framework that does (--framework hmip-youth-2025)")
                     for p in by_kind[VICTIM_FACTS]]
    if facts is not None:
        one = victims[0] if len(victims) == 1 else None
        facts = None if len(victims) > 1 or (victims and one is None) else combine_facts(
            facts, one, fw)
    for path in by_kind[JUDGEMENTS]:
        collect(problems, load_judgements, path, fw)
    for path in by_kind[BASELINE]:
        _config_collect(problems, path, load_baseline, path, fw)
    for path in by_kind[EARLIER]:
        _config_collect(problems, path, load_earlier_quarters, path, fw)
    registers = [_config_collect(problems, p, load_register, p) for p in by_kind[REGISTER]]
    for path in by_kind[EVIDENCE]:
        if len(registers) == 1 and registers[0] is not None:
            _config_collect(problems, path, load_evidence, path, registers[0])
        else:
            notes.append(f"note: {path} was read but not checked against a recommendations "
                         "register (give exactly one register with it)")
            collect(problems, read_table, path, ("evidence_id", "recommendation_id"))

    returns = by_kind[WORKBOOK] + by_kind[ANSWERS]
    gaps = None
    if returns or moderation:
        expected = sample = None
        if cfg is not None:  # what the quarter's returns must have been issued for
            sample_dir = cfg.period_dir / "sampling"
            expected = expected_issue(sample_dir, period=cfg.period, service=cfg.service,
                                      framework=fw.id)
            sample = load_sample(sample_dir)
        more, gaps = check_returns(returns, list(moderation), fw, checks, facts, problems,
                                   allow_gaps, expected=expected, sample=sample)
        notes += more
    if problems:
        raise GapsError(problems, gaps) if gaps is not None else InputError(problems)
    lines = [f"OK  {WORDS[kind]:<26} {file_label(path)[0]}" for kind in KINDS
             for path in by_kind[kind]]
    lines += [f"OK  {'double-marking answers':<26} {file_label(path)[0]}" for path in moderation]
    return lines + notes


#: The kinds of file `validate` reads from a folder.
READ_SUFFIXES = (".csv", ".xlsx", ".yaml", ".yml")


def expand_folders(paths: Sequence[str | Path], problems: list[Problem]
                   ) -> tuple[list[str], list[str]]:
    """Paths with each folder replaced by the files in it that case-audit reads (.csv,
    .xlsx, .yaml; not those in folders below it, hidden files or Excel's ``~$`` lock files),
    in name order; notes naming the files left out; a Problem for a folder with none."""
    files, notes = [], []
    for path in map(Path, paths):
        if not path.is_dir():
            files.append(str(path))
            continue
        found = sorted(p for p in path.iterdir() if p.is_file()
                       and not p.name.startswith((".", "~$")))
        read = [p for p in found if p.suffix.lower() in READ_SUFFIXES]
        skipped = [p for p in found if p not in read]
        if not read:
            problems.append(Problem(str(path), None, None, "the folder holds no .csv, .xlsx "
                                    "or .yaml file to check"))
        files += [str(p) for p in read]
        if skipped:
            notes.append(f"note: {path}: not checked (not a .csv, .xlsx or .yaml file): "
                         + ", ".join(file_label(p)[0].rsplit("/", 1)[-1] for p in skipped))
    return files, notes


def _sample_preview(path: str, cfg: PeriodConfig, column_map: ColumnMap,
                    problems: list[Problem]) -> list[str]:
    """The sample the config's sampling step would draw from a caseload, and its workload,
    without writing anything."""
    from audit_lib.quarter.steps import earlier_samples, kept_moves
    from audit_lib.sampling.plan import build_plan
    from audit_lib.sampling.quarter_sample import sample_caseload, summary

    try:
        plan = build_plan(**cfg.sampling)
        victims = cfg.inputs.get("victims")
        sample = sample_caseload(path, plan, cfg.framework,
                                 victims if victims and Path(victims).is_file() else None,
                                 columns=column_map, exclude=earlier_samples(cfg),
                                 reassign=kept_moves(cfg))
    except ConfigError as exc:
        return [f"note: {file_label(path)[0]}: the sample cannot be drawn with the config's "
                f"sampling settings: {exc}"]
    except InputError as exc:
        problems.extend(exc.problems)
        return []
    lines = [line.strip() for line in summary(sample, columns=False).splitlines()]
    return [f"note: {file_label(path)[0]}: with the config's sampling settings (nothing is "
            "drawn or written yet):"] + [f"  {line}" for line in lines]


def _config_collect(problems: list[Problem], path: str, load, *args):
    """``collect`` for loaders that may also raise a ConfigError (registers, baselines)."""
    try:
        return collect(problems, load, *args)
    except ConfigError as exc:
        problems += as_problems(file_label(path)[0], exc)
        return None
