"""The identifier gate over many files' texts at once.

`find_identifiers` costs a few milliseconds a call whatever it is given (some thirty patterns,
each through pandas), and the publish check used to call it for every file a run publishes: a
quarter's forty-odd small tables and pages paid more for the calls than for the texts. Each
cell's finding depends only on its own text and its own flags (dates allowed, a reference
column), so the cells of every file can be gathered, found in one call, and handed back to
each file as if it had been checked alone: the same hits, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from audit_lib.inputs.identifiers import PrivacySettings, find_identifiers


class FindLater:
    """Cells gathered from many files (`add`), then found in one call (`run`)."""

    def __init__(self, names: Iterable[str], settings: PrivacySettings):
        self.names = tuple(names)
        self.settings = settings
        self._parts: list[tuple[pd.Series, np.ndarray, np.ndarray]] = []

    def add(self, cells: pd.Series, dates_allowed=None, references=None) -> int:
        """Gather a file's cells, with `find_identifiers`' flags (None: none allowed, no
        reference column); returns the number `run`'s list gives its hits under."""
        size = len(cells)
        self._parts.append((cells, _flags(dates_allowed, size), _flags(references, size)))
        return len(self._parts) - 1

    def run(self) -> list[dict[str, pd.Index]]:
        """For each part, in the order added, what `find_identifiers` finds in its cells
        alone: kinds in the same order, each with the part's own index labels in order."""
        parts = self._parts
        out: list[dict[str, pd.Index]] = [{} for _ in parts]
        sizes = [len(cells) for cells, _, _ in parts]
        if not sum(sizes):
            return out
        starts = np.cumsum([0, *sizes])
        texts = pd.Series(np.concatenate([cells.to_numpy(dtype=object)
                                          for cells, _, _ in parts]), dtype=object)
        hits = find_identifiers(texts, self.names, settings=self.settings,
                                dates_allowed=np.concatenate([p[1] for p in parts]),
                                references=np.concatenate([p[2] for p in parts]))
        for kind, index in hits.items():
            where = np.asarray(index, dtype=np.int64)
            part_of = np.searchsorted(starts, where, side="right") - 1
            for part in np.unique(part_of):
                local = where[part_of == part] - starts[part]
                out[int(part)][kind] = parts[int(part)][0].index[local]
        return out


def _flags(values, size: int) -> np.ndarray:
    return np.zeros(size, dtype=bool) if values is None else np.asarray(values, dtype=bool)
