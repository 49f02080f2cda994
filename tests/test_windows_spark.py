"""Spark cuts the same local windows as pandas and DuckDB, whatever the session's time zone."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit import windows as W

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.mark.parametrize("session_zone", ["America/New_York"])   # the UTC session is the other tests' default
def test_spark_windows_are_the_data_zone_local_periods(tmp_path, spark, session_zone):
    rng = np.random.default_rng(2)
    t = pd.date_range("2026-03-16", "2026-04-13", freq="h", tz="Europe/Paris", inclusive="left")   # across DST
    frame = pd.DataFrame({"t": t + pd.to_timedelta(rng.integers(0, 3600, len(t)), unit="s"),
                          "x": rng.normal(size=len(t))})
    frame.to_parquet(tmp_path / "p.parquet")
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", session_zone)
    try:
        for by in ("D", "W"):
            memory = {w.label: w.n_rows for w in W.split(frame, by=by, timestamp="t")}
            got = tk.engines.profile_windows(str(tmp_path / "p.parquet"), window=by, timestamp="t", columns=["x"],
                                             engine="spark", session=spark, progress=False)
            assert {k: p.n_rows for k, p in got.items()} == memory, (by, session_zone)
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
