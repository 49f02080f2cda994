"""Contract checks at scale: every column's aggregates in one statement per source, and period windows of
one source checked on ALL their rows by one grouped statement, with results identical to pandas.

The pandas side validates the same rows held in memory (split into the same windows); the engine side
never loads them. Statement counts are asserted so a per-column statement cannot come back unnoticed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.engines import source_windows
from toolkit.engines._source import DuckDBSource, SparkSource

KEY = ["column", "check", "severity", "failing_count"]
NOW = pd.Timestamp("2026-06-01", tz="UTC")
#: the log's last day is partly "in the future" at this validation time
LOG_NOW = pd.Timestamp("2026-03-05 12:00", tz="Europe/Berlin")


def table(result) -> list:
    return result.failures[KEY].values.tolist()


def _frame(n: int, seed: int, days: int, start: str = "2026-03-02") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp(start, tz="Europe/Berlin") + pd.to_timedelta(rng.integers(0, days * 86400, n), unit="s")
    return pd.DataFrame({
        "id": np.arange(n) + 10 * seed * n, "t": t, "x": rng.normal(10, 2, n), "count": rng.integers(0, 50, n),
        "plan": rng.choice(["a", "b", "c"], n), "level": rng.choice([1, 2, 3], n), "flag": rng.random(n) < 0.3,
        "note": rng.choice(["p", "q", None], n),
    })


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """A contract and a 4-day log in Berlin time whose days break different rules (the last is partly after
    LOG_NOW: future timestamps)."""
    ref = _frame(4000, 1, 7)
    spec = tk.ModelSpec.infer(ref, id="id", timestamp="t")
    spec = spec.replace(kinds={**spec.kinds, "level": "categorical"})
    contract = tk.infer_contract(ref, spec, batch_rows=1000)
    log = _frame(4000, 2, 4).sort_values("t", ignore_index=True)
    day = log["t"].dt.tz_convert("Europe/Berlin").dt.day
    log.loc[day == 3, "x"] = log.loc[day == 3, "x"] * 40                            # day 1: out of range
    first4 = log.index[day == 4][:30]
    log.loc[first4, "plan"] = "zz"                                                     # day 2: unseen category
    log.loc[log.index[day == 4][30:40], "id"] = log.loc[log.index[day == 4][40:50], "id"].to_numpy()  # duplicates
    log["x"] = log["x"].astype("float64")
    log.loc[log.index[day == 5][:500], "x"] = np.nan                                  # day 3: a null spike
    path = tmp_path_factory.mktemp("log") / "log.parquet"
    log.to_parquet(path)
    return contract, path, pd.read_parquet(path)


def _pandas_windows(frame: pd.DataFrame, by: str) -> dict:
    return {w.label: w.frame for w in tk.windows.split(frame, by, timestamp="t")}


def _count_statements(monkeypatch, cls) -> list:
    seen: list[str] = []
    original = cls.run

    def run(self, sql, *args, **kwargs):
        seen.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(cls, "run", run)
    return seen


@pytest.mark.parametrize("by", ["D", "W"])
def test_period_windows_are_checked_on_every_row_as_pandas_checks_them(case, by, monkeypatch):
    contract, path, frame = case
    mem = contract.validate_windows(_pandas_windows(frame, by), now=LOG_NOW)
    statements = _count_statements(monkeypatch, DuckDBSource)
    sql = contract.validate_windows(source_windows(path, window=by, timestamp="t", engine="duckdb"), now=LOG_NOW)
    assert sql.windows == mem.windows and len(sql.windows) == (4 if by == "D" else 1)
    for w in mem.windows:
        assert sql.results[w].engine == "duckdb"
        assert sql.results[w].rows == mem.results[w].rows == len(_pandas_windows(frame, by)[w])
        assert table(sql.results[w]) == table(mem.results[w]), w
        assert np.allclose(sql.results[w].summary["null_rate"].to_numpy(float),
                           mem.results[w].summary["null_rate"].to_numpy(float), atol=1e-12, equal_nan=True)
    checks = set(map(tuple, mem.to_frame()[["window", "check"]].values.tolist()))
    assert {"out_of_range", "unseen_category", "duplicate_id", "null_rate", "timestamp"} <= {c for _, c in checks}
    # one grouped statement for every window's aggregates, one for the stray counts; the rest are examples
    grouped = [s for s in statements if "GROUP BY tk_w, tk_ws" in s]
    assert len(grouped) == 1
    assert len(statements) <= 3 + 2 * len(mem.to_frame()) + 1


def test_one_statement_per_source_whatever_the_number_of_columns(case, monkeypatch, tmp_path):
    contract, _, _ = case
    clean = _frame(1000, 3, 7)
    clean.to_parquet(tmp_path / "clean.parquet")
    wide = clean.assign(**{f"extra_{i}": clean["x"] * i for i in range(30)})
    wide_contract = tk.infer_contract(wide, tk.ModelSpec.infer(wide, id="id", timestamp="t"))
    wide.to_parquet(tmp_path / "wide.parquet")
    statements = _count_statements(monkeypatch, DuckDBSource)
    small = contract.validate(tmp_path / "clean.parquet", now=NOW)
    assert small.ok and table(small) == table(contract.validate(clean, now=NOW)) == []
    n_small = len(statements)
    statements.clear()
    big = wide_contract.validate(tmp_path / "wide.parquet", now=NOW)
    assert big.ok and big.rows == 1000
    # the aggregates of 8 or 38 columns: one statement, one for the unseen-category counts (WHERE-filtered),
    # one for the stray-timestamp count
    assert n_small == len(statements) == 3
    shifted = wide.assign(extra_3=wide["extra_3"] * 100, plan=wide["plan"].replace("c", "new"))
    shifted.to_parquet(tmp_path / "shifted.parquet")
    statements.clear()
    bad = wide_contract.validate(tmp_path / "shifted.parquet", now=NOW)
    assert table(bad) == table(wide_contract.validate(shifted, now=NOW)) and len(table(bad)) == 2
    assert len(statements) == 3 + 2     # + the examples of the two failures


def test_a_window_without_rows_is_an_empty_batch_as_in_pandas(case):
    contract, path, frame = case
    labels = list(_pandas_windows(frame, "D")) + ["2026-03-20"]
    sql = contract.validate_windows(source_windows(path, window="D", timestamp="t", labels=labels), now=NOW)
    empty = sql.results["2026-03-20"]
    assert empty.rows == 0 and table(empty) == table(contract.validate(frame.iloc[:0], now=NOW))


def test_spark_period_windows_agree(case, spark):
    contract, path, frame = case
    mem = contract.validate_windows(_pandas_windows(frame, "D"), now=LOG_NOW)
    sql = contract.validate_windows(source_windows([str(path)], window="D", timestamp="t", engine="spark",
                                                   tz="Europe/Berlin"), now=LOG_NOW)
    assert sql.windows == mem.windows
    for w in mem.windows:
        assert sql.results[w].engine == "spark" and sql.results[w].rows == mem.results[w].rows
        assert table(sql.results[w]) == table(mem.results[w]), w


DATA = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.mark.skipif(not (DATA / "truth.json").exists(), reason="demo data not generated")
def test_demo_weekly_windows_under_duckdb_are_the_pandas_findings():
    """ModelConfig with a period window under DuckDB: every window checked on all its rows, each window
    with the columns of the partitions its rows come from (week 20 renamed monthly_charges)."""
    import dataclasses

    cfg = tk.ModelConfig.load(Path(__file__).resolve().parent.parent / "notebooks" / "model.yaml")
    mem_cfg = dataclasses.replace(cfg, engine="pandas", window="W", root=cfg.root)
    sql_cfg = dataclasses.replace(cfg, engine="duckdb", window="W", row_budget=2_000, root=cfg.root)
    contract = mem_cfg.contract_object
    mem = contract.validate_windows(mem_cfg.window_sources(), now="2026-07-01")
    sources = sql_cfg.window_sources()
    assert len(sources) == len(mem.windows) and all(len(f) < 2_000 for f in sql_cfg.batches.values())
    sql = contract.validate_windows(sources, now="2026-07-01")
    assert sql.windows == mem.windows
    assert {w: r.rows for w, r in sql.results.items()} == {w: r.rows for w, r in mem.results.items()}
    key = ["window", "column", "check", "severity", "failing_share"]
    assert sql.to_frame()[key].values.tolist() == mem.to_frame()[key].values.tolist()
    assert "suspected_rename" in set(sql.to_frame()["check"])


def test_guard_through_spark_writes_the_pandas_split_and_loses_nothing(spark, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_schema_engine import _shapes

    ref = _shapes(3000, 1, False)
    contract = tk.infer_contract(ref, tk.ModelSpec.infer(ref, id="id", timestamp="t"), batch_rows=2000)
    path = tmp_path / "batch.parquet"
    _shapes(2500, 2, True).to_parquet(path)
    now = pd.Timestamp("2026-06-01", tz="UTC")
    mem = tk.guard(pd.read_parquet(path), contract, now=now, max_failure_share=1, strict_columns=False)
    out = tk.guard([str(path)], contract, now=now, max_failure_share=1, strict_columns=False, engine="spark",
                   passed=tmp_path / "passed.parquet", quarantined=tmp_path / "quarantined.parquet")
    passed, quarantined = pd.read_parquet(out.passed_path), pd.read_parquet(out.quarantined_path)
    assert out.validation.engine == "spark"
    assert out.n_passed + out.n_quarantined == out.rows == 2500 == len(passed) + len(quarantined)   # nothing lost
    assert (len(passed), len(quarantined)) == (len(mem.passed), len(mem.quarantined))
    assert sorted(passed["id"]) == sorted(mem.passed["id"]) and sorted(quarantined["id"]) == sorted(mem.quarantined["id"])
    assert out.reason_counts["rows"].sum() == out.n_quarantined
    assert table(out.validation) == table(mem.validation)
    (tmp_path / "mine").mkdir()
    with pytest.raises(FileExistsError, match="not an earlier Spark output"):   # refused before any work
        tk.guard([str(path)], contract, now=now, max_failure_share=1, engine="spark",
                 passed=tmp_path / "mine", quarantined=tmp_path / "passed.parquet")
