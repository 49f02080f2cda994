"""Windows and drift over time: periods, row counts, window counts, a batch column, reference types."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.drift.over_time import OVER_TIME_COLUMNS
from toolkit.windows import as_windows, references, split

RNG = np.random.default_rng(9)


def _production(days: int = 42, per_day: int = 300, shift_from: str | None = "2026-01-26", seed: int = 1):
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(rng.uniform(0, days, days * per_day), unit="D")
    frame = pd.DataFrame({"event_time": t, "x": rng.normal(size=t.size),
                          "plan": rng.choice(["a", "b"], t.size, p=[0.6, 0.4])})
    if shift_from:
        frame.loc[frame["event_time"] >= pd.Timestamp(shift_from, tz="UTC"), "x"] += 0.6
    return frame.sample(frac=1, random_state=0).reset_index(drop=True)  # arrival order is not time order


REF = pd.DataFrame({"x": RNG.normal(size=5000), "plan": RNG.choice(["a", "b"], 5000, p=[0.6, 0.4])})


def test_split_by_period_row_count_window_count_and_column():
    prod = _production()
    weeks = split(prod, "W", timestamp="event_time")
    assert [w.label for w in weeks] == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02", "2026-02-09"]
    assert sum(w.n_rows for w in weeks) == len(prod)
    assert all((w.frame["event_time"].dt.tz_localize(None).dt.to_period("W").astype(str).nunique() == 1) for w in weeks)
    days = split(prod, "D", timestamp="event_time")
    assert len(days) == 42 and days[0].label == "2026-01-05"
    by_rows = split(prod, 5000, timestamp="event_time")
    assert [w.n_rows for w in by_rows] == [5000, 5000, 2600]
    assert by_rows[0].end <= by_rows[1].start  # time-ordered
    tenths = split(prod, "n=10")
    assert len(tenths) == 10 and {w.n_rows for w in tenths} <= {1260, 1259, 1266} | {len(prod) - 9 * 1260}
    prod["batch"] = np.where(prod["event_time"] < pd.Timestamp("2026-01-26", tz="UTC"), "b1", "b2")
    assert [(w.label, w.n_rows) for w in split(prod, "batch")] == [
        ("b1", int((prod["batch"] == "b1").sum())), ("b2", int((prod["batch"] == "b2").sum()))]


def test_empty_periods_are_kept_as_gaps():
    prod = _production()
    gap = prod[(prod["event_time"] < pd.Timestamp("2026-01-12", tz="UTC")) | (prod["event_time"] >= pd.Timestamp("2026-01-19", tz="UTC"))]
    weeks = split(gap, "W", timestamp="event_time")
    assert [w.n_rows for w in weeks][1] == 0
    result = tk.drift_over_time(REF, gap, by="W", timestamp="event_time")
    empty = result.to_frame().query("window == '2026-01-12'")
    assert (empty["note"].str.contains("0 rows")).all() and not empty["drifted"].any()


def test_split_errors_name_the_problem():
    prod = _production()
    with pytest.raises(ValueError, match="needs a timestamp"):
        split(prod, "W")
    with pytest.raises(ValueError, match="period alias"):
        split(prod, "fortnightly", timestamp="event_time")
    with pytest.raises(ValueError, match="rows per window"):
        split(prod, 0)
    with pytest.raises(ValueError, match="reference_type must be one of"):
        references(split(prod, "n=3"), "sliding")


def test_reference_types_pair_windows_with_earlier_ones():
    wins = split(_production(), "n=5")
    assert [r for _, r in references(wins, "previous")] == [None, ["1"], ["2"], ["3"], ["4"]]
    assert [r for _, r in references(wins, "expanding")][-1] == ["1", "2", "3", "4"]
    assert [r for _, r in references(wins, "rolling", rolling=2)][-1] == ["3", "4"]
    assert all(r is None for _, r in references(wins, "fixed"))


def test_drift_over_time_fixed_reference_flags_the_shifted_weeks():
    result = tk.drift_over_time(REF, _production(), by="W", timestamp="event_time")
    frame = result.to_frame()
    assert list(frame.columns) == OVER_TIME_COLUMNS
    assert set(frame["column"]) == {"x", "plan"}  # the timestamp is not compared
    assert result.drifted_windows("x") == ["2026-01-26", "2026-02-02", "2026-02-09"]
    assert result.first_drift["x"] == "2026-01-26"
    assert (frame["reference"] == "baseline").all()
    summary = result.summary()
    assert (summary["n_drifted"] >= [0, 0, 0, 1, 1, 1]).all() and summary["n_drifted"].sum() <= 4


def test_previous_reference_sees_only_the_step():
    result = tk.drift_over_time(None, _production(), by="W", timestamp="event_time", reference_type="previous")
    assert result.drifted_windows("x") == ["2026-01-26"]  # the step, then stable again
    assert result.reference_labels[:3] == ("none", "2026-01-05", "2026-01-12")
    with pytest.raises(KeyError, match="no reference"):
        result.report("2026-01-05")
    expanding = tk.drift_over_time(REF, _production(), by="W", timestamp="event_time", reference_type="expanding")
    assert expanding.reference_labels[0] == "baseline" and expanding.reference_labels[-1] == "2026-01-05..2026-02-02"
    assert "2026-01-26" in expanding.drifted_windows("x")


def test_windows_given_as_pairs_or_read_batches_style():
    prod = _production()
    pairs = [(w.label, w.frame) for w in split(prod, "W", timestamp="event_time")]
    from_pairs = tk.drift_over_time(REF, pairs)
    from_dict = tk.drift_over_time(REF, windows=dict(pairs))
    assert from_pairs.windows == from_dict.windows == tuple(l for l, _ in pairs)
    assert from_pairs.to_frame()["drifted"].tolist() == from_dict.to_frame()["drifted"].tolist()
    with pytest.raises(TypeError, match="windows must be"):
        as_windows([1, 2, 3])


def test_thresholds_follow_each_window_size():
    prod = _production()
    result = tk.drift_over_time(REF, prod, by="D", timestamp="event_time", columns=["x"])
    frame = result.to_frame()
    week = tk.drift_over_time(REF, prod, by="W", timestamp="event_time", columns=["x"]).to_frame()
    assert frame["threshold"].min() > week["threshold"].max()  # ~300-row days need bigger effects than weeks
    assert (frame["min_detectable_effect"] > frame["threshold"]).all()


def test_heatmap_is_built_from_the_tidy_frame_and_has_tooltips():
    result = tk.drift_over_time(REF, _production(), by="W", timestamp="event_time")
    chart = result.chart().to_dict()
    rows = sum(len(v) for v in chart["datasets"].values())
    assert rows == len(result.to_frame()) == 12
    assert "tooltip" in str(chart["layer"][0]["encoding"])
    html = result._repr_html_()
    assert "Drift over time" in html and "2026-01-26" in html
    assert repr(result).startswith("DriftOverTime(6 windows, fixed reference")


def test_charts_keep_the_most_drifted_columns_when_everything_would_not_fit(monkeypatch):
    import toolkit.charts.drift as charts

    result = tk.drift_over_time(REF, _production(), by="W", timestamp="event_time")
    monkeypatch.setattr(charts, "MAX_CHART_ROWS", 10)  # 6 windows x 2 columns = 12 rows: one column fits
    spec = result.chart().to_dict()
    rows = [r for v in spec["datasets"].values() for r in v]
    assert {r["column"] for r in rows} == {"x"} and "1 most drifted of 2 columns" in str(spec["title"])
    selector = charts.distribution_selector(result.report("2026-02-02")).to_dict()
    assert selector["params"][0]["bind"]["options"] == ["x"] and "1 most drifted of 2" in str(selector["title"])
