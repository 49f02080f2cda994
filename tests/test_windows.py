"""toolkit.windows: the one owner of windowing (forms, time zones, labels, completeness, guards)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit import windows as W
from toolkit.config import ModelConfig


def _hourly(start, days, tz, seed=0):
    """Hourly rows over ``days`` local days (a DST day has 23 or 25 hours)."""
    rng = np.random.default_rng(seed)
    t = pd.date_range(start, pd.Timestamp(start) + pd.Timedelta(days=days), freq="h", tz=tz, inclusive="left")
    periods = len(t)
    # jitter inside the hour so window edges are exercised, rows keep a unique id
    t = t + pd.to_timedelta(rng.integers(0, 3600, periods), unit="s")
    return pd.DataFrame({"rid": np.arange(periods), "t": t, "x": rng.normal(size=periods)})


# -- time zones: local periods, in memory and from Parquet ----------------------------------------
@pytest.mark.parametrize("by", ["W", "D"])
def test_memory_and_parquet_give_identical_windows_for_tz_aware_data(tmp_path, by):
    frame = _hourly("2026-03-02", 42, "Europe/Paris")          # 6 local weeks, across DST (03-29)
    path = tmp_path / "prod.parquet"
    frame.to_parquet(path)
    memory = {w.label: sorted(w.frame["rid"]) for w in W.split(frame, by=by, timestamp="t")}
    assert sum(map(len, memory.values())) == len(frame)
    assert len(memory) == (6 if by == "W" else 42)                        # local weeks / days: no spurious window

    # the exact expression the engines group by, row by row, in DuckDB
    from toolkit.engines._source import open_source
    from toolkit.engines._windows import source_timezone, window_spec

    with open_source(str(path), "duckdb") as src:
        spec = source_timezone(src, window_spec(by, src.columns, "t"))
        assert spec.tz == "Europe/Paris"
        rows = src.run(f"SELECT rid, {spec.sql(src.dialect)} AS w FROM {src.name}", progress=False)
    from_sql = {}
    for rid, w in zip(rows["rid"], rows["w"]):
        from_sql.setdefault(spec.label(w), []).append(int(rid))
    assert {k: sorted(v) for k, v in from_sql.items()} == memory

    # and the public engine path: same labels, same row counts, same rows (sum of ids)
    prof = tk.engines.profile_windows(str(path), window=by, timestamp="t", columns=["rid"], progress=False)
    assert list(prof) == list(memory)
    assert [p.n_rows for p in prof.values()] == [len(v) for v in memory.values()]
    if by == "W":   # and drift over time, from memory and from the file, sees the same windows
        ref = frame.iloc[:300][["x"]]
        rows = [tk.drift_over_time(ref, src, by=by, timestamp="t", columns=["x"]).to_frame()
                .drop_duplicates("window").set_index("window")["window_rows"].to_dict() for src in (frame, str(path))]
        assert rows[0] == rows[1] == {k: len(v) for k, v in memory.items()}


def test_daily_windows_are_local_days_across_dst():
    frame = _hourly("2026-03-05", 6, "America/Chicago")                   # DST starts 2026-03-08
    frame["t"] = frame["t"].dt.floor("h")
    wins = W.split(frame, by="D", timestamp="t")
    assert [w.label for w in wins][:4] == ["2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"]
    for w in wins:   # every row of a window is on that local date
        assert (w.frame["t"].dt.strftime("%Y-%m-%d") == w.label).all()
    n = {w.label: w.n_rows for w in wins}
    assert n["2026-03-07"] == 24 and n["2026-03-08"] == 23                 # the short local day
    # the same instants as UTC give UTC days: the zone is the data's own unless asked otherwise
    utc = W.split(frame.assign(t=frame["t"].dt.tz_convert("UTC")), by="D", timestamp="t")
    assert utc[0].label == "2026-03-05" and utc[0].n_rows == 18            # 06:00 UTC onwards
    chicago = W.split(frame.assign(t=frame["t"].dt.tz_convert("UTC")), by="D", timestamp="t", tz="America/Chicago")
    assert [w.n_rows for w in chicago] == [w.n_rows for w in wins]


def test_model_config_cuts_local_days_from_hive_partitions(tmp_path):
    frame = _hourly("2026-03-06", 4, "America/Chicago")
    for day, part in frame.groupby(frame["t"].dt.strftime("%Y-%m-%d")):
        (tmp_path / "prod" / f"day={day}").mkdir(parents=True)
        part.to_parquet(tmp_path / "prod" / f"day={day}" / "part-0.parquet")
    spec = tk.ModelSpec(features=["x"], timestamp="t")
    cfg = ModelConfig(name="m", baseline="prod", production="prod", spec=spec, window="D", root=tmp_path)
    assert cfg.windows == ["2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09"]
    assert [len(cfg.window_frame(w)) for w in cfg.windows] == [24, 24, 23, 24]   # 03-08 is 23 h long locally
    assert "day" not in cfg.window_frame("2026-03-08") and "batch" not in cfg.window_frame("2026-03-08")


# -- partitions whose columns differ --------------------------------------------------------------
def test_hive_partitions_with_different_columns_are_validated_one_by_one(tmp_path):
    rng = np.random.default_rng(3)
    days = pd.date_range("2026-04-01", periods=5, freq="D", tz="America/Chicago")
    reference = pd.DataFrame({"t": days[0] - pd.to_timedelta(rng.integers(1, 86_400 * 30, 600), unit="s"),
                              "income": rng.integers(20_000, 90_000, 600), "age": rng.integers(18, 80, 600)})
    for i, day in enumerate(days):
        n = 120
        part = pd.DataFrame({"t": day + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"),
                             "income": rng.integers(20_000, 90_000, n), "age": rng.integers(18, 80, n)})
        if i == 3:   # upstream renamed income and started sending formatted text
            part = part.rename(columns={"income": "annual_income"})
            part["annual_income"] = [f"{v:,}" for v in part["annual_income"]]
        folder = tmp_path / "prod" / f"day={day:%Y-%m-%d}"
        folder.mkdir(parents=True)
        part.to_parquet(folder / "part-0.parquet")
    reference.to_parquet(tmp_path / "base.parquet")
    spec = tk.ModelSpec(features=["income", "age"], timestamp="t")
    cfg = ModelConfig(name="m", baseline="base.parquet", production="prod", spec=spec, window="D", root=tmp_path)
    contract = tk.infer_contract(reference, spec=spec)
    assert len(cfg.windows) == 5
    for label in cfg.windows:
        window = cfg.window_frame(label)
        alone = pd.read_parquet(tmp_path / "prod" / f"day={label}" / "part-0.parquet")
        assert list(window.columns) == list(alone.columns)                 # its own columns, nothing added
        assert window.dtypes.equals(alone.dtypes)                          # income stays integer
        got, want = contract.validate(window).failures, contract.validate(alone).failures
        assert got[["column", "check"]].values.tolist() == want[["column", "check"]].values.tolist()
    broken = contract.validate(cfg.window_frame("2026-04-04"))
    assert ["income", "suspected_rename"] in broken.failures[["column", "check"]].values.tolist()
    assert any("annual_income" in str(f) for f in broken.suggested_fixes)
    assert contract.validate(cfg.window_frame("2026-04-02")).failures.empty


# -- partial windows and the default window ------------------------------------------------------
def test_partial_last_week_is_skipped_by_default_and_named():
    t = pd.date_range("2026-01-05", "2026-02-03 23:00", freq="h")           # 4 full weeks + Mon-Tue
    frame = pd.DataFrame({"t": t, "x": 1.0})
    table = W.window_table(frame, "W", timestamp="t")
    assert table["complete"].tolist() == [True, True, True, True, False]
    assert "partial" in table["reason"].iloc[-1]
    choice = W.choose_window(table)
    assert choice.label == "2026-01-26" and choice.skipped == ["2026-02-02"] and "2026-02-02" in choice.note
    # asking for the partial window explicitly is allowed, and says it is incomplete
    asked = W.choose_window(table, "2026-02-03")
    assert asked.label == "2026-02-02" and not asked.complete and "incomplete" in asked.note


def test_business_hours_logging_is_not_partial_but_a_short_last_day_is():
    # every day is logged 09:00-15:00 only: the last day covers what every other day covers
    days = pd.date_range("2026-03-02", periods=10, freq="D", tz="America/Chicago")
    t = pd.DatetimeIndex(np.concatenate([pd.date_range(d + pd.Timedelta(hours=9), d + pd.Timedelta(hours=15),
                                                        freq="5min") for d in days]))
    frame = pd.DataFrame({"t": t})
    table = W.window_table(frame, "D", timestamp="t")
    assert table["complete"].all(), table[["window", "reason"]]
    # the same data cut off at 11:00 on the last day is partial (2 of the usual 6 hours)
    short = frame[frame["t"] < days[-1] + pd.Timedelta(hours=11)]
    table = W.window_table(short, "D", timestamp="t")
    assert table["complete"].tolist() == [True] * 9 + [False]
    assert "partial" in table["reason"].iloc[-1]


def test_a_thin_window_is_incomplete_by_row_count_and_full_edges_are_complete():
    t = pd.date_range("2026-01-05", "2026-02-01 23:00", freq="h")           # exactly 4 weeks
    frame = pd.DataFrame({"t": t})
    thin = frame[(frame["t"] < "2026-01-12") | (frame["t"] >= "2026-01-19") | (frame.index % 10 == 0)]
    table = W.window_table(thin, "W", timestamp="t")
    assert table["complete"].tolist() == [True, False, True, True]
    assert "rows" in table["reason"].iloc[1]
    # daily timestamps at midnight cover a whole week (the last stamp stands for its day)
    daily = pd.DataFrame({"t": pd.date_range("2026-01-05", "2026-01-25", freq="D")})
    assert W.window_table(daily, "W", timestamp="t")["complete"].all()
    # batches: the last one spans 2 of the usual 7 days
    batches = {f"2026-{i:02d}": pd.DataFrame({"t": pd.date_range(f"2026-01-{5 + 7 * i:02d}", freq="h",
                                                                     periods=(7 if i < 3 else 2) * 24)})
               for i in range(4)}
    assert W.batch_table(batches, "t")["complete"].tolist() == [True, True, True, False]


def test_config_default_window_is_the_latest_complete(tmp_path):
    t = pd.date_range("2026-01-05", "2026-02-03 23:00", freq="h", tz="UTC")
    frame = pd.DataFrame({"t": t, "x": np.arange(len(t), dtype=float)})
    frame.to_parquet(tmp_path / "p.parquet")
    cfg = ModelConfig(name="m", baseline="p.parquet", production="p.parquet",
                      spec=tk.ModelSpec(features=["x"], timestamp="t"), window="W", root=tmp_path)
    assert cfg.windows[-1] == "2026-02-02" and cfg.default_window == "2026-01-26"
    assert cfg.window_frame().equals(cfg.window_frame("2026-01-26"))
    assert cfg.window_frame("2026-W05").equals(cfg.window_frame("2026-01-28"))
    assert "skipped 2026-02-02" in cfg.choose_window().note


# -- labels people can type, short labels ---------------------------------------------------------
def test_labels_people_can_type():
    frame = pd.DataFrame({"t": pd.date_range("2013-04-29", "2013-05-19", freq="D")})
    table = W.window_table(frame, "W", timestamp="t")
    for typed in ("2013-05-06", "2013-05-08", "2013-05-12 23:00", "2013-W19", "2013W19", "2013-05-06/2013-05-12"):
        assert W.find_window(typed, table) == "2013-05-06", typed
    with pytest.raises(KeyError, match="2013-06-30.*available"):
        W.find_window("2013-06-30", table)
    months = W.window_table(pd.DataFrame({"t": pd.date_range("2026-01-01", periods=90, freq="D")}), "M", timestamp="t")
    assert months["window"].tolist() == ["2026-01", "2026-02", "2026-03"]
    assert W.find_window("2026-02-14", months) == "2026-02"


def test_short_labels_are_short_and_unique():
    weeks = [str(d.date()) for d in pd.date_range("2025-12-01", periods=40, freq="W-MON")]
    short = W.short_labels(weeks)
    assert short[0] == "25-W49" and short[-1] == "26-W36" and len(set(short)) == 40
    assert W.short_labels(["2026-05-04", "2026-05-11"]) == ["W19", "W20"]
    assert W.short_labels(["2026-05-06", "2026-05-07"]) == ["05-06", "05-07"]
    assert W.short_labels(["2026-01", "2026-02"]) == ["Jan", "Feb"]
    assert W.short_labels(["a", "b"]) == ["a", "b"]


# -- guards and missing values ---------------------------------------------------------------------
def test_a_stray_timestamp_cannot_make_thousands_of_windows():
    t = pd.date_range("2026-01-01", periods=60, freq="D").tolist() + [pd.Timestamp("2016-01-01")]
    frame = pd.DataFrame({"t": t})
    stray = r"3,7\d\d windows.*2016-01-01.*1 row\(s\) lie at or before 2016-01-01.*>= '2026-01-01'.*coarser"
    with pytest.raises(W.WindowCountError, match=stray):
        W.split(frame, by="D", timestamp="t")
    with pytest.raises(W.WindowCountError, match="max_windows"):
        tk.drift_over_time(frame.assign(x=1.0), frame.assign(x=1.0), by="D", timestamp="t")
    assert len(W.split(frame, by="D", timestamp="t", max_windows=None)) > 3650
    with pytest.raises(W.WindowCountError, match="coarser"):
        W.split(pd.DataFrame({"k": np.arange(2000)}), by="k")


def test_rows_without_a_window_value_are_kept_and_reported():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"batch": ["a"] * 300 + [None] * 40 + ["b"] * 300, "x": rng.normal(size=640)})
    wins = W.split(frame, by="batch")
    assert [(w.label, w.n_rows) for w in wins] == [("a", 300), ("b", 300), ("(missing batch)", 40)]
    assert not wins[-1].complete
    result = tk.drift_over_time(frame[["x"]].iloc[:300], frame, by="batch")
    per_window = result.to_frame().drop_duplicates("window").set_index("window")["window_rows"]
    assert per_window.to_dict() == {"a": 300, "b": 300, "(missing batch)": 40}
    assert any("40 rows have no 'batch'" in n for n in result.notes)
    t = pd.Series(pd.date_range("2026-01-05", periods=14, freq="D")).astype(object)
    t[3] = None
    wins = W.split(pd.DataFrame({"t": t}), by="W", timestamp="t")
    assert [w.n_rows for w in wins] == [6, 7, 1] and wins[-1].label == "(missing t)"


def test_one_labelling_across_split_performance_and_engines():
    from toolkit.engines._windows import frame_windows, window_spec
    from toolkit.outcomes.measure import assign_windows

    frame = pd.DataFrame({"t": pd.date_range("2026-01-01", periods=70, freq="D", tz="Europe/Paris")})
    for by in ("W", "M", "D"):
        split_labels = [w.label for w in W.split(frame, by=by, timestamp="t")]
        perf_labels = assign_windows(frame, by, "t")[1]["window"].tolist()
        engine_labels = [label for label, _, _ in frame_windows(frame, window_spec(by, frame.columns, "t"))]
        assert split_labels == perf_labels == engine_labels, by


def test_forms_and_errors():
    assert W.WindowSpec.parse("week", timestamp="t").freq == "W"
    assert W.WindowSpec.parse("n=3").kind == "count" and W.WindowSpec.parse(7).size == 7
    assert W.WindowSpec.parse("batch", columns=["batch"]).kind == "column"
    assert W.WindowSpec.parse("batch", has_files=True).kind == "file"
    with pytest.raises(ValueError, match="needs a 'batch' column"):
        W.WindowSpec.parse("batch", columns=["x"])
    with pytest.raises(ValueError, match="neither a column"):
        W.WindowSpec.parse("fortnight", columns=["x"], timestamp="t")
    with pytest.raises(ValueError, match="time zone 'Mars/Olympus'"):
        W.WindowSpec.parse("D", timestamp="t", tz="Mars/Olympus")
    with pytest.raises(ValueError, match="cannot be computed in SQL"):
        from toolkit.engines._sql import DUCKDB

        W.WindowSpec.parse("2W", timestamp="t").sql(DUCKDB)


def test_engine_path_guards_the_window_count_too(tmp_path):
    t = pd.date_range("2026-01-01", periods=60, freq="D").tolist() + [pd.Timestamp("2016-01-01")]
    pd.DataFrame({"t": t, "x": np.arange(61.0)}).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(W.WindowCountError, match=r"3,7\d\d windows.*2016-01-01.*coarser"):
        tk.engines.profile_windows(str(tmp_path / "p.parquet"), window="D", timestamp="t", columns=["x"],
                                   progress=False)


def test_quiet_weekends_are_not_incomplete_but_a_thin_last_day_is():
    rng = np.random.default_rng(5)
    days = pd.date_range("2026-01-05", periods=28, freq="D")
    per_day = np.where(days.day_of_week >= 5, 60, 200)                        # weekends carry 30% of a weekday
    per_day[-1] = 20                                                        # the last day (a Sunday) is thin
    t = np.concatenate([d + pd.to_timedelta(np.sort(rng.integers(0, 86_400, n)), unit="s")
                        for d, n in zip(days, per_day)])
    table = W.window_table(pd.DataFrame({"t": t}), "D", timestamp="t")
    assert table["complete"].iloc[:-1].all()                                # full weekends are complete
    assert not table["complete"].iloc[-1] and "typical 60 of Sunday" in table["reason"].iloc[-1]


def test_axis_label_expr_draws_short_labels_in_vega():
    alt = pytest.importorskip("altair")
    vlc = pytest.importorskip("vl_convert")
    import re

    labels = [str(d.date()) for d in pd.date_range("2026-01-05", periods=40, freq="W-MON")]
    chart = alt.Chart(pd.DataFrame({"window": labels, "v": range(40)})).mark_line().encode(
        x=alt.X("window:O", sort=labels, axis=alt.Axis(labelExpr=W.axis_label_expr(labels))), y="v:Q")
    drawn = re.findall(r">(W\d\d|\d{4}-\d\d-\d\d)</text>", vlc.vegalite_to_svg(chart.to_json()))
    assert drawn[:3] == ["W02", "W03", "W04"] and not any(d.startswith("2026-") for d in drawn)
