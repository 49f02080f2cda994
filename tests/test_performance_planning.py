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
        tk.labels_needed("log_loss", 0.8, 0.05)
    with pytest.raises(ValueError, match="positive or predicted positive"):
        tk.labels_needed("f1", 0.8, 0.05)
    with pytest.raises(ValueError, match="detectable_drop must be between"):
        tk.labels_needed("accuracy", 0.8, 0.9)
    with pytest.raises(ValueError, match="power"):
        tk.labels_needed("accuracy", 0.8, 0.05, power=0.01)
    assert math.isnan(tk.detectable_drop("roc_auc", 0.84, n=10, prevalence=0.05))


# ----------------------------------------------------------------------------- macro-F1 (multiclass)

_TABLE = np.array([[400, 60, 40], [50, 200, 50], [30, 40, 130]])      # true class by predicted class


def _macro_f1(C):
    """Macro-F1 of confusion tables C (R, K, K), and its delta-method se, written out independently."""
    C = np.asarray(C, dtype=float)
    n = C.sum(axis=(1, 2))[:, None, None]
    P = C / n
    r, s, d = P.sum(axis=2), P.sum(axis=1), np.diagonal(P, axis1=1, axis2=2)
    K = P.shape[1]
    f = np.mean(2 * d / (r + s), axis=1)
    g = np.zeros_like(P)
    for c in range(K):
        den = (r + s)[:, c][:, None]
        g[:, c, :] -= (2 * d[:, c][:, None] / den**2)
        g[:, :, c] -= (2 * d[:, c][:, None] / den**2)
        g[:, c, c] += 2 / den[:, 0]
    g /= K
    mean = np.sum(P * g, axis=(1, 2))
    var = np.sum(P * g**2, axis=(1, 2)) - mean**2
    return f, np.sqrt(var / n[:, 0, 0])


def test_macro_f1_plan_variance_matches_simulation():
    from toolkit.outcomes.planning import macro_f1_plan

    plan = macro_f1_plan(_TABLE)
    assert plan.value == pytest.approx(skm_macro_f1(_TABLE))
    rng = np.random.default_rng(0)
    C = rng.multinomial(1000, plan.table.ravel(), size=20_000).reshape(-1, 3, 3)
    f, se = _macro_f1(C)
    assert np.std(f) == pytest.approx(np.sqrt(plan.variance(0.0) / 1000), rel=0.03)
    assert np.median(se) == pytest.approx(np.sqrt(plan.variance(0.0) / 1000), rel=0.03)
    # the drop model: class shares unchanged, macro-F1 linear in the mixing weight down to the floor
    t = plan.mix_for_value(plan.value - 0.1)
    assert skm_macro_f1(plan.table_at(t) * 1e6) == pytest.approx(plan.value - 0.1, abs=1e-5)
    assert np.allclose(plan.table_at(t).sum(axis=1), plan.rows) and np.allclose(plan.table_at(t).sum(axis=0), plan.cols)


def skm_macro_f1(table):
    """sklearn's macro-F1 on the rows a (rounded) table of counts stands for."""
    from sklearn.metrics import f1_score

    C = np.rint(np.asarray(table)).astype(int)
    y = np.repeat(np.repeat(np.arange(len(C)), len(C)), C.ravel())
    pred = np.repeat(np.tile(np.arange(len(C)), len(C)), C.ravel())
    return f1_score(y, pred, average="macro")


@pytest.mark.parametrize("d,power", [(0.05, 0.8), (0.03, 0.9), (0.1, 0.8)])
def test_macro_f1_planning_reaches_its_power(d, power):
    """Windows whose macro-F1 dropped by the planned amount (class shares unchanged) are flagged at the planned
    power by the Wald test with the window's own se (20,000 windows, SE of a power 0.3%)."""
    from toolkit.outcomes.planning import macro_f1_plan

    plan = macro_f1_plan(_TABLE)
    p0 = plan.value
    n = tk.labels_needed("macro_f1", p0, d, power=power, confusion=_TABLE)
    assert tk.detectable_drop("macro_f1", p0, n, power=power, confusion=_TABLE) <= d + 1e-9
    assert tk.detectable_drop("macro_f1", p0, n - max(2, n // 50), power=power, confusion=_TABLE) > d
    rng = np.random.default_rng(int(100 * d))
    C = rng.multinomial(n, plan.table_at(plan.mix_for_value(p0 - d)).ravel(), size=20_000).reshape(-1, 3, 3)
    f, se = _macro_f1(C)
    z = (f - p0) / se
    detected = np.mean((np.abs(z) > stats.norm.ppf(0.975)) & (z < 0))
    assert power - 0.03 <= detected <= power + 0.03, detected
    # under no drop the same test keeps its size
    C0 = rng.multinomial(n, plan.table.ravel(), size=20_000).reshape(-1, 3, 3)
    f0, se0 = _macro_f1(C0)
    assert np.mean(np.abs(f0 - p0) / se0 > stats.norm.ppf(0.975)) == pytest.approx(0.05, abs=0.012)


def test_macro_f1_se_is_what_performance_bootstraps():
    """The delta-method se the plan uses agrees with tk.performance's bootstrap interval on one window."""
    import pandas as pd

    C = _TABLE * 2
    y = np.repeat(np.repeat(np.arange(3), 3), C.ravel())
    pred = np.repeat(np.tile(np.arange(3), 3), C.ravel())
    row = tk.performance(pd.DataFrame({"y": y, "pred": pred}), target="y", prediction="pred", task="multiclass",
                         metric="macro_f1").to_frame().iloc[0]
    _, se = _macro_f1(C[None])
    assert (row["upper"] - row["lower"]) / (2 * 1.96) == pytest.approx(se[0], rel=0.1)


def test_macro_f1_planning_errors_name_the_fix():
    import pandas as pd

    with pytest.raises(ValueError, match="confusion="):
        tk.labels_needed("macro_f1", 0.7, 0.05)
    with pytest.raises(ValueError, match="square"):
        tk.labels_needed("macro_f1", 0.7, 0.05, confusion=[[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match="not the macro-F1 of confusion"):
        tk.labels_needed("macro_f1", 0.9, 0.05, confusion=_TABLE)
    with pytest.raises(ValueError, match="no information"):
        tk.labels_needed("macro_f1", 0.7007, 0.5, confusion=_TABLE)
    with pytest.raises(ValueError, match="for metric='macro_f1'"):
        tk.labels_needed("accuracy", 0.7, 0.05, confusion=_TABLE)
    crossed = pd.DataFrame(_TABLE, index=["a", "b", "c"], columns=["a", "c", "b"])
    with pytest.raises(ValueError, match="same classes in the same order"):
        tk.labels_needed("macro_f1", 0.7007, 0.05, confusion=crossed)
    table = pd.DataFrame(_TABLE, index=["a", "b", "c"], columns=["a", "b", "c"])
    assert tk.labels_needed("macro_f1", 0.7007, 0.05, confusion=table) == 794
