"""Thresholds calibrated to the baseline's own sampling noise, and false-discovery control.

A drift statistic is never zero, even with no drift: two samples of the same population differ by
chance, and by more the smaller they are. So the decision threshold for each column is

    threshold = max( (1 - alpha) quantile of the statistic under "no drift" at (n_ref, n_cur),
                     minimum effect that matters )

and the null distribution is obtained without touching rows again:

* **histogram statistics** (PSI, Jensen-Shannon, Hellinger, total variation, binned Wasserstein):
  draw multinomial bin counts of sizes ``n_ref`` and ``n_cur`` from the reference's bin shares and
  compute the statistic on each pair -- O(replicates x bins), independent of the row count;
* **Kolmogorov-Smirnov**: the asymptotic Kolmogorov null, scaled by ``sqrt((n + m) / (n m))``
  (conservative with ties and for small samples);
* **missing share**: the two-proportion normal null around the reference's missing share;
* **out-of-range share**: exchangeability gives the exact null of "current values beyond the
  reference's max (min)": ``P(K >= k) = prod_{j<k} (m - j) / (n + m - j)``, two tails convolved;
* **unseen categories**: Good-Turing: the mass of categories a sample of ``n`` has not seen is
  about ``f1 / n`` (``f1`` = categories seen once).

The minimum detectable effect reported beside each threshold is the effect flagged with about 80%
probability: ``threshold + z_0.8 * sd_null`` (a normal approximation to the statistic's spread).

Examples
--------
>>> from toolkit.drift import thresholds as th
>>> round(th.ks_noise(10_000, 10_000, 0.05)[0], 4)
0.0192
>>> th.benjamini_hochberg([0.01, 0.04, 0.03, 0.2]).round(3).tolist()
[0.04, 0.053, 0.053, 0.2]
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from scipy import stats

__all__ = [
    "DEFAULT_MIN_EFFECT",
    "Threshold",
    "decide",
    "ks_noise",
    "simulate_null",
    "missing_noise",
    "out_of_range_noise",
    "unseen_noise",
    "benjamini_hochberg",
]

#: Minimum effect that matters, per statistic, in the statistic's own units. For the distribution
#: statistics they correspond roughly to a 0.06-standard-deviation mean shift of a normal feature
#: (KS 0.025, Wasserstein 0.06 SD, Jensen-Shannon distance 0.025 and Hellinger 0.02 on 10 bins, PSI 0.004),
#: or 2.5% of rows changing category (total variation). Missing share: 1 percentage point;
#: out-of-range and unseen-category shares: 0.5% of rows.
DEFAULT_MIN_EFFECT = {
    "ks": 0.025,
    "wasserstein": 0.06,
    "jensen_shannon": 0.025,
    "hellinger": 0.02,
    "psi": 0.004,
    "tvd": 0.025,
    "chi2": 0.025,        # on the TVD effect
    "anderson": 0.06,     # on the Wasserstein effect
    "missing": 0.01,
    "out_of_range": 0.005,
    "unseen": 0.005,
}
_Z_POWER = stats.norm.ppf(0.8)
#: standard deviation of the Kolmogorov distribution
_KS_SD = math.sqrt(math.pi**2 / 12 - math.pi * math.log(2) ** 2 / 2)


@dataclasses.dataclass(frozen=True)
class Threshold:
    """A decision threshold and where it came from.

    Attributes
    ----------
    value
        Flag drift when the statistic (effect) is at or above this.
    noise
        The (1 - alpha) quantile of the statistic under no drift at these window sizes.
    noise_sd
        Spread of the statistic under no drift.
    min_effect
        The floor: the smallest effect considered worth flagging.
    basis
        'calibrated' (noise decided), 'min_effect' (the floor decided) or 'fixed' (given by the analyst).
    min_detectable_effect
        Effect flagged with ~80% probability at these sizes.
    """

    value: float
    noise: float
    noise_sd: float
    min_effect: float
    basis: str
    min_detectable_effect: float


def decide(noise: float, noise_sd: float, min_effect: float, fixed: float | None = None) -> Threshold:
    """Combine the calibrated noise quantile with the floor (or an analyst's fixed threshold).

    >>> decide(0.01, 0.003, 0.025).basis
    'min_effect'
    """
    if fixed is not None:
        value, basis = float(fixed), "fixed"
    elif noise >= min_effect:
        value, basis = float(noise), "calibrated"
    else:
        value, basis = float(min_effect), "min_effect"
    sd = 0.0 if not np.isfinite(noise_sd) else float(noise_sd)
    return Threshold(value, float(noise), sd, float(min_effect), basis, value + _Z_POWER * sd)


def ks_noise(n_ref: int, n_cur: int, alpha: float) -> tuple[float, float]:
    """(1 - alpha) quantile and sd of the two-sample KS distance under no drift (asymptotic null)."""
    if n_ref <= 0 or n_cur <= 0:
        return math.nan, math.nan
    scale = math.sqrt((n_ref + n_cur) / (n_ref * n_cur))
    return float(stats.kstwobign.isf(alpha)) * scale, _KS_SD * scale


def simulate_null(
    statistic: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ref_shares: np.ndarray,
    n_ref: int,
    n_cur: int,
    *,
    replicates: int = 1000,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Values of ``statistic`` between two multinomial samples (sizes ``n_ref``, ``n_cur``) of ``ref_shares``.

    ``statistic(p, q)`` takes share arrays of shape (replicates, bins). This is the null
    distribution "no drift, only sampling noise" at the current window's size; cost
    O(replicates x bins), whatever the number of rows.

    >>> import numpy as np
    >>> from toolkit.drift.statistics import tvd_props
    >>> null = simulate_null(tvd_props, np.array([0.5, 0.5]), 1000, 1000, rng=np.random.default_rng(0))
    >>> null.shape, bool(0.01 < np.quantile(null, 0.95) < 0.06)
    ((1000,), True)
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    p = np.asarray(ref_shares, dtype="float64")
    p = p / p.sum()
    a = rng.multinomial(int(n_ref), p, size=replicates).astype("float64") / max(int(n_ref), 1)
    b = rng.multinomial(int(n_cur), p, size=replicates).astype("float64") / max(int(n_cur), 1)
    return np.asarray(statistic(a, b), dtype="float64")


def null_quantile(null: np.ndarray, alpha: float) -> tuple[float, float]:
    """The (1 - alpha) quantile (interpolated) and sd of simulated null values."""
    null = null[np.isfinite(null)]
    if null.size == 0:
        return math.nan, math.nan
    return float(np.quantile(null, 1 - alpha)), float(np.std(null))


def missing_noise(p_ref: float, n_ref: int, n_cur: int, alpha: float) -> tuple[float, float]:
    """Two-sided (1 - alpha) bound and sd of |change in missing share| under no drift.

    Normal approximation around the reference share, with a continuity correction of half a row.
    """
    if n_ref <= 0 or n_cur <= 0 or not np.isfinite(p_ref):
        return math.nan, math.nan
    sd = math.sqrt(p_ref * (1 - p_ref) * (1 / n_ref + 1 / n_cur))
    return float(stats.norm.isf(alpha / 2) * sd + 0.5 / n_cur), sd


def _exceed_pmf(n_ref: int, n_cur: int) -> np.ndarray:
    """pmf of K, the number of current values beyond the reference's maximum (exchangeability).

    P(K >= k) = prod_{j<k} (m - j) / (N - j), truncated where it is negligible.
    """
    N = n_ref + n_cur
    k_max = min(n_cur, int(60 * (n_cur / max(n_ref, 1) + 1)) + 10)  # far beyond the mean, m / n
    j = np.arange(k_max, dtype="float64")
    surv = np.exp(np.concatenate([[0.0], np.cumsum(np.log((n_cur - j) / (N - j)))]))  # P(K >= k), k = 0..k_max
    return np.append(surv[:-1] - surv[1:], surv[-1])


def out_of_range_noise(n_ref: int, n_cur: int, alpha: float) -> tuple[float, float]:
    """(1 - alpha) quantile and sd of the share of current values outside the reference's [min, max].

    For continuous data, exchangeability gives the exact law of the count beyond the maximum
    (and, alike, below the minimum); the two tails are combined as independent. Ties in the
    reference only make exceedances rarer, so the threshold is conservative for discrete data.
    The returned share is the smallest count ``t`` with ``P(count >= t) <= alpha``, over ``n_cur``.

    >>> round(out_of_range_noise(50_000, 10_000, 0.05)[0], 5)
    0.0003
    """
    if n_ref <= 0 or n_cur <= 0:
        return math.nan, math.nan
    from scipy.signal import fftconvolve

    tail = _exceed_pmf(n_ref, n_cur)
    total = np.clip(fftconvolve(tail, tail), 0.0, None)
    surv = np.cumsum(total[::-1])[::-1]  # P(total >= t)
    t = int(np.argmax(surv <= alpha)) if (surv <= alpha).any() else surv.size
    ks = np.arange(total.size)
    mean = float((ks * total).sum())
    sd = math.sqrt(max(float((ks**2 * total).sum()) - mean**2, 0.0))
    return min(t / n_cur, 1.0), sd / n_cur


def unseen_noise(singletons: int, doubletons: int, n_ref: int, n_cur: int, alpha: float) -> tuple[float, float]:
    """(1 - alpha) quantile and sd of the share of current rows in categories the reference never saw.

    The unseen mass is estimated by Good-Turing (``f1 / n``); its spread adds the binomial noise of
    the current window and the estimation noise of the mass itself.
    """
    if n_ref <= 0 or n_cur <= 0:
        return math.nan, math.nan
    p0 = min(singletons / n_ref, 1.0)
    var = p0 * (1 - p0) / n_cur + 2 * (singletons + 2 * doubletons) / n_ref**2
    sd = math.sqrt(var)
    return float(p0 + stats.norm.isf(alpha) * sd + 0.5 / n_cur), sd


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN.

    Declaring drift where the adjusted value is <= alpha keeps the expected share of false
    discoveries among the flagged columns at or below alpha.
    """
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok])]
    m = ok.size
    ranked = p[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out[order] = np.clip(ranked, 0.0, 1.0)
    return out
