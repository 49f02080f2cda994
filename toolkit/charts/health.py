"""The health status strip: causes down, windows across, one cell per (cause, window)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ._theme import check_small, themed

__all__ = ["status_strip", "STATUS_SCALE"]

STATUS_SCALE = {"ok": "#d5f5e3", "watch": "#f5b041", "act": "#c0392b"}
_CAUSES = ["overall", "schema", "performance", "fallback", "drift", "feedback"]


def status_strip(history: pd.DataFrame, window: str | None = None, title: str | None = "Health per window"):
    """Heatmap of ``history`` (cause, window, status, since, kind), the examined window outlined.

    >>> h = pd.DataFrame({"cause": ["drift", "drift"], "window": ["1", "2"], "status": ["ok", "watch"],
    ...                   "since": [None, "2"], "kind": ["ok", "covariate shift"]})
    >>> status_strip(h, "2").to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    check_small(history, "health history")
    data = history.assign(since=history["since"].fillna("").astype(str), kind=history["kind"].fillna("").astype(str))
    order = list(dict.fromkeys(data["window"].astype(str)))
    causes = [c for c in _CAUSES if c in set(data["cause"])] + sorted(set(data["cause"]) - set(_CAUSES))
    x = alt.X("window:O", sort=order, title="window", axis=alt.Axis(labelAngle=-45))
    y = alt.Y("cause:N", sort=causes, title=None)
    cells = alt.Chart(data).mark_rect(stroke="white").encode(
        x=x, y=y,
        color=alt.Color("status:N", title="status", scale=alt.Scale(domain=list(STATUS_SCALE),
                                                                    range=list(STATUS_SCALE.values()))),
        tooltip=[alt.Tooltip("cause:N"), alt.Tooltip("window:O"), alt.Tooltip("status:N"),
                 alt.Tooltip("since:N"), alt.Tooltip("kind:N", title="why")],
    )
    layers = [cells]
    if window is not None:
        mark = pd.DataFrame({"window": [str(window)]})
        layers.append(alt.Chart(mark).mark_rule(color="#1f2328", strokeWidth=2, strokeDash=[4, 3]).encode(
            x=alt.X("window:O", sort=order)))
    chart = alt.layer(*layers)
    return themed(chart, title, width=max(300, 16 * len(order)), height=22 * len(causes))
