"""Two numeric samples on their merged order: the shared step of KS, Wasserstein and Anderson-Darling.

Each sample is sorted once; :func:`merged_cdfs` merges the two sorted runs (a linear merge) and
gives both empirical CDFs at every distinct value, which all three statistics read."""
from __future__ import annotations

import numpy as np

__all__ = ["merged_cdfs"]


def _clean(values: object, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype="float64").ravel()
    return arr[~np.isnan(arr)]


def merged_cdfs(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of both sorted samples and each sample's cumulative count at them.

    ``reference`` and ``current`` must be sorted and NaN-free. Returns ``(z, c_ref, c_cur)``:
    ``c_ref[j]`` is the number of reference values ``<= z[j]``. Costs one stable argsort of the
    concatenation, which on two presorted runs is a linear merge.
    """
    both = np.concatenate([reference, current])
    order = np.argsort(both, kind="stable")  # two presorted runs: a linear merge
    merged = both[order]
    del both
    from_cur = order >= reference.size
    del order
    last = np.empty(merged.size, dtype=bool)
    if merged.size:
        np.not_equal(merged[1:], merged[:-1], out=last[:-1])
        last[-1] = True
    c_cur = np.cumsum(from_cur, dtype="int64")
    del from_cur
    if last.all():  # no ties: every position is a distinct value
        idx = np.arange(1, merged.size + 1, dtype="int64")
        return merged, idx - c_cur, c_cur
    c_cur = c_cur[last]
    idx = np.flatnonzero(last)
    idx += 1
    return merged[last], idx - c_cur, c_cur


def _prepare(reference, current, sorted_: bool) -> tuple[np.ndarray, np.ndarray]:
    if sorted_ and isinstance(reference, np.ndarray) and isinstance(current, np.ndarray):
        a, b = reference, current  # the caller's promise: sorted float arrays without NaN
    else:
        a = np.sort(_clean(reference, "reference"))
        b = np.sort(_clean(current, "current"))
    if a.size == 0 or b.size == 0:
        side = "reference" if a.size == 0 else "current"
        raise ValueError(f"{side} has no non-missing values; a drift statistic needs at least one on each side")
    return a, b


def _finite_slice(a: np.ndarray) -> np.ndarray:
    """The finite part of a sorted array, as a view (infinities sit at the ends)."""
    lo = np.searchsorted(a, -np.inf, side="right")
    hi = np.searchsorted(a, np.inf, side="left")
    return a[lo:hi]
