"""labels_needed / detectable_drop: closed forms, inverses, and achieved power checked by simulation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import toolkit as tk
from toolkit.outcomes.intervals import delong, hanley_mcneil_variance


def test_accuracy_closed_form():
    p0, d = 0.79, 0.03
    z_a, z_b = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    expected = ((z_a * math.sqrt(p0 * (1 - p0)) + z_b * math.sqrt((p0 - d) * (1 - p0 + d))) / d) ** 2
    assert tk.labels_needed("accuracy", p0, d) == math.ceil(expected)
    one_sided = tk.labels_needed("accuracy", p0, d, alternative="one-sided")
    assert one_sided < tk.labels_needed("accuracy", p0, d)


@pytest.mark.parametrize("metric,p0,d,kw", [("accuracy", 0.79, 0.03, {}), ("accuracy", 0.95, 0.02, {}),
                                             ("recall", 0.62, 0.08, {"prevalence": 0.25}),
                                             ("roc_auc", 0.84, 0.05, {"prevalence": 0.25})])
def test_detectable_drop_inverts_labels_needed(metric, p0, d, kw):
    n = tk.labels_needed(metric, p0, d, **kw)
    assert tk.detectable_drop(metric, p0, n, **kw) <= d + 1e-9
    assert tk.detectable_drop(metric, p0, n - max(2, n // 50), **kw) > d    # fewer labels: only larger drops
    assert tk.detectable_drop(metric, p0, 4 * n, **kw) < d


def test_accuracy_power_by_simulation():
    """At n = labels_needed, the score test that tk.performance runs against a fixed baseline rejects
    with probability ~ the target power when the accuracy really dropped by d."""
    rng = np.random.default_rng(0)
    p0, d = 0.79, 0.03
    for power in (0.8, 0.9):
        n = tk.labels_needed("accuracy", p0, d, power=power)
        k = rng.binomial(n, p0 - d, size=40_000)
        z = (k / n - p0) / math.sqrt(p0 * (1 - p0) / n)
        achieved = np.mean(np.abs(z) > stats.norm.ppf(0.975))
        assert achieved == pytest.approx(power, abs=0.02)
        # and under no drop the test keeps its size
        k0 = rng.binomial(n, p0, size=40_000)
        z0 = (k0 / n - p0) / math.sqrt(p0 * (1 - p0) / n)
        assert np.mean(np.abs(z0) > stats.norm.ppf(0.975)) == pytest.approx(0.05, abs=0.01)


def test_recall_power_by_simulation():
    rng = np.random.default_rng(1)
    p0, d, prev = 0.62, 0.08, 0.25
    n = tk.labels_needed("recall", p0, d, prevalence=prev)
    positives = rng.binomial(n, prev, size=40_000)          # positives among n labels vary
    k = rng.binomial(positives, p0 - d)
    z = (k / positives - p0) / np.sqrt(p0 * (1 - p0) / positives)
    assert np.mean(np.abs(z) > stats.norm.ppf(0.975)) == pytest.approx(0.8, abs=0.03)


def test_auc_power_by_simulation():
    """Binormal scores with the AUC dropped by d: the Hanley-McNeil z-test rejects at ~80% power."""
    rng = np.random.default_rng(2)
    a0, d, prev = 0.84, 0.05, 0.25
    n = tk.labels_needed("roc_auc", a0, d, prevalence=prev)
    delta = math.sqrt(2) * stats.norm.ppf(a0 - d)            # binormal separation giving AUC = a0 - d
    R = 2000
    y = rng.random((R, n)) < prev
    s = rng.normal(size=(R, n)) + delta * y
    auc, _ = delong(s, y)
    n1 = y.sum(axis=1)
    z = (auc - a0) / np.sqrt(hanley_mcneil_variance(a0, n1, n - n1))
    achieved = np.mean(np.abs(z) > stats.norm.ppf(0.975))
    assert achieved == pytest.approx(0.8, abs=0.05)


def test_detectable_drop_by_simulation_for_auc():
    rng = np.random.default_rng(3)
    a0, n, prev = 0.84, 1500, 0.3
    d = tk.detectable_drop("roc_auc", a0, n, prevalence=prev)
    delta = math.sqrt(2) * stats.norm.ppf(a0 - d)
    y = rng.random((1500, n)) < prev
    s = rng.normal(size=(1500, n)) + delta * y
    auc, _ = delong(s, y)
    n1 = y.sum(axis=1)
    z = (auc - a0) / np.sqrt(hanley_mcneil_variance(a0, n1, n - n1))
    assert np.mean(np.abs(z) > stats.norm.ppf(0.975)) == pytest.approx(0.8, abs=0.05)


def test_uncertain_baseline_needs_more_labels():
    known = tk.labels_needed("accuracy", 0.79, 0.03)
    estimated = tk.labels_needed("accuracy", 0.79, 0.03, n_reference=5000)
    assert estimated > known
    rng = np.random.default_rng(4)
    k0 = rng.binomial(5000, 0.79, 40_000)
    k1 = rng.binomial(estimated, 0.76, 40_000)
    p0, p1 = k0 / 5000, k1 / estimated
    se = np.sqrt(p0 * (1 - p0) / 5000 + p1 * (1 - p1) / estimated)
    assert np.mean(np.abs(p1 - p0) / se > stats.norm.ppf(0.975)) == pytest.approx(0.8, abs=0.02)
    with pytest.raises(ValueError, match="baseline's own"):
        tk.labels_needed("accuracy", 0.79, 0.005, n_reference=200)


def test_bad_arguments():
    with pytest.raises(ValueError, match="prevalence"):
        tk.labels_needed("roc_auc", 0.8, 0.05)
    with pytest.raises(ValueError, match="metric must be one of"):
        tk.labels_needed("macro_f1", 0.8, 0.05)
    with pytest.raises(ValueError, match="positive or predicted positive"):
        tk.labels_needed("f1", 0.8, 0.05)
    with pytest.raises(ValueError, match="detectable_drop must be between"):
        tk.labels_needed("accuracy", 0.8, 0.9)
    with pytest.raises(ValueError, match="power"):
        tk.labels_needed("accuracy", 0.8, 0.05, power=0.01)
    assert math.isnan(tk.detectable_drop("roc_auc", 0.84, n=10, prevalence=0.05))
