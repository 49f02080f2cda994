"""Outcomes from aggregates: the label join and a binary model's cells in DuckDB and Spark agree exactly with pandas.

Performance per window with its intervals is computed from counts (:mod:`toolkit.outcomes.counts`) on every path,
so pandas, DuckDB and Spark give identical figures (1e-9) on the demo; the cell bootstrap has the row bootstrap's
distribution; the label join keeps join_labels' accounting; hostile inputs get clear errors.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit import engines as E
from toolkit.outcomes.counts import Cells, cell_bootstrap, delong_counts
from toolkit.outcomes.intervals import delong
from toolkit.outcomes.metrics import BinaryKernel, bootstrap_counts

from conftest import assert_frames_identical, audit_population, demo_config

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data"
# fully labelled, partly labelled (label delay), audit-only (weighted by 1/inclusion_prob) weeks
WEEKS = ["2026-10", "2026-21", "2026-25", "2026-26"]
FILES = [str(DATA / "production" / f"week={w}" / "part-0.parquet") for w in WEEKS]
LABELS = str(DATA / "labels.parquet")
METRICS = ["roc_auc", "accuracy", "f1", "brier"]
COMPARED = ["window", "metric", "value", "lower", "upper", "n", "n_positive", "n_rows", "weighted", "method",
            "baseline", "delta_vs_baseline", "delta_lower", "delta_upper", "delta_p_value", "degraded", "note"]


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert_frames_identical(a, b, COMPARED)


@pytest.fixture(scope="module")
def demo(spec):
    """The pandas reference: tk.join_labels on the weeks' rows, then tk.performance on the joined frame."""
    production = pd.concat([pd.read_parquet(f).assign(week=w) for w, f in zip(WEEKS, FILES)], ignore_index=True)
    labels = pd.read_parquet(LABELS)
    fb = tk.join_labels(production, labels, spec=spec, by=None)
    return fb


@pytest.fixture(scope="module")
def reference_frame(baseline):
    return baseline.sample(n=5000, random_state=3).reset_index(drop=True)  # a cheap, seeded labelled baseline


@pytest.fixture(scope="module")
def pandas_perf(demo, spec, reference_frame):
    return tk.performance(demo.joined, spec, metric=METRICS, by="week", reference=reference_frame,
                          n_resamples=200).to_frame()


def _engine_perf(counts, spec, reference_frame):
    return tk.performance(counts, spec, metric=METRICS, reference=reference_frame, n_resamples=200)


def test_demo_performance_per_window_is_identical_in_pandas_and_duckdb(demo, spec, reference_frame, pandas_perf):
    counts = E.outcome_counts(FILES, LABELS, spec, window="batch", progress=False)
    assert counts.engine == "duckdb" and counts.windows["window"].tolist() == WEEKS
    report = _engine_perf(counts, spec, reference_frame)
    assert_same(pandas_perf, report.to_frame())
    # every label row accounted for exactly as join_labels does (matched, duplicates, orphans...)
    assert counts.label_rows == demo.label_rows
    assert counts.windows["n_labelled"].sum() == demo.joined["churned"].notna().sum()
    assert report.engine == "duckdb" and "in DuckDB" in report.engine_note and "not from a sample" in report.engine_note
    # the audit weeks are weighted and the fully labelled week is not: the comparison covers both interval kinds
    methods = set(report.to_frame()["method"])
    assert {"DeLong", "Wilson", "weighted bootstrap (BCa and logit-SE union)", "weighted BCa bootstrap",
            "BCa bootstrap", "studentized bootstrap", "weighted studentized bootstrap"} <= methods


def test_pandas_outcome_counts_are_the_duckdb_cells(demo, spec):
    frames = pd.concat([pd.read_parquet(f).assign(week=w) for w, f in zip(WEEKS, FILES)], ignore_index=True)
    a = E.outcome_counts(frames, pd.read_parquet(LABELS), spec, window="week")
    b = E.outcome_counts(FILES, LABELS, spec, window="batch", progress=False)
    assert a.engine == "pandas" and list(a.cells) == list(b.cells) == WEEKS
    assert all(a.cells[w].equals(b.cells[w]) for w in WEEKS)
    pd.testing.assert_frame_equal(a.windows, b.windows)
    assert a.label_rows == b.label_rows == demo.label_rows


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_demo_performance_per_window_is_identical_in_spark(spark, spec, reference_frame, pandas_perf):
    counts = E.outcome_counts(FILES, LABELS, spec, window="batch", engine="spark", session=spark, progress=False)
    assert counts.engine == "spark"
    report = _engine_perf(counts, spec, reference_frame)
    assert_same(pandas_perf, report.to_frame())
    assert "in Spark" in report.engine_note


def test_config_under_duckdb_measures_every_labelled_row_not_the_sample(tmp_path):
    """A row budget far below production: the frames hold a sample, performance still counts every label."""
    cfg = demo_config(tmp_path, "duckdb", WEEKS, row_budget=2000)
    perf = cfg.performance(metric="roc_auc", n_resamples=100)
    full = tk.join_labels(pd.concat([pd.read_parquet(f) for f in FILES], ignore_index=True), pd.read_parquet(LABELS),
                          spec=cfg.spec, by=None)
    n_labelled = int(full.joined["churned"].notna().sum())
    assert perf.to_frame()["n"].sum() == n_labelled > 10_000  # not the 2,000 rows held
    assert perf.to_frame()["n_rows"].sum() == len(full.joined)
    assert len(pd.concat(cfg.batches.values())) <= 2000
    assert perf.engine == "duckdb" and "in DuckDB" in perf.engine_note and f"{n_labelled:,} labelled" in perf.engine_note


def test_config_above_the_label_budget_uses_the_sample_and_says_so(tmp_path, monkeypatch):
    """Counts keep one cell per distinct score, so far more labels than the budget would hold about as much as the
    rows (10M labels: 12 GB): then the figures come from the sample held, and the note says why."""
    import toolkit.config

    monkeypatch.setattr(toolkit.config, "ROW_BUDGET", 1000)
    cfg = demo_config(tmp_path, "duckdb", WEEKS[:1], row_budget=2000)
    assert cfg.row_counts["labels"] > 2000 and not cfg.performance_in_engine
    perf = cfg.performance(metric="accuracy")
    assert perf.to_frame()["n_rows"].sum() <= 2000
    assert "seeded sample held under engine duckdb" in perf.engine_note
    assert "more than 2,000 label rows" in perf.engine_note
    assert "realized performance counted on every labelled row" not in cfg.engine_note


def test_config_within_the_budget_does_not_claim_a_sample(tmp_path, monkeypatch):
    """Production within row_budget is held whole under DuckDB: the note must not speak of a sample."""
    import toolkit.config

    monkeypatch.setattr(toolkit.config, "ROW_BUDGET", 1000)
    cfg = demo_config(tmp_path, "duckdb", WEEKS[:1], row_budget=20_000)
    assert not cfg.performance_in_engine and cfg.row_counts["production"] <= 20_000
    perf = cfg.performance(metric="accuracy")
    assert perf.to_frame()["n_rows"].sum() == cfg.row_counts["production"]
    assert "sample" not in perf.engine_note


# ----------------------------------------------------------------------------- counts == rows


def test_delong_from_counts_equals_delong_from_rows():
    rng = np.random.default_rng(11)
    y = (rng.random(300) < 0.3).astype(float)
    s = np.round(rng.beta(2, 3, 300) + 0.3 * y, 2)  # two decimals: many ties, some across classes
    c = Cells.from_rows(y, s, (s >= 0.5).astype(float))
    auc, var = delong_counts(c.s, c.y, c.n)
    want_auc, want_var = delong(s, y)
    assert abs(auc - want_auc[0]) < 1e-12 and abs(var - want_var[0]) < 1e-12
    assert c.n.sum() == 300 and len(c.n) < 300


def test_the_cell_bootstrap_has_the_row_bootstraps_distribution():
    """A multinomial resample of the cells is the row bootstrap summed per cell: same replicate distribution."""
    from scipy import stats

    rng = np.random.default_rng(5)
    n = 150
    y = (rng.random(n) < 0.4).astype(float)
    s = np.round(rng.beta(2, 2, n) * 0.6 + 0.4 * y, 1)
    pi = np.where(s > 0.5, 0.25, 1.0)
    w = 1 / pi
    c = Cells.from_rows(y, s, (s >= 0.5).astype(float), pi)
    rows = BinaryKernel(score=s)
    cells = BinaryKernel(score=c.s)
    boot_rows = np.concatenate([rows("roc_auc", y, k * w) for k in bootstrap_counts(n, 4000, np.random.default_rng(1))])
    boot_cells = np.concatenate([cells("roc_auc", c.y, k / c.pi) for k in cell_bootstrap(c.n, 4000,
                                                                                           np.random.default_rng(2))])
    assert stats.ks_2samp(boot_rows, boot_cells).pvalue > 0.01
    assert abs(boot_rows.std() - boot_cells.std()) < 0.1 * boot_rows.std()
    # both samplers of cell_bootstrap (binomial per cell, uniform row draws) give the same distribution too
    few = Cells.from_rows(y, None, (s >= 0.5).astype(float))
    a = np.concatenate(list(cell_bootstrap(few.n, 4000, np.random.default_rng(3))))
    draw, cell_of_row = np.random.default_rng(4), np.repeat(np.arange(few.n.size), few.n)
    b = np.stack([np.bincount(cell_of_row[draw.integers(0, n, n)], minlength=few.n.size) for _ in range(4000)])
    np.testing.assert_allclose(a.mean(axis=0), few.n, rtol=0.02)
    np.testing.assert_allclose(a.std(axis=0), b.std(axis=0), rtol=0.08)


@pytest.mark.parametrize("sizes", [[1] * 9_000, [3, 1, 2] * 3_000, [1, 4, 2, 1, 1] * 900])
def test_the_row_draw_sampler_counts_the_same_resamples_as_before(sizes):
    """Counting row draws per cell in cache-sized chunks gives the seeded counts of the former one-bincount
    sampler exactly (so no figure moves)."""
    n = np.asarray(sizes, dtype=np.int64)
    total, c = int(n.sum()), n.size
    assert 8 * c > total                       # the row-draw sampler (the binomial one is unchanged)
    new = np.concatenate(list(cell_bootstrap(n, 600, np.random.default_rng(7))))
    rng, cell_of_row, old = np.random.default_rng(7), np.repeat(np.arange(c), n), []
    block, done = max(1, min(600, 4_000_000 // total)), 0
    while done < 600:
        b = min(block, 600 - done)
        idx = cell_of_row[rng.integers(0, total, size=(b, total))] + (np.arange(b) * c)[:, None]
        old.append(np.bincount(idx.ravel(), minlength=b * c).reshape(b, c).astype(float))
        done += b
    np.testing.assert_array_equal(new, np.concatenate(old))


def test_count_based_intervals_keep_their_coverage_on_weighted_audit_samples():
    """95% intervals of the weighted AUC and weighted accuracy (cell bootstrap) cover the truth about 95% of the
    time; 200 seeded repetitions: the tolerance (88%-99.5%) fails a sampler that is off by a factor 1.5 in SE."""
    n_pop = 200_000
    rng, y_pop, s_pop, p_pop, pi_pop = audit_population(2026, n_pop)
    truth_auc = float(BinaryKernel(score=s_pop)("roc_auc", y_pop, np.ones(n_pop))[0])
    truth_acc = float(np.mean(y_pop == p_pop))
    hits = {"roc_auc": 0, "accuracy": 0}
    reps = 200
    from toolkit.outcomes.counts import measure_cells

    for _ in range(reps):
        idx = rng.integers(0, n_pop, 2000)
        keep = rng.random(2000) < pi_pop[idx]
        idx = idx[keep]
        c = Cells.from_rows(y_pop[idx], s_pop[idx], p_pop[idx], pi_pop[idx])
        for metric, truth in (("roc_auc", truth_auc), ("accuracy", truth_acc)):
            m = measure_cells(c, metric, n_boot=200, rng=rng, weight_column="pi")
            hits[metric] += m.lower <= truth <= m.upper
    for metric, k in hits.items():
        assert 0.88 <= k / reps <= 0.995, (metric, k / reps)


# ----------------------------------------------------------------------------- the join rules


def _pair(tmp_path, production: pd.DataFrame, labels: pd.DataFrame):
    production.to_parquet(tmp_path / "prod.parquet")
    labels.to_parquet(tmp_path / "labels.parquet")
    return str(tmp_path / "prod.parquet"), str(tmp_path / "labels.parquet")


@pytest.mark.parametrize("case", ["float ids", "text ids", "repeated ids with label_time", "repeated ids, no time",
                                  "conflicts"])
def test_join_rules_match_join_labels(tmp_path, case):
    rng = np.random.default_rng(4)
    n = 400
    t = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(np.sort(rng.integers(0, 20 * 86400, n)), "s")
    prod = pd.DataFrame({"id": np.arange(n), "t": t, "p": rng.random(n).round(2)})
    lab = pd.DataFrame({"id": np.arange(0, n, 2), "y": (rng.random(n // 2) < 0.4).astype(int),
                        "label_time": t[::2] + pd.Timedelta("3D")})
    lab = pd.concat([lab, pd.DataFrame({"id": [9999, 2], "y": [1, lab["y"].iloc[1]],
                                        "label_time": [t[0], t[2] + pd.Timedelta("4D")]})], ignore_index=True)
    conflicts = "latest"
    if case == "float ids":
        lab["id"] = lab["id"].astype(float)
    elif case == "text ids":
        lab["id"] = lab["id"].astype(str)
    elif case.startswith("repeated"):
        prod.loc[n - 50:, "id"] = prod.loc[:49, "id"].to_numpy()  # 50 ids scored twice, 2 weeks apart
        if case.endswith("no time"):
            lab = lab.drop(columns="label_time")
    else:
        lab.loc[len(lab)] = [4, 1 - lab.loc[2, "y"], t[4] + pd.Timedelta("5D")]  # a later, different label
        conflicts = "drop"
    paths = _pair(tmp_path, prod, lab)
    kw = dict(on="id", target="y", score="p", threshold=0.5, timestamp="t", window="W", conflicts=conflicts)
    a = E.outcome_counts(prod, lab, **kw)
    b = E.outcome_counts(*paths, progress=False, **kw)
    assert a.label_rows == b.label_rows and sum(b.label_rows.values()) == len(lab)
    assert list(a.cells) == list(b.cells) and all(a.cells[w].equals(b.cells[w]) for w in a.cells)
    pd.testing.assert_frame_equal(a.windows, b.windows)
    if case == "text ids":
        assert any("canonical text keys" in note for note in b.notes)
    if case == "conflicts":
        assert b.label_rows["conflicting extras"] == 1


# ----------------------------------------------------------------------------- hostile input


def test_labels_without_the_id_column_name_it(tmp_path):
    prod = pd.DataFrame({"customer_id": [1, 2, 3], "p": [0.2, 0.7, 0.9]})
    paths = _pair(tmp_path, prod, pd.DataFrame({"cust": [1, 2], "y": [0, 1]}))
    with pytest.raises(KeyError, match=r"labels lacks column\(s\) 'customer_id' .*it has 'cust', 'y'.*on='customer_id'"):
        E.outcome_counts(*paths, on="customer_id", target="y", score="p", progress=False)


def test_bad_labels_and_scores_get_toolkit_errors_not_engine_tracebacks(tmp_path):
    prod = pd.DataFrame({"id": [1, 2, 3, 4], "p": [0.2, 0.7, 0.9, 1.4]})
    paths = _pair(tmp_path, prod, pd.DataFrame({"id": [1, 2, 4], "y": ["yes", "no", "maybe"]}))
    with pytest.raises(ValueError, match="target 'y' has 3 distinct values"):
        E.outcome_counts(*paths, on="id", target="y", score="p", positive_label="yes", progress=False)
    paths = _pair(tmp_path, prod, pd.DataFrame({"id": [1, 2, 4], "y": [0, 1, 1], "inclusion_prob": [0.5, 0.0, 1.0]}))
    with pytest.raises(ValueError, match=r"inclusion_prob column 'inclusion_prob' must be in \(0, 1\]"):
        E.outcome_counts(*paths, on="id", target="y", score="p", progress=False)
    paths = _pair(tmp_path, prod, pd.DataFrame({"id": [1, 2, 4], "y": [0, 1, 1]}))
    with pytest.raises(ValueError, match="score column 'p' of production has 1 values outside"):
        E.outcome_counts(*paths, on="id", target="y", score="p", progress=False)


def test_windows_with_too_many_distinct_scores_are_floored_alike_and_say_so(tmp_path):
    rng = np.random.default_rng(8)
    n = 600
    prod = pd.DataFrame({"id": np.arange(n), "p": rng.random(n), "y": (rng.random(n) < 0.5).astype(int)})
    prod.to_parquet(tmp_path / "prod.parquet")
    kw = dict(target="y", score="p", threshold=0.5, max_scores=100)
    a = E.outcome_counts(prod, **kw)
    b = E.outcome_counts(str(tmp_path / "prod.parquet"), progress=False, **kw)
    assert a.cells["all"].floored and a.cells["all"].equals(b.cells["all"])
    np.testing.assert_array_equal(np.unique(b.cells["all"].s), np.unique(np.floor(prod["p"].to_numpy() * 1e6) / 1e6))
    note = tk.performance(b, target="y", score="p", metric="roc_auc").to_frame()["note"].iloc[0]
    assert "floored to a 1e-06 grid" in note and "AUC within +/-" in note


def test_performance_of_labelled_logs_is_counted_in_the_engine(tmp_path, spec):
    """tk.performance on files of a binary model whose target is in the logs: counts in DuckDB, same figures."""
    frame = pd.read_parquet(FILES[0]).merge(pd.read_parquet(LABELS).drop_duplicates("customer_id"), how="left",
                                            on="customer_id")
    frame.to_parquet(tmp_path / "logs.parquet")
    kw = dict(metric=["roc_auc", "accuracy"], by="W", n_resamples=100)
    got = tk.performance(str(tmp_path / "logs.parquet"), spec, **kw)
    want = tk.performance(frame, spec, **kw)
    assert got.engine == "duckdb" and want.engine == "pandas"
    assert_same(want.to_frame(), got.to_frame())
