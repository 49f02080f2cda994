"""Realized performance from labelled rows, per window, with intervals and the change from a reference.

:func:`performance` is the public entry point (its docstring and :class:`PerformanceReport`'s have
examples); :func:`prepare` and :func:`measure` are the measurement kernel that the label-free
estimate, the attribution and the fallback analysis share.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Unpack

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_columns, preview
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html
from .._compat import renamed_arguments
from ..spec import ModelSpec, RoleOverrides
from .measure import (Roles, assign_windows, binary_target, check_probabilities, design_weights, fmt_int,
                      numeric_column, resolve_roles, shared_doc)
from .intervals import (auc_interval, bca_interval, delong, hanley_mcneil_variance, jackknife_weights,
                        percentile_interval, studentized_ratio_interval, wilson, z_value)

#: metrics whose bootstrap interval is studentized (continuous losses: skewed, BCa under-covers them at
#: n = 50); bounded proportions (accuracy, precision, recall, F1) keep BCa, which a bootstrap-t makes too wide
STUDENTIZED = ("brier", "log_loss", "mae", "rmse", "mape")
from .metrics import (DEFAULT_METRICS, HIGHER_IS_BETTER, METRICS_BY_TASK, PROPORTIONS, SCORE_METRICS,
                      BinaryKernel, MulticlassKernel, RegressionKernel, bootstrap_counts)
from ..results import WindowedResult

__all__ = ["performance", "PerformanceReport", "Prepared", "Measure", "prepare", "measure", "resolve_metrics"]

FRAME_COLUMNS = [
    "window", "window_start", "metric", "value", "lower", "upper", "n", "n_positive", "n_rows", "weighted",
    "method", "baseline", "delta_vs_baseline", "delta_lower", "delta_upper", "delta_p_value", "degraded", "note",
]


# -- preparation -----------------------------------------------------------------------------------

@dataclasses.dataclass
class Prepared:
    """Arrays for every row of one frame, aligned by position (private working state)."""

    roles: Roles
    y: np.ndarray                 # binary: 0/1 float; multiclass: int codes (-1 missing); regression: float
    labelled: np.ndarray          # bool
    score: np.ndarray | None
    prediction: np.ndarray | None
    weights: np.ndarray
    weight_column: str | None
    classes: list | None = None

    @property
    def n_rows(self) -> int:
        return len(self.labelled)


def resolve_metrics(metric: str | Sequence[str] | None, task: str) -> tuple[str, ...]:
    """Validate ``metric`` for the task: a name, a list of names, 'all' or None (the task's defaults)."""
    allowed = METRICS_BY_TASK[task]
    if metric is None:
        return DEFAULT_METRICS[task]
    if isinstance(metric, str):
        metric = list(allowed) if metric == "all" else [metric]
    out = []
    for m in metric:
        if m not in allowed:
            raise ValueError(f"metric must be one of {list(allowed)} (or 'all') for a {task} task; got {m!r}")
        if m not in out:
            out.append(m)
    if not out:
        raise ValueError(f"metric is empty; pick from {list(allowed)}")
    return tuple(out)


def prepare(frame: pd.DataFrame, roles: Roles, metrics: Sequence[str], inclusion_prob: str | None,
            name: str = "labelled", classes: list | None = None, class_scores: dict | None = None) -> Prepared:
    """Validate the role columns of ``frame`` and turn them into arrays.

    Multiclass without a prediction column: the predicted class is the argmax of ``class_scores``
    (``{class: probability column}``); rows with a missing class score have no prediction."""
    r = roles
    check_columns(name, frame, [r.target])
    needs_score = r.task == "binary" and any(m in SCORE_METRICS for m in metrics)
    needs_pred = any(m not in SCORE_METRICS for m in metrics) or r.task != "binary"
    score = prediction = None
    if r.task == "binary":
        y = binary_target(frame[r.target], r.positive_label, r.target)
        labelled = ~np.isnan(y)
        if needs_score or (needs_pred and r.prediction is None):
            if r.score is None:
                which = [m for m in metrics if m in SCORE_METRICS] or ["label metrics without a prediction column"]
                raise ValueError(f"{preview(which)} need a score column; pass score='churn_score' "
                                 "(or set spec.score)")
            check_columns(name, frame, [r.score])
            score = numeric_column(frame, r.score, name, "score")
            check_probabilities(score, r.score, name)
        if needs_pred:
            if r.prediction is not None:
                check_columns(name, frame, [r.prediction])
                raw = frame[r.prediction]
                distinct = pd.unique(raw.dropna())
                if len(distinct) > 2:
                    raise ValueError(f"prediction column {r.prediction!r} has {len(distinct)} values "
                                     f"({preview(distinct)}); a binary task expects two")
                prediction = np.where(raw.isna().to_numpy(), np.nan, (raw == r.positive_label).to_numpy(dtype=float))
            else:
                prediction = np.where(np.isnan(score), np.nan, (score >= r.threshold).astype(float))
    elif r.task == "multiclass":
        pred_col = r.prediction
        if pred_col is None and not class_scores:
            raise ValueError("a multiclass task needs the predicted class: pass prediction='predicted_class', or "
                             "class_scores={class: probability column, ...} to predict the most probable class")
        if pred_col is None:
            if not isinstance(class_scores, dict):
                raise TypeError(f"class_scores must be a dict {{class: column}}; got {type(class_scores).__name__}")
            cols = list(class_scores.values())
            check_columns(name, frame, cols)
            P = np.column_stack([numeric_column(frame, c, name, "class score") for c in cols])
            missing = np.isnan(P).any(axis=1)
            best = np.asarray(list(class_scores), dtype=object)[np.nan_to_num(P, nan=-np.inf).argmax(axis=1)]
            pv = pd.Series(np.where(missing, None, best), index=frame.index, dtype=object)
        else:
            check_columns(name, frame, [pred_col])
            pv = frame[pred_col]
        yv = frame[r.target]
        if classes is None:
            classes = sorted(set(yv.dropna().tolist()) | set(pv.dropna().tolist()), key=str)
        code = {c: i for i, c in enumerate(classes)}
        y = yv.map(code).to_numpy(dtype=float, na_value=np.nan)
        labelled = yv.notna().to_numpy()
        unknown = labelled & np.isnan(y)
        if unknown.any():
            raise ValueError(f"target {r.target!r} has classes not seen in the reference "
                             f"({preview(yv[unknown].unique())})")
        y = np.where(np.isnan(y), -1, y).astype(np.int64)
        prediction = pv.map(code).to_numpy(dtype=float, na_value=np.nan)
    else:
        y = numeric_column(frame, r.target, name, "target")
        labelled = ~np.isnan(y)
        pred_col = r.prediction or r.score
        if pred_col is None:
            raise ValueError("a regression task needs the model's prediction; pass prediction='predicted_value'")
        check_columns(name, frame, [pred_col])
        prediction = numeric_column(frame, pred_col, name, "prediction")
    weights, wcol = design_weights(frame, inclusion_prob, labelled, name=name)
    return Prepared(roles=r, y=y, labelled=labelled, score=score, prediction=prediction, weights=weights,
                    weight_column=wcol, classes=classes)


# -- one metric on one set of rows ----------------------------------------------------------------------

@dataclasses.dataclass
class Measure:
    """One metric on one window: value, interval, standard error and the rows behind it."""

    metric: str
    value: float = np.nan
    lower: float = np.nan
    upper: float = np.nan
    se: float = np.nan
    n: int = 0
    n_positive: int | None = None
    n_denominator: float = np.nan
    weighted: bool = False
    method: str = ""
    notes: list = dataclasses.field(default_factory=list)
    boot: np.ndarray | None = None
    approximate: bool = False      # the interval may not reach its level (see notes)


def _kernel(prep: Prepared, rows: np.ndarray):
    task = prep.roles.task
    if task == "binary":
        s = None if prep.score is None else prep.score[rows]
        p = None if prep.prediction is None else prep.prediction[rows]
        return BinaryKernel(score=s, prediction=p)
    if task == "multiclass":
        return MulticlassKernel(prep.prediction[rows].astype(np.int64), len(prep.classes))
    return RegressionKernel(prep.prediction[rows])


def usable_rows(prep: Prepared, rows: np.ndarray, metric: str) -> tuple[np.ndarray, list[str]]:
    """Labelled rows of ``rows`` that have what ``metric`` needs; notes say what was left out."""
    notes = []
    lab = rows[prep.labelled[rows]]
    if prep.score is not None and prep.roles.task == "binary":  # sorted by score: the AUC kernel skips a copy
        lab = lab[np.argsort(prep.score[lab], kind="stable")]
    if prep.roles.task == "binary" and metric in SCORE_METRICS:
        values, what = prep.score, f"missing score ({prep.roles.score!r})"
    else:
        values, what = prep.prediction, "missing prediction"
    missing = np.isnan(values[lab])
    if missing.any():
        notes.append(f"{fmt_int(missing.sum())} labelled rows with {what} excluded")
        lab = lab[~missing]
    return lab, notes


def measure(prep: Prepared, rows: np.ndarray, metric: str, *, level: float = 0.95, n_boot: int = 1000,
            rng: np.random.Generator | None = None, keep_boot: bool = True, force_bootstrap: bool = False,
            interval: bool | str = True) -> Measure:
    """Value, interval and standard error of ``metric`` over ``rows`` (positions into ``prep``);
    ``interval=False`` computes the value (and notes) only; ``interval="se"`` the value and its standard
    error (the same analytic or bootstrap SE, without the BCa jackknife and interval built on it).

    Bootstrap resamples are drawn and evaluated in chunks of
    :data:`~toolkit.outcomes.counts.CHUNK_CELLS` entries (the same seeded draws as any block size)."""
    from .counts import CHUNK_CELLS

    rng = rng if rng is not None else np.random.default_rng(0)
    rows, notes = usable_rows(prep, np.asarray(rows, dtype=np.int64), metric)
    task = prep.roles.task
    out = Measure(metric=metric, n=len(rows), notes=notes)
    if len(rows) == 0:
        out.notes.append("no usable labelled rows in window" if notes else "no labels in window")
        return out
    y, w = prep.y[rows], prep.weights[rows]
    out.weighted = bool(np.any(w != 1.0))
    if task == "binary":
        out.n_positive = int(y.sum())
    kernel = _kernel(prep, rows)
    value = float(kernel(metric, y, w)[0])
    if task == "binary":
        n_pos, n_neg = out.n_positive, len(rows) - out.n_positive
        if metric == "roc_auc" and (n_pos == 0 or n_neg == 0):
            out.notes.append("only one class in window: AUC undefined")
            return out
        pred = kernel.prediction
        if metric == "precision" and (pred is None or pred.sum() == 0):
            out.notes.append("no predicted positives: precision undefined")
            return out
        if metric in ("recall",) and n_pos == 0:
            out.notes.append("no positive labels: recall undefined")
            return out
        if metric == "f1" and n_pos == 0 and (pred is None or pred.sum() == 0):
            out.notes.append("no positives and no predicted positives: f1 undefined")
            return out
    if task == "regression" and metric == "mape":
        zero = int((y == 0).sum())
        if zero:
            out.notes.append(f"{fmt_int(zero)} rows with target 0 left out of MAPE")
        if zero == len(rows):
            return out
    out.value = value
    if not interval:
        return out
    analytic = not out.weighted and not force_bootstrap
    if analytic and task == "binary" and metric == "roc_auc":
        _, var = delong(kernel.score, y)
        out.se = float(np.sqrt(var[0]))
        low, high = auc_interval(value, out.se, level, n_positive=n_pos, n_negative=n_neg)
        out.lower, out.upper, out.method = float(low), float(high), "DeLong"
        if n_pos < 2 or n_neg < 2:
            out.notes.append("fewer than 2 rows in a class: no DeLong variance")
    elif analytic and ((task == "binary" and metric in PROPORTIONS) or (task == "multiclass" and metric == "accuracy")):
        if task == "multiclass" or metric == "accuracy":
            den = len(rows)
        elif metric == "precision":
            den = float(kernel.prediction.sum())
        else:
            den = float(y.sum())
        k = value * den
        low, high = wilson(k, den, level)
        out.lower, out.upper, out.method = float(low), float(high), "Wilson"
        out.se = float(np.sqrt(value * (1 - value) / den))
        out.n_denominator = den
    elif task == "binary" and metric == "ece":
        # the binned ECE is biased upward by about sqrt(bins / n) (a calibrated model never reads 0), so a
        # bootstrap of it is not a confidence interval for the true calibration error: descriptive only
        out.method = "descriptive (no interval)"
        out.notes.append("ECE is biased upward at small n and has no valid interval here; compare it only "
                         "between windows of similar size")
        return out
    else:
        terms = kernel.ratio_terms(metric, y) if metric in STUDENTIZED else None
        if terms is not None:
            # a ratio of weighted sums (a Hajek mean): bootstrap-t, each resample studentized by its own
            # delta-method SE; corrects the skew of losses that BCa leaves at small n
            a, b, transform = terms
            out.lower, out.upper, _, boot = studentized_ratio_interval(
                a, b, w, bootstrap_counts(len(rows), n_boot, rng, CHUNK_CELLS), level, transform)
            out.method = "weighted studentized bootstrap" if out.weighted else "studentized bootstrap"
            # RMSE rests on the squared errors (skew ~ the errors' kurtosis) and MAPE on |error| / |target|
            # (unbounded when targets come near 0): with heavy tails no bootstrap reaches 95% at n = 50-200
            # (bench/RESULTS-calibration-outcomes.md), so say so
            need = _cochran_n(a, b, w) if metric in ("rmse", "mape") else 0.0
            n_eff = w.sum() ** 2 / np.sum(w**2)
            if n_eff < need:
                out.approximate = True
                out.notes.append(f"interval approximate, may under-cover: the per-row losses are heavy-tailed and "
                                 f"{fmt_int(n_eff)} labels are fewer than the {fmt_int(need)} Cochran's rule asks "
                                 "(25 x skewness^2)")
        elif task == "binary" and metric == "roc_auc":
            # weighted AUC: BCa collapses to [1, 1] when the sample AUC is 1; the boundary-safe logit interval
            # (bootstrap SE, Kish effective class sizes) does not
            boot = np.concatenate([kernel(metric, y, counts * w)
                                   for counts in bootstrap_counts(len(rows), n_boot, rng, CHUNK_CELLS)])
            if interval == "se":
                out.method = "weighted bootstrap SE" if out.weighted else "bootstrap SE"
            else:
                bca = bca_interval(boot, value, kernel(metric, y, jackknife_weights(w, rng)), level)
                pos, neg = w[y == 1], w[y == 0]
                weighted_auc_interval(out, value, boot, bca, level, pos.sum() ** 2 / np.sum(pos**2),
                                      neg.sum() ** 2 / np.sum(neg**2))
        else:
            boot = np.concatenate([kernel(metric, y, counts * w)
                                   for counts in bootstrap_counts(len(rows), n_boot, rng, CHUNK_CELLS)])
            if interval == "se":
                out.method = "weighted bootstrap SE" if out.weighted else "bootstrap SE"
            else:
                jack = kernel(metric, y, jackknife_weights(w, rng))
                out.lower, out.upper = bca_interval(boot, value, jack, level)
                out.method = "weighted BCa bootstrap" if out.weighted else "BCa bootstrap"
            n_eff = w.sum() ** 2 / np.sum(w**2)
            if metric == "macro_f1" and out.weighted and n_eff < 100:
                # a mean of per-class ratios, several with a handful of weighted rows: simulated coverage 77% at
                # n = 50 with audit weights (97% at n = 200)
                out.approximate = True
                out.notes.append(f"interval approximate, may under-cover: weighted macro-F1 from an effective "
                                 f"{n_eff:.0f} labels (< 100)")
        out.se = float(np.nanstd(boot, ddof=1))
        if keep_boot:
            out.boot = boot
        if task == "binary" and metric in PROPORTIONS:
            out.n_denominator = float({"accuracy": len(rows), "recall": y.sum(),
                                       "precision": np.nansum(kernel.prediction)}[metric])
    if out.weighted:
        out.notes.append(f"weighted by 1/{prep.weight_column} (Hajek estimator)")
    if len(rows) < 30:
        out.notes.append("fewer than 30 labels: interval approximate")
    return out


def weighted_auc_interval(out: Measure, value: float, boot: np.ndarray, bca: tuple[float, float], level: float,
                          m_eff: float, k_eff: float) -> None:
    """Set ``out``'s interval for a weighted AUC: the union of the BCa interval and the boundary-safe logit
    interval (bootstrap SE, Kish effective class sizes ``m_eff``, ``k_eff``)."""
    l_low, l_high = auc_interval(value, float(np.nanstd(boot, ddof=1)), level, n_positive=m_eff, n_negative=k_eff)
    # the union: BCa under-covers near AUC 1 (84% at 0.99, n=50) and the logit interval at
    # moderate AUC (90% at 0.8, n=50); together they hold 95% in both (conservative)
    out.lower, out.upper = float(np.fmin(bca[0], l_low)), float(np.fmax(bca[1], l_high))
    out.method = "weighted bootstrap (BCa and logit-SE union)"
    if min(m_eff, k_eff) < 30:
        out.approximate = True
        out.notes.append(f"interval approximate: weighted AUC with an effective {min(m_eff, k_eff):.0f} rows "
                         "in the smaller class (< 30); simulated coverage 92-99% instead of 95%")


def _cochran_n(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    """Labels Cochran's rule (n > 25 G1^2) asks for before the mean of the per-row terms is close to
    normal, with G1 the skewness of the linearised terms ``w (a - theta b)``."""
    theta = np.sum(w * a) / np.sum(w * b)
    u = w * (a - theta * b)
    u = u - u.mean()
    m2 = np.mean(u**2)
    if m2 <= 0:
        return 0.0
    g1 = np.mean(u**3) / m2**1.5
    return float(25 * g1**2)


def compare(cur: Measure, base: Measure, level: float) -> tuple[float, float, float, float]:
    """Difference ``cur - base`` of two independent measures: delta, lower, upper, two-sided p-value."""
    if np.isnan(cur.value) or np.isnan(base.value):
        return (np.nan,) * 4
    delta = cur.value - base.value
    if cur.boot is not None and base.boot is not None:
        m = min(cur.boot.size, base.boot.size)
        diff = cur.boot[:m] - base.boot[:m]
        low, high = percentile_interval(diff, level)
        se = float(np.nanstd(diff, ddof=1))
    else:
        se = float(np.hypot(cur.se, base.se))
        z = z_value(level)
        low, high = delta - z * se, delta + z * se
    p = _p_value(delta, se)
    return delta, low, high, p


def compare_fixed(cur: Measure, value: float) -> tuple[float, float, float, float]:
    """Difference from a fixed baseline value; score test for proportions, Hanley-McNeil for AUC."""
    if np.isnan(cur.value):
        return (np.nan,) * 4
    delta = cur.value - value
    if cur.method == "Wilson" and 0 < value < 1:
        se = np.sqrt(value * (1 - value) / cur.n_denominator)
    elif cur.method == "DeLong" and 0 < value < 1:
        se = np.sqrt(hanley_mcneil_variance(value, cur.n_positive, cur.n - cur.n_positive))
    else:
        se = cur.se
    p = _p_value(delta, se)
    return delta, cur.lower - value, cur.upper - value, p


def _p_value(delta: float, se: float) -> float:
    """Two-sided normal p-value; NaN when there is no standard error (a descriptive figure such as ECE)."""
    if np.isnan(se):
        return np.nan
    return float(2 * stats.norm.sf(abs(delta) / se)) if se > 0 else (0.0 if delta != 0 else 1.0)


# -- the public function -------------------------------------------------------------------------------

@renamed_arguments(labelled="production", baseline="reference", n_boot="n_resamples")
@shared_doc
def performance(
    production: pd.DataFrame,
    spec: ModelSpec | None = None,
    *,
    metric: str | Sequence[str] | None = None,
    by: str | int | None = None,
    reference: pd.DataFrame | float | dict | None = None,
    inclusion_prob: str | None = "auto",
    level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int = 0,
    class_scores: dict | None = None,
    **roles: Unpack[RoleOverrides],
) -> "PerformanceReport":
    """Realized performance per window from labelled rows, each figure with a confidence interval.

    Rows whose target is missing (labels not arrived yet) are counted in ``n_rows`` and otherwise
    ignored. When the labelled rows are a non-uniform sample (an audit that over-samples high
    scores) each row is weighted by ``1 / inclusion_prob`` (Hajek estimator: weighted proportions,
    weighted AUC over positive-negative pairs) and the interval comes from a weighted bootstrap.

    Parameters
    ----------
    production
        Rows with the target, all windows (e.g. the ``joined`` frame of :func:`toolkit.join_labels`);
        or, for a binary model, :class:`~toolkit.outcomes.counts.OutcomeCounts` from
        :func:`toolkit.engines.outcome_counts` (the label join and counts done in DuckDB or Spark: same
        figures, every labelled row, bounded memory); files or tables of a binary model whose target is
        in them are counted that way too. Regression and multiclass figures need the rows.
    {roles}
    metric
        One name, a list, or 'all'. Binary: roc_auc, accuracy, precision, recall, f1, log_loss,
        brier, ece. Multiclass: accuracy, macro_f1. Regression: mae, rmse, mape. Default: the
        task's first two.
    {by}
    reference
        What each window is compared with: the labelled reference frame (same roles; its own
        interval enters the difference) or its OutcomeCounts, a number, or a ``{metric: value}`` dict.
    {inclusion_prob}
    {level}
    {n_resamples}
    class_scores
        Multiclass without a prediction column: ``{class: probability column}``; the predicted class
        is the most probable one.

    Returns
    -------
    PerformanceReport
        ``to_frame()`` has one row per window and metric: window, window_start, metric, value,
        lower, upper, n (labels used), n_positive, n_rows (rows in the window), weighted, method
        (Wilson, DeLong, BCa bootstrap, weighted BCa bootstrap, or "descriptive (no interval)" for
        ECE), baseline, delta_vs_baseline,
        delta_lower, delta_upper, delta_p_value (two-sided), degraded (significantly worse than
        baseline at ``1 - level``), note.

    Notes
    -----
    Intervals: Wilson for accuracy, precision and recall; DeLong on the logit scale for ROC AUC, with
    a continuity-adjusted centre and a Hanley-McNeil variance floor that keep it valid when the
    sample AUC is 1 or a class is small; BCa bootstrap (bias-corrected and accelerated, with a
    jackknife acceleration) otherwise and for weighted data. ECE is shown without an interval: the
    binned estimate is biased upward at small n, so a bootstrap of it does not cover the truth. Differences from a baseline frame are Wald differences of two
    independent estimates (or the bootstrap distribution of the difference); from a fixed value,
    a score test for proportions and the Hanley-McNeil variance for AUC. An AUC with only one
    class in the window is NaN with a note, never 0.5.

    Binary metrics are computed from cells of identical (label, score, prediction, inclusion
    probability), which gives the row-level figures exactly; the bootstrap resamples the cells
    multinomially, the same distribution as a row bootstrap (:mod:`toolkit.outcomes.counts`). That
    is what makes pandas, DuckDB and Spark agree to the last digit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(1)
    >>> p = rng.random(400)
    >>> frame = pd.DataFrame({"p": p, "y": (rng.random(400) < p).astype(int)})
    >>> perf = tk.performance(frame, target="y", score="p", metric="roc_auc", reference=0.85)
    >>> row = perf.to_frame().iloc[0]
    >>> round(float(row.value), 3), round(float(row.lower), 3), round(float(row.upper), 3), row.method
    (0.836, 0.794, 0.871, 'DeLong')
    >>> round(float(row.delta_vs_baseline), 3), round(float(row.delta_p_value), 2)
    (-0.014, 0.47)
    """
    from ..engines import is_source
    from .counts import Cells, OutcomeCounts

    if isinstance(production, OutcomeCounts):  # aggregates from an engine (toolkit.engines.outcome_counts)
        return _performance_from_counts(production, spec, metric, reference, inclusion_prob, level, n_resamples,
                                        random_state, roles)
    if is_source(production) or is_source(reference):  # files, DuckDB, Spark: read only the role columns
        from ..engines import read_columns

        named = resolve_roles(None, spec, require=(), caller="performance", **roles)
        if named.task == "binary" and is_source(production) and not class_scores and not isinstance(by, int):
            # a binary model's labelled logs: counted where they live (every row, bounded memory)
            from ..engines import outcome_counts

            kw = {k: v for k, v in roles.items() if k in ("target", "score", "prediction", "positive_label",
                                                          "threshold", "timestamp")}
            counts = outcome_counts(production, None, spec, window=by, inclusion_prob=inclusion_prob, progress=False,
                                    **kw)
            if is_source(reference):
                reference = outcome_counts(reference, None, spec, window=None, inclusion_prob=inclusion_prob,
                                           progress=False, **kw)
            return _performance_from_counts(counts, spec, metric, reference, inclusion_prob, level, n_resamples,
                                            random_state, roles)
        wanted = [named.target, named.score, named.prediction, named.timestamp, by,
                  "inclusion_prob" if inclusion_prob == "auto" else inclusion_prob]
        wanted += list((class_scores or {}).values())
        production = read_columns(production, wanted) if is_source(production) else production
        reference = read_columns(reference, wanted) if is_source(reference) else reference
    roles = resolve_roles(production, spec, name="production", caller="performance", **roles)
    metrics = resolve_metrics(metric, roles.task)
    _check_level(level)
    class_scores = class_scores if class_scores is not None else getattr(spec, "class_scores", None)
    prep = prepare(production, roles, metrics, inclusion_prob, class_scores=class_scores)
    labels, windows = assign_windows(production, by, roles.timestamp)
    rng = np.random.default_rng(random_state)
    positions = pd.Series(np.arange(len(production))).groupby(labels.to_numpy()).indices
    rows_of = {w: positions.get(w, np.array([], dtype=np.int64)) for w in windows["window"]}
    windows = windows.assign(n_rows=[len(rows_of[w]) for w in windows["window"]])

    if roles.task == "binary":
        # one code path with the engines: the rows become cells, measured by toolkit.outcomes.counts
        cells = frame_cells(production, prep)
        window_cells = {w: cells(r) for w, r in rows_of.items()}
        base_cells = None
        if isinstance(reference, pd.DataFrame):
            base_prep = prepare(reference, roles, metrics, inclusion_prob, name="reference")
            base_cells = frame_cells(reference, base_prep)(np.arange(base_prep.n_rows))
        report = _report_from_cells(window_cells, windows, base_cells, reference, metrics, level, n_resamples, rng,
                                    roles, by, prep.weight_column)
        return dataclasses.replace(report, engine_note=_pandas_note(prep))

    base_measures, base_values, baseline_kind = {}, {}, _baseline_kind(reference, metrics)
    if baseline_kind == "frame":
        base_prep = prepare(reference, roles, metrics, inclusion_prob, name="reference", classes=prep.classes,
                            class_scores=class_scores)
        rows = np.arange(base_prep.n_rows)
        for m in metrics:
            base_measures[m] = measure(base_prep, rows, m, level=level, n_boot=n_resamples, rng=rng)
            base_values[m] = base_measures[m].value
    elif baseline_kind == "value":
        base_values = _fixed_values(reference, metrics)

    def measure_one(window, m):
        return measure(prep, rows_of[window], m, level=level, n_boot=n_resamples, rng=rng,
                       keep_boot=baseline_kind == "frame")

    report = _assemble(windows, measure_one, metrics, base_measures, base_values, baseline_kind, level, roles.task,
                       by, prep.weight_column)
    return dataclasses.replace(report, engine_note=_pandas_note(prep))


def _pandas_note(prep: Prepared) -> str:
    return (f"Realized performance computed in memory (pandas) on the {int(prep.labelled.sum()):,} labelled rows of "
            f"the {prep.n_rows:,} rows given.")


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")


def _baseline_kind(reference, metrics) -> str | None:
    """'frame' (labelled rows or their counts), 'value' (a number or a dict) or None; checks the type."""
    from .counts import OutcomeCounts

    if isinstance(reference, (pd.DataFrame, OutcomeCounts)):
        return "frame"
    if isinstance(reference, (dict, int, float, np.floating)) and not isinstance(reference, bool):
        return "value"
    if reference is not None:
        raise TypeError(f"reference must be a labelled DataFrame, a number or a dict; got {type(reference).__name__}")
    return None


def _fixed_values(reference, metrics) -> dict[str, float]:
    if isinstance(reference, dict):
        unknown = sorted(set(reference) - set(metrics))
        if unknown:
            raise ValueError(f"reference has metric(s) {unknown} that were not requested; metrics are {list(metrics)}")
        return {m: float(v) for m, v in reference.items()}
    if len(metrics) > 1:
        raise ValueError(f"a single reference number needs a single metric; got metrics {list(metrics)}. "
                         "Pass reference={'roc_auc': 0.84, ...}")
    return {metrics[0]: float(reference)}


def frame_cells(frame: pd.DataFrame, prep: Prepared):
    """``rows -> Cells`` of a binary frame: label, score, predicted label and the raw inclusion probability
    (weights are ``1 / inclusion_prob``, computed from the cells exactly as from the rows)."""
    from .counts import Cells

    pi = np.ones(prep.n_rows)
    if prep.weight_column is not None:
        pi = np.where(prep.labelled, pd.to_numeric(frame[prep.weight_column], errors="coerce").to_numpy(dtype=float),
                      1.0)

    def cells(rows: np.ndarray) -> "Cells":
        rows = rows[prep.labelled[rows]]
        return Cells.from_rows(prep.y[rows], None if prep.score is None else prep.score[rows],
                               None if prep.prediction is None else prep.prediction[rows], pi[rows])

    return cells


def _report_from_cells(window_cells: dict, windows: pd.DataFrame, base_cells, reference, metrics, level: float,
                       n_resamples: int, rng, roles, by, weight_column) -> "PerformanceReport":
    """The binary report from cells per window (pandas rows and engine aggregates alike, in one order).

    The metrics of one window (and of the baseline) share their bootstrap resamples
    (:func:`~toolkit.outcomes.counts.measure_cells_many`): one draw per window instead of one per metric."""
    from .counts import measure_cells_many

    baseline_kind = _baseline_kind(reference, metrics)
    kw = dict(level=level, n_boot=n_resamples, rng=rng, score_name=roles.score, weight_column=weight_column)
    base_measures, base_values = {}, {}
    if baseline_kind == "frame":
        base_measures = measure_cells_many(base_cells, metrics, **kw)
        base_values = {m: base_measures[m].value for m in metrics}
    elif baseline_kind == "value":
        base_values = _fixed_values(reference, metrics)
    measured: dict = {}

    def measure_one(window, m):
        if window not in measured:  # _assemble asks window by window: one window's measures are held at a time
            measured.clear()
            measured[window] = measure_cells_many(window_cells[window], metrics,
                                                  keep_boot=baseline_kind == "frame", **kw)
        return measured[window][m]

    return _assemble(windows, measure_one, metrics, base_measures, base_values, baseline_kind, level, "binary", by,
                     weight_column)


def _performance_from_counts(counts, spec, metric, reference, inclusion_prob, level, n_resamples, random_state,
                             roles) -> "PerformanceReport":
    """:func:`performance` of :class:`~toolkit.outcomes.counts.OutcomeCounts` (binary models)."""
    from .counts import OutcomeCounts

    named = resolve_roles(None, spec, require=(), caller="performance", **roles)
    metrics = resolve_metrics(metric, "binary")
    _check_level(level)
    base_cells = None
    if isinstance(reference, OutcomeCounts):
        base_cells = reference.merged()
    elif isinstance(reference, pd.DataFrame):
        base_roles = resolve_roles(reference, spec, name="reference", caller="performance", **roles)
        base_prep = prepare(reference, base_roles, metrics, inclusion_prob, name="reference")
        base_cells = frame_cells(reference, base_prep)(np.arange(base_prep.n_rows))
    report = _report_from_cells(counts.cells, counts.windows[["window", "window_start", "n_rows"]], base_cells,
                                reference, metrics, level, n_resamples, np.random.default_rng(random_state), named,
                                counts.by, counts.weight_column)
    return dataclasses.replace(report, engine=counts.engine, engine_note=counts.note)


def _assemble(windows: pd.DataFrame, measure_one, metrics, base_measures, base_values, baseline_kind, level, task,
              by, weight_column) -> "PerformanceReport":
    """Measure every window and metric in order (the seeded draws follow this order) and build the report."""
    records = []
    for window, start, n_rows in zip(windows["window"], windows["window_start"], windows["n_rows"]):
        for m in metrics:
            res = measure_one(window, m)
            base_value = base_values.get(m, np.nan)
            if baseline_kind == "frame":
                delta = compare(res, base_measures[m], level)
            elif m in base_values:
                delta = compare_fixed(res, base_value)
            else:
                delta = (np.nan,) * 4
            worse = delta[0] < 0 if HIGHER_IS_BETTER[m] else delta[0] > 0
            records.append({
                "window": window, "window_start": start, "metric": m, "value": res.value, "lower": res.lower,
                "upper": res.upper, "n": res.n, "n_positive": res.n_positive, "n_rows": int(n_rows),
                "weighted": res.weighted, "method": res.method, "baseline": base_value,
                "delta_vs_baseline": delta[0], "delta_lower": delta[1], "delta_upper": delta[2],
                "delta_p_value": delta[3], "degraded": bool(worse and delta[3] < 1 - level),
                "note": "; ".join(res.notes),
            })
    frame = pd.DataFrame.from_records(records, columns=FRAME_COLUMNS)
    frame["n_positive"] = frame["n_positive"].astype("Int64")
    base_frame = pd.DataFrame([
        {"metric": m, "value": base_values.get(m, np.nan),
         "lower": base_measures[m].lower if m in base_measures else np.nan,
         "upper": base_measures[m].upper if m in base_measures else np.nan,
         "n": base_measures[m].n if m in base_measures else pd.NA,
         "method": base_measures[m].method if m in base_measures else ("fixed" if m in base_values else "")}
        for m in metrics if m in base_values
    ], columns=["metric", "value", "lower", "upper", "n", "method"])
    return PerformanceReport(frame=frame, metrics=metrics, task=task, level=level, baseline=base_frame,
                             by=by, weight_column=weight_column)


@dataclasses.dataclass(frozen=True)
class PerformanceReport(WindowedResult):
    """Realized performance per window and metric (see :func:`performance` for the columns).

    Attributes
    ----------
    metrics
        Metric names, in order.
    baseline
        Frame ``metric, value, lower, upper, n, method`` (empty without a baseline).
    degraded
        ``(window, metric)`` pairs significantly worse than the baseline.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(5)
    >>> p = rng.random(500)
    >>> y = np.where(np.arange(500) < 250, rng.random(500) < p, rng.random(500) < 0.5).astype(int)
    >>> frame = pd.DataFrame({"half": np.repeat(["first", "second"], 250), "p": p, "y": y})
    >>> perf = tk.performance(frame, target="y", score="p", metric="roc_auc", by="half", reference=0.8)
    >>> perf.degraded
    [('second', 'roc_auc')]
    >>> round(perf.value("roc_auc", "first")["value"], 3)
    0.846
    """

    frame: pd.DataFrame
    metrics: tuple[str, ...]
    task: str
    level: float
    baseline: pd.DataFrame
    by: str | None = None
    weight_column: str | None = None
    #: where the figures were computed: 'pandas' (rows in memory), 'duckdb' or 'spark' (aggregates)
    engine: str = "pandas"
    #: one sentence on how (engine, rows, label join), printed by the report
    engine_note: str = ""

    @property
    def degraded(self) -> list[tuple[str, str]]:
        rows = self.frame[self.frame["degraded"]]
        return list(zip(rows["window"], rows["metric"]))

    def value(self, metric: str | None = None, window: str | None = None) -> dict:
        """The row for one window and metric as a dict (defaults: the first metric, the last window)."""
        metric = metric or self.metrics[0]
        if metric not in self.metrics:
            raise ValueError(f"metric must be one of {list(self.metrics)}; got {metric!r}")
        rows = self.frame[self.frame["metric"] == metric]
        if window is None:
            return rows.iloc[-1].to_dict()
        hit = rows[rows["window"] == str(window)]
        if hit.empty:
            raise KeyError(f"no window {window!r}; windows are {preview(self.windows)}")
        return hit.iloc[0].to_dict()

    def chart(self, estimate=None, metric: str | None = None):
        """Realized value per window with its interval band, the baseline as a line, and (optionally)
        a :class:`PerformanceEstimate` drawn beside it."""
        from ..charts.performance import performance_chart

        return performance_chart(self, estimate=estimate, metric=metric)

    def _headline(self) -> str:
        parts = []
        for m in self.metrics:
            rows = self.frame[self.frame["metric"] == m]
            n_bad = int(rows["degraded"].sum())
            base = self.baseline.loc[self.baseline["metric"] == m, "value"]
            base_txt = f" (baseline {base.iloc[0]:.3f})" if len(base) and pd.notna(base.iloc[0]) else ""
            parts.append(f"{m}: {n_bad} of {len(rows)} windows significantly worse{base_txt}" if len(base)
                         else f"{m}: {rows['value'].min():.3f} to {rows['value'].max():.3f} across {len(rows)} windows")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"PerformanceReport({len(self.windows)} windows, level={self.level}; {self._headline()})"

    def to_html(self) -> str:
        shown = self.frame.drop(columns=["window_start"])
        body = frame_to_html(shown, max_rows=60)
        if self.weight_column:
            body += f"<p>Weighted rows use 1/{escape(self.weight_column)} (Hajek estimator).</p>"
        if self.engine_note:
            body += f"<p>{escape(self.engine_note)}</p>"
        colour = SEVERITY_COLOURS["error"] if self.frame["degraded"].any() else SEVERITY_COLOURS["ok"]
        return card(f"Realized performance ({self.level:.0%} intervals)", body, headline=self._headline(), colour=colour)

    def _repr_html_(self) -> str:
        return self.to_html()
