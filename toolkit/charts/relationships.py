"""Chart of feature relationships: mean score and outcome rate per bin, reference vs current."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ._theme import PALETTE, check_small, themed

__all__ = ["relationship_chart"]

_SIDES = {"domain": ["reference", "current"], "range": [PALETTE["reference"], PALETTE["current"]]}


def relationship_chart(frame: pd.DataFrame, title: str = "Score and outcome per feature bin (pick a feature)",
                       outcome: str = "outcome rate", order: list[str] | None = None):
    """Two lines per side: mean score (dashed) and observed outcome rate (solid, with its interval).

    ``outcome`` names what the outcome line holds ("outcome rate", "accuracy", or "mean outcome" for a
    regression, whose axis is then in the target's units, not a percentage). ``order``: the dropdown's
    order, most severe first (it starts on the first)."""
    check_small(frame, "feature relationships")
    # the dropdown and its filter compare text: a tuple name (a flattened MultiIndex) becomes its str, as in drift
    frame = frame.assign(column=frame["column"].map(str))
    present = list(dict.fromkeys(frame["column"]))
    columns = [c for c in dict.fromkeys([*map(str, order or []), *present]) if c in set(present)]
    long = pd.concat([
        frame.assign(measure="mean score", value=frame["mean_score"], lower=float("nan"), upper=float("nan")),
        frame.assign(measure=outcome, value=frame["outcome_rate"], lower=frame["outcome_lower"],
                     upper=frame["outcome_upper"]),
    ], ignore_index=True).dropna(subset=["value"])
    long = long[["column", "bin", "order", "side", "measure", "value", "lower", "upper", "n", "n_labelled"]]
    feature = alt.param(name="feature", value=columns[0], bind=alt.binding_select(options=columns, name="feature "))
    base = alt.Chart(long).transform_filter(alt.datum.column == feature)
    x = alt.X("bin:N", sort=alt.EncodingSortField("order", order="ascending"), title=None,
              axis=alt.Axis(labelAngle=-40, labelLimit=120))
    colour = alt.Color("side:N", scale=alt.Scale(**_SIDES), title=None)
    tooltip = [alt.Tooltip("column:N"), alt.Tooltip("bin:N"), alt.Tooltip("side:N"), alt.Tooltip("measure:N"),
               alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("lower:Q", format=".3f"),
               alt.Tooltip("upper:Q", format=".3f"), alt.Tooltip("n:Q", format=",.0f", title="rows"),
               alt.Tooltip("n_labelled:Q", format=",.0f", title="labelled rows")]
    lines = base.mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title="rate / mean score" if outcome != "mean outcome" else "mean prediction / outcome",
                     axis=alt.Axis(format="%" if outcome != "mean outcome" else ",.3~g")), color=colour,
        strokeDash=alt.StrokeDash("measure:N", title=None, sort=[outcome, "mean score"]), tooltip=tooltip,
    )
    band = base.transform_filter(alt.datum.measure == outcome).mark_errorbar().encode(
        x=x, y=alt.Y("lower:Q"), y2="upper:Q", color=colour, tooltip=tooltip,
    )
    return themed((band + lines).add_params(feature), title)
