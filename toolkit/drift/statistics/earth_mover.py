"""Wasserstein-1 (earth mover's) distance in baseline standard deviations, from values or histograms."""
from __future__ import annotations

import math

import numpy as np

from .counts import align, shares
from .result import DriftStatistic
from .samples import _finite_slice, _prepare, merged_cdfs

__all__ = ["wasserstein", "wasserstein_from_counts", "wasserstein_props"]


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


def wasserstein_from_counts(ref_counts, cur_counts, edges, *, scale: float) -> DriftStatistic:
    """Wasserstein-1 distance between two histograms on the same ``edges`` (len(counts) == len(edges) - 1).

    CDFs are taken as piecewise linear inside each bin, so this is exact when both samples are uniform
    within every bin and a close approximation for fine bins.

    >>> wasserstein_from_counts([1, 0], [0, 1], [0.0, 1.0, 2.0], scale=1.0).statistic
    1.0
    """
    r, c = align(ref_counts, cur_counts)
    edges = np.asarray(edges, dtype="float64")
    if edges.size != r.size + 1:
        raise ValueError(f"edges must have len(counts) + 1 = {r.size + 1} values; got {edges.size}")
    if r.sum() == 0 or c.sum() == 0:
        return DriftStatistic("wasserstein", math.nan, note="no counts on one side")
    value = float(wasserstein_props(shares(r), shares(c), np.diff(edges))) / scale if scale > 0 else math.nan
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
