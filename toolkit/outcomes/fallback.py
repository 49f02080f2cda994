"""Graceful degradation: how accurate is the model on the cases it is most sure about, and where
should it abstain and hand the rest to a fallback (a rule, a human, a previous model)?

:func:`risk_coverage` sweeps a confidence threshold and reports the metric on the accepted cases
against the share of cases accepted (coverage). :func:`abstain_threshold` picks the lowest
threshold (largest coverage) whose accepted cases meet a target accuracy with a one-sided exact
binomial test, controlling the error over all thresholds tried (fallback procedure), and
:meth:`AbstainDecision.apply` shows the routing it implies on new data.

Confidence is, by default, the model's probability that its own prediction is right: for a binary
score ``p`` and decision threshold 0.5 that is ``max(p, 1 - p)``; with another threshold it is ``p``
for predicted positives and ``1 - p`` for predicted negatives. Multiclass: the largest class
probability. Or pass ``confidence_column=``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> import toolkit as tk
>>> rng = np.random.default_rng(0)
>>> p = rng.beta(0.6, 0.6, 4000)
>>> frame = pd.DataFrame({"p": p, "y": (rng.random(4000) < p).astype(int)})
>>> decision = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.9)
>>> round(decision.abstain_at, 3), round(decision.coverage, 3), round(decision.lower_bound, 3)
(0.777, 0.6, 0.905)
>>> decision.curve.at(0.9)["accuracy"] > 0.9
True
"""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Unpack

import numpy as np
import pandas as pd

from .._checks import check_columns, check_frame
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html, notes_html
from .._compat import renamed_arguments
from ..spec import ModelSpec, RoleOverrides
from ..results import Result
from .measure import shared_doc

__all__ = ["risk_coverage", "RiskCoverage", "abstain_threshold", "AbstainDecision", "abstain_on_uncertainty",
           "UncertaintyAbstain", "find_uncertainty"]

CURVE_COLUMNS = ["threshold", "coverage", "routed_share", "n_accepted", "metric", "value", "lower", "upper"]


# -- confidence --------------------------------------------------------------------------------------------

def _confidence_function(roles, confidence_column, class_scores) -> tuple[Callable, str]:
    """A function frame -> confidence per row (NaN where it cannot be computed), and its description."""
    from .measure import check_probabilities, numeric_column

    if confidence_column is not None:
        def from_column(frame):
            check_columns("data", frame, [confidence_column])
            return numeric_column(frame, confidence_column, "data", "confidence")
        return from_column, f"column {confidence_column!r}"
    if roles.task == "binary":
        if roles.score is None:
            raise ValueError("confidence needs the model's score (score='churn_score') or confidence_column=")
        threshold, positive = roles.threshold, roles.positive_label

        def binary(frame):
            check_columns("data", frame, [roles.score])
            s = numeric_column(frame, roles.score, "data", "score")
            check_probabilities(s, roles.score, "data")
            if roles.prediction is not None and roles.prediction in frame.columns:
                raw = frame[roles.prediction]
                pred = np.where(raw.isna().to_numpy(), np.nan, (raw == positive).to_numpy(dtype=float))
            else:
                pred = np.where(np.isnan(s), np.nan, (s >= threshold).astype(float))
            return np.where(pred == 1, s, 1 - s) + np.where(np.isnan(pred), np.nan, 0.0)
        text = "max(p, 1 - p)" if threshold == 0.5 else "p if predicted positive else 1 - p"
        return binary, text
    if roles.task == "multiclass":
        if not class_scores:
            raise ValueError("multiclass confidence needs class_scores={class: column} or confidence_column=")
        cols = list(class_scores.values())

        def multiclass(frame):
            check_columns("data", frame, cols)
            P = np.column_stack([numeric_column(frame, c, "data", "class score") for c in cols])
            return np.where(np.isnan(P).any(axis=1), np.nan, np.nanmax(np.nan_to_num(P, nan=-1), axis=1))
        return multiclass, "largest class probability"
    raise ValueError("regression has no default confidence; pass confidence_column= (higher = more sure)")


def _setup(labelled, spec, metric, inclusion_prob, confidence_column, class_scores, caller, **overrides):
    from .measure import resolve_roles
    from .realized import prepare, resolve_metrics

    roles = resolve_roles(labelled, spec, caller=caller, **overrides)
    (metric,) = resolve_metrics(metric, roles.task)
    conf_fn, conf_text = _confidence_function(roles, confidence_column, class_scores)
    if roles.task == "multiclass" and roles.prediction is None and class_scores:
        labelled = _assign_predicted(labelled, class_scores)
        roles = dataclasses.replace(roles, prediction="_tk_predicted")
    prep = prepare(labelled, roles, (metric,), inclusion_prob)
    conf = conf_fn(labelled)
    return roles, metric, prep, conf, conf_fn, conf_text


def _assign_predicted(frame: pd.DataFrame, class_scores: dict) -> pd.DataFrame:
    """``frame`` with ``_tk_predicted``: the most probable class (multiclass logged with class scores only)."""
    check_columns("data", frame, list(class_scores.values()))
    P = np.column_stack([pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float) for c in class_scores.values()])
    return frame.assign(_tk_predicted=np.asarray(list(class_scores), dtype=object)[np.nan_to_num(P, nan=-1).argmax(1)])


def _coverage_weights(prep, scored: np.ndarray) -> np.ndarray:
    """Weight of each row in the coverage (the share of the population the model answers).

    When every scored row is labelled, the frame is the labelled sample itself (an audit), and each
    row stands for ``1 / inclusion_prob`` rows of the population. When the frame also holds rows
    without labels, it is the population and the inclusion probabilities only say how its labelled
    rows were drawn: every row then counts once.
    """
    if np.all(prep.labelled[scored]):
        return prep.weights
    return np.ones(len(prep.weights))


def _weighted_upper_quantiles(values: np.ndarray, weights: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Thresholds ``t`` such that the weighted share of ``values >= t`` is at least each of ``shares``
    (the largest such value among ``values``): thresholds at given coverages."""
    order = np.argsort(-values, kind="stable")
    v, cw = values[order], np.cumsum(weights[order])
    idx = np.searchsorted(cw, np.asarray(shares) * cw[-1] - 1e-9 * cw[-1], side="left")
    return v[np.minimum(idx, v.size - 1)]


# -- risk-coverage -----------------------------------------------------------------------------------------

@renamed_arguments(labelled="current", n_boot="n_resamples")
@shared_doc
def risk_coverage(
    current: pd.DataFrame,
    spec: ModelSpec | None = None,
    *,
    metric: str = "accuracy",
    confidence_column: str | None = None,
    class_scores: dict | None = None,
    n_thresholds: int = 50,
    level: float = 0.95,
    inclusion_prob: str | None = "auto",
    n_resamples: int = 300,
    random_state: int = 0,
    **roles: Unpack[RoleOverrides],
) -> "RiskCoverage":
    """The metric on accepted cases against the share accepted, as a confidence threshold sweeps.

    Parameters
    ----------
    current
        Rows with the target (rows without one still count towards coverage).
    {roles}
    metric
        Any metric of the task (default accuracy).
    confidence_column, class_scores
        How confident the model is per row (see the module docstring).
    n_thresholds
        Number of thresholds, at quantiles of the confidence (coverage from 100% down to ~1/n).
    level
        Interval level (Wilson for accuracy, else as in :func:`toolkit.performance`).
    {inclusion_prob}
    {n_resamples}

    Returns
    -------
    RiskCoverage
        ``to_frame()``: threshold, coverage (share of scored rows with confidence >= threshold),
        routed_share (1 - coverage), n_accepted (labelled rows accepted), metric, value, lower,
        upper. ``at(abstain_at)`` evaluates one cut-off exactly.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> p = rng.random(2000)
    >>> frame = pd.DataFrame({"p": p, "y": (rng.random(2000) < p).astype(int)})
    >>> rc = tk.risk_coverage(frame, target="y", score="p", n_thresholds=4)
    >>> rc.to_frame()[["threshold", "coverage", "value", "lower", "upper"]].round(3)
       threshold  coverage  value  lower  upper
    0      0.500      1.00  0.748  0.729  0.767
    1      0.627      0.75  0.817  0.796  0.835
    2      0.755      0.50  0.890  0.869  0.908
    3      0.876      0.25  0.950  0.927  0.966
    """
    from .measure import check_count

    n_thresholds = check_count("n_thresholds", n_thresholds, 2)
    labelled, n_boot = current, n_resamples
    roles, metric, prep, conf, conf_fn, conf_text = _setup(
        labelled, spec, metric, inclusion_prob, confidence_column, class_scores, "risk_coverage", **roles)
    scored = ~np.isnan(conf)
    if not scored.any():
        raise ValueError("no row has a confidence (all scores missing)")
    lab = scored & prep.labelled
    if lab.sum() == 0:
        raise ValueError("no labelled row has a confidence; risk-coverage needs labels")
    # thresholds at evenly spaced coverages of the labelled rows, weighted by 1/inclusion_prob: an
    # audit that over-samples confident cases must not crowd the grid at the top
    shares = np.linspace(1, 0, n_thresholds + 1)[:-1]
    qs = _weighted_upper_quantiles(conf[lab], prep.weights[lab], shares)
    thresholds = np.unique(np.r_[conf[scored].min(), qs])
    cov_w = _coverage_weights(prep, scored)
    curve = RiskCoverage(frame=pd.DataFrame(columns=CURVE_COLUMNS), metric=metric, level=level,
                         confidence=conf_text, n_boot=n_boot, random_state=random_state,
                         _conf=conf, _prep=prep, _conf_fn=conf_fn, _cov_weights=cov_w)
    if metric == "accuracy" and np.all(prep.weights[lab] == 1) and np.all(cov_w == 1):
        frame = _accuracy_curve(conf, prep, scored, lab, thresholds, level)
    else:
        rows = [curve.at(t) for t in thresholds]
        frame = pd.DataFrame([{k: r[k] for k in CURVE_COLUMNS} for r in rows], columns=CURVE_COLUMNS)
    return dataclasses.replace(curve, frame=frame)


def _accuracy_curve(conf, prep, scored, lab, thresholds, level) -> pd.DataFrame:
    """Unweighted accuracy at every threshold at once (sorted cumulative counts, Wilson intervals);
    the same numbers :meth:`RiskCoverage.at` gives one threshold at a time."""
    from .intervals import wilson

    rows = np.flatnonzero(lab & ~np.isnan(prep.prediction))
    c = conf[rows]
    correct = (prep.y[rows] == prep.prediction[rows]).astype(float)
    order = np.argsort(c, kind="stable")
    c, correct = c[order], correct[order]
    # rows with confidence >= t: those from searchsorted(left) to the end
    start = np.searchsorted(c, thresholds, side="left")
    suffix_correct = np.r_[np.cumsum(correct[::-1])[::-1], 0.0]
    n_acc = len(c) - start
    k = suffix_correct[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n_acc > 0, k / np.maximum(n_acc, 1), np.nan)
    low, high = wilson(k, n_acc, level)
    all_conf = np.sort(conf[scored])
    coverage = (all_conf.size - np.searchsorted(all_conf, thresholds, side="left")) / all_conf.size
    return pd.DataFrame({"threshold": thresholds.astype(float), "coverage": coverage, "routed_share": 1 - coverage,
                         "n_accepted": n_acc.astype(np.int64), "metric": "accuracy", "value": value,
                         "lower": low, "upper": high}, columns=CURVE_COLUMNS)


@dataclasses.dataclass(frozen=True)
class RiskCoverage(Result):
    """Metric on accepted cases versus coverage (see :func:`risk_coverage`).

    Attributes
    ----------
    aurc
        Area under the risk-coverage curve for accuracy (mean error rate over coverage; lower is better).
    confidence
        How confidence was computed.

    Made by :func:`risk_coverage` (see its example); ``at(abstain_at)`` gives one point as plain numbers.
    """

    frame: pd.DataFrame
    metric: str
    level: float
    confidence: str
    n_boot: int = 300
    random_state: int = 0
    _conf: np.ndarray = dataclasses.field(default=None, repr=False, compare=False)
    _prep: object = dataclasses.field(default=None, repr=False, compare=False)
    _conf_fn: Callable = dataclasses.field(default=None, repr=False, compare=False)
    _cov_weights: np.ndarray = dataclasses.field(default=None, repr=False, compare=False)

    @renamed_arguments(threshold="abstain_at")
    def at(self, abstain_at: float) -> dict:
        """The curve at one abstain cut-off (cases with confidence >= ``abstain_at`` are answered): dict
        with threshold (that cut-off, as in :meth:`to_frame`), coverage, routed_share, n_accepted, the
        metric (under its own name and as ``value``), lower and upper.

        Plain numbers, for widgets and reports: ``rc.at(0.8)["accuracy"]``. ``at(threshold=...)`` is the
        deprecated keyword (``threshold`` is the spec's decision threshold).
        """
        from .realized import measure

        threshold = float(abstain_at)
        conf, prep = self._conf, self._prep
        scored = ~np.isnan(conf)
        accepted = scored & (conf >= threshold)
        w = self._cov_weights if self._cov_weights is not None else np.ones(len(conf))
        coverage = float(w[accepted].sum() / w[scored].sum())
        rows = np.flatnonzero(accepted & prep.labelled)
        m = measure(prep, rows, self.metric, level=self.level, n_boot=self.n_boot,
                    rng=np.random.default_rng(self.random_state), keep_boot=False)
        return {"threshold": threshold, "coverage": coverage, "routed_share": 1 - coverage, "n_accepted": int(m.n),
                "metric": self.metric, self.metric: m.value, "value": m.value, "lower": m.lower, "upper": m.upper}

    @property
    def aurc(self) -> float:
        f = self.frame.sort_values("coverage")
        if self.metric != "accuracy" or len(f) < 2:
            return float("nan")
        risk, cov = 1 - f["value"].to_numpy(dtype=float), f["coverage"].to_numpy(dtype=float)
        return float(np.trapezoid(risk, cov) / (cov.max() - cov.min()))

    def chart(self, decision: "AbstainDecision | None" = None):
        """Risk-coverage curve with its interval band (and a chosen threshold, if given)."""
        from ..charts.fallback import risk_coverage_chart

        return risk_coverage_chart(self, decision=decision)

    def __repr__(self) -> str:
        f = self.frame
        return (f"RiskCoverage({self.metric} from {f['value'].iloc[0]:.3f} at full coverage to "
                f"{f['value'].iloc[-1]:.3f} at {f['coverage'].iloc[-1]:.0%}; {len(f)} thresholds)")

    def to_html(self) -> str:
        body = f"<p>Confidence: {escape(self.confidence)}.</p>" + frame_to_html(self.frame, max_rows=60)
        return card(f"Risk-coverage ({self.metric}, {self.level:.0%} intervals)", body,
                    headline=repr(self), colour=SEVERITY_COLOURS["info"])


# -- abstain threshold ---------------------------------------------------------------------------------

@renamed_arguments(labelled="current", confidence="level")
@shared_doc
def abstain_threshold(
    current: pd.DataFrame,
    spec: ModelSpec | None = None,
    *,
    target_accuracy: float = 0.9,
    level: float = 0.95,
    confidence_column: str | None = None,
    class_scores: dict | None = None,
    min_accepted: int = 30,
    n_grid: int = 50,
    inclusion_prob: str | None = "auto",
    **roles: Unpack[RoleOverrides],
) -> "AbstainDecision":
    """The lowest confidence threshold whose accepted cases reach ``target_accuracy`` with confidence.

    Candidate thresholds sit at ``n_grid`` evenly spaced coverages (weighted by 1/inclusion_prob
    when the rows are an audit sample), keeping those with at least ``min_accepted`` labelled
    accepted cases. Each candidate ``k`` tests "accuracy of the accepted cases < target" with the
    one-sided exact (Clopper-Pearson) binomial test. The tests run from the most confident
    candidate down with the *fallback procedure* (Wiens 2003): each candidate owns
    ``(1 - level) / K`` of the error budget, and a candidate that passes hands its level on
    to the next. Unlike a plain fixed sequence, a noisy or weak top slice only spends its own
    share of the budget; the search carries on. The chosen threshold is the passing candidate with
    the largest coverage. The family-wise error rate is at most ``1 - confidence`` whatever the
    dependence between the tests, so the chosen threshold's true accuracy is below the target with
    probability at most ``1 - level``. Cases below it go to the fallback.

    Parameters
    ----------
    current
        Labelled rows (rows without a label count for the routed share only).
    {roles}
    target_accuracy
        Accuracy the accepted cases must reach.
    level
        Confidence level of the one-sided lower bound (0.95).
    confidence_column, class_scores
        How confident the model is per row (see the module docstring).
    min_accepted
        Labelled accepted cases before the first test.
    n_grid
        Number of candidate coverages (the budget is split over the candidates that remain).
    inclusion_prob
        Column of inclusion probabilities; weighted data use the Hajek accuracy and Kish's
        effective sample size in the bound.

    Returns
    -------
    AbstainDecision
        threshold (None when no threshold qualifies: route everything), coverage, routed_share,
        accuracy and lower_bound of the accepted cases, n_accepted, and the ``curve``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(3)
    >>> p = rng.beta(0.5, 0.5, 3000)
    >>> frame = pd.DataFrame({"p": p, "y": (rng.random(3000) < p).astype(int)})
    >>> d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.95)
    >>> d.feasible, round(d.routed_share, 2)
    (True, 0.56)
    >>> new = pd.DataFrame({"p": rng.beta(0.5, 0.5, 1000), "week": ["w1"] * 500 + ["w2"] * 500})
    >>> d.apply(new, by="week")[["window", "n", "n_routed", "routed_share"]]
      window    n  n_routed  routed_share
    0     w1  500       283         0.566
    1     w2  500       288         0.576
    """
    from .measure import check_count, fmt_int

    if not 0 < target_accuracy < 1:
        raise ValueError(f"target_accuracy must be between 0 and 1 (e.g. 0.9); got {target_accuracy!r}")
    labelled, confidence, overrides = current, level, roles
    if not 0.5 <= confidence < 1:
        raise ValueError(f"level must be in [0.5, 1) (e.g. 0.95); got {confidence!r}")
    roles, metric, prep, conf, conf_fn, conf_text = _setup(
        labelled, spec, "accuracy", inclusion_prob, confidence_column, class_scores, "abstain_threshold",
        **overrides)
    if roles.task == "regression":
        raise ValueError("abstain_threshold targets accuracy, so it needs a classification task")
    curve = risk_coverage(labelled, spec, metric="accuracy", confidence_column=confidence_column,
                          class_scores=class_scores, inclusion_prob=inclusion_prob, **overrides)
    min_accepted = check_count("min_accepted", min_accepted, 1)
    n_grid = check_count("n_grid", n_grid, 1)
    scored = ~np.isnan(conf)
    lab = np.flatnonzero(scored & prep.labelled & ~np.isnan(prep.prediction))
    if len(lab) == 0:
        raise ValueError("no labelled row with a score and a prediction")
    alpha = 1 - confidence
    cov_w = _coverage_weights(prep, scored)
    sel = _select_threshold(conf[lab], (prep.y[lab] == prep.prediction[lab]).astype(float), prep.weights[lab],
                            target_accuracy, alpha, min_accepted, n_grid)
    notes = []
    n_missing = int(len(labelled) - len(lab))
    if n_missing:
        notes.append(f"{fmt_int(len(lab))} of {fmt_int(len(labelled))} rows used: {fmt_int(n_missing)} lack a label, "
                     "a score or a prediction")
    if sel["chosen"] is None:
        thr, cov, a, lb, n_a = None, 0.0, np.nan, np.nan, 0
        if sel["best_point"] is not None:
            notes.append(
                f"the accuracy estimate meets {target_accuracy} at coverages up to {sel['best_point']:.0%}, but its "
                f"{confidence:.0%} lower bound does not at any of the {sel['n_candidates']} thresholds tested: "
                "the bound, not the estimate, makes it infeasible. More labels, a lower target or a lower "
                "confidence would make it feasible")
        else:
            notes.append(f"no threshold reaches accuracy {target_accuracy} with {confidence:.0%} confidence (the "
                         "estimate itself stays below the target): route every case to the fallback, or lower the "
                         "target")
    else:
        thr = float(sel["threshold"])
        cov = float(cov_w[scored & (conf >= thr)].sum() / cov_w[scored].sum())
        a, lb, n_a = float(sel["accuracy"]), float(sel["lower_bound"]), int(sel["n_accepted"])
        if sel["skipped_top"]:
            notes.append(f"{sel['skipped_top']} most confident candidate threshold(s) failed the bound; the search "
                         "went on past them (fallback procedure)")
    if sel["weighted"]:
        notes.append("weighted by 1/inclusion_prob; bound uses Kish's effective sample size")
    return AbstainDecision(
        abstain_at=thr, target_accuracy=target_accuracy, level=confidence, coverage=cov, routed_share=1 - cov,
        accuracy=a, lower_bound=lb, n_accepted=n_a, n_labelled=len(lab), feasible=sel["chosen"] is not None,
        confidence_measure=conf_text, curve=curve, notes=tuple(notes), n_rows=len(labelled),
        n_candidates=sel["n_candidates"], _conf_fn=conf_fn, _roles=roles,
        _class_scores=class_scores if roles.prediction == "_tk_predicted" else None,
        _confidence_column=confidence_column,
    )


def _fallback_procedure(p: np.ndarray, alpha: float) -> np.ndarray:
    """Which of the ordered tests with p-values ``p`` pass under the fallback procedure (Wiens 2003): each
    owns ``alpha / len(p)`` of the budget and a pass carries its level on to the next test."""
    share_alpha = alpha / len(p)
    level, passed = 0.0, np.zeros(len(p), dtype=bool)
    for i, pv in enumerate(p):
        level = share_alpha + (level if i and passed[i - 1] else 0.0)
        passed[i] = pv <= level
    return passed


def _coverage_grid(share: np.ndarray, n_grid: int) -> np.ndarray:
    """Positions (into cumulative arrays, most confident first) of the first point reaching each of
    ``n_grid`` evenly spaced coverages."""
    grid = np.unique(np.searchsorted(share, np.linspace(1, 0, n_grid + 1)[:-1][::-1] - 1e-12, side="left"))
    return grid[grid < len(share)]


def _select_threshold(conf, correct, w, target, alpha, min_accepted, n_grid) -> dict:
    """The fallback-procedure search of :func:`abstain_threshold` on labelled rows (private, vectorised)."""
    from scipy import stats

    order = np.argsort(-conf, kind="stable")
    c, correct, w = conf[order], correct[order], w[order]
    # cumulative statistics at each distinct confidence value, most confident first
    last = np.r_[np.flatnonzero(np.diff(c) != 0), len(c) - 1]
    cw, cwc, cw2 = np.cumsum(w)[last], np.cumsum(w * correct)[last], np.cumsum(w**2)[last]
    n_acc = last + 1
    acc = cwc / cw
    weighted = bool(np.any(w != 1))
    n_eff = cw**2 / cw2 if weighted else n_acc.astype(float)
    k = acc * n_eff
    # the grid: the first distinct confidence whose (weighted) share of labelled rows reaches each coverage
    share = cw / cw[-1]
    grid = np.unique(np.searchsorted(share, np.linspace(1, 0, n_grid + 1)[:-1][::-1] - 1e-12, side="left"))
    grid = grid[grid < len(last)]
    n_reachable = int(np.ceil(np.log(alpha) / np.log(target)))
    grid = grid[n_acc[grid] >= max(min_accepted, n_reachable)]
    out = {"chosen": None, "n_candidates": int(len(grid)), "weighted": weighted, "skipped_top": 0,
           "best_point": None}
    if len(grid) == 0:
        return out
    # exact one-sided p-value of "accuracy < target": P(Binomial(n, target) >= k), for effective counts
    with np.errstate(invalid="ignore"):
        p = np.where(k[grid] > 0, stats.beta.cdf(target, np.maximum(k[grid], 1e-12),
                                                  np.maximum(n_eff[grid] - k[grid] + 1, 1e-12)), 1.0)
    passed = _fallback_procedure(p, alpha)
    point_ok = acc[grid] >= target
    if point_ok.any():
        cov_share = share[grid]
        out["best_point"] = float(cov_share[point_ok].max())
    if not passed.any():
        return out
    best = int(np.flatnonzero(passed)[-1])
    g = grid[best]
    lower = stats.beta.ppf(alpha, np.maximum(k[g], 1e-12), np.maximum(n_eff[g] - k[g] + 1, 1e-12))
    out.update(chosen=best, threshold=c[last[g]], accuracy=acc[g], n_accepted=int(n_acc[g]),
               lower_bound=float(lower), skipped_top=int(np.flatnonzero(passed)[0]))
    return out


def _routing_table(production, routed, missing, roles, by, timestamp, missing_name):
    """Per window of ``production``: window, n, n_routed, routed_share and the rows with no confidence
    (``missing_name``); and each row's window."""
    from .measure import assign_windows

    timestamp = timestamp or (roles.timestamp if roles is not None else None)
    windows, order = assign_windows(production, by, timestamp, name="production")
    work = pd.DataFrame({"window": windows.to_numpy(), "routed": routed, "missing": missing})
    g = work.groupby("window", sort=False)
    out = pd.DataFrame({"n": g.size(), "n_routed": g["routed"].sum(), missing_name: g["missing"].sum()})
    out = order[["window"]].join(out, on="window").reset_index(drop=True)
    for col in ("n", "n_routed", missing_name):   # a window with no rows has 0 of each, not NaN
        out[col] = out[col].fillna(0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["routed_share"] = np.where(out["n"] > 0, out["n_routed"] / out["n"].clip(lower=1), np.nan)
    return out[["window", "n", "n_routed", "routed_share", missing_name]], windows


def _routing(production: pd.DataFrame, routed: np.ndarray, missing: np.ndarray, roles, by, timestamp, inclusion_prob,
             missing_what: str, metric: str, flag: tuple[str, Callable], class_scores: dict | None = None) -> pd.DataFrame:
    """Routing per window (the ``apply`` of both abstain rules) and, where ``production`` is labelled,
    ``metric`` on the cases answered; ``flag`` is (column, test on the window's Measure) for a broken promise."""
    out, windows = _routing_table(production, routed, missing, roles, by, timestamp, f"n_missing_{missing_what}")
    if roles is None or roles.target not in production.columns or production[roles.target].isna().all():
        return out
    if class_scores:  # the predicted class was the most probable one: derive it here too
        production = _assign_predicted(production, class_scores)
    answered = _answered_per_window(production, roles, windows, routed, out["window"], metric, inclusion_prob)
    column, broken = flag
    rows = [{"n_accepted_labelled": m.n, f"{metric}_accepted": m.value, "lower": m.lower, "upper": m.upper,
             column: bool(broken(m))} for m in answered]
    return pd.concat([out, pd.DataFrame(rows)], axis=1)


def _answered_per_window(production, roles, windows, routed, labels, metric, inclusion_prob) -> list:
    """``metric`` (value and interval) on the answered, labelled rows of each window in ``labels``."""
    from .realized import measure, prepare

    prep = prepare(production, roles, (metric,), inclusion_prob, name="production")
    positions = pd.Series(np.arange(len(production))).groupby(windows.to_numpy()).indices
    out = []
    for window in labels:
        rows = positions.get(window, np.array([], dtype=np.int64))
        out.append(measure(prep, rows[~routed[rows]], metric, n_boot=300, keep_boot=False))
    return out


@dataclasses.dataclass(frozen=True)
class AbstainDecision(Result):
    """Where the model abstains (see :func:`abstain_threshold`).

    Attributes
    ----------
    abstain_at
        Confidence at or above which the model answers (below it, it abstains); None: no threshold
        qualifies. (``threshold``, its old name, still reads it for one release, with a DeprecationWarning.)
    level
        Confidence level of ``lower_bound`` (``confidence`` is its deprecated name).
    coverage, routed_share
        Share of cases the model answers, and the share routed to the fallback.
    accuracy, lower_bound
        Accuracy of the accepted labelled cases and its one-sided lower confidence bound.
    n_labelled, n_rows
        Labelled rows with a score and a prediction that the choice used (the one count of
        "labelled rows" to quote), and all rows passed in (``notes`` says why the rest were left out).
    n_candidates
        Candidate thresholds tested (the error budget is split over them).

    Made by :func:`abstain_threshold` (see its example): ``routes(frame)`` marks the cases to hand
    to the fallback, ``apply(frame, by=...)`` summarises the routing per window.
    """

    abstain_at: float | None
    target_accuracy: float
    level: float
    coverage: float
    routed_share: float
    accuracy: float
    lower_bound: float
    n_accepted: int
    n_labelled: int
    feasible: bool
    confidence_measure: str
    curve: RiskCoverage
    notes: tuple[str, ...] = ()
    n_rows: int = 0
    n_candidates: int = 0
    _conf_fn: Callable = dataclasses.field(default=None, repr=False, compare=False)
    _roles: object = dataclasses.field(default=None, repr=False, compare=False)
    _class_scores: dict | None = dataclasses.field(default=None, repr=False, compare=False)
    _confidence_column: str | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def threshold(self) -> float | None:
        """Deprecated name of :attr:`abstain_at` (``threshold`` is the spec's decision threshold)."""
        warnings.warn("AbstainDecision.threshold is deprecated and will be removed in the next release; use "
                      "abstain_at", DeprecationWarning, stacklevel=2)
        return self.abstain_at

    @property
    def confidence(self) -> float:
        """Deprecated name of :attr:`level`."""
        warnings.warn("AbstainDecision.confidence is deprecated and will be removed in the next release; use level",
                      DeprecationWarning, stacklevel=2)
        return self.level

    def routes(self, frame: pd.DataFrame) -> pd.Series:
        """Boolean Series aligned with ``frame``: True where the case goes to the fallback.

        Rows whose confidence cannot be computed (missing score) are routed.
        """
        check_frame("frame", frame)
        conf = self._conf_fn(frame)
        if self.abstain_at is None:
            routed = np.ones(len(frame), dtype=bool)
        else:
            routed = np.isnan(conf) | (conf < self.abstain_at)
        return pd.Series(routed, index=frame.index, name="routed")

    @renamed_arguments(new_window="production")
    def apply(self, production: pd.DataFrame, by: str | None = None, timestamp: str | None = None,
              inclusion_prob: str | None = "auto") -> pd.DataFrame:
        """Expected routing on new data, per window: window, n, n_routed, routed_share, n_missing_confidence.

        Where ``production`` has labels, also the accuracy of the cases the model would answer:
        n_accepted_labelled, accuracy_accepted, lower, upper (Wilson, or weighted bootstrap with
        inclusion probabilities) and below_target (the interval lies below ``target_accuracy``).
        ``by`` is a column or a period alias on ``timestamp``; None gives one row.

        ``production`` may also be :class:`~toolkit.outcomes.counts.OutcomeCounts` of every production row
        (``tk.engines.outcome_counts(..., all_rows=True)``, counted in pandas, DuckDB or Spark) for a binary
        model whose confidence comes from its score: the windows are the counts', each cell of one score and
        predicted label is routed as its rows are, and the accuracy comes from the answered labelled cells
        (:func:`~toolkit.outcomes.counts.measure_cells`), so the three engines give the same table.
        ``by``, ``timestamp`` and ``inclusion_prob`` are then the counts'.
        """
        from .counts import OutcomeCounts

        if isinstance(production, OutcomeCounts):
            return self._apply_counts(production)
        routed = self.routes(production).to_numpy()
        missing = np.isnan(self._conf_fn(production))
        return _routing(production, routed, missing, self._roles, by, timestamp, inclusion_prob, "confidence",
                        "accuracy", ("below_target", lambda m: m.upper < self.target_accuracy), self._class_scores)

    def _apply_counts(self, counts) -> pd.DataFrame:
        """:meth:`apply` on the cells of every production row (see there)."""
        from .counts import Cells, measure_cells

        roles = self._roles
        if counts.scores is None:
            raise ValueError("these outcome counts hold the labelled rows only; routing needs every production row: "
                             "count them with tk.engines.outcome_counts(..., all_rows=True)")
        if roles is None or roles.task != "binary" or self._confidence_column is not None or self._class_scores:
            raise ValueError("routing from counts needs a binary model whose confidence comes from its score "
                             "(max(p, 1 - p) or the threshold's side); pass the production rows (a DataFrame) for "
                             "a confidence column or a multiclass model")
        records, labelled_any = [], False
        answered_cells = []
        for window in counts.windows["window"]:
            c = counts.scores[window] if window in counts.scores else Cells.empty()
            # the confidence of a cell, as _confidence_function computes it for its rows
            conf = np.where(c.p == 1, c.s, 1 - c.s) + np.where(np.isnan(c.p), np.nan, 0.0)
            missing = np.isnan(conf)
            routed = np.ones(len(conf), dtype=bool) if self.abstain_at is None else missing | (conf < self.abstain_at)
            n = int(c.n.sum())
            n_routed = int(c.n[routed].sum())
            records.append({"window": window, "n": n, "n_routed": n_routed,
                            "routed_share": n_routed / n if n else np.nan,
                            "n_missing_confidence": int(c.n[missing].sum())})
            keep = ~routed & ~np.isnan(c.y)
            labelled_any = labelled_any or bool((~np.isnan(c.y)).any())
            # accuracy reads label, prediction and weight only: cells merged on those, so the seeded bootstrap
            # meets the same cells whether the counts kept each score or only its routing (route_at)
            answered_cells.append(Cells.from_frame(pd.DataFrame({"y": c.y[keep], "s": 0.0, "p": c.p[keep],
                                                                 "pi": c.pi[keep], "n": c.n[keep]})))
        out = pd.DataFrame.from_records(records, columns=["window", "n", "n_routed", "routed_share",
                                                          "n_missing_confidence"])
        if not labelled_any:
            return out
        rows = []
        for cells in answered_cells:   # one seeded draw per window, as the rows' path (n_boot=300, seed 0)
            m = measure_cells(cells, "accuracy", n_boot=300, rng=np.random.default_rng(0), keep_boot=False,
                              weight_column=counts.weight_column)
            rows.append({"n_accepted_labelled": m.n, "accuracy_accepted": m.value, "lower": m.lower, "upper": m.upper,
                         "below_target": bool(m.upper < self.target_accuracy)})
        return pd.concat([out, pd.DataFrame(rows)], axis=1)

    def to_frame(self) -> pd.DataFrame:
        """The decision as a one-row frame."""
        keys = ["abstain_at", "target_accuracy", "level", "coverage", "routed_share", "accuracy", "lower_bound",
                "n_accepted", "n_labelled", "feasible"]
        return pd.DataFrame([{k: getattr(self, k) for k in keys}])

    def chart(self):
        """The risk-coverage curve with the chosen threshold and the target marked."""
        return self.curve.chart(decision=self)

    def __repr__(self) -> str:
        if not self.feasible:
            return (f"AbstainDecision(infeasible: route everything; target {self.target_accuracy}; "
                    f"{self.n_labelled:,} labelled cases)")
        return (f"AbstainDecision(abstain_at={self.abstain_at:.4g}: answer {self.coverage:.1%}, route "
                f"{self.routed_share:.1%}; accepted accuracy {self.accuracy:.3f} >= {self.lower_bound:.3f} "
                f"({self.level:.0%} lower bound) vs target {self.target_accuracy}; chosen on "
                f"{self.n_labelled:,} labelled cases)")

    def to_html(self) -> str:
        body = frame_to_html(self.to_frame())
        body += f"<p>Confidence: {escape(self.confidence_measure)}.</p>"
        body += notes_html(self.notes)
        colour = SEVERITY_COLOURS["ok"] if self.feasible else SEVERITY_COLOURS["error"]
        if self.feasible:   # a sentence for people, not the repr
            head = (f"Answer when confidence >= {self.abstain_at:.3g}: {self.coverage:.1%} answered with accuracy "
                    f"{self.accuracy:.3g} (lower {self.level:.0%} bound {self.lower_bound:.3g}, target "
                    f"{self.target_accuracy:.3g}); {self.routed_share:.1%} routed to the fallback.")
        else:
            head = f"No threshold meets accuracy {self.target_accuracy:.3g}: route everything to the fallback."
        return card("Abstain threshold", body, headline=head, colour=colour)


# -- regression: abstain on the model's own predicted uncertainty --------------------------------------------

#: column names read as a per-row predicted uncertainty (a standard deviation, or an interval's two ends),
#: ``{p}`` the prediction column; a declared ``uncertainty_column=`` wins
UNCERTAINTY_NAMES = ("{p}_std", "{p}_sd", "{p}_stddev", "{p}_uncertainty", "prediction_std", "pred_std",
                     "predicted_std", "uncertainty")
INTERVAL_NAMES = (("{p}_lower", "{p}_upper"), ("{p}_lo", "{p}_hi"), ("prediction_lower", "prediction_upper"))


def find_uncertainty(frame: pd.DataFrame, prediction: str | None = None) -> str | tuple[str, str] | None:
    """The column(s) holding a regression model's predicted uncertainty, found by name: a standard deviation
    (``<prediction>_std``, ``prediction_std``, ``uncertainty``, ...) or an interval's ends
    (``<prediction>_lower`` / ``<prediction>_upper``, whose width is the uncertainty). None when there is none.

    >>> import pandas as pd
    >>> find_uncertainty(pd.DataFrame(columns=["delay", "pred_delay", "pred_delay_std"]), "pred_delay")
    'pred_delay_std'
    >>> find_uncertainty(pd.DataFrame(columns=["y", "yhat", "yhat_lower", "yhat_upper"]), "yhat")
    ('yhat_lower', 'yhat_upper')
    """
    columns = set(map(str, frame.columns))
    p = str(prediction) if prediction is not None else "prediction"
    for name in UNCERTAINTY_NAMES:
        if name.format(p=p) in columns:
            return name.format(p=p)
    for lo, hi in INTERVAL_NAMES:
        if lo.format(p=p) in columns and hi.format(p=p) in columns:
            return lo.format(p=p), hi.format(p=p)
    return None


def _uncertainty_values(frame: pd.DataFrame, column) -> np.ndarray:
    from .measure import numeric_column

    if isinstance(column, (tuple, list)):
        lo, hi = column
        check_columns("data", frame, [lo, hi])
        u = numeric_column(frame, hi, "data", "interval upper end") - numeric_column(frame, lo, "data",
                                                                                   "interval lower end")
    else:
        check_columns("data", frame, [column])
        u = numeric_column(frame, column, "data", "uncertainty")
    if np.nanmin(u, initial=0.0) < 0:
        raise ValueError(f"uncertainty {column!r} has negative values (min {np.nanmin(u):.4g}); it must be a standard "
                         "deviation or an interval width (upper - lower >= 0)")
    return u


def abstain_on_uncertainty(
    current: pd.DataFrame,
    spec: ModelSpec | None = None,
    *,
    uncertainty_column=None,
    max_mae: float | None = None,
    level: float = 0.95,
    min_accepted: int = 30,
    n_grid: int = 50,
    inclusion_prob: str | None = "auto",
    target: str | None = None,
    prediction: str | None = None,
) -> "UncertaintyAbstain":
    """Regression's risk-coverage: answer the cases whose predicted uncertainty is at most ``abstain_at``,
    the largest share of cases whose mean absolute error stays at or below ``max_mae`` with confidence.

    The regression counterpart of :func:`abstain_threshold`: risk is the absolute error, cases are ranked
    by the model's own uncertainty (a predicted standard deviation, or an interval's width; found by
    :func:`find_uncertainty` unless ``uncertainty_column=`` names it). Candidate cut-offs sit at ``n_grid``
    evenly spaced coverages with at least ``min_accepted`` labelled accepted cases; each tests "MAE of the
    accepted cases > max_mae" one-sided (t test on the Hajek mean of the absolute errors with its
    linearised standard error and Kish's effective size), and the fallback procedure over the candidates
    (as in :func:`abstain_threshold`) keeps the chance that the chosen cut-off's true MAE exceeds
    ``max_mae`` at about ``1 - level`` (measured 1-4% for a 5% budget:
    ``tests/test_fallback_regression.py``; the t test is approximate for skewed errors).

    ``max_mae=None`` asks for 80% of the MAE over all labelled cases (a note says so).

    Returns
    -------
    UncertaintyAbstain
        abstain_at (None: no cut-off qualifies), coverage, routed_share, mae and upper_bound of the
        accepted cases, n_accepted, n_labelled, and ``curve`` (MAE against coverage, with intervals).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> sd = rng.uniform(0.5, 3, 3000)
    >>> frame = pd.DataFrame({"y": rng.normal(0, sd), "pred": 0.0, "pred_std": sd})
    >>> d = tk.abstain_on_uncertainty(frame, target="y", prediction="pred", max_mae=1.0)
    >>> d.uncertainty_column, round(d.abstain_at, 2), round(d.coverage, 2), bool(d.upper_bound <= 1.0)
    ('pred_std', 1.89, 0.56, True)
    """
    from .measure import check_count, fmt_int, resolve_roles
    from .realized import prepare

    check_frame("current", current)
    if not 0.5 <= level < 1:
        raise ValueError(f"level must be in [0.5, 1) (e.g. 0.95); got {level!r}")
    min_accepted = check_count("min_accepted", min_accepted, 2)
    n_grid = check_count("n_grid", n_grid, 1)
    roles = resolve_roles(current, spec, target=target, prediction=prediction, task="regression")
    if roles.task != "regression":
        raise ValueError("abstain_on_uncertainty is for regression; classifiers use abstain_threshold")
    column = uncertainty_column if uncertainty_column is not None else find_uncertainty(current, roles.prediction)
    if column is None:
        raise ValueError(f"no predicted uncertainty found: pass uncertainty_column= (a standard deviation column, or "
                         f"a (lower, upper) pair), or log one as {roles.prediction}_std")
    u = _uncertainty_values(current, column)
    prep = prepare(current, roles, ("mae",), inclusion_prob)
    err = np.abs(prep.y - prep.prediction)
    scored = ~np.isnan(u)
    lab = np.flatnonzero(scored & prep.labelled & ~np.isnan(err))
    if len(lab) == 0:
        raise ValueError("no labelled row with a prediction and an uncertainty")
    notes = []
    overall = float(np.sum(prep.weights[lab] * err[lab]) / np.sum(prep.weights[lab]))
    if max_mae is None:
        max_mae = 0.8 * overall
        notes.append(f"max_mae not given: 80% of the MAE over all labelled cases ({overall:.4g})")
    max_mae = float(max_mae)
    if not max_mae > 0:
        raise ValueError(f"max_mae must be positive (an absolute error in the target's units); got {max_mae!r}")
    alpha = 1 - level
    sel = _select_mean_threshold(-u[lab], err[lab], prep.weights[lab], max_mae, alpha, min_accepted, n_grid)
    cov_w = _coverage_weights(prep, scored)
    n_missing = int(len(current) - len(lab))
    if n_missing:
        notes.append(f"{fmt_int(len(lab))} of {fmt_int(len(current))} rows used: {fmt_int(n_missing)} lack a label, "
                     "a prediction or an uncertainty")
    if sel["chosen"] is None:
        cut, cov, mae, ub, n_a = None, 0.0, np.nan, np.nan, 0
        if sel["best_point"] is not None:
            notes.append(f"the MAE estimate meets {max_mae:.4g} at coverages up to {sel['best_point']:.0%}, but its "
                         f"{level:.0%} upper bound does not at any of the {sel['n_candidates']} cut-offs tested: "
                         "the bound, not the estimate, makes it infeasible")
        else:
            notes.append(f"no cut-off keeps the MAE at or below {max_mae:.4g}, even the most certain cases: route every "
                         "case to the fallback, or raise max_mae")
    else:
        cut = float(-sel["threshold"])
        cov = float(cov_w[scored & (u <= cut)].sum() / cov_w[scored].sum())
        mae, ub, n_a = float(sel["value"]), float(sel["bound"]), int(sel["n_accepted"])
    # the curve: MAE on the accepted cases as the cut-off on the uncertainty rises (risk_coverage ranks by
    # certainty, i.e. minus the uncertainty)
    work = current.assign(_tk_certainty=-u)
    curve = risk_coverage(work, spec, metric="mae", confidence_column="_tk_certainty", inclusion_prob=inclusion_prob,
                          target=target, prediction=prediction, task="regression")
    frame = curve.frame.copy()
    frame.insert(1, "abstain_at", -frame["threshold"].astype(float))
    name = column if isinstance(column, str) else f"{column[1]} - {column[0]}"
    curve = dataclasses.replace(curve, frame=frame, confidence=f"minus the predicted uncertainty ({name})")
    return UncertaintyAbstain(
        abstain_at=cut, max_mae=max_mae, level=level, coverage=cov, routed_share=1 - cov, mae=mae,
        upper_bound=ub, n_accepted=n_a, n_labelled=len(lab), feasible=sel["chosen"] is not None,
        uncertainty_column=column, curve=curve, notes=tuple(notes), n_rows=len(current),
        n_candidates=sel["n_candidates"], _roles=roles)


def _select_mean_threshold(conf, loss, w, max_loss, alpha, min_accepted, n_grid) -> dict:
    """The fallback-procedure search for a weighted mean loss (MAE): the largest coverage whose one-sided
    t test rejects "mean loss > max_loss" (private, vectorised; ``conf`` higher = more sure)."""
    from scipy import stats

    order = np.argsort(-conf, kind="stable")
    c, loss, w = conf[order], loss[order], w[order]
    last = np.r_[np.flatnonzero(np.diff(c) != 0), len(c) - 1]
    cw, cwl, cw2 = np.cumsum(w)[last], np.cumsum(w * loss)[last], np.cumsum(w**2)[last]
    cw2l, cw2l2 = np.cumsum(w**2 * loss)[last], np.cumsum(w**2 * loss**2)[last]
    n_acc = last + 1
    mean = cwl / cw
    weighted = bool(np.any(w != 1))
    n_eff = cw**2 / cw2
    # linearised variance of the Hajek mean; with unit weights the usual s^2 / n with ddof=1
    ss = np.maximum(cw2l2 - 2 * mean * cw2l + mean**2 * cw2, 0.0)
    se = np.sqrt(ss / cw**2 * n_eff / np.maximum(n_eff - 1, 1e-12))
    share = cw / cw[-1]
    grid = _coverage_grid(share, n_grid)
    grid = grid[n_acc[grid] >= min_accepted]
    out = {"chosen": None, "n_candidates": int(len(grid)), "weighted": weighted, "best_point": None}
    if len(grid) == 0:
        return out
    df = np.maximum(n_eff[grid] - 1, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (mean[grid] - max_loss) / se[grid]
    p = np.where(se[grid] > 0, stats.t.cdf(t, df), np.where(mean[grid] <= max_loss, 0.0, 1.0))
    point_ok = mean[grid] <= max_loss
    if point_ok.any():
        out["best_point"] = float(share[grid][point_ok].max())
    passed = _fallback_procedure(p, alpha)
    if not passed.any():
        return out
    best = int(np.flatnonzero(passed)[-1])
    g = grid[best]
    out.update(chosen=best, threshold=c[last[g]], value=mean[g], n_accepted=int(n_acc[g]),
               bound=float(mean[g] + stats.t.ppf(1 - alpha, df[best]) * se[g]))
    return out


@dataclasses.dataclass(frozen=True, repr=False)  # the Result base's one-line repr, not a dump of its frames
class UncertaintyAbstain(Result):
    """Where a regression model abstains on its own predicted uncertainty (see :func:`abstain_on_uncertainty`).

    Attributes
    ----------
    abstain_at
        The model answers cases whose uncertainty is at most this; None: no cut-off qualifies.
    coverage, routed_share
        Share of cases answered, and the share routed to the fallback.
    mae, upper_bound
        MAE of the accepted labelled cases and its one-sided upper confidence bound (<= ``max_mae``).
    n_labelled, n_rows
        Labelled rows with a prediction and an uncertainty that the choice used, and all rows passed in.
    """

    abstain_at: float | None
    max_mae: float
    level: float
    coverage: float
    routed_share: float
    mae: float
    upper_bound: float
    n_accepted: int
    n_labelled: int
    feasible: bool
    uncertainty_column: object
    curve: RiskCoverage
    notes: tuple[str, ...] = ()
    n_rows: int = 0
    n_candidates: int = 0
    _roles: object = dataclasses.field(default=None, repr=False, compare=False)

    def routes(self, frame: pd.DataFrame) -> pd.Series:
        """Boolean Series aligned with ``frame``: True where the case goes to the fallback (uncertainty above
        ``abstain_at``, or missing)."""
        check_frame("frame", frame)
        u = _uncertainty_values(frame, self.uncertainty_column)
        routed = np.ones(len(frame), dtype=bool) if self.abstain_at is None else ~(u <= self.abstain_at)
        return pd.Series(routed, index=frame.index, name="routed")

    @renamed_arguments(new_window="production")
    def apply(self, production: pd.DataFrame, by: str | None = None, timestamp: str | None = None,
              inclusion_prob: str | None = "auto") -> pd.DataFrame:
        """Expected routing per window: window, n, n_routed, routed_share, n_missing_uncertainty and, where labelled,
        n_accepted_labelled, mae_accepted, lower, upper (studentized bootstrap) and above_max (the interval
        lies above ``max_mae``)."""
        routed = self.routes(production).to_numpy()
        missing = np.isnan(_uncertainty_values(production, self.uncertainty_column))
        return _routing(production, routed, missing, self._roles, by, timestamp, inclusion_prob, "uncertainty", "mae",
                        ("above_max", lambda m: m.lower > self.max_mae))

    def to_frame(self) -> pd.DataFrame:
        keys = ["abstain_at", "max_mae", "level", "coverage", "routed_share", "mae", "upper_bound",
                "n_accepted", "n_labelled", "feasible"]
        return pd.DataFrame([{k: getattr(self, k) for k in keys}])

    def chart(self):
        """MAE of the answered cases against coverage, with the ``max_mae`` line and the chosen cut-off."""
        from ..charts.fallback import uncertainty_abstain_chart

        return uncertainty_abstain_chart(self)

    def _headline(self) -> str:
        if not self.feasible:
            return f"No uncertainty cut-off keeps MAE <= {self.max_mae:.4g}: route everything to the fallback."
        return (f"Answer when the predicted uncertainty is <= {self.abstain_at:.4g}: {self.coverage:.1%} answered with "
                f"MAE {self.mae:.4g} (upper {self.level:.0%} bound {self.upper_bound:.4g} <= {self.max_mae:.4g}); "
                f"{self.routed_share:.1%} routed to the fallback (chosen on {self.n_labelled:,} labelled cases).")

    def to_html(self) -> str:
        body = frame_to_html(self.to_frame())
        body += f"<p>Ranked by {escape(self.curve.confidence.replace('minus the ', ''))}, lowest first.</p>"
        body += notes_html(self.notes)
        colour = SEVERITY_COLOURS["ok"] if self.feasible else SEVERITY_COLOURS["error"]
        return card("Abstain on predicted uncertainty", body, headline=self._headline(), colour=colour)
