"""ipywidgets explorers for the live JupyterLab session.

Widgets are for investigating with a kernel; exported reports never depend on them (reports use
Vega's own dropdowns instead). Every callback is a plain method that reads the widgets' values
and writes results to plain attributes, so tests drive them by setting ``.value``:

>>> import numpy as np, pandas as pd
>>> import toolkit as tk
>>> rng = np.random.default_rng(0)
>>> ref = pd.DataFrame({"x": rng.normal(size=2000), "z": rng.normal(size=2000)})
>>> weeks = {"w1": ref.sample(1000, random_state=1), "w2": ref.assign(x=ref["x"] + 1).sample(1000, random_state=2)}
>>> explorer = DriftExplorer(ref, weeks)
>>> explorer.window.value = "w2"
>>> explorer.feature.options[0]        # most severe first
'x'
>>> explorer.current_row["drifted"]
True
"""
from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as W
import pandas as pd
from IPython import get_ipython
from IPython.display import display

from ._html import SEVERITY_COLOURS, escape, frame_to_html

__all__ = ["DriftExplorer", "AbstainSlider", "FailureBrowser"]

DEFAULT_METHOD = "default"


class _Explorer:
    """Shared display plumbing: a root widget, shown by the notebook's rich display."""

    widget: W.Widget

    def _ipython_display_(self) -> None:
        display(self.widget)


class DriftExplorer(_Explorer):
    """Pick a production window, a drift method and a feature; see its verdict and distributions.

    Features are listed most severe first for the chosen window and method. Reports are computed
    once per (window, method) and cached.

    Parameters
    ----------
    reference
        Baseline frame.
    windows
        Production windows by label, in time order.
    spec
        Optional :class:`~toolkit.ModelSpec` (columns and kinds).
    methods
        Methods offered in the picker besides the per-kind default.
    compare_options
        Extra keyword arguments for :func:`toolkit.compare`.
    """

    def __init__(self, reference: pd.DataFrame, windows: Mapping[str, pd.DataFrame], spec=None, *,
                 methods: tuple[str, ...] = ("ks", "wasserstein", "jensen_shannon", "psi", "hellinger"),
                 compare_options: dict | None = None):
        if not windows:
            raise ValueError("windows is empty; pass at least one production window, e.g. {'2026-01': frame}")
        self.reference = reference
        self.windows = dict(windows)
        self.spec = spec
        self.compare_options = dict(compare_options or {})
        self._cache: dict[tuple[str, str], object] = {}
        self.window = W.Dropdown(options=list(self.windows), value=list(self.windows)[-1], description="Window")
        self.method = W.Dropdown(options=[DEFAULT_METHOD, *methods], value=DEFAULT_METHOD, description="Method")
        self.feature = W.Dropdown(options=[], description="Feature")
        self.summary = W.HTML()
        self.output = W.Output()
        self.chart = None
        self.current_row: dict = {}
        self._updating = False
        self.widget = W.VBox([W.HBox([self.window, self.method, self.feature]), self.summary, self.output])
        self.window.observe(self._on_report_change, names="value")
        self.method.observe(self._on_report_change, names="value")
        self.feature.observe(self._on_feature_change, names="value")
        self._on_report_change()

    @property
    def report(self):
        """The DriftReport for the selected window and method."""
        key = (self.window.value, self.method.value)
        if key not in self._cache:
            from .drift import compare

            options = dict(self.compare_options)
            if self.method.value != DEFAULT_METHOD:
                options["methods"] = self.method.value
            self._cache[key] = compare(self.reference, self.windows[self.window.value], spec=self.spec, **options)
        return self._cache[key]

    def _on_report_change(self, change=None) -> None:
        frame = self.report.to_frame()
        order = frame.sort_values(["drifted", "severity"], ascending=False)["column"].tolist()
        previous = self.feature.value
        self._updating = True  # setting options selects the first one; refresh once, below
        try:
            self.feature.options = order
            self.feature.value = previous if previous in order else (order[0] if order else None)
        finally:
            self._updating = False
        self._on_feature_change()

    def _on_feature_change(self, change=None) -> None:
        if self._updating:
            return
        column = self.feature.value
        if column is None:
            self.summary.value = "<em>no comparable columns</em>"
            return
        row = self.report.to_frame().set_index("column").loc[column].to_dict()
        self.current_row = {"column": column, **row}
        colour = SEVERITY_COLOURS["error" if row["drifted"] else "ok"]
        verdict = "drifted" if row["drifted"] else "stable"
        self.summary.value = (
            f'<b style="color:{colour}">{escape(column)}: {verdict}</b> in window {escape(self.window.value)}; '
            f"{escape(row['method'])} = {row['statistic']:.4g} (threshold {row['threshold']:.4g}), "
            f"missing {row['missing_share_ref']:.1%} &rarr; {row['missing_share_cur']:.1%}"
            + (f"<br><em>{escape(row['note'])}</em>" if row.get("note") else "")
        )
        self.chart = self.report.distribution_chart(column)
        if get_ipython() is not None:  # outside a kernel (tests, scripts) there is nothing to draw into
            self.output.clear_output(wait=True)
            with self.output:
                display(self.chart)


class AbstainSlider(_Explorer):
    """Slide the confidence threshold; see the accuracy of answered cases and the share routed away.

    Parameters
    ----------
    curve
        A :class:`~toolkit.RiskCoverage` from :func:`toolkit.risk_coverage`.
    value
        Starting threshold (e.g. an :class:`~toolkit.AbstainDecision`'s ``abstain_at``).
    """

    def __init__(self, curve, value: float | None = None):
        self.curve = curve
        thresholds = curve.to_frame()["threshold"]
        low, high = float(thresholds.min()), float(thresholds.max())
        start = float(thresholds.median()) if value is None else min(max(float(value), low), high)
        self.threshold = W.FloatSlider(value=start, min=low, max=high, step=(high - low) / 200 or 0.01,
                                       description="Threshold", readout_format=".3f", continuous_update=False)
        self.readout = W.HTML()
        self.point: dict = {}
        self.widget = W.VBox([self.threshold, self.readout])
        self.threshold.observe(self._on_change, names="value")
        self._on_change()

    def _on_change(self, change=None) -> None:
        self.point = self.curve.at(self.threshold.value)
        p = self.point
        self.readout.value = (
            f"answer <b>{p['coverage']:.1%}</b> of cases, route <b>{p['routed_share']:.1%}</b> to the fallback; "
            f"{escape(p['metric'])} on answered cases <b>{p['value']:.3f}</b> "
            f"(95% interval {p['lower']:.3f} to {p['upper']:.3f}, {p['n_accepted']:,} labelled)"
        )


class FailureBrowser(_Explorer):
    """Filter a :class:`~toolkit.ValidationResult`'s failures by severity and column."""

    ALL = "(all)"

    def __init__(self, result):
        self.result = result
        failures = result.failures
        self.severity = W.Dropdown(options=[self.ALL, "error", "warning", "info"], value=self.ALL,
                                   description="Severity")
        columns = sorted(failures["column"].astype(str).unique()) if len(failures) else []
        self.column = W.Dropdown(options=[self.ALL, *columns], value=self.ALL, description="Column")
        self.table = W.HTML()
        self.shown = failures.iloc[0:0]
        self.widget = W.VBox([W.HBox([self.severity, self.column]), self.table])
        self.severity.observe(self._on_change, names="value")
        self.column.observe(self._on_change, names="value")
        self._on_change()

    def _on_change(self, change=None) -> None:
        f = self.result.failures
        if self.severity.value != self.ALL:
            f = f[f["severity"].astype(str) == self.severity.value]
        if self.column.value != self.ALL:
            f = f[f["column"].astype(str) == self.column.value]
        self.shown = f
        fixes = [fix for fix in self.result.suggested_fixes
                 if self.column.value == self.ALL or self.column.value in str(fix)]
        fix_html = "".join(f"<li><code>{escape(fix)}</code></li>" for fix in fixes)
        self.table.value = (
            f"<p>{len(f)} failure(s)</p>" + frame_to_html(f.astype(str))
            + (f"<p>Suggested fixes (apply with <code>contract.repair(batch)</code>):</p><ul>{fix_html}</ul>"
               if fix_html else "")
        )
