"""The signals every column gets besides its distribution: missing share, out-of-range share, unseen categories."""
from __future__ import annotations

import math

import pandas as pd

from .. import _dist
from .result import DriftStatistic

__all__ = ["missing_share_change", "out_of_range_share", "unseen_share"]


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
        from ..._checks import preview

        note = f"unseen categories: {preview(unseen.sort_values(ascending=False).index)}"
    return DriftStatistic("unseen", share, effect=share, effect_name="share of rows in categories unseen in reference",
                          note=note)
