"""The case-audit command as a user runs it: outputs, exit codes, messages, nothing half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES

from audit_lib.cli import main
from audit_lib.writing import MARKER

ANSWERS = sorted(SAMPLES.glob("answers_*.csv"))
DEMO_ARGS = [*(a for path in ANSWERS for a in ("--answers", str(path))),
             "--facts", str(SAMPLES / "case_facts.csv"),
             "--judgements", str(SAMPLES / "judgements.csv")]


def test_score_writes_the_contracted_files(tmp_path, capsys):
    out = tmp_path / "scores"
    assert main(["score", *DEMO_ARGS, "--out", str(out)]) == 0
    # The same folder the quarter's scoring step writes (issue 17): tables, charts, moderation.
    assert sorted(p.name for p in out.iterdir() if p.name != MARKER) == [
        "conflicts.csv", "derived_checks.csv", "gaps.csv", "judgements.csv", "key_questions.csv",
        "key_questions.png",
        "local_checks.csv", "local_checks.png", "moderation", "overall.json",
        "prior_sensitivity.csv", "standards.csv", "standards_likelihood.png"]
    kq = pd.read_csv(out / "key_questions.csv", dtype={"question_id": str, "standard_id": str})
    assert list(kq.columns) == ["standard_id", "question_id", "n_applicable", "n_yes",
                                "pct_yes", "ci_low", "ci_high", "p_inadequate",
                                "p_requires_improvement", "p_good", "p_outstanding"]
    standards = pd.read_csv(out / "standards.csv", dtype=str)
    assert list(standards.columns) == [
        "standard_id", "source", "lowest_question_id", "lowest_pct", "rating", "band_certain",
        "p_inadequate", "p_requires_improvement", "p_good", "p_outstanding", "likeliest_band",
        "rating_is_likeliest", "min_applicable", "cases_needed", "caseload", "cases_needed_all",
        "assurance_now", "assurance_needed", "not_rated_reason", "rule", "rule_confirmed"]
    overall = json.loads((out / "overall.json").read_text())
    assert {"framework", "score", "max_score", "rating", "missing_standards", "framework_title",
            "overall_rule", "overall_rule_confirmed", "unconfirmed_rules"} <= set(overall)
    assert "overall" in capsys.readouterr().out


def test_malformed_sample_exits_2_lists_every_problem_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "answers_bad.csv"
    lines = (SAMPLES / "answers_PM01.csv").read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 2)[0] + ",Maybe,"     # row 5: bad answer
    lines[9] = lines[9].replace(",2.", ",7.", 1)           # row 10: unknown question
    lines.append(lines[1])                                 # last row: duplicate of row 2
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "new_folder" / "scores"
    args = [a if a != str(SAMPLES / "answers_PM01.csv") else str(bad) for a in DEMO_ARGS]
    assert main(["score", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    # in one round: the three rows, and the answer row 10 no longer gives (a gap)
    assert "4 problem(s)" in err and "has no answer to 2." in err
    assert "row 5, column 'answer'" in err
    assert "row 10, column 'question_id'" in err
    assert f"row {len(lines)}, column 'question_id'" in err
    assert "Traceback" not in err
    assert not out.parent.exists()  # not even the parent folder was created


def test_failed_rerun_leaves_previous_results_untouched(tmp_path):
    out = tmp_path / "scores"
    assert main(["score", *DEMO_ARGS, "--out", str(out)]) == 0
    before = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    missing = tmp_path / "missing.csv"
    assert main(["score", "--answers", str(missing), "--facts", str(SAMPLES / "case_facts.csv"),
                 "--out", str(out)]) == 2
    assert {str(p.relative_to(out)): p.read_bytes()
            for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bad_options_exit_2(tmp_path, capsys):
    assert main(["score", *DEMO_ARGS, "--confidence", "95", "--out", str(tmp_path / "x")]) == 2
    assert "confidence" in capsys.readouterr().err
    assert main(["score", *DEMO_ARGS, "--framework", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "hmip-youth-2021" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_validate_checks_files_and_writes_nothing(tmp_path, capsys):
    files = [str(SAMPLES / n) for n in ("case_facts.csv", "answers_PM01.csv", "judgements.csv")]
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count("OK") == 3
    judgements = tmp_path / "judgements.csv"
    shutil.copy(SAMPLES / "judgements.csv", judgements)
    with judgements.open("a") as fh:
        fh.write("2.1,Good,case standards are not judged\n9.9,Great,\n")
    assert main(["validate", str(judgements)]) == 2
    err = capsys.readouterr().err
    assert "row 8, column 'standard_id'" in err and "rated from case answers" in err
    assert "row 9, column 'rating'" in err and "row 9, column 'standard_id'" in err
    unknown = tmp_path / "other.csv"
    unknown.write_text("a,b\n1,2\n")
    assert main(["validate", str(unknown)]) == 2
    assert "not recognised" in capsys.readouterr().err


def test_frameworks_lists_installed(capsys):
    assert main(["frameworks"]) == 0
    out = capsys.readouterr().out
    for fid in ("hmip-youth-2021", "hmip-youth-2018", "hmip-youth-2025", "local-assurance"):
        assert fid in out
    # the 2025 framework says it audits victims' cases and that its rules are assumed
    block = out.split("hmip-youth-2025", 1)[1].split("local-assurance", 1)[0]
    assert "units of audit: children, victims" in block
    assert "3 rating rule(s) assumed, not confirmed by the Inspectorate" in block
    assert "assumed" not in out.split("hmip-youth-2021", 1)[1].split("hmip-youth-2025", 1)[0]


def test_console_script_is_installed():
    exe = shutil.which("case-audit", path=str(ROOT / ".venv" / "bin")) or shutil.which(
        "case-audit")
    if exe is None:
        pytest.skip("console script not on PATH (package not installed with pip)")
    result = subprocess.run([exe, "frameworks"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "hmip-youth-2021" in result.stdout


def test_module_runs_with_python_m():
    result = subprocess.run([sys.executable, "-m", "audit_lib.cli", "frameworks"],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_triangulate_agreement_and_breakdown_commands(tmp_path, capsys):
    scores = tmp_path / "scores"
    assert main(["score", *DEMO_ARGS, "--out", str(scores)]) == 0
    tri = tmp_path / "tri"
    assert main(["triangulate", "--register", str(SAMPLES / "recommendations.yaml"),
                 "--evidence", str(SAMPLES / "evidence.csv"), "--scores", str(scores),
                 "--out", str(tri)]) == 0
    assurance = pd.read_csv(tri / "assurance.csv")
    assert set(assurance["judgement"]) <= {"corroborated", "contested", "single source",
                                           "no evidence"}
    assert "contested" in set(assurance["judgement"])
    agree = tmp_path / "agree"
    assert main(["agreement", *DEMO_ARGS[:-2], "--answers", str(SAMPLES / "moderation_marks.csv"),
                 "--out", str(agree)]) == 0
    table = pd.read_csv(agree / "agreement.csv", dtype={"question_id": str})
    assert list(table.columns)[:7] == ["question_id", "n_cases", "pct_agreement", "cohen_kappa",
                                       "kappa_ci_low", "kappa_ci_high", "krippendorff_alpha"]
    assert table["question_id"].iloc[-1] == "ALL"
    out = capsys.readouterr().out
    assert "double-marked case(s)" in out
    brk = tmp_path / "brk"
    assert main(["breakdown", *DEMO_ARGS[:-2], "--facts", str(SAMPLES / "case_facts.csv"),
                 "--by", "sex", "--out", str(brk)]) == 0
    published = pd.read_csv(brk / "breakdown_sex.csv", dtype=str, keep_default_na=False)
    counts = published["n_applicable"]
    shown = pd.to_numeric(counts[counts != "[c]"])
    assert (shown >= 10).all()  # nothing under the threshold is published


def test_pseudonymise_command(tmp_path, capsys):
    key = tmp_path.parent / f"{tmp_path.name}-key.txt"
    key.write_text("ab" * 32)
    out = tmp_path / "pseudo.csv"
    assert main(["pseudonymise", "--key-file", str(key), "--in", str(SAMPLES / "case_facts.csv"),
                 "--out", str(out)]) == 0
    ids = pd.read_csv(out, dtype=str)["case_id"]
    assert ids.str.fullmatch(r"P-[0-9a-f]{16}").all()
    assert "key id" in capsys.readouterr().out
    short = tmp_path.parent / f"{tmp_path.name}-short.txt"
    short.write_text("abcd")
    assert main(["pseudonymise", "--key-file", str(short), "--in",
                 str(SAMPLES / "case_facts.csv"), "--out", str(tmp_path / "x.csv")]) == 2
    assert "secrets.token_hex" in capsys.readouterr().err


def test_out_never_replaces_a_folder_of_inputs_or_other_work(tmp_path, capsys):
    inputs = tmp_path / "quarter"
    inputs.mkdir()
    for name in ("answers_PM01.csv", "case_facts.csv"):
        shutil.copy(SAMPLES / name, inputs / name)
    (inputs / "notes.docx").write_bytes(b"someone's work")
    before = {p.name: p.read_bytes() for p in inputs.iterdir()}
    assert main(["score", "--answers", str(inputs / "answers_PM01.csv"),
                 "--facts", str(inputs / "case_facts.csv"), "--out", str(inputs)]) == 2
    assert "holds files case-audit did not write" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in inputs.iterdir()} == before


def test_dates_are_derived_only_for_cases_a_reviewer_returned(tmp_path):
    out = tmp_path / "two"
    assert main(["score", "--answers", str(SAMPLES / "answers_PM01.csv"),
                 "--facts", str(SAMPLES / "case_facts.csv"), "--out", str(out)]) == 0
    reviewed = set(pd.read_csv(SAMPLES / "answers_PM01.csv", dtype=str)["case_id"])
    derived = pd.read_csv(out / "derived_checks.csv", dtype=str)
    assert set(derived["case_id"]) <= reviewed
    checks = pd.read_csv(out / "local_checks.csv").set_index("question_id")
    # OOCD.1 (derived where the reviewer left a gap) covers no more cases than OOCD.2
    assert checks.loc["OOCD.1", "n_applicable"] == checks.loc["OOCD.2", "n_applicable"]


def test_the_first_reviewer_cannot_also_be_the_second_marker(tmp_path, capsys):
    marks = pd.read_csv(SAMPLES / "moderation_marks.csv", dtype=str, keep_default_na=False)
    first = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in ANSWERS])
    case = marks["case_id"].iloc[0]
    owner = first.loc[first["case_id"] == case, "reviewer"].iloc[0]
    marks.loc[marks["case_id"] == case, "reviewer"] = owner
    path = tmp_path / "moderation.csv"
    marks.to_csv(path, index=False)
    from audit_lib.errors import InputError
    from audit_lib.scoring.scorecard import build_scorecard

    with pytest.raises(InputError, match="second mark must come from a different reviewer"):
        build_scorecard(ANSWERS, SAMPLES / "case_facts.csv", moderation=[path])


# --- options that would silently do something else (issue 15, no. 12) ---------------------

@pytest.mark.parametrize("args, message", [
    (["batch", "--configs", ".", "--jobs", "0"], "argument --jobs: must be at least 1"),
    (["batch", "--configs", ".", "--jobs", "-2"], "argument --jobs: must be at least 1"),
    (["--names", "", "validate", str(SAMPLES / "judgements.csv")],
     "argument --names: must not be empty"),
    (["score", "--answers", "", "--facts", str(SAMPLES / "case_facts.csv"), "--out", "x"],
     "argument --answers: must not be empty"),
    (["score", *DEMO_ARGS, "--out", " "], "argument --out: must not be empty"),
    (["validate", ""], "argument FILE: must not be empty"),
])
def test_empty_paths_and_no_jobs_are_refused_not_reinterpreted(tmp_path, monkeypatch, capsys,
                                                               args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert ".: file not found" not in err
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_os_error_exits_2_with_its_path_not_a_traceback(tmp_path, monkeypatch,
                                                                     capsys):
    import errno
    import os

    def broken(*args, **kwargs):
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(tmp_path / "disk"))

    monkeypatch.setattr("audit_lib.quarter.scores.write_scores", broken)
    assert main(["score", *DEMO_ARGS, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == f"case-audit score: {tmp_path / 'disk'}: Input/output error.\n"
