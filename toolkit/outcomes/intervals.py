"""Confidence intervals and variances for performance metrics, vectorised over repetitions.

- :func:`wilson` : Wilson score interval for a proportion (matches
  ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``).
- :func:`delong` : ROC AUC and its DeLong variance from midranks, for one or many samples at once.
- :func:`auc_interval` : interval for an AUC from its standard error, on the logit scale so it
  stays inside [0, 1] and keeps its coverage near 1.
- :func:`hanley_mcneil_variance` : the Hanley-McNeil (1982) variance of an AUC from its value and
  the class sizes, used for sample-size planning.
- :func:`clopper_pearson_lower` : one-sided exact lower confidence bound for a proportion.

Examples
--------
>>> from toolkit.outcomes.intervals import wilson
>>> low, high = wilson(45, 50)
>>> round(float(low), 4), round(float(high), 4)
(0.7864, 0.9565)
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["wilson", "delong", "auc_interval", "hanley_mcneil_variance", "clopper_pearson_lower",
           "percentile_interval", "bca_interval", "jackknife_weights", "studentized_ratio_interval", "StudentizedRatio", "z_value"]


def z_value(level: float) -> float:
    """Two-sided normal quantile for a confidence level (1.96 for 0.95)."""
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson(k, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes out of ``n`` (arrays broadcast; NaN where n == 0).

    ``k`` and ``n`` may be non-integer (an effective sample size for weighted data).
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    # exact at the edges: rounding leaves 4e-20 for 0 of n, which a report then prints as a bound
    low, high = np.where(k <= 0, 0.0, low), np.where(k >= n, 1.0, high)
    bad = ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def delong(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC and DeLong variance for each row of ``scores``/``labels`` (shape ``(n,)`` or ``(R, n)``).

    Uses midranks (DeLong, DeLong & Clarke-Pearson 1988; Sun & Xu 2014), so ties count one half.
    Rows with a single class give NaN.
    """
    s = np.atleast_2d(np.asarray(scores, dtype=float))
    y = np.atleast_2d(np.asarray(labels)).astype(bool)
    s, y = np.broadcast_arrays(s, y)
    m = y.sum(axis=1).astype(float)           # positives
    k = (~y).sum(axis=1).astype(float)        # negatives
    r_all = stats.rankdata(s, axis=1)
    r_pos = stats.rankdata(np.where(y, s, np.inf), axis=1)
    r_neg = stats.rankdata(np.where(~y, s, np.inf), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        v10 = (r_all - r_pos) / k[:, None]          # share of negatives below each positive
        v01 = 1.0 - (r_all - r_neg) / m[:, None]    # share of positives above each negative
        auc = np.where(y, v10, 0.0).sum(axis=1) / m
        s10 = np.where(y, (v10 - auc[:, None]) ** 2, 0.0).sum(axis=1) / (m - 1)
        s01 = np.where(~y, (v01 - auc[:, None]) ** 2, 0.0).sum(axis=1) / (k - 1)
        var = s10 / m + s01 / k
    ok = (m > 1) & (k > 1)
    auc = np.where((m > 0) & (k > 0), auc, np.nan)
    return auc, np.where(ok, var, np.nan)


def auc_interval(auc, se, level: float = 0.95, n_positive=None, n_negative=None) -> tuple[np.ndarray, np.ndarray]:
    """Interval for an AUC from its (DeLong) standard error, built on the logit scale (delta method).

    With the class sizes ``n_positive``/``n_negative`` (what :func:`toolkit.performance` passes) the
    interval stays valid at the boundary and with a small minority class:

    - the centre is the continuity-adjusted AUC ``(A m n + 1/2) / (m n + 1)``, never exactly 0 or 1;
    - the variance is at least ``f * V_HM`` where ``V_HM`` is the Hanley-McNeil variance at that
      centre and ``f = 0.5 * min(1, 50 / min(m, n))``: a floor that matters only when the minority
      class is small or the sample AUC is 1 (where the DeLong variance is 0 and the plain interval
      collapses to [1, 1]), and fades as the classes grow.

    Simulated coverage of the 95% interval (binormal scores, 600-2,000 repetitions; see
    ``bench/RESULTS-calibration-outcomes.md``) is 94-98% for true AUC 0.8-0.99 at n = 50, 200,
    1000 and prevalence 0.3-0.5 (97-98%, conservative, where the minority class has < 50 rows and
    AUC >= 0.95); plain DeLong gave 73-80% at AUC 0.99, n = 50.
    Without the class sizes: the plain logit interval, Wald clipped to [0, 1] at 0 or 1.

    >>> low, high = auc_interval(1.0, 0.0, n_positive=15, n_negative=35)
    >>> bool(low < 0.99 < high <= 1.0)
    True
    """
    auc, se = np.asarray(auc, dtype=float), np.asarray(se, dtype=float)
    z = z_value(level)
    if n_positive is not None and n_negative is not None:
        m, k = np.asarray(n_positive, dtype=float), np.asarray(n_negative, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            centre_auc = (auc * m * k + 0.5) / (m * k + 1)
            floor = 0.5 * np.minimum(1.0, 50.0 / np.maximum(np.minimum(m, k), 1.0)) * \
                hanley_mcneil_variance(centre_auc, m, k)
            var = np.fmax(np.where(np.isnan(se), 0.0, se) ** 2, floor)
            lse = np.sqrt(var) / (centre_auc * (1 - centre_auc))
            centre = special.logit(centre_auc)
            low, high = special.expit(centre - z * lse), special.expit(centre + z * lse)
        ok = (m > 0) & (k > 0) & ~np.isnan(auc)
        return np.where(ok, low, np.nan), np.where(ok, high, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = (auc > 0) & (auc < 1)
        a = np.where(inner, auc, 0.5)
        lse = se / (a * (1 - a))
        centre = special.logit(a)
        low = np.where(inner, special.expit(centre - z * lse), np.clip(auc - z * se, 0, 1))
        high = np.where(inner, special.expit(centre + z * lse), np.clip(auc + z * se, 0, 1))
    return low, high


def hanley_mcneil_variance(auc, n_positive, n_negative) -> np.ndarray:
    """Hanley & McNeil (1982) variance of an AUC estimate.

    ``V = [A(1-A) + (n1-1)(Q1-A^2) + (n0-1)(Q2-A^2)] / (n1 n0)`` with ``Q1 = A/(2-A)``, ``Q2 = 2A^2/(1+A)``.

    >>> round(float(hanley_mcneil_variance(0.8, 50, 150)) ** 0.5, 4)
    0.0401
    """
    a = np.asarray(auc, dtype=float)
    n1, n0 = np.asarray(n_positive, dtype=float), np.asarray(n_negative, dtype=float)
    q1 = a / (2 - a)
    q2 = 2 * a**2 / (1 + a)
    return (a * (1 - a) + (n1 - 1) * (q1 - a**2) + (n0 - 1) * (q2 - a**2)) / (n1 * n0)


def clopper_pearson_lower(k, n, confidence: float = 0.95) -> np.ndarray:
    """One-sided exact (Clopper-Pearson) lower bound: ``Beta(1 - confidence; k, n - k + 1)``.

    Equals ``binomtest(k, n).proportion_ci(confidence_level=2 * confidence - 1, method="exact").low``;
    works for non-integer ``k``/``n`` (effective counts of a weighted sample). 0 when ``k == 0``.
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        low = stats.beta.ppf(1 - confidence, np.maximum(k, 1e-12), np.maximum(n - k + 1, 1e-12))
    low = np.where(k <= 0, 0.0, low)
    return np.where(n > 0, low, np.nan)


def percentile_interval(boot: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of a bootstrap distribution, ignoring NaN replicates."""
    boot = np.asarray(boot, dtype=float)
    boot = boot[~np.isnan(boot)]
    if boot.size < 10:
        return np.nan, np.nan
    alpha = (1 - level) / 2
    low, high = np.quantile(boot, [alpha, 1 - alpha])
    return float(low), float(high)


def jackknife_weights(w: np.ndarray, rng: np.random.Generator, max_cells: int = 2_000_000) -> np.ndarray:
    """Leave-one-group-out copies of the weights ``w``, shape ``(G, n)``: the delete-one jackknife
    when ``n`` is small (``G = n``), random groups otherwise (``G >= 20``, ``G * n <= max_cells``).

    With random groups, the sums of cubed and squared group influences estimate the same ratio as
    the individual ones, so the BCa acceleration stays consistent.
    """
    n = w.size
    g = int(min(n, max(20, max_cells // max(n, 1))))
    group = np.arange(n) if g == n else rng.permutation(n) % g
    out = np.broadcast_to(w, (g, n)).copy()
    out[group, np.arange(n)] = 0.0
    return out


def bca_interval(boot: np.ndarray, theta: float, jack: np.ndarray, level: float = 0.95,
                 jack_weights: np.ndarray | None = None) -> tuple[float, float]:
    """Bias-corrected and accelerated (BCa, Efron 1987) bootstrap interval.

    ``boot``: bootstrap replicates; ``theta``: the estimate on the sample; ``jack``: leave-one(-group)-out
    estimates (:func:`jackknife_weights`) for the acceleration, each standing for ``jack_weights`` identical
    ones when given (rows of one cell, :func:`toolkit.outcomes.counts.cell_jackknife`). NaN replicates are
    ignored. Falls back
    to the percentile interval when the bias correction is undefined (every replicate on one side).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.exponential(size=60)
    >>> boot = np.array([rng.choice(x, 60).mean() for _ in range(2000)])
    >>> jack = (x.sum() - x) / 59
    >>> low, high = bca_interval(boot, x.mean(), jack)
    >>> from scipy.stats import bootstrap
    >>> ci = bootstrap((x,), np.mean, method="BCa", random_state=1, n_resamples=2000).confidence_interval
    >>> round(low, 2), round(high, 2), bool(abs(low - ci.low) < 0.02 and abs(high - ci.high) < 0.02)
    (0.85, 1.4, True)
    """
    boot = np.asarray(boot, dtype=float)
    boot = boot[~np.isnan(boot)]
    jack = np.asarray(jack, dtype=float)
    jw = np.ones(jack.size) if jack_weights is None else np.asarray(jack_weights, dtype=float)
    jack, jw = jack[~np.isnan(jack)], jw[~np.isnan(jack)]
    if boot.size < 10 or np.isnan(theta):
        return np.nan, np.nan
    share = (np.sum(boot < theta) + 0.5 * np.sum(boot == theta)) / boot.size
    if not 0 < share < 1 or jw.sum() < 3:
        return percentile_interval(boot, level)
    z0 = stats.norm.ppf(share)
    d = np.sum(jw * jack) / np.sum(jw) - jack
    den = 6.0 * np.sum(jw * d**2) ** 1.5
    a = float(np.sum(jw * d**3) / den) if den > 0 else 0.0
    za = stats.norm.ppf([(1 - level) / 2, (1 + level) / 2])
    adj = stats.norm.cdf(z0 + (z0 + za) / (1 - a * (z0 + za)))
    low, high = np.quantile(boot, adj)
    return float(low), float(high)


def studentized_ratio_interval(a: np.ndarray, b: np.ndarray, w: np.ndarray, counts, level: float = 0.95,
                               transform: str | None = None,
                               multiplicity: np.ndarray | None = None) -> tuple[float, float, float, np.ndarray]:
    """Bootstrap-t interval for a ratio of weighted sums ``theta = sum(w a) / sum(w b)`` (a Hajek mean:
    accuracy, precision, recall, F1, Brier, log-loss, MAE, MSE, MAPE).

    Each resample is studentized by its own linearised (delta-method) standard error
    ``sqrt(sum c w^2 (a - theta* b)^2) / sum(c w b)``, computed from a few matrix-vector products,
    so the whole bootstrap is vectorised. Studentizing corrects the skew that makes percentile and
    BCa intervals of skewed losses under-cover at small n. ``transform="sqrt"`` reports the interval
    of ``sqrt(theta)`` (RMSE from the MSE). ``counts`` yields blocks of resample counts
    (:func:`toolkit.outcomes.metrics.bootstrap_counts`). With ``multiplicity`` each entry stands for that
    many identical rows (cells, :mod:`toolkit.outcomes.counts`) and ``counts`` resample the cells.
    Returns ``low, high, se, replicates``.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.exponential(size=40)
    >>> from toolkit.outcomes.metrics import bootstrap_counts
    >>> low, high, se, _ = studentized_ratio_interval(x, np.ones(40), np.ones(40), bootstrap_counts(40, 2000, rng))
    >>> bool(low < x.mean() < high), bool(abs(se - x.std(ddof=0) / np.sqrt(40)) < 1e-12)
    (True, True)
    """
    acc = StudentizedRatio(a, b, w, level, transform, multiplicity)
    for c in counts:
        acc.add(c)
    return acc.result()


class StudentizedRatio:
    """:func:`studentized_ratio_interval` fed one block of resample counts at a time (``add``), so one
    stream of resamples can serve several metrics; ``result()`` returns ``low, high, se, replicates``."""

    def __init__(self, a: np.ndarray, b: np.ndarray, w: np.ndarray, level: float = 0.95,
                 transform: str | None = None, multiplicity: np.ndarray | None = None):
        a, b, w = (np.asarray(v, dtype=float) for v in (a, b, w))
        m = np.ones_like(w) if multiplicity is None else np.asarray(multiplicity, dtype=float)
        sb = np.sum(m * w * b)
        self.theta = np.sum(m * w * a) / sb if sb > 0 else np.nan
        self.se = np.sqrt(np.sum(m * w**2 * (a - self.theta * b) ** 2)) / sb if sb > 0 else np.nan
        self.a, self.b, self.w, self.w2 = a, b, w, w**2
        self.aa, self.ab, self.bb = a * a, a * b, b * b
        self.level, self.transform = level, transform
        self.ts, self.reps = [], []

    def add(self, c: np.ndarray) -> None:
        cw, cw2 = c * self.w, c * self.w2
        s_a, s_b = cw @ self.a, cw @ self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            th = s_a / s_b
            var = (cw2 @ self.aa - 2 * th * (cw2 @ self.ab) + th**2 * (cw2 @ self.bb)) / s_b**2
            t = (th - self.theta) / np.sqrt(np.maximum(var, 0))
        self.ts.append(np.where(var > 0, t, np.nan))
        self.reps.append(th)

    def result(self) -> tuple[float, float, float, np.ndarray]:
        theta, se, level = self.theta, self.se, self.level
        t = np.concatenate(self.ts) if self.ts else np.array([])
        reps = np.concatenate(self.reps) if self.reps else np.array([])
        t = t[np.isfinite(t)]
        if t.size < 10 or not se > 0:
            return np.nan, np.nan, float(se), reps
        q_lo, q_hi = np.quantile(t, [(1 - level) / 2, (1 + level) / 2])
        low, high = theta - q_hi * se, theta - q_lo * se
        if self.transform == "sqrt":
            return float(np.sqrt(max(low, 0.0))), float(np.sqrt(max(high, 0.0))), float(se), np.sqrt(reps)
        return float(low), float(high), float(se), reps
