"""Sample-size planning: how many labels detect a given drop, and what drop a given number can detect.

The test being planned is the one :func:`toolkit.performance` runs against a fixed baseline value:
a score test for a proportion (accuracy, recall, precision), for ROC AUC a z-test with the
Hanley-McNeil variance, and for F1 a Wald test with the delta-method variance
``F(1-F)(2-F)^2 / (2 n u)``, ``u`` the share of rows that are positive or predicted positive (the
rows F1 counts: TP + FP + FN), and for a multiclass macro-F1 a Wald test with the delta-method
variance of the mean of per-class F1s over the multinomial confusion table (``confusion=`` the
reference's table; the drop is planned as a loss of information with the class shares unchanged: the
table mixed toward the independent table ``rows x columns``). With ``n_reference`` the reference value is
itself an estimate from ``n_reference`` labels and the test is the Wald difference of two independent
estimates (as with ``reference=<frame>``).

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

__all__ = ["labels_needed", "detectable_drop", "macro_f1_plan", "confusion_table", "PLANNED_METRICS"]

PLANNED_METRICS = ("accuracy", "recall", "precision", "roc_auc", "f1", "macro_f1")
_ALTERNATIVES = ("two-sided", "one-sided")


def _check(metric, baseline_value, power, alpha, prevalence, alternative, baseline_n, confusion=None):
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
    if metric == "macro_f1":
        if confusion is None:
            raise ValueError("macro_f1 needs confusion=, the baseline's confusion table (rows: true class, columns: "
                             "predicted class; counts or shares), e.g. pd.crosstab(y_true, y_pred)")
        plan = macro_f1_plan(confusion)
        if abs(plan.value - baseline_value) > 0.01:
            raise ValueError(f"reference_value {baseline_value:.4f} is not the macro-F1 of confusion= "
                             f"({plan.value:.4f}); pass the table the baseline value was measured on")
    elif confusion is not None:
        raise ValueError(f"confusion= is for metric='macro_f1'; {metric} does not use it")
    if metric == "roc_auc" and baseline_value <= 0.5:
        raise ValueError(f"reference_value for roc_auc must be above 0.5; got {baseline_value!r}")
    if baseline_n is not None and baseline_n < 2:
        raise ValueError(f"n_reference must be at least 2 (or None for a known reference value); got {baseline_n!r}")
    z_a = stats.norm.ppf(1 - alpha / 2) if alternative == "two-sided" else stats.norm.ppf(1 - alpha)
    return float(z_a), float(stats.norm.ppf(power))


def _power_gap(metric, p0, d, n, z_a, z_b, prevalence, baseline_n, confusion=None) -> float:
    """Positive when ``n`` labels give at least the target power against a drop ``d``."""
    p1 = p0 - d
    if metric == "macro_f1":
        # a Wald test at the window's own (dropped) value, as performance() tests macro-F1 with its bootstrap se
        plan = macro_f1_plan(confusion)
        base = plan.variance(0.0) / baseline_n if baseline_n is not None else 0.0
        return d - (z_a + z_b) * math.sqrt(plan.variance(plan.mix_for_value(p1)) / n + base)
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
    confusion=None,
) -> int:
    """Labels needed in a window to detect a drop of ``detectable_drop`` with the given power.

    Parameters
    ----------
    metric
        'accuracy', 'recall', 'precision', 'roc_auc', 'f1' or 'macro_f1' (multiclass).
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
    confusion
        For 'macro_f1' only: the reference's confusion table, rows the true class and columns the
        predicted class, in counts or shares (a square array or ``pd.crosstab(y_true, y_pred)``);
        ``reference_value`` must be its macro-F1 (within 0.01). See :func:`macro_f1_plan`.

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
    >>> table = [[400, 60, 40], [50, 200, 50], [30, 40, 130]]     # true class by predicted class
    >>> tk.labels_needed("macro_f1", 0.7007, 0.05, confusion=table)
    794
    """
    baseline_value, baseline_n = reference_value, n_reference
    z_a, z_b = _check(metric, baseline_value, power, alpha, prevalence, alternative, baseline_n, confusion)
    d, p0 = check_number("detectable_drop", detectable_drop), float(baseline_value)
    if not 0 < d < p0:
        raise ValueError(f"detectable_drop must be between 0 and reference_value ({p0}); got {detectable_drop!r}")
    p1 = p0 - d
    if metric == "macro_f1" and p1 < macro_f1_plan(confusion).floor:
        raise ValueError(f"a drop of {d} takes macro-F1 below {macro_f1_plan(confusion).floor:.4f}, what predicting "
                         "with no information (class shares unchanged) gives; plan a smaller drop")
    if metric not in ("roc_auc", "f1", "macro_f1") and baseline_n is None:
        share = prevalence if metric in ("recall", "precision") else 1.0
        m = ((z_a * math.sqrt(p0 * (1 - p0)) + z_b * math.sqrt(p1 * (1 - p1))) / d) ** 2
        return int(math.ceil(m / share - 1e-9))

    def gap(n):
        return _power_gap(metric, p0, d, n, z_a, z_b, prevalence, baseline_n, confusion)

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
    confusion=None,
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
    z_a, z_b = _check(metric, baseline_value, power, alpha, prevalence, alternative, baseline_n, confusion)
    n = check_count("n", n, 2)
    p0 = float(baseline_value)
    floor = {"roc_auc": 0.5, "macro_f1": macro_f1_plan(confusion).floor if confusion is not None else 0.0}
    top = p0 - floor.get(metric, 0.0) - 1e-9

    def gap(d):
        return _power_gap(metric, p0, d, float(n), z_a, z_b, prevalence, baseline_n, confusion)

    if gap(top) < 0:
        return float("nan")
    return float(optimize.brentq(gap, 1e-12, top, xtol=1e-10))


class MacroF1Plan:
    """The delta-method variance of a multiclass macro-F1 from a confusion table, and the table after a drop.

    ``P`` is the table of shares (rows: true class, columns: predicted class), ``r``/``s`` its row and column
    sums. Class c's F1 is ``2 P_cc / (r_c + s_c)`` and macro-F1 their mean over the classes present (as
    :func:`toolkit.performance` computes it). One labelled row is one multinomial draw from ``P``, so
    ``n Var(macro-F1) -> g' (diag(P) - P P') g`` with ``g`` the gradient over the cells.
    A drop is modelled as a loss of information with the class shares unchanged: ``P_t = (1 - t) P + t r s'``,
    whose macro-F1 falls linearly in ``t`` to :attr:`floor` (predictions independent of the truth).

    >>> plan = macro_f1_plan([[40, 10], [10, 40]])
    >>> round(plan.value, 3), round(plan.floor, 3), round(plan.mix_for_value(0.6), 3)
    (0.8, 0.5, 0.667)
    """

    def __init__(self, table: np.ndarray):
        self.table = table / table.sum()
        self.rows, self.cols = self.table.sum(axis=1), self.table.sum(axis=0)
        self.present = (self.rows + self.cols) > 0
        self.value = self._macro(self.table)
        self.floor = self._macro(np.outer(self.rows, self.cols))

    def _macro(self, P: np.ndarray) -> float:
        den = self.rows + self.cols
        return float(np.mean(2 * np.diag(P)[self.present] / den[self.present]))

    def table_at(self, t: float) -> np.ndarray:
        return (1 - t) * self.table + t * np.outer(self.rows, self.cols)

    def mix_for_value(self, value: float) -> float:
        """The mixing weight ``t`` whose table has macro-F1 ``value`` (linear in ``t``; clipped to [0, 1])."""
        span = self.value - self.floor
        return float(np.clip((self.value - value) / span, 0.0, 1.0)) if span > 0 else 0.0

    def variance(self, t: float = 0.0) -> float:
        """Per-row variance of macro-F1 at mixing weight ``t`` (divide by n for a window of n labels)."""
        P = self.table_at(t)
        k = len(P)
        den = self.rows + self.cols
        grad = np.zeros_like(P)
        for c in np.flatnonzero(self.present):
            g = np.zeros_like(P)
            g[c, c] += 2 / den[c]
            g[c, :] -= 2 * P[c, c] / den[c] ** 2
            g[:, c] -= 2 * P[c, c] / den[c] ** 2
            grad += g
        grad /= self.present.sum()
        mean = np.sum(P * grad)
        return float(max(np.sum(P * grad**2) - mean**2, 0.0)) if k else float("nan")


def macro_f1_plan(confusion) -> MacroF1Plan:
    """Validate a confusion table (rows: true class, columns: predicted class) and plan macro-F1 from it.

    Raises ValueError naming ``confusion`` when the table is not square, has fewer than 2 classes, or holds
    negative, missing or no counts.
    """
    try:
        table = np.asarray(getattr(confusion, "to_numpy", lambda: confusion)(), dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"confusion must be a square table of counts or shares (e.g. pd.crosstab(y_true, "
                         f"y_pred)); got {type(confusion).__name__}") from None
    if table.ndim != 2 or table.shape[0] != table.shape[1] or table.shape[0] < 2:
        raise ValueError(f"confusion must be a square table with one row and one column per class (at least 2); "
                         f"got shape {table.shape}. Fix: pd.crosstab(y_true, y_pred) with every class on both axes")
    if not np.isfinite(table).all() or (table < 0).any() or table.sum() <= 0:
        raise ValueError("confusion must hold non-negative, finite counts or shares with a positive total")
    if hasattr(confusion, "index") and hasattr(confusion, "columns") and list(confusion.index) != list(confusion.columns):
        raise ValueError(f"confusion's rows {list(confusion.index)} and columns {list(confusion.columns)} must be "
                         "the same classes in the same order. Fix: .reindex(index=classes, columns=classes, "
                         "fill_value=0)")
    return MacroF1Plan(table)


def confusion_table(frame, target: str, prediction: str | None = None, class_scores: dict | None = None):
    """The labelled rows' confusion table (rows: true class, columns: predicted class, every class on both
    axes), for ``labels_needed("macro_f1", ..., confusion=...)``. Without ``prediction`` the predicted class
    is the argmax of ``class_scores`` (``{class: probability column}``), as :func:`toolkit.performance` takes it.

    >>> import pandas as pd
    >>> f = pd.DataFrame({"y": ["a", "b", "b", "c"], "p_a": [.8, .1, .2, .1], "p_b": [.1, .8, .3, .2],
    ...                   "p_c": [.1, .1, .5, .7]})
    >>> confusion_table(f, "y", class_scores={"a": "p_a", "b": "p_b", "c": "p_c"}).to_numpy().tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    import pandas as pd

    if target not in frame:
        raise ValueError(f"target column {target!r} is not in the frame; columns: {list(frame.columns)[:10]}")
    if prediction is not None:
        if prediction not in frame:
            raise ValueError(f"prediction column {prediction!r} is not in the frame")
        pred = frame[prediction]
    elif class_scores:
        missing = [c for c in class_scores.values() if c not in frame]
        if missing:
            raise ValueError(f"class_scores columns {missing} are not in the frame")
        labels = list(class_scores)
        scores = frame[list(class_scores.values())].to_numpy(dtype=float)
        ok = ~np.isnan(scores).any(axis=1)
        pred = pd.Series(np.asarray(labels, dtype=object)[np.where(ok, np.nanargmax(np.where(ok[:, None], scores, 0),
                                                                               axis=1), 0)],
                         index=frame.index).where(ok)
    else:
        raise ValueError("confusion_table needs prediction= (the predicted class column) or class_scores= "
                         "({class: probability column})")
    keep = frame[target].notna() & pred.notna()
    y, pred = frame[target][keep], pred[keep]
    classes = sorted(set(y.tolist()) | set(pred.tolist()), key=str)
    return pd.crosstab(y, pred).reindex(index=classes, columns=classes, fill_value=0)
