"""Metric kernels and intervals: checked against scikit-learn, scipy, closed forms and simulations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

import toolkit as tk
from toolkit.outcomes.intervals import (auc_interval, clopper_pearson_lower, delong, hanley_mcneil_variance,
                                           wilson)
from toolkit.outcomes.metrics import BinaryKernel, MulticlassKernel, RegressionKernel, bootstrap_counts


# -- kernels vs scikit-learn ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def binary_sample():
    rng = np.random.default_rng(7)
    n = 700
    s = np.round(rng.random(n), 2)          # rounded: many ties
    y = (rng.random(n) < s).astype(float)
    pred = (s >= 0.4).astype(float)
    w = rng.uniform(0.2, 3.0, n)
    return s, y, pred, w


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_kernel_matches_sklearn(binary_sample, weighted):
    s, y, pred, w = binary_sample
    w = w if weighted else np.ones_like(w)
    k = BinaryKernel(score=s, prediction=pred)
    expected = {
        "roc_auc": skm.roc_auc_score(y, s, sample_weight=w),
        "accuracy": skm.accuracy_score(y, pred, sample_weight=w),
        "precision": skm.precision_score(y, pred, sample_weight=w),
        "recall": skm.recall_score(y, pred, sample_weight=w),
        "f1": skm.f1_score(y, pred, sample_weight=w),
        "log_loss": skm.log_loss(y, s, sample_weight=w),
        "brier": skm.brier_score_loss(y, s, sample_weight=w),
    }
    for metric, value in expected.items():
        assert k(metric, y, w)[0] == pytest.approx(value, rel=1e-10), metric
        # many weightings at once (bootstrap shape) and many label vectors at once (simulation shape)
        assert np.allclose(k(metric, y, np.vstack([w, w, w])), value)
        assert np.allclose(k(metric, np.vstack([y, y]), w), value)


def test_ece_matches_a_loop(binary_sample):
    s, y, pred, w = binary_sample
    bins = np.minimum((s * 10).astype(int), 9)
    ece = sum(abs(np.sum(w[bins == b] * (y[bins == b] - s[bins == b]))) for b in range(10)) / w.sum()
    assert BinaryKernel(score=s)("ece", y, w)[0] == pytest.approx(ece)


def test_auc_fast_path_equals_general_path(binary_sample):
    s, y, _, _ = binary_sample
    rng = np.random.default_rng(1)
    Y = (rng.random((20, s.size)) < s).astype(float)
    k = BinaryKernel(score=s)
    assert np.allclose(k.auc_unweighted(Y), k.auc(Y, np.ones((1, s.size))))
    assert np.allclose(k.auc_unweighted(Y), [skm.roc_auc_score(row, s) for row in Y])


def test_multiclass_and_regression_kernels_match_sklearn():
    rng = np.random.default_rng(3)
    y, pred = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    w = rng.uniform(0.5, 2, 500)
    k = MulticlassKernel(pred, 4)
    assert k("accuracy", y, w)[0] == pytest.approx(skm.accuracy_score(y, pred, sample_weight=w))
    assert k("macro_f1", y, w)[0] == pytest.approx(skm.f1_score(y, pred, average="macro", sample_weight=w))
    yt = rng.normal(10, 3, 500)
    yp = yt + rng.normal(0, 1, 500)
    r = RegressionKernel(yp)
    assert r("mae", yt, w)[0] == pytest.approx(skm.mean_absolute_error(yt, yp, sample_weight=w))
    assert r("rmse", yt, w)[0] == pytest.approx(np.sqrt(skm.mean_squared_error(yt, yp, sample_weight=w)))
    assert r("mape", yt, w)[0] == pytest.approx(skm.mean_absolute_percentage_error(yt, yp, sample_weight=w))


def test_bootstrap_counts_are_multinomial_resamples():
    counts = np.vstack(list(bootstrap_counts(50, 1000, np.random.default_rng(0), max_cells=5_000)))
    assert counts.shape == (1000, 50)
    assert (counts.sum(axis=1) == 50).all()
    assert counts.mean() == pytest.approx(1.0)
    assert counts.var() == pytest.approx(1 - 1 / 50, rel=0.05)


# -- intervals vs scipy / closed forms -------------------------------------------------------------------

@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (45, 50), (512, 1000), (1, 2000)])
def test_wilson_matches_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(k, n)
    assert low == pytest.approx(ci.low, abs=1e-12) and high == pytest.approx(ci.high, abs=1e-12)


@pytest.mark.parametrize("k,n", [(0, 30), (27, 30), (30, 30), (870, 1000)])
def test_clopper_pearson_lower_matches_scipy_exact(k, n):
    # one-sided 95% lower bound = lower end of the two-sided 90% exact interval
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.90, method="exact")
    assert clopper_pearson_lower(k, n, 0.95) == pytest.approx(ci.low, abs=1e-10)


def test_delong_matches_pairwise_definition():
    rng = np.random.default_rng(5)
    s = np.round(rng.normal(size=80), 1)
    y = rng.random(80) < 0.4
    auc, var = delong(s, y)
    pos, neg = s[y], s[~y]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    expected_var = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    assert auc[0] == pytest.approx(psi.mean()) and auc[0] == pytest.approx(skm.roc_auc_score(y, s))
    assert var[0] == pytest.approx(expected_var)
    one_class, one_var = delong(s, np.ones(80, dtype=bool))
    assert np.isnan(one_class[0]) and np.isnan(one_var[0])


def test_hanley_mcneil_closed_form():
    a, n1, n0 = 0.8, 50, 150
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    expected = (a * (1 - a) + 49 * (q1 - a * a) + 149 * (q2 - a * a)) / (50 * 150)
    assert hanley_mcneil_variance(a, n1, n0) == pytest.approx(expected)


def test_auc_interval_stays_in_unit_range():
    low, high = auc_interval(np.array([0.99, 0.5, 1.0]), np.array([0.02, 0.05, 0.0]))
    assert (low >= 0).all() and (high <= 1).all() and low[0] < 0.99 < high[0]


# -- coverage simulations ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [200, 2000])
def test_wilson_accuracy_interval_covers_truth(n):
    rng = np.random.default_rng(n)
    truth = 0.79
    k = rng.binomial(n, truth, size=1000)
    low, high = wilson(k, n)
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.93 <= coverage <= 0.97


@pytest.mark.parametrize("n", [200, 2000])
def test_delong_auc_interval_covers_truth(n):
    rng = np.random.default_rng(10 + n)
    d, prevalence = 1.4, 0.3
    truth = stats.norm.cdf(d / np.sqrt(2))            # binormal AUC
    y = rng.random((1000, n)) < prevalence
    s = rng.normal(size=(1000, n)) + d * y
    auc, var = delong(s, y)
    low, high = auc_interval(auc, np.sqrt(var))
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.93 <= coverage <= 0.97


def test_public_performance_uses_the_same_intervals():
    rng = np.random.default_rng(2)
    p = rng.random(300)
    frame = pd.DataFrame({"p": p, "y": (rng.random(300) < p).astype(int)})
    out = tk.performance(frame, target="y", score="p", metric=["roc_auc", "accuracy"]).to_frame().set_index("metric")
    auc, var = delong(frame["p"].to_numpy(), frame["y"].to_numpy() == 1)
    m = int(frame["y"].sum())
    low, high = auc_interval(auc, np.sqrt(var), n_positive=m, n_negative=300 - m)
    assert out.loc["roc_auc", "lower"] == pytest.approx(low[0]) and out.loc["roc_auc", "upper"] == pytest.approx(high[0])
    k = int(((frame["p"] >= 0.5) == (frame["y"] == 1)).sum())
    ci = stats.binomtest(k, 300).proportion_ci(method="wilson")
    assert out.loc["accuracy", "lower"] == pytest.approx(ci.low) and out.loc["accuracy", "upper"] == pytest.approx(ci.high)


def test_bootstrap_f1_interval_covers_truth():
    """The bootstrap path (f1) through the public function, 200 repetitions at n = 400."""
    rng = np.random.default_rng(11)
    pop_p = rng.beta(2, 4, 400_000)
    pop_y = rng.random(pop_p.size) < pop_p
    truth = skm.f1_score(pop_y, pop_p >= 0.35)
    hits = 0
    for _ in range(200):
        idx = rng.integers(0, pop_p.size, 400)
        frame = pd.DataFrame({"p": pop_p[idx], "y": pop_y[idx].astype(int)})
        row = tk.performance(frame, target="y", score="p", threshold=0.35, metric="f1", n_resamples=400,
                             random_state=int(rng.integers(1 << 30))).to_frame().iloc[0]
        hits += row.lower <= truth <= row.upper
    assert 0.90 <= hits / 200 <= 0.99


# -- inclusion-probability weighting -----------------------------------------------------------------------

def test_inclusion_weighting_removes_audit_sampling_bias():
    """An audit that over-samples high scores biases accuracy and AUC; 1/inclusion_prob weights remove it."""
    rng = np.random.default_rng(42)
    N = 20_000
    s = rng.beta(1.5, 4, N)
    y = (rng.random(N) < s).astype(float)
    pred = (s >= 0.3).astype(float)
    truth_acc = np.mean(y == pred)
    truth_auc = skm.roc_auc_score(y, s)
    pi = np.clip(0.01 + 0.25 * s, 0, 1)                        # over-samples high scores
    R = 200
    sampled = rng.random((R, N)) < pi                          # 200 audits of ~1,000 rows
    k = BinaryKernel(score=s, prediction=pred)
    unweighted = {m: k(m, y, sampled.astype(float)) for m in ("accuracy", "roc_auc")}
    weighted = {m: k(m, y, sampled / pi) for m in ("accuracy", "roc_auc")}
    mc_se = {m: weighted[m].std() / np.sqrt(R) for m in weighted}
    for m, truth in (("accuracy", truth_acc), ("roc_auc", truth_auc)):
        bias_unweighted = unweighted[m].mean() - truth
        bias_weighted = weighted[m].mean() - truth
        assert abs(bias_unweighted) > 0.02, (m, bias_unweighted)
        assert abs(bias_weighted) < max(4 * mc_se[m], 0.004), (m, bias_weighted)


def test_weighted_interval_covers_truth_through_public_function():
    rng = np.random.default_rng(8)
    N = 20_000
    s = rng.beta(1.5, 4, N)
    y = (rng.random(N) < s).astype(int)
    truth = skm.roc_auc_score(y, s)
    pi = np.clip(0.02 + 0.3 * s, 0, 1)
    hits, biased_hits = 0, 0
    for rep in range(60):
        take = rng.random(N) < pi
        audit = pd.DataFrame({"p": s[take], "y": y[take], "inclusion_prob": pi[take]})
        row = tk.performance(audit, target="y", score="p", metric="roc_auc", n_resamples=300,
                             random_state=rep).to_frame().iloc[0]
        assert row.weighted and "1/inclusion_prob" in row.note
        hits += row.lower <= truth <= row.upper
        naive = tk.performance(audit, target="y", score="p", metric="roc_auc", inclusion_prob=None).to_frame().iloc[0]
        biased_hits += naive.lower <= truth <= naive.upper
    assert hits / 60 >= 0.88
    assert biased_hits / 60 < hits / 60


def _old_bootstrap_counts(n, n_boot, rng, max_cells=4_000_000):
    """The sampler before the cache-sized counting (one bincount per block): the reference stream."""
    block = max(1, min(n_boot, max_cells // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(float)
        done += b


@pytest.mark.parametrize("n,n_boot,max_cells", [(1, 5, 4_000_000), (7, 300, 4_000_000), (50, 1000, 5_000),
                                                 (8_601, 40, 4_000_000), (70_001, 3, 150_000)])
def test_bootstrap_counts_draw_the_same_resamples_as_before(n, n_boot, max_cells):
    """Counting in cache-sized chunks (and drawing 32-bit words) changes no seeded number: same blocks, same counts."""
    new = list(bootstrap_counts(n, n_boot, np.random.default_rng(n), max_cells=max_cells))
    old = list(_old_bootstrap_counts(n, n_boot, np.random.default_rng(n), max_cells=max_cells))
    assert [b.shape for b in new] == [b.shape for b in old]
    for a, b in zip(new, old):
        np.testing.assert_array_equal(a, b)
