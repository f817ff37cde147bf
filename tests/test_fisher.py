"""Tests for audit_lib.scoring.fisher: many 2x2 tables at once, each p-value scipy's own."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import fisher_exact

from audit_lib.scoring.fisher import fisher_two_sided


def scipy_p(a: int, b: int, c: int, d: int) -> float:
    return float(fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue)


def test_every_small_table_has_scipys_p_value_to_the_last_digit():
    tables = np.array(list(itertools.product(range(8), repeat=4)))  # 4,096 tables
    ours = fisher_two_sided(*tables.T)
    theirs = np.array([scipy_p(*t) for t in tables.tolist()])
    assert (ours == theirs).all()  # equal, not close: published tables stay byte for byte


def test_large_and_lopsided_tables_too():
    rng = np.random.default_rng(25)
    tables = np.concatenate([
        rng.integers(0, 300, size=(150, 4)),
        rng.integers(2_000, 40_000, size=(20, 4)),  # a national year's breakdown cells
        np.column_stack([rng.integers(0, 4, 40), rng.integers(0, 50_000, 40),
                         rng.integers(0, 4, 40), rng.integers(0, 50_000, 40)]),
    ])
    ours = fisher_two_sided(*tables.T)
    assert ours.tolist() == [scipy_p(*t) for t in tables.tolist()]


def test_a_table_with_an_empty_row_or_column_tells_nothing():
    p = fisher_two_sided([0, 5, 3, 0], [0, 0, 4, 0], [4, 2, 0, 0], [6, 0, 0, 0])
    assert p.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_shape_is_kept_and_bad_counts_refused():
    p = fisher_two_sided([[3, 1], [0, 5]], [[1, 3], [5, 0]], 1, 3)
    assert p.shape == (2, 2)
    assert p[0, 0] == scipy_p(3, 1, 1, 3) == pytest.approx(0.4857142857)
    assert fisher_two_sided([], [], [], []).shape == (0,)
    with pytest.raises(ValueError, match="negative"):
        fisher_two_sided(-1, 2, 3, 4)


def test_tables_are_tested_together_not_one_call_each(monkeypatch):
    """The work is one pass of array calls for all the tables, however many there are."""
    from scipy.stats import hypergeom

    calls = []
    for name in ("pmf", "cdf", "sf"):
        real = getattr(hypergeom, name)
        monkeypatch.setattr(hypergeom, name,
                            lambda *args, _real=real, **kwargs: calls.append(1) or _real(*args,
                                                                                        **kwargs))
    rng = np.random.default_rng(3)
    fisher_two_sided(*rng.integers(0, 60, size=(10, 4)).T)
    few = len(calls)
    calls.clear()
    fisher_two_sided(*rng.integers(0, 60, size=(1_000, 4)).T)
    assert len(calls) <= few + 10  # the bisection may need a few more steps, not 100 x more
