"""Charts of outcome results, drawn from the results' aggregated frames (one row per window).

- :func:`performance_chart` : realized value per window with its interval band, the baseline as a
  rule, and optionally a label-free estimate beside it.
- :func:`estimate_chart` : the estimate per chunk with its band, realized values where labels
  exist, unreliable chunks marked.
- :func:`feedback_chart` : label coverage per window and label delay.
- :func:`attribution_chart` : the split of a drop, segment contributions and feature relationship changes.

>>> import numpy as np, pandas as pd
>>> import toolkit as tk
>>> rng = np.random.default_rng(0)
>>> p = rng.random(900)
>>> frame = pd.DataFrame({"w": np.repeat(["a", "b", "c"], 300), "p": p, "y": (rng.random(900) < p).astype(int)})
>>> perf = tk.performance(frame, target="y", score="p", metric="roc_auc", by="w", reference=0.85)
>>> spec = perf.chart().to_dict()
>>> [layer["mark"]["type"] for layer in spec["layer"]]
['area', 'line', 'point', 'rule']
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ._theme import PALETTE, check_small, themed, window_axis

__all__ = ["performance_chart", "estimate_chart", "feedback_chart", "attribution_chart", "series_frame"]

SERIES_COLOURS = {"realized": PALETTE["current"], "estimate": PALETTE["estimate"], "baseline": PALETTE["reference"]}
_LONG = ["window", "metric", "series", "value", "lower", "upper", "n", "flag", "note"]


def _series(f: pd.DataFrame, series: str, value: str, lower: str, upper: str, n: str, flag: str) -> pd.DataFrame:
    """One series of the long frame from a result's table, given which of its columns hold each field."""
    return pd.DataFrame({"window": f["window"].astype(str), "metric": f["metric"], "series": series,
                         "value": f[value], "lower": f[lower], "upper": f[upper], "n": f[n].astype(float),
                         "flag": f[flag], "note": f["note"].fillna("")})


def series_frame(report=None, estimate=None) -> pd.DataFrame:
    """Long frame for the charts: window, metric, series (realized | estimate | baseline), value, lower,
    upper, n, flag (degraded or unreliable), note."""
    parts = []
    if report is not None:
        parts.append(_series(report.frame, "realized", "value", "lower", "upper", "n", "degraded"))
        b = report.baseline
        if len(b):
            parts.append(pd.DataFrame({
                "window": None, "metric": b["metric"], "series": "baseline", "value": b["value"], "lower": b["lower"],
                "upper": b["upper"], "n": pd.to_numeric(b["n"], errors="coerce"), "flag": False, "note": "baseline"}))
    if estimate is not None:
        e = estimate.frame
        parts.append(_series(e, "estimate", "estimate", "lower", "upper", "n", "unreliable"))
        if report is None:
            lab = e[e["realized"].notna()]
            parts.append(_series(lab, "realized", "realized", "realized_lower", "realized_upper", "n_labelled",
                                 "unreliable"))
            ref = e.groupby("metric", sort=False)["reference_value"].first().reset_index()
            parts.append(pd.DataFrame({
                "window": None, "metric": ref["metric"], "series": "baseline", "value": ref["reference_value"],
                "lower": np.nan, "upper": np.nan, "n": np.nan, "flag": False, "note": "realized on the reference"}))
    if not parts:
        return pd.DataFrame(columns=_LONG)
    long = pd.concat([p for p in parts if len(p)], ignore_index=True)[_LONG]
    for col in ("window", "metric", "series", "note"):  # missing text as "" (altair 6 + pandas 3 emit NaN for None)
        long[col] = long[col].fillna("").astype(str)
    return long


def _windows(long: pd.DataFrame, report=None, estimate=None) -> list[str]:
    order = []
    if report is not None:
        order += [str(w) for w in report.frame["window"]]
    if estimate is not None:
        order += [str(c) for c in estimate.frame["window"]]
    return list(dict.fromkeys(order))


def _series_chart(long: pd.DataFrame, order: list[str], flag_title: str, width: int = 520, height: int = 220):
    series = [s for s in ("realized", "estimate", "baseline") if s in set(long["series"])]
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=series,
                                                                range=[SERIES_COLOURS[s] for s in series]))
    x = alt.X("window:O", sort=order, title=None, axis=window_axis(order))
    tooltip = [alt.Tooltip("window:N"), alt.Tooltip("metric:N"), alt.Tooltip("series:N"),
               alt.Tooltip("value:Q", format=".4f"), alt.Tooltip("lower:Q", format=".4f"),
               alt.Tooltip("upper:Q", format=".4f"), alt.Tooltip("n:Q", format=",.0f", title="rows / labels"),
               alt.Tooltip("flag:N", title=flag_title), alt.Tooltip("note:N")]
    base = alt.Chart(long)
    windowed = base.transform_filter("datum.series != 'baseline'")
    band = windowed.mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("lower:Q", title="value", scale=alt.Scale(zero=False)), y2="upper:Q", color=colour,
        tooltip=tooltip)
    line = windowed.mark_line().encode(x=x, y="value:Q", color=colour, tooltip=tooltip)
    points = windowed.mark_point(filled=True, size=45).encode(
        x=x, y="value:Q", color=colour, tooltip=tooltip,
        shape=alt.Shape("flag:N", title=flag_title, scale=alt.Scale(domain=[False, True],
                                                                    range=["circle", "triangle-down"])),
        strokeWidth=alt.condition("datum.flag", alt.value(2), alt.value(0)),
        stroke=alt.condition("datum.flag", alt.value(PALETTE["drifted"]), alt.value(None)),
    )
    rule = base.transform_filter("datum.series == 'baseline'").mark_rule(strokeDash=[6, 3]).encode(
        y="value:Q", color=colour, tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("value:Q", format=".4f"),
                                            alt.Tooltip("lower:Q", format=".4f"), alt.Tooltip("upper:Q", format=".4f"),
                                            alt.Tooltip("note:N")])
    layered = alt.layer(band, line, points, rule)
    metrics = list(dict.fromkeys(long["metric"]))
    if len(metrics) > 1:
        return layered.properties(width=width, height=max(120, height // 2 + 40)).facet(
            row=alt.Row("metric:N", sort=metrics, title=None)).resolve_scale(y="independent")
    return layered.properties(width=width, height=height)


def performance_chart(report, estimate=None, metric: str | None = None):
    """Realized performance per window (line, interval band), baseline rule, optional estimate beside it.

    Degraded windows (significantly worse than the baseline) are drawn as red-edged triangles.
    """
    title = "Realized performance per window" + (" vs label-free estimate" if estimate is not None else "")
    if report.weight_column:
        title += f" (weighted by 1/{report.weight_column} where sampled)"
    return _realized_and_estimated(report, estimate, metric, "performance", title)


def estimate_chart(estimate, realized=None, metric: str | None = None):
    """Label-free estimate per chunk (band = sampling interval), realized where labels exist, the
    reference value as a rule; unreliable chunks (realized outside the interval) as red-edged triangles."""
    return _realized_and_estimated(realized, estimate, metric, "estimate",
                                   f"Estimated performance ({estimate.method}) and realized")


def _realized_and_estimated(realized, estimate, metric: str | None, what: str, title: str):
    """The one drawing behind :func:`performance_chart` and :func:`estimate_chart` (``metric``: one of them)."""
    long = series_frame(realized, estimate)
    if metric is not None:
        if metric not in set(long["metric"]):
            raise ValueError(f"metric must be one of {sorted(set(long['metric']))}; got {metric!r}")
        long = long[long["metric"] == metric]
    check_small(long, what)
    chart = _series_chart(long, _windows(long, realized, estimate), "degraded / unreliable")
    return themed(chart, title) if len(set(long["metric"])) == 1 else _themed_multi(chart, title)


def _themed_multi(chart, title):
    """``themed`` for facet and concat charts: they take no top-level width/height (vega-lite rejects
    them at ``to_dict``), so those are removed after the shared config is applied."""
    out = themed(chart, title)
    if isinstance(out, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart, alt.FacetChart)):
        out = out.copy(deep=False)
        out.width = alt.Undefined
        out.height = alt.Undefined
    return out


def feedback_chart(report):
    """Top: share of predictions labelled per window (bars). Bottom: label delay in days, median line
    with the 10th-90th percentile band."""
    cov = check_small(report.coverage.copy(), "feedback")
    cov["window"] = cov["window"].astype(str)
    order = cov["window"].tolist()
    x = alt.X("window:O", sort=order, title=None, axis=window_axis(order))
    tooltip = [alt.Tooltip("window:N"), alt.Tooltip("n_predictions:Q", format=","),
               alt.Tooltip("n_labelled:Q", format=","), alt.Tooltip("coverage:Q", format=".1%"),
               alt.Tooltip("n_waiting:Q", format=","), alt.Tooltip("n_overdue:Q", format=","),
               alt.Tooltip("n_duplicates:Q", format=","), alt.Tooltip("n_conflicts:Q", format=","),
               alt.Tooltip("delay_median_days:Q", format=".1f", title="median delay (days)")]
    bars = alt.Chart(cov).mark_bar(color=PALETTE["reference"]).encode(
        x=x, y=alt.Y("coverage:Q", title="labelled share", axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0, 1])), tooltip=tooltip,
    ).properties(width=520, height=160, title="label coverage")
    overdue = alt.Chart(cov).transform_calculate(overdue_share="datum.n_overdue / datum.n_predictions").mark_bar(
        color=PALETTE["drifted"]).encode(x=x, y="overdue_share:Q", tooltip=tooltip)
    delay_tip = [alt.Tooltip("window:N"), alt.Tooltip("delay_p10_days:Q", format=".1f", title="p10 (days)"),
                 alt.Tooltip("delay_median_days:Q", format=".1f", title="median (days)"),
                 alt.Tooltip("delay_p90_days:Q", format=".1f", title="p90 (days)"),
                 alt.Tooltip("n_labelled:Q", format=",")]
    band = alt.Chart(cov).mark_area(opacity=0.25, color=PALETTE["current"]).encode(
        x=x, y=alt.Y("delay_p10_days:Q", title="label delay (days)"), y2="delay_p90_days:Q", tooltip=delay_tip)
    line = alt.Chart(cov).mark_line(point=True, color=PALETTE["current"]).encode(
        x=x, y="delay_median_days:Q", tooltip=delay_tip)
    delay = (band + line).properties(width=520, height=140, title="label delay: median, 10th-90th percentile")
    chart = alt.vconcat(bars + overdue, delay)
    return _themed_multi(chart, f"Label feedback: {report.n_matched:,} of {report.n_predictions:,} predictions labelled")


def attribution_chart(attribution, top: int = 10):
    """Three panels: the change split into input shift and the rest (with intervals); the segments
    contributing most; and per feature, how much its link to the label changed."""
    split = check_small(attribution.split.copy(), "attribution split")
    split_tip = [alt.Tooltip("component:N"), alt.Tooltip("value:Q", format="+.4f"),
                 alt.Tooltip("lower:Q", format="+.4f"), alt.Tooltip("upper:Q", format="+.4f"),
                 alt.Tooltip("p_value:Q", format=".2g"), alt.Tooltip("significant:N")]
    y = alt.Y("component:N", sort=split["component"].tolist(), title=None)
    s_bars = alt.Chart(split).mark_bar(height={"band": 0.6}).encode(
        y=y, x=alt.X("value:Q", title=f"change in {attribution.metric}"),
        color=alt.Color("significant:N", scale=alt.Scale(domain=[False, True],
                                                         range=[PALETTE["stable"], PALETTE["drifted"]])),
        tooltip=split_tip)
    s_err = alt.Chart(split).mark_errorbar(color=PALETTE["truth"]).encode(
        y=y, x=alt.X("lower:Q", title=f"change in {attribution.metric}"), x2="upper:Q", tooltip=split_tip)
    panel1 = (s_bars + s_err).properties(width=420, height=90, title="what the inputs explain")

    seg = attribution.segments.copy()
    seg = seg[seg["contribution"].notna()]
    seg = seg.reindex(seg["contribution"].abs().sort_values(ascending=False).index).head(top)
    seg["label"] = seg["column"].astype(str) + " = " + seg["segment"].astype(str)
    seg = check_small(seg, "attribution segments")
    seg_tip = [alt.Tooltip("label:N", title="segment"), alt.Tooltip("contribution:Q", format="+.4f"),
               alt.Tooltip("metric_reference:Q", format=".4f"), alt.Tooltip("metric_current:Q", format=".4f"),
               alt.Tooltip("share_reference:Q", format=".1%"), alt.Tooltip("share_current:Q", format=".1%"),
               alt.Tooltip("delta_p_value:Q", format=".2g"), alt.Tooltip("contribution_method:N")]
    panel2 = alt.Chart(seg).mark_bar().encode(
        y=alt.Y("label:N", sort=seg["label"].tolist(), title=None),
        x=alt.X("contribution:Q", title="contribution to the change"),
        color=alt.condition("datum.contribution < 0", alt.value(PALETTE["drifted"]), alt.value(PALETTE["ok"])),
        tooltip=seg_tip,
    ).properties(width=420, height=18 * max(len(seg), 1), title=f"top {len(seg)} segments")

    feats = attribution.features.copy()
    feats = check_small(feats, "attribution features")
    feat_tip = [alt.Tooltip("feature:N"), alt.Tooltip("effect:Q", format=".3f", title="change in effect"),
                alt.Tooltip("statistic:Q", format=".1f"), alt.Tooltip("df:Q"), alt.Tooltip("p_value:Q", format=".2g"),
                alt.Tooltip("q_value:Q", format=".2g"), alt.Tooltip("input_shift_psi:Q", format=".3f"),
                alt.Tooltip("verdict:N")]
    panel3 = alt.Chart(feats).mark_bar().encode(
        y=alt.Y("feature:N", sort=feats["feature"].tolist(), title=None),
        x=alt.X("effect:Q", title="change in the feature's effect beyond the model"),
        color=alt.Color("changed:N", title="relationship changed",
                        scale=alt.Scale(domain=[False, True], range=[PALETTE["stable"], PALETTE["drifted"]])),
        tooltip=feat_tip,
    ).properties(width=420, height=18 * max(len(feats), 1), title="feature -> label relationship")
    chart = alt.vconcat(panel1, panel2, panel3).resolve_scale(color="independent")
    return _themed_multi(chart, f"Why {attribution.metric} changed: {attribution.total:+.3f}")
