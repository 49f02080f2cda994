"""tk.health's statistics are computed once per model state and shared through the disk cache
(toolkit/_diskcache.py): a second process (here: a cleared in-process cache) loads them, and a changed
data file, config or rule changes the fingerprint, so the statistics are computed again."""
from __future__ import annotations

import os
import time

import pandas as pd
import pytest

import toolkit as tk
from toolkit import _diskcache, model_health


@pytest.fixture()
def model(hive_model):
    return hive_model


def _count_computations(monkeypatch) -> list:
    calls: list = []
    real = model_health._compute
    monkeypatch.setattr(model_health, "_compute", lambda cfg, rules: calls.append(1) or real(cfg, rules))
    return calls


def test_health_is_computed_once_then_loaded_and_recomputed_when_data_changes(model, monkeypatch):
    calls = _count_computations(monkeypatch)
    model_health.clear_cache()
    first = tk.health(model / "model.yaml")
    assert len(calls) == 1
    model_health.clear_cache()   # as a new process (another template's kernel) would start
    again = tk.health(model / "model.yaml")
    assert len(calls) == 1, "the second call must load the stored statistics"
    pd.testing.assert_frame_equal(first.to_frame(), again.to_frame())
    other = tk.health(model / "model.yaml", window="2026-02")     # another window: the stored statistics,
    assert len(calls) == 1 and other.window == "2026-02"           # only the rules run again
    assert first.row("drift")["status"] == "ok"

    # a new file of the latest window with shifted inputs: another fingerprint, computed again, drift found
    time.sleep(0.01)
    part = model / "production" / "week=2026-04" / "part-0.parquet"
    shifted = pd.read_parquet(part)
    shifted["x"] += 1.5
    shifted.to_parquet(part)
    model_health.clear_cache()
    changed = tk.health(model / "model.yaml")
    assert len(calls) == 2
    assert changed.row("drift")["status"] != "ok", changed.to_frame()

    # other rules are another entry too
    tk.health(model / "model.yaml", target_accuracy=0.7)
    assert len(calls) == 3


def test_cache_off_and_fingerprint_covers_config_and_files(model, monkeypatch):
    cfg = tk.ModelConfig.load(model / "model.yaml")
    base = _diskcache.model_fingerprint(cfg)
    assert base == _diskcache.model_fingerprint(tk.ModelConfig.load(model / "model.yaml"))
    assert base != _diskcache.model_fingerprint(cfg, "window 2")
    renamed = tk.ModelConfig.load(model / "model.yaml")
    object.__setattr__(renamed, "name", "another title")
    assert _diskcache.model_fingerprint(renamed) != base
    stamp = (model / "baseline.parquet").stat()
    os.utime(model / "baseline.parquet", ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    assert _diskcache.model_fingerprint(cfg) != base
    # a table source cannot be fingerprinted cheaply: no caching
    table = tk.ModelConfig(name="t", baseline="duckdb:x.db::t", production="production", spec=cfg.spec, root=model)
    assert _diskcache.model_fingerprint(table) is None

    monkeypatch.setenv("TOOLKIT_CACHE", "off")
    calls = _count_computations(monkeypatch)
    model_health.clear_cache()
    tk.health(model / "model.yaml")
    model_health.clear_cache()
    tk.health(model / "model.yaml")
    assert len(calls) == 2


def test_cached_computes_once_and_recovers_from_a_broken_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls: list = []
    assert _diskcache.cached("t", "k1", lambda: calls.append(1) or {"a": 1}) == {"a": 1}
    assert _diskcache.cached("t", "k1", lambda: calls.append(1) or {"a": 2}) == {"a": 1}
    assert len(calls) == 1
    (tmp_path / "toolkit" / "results" / "t-k1.pkl").write_bytes(b"not a pickle")
    assert _diskcache.cached("t", "k1", lambda: calls.append(1) or {"a": 3}) == {"a": 3}
    with pytest.raises(ZeroDivisionError):   # an error stores nothing
        _diskcache.cached("t", "k2", lambda: 1 / 0)
    assert not (tmp_path / "toolkit" / "results" / "t-k2.pkl").exists()


def test_parallel_report_kernels_get_one_thread():
    from jupyter_client.manager import AsyncKernelManager

    from toolkit.reports._run import THREAD_VARIABLES, _kernel_manager

    manager = _kernel_manager({"kernel_threads": 1})["kernel_manager_class"]
    assert issubclass(manager, AsyncKernelManager)
    assert "OMP_NUM_THREADS" in THREAD_VARIABLES
