"""Charts of a schema validation, drawn from ``ValidationResult.summary`` (one row per column).

>>> import pandas as pd
>>> import toolkit as tk
>>> ref = pd.DataFrame({"x": [1.5, 2.5, 3.5, None] * 25, "plan": ["a", "b"] * 50})
>>> result = tk.infer_contract(ref).validate(ref.assign(plan=["a", "new"] * 50))
>>> chart = result.chart()
>>> sorted(chart.to_dict()["hconcat"][0]["layer"][0]["encoding"])
['color', 'tooltip', 'x', 'y', 'yOffset']
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from ._theme import PALETTE, check_small, themed, window_axis

__all__ = ["validation_chart", "null_rate_frame", "share_frame"]



def null_rate_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """Long frame: column, which (baseline | batch), null_rate, null_limit, status."""
    present = summary[summary["present"]]
    frames = []
    for which, col in (("baseline", "null_rate_reference"), ("batch", "null_rate")):
        frames.append(pd.DataFrame({
            "column": present["column"].astype(str).to_numpy(), "which": which,
            "null_rate": present[col].astype(float).to_numpy(),
            "null_limit": present["null_limit"].astype(float).to_numpy(),
            "status": present["status"].astype(str).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def share_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """Long frame: column, measure (unseen | out of range), share, status (only where measured)."""
    frames = []
    for measure, col in (("unseen category", "unseen_share"), ("out of range", "out_of_range_share")):
        part = summary[summary[col].notna()]
        frames.append(pd.DataFrame({
            "column": part["column"].astype(str).to_numpy(), "measure": measure,
            "share": part[col].astype(float).to_numpy(), "status": part["status"].astype(str).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def validation_chart(summary: pd.DataFrame, title: str | None = "Schema validation: nulls and values per column"):
    """Two panels: null rate baseline vs batch (tick = noise limit), and unseen / out-of-range share."""
    check_small(summary, "schema validation")
    order = summary["column"].astype(str).tolist()
    nulls = check_small(null_rate_frame(summary), "null rate")
    shares = check_small(share_frame(summary), "unseen / out-of-range")
    y = alt.Y("column:N", sort=order, title=None)
    null_tooltip = [
        alt.Tooltip("column:N"), alt.Tooltip("which:N"), alt.Tooltip("null_rate:Q", format=".2%", title="null rate"),
        alt.Tooltip("null_limit:Q", format=".2%", title="limit (noise)"), alt.Tooltip("status:N"),
    ]
    bars = alt.Chart(nulls).mark_bar().encode(
        y=y, yOffset=alt.YOffset("which:N", sort=["baseline", "batch"]),
        x=alt.X("null_rate:Q", title="null rate", axis=alt.Axis(format="%")),
        color=alt.Color("which:N", title=None, sort=["baseline", "batch"],
                        scale=alt.Scale(domain=["baseline", "batch"], range=[PALETTE["reference"], PALETTE["current"]])),
        tooltip=null_tooltip,
    )
    limits = alt.Chart(nulls[nulls["which"] == "batch"]).mark_tick(color=PALETTE["truth"], thickness=2).encode(
        y=y, x="null_limit:Q", tooltip=null_tooltip,
    )
    height = 22 * max(len(order), 1)
    left = (bars + limits).properties(width=260, height=height, title="null rate (tick: noise limit)")
    right = alt.Chart(shares).mark_bar(height={"band": 0.7}).encode(
        y=y,
        x=alt.X("share:Q", title="share of rows", axis=alt.Axis(format="%")),
        color=alt.Color("measure:N", title=None,
                        scale=alt.Scale(domain=["unseen category", "out of range"],
                                        range=[PALETTE["estimate"], PALETTE["drifted"]])),
        tooltip=[alt.Tooltip("column:N"), alt.Tooltip("measure:N"), alt.Tooltip("share:Q", format=".3%"),
                 alt.Tooltip("status:N")],
    ).properties(width=260, height=height, title="unseen / out-of-range values")
    chart = alt.hconcat(left, right).resolve_scale(color="independent")
    return _themed_concat(chart, title)


def _themed_concat(chart, title: str | None):
    """``themed`` for a concatenated chart: keep the shared config, drop the top-level width/height
    that ``themed`` sets (a concat chart has none; vega-lite rejects them at ``to_dict``)."""
    out = themed(chart, title)
    if isinstance(out, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)):
        out = out.copy(deep=False)
        out.width = alt.Undefined
        out.height = alt.Undefined
    return out


_STATUS_COLOURS = {"ok": "#eef2f3", "info": "#aed6f1", "warning": "#f5b041", "error": "#c0392b"}


def validation_history_chart(worst: pd.DataFrame, title: str | None = "Schema checks per window"):
    """Heatmap of the worst failure per window and column (from ``WindowValidation.worst()``)."""
    check_small(worst, "schema history")
    chart = alt.Chart(worst).mark_rect(stroke="white").encode(
        x=alt.X("window:O", title="window", sort=list(dict.fromkeys(worst["window"])),
              axis=window_axis(list(dict.fromkeys(worst["window"])))),
        y=alt.Y("column:N", title=None, sort=list(dict.fromkeys(worst["column"]))),
        color=alt.Color("status:N", title="worst failure",
                        scale=alt.Scale(domain=list(_STATUS_COLOURS), range=list(_STATUS_COLOURS.values()))),
        tooltip=[alt.Tooltip("window:O"), alt.Tooltip("column:N"), alt.Tooltip("status:N"),
                 alt.Tooltip("checks:N"), alt.Tooltip("message:N")],
    )
    return themed(chart, title, width=620, height=max(160, 18 * worst["column"].nunique()))
