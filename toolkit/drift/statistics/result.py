"""The result every drift statistic returns: :class:`DriftStatistic`."""
from __future__ import annotations

import dataclasses
import math

__all__ = ["DriftStatistic"]


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
