"""Should we retrain, on what, and would it help? A replayed retraining decision and a retraining set.

:func:`retraining_plan` replays time. It picks a cut-off ``t``: candidate models are trained on
labelled windows up to ``t`` and scored on the labelled windows after ``t`` (never the reverse),
beside the current model's logged scores on the *same* rows. Each candidate's gain over the current
model has a paired bootstrap interval (one resample of the evaluation rows scores both models;
audit rows keep their ``1 / inclusion_prob`` weights in every resample). The candidates:

* **all labelled data**: the baseline plus every labelled window up to ``t``;
* **since onset**: only the windows since the onset of the current performance drop (the first
  window of the run of windows significantly below the baseline that reaches the latest labels);
* **baseline + recent, importance-weighted**: the baseline re-weighted by a domain classifier's odds
  to look like the recent inputs, plus the recent labelled rows.

The plan recommends one of: *retrain now on X*, *wait for N more labels (about D days at the current
label rate)*, *retraining will not help much*, or *retraining will not help: fix the feed* (the
latest window breaks the schema contract, which no label can repair).

:func:`retraining_set` writes the chosen rows to Parquet with a ``weight`` column and a YAML
datasheet; ``toolkit retrain-set CONFIG --since W --output DIR`` does the same from a shell.

Examples
--------
>>> import toolkit as tk
>>> cfg = tk.ModelConfig.load("notebooks/model.yaml")      # doctest: +SKIP
>>> plan = tk.retraining_plan(cfg)                          # doctest: +SKIP
>>> plan.recommendation, plan.chosen                        # doctest: +SKIP
('retrain', 'since onset (2026-16)')
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import check_choice, preview
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html
from .retrain_data import (DESIGN_WEIGHT, clean_features, has_matched_labels, is_numeric_feature, labelled_join,
                           labelled_rows, reference_rows)
from ..results import Result

__all__ = ["retraining_plan", "RetrainPlan", "retraining_set", "RetrainingSet", "find_onset", "default_learner",
           "importance_weights"]

ACTIONS = ("retrain", "wait", "no_gain", "fix_feed")
_METRICS = {"binary": ("roc_auc", "log_loss", "brier"), "regression": ("mae", "rmse")}
ALL_DATA, SINCE_ONSET, WEIGHTED = "all labelled data", "since onset", "baseline + recent, importance-weighted"
CANDIDATE_COLUMNS = [
    "candidate", "train_windows", "n_train", "n_train_used", "n_train_effective", "train_enough", "n_eval",
    "n_eval_effective", "eval_enough", "labels_needed", "value", "current_value", "gain", "gain_lower",
    "gain_upper", "gain_p_value", "note",
]


# ----------------------------------------------------------------------------- learners and weights


def default_learner(spec, task: str, random_state: int = 0):
    """The stated default: a histogram gradient-boosting model on the spec's features.

    Categorical features are ordinal-encoded (unknown categories read as missing, at most 250 levels
    each) and declared categorical to the booster; numeric features pass through (missing values are
    handled natively).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    cats = [c for c in spec.features if not is_numeric_feature(spec, c)]
    nums = [c for c in spec.features if c not in cats]
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                             encoded_missing_value=np.nan, max_categories=250)
    pre = ColumnTransformer([("cat", encoder, cats), ("num", "passthrough", nums)], remainder="drop")
    cat_mask = [True] * len(cats) + [False] * len(nums)
    kwargs = dict(max_iter=100, learning_rate=0.1, random_state=random_state,
                  categorical_features=cat_mask if cats else None)
    learner = HistGradientBoostingClassifier(**kwargs) if task == "binary" else HistGradientBoostingRegressor(**kwargs)
    return Pipeline([("encode", pre), ("learner", learner)])


def _skip_needless_counting(pipeline, X: pd.DataFrame):
    """``pipeline`` (a :func:`default_learner`) fitted on ``X`` gives the same model without the level cap here.

    ``max_categories`` makes scikit-learn's ordinal encoder count every category value in Python (one
    ``is_scalar_nan`` call per value): 60-90% of the plan's training CPU on the demo. The cap only acts on a
    column with at least ``max_categories`` distinct non-missing values (scikit-learn merges levels when
    ``max_categories < levels + 1``, missing values not counted); below that the encoding, hence the model,
    is identical without it. So the cap is lifted for this fit only when every categorical column has
    fewer levels, counted by pandas (vectorised). Returns ``pipeline``.
    """
    found = [(t, cols) for name, t, cols in pipeline.named_steps["encode"].transformers if name == "cat"]
    if not found:
        return pipeline
    encoder, cats = found[0]
    limit = getattr(encoder, "max_categories", None)
    if limit is None or getattr(encoder, "min_frequency", None) is not None:
        return pipeline
    if all(X[c].nunique(dropna=True) < limit for c in cats):
        pipeline.set_params(encode__cat__max_categories=None)
    return pipeline


def _describe(estimator) -> str:
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        return " -> ".join(type(step).__name__ for _, step in estimator.steps)
    return type(estimator).__name__


def _resolve_estimator(config, model, task: str, random_state: int):
    """(unfitted clone, description, source); ``model`` may be an estimator, a joblib path, or None."""
    from sklearn.base import clone

    source = "argument"
    if model is None and getattr(config, "model", None):
        model, source = str(config.path(config.model)), "model.yaml"
    if isinstance(model, (str, Path)):
        import joblib

        path = Path(model)
        if not path.exists():
            raise FileNotFoundError(f"model file {str(path)!r} (from {source}) not found; save the estimator with "
                                    "joblib.dump(model, path) or remove `model:` from model.yaml to use the default")
        model, source = joblib.load(path), f"{source}: {path.name}"
    if model is None:
        est = default_learner(config.spec, task, random_state)
        return est, f"default learner ({_describe(est)}; no model given: measures what is attainable)", "default"
    if not hasattr(model, "fit") or not hasattr(model, "get_params"):
        raise TypeError(f"model must be a scikit-learn-compatible estimator (with fit and get_params) or a joblib "
                        f"path; got {type(model).__name__}")
    try:
        est = clone(model)
    except Exception as exc:  # noqa: BLE001 - report what clone said, with the fix
        raise TypeError(f"model could not be cloned with sklearn.base.clone ({exc}); pass an estimator whose "
                        "get_params/set_params round-trip") from None
    return est, f"your estimator ({_describe(est)}, cloned from {source}; the original is not modified)", "user"


def _fit(estimator, X: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> tuple[object, str]:
    """Fit with sample weights where the estimator takes them; the note says when it could not."""
    import inspect

    from sklearn.pipeline import Pipeline

    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    takes = "sample_weight" in inspect.signature(final.fit).parameters
    uniform = bool(np.allclose(w, w[0])) if len(w) else True
    if takes and not uniform:
        key = f"{estimator.steps[-1][0]}__sample_weight" if isinstance(estimator, Pipeline) else "sample_weight"
        estimator.fit(X, y, **{key: w})
        return estimator, ""
    estimator.fit(X, y)
    return estimator, ("" if uniform else f"{type(final).__name__}.fit takes no sample_weight: weights not used "
                       "in training (they still weight the evaluation)")


def _predict(estimator, X: pd.DataFrame, task: str, positive) -> np.ndarray:
    if task == "binary":
        proba = estimator.predict_proba(X)
        classes = list(getattr(estimator, "classes_", [0, 1]))
        col = classes.index(positive) if positive in classes else (classes.index(1) if 1 in classes else -1)
        return np.asarray(proba)[:, col].astype(float)
    return np.asarray(estimator.predict(X), dtype=float)


def importance_weights(source: pd.DataFrame, target: pd.DataFrame, spec, *, max_rows: int = 5_000,
                       max_weight: float = 20.0, random_state: int = 0) -> np.ndarray:
    """Weights for ``source`` rows that make their inputs look like ``target``'s: a domain classifier's odds.

    A gradient-boosting classifier learns P(target | x) from at most ``max_rows`` rows of each side;
    the weight is ``P(target | x) / P(source | x)`` times ``n_source / n_target`` (the density
    ratio), capped at ``max_weight`` times the mean and rescaled to mean 1.
    """
    rng = np.random.default_rng(random_state)
    a = source.iloc[rng.permutation(len(source))[:max_rows]]
    b = target.iloc[rng.permutation(len(target))[:max_rows]]
    clf = default_learner(spec, "binary", random_state)
    X = pd.concat([clean_features(a, spec), clean_features(b, spec)], ignore_index=True)
    d = np.r_[np.zeros(len(a)), np.ones(len(b))]
    _skip_needless_counting(clf, X).fit(X, d)
    p = np.clip(clf.predict_proba(clean_features(source, spec))[:, 1], 1e-6, 1 - 1e-6)
    w = p / (1 - p) * (len(a) / max(len(b), 1))
    w = np.minimum(w, max_weight * w.mean())
    return w / w.mean()


# ----------------------------------------------------------------------------- onset


def find_onset(config, metric: str = "roc_auc", *, joined=None, level: float = 0.95, n_resamples: int = 200,
               random_state: int = 0) -> tuple[str | None, object, str]:
    """First window of the run of windows significantly worse than the baseline that reaches the latest labels.

    Returns ``(onset or None, PerformanceReport or None, evidence sentence)``. A one-window dip that
    recovered (the demo's week-14 outlier burst) is not the onset: only the run still in progress is.
    """
    from .realized import performance

    if joined is None:   # the join (conflicts 'latest', join_labels' default) once per config
        joined = labelled_join(config, "latest").joined
    spec = config.spec
    baseline = config.reference if spec.target in config.reference.columns else None
    try:
        perf = performance(joined, spec=spec, metric=metric, by="window", reference=baseline, level=level,
                           n_resamples=n_resamples, random_state=random_state)
    except (ValueError, KeyError, TypeError) as exc:
        return None, None, f"realized {metric} could not be measured ({exc}); no onset found"
    frame = perf.to_frame()
    frame = frame[frame["metric"] == metric]
    measured = frame[frame["value"].notna()]
    if measured.empty:
        return None, perf, f"no window has labels to measure {metric}; no onset found"
    if baseline is None:
        return None, perf, "the baseline has no labels, so no window can be called worse than it; no onset found"
    flags = measured["degraded"].to_numpy(dtype=bool)
    if not flags[-1]:
        return None, perf, (f"the latest labelled window ({measured['window'].iloc[-1]}) is not significantly "
                            f"worse than the baseline in {metric}: no drop in progress")
    start = len(flags) - 1
    while start > 0 and flags[start - 1]:
        start -= 1
    run = measured.iloc[start:]
    onset = str(run["window"].iloc[0])
    base = float(run["baseline"].iloc[0])
    return onset, perf, (f"realized {metric} is significantly below the baseline ({base:.3f}) in every labelled "
                         f"window since {onset} ({len(run)} windows, median {run['value'].median():.3f})")


# ----------------------------------------------------------------------------- the plan


@dataclasses.dataclass(frozen=True, eq=False)
class RetrainPlan(Result):
    """What :func:`retraining_plan` found: the candidates, their paired gains, and the recommendation.

    Attributes
    ----------
    recommendation
        'retrain', 'wait', 'no_gain', 'fix_feed', or 'not_applicable' (a task the plan does not cover).
    message
        The recommendation as one sentence (also :attr:`headline`).
    chosen
        The candidate to retrain on (``recommendation == 'retrain'``), else None.
    onset, cutoff
        Onset window of the drop (None if none) and the last window candidates were trained on.
    eval_windows
        Held-out windows after the cut-off where every model was scored.
    candidates
        One row per candidate (see :meth:`to_frame`).
    windows
        Metric per evaluation window and model (``window, model, value, lower, upper, n``), for the chart.
    estimator
        Which estimator was trained, in words.
    evidence, notes
        Sentences behind the recommendation, and how the plan was computed (subsampling, exclusions).
    """

    recommendation: str
    message: str
    chosen: str | None
    metric: str
    level: float
    onset: str | None
    cutoff: str | None
    eval_windows: tuple[str, ...]
    candidates: pd.DataFrame
    windows: pd.DataFrame
    estimator: str
    evidence: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    exclusions: pd.DataFrame | None = None
    labels_more: int | None = None
    days_more: float | None = None
    label_rate_per_day: float | None = None
    min_gain: float = 0.01

    @property
    def headline(self) -> str:
        return self.message

    def candidate(self, name: str | None = None) -> dict:
        """One candidate's row as a dict (default: the chosen one, else the best gain)."""
        frame = self.candidates
        if name is None:
            name = self.chosen or (frame.loc[frame["gain"].idxmax(), "candidate"] if frame["gain"].notna().any()
                                   else None)
        hit = frame[frame["candidate"] == name]
        if hit.empty:
            raise KeyError(f"no candidate {name!r}; candidates are {preview(frame['candidate'])}")
        return hit.iloc[0].to_dict()

    def retraining_set(self, config, output: str | Path | None = None) -> "RetrainingSet | None":
        """The full retraining set for the chosen candidate, every labelled window through the latest
        (None when the plan does not recommend retraining). ``output`` writes it, as :func:`retraining_set`."""
        if self.chosen is None:
            return None
        if self.chosen.startswith(SINCE_ONSET):
            return retraining_set(config, since=self.onset, output=output)
        if self.chosen == WEIGHTED:
            latest = [w for w in self.eval_windows][-1:]
            return retraining_set(config, since=self.onset, include_reference=True, importance_to=latest,
                                  output=output)
        return retraining_set(config, include_reference=True, output=output)

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate: candidate, train_windows, n_train (labelled rows), n_train_used (after
        subsampling), n_train_effective (Kish), train_enough, n_eval, n_eval_effective, eval_enough,
        labels_needed (effective held-out labels to tell this gain, or the minimum gain if larger, from 0
        with ~80% power), value, current_value, gain, gain_lower, gain_upper,
        gain_p_value (paired bootstrap), note."""
        return self.candidates.copy()

    def chart(self):
        """Metric per evaluation window for the current model and each candidate, with intervals."""
        import altair as alt

        data = self.windows.copy()
        if data.empty:
            return alt.Chart(pd.DataFrame({"note": ["no evaluation windows"]})).mark_text().encode(text="note:N")
        order = list(dict.fromkeys(data["model"]))
        colour = alt.Color("model:N", sort=order, title="model",
                           legend=alt.Legend(orient="bottom", columns=2, labelLimit=320))
        tooltip = ["model:N", "window:N", alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("lower:Q", format=".3f"),
                   alt.Tooltip("upper:Q", format=".3f"), alt.Tooltip("n:Q", format=",")]
        offset = alt.XOffset("model:N", sort=order)
        base = alt.Chart(data).encode(x=alt.X("window:N", title="held-out window"), color=colour, xOffset=offset)
        bars = base.mark_rule(strokeWidth=2).encode(y=alt.Y("lower:Q", title=self.metric, scale=alt.Scale(zero=False)),
                                                    y2="upper:Q", tooltip=tooltip)
        points = base.mark_point(filled=True, size=60).encode(y="value:Q", tooltip=tooltip)
        return (bars + points).properties(
            width=520, height=260,
            title=f"{self.metric} on the held-out windows after {self.cutoff} ({self.level:.0%} intervals)")

    def gain_chart(self):
        """Each candidate's paired gain over the current model on all held-out rows, with its interval,
        beside 0 (no gain) and the minimum gain worth a retrain."""
        import altair as alt

        data = self.candidates[["candidate", "gain", "gain_lower", "gain_upper", "n_train"]].dropna(subset=["gain"])
        tooltip = ["candidate:N", alt.Tooltip("gain:Q", format="+.3f"), alt.Tooltip("gain_lower:Q", format="+.3f"),
                   alt.Tooltip("gain_upper:Q", format="+.3f"), alt.Tooltip("n_train:Q", format=",")]
        y = alt.Y("candidate:N", title=None, sort=list(data["candidate"]), axis=alt.Axis(labelLimit=320))
        bars = alt.Chart(data).mark_rule(strokeWidth=3).encode(
            y=y, x=alt.X("gain_lower:Q", title=f"gain in {self.metric} over the current model"), x2="gain_upper:Q",
            tooltip=tooltip)
        points = alt.Chart(data).mark_point(filled=True, size=80).encode(y=y, x="gain:Q", tooltip=tooltip)
        refs = pd.DataFrame({"x": [0.0, self.min_gain], "what": ["no gain", "minimum gain worth a retrain"]})
        rules = alt.Chart(refs).mark_rule(strokeDash=[4, 3], color="grey").encode(
            x="x:Q", tooltip=["what:N", alt.Tooltip("x:Q", format="+.3f")])
        return (rules + bars + points).properties(
            width=520, height=30 * max(len(data), 1) + 20,
            title=f"Paired gain on the held-out windows ({self.level:.0%} intervals)")

    def __repr__(self) -> str:
        return f"RetrainPlan({self.recommendation}: {self.message})"

    def to_html(self) -> str:
        colour = {"retrain": SEVERITY_COLOURS["warning"], "wait": SEVERITY_COLOURS["info"],
                  "no_gain": SEVERITY_COLOURS["ok"], "fix_feed": SEVERITY_COLOURS["error"],
                  "not_applicable": SEVERITY_COLOURS["info"]}[self.recommendation]
        shown = self.candidates[["candidate", "train_windows", "n_train", "n_train_effective", "train_enough",
                                 "n_eval", "eval_enough", "value", "current_value", "gain", "gain_lower",
                                 "gain_upper", "note"]]
        body = frame_to_html(shown)
        items = [f"<li>{escape(s)}</li>" for s in self.evidence]
        items.append(f"<li>Estimator: {escape(self.estimator)}</li>")
        items += [f"<li>{escape(s)}</li>" for s in self.notes]
        body += "<ul>" + "".join(items) + "</ul>"
        return card("Retraining plan", body, headline=self.message, colour=colour)

    def _repr_html_(self) -> str:
        return self.to_html()

    def save_html(self, path: str | Path) -> Path:
        """One offline HTML file with the verdict, the table and the chart (Vega JavaScript inlined once)."""
        from .._render import bundle_html, chart_html

        path = Path(path)
        page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Retraining plan</title>"
                + bundle_html() + "</head><body>" + self.to_html() + chart_html(self.gain_chart().to_dict())
                + chart_html(self.chart().to_dict())
                + "</body></html>")
        path.write_text(page, encoding="utf-8")
        return path


def _kish(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w ** 2).sum()) if len(w) and (w ** 2).sum() > 0 else 0.0


def _kernel(task: str, values: np.ndarray):
    from .metrics import BinaryKernel, RegressionKernel

    return BinaryKernel(score=values) if task == "binary" else RegressionKernel(values)


def _labels_for_gain(min_gain: float, n_eff: float, half_width: float) -> int | None:
    """Effective held-out labels at which the paired interval resolves a gain of ``min_gain`` (~80% power);
    the plan passes the larger of the observed gain and the minimum gain worth a retrain.

    The paired interval's half-width shrinks as 1/sqrt(n); at 80% power and 5% two-sided the gain must be
    about 1.4 half-widths (``(z_0.975 + z_0.8) / z_0.975``), so n = n_eff (1.4 half_width / min_gain)^2.
    """
    if not np.isfinite(half_width) or half_width <= 0 or n_eff <= 0:
        return None
    return int(math.ceil(n_eff * (1.43 * half_width / min_gain) ** 2))


def _detectable_sentence(metric: str, current: float, n_eff: float, prevalence: float) -> str | None:
    """What the held-out labels alone could detect for the current model (unpaired, toolkit's planning)."""
    from .planning import detectable_drop

    if metric != "roc_auc" or not (0.5 < current < 1 and 0 < prevalence < 1 and n_eff >= 10):
        return None
    d = detectable_drop("roc_auc", current, n=int(n_eff), prevalence=prevalence)
    if not np.isfinite(d):
        return None
    return (f"the held-out labels ({n_eff:,.0f} effective) would detect a change of {d:.3f} in one model's "
            f"roc_auc on their own (80% power); the paired comparison of two models on the same rows is sharper")


def retraining_plan(
    config,
    model=None,
    *,
    metric: str | None = None,
    since: str | None = None,
    n_eval_windows: int = 4,
    level: float = 0.95,
    n_resamples: int = 1000,
    max_train_rows: int = 20_000,
    min_gain: float = 0.01,
    min_train_rows: int = 2_000,
    explain: bool = True,
    random_state: int = 0,
) -> RetrainPlan:
    """Would retraining on recent labelled data beat the current model, and by how much?

    Parameters
    ----------
    config
        A :class:`~toolkit.ModelConfig` (or a path to ``model.yaml``) with labels.
    model
        Your scikit-learn-compatible estimator (a pipeline taking the feature columns), or a path to a
        joblib file; ``model:`` in model.yaml is used when this is None. It is cloned, never modified.
        Without either, a stated default learner (histogram gradient boosting) measures what is attainable.
    metric
        Binary: 'roc_auc' (default), 'log_loss', 'brier'. Regression: 'mae' (default), 'rmse'.
    since
        Onset window to use instead of the one found (the first window of the drop in progress).
    n_eval_windows
        Held-out windows after the cut-off (the latest labelled ones); fewer when the drop is recent.
    level, n_resamples
        Interval level and paired-bootstrap resamples (seeded by ``random_state``).
    max_train_rows
        Each candidate is trained on a seeded uniform subsample of at most this many rows (weights kept),
        so the plan stays fast; the table reports both counts.
    min_gain
        The smallest gain in ``metric`` worth a retrain: a significant gain below it, or an interval
        whose upper end is below it, means "retraining will not help much".
    min_train_rows
        Fewer effective training rows than this are flagged as not enough.
    explain
        Also attribute the drop at the onset (input shift vs changed relationship) for the evidence.

    Returns
    -------
    RetrainPlan
    """
    from ..config import ModelConfig

    if isinstance(config, (str, Path)):
        config = ModelConfig.load(config)
    spec = config.spec
    task = spec.task
    if task not in _METRICS:   # an answer, not an error: the template and the health check still run
        return _unanswered("not_applicable", f"The retraining plan covers binary and regression models; this "
                           f"model's task is {task!r}, so compare retrained candidates by hand with tk.performance.",
                           metric or "", level, min_gain)
    if not has_matched_labels(config):   # from the join the plan uses anyway (no second join for the question)
        return _unanswered("wait", "Wait for labels: none reach the analysis (no labels file and no target inside "
                           "production), so retraining cannot be judged; connect the feedback loop first.",
                           metric or _METRICS[task][0], level, min_gain)
    metric = metric or _METRICS[task][0]
    check_choice("metric", metric, _METRICS[task])
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 100:
        raise ValueError(f"n_resamples must be an integer >= 100; got {n_resamples!r}")
    current_col = spec.score if task == "binary" else (spec.prediction or spec.score)
    if current_col is None:
        raise ValueError("the plan compares candidates with the current model's logged output: set spec.score "
                         "(binary) or spec.prediction (regression) in model.yaml")

    import sklearn.ensemble  # noqa: F401  (loads its OpenMP runtime, so that the limit below covers it)
    from threadpoolctl import threadpool_limits

    # one OpenMP/BLAS thread per fit: gradient boosting oversubscribes badly on shared machines, and the
    # plan's fits are small (subsampled); results do not depend on the thread count
    with threadpool_limits(limits=1):
        return _plan(config, model, spec, task, metric, current_col, since, n_eval_windows, level, n_resamples,
                     max_train_rows, min_gain, min_train_rows, explain, random_state)


def _unanswered(recommendation: str, message: str, metric: str, level: float, min_gain: float) -> RetrainPlan:
    """A plan that trains nothing, with the one sentence why (no labels, a task the plan does not cover)."""
    return RetrainPlan(recommendation, message, None, metric, level, None, None, (), pd.DataFrame(columns=CANDIDATE_COLUMNS),
                       pd.DataFrame(columns=["window", "model", "value", "lower", "upper", "n"]), "none (nothing trained)",
                       min_gain=min_gain)


def _plan(config, model, spec, task, metric, current_col, since, n_eval_windows, level, n_resamples, max_train_rows,
          min_gain, min_train_rows, explain, random_state) -> RetrainPlan:
    from .intervals import percentile_interval
    from .metrics import HIGHER_IS_BETTER, bootstrap_counts

    rng = np.random.default_rng(random_state)
    if since is not None and str(since) not in config.windows:   # cheap checks before the expensive work
        raise KeyError(f"since={since!r} is not a production window; windows are {preview(config.windows)}")
    est, est_text, est_source = _resolve_estimator(config, model, task, random_state)
    rows = labelled_rows(config)
    data = rows.frame
    notes = [f"{rows.n_eligible:,} labelled production rows; {rows.n_excluded:,} excluded "
             f"({', '.join(f'{r}: {n:,}' for r, n in rows.exclusions.groupby('reason')['n'].sum().items())})"
             if rows.n_excluded else f"{rows.n_eligible:,} labelled production rows; none excluded"]
    evidence = []

    # -- the latest window breaks the contract: labels cannot fix that ------------------------------
    latest = config.windows[-1]
    broken_now = rows.problems[rows.problems["window"] == latest]

    # -- onset -----------------------------------------------------------------------------------
    found, perf, onset_text = find_onset(config, metric if metric == "roc_auc" or task == "regression" else "roc_auc",
                                         joined=rows.joined, level=level, random_state=random_state)
    evidence.append(onset_text)
    onset = found
    if since is not None:
        onset = str(since)
        evidence.append(f"onset set by the caller: {onset}" + (f" (the analysis found {found})" if found else ""))

    kept = rows.coverage[rows.coverage["n_kept"] > 0]["window"].tolist()
    order = {w: i for i, w in enumerate(config.windows)}
    if onset is not None:
        after_onset = [w for w in kept if order[w] >= order[onset]]
        k = min(n_eval_windows, len(after_onset) - 1)
    else:
        after_onset = []
        k = min(n_eval_windows, len(kept) - 1)
    eval_windows = tuple(kept[-k:]) if k >= 1 else ()
    cutoff = kept[-k - 1] if k >= 1 else None

    if explain and found is not None and onset == found:
        evidence += _attribution_evidence(config, data, onset, metric, random_state)

    in_train = np.array([cutoff is not None and order[w] <= order[cutoff] for w in rows.problems["window"]], dtype=bool)
    problems_train = rows.problems[in_train]
    for (w, col, chk) in problems_train[["window", "column", "check"]].itertuples(index=False):
        evidence.append(f"window {w}: {col} {chk} (schema break): its affected rows are excluded from training")

    ref = reference_rows(config)
    empty = pd.DataFrame(columns=CANDIDATE_COLUMNS)
    if not eval_windows:
        msg = ("wait for labels: fewer than two labelled windows" + (f" since the onset {onset}" if onset else "")
               + " so a held-out comparison is not possible yet")
        if len(broken_now):
            msg = _fix_feed_message(broken_now)
        return RetrainPlan("fix_feed" if len(broken_now) else "wait", msg, None, metric, level, onset, cutoff, (),
                           empty, pd.DataFrame(columns=["window", "model", "value", "lower", "upper", "n"]),
                           est_text, tuple(evidence), tuple(notes), rows.exclusions, min_gain=min_gain)

    # -- training candidates ---------------------------------------------------------------------
    train_mask = data["window"].map(order).to_numpy() <= order[cutoff]
    production_train = data[train_mask]
    candidates: list[tuple[str, pd.DataFrame, np.ndarray, str]] = []
    all_rows = pd.concat([ref, production_train], ignore_index=True)
    all_windows = ("reference, " if len(ref) else "") + f"{kept[0]}..{cutoff}"
    candidates.append((ALL_DATA, all_rows, all_rows[DESIGN_WEIGHT].to_numpy(dtype=float), all_windows))
    if onset is not None and order[onset] <= order[cutoff]:
        recent = production_train[production_train["window"].map(order).to_numpy() >= order[onset]]
        candidates.append((f"{SINCE_ONSET} ({onset})", recent, recent[DESIGN_WEIGHT].to_numpy(dtype=float),
                           f"{onset}..{cutoff}"))
    else:
        recent_windows = [w for w in kept if order[w] <= order[cutoff]][-n_eval_windows:]
        recent = production_train[production_train["window"].isin(recent_windows)]
    if len(ref) and len(recent):
        target_inputs = pd.concat([config.batches[w] for w in recent["window"].unique()], ignore_index=True)
        iw = importance_weights(ref, target_inputs, spec, random_state=random_state)
        weighted = pd.concat([ref, recent], ignore_index=True)
        w = np.r_[iw * ref[DESIGN_WEIGHT].to_numpy(dtype=float), recent[DESIGN_WEIGHT].to_numpy(dtype=float)]
        candidates.append((WEIGHTED, weighted, w, f"reference (weighted), {recent['window'].iloc[0]}..{cutoff}"))

    # -- evaluation rows: the same for every model -------------------------------------------------
    ev = data[data["window"].isin(eval_windows)].reset_index(drop=True)
    ev = ev[pd.to_numeric(ev[current_col], errors="coerce").notna()].reset_index(drop=True)
    y = _target(ev[spec.target], task, spec.positive_label)
    w_eval = ev[DESIGN_WEIGHT].to_numpy(dtype=float)
    current = pd.to_numeric(ev[current_col], errors="coerce").to_numpy(dtype=float)
    X_eval = ev[list(spec.features)]
    outputs = {"current model": current}
    fitted_notes: dict[str, str] = {}
    sizes: dict[str, tuple[int, int, float]] = {}
    for name, frame, weights, _ in candidates:
        n_all = len(frame)
        if n_all > max_train_rows:
            pick = np.sort(rng.choice(n_all, size=max_train_rows, replace=False))
            frame, weights = frame.iloc[pick], weights[pick]
        y_train = _target(frame[spec.target], task, spec.positive_label)
        sizes[name] = (n_all, len(frame), _kish(weights))
        if len(frame) < 10 or (task == "binary" and len(np.unique(y_train)) < 2):
            fitted_notes[name] = "too few labelled rows (or one class) to train"
            continue
        from sklearn.base import clone

        candidate = clone(est)
        if est_source == "default":
            _skip_needless_counting(candidate, frame[list(spec.features)])
        fitted, note = _fit(candidate, frame[list(spec.features)], y_train, weights)
        fitted_notes[name] = note
        outputs[name] = _predict(fitted, X_eval, task, 1)
    if any(n > max_train_rows for n, _, _ in sizes.values()):
        notes.append(f"each candidate trained on a seeded uniform subsample of at most {max_train_rows:,} rows "
                     "(weights kept) to keep the plan fast; the exported retraining set has every row")

    # -- paired bootstrap over the evaluation rows ---------------------------------------------------
    kernels = {m: _kernel(task, v) for m, v in outputs.items()}
    point = {m: float(k(metric, y, w_eval)[0]) for m, k in kernels.items()}
    boot = {m: [] for m in kernels}
    for counts in bootstrap_counts(len(y), n_resamples, rng):
        W = counts * w_eval
        for m, k in kernels.items():
            boot[m].append(k(metric, y, W))
    boot = {m: np.concatenate(v) for m, v in boot.items()}
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    prevalence = float(np.average(y, weights=w_eval)) if task == "binary" else float("nan")
    n_eval_eff = _kish(w_eval)
    records = []
    for name, frame, weights, windows_text in candidates:
        n_all, n_used, n_eff = sizes[name]
        rec = {"candidate": name, "train_windows": windows_text, "n_train": n_all, "n_train_used": n_used,
               "n_train_effective": round(n_eff, 1), "train_enough": bool(n_eff >= min_train_rows),
               "n_eval": len(y), "n_eval_effective": round(n_eval_eff, 1), "current_value": point["current model"],
               "note": fitted_notes.get(name, "")}
        if name in boot:
            diff = sign * (boot[name] - boot["current model"])
            gain = sign * (point[name] - point["current model"])
            low, high = percentile_interval(diff, level)
            finite = diff[np.isfinite(diff)]
            p = float(min(1.0, 2 * min((finite <= 0).mean(), (finite >= 0).mean()))) if finite.size else np.nan
            # enough labels to tell this gain (or, if smaller, the minimum gain worth a retrain) from zero
            needed = _labels_for_gain(max(abs(gain), min_gain), n_eval_eff, (high - low) / 2)
            rec.update(value=point[name], gain=gain, gain_lower=low, gain_upper=high, gain_p_value=p,
                       labels_needed=needed, eval_enough=bool(needed is not None and n_eval_eff >= needed))
        else:
            rec.update(value=np.nan, gain=np.nan, gain_lower=np.nan, gain_upper=np.nan, gain_p_value=np.nan,
                       labels_needed=None, eval_enough=False)
        if not rec["train_enough"]:
            rec["note"] = "; ".join(filter(None, [rec["note"], f"fewer than {min_train_rows:,} effective rows"]))
        records.append(rec)
    sentence = _detectable_sentence(metric, point["current model"], n_eval_eff, prevalence)
    if sentence:
        evidence.append(sentence)
    table = pd.DataFrame.from_records(records, columns=CANDIDATE_COLUMNS)
    table["labels_needed"] = table["labels_needed"].astype("Int64")

    per_window = _per_window(ev, y, w_eval, kernels, metric, level, max(200, n_resamples // 5), rng, eval_windows)

    # -- the recommendation ------------------------------------------------------------------------
    rate = _label_rate(rows)
    decision = _decide(table, broken_now, min_gain, metric, eval_windows, n_eval_eff, len(y), rate, min_train_rows)
    action, message, chosen, more, days = decision
    return RetrainPlan(action, message, chosen, metric, level, onset, cutoff, tuple(eval_windows), table, per_window,
                       est_text, tuple(evidence), tuple(notes), rows.exclusions, more, days, rate, min_gain)


def _target(values: pd.Series, task: str, positive) -> np.ndarray:
    if task == "binary":
        return (values == positive).to_numpy(dtype=float) if values.dtype != object else \
            values.map(lambda v: float(v == positive)).to_numpy(dtype=float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _per_window(ev, y, w, kernels, metric, level, n_resamples, rng, eval_windows) -> pd.DataFrame:
    from .intervals import percentile_interval
    from .metrics import bootstrap_counts

    out = []
    labels = ev["window"].to_numpy()
    for win in list(eval_windows) + ["all held-out"]:
        idx = np.arange(len(ev)) if win == "all held-out" else np.flatnonzero(labels == win)
        if len(idx) < 2:
            continue
        counts = np.concatenate(list(bootstrap_counts(len(idx), n_resamples, rng)))
        for model, k in kernels.items():
            sub = _kernel_subset(k, idx)
            value = float(sub(metric, y[idx], w[idx])[0])
            low, high = percentile_interval(sub(metric, y[idx], counts * w[idx]), level)
            out.append({"window": win, "model": model, "value": value, "lower": low, "upper": high, "n": len(idx)})
    return pd.DataFrame(out, columns=["window", "model", "value", "lower", "upper", "n"])


def _kernel_subset(kernel, idx):
    from .metrics import BinaryKernel, RegressionKernel

    if isinstance(kernel, BinaryKernel):
        return BinaryKernel(score=kernel.score[idx])
    return RegressionKernel(kernel.prediction[idx])


def _label_rate(rows) -> float | None:
    """Labels matched per day over the 28 days before the latest label (None without label times)."""
    joined = rows.joined
    if joined is None or "label_time" not in joined.columns:
        return None
    t = pd.to_datetime(joined["label_time"], utc=True, errors="coerce").dropna()
    if t.empty:
        return None
    end = t.max()
    recent = int((t > end - pd.Timedelta(days=28)).sum())
    return recent / 28.0 if recent else None


def _fix_feed_message(broken: pd.DataFrame) -> str:
    what = ", ".join(f"{c} ({k})" for c, k in zip(broken["column"], broken["check"]))
    return (f"retraining will not help: the inputs changed in a way labels cannot fix — the latest window "
            f"{broken['window'].iloc[0]} breaks the contract: {what}. Fix the feed (or repair it with "
            "contract.repair) before judging the model")


def _decide(table, broken_now, min_gain, metric, eval_windows, n_eval_eff, n_eval, rate, min_train_rows=None):
    held = f"{eval_windows[0]}..{eval_windows[-1]}" if len(eval_windows) > 1 else eval_windows[0]
    if len(broken_now):
        return "fix_feed", _fix_feed_message(broken_now), None, None, None
    scored = table[table["gain"].notna()]
    if scored.empty:
        return ("wait", "wait for more labels: no candidate could be trained on the labelled rows so far",
                None, None, None)
    best = scored.loc[scored["gain_lower"].idxmax()]
    top = scored.loc[scored["gain"].idxmax()]
    if best["gain_lower"] > 0 and best["gain"] >= min_gain:
        chosen = best["candidate"]
        return ("retrain", f"retrain now on {chosen} ({int(best['n_train']):,} labelled rows): {metric} "
                f"{best['current_value']:.3f} -> {best['value']:.3f} on the held-out windows {held}, a paired gain of "
                f"{best['gain']:+.3f} [{best['gain_lower']:+.3f}, {best['gain_upper']:+.3f}]", chosen, None, None)
    if scored["gain_upper"].max() < min_gain and min_train_rows and not scored["train_enough"].any():
        # no gain, but no candidate had enough rows to learn from: that is not evidence against retraining
        have = float(scored["n_train_effective"].max())
        more = int(math.ceil(min_train_rows - have))
        days = (more / rate) if rate else None
        when = f" (about {days:.0f} days at the current {rate:,.0f} labels a day)" if days is not None else ""
        return ("wait", f"wait for about {more:,} more labels{when}: no candidate gains yet ({top['candidate']}: "
                f"{top['gain']:+.3f} [{top['gain_lower']:+.3f}, {top['gain_upper']:+.3f}] in {metric} on {held}), but "
                f"the largest has only {have:,.0f} effective rows to learn from (fewer than {min_train_rows:,})",
                None, more, days)
    if scored["gain_upper"].max() < min_gain:
        return ("no_gain", f"retraining will not help much: the best candidate ({top['candidate']}) gains "
                f"{top['gain']:+.3f} [{top['gain_lower']:+.3f}, {top['gain_upper']:+.3f}] in {metric} on {held}, "
                f"below the {min_gain:g} worth a retrain", None, None, None)
    needed = top["labels_needed"]
    if pd.isna(needed):
        more = None
    else:
        more = max(int(math.ceil((int(needed) - n_eval_eff) * n_eval / max(n_eval_eff, 1.0))), 1)
    days = (more / rate) if (more is not None and rate) else None
    when = f" (about {days:.0f} days at the current {rate:,.0f} labels a day)" if days is not None else ""
    amount = f"{more:,} more labels" if more is not None else "more labels"
    return ("wait", f"wait for {amount}{when}: the best candidate ({top['candidate']}) gains {top['gain']:+.3f} "
            f"[{top['gain_lower']:+.3f}, {top['gain_upper']:+.3f}] in {metric} on {held}, not yet distinguishable "
            "from no gain", None, more, days)


def _attribution_evidence(config, data, onset, metric, random_state) -> list[str]:
    """One or two sentences from attribute_drop at the onset window (on subsamples: it is evidence, not the test)."""
    from .attribution import attribute_drop

    spec = config.spec
    ref = config.reference
    if spec.target not in ref.columns or metric not in ("roc_auc",) and spec.task == "binary":
        return []
    rng = np.random.default_rng(random_state)
    ref = ref.iloc[np.sort(rng.permutation(len(ref))[:4000])]
    joined = data[data["window"] == onset]
    cur = joined.iloc[np.sort(rng.permutation(len(joined))[:4000])]
    try:
        att = attribute_drop(ref, cur.drop(columns=[DESIGN_WEIGHT]), spec=spec, metric=metric, n_resamples=100,
                             random_state=random_state)
    except (ValueError, KeyError, TypeError) as exc:
        return [f"attribution at {onset} not available ({exc})"]
    changed = att.changed_features
    if att.concept_drift:
        return [f"at {onset}, most of the drop is not explained by the input shift: the relationship between "
                f"inputs and outcome changed (concept drift{': ' + ', '.join(changed) if changed else ''}); "
                "new labels can teach a model that"]
    return [f"at {onset}, the input shift explains most of the drop (no concept drift found): a model trained on "
            "recent inputs may still help if the old one extrapolates badly"]


# ----------------------------------------------------------------------------- the retraining set


@dataclasses.dataclass(frozen=True, eq=False)
class RetrainingSet(Result):
    """Rows to retrain on, with a ``weight`` column, and the datasheet that describes them.

    ``frame`` columns: id, timestamp, ``window``, the features, the target, the logged score and
    prediction, ``inclusion_prob`` (when labels carry one) and ``weight``.
    """

    frame: pd.DataFrame
    datasheet: dict
    exclusions: pd.DataFrame
    coverage: pd.DataFrame

    @property
    def headline(self) -> str:
        d = self.datasheet
        return (f"{d['rows']['kept']:,} rows from {len(d['windows'])} windows ({d['windows'][0]}..{d['windows'][-1]}); "
                f"{d['rows']['excluded']:,} of {d['rows']['eligible']:,} eligible labelled rows excluded")

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def chart(self):
        """Labelled rows per window: kept for retraining vs excluded (stacked bars)."""
        import altair as alt

        from ..charts import PALETTE, themed

        tidy = self.coverage.melt(id_vars=["window"], value_vars=["n_kept", "n_excluded"], var_name="rows",
                                  value_name="n").assign(rows=lambda f: f["rows"].str.slice(2),
                                                         window=lambda f: f["window"].astype(str))
        bars = alt.Chart(tidy).mark_bar().encode(
            x=alt.X("window:N", sort=None, title="Window"),
            y=alt.Y("n:Q", stack=True, title="Labelled rows"),
            color=alt.Color("rows:N", scale=alt.Scale(domain=["kept", "excluded"],
                                                      range=[PALETTE["ok"], PALETTE["drifted"]]), title=None),
            tooltip=["window:N", "rows:N", alt.Tooltip("n:Q", format=",")],
        )
        return themed(bars, title="Retraining set: labelled rows per window")

    def __repr__(self) -> str:
        return f"RetrainingSet({self.headline})"

    def to_html(self) -> str:
        body = frame_to_html(self.coverage) + frame_to_html(self.exclusions)
        return card("Retraining set", body, headline=self.headline)

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, output: str | Path) -> Path:
        """Write ``retraining_set.parquet`` and ``datasheet.yaml`` into the folder ``output``."""
        import yaml

        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        self.frame.to_parquet(folder / "retraining_set.parquet", index=False)
        (folder / "datasheet.yaml").write_text(yaml.safe_dump(self.datasheet, sort_keys=False, allow_unicode=True))
        return folder


WEIGHT_MEANING = ("weight = design weight x importance weight. The design weight is 1 / inclusion_prob: a label "
                  "from an audit sample that over-samples some rows stands for 1 / inclusion_prob rows (1 for labels "
                  "that arrived with certainty). The importance weight (1 unless importance_to is given) is a domain "
                  "classifier's odds that makes the rows' inputs look like those of the importance_to windows. Pass it "
                  "as sample_weight when fitting; weighted metrics on these rows match tk.performance with "
                  "inclusion_prob.")


def retraining_set(
    config,
    since: str | None = None,
    *,
    until: str | None = None,
    output: str | Path | None = None,
    include_reference: bool = False,
    importance_to: str | list[str] | None = None,
    conflicts: str = "drop",
    keep_checks: tuple[str, ...] = ("unseen_category",),
    random_state: int = 0,
) -> RetrainingSet:
    """The labelled rows of windows ``since..until``, cleaned, weighted and described, optionally written.

    Parameters
    ----------
    config
        A :class:`~toolkit.ModelConfig` or a path to ``model.yaml``.
    since
        First window (its label, e.g. ``"2026-16"``); ``"onset"`` uses the onset of the drop in progress
        (as :func:`retraining_plan` finds it); None starts at the first window.
    until
        Last window (default: the latest).
    output
        Folder to write ``retraining_set.parquet`` and ``datasheet.yaml`` into.
    include_reference
        Also include the labelled baseline rows (window ``"reference"``).
    importance_to
        Window(s) whose inputs the rows should be re-weighted to resemble (importance weights).
    conflicts, keep_checks
        Label-conflict rule and kept row-level checks (see :mod:`toolkit.outcomes.retrain_data`).

    Returns
    -------
    RetrainingSet
        Its row count equals the eligible labelled rows minus the exclusions it reports.
    """
    from .. import __version__
    from ..config import ModelConfig

    config_path = None
    if isinstance(config, (str, Path)):
        config_path = str(Path(config).resolve())
        config = ModelConfig.load(config)
    check_choice("conflicts", conflicts, ("drop", "latest", "first"))
    spec = config.spec
    windows = config.windows
    joined = None
    if since == "onset":   # the join labelled_rows uses below (once per config)
        joined = labelled_join(config, conflicts)
        since, _, _ = find_onset(config, "roc_auc" if spec.task == "binary" else "mae", joined=joined.joined)
        if since is None:
            raise ValueError("since='onset' but no drop in progress was found (the latest labelled window is not "
                             "significantly worse than the baseline); pass a window label, e.g. since='2026-16'")
    for name, value in (("since", since), ("until", until)):
        if value is not None and str(value) not in windows:
            raise KeyError(f"{name}={value!r} is not a production window; windows are {preview(windows)} "
                           f"(first {windows[0]!r}, latest {windows[-1]!r})")
    start = windows.index(str(since)) if since is not None else 0
    stop = windows.index(str(until)) if until is not None else len(windows) - 1
    if stop < start:
        raise ValueError(f"until={until!r} is before since={since!r}; pick until at or after since")
    chosen = windows[start:stop + 1]
    rows = labelled_rows(config, windows=chosen, conflicts=conflicts, keep_checks=keep_checks, joined=joined)
    frame = rows.frame
    if include_reference:
        frame = pd.concat([reference_rows(config), frame], ignore_index=True)
    if "weight" in spec.features or spec.target == "weight":
        raise ValueError("a feature or the target is called 'weight', which the retraining set adds; rename it")
    importance = np.ones(len(frame))
    if importance_to is not None:
        targets = [importance_to] if isinstance(importance_to, str) else list(importance_to)
        bad = [w for w in targets if w not in windows]
        if bad:
            raise KeyError(f"importance_to window(s) {preview(bad)} not in production; windows are {preview(windows)}")
        target_inputs = pd.concat([config.batches[w] for w in targets], ignore_index=True)
        importance = importance_weights(frame, target_inputs, spec, random_state=random_state)
    frame = frame.assign(weight=frame[DESIGN_WEIGHT].to_numpy(dtype=float) * importance).drop(columns=[DESIGN_WEIGHT])
    n_ref = int((frame["window"] == "reference").sum())
    datasheet = {
        "name": config.name,
        "created": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "toolkit_version": __version__,
        "config": config_path or str(config.root / "model.yaml"),
        "config_values": _plain(config.to_dict()),
        "windows": list(chosen),
        "since": chosen[0], "until": chosen[-1], "include_reference": bool(include_reference),
        "rows": {"eligible": rows.n_eligible, "excluded": rows.n_excluded, "kept": int(len(frame) - n_ref),
                 "reference": n_ref, "total": int(len(frame))},
        "label_coverage": [_plain(r) for r in rows.coverage.to_dict("records")],
        "exclusions": [_plain(r) for r in rows.exclusions.to_dict("records")],
        "exclusion_rules": [
            "labels that match no logged prediction are not rows (no features)",
            rows.label_rule,
            "schema break: every row of a window where a feature is missing, renamed or of another type; for a "
            "null-rate spike only the rows whose value is missing",
            "quarantined by the contract's guard, except checks " + ", ".join(rows.keep_checks) + " (kept: new reality)",
        ],
        "weights": WEIGHT_MEANING,
        "importance_to": importance_to,
        "columns": {"id": spec.id, "timestamp": spec.timestamp, "features": list(spec.features),
                    "target": spec.target, "score": spec.score, "prediction": spec.prediction, "weight": "weight"},
    }
    result = RetrainingSet(frame=frame, datasheet=datasheet, exclusions=rows.exclusions, coverage=rows.coverage)
    if output is not None:
        result.save(output)
    return result


def _plain(value):
    """YAML-safe plain Python values (numpy scalars, timestamps and NaN converted)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else round(float(value), 6)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp, Path)):
        return str(value)
    return value
