"""Label-free performance estimation.

Classification uses confidence-based performance estimation (CBPE): the model's scores,
calibrated on the labelled reference, are read as the probability that each row is positive, so
each chunk's confusion matrix and ROC curve have an expected value without labels. Regression uses
a loss model: a gradient-boosting model of each row's error, learned on the reference.

Both assume the relationship between inputs and label is unchanged (no concept drift). Where the
analysis data already has some labels, the realized value is shown beside the estimate and a chunk
whose realized value falls outside the range the estimate allows is flagged as unreliable.
"""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Unpack

import numpy as np
import pandas as pd

from .._checks import check_choice, check_columns, check_frame, preview
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html
from .._compat import renamed_arguments
from ..spec import ModelSpec, RoleOverrides
from .measure import assign_windows, check_probabilities, fmt_int, numeric_column, resolve_roles, shared_doc
from .intervals import percentile_interval, z_value
from .metrics import BinaryKernel, MulticlassKernel
from .realized import measure, prepare, resolve_metrics
from ..results import WindowedResult

__all__ = ["estimate_performance", "PerformanceEstimate"]

FRAME_COLUMNS = [
    "window", "window_start", "metric", "estimate", "lower", "upper", "n", "n_labelled", "realized",
    "realized_lower", "realized_upper", "check_lower", "check_upper", "unreliable", "reference_value",
    "method", "note",
]
_CALIBRATIONS = ("auto", "isotonic", "none")
_MAX_CELLS = 4_000_000
#: label simulations are drawn and evaluated in blocks of about this many (simulation, row) entries (1 MB): the
#: block stays in the CPU cache while every metric reads it (a 4M-entry block streamed from memory per metric)
_SIM_CHUNK = 1 << 17
_N_CAL_BOOT = 40   # half-sample refits of the calibration (its sampling error enters the unreliable check)
_HALF_BIAS = 1 / (2 ** (2 / 3) - 1)   # bias(n) = (mean over half-samples - full fit) x this, for an n^(-2/3) bias


# -- calibration ---------------------------------------------------------------------------------------

def _ece(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(BinaryKernel(score=p)("ece", y, w)[0])


def _brier(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * (p - y) ** 2) / np.sum(w))


class _Calibrator:
    """Isotonic calibration learned on the reference, kept only if cross-validation says it helps."""

    def __init__(self, mode: str, random_state: int):
        self.mode, self.random_state = mode, random_state
        self.model = None
        self.boot_models: list = []
        self.table = pd.DataFrame()

    def fit(self, s: np.ndarray, y: np.ndarray, w: np.ndarray) -> "_Calibrator":
        from sklearn.isotonic import IsotonicRegression
        from sklearn.model_selection import KFold

        rows = [{"scores": "raw", "brier": _brier(s, y, w), "ece": _ece(s, y, w)}]
        if self.mode != "none":
            oof = np.empty_like(s)
            folds = KFold(n_splits=5, shuffle=True, random_state=self.random_state)
            for train, test in folds.split(s):
                iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
                iso.fit(s[train], y[train], sample_weight=w[train])
                oof[test] = iso.predict(s[test])
            rows.append({"scores": "isotonic (5-fold CV)", "brier": _brier(oof, y, w), "ece": _ece(oof, y, w)})
            better = rows[1]["brier"] < rows[0]["brier"] and rows[1]["ece"] < rows[0]["ece"]
            if self.mode == "isotonic" or better:
                self.model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y, sample_weight=w)
                # refits on half-samples of the reference (without replacement): the calibration's own sampling
                # error, which the unreliable check must allow for (else a repaired miscalibration reads as
                # concept drift). Not the bootstrap: isotonic regression converges at the cube-root rate, where
                # the bootstrap is inconsistent and under-states the fit's over-fitting bias (measured: 60% of
                # it on AUC); half-samples give the spread of a sqrt(n) functional exactly (finite-population
                # correction) and the bias by extrapolating its n^(-2/3) rate (see _estimate_chunk)
                rng = np.random.default_rng(self.random_state)
                for _ in range(_N_CAL_BOOT):
                    idx = rng.choice(s.size, s.size // 2, replace=False)
                    self.boot_models.append(IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
                        s[idx], y[idx], sample_weight=w[idx]))
        self.table = pd.DataFrame(rows)
        self.table["chosen"] = [self.model is None] + ([self.model is not None] if len(rows) > 1 else [])
        return self

    @property
    def name(self) -> str:
        return "isotonic" if self.model is not None else "none (scores already calibrated)"

    def __call__(self, s: np.ndarray) -> np.ndarray:
        return s.copy() if self.model is None else self.model.predict(s)


# -- expected metrics --------------------------------------------------------------------------------

def _binary_expected(metric: str, p: np.ndarray, s: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    """Expected value of ``metric`` when row i is positive with probability ``p[i]`` (ratio of expectations)."""
    kernel = BinaryKernel(score=s, prediction=pred)
    if metric in ("roc_auc", "accuracy", "precision", "recall", "f1", "log_loss"):
        return float(kernel(metric, p, w)[0])     # linear in the labels: soft labels give the expectation
    if metric == "brier":
        return float(np.sum(w * ((p - s) ** 2 + p * (1 - p))) / np.sum(w))
    return np.nan  # ece: no closed form, use the simulation mean


def _simulate_binary(metrics, p, s, pred, w, n_sim, rng) -> dict:
    """Realized value of each metric under ``n_sim`` label vectors drawn from ``p`` (Poisson-binomial)."""
    kernel = BinaryKernel(score=s, prediction=pred)
    unweighted = bool(np.all(w == w[0]))
    block = max(1, min(n_sim, _SIM_CHUNK // max(p.size, 1)))
    out, done = {m: [] for m in metrics}, 0
    while done < n_sim:
        b = min(block, n_sim - done)
        Y = (rng.random((b, p.size)) < p).astype(float)
        for m in metrics:
            out[m].append(kernel.auc_unweighted(Y) if m == "roc_auc" and unweighted else kernel(m, Y, w))
        done += b
    return {m: np.concatenate(v) for m, v in out.items()}


def _simulate_multiclass(metrics, P, pred, w, n_sim, rng) -> dict:
    """Realized value of each metric under ``n_sim`` class vectors drawn from the rows of ``P``."""
    kernel = MulticlassKernel(pred, P.shape[1])
    cum = np.cumsum(P, axis=1)
    cum[:, -1] = 1.0
    block = max(1, min(n_sim, _MAX_CELLS // max(P.size, 1)))
    out, done = {m: [] for m in metrics}, 0
    while done < n_sim:
        b = min(block, n_sim - done)
        u = rng.random((b, P.shape[0], 1))
        Y = (u > cum[None, :, :]).sum(axis=2)
        for m in metrics:
            out[m].append(kernel(m, Y, w))
        done += b
    return {m: np.concatenate(v) for m, v in out.items()}


def _multiclass_expected(metric: str, P: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    idx = np.arange(P.shape[0])
    if metric == "accuracy":
        return float(np.sum(w * P[idx, pred]) / np.sum(w))
    scores = []
    for c in range(P.shape[1]):
        pc = pred == c
        tp = np.sum(w * P[:, c] * pc)
        den = np.sum(w * pc) + np.sum(w * P[:, c])
        if den > 0:
            scores.append(2 * tp / den)
    return float(np.mean(scores)) if scores else np.nan


# -- the public function -------------------------------------------------------------------------------

@renamed_arguments(analysis="production", chunk_size="by", n_simulations="n_resamples")
@shared_doc
def estimate_performance(
    reference: pd.DataFrame,
    production: pd.DataFrame,
    spec: ModelSpec | None = None,
    *,
    metric: str | Sequence[str] | None = None,
    by: str | int | None = None,
    calibration: str = "auto",
    level: float = 0.95,
    flag_level: float = 0.99,
    n_resamples: int = 500,
    random_state: int = 0,
    inclusion_prob: str | None = "auto",
    class_scores: dict | None = None,
    features: list[str] | None = None,
    **roles: Unpack[RoleOverrides],
) -> "PerformanceEstimate":
    """Estimate performance per window of ``production`` without its labels.

    Binary and multiclass classification: CBPE. Scores are calibrated on the labelled
    ``reference`` with isotonic regression when 5-fold cross-validation shows it lowers both the
    Brier score and the ECE (``calibration="auto"``); the expected confusion matrix of each window
    gives accuracy, precision, recall and F1, and expected true/false positive counts along the
    ranked scores give ROC AUC. Regression: a loss model (gradient boosting on the features and the
    prediction) learned on the reference predicts each row's absolute and squared error.

    Parameters
    ----------
    reference
        Labelled rows the model is trusted on (the data it learned from, or a period it was good on).
    production
        Rows to estimate, labels not needed. Labels that are present (e.g. after
        :func:`toolkit.join_labels`) are used only to show the realized value beside the estimate.
        Binary models: or :class:`~toolkit.outcomes.counts.OutcomeCounts` counted with ``all_rows=True``
        (:func:`toolkit.engines.outcome_counts`, in pandas, DuckDB or Spark): the windows are the counts',
        every production row enters through its cell (rows of one score and predicted label are
        exchangeable), and the labels are simulated per cell (binomial), so the three engines give the same
        figures. ``by`` is then ignored.
    {roles}
    metric
        Name(s) as in :func:`toolkit.performance`; 'all' for every metric of the task.
    {by}
    calibration
        'auto', 'isotonic' or 'none'.
    {level}
    flag_level
        Level of the range ``[check_lower, check_upper]`` the realized value must fall in before a
        chunk is flagged unreliable (0.99: with weekly chunks, about one false alarm in two years of
        a stable model; pass ``flag_level=level`` to flag at the interval shown).
    n_resamples, random_state
        Label vectors simulated per window (Poisson-binomial sampling from the calibrated
        probabilities) for the interval, and their seed.
    {inclusion_prob}
        In ``reference`` the weights enter the reference value, the calibration and the loss model;
        in ``production`` the realized values.
    class_scores
        Multiclass: ``{class: probability column}`` for every class.
    features
        Regression: inputs of the loss model (default: ``spec.features``).

    Returns
    -------
    PerformanceEstimate
        ``to_frame()``: one row per window and metric with window, window_start, metric, estimate,
        lower, upper, n, n_labelled, realized, realized_lower, realized_upper, check_lower,
        check_upper (the range the realized value should fall in, on the labelled rows),
        unreliable, reference_value, method, note. ``assumptions`` lists what the estimate assumes.
        ``check_lower``/``check_upper`` are the simulated realized value's mean -/+ z(flag_level) standard
        deviations, on the labelled rows with their weights.

    Notes
    -----
    The interval is the sampling spread of the realized metric if the calibrated scores are
    right: it does not include calibration error. The check range does (binary): the spread of the
    expected value over isotonic refits on half-samples of the reference, and the centre corrected
    for the isotonic fit's over-fitting bias. A chunk with labels whose realized value falls
    outside ``[check_lower, check_upper]`` is flagged ``unreliable`` ("concept drift suspected"):
    the scores no longer mean what they meant on the reference. At ``flag_level=0.99`` about one
    chunk in a hundred is flagged by chance (per chunk: with 52 weekly chunks expect about one
    false flag in two years). Chunks checked against the same reference share its calibration
    error, so false flags cluster by reference.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> def scored(n):
    ...     p = rng.beta(2, 5, n)
    ...     return pd.DataFrame({"p": p, "y": (rng.random(n) < p).astype(int)})
    >>> reference, production = scored(4000), scored(3000)
    >>> est = tk.estimate_performance(reference, production.drop(columns="y"), target="y", score="p",
    ...                               metric="roc_auc", by=1000)
    >>> est.to_frame()[["window", "estimate", "lower", "upper", "n"]].round(3)
            window  estimate  lower  upper     n
    0      [0:999]     0.709  0.674  0.740  1000
    1  [1000:1999]     0.712  0.678  0.747  1000
    2  [2000:2999]     0.718  0.684  0.748  1000
    """
    from .counts import OutcomeCounts

    check_frame("reference", reference)
    counted = isinstance(production, OutcomeCounts)
    if not counted:
        check_frame("production", production)
    check_choice("calibration", calibration, _CALIBRATIONS)
    if not 0 < level < 1 or not 0 < flag_level < 1:
        raise ValueError(f"level and flag_level must be between 0 and 1; got {level!r}, {flag_level!r}")
    if n_resamples < 50:
        raise ValueError(f"n_resamples must be at least 50 for a percentile interval; got {n_resamples!r}")
    roles = resolve_roles(reference, spec, name="reference", caller="estimate_performance", features=features,
                          **roles)
    metrics = resolve_metrics(metric, roles.task)
    if counted:  # per-window counts of every production row (toolkit.engines.outcome_counts(all_rows=True))
        return _estimate_from_counts(reference, production, roles, metrics, calibration, level, flag_level,
                                     n_resamples, random_state, inclusion_prob)
    labels, chunks = assign_windows(production, by, roles.timestamp, name="production")
    positions = pd.Series(np.arange(len(production))).groupby(labels.to_numpy()).indices
    rng = np.random.default_rng(random_state)
    has_labels = roles.target in production.columns and production[roles.target].notna().any()

    if roles.task == "regression":
        return _estimate_regression(reference, production, roles, metrics, chunks, positions, level, flag_level,
                                    random_state,
                                    inclusion_prob, has_labels, rng)

    # reference: realized values and the calibrator
    ref_prep = _prepare_classification(reference, roles, metrics, "reference", class_scores, None,
                                       inclusion_prob=inclusion_prob)
    ref_values = {}
    for m in metrics:
        ref_values[m] = measure(ref_prep["prep"], np.arange(len(reference)), m, interval=False).value
    calibrator = _fit_calibrators(ref_prep, calibration, random_state, roles.task)
    ana = _prepare_classification(production, roles, metrics, "production", class_scores, ref_prep["classes"],
                                  inclusion_prob=inclusion_prob if has_labels else None)
    probs = _apply_calibrators(calibrator, ana, roles.task)
    boot_probs = _boot_probs(calibrator, ana, roles.task)

    records = []
    for chunk, start in zip(chunks["window"], chunks["window_start"]):
        rows = positions.get(chunk, np.array([], dtype=np.int64))
        ok = rows[ana["usable"][rows]]
        notes = []
        if len(ok) < len(rows):
            notes.append(f"{fmt_int(len(rows) - len(ok))} rows with missing score/prediction excluded")
        lab = ok[ana["prep"].labelled[ok]] if has_labels else np.array([], dtype=np.int64)
        estimates = _estimate_chunk(metrics, roles.task, probs, ana, ok, np.ones(len(ok)), n_resamples, rng, level,
                                    flag_level, boot_probs)
        checks = estimates
        if len(lab):
            w_lab = ana["prep"].weights[lab]
            if len(lab) < len(ok) or np.any(w_lab != 1):
                checks = _estimate_chunk(metrics, roles.task, probs, ana, lab, w_lab, n_resamples, rng, level,
                                         flag_level, boot_probs)
                notes.append(f"realized from {fmt_int(len(lab))} of {fmt_int(len(ok))} rows"
                             + (" (weighted by 1/inclusion_prob)" if np.any(w_lab != 1) else ""))
        for m in metrics:
            rec = {"window": chunk, "window_start": start, "metric": m, "n": len(ok), "n_labelled": len(lab),
                   "reference_value": ref_values[m], "method": "CBPE", "unreliable": False}
            est, low, high, _, _ = estimates[m]
            rec.update(estimate=est, lower=low, upper=high)
            chunk_notes = list(notes)
            if len(ok) == 0:
                chunk_notes.append("no scored rows")
            rec.update(realized=np.nan, realized_lower=np.nan, realized_upper=np.nan, check_lower=np.nan,
                       check_upper=np.nan)
            if len(lab):
                _check_realized(rec, ana["prep"], lab, m, level, rng, checks[m][3:], chunk_notes,
                                " (or scores no longer calibrated)", with_notes=True)
            rec["note"] = "; ".join(chunk_notes)
            records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=FRAME_COLUMNS)
    return PerformanceEstimate(frame=frame, metrics=metrics, task=roles.task, level=level, method="CBPE",
                               calibration=calibrator["table"], assumptions=_cbpe_assumptions(calibrator["name"]))


def _cbpe_assumptions(calibration: str) -> tuple[str, ...]:
    """What CBPE assumes, in words (the calibration chosen named)."""
    return (
        "scores are calibrated probabilities on the production data once calibrated on the reference "
        f"(calibration: {calibration})",
        "no concept drift: P(label | score) is the same as on the reference (input drift alone is fine)",
        "the interval covers the sampling error of the labels only (labels simulated from the calibrated "
        "probabilities), not calibration error",
    )


def _prepare_classification(frame, roles, metrics, name, class_scores, classes,
                            inclusion_prob=None):
    """Scores (binary: vector; multiclass: matrix), predictions and, where present, labels."""
    out = {}
    if roles.task == "binary":
        if roles.score is None:
            raise ValueError("label-free estimation needs the model's score; pass score='churn_score'")
        check_columns(name, frame, [roles.score])
        s = numeric_column(frame, roles.score, name, "score")
        check_probabilities(s, roles.score, name)
        if roles.target in frame.columns:
            sub = frame
        else:
            sub = frame.assign(**{roles.target: np.nan})
        prep = prepare(sub, roles, tuple(metrics) + ("roc_auc", "accuracy"), inclusion_prob, name=name)
        out.update(prep=prep, score=s, pred=prep.prediction, usable=~np.isnan(s) & ~np.isnan(prep.prediction),
                   classes=None)
    else:
        if not class_scores:
            raise ValueError("multiclass estimation needs class_scores={class: probability column, ...} "
                             "covering every class")
        cols = list(class_scores.values())
        check_columns(name, frame, cols)
        P = np.column_stack([numeric_column(frame, c, name, "class score") for c in cols])
        for c, j in zip(cols, range(P.shape[1])):
            check_probabilities(P[:, j], c, name)
        cls = list(class_scores.keys()) if classes is None else classes
        if classes is not None and list(class_scores.keys()) != classes:
            raise ValueError("class_scores keys changed between reference and analysis")
        sub = frame if roles.target in frame.columns else frame.assign(**{roles.target: np.nan})
        pred_roles = roles
        if roles.prediction is None:
            argmax = np.asarray(cls, dtype=object)[np.nan_to_num(P, nan=-1).argmax(axis=1)]
            sub = sub.assign(_tk_predicted=argmax)
            pred_roles = dataclasses.replace(roles, prediction="_tk_predicted")
        unknown = set(sub[roles.target].dropna().unique()) - set(cls)
        if unknown:
            raise ValueError(f"target {roles.target!r} of {name} has classes missing from class_scores: "
                             f"{preview(sorted(unknown, key=str))}")
        prep = prepare(sub, pred_roles, metrics, inclusion_prob, name=name, classes=cls)
        usable = ~np.isnan(P).any(axis=1) & ~np.isnan(prep.prediction)
        out.update(prep=prep, P=P, pred=prep.prediction, usable=usable, classes=cls)
    return out


def _fit_calibrators(ref, calibration, random_state, task):
    prep = ref["prep"]
    rows = prep.labelled & ref["usable"]
    if rows.sum() < 50:
        raise ValueError(f"reference has {int(rows.sum())} labelled, scored rows; at least 50 are needed to "
                         "calibrate the scores")
    w = prep.weights[rows]
    if task == "binary":
        y = prep.y[rows]
        if y.min() == y.max():
            raise ValueError("reference labels have a single class; calibration needs both")
        cal = _Calibrator(calibration, random_state).fit(ref["score"][rows], y, w)
        return {"models": [cal], "name": cal.name, "table": cal.table}
    P, y = ref["P"][rows], prep.y[rows]
    models, tables = [], []
    for j, c in enumerate(ref["classes"]):
        cal = _Calibrator(calibration, random_state).fit(P[:, j], (y == j).astype(float), w)
        models.append(cal)
        tables.append(cal.table.assign(**{"class": c}))
    table = pd.concat(tables, ignore_index=True)[["class", "scores", "brier", "ece", "chosen"]]
    used = sorted({m.name.split(" ")[0] for m in models})
    return {"models": models, "name": "per class: " + ", ".join(used), "table": table}


def _boot_probs(cal, ana, task):
    """``rows -> (B, len(rows))`` calibrated probabilities of those rows under each half-sample refit of
    the calibration (computed per chunk, so memory stays O(B x chunk)); None when there are none
    (multiclass, or raw scores kept)."""
    if task != "binary" or not cal["models"][0].boot_models:
        return None
    s = np.nan_to_num(ana["score"], nan=0.5)
    models = cal["models"][0].boot_models
    return lambda rows: np.vstack([m.predict(s[rows]) for m in models])


def _apply_calibrators(cal, ana, task):
    if task == "binary":
        s = np.nan_to_num(ana["score"], nan=0.5)
        return cal["models"][0](s)
    P = np.nan_to_num(ana["P"], nan=0.0)
    Q = np.column_stack([m(P[:, j]) for j, m in enumerate(cal["models"])])
    total = Q.sum(axis=1, keepdims=True)
    return np.where(total > 0, Q / np.where(total > 0, total, 1.0), 1.0 / Q.shape[1])


def _estimate_chunk(metrics, task, probs, ana, rows, w, n_sim, rng, level, flag_level, boot_probs=None) -> dict:
    """``{metric: (estimate, lower, upper, check_lower, check_upper)}`` for one chunk (rows weighted by ``w``).

    ``lower``/``upper``: percentile interval of the simulated realized values at ``level``;
    ``check_*``: their mean -/+ z(flag_level) standard deviations (stable in the far tails), where the
    variance adds the labels' sampling variance and the calibration's (the spread of the expected
    value over half-sample refits of the calibration, ``boot_probs``), and the centre is corrected for
    the calibration's over-fitting bias.
    """
    if len(rows) == 0:
        return {m: (np.nan,) * 5 for m in metrics}
    if task == "binary":
        perm = np.argsort(ana["score"][rows], kind="stable")  # sorted: the AUC kernel skips a copy
        rows, w = rows[perm], w[perm]
        p, s, pred = probs[rows], ana["score"][rows], ana["pred"][rows]
        sims = _simulate_binary(metrics, p, s, pred, w, n_sim, rng)
        est = {m: _binary_expected(m, p, s, pred, w) for m in metrics}
        cal_sd = {}
        if boot_probs is not None:
            pb = boot_probs(rows)
            kernel = BinaryKernel(score=s, prediction=pred)
            for m in metrics:
                if m == "brier":
                    vals = np.sum(w * ((pb - s) ** 2 + pb * (1 - pb)), axis=1) / np.sum(w)
                elif m == "ece":
                    continue
                else:
                    vals = kernel(m, pb, w)
                # spread of the expected value over half-sample refits (= the full fit's spread for a sqrt(n)
                # functional), and the full fit's bias from the half-samples' mean shift: the isotonic fit
                # over-fits the reference's noise (too spread out, so e.g. AUC reads high) by ~ n^(-2/3)
                cal_sd[m] = _calibration_terms(vals, _binary_expected(m, p, s, pred, w))
    else:
        cal_sd = {}
        P, pred = probs[rows], ana["pred"][rows].astype(np.int64)
        sims = _simulate_multiclass(metrics, P, pred, w, n_sim, rng)
        est = {m: _multiclass_expected(m, P, pred, w) for m in metrics}
    return _summarise(metrics, sims, est, cal_sd, level, flag_level)


def _calibration_terms(vals: np.ndarray, full: float) -> tuple[float, float, int]:
    """(sd, bias, degrees of freedom) of the calibration from the expected values ``vals`` under half-sample refits."""
    spread, n_half = float(np.nanstd(vals, ddof=1)), int(np.sum(~np.isnan(vals)))
    # the bias correction is itself a mean over n_half refits: its noise enters the check's variance
    return (float(np.hypot(spread, _HALF_BIAS * spread / np.sqrt(max(n_half, 1)))),
            float(np.nanmean(vals) - full) * _HALF_BIAS, max(n_half - 1, 1))


def _summarise(metrics, sims: dict, est: dict, cal_sd: dict, level: float, flag_level: float) -> dict:
    """``{metric: (estimate, lower, upper, check_lower, check_upper)}`` from the simulated realized values,
    the expected values and the calibration's spread and bias (see :func:`_estimate_chunk`)."""
    out = {}
    for m in metrics:
        finite_sims = sims[m][~np.isnan(sims[m])]
        e = est[m] if not np.isnan(est[m]) else (float(finite_sims.mean()) if finite_sims.size else np.nan)
        finite = sims[m][~np.isnan(sims[m])]
        z = z_value(flag_level)
        if finite.size >= 10:
            centre, sd = float(finite.mean()), float(finite.std(ddof=1))
            c_sd, c_bias, c_df = cal_sd.get(m, (0.0, 0.0, np.inf))
            sd_sim, sd = sd, float(np.hypot(sd, c_sd))
            centre -= c_bias
            # both variances are estimated (n_sim simulations, a few dozen refits): Satterthwaite's degrees of
            # freedom and a t quantile keep the flag at 1 - flag_level (a z quantile gave 1.35% for 1%)
            if c_sd > 0 and sd > 0:
                from scipy import stats

                df = sd**4 / (sd_sim**4 / max(finite.size - 1, 1) + c_sd**4 / c_df)
                z = float(stats.t.ppf(0.5 + flag_level / 2, df))
            check = (centre - z * sd, centre + z * sd)
        else:
            check = (np.nan, np.nan)
        out[m] = (e, *percentile_interval(sims[m], level), *check)
    return out


# -- binary, from counts --------------------------------------------------------------------------------------
#
# Rows of one window with the same score and predicted label are exchangeable for CBPE: they get the same
# calibrated probability, and every metric is a weighted sum over rows or positive-negative pairs. So a
# window is its cells (score, predicted label, rows): the expected values are the rows' sums computed per
# cell, and the simulated label vectors draw, per cell, Binomial(rows, probability) positives -- exactly the
# distribution of the row-by-row draws. The same cells in the same order meet the same seeded draws, so
# pandas, DuckDB and Spark counts give identical figures.


def _merge_cells(s: np.ndarray, p: np.ndarray, n: np.ndarray, pi: np.ndarray | None = None):
    """Cells merged on (score, predicted label[, inclusion probability]), sorted by score: ``s, p, n, pi``."""
    frame = pd.DataFrame({"s": s, "p": p, "pi": np.ones(len(s)) if pi is None else pi, "n": n})
    g = frame.groupby(["s", "p", "pi"], sort=True)["n"].sum().reset_index()
    return (g["s"].to_numpy(float), g["p"].to_numpy(float), g["n"].to_numpy(np.int64), g["pi"].to_numpy(float))


def _expected_auc(s: np.ndarray, P: np.ndarray, n: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Expected ROC AUC (ratio of expected pair counts, ties one half) of cells of ``n`` rows of weight ``w`` at
    sorted scores ``s`` whose rows are positive with probability ``P`` (one row of ``P`` per probability vector).

    The rows' form (:meth:`BinaryKernel.auc` with soft labels) leaves out a row's pair with itself only: rows of
    one cell do pair with each other, tied, so the self-pair term is ``n w^2 P (1 - P)`` per cell, not the cell's
    square (which the kernel would take on cell weights)."""
    P = np.atleast_2d(P)
    nw = n * w
    pos, neg = P * nw, (1 - P) * nw
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if s.size else np.array([], dtype=np.int64)
    if s.size == 0:
        return np.full(P.shape[0], np.nan)
    pos_g, neg_g = np.add.reduceat(pos, starts, axis=1), np.add.reduceat(neg, starts, axis=1)
    below = np.cumsum(neg_g, axis=1) - neg_g
    self_pairs = (n * w**2 * P * (1 - P)).sum(axis=1)
    num = (pos_g * (below + 0.5 * neg_g)).sum(axis=1) - 0.5 * self_pairs
    den = pos_g.sum(axis=1) * neg_g.sum(axis=1) - self_pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _expected_cells(metric: str, P: np.ndarray, s: np.ndarray, pred: np.ndarray, n: np.ndarray,
                    w: np.ndarray) -> np.ndarray:
    """:func:`_binary_expected` over cells, for each row of ``P`` (calibrated probabilities per cell)."""
    P = np.atleast_2d(P)
    nw = n * w
    if metric == "roc_auc":
        return _expected_auc(s, P, n, w)
    if metric == "brier":
        return np.sum(nw * ((P - s) ** 2 + P * (1 - P)), axis=1) / np.sum(nw)
    if metric == "ece":
        return np.full(P.shape[0], np.nan)
    return BinaryKernel(score=s, prediction=pred)(metric, P, nw)  # linear in the labels: per cell as per row


def _simulate_cells(metrics, P: np.ndarray, s, pred, n, w, n_sim: int, rng) -> dict:
    """Realized value of each metric under ``n_sim`` label draws: Binomial(n, P) positives per cell, as a
    positive and a negative pseudo-row per cell (weights ``k w`` and ``(n - k) w``)."""
    unweighted = bool(np.all(w == 1))
    if unweighted and "roc_auc" in metrics:
        # Mann-Whitney from the rows' midranks: a cell's rows share the midrank of their score (s is sorted)
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        tied = np.add.reduceat(n, starts)
        below = np.cumsum(tied) - tied
        midrank = np.repeat(below + (tied + 1) / 2.0, np.diff(np.r_[starts, s.size]))
        total = float(n.sum())
    # a cell of one row draws a uniform (Bernoulli), the cheaper draw; larger cells a binomial. The cells are
    # laid out single ones first, so each block's draws fill two contiguous slices (the same draws, in the same
    # order, as filling the columns of each kind in place; the metrics are sums over cells, in any order)
    single = n == 1
    perm = np.r_[np.flatnonzero(single), np.flatnonzero(~single)]
    n_single = int(single.sum())
    s, pred, n, w, P = s[perm], pred[perm], n[perm], w[perm], P[perm]
    if unweighted and "roc_auc" in metrics:
        midrank = midrank[perm]
    kernel = BinaryKernel(score=np.r_[s, s], prediction=np.r_[pred, pred])
    labels = np.r_[np.ones(s.size), np.zeros(s.size)]
    generic = [m for m in metrics if not (m == "roc_auc" and unweighted)]
    block = max(1, min(n_sim, _SIM_CHUNK // max(2 * s.size, 1)))
    out, done = {m: [] for m in metrics}, 0
    while done < n_sim:
        b = min(block, n_sim - done)
        k = np.empty((b, s.size))
        k[:, :n_single] = rng.random((b, n_single)) < P[:n_single]
        k[:, n_single:] = rng.binomial(n[n_single:], P[n_single:], size=(b, s.size - n_single))
        W = np.hstack([k * w, (n - k) * w]) if generic else None
        for m in metrics:
            if m == "roc_auc" and unweighted:
                n1 = k.sum(axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    auc = (k @ midrank - n1 * (n1 + 1) / 2) / (n1 * (total - n1))
                out[m].append(np.where((n1 > 0) & (n1 < total), auc, np.nan))
            else:
                out[m].append(kernel(m, labels, W))
        done += b
    return {m: np.concatenate(v) for m, v in out.items()}


def _estimate_cells(metrics, calibrator, s, pred, n, w, n_sim, rng, level, flag_level) -> dict:
    """:func:`_estimate_chunk` of one window's cells (binary): ``{metric: (estimate, lower, upper, check_lower,
    check_upper)}``."""
    if n.sum() == 0:
        return {m: (np.nan,) * 5 for m in metrics}
    cal = calibrator["models"][0]
    P = cal(s)
    sims = _simulate_cells(metrics, P, s, pred, n, w, n_sim, rng)
    est = {m: float(_expected_cells(m, P, s, pred, n, w)[0]) for m in metrics}
    cal_sd = {}
    if cal.boot_models:
        # one refit at a time: a (refits x cells) matrix would hold 40 copies of every cell
        vals = {m: np.empty(len(cal.boot_models)) for m in metrics if m != "ece"}
        for i, model in enumerate(cal.boot_models):
            pb = model.predict(s)
            for m in vals:
                vals[m][i] = _expected_cells(m, pb, s, pred, n, w)[0]
        cal_sd = {m: _calibration_terms(v, est[m]) for m, v in vals.items()}
    return _summarise(metrics, sims, est, cal_sd, level, flag_level)


def _estimate_from_counts(reference, counts, roles, metrics, calibration, level, flag_level, n_resamples,
                          random_state, inclusion_prob) -> "PerformanceEstimate":
    """CBPE per window from :class:`~toolkit.outcomes.counts.OutcomeCounts` of every production row (binary)."""
    from .counts import Cells, measure_cells

    if roles.task != "binary":
        raise ValueError(f"estimation from counts is for binary models; this model's task is {roles.task!r}. Pass "
                         "the production rows (a DataFrame) instead")
    if counts.scores is None:
        raise ValueError("these outcome counts hold the labelled rows only; the estimate needs every production row: "
                         "count them with tk.engines.outcome_counts(..., all_rows=True)")
    if roles.score is None:
        raise ValueError("label-free estimation needs the model's score; pass score='churn_score'")
    ref_prep = _prepare_classification(reference, roles, metrics, "reference", None, None,
                                       inclusion_prob=inclusion_prob)
    ref_values = {m: measure(ref_prep["prep"], np.arange(len(reference)), m, interval=False).value for m in metrics}
    calibrator = _fit_calibrators(ref_prep, calibration, random_state, "binary")
    rng = np.random.default_rng(random_state)
    records = []
    for chunk, start in zip(counts.windows["window"], counts.windows["window_start"]):
        c = counts.scores[chunk] if chunk in counts.scores else Cells.empty()
        usable = ~np.isnan(c.s) & ~np.isnan(c.p)
        n_all, n_ok = int(c.n.sum()), int(c.n[usable].sum())
        labelled = usable & ~np.isnan(c.y)
        n_lab = int(c.n[labelled].sum())
        notes = []
        if n_ok < n_all:
            notes.append(f"{fmt_int(n_all - n_ok)} rows with missing score/prediction excluded")
        s, pred, n, _ = _merge_cells(c.s[usable], c.p[usable], c.n[usable])
        estimates = _estimate_cells(metrics, calibrator, s, pred, n, np.ones(n.size), n_resamples, rng, level,
                                    flag_level)
        checks = estimates
        real_cells = Cells(c.y[labelled], c.s[labelled], c.p[labelled], c.pi[labelled], c.n[labelled])
        weighted = bool(np.any(real_cells.pi != 1))
        if n_lab:
            if n_lab < n_ok or weighted:
                ls, lp, ln, lpi = _merge_cells(c.s[labelled], c.p[labelled], c.n[labelled], c.pi[labelled])
                checks = _estimate_cells(metrics, calibrator, ls, lp, ln, 1.0 / lpi, n_resamples, rng, level,
                                         flag_level)
                notes.append(f"realized from {fmt_int(n_lab)} of {fmt_int(n_ok)} rows"
                             + (" (weighted by 1/inclusion_prob)" if weighted else ""))
        for m in metrics:
            rec = {"window": chunk, "window_start": start, "metric": m, "n": n_ok, "n_labelled": n_lab,
                   "reference_value": ref_values[m], "method": "CBPE", "unreliable": False,
                   "realized": np.nan, "realized_lower": np.nan, "realized_upper": np.nan, "check_lower": np.nan,
                   "check_upper": np.nan}
            est, low, high, _, _ = estimates[m]
            rec.update(estimate=est, lower=low, upper=high)
            chunk_notes = list(notes)
            if n_ok == 0:
                chunk_notes.append("no scored rows")
            if n_lab:
                real = measure_cells(real_cells, m, level=level, n_boot=300, rng=rng, keep_boot=False,
                                     score_name=roles.score, weight_column=counts.weight_column)
                _flag_realized(rec, real, checks[m][3:], chunk_notes, " (or scores no longer calibrated)", True)
            rec["note"] = "; ".join(chunk_notes)
            records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=FRAME_COLUMNS)
    n_rows = int(counts.windows["n_rows"].sum())
    where = "in memory (pandas)" if counts.engine == "pandas" else f"in {counts.engine_name}"
    note = (f"Label-free estimate computed {where} from counts per distinct score of all {n_rows:,} production rows "
            f"({len(counts.windows)} windows), not from a sample; the calibration was fitted on the "
            f"{fmt_int(len(reference))} reference rows held in memory.")
    return PerformanceEstimate(frame=frame, metrics=metrics, task=roles.task, level=level, method="CBPE",
                               calibration=calibrator["table"], assumptions=_cbpe_assumptions(calibrator["name"]),
                               engine=counts.engine, engine_note=note)


def _flag_realized(rec: dict, real, check: tuple, notes: list[str], cause: str, with_notes: bool) -> None:
    """Put a window's realized :class:`Measure` and the range ``check`` it should fall in on ``rec``; flag the
    window ``unreliable`` (with a note) when the value falls outside."""
    if with_notes:
        notes.extend(n for n in real.notes if "Hajek" not in n)
    c_low, c_high = check
    rec.update(realized=real.value, realized_lower=real.lower, realized_upper=real.upper, check_lower=c_low,
               check_upper=c_high)
    if not np.isnan(real.value) and not c_low <= real.value <= c_high:
        rec["unreliable"] = True
        notes.append(f"realized outside the estimate's interval: concept drift suspected{cause}; do not trust the "
                     "estimate here")


# -- regression -------------------------------------------------------------------------------------------

def _estimate_regression(reference, analysis, roles, metrics, chunks, positions, level, flag_level, random_state,
                         inclusion_prob, has_labels, rng):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import KFold

    from .features import FeatureEncoder, single_thread

    if not roles.features:
        raise ValueError("regression estimation needs the model's features (spec.features or features=)")
    ref_prep = prepare(reference, roles, metrics, inclusion_prob, name="reference")
    pred_col = roles.prediction or roles.score
    ref_rows = np.flatnonzero(ref_prep.labelled & ~np.isnan(ref_prep.prediction))
    if len(ref_rows) < 100:
        raise ValueError(f"reference has {len(ref_rows)} labelled rows with a prediction; the loss model needs >= 100")
    kinds = roles.spec.kinds if roles.spec is not None else None
    enc = FeatureEncoder(roles.features, kinds).fit(reference)
    Xr = np.column_stack([enc.transform(reference.iloc[ref_rows]), ref_prep.prediction[ref_rows]])
    cat = enc.categorical + [False]
    err = ref_prep.y[ref_rows] - ref_prep.prediction[ref_rows]
    y_ref = ref_prep.y[ref_rows]
    w_ref = ref_prep.weights[ref_rows]
    targets = {"mae": np.abs(err), "rmse": err**2}
    if "mape" in metrics:
        targets["mape"] = np.where(y_ref != 0, np.abs(err) / np.where(y_ref != 0, np.abs(y_ref), 1.0), np.nan)
    models, resid_var = {}, {}
    # smooth, well-populated leaves: the loss model must extrapolate gently under covariate shift
    params = dict(categorical_features=cat, random_state=random_state, max_iter=100, learning_rate=0.05,
                  min_samples_leaf=100)
    with single_thread():   # small fits: extra threads only contend on busy machines
        for m in metrics:
            t = targets[m]
            keep = ~np.isnan(t)
            oof = np.empty(keep.sum())
            wk = w_ref[keep]     # an audit-sampled reference stands for its population: weight 1/inclusion_prob
            for train, test in KFold(5, shuffle=True, random_state=random_state).split(oof):
                model = HistGradientBoostingRegressor(**params)
                model.fit(Xr[keep][train], t[keep][train], sample_weight=wk[train])
                oof[test] = model.predict(Xr[keep][test])
            r = t[keep] - oof
            resid_var[m] = float(np.sum(wk * (r - np.sum(wk * r) / wk.sum()) ** 2) / wk.sum() * len(r) / (len(r) - 1))
            models[m] = HistGradientBoostingRegressor(**params).fit(Xr[keep], t[keep], sample_weight=wk)
    ref_values = {m: measure(ref_prep, ref_rows, m, interval=False).value for m in metrics}

    sub = analysis if roles.target in analysis.columns else analysis.assign(**{roles.target: np.nan})
    check_columns("production", analysis, [pred_col])
    ana = prepare(sub, roles, metrics, inclusion_prob if has_labels else None, name="production")
    Xa = np.column_stack([enc.transform(analysis), ana.prediction])
    missing_cols = sorted(enc.missing)
    usable = ~np.isnan(ana.prediction)
    loss = {m: np.clip(models[m].predict(Xa[usable]), 0, None) for m in metrics}
    loss_full = {m: np.full(len(analysis), np.nan) for m in metrics}
    for m in metrics:
        loss_full[m][usable] = loss[m]
    z = z_value(level)
    records = []
    for chunk, start in zip(chunks["window"], chunks["window_start"]):
        rows = positions.get(chunk, np.array([], dtype=np.int64))
        ok = rows[usable[rows]]
        lab = ok[ana.labelled[ok]] if has_labels else np.array([], dtype=np.int64)
        for m in metrics:
            notes = []
            if missing_cols:
                notes.append(f"features absent from production (treated as missing): {preview(missing_cols)}")
            if len(ok) < len(rows):
                notes.append(f"{fmt_int(len(rows) - len(ok))} rows with missing prediction excluded")
            est, low, high = _regression_interval(m, loss_full[m][ok], resid_var[m], z)
            rec = {"window": chunk, "window_start": start, "metric": m, "estimate": est, "lower": low, "upper": high,
                   "n": len(ok), "n_labelled": len(lab), "realized": np.nan, "realized_lower": np.nan,
                   "realized_upper": np.nan, "check_lower": np.nan, "check_upper": np.nan, "unreliable": False,
                   "reference_value": ref_values[m], "method": "loss model"}
            if len(lab):
                if len(lab) < len(ok):
                    notes.append(f"realized from {fmt_int(len(lab))} of {fmt_int(len(ok))} rows")
                check = _regression_interval(m, loss_full[m][lab], resid_var[m], z_value(flag_level), ana.weights[lab])
                _check_realized(rec, ana, lab, m, level, rng, check[1:], notes)
            rec["note"] = "; ".join(notes)
            records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=FRAME_COLUMNS)
    assumptions = (
        "no concept drift: the error a row gets given its inputs and prediction is the same as on the reference",
        "analysis inputs lie inside the reference's range (the loss model cannot extrapolate)",
        "the interval covers the sampling error of the rows' errors around the loss model, not loss-model error",
    )
    table = pd.DataFrame({"metric": list(resid_var), "residual_variance": list(resid_var.values())})
    return PerformanceEstimate(frame=frame, metrics=metrics, task=roles.task, level=level, method="loss model",
                               calibration=table, assumptions=assumptions)


def _check_realized(rec: dict, prep, rows: np.ndarray, metric: str, level: float, rng, check: tuple,
                    notes: list[str], cause: str = "", with_notes: bool = False) -> None:
    """Put a window's realized value and the range ``check`` it should fall in on ``rec``; flag the window
    ``unreliable`` (with a note) when the value falls outside. ``with_notes``: add the measure's notes
    (the Hajek one aside: the window's note already says the rows are weighted)."""
    real = measure(prep, rows, metric, level=level, n_boot=300, rng=rng, keep_boot=False)
    _flag_realized(rec, real, check, notes, cause, with_notes)


def _regression_interval(metric, loss, resid_var, z, w=None):
    if len(loss) == 0:
        return np.nan, np.nan, np.nan
    w = np.ones(len(loss)) if w is None else w
    n_eff = w.sum() ** 2 / np.sum(w**2)
    mean = float(np.sum(w * loss) / np.sum(w))
    se = float(np.sqrt(resid_var / n_eff)) if n_eff > 1 else np.nan
    if metric == "rmse":
        low, high = max(mean - z * se, 0.0), mean + z * se
        return float(np.sqrt(mean)), float(np.sqrt(low)), float(np.sqrt(high))
    return mean, max(mean - z * se, 0.0), mean + z * se


@dataclasses.dataclass(frozen=True, repr=False)  # the Result base's one-line repr, not a dump of its frames
class PerformanceEstimate(WindowedResult):
    """Label-free performance per chunk (see :func:`estimate_performance` for the columns).

    Attributes
    ----------
    assumptions
        What the estimate assumes, in words.
    calibration
        Binary/multiclass: reference Brier and ECE of the raw and the cross-validated isotonic
        scores, and which was chosen. Regression: the loss models' residual variances.
    unreliable
        Chunks whose realized value fell outside the range the estimate allows (``flag_level``).
    engine, engine_note
        Where the figures were computed and from how many rows (set when estimated from counts, or by
        :meth:`toolkit.ModelConfig.estimate`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(2)
    >>> p = rng.beta(2, 4, 6000)
    >>> y = (rng.random(6000) < p).astype(int)
    >>> y[4000:] = (rng.random(2000) < 1 - p[4000:]).astype(int)   # the last chunk's labels flip
    >>> frame = pd.DataFrame({"p": p, "y": y})
    >>> est = tk.estimate_performance(frame.iloc[:2000], frame.iloc[2000:], target="y", score="p",
    ...                               metric="roc_auc", by=2000)
    >>> est.unreliable
    ['[2000:3999]']
    """

    frame: pd.DataFrame
    metrics: tuple[str, ...]
    task: str
    level: float
    method: str
    calibration: pd.DataFrame
    assumptions: tuple[str, ...]
    engine: str = "pandas"
    engine_note: str = ""

    @property
    def chunks(self) -> list[str]:
        """Deprecated name of :attr:`windows`."""
        warnings.warn("PerformanceEstimate.chunks is deprecated and will be removed in the next release; use windows",
                      DeprecationWarning, stacklevel=2)
        return self.windows

    @property
    def unreliable(self) -> list[str]:
        return list(dict.fromkeys(self.frame.loc[self.frame["unreliable"], "window"]))

    def chart(self, realized=None, metric: str | None = None):
        """Estimate per chunk with its interval band, beside the realized values (from the labels in
        the analysis frame, or from a :class:`PerformanceReport` passed as ``realized``)."""
        from ..charts.performance import estimate_chart

        return estimate_chart(self, realized=realized, metric=metric)

    def _headline(self) -> str:
        bad = self.unreliable
        lab = int((self.frame["n_labelled"] > 0).groupby(self.frame["window"]).any().sum())
        text = f"{self.method} estimate of {', '.join(self.metrics)} over {len(self.windows)} windows"
        if lab:
            text += f"; {lab} chunks have labels to check against"
        if bad:
            text += f"; unreliable (concept drift suspected) in {len(bad)}: {preview(bad)}"
        return text

    def to_html(self) -> str:
        items = "".join(f"<li>{escape(a)}</li>" for a in self.assumptions)
        body = f"<p>Assumes:</p><ul>{items}</ul>" + frame_to_html(self.frame.drop(columns=["window_start"]), max_rows=60)
        body += "<p>Calibration on the reference:</p>" + frame_to_html(self.calibration)
        colour = SEVERITY_COLOURS["warning"] if self.unreliable else SEVERITY_COLOURS["info"]
        return card(f"Estimated performance without labels ({self.level:.0%} intervals)", body,
                    headline=self._headline(), colour=colour)
