"""Contract checks where the data lives: the same ValidationResult from SQL aggregates as from pandas.

Agreement is asserted on the demo (sample_data/: the week-14 outliers, the week-20 rename to
monthly_charge_usd with "$54.20" text, the week-22 null spike, the new plan) and on a synthetic
batch with every column shape the checks treat differently (integers with nulls, NaN and inf,
booleans, numeric categories, duplicate ids, future and stray timestamps, a lost time zone).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.io import read_batches
from toolkit.schema import CoerceNumeric, Rename

DATA = Path(__file__).resolve().parent.parent / "sample_data"
KEY = ["column", "check", "severity", "failing_count"]
needs_demo = pytest.mark.skipif(not (DATA / "truth.json").exists(), reason="demo data not generated")


def table(result) -> list:
    return result.failures[KEY].values.tolist()


@pytest.fixture(scope="module")
def demo():
    truth = json.loads((DATA / "truth.json").read_text())
    baseline = pd.read_parquet(DATA / "baseline.parquet")
    spec = tk.ModelSpec.infer(baseline, target="churned", score="churn_score", prediction="churn_pred",
                              timestamp="event_time", id="customer_id")
    return tk.infer_contract(baseline, spec), dict(read_batches(DATA / "production")), pd.Timestamp(truth["as_of"])


@needs_demo
def test_every_demo_week_gives_the_same_checks_and_counts_in_duckdb(demo):
    contract, batches, now = demo
    assert len(batches) == len(list((DATA / "production").glob("week=*"))) >= 25
    for week, frame in batches.items():
        mem = contract.validate(frame, now=now)
        sql = contract.validate(DATA / "production" / f"week={week}", now=now)
        assert sql.engine == "duckdb" and mem.engine == "pandas"
        assert table(sql) == table(mem), week
        assert sql.rows == len(frame)
        assert [str(f) for f in sql.suggested_fixes] == [str(f) for f in mem.suggested_fixes], week
        assert np.allclose(sql.summary["null_rate"].to_numpy(float), mem.summary["null_rate"].to_numpy(float),
                           rtol=0, atol=1e-12, equal_nan=True)


@needs_demo
def test_demo_events_are_found_in_the_engine(demo):
    contract, _, now = demo
    w20 = contract.validate(DATA / "production" / "week=2026-20", now=now)
    assert ["monthly_charges", "suspected_rename", "error", 11242] in table(w20)
    rename, coerce = w20.suggested_fixes
    assert isinstance(rename, Rename) and (rename.old, rename.new) == ("monthly_charge_usd", "monthly_charges")
    assert isinstance(coerce, CoerceNumeric) and coerce.parse_rate == 1.0
    w22 = contract.validate(DATA / "production" / "week=2026-22", now=now)
    spike = w22.checks("null_rate")
    assert spike["column"].tolist() == ["days_since_last_login"] and spike["severity"].item() == "error"
    w14 = contract.validate(DATA / "production" / "week=2026-14", now=now).checks("out_of_range")
    assert w14.set_index("column").loc["avg_session_minutes", "severity"] == "warning"


@needs_demo
def test_whole_production_folder_agrees(demo):
    contract, batches, now = demo
    frame = pd.concat(list(batches.values()), ignore_index=True)
    assert table(contract.validate(DATA / "production", now=now)) == table(contract.validate(frame, now=now))


@needs_demo
def test_the_rename_and_coercion_preview_read_a_stated_seeded_sample(demo):
    contract, batches, now = demo
    path = DATA / "production" / "week=2026-20"
    small = contract.validate(path, now=now, sample_rows=500)
    again = contract.validate(path, now=now, sample_rows=500)
    full = contract.validate(batches["2026-20"], now=now)
    assert small.sample_rows == 500 and "seeded sample of 500 rows" in small.headline
    assert table(small) == table(full) == table(again)   # counts come from every row, not the sample
    assert "500 sampled values" in small.checks("dtype_change")["message"].item()
    assert small.suggested_fixes[1].parse_rate == 1.0
    assert contract.validate(path, now=now).sample_rows is None   # 11,242 rows < 20,000: every row read


def _shapes(n: int, seed: int, shift: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    count = rng.integers(0, 50, n).astype("float64")
    ids = [f"c{i}" for i in range(n)]
    t = pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s")
    frame = pd.DataFrame({
        "id": ids, "t": t, "count": count, "x": rng.normal(10, 2, n), "flag": rng.random(n) < 0.3,
        "level": rng.choice([1, 2, 3], n), "plan": rng.choice(["a", "b", "c"], n), "naive": t.tz_localize(None),
    })
    if shift:
        frame.loc[:9, "id"] = frame.loc[10:19, "id"].to_numpy()                  # 10 duplicate ids
        frame.loc[20:49, "count"] = np.nan                                        # ints with nulls read as floats
        frame.loc[50:54, "x"] = [np.inf, -np.inf, 1e6, -1e6, np.nan]
        frame.loc[60:90, "level"] = 7                                              # unseen numeric category
        frame.loc[100:140, "plan"] = "zz"
        frame.loc[150:152, "t"] = pd.Timestamp("2031-01-01", tz="UTC")            # future + stray
        frame["naive"] = frame["naive"].dt.tz_localize("UTC")                       # gained a time zone
    else:
        frame["count"] = frame["count"].astype("int64")
    return frame


@pytest.mark.parametrize("engine", ["duckdb"])
def test_every_column_shape_agrees(tmp_path, engine):
    ref = _shapes(3000, 1, False)
    spec = tk.ModelSpec.infer(ref, id="id", timestamp="t")
    spec = spec.replace(kinds={**spec.kinds, "level": "categorical"})   # numeric category keys
    contract = tk.infer_contract(ref, spec, batch_rows=2000)
    batch = _shapes(2500, 2, True)
    path = tmp_path / "batch.parquet"
    batch.to_parquet(path)
    now = pd.Timestamp("2026-06-01", tz="UTC")
    mem = contract.validate(pd.read_parquet(path), now=now, after="2026-03-02")
    sql = contract.validate(path, now=now, after="2026-03-02", engine=engine)
    assert table(sql) == table(mem)
    checks = set(map(tuple, mem.failures[["column", "check"]].values.tolist()))
    assert {("id", "duplicate_id"), ("count", "dtype_change"), ("x", "out_of_range"), ("level", "unseen_category"),
            ("plan", "unseen_category"), ("t", "timestamp"), ("naive", "timestamp")} <= checks


def test_row_count_sees_the_true_size_of_a_sampled_frame():
    ref = pd.DataFrame({"x": np.arange(1000.0)})
    contract = tk.infer_contract(ref, batch_rows=1_000_000)
    sample = pd.DataFrame({"x": np.arange(1000.0)})
    assert contract.validate(sample).checks("row_count")["failing_count"].tolist() == [1000]
    sample.attrs[tk.schema.contract.ROWS_ATTR] = 1_000_000
    assert contract.validate(sample).checks("row_count").empty


def test_infer_contract_scales_the_usual_size_to_the_whole_baseline():
    t = pd.date_range("2026-01-01", periods=700, freq="h", tz="UTC")
    ref = pd.DataFrame({"t": t, "x": np.arange(700.0)})
    spec = tk.ModelSpec.infer(ref, timestamp="t")
    assert tk.infer_contract(ref, spec).rows.expected == pytest.approx(700 / (699 / 168), rel=1e-3)
    scaled = tk.infer_contract(ref, spec, reference_rows=70_000).rows.expected
    assert scaled == pytest.approx(70_000 / (699 / 168), rel=1e-3)
    with pytest.raises(ValueError, match="reference_rows"):
        tk.infer_contract(ref, spec, reference_rows=10)


@needs_demo
def test_config_under_duckdb_checks_every_row_of_each_window(tmp_path):
    """The known defect: the contract saw the held sample's size and reported 'rows vs usual' on full windows."""
    cfg = tk.ModelConfig.load(Path(__file__).resolve().parent.parent / "notebooks" / "model.yaml")
    import dataclasses

    small = dataclasses.replace(cfg, engine="duckdb", row_budget=2_000, root=cfg.root)
    sources = small.window_sources()
    assert all(isinstance(v, list) for v in sources.values())
    history = small.contract_object.validate_windows(sources, engine="duckdb")
    frame = history.to_frame()
    assert frame[frame["check"] == "row_count"].empty
    assert {r.engine for r in history.results.values()} == {"duckdb"}
    import pyarrow.parquet as pq

    true_rows = {label: sum(pq.ParquetFile(f).metadata.num_rows for f in files) for label, files in sources.items()}
    held = {label: len(frame) for label, frame in small.batches.items()}
    assert all(held[w] < true_rows[w] for w in held)     # the frames are samples ...
    assert {w: r.rows for w, r in history.results.items()} == true_rows   # ... the checks saw every row


def test_bad_inputs_get_clear_errors(tmp_path):
    contract = tk.infer_contract(pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    with pytest.raises(TypeError, match="pandas DataFrame, a Parquet/CSV path"):
        contract.validate(5)
    with pytest.raises(ValueError, match="engine='duckdb' reads files or tables"):
        contract.validate(pd.DataFrame({"x": [1.0]}), engine="duckdb")
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(tk.FileReadError, match="broken.parquet"):
        contract.validate(bad)
    with pytest.raises(FileNotFoundError, match="no .parquet or .csv"):
        contract.validate(tmp_path / "nothing-*.parquet")
    good = tmp_path / "ok.parquet"
    pd.DataFrame({"x": [1.0]}).to_parquet(good)
    with pytest.raises(ValueError, match="sample_rows"):
        contract.validate(good, sample_rows=0)


@needs_demo
@pytest.mark.parametrize("week", ["2026-20"])   # the rename + coercion; one week (Spark is slow)
def test_spark_agrees_on_the_demo_events(demo, spark, week):
    contract, batches, now = demo
    files = [str(f) for f in sorted((DATA / "production" / f"week={week}").glob("*.parquet"))]
    sql = contract.validate(files, now=now, engine="spark")
    assert sql.engine == "spark"
    assert table(sql) == table(contract.validate(batches[week], now=now))


# -- guard on a source: the split written by DuckDB, nothing lost ---------------------------------
@pytest.fixture
def shapes_case(tmp_path):
    ref = _shapes(3000, 1, False)
    spec = tk.ModelSpec.infer(ref, id="id", timestamp="t")
    contract = tk.infer_contract(ref, spec, batch_rows=2000)
    path = tmp_path / "batch.parquet"
    _shapes(2500, 2, True).assign(reason="legal hold").to_parquet(path)
    return contract, path, pd.Timestamp("2026-06-01", tz="UTC")


def test_guard_on_a_source_writes_the_same_split_as_pandas(shapes_case, tmp_path):
    contract, path, now = shapes_case
    mem = tk.guard(pd.read_parquet(path), contract, now=now, max_failure_share=1, strict_columns=False)
    out = tk.guard(path, contract, now=now, max_failure_share=1, strict_columns=False,
                   passed=tmp_path / "passed.parquet", quarantined=tmp_path / "quarantined.parquet")
    passed, quarantined = pd.read_parquet(out.passed_path), pd.read_parquet(out.quarantined_path)
    assert out.n_passed + out.n_quarantined == out.rows == 2500                  # nothing lost
    assert (len(passed), len(quarantined)) == (out.n_passed, out.n_quarantined) == (len(mem.passed), len(mem.quarantined))
    assert set(passed["id"]) == set(mem.passed["id"]) and sorted(quarantined["id"]) == sorted(mem.quarantined["id"])
    assert out.reason_column == mem.reason_column == "quarantine_reason"        # the input's reason column is kept
    assert (quarantined["reason"] == "legal hold").all()
    assert out.reason_counts["rows"].sum() == out.n_quarantined
    assert table(out.validation) == table(mem.validation)
    assert out.to_frame()["rows"].sum() == 2500


def test_guard_on_a_source_raises_like_pandas_with_the_split_attached(shapes_case, tmp_path):
    contract, path, now = shapes_case
    with pytest.raises(tk.SchemaError, match="fail row-level checks, above max_failure_share") as err:
        tk.guard(path, contract, now=now, max_failure_share=0.01, passed=tmp_path / "p.parquet",
                 quarantined=tmp_path / "q.parquet")
    assert err.value.guard.n_quarantined > 0 and (tmp_path / "q.parquet").exists()
    with pytest.raises(ValueError, match="passed='passed.parquet'"):
        tk.guard(path, contract, now=now)
    with pytest.raises(ValueError, match="two different files"):
        tk.guard(path, contract, passed=tmp_path / "x.parquet", quarantined=tmp_path / "x.parquet")
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        tk.guard(path, contract, now=now, max_failure_share=1, passed=tmp_path / "no" / "p.parquet",
                 quarantined=tmp_path / "q.parquet")


@needs_demo
def test_guard_on_the_demo_rename_week_is_a_column_level_error(demo, tmp_path):
    contract, _, now = demo
    with pytest.raises(tk.SchemaError, match="column level .*suspected_rename on 'monthly_charges'") as err:
        tk.guard(DATA / "production" / "week=2026-20", contract, now=now, max_failure_share=1,
                 passed=tmp_path / "p.parquet", quarantined=tmp_path / "q.parquet")
    split = err.value.guard
    assert split.n_passed + split.n_quarantined == split.rows == 11242


@needs_demo
def test_held_window_samples_state_their_true_size_to_the_contract():
    """Template 01 validates cfg.window_frame(...) (a sample under DuckDB): the row count is the window's."""
    import dataclasses

    cfg = tk.ModelConfig.load(Path(__file__).resolve().parent.parent / "notebooks" / "model.yaml")
    small = dataclasses.replace(cfg, engine="duckdb", row_budget=2_000, root=cfg.root)
    label, frame = next(iter(small.batches.items()))
    contract = small.contract_object
    assert contract.rows.expected > 1000        # the usual size of the whole baseline, not of its 2,000-row sample
    result = contract.validate(frame)
    assert len(frame) < 200 and result.checks("row_count").empty
    assert frame.attrs[tk.schema.contract.ROWS_ATTR] > 10 * len(frame)
    bare = frame.copy()
    bare.attrs = {}
    assert result.rows == len(frame) and not contract.validate(bare).checks("row_count").empty   # the old alarm
