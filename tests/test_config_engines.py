"""ModelConfig over sources: the ``engine`` and ``row_budget`` keys, which engine runs, the row budget
that bounds what a report holds in memory, DuckDB table sources, and agreement of ``engine: duckdb``
with pandas on the demo (drift verdicts per window, performance per window)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import toolkit as tk

DEMO = Path(__file__).resolve().parents[1] / "notebooks" / "model.yaml"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("engines")
    rng = np.random.default_rng(7)
    n = 3000
    base = pd.DataFrame({"customer_id": np.arange(n), "tenure": rng.normal(24, 6, n),
                         "plan": rng.choice(["a", "b", "c"], n), "score": rng.uniform(size=n),
                         "y": rng.integers(0, 2, n)})
    base.to_parquet(path / "base.parquet")
    for week, shift in (("2026-01", 0.0), ("2026-02", 12.0)):
        (path / "prod" / f"week={week}").mkdir(parents=True)
        base.assign(tenure=base["tenure"] + shift).to_parquet(path / "prod" / f"week={week}" / "part-0.parquet")
    spec = tk.ModelSpec.infer(base, target="y", score="score", id="customer_id")
    tk.ModelConfig(name="m", baseline="base.parquet", production="prod", spec=spec).save(path / "model.yaml")
    return path


def _with(folder: Path, name: str, **keys) -> Path:
    data = yaml.safe_load((folder / "model.yaml").read_text())
    data.update(keys)
    out = folder / name
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


@pytest.mark.parametrize("keys, words", [
    ({"engine": "polars"}, ["bad-engine.yaml", "engine", "'polars'", "auto, pandas, duckdb, spark"]),
    ({"engine": None}, ["bad-engine.yaml", "engine", "auto, pandas, duckdb, spark"]),
    ({"row_budget": 0}, ["bad-engine.yaml", "row_budget", "at least 1"]),
    ({"row_budget": "1M"}, ["bad-engine.yaml", "row_budget", "'1M'", "whole number"]),
    ({"row_budget": True}, ["bad-engine.yaml", "row_budget"]),
    ({"spark": "local[4]"}, ["bad-engine.yaml", "spark:", "'local[4]'", "mapping of master"]),
    ({"spark": {"mastr": "local[4]"}}, ["bad-engine.yaml", "unknown key(s) ['mastr']", "'master'"]),
    ({"spark": {"master": 7077}}, ["bad-engine.yaml", "spark.master", "7077", "as text"]),
    ({"spark": {"master": "sc://host:15002"}}, ["bad-engine.yaml", "spark.master", "Spark Connect", "spark://"]),
    ({"spark": {"conf": ["spark.executor.memory=4g"]}}, ["bad-engine.yaml", "spark.conf", "mapping"]),
    ({"spark": {"conf": {"spark.executor": {"memory": "4g"}}}}, ["bad-engine.yaml", "spark.conf.spark.executor",
                                                                 "one value"]),
])
def test_bad_engine_keys_are_config_errors_naming_file_key_and_allowed_values(folder, keys, words):
    with pytest.raises(tk.ConfigError) as err:
        tk.ModelConfig.load(_with(folder, "bad-engine.yaml", **keys))
    for word in words:
        assert word in str(err.value)


def test_the_spark_mapping_round_trips_and_is_left_out_when_unset(folder, tmp_path):
    cfg = tk.ModelConfig.load(folder / "model.yaml")
    assert cfg.spark is None and "spark" not in cfg.to_dict()  # existing model.yaml files stay as they were
    settings = {"master": "spark://host:7077", "app_name": "churn", "conf": {"spark.executor.memory": "4g",
                                                                            "spark.sql.shuffle.partitions": 64}}
    path = _with(folder, "spark.yaml", engine="spark", spark=settings)
    again = tk.ModelConfig.load(path)
    assert again.spark == settings and again.engine_used == "spark"
    assert tk.ModelConfig.load(again.save(tmp_path / "model.yaml")).spark == settings


def test_auto_is_pandas_within_the_budget_and_duckdb_above_it(folder):
    small = tk.ModelConfig.load(folder / "model.yaml")
    assert small.engine == "auto" and small.row_counts == {"baseline": 3000, "production": 6000}
    assert small.engine_used == "pandas"
    assert small.engine_note.startswith("Engine: pandas (auto, row budget 2,000,000)")
    big = tk.ModelConfig.load(_with(folder, "budget.yaml", row_budget=5000))
    assert big.engine_used == "duckdb"  # production's 6000 rows (from the Parquet footers) exceed 5000


def test_auto_counts_small_csv_inputs_instead_of_sending_them_to_duckdb(folder, tmp_path, monkeypatch):
    base = pd.read_parquet(folder / "base.parquet")
    base.to_csv(tmp_path / "base.csv", index=False)
    (tmp_path / "prod.csv").write_text(base.head(41).to_csv(index=False).rstrip("\n"))  # no final line break
    spec = tk.ModelSpec.infer(base, target="y", score="score", id="customer_id")
    tk.ModelConfig(name="m", baseline="base.csv", production="prod.csv", spec=spec).save(tmp_path / "model.yaml")
    cfg = tk.ModelConfig.load(tmp_path / "model.yaml")
    assert cfg.row_counts == {"baseline": 3000, "production": 41} and cfg.engine_used == "pandas"
    monkeypatch.setattr("toolkit.io.CSV_COUNT_BYTES", 1000)  # a CSV too large to count: DuckDB, as before
    big = tk.ModelConfig.load(tmp_path / "model.yaml")
    assert big.row_counts["production"] is None and big.engine_used == "duckdb"


def test_the_budget_bounds_the_rows_held_and_the_sample_is_seeded_and_stated(folder):
    path = _with(folder, "budget.yaml", row_budget=1000)
    cfg = tk.ModelConfig.load(path)
    assert cfg.engine_used == "duckdb"
    assert len(cfg.reference) == 1000
    assert {k: len(v) for k, v in cfg.batches.items()} == {"2026-01": 500, "2026-02": 500}
    again = tk.ModelConfig.load(path)
    pd.testing.assert_frame_equal(cfg.reference.sort_values("customer_id").reset_index(drop=True),
                                  again.reference.sort_values("customer_id").reset_index(drop=True))
    assert cfg.reference["customer_id"].is_unique  # a sample without replacement, of real rows
    assert set(cfg.reference["customer_id"]) <= set(range(3000))
    note = cfg.engine_note
    assert "seeded uniform sample (seed 0)" in note and "baseline 1,000 of 3,000" in note
    assert "production 1,000 of 6,000" in note


def test_drift_is_profiled_on_every_row_even_when_the_frames_are_sampled(folder):
    cfg = tk.ModelConfig.load(_with(folder, "budget.yaml", row_budget=1000))
    report = cfg.compare("2026-02")
    table = report.to_frame().set_index("column")
    assert int(table.loc["tenure", "n_cur"]) == 3000 and int(table.loc["tenure", "n_ref"]) == 3000
    assert bool(table.loc["tenure", "drifted"]) and not bool(table.loc["plan", "drifted"])


def test_a_duckdb_table_is_a_source(folder):
    import duckdb

    database = folder / "logs.duckdb"
    con = duckdb.connect(str(database))
    base = pd.read_parquet(folder / "base.parquet")
    con.register("frame", base)
    con.execute("CREATE OR REPLACE TABLE baseline AS SELECT * FROM frame")
    con.close()
    cfg = tk.ModelConfig.load(_with(folder, "table.yaml", baseline="duckdb:logs.duckdb::baseline"))
    assert cfg.row_counts["baseline"] == 3000
    got = cfg.reference.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, base, check_dtype=False)
    with pytest.raises(ValueError, match="no table 'missing'.*its tables are"):
        tk.ModelConfig.load(_with(folder, "table2.yaml", baseline="duckdb:logs.duckdb::missing")).reference
    with pytest.raises(ValueError, match="duckdb:<database file>::<table>"):
        tk.ModelConfig.load(_with(folder, "table3.yaml", baseline="duckdb:logs.duckdb")).reference


@pytest.fixture(scope="module")
def demo_pair():
    pandas_cfg = tk.ModelConfig.load(DEMO)
    duck = dataclasses.replace(pandas_cfg, engine="duckdb")
    object.__setattr__(duck, "root", pandas_cfg.root)
    assert pandas_cfg.engine_used == "pandas" and duck.engine_used == "duckdb"
    return pandas_cfg, duck


@pytest.mark.slow
def test_demo_duckdb_gives_the_pandas_drift_verdicts_in_every_window(demo_pair):
    pandas_cfg, duck = demo_pair
    key = ["window", "column"]
    a = pandas_cfg.drift_over_time().to_frame().sort_values(key).reset_index(drop=True)
    b = duck.drift_over_time().to_frame().sort_values(key).reset_index(drop=True)
    assert len(a) == len(b) == 26 * len(pandas_cfg.compare().to_frame())
    assert (a[key] == b[key]).all().all()
    assert (a["drifted"] == b["drifted"]).all(), a.loc[a["drifted"] != b["drifted"], key]
    for column in ("window_rows", "n_ref", "n_cur"):
        np.testing.assert_allclose(b[column].astype(float), a[column].astype(float), rtol=0, atol=1e-9)
    assert a["drifted"].any()  # the demo has drift: the agreement is not all-False against all-False


def test_demo_duckdb_gives_the_pandas_performance_per_window(demo_pair):
    pandas_cfg, duck = demo_pair
    a = pandas_cfg.performance().to_frame()
    b = duck.performance().to_frame()
    assert len(a) == len(b) > 0
    for column in ("n", "n_positive", "n_rows"):
        np.testing.assert_allclose(b[column].astype(float), a[column].astype(float), rtol=0, atol=1e-9)
    for column in ("value", "lower", "upper"):
        np.testing.assert_allclose(b[column].astype(float), a[column].astype(float), rtol=1e-12)
    assert "Engine: duckdb (duckdb in model.yaml)" in duck.engine_note


def test_labels_held_are_those_of_the_sampled_production_rows(tmp_path):
    rng = np.random.default_rng(5)
    n = 4000
    rows = pd.DataFrame({"customer_id": np.arange(n), "x": rng.normal(size=n), "score": rng.uniform(size=n),
                         "y": rng.integers(0, 2, n)})
    rows.iloc[:1000].to_parquet(tmp_path / "base.parquet")
    for k, week in enumerate(("2026-01", "2026-02")):
        (tmp_path / "prod" / f"week={week}").mkdir(parents=True)
        rows.iloc[k * 2000:(k + 1) * 2000].drop(columns="y").to_parquet(
            tmp_path / "prod" / f"week={week}" / "part-0.parquet")
    labelled = rows.sample(frac=0.1, random_state=1)[["customer_id", "y"]]
    labelled.to_parquet(tmp_path / "labels.parquet")
    spec = tk.ModelSpec.infer(rows, target="y", score="score", id="customer_id")
    tk.ModelConfig(name="m", baseline="base.parquet", production="prod", labels="labels.parquet", spec=spec,
                   engine="duckdb", row_budget=1000).save(tmp_path / "model.yaml")
    cfg = tk.ModelConfig.load(tmp_path / "model.yaml")
    held = pd.concat(cfg.batches.values())
    assert len(held) == 1000 and "week" not in held.columns  # the partition key is not a column, as in pandas
    expected = set(held["customer_id"]) & set(labelled["customer_id"])
    assert set(cfg.label_frame["customer_id"]) == expected  # every label of a held row, no other
    assert len(expected) > 50  # about 10% of 1000, not 10% x 25%
    assert "labels: those of the production rows held" in cfg.engine_note


def test_the_samples_are_drawn_once_and_shared_by_the_processes_of_a_report_run(folder, monkeypatch):
    """Every template's kernel holds the same seeded samples; drawing them reads every row (about a minute
    per kernel on 100M rows), so the first process draws them and the others load them from the cache."""
    import toolkit.config as config_module

    path = _with(folder, "shared.yaml", row_budget=1000)
    first = tk.ModelConfig.load(path)
    drawn = (first.reference, first.batches, first.window_table)

    def no_read(*args, **kwargs):
        raise AssertionError("the sample was drawn again instead of being loaded")

    monkeypatch.setattr(config_module, "_read_files_budgeted", no_read)
    monkeypatch.setattr("toolkit.io.read_budgeted", no_read)
    again = tk.ModelConfig.load(path)  # a new process would start here: nothing held in memory
    pd.testing.assert_frame_equal(again.reference, drawn[0])
    assert list(again.batches) == list(drawn[1])
    for label, frame in drawn[1].items():
        pd.testing.assert_frame_equal(again.batches[label], frame)
        assert again.batches[label].attrs == frame.attrs  # the batch's true row count comes along
    pd.testing.assert_frame_equal(again.window_table, drawn[2])
    assert again.engine_note == first.engine_note  # the sample sizes are stated as when drawn
    assert "baseline 1,000 of 3,000" in again.engine_note
    # another budget is another sample: drawn, not loaded
    with pytest.raises(AssertionError, match="drawn again"):
        tk.ModelConfig.load(_with(folder, "shared2.yaml", row_budget=999)).reference
    monkeypatch.setenv("TOOLKIT_CACHE", "off")  # no cache: drawn in every process
    with pytest.raises(AssertionError, match="drawn again"):
        tk.ModelConfig.load(path).reference
