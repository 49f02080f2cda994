"""Interval coverage by simulation against a known truth (issue 10.4-10.6, 10.12), and the multiclass /
regression paths (issue 11). Full table: bench/RESULTS-calibration-outcomes.md (bench/outcomes.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

import toolkit as tk
from toolkit.outcomes.intervals import auc_interval, delong

from outcome_coverage import coverage, population


@pytest.mark.parametrize("n,prevalence", [(50, 0.3), (50, 0.5), (200, 0.5), (1000, 0.5)])
def test_auc_interval_covers_at_true_auc_099(n, prevalence):
    """2,000 binormal samples with true AUC 0.99 (SE of the coverage 0.5%). Before: 74% at n=50, with 23%
    zero-width [1, 1] intervals."""
    rng = np.random.default_rng(n + int(10 * prevalence))
    d = np.sqrt(2) * stats.norm.ppf(0.99)
    reps = 2000
    y = rng.random((reps, n)) < prevalence
    s = rng.normal(size=(reps, n)) + d * y
    auc, var = delong(s, y)
    m = y.sum(axis=1)
    low, high = auc_interval(auc, np.sqrt(var), n_positive=m, n_negative=n - m)
    ok = (m >= 1) & (m <= n - 1)
    assert ((high - low)[ok] > 0).all()                         # never zero width, even at sample AUC 1
    cov = np.mean(((low <= 0.99) & (0.99 <= high))[ok])
    assert 0.93 <= cov <= 0.98, cov


def test_auc_one_in_public_result_has_a_real_interval():
    frame = pd.DataFrame({"p": np.r_[np.linspace(0, 0.4, 35), np.linspace(0.6, 1, 15)], "y": [0] * 35 + [1] * 15})
    row = tk.performance(frame, target="y", score="p", metric="roc_auc").to_frame().iloc[0]
    assert row.value == 1.0 and row.upper <= 1.0 and row.lower < 0.99


def test_ece_is_descriptive_without_an_interval():
    rng = np.random.default_rng(0)
    p = rng.random(300)
    frame = pd.DataFrame({"p": p, "y": (rng.random(300) < p).astype(int)})
    perf = tk.performance(frame, target="y", score="p", metric="ece", baseline=0.0)
    row = perf.to_frame().iloc[0]
    assert row.value > 0 and np.isnan(row.lower) and np.isnan(row.upper)      # biased up: calibrated, yet > 0
    assert row.method == "descriptive (no interval)" and "no valid interval" in row.note
    assert np.isnan(row.delta_p_value) and not row.degraded                    # no test without an SE


REPS = 1000     # SE of a 95% coverage 0.7%: 93-97% is the true value +- 3 SE


@pytest.mark.slow
@pytest.mark.parametrize("kind,metric,weighted", [
    ("binary", "brier", False), ("binary", "log_loss", False), ("binary", "f1", True), ("binary", "recall", True),
    ("regression_t5", "mae", False), ("regression_t5", "mae", True), ("multiclass", "macro_f1", False),
    ("multiclass", "accuracy", True),
])
def test_bootstrap_intervals_cover_at_n50(kind, metric, weighted):
    """1,000 repetitions at n = 50: before, log-loss and Brier read ~0.92 (percentile/BCa bootstrap)."""
    r = coverage(kind, metric, 50, weighted, reps=REPS, n_boot=500, seed=3)
    assert r["flagged"] == 0 and r["no_interval"] == 0
    assert 0.93 <= r["coverage"] <= 0.97, r


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["brier", "log_loss"])
def test_weighted_brier_and_log_loss_cover_at_n200(metric):
    """Audit-weighted Brier and log-loss at n = 200, 1,000 repetitions."""
    r = coverage("binary", metric, 200, True, reps=REPS, n_boot=500, seed=2)
    assert r["flagged"] == 0 and r["no_interval"] == 0
    assert 0.93 <= r["coverage"] <= 0.97, r


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason="known defect, not fixed: at n = 50 with audit weights (Kish n_eff ~ 35) the "
                   "weighted studentized bootstrap covers 91-94% for Brier / log-loss (3,000 repetitions pooled: 0.932 / "
                   "0.923) and MAE of skewed (lognormal) errors (0.914-0.936); see bench/RESULTS-leftovers.md")
@pytest.mark.parametrize("kind,metric", [("binary", "brier"), ("binary", "log_loss")])
def test_weighted_small_sample_losses_cover_at_n50(kind, metric):
    r = coverage(kind, metric, 50, True, reps=REPS, n_boot=500, seed=1)
    assert r["flagged"] == 0 and 0.93 <= r["coverage"] <= 0.97, r


@pytest.mark.slow
@pytest.mark.parametrize("kind,metric,weighted,low,high", [
    ("binary_auc99", "roc_auc", True, 0.97, 1.0),       # over-covers (0.993): conservative, wider than needed
    ("multiclass", "macro_f1", True, 0.0, 0.9),          # under-covers (0.80): the note is a real warning
])
def test_small_weighted_samples_are_flagged_approximate(kind, metric, weighted, low, high):
    """Flagged "interval approximate" in >= 90% of windows at n = 50 with audit weights, and the flag is
    justified: over 1,000 windows the intervals' coverage (flagged ones included) lies outside 93-97%."""
    r = coverage(kind, metric, 50, weighted, reps=REPS, n_boot=300, seed=6)
    assert r["flagged"] >= 0.9
    assert low <= r["coverage_all"] <= high and not 0.93 <= r["coverage_all"] <= 0.97, r


@pytest.mark.slow
@pytest.mark.parametrize("kind,n", [("regression_logn", 50), ("regression_logn", 200), ("regression_t5", 50)])
def test_heavy_tailed_rmse_is_flagged_where_it_cannot_cover(kind, n):
    """Heavy-tailed errors: no bootstrap reaches 95% for RMSE at n <= 200; the result says so in >= 95% of
    windows, and what an unflagged interval would have promised is below 93% (1,000 windows)."""
    r = coverage(kind, "rmse", n, False, reps=REPS, n_boot=300, seed=4)
    assert r["flagged"] >= 0.95
    assert r["coverage_all"] < 0.93, r


def test_multiclass_from_class_scores_and_from_a_prediction():
    rng = np.random.default_rng(0)
    n = 600
    P = rng.dirichlet([1, 1, 1], n)
    classes = np.array(["a", "b", "c"])
    y = classes[(rng.random((n, 1)) > np.cumsum(P, axis=1)).sum(axis=1)]
    frame = pd.DataFrame({"pa": P[:, 0], "pb": P[:, 1], "pc": P[:, 2], "y": y})
    pred = classes[P.argmax(axis=1)]
    by_scores = tk.performance(frame, target="y", task="multiclass", metric="all",
                               class_scores={"a": "pa", "b": "pb", "c": "pc"}).to_frame().set_index("metric")
    by_pred = tk.performance(frame.assign(pred=pred)[["y", "pred"]], target="y", prediction="pred",
                             task="multiclass", metric="all").to_frame().set_index("metric")
    assert by_scores.loc["accuracy", "value"] == pytest.approx(skm.accuracy_score(y, pred))
    assert by_scores.loc["macro_f1", "value"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert np.allclose(by_scores[["value", "lower", "upper"]], by_pred[["value", "lower", "upper"]])
    assert (by_scores["lower"] < by_scores["value"]).all() and (by_scores["value"] < by_scores["upper"]).all()
    with pytest.raises(ValueError, match="class_scores"):
        tk.performance(frame, target="y", task="multiclass")


def test_regression_metrics_have_intervals():
    rng = np.random.default_rng(1)
    x = rng.gamma(4, 5, 400)
    frame = pd.DataFrame({"y": 10 + x + rng.standard_t(5, 400) * 4, "pred": 10 + x})
    f = tk.performance(frame, target="y", prediction="pred", metric="all").to_frame().set_index("metric")
    assert list(f.index) == ["mae", "rmse", "mape"]
    assert f.loc["rmse", "value"] == pytest.approx(np.sqrt(np.mean((frame.y - frame.pred) ** 2)))
    assert (f["lower"] < f["value"]).all() and (f["value"] < f["upper"]).all()
    assert (f["method"] == "studentized bootstrap").all()


@pytest.mark.slow
def test_unreliable_flag_allows_for_calibration_error():
    """Issue 10.12: scores miscalibrated (p**2.5) that isotonic calibration repairs, no concept drift. The share
    of labelled chunks flagged must be flag_level's nominal 1% (before: 9-14% without the calibration's error,
    1.5-1.8% with its bootstrap; now 1.1-1.75%, z sd 1.03-1.05): here <= 2% on each metric over
    120 references x 10 chunks, and the standardised distance of the realized value from the check's centre
    has mean ~0 and sd ~1 (the flag is a z-test at 2.576)."""
    from scipy import stats as st

    rng = np.random.default_rng(7)
    frames = []
    for rep in range(120):
        def draw(n):
            p = rng.beta(2, 3, n)
            return pd.DataFrame({"s": p**2.5, "y": (rng.random(n) < p).astype(int)})
        est = tk.estimate_performance(draw(3000), draw(10_000), target="y", score="s",
                                      metric=["roc_auc", "accuracy"], chunk_size=1000, n_simulations=200,
                                      random_state=rep)
        assert "isotonic" in est.calibration.loc[est.calibration["chosen"], "scores"].iloc[0]
        frames.append(est.to_frame())
    f = pd.concat(frames)
    centre = (f["check_lower"] + f["check_upper"]) / 2
    f["z"] = (f["realized"] - centre) / ((f["check_upper"] - f["check_lower"]) / 2 / st.norm.ppf(0.995))
    for metric, part in f.groupby("metric"):
        assert len(part) == 1200
        assert part["unreliable"].mean() <= 0.02, (metric, part["unreliable"].mean())
        assert abs(part["z"].mean()) < 0.1 and 0.93 <= part["z"].std() <= 1.08, (metric, part["z"].describe())


@pytest.mark.parametrize("p0,n", [(0.79, 500), (0.9, 2000), (0.7, 200)])
def test_detectable_drop_is_detected_at_the_stated_power(p0, n):
    """Issue 10.14: the planned drop is flagged by the test performance() runs in ~80% of windows (power=0.8)."""
    from toolkit.outcomes.realized import Measure, compare_fixed

    d = tk.detectable_drop("accuracy", p0, n=n, power=0.8)
    rng = np.random.default_rng(n)
    k = rng.binomial(n, p0 - d, 20_000)
    value = k / n
    # compare_fixed's score test, vectorised: se at the baseline value
    z = (value - p0) / np.sqrt(p0 * (1 - p0) / n)
    detected = np.mean((2 * stats.norm.sf(np.abs(z)) < 0.05) & (z < 0))
    one = Measure("accuracy", value=float(value[0]), n=n, n_denominator=n, method="Wilson")
    assert compare_fixed(one, p0)[3] == pytest.approx(2 * stats.norm.sf(abs(z[0])))   # the same test
    assert 0.78 <= detected <= 0.83, detected


def test_planning_precision_is_planned_on_predicted_positives():
    n = tk.labels_needed("precision", 0.7, 0.05, prevalence=0.2)
    m = tk.labels_needed("accuracy", 0.7, 0.05)                  # the same proportion test on all rows
    assert abs(n - m / 0.2) <= 1 / 0.2                           # both rounded up
    assert tk.detectable_drop("precision", 0.7, n=n, prevalence=0.2) == pytest.approx(0.05, abs=1e-3)
    with pytest.raises(ValueError, match="predicted positive"):
        tk.labels_needed("precision", 0.7, 0.05)


def _f1_windows(f1, u, n, reps, rng):
    """Confusion matrices of ``n`` rows whose population F1 is ``f1`` with a share ``u`` of rows in TP+FP+FN."""
    tp = f1 * u / (2 - f1)
    off = (u - tp) / 2                                   # FP and FN shares (equal)
    counts = rng.multinomial(n, [tp, off, off, 1 - u], size=reps)
    a, b, c = counts[:, 0], counts[:, 1], counts[:, 2]
    return 2 * a / (2 * a + b + c), (a + b + c) / n


@pytest.mark.parametrize("p0,u,n", [(0.7, 0.4, 500), (0.85, 0.25, 2000), (0.6, 0.6, 300)])
def test_f1_planning_reaches_its_power(p0, u, n):
    """detectable_drop('f1'): windows whose F1 dropped by the planned amount are flagged at ~80% power by
    the Wald test with the window's own F1 se; the delta-method se is what performance()'s bootstrap gives."""
    d = tk.detectable_drop("f1", p0, n=n, power=0.8, prevalence=u)
    assert tk.labels_needed("f1", p0, d, prevalence=u) in (n, n + 1)          # the inverse
    rng = np.random.default_rng(n)
    f, uh = _f1_windows(p0 - d, u, n, 20_000, rng)
    se = np.sqrt(f * (1 - f) * (2 - f) ** 2 / (2 * n * uh))
    z = (f - p0) / se
    detected = np.mean((2 * stats.norm.sf(np.abs(z)) < 0.05) & (z < 0))
    assert 0.77 <= detected <= 0.83, detected
    # the empirical sd of F1 agrees with the delta method (the variance the plan uses)
    assert np.std(f) == pytest.approx(np.sqrt((p0 - d) * (1 - p0 + d) * (2 - p0 + d) ** 2 / (2 * n * u)), rel=0.05)
    # and performance()'s bootstrap se on one such window agrees with the delta method
    a, b, c = (np.round(np.array([(p0 - d) * u / (2 - p0 + d), 0, 0]) * n)).astype(int)
    fp = fn = int(round((u * n - a) / 2))
    y = np.r_[np.ones(a), np.zeros(fp), np.ones(fn), np.zeros(n - a - fp - fn)].astype(int)
    pred = np.r_[np.ones(a + fp), np.zeros(n - a - fp)].astype(int)
    row = tk.performance(pd.DataFrame({"y": y, "pred": pred}), target="y", prediction="pred",
                         metric="f1").to_frame().iloc[0]
    f_obs = 2 * a / (2 * a + fp + fn)
    se_delta = np.sqrt(f_obs * (1 - f_obs) * (2 - f_obs) ** 2 / (2 * (a + fp + fn)))
    assert (row["upper"] - row["lower"]) / (2 * 1.96) == pytest.approx(se_delta, rel=0.15)
