"""Risk-coverage chart: the metric on accepted cases against the share accepted, with the chosen
abstain threshold and the target marked. Drawn from ``RiskCoverage.frame`` (one row per threshold).

>>> import numpy as np, pandas as pd
>>> import toolkit as tk
>>> p = np.linspace(0, 1, 1000)     # the chart's layers, not its numbers: any scored, labelled frame will do
>>> frame = pd.DataFrame({"p": p, "y": (p > 0.3).astype(int)})
>>> decision = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.85)
>>> spec = decision.chart().to_dict()
>>> [layer["mark"]["type"] for layer in spec["layer"]]
['area', 'line', 'rule', 'rule', 'point']
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from ._theme import PALETTE, check_small, themed, window_axis

__all__ = ["risk_coverage_chart", "uncertainty_abstain_chart"]


def risk_coverage_chart(curve, decision=None):
    """Metric vs coverage with its interval band; with a decision, the target (horizontal rule), the
    chosen coverage (vertical rule) and the chosen point."""
    frame = check_small(curve.frame.copy(), "risk-coverage")
    metric = curve.metric
    tooltip = [alt.Tooltip("threshold:Q", format=".4f", title="confidence threshold"),
               alt.Tooltip("coverage:Q", format=".1%", title="answered"),
               alt.Tooltip("routed_share:Q", format=".1%", title="routed to fallback"),
               alt.Tooltip("n_accepted:Q", format=",", title="labelled accepted"),
               alt.Tooltip("value:Q", format=".4f", title=metric), alt.Tooltip("lower:Q", format=".4f"),
               alt.Tooltip("upper:Q", format=".4f")]
    x = alt.X("coverage:Q", title="coverage (share answered by the model)", axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1]))
    band = alt.Chart(frame).mark_area(opacity=0.2, color=PALETTE["current"]).encode(
        x=x, y=alt.Y("lower:Q", title=f"{metric} on answered cases", scale=alt.Scale(zero=False)), y2="upper:Q",
        tooltip=tooltip)
    line = alt.Chart(frame).mark_line(point=True, color=PALETTE["current"]).encode(x=x, y="value:Q", tooltip=tooltip)
    layers = [band, line]
    title = f"Risk-coverage: {metric} vs share answered"
    if decision is not None:
        marks = pd.DataFrame([{
            "threshold": decision.abstain_at, "coverage": decision.coverage, "routed_share": decision.routed_share,
            "accuracy": decision.accuracy, "lower_bound": decision.lower_bound, "target": decision.target_accuracy,
            "n_accepted": decision.n_accepted, "feasible": decision.feasible}])
        mark_tip = [alt.Tooltip("threshold:Q", format=".4f"), alt.Tooltip("coverage:Q", format=".1%"),
                    alt.Tooltip("routed_share:Q", format=".1%"), alt.Tooltip("accuracy:Q", format=".4f"),
                    alt.Tooltip("lower_bound:Q", format=".4f", title=f"{decision.level:.0%} lower bound"),
                    alt.Tooltip("target:Q"), alt.Tooltip("n_accepted:Q", format=",")]
        target = alt.Chart(marks).mark_rule(strokeDash=[6, 3], color=PALETTE["truth"]).encode(
            y="target:Q", tooltip=mark_tip)
        chosen = alt.Chart(marks).mark_rule(color=PALETTE["drifted"]).encode(x="coverage:Q", tooltip=mark_tip)
        point = alt.Chart(marks).mark_point(filled=True, size=90, shape="diamond", color=PALETTE["drifted"]).encode(
            x="coverage:Q", y="lower_bound:Q", tooltip=mark_tip)
        layers += [target, chosen, point]
        if decision.feasible:
            title += (f"; threshold {decision.abstain_at:.3g} answers {decision.coverage:.0%}, "
                      f"routes {decision.routed_share:.0%}")
        else:
            title += "; no threshold meets the target"
    return themed(alt.layer(*layers), title)


def uncertainty_abstain_chart(decision):
    """Regression's risk-coverage: MAE of the answered cases (with its interval band) against the share
    answered as the cut-off on the predicted uncertainty rises; the ``max_mae`` line, and the chosen
    cut-off with its upper bound. ``decision`` is :func:`toolkit.abstain_on_uncertainty`'s result."""
    frame = check_small(decision.curve.frame.copy(), "risk-coverage")
    tooltip = [alt.Tooltip("abstain_at:Q", format=".4g", title="answer when uncertainty <="),
               alt.Tooltip("coverage:Q", format=".1%", title="answered"),
               alt.Tooltip("n_accepted:Q", format=",", title="labelled answered"),
               alt.Tooltip("value:Q", format=".4g", title="MAE"), alt.Tooltip("lower:Q", format=".4g"),
               alt.Tooltip("upper:Q", format=".4g")]
    x = alt.X("coverage:Q", title="coverage (share answered by the model)", axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1]))
    band = alt.Chart(frame).mark_area(opacity=0.2, color=PALETTE["current"]).encode(
        x=x, y=alt.Y("lower:Q", title="MAE on answered cases", scale=alt.Scale(zero=False)), y2="upper:Q",
        tooltip=tooltip)
    line = alt.Chart(frame).mark_line(point=True, color=PALETTE["current"]).encode(x=x, y="value:Q", tooltip=tooltip)
    marks = pd.DataFrame([{"abstain_at": decision.abstain_at, "coverage": decision.coverage, "mae": decision.mae,
                           "upper_bound": decision.upper_bound, "max_mae": decision.max_mae,
                           "n_accepted": decision.n_accepted}])
    tip = [alt.Tooltip("abstain_at:Q", format=".4g"), alt.Tooltip("coverage:Q", format=".1%"),
           alt.Tooltip("mae:Q", format=".4g"),
           alt.Tooltip("upper_bound:Q", format=".4g", title=f"{decision.level:.0%} upper bound"),
           alt.Tooltip("max_mae:Q", format=".4g"), alt.Tooltip("n_accepted:Q", format=",")]
    layers = [band, line, alt.Chart(marks).mark_rule(strokeDash=[6, 3], color=PALETTE["truth"]).encode(
        y="max_mae:Q", tooltip=tip)]
    title = "Risk-coverage on predicted uncertainty: MAE vs share answered"
    if decision.feasible:
        layers += [alt.Chart(marks).mark_rule(color=PALETTE["drifted"]).encode(x="coverage:Q", tooltip=tip),
                   alt.Chart(marks).mark_point(filled=True, size=90, shape="diamond", color=PALETTE["drifted"]).encode(
                       x="coverage:Q", y="upper_bound:Q", tooltip=tip)]
        title += f"; uncertainty <= {decision.abstain_at:.3g} answers {decision.coverage:.0%}"
    else:
        title += "; no cut-off meets max_mae"
    return themed(alt.layer(*layers), title)


def routing_chart(routing: pd.DataFrame, decision=None):
    """Per window: share routed to the fallback and, where labelled, accuracy of the answered cases.

    ``routing`` is ``AbstainDecision.apply(frame, by=...)``; the target accuracy is drawn as a rule.
    """
    check_small(routing, "routing")
    data = routing.copy()
    data["window"] = data["window"].astype(str)
    order = data["window"].tolist()
    x = alt.X("window:O", sort=order, title="window", axis=window_axis(order))
    routed = alt.Chart(data).mark_bar(color=PALETTE["warning"]).encode(
        x=x, y=alt.Y("routed_share:Q", title="routed to fallback", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("window:O"), alt.Tooltip("n:Q", format=","), alt.Tooltip("n_routed:Q", format=","),
                 alt.Tooltip("routed_share:Q", format=".1%")],
    ).properties(width=560, height=140, title="Share routed to the fallback")
    if "accuracy_accepted" not in data:
        return themed(routed, None)
    labelled = data.dropna(subset=["accuracy_accepted"])
    tip = [alt.Tooltip("window:O"), alt.Tooltip("accuracy_accepted:Q", format=".3f", title="accuracy (answered)"),
           alt.Tooltip("lower:Q", format=".3f"), alt.Tooltip("upper:Q", format=".3f"),
           alt.Tooltip("n_accepted_labelled:Q", format=",", title="labelled answered")]
    base = alt.Chart(labelled).encode(x=alt.X("window:O", sort=order, title="window", axis=window_axis(order)))
    accuracy = (base.mark_errorbar(color=PALETTE["current"]).encode(y=alt.Y("lower:Q", title="accuracy of answered cases",
                                                                          scale=alt.Scale(zero=False)), y2="upper:Q", tooltip=tip)
                + base.mark_point(filled=True, color=PALETTE["current"]).encode(y="accuracy_accepted:Q", tooltip=tip))
    if decision is not None:
        target = pd.DataFrame({"target": [float(decision.target_accuracy)]})
        accuracy = accuracy + alt.Chart(target).mark_rule(strokeDash=[4, 3], color=PALETTE["drifted"]).encode(
            y="target:Q", tooltip=[alt.Tooltip("target:Q", title="target accuracy")])
    accuracy = accuracy.properties(width=560, height=160, title="Accuracy of the answered cases (95% interval)")
    return themed(alt.vconcat(routed, accuracy), "Expected routing per window")
