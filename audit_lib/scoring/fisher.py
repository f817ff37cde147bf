"""Fisher's exact test (two-sided) of many 2x2 tables at once, as scipy tests one table.

``scipy.stats.fisher_exact`` takes one table per call: a breakdown of 33 questions by five
characteristics and their groups is a few hundred calls, each some twenty round trips through
scipy's distribution machinery. Here every table is tested at once, with the same steps as
``fisher_exact`` (its two-sided p-value: the probability of the tables no more likely than the
one observed, with the same relative tolerance, the same search for the far tail and the same
distribution, ``scipy.stats.hypergeom``, called on arrays), so each p-value is the same to the
last digit (tests/test_fisher.py compares them on every small table and on large ones).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Relative tolerance under which two tables count as equally likely (scipy's).
_EPSILON = 1e-14


def fisher_two_sided(a, b, c, d) -> np.ndarray:
    """Two-sided Fisher's exact p-values of the 2x2 tables ``[[a, b], [c, d]]``.

    Parameters
    ----------
    a, b, c, d : array_like of int
        The four counts of each table (first row ``a, b``; second row ``c, d``), of one shape.

    Returns
    -------
    numpy.ndarray
        One p-value per table, equal to ``scipy.stats.fisher_exact([[a, b], [c, d]]).pvalue``;
        1 where a row or a column of the table is empty.

    Raises
    ------
    ValueError
        If a count is negative.
    """
    a, b, c, d = np.broadcast_arrays(*(np.asarray(x, dtype=np.int64) for x in (a, b, c, d)))
    if any((x < 0).any() for x in (a, b, c, d)):
        raise ValueError("counts of a 2x2 table must not be negative")
    shape = a.shape
    a, b, c, d = (x.ravel() for x in (a, b, c, d))
    p = np.ones(a.shape)
    n1, n2, n = a + b, c + d, a + c
    todo = np.flatnonzero((n1 > 0) & (n2 > 0) & (n > 0) & (b + d > 0))
    if len(todo):
        p[todo] = _two_sided(a[todo], n1[todo], n2[todo], n[todo])
    return p.reshape(shape)


def _two_sided(a: np.ndarray, n1: np.ndarray, n2: np.ndarray, n: np.ndarray) -> np.ndarray:
    """scipy's two-sided p-value, step for step, for tables with no empty row or column."""
    from scipy.stats import hypergeom

    total = n1 + n2

    def pmf(k: np.ndarray, i: np.ndarray) -> np.ndarray:  # of the tables i
        return hypergeom.pmf(k, total[i], n1[i], n[i])

    mode = ((n + 1) * (n1 + 1) / (total + 2)).astype(np.int64)
    every = np.arange(len(a))
    pexact, pmode = pmf(a, every), pmf(mode, every)
    gamma = 1 + _EPSILON
    p = np.ones(len(a))
    with np.errstate(invalid="ignore"):  # 0 / 0 where both are 0: not "equally likely"
        likely = np.abs(pexact - pmode) / np.maximum(pexact, pmode) <= _EPSILON
    # Below the mode: this tail, and the far tail from the first table no more likely.
    low = np.flatnonzero(~likely & (a < mode))
    p[low] = hypergeom.cdf(a[low], total[low], n1[low], n[low])
    rows = low[~(pmf(n[low], low) > pexact[low] * gamma)]
    if len(rows):
        guess = _search(lambda k, i: -pmf(k, i), -pexact[rows] * gamma, mode[rows], n[rows],
                        rows)
        p[rows] = p[rows] + hypergeom.sf(guess, total[rows], n1[rows], n[rows])
    # At or above the mode: the same, mirrored.
    high = np.flatnonzero(~likely & (a >= mode))
    p[high] = hypergeom.sf(a[high] - 1, total[high], n1[high], n[high])
    rows = high[~(pmf(np.zeros(len(high), dtype=np.int64), high) > pexact[high] * gamma)]
    if len(rows):
        guess = _search(pmf, pexact[rows] * gamma, np.zeros(len(rows), dtype=np.int64),
                        mode[rows], rows)
        p[rows] = p[rows] + hypergeom.cdf(guess, total[rows], n1[rows], n[rows])
    return np.minimum(p, 1.0)


def _search(f: Callable[[np.ndarray, np.ndarray], np.ndarray], d: np.ndarray, lo: np.ndarray,
            hi: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each table, the ``i`` between ``lo`` and ``hi`` with ``f(i) <= d < f(i + 1)``, found
    by the same bisection as scipy's (``f`` ascending there), for all tables at once."""
    lo, hi = lo.copy(), hi.copy()
    found = np.zeros(len(lo), dtype=np.int64)
    done = np.zeros(len(lo), dtype=bool)
    while True:
        live = np.flatnonzero(~done & (lo < hi))
        if not len(live):
            break
        mid = lo[live] + (hi[live] - lo[live]) // 2
        value = f(mid, rows[live])
        below, above = value < d[live], value > d[live]
        lo[live[below]] = mid[below] + 1
        hi[live[above]] = mid[above] - 1
        hit = ~below & ~above
        found[live[hit]] = mid[hit]
        done[live[hit]] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        at = f(lo[rest], rows[rest]) <= d[rest]
        found[rest] = np.where(at, lo[rest], lo[rest] - 1)
    return found
