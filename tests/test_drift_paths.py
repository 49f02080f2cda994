"""tk.compare / DriftComparator on files: read into memory within the row budget, profiled in the engine above it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
import toolkit.io


def _frames(n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "k": rng.poisson(3, n).astype(float),
                        "c": rng.choice(["a", "b", "c"], n), "y": rng.integers(0, 2, n)})
    cur = pd.DataFrame({"id": np.arange(n), "x": rng.normal(0.3, 1, n), "k": rng.poisson(3, n) + 0.4,
                        "c": rng.choice(["a", "b", "c"], n), "y": rng.integers(0, 2, n)})
    return ref, cur


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paths")
    ref, cur = _frames()
    ref.to_parquet(folder / "ref.parquet")
    cur.to_parquet(folder / "cur.parquet")
    ref.to_csv(folder / "ref.csv", index=False)
    cur.to_csv(folder / "cur.csv", index=False)
    return folder, ref, cur


COLS = ["column", "statistic", "threshold", "drifted", "p_value"]


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_files_within_the_budget_are_compared_on_their_rows(files, suffix):
    folder, ref, cur = files
    report = tk.compare(str(folder / f"ref.{suffix}"), str(folder / f"cur.{suffix}"), columns=["x", "k", "c"])
    same = tk.compare(ref, cur, columns=["x", "k", "c"])
    pd.testing.assert_frame_equal(report.to_frame()[COLS], same.to_frame()[COLS], rtol=1e-9)
    assert report.engine == "pandas"
    assert report.engine_note.startswith("Files read into memory (reference 3,000 rows, current 3,000 rows; "
                                         "within the row budget of 2,000,000")
    assert "read into memory" in report.to_html()
    # k moved by 0.4 between integers: exact KS on the rows sees it, and so does the binned profile, whose
    # point and gap bins (toolkit.profiles.discrete_edges) give the same KS
    assert "k" in report.drifted
    binned = tk.compare(str(folder / f"ref.{suffix}"), str(folder / f"cur.{suffix}"), columns=["x", "k", "c"],
                        engine="duckdb")
    assert binned.engine == "duckdb" and "engine='duckdb'" in binned.engine_note and "k" in binned.drifted
    assert binned.column("k").statistic == pytest.approx(report.column("k").statistic, abs=1e-12)


def test_only_the_compared_columns_are_read_and_nothing_is_new(files):
    """With a spec, the files' other columns (id, target) are not read, and are not reported as new columns."""
    folder, ref, _ = files
    spec = tk.ModelSpec(features=["x", "c"], target="y", id="id")
    report = tk.compare(str(folder / "ref.parquet"), str(folder / "cur.parquet"), spec=spec)
    assert report.engine == "pandas" and sorted(r.column for r in report.results) == ["c", "x"]
    assert report.new_columns == ()
    frame, schema = tk.engines.read_rows(str(folder / "ref.parquet"), spec.monitored)
    assert list(frame.columns) == ["x", "c"] and schema == list(ref.columns)


def test_a_new_column_in_current_still_shows_as_new(files, tmp_path):
    folder, _, cur = files
    cur.rename(columns={"x": "x_renamed"}).to_parquet(tmp_path / "renamed.parquet")
    report = tk.compare(str(folder / "ref.parquet"), str(tmp_path / "renamed.parquet"), columns=["x", "c"])
    assert report.engine == "pandas" and report.new_columns == ("x_renamed",)
    row = report.column("x")
    assert row.drifted and "absent" in row.signals and "x_renamed" in row.note


def test_above_the_budget_files_are_profiled_where_they_live(files, monkeypatch):
    folder, ref, cur = files
    monkeypatch.setattr(toolkit.io, "ROW_BUDGET", 2_999)
    report = tk.compare(str(folder / "ref.parquet"), str(folder / "cur.parquet"))
    assert report.engine == "duckdb"
    assert "reference 3,000 rows, above the row budget of 2,999" in report.engine_note
    forced = tk.compare(str(folder / "ref.parquet"), str(folder / "cur.parquet"), engine="pandas")
    assert forced.engine == "pandas" and "engine='pandas'" in forced.engine_note


def test_one_side_above_the_budget_keeps_both_files_in_the_engine(files, tmp_path, monkeypatch):
    """Reading the small side would not make the comparison exact (the other side is binned), so it stays."""
    folder, ref, cur = files
    pd.concat([cur, cur]).to_parquet(tmp_path / "big.parquet")
    monkeypatch.setattr(toolkit.io, "ROW_BUDGET", 5_000)
    report = tk.compare(str(folder / "ref.parquet"), str(tmp_path / "big.parquet"))
    assert report.engine == "duckdb" and "current 6,000 rows, above the row budget of 5,000" in report.engine_note
    assert report.n_reference == 3000 and report.n_current == 6000


def test_comparator_fitted_on_a_path(files, monkeypatch):
    folder, ref, cur = files
    comparator = tk.DriftComparator().fit(str(folder / "ref.parquet"), columns=["x", "k"])
    report = comparator.compare(str(folder / "cur.parquet"))
    assert report.engine == "pandas" and {"x", "k"} <= set(report.drifted)
    assert report.engine_note.startswith("Files read into memory (reference 3,000 rows, current 3,000 rows")
    monkeypatch.setattr(toolkit.io, "ROW_BUDGET", 100)
    profiled = tk.DriftComparator().fit(str(folder / "ref.parquet"), columns=["x", "k"])
    out = profiled.compare(str(folder / "cur.parquet"))
    assert out.engine == "duckdb" and "above the row budget of 100" in out.engine_note
    assert tk.DriftComparator(engine="duckdb").fit(ref).compare(cur).engine == "pandas"   # frames stay frames


def test_model_importance_on_paths_reads_the_target(files):
    from sklearn.linear_model import LogisticRegression

    folder, ref, _ = files
    spec = tk.ModelSpec(features=["x", "k"], target="y")
    model = LogisticRegression().fit(ref[["x", "k"]], ref["y"])
    report = tk.compare(str(folder / "ref.parquet"), str(folder / "cur.parquet"), spec=spec, model=model)
    assert report.engine == "pandas" and np.isfinite(report.column("x").importance)


def test_engine_must_be_a_known_name(files):
    folder, _, _ = files
    with pytest.raises(ValueError, match="engine"):
        tk.compare(str(folder / "ref.parquet"), str(folder / "cur.parquet"), engine="polars")
    with pytest.raises(ValueError, match="engine"):
        tk.DriftComparator(engine="sql")


def test_read_rows_routes_give_the_same_frame(files, tmp_path):
    """pyarrow (same-schema local Parquet) and DuckDB (anything else) read the same rows and columns."""
    folder, ref, cur = files
    halves = [str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")]
    ref.iloc[:1000].to_parquet(halves[0])
    ref.iloc[1000:].to_parquet(halves[1])                       # a stored (non-range) index: pandas metadata
    fast, schema = tk.engines.read_rows(halves, ["x", "c"])
    pd.testing.assert_frame_equal(fast, ref[["x", "c"]].reset_index(drop=True))
    assert schema == list(ref.columns)
    shuffled = ref.assign(id=np.random.default_rng(1).permutation(len(ref))).set_index("id")
    shuffled.to_parquet(tmp_path / "indexed.parquet")            # a stored named index: DuckDB sees a column
    frame, schema = tk.engines.read_rows(str(tmp_path / "indexed.parquet"))
    assert "id" in schema and sorted(frame.columns) == sorted(ref.columns)
    csv, _ = tk.engines.read_rows(str(folder / "ref.csv"), ["x", "c"])
    pd.testing.assert_frame_equal(csv, ref[["x", "c"]], check_dtype=False)
