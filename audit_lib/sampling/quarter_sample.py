"""Draw a quarter's sample from a caseload file and write its files, workbooks included."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.frameworks import (
    DEFAULT_FRAMEWORK,
    WHOLE_CASELOAD,
    Framework,
    load_checks,
    load_framework,
)
from audit_lib.inputs.columns import ColumnMap, ColumnReport, load_column_map
from audit_lib.sampling import victims as victim_cases
from audit_lib.sampling.assignment import apply_moves, assign_reviewers
from audit_lib.sampling.caseload import load_caseload
from audit_lib.sampling.draw import (
    REPRESENTATIVENESS_COLUMNS,
    SAMPLE_COLUMNS,
    WHOLE,
    Sample,
    draw_sample,
)
from audit_lib.sampling.exclusion import earlier_cases
from audit_lib.sampling.issued import Issue, sample_fingerprint
from audit_lib.sampling.plan import SamplingPlan
from audit_lib.sampling.workbook_writer import write_workbook
from audit_lib.sampling.workload import (
    own_team_rule,
    sample_workload,
    wider_margin_workload,
    workload_lines,
)
from audit_lib.writing import staged_directory, write_csv, write_json

logger = logging.getLogger(__name__)

#: The disposal type local diversion schemes are read as (settings/columns.yaml).
DIVERSION = "diversion"
#: Case-facts columns carried from the caseload into the sample's case_facts.csv.
FACT_COLUMNS = ["case_id", "disposal_type", "disposal_group", "sex", "ethnicity_group",
                "age_band", "rosh_level", "safety_wellbeing_level", "identifiable_victim",
                "significant_change", "looked_after", "team", "start_date"]


def sample_caseload(caseload_path: str | Path, plan: SamplingPlan,
                    framework: str = DEFAULT_FRAMEWORK,
                    victims_path: str | Path | None = None, *,
                    columns: ColumnMap | Mapping | str | Path | None = None,
                    exclude: Mapping[str, str | Path | None] | None = None,
                    reassign: Mapping[str, str] | None = None) -> Sample:
    """Load the caseload, draw the sample and assign reviewers (no files written).

    The framework says how: per disposal group, or one sample of the whole caseload stratified
    by the columns it names; and whether victims' cases are a unit of audit, in which case the
    victims' caseload (``victims_path``) is sampled on its own and shared among the same
    reviewers. ``columns`` is the service's own map of its export's headers and values (see
    `audit_lib.inputs.columns`); what was read as what, and which columns were not used, is
    recorded in ``info["caseload_columns"]``.

    ``exclude`` maps earlier quarters (the last ``sampling.exclude_audited_quarters`` of the
    service's history) to their ``sample.csv`` (None where it was not found): the children's
    cases sampled there are left out of this draw (`audit_lib.sampling.exclusion`), and
    ``info["left_out"]`` says how many, and whether the sample still reached its size.
    ``reassign`` moves every case of a reviewer who is away to another (`apply_moves`), as
    ``case-audit reissue --to`` did for the period's current sample.

    Raises
    ------
    InputError, ConfigError
        For a bad caseload or settings (every problem of the caseload, missing strata
        included, at once), or a victims' caseload given for a framework that does not audit
        victims' cases.
    """
    fw = load_framework(framework)
    if victims_path is not None and not fw.audits_victims:
        raise ConfigError(f"{fw.id} does not audit victims' cases, so a victims' caseload "
                          "cannot be sampled under it (use a framework such as "
                          "hmip-youth-2025, or leave the victims' caseload out)")
    column_map = columns if isinstance(columns, ColumnMap) else load_column_map(columns)
    caseload = load_caseload(caseload_path, fw, columns=column_map,
                             strata=fw.sample_strata + plan.strata)
    left_out = earlier_cases(exclude or {})
    sample = draw_sample(caseload, plan, fw.groups,
                         whole_caseload=fw.children_sampling == WHOLE_CASELOAD,
                         fixed_strata=fw.sample_strata, victim_top_up=not fw.audits_victims,
                         exclude=left_out.cases)
    if exclude:
        sample.info["left_out"] = left_out.info(sample)
    # Said before reviewers are assigned: without a team column (or with a reviewer's team
    # spelt otherwise than the export's) the rule that no one audits their own team is off.
    own_team = own_team_rule(caseload, plan.reviewers, column_map.names_for("team"))
    sample.cases = apply_moves(assign_reviewers(sample.cases, list(plan.reviewers),
                                                plan.double_mark_share, plan.seed),
                               list(plan.reviewers), reassign or {})
    if own_team is not None:
        sample.info["own_team_rule"] = own_team
    sample.info["reviewers"] = [r.name for r in plan.reviewers
                                if r.name not in (reassign or {})]
    if reassign:
        sample.info["moved"] = dict(reassign)
    sample.info["double_mark_share"] = plan.double_mark_share
    sample.info["double_marked"] = int(sample.cases["moderator"].ne("").sum())
    sample.info["framework"] = fw.id
    sample.info["caseload_file"] = Path(caseload_path).name
    sample.info["caseload_columns"] = caseload.attrs["columns"]
    if fw.audits_victims:
        _sample_victims(sample, fw, plan, caseload, victims_path, column_map)
    checks = load_checks()
    sample.info["workload"] = {**sample_workload(sample, fw, checks),
                               "wider": wider_margin_workload(sample, plan, fw, checks)}
    if fw.diversion_note:  # how the report says diversion cases are counted
        diversion = int(caseload["disposal_type"].eq(DIVERSION).sum())
        sample.info["diversion"] = {"note": fw.diversion_note, "cases": diversion}
    return sample


def _sample_victims(sample: Sample, fw: Framework, plan: SamplingPlan, caseload: pd.DataFrame,
                    victims_path: str | Path | None, column_map: ColumnMap) -> None:
    if victims_path is None:
        sample.info["victims_sample"] = {"drawn": False, "note": "no victims' caseload was "
                                         "given, so no victims' cases were sampled"}
        return
    victims = victim_cases.load_victims(victims_path, fw, caseload, columns=column_map)
    drawn = victim_cases.draw_victims(victims, plan)
    cases = apply_moves(assign_reviewers(victim_cases.as_cases(drawn.cases), list(plan.reviewers),
                                         plan.double_mark_share, plan.seed),
                        list(plan.reviewers), sample.info.get("moved") or {})
    sample.victims = cases
    sample.info["victims_sample"] = {
        "drawn": True, **drawn.info, "file": Path(victims_path).name,
        "double_marked": int(cases["moderator"].ne("").sum())}


def write_sample(sample: Sample, out_dir: str | Path, framework: str = DEFAULT_FRAMEWORK, *,
                 service: str = "", period: str = "") -> list[Path]:
    """Write sample.csv, allocation.csv, representativeness.csv, sampling.json, case_facts.csv
    and one workbook per reviewer into ``out_dir`` (replaced only when all are written); with
    a victims' sample, also victims_sample.csv and victim_facts.csv (the sampled victims, for
    scoring once their contact dates are known), and a Victims sheet in each workbook.

    Each workbook says what it was issued for: ``service``, ``period``, the framework and the
    sample's fingerprint (also in ``sampling.json``'s ``issued``).

    Raises
    ------
    OutputError
        If the folder cannot be written.
    """
    fw = load_framework(framework)
    checks = load_checks()
    cases = sample.cases
    facts = cases[[c for c in FACT_COLUMNS if c in cases.columns]].copy()
    facts["start_date"] = facts["start_date"].dt.strftime("%Y-%m-%d")
    out_dir = Path(out_dir)
    written = ["sample.csv", "allocation.csv", "representativeness.csv", "sampling.json",
               "case_facts.csv"]
    victims = sample.victims
    drawn = list(cases["case_id"]) + ([] if victims is None else list(victims["case_id"]))
    issued = Issue(service, period, fw.id, sample_fingerprint(drawn, sample.info["seed"]))
    sample.info["issued"] = issued.as_dict()
    with staged_directory(out_dir) as stage:
        write_csv(cases[SAMPLE_COLUMNS + ["reason"]], stage / "sample.csv")
        write_csv(sample.allocation, stage / "allocation.csv")
        write_csv(sample.representativeness[REPRESENTATIVENESS_COLUMNS],
                  stage / "representativeness.csv")
        write_json(sample.info, stage / "sampling.json")
        write_csv(facts, stage / "case_facts.csv")
        if victims is not None:
            by_victim = victims.drop(columns="case_id").rename(
                columns={"linked_case_id": "case_id"})
            write_csv(by_victim[victim_cases.SAMPLE_COLUMNS], stage / "victims_sample.csv")
            write_csv(_victim_facts(victims), stage / "victim_facts.csv")
            written += ["victims_sample.csv", "victim_facts.csv"]
        for reviewer in sample.info.get("reviewers", []):
            write_reviewer_workbook(stage / "workbooks" / f"{reviewer}.xlsx", reviewer, cases,
                                    victims, fw, checks, issued)
            written.append(f"workbooks/{reviewer}.xlsx")
    logger.info("sample written to %s", out_dir)
    return [out_dir / name for name in written]


def write_reviewer_workbook(path: Path, reviewer: str, cases: pd.DataFrame,
                            victims: pd.DataFrame | None, fw: Framework, checks: Framework,
                            issued: Issue) -> None:
    """One reviewer's workbook: the cases (and victims' cases) they mark first, and those
    they double-mark, as the sample allocates them."""
    mine = (None, None) if victims is None else (
        victims.loc[victims["reviewer"] == reviewer], victims.loc[victims["moderator"] == reviewer])
    write_workbook(path, reviewer, cases.loc[cases["reviewer"] == reviewer],
                   cases.loc[cases["moderator"] == reviewer], fw, checks, victims=mine[0],
                   victims_moderation=mine[1], issued=issued)


def read_sample_back(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """A sample as `write_sample` wrote it: the cases with their facts and reviewers, the
    victims' cases (keyed by their reference, as `victim_cases.as_cases`), and the info.

    Raises
    ------
    ConfigError
        If ``folder`` holds no sample.
    """
    folder = Path(folder)
    try:
        drawn = pd.read_csv(folder / "sample.csv", dtype=str, keep_default_na=False)
        facts = pd.read_csv(folder / "case_facts.csv", dtype=str, keep_default_na=False)
        info = json.loads((folder / "sampling.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{folder}: no sample written by case-audit to read ({exc})") from None
    cases = drawn[["case_id", "reviewer", "moderator"]].merge(facts, on="case_id", how="left")
    cases["start_date"] = pd.to_datetime(cases["start_date"], format="%Y-%m-%d",
                                         errors="coerce")
    victims = None
    if (folder / "victims_sample.csv").is_file():
        chosen = pd.read_csv(folder / "victims_sample.csv", dtype=str, keep_default_na=False)
        known = pd.read_csv(folder / "victim_facts.csv", dtype=str, keep_default_na=False)
        victims = victim_cases.as_cases(chosen[["victim_ref", "reviewer", "moderator"]].merge(
            known, on="victim_ref", how="left"))
        for column in ("start_date", "victim_contact_date"):
            victims[column] = pd.to_datetime(victims[column], format="%Y-%m-%d",
                                             errors="coerce")
    return cases, victims, info


def _victim_facts(victims: pd.DataFrame) -> pd.DataFrame:
    """The victims' facts file for the quarter: the sampled victims, dates as text."""
    facts = victims.drop(columns="case_id").rename(columns={"linked_case_id": "case_id"})
    facts = facts.reindex(columns=victim_cases.FACT_COLUMNS, fill_value="")
    for column in ("start_date", "victim_contact_date"):
        facts[column] = facts[column].dt.strftime("%Y-%m-%d").fillna("")
    return facts


def summary(sample: Sample, columns: bool = True) -> str:
    """A few lines describing the sample for the terminal (with ``columns``, how the caseload's
    columns were read)."""
    lines = []
    for group in sample.info["groups"]:
        name = ("children" if group["disposal_group"] == WHOLE and sample.info.get(
            "whole_caseload") else group["disposal_group"])
        if not group["population"]:
            lines.append(f"{name:>5}: no cases of this kind in the caseload")
            continue
        lines.append(f"{name:>5}: {group['sample']} of {group['population']} "
                     f"cases (margin +/-{group['achieved_margin_pct']:.1f} points at "
                     f"{sample.info['confidence']:.0%} confidence)")
    total = sample.info["total"]
    lines.append(f"total: {total['sample']} of {total['population']} cases "
                 f"(margin +/-{total['achieved_margin_pct']:.1f} points); seed {sample.info['seed']}")
    victims = sample.info["victims"]
    if victims.get("checked"):
        added = sum(victims["added"].values())
        lines.append(f"cases with an identifiable victim: {victims['in_sample']} "
                     f"(minimum {victims['minimum']}; {added} added to meet it)")
    lines += workload_lines(sample.info)
    read = sample.info.get("caseload_columns")
    if read and columns:
        lines += [f"caseload: {line}" for line in ColumnReport.from_dict(read).lines()]
    left_out = sample.info.get("left_out")
    if left_out:
        lines.append(f"left out: {left_out['summary']}")
    diversion = sample.info.get("diversion") or {}
    if diversion.get("cases"):
        lines.append(f"diversion: {diversion['cases']} case(s) in the caseload. "
                     + diversion["note"])
    own = sample.info.get("victims_sample")
    if own is not None:
        lines.append(victim_cases.sample_summary(own) if own["drawn"] else
                     f"victims: {own['note']}")
    double = sample.info.get("double_marked", 0) + (own or {}).get("double_marked", 0)
    if double:
        lines.append(f"double-marked for moderation: {double} cases")
    return "\n".join(lines)
