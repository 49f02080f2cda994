"""Findings in plain words, written from result objects, for the template notebooks.

Each function reads a result and returns a :class:`Findings`: a short list of sentences that says
what the numbers mean and what to do next. They render as escaped HTML in notebooks and reports.

>>> f = Findings("Schema", ["column <b> is fine"], next_step="nothing to do")
>>> "&lt;b&gt;" in f._repr_html_()
True
"""
from __future__ import annotations

import dataclasses

from ._html import SEVERITY_COLOURS, escape, frame_to_html

__all__ = ["Findings", "schema", "schema_history", "drift", "drift_over_time", "performance", "estimate",
           "attribution", "fallback", "label_setup", "no_realized_performance", "not_applicable",
           "relationships_source", "labels_plan", "Verdict", "verdict", "drift_verdict", "retrain_verdict",
           "ranking", "table", "threshold_source", "window_note"]


@dataclasses.dataclass(frozen=True)
class Findings:
    """A titled list of findings and one suggested next step."""

    title: str
    items: list[str]
    next_step: str = ""
    level: str = "info"

    def _repr_html_(self) -> str:
        colour = SEVERITY_COLOURS.get(self.level, SEVERITY_COLOURS["info"])
        items = "".join(f"<li>{escape(i)}</li>" for i in self.items) or "<li>Nothing to report.</li>"
        step = f"<p><b>Next:</b> {escape(self.next_step)}</p>" if self.next_step else ""
        return (f'<div style="border-left:4px solid {colour};padding:4px 12px;margin:6px 0;'
                f'font-family:system-ui,sans-serif"><b>{escape(self.title)}</b><ul>{items}</ul>{step}</div>')

    def __str__(self) -> str:
        lines = [self.title, *(f"- {i}" for i in self.items)]
        return "\n".join(lines + ([f"Next: {self.next_step}"] if self.next_step else []))

    __repr__ = __str__


def _pct(x: float) -> str:
    return f"{x:.1%}"


def schema(result, window: str) -> Findings:
    """What a :class:`~toolkit.ValidationResult` means for one window."""
    f = result.failures
    errors, warnings = f[f["severity"] == "error"], f[f["severity"] == "warning"]
    items = [f"{len(errors)} error(s) and {len(warnings)} warning(s) in window {window} ({result.rows:,} rows)."]
    items += [str(m) for m in errors["message"].head(6)]
    items += [f"Suggested repair: {fix}" for fix in result.suggested_fixes]
    if result.ok:
        step = "The batch keeps the contract; the drift figures below are about the data, not the pipeline."
    elif result.suggested_fixes:
        step = ("The analysis below continues on the repaired batch (contract.repair). Tell the upstream team "
                "and fix the feed: the model itself scored the broken values.")
    else:
        step = ("Decide per error: a genuine change (loosen the rule in the contract file) or a broken feed "
                "(stop the model or route to the fallback until it is fixed).")
    return Findings(f"Schema check of window {window}", items, step, "ok" if result.ok else "error")


def schema_history(history) -> Findings:
    """When each column first failed its contract, across all windows."""
    items = [f"{column}: first error in window {w}" for column, w in history.first_failing("error").items()]
    warn = {c: w for c, w in history.first_failing("warning").items() if c not in history.first_failing("error")}
    items += [f"{column}: first warning in window {w}" for column, w in warn.items()]
    if not items:
        n = len(history.windows)
        return Findings("Schema across all windows",
                        [f"Every column kept the contract in {'the one window' if n == 1 else f'all {n} windows'}."],
                        "No action needed.", "ok")
    return Findings("Schema across all windows", items,
                    "Look at the windows where a column first failed: releases and upstream changes cluster there.",
                    "error")


def drift(report) -> Findings:
    """Headline of a :class:`~toolkit.DriftReport`."""
    frame = report.to_frame()
    drifted = frame[frame["drifted"]].sort_values("severity", ascending=False)
    items = [f"{len(drifted)} of {len(frame)} columns drifted ({_pct(report.share_drifted)})."]
    for _, row in drifted.head(8).iterrows():
        signals = row["signals"] if isinstance(row["signals"], str) else ", ".join(row["signals"])
        items.append(f"{row['column']}: {signals} (severity {row['severity']:.1f}x its threshold)")
    if report.multivariate is not None:
        items.append(f"Multivariate: {report.multivariate.summary}")
    step = ("Inspect the top columns in 02_inspect_drifted_features: is it a real change in the population "
            "(retrain or recalibrate) or a data problem (fix the feed)?") if len(drifted) else "No action needed."
    return Findings("Drift against the baseline", items, step, "warning" if len(drifted) else "ok")


def drift_over_time(over_time) -> Findings:
    """When each column first drifted, across windows."""
    first = over_time.first_drift
    items = [f"{column}: drifted from window {w} ({len(over_time.drifted_windows(column))} windows in all)"
             for column, w in sorted(first.items(), key=lambda kv: kv[1])]
    return Findings("Drift over time", items,
                    "A column drifting in one window only is usually a data incident; one that keeps drifting "
                    "is a population change the model has to learn.", "warning" if items else "ok")


def performance(report, metric: str) -> Findings:
    """Realized performance per window against the baseline."""
    f = report.to_frame()
    f = f[f["metric"] == metric]
    degraded = f[f["degraded"]]
    items = []
    if len(f):
        base = f["baseline"].dropna().iloc[0] if "baseline" in f and f["baseline"].notna().any() else None
        if base is not None:
            items.append(f"Baseline {metric}: {base:.3f}.")
    if len(degraded):
        first = degraded.iloc[0]
        items.append(f"{metric} is significantly below the baseline in {len(degraded)} window(s), first in "
                     f"{first['window']} ({first['value']:.3f}, 95% interval {first['lower']:.3f} to {first['upper']:.3f}).")
    weighted = f[f["weighted"].astype(bool)] if "weighted" in f else f.iloc[0:0]
    if len(weighted):
        items.append(f"{len(weighted)} window(s) rest on a weighted audit sample (inclusion probabilities applied).")
    step = ("Find out why in the attribution below: input shift the model should cope with, or a changed "
            "relationship (concept drift) that needs fresh labels and retraining.") if len(degraded) else \
        "Performance holds within its uncertainty."
    return Findings(f"Realized {metric} from labels", items, step, "error" if len(degraded) else "ok")


def estimate(est) -> Findings:
    """What the label-free estimate says and where it cannot be trusted."""
    unreliable = est.unreliable
    items = ["The estimate assumes the scores stay calibrated and the input-label relationship is unchanged."]
    if unreliable:
        items.append(f"Realized performance falls outside the estimate's interval in {len(unreliable)} window(s), "
                     f"from {unreliable[0]}: the assumption broke (concept drift suspected).")
    return Findings("Label-free estimate", items,
                    "Trust the estimate for windows without labels only while it agrees with realized values "
                    "where both exist.", "warning" if unreliable else "ok")


def attribution(attr) -> Findings:
    """Split of a drop into input shift and changed relationships."""
    items = [f"{attr.metric}: {attr.reference_value:.3f} in the reference, {attr.current_value:.3f} now; "
             f"input shift alone would give {attr.shifted_value:.3f}.",
             f"Explained by the input shift: {attr.explained_by_inputs:+.3f}; unexplained: {attr.unexplained:+.3f}."]
    if attr.changed_features:
        items.append("Features whose relationship with the outcome changed: " + ", ".join(attr.changed_features) + ".")
    step = ("Concept drift: the model's learned relationship no longer holds. Collect labels for the recent "
            "period and retrain; until then consider abstaining on the affected segments (04_fallback_thresholds).") \
        if attr.concept_drift else "The drop follows the inputs: check whether retraining on recent data helps."
    return Findings("Why did performance drop?", items, step, "error" if attr.concept_drift else "warning")


def fallback(decision, routing=None) -> Findings:
    """The abstain decision in words."""
    if decision.abstain_at is None:
        items = [f"No threshold reaches accuracy {decision.target_accuracy:.0%} with {decision.level:.0%} "
                 f"confidence on the {decision.n_labelled:,} labelled cases: route everything to the fallback, or lower "
                 "the target."]
    else:
        items = [f"Answer when confidence >= {decision.abstain_at:.3f}: the model answers {decision.coverage:.1%} of "
                 f"cases with accuracy {decision.accuracy:.3f} (lower {decision.level:.0%} bound "
                 f"{decision.lower_bound:.3f} >= target {decision.target_accuracy:.2f}); "
                 f"{decision.routed_share:.1%} go to the fallback (chosen on {decision.n_labelled:,} labelled cases)."]
    if routing is not None and len(routing):
        col = "routed_share" if "routed_share" in routing else routing.columns[-1]
        items.append(f"Expected routing to the fallback per window: {routing[col].min():.1%} to {routing[col].max():.1%}.")
        if "below_target" in routing and routing["below_target"].fillna(False).astype(bool).any():
            below = routing.loc[routing["below_target"].fillna(False).astype(bool), "window"].astype(str).tolist()
            items.append(f"Answered cases fall below the target accuracy in {len(below)} window(s), first in "
                         f"{below[0]}: the model's confidence no longer means what it did.")
    return Findings("Graceful degradation", items,
                    "Agree the threshold with the owners of the fallback (capacity, cost of a wrong answer) and "
                    "re-check it whenever realized performance drops.")


def label_setup(labelled) -> Findings:
    """Where the labels come from (labels file, target in production, none) and how many arrived."""
    items = [labelled.description]
    if labelled.setup == "none":
        return Findings("The feedback loop is missing", items,
                        "Collect outcomes for production (a labels file joined on the id, or the target column in "
                        "the logged data). Until then only the label-free estimate below speaks to performance.",
                        "warning")
    report = labelled.report
    if report.n_waiting:
        items.append(f"{report.n_waiting:,} predictions are still waiting for a label.")
    return Findings("The feedback loop", items, "", "ok" if labelled.has_labels else "warning")


def no_realized_performance(labelled) -> Findings:
    """Why there is no realized performance: no production row has a label."""
    return Findings("Realized performance", [
        "No production row has a label, so realized performance cannot be measured; the label-free estimate "
        "below is the only view of performance."], "Close the feedback loop to measure performance.", "warning")


def not_applicable(what: str, reason: str) -> Findings:
    """One analysis that does not apply to this model, and the one sentence why."""
    return Findings(f"{what}: does not apply to this model", [reason])


def relationships_source(labelled, labelled_recent, window) -> Findings:
    """Which rows the feature relationships were measured on."""
    if len(labelled_recent):
        windows = sorted(set(labelled_recent["window"].astype(str)))
        text = (f"Outcome relationships from {len(labelled_recent):,} labelled rows in windows "
                f"{', '.join(windows)}.")
    elif labelled.setup == "none":
        text = (f"No labels in production: the model's output per feature bin in window {window}, against the "
                "baseline, without the outcome.")
    else:
        text = (f"No recent window is fully labelled yet: the model's output per feature bin in window {window}, "
                "without the outcome.")
    return Findings("Relationship with the outcome", [text])


def labels_plan(config, plan, detectable: float, recent_windows: int = 4) -> Findings:
    """How many labels per window detect a drop of ``detectable`` in the plan's metric, and what today's labels can."""
    from .outcomes import detectable_drop, labels_needed, performance

    metric = plan.planning_metric
    if metric is None:
        return not_applicable("Sample-size plan", plan.planning_reason)
    spec, reference = config.spec, config.reference
    base = performance(reference, spec=spec, metric=metric, n_resamples=50, **plan.outcome_kwargs).to_frame()["value"].iloc[0]
    prevalence = None
    if plan.task == "binary":
        prevalence = float((reference[spec.target].dropna() == spec.positive_label).mean())
    if not 0 < base < 1 or (metric == "roc_auc" and base <= 0.5) or (prevalence is not None and not 0 < prevalence < 1):
        return not_applicable("Sample-size plan", f"the baseline {metric} is {base:.3f}, where the plan's "
                              "normal approximation does not hold.")
    extra = {}
    if metric == "macro_f1":    # planned from the baseline's confusion table (toolkit.outcomes.planning)
        from .outcomes.planning import confusion_table, macro_f1_plan
        extra["confusion"] = confusion_table(reference, spec.target, spec.prediction, plan.class_scores)
        base = macro_f1_plan(extra["confusion"]).value
    needed = labels_needed(metric, base, detectable, prevalence=prevalence, **extra)
    cov = config.labelled.report.to_frame()
    per_window = int(cov["n_labelled"].tail(recent_windows).median()) if len(cov) else 0
    items = [f"{needed:,} labels per window detect a {detectable} drop in {metric} (baseline {base:.3f}) with 80% "
             "power at the 5% level."]
    if per_window >= 10:
        today = detectable_drop(metric, base, per_window, prevalence=prevalence, **extra)
        items.append(f"The recent windows have about {per_window:,} labels each, enough to detect a drop of {today:.3f}.")
    else:
        items.append(f"The recent windows have about {per_window:,} labels each: too few to detect any drop.")
    return Findings("How many labels do we need?", items)


# ----------------------------------------------------------------------------- verdict cards

_STATUS_LEVEL = {"ok": "ok", "watch": "warning", "act": "error"}
_STATUS_ORDER = ("ok", "watch", "act")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The answer to a template's question, shown before any table: a status, one card per finding
    (HTML already escaped), and the window note (incomplete windows skipped).

    >>> v = Verdict("Is it fine?", "watch", "2026-20", ["<p>x moved</p>"], ["x moved since 2026-18"], "")
    >>> str(v).splitlines()[0]
    'Is it fine? WATCH (window 2026-20)'
    """

    question: str
    status: str
    window: str
    cards_html: list
    lines: list
    note: str = ""

    def _repr_html_(self) -> str:
        colour = SEVERITY_COLOURS[_STATUS_LEVEL.get(self.status, "info")]
        note = f"<p><small>{escape(self.note)}</small></p>" if self.note else ""
        return (f'<div class="tk-verdict" data-toolkit-role="verdict" style="font-family:system-ui,sans-serif;'
                f'border:1px solid #ddd;border-top:6px solid {colour};padding:6px 12px;margin:6px 0">'
                f'<div style="font-size:15px"><b>{escape(self.question)}</b> '
                f'<span style="background:{colour};color:white;border-radius:3px;padding:1px 7px;font-size:12px;'
                f'font-weight:600">{escape(self.status)}</span> window <b>{escape(self.window)}</b></div>'
                f'{"".join(self.cards_html)}{note}</div>')

    def __str__(self) -> str:
        lines = [f"{self.question} {self.status.upper()} (window {self.window})", *(f"- {x}" for x in self.lines)]
        return "\n".join(lines + ([self.note] if self.note else []))

    __repr__ = __str__


def window_note(choice) -> str:
    """The sentence a report prints about its window: the incomplete windows it skipped, or ''."""
    return getattr(choice, "note", "") or ""


def _worst(statuses) -> str:
    statuses = [s for s in statuses if s in _STATUS_ORDER] or ["ok"]
    return max(statuses, key=_STATUS_ORDER.index)


def verdict(report, causes, question: str, note: str = "") -> Verdict:
    """The health verdict of ``causes`` (``tk.health(config, window)``'s rows) as one card, for the first
    cell of a template: status, since when, why and what to do, per cause.

    >>> verdict(report, ["schema", "drift"], "Does production keep the contract?")   # doctest: +SKIP
    """
    causes = [causes] if isinstance(causes, str) else list(causes)
    cards = [report.card(c) for c in causes]
    statuses = [report.row(c)["status"] for c in causes]
    return Verdict(question, _worst(statuses), report.window, [c._repr_html_() for c in cards],
                   [str(c) for c in cards], note)


def _run_start(windows: list, hits: set, window: str) -> str | None:
    """First window of the run of consecutive ``hits`` that ends at ``window`` (None if it is not a hit)."""
    if window not in hits or window not in windows:
        return None
    i = windows.index(window)
    while i > 0 and windows[i - 1] in hits:
        i -= 1
    return windows[i]


def drift_verdict(drift, over_time, window: str, note: str = "", top: int = 3) -> Verdict:
    """Which feature drifted most in ``window`` and since when (the run of drifted windows it is in),
    ranked by severity as in the drift table; the model's outputs are named apart."""
    frame = drift.to_frame()
    windows = [str(w) for w in over_time.to_frame()["window"].astype(str).drop_duplicates()]
    drifted = frame[frame["drifted"].astype(bool)].sort_values("severity", ascending=False)
    lines = []
    for _, row in drifted.head(top).iterrows():
        col = row["column"]
        since = _run_start(windows, set(map(str, over_time.drifted_windows(col))), str(window))
        signals = row["signals"] if isinstance(row["signals"], str) else ", ".join(row["signals"])
        since_txt = f", drifted since {since}" if since else ""
        lines.append(f"{col}: {row['severity']:.1f}x its threshold ({signals}){since_txt}")
    if len(drifted) > top:
        lines.append(f"{len(drifted) - top} more drifted column(s): {', '.join(map(str, drifted['column'].iloc[top:]))}")
    if not len(drifted):
        lines = [f"No column drifted in window {window} beyond the baseline's sampling noise."]
        status = "ok"
    else:
        status = "act" if drift.dataset_drifted else "watch"
        lead = drifted.iloc[0]
        lines.insert(0, f"Most drifted: {lead['column']}; {len(drifted)} of {len(frame)} columns drifted"
                        f"{' (the dataset as a whole drifted)' if drift.dataset_drifted else ''}.")
    cards = [f"<p>{escape(lines[0])}</p>"]
    if len(lines) > 1:
        cards.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines[1:]) + "</ul>")
    return Verdict("Which features drifted most, and since when?", status, str(window), cards, lines, note)


def retrain_verdict(plan, window: str | None = None, note: str = "") -> Verdict:
    """The retraining recommendation (``plan.headline``) with the onset of the drop it answers."""
    status = {"retrain": "act", "fix_feed": "act", "wait": "watch"}.get(plan.recommendation, "ok")
    lines = [plan.headline]
    lines.append(f"Onset of the drop: {plan.onset}." if plan.onset else "No drop in progress was found (no onset).")
    cards = [f"<p>{escape(lines[0])}</p>", f"<p><small>{escape(lines[1])}</small></p>"]
    return Verdict("Should we retrain?", status, str(window or plan.cutoff or ""), cards, lines, note)


def ranking(drift, top: int = 10) -> "Table":
    """The drift ranking of one window as a formatted table, most severe first: the same order and
    the same dataset verdict as template 01's drift table."""
    frame = drift.to_frame().sort_values("severity", ascending=False)
    cols = [c for c in ("column", "kind", "method", "statistic", "threshold", "severity", "drifted", "signals",
                        "p_value", "missing_share_ref", "missing_share_cur") if c in frame]
    return Table(frame[cols].head(top), f"{drift.verdict}.")


@dataclasses.dataclass(frozen=True)
class Table:
    """A frame shown formatted for people (:mod:`toolkit.formatting`), with a caption."""

    frame: object
    caption: str = ""
    max_rows: int = 60

    def _repr_html_(self) -> str:
        caption = f"<p>{escape(self.caption)}</p>" if self.caption else ""
        return (f'<div style="font-family:system-ui,sans-serif;font-size:12px">{caption}'
                f"{frame_to_html(self.frame, max_rows=self.max_rows)}</div>")

    def __repr__(self) -> str:
        return (self.caption + "\n" if self.caption else "") + self.frame.to_string(max_rows=self.max_rows)


def table(frame, caption: str = "", max_rows: int = 60) -> Table:
    """``frame`` formatted for people: shares as %, 3 significant digits, p-values floored, and a
    window table that keeps its latest windows when it is long (see :func:`toolkit._html.frame_to_html`)."""
    return Table(frame, caption, max_rows)


def threshold_source(decision, source: str) -> Findings:
    """Which labelled rows the abstain threshold was chosen on, counted as the decision counted them
    (``decision.n_labelled``: the rows with a label and a usable confidence)."""
    import re

    text = re.sub(r"(Threshold chosen on (?:the baseline's )?)[\d,]+( labelled)",
                  lambda m: f"{m.group(1)}{decision.n_labelled:,}{m.group(2)}", source, count=1)
    return Findings("Labelled rows behind the threshold", [text])
