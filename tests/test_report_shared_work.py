"""Work several templates of a report run ask for is done once per model state (toolkit/_diskcache.py):
the frames (baseline, production windows, the label join) in a report run's processes, and the drift over
time and the schema history wherever they are asked for. A second ModelConfig (as another template's kernel
would load) reads them instead of computing them; outside a report run no frame is written to disk."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit import _diskcache


@pytest.fixture()
def model(hive_model):
    return hive_model / "model.yaml"


def _results(kind: str) -> list:
    folder = _diskcache.cache_dir() / "results"
    return sorted(folder.glob(f"{kind}-*.pkl")) if folder.is_dir() else []


def _forbid(monkeypatch, target, name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} computed again: it should have been loaded from the disk cache")
    monkeypatch.setattr(target, name, fail)


def test_a_report_runs_processes_read_the_frames_and_the_join_once(model, monkeypatch):
    monkeypatch.setenv("TOOLKIT_REPORT_KERNEL", "1")
    first = tk.ModelConfig.load(model)
    joined, _ = first.labelled
    reference = first.reference
    assert len(_results("frames")) == 3          # baseline, production windows, the label join
    from toolkit import config as config_module
    from toolkit.outcomes import setup

    _forbid(monkeypatch, setup, "label_production")
    _forbid(monkeypatch, config_module.ModelConfig, "_cut_windows")
    second = tk.ModelConfig.load(model)          # another kernel of the same run
    pd.testing.assert_frame_equal(second.labelled.joined, joined)
    pd.testing.assert_frame_equal(second.reference, reference)
    assert list(second.batches) == list(first.batches) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    pd.testing.assert_frame_equal(second.production_frame, first.production_frame)


def test_an_analysts_own_session_writes_no_frame_to_disk(model, monkeypatch):
    monkeypatch.delenv("TOOLKIT_REPORT_KERNEL", raising=False)
    cfg = tk.ModelConfig.load(model)
    assert cfg.labelled.has_labels and len(cfg.batches) == 4
    assert _results("frames") == []


def test_drift_over_time_and_the_schema_history_are_computed_once_per_call(model, monkeypatch):
    first = tk.ModelConfig.load(model)
    over_time = first.drift_over_time(alpha=0.05)     # the default: the same call as no alpha
    history = first.schema_history()
    strict = first.drift_over_time(alpha=0.001)        # another call: its own result
    assert len(_results("drift-over-time")) == 2 and len(_results("schema-history")) == 1
    assert strict.to_frame()["drifted"].sum() <= over_time.to_frame()["drifted"].sum()

    from toolkit import drift
    from toolkit.schema import Contract

    _forbid(monkeypatch, drift, "drift_over_time")
    _forbid(monkeypatch, Contract, "validate_windows")
    second = tk.ModelConfig.load(model)
    pd.testing.assert_frame_equal(second.drift_over_time().to_frame(), over_time.to_frame())
    pd.testing.assert_frame_equal(second.schema_history().to_frame(), history.to_frame())
    # the verdict reads the same shared results: nothing computed again for it either
    report = tk.health(model)
    assert {"drift", "schema"} <= set(report.to_frame()["cause"])


def test_drift_over_time_under_pandas_reports_a_column_absent_from_one_batch(model):
    folder = model.parent / "production" / "week=2026-02" / "part-0.parquet"
    pd.read_parquet(folder).drop(columns="x").to_parquet(folder)
    frame = tk.ModelConfig.load(model).drift_over_time().to_frame()
    row = frame[(frame["window"] == "2026-02") & (frame["column"] == "x")].iloc[0]
    assert row["method"] == "absent" and "missing from current" in row["note"]
    other = frame[(frame["window"] == "2026-03") & (frame["column"] == "x")].iloc[0]
    assert other["method"] == "ks" and row["window_rows"] == 800
