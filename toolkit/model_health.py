"""Model health: one verdict per cause (schema, drift, feedback, performance, fallback), with reasons.

:func:`health` computes each statistic once for every production window (the contract's checks,
drift against the baseline for inputs and outputs, label coverage, realized performance with
intervals, the label-free estimate, the fallback's routing) and applies the documented rules of
:mod:`toolkit.health_rules`. The statistics are cached per model within the process, so asking for
another window is instant.

Examples
--------
>>> import toolkit as tk
>>> report = tk.health("notebooks/model.yaml", window="2026-08")      # doctest: +SKIP
>>> report.status, report.to_frame().loc[1, ["cause", "status", "since"]].tolist()   # doctest: +SKIP
('act', ['drift', 'watch', '2026-08'])
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._compat import renamed_arguments
from ._html import SEVERITY_COLOURS, escape
from .health_rules import (CAUSES, Rules, drift_rule, episode_start, fallback_rule, feedback_rule, overall_rule,
                           performance_rule, relationship_changes, retraining_rule, schema_findings, schema_rule)
from .results import Result

__all__ = ["health", "HealthReport", "HealthError", "VerdictCard", "clear_cache", "verdict_card", "HEALTH_COLUMNS"]

#: Columns of :meth:`HealthReport.to_frame`.
HEALTH_COLUMNS = ["cause", "status", "since", "summary", "evidence", "next_step"]
STATUS_COLOURS = {"ok": SEVERITY_COLOURS["ok"], "watch": SEVERITY_COLOURS["warning"], "act": SEVERITY_COLOURS["error"]}
#: the template that goes deeper, per cause
TEMPLATES = {"schema": "01_compare_baseline", "drift": "02_inspect_drifted_features",
             "feedback": "03_estimate_degradation", "performance": "03_estimate_degradation",
             "fallback": "04_fallback_thresholds", "retraining": "05_retrain_decision"}
_HIGHER = {"roc_auc": True, "accuracy": True, "mae": False}


class HealthError(ValueError):
    """The health check could not run on this model's data: the message says what and how to fix it."""


# ----------------------------------------------------------------------------- statistics, once per model


@dataclasses.dataclass
class _Stats:
    name: str
    windows: list
    n_rows: dict
    schema: pd.DataFrame
    drift: pd.DataFrame
    outputs: list
    coverage: pd.DataFrame | None
    expected_delay_days: float | None
    perf: pd.DataFrame
    estimate: pd.DataFrame | None
    routing: pd.DataFrame | None
    baseline_routed: float | None
    n_baseline: int
    feasible: bool
    fallback_reason: str
    metric: str
    joined: pd.DataFrame | None
    reference: pd.DataFrame
    spec: object
    weight_column: str | None
    notes: list
    memo: dict = dataclasses.field(default_factory=dict)
    has_joined: bool = False
    #: a label-free estimate is possible (a score or class scores, labelled baseline), even where none was needed
    can_estimate: bool = False
    #: the ModelConfig that rebuilds ``joined`` and ``reference`` when the statistics came from the disk cache
    #: (stored without those frames: they are most of its size and only the relationship screen needs them)
    source: object = None

    def rows(self) -> tuple:
        """``(joined, reference)``, rebuilt from :attr:`source` when the statistics were loaded from disk."""
        if self.reference is None and self.source is not None:
            cfg = self.source
            self.reference = cfg.reference
            if self.has_joined:
                self.joined = _join(cfg, self.spec)[0]
        return self.joined, self.reference

    def light(self) -> "_Stats":
        """A copy without the row frames, as stored on disk."""
        return dataclasses.replace(self, joined=None, reference=None, memo={}, source=None)


_CACHE: dict = {}


def clear_cache() -> None:
    """Forget the statistics cached by :func:`health` (e.g. after new data arrived)."""
    _CACHE.clear()


def _load_config(config):
    from .config import ModelConfig

    if isinstance(config, ModelConfig):
        return config
    if not isinstance(config, (str, os.PathLike)):
        raise TypeError(f"config must be a ModelConfig, a model.yaml path or a model folder; got {type(config).__name__}")
    path = Path(config)
    if path.is_dir():
        path = path / "model.yaml"
    return ModelConfig.load(path)


def _join(cfg, spec):
    """``(joined, coverage, expected delay in days)``: production with its labels (:attr:`ModelConfig.labelled`,
    the join templates 03-05 use, shared by a report's kernels), and the label coverage per window; all None
    when the model has no target, or neither a labels file nor the target column in production."""
    target = spec.target
    if target is None:
        return None, None, None
    if cfg.labels is not None and spec.id is None:
        raise HealthError(f"{cfg.name}: labels need spec.id to be joined to production; set it in model.yaml")
    if cfg.labels is None and target not in cfg.production_frame.columns:
        return None, None, None
    joined, feedback = cfg.labelled
    coverage = feedback.to_frame()
    coverage["window"] = coverage["window"].astype(str)
    delay_days = None
    if cfg.labels is not None and feedback.expected_delay is not None and pd.notna(feedback.expected_delay):
        delay_days = pd.Timedelta(feedback.expected_delay).total_seconds() / 86400
    return joined, coverage, delay_days


def _cache_key(cfg, rules: Rules):
    files = []
    for rel in (cfg.baseline, cfg.production, cfg.labels):
        if rel:
            p = cfg.path(rel)
            try:
                files.append((str(p), p.stat().st_mtime_ns))
            except OSError:
                files.append((str(p), None))
    return (str(Path(cfg.root).resolve()), json.dumps(cfg.to_dict(), default=str, sort_keys=True), tuple(files),
            rules.target_accuracy, rules.level)


def _headline_metric(spec) -> str:
    if spec.task == "regression":
        return "mae"
    if spec.task == "binary" and spec.score is not None:
        return "roc_auc"
    return "accuracy"


def _gather(cfg, rules: Rules) -> _Stats:
    """The statistics of every window: from this process's cache, else the disk cache (computed once per
    model state across the kernels of a report run, see :mod:`toolkit._diskcache`), else computed."""
    from ._diskcache import cached, model_fingerprint

    fingerprint = model_fingerprint(cfg, rules)
    key = ("fingerprint", fingerprint) if fingerprint else _cache_key(cfg, rules)
    if key in _CACHE:
        return _CACHE[key]
    computed: list = []

    def compute() -> _Stats:
        computed.append(_compute(cfg, rules))
        return computed[0].light()

    stats = cached("health-stats", fingerprint, compute)
    if computed:
        stats = computed[0]
    else:
        stats.source = cfg
    if len(_CACHE) >= 4:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = stats
    return stats


def _compute(cfg, rules: Rules) -> _Stats:
    import toolkit as tk

    spec = cfg.spec
    notes: list[str] = []
    batches = cfg.batches
    windows = [str(w) for w in batches]
    if not windows:
        raise HealthError(f"{cfg.name}: production has no windows; check `production:` in model.yaml")
    table = cfg.window_table
    gaps = [str(w) for w, n in zip(table["window"], table["n_rows"]) if n == 0] if "n_rows" in table else []
    if gaps:   # the verdicts cover windows with rows; a period with none is a feed outage to name
        from ._checks import preview

        notes.append(f"production has no rows in {len(gaps)} window(s) between its first and last: {preview(gaps)} "
                     "(a gap in the feed; check it with the data's owner)")
    n_rows = {str(w): len(f) for w, f in batches.items()}
    reference = cfg.reference

    # under DuckDB/Spark the checks see every row of each window (true row counts), not the held sample
    schema = cfg.schema_history().to_frame()
    # the call templates 01 and 02 make (shared across a report's kernels); under DuckDB/Spark on every row
    drift = cfg.drift_over_time().to_frame()
    drift["window"] = drift["window"].astype(str)
    outputs = [c for c in (spec.score, spec.prediction) if c]

    production = cfg.production_frame
    metric = _headline_metric(spec)
    target = spec.target
    joined, coverage, delay_days = _join(cfg, spec)

    perf = pd.DataFrame(columns=["window", "value", "lower", "upper", "n", "baseline", "delta_vs_baseline",
                                 "delta_lower", "delta_upper", "delta_p_value", "degraded", "weighted"])
    labelled_ref = target is not None and target in reference.columns
    from .outcomes.setup import class_scores_for

    # per-class probabilities (multiclass): the estimate and the abstain confidence need them
    found = class_scores_for(spec, reference)
    class_kw = {"class_scores": found} if found else {}
    # without a prediction column, the predicted class is the argmax of the class scores
    outcome_kw = class_kw if spec.prediction is None else {}
    if joined is not None and labelled_ref:
        if cfg.engine_used != "pandas" and spec.task == "binary":  # every labelled row, counted in the engine
            perf = cfg.performance(metric=metric, reference="baseline", n_resamples=200).to_frame()
        else:
            perf = tk.performance(joined, spec=spec, metric=metric, by="window", reference=reference,
                                  n_resamples=200, **outcome_kw).to_frame()
        perf = perf[perf["metric"] == metric].copy()
        perf["window"] = perf["window"].astype(str)
    estimate = None
    # the estimate is needed only where a drop must be classified or labels are too few: skip the rest
    enough = perf[(perf["n"] >= rules.min_labels) & perf["value"].notna()] if len(perf) else perf
    needed = set(windows) - set(enough["window"]) | set(perf.loc[perf["degraded"].astype(bool), "window"]
                                                          if len(perf) else [])
    if labelled_ref and needed:
        try:
            if cfg.engine_used != "pandas" and cfg.scores_in_engine:
                # every production row, counted in the engine: the figures template 03 shows, not the sample's
                est = cfg.estimate(metric=metric, n_resamples=200).to_frame()
                est = est[est["window"].astype(str).isin(needed)]
            else:
                analysis = joined if joined is not None else production
                analysis = analysis[analysis["window"].astype(str).isin(needed)]
                est = tk.estimate_performance(reference, analysis, spec=spec, metric=metric, by="window",
                                              n_resamples=200, **class_kw).to_frame()
            estimate = est
            estimate["window"] = estimate["window"].astype(str)
        except (ValueError, TypeError, KeyError) as exc:
            notes.append(f"no label-free estimate: {exc}")
    routing, baseline_routed, feasible, reason = None, None, True, ""
    if not labelled_ref:
        reason = "the baseline has no labels"
    elif spec.task == "regression":
        from .outcomes.fallback import find_uncertainty

        reason = ("a regression model: its abstain cut-off on the predicted uncertainty is chosen in 04, not checked "
                  "here" if find_uncertainty(reference, spec.prediction) is not None
                  else "a regression model has no confidence to abstain on")
    elif spec.score is None and not class_kw:
        reason = "no score column to abstain on"
    else:
        try:
            decision = tk.abstain_threshold(reference, spec=spec, target_accuracy=rules.target_accuracy,
                                            level=rules.level, **class_kw)
            feasible = decision.abstain_at is not None
            baseline_routed = float(decision.routed_share)
            # under DuckDB/Spark every production row is routed in the engine, as template 04 shows it
            routing = (cfg.routing(decision) if cfg.engine_used != "pandas"
                       else decision.apply(joined if joined is not None else production, by="window"))
            routing["window"] = routing["window"].astype(str)
        except (ValueError, TypeError, KeyError) as exc:
            reason = f"the abstain threshold could not be chosen ({exc})"
            routing = None
    weight = cfg.inclusion_prob if (joined is not None and cfg.inclusion_prob and cfg.inclusion_prob in joined) else None
    stats = _Stats(name=cfg.name, windows=windows, n_rows=n_rows, schema=schema, drift=drift, outputs=outputs,
                   coverage=coverage, expected_delay_days=delay_days, perf=perf, estimate=estimate, routing=routing,
                   baseline_routed=baseline_routed, n_baseline=len(reference), feasible=feasible,
                   fallback_reason=reason, metric=metric, joined=joined, reference=reference, spec=spec,
                   weight_column=weight, notes=notes, has_joined=joined is not None,
                   can_estimate=labelled_ref and ((spec.task == "binary" and spec.score is not None) or bool(found)))
    return stats


def _outcome_fn(stats: _Stats):
    """``frame -> (y, expected, weight)`` for the relationship screen (see ``relationship_changes``)."""
    spec = stats.spec

    def outcome(frame: pd.DataFrame):
        y = frame[spec.target]
        w = np.ones(len(frame))
        if stats.weight_column and stats.weight_column in frame.columns:
            p = pd.to_numeric(frame[stats.weight_column], errors="coerce").to_numpy(dtype=float)
            w = np.where(np.isfinite(p) & (p > 0), 1 / np.where(p > 0, p, 1), 1.0)
        if spec.task == "binary" and spec.score:
            yy = (y == spec.positive_label).astype(float).where(y.notna()).to_numpy(dtype=float)
            return yy, pd.to_numeric(frame[spec.score], errors="coerce").to_numpy(dtype=float), w
        if spec.task == "regression" and spec.prediction:
            return (pd.to_numeric(y, errors="coerce").to_numpy(dtype=float),
                    pd.to_numeric(frame[spec.prediction], errors="coerce").to_numpy(dtype=float), w)
        if spec.prediction:  # multiclass: correctness against the reference's accuracy
            correct = (y.astype(str) == frame[spec.prediction].astype(str)).astype(float).where(y.notna())
            return correct.to_numpy(dtype=float), np.zeros(len(frame)), w
        return np.full(len(frame), np.nan), np.zeros(len(frame)), w

    return outcome


# ----------------------------------------------------------------------------- the public function


@renamed_arguments(confidence="level")
def health(config, window: str | None = None, *, rules: Rules | None = None, target_accuracy: float | None = None,
           level: float | None = None, retrain: bool = False) -> "HealthReport":
    """The model's health in one window: ok / watch / act per cause, since when, why, what to do.

    Parameters
    ----------
    config
        A :class:`~toolkit.ModelConfig`, the path of its ``model.yaml``, or the model folder.
    window
        Window: its label, any date inside it or an ISO week ('2026-W20'); None for the latest
        complete window (see :meth:`toolkit.ModelConfig.choose_window`).
    rules
        Thresholds of the rules (:class:`toolkit.health_rules.Rules`); the defaults are documented there.
    target_accuracy, level
        The fallback's promise for the answered cases: their accuracy, and the confidence level of
        its lower bound (defaults 0.85 and 0.95, as template 04; ``rules.level``).
    retrain
        Add a ``retraining`` row: when the performance row is act, what :func:`toolkit.retraining_plan`
        recommends (with the model's ``model:`` estimator, else the default learner) and its evidence.
        Off by default because the plan trains candidates (about as much CPU again as the rest of the
        check on the demo); the plan is cached with the statistics, so later windows reuse it. The row
        never changes the overall status.

    Returns
    -------
    HealthReport
        One row per cause plus ``overall``: ``cause, status, since, summary, evidence, next_step``.

    Examples
    --------
    >>> import toolkit as tk
    >>> report = tk.health("notebooks/model.yaml", window="2026-12")   # doctest: +SKIP
    >>> report.row("schema")["summary"]                                   # doctest: +SKIP
    "'plan' has 1 value(s) the baseline never had, in 8.03% of rows: 'family' (8.03%) (...; new this window)."
    """
    rules = rules or Rules()
    overrides = {k: v for k, v in (("target_accuracy", target_accuracy), ("level", level)) if v is not None}
    if overrides:
        rules = dataclasses.replace(rules, **overrides)
    cfg = _load_config(config)
    try:
        known = [str(w) for w in cfg.windows]
    except (FileNotFoundError, KeyError, ValueError, TypeError) as exc:
        raise HealthError(f"{cfg.name}: cannot read the production windows: {exc}") from exc
    if not known:
        raise HealthError(f"{cfg.name}: production has no windows")
    try:  # one owner of window names: a label, a date inside it, an ISO week; default the latest complete
        window = cfg.choose_window(window).label
    except (KeyError, ValueError) as exc:
        raise HealthError(exc.args[0] if exc.args else str(exc)) from exc
    from ._diskcache import cached, model_fingerprint

    # the verdict of one window is cached on disk too: the templates of a report run (each in its own kernel)
    # and the index ask for the same one, and the first to ask computes it
    return cached("health-report", model_fingerprint(cfg, rules, str(window), bool(retrain)),
                  lambda: _report(cfg, str(window), rules, retrain))


def _report(cfg, chosen: str, rules: Rules, retrain: bool) -> "HealthReport":
    try:
        stats = _gather(cfg, rules)
    except HealthError:
        raise
    except (FileNotFoundError, KeyError, ValueError, TypeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise HealthError(f"{cfg.name}: cannot compute the health statistics: {message}") from exc
    windows = stats.windows
    if chosen not in windows:
        from ._checks import preview

        raise HealthError(f"window {chosen!r} not in production; available: {preview(windows)} (latest {windows[-1]!r})")
    report = _evaluate(stats, chosen, rules)
    if retrain:
        report = _with_retraining(report, stats, cfg)
    return report


def _with_retraining(report: "HealthReport", stats: _Stats, cfg) -> "HealthReport":
    """The report with its ``retraining`` row appended (the plan runs once per cached statistics)."""
    from .outcomes.retraining import retraining_plan

    perf = report.row("performance")
    plan = error = None
    if perf["status"] == "act":
        if "retraining_plan" not in stats.memo:
            try:
                stats.memo["retraining_plan"] = (retraining_plan(cfg), None)
            except (FileNotFoundError, KeyError, ValueError, TypeError, ImportError) as exc:
                message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
                stats.memo["retraining_plan"] = (None, " ".join(str(message).split()).rstrip("."))
        plan, error = stats.memo["retraining_plan"]
    config_name = os.path.relpath(Path(cfg.root) / "model.yaml") if getattr(cfg, "root", None) else "model.yaml"
    row = retraining_rule(perf, plan, error, config_name=config_name, first_window=stats.windows[0])
    table = pd.concat([report.table, pd.DataFrame([{k: row.get(k, "") for k in report.table.columns}])],
                      ignore_index=True)
    table["since"] = table["since"].astype(object).where(table["since"].notna(), None)
    return dataclasses.replace(report, table=table)


def _evaluate(stats: _Stats, window: str, rules: Rules) -> "HealthReport":
    spec = stats.spec
    windows = stats.windows
    ignore = [spec.target] if spec.target else []
    findings = schema_findings(stats.schema, windows, stats.n_rows, rules, ignore=ignore)
    drifted = stats.drift[stats.drift["drifted"].astype(bool) & ~stats.drift["column"].isin(stats.outputs)]
    drifted_inputs = {w: part["column"].astype(str).tolist() for w, part in drifted.groupby("window")}

    def relationship(ws):
        key = ("relationship", tuple(ws), rules)
        if key not in stats.memo:
            joined, reference = stats.rows()
            cur = joined[joined["window"].astype(str).isin(ws) & joined[spec.target].notna()]
            binary = spec.task == "binary" and spec.score is not None
            stats.memo[key] = relationship_changes(reference, cur, spec.features, spec.kinds,
                                                   _outcome_fn(stats), binary=binary, rules=rules)
        return stats.memo[key]

    higher = _HIGHER.get(stats.metric, True)
    perf = performance_rule(stats.perf, stats.estimate, windows, stats.metric, higher, findings, drifted_inputs,
                            rules, relationship=relationship if stats.has_joined else None, focus=window)
    fallback = fallback_rule(stats.routing, windows, rules, stats.baseline_routed, stats.n_baseline,
                             stats.feasible, stats.fallback_reason)
    steps = {}
    for w in windows:
        parts = []
        p = perf[perf["window"] == w]
        if len(p) and bool(p.iloc[0]["step"]):
            parts.append(p.iloc[0]["change"])
        f = fallback[fallback["window"] == w]
        if len(f) and f.iloc[0].get("routing_step"):
            parts.append(f.iloc[0]["routing_step"])
        if parts:
            steps[w] = " and ".join(parts)
    schema = schema_rule(findings, windows, stats.n_rows, steps)
    covariate = {w: ("covariate" in k) for w, k in zip(perf["window"], perf["kind"]) if w}
    drift = drift_rule(stats.drift, windows, stats.outputs, findings, covariate)
    feedback = feedback_rule(stats.coverage, windows, rules, stats.expected_delay_days,
                             has_estimate=stats.estimate is not None or getattr(stats, "can_estimate", False))
    by_cause = {"schema": schema, "drift": drift, "feedback": feedback, "performance": perf, "fallback": fallback}
    history = []
    for cause, frame in by_cause.items():
        statuses = frame["status"].tolist()
        for i, w in enumerate(windows):
            history.append({"cause": cause, "window": w, "status": statuses[i],
                            "since": episode_start(windows, statuses, i), "kind": frame.iloc[i]["kind"]})
    history = pd.DataFrame(history)
    overall_status = []
    for w in windows:
        overall_status.append(max(history.loc[history["window"] == w, "status"],
                                  key=lambda s: ("ok", "watch", "act").index(s)))
    i = windows.index(window)
    rows = {}
    for cause in CAUSES:
        frame = by_cause[cause]
        r = frame.iloc[i].to_dict()
        h = history[(history["cause"] == cause) & (history["window"] == window)].iloc[0]
        r["since"] = h["since"]
        rows[cause] = r
    overall = overall_rule(rows)
    overall["since"] = episode_start(windows, overall_status, i)
    for j, w in enumerate(windows):
        history = pd.concat([history, pd.DataFrame([{"cause": "overall", "window": w, "status": overall_status[j],
                                                     "since": episode_start(windows, overall_status, j), "kind": ""}])],
                            ignore_index=True)
    table = [{"cause": "overall", **{k: overall[k] for k in ("status", "since", "summary", "evidence", "next_step")},
              "kind": overall["kind"], "column": ""}]
    for cause in CAUSES:
        r = rows[cause]
        table.append({"cause": cause, "status": r["status"], "since": r["since"], "summary": r["summary"],
                      "evidence": r["evidence"], "next_step": r["next_step"], "kind": r["kind"],
                      "column": r.get("column", "") or ""})
    frame = pd.DataFrame(table)
    frame["since"] = frame["since"].astype(object).where(frame["since"].notna(), None)
    return HealthReport(model=stats.name, window=window, windows=tuple(windows), table=frame, history=history,
                        metric=stats.metric, notes=tuple(stats.notes))


# ----------------------------------------------------------------------------- the result


@dataclasses.dataclass(frozen=True, eq=False)
class HealthReport(Result):
    """The verdict per cause in one window (see :func:`health`).

    Attributes
    ----------
    model, window
        The model's name and the window examined.
    status
        Overall status: 'ok', 'watch' or 'act'.
    windows
        Every production window, in order.
    table
        One row per cause (``overall`` first): cause, status, since, summary, evidence, next_step,
        kind (the classification: 'concept drift', 'data incident', ...), column (the column named).
    history
        Status of every cause in every window: cause, window, status, since, kind (for :meth:`chart`).
    metric
        The headline performance metric.
    """

    model: str
    window: str
    windows: tuple
    table: pd.DataFrame
    history: pd.DataFrame
    metric: str = ""
    notes: tuple = ()

    @property
    def status(self) -> str:
        return str(self.table.iloc[0]["status"])

    @property
    def worst_cause(self) -> str | None:
        """The cause behind the overall status (None when everything is ok)."""
        return None if self.status == "ok" else str(self.table.iloc[0]["kind"])

    @property
    def headline(self) -> str:
        """One line: model, window, overall status and why."""
        return f"{self.model}, window {self.window}: {self.table.iloc[0]['summary']}"

    def row(self, cause: str) -> dict:
        """The row of one cause (or 'overall') as a dict."""
        hit = self.table[self.table["cause"] == cause]
        if hit.empty:
            raise KeyError(f"cause must be one of {['overall', *CAUSES]}; got {cause!r}")
        return hit.iloc[0].to_dict()

    def to_frame(self) -> pd.DataFrame:
        """One row per cause (``overall`` first): cause, status, since, summary, evidence, next_step (a copy)."""
        return self.table[HEALTH_COLUMNS].copy()

    def to_dict(self) -> dict:
        """The JSON payload of ``toolkit check``: model, window, status, causes, toolkit_version."""
        from . import __version__

        causes = [{k: (None if (k == "since" and (v is None or (isinstance(v, float) and math.isnan(v)))) else str(v))
                   for k, v in r.items()} for r in self.table[HEALTH_COLUMNS].to_dict("records")]
        return {"model": self.model, "window": self.window, "status": self.status, "causes": causes,
                "toolkit_version": __version__}

    def to_text(self) -> str:
        """Plain text, one block per cause (what ``toolkit check`` prints)."""
        lines = [f"{self.model}: window {self.window}: {self.status.upper()}"]
        for r in self.table.to_dict("records"):
            since = f" since {r['since']}" if r["since"] else ""
            lines.append(f"  {r['cause']:<12}{r['status']:<6}{since}")
            lines.append(f"      {r['summary']}")
            if r["status"] != "ok":
                lines.append(f"      next: {r['next_step']}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"HealthReport({self.model!r}, window={self.window!r}, status={self.status!r})"

    def chart(self):
        """Cause x window status strip (ok / watch / act), the window examined marked."""
        from .charts.health import status_strip

        return status_strip(self.history, self.window)

    def card(self, cause: str, links: bool = True) -> "VerdictCard":
        """The verdict card of one cause, for the first cell of a deeper template.

        It shows as HTML in a notebook (``_repr_html_``) and as one line of text elsewhere, e.g.
        ``tk.health(config, window).card("performance")`` as the last line of template 03's first cell.
        """
        r = self.row(cause)
        since = f" since {r['since']}" if r["since"] else ""
        return VerdictCard(html=verdict_card(self, cause, links=links),
                           text=f"{cause}: {r['status']}{since}: {r['summary']}")

    def to_html(self, links: bool = True) -> str:
        """One screen: the overall verdict, then per cause status, since, why, what to do (escaped)."""
        return _render(self, links=links)

    def _repr_html_(self) -> str:
        return self.to_html()

    def save_html(self, path) -> Path:
        """Write one offline HTML file with the verdict table and the status strip."""
        return _save(self, Path(path))


@dataclasses.dataclass(frozen=True)
class VerdictCard:
    """One cause's verdict: HTML in a notebook, a line of text elsewhere."""

    html: str
    text: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#555")
    return (f'<span style="background:{colour};color:white;border-radius:3px;padding:1px 7px;'
            f'font-weight:600;font-size:12px">{escape(status)}</span>')


def _link(cause: str) -> str:
    name = TEMPLATES.get(cause)
    if not name:
        return ""
    return f'<a href="{escape(name)}.html">{escape(name)}</a>'


def _render(report: HealthReport, links: bool = True) -> str:
    import uuid

    uid = f"tk-{uuid.uuid4().hex[:8]}"
    top = report.table.iloc[0]
    style = (f"<style>#{uid}{{font-family:system-ui,sans-serif;margin:6px 0}}#{uid} table{{border-collapse:collapse;"
             f"font-size:13px}}#{uid} td,#{uid} th{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;"
             f"vertical-align:top}}#{uid} .verdict{{border-left:6px solid {STATUS_COLOURS[top['status']]};"
             f"padding:6px 12px;font-size:15px;margin-bottom:8px}}#{uid} small{{color:#57606a}}</style>")
    head = (f'<div class="verdict">{_badge(top["status"])} <b>{escape(report.model)}</b>, window '
            f'<b>{escape(report.window)}</b>: {escape(top["summary"])}<br><small>Next: {escape(top["next_step"])}'
            "</small></div>")
    rows = []
    for r in report.table.iloc[1:].to_dict("records"):
        link = f"<br><small>Details: {_link(r['cause'])}</small>" if links and _link(r["cause"]) else ""
        step = r["next_step"].split(" Details: ")[0] if link else r["next_step"]  # the link replaces the name
        rows.append(f"<tr><td><b>{escape(r['cause'])}</b></td><td>{_badge(r['status'])}</td>"
                    f'<td style="white-space:nowrap">{escape(r["since"] or "")}</td><td>{escape(r["summary"])}</td>'
                    f"<td>{escape(step)}{link}</td></tr>")
    table = ("<table><thead><tr><th>cause</th><th>status</th><th>since</th><th>why</th><th>what to do</th></tr>"
             f"</thead><tbody>{''.join(rows)}</tbody></table>")
    notes = "".join(f"<p><small>{escape(n)}</small></p>" for n in report.notes)
    return f'{style}<div id="{uid}">{head}{table}{notes}</div>'


def verdict_card(report: HealthReport, cause: str, links: bool = True) -> str:
    """A small card with one cause's verdict: status, since, why, what to do (escaped HTML).

    Meant for the first cell of a deeper template, e.g. in 03:
    ``display(HTML(tk.health(config, window).card("performance")))``.
    """
    r = report.row(cause)
    colour = STATUS_COLOURS.get(r["status"], "#555")
    since = f" since <b>{escape(r['since'])}</b>" if r["since"] else ""
    link = ' <small>Overview: <a href="00_model_health.html">00_model_health</a></small>' if links else ""
    return (f'<div style="font-family:system-ui,sans-serif;border-left:6px solid {colour};padding:6px 12px;'
            f'margin:6px 0">{_badge(r["status"])} <b>{escape(cause)}</b> in window <b>{escape(report.window)}</b>'
            f'{since}: {escape(r["summary"])}<br><small>Next: {escape(r["next_step"])}</small>{link}</div>')


def _save(report: HealthReport, path: Path) -> Path:
    from ._render import bundle_html, chart_html

    try:
        chart = chart_html(report.chart().to_dict())
    except Exception as exc:  # the table is the report; a chart failure is shown, not hidden
        chart = f"<p>chart unavailable: {escape(type(exc).__name__)}: {escape(exc)}</p>"
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(report.model)}: health {escape(report.window)}</title>{bundle_html()}</head><body>"
            f"{report.to_html()}{chart}</body></html>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
