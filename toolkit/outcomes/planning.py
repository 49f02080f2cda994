"""Sample-size planning: how many labels detect a given drop, and what drop a given number can detect.

The test being planned is the one :func:`toolkit.performance` runs against a fixed baseline value:
a score test for a proportion (accuracy, recall, precision), for ROC AUC a z-test with the
Hanley-McNeil variance, and for F1 a Wald test with the delta-method variance
``F(1-F)(2-F)^2 / (2 n u)``, ``u`` the share of rows that are positive or predicted positive (the
rows F1 counts: TP + FP + FN). With ``n_reference`` the reference value is itself an estimate from ``n_reference`` labels and
the test is the Wald difference of two independent estimates (as with ``reference=<frame>``).

Examples
--------
>>> import toolkit as tk
>>> tk.labels_needed("accuracy", reference_value=0.79, detectable_drop=0.03)
1490
>>> round(tk.detectable_drop("accuracy", reference_value=0.79, n=1490), 4)
0.03
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from .._checks import check_choice
from .._compat import renamed_arguments
from .measure import check_count, check_number
from .intervals import hanley_mcneil_variance

__all__ = ["labels_needed", "detectable_drop", "PLANNED_METRICS"]

PLANNED_METRICS = ("accuracy", "recall", "precision", "roc_auc", "f1")
_ALTERNATIVES = ("two-sided", "one-sided")


def _check(metric, baseline_value, power, alpha, prevalence, alternative, baseline_n):
    baseline_value, power, alpha = (check_number(k, v) for k, v in
                                    (("reference_value", baseline_value), ("power", power), ("alpha", alpha)))
    if prevalence is not None:
        prevalence = check_number("prevalence", prevalence)
    if baseline_n is not None:
        baseline_n = check_count("baseline_n", baseline_n, 2)
    check_choice("metric", metric, PLANNED_METRICS)
    check_choice("alternative", alternative, _ALTERNATIVES)
    if not 0 < baseline_value < 1:
        raise ValueError(f"reference_value must be strictly between 0 and 1; got {baseline_value!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05); got {alpha!r}")
    if not alpha < power < 1:
        raise ValueError(f"power must be between alpha ({alpha}) and 1 (e.g. 0.8); got {power!r}")
    if metric in ("recall", "precision", "roc_auc", "f1"):
        if prevalence is None:
            what = {"precision": "rows predicted positive",
                    "f1": "rows that are positive or predicted positive (TP + FP + FN)"}.get(metric, "positives")
            raise ValueError(f"{metric} needs prevalence=, the share of {what} among the labels (e.g. 0.25)")
        if not 0 < prevalence < 1:
            raise ValueError(f"prevalence must be strictly between 0 and 1; got {prevalence!r}")
    if metric == "roc_auc" and baseline_value <= 0.5:
        raise ValueError(f"reference_value for roc_auc must be above 0.5; got {baseline_value!r}")
    if baseline_n is not None and baseline_n < 2:
        raise ValueError(f"n_reference must be at least 2 (or None for a known reference value); got {baseline_n!r}")
    z_a = stats.norm.ppf(1 - alpha / 2) if alternative == "two-sided" else stats.norm.ppf(1 - alpha)
    return float(z_a), float(stats.norm.ppf(power))


def _power_gap(metric, p0, d, n, z_a, z_b, prevalence, baseline_n) -> float:
    """Positive when ``n`` labels give at least the target power against a drop ``d``."""
    p1 = p0 - d
    if metric == "f1":
        # delta method on the multinomial (TP, FP, FN, rest) shares: Var F1 = F(1-F)(2-F)^2 / (2 n u);
        # performance() tests F1 with its bootstrap se, i.e. the se at the window's own (dropped) value
        def var(f, m):
            return f * (1 - f) * (2 - f) ** 2 / (2 * prevalence * m)
        base = var(p0, baseline_n) if baseline_n is not None else 0.0
        return d - (z_a + z_b) * math.sqrt(var(p1, n) + base)
    if metric == "roc_auc":
        def var(a, m):
            return hanley_mcneil_variance(a, prevalence * m, (1 - prevalence) * m)
        if baseline_n is None:
            return d - z_a * math.sqrt(var(p0, n)) - z_b * math.sqrt(var(p1, n))
        return d - (z_a + z_b) * math.sqrt(var(p1, n) + var(p0, baseline_n))
    share = prevalence if metric in ("recall", "precision") else 1.0
    m, m0 = share * n, (share * baseline_n if baseline_n is not None else None)
    if m0 is None:
        return d - z_a * math.sqrt(p0 * (1 - p0) / m) - z_b * math.sqrt(p1 * (1 - p1) / m)
    return d - (z_a + z_b) * math.sqrt(p1 * (1 - p1) / m + p0 * (1 - p0) / m0)


@renamed_arguments(baseline_value="reference_value", baseline_n="n_reference")
def labels_needed(
    metric: str,
    reference_value: float,
    detectable_drop: float,
    power: float = 0.8,
    alpha: float = 0.05,
    *,
    prevalence: float | None = None,
    alternative: str = "two-sided",
    n_reference: int | None = None,
) -> int:
    """Labels needed in a window to detect a drop of ``detectable_drop`` with the given power.

    Parameters
    ----------
    metric
        'accuracy', 'recall', 'precision', 'roc_auc' or 'f1'.
    reference_value
        The metric's value when nothing is wrong (e.g. on the reference).
    detectable_drop
        Absolute drop to detect (0.03 = three points of accuracy).
    power, alpha
        Probability of detecting the drop, and false-alarm rate of the test.
    prevalence
        Share of positives among labels (needed for recall and roc_auc); for precision, the share
        of labelled rows the model predicts positive (precision's denominator); for F1, the share
        of rows that are positive or predicted positive (TP + FP + FN over all rows), taken as the
        same before and after the drop.
    alternative
        'two-sided' (what :func:`toolkit.performance` reports) or 'one-sided' (a drop only).
    n_reference
        Labels behind the reference value; None treats it as known exactly.

    Returns
    -------
    int
        Number of labelled rows (all classes); for recall (precision), the positives (predicted
        positives) needed divided by ``prevalence``.
        For proportions the closed form ``n = ((z_a sqrt(p0 q0) + z_b sqrt(p1 q1)) / d)^2``; for AUC
        the smallest n whose Hanley-McNeil variances give ``z_a sd0 + z_b sd1 <= d``; for F1 the
        smallest n with ``(z_a + z_b) sd1 <= d`` (sd1 the delta-method sd at the dropped value, as the
        bootstrap test of :func:`toolkit.performance` uses the window's own spread).

    Examples
    --------
    >>> import toolkit as tk
    >>> tk.labels_needed("roc_auc", 0.84, 0.05, prevalence=0.25)
    905
    >>> tk.labels_needed("recall", 0.6, 0.1, prevalence=0.25)
    763
    >>> tk.labels_needed("f1", 0.7, 0.05, prevalence=0.4)
    1628
    """
    baseline_value, baseline_n = reference_value, n_reference
    z_a, z_b = _check(metric, baseline_value, power, alpha, prevalence, alternative, baseline_n)
    d, p0 = check_number("detectable_drop", detectable_drop), float(baseline_value)
    if not 0 < d < p0:
        raise ValueError(f"detectable_drop must be between 0 and reference_value ({p0}); got {detectable_drop!r}")
    p1 = p0 - d
    if metric not in ("roc_auc", "f1") and baseline_n is None:
        share = prevalence if metric in ("recall", "precision") else 1.0
        m = ((z_a * math.sqrt(p0 * (1 - p0)) + z_b * math.sqrt(p1 * (1 - p1))) / d) ** 2
        return int(math.ceil(m / share - 1e-9))

    def gap(n):
        return _power_gap(metric, p0, d, n, z_a, z_b, prevalence, baseline_n)

    lo, hi = 2.0 / min(prevalence or 1.0, 1 - (prevalence or 0.0)), 10.0
    while gap(hi) < 0:
        hi *= 2
        if hi > 1e12:
            return int(np.iinfo(np.int64).max) if baseline_n is None else _infeasible(baseline_n)
    if gap(lo) >= 0:
        return int(math.ceil(lo))
    n = optimize.brentq(gap, lo, hi, xtol=1e-6)
    return int(math.ceil(n - 1e-9))


def _infeasible(baseline_n: int) -> int:
    raise ValueError(f"the drop cannot be detected with this power whatever the window size: the baseline's own "
                     f"uncertainty (n_reference={baseline_n}) is too large; use more reference labels or a larger drop")


@renamed_arguments(baseline_value="reference_value", baseline_n="n_reference")
def detectable_drop(
    metric: str,
    reference_value: float,
    n: int,
    power: float = 0.8,
    alpha: float = 0.05,
    *,
    prevalence: float | None = None,
    alternative: str = "two-sided",
    n_reference: int | None = None,
) -> float:
    """Smallest drop that ``n`` labels detect with the given power (the inverse of :func:`labels_needed`).

    Returns NaN when no drop down to zero (or, for AUC, down to 0.5) is detectable with ``n`` labels.

    What it is: the drop at which the two-sided test :func:`toolkit.performance` runs against a
    fixed baseline (score test for a proportion) flags the window with probability ``power``.
    Measured by simulation (20,000 windows each, ``tests/test_performance_coverage.py``): at
    ``power=0.8`` accuracy drops of this size are detected 79.5-81% of the time (baseline 0.7-0.9,
    n = 200-2,000). It is not the drop that the interval's width alone would reveal.

    Examples
    --------
    >>> import toolkit as tk
    >>> round(tk.detectable_drop("roc_auc", 0.84, n=2000, prevalence=0.25), 4)
    0.0333
    """
    baseline_value, baseline_n = reference_value, n_reference
    z_a, z_b = _check(metric, baseline_value, power, alpha, prevalence, alternative, baseline_n)
    n = check_count("n", n, 2)
    p0 = float(baseline_value)
    top = p0 - (0.5 if metric == "roc_auc" else 0.0) - 1e-9

    def gap(d):
        return _power_gap(metric, p0, d, float(n), z_a, z_b, prevalence, baseline_n)

    if gap(top) < 0:
        return float("nan")
    return float(optimize.brentq(gap, 1e-12, top, xtol=1e-10))
