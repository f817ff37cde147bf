"""Draw a quarter's sample from a caseload file and write its files, workbooks included."""

from __future__ import annotations

import logging
from pathlib import Path

from audit_lib.frameworks import DEFAULT_FRAMEWORK, load_checks, load_framework
from audit_lib.sampling.assignment import assign_reviewers
from audit_lib.sampling.caseload import load_caseload
from audit_lib.sampling.draw import (
    REPRESENTATIVENESS_COLUMNS,
    SAMPLE_COLUMNS,
    Sample,
    draw_sample,
)
from audit_lib.sampling.plan import SamplingPlan
from audit_lib.sampling.workbook_writer import write_workbook
from audit_lib.writing import staged_directory, write_csv, write_json

logger = logging.getLogger(__name__)

#: Case-facts columns carried from the caseload into the sample's case_facts.csv.
FACT_COLUMNS = ["case_id", "disposal_type", "disposal_group", "sex", "ethnicity_group",
                "age_band", "rosh_level", "safety_wellbeing_level", "identifiable_victim",
                "significant_change", "looked_after", "team", "start_date"]


def sample_caseload(caseload_path: str | Path, plan: SamplingPlan,
                    framework: str = DEFAULT_FRAMEWORK) -> Sample:
    """Load the caseload, draw the sample and assign reviewers (no files written).

    Raises
    ------
    InputError, ConfigError
        For a bad caseload or settings.
    """
    fw = load_framework(framework)
    caseload = load_caseload(caseload_path, fw)
    sample = draw_sample(caseload, plan, fw.groups)
    sample.cases = assign_reviewers(sample.cases, list(plan.reviewers), plan.double_mark_share,
                                    plan.seed)
    sample.info["reviewers"] = [r.name for r in plan.reviewers]
    sample.info["double_mark_share"] = plan.double_mark_share
    sample.info["double_marked"] = int(sample.cases["moderator"].ne("").sum())
    sample.info["framework"] = fw.id
    sample.info["caseload_file"] = Path(caseload_path).name
    return sample


def write_sample(sample: Sample, out_dir: str | Path, framework: str = DEFAULT_FRAMEWORK
                 ) -> list[Path]:
    """Write sample.csv, allocation.csv, representativeness.csv, sampling.json, case_facts.csv
    and one workbook per reviewer into ``out_dir`` (replaced only when all are written).

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
    with staged_directory(out_dir) as stage:
        write_csv(cases[SAMPLE_COLUMNS + ["reason"]], stage / "sample.csv")
        write_csv(sample.allocation, stage / "allocation.csv")
        write_csv(sample.representativeness[REPRESENTATIVENESS_COLUMNS],
                  stage / "representativeness.csv")
        write_json(sample.info, stage / "sampling.json")
        write_csv(facts, stage / "case_facts.csv")
        for reviewer in sample.info.get("reviewers", []):
            own = cases.loc[cases["reviewer"] == reviewer]
            second = cases.loc[cases["moderator"] == reviewer]
            write_workbook(stage / "workbooks" / f"{reviewer}.xlsx", reviewer, own, second,
                           fw, checks)
            written.append(f"workbooks/{reviewer}.xlsx")
    logger.info("sample written to %s", out_dir)
    return [out_dir / name for name in written]


def summary(sample: Sample) -> str:
    """A few lines describing the sample for the terminal."""
    lines = []
    for group in sample.info["groups"]:
        if not group["population"]:
            lines.append(f"{group['disposal_group']:>5}: no cases of this kind in the caseload")
            continue
        lines.append(f"{group['disposal_group']:>5}: {group['sample']} of {group['population']} "
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
    if sample.info.get("double_marked"):
        lines.append(f"double-marked for moderation: {sample.info['double_marked']} cases")
    return "\n".join(lines)
