"""Counts on shared bins or categories: alignment and shares, the input of every count statistic."""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .result import DriftStatistic

__all__ = ["align", "shares", "count_statistic"]


def align(ref_counts, cur_counts) -> tuple[np.ndarray, np.ndarray]:
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


def shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, counts / np.where(total > 0, total, 1), np.nan)


def count_statistic(method: str, core, ref_counts, cur_counts, effect_name: str) -> DriftStatistic:
    r, c = align(ref_counts, cur_counts)
    if r.sum() == 0 or c.sum() == 0:
        side = "reference" if r.sum() == 0 else "current"
        return DriftStatistic(method, math.nan, note=f"{side} has no counts")
    value = float(core(shares(r), shares(c)))
    return DriftStatistic(method, value, effect=value, effect_name=effect_name)
