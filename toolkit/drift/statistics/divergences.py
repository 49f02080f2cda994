"""Histogram distances: Jensen-Shannon, PSI, Hellinger and total variation.

Each has a vectorised core (``*_props``, shares on the last axis) that the calibration runs on
thousands of resampled histograms at once, so the observed value and its null come from one code."""
from __future__ import annotations

import math

import numpy as np

from .. import _dist
from .counts import count_statistic
from .result import DriftStatistic

__all__ = ["PSI_EPSILON", "jensen_shannon", "psi", "hellinger", "total_variation", "js_props", "psi_props",
           "hellinger_props", "tvd_props"]


#: Floor applied to bin shares inside PSI (log of zero otherwise); the usual convention.
PSI_EPSILON = 1e-4


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


def jensen_shannon(ref_counts, cur_counts) -> DriftStatistic:
    """Jensen-Shannon distance, base 2 (0 = identical, 1 = disjoint); ``scipy.spatial.distance.jensenshannon``.

    >>> jensen_shannon([1, 0], [0, 1]).statistic
    1.0
    """
    return count_statistic("jensen_shannon", js_props, ref_counts, cur_counts, "Jensen-Shannon distance (base 2)")


def psi(ref_counts, cur_counts, *, eps: float = PSI_EPSILON) -> DriftStatistic:
    """Population stability index: sum((cur - ref) * ln(cur / ref)) over bin shares floored at ``eps``.

    Rule-of-thumb reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 large (for ~10 bins).

    >>> round(psi([25, 25, 25, 25], [10, 20, 30, 40]).statistic, 4)
    0.2282
    """
    return count_statistic("psi", lambda p, q: psi_props(p, q, eps), ref_counts, cur_counts, "population stability index")


def hellinger(ref_counts, cur_counts) -> DriftStatistic:
    """Hellinger distance in [0, 1].

    >>> round(hellinger([1, 1], [1, 0]).statistic, 4)
    0.5412
    """
    return count_statistic("hellinger", hellinger_props, ref_counts, cur_counts, "Hellinger distance")


def total_variation(ref_counts, cur_counts) -> DriftStatistic:
    """Total-variation distance: the share of rows whose category would have to change.

    >>> total_variation({"a": 6, "b": 4}, {"a": 3, "b": 5, "c": 2}).statistic
    0.3
    """
    return count_statistic("tvd", tvd_props, ref_counts, cur_counts, "share of rows that moved category")
