"""Drift charts, drawn from aggregated frames only (report rows, profile bin counts).

* :func:`drift_summary` -- severity (signal / threshold) per column, drifted in red;
* :func:`drift_heatmap` -- window x column severity over time;
* :func:`distribution` -- one feature, reference vs current, from the profiles;
* :func:`distribution_selector` -- every feature in one chart with a dropdown (a Vega parameter
  bound to ``binding_select``), so a static HTML report can switch feature without a kernel;
* :func:`separation_chart` -- features that separate the windows (domain classifier).

Examples
--------
>>> import numpy as np, pandas as pd
>>> import toolkit as tk
>>> rng = np.random.default_rng(0)
>>> ref = pd.DataFrame({"x": rng.normal(size=2000), "plan": rng.choice(["a", "b"], 2000)})
>>> cur = pd.DataFrame({"x": rng.normal(0.3, size=2000), "plan": rng.choice(["a", "c"], 2000)})
>>> report = tk.compare(ref, cur)
>>> spec = distribution_selector(report).to_dict()
>>> spec["params"][0]["bind"]["input"]
'select'
>>> frame = distribution_frame(report, "plan")
>>> sorted(frame.loc[frame["new"], "bin"].unique())
['c (new)']
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._theme import MAX_CHART_ROWS, PALETTE, check_small, themed, window_axis

__all__ = [
    "drift_summary", "drift_heatmap", "distribution", "distribution_frame", "distribution_selector",
    "separation_chart", "SEVERITY_CAP",
]

#: Severities above this are drawn at the cap (the tooltip keeps the real value).
SEVERITY_CAP = 10.0
_WINDOW_DOMAIN = ["reference", "current"]
_WINDOW_RANGE = [PALETTE["reference"], PALETTE["current"]]


def _alt():
    import altair as alt

    return alt


def _capped(values: pd.Series, cap: float = SEVERITY_CAP) -> pd.Series:
    return values.astype("float64").clip(upper=cap).fillna(0.0)


# ------------------------------------------------------------------------------------------------
# summary bar chart
# ------------------------------------------------------------------------------------------------
def summary_frame(report, top: int = 25) -> pd.DataFrame:
    """Rows of the summary chart: one per column (top ``top`` by rank)."""
    f = report.to_frame().head(top)
    out = pd.DataFrame({
        "column": f["column"], "kind": f["kind"], "method": f["method"], "statistic": f["statistic"],
        "threshold": f["threshold"], "severity": f["severity"].replace(math.inf, np.nan),
        "severity_shown": _capped(f["severity"].replace(math.inf, SEVERITY_CAP)),
        "drifted": f["drifted"], "signals": f["signals"].replace("", "-"), "p_value": f["p_value"],
        "note": f["note"].fillna("").str.slice(0, 160),
    })
    out["rank"] = np.arange(len(out))
    return check_small(out, "drift summary")


def drift_summary(report, top: int = 25):
    """Horizontal bars: severity = signal / threshold per column (1 = the threshold), drifted in red."""
    alt = _alt()
    data = summary_frame(report, top)
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        x=alt.X("severity_shown:Q", title=f"severity (signal / threshold, capped at {SEVERITY_CAP:g})"),
        y=alt.Y("column:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None),
        color=alt.Color("drifted:N", scale=alt.Scale(domain=[False, True], range=[PALETTE["stable"], PALETTE["drifted"]]),
                        legend=alt.Legend(title="drifted")),
        tooltip=[alt.Tooltip("column:N"), alt.Tooltip("kind:N"), alt.Tooltip("method:N"),
                 alt.Tooltip("statistic:Q", format=".4g"), alt.Tooltip("threshold:Q", format=".4g"),
                 alt.Tooltip("severity:Q", format=".3g"), alt.Tooltip("signals:N"),
                 alt.Tooltip("p_value:Q", format=".3g"), alt.Tooltip("note:N")],
    )
    rule = alt.Chart(pd.DataFrame({"x": [1.0], "label": ["threshold"]})).mark_rule(
        color=PALETTE["truth"], strokeDash=[4, 3]).encode(x="x:Q", tooltip=[alt.Tooltip("label:N")])
    title = "Drift per column" + (f": {report.label}" if getattr(report, "label", None) else "")
    return themed(bars + rule, title, height=max(120, 18 * len(data)))


# ------------------------------------------------------------------------------------------------
# heatmap over time
# ------------------------------------------------------------------------------------------------
def heatmap_frame(over_time, columns: list[str] | None = None) -> pd.DataFrame:
    """Rows of the heatmap: one per (window, column)."""
    f = over_time.to_frame()
    if columns is not None:
        f = f[f["column"].isin(columns)]
    out = pd.DataFrame({
        "window": f["window"].astype(str), "column": f["column"], "statistic": f["statistic"],
        "threshold": f["threshold"], "severity": f["severity"].replace(math.inf, np.nan),
        "severity_shown": _capped(f["severity"].replace(math.inf, SEVERITY_CAP)),
        "drifted": f["drifted"], "mark": np.where(f["drifted"], "●", ""),
        "signals": f["signals"].replace("", "-"), "reference": f["reference"],
        "n_cur": f["n_cur"], "note": f["note"].fillna("").str.slice(0, 120),
    })
    return check_small(out.reset_index(drop=True), "drift heatmap")


def drift_heatmap(over_time, columns: list[str] | None = None):
    """Window x column heatmap of severity; a dot marks drifted cells."""
    alt = _alt()
    windows = list(dict.fromkeys(over_time.windows))
    title = f"Drift over time ({over_time.reference_type} reference)"
    if columns is None:
        frame = over_time.to_frame()
        if len(frame) > MAX_CHART_ROWS:  # many windows x many columns: keep the most severe columns
            if len(windows) > MAX_CHART_ROWS:
                raise ValueError(f"{len(windows):,} windows are too many to draw; use coarser windows (by='W' or 'M')")
            worst = frame.groupby("column", sort=False)["severity"].max().sort_values(ascending=False, kind="stable")
            columns = worst.index[: max(1, MAX_CHART_ROWS // len(windows))].tolist()
            title += f", the {len(columns)} most drifted of {len(worst)} columns"
    data = heatmap_frame(over_time, columns)
    order = (data.groupby("column", sort=False)["severity_shown"].max().sort_values(ascending=False, kind="stable")
             .index.tolist())
    tooltip = [alt.Tooltip("window:N"), alt.Tooltip("column:N"), alt.Tooltip("statistic:Q", format=".4g"),
               alt.Tooltip("threshold:Q", format=".4g"), alt.Tooltip("severity:Q", format=".3g"),
               alt.Tooltip("drifted:N"), alt.Tooltip("signals:N"), alt.Tooltip("reference:N"),
               alt.Tooltip("n_cur:Q", title="values in window"), alt.Tooltip("note:N")]
    base = alt.Chart(data).encode(
        x=alt.X("window:O", sort=windows, title=None, axis=window_axis(windows)),
        y=alt.Y("column:N", sort=order, title=None),
        tooltip=tooltip,
    )
    rect = base.mark_rect().encode(
        color=alt.Color("severity_shown:Q", title="severity",
                        scale=alt.Scale(domain=[0, 1, SEVERITY_CAP], range=["#f7f7f7", "#fdd49e", PALETTE["drifted"]])),
    )
    dots = base.mark_text(fontSize=9, color="white").encode(text="mark:N")
    return themed(rect + dots, title, width=max(300, 22 * len(windows)), height=max(120, 18 * len(order)))


# ------------------------------------------------------------------------------------------------
# distributions from profiles
# ------------------------------------------------------------------------------------------------
def _numeric_rows(ref, cur, target_bins: int = 20) -> list[dict]:
    """Regroup the fine profile bins into ~target_bins groups of equal reference mass (plus out-of-range)."""
    rc = ref.counts.astype("float64")
    cc = cur.counts.astype("float64") if cur is not None and cur.counts is not None else np.zeros_like(rc)
    inner = rc[1:-1]
    total = inner.sum()
    before = (np.cumsum(inner) - inner) / total if total > 0 else np.zeros_like(inner)
    groups = np.minimum((before * target_bins).astype(int), target_bins - 1)
    # a bin the reference never saw that holds current rows (a gap between a discrete column's
    # values, see toolkit.profiles.discrete_edges) is shown on its own
    alone = (inner == 0) & (cc[1:-1] > 0)
    if alone.any():
        groups = np.cumsum(np.r_[True, (np.diff(groups) != 0) | alone[1:] | alone[:-1]]) - 1
    _, groups = np.unique(groups, return_inverse=True)
    edges = ref.edges
    rows = []
    n_ref, n_cur = max(rc.sum(), 1.0), max(cc.sum(), 1.0)

    def fmt(v: float) -> str:
        return f"{v:.4g}"

    for label, r, c, lo, hi, order in (
        ["below range", rc[0], cc[0], -math.inf, edges[0], -1],
    ):
        if r or c:
            rows.append(dict(bin=label, lower=lo, upper=hi, order=order, ref=r, cur=c))
    for g in range(int(groups.max()) + 1 if groups.size else 0):
        idx = np.flatnonzero(groups == g)
        held = idx[(inner[idx] > 0) | (cc[1:-1][idx] > 0)]
        idx = held if held.size else idx          # empty gap bins at a group's ends add nothing to say
        lo, hi = edges[idx[0]], edges[idx[-1] + 1]
        label = _bins_label(edges, idx[0], idx[-1], fmt)
        rows.append(dict(bin=label, lower=lo, upper=hi, order=g, ref=inner[idx].sum(), cur=cc[1:-1][idx].sum()))
    if rc[-1] or cc[-1]:
        rows.append(dict(bin="above range", lower=edges[-1], upper=math.inf, order=10_000, ref=rc[-1], cur=cc[-1]))
    for row in rows:
        row["share_ref"], row["share_cur"] = row["ref"] / n_ref, row["cur"] / n_cur
        row["new"] = (row["bin"] in ("below range", "above range") or row["ref"] == 0) and row["cur"] > 0
    return rows


def _bins_label(edges: np.ndarray, i: int, j: int, fmt) -> str:
    """Label of inner bins i..j: "= v" for a point bin, "(v1, v2)" for a gap between point bins, else "lo to hi"."""
    lo, hi = edges[i], edges[j + 1]
    point_last = hi == edges[j] or np.nextafter(edges[j], math.inf) == hi
    if i == j and point_last:
        return f"= {fmt(lo)}"
    after_point = i > 0 and np.nextafter(edges[i - 1], math.inf) == lo
    if not (after_point or point_last):
        return f"{fmt(lo)} to {fmt(hi)}"
    left = f"({fmt(edges[i - 1])}" if after_point else f"[{fmt(lo)}"
    right = f"{fmt(edges[j])}]" if point_last else f"{fmt(hi)})"
    return f"{left}, {right}"


def _categorical_rows(ref, cur, top: int) -> list[dict]:
    rc = ref.categories or {}
    cc = (cur.categories or {}) if cur is not None else {}
    n_ref, n_cur = max(sum(rc.values()), 1), max(sum(cc.values()), 1)
    keys = list(dict.fromkeys(list(rc) + list(cc)))
    weight = {k: max(rc.get(k, 0) / n_ref, cc.get(k, 0) / n_cur) for k in keys}
    shown = sorted(keys, key=lambda k: -weight[k])[:top]
    rows = []
    for i, k in enumerate(shown):
        new = k not in rc
        rows.append(dict(bin=f"{k} (new)" if new else str(k), lower=np.nan, upper=np.nan, order=i,
                         ref=rc.get(k, 0), cur=cc.get(k, 0), new=new))
    rest = [k for k in keys if k not in shown]
    if rest:
        rows.append(dict(bin=f"other ({len(rest)})", lower=np.nan, upper=np.nan, order=len(shown),
                         ref=sum(rc.get(k, 0) for k in rest), cur=sum(cc.get(k, 0) for k in rest),
                         new=any(k not in rc and cc.get(k, 0) for k in rest)))
    for row in rows:
        row["share_ref"], row["share_cur"] = row["ref"] / n_ref, row["cur"] / n_cur
    return rows


def distribution_frame(report, column: str, top: int = 12) -> pd.DataFrame:
    """Tidy shares of one column in both windows: ``column, bin, order, window, count, share, new``."""
    ref_p, cur_p = report.reference_profile, report.current_profile
    if ref_p is None or column not in ref_p:
        raise KeyError(f"report has no reference profile for {column!r}; columns: {list(ref_p or [])[:5]}")
    ref = ref_p[column]
    cur = cur_p[column] if cur_p is not None and column in cur_p else None
    if ref.counts is not None:
        rows = _numeric_rows(ref, cur)
    elif ref.categories is not None:
        rows = _categorical_rows(ref, cur, top)
    else:
        rows = []
    out = []
    for r in rows:
        for window, key in (("reference", "ref"), ("current", "cur")):
            out.append({"column": column, "bin": r["bin"], "order": r["order"], "window": window,
                        "count": float(r[key]), "share": float(r[f"share_{key}"]), "new": bool(r["new"]),
                        "lower": r["lower"], "upper": r["upper"]})
    frame = pd.DataFrame(out, columns=["column", "bin", "order", "window", "count", "share", "new", "lower", "upper"])
    return check_small(frame, "distribution")


def _distribution_chart(data: pd.DataFrame):
    alt = _alt()
    tooltip = [alt.Tooltip("column:N"), alt.Tooltip("bin:N"), alt.Tooltip("window:N"),
               alt.Tooltip("share:Q", format=".2%"), alt.Tooltip("count:Q", format=",.0f"), alt.Tooltip("new:N")]
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("bin:N", sort=alt.EncodingSortField("order", order="ascending"), title=None,
                axis=alt.Axis(labelAngle=-40, labelLimit=120)),
        xOffset=alt.XOffset("window:N", sort=_WINDOW_DOMAIN),
        y=alt.Y("share:Q", title="share of rows", axis=alt.Axis(format="%")),
        color=alt.Color("window:N", scale=alt.Scale(domain=_WINDOW_DOMAIN, range=_WINDOW_RANGE), title=None),
        stroke=alt.condition(alt.datum.new, alt.value(PALETTE["drifted"]), alt.value(None)),
        strokeWidth=alt.condition(alt.datum.new, alt.value(2), alt.value(0)),
        tooltip=tooltip,
    )


def distribution(report, column: str, top: int = 12):
    """Reference vs current shares of one column on shared bins (numeric) or top categories (categorical).

    New categories and values beyond the reference range are outlined in red.
    """
    data = distribution_frame(report, column, top)
    verdict = ""
    try:
        r = report.column(column)
        verdict = f" ({r.method} {r.statistic:.3g} vs threshold {r.threshold:.3g}{', drifted' if r.drifted else ''})"
    except (KeyError, AttributeError, TypeError, ValueError):
        pass
    return themed(_distribution_chart(data), f"{column}: reference vs current{verdict}")


def distribution_selector(report, columns: list[str] | None = None, top: int = 12):
    """Every column's distribution in one chart, with a dropdown to pick the feature.

    The dropdown is a Vega parameter bound to ``binding_select``: it runs in the browser, so the
    chart keeps working in a static HTML report without a Python kernel.
    """
    alt = _alt()
    title = "Reference vs current, per feature (pick one)"
    frames = []
    if columns is None:  # every drawable column in report order (most drifted first), as many as fit
        candidates = [r.column for r in report.results
                      if report.reference_profile is not None and r.column in report.reference_profile
                      and (report.reference_profile[r.column].counts is not None
                           or report.reference_profile[r.column].categories is not None)]
        columns, total = [], 0
        for c in candidates:
            f = distribution_frame(report, c, top)
            if columns and total + len(f) > MAX_CHART_ROWS:
                title += f" - the {len(columns)} most drifted of {len(candidates)} columns"
                break
            frames.append(f)
            columns.append(c)
            total += len(f)
    else:
        frames = [distribution_frame(report, c, top) for c in columns]
    if not columns:
        raise ValueError("no numeric or categorical column with a profile to draw")
    data = check_small(pd.concat(frames, ignore_index=True), "distribution selector")
    feature = alt.param(name="feature", value=columns[0],
                        bind=alt.binding_select(options=list(columns), name="feature "))
    chart = _distribution_chart(data).add_params(feature).transform_filter(alt.datum.column == feature)
    return themed(chart, title)


# ------------------------------------------------------------------------------------------------
# multivariate
# ------------------------------------------------------------------------------------------------
def separation_chart(multivariate, top: int = 15):
    """Features that separate reference from current most (drop in classifier AUC when shuffled)."""
    alt = _alt()
    data = check_small(multivariate.features.head(top).assign(rank=lambda f: np.arange(len(f))), "separation")
    bars = alt.Chart(data).mark_bar(color=PALETTE["current"]).encode(
        x=alt.X("importance:Q", title="drop in domain-classifier AUC when shuffled"),
        y=alt.Y("feature:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None),
        tooltip=[alt.Tooltip("feature:N"), alt.Tooltip("importance:Q", format=".4f"),
                 alt.Tooltip("importance_sd:Q", format=".4f")],
    )
    title = f"What separates the windows (AUC {multivariate.auc:.3f})"
    return themed(bars, title, height=max(120, 18 * len(data)))
