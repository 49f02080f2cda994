"""Drift statistics: small functions, each returning a named :class:`DriftStatistic`.

Two families:

* **exact, from raw values** (numeric): :func:`ks`, :func:`wasserstein`, :func:`anderson_darling`.
  They take the two samples (NaN dropped; ``sorted=True`` skips the sort when the caller already
  sorted them) and compute on the merged order, so one sort per sample serves all three.
* **from counts** (histograms on shared bins, or category counts): :func:`jensen_shannon`,
  :func:`psi`, :func:`hellinger`, :func:`total_variation`, :func:`chi_square`, and the binned
  :func:`ks_from_counts` / :func:`wasserstein_from_counts` used when only profiles are at hand.
  Counts are aligned arrays, or mappings / Series keyed by category (aligned on their union).

Plus the signals every column gets: :func:`missing_share_change`, :func:`out_of_range_share`
and :func:`unseen_share`.

The ``*_props`` helpers are the vectorised cores (last axis = bins); the calibration in
:mod:`toolkit.drift.thresholds` runs them on thousands of simulated histograms at once, so the
observed value and its null distribution come from the very same code.

Examples
--------
>>> import numpy as np
>>> from toolkit.drift import statistics as st
>>> rng = np.random.default_rng(0)
>>> ref, cur = rng.normal(size=2000), rng.normal(0.5, size=2000)
>>> res = st.ks(ref, cur)
>>> round(res.statistic, 3), res.p_value < 1e-6
(0.199, True)
>>> round(st.jensen_shannon([50, 30, 20], [20, 30, 50]).statistic, 4)
0.3095
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import _dist

__all__ = [
    "DriftStatistic",
    "ks",
    "ks_from_counts",
    "wasserstein",
    "wasserstein_from_counts",
    "anderson_darling",
    "jensen_shannon",
    "psi",
    "hellinger",
    "total_variation",
    "chi_square",
    "missing_share_change",
    "out_of_range_share",
    "unseen_share",
    "merged_cdfs",
]

#: Floor applied to bin shares inside PSI (log of zero otherwise); the usual convention.
PSI_EPSILON = 1e-4


@dataclasses.dataclass(frozen=True)
class DriftStatistic:
    """Result of one drift statistic.

    Attributes
    ----------
    method
        Short name of the statistic (``'ks'``, ``'psi'``...).
    statistic
        Its value.
    p_value
        p-value of the associated test, NaN when the statistic has no test of its own.
    effect
        Effect size in the units named by ``effect_name`` (for distances: the statistic itself).
    effect_name
        What ``effect`` measures.
    location
        Where the statistic is attained (KS: the value with the largest CDF gap), else NaN.
    note
        Caveats (binned approximation, capped p-value, ...).
    """

    method: str
    statistic: float
    p_value: float = math.nan
    effect: float = math.nan
    effect_name: str = ""
    location: float = math.nan
    note: str = ""

    def __repr__(self) -> str:
        p = "" if math.isnan(self.p_value) else f", p_value={self.p_value:.3g}"
        return f"DriftStatistic(method={self.method!r}, statistic={self.statistic:.4g}{p})"


# ------------------------------------------------------------------------------------------------
# raw-value statistics (numeric)
# ------------------------------------------------------------------------------------------------
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


def _ks_p_value(d: float, n: int, m: int, a: np.ndarray | None = None, b: np.ndarray | None = None) -> float:
    # as scipy.stats.ks_2samp(method='auto'): exact for small samples, else kstwo at the effective n
    # (scipy is imported only for the small-sample branches, never at the default 1M-row path)
    if a is not None and max(n, m) <= 10_000:
        from scipy import stats

        return float(stats.ks_2samp(a, b).pvalue)
    en = n * m / (n + m)
    return _dist.kolmogorov_sf(d, max(1, round(en)))


def _finite_slice(a: np.ndarray) -> np.ndarray:
    """The finite part of a sorted array, as a view (infinities sit at the ends)."""
    lo = np.searchsorted(a, -np.inf, side="right")
    hi = np.searchsorted(a, np.inf, side="left")
    return a[lo:hi]


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


def wasserstein(reference, current, *, scale: float | None = None, sorted: bool = False, cdfs=None) -> DriftStatistic:
    """Wasserstein-1 (earth mover's) distance, divided by the baseline's spread.

    Parameters
    ----------
    reference, current
        Numeric samples (NaN ignored; infinite values are left out, with a note).
    scale
        Spread to divide by; default the reference standard deviation, so the result reads as
        "how many baseline standard deviations the mass moved, on average".

    Examples
    --------
    >>> res = wasserstein([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], scale=1.0)
    >>> res.statistic
    1.0
    """
    a, b = _prepare(reference, current, sorted)
    note = ""
    fa, fb = _finite_slice(a), _finite_slice(b)
    if fa.size < a.size or fb.size < b.size:
        note = "infinite values left out of the Wasserstein distance"
        a, b = fa, fb
        cdfs = None
        if a.size == 0 or b.size == 0:
            return DriftStatistic("wasserstein", math.nan, note="no finite values on one side")
    z, ca, cb = cdfs if cdfs is not None else merged_cdfs(a, b)
    raw = float(np.einsum("i,i->", np.abs(ca[:-1] / a.size - cb[:-1] / b.size), np.diff(z))) if z.size > 1 else 0.0
    if scale is None:
        scale = float(np.std(a))
    if not scale > 0:
        return DriftStatistic("wasserstein", math.nan, effect=raw, effect_name="raw distance (reference is constant)",
                              note=(note + "; " if note else "") + "reference spread is 0: distance not normalised")
    value = raw / scale
    return DriftStatistic("wasserstein", value, effect=value, effect_name="mean shift of mass in baseline SDs",
                          note=note)


_AD_SIG = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])
_AD_B0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
_AD_B1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
_AD_B2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])


def _ad_inf_sf(z: float) -> float:
    """Upper tail of the asymptotic Anderson-Darling distribution A2_inf (Marsaglia & Marsaglia 2004, z >= 2).

    >>> round(_ad_inf_sf(6.0), 4)  # the 0.999 point of A2_inf is about 6.0
    0.001
    """
    if z < 2.0:
        return 0.25  # only used beyond the tables (z > ~6); kept total for safety
    g = 1.0776 - (2.30695 - (0.43424 - (0.082433 - (0.008056 - 0.0003146 * z) * z) * z) * z) * z
    return float(-math.expm1(-math.exp(g)))


def anderson_darling(reference, current, *, sorted: bool = False, cdfs=None) -> DriftStatistic:
    """Two-sample Anderson-Darling test (Scholz & Stephens midrank version, tail-sensitive).

    ``statistic`` is the standardised A2akN and ``p_value`` is interpolated from the published
    critical values exactly as ``scipy.stats.anderson_ksamp`` in [0.001, 0.25] (capped at 0.25);
    below 0.001, where scipy floors, it comes from the asymptotic A2 law, so a strong shift gets
    a p-value that survives a Benjamini-Hochberg adjustment over many columns. Computed on the
    merged order, so it costs no more than :func:`ks` on presorted samples.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> res = anderson_darling(rng.normal(size=300), rng.normal(0.4, size=300))
    >>> res.p_value < 1e-4
    True
    """
    a, b = _prepare(reference, current, sorted)
    z, ca, cb = cdfs if cdfs is not None else merged_cdfs(a, b)
    n = np.array([a.size, b.size], dtype="float64")
    N = float(n.sum())
    if z.size < 2:
        return DriftStatistic("anderson", math.nan, note="needs at least two distinct values")
    total = ca + cb
    lj = np.diff(total, prepend=0).astype("float64")
    left = total - lj
    bj = left + lj / 2.0
    denom = bj * (N - bj) - N * lj / 4.0
    a2 = 0.0
    for counts, size in ((ca, n[0]), (cb, n[1])):
        fij = np.diff(counts, prepend=0)
        mij = counts - fij / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = lj / N * (N * mij - bj * size) ** 2 / denom
        a2 += float(np.nansum(inner[denom > 0])) / size
    a2 *= (N - 1.0) / N
    k = 2
    H = float((1.0 / n).sum())
    hs_cs = np.cumsum(1.0 / np.arange(N - 1, 1, -1))
    h = float(hs_cs[-1]) + 1 if hs_cs.size else 1.0
    g = float((hs_cs / np.arange(2, N)).sum()) if hs_cs.size else 0.0
    A = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H
    B = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6
    C = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h
    D = (2 * h + 6) * k**2 - 4 * h * k
    if N < 4:
        return DriftStatistic("anderson", math.nan, note="needs at least 4 values in total")
    sigmasq = (A * N**3 + B * N**2 + C * N + D) / ((N - 1.0) * (N - 2.0) * (N - 3.0))
    stat = (a2 - (k - 1)) / math.sqrt(sigmasq)
    critical = _AD_B0 + _AD_B1 + _AD_B2  # m = k - 1 = 1
    note = ""
    if stat < critical.min():
        p, note = float(_AD_SIG.max()), "p-value capped at 0.25"
    elif stat > critical.max():
        # beyond the tables: the asymptotic law of A2 (for k = 2 samples that of the one-sample A2,
        # Marsaglia & Marsaglia 2004), so Benjamini-Hochberg over many columns can still reach alpha
        p = min(float(_AD_SIG.min()), _ad_inf_sf(a2))
        note = "p-value below 0.001 from the asymptotic Anderson-Darling law"
    else:
        p = math.exp(np.polyval(np.polyfit(critical, np.log(_AD_SIG), 2), stat))
    return DriftStatistic("anderson", float(stat), p, note=note)


# ------------------------------------------------------------------------------------------------
# count-based statistics
# ------------------------------------------------------------------------------------------------
def _align(ref_counts, cur_counts) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(ref_counts, Mapping | pd.Series) or isinstance(cur_counts, Mapping | pd.Series):
        r = pd.Series(ref_counts, dtype="float64")
        c = pd.Series(cur_counts, dtype="float64")
        index = r.index.union(c.index, sort=False)
        return r.reindex(index, fill_value=0).to_numpy(), c.reindex(index, fill_value=0).to_numpy()
    r = np.asarray(ref_counts, dtype="float64")
    c = np.asarray(cur_counts, dtype="float64")
    if r.shape != c.shape:
        raise ValueError(f"reference and current counts must have the same bins; got shapes {r.shape} and {c.shape}")
    if (r < 0).any() or (c < 0).any():
        raise ValueError("counts must be non-negative")
    return r, c


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, counts / np.where(total > 0, total, 1), np.nan)


def _xlogy2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _dist.xlogy(x, y) / math.log(2)


def js_props(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance (base 2, in [0, 1]) between share vectors along the last axis."""
    m = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        div = 0.5 * np.sum(_xlogy2(p, p) - _xlogy2(p, m), axis=-1) + 0.5 * np.sum(_xlogy2(q, q) - _xlogy2(q, m), axis=-1)
    return np.sqrt(np.clip(div, 0.0, 1.0))


def psi_props(p: np.ndarray, q: np.ndarray, eps: float = PSI_EPSILON) -> np.ndarray:
    """Population stability index between share vectors, shares floored at ``eps``."""
    p = np.maximum(p, eps)
    q = np.maximum(q, eps)
    return np.sum((q - p) * np.log(q / p), axis=-1)


def hellinger_props(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hellinger distance sqrt(1 - sum(sqrt(p q))) in [0, 1]."""
    return np.sqrt(np.clip(1.0 - np.sum(np.sqrt(p * q), axis=-1), 0.0, 1.0))


def tvd_props(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Total-variation distance: half the L1 gap, the share of rows that would have to move."""
    return 0.5 * np.sum(np.abs(p - q), axis=-1)


def chi2_counts(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chi-square statistic of homogeneity for 2 x K tables (last axis), and its degrees of freedom."""
    col = r + c
    nr = r.sum(axis=-1, keepdims=True)
    nc = c.sum(axis=-1, keepdims=True)
    n = nr + nc
    with np.errstate(divide="ignore", invalid="ignore"):
        er = col * nr / n
        ec = col * nc / n
        term = np.where(col > 0, (r - er) ** 2 / np.where(er > 0, er, 1) + (c - ec) ** 2 / np.where(ec > 0, ec, 1), 0.0)
    dof = np.count_nonzero(col > 0, axis=-1) - 1
    return term.sum(axis=-1), dof


def _count_stat(method: str, core, ref_counts, cur_counts, effect_name: str) -> DriftStatistic:
    r, c = _align(ref_counts, cur_counts)
    if r.sum() == 0 or c.sum() == 0:
        side = "reference" if r.sum() == 0 else "current"
        return DriftStatistic(method, math.nan, note=f"{side} has no counts")
    value = float(core(_shares(r), _shares(c)))
    return DriftStatistic(method, value, effect=value, effect_name=effect_name)


def jensen_shannon(ref_counts, cur_counts) -> DriftStatistic:
    """Jensen-Shannon distance, base 2 (0 = identical, 1 = disjoint); ``scipy.spatial.distance.jensenshannon``.

    >>> jensen_shannon([1, 0], [0, 1]).statistic
    1.0
    """
    return _count_stat("jensen_shannon", js_props, ref_counts, cur_counts, "Jensen-Shannon distance (base 2)")


def psi(ref_counts, cur_counts, *, eps: float = PSI_EPSILON) -> DriftStatistic:
    """Population stability index: sum((cur - ref) * ln(cur / ref)) over bin shares floored at ``eps``.

    Rule-of-thumb reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 large (for ~10 bins).

    >>> round(psi([25, 25, 25, 25], [10, 20, 30, 40]).statistic, 4)
    0.2282
    """
    return _count_stat("psi", lambda p, q: psi_props(p, q, eps), ref_counts, cur_counts, "population stability index")


def hellinger(ref_counts, cur_counts) -> DriftStatistic:
    """Hellinger distance in [0, 1].

    >>> round(hellinger([1, 1], [1, 0]).statistic, 4)
    0.5412
    """
    return _count_stat("hellinger", hellinger_props, ref_counts, cur_counts, "Hellinger distance")


def total_variation(ref_counts, cur_counts) -> DriftStatistic:
    """Total-variation distance: the share of rows whose category would have to change.

    >>> total_variation({"a": 6, "b": 4}, {"a": 3, "b": 5, "c": 2}).statistic
    0.3
    """
    return _count_stat("tvd", tvd_props, ref_counts, cur_counts, "share of rows that moved category")


def ks_from_counts(ref_counts, cur_counts) -> DriftStatistic:
    """KS distance from binned counts on shared, ordered bins (a lower bound of the exact KS).

    The p-value uses the asymptotic KS null at the effective sample size, which is conservative
    for binned data. Used when only profiles are available (e.g. computed inside a database).

    >>> ks_from_counts([5, 5, 0], [0, 5, 5]).statistic
    0.5
    """
    r, c = _align(ref_counts, cur_counts)
    n, m = r.sum(), c.sum()
    if n == 0 or m == 0:
        return DriftStatistic("ks", math.nan, note="no counts on one side")
    gap = np.abs(np.cumsum(r / n - c / m))
    d = float(gap.max())
    return DriftStatistic("ks", d, _ks_p_value(d, int(n), int(m)), d, "largest CDF gap (share of rows)",
                          note="KS from binned CDFs (profiles only): a lower bound of the exact statistic")


def wasserstein_from_counts(ref_counts, cur_counts, edges, *, scale: float) -> DriftStatistic:
    """Wasserstein-1 distance between two histograms on the same ``edges`` (len(counts) == len(edges) - 1).

    CDFs are taken as piecewise linear inside each bin, so this is exact when both samples are uniform
    within every bin and a close approximation for fine bins.

    >>> wasserstein_from_counts([1, 0], [0, 1], [0.0, 1.0, 2.0], scale=1.0).statistic
    1.0
    """
    r, c = _align(ref_counts, cur_counts)
    edges = np.asarray(edges, dtype="float64")
    if edges.size != r.size + 1:
        raise ValueError(f"edges must have len(counts) + 1 = {r.size + 1} values; got {edges.size}")
    if r.sum() == 0 or c.sum() == 0:
        return DriftStatistic("wasserstein", math.nan, note="no counts on one side")
    value = float(wasserstein_props(_shares(r), _shares(c), np.diff(edges))) / scale if scale > 0 else math.nan
    return DriftStatistic("wasserstein", value, effect=value, effect_name="mean shift of mass in baseline SDs",
                          note="Wasserstein from binned counts (within-bin uniform)")


def wasserstein_props(p: np.ndarray, q: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Wasserstein-1 between histograms with bin ``widths``, CDFs linear inside each bin."""
    d_lo = np.cumsum(p - q, axis=-1) - (p - q)  # CDF gap at each bin's left edge
    d_hi = d_lo + (p - q)
    # integral of |linear function| over the bin
    same = d_lo * d_hi >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(same, 0.0, (d_lo**2 + d_hi**2) / (2 * np.abs(d_hi - d_lo)))
    area = np.where(same, np.abs(d_lo + d_hi) / 2.0, crossing)
    return np.sum(area * widths, axis=-1)


def chi_square(ref_counts, cur_counts) -> DriftStatistic:
    """Chi-square test of homogeneity on the 2 x K table (no continuity correction).

    ``effect`` is the total-variation distance (share of rows that moved), so a tiny shift in a
    huge sample reads as tiny even when its p-value is 1e-30.

    >>> res = chi_square([30, 70], [50, 50])
    >>> round(res.statistic, 3), round(res.p_value, 4)
    (8.333, 0.0039)
    """
    r, c = _align(ref_counts, cur_counts)
    if r.sum() == 0 or c.sum() == 0:
        return DriftStatistic("chi2", math.nan, note="no counts on one side")
    stat, dof = chi2_counts(r, c)
    stat, dof = float(stat), int(dof)
    p = _dist.chi2_sf(stat, dof) if dof > 0 else 1.0
    tvd = float(tvd_props(_shares(r), _shares(c)))
    return DriftStatistic("chi2", stat, p, tvd, "share of rows that moved category (TVD)",
                          note="" if dof > 0 else "a single category on both sides")


# ------------------------------------------------------------------------------------------------
# signals of their own
# ------------------------------------------------------------------------------------------------
def missing_share_change(ref_missing: int, ref_rows: int, cur_missing: int, cur_rows: int) -> DriftStatistic:
    """Change in the share of missing values, current minus reference, with a two-proportion test.

    The p-value is Fisher's exact test when either window is small (< 1000 rows) or a count is
    below 10, else the pooled two-proportion z-test.

    >>> res = missing_share_change(10, 1000, 600, 1000)
    >>> round(res.statistic, 2), res.p_value < 1e-10
    (0.59, True)
    """
    if ref_rows <= 0 or cur_rows <= 0:
        return DriftStatistic("missing", math.nan, note="a window has no rows")
    p1, p2 = ref_missing / ref_rows, cur_missing / cur_rows
    delta = p2 - p1
    small = min(ref_rows, cur_rows) < 1000 or min(ref_missing, cur_missing, ref_rows - ref_missing, cur_rows - cur_missing) < 10
    if ref_missing + cur_missing in (0, ref_rows + cur_rows):
        p = 1.0  # nothing or everything missing on both sides: a single possible table (Fisher's p is 1)
    elif small and ref_rows + cur_rows <= 2_000_000:
        # Fisher's exact test on [[cur_missing, cur_rows - cur_missing], [ref_missing, ref_rows - ref_missing]]
        p = _dist.fisher_exact_2x2(cur_missing, ref_missing + cur_missing, cur_rows, ref_rows + cur_rows)
    else:
        pooled = (ref_missing + cur_missing) / (ref_rows + cur_rows)
        se = math.sqrt(pooled * (1 - pooled) * (1 / ref_rows + 1 / cur_rows))
        p = float(2 * _dist.norm_sf(abs(delta) / se)) if se > 0 else (1.0 if delta == 0 else 0.0)
    return DriftStatistic("missing", delta, p, delta, "change in missing share (current - reference)")


def out_of_range_share(n_outside: int, n_values: int, *, reference_share: float = 0.0) -> DriftStatistic:
    """Share of current values outside the reference's finite [min, max] (inf counts as outside).

    ``effect`` is the excess over ``reference_share`` (the reference's own share of infinite values).

    >>> out_of_range_share(50, 1000).statistic
    0.05
    """
    if n_values <= 0:
        return DriftStatistic("out_of_range", math.nan, note="no non-missing values in current")
    share = n_outside / n_values
    return DriftStatistic("out_of_range", share, effect=share - reference_share,
                          effect_name="share of values beyond the reference range")


def unseen_share(ref_counts, cur_counts) -> DriftStatistic:
    """Share of current rows whose category never occurs in the reference.

    >>> unseen_share({"a": 5, "b": 5}, {"a": 4, "c": 1}).statistic
    0.2
    """
    r = pd.Series(ref_counts, dtype="float64")
    c = pd.Series(cur_counts, dtype="float64")
    total = c.sum()
    if total <= 0:
        return DriftStatistic("unseen", math.nan, note="no non-missing values in current")
    seen = r.index[r > 0]
    unseen = c[~c.index.isin(seen) & (c > 0)]
    share = float(unseen.sum() / total)
    note = ""
    if len(unseen):
        from .._checks import preview

        note = f"unseen categories: {preview(unseen.sort_values(ascending=False).index)}"
    return DriftStatistic("unseen", share, effect=share, effect_name="share of rows in categories unseen in reference",
                          note=note)
