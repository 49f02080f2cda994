"""Kolmogorov-Smirnov: the largest gap between two CDFs, exact from values or binned from counts."""
from __future__ import annotations

import math

import numpy as np

from .. import _dist
from .counts import align
from .earth_mover import wasserstein, wasserstein_sorted
from .result import DriftStatistic
from .samples import _finite_slice, _prepare, merged_cdfs

__all__ = ["ks", "ks_from_counts", "ks_wasserstein", "ks_sorted", "KS_GRID"]


def _ks_p_value(d: float, n: int, m: int, a: np.ndarray | None = None, b: np.ndarray | None = None) -> float:
    # as scipy.stats.ks_2samp(method='auto'): exact for small samples, else kstwo at the effective n
    # (scipy is imported only for the small-sample branches, never at the default 1M-row path)
    if a is not None and max(n, m) <= 10_000:
        from scipy import stats

        return float(stats.ks_2samp(a, b).pvalue)
    en = n * m / (n + m)
    return _dist.kolmogorov_sf(d, max(1, round(en)))


#: Grid points per sample for :func:`ks_sorted`: the CDF gap is read there by binary search first.
KS_GRID = 8192


def ks_sorted(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact two-sample KS distance and its location from two sorted, NaN-free arrays, mostly without merging them.

    The gap ``F_a - F_b`` is read on a grid of about ``2 x KS_GRID`` sample values by binary search.
    Between two grid points each CDF moves by at most its mass there, which bounds the gap inside;
    only the stretches whose bound reaches the largest gap on the grid are merged exactly. The
    result is the full merge's, value and location (the smallest value where the largest gap is
    reached), bit for bit: the same integer counts divided the same way.

    >>> import numpy as np
    >>> a, b = np.sort(np.random.default_rng(0).normal(size=50_000)), np.sort(np.random.default_rng(1).normal(size=40_000))
    >>> z, ca, cb = merged_cdfs(a, b); gap = np.abs(ca / a.size - cb / b.size)
    >>> ks_sorted(a, b) == (float(gap.max()), float(z[np.argmax(gap)]))
    True
    """
    n, m = a.size, b.size
    if n + m <= 8 * KS_GRID:
        return _ks_merged(a, b, 0, 0, n, m)
    g = np.unique(np.concatenate([a[:: max(1, n // KS_GRID)], b[:: max(1, m // KS_GRID)], a[-1:], b[-1:]]))
    fa, la = _counts_at(a, g)
    fb, lb = _counts_at(b, g)
    gap = np.abs(fa / n - fb / m)
    j = int(np.argmax(gap))
    d, x = float(gap[j]), float(g[j])
    # strictly inside (g[k], g[k+1]) the counts lie in [fa[k], la[k+1]] and [fb[k], lb[k+1]]
    upper = np.maximum(la[1:] / n - fb[:-1] / m, lb[1:] / m - fa[:-1] / n)
    refine = (upper >= d) & ((la[1:] > fa[:-1]) | (lb[1:] > fb[:-1]))  # and the stretch holds values
    if not refine.any():
        return d, x
    # runs of neighbouring stretches to merge: [start, stop) over grid intervals
    edges = np.diff(np.concatenate([[0], refine.view(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    lo_a, lo_b = fa[starts], fb[starts]
    hi_a, hi_b = la[stops], lb[stops]
    if int((hi_a - lo_a).sum() + (hi_b - lo_b).sum()) > (n + m) // 4:
        return _ks_merged(a, b, 0, 0, n, m)  # the bound is loose here (e.g. few distinct values): merge it all
    for i0, j0, i1, j1 in zip(lo_a.tolist(), lo_b.tolist(), hi_a.tolist(), hi_b.tolist()):
        dd, xx = _ks_merged(a[i0:i1], b[j0:j1], i0, j0, n, m)
        if dd > d or (dd == d and xx < x):
            d, x = dd, xx
    return d, x


def _counts_at(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of sorted ``x`` at or below (``right``) and strictly below (``left``) each of sorted ``g``.

    One binary search; the left count follows from the values just below the right one, searched
    again only where a value of ``g`` occurs twice or more in ``x``.
    """
    right = np.searchsorted(x, g, side="right")
    left = right.copy()
    one = (right > 0) & (x[np.maximum(right - 1, 0)] == g)
    left -= one
    many = np.flatnonzero(one & (right > 1) & (x[np.maximum(right - 2, 0)] == g))
    if many.size:
        left[many] = np.searchsorted(x, g[many], side="left")
    return right, left


def _ks_merged(a: np.ndarray, b: np.ndarray, offset_a: int, offset_b: int, n: int, m: int) -> tuple[float, float]:
    """Largest gap and its first location over the merged values of two sorted stretches (counts offset)."""
    z, ca, cb = merged_cdfs(a, b)
    if offset_a:
        ca += offset_a
    if offset_b:
        cb += offset_b
    gap = ca / n
    gap -= cb / m
    np.abs(gap, out=gap)
    j = int(np.argmax(gap))
    return float(gap[j]), float(z[j])


def ks_wasserstein(a: np.ndarray, b: np.ndarray, *, scale: float) -> tuple[DriftStatistic, DriftStatistic]:
    """KS and normalised Wasserstein of two sorted, NaN-free arrays (the comparator's fast path).

    KS from :func:`ks_sorted`, Wasserstein from the quantile functions (:func:`wasserstein_sorted`):
    neither merges the two samples in full, which is most of the cost of a 1M-row comparison.
    """
    d, location = ks_sorted(a, b)
    ks_res = DriftStatistic("ks", d, _ks_p_value(d, a.size, b.size, a, b), d, "largest CDF gap (share of rows)",
                            location)
    finite = bool(np.isfinite(a[0]) and np.isfinite(a[-1]) and np.isfinite(b[0]) and np.isfinite(b[-1]))
    if not finite:
        fa, fb = _finite_slice(a), _finite_slice(b)
        if fa.size == 0 or fb.size == 0:
            return ks_res, DriftStatistic("wasserstein", math.nan, note="no finite values on one side")
        return ks_res, wasserstein(fa, fb, scale=scale, sorted=True)
    raw = wasserstein_sorted(a, b)
    if not scale > 0:
        return ks_res, DriftStatistic("wasserstein", math.nan, effect=raw, effect_name="raw distance (reference is constant)",
                                      note="reference spread is 0: distance not normalised")
    value = raw / scale
    return ks_res, DriftStatistic("wasserstein", value, effect=value, effect_name="mean shift of mass in baseline SDs")


def ks(reference, current, *, sorted: bool = False, cdfs=None) -> DriftStatistic:
    """Two-sample Kolmogorov-Smirnov distance: the largest gap between the two empirical CDFs.

    Parameters
    ----------
    reference, current
        Numeric samples; NaN is ignored, ``inf`` counts as an extreme value.
    sorted
        Both inputs are already sorted (skips two sorts).
    cdfs
        Precomputed ``merged_cdfs(reference, current)`` (internal reuse).

    Returns
    -------
    DriftStatistic
        ``statistic`` = D in [0, 1] (share of rows), ``p_value`` as ``scipy.stats.ks_2samp``,
        ``location`` = the value where the gap is largest.

    Examples
    --------
    >>> round(ks([1, 2, 3, 4], [3, 4, 5, 6]).statistic, 2)
    0.5
    """
    a, b = _prepare(reference, current, sorted)
    z, ca, cb = cdfs if cdfs is not None else merged_cdfs(a, b)
    gap = np.abs(ca / a.size - cb / b.size)
    j = int(np.argmax(gap))
    d = float(gap[j])
    return DriftStatistic("ks", d, _ks_p_value(d, a.size, b.size, a, b), d, "largest CDF gap (share of rows)",
                          float(z[j]))


def ks_from_counts(ref_counts, cur_counts) -> DriftStatistic:
    """KS distance from binned counts on shared, ordered bins (a lower bound of the exact KS).

    The p-value uses the asymptotic KS null at the effective sample size, which is conservative
    for binned data. Used when only profiles are available (e.g. computed inside a database).

    >>> ks_from_counts([5, 5, 0], [0, 5, 5]).statistic
    0.5
    """
    r, c = align(ref_counts, cur_counts)
    n, m = r.sum(), c.sum()
    if n == 0 or m == 0:
        return DriftStatistic("ks", math.nan, note="no counts on one side")
    gap = np.abs(np.cumsum(r / n - c / m))
    d = float(gap.max())
    return DriftStatistic("ks", d, _ks_p_value(d, int(n), int(m)), d, "largest CDF gap (share of rows)",
                          note="KS from binned CDFs (profiles only): a lower bound of the exact statistic")
