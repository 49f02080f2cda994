"""One look for every chart: colours, fonts, sizes, and a guard that charts stay aggregated."""
from __future__ import annotations

import re

import pandas as pd

__all__ = ["MAX_CHART_ROWS", "PALETTE", "DRIFT_COLOURS", "check_small", "themed", "window_axis"]

#: Charts carry aggregates; a frame bigger than this means someone passed raw rows.
MAX_CHART_ROWS = 4000

PALETTE = {
    "reference": "#5b7fa6",   # baseline / reference window
    "current": "#e07b39",     # production / current window
    "drifted": "#c0392b",
    "stable": "#7f8c8d",
    "warning": "#d68910",
    "ok": "#1e8449",
    "estimate": "#8e44ad",
    "truth": "#2c3e50",
}
DRIFT_COLOURS = {"domain": [False, True], "range": [PALETTE["stable"], PALETTE["drifted"]]}


def check_small(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Return ``frame`` unchanged if it is small enough to embed; otherwise raise with the fix."""
    if len(frame) > MAX_CHART_ROWS:
        raise ValueError(
            f"{what} chart got {len(frame):,} rows (limit {MAX_CHART_ROWS:,}); charts are drawn from "
            "aggregated result frames: pass the result object, not raw data"
        )
    return frame


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def window_axis(order, **kwargs):
    """An x axis over windows that prints short labels ('W19', '05-06') while the data, tooltips and
    selections keep the full labels; many windows thin their labels rather than overlap.

    >>> window_axis(["2026-05-04", "2026-05-11"]).to_dict()["labelExpr"]
    '({"2026-05-04": "W19", "2026-05-11": "W20"})[datum.label] || datum.label'
    >>> "labelExpr" in window_axis(["2026-01", "2026-02"]).to_dict()     # ISO week or month? left as is
    False
    """
    import altair as alt

    from ..windows import axis_label_expr

    order = [str(x) for x in order]
    kwargs.setdefault("labelAngle", -45)
    kwargs.setdefault("labelOverlap", True)
    # only dated labels ('2013-05-06') are shortened: a 'YYYY-NN' label may be an ISO week (a batch
    # folder 'week=2026-05') or a month, and the label alone cannot tell which, so it stays as it is
    if order and all(_DAY.match(x) for x in order):
        kwargs["labelExpr"] = axis_label_expr(order)
    return alt.Axis(**kwargs)


def themed(chart, title: str | None = None, width: int = 520, height: int = 260):
    """Apply the shared size, font and title style to an Altair chart (returns a copy)."""
    import altair as alt

    # concatenated and faceted charts size their parts; a top-level width would only fail at render time
    composite = isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart, alt.FacetChart))
    props = {} if composite else {"width": width, "height": height}
    if title:
        props["title"] = title
    if props:
        chart = chart.properties(**props)
    return (
        chart.configure_axis(labelFontSize=11, titleFontSize=12, grid=True, gridOpacity=0.4)
        .configure_title(fontSize=14, anchor="start", fontWeight="normal")
        .configure_legend(labelFontSize=11, titleFontSize=12)
        .configure_view(stroke=None)
    )
