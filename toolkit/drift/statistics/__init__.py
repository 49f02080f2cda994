"""Drift statistics: small functions, each returning a named :class:`DriftStatistic`.

One statistic (or one small family) per module, as in river: :mod:`.kolmogorov` (KS),
:mod:`.earth_mover` (Wasserstein), :mod:`.anderson` (Anderson-Darling), :mod:`.divergences`
(Jensen-Shannon, PSI, Hellinger, total variation), :mod:`.homogeneity` (chi-square), :mod:`.signals`
(missing share, out-of-range share, unseen categories); :mod:`.samples` holds the merged order of two
samples, :mod:`.counts` the alignment of counts, :mod:`.result` the result. Every public name is
importable from here: ``from toolkit.drift.statistics import ks``.

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

from .anderson import anderson_darling
from .counts import align, count_statistic, shares
from .divergences import (
    PSI_EPSILON, hellinger, hellinger_props, jensen_shannon, js_props, psi, psi_props, total_variation, tvd_props,
)
from .earth_mover import wasserstein, wasserstein_from_counts, wasserstein_props, wasserstein_sorted
from .homogeneity import chi2_counts, chi_square
from .kolmogorov import KS_GRID, ks, ks_from_counts, ks_sorted, ks_wasserstein
from .result import DriftStatistic
from .samples import merged_cdfs
from .signals import missing_share_change, out_of_range_share, unseen_share

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
    # vectorised cores and helpers (the calibration runs these on resampled histograms)
    "PSI_EPSILON",
    "js_props",
    "psi_props",
    "hellinger_props",
    "tvd_props",
    "wasserstein_props",
    "chi2_counts",
    "ks_wasserstein",
    "ks_sorted",
    "KS_GRID",
    "wasserstein_sorted",
    "align",
    "shares",
    "count_statistic",
]
