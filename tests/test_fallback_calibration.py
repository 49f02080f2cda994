"""The abstain decision by simulation (issues 10.3 and 11): audit weights in coverage, a weak top slice
does not stop the search, and the chosen threshold misses its target at most 1 - confidence of the time."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.outcomes.fallback import _select_threshold

TARGET, CONFIDENCE = 0.85, 0.95


def weak_top_accuracy(u):
    """P(correct) of a case at coverage position u (0 = most confident): the top 3% are only 80% right,
    then 0.95 falling to 0.75; the cumulative accuracy meets 0.85 from ~8% to ~96% coverage."""
    return np.where(u < 0.03, 0.80, 0.95 - 0.2 * u)


def cumulative_accuracy(u):
    """Accuracy of the cases at positions <= u (closed form of weak_top_accuracy's running mean)."""
    u = np.asarray(u, dtype=float)
    top = 0.80 * np.minimum(u, 0.03)
    rest = np.where(u > 0.03, 0.95 * (u - 0.03) - 0.1 * (u**2 - 0.03**2), 0.0)
    return (top + rest) / np.maximum(u, 1e-12)


def weak_top_frame(n, rng):
    u = rng.random(n)
    correct = rng.random(n) < weak_top_accuracy(u)
    p = 1 - u / 2                       # confidence max(p, 1-p) = p; predicted class 1
    return pd.DataFrame({"p": p, "y": correct.astype(int)}), u


def test_weak_top_slice_does_not_make_it_infeasible():
    rng = np.random.default_rng(11)
    frame, _ = weak_top_frame(20_000, rng)
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=TARGET, confidence=CONFIDENCE)
    assert d.feasible and d.lower_bound >= TARGET
    # the true accuracy of the accepted cases meets the target, and most of the feasible coverage is used
    assert cumulative_accuracy(d.coverage) >= TARGET
    assert 0.75 < d.coverage < 0.97
    assert any("went on past them" in n for n in d.notes)
    # the curve at the top is below the target: a plain fixed sequence from the top would stop at once
    assert d.curve.to_frame()["value"].iloc[-1] < TARGET


# a harder shape for the guarantee: a weak top, then the running accuracy falls to just under the target
# (0.849) and stays flat there from 50% coverage on: many thresholds sit a hair below the target
_BREAKS = np.array([0.0, 0.03, 0.4, 0.5, 1.0])
_ACC = np.array([0.80, (0.36 - 0.024) / 0.37, (0.4245 - 0.36) / 0.1, 0.849])


def flat_accuracy(u):
    return _ACC[np.searchsorted(_BREAKS, u, side="right") - 1]


def flat_cumulative(u):
    u = np.atleast_1d(np.asarray(u, dtype=float))
    area = np.zeros_like(u)
    for lo, hi, a in zip(_BREAKS[:-1], _BREAKS[1:], _ACC):
        area += a * np.clip(u - lo, 0, hi - lo)
    return area / np.maximum(u, 1e-12)


def test_violation_rate_is_at_most_one_minus_confidence():
    """1000 repetitions of 3,000 labelled cases; a repetition violates when the chosen threshold's true
    accuracy is below the target. Budget 5%, tolerance 3 Monte Carlo SE (0.7% each). The same data
    with no correction over the thresholds (the largest coverage whose own 95% bound passes) violates
    far more often, so the test can fail."""
    from scipy import stats

    assert flat_cumulative(0.4)[0] == pytest.approx(0.9) and flat_cumulative(0.7)[0] == pytest.approx(0.849)
    rng = np.random.default_rng(5)
    reps, n = 1000, 3000
    violations, naive_violations, coverages = 0, 0, []
    for _ in range(reps):
        u = rng.random(n)
        correct = (rng.random(n) < flat_accuracy(u)).astype(float)
        sel = _select_threshold(1 - u, correct, np.ones(n), TARGET, 1 - CONFIDENCE, 30, 50)
        if sel["chosen"] is not None:
            cov = 1 - sel["threshold"]
            violations += flat_cumulative(cov)[0] < TARGET
            coverages.append(cov)
        order = np.argsort(u)
        k, m = np.cumsum(correct[order]), np.arange(1, n + 1)
        grid = np.arange(29, n, 60)
        lower = stats.beta.ppf(1 - CONFIDENCE, k[grid], m[grid] - k[grid] + 1)
        ok = np.flatnonzero(lower >= TARGET)
        if len(ok):
            naive_violations += flat_cumulative(u[order][grid[ok[-1]]])[0] < TARGET
    assert violations / reps <= 1 - CONFIDENCE + 3 * 0.007
    assert naive_violations / reps > 1 - CONFIDENCE + 3 * 0.007
    assert len(coverages) > 0.9 * reps and np.mean(coverages) > 0.25


def test_infeasible_because_of_the_bound_says_so():
    rng = np.random.default_rng(2)
    p = 1 - rng.random(80) / 2
    frame = pd.DataFrame({"p": p, "y": (rng.random(80) < 0.92).astype(int)})   # 92% right; 80 labels too few
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.88, confidence=0.95)
    assert not d.feasible and d.curve.to_frame()["value"].max() >= 0.88
    assert any("the bound, not the estimate" in n for n in d.notes)
    d2 = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.999)
    assert any("estimate itself stays below" in n for n in d2.notes)


def test_audit_weights_enter_coverage_routed_share_and_grid():
    """High-confidence cases audited 5x more often: coverage must be the population share, not the
    audit's (issue 10.3: 0.227 reported where the population value was 0.57)."""
    rng = np.random.default_rng(3)
    N = 200_000
    p = rng.beta(0.7, 0.7, N)
    y = (rng.random(N) < p).astype(int)
    conf = np.maximum(p, 1 - p)
    pi = np.where(conf > 0.8, 0.05, 0.01)
    take = rng.random(N) < pi
    audit = pd.DataFrame({"p": p[take], "y": y[take], "inclusion_prob": pi[take]})
    rc = tk.risk_coverage(audit, target="y", score="p", n_thresholds=10)
    f = rc.to_frame()
    for t, cov in zip(f["threshold"], f["coverage"]):
        assert cov == pytest.approx(np.mean(conf >= t), abs=0.02)
    # thresholds at evenly spaced population coverages, not crowded where the audit over-samples
    assert np.allclose(np.sort(f["coverage"].to_numpy())[::-1], np.linspace(1, 0.1, 10), atol=0.03)
    d = tk.abstain_threshold(audit, target="y", score="p", target_accuracy=0.9)
    truth = np.mean(conf >= d.threshold)
    assert d.coverage == pytest.approx(truth, abs=0.02) and d.routed_share == pytest.approx(1 - truth, abs=0.02)
    unweighted = tk.abstain_threshold(audit, target="y", score="p", target_accuracy=0.9, inclusion_prob=None)
    assert abs(unweighted.coverage - np.mean(conf >= unweighted.threshold)) > 0.1   # the old, biased figure
    assert rc.at(d.threshold)["coverage"] == pytest.approx(d.coverage)


def test_population_frame_with_some_labels_counts_each_row_once():
    rng = np.random.default_rng(4)
    N = 20_000
    p = rng.beta(0.7, 0.7, N)
    y = (rng.random(N) < p).astype(float)
    conf = np.maximum(p, 1 - p)
    pi = np.where(conf > 0.8, 0.5, 0.1)
    y[rng.random(N) >= pi] = np.nan            # labels for a sample; every row in the frame
    frame = pd.DataFrame({"p": p, "y": y, "inclusion_prob": pi})
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.9)
    assert d.coverage == pytest.approx(np.mean(conf >= d.threshold))
    assert d.n_rows == N and d.n_labelled == int(np.isfinite(y).sum())
    assert any(f"{d.n_labelled:,} of {N:,} rows used" in n for n in d.notes)
