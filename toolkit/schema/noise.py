"""How many events (nulls, unseen values, out-of-range values) a batch may show by chance.

The baseline saw ``k0`` events in ``n0`` rows. Its true rate is uncertain: we take the upper end of
a Jeffreys interval (``beta(k0 + 1/2, n0 - k0 + 1/2)``) at level ``1 - alpha``. A batch of ``n``
rows drawn at that rate shows at most ``binom.ppf(1 - alpha, n, p)`` events with probability
``1 - alpha``. So the limit widens for small batches and small baselines, and a million-row batch is
held to the baseline's own precision, not to a fixed percentage.

>>> count_limit(10_000, k0=100, n0=50_000, alpha=1e-4)      # baseline 0.2%: up to 0.5% in 10k rows
50
>>> count_limit(100, k0=100, n0=50_000, alpha=1e-4)         # 4% in a batch of 100
4
>>> count_limit(1_000_000, k0=100, n0=50_000, alpha=1e-4)   # 0.3% in a million: the baseline's precision
3041
"""
from __future__ import annotations

import math

__all__ = ["rate_upper", "count_limit"]


def rate_upper(k0: float, n0: int, alpha: float) -> float:
    """Upper ``1 - alpha`` Jeffreys bound of a rate seen ``k0`` times in ``n0`` trials."""
    if n0 <= 0:
        return 1.0
    k0 = min(max(float(k0), 0.0), float(n0))
    if k0 >= n0:
        return 1.0
    from scipy import stats  # here, not at import: engines import the schema checks, drift must not pay for scipy

    return float(stats.beta.ppf(1.0 - alpha, k0 + 0.5, n0 - k0 + 0.5))


def count_limit(n: int, *, k0: float, n0: int, alpha: float) -> int:
    """Largest event count in a batch of ``n`` rows still consistent with the baseline's ``k0 / n0``."""
    if n <= 0:
        return 0
    p = rate_upper(k0, n0, alpha)
    if p >= 1.0:
        return int(n)
    from scipy import stats

    limit = stats.binom.ppf(1.0 - alpha, n, p)
    return int(n if math.isnan(limit) else limit)
