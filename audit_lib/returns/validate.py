"""``case-audit validate``: recognise each input file's kind from its header and check it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from audit_lib.errors import InputError, Problem, collect
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.frameworks.applicability import answerable_questions
from audit_lib.inputs.reading import file_label, read_header
from audit_lib.returns.answers import load_answers
from audit_lib.returns.facts import combine_facts, load_facts, load_victim_facts
from audit_lib.returns.judgements import load_judgements

KINDS = ("answers", "facts", "victim facts", "judgements")


def file_kind(path: str | Path) -> str:
    """Tell an answers, case-facts, victims' facts or judgements file apart by its header.

    Raises
    ------
    InputError
        If the file cannot be read or its header matches none of the kinds.
    """
    columns = set(read_header(path))
    if {"question_id", "answer"} <= columns:
        return "answers"
    if {"standard_id", "rating"} <= columns:
        return "judgements"
    if {"victim_ref", "case_id"} <= columns:
        return "victim facts"
    if "case_id" in columns and columns & {"disposal_group", "disposal_type"}:
        return "facts"
    raise InputError([Problem(file_label(path)[0], 1, None, "not recognised: an answers file "
                              "needs question_id and answer, a facts file case_id and "
                              "disposal_group, a victims' facts file victim_ref and case_id, a "
                              "judgements file standard_id and rating")])


def validate_files(paths: Sequence[str | Path], framework: str) -> list[str]:
    """Check every file, cross-checking answers against a facts file when one is given.

    Returns
    -------
    list of str
        One line per file checked.

    Raises
    ------
    InputError
        Listing every problem in every file.
    """
    fw = load_framework(framework)
    checks = load_checks()
    problems: list[Problem] = []
    by_kind: dict[str, list[str]] = {k: [] for k in KINDS}
    for path in paths:
        kind = collect(problems, file_kind, path)
        if kind:
            by_kind[kind].append(str(path))
    facts = None
    for path in by_kind["facts"]:
        facts = collect(problems, load_facts, path, fw)
    if len(by_kind["facts"]) > 1:
        facts = None  # answers cannot be matched against two facts files at once
    victims = [collect(problems, load_victim_facts, path, fw, facts)
               for path in by_kind["victim facts"]]
    if facts is not None:
        one = victims[0] if len(victims) == 1 else None
        facts = None if len(victims) > 1 or (victims and one is None) else combine_facts(
            facts, one, fw)
    for path in by_kind["judgements"]:
        collect(problems, load_judgements, path, fw)
    if by_kind["answers"]:
        collect(problems, load_answers, by_kind["answers"], answerable_questions(fw, checks),
                facts)
    if problems:
        raise InputError(problems)
    lines = [f"OK  {kind:<12} {path}" for kind in KINDS for path in by_kind[kind]]
    if by_kind["answers"] and facts is None:
        lines.append("note: answers were not checked against case facts (give one facts file "
                     "to check case ids and which questions apply)")
    return lines
