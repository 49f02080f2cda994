"""The rules that turn per-window statistics into ``ok | watch | act`` per cause, with reasons.

Every rule reads tidy, aggregated frames (one row per window, or per window and column), never raw
rows, so each can be tested on synthetic statistics. :func:`toolkit.health` computes those frames
once per model and applies the rules to every window; a window's verdict uses what is known now
(labels that arrived later included).

The rules, in words (thresholds are the fields of :class:`Rules`):

**Steps and bursts.** A window-to-window change of a metric is a *step* when
``|delta| / sqrt(se_now^2 + se_before^2) >= z_step`` and ``|delta| >= material_drop * |baseline|``
(se from each 95% interval). A share (nulls, out-of-range values, unseen categories) is a *burst*
in a window when it exceeds the window before, and the window after if there is one, by a
two-proportion ``z >= z_burst`` and by at least ``burst_min_share``.

**schema** (from the contract's checks per window; the target's absence is expected and ignored).
A column's failure is a *schema break* when a structural check fails (missing column, rename,
type change, unexpected column), a *data incident* when a value check (nulls, out-of-range,
unseen categories) is a burst, *new* when it starts this window and persists, else *ongoing*.
Status: contract error -> act, warning -> watch. A break or incident that starts in this window
while the headline metric or the routed share *steps* is named the *likely cause* of that
change and is act.

**drift** (inputs and outputs: the score and the prediction are monitored like any column).
Columns whose drift this window is a schema break or a data incident are left to the schema row.
Any other drifted input or output -> watch (persistent covariate shift without a performance drop
stays watch); act when the performance row finds a drop explained by input shift.

**performance** (the headline metric: ROC AUC with a score, accuracy for classes, MAE for
regression). Realized from labels when a window has at least ``min_labels`` labelled rows, else
the label-free estimate. Status: a material drop from the baseline (``>= material_drop`` of the
baseline) with strong evidence (two-sided p at most that of ``z_step``, so a stable model rarely
gets an act over many windows) -> act; a drop significant at 95% (the interval of the difference
excludes 0) -> watch. A drop is classified by shape:

1. it *steps* in a window where a schema break or data incident starts -> that incident;
2. else the label-free estimate (which follows input shift only) also drops, with the realized
   value inside its range -> *covariate shift*;
3. else the realized value falls outside the estimate's range -> *concept drift* (the inputs do not
   explain it); features whose link to the target changed are named (see ``relationship``);
4. no estimate: drifted inputs -> covariate shift (suspected), none -> concept drift (suspected).

A window measured only by the estimate, after labelled windows that showed concept drift, is at
least watch: the estimate cannot see concept drift.

**feedback** (label coverage and delay). Overdue labels (older than the usual delay, still missing)
on ``>= overdue_act`` of a window's predictions -> act (the loop broke); coverage below
``coverage_ok`` otherwise -> watch (labels not arrived yet); no labels configured -> watch.

**fallback** (abstain threshold chosen on the baseline for ``target_accuracy`` at ``level``).
Accuracy of the answered cases with its interval wholly below the target by ``material_drop`` of
the target -> act; wholly below the target -> watch; routed share moved from the baseline's by
``>= routing_min_change`` with ``z >= z_burst`` -> watch; no threshold reaches the target -> watch.

**overall**: the worst status; its cause is the worst cause (ties: schema, performance, fallback,
drift, feedback, in that order, since a broken feed makes the other numbers meaningless).

**retraining** (opt-in: ``tk.health(..., retrain=True)``, ``toolkit check --retrain``; not a cause,
so it never changes the overall status). Run only when the performance row is act: what
:func:`toolkit.retraining_plan` recommends, with its paired gain and evidence. retrain and fix_feed
-> act, wait and no_gain -> watch; performance not act -> ok (no plan run).

``since`` is the first window of the current episode: the run of consecutive non-ok windows of
that cause ending at the window examined.
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ._compat import renamed_arguments

__all__ = ["Rules", "STATUSES", "CAUSES", "worst", "episode_start", "share_z", "step_z", "wilson",
           "schema_findings", "schema_rule", "drift_rule", "performance_rule", "feedback_rule", "fallback_rule",
           "overall_rule", "retraining_rule", "relationship_changes", "STRUCTURAL_CHECKS", "VALUE_CHECKS"]

STATUSES = ("ok", "watch", "act")
_RANK = {s: i for i, s in enumerate(STATUSES)}
#: cause rows in display order; also the tie-break order for the overall row
CAUSES = ("schema", "performance", "fallback", "drift", "feedback")
STRUCTURAL_CHECKS = frozenset({"missing_column", "suspected_rename", "dtype_change", "unexpected_column"})
VALUE_CHECKS = frozenset({"null_rate", "out_of_range", "unseen_category", "cardinality", "duplicate_id", "timestamp"})
_Z95 = 1.959963984540054


@dataclasses.dataclass(frozen=True)
class Rules:
    """Thresholds of the health rules (see the module docstring for how each is used).

    Examples
    --------
    >>> Rules().material_drop, Rules(material_drop=0.05).material_drop
    (0.03, 0.05)
    """

    material_drop: float = 0.03       # relative to the baseline value of the metric
    z_step: float = 3.0               # window-to-window change of a metric
    z_burst: float = 4.0              # window-to-window change of a share (nulls, out-of-range, routed)
    burst_min_share: float = 0.01     # ... and by at least this many (absolute) share points
    min_labels: int = 100             # labelled rows for a realized figure; fewer -> the estimate
    coverage_ok: float = 0.9          # label coverage at or above: feedback ok
    overdue_act: float = 0.1          # share of a window's predictions overdue: feedback act
    routing_min_change: float = 0.05  # routed share vs the baseline's (absolute)
    target_accuracy: float = 0.85     # fallback promise for the answered cases (as template 04)
    level: float = 0.95               # ... at this confidence level (its lower bound's)
    relationship_min_effect: float = 0.05  # change of a feature's residual pattern, in target units
    relationship_q: float = 0.05      # Benjamini-Hochberg level of the relationship screen

    def __post_init__(self) -> None:
        for name in ("material_drop", "burst_min_share", "coverage_ok", "overdue_act", "routing_min_change",
                     "target_accuracy", "level", "relationship_q"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"Rules.{name} must be a number in [0, 1]; got {value!r}")
        for name in ("z_step", "z_burst", "min_labels", "relationship_min_effect"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"Rules.{name} must be a number >= 0; got {value!r}")


    @property
    def confidence(self) -> float:
        """Deprecated name of :attr:`level` (the one name of a confidence level)."""
        warnings.warn("Rules.confidence is deprecated and will be removed in the next release; use level",
                      DeprecationWarning, stacklevel=2)
        return self.level


# Rules(confidence=0.9) keeps working for one release, with a DeprecationWarning
Rules.__init__ = renamed_arguments(confidence="level")(Rules.__init__)


# ----------------------------------------------------------------------------- small statistics


def worst(statuses: Sequence[str]) -> str:
    """The worst of some statuses ('ok' for none).

    >>> worst(["ok", "act", "watch"]), worst([])
    ('act', 'ok')
    """
    return max(statuses, key=_RANK.__getitem__, default="ok")


def rank(status: str) -> int:
    return _RANK[status]


def episode_start(windows: Sequence[str], statuses: Sequence[str], i: int) -> str | None:
    """First window of the run of consecutive non-ok statuses ending at position ``i`` (None if ok).

    >>> episode_start(["a", "b", "c", "d"], ["watch", "ok", "act", "watch"], 3)
    'c'
    """
    if statuses[i] == "ok":
        return None
    j = i
    while j > 0 and statuses[j - 1] != "ok":
        j -= 1
    return windows[j]


def share_z(k1: float, n1: float, k0: float, n0: float) -> float:
    """Two-proportion z statistic of ``k1/n1`` against ``k0/n0`` (pooled variance; 0 if undefined).

    >>> round(share_z(60, 1000, 10, 1000), 2)
    6.08
    """
    if not (n1 > 0 and n0 > 0):
        return 0.0
    p1, p0 = k1 / n1, k0 / n0
    pooled = (k1 + k0) / (n1 + n0)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    return float((p1 - p0) / math.sqrt(var)) if var > 0 else 0.0


def step_z(value: float, lower: float, upper: float, before: float, before_lower: float,
           before_upper: float) -> float:
    """z of ``value - before``, each standard error read off its 95% interval (NaN if undefined).

    >>> round(step_z(0.70, 0.688, 0.712, 0.83, 0.82, 0.84), 1)
    -16.3
    """
    se = math.hypot((upper - lower) / (2 * _Z95), (before_upper - before_lower) / (2 * _Z95))
    if not np.isfinite(se) or se <= 0:
        return float("nan")
    return float((value - before) / se)


def _two_sided_p(z: float) -> float:
    return float(math.erfc(z / math.sqrt(2)))


def wilson(k: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (NaN for n = 0), as floats: the one in outcomes.intervals.

    >>> [round(v, 3) for v in wilson(5, 100)]
    [0.022, 0.112]
    >>> wilson(0, 679)[0]
    0.0
    """
    from .outcomes.intervals import wilson as _interval

    low, high = _interval(k, n, level)
    return float(low), float(high)


def pct(x: float) -> str:
    """A share for people: 3 significant digits, as a percentage.

    >>> pct(0.061369), pct(0.5), pct(0.00012)
    ('6.14%', '50.0%', '0.0120%')
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    v = 100 * x
    if v == 0:
        return "0%"
    digits = max(0, 2 - int(math.floor(math.log10(abs(v)))))
    return f"{v:.{digits}f}%"


def num(x: float) -> str:
    """A figure for people: 3 significant digits.

    >>> num(0.700593), num(-0.136384), num(1234.5)
    ('0.701', '-0.136', '1.23e+03')
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:.3g}"


def pvalue(p: float) -> str:
    """A p-value for people.

    >>> pvalue(3e-97), pvalue(0.0123)
    ('< 1e-10', '0.012')
    """
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 1e-10" if p < 1e-10 else f"{p:.2g}"


def _verdict(window: str, status: str, kind: str, summary: str, evidence: str, next_step: str, **extra) -> dict:
    return {"window": window, "status": status, "kind": kind, "summary": summary, "evidence": evidence,
            "next_step": next_step, **extra}


# ----------------------------------------------------------------------------- schema


def schema_findings(schema: pd.DataFrame, windows: Sequence[str], n_rows: dict, rules: Rules = Rules(),
                    ignore: Sequence[str] = ()) -> pd.DataFrame:
    """One row per window and failing column, with the failure's *shape*.

    Parameters
    ----------
    schema
        The contract's failures per window: ``window, column, check, severity, failing_share, message``
        (``WindowValidation.to_frame()``).
    windows
        All window labels, in time order.
    n_rows
        Rows per window.
    ignore
        Columns whose failures are expected (the target, which arrives with the labels).

    Returns
    -------
    DataFrame
        ``window, column, checks, severity, share, shape, onset, message``; ``shape`` is
        'schema break', 'data incident', 'new' or 'ongoing'; ``onset`` the first window of the
        run of consecutive windows in which the column failed.

    Examples
    --------
    >>> s = pd.DataFrame({"window": ["2", "2", "3"], "column": ["x", "y", "y"],
    ...                   "check": ["null_rate", "unseen_category", "unseen_category"],
    ...                   "severity": ["error", "error", "error"], "failing_share": [0.5, 0.1, 0.1],
    ...                   "message": ["x is 50% null", "y has new values", "y has new values"]})
    >>> f = schema_findings(s, ["1", "2", "3"], {"1": 1000, "2": 1000, "3": 1000})
    >>> f[["window", "column", "shape", "onset"]].values.tolist()
    [['2', 'x', 'data incident', '2'], ['2', 'y', 'new', '2'], ['3', 'y', 'ongoing', '2']]
    """
    cols = ["window", "column", "checks", "severity", "share", "shape", "onset", "message"]
    if schema is None or len(schema) == 0:
        return pd.DataFrame(columns=cols)
    frame = schema[schema["severity"].isin(["error", "warning"]) & ~schema["column"].isin(list(ignore))].copy()
    if frame.empty:
        return pd.DataFrame(columns=cols)
    frame["window"] = frame["window"].astype(str)
    frame["column"] = frame["column"].astype(str)
    share = {(r.window, r.column, r.check): float(r.failing_share) for r in frame.itertuples()}
    position = {w: i for i, w in enumerate(windows)}
    failing = {(r.window, r.column) for r in frame.itertuples()}
    structural = {(r.window, r.column) for r in frame.itertuples() if r.check in STRUCTURAL_CHECKS}
    out = []
    sev_rank = {"warning": 1, "error": 2}
    for (window, column), part in frame.groupby(["window", "column"], sort=False):
        i = position.get(window)
        if i is None:
            continue
        checks = list(dict.fromkeys(part["check"].astype(str)))
        severity = max(part["severity"], key=sev_rank.__getitem__)
        top = part.iloc[int(np.argmax(part["severity"].map(sev_rank).to_numpy()))]
        broke = bool(set(checks) & STRUCTURAL_CHECKS)
        runs = structural if broke else failing  # a rename's onset is the rename's, not an earlier warning's
        j = i
        while j > 0 and (windows[j - 1], column) in runs:
            j -= 1
        onset = windows[j]
        if broke:
            shape = "schema break"
        elif _is_burst(part, windows, i, share, n_rows, rules):
            shape = "data incident"
        elif onset == window:
            shape = "new"
        else:
            shape = "ongoing"
        out.append({"window": window, "column": column, "checks": ", ".join(checks), "severity": severity,
                    "share": float(top["failing_share"]), "shape": shape, "onset": onset,
                    "message": _plain_message(top["message"])})
    result = pd.DataFrame(out, columns=cols)
    result["_pos"] = result["window"].map(position)
    return result.sort_values(["_pos"], kind="stable").drop(columns="_pos").reset_index(drop=True)


def _is_burst(part: pd.DataFrame, windows, i, share, n_rows, rules: Rules) -> bool:
    """A value check whose failing share jumps this window and (if known) falls back the next."""
    for r in part.itertuples():
        if r.check not in VALUE_CHECKS:
            continue
        now = float(r.failing_share)
        n = float(n_rows.get(r.window, 0) or 0)
        neighbours = [windows[k] for k in (i - 1, i + 1) if 0 <= k < len(windows)]
        if not neighbours or n <= 0:
            continue
        ok = True
        for other in neighbours:
            before = share.get((other, r.column, r.check), 0.0)
            m = float(n_rows.get(other, 0) or 0)
            if now - before < rules.burst_min_share or share_z(now * n, n, before * m, m) < rules.z_burst:
                ok = False
                break
        if ok:
            return True
    return False


def _plain_message(message: object) -> str:
    text = str(message)
    return text.split("; fix:")[0].strip()


def schema_rule(findings: pd.DataFrame, windows: Sequence[str], n_rows: dict, steps: dict,
                metric_label: str = "the metric") -> pd.DataFrame:
    """Schema verdict per window.

    ``steps`` maps a window to a short description of the change of the headline metric or of
    the routed share that window (``None``/absent: no change); a schema break or data incident that
    starts in a window with a change is named its likely cause.

    Examples
    --------
    >>> f = pd.DataFrame({"window": ["2"], "column": ["x"], "checks": ["out_of_range"], "severity": ["warning"],
    ...                   "share": [0.06], "shape": ["data incident"], "onset": ["2"], "message": ["x out of range"]})
    >>> v = schema_rule(f, ["1", "2"], {"1": 1000, "2": 1000}, {"2": "ROC AUC fell 0.84 -> 0.79"})
    >>> v[["window", "status", "kind", "column"]].values.tolist()
    [['1', 'ok', 'ok', ''], ['2', 'act', 'data incident', 'x']]
    """
    rows = []
    for window in windows:
        part = findings[findings["window"] == window] if len(findings) else findings
        if part is None or part.empty:
            rows.append(_verdict(window, "ok", "ok", "The feed keeps the contract: no schema errors or warnings.",
                                 "", "Nothing to do.", column="", likely_cause=False))
            continue
        change = steps.get(window)
        items = []
        for r in part.itertuples():
            status = "act" if r.severity == "error" else "watch"
            cause = bool(change) and r.onset == window and r.shape in ("schema break", "data incident")
            if cause:
                status = "act"
            items.append((cause, rank(status), r.onset, r.share, r, status))
        items.sort(key=lambda t: (t[0], t[1], t[2], t[3]), reverse=True)
        cause, _, _, _, lead, lead_status = items[0]
        status = worst([t[5] for t in items])
        n = n_rows.get(window, 0) or 0
        lo, hi = wilson(lead.share * n, n)
        shape_text = {"schema break": "schema break", "data incident": "data incident: a one-window burst",
                      "new": "new this window", "ongoing": f"since {lead.onset}"}[lead.shape]
        summary = f"{lead.message} ({pct(lead.share)} of rows [{pct(lo)}, {pct(hi)}]; {shape_text})"
        if cause:
            summary += f"; likely cause of this window's change: {change}"
        others = [t[4] for t in items[1:]]
        if others:
            summary += f"; {len(others)} more column(s): " + ", ".join(o.column for o in others[:4]) + (
                ", ..." if len(others) > 4 else "")
        summary += "."
        evidence = "; ".join(f"{r.column}: {r.checks} ({r.severity}, {pct(r.share)}, {r.shape}, since {r.onset})"
                             for r in [t[4] for t in items])
        kind = lead.shape if lead.shape in ("schema break", "data incident") else (
            "new values" if lead.shape == "new" or "unseen_category" in lead.checks else "contract failure")
        rows.append(_verdict(window, status, kind, summary, evidence, _schema_next(lead), column=lead.column,
                             likely_cause=cause))
    return pd.DataFrame(rows)


def _schema_next(lead) -> str:
    if lead.shape == "schema break":
        return (f"Fix the feed for {lead.column} or apply the contract's suggested repair (contract.repair); "
                "until then the model scores it as missing. Details: 01_compare_baseline.")
    if lead.shape == "data incident":
        return (f"Ask the data owner what happened to {lead.column} in this window; leave the window out of "
                "performance tracking and retraining data. Details: 01_compare_baseline.")
    if "unseen_category" in lead.checks:
        return (f"Decide how the model should treat the new values of {lead.column} (map them, or retrain with "
                "them); then update the contract. Details: 01_compare_baseline.")
    return f"Check {lead.column} with its owner; if the change is real, update the contract. Details: 01_compare_baseline."


# ----------------------------------------------------------------------------- drift


def drift_rule(drift: pd.DataFrame, windows: Sequence[str], outputs: Sequence[str], findings: pd.DataFrame,
               covariate_drop: dict) -> pd.DataFrame:
    """Drift verdict per window, inputs and outputs.

    Parameters
    ----------
    drift
        ``window, column, statistic, threshold, drifted, p_value`` per window and column
        (``DriftOverTime.to_frame()``).
    outputs
        The model's output columns (score, prediction): their drift is reported as such.
    findings
        :func:`schema_findings`: columns with a schema break or data incident in a window are left
        to the schema row (and do not end the column's drift episode).
    covariate_drop
        ``{window: True}`` where the performance rule found a drop explained by input shift.

    Examples
    --------
    >>> d = pd.DataFrame({"window": ["1", "2", "2"], "column": ["x", "x", "score"], "statistic": [0.01, 0.08, 0.04],
    ...                   "threshold": [0.025] * 3, "drifted": [False, True, True], "p_value": [0.5, 1e-40, 1e-9]})
    >>> v = drift_rule(d, ["1", "2"], ["score"], pd.DataFrame(columns=["window", "column", "shape"]), {})
    >>> v[["window", "status", "column"]].values.tolist()
    [['1', 'ok', ''], ['2', 'watch', 'x']]
    """
    rows = []
    incident = set()
    if findings is not None and len(findings):
        hit = findings[findings["shape"].isin(["schema break", "data incident"])]
        incident = set(zip(hit["window"].astype(str), hit["column"].astype(str)))
    moved = drift[drift["drifted"].astype(bool)] if len(drift) else drift
    by_window = {str(w): part for w, part in moved.groupby(moved["window"].astype(str), sort=False)} if len(moved) else {}
    onset_of: dict[str, str] = {}
    outputs = [str(o) for o in outputs]
    for window in windows:
        part = by_window.get(window)
        cols = part["column"].astype(str).tolist() if part is not None else []
        explained = sorted(c for c in cols if (window, c) in incident)
        current = [c for c in cols if (window, c) not in incident]
        for col in list(onset_of):
            if col not in current and col not in explained:
                del onset_of[col]
        for col in current:
            onset_of.setdefault(col, window)
        if not current:
            note = f" ({', '.join(explained)} moved with a schema break or data incident: see schema)" if explained else ""
            rows.append(_verdict(window, "ok", "ok", f"No input or output moved beyond sampling noise{note}.",
                                 "", "Nothing to do.", column=""))
            continue
        part = part[part["column"].astype(str).isin(current)]
        part = part.assign(ratio=part["statistic"] / part["threshold"]).sort_values("ratio", ascending=False)
        is_out = part["column"].astype(str).isin(outputs)
        inputs, outs = part[~is_out], part[is_out]
        status = "act" if covariate_drop.get(window) else "watch"
        if len(inputs):
            lead = inputs.iloc[0]
            summary = (f"Input {lead['column']} moved (statistic {num(lead['statistic'])} against a noise threshold "
                       f"of {num(lead['threshold'])}, p {pvalue(lead['p_value'])}) since {onset_of[str(lead['column'])]}")
            if len(inputs) > 1:
                summary += f"; {len(inputs) - 1} more input(s): " + ", ".join(inputs["column"].iloc[1:5].astype(str))
            kind = "covariate shift"
        else:
            lead = outs.iloc[0]
            summary = (f"The model's output {lead['column']} moved (statistic {num(lead['statistic'])} against "
                       f"{num(lead['threshold'])}) while no input did")
            kind = "output shift"
        if len(outs) and len(inputs):
            o = outs.iloc[0]
            summary += f"; the model's output moved too ({o['column']}: {num(o['statistic'])} against {num(o['threshold'])})"
        summary += (", and performance dropped with it." if status == "act" else
                    "; performance has not dropped because of it." if len(inputs) else ".")
        evidence = "; ".join(f"{r.column}: {num(r.statistic)} > {num(r.threshold)} since {onset_of[str(r.column)]}"
                             for r in part.itertuples())
        if explained:
            evidence += f"; left to schema: {', '.join(explained)}"
        if kind == "output shift":
            nxt = ("The score distribution moved without an input shift: check the model artefact and the feature "
                   "pipeline that feeds it. Details: 01_compare_baseline.")
        elif status == "act":
            nxt = "Retrain on recent data: the input shift costs performance. Details: 02_inspect_drifted_features."
        else:
            nxt = (f"Keep watching {lead['column']}; no action while performance holds. "
                   "Details: 02_inspect_drifted_features.")
        rows.append(_verdict(window, status, kind, summary, evidence, nxt, column=str(lead["column"])))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- performance


def performance_rule(perf: pd.DataFrame, estimate: pd.DataFrame | None, windows: Sequence[str], metric: str,
                     higher_is_better: bool, findings: pd.DataFrame, drifted_inputs: dict,
                     rules: Rules = Rules(), relationship: Callable[[list[str]], pd.DataFrame] | None = None,
                     focus: str | None = None) -> pd.DataFrame:
    """Performance verdict per window, with the drop classified by shape.

    Parameters
    ----------
    perf
        Realized headline metric per window: ``window, value, lower, upper, n, baseline,
        delta_vs_baseline, delta_lower, delta_upper, delta_p_value, degraded``.
    estimate
        Label-free estimate per window: ``window, estimate, lower, upper, reference_value, unreliable``
        (None: no estimate for this model).
    findings
        :func:`schema_findings`.
    drifted_inputs
        ``{window: [drifted input columns]}`` (used when there is no estimate).
    relationship
        Called with the labelled windows of a concept-drift episode; returns the features whose
        link to the target changed (``feature, changed, effect, p_value``). Only for ``focus``.

    Returns
    -------
    DataFrame
        One row per window: ``window, status, kind, summary, evidence, next_step, source, step,
        change, column``; ``change`` describes a step of the metric into this window.
    """
    est = {} if estimate is None else {str(r["window"]): r for _, r in estimate.iterrows()}
    real = {str(r["window"]): r for _, r in perf.iterrows()} if perf is not None and len(perf) else {}
    label = _metric_label(metric)
    sign = 1 if higher_is_better else -1
    incidents = {}
    if findings is not None and len(findings):
        new = findings[(findings["onset"] == findings["window"]) & findings["shape"].isin(["schema break", "data incident"])]
        for w, part in new.groupby("window", sort=False):
            incidents[w] = list(zip(part["column"], part["shape"]))
    rows = []
    previous = {}  # source -> (window, value, lower, upper)
    last_labelled_kind = None
    for i, window in enumerate(windows):
        r, e = real.get(window), est.get(window)
        source = None
        if r is not None and pd.notna(r.get("value")) and float(r.get("n", 0) or 0) >= rules.min_labels:
            source = "realized"
            value, lower, upper, base = float(r["value"]), float(r["lower"]), float(r["upper"]), float(r["baseline"])
            degraded = bool(r["degraded"])
        elif e is not None and pd.notna(e.get("estimate")):
            source = "estimated"
            value, lower, upper = float(e["estimate"]), float(e["lower"]), float(e["upper"])
            base = float(e["reference_value"])
            degraded = bool(upper < base) if higher_is_better else bool(lower > base)
        if source is None:
            rows.append(_verdict(window, "watch", "not measured",
                                 f"{label} cannot be measured: fewer than {rules.min_labels} labelled rows and no "
                                 "label-free estimate.", "", "Get labels for this window (see feedback).",
                                 source="", step=False, change="", column=""))
            continue
        worse = sign * (base - value)  # > 0: worse than the baseline
        material = worse >= rules.material_drop * abs(base)
        # act needs z_step-strong evidence: at 95% alone, one window in forty would call for action
        strong = degraded
        if source == "realized" and pd.notna(r.get("delta_p_value")):
            strong = degraded and float(r["delta_p_value"]) <= _two_sided_p(rules.z_step)
        elif source == "estimated":
            half = (upper - lower) / 2 / _Z95
            strong = degraded and half > 0 and worse / half >= rules.z_step
        status = "act" if strong and material else ("watch" if degraded else "ok")
        step, change = False, ""
        before = previous.get(source)
        if before is not None:
            z = step_z(value, lower, upper, before[1], before[2], before[3])
            delta = value - before[1]
            if np.isfinite(z) and sign * z <= -rules.z_step and abs(delta) >= rules.material_drop * abs(base):
                step = True
                change = f"{label} fell from {num(before[1])} ({before[0]}) to {num(value)} [{num(lower)}, {num(upper)}]"
        previous[source] = (window, value, lower, upper)
        kind, column, detail = "ok", "", ""
        e_ok = e is not None and pd.notna(e.get("estimate"))
        if status != "ok":
            new = incidents.get(window, [])
            if step and new:
                kind = new[0][1]
                column = ", ".join(c for c, _ in new)
                detail = f"the drop coincides with a {kind} on {column} that starts this window"
            elif source == "realized" and e_ok:
                e_lower, e_upper, e_ref = float(e["lower"]), float(e["upper"]), float(e["reference_value"])
                e_down = (e_upper < e_ref) if higher_is_better else (e_lower > e_ref)
                if bool(e.get("unreliable")) and sign * (value - float(e["estimate"])) < 0:
                    kind = "concept drift"
                    detail = (f"the inputs do not explain it: the label-free estimate, which follows input shift, "
                              f"says {num(float(e['estimate']))} [{num(e_lower)}, {num(e_upper)}]")
                elif e_down:
                    kind = "covariate shift"
                    detail = (f"the input shift explains it: the label-free estimate drops too, to "
                              f"{num(float(e['estimate']))} [{num(e_lower)}, {num(e_upper)}]")
                else:
                    kind = "undetermined"
                    detail = "too few labels to tell input shift from concept drift"
            elif source == "realized":
                ins = drifted_inputs.get(window, [])
                kind = "covariate shift (suspected)" if ins else "concept drift (suspected)"
                detail = (f"inputs moved ({', '.join(ins[:3])}); no label-free estimate to confirm" if ins else
                          "no input moved; no label-free estimate to confirm")
            else:
                kind = "covariate shift"
                detail = "estimated from the input shift alone (no labels yet)"
        if source == "estimated" and last_labelled_kind in ("concept drift", "concept drift (suspected)"):
            status = worst([status, "watch"])
            detail = (detail + "; " if detail else "") + (
                "the estimate cannot see concept drift, which the last labelled window showed")
            if kind == "ok":
                kind = "concept drift (carried over)"
        if source == "realized" and status != "ok":
            last_labelled_kind = kind
        elif source == "realized":
            last_labelled_kind = None
        n_text = ""
        if source == "realized":
            n_text = f" from {int(r['n']):,} labelled rows" + (" (audit-weighted)" if bool(r.get("weighted")) else "")
        else:
            n_text = " (label-free estimate)"
        summary = f"{label} {num(value)} [{num(lower)}, {num(upper)}]{n_text} against the baseline {num(base)}"
        if source == "realized" and pd.notna(r.get("delta_vs_baseline")):
            summary += f" ({num(float(r['delta_vs_baseline']))} [{num(float(r['delta_lower']))}, {num(float(r['delta_upper']))}])"
        if status == "ok" and kind == "ok":
            summary += ": no significant drop"
        elif detail:
            summary += f": {kind}; {detail}"
        if source == "realized" and e_ok and status != "ok" and kind not in ("concept drift", "covariate shift"):
            summary += f" (label-free estimate {num(float(e['estimate']))} [{num(float(e['lower']))}, {num(float(e['upper']))}])"
        evidence = f"{metric}: {source}"
        if source == "realized":
            evidence += f", n={int(r['n'])}, p={pvalue(float(r.get('delta_p_value', float('nan'))))}"
        if e_ok:
            evidence += f"; estimate {num(float(e['estimate']))}, unreliable={bool(e.get('unreliable'))}"
        if step:
            evidence += f"; step: {change}"
        rows.append(_verdict(window, status, kind, summary, evidence, "", source=source, step=step, change=change,
                             column=column))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    statuses = out["status"].tolist()
    # episode context, next steps and (for the focus window) the features behind a concept drift
    for i, window in enumerate(windows):
        row = out.iloc[i]
        start = episode_start(windows, statuses, i)
        kind = row["kind"]
        prior = None
        if start is not None and start != window:
            j0, j = list(windows).index(start), i - 1
            while j >= j0 and out.iloc[j]["kind"] in ("schema break", "data incident"):
                j -= 1
            if j >= j0 and out.iloc[j]["kind"] != kind:
                prior = out.iloc[j]["kind"]
        summary = row["summary"]
        if prior:
            summary += f"; {prior} since {start}"
        if window == focus and relationship is not None and "concept drift" in (kind + (prior or "")):
            epi = [w for w in windows[list(windows).index(start): i + 1]
                   if out.iloc[list(windows).index(w)]["kind"] not in ("schema break", "data incident")
                   and out.iloc[list(windows).index(w)]["source"] == "realized"][-4:]
            try:
                rel = relationship(epi) if epi else None
            except Exception as exc:  # a screen that cannot run must not hide the verdict
                rel, summary = None, summary + f" (relationship screen failed: {type(exc).__name__})"
            if rel is not None and len(rel):
                changed = rel[rel["changed"]]
                if len(changed):
                    names = changed["feature"].astype(str).tolist()
                    summary += f"; the link of {', '.join(names[:3])} with the target changed"
                    out.at[out.index[i], "column"] = ", ".join(names[:3])
                    out.at[out.index[i], "evidence"] = row["evidence"] + "; changed relationships: " + ", ".join(
                        f"{f.feature} (effect {num(f.effect)}, p {pvalue(f.p_value)})" for f in changed.head(5).itertuples())
        out.at[out.index[i], "summary"] = summary.rstrip(".") + "."
        out.at[out.index[i], "next_step"] = _performance_next(kind, prior, row["column"], status=row["status"])
    return out


def _performance_next(kind: str, prior: str | None, column: str, status: str) -> str:
    if status == "ok":
        return "Nothing to do."
    if kind in ("schema break", "data incident"):
        return (f"Fix the {kind} on {column} first (see schema); judge the model on the windows without it. "
                "Details: 03_estimate_degradation.")
    if "concept drift" in kind or (prior and "concept drift" in prior):
        return ("Retrain with recent labelled data: the relationship between inputs and target changed, so "
                "reweighting old data will not help. Details: 03_estimate_degradation.")
    if "covariate" in kind:
        return ("Retrain on recent data, or reweight the training data to the new input mix. "
                "Details: 02_inspect_drifted_features and 03_estimate_degradation.")
    if kind == "not measured":
        return ("Get labels for this window (see feedback), or log the model's scores so that the label-free "
                "estimate applies. Details: 03_estimate_degradation.")
    if kind == "undetermined":
        return "Wait for more labels before acting. Details: 03_estimate_degradation."
    return "Investigate the drop. Details: 03_estimate_degradation."


def _metric_label(metric: str) -> str:
    return {"roc_auc": "ROC AUC", "accuracy": "Accuracy", "mae": "MAE", "rmse": "RMSE", "f1": "F1",
            "macro_f1": "Macro F1"}.get(metric, metric)


# ----------------------------------------------------------------------------- feedback


def feedback_rule(coverage: pd.DataFrame | None, windows: Sequence[str], rules: Rules = Rules(),
                  expected_delay_days: float | None = None, has_estimate: bool = True) -> pd.DataFrame:
    """Feedback verdict per window from label coverage.

    ``coverage``: ``window, n_predictions, n_labelled, n_waiting, n_overdue`` (and optionally
    ``delay_median_days``); None when the model has no labels at all.

    Examples
    --------
    >>> c = pd.DataFrame({"window": ["1", "2", "3"], "n_predictions": [100, 100, 100], "n_labelled": [100, 10, 20],
    ...                   "n_waiting": [0, 90, 0], "n_overdue": [0, 0, 80]})
    >>> feedback_rule(c, ["1", "2", "3"])["status"].tolist()
    ['ok', 'watch', 'act']
    """
    rows = []
    if coverage is None:
        for window in windows:
            rows.append(_verdict(window, "watch", "no labels",
                                 "No labels are configured: performance is only estimated, and concept drift "
                                 "cannot be seen.", "model.yaml has no labels and production has no target",
                                 "Connect the ground truth: set labels: in model.yaml (or log the target).",
                                 column=""))
        return pd.DataFrame(rows)
    cov = {str(r["window"]): r for _, r in coverage.iterrows()}
    delay = f" (labels usually take {expected_delay_days:.0f} days)" if expected_delay_days else ""
    for window in windows:
        r = cov.get(window)
        if r is None or not r["n_predictions"]:
            rows.append(_verdict(window, "ok", "ok", "No predictions in this window.", "", "Nothing to do.", column=""))
            continue
        n, k = float(r["n_predictions"]), float(r["n_labelled"])
        waiting, overdue = float(r.get("n_waiting", 0) or 0), float(r.get("n_overdue", 0) or 0)
        lo, hi = wilson(k, n)
        base = f"{int(k):,} of {int(n):,} predictions labelled ({pct(k / n)} [{pct(lo)}, {pct(hi)}])"
        evidence = f"n_labelled={int(k)}, n_waiting={int(waiting)}, n_overdue={int(overdue)}"
        if overdue / n >= rules.overdue_act:
            rows.append(_verdict(window, "act", "labels overdue",
                                 f"{base}; {int(overdue):,} ({pct(overdue / n)}) are overdue{delay}: the feedback "
                                 "loop looks broken.", evidence,
                                 "Check the label pipeline (source, join key, delays). Details: 03_estimate_degradation.",
                                 column=""))
        elif k / n < rules.coverage_ok:
            rests = ("on the labelled part and on the label-free estimate" if has_estimate else
                     "on the labelled part alone (this model logs no score for a label-free estimate)")
            if k == 0:   # no labelled part to rest on
                rests = ("on the label-free estimate" if has_estimate else
                         "on nothing yet (no labels, and no score for a label-free estimate)")
            rows.append(_verdict(window, "watch", "labels not arrived",
                                 f"{base}; {int(waiting):,} are still waiting for their label{delay}, so performance "
                                 f"here rests {rests}.", evidence,
                                 "Wait for the labels" + ("; meanwhile read the estimate" if has_estimate else "")
                                 + ". Details: 03_estimate_degradation.", column=""))
        else:
            rows.append(_verdict(window, "ok", "ok", f"{base}.", evidence, "Nothing to do.", column=""))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- fallback


def fallback_rule(routing: pd.DataFrame | None, windows: Sequence[str], rules: Rules = Rules(),
                  baseline_routed: float | None = None, n_baseline: int = 0, feasible: bool = True,
                  reason: str = "") -> pd.DataFrame:
    """Fallback verdict per window: accuracy of the answered cases and the routed share.

    ``routing``: ``window, n, n_routed, routed_share, n_accepted_labelled, accuracy_accepted, lower,
    upper`` (``AbstainDecision.apply``); None with ``reason`` when no fallback applies.

    Examples
    --------
    >>> r = pd.DataFrame({"window": ["1", "2"], "n": [1000, 1000], "n_routed": [140, 150], "routed_share": [0.14, 0.15],
    ...                   "n_accepted_labelled": [860, 850], "accuracy_accepted": [0.86, 0.73],
    ...                   "lower": [0.84, 0.70], "upper": [0.88, 0.76]})
    >>> fallback_rule(r, ["1", "2"], baseline_routed=0.14, n_baseline=5000)["status"].tolist()
    ['ok', 'act']
    """
    rows = []
    target = rules.target_accuracy
    if routing is None:
        for window in windows:
            rows.append(_verdict(window, "ok", "not applicable", f"No fallback check: {reason}.", "", "Nothing to do.",
                                 column="", routing_step=""))
        return pd.DataFrame(rows)
    if not feasible:
        for window in windows:
            rows.append(_verdict(window, "watch", "infeasible",
                                 f"No confidence threshold keeps the answered cases at {pct(target)} accuracy on the "
                                 f"baseline with {pct(rules.level)} confidence: every case would be routed.",
                                 reason, "Choose a reachable target in 04_fallback_thresholds.", column="",
                                 routing_step=""))
        return pd.DataFrame(rows)
    by = {str(r["window"]): r for _, r in routing.iterrows()}
    previous = None
    for window in windows:
        r = by.get(window)
        if r is None or not r["n"]:
            rows.append(_verdict(window, "ok", "ok", "No cases in this window.", "", "Nothing to do.", column="",
                                 routing_step=""))
            continue
        share, n = float(r["routed_share"]), float(r["n"])
        status, kinds, parts = "ok", [], []
        step = ""
        if previous is not None:
            z = share_z(share * n, n, previous[1] * previous[2], previous[2])
            if abs(z) >= rules.z_burst and abs(share - previous[1]) >= rules.burst_min_share:
                step = f"routed share moved from {pct(previous[1])} ({previous[0]}) to {pct(share)}"
        previous = (window, share, n)
        acc = r.get("accuracy_accepted")
        labelled = float(r.get("n_accepted_labelled", 0) or 0)
        if acc is not None and pd.notna(acc) and labelled >= 30:
            lower, upper = float(r["lower"]), float(r["upper"])
            parts.append(f"answered cases {pct(float(acc))} accurate [{pct(lower)}, {pct(upper)}] against the "
                         f"{pct(target)} target")
            if upper < target - rules.material_drop * target:
                status, kinds = "act", ["below target"]
            elif upper < target:
                status, kinds = "watch", ["below target"]
        else:
            parts.append("too few labelled answered cases to check their accuracy")
        routed = f"{pct(share)} routed to the fallback"
        if baseline_routed is not None and np.isfinite(baseline_routed):
            routed += f" (baseline {pct(baseline_routed)})"
            z = share_z(share * n, n, baseline_routed * n_baseline, n_baseline) if n_baseline else 0.0
            if abs(share - baseline_routed) >= rules.routing_min_change and abs(z) >= rules.z_burst:
                status = worst([status, "watch"])
                kinds.append("routing changed")
        parts.append(routed)
        summary = "; ".join(parts)
        summary = summary[0].upper() + summary[1:] + "."
        nxt = "Nothing to do." if status == "ok" else (
            "Raise the abstain threshold (route more cases) or retrain; choose it in 04_fallback_thresholds."
            if "below target" in kinds else "Check the fallback team's capacity; see 04_fallback_thresholds.")
        evidence = f"routed_share={share:.4f}, n={int(n)}, n_accepted_labelled={int(labelled)}"
        if step:
            evidence += f"; step: {step}"
        rows.append(_verdict(window, status, ", ".join(kinds) or "ok", summary, evidence, nxt, column="",
                             routing_step=step))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- overall


def overall_rule(rows: dict[str, dict]) -> dict:
    """The overall row from the cause rows of one window (``{cause: row}`` with status, since, kind...).

    >>> overall_rule({"schema": {"status": "ok", "since": None, "kind": "ok", "next_step": "-"},
    ...               "drift": {"status": "watch", "since": "3", "kind": "covariate shift", "next_step": "Watch x."}})["summary"]
    'watch: drift (covariate shift, since 3).'
    """
    order = {c: i for i, c in enumerate(CAUSES)}
    bad = [(c, r) for c, r in rows.items() if r["status"] != "ok"]
    if not bad:
        return {"status": "ok", "since": None, "kind": "ok",
                "summary": "ok: no cause needs attention.", "evidence": "", "next_step": "Nothing to do.",
                "column": ""}
    bad.sort(key=lambda t: (-rank(t[1]["status"]), order.get(t[0], 99)))
    status = bad[0][1]["status"]
    parts = [f"{c} ({r['kind']}, since {r['since']})" for c, r in bad]
    top = [p for (c, r), p in zip(bad, parts) if r["status"] == status]
    rest = [p for (c, r), p in zip(bad, parts) if r["status"] != status]
    summary = f"{status}: " + "; ".join(top)
    if rest:
        summary += f"; watch: " + "; ".join(rest) if status == "act" else ""
    starts = [r["since"] for c, r in bad if r["since"] is not None]
    return {"status": status, "since": None, "kind": bad[0][0], "summary": summary + ".",
            "evidence": ", ".join(c for c, _ in bad), "next_step": bad[0][1]["next_step"], "column": "",
            "_starts": starts}


def retraining_rule(performance: dict, plan=None, error: str | None = None, config_name: str = "model.yaml",
                    first_window: str | None = None) -> dict:
    """The ``retraining`` row: what :func:`toolkit.retraining_plan` recommends, when performance is act.

    ``performance`` is the performance row of the window; ``plan`` a :class:`toolkit.RetrainPlan` (None
    when it was not run) and ``error`` why it could not run.

    >>> retraining_rule({"status": "watch"})["summary"]
    'No retraining plan: performance is watch, not act.'
    >>> retraining_rule({"status": "act"}, error="no labels")["status"]
    'watch'
    """
    row = {"cause": "retraining", "since": None, "evidence": "", "column": "", "kind": "ok"}
    if performance["status"] != "act":
        return {**row, "status": "ok", "summary": f"No retraining plan: performance is {performance['status']}, "
                "not act.", "next_step": "Nothing to do."}
    if plan is None:
        return {**row, "status": "watch", "kind": "no plan",
                "summary": f"Performance needs action but the retraining plan could not run: {error}.",
                "next_step": "Run 05_retrain_decision once the problem above is fixed."}
    status = {"retrain": "act", "fix_feed": "act", "wait": "watch", "no_gain": "watch"}.get(plan.recommendation, "ok")
    message = plan.message[:1].upper() + plan.message[1:]
    if plan.recommendation == "retrain":
        from .outcomes.retraining import SINCE_ONSET, WEIGHTED

        chosen = plan.chosen or ""
        if chosen.startswith(SINCE_ONSET):
            args = f"--since {plan.onset}"
        elif chosen == WEIGHTED:
            args = f"--since {plan.onset} --include-reference --importance-to {plan.eval_windows[-1]}"
        else:
            args = f"--since {first_window or 'FIRST_WINDOW'} --include-reference"
        step = (f"Build the retraining set ({chosen}): toolkit retrain-set {config_name} {args} --output DIR, "
                "then train on it and compare. Details: 05_retrain_decision.")
    elif plan.recommendation == "fix_feed":
        step = "Fix the feed before retraining: training on broken rows bakes the break in. Details: 01_compare_baseline."
    elif plan.recommendation == "wait":
        step = "Wait for the labels named above, then rerun the plan. Details: 05_retrain_decision."
    else:
        step = "Look elsewhere than retraining (the feed, the features, the fallback). Details: 05_retrain_decision."
    held = "..".join(dict.fromkeys(plan.eval_windows[:1] + plan.eval_windows[-1:])) or "none"
    evidence = [f"plan on {plan.metric}, trained up to {plan.cutoff}, held-out windows {held}; "
                f"onset {plan.onset or 'not found'}", *plan.evidence]
    return {**row, "status": status, "kind": plan.recommendation, "summary": message.rstrip(".") + ".",
            "evidence": " ".join(e[:1].upper() + e[1:].rstrip(".") + "." for e in evidence if e), "next_step": step}


# ----------------------------------------------------------------------------- relationship screen


def relationship_changes(reference: pd.DataFrame, current: pd.DataFrame, features: Sequence[str], kinds: dict,
                         outcome: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray, np.ndarray]],
                         binary: bool = True, rules: Rules = Rules(), n_bins: int = 5, max_categories: int = 10,
                         min_rows: int = 20) -> pd.DataFrame:
    """Which features' link with the target changed: a screen on the model's residuals per feature bin.

    ``outcome(frame)`` returns ``(y, expected, weight)`` arrays (y NaN: unlabelled, skipped):
    for a binary model the 0/1 label and the score, for regression the target and the prediction.
    Each window first gets its own overall correction (binary: a shift of the score's log-odds
    solving ``sum w (y - sigmoid(logit(s) + d)) = 0``; regression: the mean residual), so a change
    of the base rate moves no feature. For each feature, rows are binned (reference quantiles for
    numbers, the most frequent reference categories otherwise, missing values apart), and the mean
    corrected residual per bin is compared between ``current`` and ``reference``:
    ``Q = sum_b d_b^2 / var_b``, chi-square with (bins - 1) degrees of freedom, Benjamini-Hochberg
    across features. A feature *changed* when its q-value is below ``rules.relationship_q`` and the
    spread of its bin differences is at least ``rules.relationship_min_effect`` (target units:
    probability for binary). A screen, not an attribution: template 03's ``attribute_drop`` fits
    the full model.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def rows(n, flip):
    ...     x, z = rng.normal(size=n), rng.normal(size=n)
    ...     s = 1 / (1 + np.exp(-(x + z)))
    ...     p = 1 / (1 + np.exp(-(x + (-z if flip else z))))
    ...     return pd.DataFrame({"x": x, "z": z, "s": s, "y": (rng.random(n) < p).astype(float)})
    >>> outcome = lambda f: (f["y"].to_numpy(), f["s"].to_numpy(), np.ones(len(f)))
    >>> out = relationship_changes(rows(5000, False), rows(5000, True), ["x", "z"], {}, outcome)
    >>> out.loc[out["changed"], "feature"].tolist()
    ['z']
    """
    from scipy import stats

    empty = pd.DataFrame(columns=["feature", "statistic", "df", "p_value", "effect", "q_value", "changed"])
    r_ref, w_ref = _corrected_residual(*outcome(reference), binary)
    r_cur, w_cur = _corrected_residual(*outcome(current), binary)
    ok_ref, ok_cur = np.isfinite(r_ref) & (w_ref > 0), np.isfinite(r_cur) & (w_cur > 0)
    if ok_ref.sum() < min_rows or ok_cur.sum() < min_rows:
        return empty
    out = []
    for feature in features:
        if feature not in reference.columns or feature not in current.columns:
            continue
        kind = kinds.get(feature, "")
        b_ref, b_cur = _bins(reference[feature], current[feature], str(getattr(kind, "value", kind)), n_bins,
                             max_categories)
        d, v = [], []
        for b in np.unique(b_ref[ok_ref]):
            ir, ic = ok_ref & (b_ref == b), ok_cur & (b_cur == b)
            if ir.sum() < min_rows or ic.sum() < min_rows:
                continue
            mr, vr = _wmean_var(r_ref[ir], w_ref[ir])
            mc, vc = _wmean_var(r_cur[ic], w_cur[ic])
            if vr + vc <= 0:
                continue
            d.append(mc - mr)
            v.append(vr + vc)
        if len(d) < 2:
            continue
        d, v = np.asarray(d), np.asarray(v)
        q = float(np.sum(d * d / v))
        df = len(d) - 1
        out.append({"feature": feature, "statistic": q, "df": df, "p_value": float(stats.chi2.sf(q, df)),
                    "effect": float(d.max() - d.min())})
    frame = pd.DataFrame(out, columns=["feature", "statistic", "df", "p_value", "effect"])
    if frame.empty:
        return empty
    frame["q_value"] = stats.false_discovery_control(frame["p_value"].to_numpy())
    frame["changed"] = (frame["q_value"] < rules.relationship_q) & (frame["effect"] >= rules.relationship_min_effect)
    return frame.sort_values(["changed", "statistic"], ascending=[False, False], kind="stable").reset_index(drop=True)


def _corrected_residual(y, expected, w, binary: bool):
    y, e, w = (np.asarray(a, dtype=float) for a in (y, expected, w))
    ok = np.isfinite(y) & np.isfinite(e) & np.isfinite(w) & (w > 0)
    r = np.full(len(y), np.nan)
    if ok.sum() == 0:
        return r, np.where(ok, w, 0.0)
    if binary:
        s = np.clip(e[ok], 1e-6, 1 - 1e-6)
        logit, yy, ww = np.log(s / (1 - s)), y[ok], w[ok]
        d = 0.0
        for _ in range(50):  # Newton on the intercept shift
            p = 1 / (1 + np.exp(-(logit + d)))
            grad, hess = np.sum(ww * (yy - p)), np.sum(ww * p * (1 - p))
            if hess <= 0:
                break
            step = grad / hess
            d += step
            if abs(step) < 1e-10:
                break
        r[ok] = yy - 1 / (1 + np.exp(-(logit + d)))
    else:
        res = y[ok] - e[ok]
        r[ok] = res - np.average(res, weights=w[ok])
    return r, np.where(ok, w, 0.0)


def _wmean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted (Hajek) mean and the variance of that mean."""
    sw = w.sum()
    m = float(np.sum(w * x) / sw)
    var = float(np.sum((w * (x - m)) ** 2) / sw ** 2)
    return m, var


def _bins(ref: pd.Series, cur: pd.Series, kind: str, n_bins: int, max_categories: int):
    numeric = kind.endswith("numeric") or (kind == "" and pd.api.types.is_numeric_dtype(ref.dtype)
                                           and not pd.api.types.is_bool_dtype(ref.dtype))
    if numeric:
        r = pd.to_numeric(ref, errors="coerce").to_numpy(dtype=float)
        c = pd.to_numeric(cur, errors="coerce").to_numpy(dtype=float)
        finite = r[np.isfinite(r)]
        if finite.size == 0:
            return np.full(len(r), -1), np.full(len(c), -1)
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1)[1:-1]))

        def cut(v):
            out = np.searchsorted(edges, v, side="right").astype(np.int64)
            out[~np.isfinite(v)] = -1
            return out
        return cut(r), cut(c)
    r = ref.astype(object).where(ref.notna(), "\0missing").astype(str).to_numpy()
    c = cur.astype(object).where(cur.notna(), "\0missing").astype(str).to_numpy()
    keep = pd.Index(pd.Series(r).value_counts().index[:max_categories])

    def code(v):
        out = keep.get_indexer(v)
        out[out < 0] = len(keep)
        return out.astype(np.int64)
    return code(r), code(c)
