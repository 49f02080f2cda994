"""Which outcome analyses a model's setup allows: its labels (where they come from) and its task.

Templates 02-04 read labels and measure performance. A real model can hold its labels in three ways,
and the templates must work with each, the same way:

* **labels file**: ground truth arriving later in its own file, joined to production on the id
  (``labels:`` in ``model.yaml``);
* **target in production**: the target column is already in the production data (no labels file);
* **none**: no labels in production at all (only the baseline is labelled, if anything is).

:func:`label_production` turns any of them into one :class:`LabelledProduction`: production with the
target column (null where no label arrived) and a :class:`~toolkit.FeedbackReport`.
``ModelConfig.labelled`` calls it. :func:`outcome_plan` says, for the model's task (binary,
multiclass, regression) and label setup, which metrics to report, and whether label-free
estimation, risk-coverage and the sample-size plan apply; where one does not, it gives one sentence
saying why, which the template prints instead of failing.

Examples
--------
>>> import numpy as np, pandas as pd, tempfile, pathlib
>>> import toolkit as tk
>>> rng = np.random.default_rng(0)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> def scored(n, start):
...     p = rng.random(n)
...     return pd.DataFrame({"t": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.integers(0, 13 * 86400, n), "s"),
...                          "x": rng.normal(size=n), "p": p.round(3), "y": (rng.random(n) < p).astype(int)})
>>> scored(400, "2026-01-05").to_parquet(folder / "base.parquet")
>>> production = scored(300, "2026-01-05")
>>> production.loc[production["t"] > "2026-01-12", "y"] = None     # the second week is not labelled yet
>>> production.to_parquet(folder / "prod.parquet")
>>> spec = tk.ModelSpec.infer(pd.read_parquet(folder / "base.parquet"), target="y", score="p", timestamp="t")
>>> cfg = tk.ModelConfig(name="m", baseline="base.parquet", production="prod.parquet", spec=spec, window="W",
...                      root=folder)
>>> labelled = label_production(cfg)
>>> labelled.setup, labelled.has_labels
('target in production', True)
>>> labelled.report.to_frame()["coverage"].round(2).tolist()
[1.0, 0.0]
>>> outcome_plan(cfg).metrics
['roc_auc', 'accuracy', 'f1']
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

__all__ = ["LabelledProduction", "label_production", "OutcomePlan", "outcome_plan", "LABEL_SETUPS",
           "detect_class_scores", "class_scores_for"]

#: How a model's production labels can arrive.
LABEL_SETUPS = ("labels file", "target in production", "none")
_KEY = "toolkit_row_key"


def _free_name(name: str, taken) -> str:
    """``name``, or ``name_2``, ``name_3``... : the first that is not among ``taken``."""
    taken, candidate, i = set(map(str, taken)), name, 1
    while candidate in taken:
        i += 1
        candidate = f"{name}_{i}"
    return candidate


@dataclasses.dataclass(frozen=True, eq=False)
class LabelledProduction:
    """Production with its labels, whatever the setup; unpacks as ``joined, report``.

    Attributes
    ----------
    joined
        Every production row (with its ``window``) and the target column, null where no label arrived;
        with a labels file also its other columns (``label_time``, ``inclusion_prob``...).
    report
        The :class:`~toolkit.FeedbackReport`: coverage and delay per window (zero coverage without labels).
    setup
        One of :data:`LABEL_SETUPS`: 'labels file', 'target in production' or 'none'.
    target
        The target column (None when the spec names none).
    """

    joined: pd.DataFrame
    report: object
    setup: str
    target: str | None

    def __iter__(self):
        yield self.joined
        yield self.report

    @property
    def has_labels(self) -> bool:
        """True when at least one production row has a label."""
        return bool(self.report.n_matched > 0)

    def recent(self, n: int, min_coverage: float = 0.9) -> list[str]:
        """The ``n`` most recent windows whose label coverage is at least ``min_coverage``."""
        cov = self.report.to_frame()
        return cov.loc[cov["coverage"] >= min_coverage, "window"].astype(str).tail(n).tolist()

    def labelled_rows(self, windows: list[str] | None = None) -> pd.DataFrame:
        """Rows with a label, in ``windows`` (all windows when None)."""
        if self.target is None or self.target not in self.joined:
            return self.joined.iloc[0:0]
        rows = self.joined[self.target].notna()
        if windows is not None:
            rows &= self.joined["window"].astype(str).isin([str(w) for w in windows])
        return self.joined[rows]

    def fit_rows(self, reference: pd.DataFrame, fit_on: str = "reference", n_windows: int = 4) -> tuple[pd.DataFrame, str]:
        """Labelled rows to choose a threshold on, and one sentence saying which.

        ``fit_on="reference"`` takes the reference's labelled rows; ``fit_on="recent"`` the ``n_windows``
        most recent fully labelled production windows; when there are none (no labels in production) it
        falls back to the reference's labels and says so. (``"baseline"`` is the deprecated name of
        ``"reference"``.)
        """
        import warnings

        from .._checks import check_choice

        if fit_on == "baseline":
            warnings.warn("fit_on='baseline' is deprecated and will be removed in the next release; use "
                          "fit_on='reference'", DeprecationWarning, stacklevel=2)
            fit_on = "reference"
        check_choice("fit_on", fit_on, ("reference", "recent"))
        n_reference = int(reference[self.target].notna().sum()) if self.target in reference else 0
        if fit_on == "recent":
            recent = self.recent(n_windows)
            if recent:
                rows = self.labelled_rows(recent)
                return rows, f"Threshold chosen on {len(rows):,} labelled production rows of windows {', '.join(recent)}."
            why = ("production has no labels" if not self.has_labels else
                   "no production window is at least 90% labelled yet")
            return reference, (f"Threshold chosen on the baseline's {n_reference:,} labelled rows: fit_on is "
                               f"'recent' but {why}.")
        note = " (production has no labels, so the baseline is the only labelled data)" if not self.has_labels else ""
        return reference, f"Threshold chosen on the baseline's {n_reference:,} labelled rows{note}."

    @property
    def description(self) -> str:
        """One sentence: where the labels come from and how many arrived."""
        r = self.report
        if self.setup == "none":
            return ("No labels in production: neither a labels file nor the target column "
                    + (f"{self.target!r} " if self.target else "") + "is there, so the feedback loop is missing.")
        where = "a separate labels file joined on the id" if self.setup == "labels file" else \
            f"the target column {self.target!r} inside the production data"
        return (f"Labels come from {where}: {r.n_matched:,} of {r.n_predictions:,} predictions "
                f"({r.coverage_share:.1%}) have one.")

    def __repr__(self) -> str:
        return f"LabelledProduction(setup={self.setup!r}, {self.report.n_matched:,} of {len(self.joined):,} labelled)"


def label_production(config) -> LabelledProduction:
    """Join production to its labels for any label setup (see the module docstring).

    With a labels file the labels are joined on ``spec.id`` (:func:`toolkit.join_labels`); when the
    target column is in production it is used as it is (rows where it is null count as waiting);
    with neither, every row is unlabelled and the report says so. A production target column is
    ignored when a labels file is configured (the file is the source of truth).
    """
    from .labels import join_labels

    spec = config.spec
    target = spec.target
    production = config.production_frame
    timestamp = spec.timestamp if spec.timestamp and spec.timestamp in production else None
    if config.labels is not None:
        if target is not None and target in production:
            production = production.drop(columns=target)
        joined, report = join_labels(production, config.label_frame, spec=spec, timestamp=timestamp, by="window")
        return LabelledProduction(joined, report, "labels file", target)
    in_production = target is not None and target in production and production[target].notna().any()
    # join_labels reserves "_tk_*" names, so the helper columns get plain names no input column uses
    key = _free_name(_KEY, production.columns)
    column = target if target is not None else _free_name("toolkit_target", production.columns)
    keys = np.arange(len(production))
    if in_production:
        values = production[target]
        labels = pd.DataFrame({key: keys, column: values})[values.notna().to_numpy()]
        predictions = production.drop(columns=target)
    else:
        labels = pd.DataFrame({key: np.array([], dtype=np.int64),
                               column: pd.Series([], dtype=float)})
        predictions = production.drop(columns=[c for c in (target,) if c is not None and c in production])
    joined, report = join_labels(predictions.assign(**{key: keys}), labels, on=key, target=column,
                                 timestamp=timestamp, label_time=None, by="window")
    joined = joined.drop(columns=key)
    if target is None:
        joined = joined.drop(columns=column)
    return LabelledProduction(joined, report, "target in production" if in_production else "none", target)


# ----------------------------------------------------------------------------- the plan


def detect_class_scores(frame: pd.DataFrame, target: str | None, exclude=()) -> dict:
    """``{class: column}`` when ``frame`` has one probability column per class of ``target``.

    A column matches a class when its name ends with the class (``p_on_time`` for ``on_time``), all
    matches share the same prefix, and the values lie in [0, 1]. Returns ``{}`` when not every class
    has exactly one such column.

    >>> frame = pd.DataFrame({"y": ["a", "b", "c"], "p_a": [0.7, 0.2, 0.1], "p_b": [0.2, 0.5, 0.1],
    ...                       "p_c": [0.1, 0.3, 0.8], "x": [1, 2, 3]})
    >>> detect_class_scores(frame, "y")
    {'a': 'p_a', 'b': 'p_b', 'c': 'p_c'}
    """
    if target is None or target not in frame:
        return {}
    classes = sorted(frame[target].dropna().unique().tolist(), key=str)
    if len(classes) < 2:
        return {}
    by_prefix: dict[str, dict] = {}
    for column in frame.columns:
        name = str(column)
        if name == target or name in exclude:
            continue
        for cls in classes:
            if name.endswith(str(cls)) and len(name) > len(str(cls)):
                by_prefix.setdefault(name[: -len(str(cls))], {})[cls] = name
    for prefix, found in sorted(by_prefix.items(), key=lambda kv: -len(kv[0])):
        if len(found) != len(classes):
            continue
        values = [pd.to_numeric(frame[c], errors="coerce") for c in found.values()]
        if all(v.notna().any() and v.min() >= 0 and v.max() <= 1 for v in values):
            return {cls: found[cls] for cls in classes}
    return {}


@dataclasses.dataclass(frozen=True)
class OutcomePlan:
    """What the outcome templates can do for this model (made by :func:`outcome_plan`).

    Attributes
    ----------
    task
        'binary', 'multiclass' or 'regression'.
    setup
        The label setup, one of :data:`LABEL_SETUPS`.
    metric
        The headline metric.
    metrics
        Metrics to report with intervals (headline first).
    class_scores
        Multiclass: ``{class: probability column}`` (empty when the model logs only the class).
    reference_labelled
        The baseline has the target (the label-free estimate and the abstain threshold learn on it).
    estimate_reason, abstain_reason, planning_reason
        None when label-free estimation / risk-coverage / the sample-size plan apply; else one sentence why not.
    planning_metric
        The metric the sample-size plan uses (None when it does not apply).
    """

    task: str
    setup: str
    metric: str | None
    metrics: list
    class_scores: dict
    reference_labelled: bool
    estimate_reason: str | None
    abstain_reason: str | None
    planning_metric: str | None
    planning_reason: str | None

    @property
    def estimate_applies(self) -> bool:
        return self.estimate_reason is None

    @property
    def abstain_applies(self) -> bool:
        return self.abstain_reason is None

    @property
    def outcome_kwargs(self) -> dict:
        """Keyword arguments the outcome functions need beyond the spec (``class_scores`` for multiclass)."""
        return {"class_scores": self.class_scores} if self.class_scores else {}


def class_scores_for(spec, reference: pd.DataFrame) -> dict:
    """``{class: probability column}`` of a multiclass model (found in ``reference``), else ``{}``."""
    if spec.task != "multiclass":
        return {}
    return detect_class_scores(reference, spec.target, exclude=spec.features)


def outcome_plan(config, metric: str | None = None) -> OutcomePlan:
    """What 03 and 04 can show for ``config``'s task and label setup; ``metric`` overrides the headline.

    Raises ValueError naming the valid metrics when ``metric`` does not fit the task.
    """
    from .metrics import DEFAULT_METRICS, METRICS_BY_TASK
    from .planning import PLANNED_METRICS

    spec = config.spec
    task = spec.task
    reference = config.reference
    target = spec.target
    reference_labelled = bool(target is not None and target in reference and reference[target].notna().any())
    class_scores = class_scores_for(spec, reference)
    allowed = METRICS_BY_TASK[task]
    if metric is not None and metric not in allowed:
        raise ValueError(f"metric must be one of {list(allowed)} for this {task} model; got {metric!r}. "
                         "Fix: pass -p metric=NAME with one of those, or leave it out for the default")
    headline = metric or DEFAULT_METRICS[task][0]
    if task == "binary":
        extra = ["roc_auc", "accuracy", "f1"] if spec.score is not None else ["accuracy", "f1"]
        if headline in ("roc_auc", "log_loss", "brier", "ece") and spec.score is None:
            raise ValueError(f"metric {headline!r} needs the model's score, and this model logs none; "
                             "use accuracy, f1, precision or recall")
        if headline == "roc_auc" and spec.score is None:
            headline = "accuracy"
    elif task == "multiclass":
        extra = ["accuracy", "macro_f1"]
    else:
        extra = ["mae", "rmse", "mape"]
    metrics = list(dict.fromkeys([headline, *extra]))
    setup = "labels file" if config.labels is not None else (
        "target in production" if target is not None and _target_in_production(config) else "none")

    # what the model does not log, said once for both the estimate and risk-coverage
    unlogged = {"binary": (spec.score is None, "probability for each row", "only its predicted label"),
                "multiclass": (not class_scores, "per-class probabilities", "only the predicted class")}
    missing, needs, logs = unlogged.get(task, (False, "", ""))

    estimate_reason = None
    if not reference_labelled:
        estimate_reason = ("The baseline has no labels, so there is nothing to learn the label-free estimate from: "
                           "it needs a labelled reference.")
    elif missing:
        estimate_reason = f"Label-free estimation reads the model's {needs}, and this model logs {logs}."
    elif task == "regression" and not spec.features:
        estimate_reason = "Label-free estimation of a regression learns each row's error from the features; there are none."

    abstain_reason = None
    if not reference_labelled and setup == "none":
        abstain_reason = "No labels anywhere (baseline or production), so no threshold can be checked against outcomes."
    elif missing:
        confidence = "confidence" if task == "binary" else "confidence (its largest class probability)"
        abstain_reason = (f"Risk-coverage ranks cases by the model's {confidence}, and this model logs "
                          f"{'no score, ' if task == 'binary' else ''}{logs}: there is nothing to rank on.")
    elif task == "regression":
        abstain_reason = ("Risk-coverage needs a per-case confidence, and this regression model logs a predicted "
                          "value without an uncertainty (no interval or standard deviation), so it does not apply; "
                          "log one to abstain on it.")

    if headline in PLANNED_METRICS:
        planning_metric, planning_reason = headline, None
    elif task != "regression" and "accuracy" in allowed:
        planning_metric, planning_reason = "accuracy", None
    else:
        planning_metric = None
        planning_reason = (f"The sample-size plan covers proportions and ROC AUC; for {headline} the interval "
                           "width in the table above shows what the current labels can resolve.")
    if planning_metric is not None and not reference_labelled:
        planning_metric, planning_reason = None, "The sample-size plan needs a baseline value, and the baseline has no labels."
    return OutcomePlan(task=task, setup=setup, metric=headline, metrics=metrics, class_scores=class_scores,
                       reference_labelled=reference_labelled, estimate_reason=estimate_reason,
                       abstain_reason=abstain_reason, planning_metric=planning_metric,
                       planning_reason=planning_reason)


def _target_in_production(config) -> bool:
    target = config.spec.target
    frame = config.production_frame
    return bool(target in frame and frame[target].notna().any())
