"""Thresholds calibrated to the baseline's own sampling noise, and false-discovery control.

A drift statistic is never zero, even with no drift: two samples of the same population differ by
chance, and by more the smaller they are. So the decision threshold for each column is

    threshold = max( (1 - alpha) quantile of the statistic under "no drift" at (n_ref, n_cur),
                     minimum effect that matters )

and the null distribution is obtained without touching rows again:

* **histogram statistics** (PSI, Jensen-Shannon, Hellinger, total variation, binned Wasserstein):
  a permutation null. Under "no drift" the two windows are exchangeable, so given the pooled counts
  per bin (or category) every split of the pooled rows into ``n_ref`` and ``n_cur`` is equally
  likely: :func:`split_pooled` draws such splits (a multivariate hypergeometric draw of the
  current's counts) and the statistic is computed on each -- O(n_resamples x bins), independent of
  the row count. Unlike simulating from the reference's shares, a category the reference happened
  not to see keeps its mass, which is what keeps 1000-level columns honest at 1k rows;
* **Kolmogorov-Smirnov**: the asymptotic Kolmogorov null, scaled by ``sqrt((n + m) / (n m))``
  (conservative with ties and for small samples). From binned counts (profiles computed in an engine)
  the statistic is the largest gap at the bins' edges only, so its null is the same Brownian bridge
  observed at those edges (:func:`binned_ks_noise`), not the continuous supremum;
* **missing share**: the exact conditional (hypergeometric) null of the current's missing count given
  the pooled missing count (:func:`missing_noise`);
* **out-of-range share**: exchangeability gives the exact null of "current values beyond the
  reference's max (min)": ``P(K >= k) = prod_{j<k} (m - j) / (n + m - j)``, two tails convolved;
* **unseen categories**: the same permutation splits as the distribution statistic give the exact
  null of the unseen-category score (sum of squared current counts in categories with no
  reference row); the share is flagged when it clears the floor and that test rejects.
  :func:`unseen_noise` (Good-Turing, ``f1 / n``) remains for callers without counts.

Monte Carlo thresholds are the smallest value ``t`` with ``(1 + #{null >= t}) / (R + 1) <= alpha``
(:func:`null_threshold`): the exact level of a Monte Carlo test, also for discrete statistics.

``min_detectable_effect`` beside each threshold is a *planning figure*, not a guarantee:
``threshold + z_0.8 * sd_null``, i.e. the effect at which the statistic would be flagged 80% of
the time if its spread under drift equalled its spread under no drift. For KS on a mean shift the
measured detection rate at that effect is about 90% (the statistic's spread shrinks as the effect
grows), so read it as "effects of this size are found at least ~80% of the time".

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
import functools
import math
from collections.abc import Callable

import numpy as np

from .._compat import renamed_arguments
from . import _dist

__all__ = [
    "DEFAULT_MIN_EFFECT",
    "Threshold",
    "decide",
    "ks_noise",
    "simulate_null",
    "split_pooled",
    "null_threshold",
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
_Z_POWER = _dist.norm_ppf(0.8)
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
    return _dist.kolmogorov_isf(alpha) * scale, _KS_SD * scale


def binned_ks_noise(ref_counts, n_cur: int, alpha: float) -> tuple[float, float]:
    """(1 - alpha) quantile and sd of the binned two-sample KS distance under no drift (asymptotic null).

    The binned statistic is the largest CDF gap at the bins' edges, which sit at the reference CDF's
    positions ``t_j`` (cumulative shares of ``ref_counts``). Under no drift ``sqrt(n m / (n + m)) D``
    tends to ``max_j |B(t_j)|`` for a Brownian bridge ``B``: the law :func:`ks_noise` uses, observed at
    the edges only, which is lower than the continuous supremum (with 100 quantile bins the 0.95
    quantile is about 4% lower). Its quantile comes from a seeded simulation of the bridge at the
    edges (:data:`BRIDGE_DRAWS` draws, cached per set of edges); as the bins get finer it tends to
    :func:`ks_noise`'s.

    >>> import numpy as np
    >>> fine = binned_ks_noise(np.full(2000, 100), 1000, 0.05)[0] / ks_noise(200_000, 1000, 0.05)[0]
    >>> bool(0.97 < fine < 1.01), bool(binned_ks_noise([100, 100], 1000, 0.05)[0] < ks_noise(200, 1000, 0.05)[0])
    (True, True)
    """
    t, scale = _edge_positions(ref_counts, n_cur)
    if t is None:
        return math.nan, math.nan
    if not t:   # one bin holds every reference value: no edge can show a gap
        return 0.0, 0.0
    return float(np.quantile(_bridge_maxima(t), 1 - alpha)) * scale, _KS_SD * scale


def binned_ks_p_value(ref_counts, n_cur: int, statistic: float) -> float:
    """P-value of a binned KS distance under :func:`binned_ks_noise`'s null: the share of the same simulated
    bridge maxima at or above it, ``(1 + k) / (R + 1)``. Beyond every draw, the continuous null's tail capped at
    ``1 / (R + 1)``: an upper bound there, as the supremum over all points is at least the maximum over the edges.

    >>> import numpy as np
    >>> counts = np.full(100, 40)
    >>> p, q = binned_ks_p_value(counts, 1000, 0.02), binned_ks_noise(counts, 1000, 0.05)[0]
    >>> bool(p > 0.5), bool(abs(binned_ks_p_value(counts, 1000, q) - 0.05) < 0.01)
    (True, True)
    """
    t, scale = _edge_positions(ref_counts, n_cur)
    if t is None or not np.isfinite(statistic):
        return math.nan
    if not t:
        return 1.0
    maxima = _bridge_maxima(t)
    above = maxima.size - int(np.searchsorted(maxima, statistic / scale, side="left"))
    if above == 0:   # beyond every draw: the limiting law's tail, an upper bound there
        return min(1.0 / (maxima.size + 1), _dist._kolmogorov_limit_sf(statistic / scale))
    return (1 + above) / (maxima.size + 1)


def _edge_positions(ref_counts, n_cur: int) -> tuple[tuple | None, float]:
    """The bins' inner edges as reference CDF positions (to 0.001: continuous columns' quantile edges then
    share one simulation, and the quantile moves < 0.1%) and the scale ``sqrt((n + m) / (n m))``."""
    counts = np.asarray(ref_counts, dtype="float64")
    n = float(counts.sum())
    if n <= 0 or n_cur <= 0:
        return None, math.nan
    t = np.cumsum(counts)[:-1] / n
    t = np.unique(np.round(t[(t > 0.0005) & (t < 0.9995)], 3))
    return tuple(t.tolist()), math.sqrt((n + n_cur) / (n * n_cur))


#: draws of the Brownian bridge behind :func:`binned_ks_noise` (Monte Carlo sd of its 0.99 quantile: 0.8%, 30 seeds)
BRIDGE_DRAWS = 20_000


@functools.lru_cache(maxsize=256)
def _bridge_maxima(t: tuple) -> np.ndarray:
    """``max_j |B(t_j)|`` for :data:`BRIDGE_DRAWS` seeded draws of a Brownian bridge ``B``, sorted."""
    pos = np.asarray(t)
    rng = np.random.default_rng(20261130)
    steps = np.diff(np.concatenate([[0.0], pos, [1.0]]))
    walk = np.cumsum(rng.standard_normal((BRIDGE_DRAWS, steps.size), dtype=np.float32) * np.sqrt(steps, dtype=np.float32),
                     axis=1)
    bridge = walk[:, :-1] - pos * walk[:, -1:]
    maxima = np.sort(np.abs(bridge).max(axis=1).astype("float64"))
    maxima.flags.writeable = False   # shared by every caller through the cache
    return maxima


@renamed_arguments(replicates="n_resamples")
def simulate_null(
    statistic: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ref_shares: np.ndarray,
    n_ref: int,
    n_cur: int,
    *,
    n_resamples: int = 1000,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Values of ``statistic`` between two multinomial samples (sizes ``n_ref``, ``n_cur``) of ``ref_shares``.

    ``statistic(p, q)`` takes share arrays of shape (n_resamples, bins). This is the null
    distribution "no drift, only sampling noise" at the current window's size; cost
    O(n_resamples x bins), whatever the number of rows (``replicates`` is the old, deprecated name).

    >>> import numpy as np
    >>> from toolkit.drift.statistics import tvd_props
    >>> null = simulate_null(tvd_props, np.array([0.5, 0.5]), 1000, 1000, rng=np.random.default_rng(0))
    >>> null.shape, bool(0.01 < np.quantile(null, 0.95) < 0.06)
    ((1000,), True)
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    p = np.asarray(ref_shares, dtype="float64")
    p = p / p.sum()
    a = rng.multinomial(int(n_ref), p, size=n_resamples).astype("float64") / max(int(n_ref), 1)
    b = rng.multinomial(int(n_cur), p, size=n_resamples).astype("float64") / max(int(n_cur), 1)
    return np.asarray(statistic(a, b), dtype="float64")


@renamed_arguments(replicates="n_resamples")
def split_pooled(ref_counts: np.ndarray, cur_counts: np.ndarray, *, n_resamples: int = 1000,
                 rng: np.random.Generator | None = None, max_cells: int = 2_000_000):
    """Permutation splits of the pooled counts: yields ``(ref_counts, cur_counts)`` arrays of shape (r, bins).

    Each replicate draws which of the pooled rows fall in the current window (a multivariate
    hypergeometric draw of ``cur_counts.sum()`` rows), so both windows keep their sizes and every
    category keeps its pooled mass. Replicates come in chunks of at most ``max_cells`` cells, so
    memory stays bounded whatever the number of categories.

    >>> import numpy as np
    >>> a, b = next(split_pooled(np.array([5, 5, 0]), np.array([3, 5, 2]), n_resamples=4, rng=np.random.default_rng(0)))
    >>> a.shape, (a + b == [8, 10, 2]).all(), b.sum(axis=1).tolist()
    ((4, 3), np.True_, [10, 10, 10, 10])
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    pooled = np.rint(np.asarray(ref_counts, dtype="float64") + np.asarray(cur_counts, dtype="float64")).astype("int64")
    m = int(round(float(np.sum(cur_counts))))
    per = max(1, int(max_cells) // max(pooled.size, 1))
    done = 0
    while done < n_resamples:
        size = min(per, n_resamples - done)
        b = rng.multivariate_hypergeometric(pooled, m, size=size, method="marginals")
        yield pooled - b, b
        done += size


def null_threshold(null: np.ndarray, alpha: float) -> tuple[float, float]:
    """Monte Carlo threshold and sd: the smallest ``t`` with ``(1 + #{null >= t}) / (R + 1) <= alpha``.

    Flagging ``observed >= t`` is then the Monte Carlo test ``p = (1 + #{null >= observed}) / (R + 1) <= alpha``,
    whose false-alarm rate is at most ``alpha`` even for discrete statistics (ties in the null).
    When no such ``t`` exists among the null values the threshold is just above the null's maximum.

    >>> null_threshold(np.arange(100.0), 0.05)[0]  # (1 + 4) / 101 <= 0.05 < (1 + 5) / 101
    96.0
    """
    null = np.asarray(null, dtype="float64")
    null = null[np.isfinite(null)]
    if null.size == 0:
        return math.nan, math.nan
    s = np.sort(null)[::-1]  # descending
    r = s.size
    allowed = int(math.floor(alpha * (r + 1) - 1 + 1e-9))  # at most this many null values may reach t
    sd = float(np.std(null))
    if allowed < 1:
        return float(np.nextafter(s[0], math.inf)), sd
    # t = the allowed-th largest value, unless ties push #{null >= t} past 'allowed'
    t = s[allowed - 1]
    if allowed < r and s[allowed] == t:  # a tie straddles the cut: the next distinct value above it
        above = s[s > t]
        t = float(above.min()) if above.size else float(np.nextafter(t, math.inf))
        if not above.size:
            return t, sd
    return float(t), sd


def null_quantile(null: np.ndarray, alpha: float) -> tuple[float, float]:
    """The (1 - alpha) quantile (interpolated) and sd of simulated null values."""
    null = null[np.isfinite(null)]
    if null.size == 0:
        return math.nan, math.nan
    return float(np.quantile(null, 1 - alpha)), float(np.std(null))


def _hypergeom_pmf(N: int, K: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Support and pmf of the marked count in a draw of ``m`` of ``N`` items, ``K`` of them marked.

    Built from the ratio ``p(k+1) / p(k)`` in log space (numpy only), over the whole support.
    """
    lo, hi = max(0, K - (N - m)), min(K, m)
    k = np.arange(lo, hi, dtype="float64")
    with np.errstate(divide="ignore"):
        log_ratio = np.log(K - k) + np.log(m - k) - np.log(k + 1) - np.log(N - K - m + k + 1)
    logp = np.concatenate([[0.0], np.cumsum(log_ratio)])
    logp -= logp.max()
    p = np.exp(logp)
    return np.arange(lo, hi + 1, dtype="float64"), p / p.sum()


#: Above this support size the missing-share null uses the normal approximation (pooled share).
_EXACT_SUPPORT = 2_000_000


def missing_noise(ref_missing: int, n_ref: int, cur_missing: int, n_cur: int, alpha: float) -> tuple[float, float]:
    """Two-sided threshold and sd of |change in missing share| under no drift.

    Conditional on the pooled missing count ``K`` (the windows are exchangeable under no drift),
    the current's missing count is hypergeometric; the threshold is the smallest ``|delta|`` whose
    two-sided tail probability is at most ``alpha`` (exact, so small windows and rare nulls keep the
    level). Very large windows use the normal approximation around the **pooled** share.

    >>> t, sd = missing_noise(5, 100, 5, 100, 0.05 / 3)
    >>> round(t, 2), round(sd, 4)
    (0.1, 0.0308)
    """
    if n_ref <= 0 or n_cur <= 0:
        return math.nan, math.nan
    N, K, m = int(n_ref) + int(n_cur), int(ref_missing) + int(cur_missing), int(n_cur)
    pooled = K / N
    sd = math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
    if min(K, m) - max(0, K - (N - m)) > _EXACT_SUPPORT:
        return float(_norm_isf(alpha / 2) * sd + 0.5 / n_cur), sd
    c, pmf = _hypergeom_pmf(N, K, m)
    delta = np.abs(c / m - (K - c) / n_ref)
    order = np.argsort(-delta, kind="stable")
    d_sorted, tail = delta[order], np.cumsum(pmf[order])  # tail[i] ~ P(|D| >= d_sorted[i]) once ties are merged
    last = np.r_[d_sorted[1:] != d_sorted[:-1], True]  # last entry of each tie group carries its full tail
    ok = last & (tail <= alpha * (1 + 1e-9))
    if not ok.any():
        return float(np.nextafter(d_sorted[0], math.inf)), sd
    return float(d_sorted[np.flatnonzero(ok)[-1]]), sd


def _norm_isf(q: float) -> float:
    """Upper-tail standard normal quantile (stdlib only)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(1.0 - q)


def _exceed_pmf(n_ref: int, n_cur: int) -> np.ndarray:
    """pmf of K, the number of current values beyond the reference's maximum (exchangeability).

    P(K >= k) = prod_{j<k} (m - j) / (N - j), truncated where it is negligible.
    """
    N = n_ref + n_cur
    k_max = min(n_cur, int(60 * (n_cur / max(n_ref, 1) + 1)) + 10)  # far beyond the mean, m / n
    j = np.arange(k_max, dtype="float64")
    surv = np.exp(np.concatenate([[0.0], np.cumsum(np.log((n_cur - j) / (N - j)))]))  # P(K >= k), k = 0..k_max
    return np.append(surv[:-1] - surv[1:], surv[-1])


def _self_convolve(p: np.ndarray) -> np.ndarray:
    """``p * p`` (full convolution): direct when short, else by numpy's real FFT (no scipy import)."""
    if p.size <= 2048:
        return np.convolve(p, p)
    size = 2 * p.size - 1
    f = np.fft.rfft(p, n=size)
    return np.fft.irfft(f * f, n=size)


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
    tail = _exceed_pmf(n_ref, n_cur)
    total = np.clip(_self_convolve(tail), 0.0, None)
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
    return float(p0 + _dist.norm_isf(alpha) * sd + 0.5 / n_cur), sd


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
