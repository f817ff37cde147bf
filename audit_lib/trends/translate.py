"""Translate key-question results recorded under one framework into another's, through a mapping.

History, earlier quarters and inspection baselines are counts (applicable cases, Yes answers)
per key question, each row under the framework it was scored against. To compare them with
this quarter's framework, rows of any other framework go through the mapping between the two
(`audit_lib.frameworks.mappings`): a target question takes the sum of its source questions'
counts, and says whether the comparison is approximate and where it came from. Rows of a
framework with no mapping are never compared: refused, or left out and named.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.frameworks import Framework
from audit_lib.frameworks.mappings import find_mapping

logger = logging.getLogger(__name__)

#: Added to every translated frame: whether a row's figure was translated approximately from
#: another framework, from which framework and questions (blank for the framework's own), and
#: each source question's own counts ("2.1.1=34/28;3.1.1=24/20": applicable/Yes), kept so that
#: a pooled figure can be standardised to another mix of disposal groups.
TRANSLATION_COLUMNS = ["approximate", "mapped_from", "source_counts"]


@dataclass
class Translation:
    """Results in the target framework's questions, and what could not be translated."""

    frame: pd.DataFrame
    #: Framework id -> why its results were left out (no mapping to the target).
    left_out: dict[str, str] = field(default_factory=dict)
    #: Source questions recorded but mapped to nothing, by framework: named, never silently lost.
    unmapped: dict[str, list[str]] = field(default_factory=dict)


def translate_results(frame: pd.DataFrame, target: Framework, *,
                      counts: Sequence[str] = ("n_applicable", "n_yes"),
                      keys: Sequence[str] = (), missing: str = "refuse",
                      passthrough: Sequence[str] = ()) -> Translation:
    """Express results recorded under any framework in ``target``'s key questions.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``framework``, ``question_id``, the ``counts`` columns and the ``keys``
        columns (e.g. ``period, period_label, period_end`` for history; none for a baseline).
    target : Framework
        The framework to compare in.
    counts : sequence of str
        Count columns, summed when several source questions map to one target question.
    keys : sequence of str
        Columns identifying a set of results (a period); translation never mixes two sets.
    missing : {"refuse", "leave_out"}
        What to do with results of a framework that has no mapping to ``target``.
    passthrough : sequence of str
        Question ids that may mean the same under every framework (the local checks, which
        belong to the service's own check set): kept as they are when they are asked on the
        same unit of audit under the row's framework as under ``target`` (a victims' check is
        asked on children's cases under 2021 and on victims' cases under 2025: not the same
        measure, so not compared; such rows are named in ``unmapped``).

    Returns
    -------
    Translation
        ``frame`` has ``keys``, ``framework`` (now ``target.id``), ``question_id``, ``counts``
        and `TRANSLATION_COLUMNS`; rows of ``target`` itself are kept as they are.

    Raises
    ------
    ConfigError
        With ``missing="refuse"``, naming the framework that cannot be compared and what to do.
    FrameworkError
        If a mapping file is malformed.
    """
    keys, counts = list(keys), list(counts)
    columns = keys + ["framework", "question_id", *counts, *TRANSLATION_COLUMNS]
    passthrough = set(passthrough)
    same_unit = {source: _same_unit(source, target, passthrough)
                 for source in frame["framework"].unique() if source != target.id}
    kept = [(f == target.id) or (q in same_unit.get(f, ()))
            for f, q in zip(frame["framework"], frame["question_id"])]
    kept = pd.Series(kept, index=frame.index, dtype=bool)
    own = frame.loc[kept].assign(framework=target.id, approximate=False, mapped_from="",
                                 source_counts="")
    parts = [own[columns]] if len(own) else []
    result = Translation(pd.DataFrame(columns=columns))
    others = frame.loc[~kept]
    for source, rows in others.groupby("framework", sort=True):
        mapping = find_mapping(source, target.id)
        if mapping is None:
            reason = (f"no mapping from {source} to {target.id}: results recorded under "
                      f"{source} cannot be compared with {target.id}")
            if missing == "refuse":
                raise ConfigError(f"{reason}. Add a mapping file (audit_lib/frameworks/mappings/"
                                  f"{source}_to_{target.id}.yaml, or a mappings/ folder in "
                                  "$CASE_AUDIT_FRAMEWORKS), or give results under "
                                  f"{target.id}.")
            result.left_out[source] = reason
            logger.info("left out %d rows: %s", len(rows), reason)
            continue
        used = set()
        for line in mapping.lines:
            pool = rows.loc[rows["question_id"].isin(line.sources)]
            if pool.empty:
                continue
            used |= set(pool["question_id"])
            group = pool.groupby(keys, sort=False, dropna=False) if keys else [((), pool)]
            for key, part in group:
                present = [q for q in line.sources if q in set(part["question_id"])]
                row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
                by_question = part.groupby("question_id")[counts].sum()
                row.update({"framework": target.id, "question_id": line.target,
                            **{c: int(part[c].sum()) for c in counts},
                            "approximate": line.approximate,
                            "mapped_from": f"{source} {'+'.join(present)}",
                            "source_counts": ";".join(
                                f"{q}=" + "/".join(str(int(by_question.loc[q, c]))
                                                   for c in counts) for q in present)})
                parts.append(pd.DataFrame([row], columns=columns))
        unmapped = sorted(set(rows["question_id"]) - used)
        if unmapped:
            result.unmapped[source] = unmapped
    if parts:
        out = pd.concat(parts, ignore_index=True)
        out["approximate"] = out["approximate"].astype(bool)
        out[counts] = out[counts].astype(int)
        result.frame = out
    return result


def _same_unit(source: str, target: Framework, checks: set[str]) -> set[str]:
    """Of ``checks``, those asked on the same unit of audit under ``source`` as under
    ``target`` (an unknown source framework: none)."""
    from audit_lib.errors import FrameworkError
    from audit_lib.frameworks import load_checks, load_framework
    from audit_lib.frameworks.applicability import answerable_questions

    if not checks:
        return set()
    try:
        then = answerable_questions(load_framework(source), load_checks())
    except FrameworkError:
        return set()
    now = answerable_questions(target, load_checks())
    return {q for q in checks if q in then and q in now and then[q].units == now[q].units}
