"""Chi-square test of homogeneity on the 2 x K table of category counts."""
from __future__ import annotations

import math

import numpy as np

from .. import _dist
from .counts import align, shares
from .divergences import tvd_props
from .result import DriftStatistic

__all__ = ["chi_square", "chi2_counts"]


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


def chi_square(ref_counts, cur_counts) -> DriftStatistic:
    """Chi-square test of homogeneity on the 2 x K table (no continuity correction).

    ``effect`` is the total-variation distance (share of rows that moved), so a tiny shift in a
    huge sample reads as tiny even when its p-value is 1e-30.

    >>> res = chi_square([30, 70], [50, 50])
    >>> round(res.statistic, 3), round(res.p_value, 4)
    (8.333, 0.0039)
    """
    r, c = align(ref_counts, cur_counts)
    if r.sum() == 0 or c.sum() == 0:
        return DriftStatistic("chi2", math.nan, note="no counts on one side")
    stat, dof = chi2_counts(r, c)
    stat, dof = float(stat), int(dof)
    p = _dist.chi2_sf(stat, dof) if dof > 0 else 1.0
    tvd = float(tvd_props(shares(r), shares(c)))
    return DriftStatistic("chi2", stat, p, tvd, "share of rows that moved category (TVD)",
                          note="" if dof > 0 else "a single category on both sides")
