"""Spark runs the same generated SQL as DuckDB and agrees exactly with the pandas path (local[2]).

One SparkSession per test session; the profiles are computed once per module and each test checks
one aspect, so the Spark part of the suite stays well under 90 s. Skips (with the reason) only when
pyspark or Java is missing.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit import engines as E

from conftest import profile_differences as differences

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

DATA = Path(__file__).resolve().parents[1] / "sample_data"
BASELINE = str(DATA / "baseline.parquet")
WEEKS = ["2026-12", "2026-19", "2026-20", "2026-22"]   # new plan, before/at/after the schema break, null spike
FILES = [str(DATA / "production" / f"week={w}" / "part-0.parquet") for w in WEEKS]


# baseline, spec and ref (the demo's) come from conftest.py


@pytest.fixture(scope="module")
def batches() -> dict[str, pd.DataFrame]:
    return {w: pd.read_parquet(f) for w, f in zip(WEEKS, FILES)}


def test_baseline_edges_derived_in_spark_equal_pandas(spark, spec, ref):
    got = E.profile(BASELINE, spec=spec, engine="spark", session=spark, progress=False)
    assert differences(ref, got) == []
    assert all(np.array_equal(ref.edges[c], got.edges[c]) for c in ref.edges)


def test_weekly_partitions_in_spark_agree_with_pandas(spark, spec, ref, batches):
    weekly = E.profile_windows(FILES, ref, spec, window="week", engine="spark", session=spark, progress=False)
    assert list(weekly) == WEEKS
    for week, frame in batches.items():
        assert differences(tk.profile(frame, ref), weekly[week]) == [], week
    assert weekly["2026-20"]["monthly_charges"].absent                      # union by name, column absent
    assert "family" in weekly["2026-12"]["plan"].categories


def test_spark_dataframe_input_and_compare(spark, spec, ref, batches):
    # the user's own read of pandas-written (nanosecond) timestamps needs the flag on their session;
    # the toolkit no longer leaves it set there (see the conf test below)
    spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    frame = spark.read.parquet(FILES[0])
    assert E.engine_of(frame) == "spark"
    report = tk.compare(BASELINE, frame, spec=spec)                          # DuckDB reference, Spark current
    same = tk.compare(ref, tk.profile(batches[WEEKS[0]], ref), spec=spec)
    cols = ["column", "statistic", "threshold", "drifted"]
    pd.testing.assert_frame_equal(report.to_frame()[cols], same.to_frame()[cols])
    assert "plan" in report.drifted                                          # the new 'family' plan


def test_confusion_counts_in_spark(spark, baseline):
    from pyspark.sql import functions as F

    # pandas writes nanosecond timestamps, which Spark reads only as longs
    spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    frame = spark.read.parquet(BASELINE).withColumn("event_time", F.expr("timestamp_micros(div(event_time, 1000))"))
    kw = dict(target="churned", prediction="churn_pred", window="W", timestamp="event_time")
    got = E.confusion_counts(frame, progress=False, **kw)
    want = E.confusion_counts(baseline, **kw)
    pd.testing.assert_frame_equal(got, want)
    assert got["n"].sum() == len(baseline)


def test_spark_case_binning_and_one_scan_shape_agree(spark, spec, ref, batches):
    """The alternatives (nested-CASE binning, the one-scan 'long' statement) give the same profile in Spark."""
    from toolkit.engines import _profiles as P
    from toolkit.engines._source import open_source
    from toolkit.engines._windows import window_spec

    with open_source(FILES[2], engine="spark", session=spark) as src:                 # week 20: schema break
        items = P.plan(src, ref).items
        whole = window_spec(None, src.columns, None)
        for use_lookup, shape in [(False, "union"), (True, "long")]:
            (_, _, got), = P.run_profiles(src, items, whole, use_lookup=use_lookup, shape=shape, progress=False,
                                          cache=False)[0]
            assert differences(tk.profile(batches[WEEKS[2]], ref), got) == [], (use_lookup, shape)


@pytest.mark.parametrize("before", [None, "false"])
def test_reading_nanosecond_parquet_leaves_the_session_conf_as_it_was(spark, before, monkeypatch):
    # issue 15: the nanosecond-timestamp flag is scoped to the read, never left on the user's session
    key = "spark.sql.legacy.parquet.nanosAsLong"
    spark.conf.unset(key)
    if before is not None:
        spark.conf.set(key, before)
    from toolkit.engines._source import open_source

    seen = []  # the conf is not even set for a moment (another thread may be using the session)
    original = type(spark.conf).set
    monkeypatch.setattr(type(spark.conf), "set", lambda self, k, v: (seen.append(k), original(self, k, v))[1])
    src = open_source(BASELINE, engine="spark", session=spark)
    try:
        assert seen == []
        assert spark.conf.get(key, None) == before
        assert src.types["event_time"] == "timestamp"  # still read as a timestamp, not a long
        got = src.run(f"SELECT COUNT(*) AS n, MIN(event_time) AS lo FROM {src.name}", progress=False)
        want = pd.read_parquet(BASELINE, columns=["event_time"])["event_time"]
        assert int(got["n"].iloc[0]) == len(want)
        lo, first = pd.Timestamp(got["lo"].iloc[0]), want.min().floor("us")  # the session's time zone is UTC
        assert (lo.tz_convert(None) if lo.tzinfo else lo) == (first.tz_convert(None) if first.tzinfo else first)
    finally:
        src.close()
    assert spark.conf.get(key, None) == before
    spark.conf.unset(key)


def _sample_config(tmp_path, **keys) -> Path:
    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "notebooks" / "model.yaml").read_text())
    for key in ("baseline", "production", "labels"):
        if data.get(key):
            data[key] = str((Path(__file__).resolve().parents[1] / "notebooks" / data[key]).resolve())
    data.update(keys)
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_model_yaml_spark_uses_the_running_session_as_it_is(spark, tmp_path):
    """issue 15: a running session is used as it is, whatever model.yaml's spark: says, and a run leaves
    every one of its settings as it was (the nanosecond flag included)."""
    settings = {"master": "spark://nowhere:7077", "conf": {"spark.sql.shuffle.partitions": 64}}
    cfg = tk.ModelConfig.load(_sample_config(tmp_path, engine="spark", spark=settings))
    before = dict(spark.conf.getAll)
    assert cfg.spark_session is spark
    assert isinstance(cfg.source("baseline"), type(spark.range(1)))
    report = cfg.compare(WEEKS[0])                                    # files read and profiled on the session
    assert "plan" in report.drifted                                   # the new 'family' plan, as in pandas
    assert dict(spark.conf.getAll) == before
    assert spark.sparkContext.master == "local[2]"
    note = cfg.engine_note
    assert "Engine: spark (spark in model.yaml)" in note
    assert "running session on local[2], used as it is" in note and "apply only when no session runs" in note


def test_model_yaml_spark_starts_a_session_from_its_keys_only_when_none_runs(monkeypatch):
    """Without a running session the builder gets model.yaml's master, app name and conf (bools as
    true/false); with one, no builder is touched (getOrCreate would set the conf on the user's session)."""
    from pyspark.sql import SparkSession

    from toolkit.engines import _source

    calls = []

    class Builder:
        def master(self, url):
            calls.append(("master", url))
            return self

        def appName(self, name):
            calls.append(("app", name))
            return self

        def config(self, key, value):
            calls.append((key, value))
            return self

        def getOrCreate(self):
            return "started"

    monkeypatch.setattr(SparkSession, "builder", Builder())
    monkeypatch.setattr(_source, "existing_session", lambda: None)
    monkeypatch.setattr(_source, "_BUILT", [])
    settings = {"master": "spark://host:7077", "conf": {"spark.executor.memory": "4g", "spark.eventLog.enabled": True,
                                                        "spark.sql.shuffle.partitions": 64}}
    assert _source._active_session(settings) == "started"
    assert calls == [("master", "spark://host:7077"), ("app", "toolkit"), ("spark.executor.memory", "4g"),
                     ("spark.eventLog.enabled", "true"), ("spark.sql.shuffle.partitions", "64")]
    calls.clear()
    assert _source._active_session(None) == "started" and calls == [("master", "local[2]"), ("app", "toolkit")]
    monkeypatch.setattr(_source, "existing_session", lambda: "the user's")
    calls.clear()
    assert _source._active_session(settings) == "the user's" and calls == []
    # a report's note does not start a session to describe it
    note = _source.session_note(None, settings)
    assert "no Spark session started in this process" in note and "spark://host:7077 (model.yaml" in note


@pytest.mark.parametrize("before", [None, "false"])
def test_the_fallback_for_unmapped_types_sets_the_flag_only_for_the_read_and_restores_it(spark, before, monkeypatch):
    """A column type the explicit schema cannot express falls back to Spark's own schema resolution with the
    nanosecond flag set for that moment only; afterwards the session holds exactly what it held before."""
    from toolkit.engines import _source

    key = "spark.sql.legacy.parquet.nanosAsLong"
    spark.conf.unset(key)
    if before is not None:
        spark.conf.set(key, before)
    monkeypatch.setattr(_source, "_spark_schema", lambda files, nanos: None)
    seen = []
    original = type(spark.conf).set
    monkeypatch.setattr(type(spark.conf), "set", lambda self, k, v: (seen.append((k, v)), original(self, k, v))[1])
    frame = _source.spark_read(spark, [BASELINE])
    assert (key, "true") in seen                                   # the fallback did need the flag
    assert spark.conf.get(key, None) == before                     # and put back what was there
    assert dict(frame.dtypes)["event_time"] == "timestamp"
    assert frame.count() == len(pd.read_parquet(BASELINE, columns=["event_time"]))
    spark.conf.unset(key)


def test_model_yaml_spark_batch_windows_drift_and_health_agree_with_duckdb(spark, tmp_path):
    """issue 15: under engine: spark a folder of batches keeps each row's file, so drift over time per batch
    runs in Spark (it raised "by='batch' needs a 'batch' column": Spark had read the files into one frame),
    and the health verdict is DuckDB's."""
    (tmp_path / "spark").mkdir()
    (tmp_path / "duckdb").mkdir()
    in_spark = tk.ModelConfig.load(_sample_config(tmp_path / "spark", engine="spark"))
    in_duckdb = tk.ModelConfig.load(_sample_config(tmp_path / "duckdb", engine="duckdb"))
    assert in_spark.window == "batch"
    a, b = in_spark.drift_over_time().to_frame(), in_duckdb.drift_over_time().to_frame()
    assert a["window"].tolist() == b["window"].tolist() and a["column"].tolist() == b["column"].tolist()
    assert a["drifted"].tolist() == b["drifted"].tolist()
    np.testing.assert_allclose(a["statistic"].astype(float), b["statistic"].astype(float), rtol=1e-9, atol=1e-12)
    verdict = tk.health(in_spark)
    expected = tk.health(in_duckdb)
    assert verdict.window == expected.window and verdict.status == expected.status
    assert verdict.table[["cause", "status", "since"]].equals(expected.table[["cause", "status", "since"]])
