"""Kolmogorov-Smirnov: the largest gap between two CDFs, exact from values or binned from counts."""
from __future__ import annotations

import math

import numpy as np

from .. import _dist
from .counts import align
from .earth_mover import wasserstein
from .result import DriftStatistic
from .samples import _finite_slice, _prepare, merged_cdfs

__all__ = ["ks", "ks_from_counts", "ks_wasserstein"]


def _ks_p_value(d: float, n: int, m: int, a: np.ndarray | None = None, b: np.ndarray | None = None) -> float:
    # as scipy.stats.ks_2samp(method='auto'): exact for small samples, else kstwo at the effective n
    # (scipy is imported only for the small-sample branches, never at the default 1M-row path)
    if a is not None and max(n, m) <= 10_000:
        from scipy import stats

        return float(stats.ks_2samp(a, b).pvalue)
    en = n * m / (n + m)
    return _dist.kolmogorov_sf(d, max(1, round(en)))


def ks_wasserstein(a: np.ndarray, b: np.ndarray, *, scale: float) -> tuple[DriftStatistic, DriftStatistic]:
    """KS and normalised Wasserstein from one merge of two sorted, NaN-free arrays (the engine's fast path)."""
    z, ca, cb = merged_cdfs(a, b)
    gap = ca / a.size
    gap -= cb / b.size
    np.abs(gap, out=gap)
    j = int(np.argmax(gap))
    d = float(gap[j])
    ks_res = DriftStatistic("ks", d, _ks_p_value(d, a.size, b.size, a, b), d, "largest CDF gap (share of rows)",
                            float(z[j]))
    finite = bool(np.isfinite(a[0]) and np.isfinite(a[-1]) and np.isfinite(b[0]) and np.isfinite(b[-1]))
    if finite:
        raw = float(np.einsum("i,i->", gap[:-1], np.diff(z))) if z.size > 1 else 0.0
        del z, ca, cb, gap
        note = ""
    else:
        del z, ca, cb, gap
        fa, fb = _finite_slice(a), _finite_slice(b)
        if fa.size == 0 or fb.size == 0:
            return ks_res, DriftStatistic("wasserstein", math.nan, note="no finite values on one side")
        return ks_res, wasserstein(fa, fb, scale=scale, sorted=True)
    if not scale > 0:
        return ks_res, DriftStatistic("wasserstein", math.nan, effect=raw, effect_name="raw distance (reference is constant)",
                                      note="reference spread is 0: distance not normalised")
    value = raw / scale
    return ks_res, DriftStatistic("wasserstein", value, effect=value, effect_name="mean shift of mass in baseline SDs",
                                  note=note)


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
