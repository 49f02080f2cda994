"""The label-free estimate and the abstain routing from counts of every production row.

Rows of one score and predicted label are exchangeable for CBPE and for the routing, so both are computed from
per-window cells (``tk.engines.outcome_counts(..., all_rows=True)``): the expected values equal the rows' (closed
form, 1e-12), the per-cell binomial label draws have the rows' distribution (simulation), and pandas, DuckDB and
Spark give identical estimates and routing tables on the demo (1e-9, seeded intervals included).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit import engines as E
from toolkit.outcomes.estimate import _expected_auc, _simulate_cells
from toolkit.outcomes.metrics import BinaryKernel

from conftest import assert_frames_identical, demo_config

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data"
# fully labelled, partly labelled (label delay), audit-only (weighted by 1/inclusion_prob) weeks
WEEKS = ["2026-10", "2026-21", "2026-25", "2026-26"]
METRICS = ["roc_auc", "accuracy", "brier"]


def _scored(rng, n, ties=True):
    s = rng.beta(2, 4, n)
    s = np.round(s, 2) if ties else s
    return pd.DataFrame({"p": s, "y": (rng.random(n) < s).astype(float)})


# -------------------------------------------------------------------------------------------- the cell form


def test_expected_auc_of_cells_is_the_rows_soft_label_auc():
    """Cells of tied rows: the rows' form leaves out only each row's pair with itself (known truth: the kernel on
    the expanded rows)."""
    rng = np.random.default_rng(4)
    s = np.sort(rng.integers(0, 30, 200) / 30.0)
    n = rng.integers(1, 6, 200)
    w = rng.choice([1.0, 2.0, 5.0], 200)
    P = rng.random((3, 200))
    cells = _expected_auc(s, P, n, w)
    rows = BinaryKernel(score=np.repeat(s, n))("roc_auc", np.repeat(P, n, axis=1), np.repeat(w, n))
    np.testing.assert_allclose(cells, rows, rtol=0, atol=1e-12)
    # the kernel on cell weights (n w) would count a cell's n^2 self pairs: not the rows' value
    wrong = BinaryKernel(score=s)("roc_auc", P, n * w)
    assert np.abs(wrong - rows).max() > 1e-4


def test_estimate_from_counts_equals_the_rows_estimate_and_realized():
    """Tied scores, partial labels, inclusion probabilities: estimate, realized value and row counts from the
    cells equal those of the rows' path; only the seeded intervals are other draws of the same distribution."""
    rng = np.random.default_rng(7)
    ref = _scored(rng, 3000)
    prod = _scored(rng, 4000).assign(week=np.repeat(["a", "b", "c", "d"], 1000))
    prod.loc[rng.random(4000) < 0.6, "y"] = np.nan            # labels arrived for 40%
    prod["inclusion_prob"] = np.where(prod["y"].notna(), rng.choice([0.5, 1.0], 4000), np.nan)
    first = prod["week"] == "a"   # an unweighted week beside weighted ones
    prod.loc[first, "inclusion_prob"] = np.where(prod.loc[first, "y"].notna(), 1.0, np.nan)
    prod.loc[5, "p"] = np.nan                                # a missing score is excluded, and said so
    metrics = ["roc_auc", "accuracy", "precision", "recall", "f1", "brier", "log_loss"]
    kw = dict(target="y", score="p", threshold=0.4, metric=metrics, n_resamples=100)
    rows = tk.estimate_performance(ref, prod, by="week", **kw).to_frame()
    counts = E.outcome_counts(prod, None, target="y", score="p", threshold=0.4, window="week", all_rows=True)
    cells = tk.estimate_performance(ref, counts, **kw)
    got = cells.to_frame()
    for col in ["estimate", "realized", "reference_value", "n", "n_labelled"]:
        np.testing.assert_allclose(got[col].astype(float), rows[col].astype(float), rtol=0, atol=1e-12, err_msg=col)
    assert got["window"].tolist() == rows["window"].tolist()
    assert got.loc[got["window"] == "a", "note"].str.contains("1 rows with missing score").all()
    assert got.loc[got["window"] == "b", "note"].str.contains("weighted by 1/inclusion_prob").all()
    # the intervals: other draws, the same spread
    width = (got["upper"] - got["lower"]) / (rows["upper"] - rows["lower"])
    assert width.between(0.7, 1.4).all(), width.tolist()
    assert cells.engine == "pandas" and "all 4,000 production rows" in cells.engine_note


def test_cell_draws_have_the_row_draws_distribution():
    """Binomial draws per cell against Bernoulli draws per row: simulated AUC and accuracy have the same mean and
    spread (5,000 simulations each; the bounds are 5 standard errors and fail for a 10% error in the spread)."""
    rng = np.random.default_rng(11)
    s = np.sort(rng.integers(1, 20, 60) / 20.0)
    s_cells, n = np.unique(s, return_counts=True)
    P = np.clip(s_cells * 0.9 + 0.05, 0, 1)
    pred = (s_cells >= 0.5).astype(float)
    n_sim = 5000
    cells = _simulate_cells(["roc_auc", "accuracy"], P, s_cells, pred, n, np.ones(n.size), n_sim,
                            np.random.default_rng(1))
    p_rows, s_rows, pred_rows = np.repeat(P, n), np.repeat(s_cells, n), np.repeat(pred, n)
    Y = (np.random.default_rng(2).random((n_sim, s_rows.size)) < p_rows).astype(float)
    kernel = BinaryKernel(score=s_rows, prediction=pred_rows)
    rows = {"roc_auc": kernel("roc_auc", Y, np.ones(s_rows.size)), "accuracy": kernel("accuracy", Y, np.ones(s_rows.size))}
    for m in ("roc_auc", "accuracy"):
        a, b = cells[m][~np.isnan(cells[m])], rows[m][~np.isnan(rows[m])]
        se = np.sqrt(a.var() / a.size + b.var() / b.size)
        assert abs(a.mean() - b.mean()) < 5 * se, m
        # sd ratio: its standard error is about sqrt(1 / n_sim) (normal-ish statistics): 5 of those
        assert abs(a.std() / b.std() - 1) < 5 * np.sqrt(1 / n_sim), (m, a.std(), b.std())
    # known truth: the expected accuracy in closed form
    expected = float(np.sum(n * (pred * P + (1 - pred) * (1 - P))) / n.sum())
    acc = cells["accuracy"]
    assert abs(acc.mean() - expected) < 5 * acc.std() / np.sqrt(n_sim)


def test_routing_from_counts_equals_the_rows_routing():
    rng = np.random.default_rng(5)
    ref, prod = _scored(rng, 3000), _scored(rng, 3000).assign(week=np.repeat(["a", "b", "c"], 1000))
    prod.loc[rng.random(3000) < 0.5, "y"] = np.nan
    prod.loc[7, "p"] = np.nan
    decision = tk.abstain_threshold(ref, target="y", score="p", threshold=0.4, target_accuracy=0.8)
    rows = decision.apply(prod, by="week")
    counts = E.outcome_counts(prod, None, target="y", score="p", threshold=0.4, window="week", all_rows=True)
    pd.testing.assert_frame_equal(decision.apply(counts), rows, check_exact=False, rtol=0, atol=1e-12)
    assert rows["n_missing_confidence"].tolist() == [1, 0, 0]


def test_routing_and_estimate_from_counts_need_every_row_and_a_score_confidence():
    rng = np.random.default_rng(6)
    ref = _scored(rng, 2000).assign(c=lambda f: f["p"])
    prod = _scored(rng, 500)
    labelled_only = E.outcome_counts(prod, None, target="y", score="p", threshold=0.5)
    every = E.outcome_counts(prod, None, target="y", score="p", threshold=0.5, all_rows=True)
    decision = tk.abstain_threshold(ref, target="y", score="p", target_accuracy=0.7)
    with pytest.raises(ValueError, match="all_rows=True"):
        decision.apply(labelled_only)
    with pytest.raises(ValueError, match="all_rows=True"):
        tk.estimate_performance(ref, labelled_only, target="y", score="p")
    by_column = tk.abstain_threshold(ref, target="y", score="p", target_accuracy=0.7, confidence_column="c")
    with pytest.raises(ValueError, match="confidence comes from its score"):
        by_column.apply(every)


def test_label_free_production_is_counted_in_duckdb_as_in_pandas(tmp_path):
    """No labels anywhere in production (no target column): every row still gets its cell, in both engines."""
    rng = np.random.default_rng(8)
    prod = _scored(rng, 3000).drop(columns="y").assign(week=np.repeat(["a", "b"], 1500))
    for w in ("a", "b"):
        (tmp_path / f"week={w}").mkdir()
        prod[prod["week"] == w].drop(columns="week").to_parquet(tmp_path / f"week={w}" / "part-0.parquet")
    a = E.outcome_counts(prod, None, target="y", score="p", threshold=0.5, window="week", all_rows=True)
    b = E.outcome_counts(str(tmp_path), None, target="y", score="p", threshold=0.5, window="batch", all_rows=True,
                         progress=False)
    assert list(a.scores) == list(b.scores) == ["a", "b"]
    assert all(a.scores[w].equals(b.scores[w]) for w in ("a", "b"))
    assert b.windows["n_labelled"].sum() == 0 and b.windows["n_rows"].sum() == 3000
    assert E.distinct_scores(prod, score="p", window="week") == prod.groupby("week")["p"].nunique().sum()
    approx = E.distinct_scores(str(tmp_path), score="p", window="batch")
    assert abs(approx / prod.groupby("week")["p"].nunique().sum() - 1) < 0.05   # HyperLogLog: a few % off


# -------------------------------------------------------------------------------------------- the demo, per engine


def _demo_config(tmp_path, engine, **changes):
    return demo_config(tmp_path, engine, WEEKS, **changes)


def _figures(cfg):
    estimate = cfg.estimate(metric=METRICS, n_resamples=100)
    decision = tk.abstain_threshold(cfg.reference, spec=cfg.spec, target_accuracy=0.85)
    return estimate, cfg.routing(decision)


@pytest.fixture(scope="module")
def pandas_figures(tmp_path_factory):
    return _figures(_demo_config(tmp_path_factory.mktemp("demo"), "pandas"))


def test_demo_estimate_and_routing_are_identical_in_pandas_and_duckdb(tmp_path, pandas_figures):
    est_pd, route_pd = pandas_figures
    est_db, route_db = _figures(_demo_config(tmp_path, "duckdb"))
    assert_frames_identical(est_pd.to_frame(), est_db.to_frame())
    assert_frames_identical(route_pd, route_db)
    assert est_pd.windows == WEEKS and route_db["window"].tolist() == WEEKS
    # the demo covers every interval kind: full labels, label delay, audit-only weeks (weighted)
    assert est_db.to_frame()["note"].str.contains("weighted by 1/inclusion_prob").any()
    assert est_db.unreliable == ["2026-21", "2026-25", "2026-26"]
    assert route_db["below_target"].tolist() == [False, True, True, True]
    n_rows = 38_077
    assert est_db.engine == "duckdb" and f"in DuckDB from counts per distinct score of all {n_rows:,}" in \
        est_db.engine_note
    assert "in memory (pandas)" in est_pd.engine_note
    assert f"Routing computed in DuckDB from counts per distinct score of all {n_rows:,}" in \
        route_db.attrs["engine_note"]


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_demo_estimate_and_routing_are_identical_in_spark(spark, tmp_path, pandas_figures):
    est_pd, route_pd = pandas_figures
    est_sp, route_sp = _figures(_demo_config(tmp_path, "spark"))
    assert_frames_identical(est_pd.to_frame(), est_sp.to_frame())
    assert_frames_identical(route_pd, route_sp)
    assert "in Spark" in est_sp.engine_note and "in Spark" in route_sp.attrs["engine_note"]


def test_under_duckdb_every_production_row_is_estimated_not_the_sample(tmp_path):
    """A row budget far below production: the frames hold a sample, the estimate and routing count every row."""
    cfg = _demo_config(tmp_path, "duckdb", row_budget=2000)
    assert cfg.scores_in_engine
    est, routing = _figures(cfg)
    assert len(pd.concat(cfg.batches.values())) <= 2000
    frame = est.to_frame()
    assert frame.groupby("window")["n"].first().sum() == 38_077 == routing["n"].sum()
    # the same figures as the counts of the full joined frame in pandas, with the baseline sample held
    full = pd.concat([pd.read_parquet(DATA / "production" / f"week={w}" / "part-0.parquet").assign(window=w)
                      for w in WEEKS], ignore_index=True)
    joined = tk.join_labels(full, pd.read_parquet(DATA / "labels.parquet"), spec=cfg.spec, by=None).joined
    counts = E.outcome_counts(joined, None, cfg.spec, window="window", inclusion_prob="inclusion_prob", all_rows=True)
    same = tk.estimate_performance(cfg.reference, counts, cfg.spec, metric=METRICS, n_resamples=100)
    assert_frames_identical(same.to_frame(), frame)


def test_above_the_cell_bound_the_estimate_uses_the_sample_and_says_so(tmp_path, monkeypatch):
    import toolkit.config as config_module

    monkeypatch.setattr(config_module, "ROW_BUDGET", 100)   # the bound is max(row_budget, ROW_BUDGET) cells
    cfg = _demo_config(tmp_path, "duckdb", row_budget=2000)
    assert not cfg.scores_in_engine   # ~38,000 distinct scores > 2,000 cells
    est, routing = _figures(cfg)
    assert est.to_frame().groupby("window")["n"].first().sum() <= 2000
    assert "seeded sample held under engine duckdb" in est.engine_note and "38,077 production rows" in est.engine_note
    assert "rounding the scores would change the result" in est.engine_note
    # the routing needs no score, only each row's fate at the cut-off: every row, exactly as with the scores
    assert routing["n"].sum() == 38_077 and "replaced by its routing at the cut-off" in routing.attrs["engine_note"]
    decision = tk.abstain_threshold(cfg.reference, spec=cfg.spec, target_accuracy=0.85)
    exact = decision.apply(E.outcome_counts(cfg._engine_input("production"), cfg._engine_input("labels"), cfg.spec,
                                            window="batch", all_rows=True, progress=False))
    assert_frames_identical(exact, routing)


@pytest.mark.parametrize("cut", ["at a score", "none", "zero"])
def test_routing_counts_with_scores_replaced_by_their_fate_route_exactly(tmp_path, cut):
    """route_at: a handful of cells per window, and the routing of the exact scores, ties at the cut-off included."""
    rng = np.random.default_rng(9)
    prod = _scored(rng, 2000, ties=False).assign(week=np.repeat(["a", "b"], 1000))
    prod["pred"] = (prod["p"] >= 0.35).astype(float)
    prod.loc[rng.random(2000) < 0.5, "y"] = np.nan
    prod.loc[[3, 1500], "p"] = np.nan
    prod.loc[[4], "pred"] = np.nan
    for w in ("a", "b"):
        (tmp_path / f"week={w}").mkdir()
        prod[prod["week"] == w].drop(columns="week").to_parquet(tmp_path / f"week={w}" / "part-0.parquet")
    roles = dict(target="y", score="p", prediction="pred", positive_label=1)
    ref = _scored(rng, 3000).assign(pred=lambda f: (f["p"] >= 0.35).astype(float))
    decision = tk.abstain_threshold(ref, target_accuracy=0.75, **roles)
    at = {"at a score": float(1 - prod["p"].iloc[10]) if prod["pred"].iloc[10] == 0 else float(prod["p"].iloc[10]),
          "none": None, "zero": 0.0}[cut]
    decision = dataclasses.replace(decision, abstain_at=at)
    exact = E.outcome_counts(prod, None, window="week", all_rows=True, **roles)
    fates = E.outcome_counts(str(tmp_path), None, window="batch", all_rows=True, route_at=at, progress=False, **roles)
    assert max(len(c.n) for c in fates.scores.values()) <= 16   # (label, score fate, prediction, pi) combinations
    pd.testing.assert_frame_equal(decision.apply(fates), decision.apply(exact), check_exact=False, rtol=0, atol=1e-12)
    assert decision.apply(exact).equals(decision.apply(prod, by="week"))
    with pytest.raises(ValueError, match="all_rows=True"):
        E.outcome_counts(str(tmp_path), None, window="batch", route_at=0.5, progress=False, **roles)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_routing_fates_in_spark_are_duckdbs(spark, tmp_path):
    rng = np.random.default_rng(10)
    prod = _scored(rng, 1500, ties=False).assign(week=np.repeat(["a", "b", "c"], 500))
    prod.loc[rng.random(1500) < 0.3, "y"] = np.nan
    prod.loc[[2, 700], "p"] = np.nan
    for w in ("a", "b", "c"):
        (tmp_path / f"week={w}").mkdir()
        prod[prod["week"] == w].drop(columns="week").to_parquet(tmp_path / f"week={w}" / "part-0.parquet")
    roles = dict(target="y", score="p", threshold=0.4)
    decision = tk.abstain_threshold(_scored(rng, 3000), target_accuracy=0.75, **roles)
    kw = dict(window="batch", all_rows=True, route_at=decision.abstain_at, progress=False, **roles)
    duck = E.outcome_counts(str(tmp_path), None, **kw)
    spk = E.outcome_counts(str(tmp_path), None, engine="spark", session=spark, **kw)
    assert all(duck.scores[w].equals(spk.scores[w]) for w in ("a", "b", "c"))
    exact = decision.apply(E.outcome_counts(prod, None, window="week", all_rows=True, **roles))
    pd.testing.assert_frame_equal(decision.apply(spk), exact, check_exact=False, rtol=0, atol=1e-12)


def test_health_under_duckdb_routes_and_estimates_every_row_as_templates_03_04(tmp_path):
    """The verdict card and the 03/04 tables show the same figures: the health check counts every row too."""
    from toolkit.health_rules import Rules
    from toolkit.model_health import _compute

    cfg = _demo_config(tmp_path, "duckdb", row_budget=2000)
    rules = Rules()
    stats = _compute(cfg, rules)
    decision = tk.abstain_threshold(cfg.reference, spec=cfg.spec, target_accuracy=rules.target_accuracy,
                                    level=rules.level)
    routing = cfg.routing(decision)
    assert stats.routing["n"].sum() == routing["n"].sum() == 38_077   # every row, not the 2,000-row sample
    assert_frames_identical(routing.assign(window=routing["window"].astype(str)), stats.routing)
    est = cfg.estimate(metric=stats.metric, n_resamples=200).to_frame()
    est = est[est["window"].astype(str).isin(stats.estimate["window"])].reset_index(drop=True)
    assert len(stats.estimate) > 0
    np.testing.assert_allclose(stats.estimate["estimate"].to_numpy(float), est["estimate"].to_numpy(float), atol=1e-12)
