"""The metrics of one window share their bootstrap resamples (toolkit.outcomes.counts.measure_cells_many).

What must hold: each metric's replicates are exactly a row bootstrap of its own rows (the draws it would get
alone), metrics that drop different rows never share counts, every metric's interval and the difference from
a baseline keep their coverage (per metric, by simulation), and memory stays bounded in chunks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import audit_population

import toolkit as tk
from toolkit.outcomes import counts as counts_module
from toolkit.outcomes.counts import Cells, measure_cells, measure_cells_many
from toolkit.outcomes.metrics import BinaryKernel
from toolkit.outcomes.realized import compare

METRICS = ["roc_auc", "accuracy", "precision", "recall", "f1", "brier", "log_loss", "ece"]


def _audit_cells(seed: int, n: int = 600, missing_scores: int = 0) -> Cells:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(float)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.18), 0.001, 0.999)
    p = (s >= 0.5).astype(float)
    pi = np.where(s >= 0.5, 0.7, 0.2)
    s[:missing_scores] = np.nan         # the prediction column is still there: label metrics keep these rows
    return Cells.from_rows(y, s, p, pi)


def test_each_metric_gets_exactly_the_resamples_it_would_draw_alone():
    """Sharing changes which metric sees which random numbers, not their law: the score metrics (drawn first)
    equal those measured alone from the same seed, and the label metrics those measured alone from the
    generator the score metrics left."""
    cells = _audit_cells(1)
    shared = measure_cells_many(cells, METRICS, n_boot=300, rng=np.random.default_rng(9), weight_column="pi")
    rng = np.random.default_rng(9)
    for family in (["roc_auc", "brier", "log_loss", "ece"], ["accuracy", "precision", "recall", "f1"]):
        state = rng.bit_generator.state
        for m in family:
            rng.bit_generator.state = state          # each metric alone, from where its family starts
            alone = measure_cells(cells, m, n_boot=300, rng=rng, weight_column="pi")
            assert shared[m].method == alone.method and shared[m].notes == alone.notes, m
            np.testing.assert_array_equal([shared[m].value, shared[m].lower, shared[m].upper, shared[m].se],
                                          [alone.value, alone.lower, alone.upper, alone.se])
            if alone.boot is not None:
                np.testing.assert_array_equal(shared[m].boot, alone.boot)
        rng.bit_generator.state = state              # then on, as the shared call went
        measure_cells_many(cells, family, n_boot=300, rng=rng, weight_column="pi")
    assert shared["ece"].boot is None and np.isnan(shared["ece"].lower)      # descriptive, as alone


def test_label_metrics_resample_the_merged_cells_with_the_row_bootstraps_law():
    """Label metrics resample cells merged on (label, prediction, inclusion prob.): their replicates have the
    distribution of a bootstrap of the rows (KS test against rows resampled one by one), and their jackknife
    is the exact delete-one jackknife (same acceleration as leaving each row out)."""
    from scipy import stats

    from toolkit.outcomes.metrics import bootstrap_counts

    cells = _audit_cells(5, n=400)
    rows = cells.to_frame().loc[lambda f: f.index.repeat(f["n"])]
    y, p, w = rows["y"].to_numpy(), rows["p"].to_numpy(), 1 / rows["pi"].to_numpy()
    kernel = BinaryKernel(prediction=p)
    by_rows = np.concatenate([kernel("f1", y, c * w) for c in bootstrap_counts(len(y), 4000,
                                                                              np.random.default_rng(1))])
    merged = measure_cells(cells, "f1", n_boot=4000, rng=np.random.default_rng(2), weight_column="pi")
    assert stats.ks_2samp(by_rows, merged.boot).pvalue > 0.01
    assert abs(by_rows.std() - merged.boot.std()) < 0.05 * by_rows.std()
    # BCa from the row jackknife (every row left out in turn) gives the merged cells' interval
    from toolkit.outcomes.intervals import bca_interval

    jack = kernel("f1", y, np.where(np.eye(len(y), dtype=bool), 0.0, w))
    assert bca_interval(merged.boot, merged.value, jack) == pytest.approx((merged.lower, merged.upper), abs=1e-12)


def test_metrics_that_drop_different_rows_get_their_own_resamples():
    """Score metrics leave out the rows without a score, label metrics keep them: their counts must each be a
    resample of their own rows (n differs), so they are drawn in turn, score metrics' group first."""
    cells = _audit_cells(2, missing_scores=40)
    shared = measure_cells_many(cells, ["roc_auc", "f1", "brier"], n_boot=200, rng=np.random.default_rng(4),
                                weight_column="pi")
    assert shared["f1"].n == shared["roc_auc"].n + 40 == shared["brier"].n + 40
    rng = np.random.default_rng(4)
    scored = measure_cells_many(cells, ["roc_auc", "brier"], n_boot=200, rng=rng, weight_column="pi")
    labels = measure_cells(cells, "f1", n_boot=200, rng=rng, weight_column="pi")
    np.testing.assert_array_equal(shared["roc_auc"].boot, scored["roc_auc"].boot)
    np.testing.assert_array_equal(shared["brier"].boot, scored["brier"].boot)
    np.testing.assert_array_equal(shared["f1"].boot, labels.boot)


@pytest.mark.slow
def test_shared_resamples_keep_every_metrics_coverage_and_the_differences_coverage():
    """400 seeded pairs of weighted audit samples (about 500 labels each, 200 resamples): each metric's 95%
    interval covers the population value, and the interval of the difference between two independent samples
    covers 0, per metric. With 1,000 pairs (bench/RESULTS-perfboot.md) shared and separate streams both read
    93-96% (the percentile interval of a difference at 200 resamples: 93.3-94% for the weighted AUC either
    way), so 90%-98.5% is about 3 SE of 400 pairs either side; a sampler off by a factor 1.5 in SE reads
    < 80% or > 99.5%."""
    n_pop = 200_000
    rng, y_pop, s_pop, p_pop, pi_pop = audit_population(2027, n_pop)
    metrics = ["roc_auc", "accuracy", "f1", "brier"]
    kernel = BinaryKernel(score=s_pop, prediction=p_pop)
    truth = {m: float(kernel(m, y_pop, np.ones(n_pop))[0]) for m in metrics}

    def sample() -> Cells:
        idx = rng.integers(0, n_pop, 2000)
        idx = idx[rng.random(2000) < pi_pop[idx]]
        return Cells.from_rows(y_pop[idx], s_pop[idx], p_pop[idx], pi_pop[idx])

    reps = 400
    covered = {m: 0 for m in metrics}
    delta_covered = {m: 0 for m in metrics}
    for _ in range(reps):
        a = measure_cells_many(sample(), metrics, n_boot=200, rng=rng, weight_column="pi")
        b = measure_cells_many(sample(), metrics, n_boot=200, rng=rng, weight_column="pi")
        for m in metrics:
            assert a[m].method.startswith("weighted"), a[m].method
            covered[m] += a[m].lower <= truth[m] <= a[m].upper
            _, low, high, _ = compare(a[m], b[m], 0.95)
            delta_covered[m] += low <= 0 <= high
    for m in metrics:
        assert 0.90 <= covered[m] / reps <= 0.985, (m, covered[m] / reps)
        assert 0.90 <= delta_covered[m] / reps <= 0.985, (m, delta_covered[m] / reps)


def test_resamples_are_drawn_in_bounded_chunks(monkeypatch):
    """No block of counts holds more than CHUNK_CELLS entries (one resample row at least), whatever the window."""
    seen = []
    original = counts_module.cell_bootstrap

    def spy(n, n_boot, rng, max_cells=4_000_000):
        for block in original(n, n_boot, rng, max_cells):
            seen.append(block.size if block.shape[0] > 1 else 0)
            yield block

    monkeypatch.setattr(counts_module, "cell_bootstrap", spy)
    monkeypatch.setattr(counts_module, "CHUNK_CELLS", 5_000)
    measure_cells_many(_audit_cells(3, n=3_000), ["roc_auc", "f1", "brier"], n_boot=50,
                       rng=np.random.default_rng(0), weight_column="pi")
    assert seen and max(seen) <= 5_000


def test_performance_report_draws_once_per_window_and_is_reproducible():
    """tk.performance measures a window's metrics from one stream: the same seed gives the same report, and the
    weighted metrics' replicates differ from what independent streams gave only within Monte Carlo error."""
    rng = np.random.default_rng(8)
    n = 3000
    y = (rng.random(n) < 0.35).astype(int)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.18), 0.001, 0.999)
    frame = pd.DataFrame({"y": y, "s": s, "pi": np.where(s >= 0.5, 0.7, 0.2),
                          "half": np.repeat(["a", "b"], n // 2)})
    kw = dict(target="y", score="s", threshold=0.5, by="half", metric=["roc_auc", "accuracy", "f1"],
              inclusion_prob="pi", reference=frame)
    one, two = tk.performance(frame, **kw).to_frame(), tk.performance(frame, **kw).to_frame()
    pd.testing.assert_frame_equal(one, two)
    # the same figures computed one metric at a time (independent streams, the former way): same values and
    # methods, intervals within Monte Carlo error of 1,000 resamples (a few % of the interval's width)
    apart = pd.concat([tk.performance(frame, **{**kw, "metric": m}).to_frame() for m in kw["metric"]])
    apart = apart.set_index(["window", "metric"]).loc[one.set_index(["window", "metric"]).index].reset_index()
    np.testing.assert_array_equal(one["value"], apart["value"])
    assert (one["method"] == apart["method"]).all()
    width = (one["upper"] - one["lower"]).to_numpy()
    for col in ("lower", "upper"):
        assert np.all(np.abs(one[col] - apart[col]).to_numpy() <= 0.1 * width), col


@pytest.mark.parametrize("metric,weighted", [("roc_auc", True), ("f1", False), ("accuracy", True), ("roc_auc", False)])
def test_measure_se_only_is_the_full_measures_standard_error(metric, weighted):
    """interval="se" (what attribute_drop's segment tests use) gives the value and SE of the full measure from the
    same seed, without the jackknife and interval; analytic SEs (DeLong, Wilson) are unchanged."""
    from toolkit.outcomes.measure import resolve_roles
    from toolkit.outcomes.realized import measure, prepare

    rng = np.random.default_rng(4)
    n = 700
    y = (rng.random(n) < 0.35).astype(int)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.18), 0.001, 0.999)
    frame = pd.DataFrame({"y": y, "s": s, "pi": np.where(s >= 0.5, 0.7, 0.2) if weighted else 1.0})
    roles = resolve_roles(frame, None, target="y", score="s", threshold=0.5)
    prep = prepare(frame, roles, (metric,), "pi")
    rows = np.arange(n)
    full = measure(prep, rows, metric, n_boot=300, rng=np.random.default_rng(1))
    se_only = measure(prep, rows, metric, n_boot=300, rng=np.random.default_rng(1), interval="se")
    assert se_only.value == full.value and se_only.se == full.se and se_only.n == full.n
    if full.method in ("DeLong", "Wilson"):
        assert se_only.method == full.method and se_only.lower == full.lower
    else:
        assert se_only.method.endswith("bootstrap SE") and np.isnan(se_only.lower)
        np.testing.assert_array_equal(se_only.boot, full.boot)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unique_rows_is_numpys_row_unique(seed):
    """The mixed-radix merge of cells gives np.unique(axis=0)'s rows, order and inverse exactly."""
    from toolkit.outcomes.counts import unique_rows

    rng = np.random.default_rng(seed)
    n = 2000
    cols = [np.round(rng.random(n), 2), (rng.random(n) < 0.3).astype(float), rng.choice([0.2, 0.5, 1.0], n)]
    key, inverse = unique_rows(cols)
    want, want_inverse = np.unique(np.column_stack(cols), axis=0, return_inverse=True)
    np.testing.assert_array_equal(np.column_stack(key), want)
    np.testing.assert_array_equal(inverse, want_inverse.ravel())


def test_cells_from_frame_merge_like_the_pandas_groupby():
    """Cells.from_frame (per-column codes) gives the cells, canonical order and integer counts of the pandas
    group-by it replaced, with missing scores and predictions (NaN, sorted last) and large counts."""
    from toolkit.outcomes.counts import CELL_COLUMNS

    rng = np.random.default_rng(12)
    m = 5000
    frame = pd.DataFrame({"y": (rng.random(m) < 0.4).astype(float), "s": np.round(rng.random(m), 2),
                          "p": rng.choice([0.0, 1.0, np.nan], m), "pi": rng.choice([0.25, 1.0], m),
                          "n": rng.integers(1, 2**40, m)})
    frame.loc[rng.random(m) < 0.05, "s"] = np.nan
    got = Cells.from_frame(frame)
    g = frame.groupby(CELL_COLUMNS[:4], dropna=False, sort=False)["n"].sum().reset_index()
    g = g.sort_values(["s", "y", "p", "pi"], kind="mergesort", na_position="last").reset_index(drop=True)
    for c in CELL_COLUMNS:
        np.testing.assert_array_equal(getattr(got, c), g[c].to_numpy(), err_msg=c)
    assert got.n.dtype == np.int64 and np.isnan(got.s[-1])
