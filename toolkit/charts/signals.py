"""Per-window drift signals of chosen features: severity, missing share and out-of-range share."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ._theme import PALETTE, check_small, themed, window_axis

__all__ = ["signals_over_time", "signals_frame"]

_SIGNALS = {"severity (statistic / threshold)": "severity", "missing share": "missing_share_cur",
            "out-of-range share": "out_of_range_share", "unseen share": "unseen_share"}


def signals_frame(over_time, columns: list[str] | None = None) -> pd.DataFrame:
    """Long frame: column, window, signal, value, drifted (from ``DriftOverTime.to_frame()``)."""
    frame = over_time.to_frame()
    if columns:
        frame = frame[frame["column"].isin(columns)]
    parts = [frame.assign(signal=name, value=frame[col].astype(float))[["column", "window", "signal", "value", "drifted"]]
             for name, col in _SIGNALS.items() if col in frame]
    return pd.concat(parts, ignore_index=True).dropna(subset=["value"])


def signals_over_time(over_time, columns: list[str] | None = None):
    """One panel per signal, windows across, with a feature dropdown that works without a kernel.

    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=3000)})
    >>> cur = pd.DataFrame({"x": rng.normal(size=3000), "w": np.repeat(["a", "b", "c"], 1000)})
    >>> chart = signals_over_time(tk.drift_over_time(ref, cur, by="w"))
    >>> chart.to_dict()["params"][0]["bind"]["input"]
    'select'
    """
    data = check_small(signals_frame(over_time, columns), "signals over time")
    present = set(data["column"])
    if columns:   # the caller's order (a drift ranking): the dropdown starts on the most severe
        names = [c for c in dict.fromkeys(columns) if c in present]
    else:         # most severe over the windows first
        names = data[data["signal"] == next(iter(_SIGNALS))].groupby("column")["value"].max() \
            .sort_values(ascending=False, kind="stable").index.tolist()
        names += [c for c in dict.fromkeys(data["column"]) if c not in set(names)]
    feature = alt.param(name="feature", value=names[0], bind=alt.binding_select(options=names, name="feature "))
    chart = alt.Chart(data).mark_line(point=True, color=PALETTE["current"]).encode(
        x=alt.X("window:O", title="window", sort=list(dict.fromkeys(data["window"])),
              axis=window_axis(list(dict.fromkeys(data["window"])))),
        y=alt.Y("value:Q", title=None),
        tooltip=[alt.Tooltip("column:N"), alt.Tooltip("window:O"), alt.Tooltip("signal:N"),
                 alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("drifted:N")],
    ).properties(width=560, height=110).facet(
        row=alt.Row("signal:N", title=None, sort=list(_SIGNALS)),
    ).resolve_scale(y="independent").add_params(feature).transform_filter(alt.datum.column == feature)
    return themed(chart, "Drift signals per window (pick a feature)")
