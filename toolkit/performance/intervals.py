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
>>> from toolkit.performance.intervals import wilson
>>> low, high = wilson(45, 50)
>>> round(float(low), 4), round(float(high), 4)
(0.7864, 0.9565)
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["wilson", "delong", "auc_interval", "hanley_mcneil_variance", "clopper_pearson_lower",
           "percentile_interval", "z_value"]


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


def auc_interval(auc, se, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Interval for an AUC from its standard error, built on the logit scale (delta method).

    AUC of exactly 0 or 1 falls back to the plain Wald interval clipped to [0, 1].
    """
    auc, se = np.asarray(auc, dtype=float), np.asarray(se, dtype=float)
    z = z_value(level)
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
