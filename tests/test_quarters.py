"""Quarter after quarter (issue 22, "Done when"): a QA officer follows the README from the first
quarter to the fourth, with a late return, a corrected answer in an earlier quarter, a reviewer
away, a mistaken run withdrawn and a PDF printed after every run that makes a report; they
never delete a file by hand, and the history never holds a figure the published results do
not. Every command typed is one the README's "Your first real quarter" or "Next quarter"
section gives (the second quarter on, the same commands with the quarter's name)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SAMPLES
from test_changes import browser  # noqa: F401 - the fixture: a stand-in for Chromium
from test_issued import fill

from audit_lib.cli import main
from audit_lib.quarter.config import load_config
from audit_lib.sampling.workbook_writer import CASES_SHEET, FIRST_DATA_ROW
from audit_lib.trends.history import load_history, stale_periods

pytestmark = pytest.mark.slow  # whole quarters, four of them

SECTIONS = ("## Your first real quarter", "## Next quarter")
REVIEWERS = ("PM01", "PM02", "PM03")


def readme_commands() -> set[str]:
    """The commands the two sections give, in code blocks and in the text."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = set()
    for title in SECTIONS:
        part = text.split(title, 1)[1].split("\n## ", 1)[0]
        lines = [line.split("  #")[0].strip() for block in re.findall(r"```bash\n(.*?)```",
                                                                      part, re.S)
                 for line in block.splitlines()]
        lines += re.findall(r"`(case-audit [^`]+)`", part)
        found |= {" ".join(line.split()) for line in lines if line.startswith("case-audit ")}
    return found


class Officer:
    """A QA officer at the keyboard, in the folder that holds ``fen-marsh/``."""

    def __init__(self, capsys):
        self.capsys = capsys
        self.readme = readme_commands()
        self.saved: list[Path] = []  # every file they put in the project

    def types(self, line: str, as_in_readme: dict[str, str] | None = None, code: int = 0
              ) -> str:
        """Run a command the README gives (``as_in_readme``: this quarter's names -> the
        README's) and return what it printed."""
        shown = line
        for ours, theirs in (as_in_readme or {}).items():
            shown = shown.replace(ours, "\0" + theirs + "\0")
        shown = shown.replace("\0", "")
        assert " ".join(shown.split()) in self.readme, f"not in the README: {shown}"
        got = main(shlex.split(line)[1:])
        out = self.capsys.readouterr()
        assert got == code, out.err
        assert "Traceback" not in out.err
        return out.out + out.err

    def saves(self, source: Path, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        self.saved.append(target)
        return target

    def returns(self, workbook: Path, target: Path, **how) -> Path:
        self.saved.append(fill(workbook, target, **how))
        return target


def correct_one_answer(workbook: Path) -> str:
    """What a reviewer's corrected workbook holds: their first Yes to 2.1.1 made No."""
    book = openpyxl.load_workbook(workbook)
    ws = book[CASES_SHEET]
    column = [c.value for c in ws[1]].index("2.1.1") + 1
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        if ws.cell(row=r, column=column).value == "Yes":
            ws.cell(row=r, column=column).value = "No"
            book.save(workbook)
            return "2.1.1"
    raise AssertionError("no court case to correct")


def published(config: Path) -> pd.DataFrame:
    cfg = load_config(config, steps=(), check_files=False)
    scores = cfg.period_dir / "scores"
    frames = [pd.read_csv(scores / name, dtype={"question_id": str})
              for name in ("key_questions.csv", "local_checks.csv") if (scores / name).is_file()]
    return pd.concat(frames)[["question_id", "n_applicable", "n_yes"]].sort_values(
        "question_id").reset_index(drop=True)


def in_history(config: Path) -> pd.DataFrame:
    cfg = load_config(config, steps=(), check_files=False)
    history = load_history(cfg.history, None)
    rows = history.loc[history["period"] == cfg.period]
    return rows[["question_id", "n_applicable", "n_yes"]].sort_values(
        "question_id").reset_index(drop=True)


def test_four_quarters_by_the_readme(tmp_path, monkeypatch, capsys, browser):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    me = Officer(capsys)
    fen = Path("fen-marsh")

    # --- the first quarter ("Your first real quarter") --------------------------------------
    me.types('case-audit init fen-marsh --period 2026-Q3 --service "Fen Marsh YJS" '
             '--reviewers PM01:north,PM02:south,PM03')
    q3 = fen / "2026-Q3.yaml"
    config = yaml.safe_load(q3.read_text())  # small samples, and last quarter's cases left out
    config["sampling"].update(margin=0.3, exclude_audited_quarters=1)
    config["inputs"].update(judgements="inputs/2026-Q3/judgements.csv",
                            baseline="inputs/baseline.csv",
                            register="inputs/2026-Q3/recommendations.yaml",
                            evidence="inputs/2026-Q3/evidence.csv")
    q3.write_text(yaml.safe_dump(config))
    me.saves(SAMPLES / "caseload.csv", fen / "inputs" / "2026-Q3" / "caseload.csv")
    me.types("case-audit validate fen-marsh/inputs/2026-Q3/caseload.csv --config "
             "fen-marsh/2026-Q3.yaml")
    me.types("case-audit run --config fen-marsh/2026-Q3.yaml --only sampling")

    def quarter_end(period: str, config: Path, *, late: str | None = None) -> str:
        """Returns in, facts copied, the end-of-quarter run and its PDF."""
        books = fen / "outputs" / period / "sampling" / "workbooks"
        for book in sorted(books.glob("*.xlsx")):
            if late is None or not book.name.startswith(late):
                me.returns(book, fen / "returned" / period / book.name)
        me.saves(books.parent / "case_facts.csv", fen / "inputs" / period / "case_facts.csv")
        for name in ("judgements.csv", "recommendations.yaml", "evidence.csv"):
            if not (fen / "inputs" / period / name).exists() and period == "2026-Q3":
                me.saves(SAMPLES / name, fen / "inputs" / period / name)
        if not (fen / "inputs" / "baseline.csv").exists():
            me.saves(SAMPLES / "baseline.csv", fen / "inputs" / "baseline.csv")
        as_q4 = {period: "2026-Q4"}
        if late:  # not ready: PM03 has not returned; published with their cases as gaps
            me.types(f"case-audit validate fen-marsh/{period}.yaml", as_q4, code=2)
            data = yaml.safe_load(config.read_text())
            config.write_text(yaml.safe_dump({**data, "allow_gaps": True}))
        me.types(f"case-audit validate fen-marsh/{period}.yaml", as_q4)
        said = me.types(f"case-audit run --config fen-marsh/{period}.yaml --only "
                        "scoring,triangulation,report", as_q4)
        me.types(f"case-audit pdf fen-marsh/outputs/{period}/04_assurance_report.html", as_q4)
        return said

    quarter_end("2026-Q3", q3)
    assert in_history(q3).equals(published(q3))

    # --- the second quarter, from the first ("Next quarter") ----------------------------------
    me.types("case-audit init fen-marsh --from fen-marsh/2026-Q3.yaml")
    q4 = fen / "2026-Q4.yaml"
    me.saves(SAMPLES / "caseload.csv", fen / "inputs" / "2026-Q4" / "caseload.csv")
    me.types("case-audit validate fen-marsh/2026-Q4.yaml")
    said = me.types("case-audit run --config fen-marsh/2026-Q4.yaml --only sampling")
    assert re.search(r"Left out: \d+ cases of this caseload sampled in the last quarter "
                     r"\(2026-Q3\) were not drawn again", said)
    samples = {p: set(pd.read_csv(fen / "outputs" / p / "sampling" / "sample.csv",
                                  dtype=str)["case_id"]) for p in ("2026-Q3", "2026-Q4")}
    assert not samples["2026-Q3"] & samples["2026-Q4"]  # last quarter's cases left out
    # PM03 is late: the quarter is published with their cases as gaps, then again
    said = quarter_end("2026-Q4", q4, late="PM03")
    assert "Gaps allowed" in said
    report = (fen / "outputs" / "2026-Q4" / "04_assurance_report.html").read_text()
    assert "Cases audited in recent quarters were left out" in report  # and how many
    status = me.types("case-audit status --config fen-marsh/2026-Q4.yaml")
    assert re.search(r"^PM03 +\d+ +0 +\d+", status, re.M)  # their cases outstanding
    me.returns(fen / "outputs" / "2026-Q4" / "sampling" / "workbooks" / "PM03.xlsx",
               fen / "returned" / "2026-Q4" / "PM03.xlsx")
    said = me.types("case-audit run --config fen-marsh/2026-Q4.yaml --only "
                    "scoring,triangulation,report")
    assert "What changed since the previous run of this period:" in said
    assert "No gaps" in said
    me.types("case-audit pdf fen-marsh/outputs/2026-Q4/04_assurance_report.html")

    # --- a corrected answer in the first quarter, after the second ------------------------------
    corrected = correct_one_answer(fen / "returned" / "2026-Q3" / "PM01.xlsx")
    before = published(q3).set_index("question_id").at[corrected, "n_yes"]
    said = me.types("case-audit run --config fen-marsh/2026-Q3.yaml --only "
                    "scoring,triangulation,report")
    assert published(q3).set_index("question_id").at[corrected, "n_yes"] == before - 1
    assert f"{corrected}: {before}/" in said  # what changed
    assert ("2026-Q4's progress and trend were worked out before 2026-Q3 changed; work them "
            "out again: case-audit run --config fen-marsh/2026-Q4.yaml --only "
            "scoring,triangulation,report") in said
    me.types("case-audit pdf fen-marsh/outputs/2026-Q3/04_assurance_report.html",
             {"2026-Q3": "2026-Q4"})
    me.types("case-audit run --config fen-marsh/2026-Q4.yaml --only "
             "scoring,triangulation,report")
    me.types("case-audit pdf fen-marsh/outputs/2026-Q4/04_assurance_report.html")
    assert stale_periods(load_config(q4, steps=(), check_files=False).history) == {}

    # --- the third quarter: a reviewer away -------------------------------------------------------
    me.types("case-audit init fen-marsh --from fen-marsh/2026-Q4.yaml",
             {"2026-Q4": "2026-Q3"})
    q1 = fen / "2027-Q1.yaml"
    assert yaml.safe_load(q1.read_text())["allow_gaps"] is False  # a quarter's own decision
    me.saves(SAMPLES / "caseload.csv", fen / "inputs" / "2027-Q1" / "caseload.csv")
    me.types("case-audit run --config fen-marsh/2027-Q1.yaml --only sampling",
             {"2027-Q1": "2026-Q4"})
    me.types("case-audit reissue --config fen-marsh/2027-Q1.yaml --reviewer PM02 --to PM03",
             {"2027-Q1": "2026-Q4"})
    books = fen / "outputs" / "2027-Q1" / "sampling" / "workbooks"
    assert "PM02.xlsx" not in {p.name for p in books.iterdir()}
    quarter_end("2027-Q1", q1)

    # --- the fourth quarter: a mistaken run withdrawn -----------------------------------------------
    me.types("case-audit init fen-marsh --from fen-marsh/2027-Q1.yaml",
             {"2027-Q1": "2026-Q3"})
    q2 = fen / "2027-Q2.yaml"
    me.saves(SAMPLES / "caseload.csv", fen / "inputs" / "2027-Q2" / "caseload.csv")
    me.types("case-audit run --config fen-marsh/2027-Q2.yaml --only sampling",
             {"2027-Q2": "2026-Q4"})
    quarter_end("2027-Q2", q2)
    me.types("case-audit withdraw --config fen-marsh/2027-Q2.yaml", {"2027-Q2": "2026-Q4"})
    history = load_history(load_config(q2, steps=(), check_files=False).history, None)
    assert "2027-Q2" not in set(history["period"])
    # Drawn again, the sample is the same (same caseload and seed): the returns still read.
    me.types("case-audit run --config fen-marsh/2027-Q2.yaml --only sampling",
             {"2027-Q2": "2026-Q4"})
    me.types("case-audit run --config fen-marsh/2027-Q2.yaml --only "
             "scoring,triangulation,report", {"2027-Q2": "2026-Q4"})
    me.types("case-audit pdf fen-marsh/outputs/2027-Q2/04_assurance_report.html",
             {"2027-Q2": "2026-Q4"})

    # --- never a wrong figure in the history, never a file lost --------------------------------------
    configs = (q3, q4, q1, q2)
    history = load_history(load_config(q2, steps=(), check_files=False).history, None)
    assert list(dict.fromkeys(history["period"])) == ["2026-Q3", "2026-Q4", "2027-Q1",
                                                      "2027-Q2"]
    for config in configs:
        assert in_history(config).equals(published(config)), config
        assert (load_config(config, steps=(), check_files=False).period_dir
                / "04_assurance_report.pdf").is_file()
    assert stale_periods(load_config(q2, steps=(), check_files=False).history) == {}
    assert all(path.is_file() for path in me.saved)  # nothing the officer saved was removed
