"""The scale layer: profiles and outcome counts computed by DuckDB agree with the pandas path.

Counts (bins, categories, nulls, absent columns, confusion cells) must agree exactly, sums to
1e-9 relative; edges derived inside DuckDB are identical to pandas' up to ``exact_quantiles``
values and within a stated rank tolerance above it. Spark runs the same SQL: test_engines_spark.py.
"""
from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit import engines as E
from toolkit.engines import _profiles as P
from toolkit.engines import _sql as S
from toolkit.engines._source import open_source
from toolkit.engines._windows import window_spec
from toolkit.profiles import bin_counts, quantile_edges

from conftest import profile_differences as differences

DATA = Path(__file__).resolve().parents[1] / "sample_data"
BASELINE = str(DATA / "baseline.parquet")
PROD_GLOB = str(DATA / "production" / "week=*" / "*.parquet")


# ------------------------------------------------------------------------------------------------ fixtures
# baseline, spec, ref and batches (the demo's) come from conftest.py


@pytest.fixture(scope="module")
def weekly(ref, spec):
    return E.profile_windows(PROD_GLOB, ref, spec, window="week", progress=False)


def tricky_frame(n: int, seed: int) -> pd.DataFrame:
    """Every awkward value the profile handles: NaN, +-inf, heavy values, formatted strings, mixed categories."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[rng.random(n) < 0.05] = np.nan
    x[:3] = [np.inf, -np.inf, np.inf]
    zeros = np.where(rng.random(n) < 0.5, 0.0, rng.gamma(2.0, 3.0, n))          # heavy zero
    capped = np.minimum(rng.exponential(10.0, n), 15.0)                        # heavy maximum
    money = pd.array([f"${v:,.2f}" for v in rng.gamma(3.0, 400.0, n)], dtype="str")
    money[rng.random(n) < 0.03] = "n/a"                                        # unparseable
    money[rng.random(n) < 0.03] = None
    return pd.DataFrame({
        "x": x,
        "zeros": zeros,
        "capped": capped,
        "ints": rng.integers(0, 40, n),                                        # few distinct -> one bin each
        "constant": np.full(n, 3.5),
        "all_null": np.full(n, np.nan),
        "money": money,
        "flag": rng.random(n) < 0.3,
        "level": rng.choice([1, 2, 3], n),                                     # int categorical
        "grade": rng.choice([1.0, 2.0, 2.5], n),                               # float categorical
        "plan": pd.array(rng.choice(["basic", "plus", None], n, p=[0.6, 0.35, 0.05]), dtype="str"),
        "when": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        "id": [f"ID{i:07d}" for i in range(n)],
    })


TRICKY_KINDS = {"x": "numeric", "zeros": "numeric", "capped": "numeric", "ints": "numeric", "constant": "numeric",
                "all_null": "numeric", "money": "numeric", "flag": "boolean", "level": "categorical",
                "grade": "categorical", "plan": "categorical", "when": "datetime", "id": "identifier"}


# ------------------------------------------------------------------------------------------------ edges
@pytest.mark.parametrize("seed", range(4))
def test_percentile_disc_fractions_reproduce_quantile_edges(seed):
    """Exact edges in SQL: percentile_disc at (pos + 0.5) / n picks quantile_edges' positions."""
    import duckdb

    rng = np.random.default_rng(seed)
    n = int(rng.integers(150, 5000))
    values = np.round(rng.lognormal(2.0, 1.0, n), int(rng.integers(0, 3)))      # ties, heavy values
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"v": values}))
    q = con.sql(f"SELECT percentile_disc({S.DUCKDB.array(P.quantile_fractions(n, 100))}) "
                "WITHIN GROUP (ORDER BY v) FROM t").fetchall()[0][0]
    assert np.array_equal(P.edges_from_quantiles(np.asarray(q)), quantile_edges(values, 100))
    distinct = np.unique(values[:60])
    assert np.array_equal(P.edges_from_distinct(distinct), quantile_edges(distinct, 100))


def test_lookup_binning_is_exact_at_and_around_every_edge():
    """The one-multiply lookup gives bin_counts' answer for values on, just below and just above edges."""
    rng = np.random.default_rng(3)
    values = np.concatenate([np.zeros(500), rng.lognormal(1.0, 1.2, 3000), np.full(300, 40.0)])
    edges = quantile_edges(values, 100)
    lookup = S.build_lookup(edges)
    assert lookup is not None and lookup.width <= 4
    probe = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf),
                            rng.uniform(edges[0] - 1, edges[-1] + 1, 5000)])
    import duckdb

    con = duckdb.connect()
    con.register("t", pd.DataFrame({"v": probe}))
    con.register("lk", lookup.table())
    d = S.DUCKDB
    k = f"COALESCE({lookup.cell_sql(d, 'v')}, 0)"
    via_lookup = con.sql(f"SELECT {S.bin_code(d, 'v', edges, 'lk', lookup)} AS code FROM "
                         f"(SELECT v, {k} AS k FROM t) t1 JOIN lk ON t1.k = lk.k ORDER BY v").fetchnumpy()["code"]
    via_case = con.sql(f"SELECT {S.bin_code(d, 'v', edges)} AS code FROM t ORDER BY v").fetchnumpy()["code"]
    expected = np.searchsorted(edges, np.sort(probe), side="right")
    expected[np.sort(probe) == edges[-1]] = edges.size - 1
    assert np.array_equal(via_lookup, expected)
    assert np.array_equal(via_case, expected)


# ------------------------------------------------------------------------------------------------ agreement
def test_tricky_values_agree_with_pandas(tmp_path):
    base, cur = tricky_frame(4000, 1), tricky_frame(3000, 2)
    cur.loc[:200, "x"] = base["x"].dropna().iloc[:201].to_numpy()               # values exactly on reference data
    base.to_parquet(tmp_path / "base.parquet")
    cur.to_parquet(tmp_path / "cur.parquet")
    want_ref = tk.profile(base, kinds=TRICKY_KINDS)
    got_ref = E.profile(tmp_path / "base.parquet", kinds=TRICKY_KINDS, progress=False)
    assert differences(want_ref, got_ref) == []
    want_cur = tk.profile(cur, want_ref)
    got_cur = E.profile(str(tmp_path / "cur.parquet"), got_ref, progress=False)
    assert differences(want_cur, got_cur) == []
    assert got_cur["money"].n_invalid > 0 and got_cur["x"].n_pos_inf == 2
    assert set(got_cur["money"].invalid_examples) == {"n/a"}
    # the nested-CASE binning (used where no lookup fits) and the one-scan 'long' statement (Spark's
    # default) give the same profile
    with open_source(str(tmp_path / "cur.parquet")) as src:
        plan = P.plan(src, got_ref)
        whole = window_spec(None, src.columns, None)
        for use_lookup, shape in [(False, "union"), (True, "long"), (False, "long")]:
            (_, _, other), = P.run_profiles(src, plan.items, whole, use_lookup=use_lookup, shape=shape,
                                            progress=False, cache=False)[0]
            assert differences(want_cur, other) == [], (use_lookup, shape)


def test_baseline_edges_and_counts_identical_to_pandas(ref, spec):
    got = E.profile(BASELINE, spec=spec, progress=False)
    assert differences(ref, got) == []
    assert all(np.array_equal(ref.edges[c], got.edges[c]) for c in ref.edges)


def test_weekly_partitions_agree_with_pandas_including_the_schema_break(weekly, batches, ref, spec):
    assert list(weekly) == list(batches)
    for label, frame in batches.items():
        assert differences(tk.profile(frame, ref), weekly[label]) == [], label
    assert weekly["2026-20"]["monthly_charges"].absent                       # week 20 renamed the column
    assert not any(weekly[w]["monthly_charges"].absent for w in weekly if w != "2026-20")
    assert weekly["2026-22"]["days_since_last_login"].missing_share > 0.5     # null spike
    # a folder with window='batch': one window per partition folder, labelled like tk.read_batches
    by_batch = E.profile_windows(DATA / "production", ref, spec, window="batch", progress=False)
    assert list(by_batch) == list(batches) and all(by_batch[w].equals(weekly[w]) for w in weekly)


def test_timestamp_periods_in_one_pass(ref, spec, batches, truth):
    by_start = {pd.Timestamp(w["start"]).strftime("%Y-%m-%d"): w["label"] for w in truth["weeks"]}
    periods = E.profile_windows(PROD_GLOB, ref, spec, window="W", progress=False)
    assert list(periods) == list(by_start)
    for start, label in by_start.items():
        assert periods.starts[start] == pd.Timestamp(start)
        assert differences(tk.profile(batches[label], ref), periods[start]) == [], start
    # the pandas engine splits a DataFrame the same way
    frames = pd.concat([batches[l] for l in list(batches)[:3]], ignore_index=True)
    in_pandas = E.profile_windows(frames, ref, spec, window="W")
    assert list(in_pandas) == list(by_start)[:3]
    assert all(in_pandas[s].equals(periods[s]) for s in in_pandas)


def test_windows_merge_to_the_whole(weekly, ref, spec):
    whole = E.profile(PROD_GLOB, ref, spec, progress=False)
    assert weekly.merged().equals(whole)
    assert whole.n_rows == sum(p.n_rows for p in weekly.values())
    frame = weekly.to_frame()
    assert set(frame["window"]) == set(weekly) and len(frame) == 26 * len(ref.columns)


def test_duckdb_relation_and_csv_inputs(ref, spec, tmp_path, baseline):
    import duckdb

    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{BASELINE}')")
    assert E.engine_of(rel) == "duckdb"
    assert differences(tk.profile(baseline, ref), E.profile(rel, ref, progress=False)) == []
    small = baseline.head(3000).drop(columns=["event_time"])
    small.to_csv(tmp_path / "small.csv", index=False)
    want = tk.profile(pd.read_csv(tmp_path / "small.csv"), spec)
    assert differences(want, E.profile(tmp_path / "small.csv", spec=spec, progress=False)) == []


def test_approximate_edges_above_the_exact_limit(tmp_path):
    """Above exact_quantiles, edges come from DuckDB's sketch: counts stay exact on them; the stated
    tolerance is that each edge's rank is within 1% of n of its target rank."""
    rng = np.random.default_rng(5)
    values = rng.lognormal(3.0, 0.8, 60_000)
    pd.DataFrame({"v": values}).to_parquet(tmp_path / "big.parquet")
    approx = E.profile(tmp_path / "big.parquet", exact_quantiles=1000, progress=False)["v"]
    exact = quantile_edges(values, 100)
    ranks = np.searchsorted(np.sort(values), approx.edges) / values.size
    targets = np.searchsorted(np.sort(values), exact) / values.size
    assert approx.edges.size == exact.size
    assert np.max(np.abs(ranks - targets)) < 0.01
    assert np.array_equal(approx.counts, bin_counts(values, approx.edges))    # exact counts on its own edges


# ------------------------------------------------------------------------------------------------ compare
def test_notebook_call_pattern_compare_on_parquet_globs(spec, ref, weekly):
    """What a template parameterised by paths runs: tk.compare(cfg.baseline_path, glob, spec=spec)."""
    report = tk.compare(BASELINE, PROD_GLOB, spec=spec, engine="duckdb")
    assert report.n_reference == ref.n_rows and report.n_current == sum(p.n_rows for p in weekly.values())
    assert {"monthly_charges", "region", "plan"} <= set(report.drifted)
    assert report.engine == "duckdb" and "engine='duckdb'" in report.engine_note
    # identical to comparing the pandas-built profiles: the engine changes where, not what
    same = tk.compare(ref, weekly.merged(), spec=spec)
    cols = ["column", "statistic", "threshold", "drifted", "p_value"]
    pd.testing.assert_frame_equal(report.to_frame()[cols], same.to_frame()[cols])


def test_compare_on_paths_within_the_row_budget_reads_them_and_is_exact(spec, baseline):
    """engine='auto': files whose footers count at most ROW_BUDGET rows are read into memory and compared on
    their rows (exact KS), identical to comparing the frames; the report says which path ran."""
    report = tk.compare(BASELINE, PROD_GLOB, spec=spec)
    assert report.engine == "pandas" and "read into memory" in report.engine_note
    production = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(PROD_GLOB))], ignore_index=True)
    same = tk.compare(baseline, production, spec=spec)
    cols = ["column", "statistic", "threshold", "drifted"]
    pd.testing.assert_frame_equal(report.to_frame()[cols], same.to_frame()[cols], rtol=1e-9)
    assert not any("binned" in n for n in report.to_frame()["note"])          # KS on the rows, not on bins
    assert "week" in report.new_columns                                      # the hive key, as the engine sees it


def test_compare_row_budget_sends_larger_files_to_the_engine(spec, monkeypatch):
    """Above the budget (here lowered to 1,000 rows) the same call profiles the files where they live."""
    import toolkit.io

    monkeypatch.setattr(toolkit.io, "ROW_BUDGET", 1_000)
    report = tk.compare(BASELINE, PROD_GLOB, spec=spec)
    assert report.engine == "duckdb" and "above the row budget of 1,000" in report.engine_note
    assert {"monthly_charges", "region", "plan"} <= set(report.drifted)


def test_template_call_pattern_with_model_config(ref):
    """The calls a template notebook parameterised by paths makes (the lead's templates copy these)."""
    cfg = tk.ModelConfig.load(Path(__file__).resolve().parents[1] / "notebooks" / "model.yaml")
    baseline, production = cfg.path(cfg.baseline), cfg.path(cfg.production)     # a file and a folder of batches
    drift = tk.compare(baseline, production, spec=cfg.spec)
    over = tk.drift_over_time(baseline, production, spec=cfg.spec, by=cfg.window)  # window: batch
    assert drift.n_current == sum(over.window_rows) and len(over.windows) == 26
    assert {"monthly_charges", "region", "plan"} <= set(drift.drifted)
    assert over.first_drift["monthly_charges"] == "2026-08"
    glob = str(production / "week=*" / "*.parquet")                               # a glob parameter works the same
    assert tk.compare(str(baseline), glob, spec=cfg.spec).drifted == drift.drifted


def test_compare_week20_path_flags_absent_column_with_rename_hint(spec):
    report = tk.compare(BASELINE, str(DATA / "production" / "week=2026-20" / "part-0.parquet"), spec=spec)
    row = report.to_frame().set_index("column").loc["monthly_charges"]
    assert row["drifted"] and "absent" in row["signals"]
    assert "monthly_charge_usd" in row["note"]


def test_compare_dataframe_reference_with_path_current(baseline, spec, ref, batches):
    path = str(DATA / "production" / "week=2026-14" / "part-0.parquet")
    mixed = tk.compare(baseline, path, spec=spec, engine="duckdb")
    profiles = tk.compare(ref, tk.profile(batches["2026-14"], ref), spec=spec)
    cols = ["column", "statistic", "threshold", "drifted"]
    pd.testing.assert_frame_equal(mixed.to_frame()[cols], profiles.to_frame()[cols])
    assert "avg_session_minutes" in mixed.drifted                            # the week-14 outlier burst
    rows = tk.compare(baseline, path, spec=spec)                             # auto: small, read and compared on rows
    exact = tk.compare(baseline, pd.read_parquet(path), spec=spec)
    pd.testing.assert_frame_equal(rows.to_frame()[cols], exact.to_frame()[cols], rtol=1e-9)
    assert rows.engine == "pandas" and "current" in rows.engine_note and "reference" not in rows.engine_note


def test_drift_over_time_on_parquet_partitions(spec, ref, batches, truth):
    """tk.drift_over_time(baseline_path, glob, by='week'): one pass, the same reports as on pandas profiles."""
    from toolkit.windows import Window

    over = tk.drift_over_time(BASELINE, PROD_GLOB, spec=spec, by="week")
    assert list(over.windows) == list(batches)
    same = tk.drift_over_time(ref, spec=spec, windows=[
        Window(label, tk.profile(frame, ref)) for label, frame in batches.items()])
    cols = ["window", "column", "statistic", "threshold", "drifted"]
    pd.testing.assert_frame_equal(over.to_frame()[cols], same.to_frame()[cols])
    events = {e["name"]: e for e in truth["events"]}
    for event in ("price_rise", "region_mix", "new_plan", "outlier_burst", "null_spike"):   # each found where it starts
        assert over.first_drift[events[event]["column"]] == f"2026-{events[event]['first_week']:02d}", event
    assert "2026-20" in over.drifted_windows("monthly_charges")                        # schema break: absent
    # windows as periods of the timestamp, and a rolling reference (window profiles merge)
    rolling = tk.drift_over_time(BASELINE, PROD_GLOB, spec=spec, by="W", reference_type="rolling", rolling=3)
    assert len(rolling.windows) == 26 and rolling.reference_labels[4] == f"{rolling.windows[1]}..{rolling.windows[3]}"
    with pytest.raises(ValueError, match="consecutive rows"):
        tk.drift_over_time(BASELINE, PROD_GLOB, spec=spec, by=5000)


# ------------------------------------------------------------------------------------------------ outcomes
@pytest.fixture(scope="module")
def labelled(tmp_path_factory, batches):
    """Production rows joined with their labels, written back as weekly partitions."""
    labels = pd.read_parquet(DATA / "labels.parquet").drop_duplicates("customer_id")
    root = tmp_path_factory.mktemp("labelled")
    frames = []
    for label, frame in list(batches.items())[:8]:
        joined = frame[["customer_id", "event_time", "churn_score", "churn_pred"]].merge(
            labels[["customer_id", "churned", "inclusion_prob"]], on="customer_id", how="left")
        joined.loc[joined.index % 7 == 0, "churned"] = np.nan                 # labels not arrived yet
        (root / f"week={label}").mkdir()
        joined.to_parquet(root / f"week={label}" / "part-0.parquet")
        frames.append(joined.assign(week=label))
    return root, pd.concat(frames, ignore_index=True)


def test_confusion_counts_agree_exactly(labelled):
    from sklearn.metrics import confusion_matrix

    root, frame = labelled
    kw = dict(target="churned", prediction="churn_pred", window="week", weight="inclusion_prob")
    got = E.confusion_counts(str(root / "week=*" / "*.parquet"), progress=False, **kw)
    want = E.confusion_counts(frame, **kw)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)
    first = frame[(frame["week"] == got["window"][0]) & frame["churned"].notna()]
    tn, fp, fn, tp = confusion_matrix(first["churned"], first["churn_pred"]).ravel()
    assert (got.loc[0, ["tn", "fp", "fn", "tp"]].tolist()) == [tn, fp, fn, tp]
    by_score = E.confusion_counts(str(root), target="churned", score="churn_score", threshold=0.3, progress=False)
    labelled_rows = frame[frame["churned"].notna()]
    assert int(by_score.loc[0, "tp"]) == int(((labelled_rows["churn_score"] >= 0.3) & (labelled_rows["churned"] == 1)).sum())


def test_performance_reads_only_the_role_columns_of_files(labelled):
    """tk.performance on a glob of labelled logs equals tk.performance on the same rows in pandas."""
    root, frame = labelled
    kw = dict(target="churned", score="churn_score", prediction="churn_pred", metric=["roc_auc", "accuracy"],
              by="week")
    got = tk.performance(str(root / "week=*" / "*.parquet"), **kw).to_frame()
    want = tk.performance(frame.drop(columns=["customer_id"]), **kw).to_frame()
    pd.testing.assert_frame_equal(got, want)
    acc = tk.performance(str(root), target="churned", prediction="churn_pred", metric="accuracy", by="week",
                         inclusion_prob=None).to_frame()
    counts = E.confusion_counts(str(root), target="churned", prediction="churn_pred", window="week", progress=False)
    assert acc["window"].tolist() == counts["window"].tolist() and acc["n"].tolist() == counts["n"].tolist()
    assert np.allclose(acc["value"], (counts["tp"] + counts["tn"]) / counts["n"], rtol=0, atol=1e-12)


def test_score_histogram_auc_within_tolerance(labelled):
    from sklearn.metrics import roc_auc_score

    root, frame = labelled
    hist = E.score_histogram(str(root), target="churned", score="churn_score", window="week", progress=False)
    pd.testing.assert_frame_equal(hist, E.score_histogram(frame, target="churned", score="churn_score", window="week"))
    auc = E.auc_from_histogram(hist)
    for week, rows in frame[frame["churned"].notna()].groupby("week"):
        assert abs(auc[week] - roc_auc_score(rows["churned"], rows["churn_score"])) < 1e-3


def test_files_profiled_once_are_not_read_again(tmp_path, ref, spec, batches, monkeypatch):
    """Per-file cache: a second call over the same files runs no statement; a changed or new file
    is the only one read."""
    from toolkit.engines import _source

    for week in ("2026-01", "2026-02"):
        (tmp_path / f"week={week}").mkdir()
        batches[week].to_parquet(tmp_path / f"week={week}" / "part-0.parquet")
    glob = str(tmp_path / "week=*" / "*.parquet")
    first = E.profile_windows(glob, ref, spec, window="week", progress=False)
    calls = []
    original = _source.DuckDBSource.run
    monkeypatch.setattr(_source.DuckDBSource, "run", lambda self, sql, *a, **k: calls.append(self.files) or original(self, sql, *a, **k))
    again = E.profile_windows(glob, ref, spec, window="week", progress=False)
    whole = E.profile(glob, ref, spec, progress=False)                       # same files, merged: no scan either
    assert calls == [] and all(again[w].equals(first[w]) for w in first) and whole.equals(first.merged())
    (tmp_path / "week=2026-03").mkdir()
    batches["2026-03"].to_parquet(tmp_path / "week=2026-03" / "part-0.parquet")
    grown = E.profile_windows(glob, ref, spec, window="week", progress=False)
    assert len(calls) == 1 and [Path(f).parent.name for f in calls[0]] == ["week=2026-03"]
    assert list(grown) == ["2026-01", "2026-02", "2026-03"]
    assert grown["2026-03"].equals(tk.profile(batches["2026-03"], ref))


# ------------------------------------------------------------------------------------------------ plumbing
def test_duckdb_runs_with_bounded_settings():
    with open_source(BASELINE) as src:
        limit = src._con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert limit.replace(" ", "").lower().startswith(("1.8gib", "2.0gb", "1.9gib", "2gb"))
        assert src._con.sql("SELECT current_setting('TimeZone')").fetchall()[0][0] == "UTC"


def test_progress_bar_appears_for_long_passes(capsys):
    from toolkit.engines._progress import progress_bar

    ticks = iter([10.0, 50.0, 90.0] + [95.0] * 100)
    import time

    with progress_bar("scanning", lambda: next(ticks), delay=0.0):
        time.sleep(0.9)
    err = capsys.readouterr().err
    assert "scanning" in err and "100%" in err


def test_inputs_are_validated(tmp_path, baseline):
    with pytest.raises(ValueError, match="engine must be one of"):
        E.profile(BASELINE, engine="polars")
    with pytest.raises(FileNotFoundError, match="no .parquet or .csv files"):
        E.profile(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(ValueError, match="engine='duckdb' reads files"):
        E.profile(baseline, engine="duckdb")
    with pytest.raises(ValueError, match="period alias"):
        E.profile_windows(PROD_GLOB, window="fortnight", timestamp="event_time", progress=False)
    with pytest.raises(ValueError, match="no timestamp column"):
        E.profile_windows(PROD_GLOB, window="W", progress=False)
    with pytest.raises(KeyError, match="lacks column"):
        E.profile(BASELINE, columns=["no_such_column"], progress=False)
    with pytest.raises(TypeError, match="reference must be a Profile"):
        E.profile(BASELINE, reference="baseline.parquet")
    assert E.is_source(PROD_GLOB) and not E.is_source(baseline)


def test_duckdb_out_of_memory_names_the_limit_and_the_fix_not_a_corrupt_file(tmp_path, monkeypatch):
    """A statement that needs more than DuckDB's memory_limit is a MemoryError saying how to raise the limit;
    it used to read as "a corrupt or malformed file" (found at 100M rows)."""
    from toolkit.engines import DUCKDB_SETTINGS, open_source

    path = tmp_path / "x.parquet"
    pd.DataFrame({"k": np.arange(300_000), "s": np.random.default_rng(0).random(300_000)}).to_parquet(path)
    monkeypatch.setitem(DUCKDB_SETTINGS, "memory_limit", "1MB")
    with open_source(str(path), "duckdb") as src, pytest.raises(MemoryError) as err:
        src.run(f"SELECT k, ROW_NUMBER() OVER (PARTITION BY k % 7 ORDER BY s) AS r FROM {src.name}", progress=False)
    message = str(err.value)
    assert "memory_limit 1MB" in message and "DUCKDB_SETTINGS['memory_limit']" in message
    assert "corrupt" not in message


def test_toolkit_progress_off_turns_engine_progress_bars_off(monkeypatch):
    """``toolkit report`` sets TOOLKIT_PROGRESS=off for its kernels: the bar's poll is then never called."""
    from toolkit.engines._progress import progress_bar

    calls = []
    monkeypatch.setenv("TOOLKIT_PROGRESS", "off")
    with progress_bar("scan", lambda: calls.append(1) or 50.0, delay=0):
        import time

        time.sleep(0.6)
    assert calls == []
    monkeypatch.setenv("TOOLKIT_PROGRESS", "on")
    with progress_bar("scan", lambda: calls.append(1) or -1.0, delay=0):
        time.sleep(0.6)
    assert calls  # polled when on
