"""risk_coverage and abstain_threshold: exact values, the guarantee by simulation, routing, charts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import toolkit as tk


def calibrated(n, rng, a=0.7):
    p = rng.beta(a, a, n)
    return pd.DataFrame({"p": p, "y": (rng.random(n) < p).astype(int)})


@pytest.fixture(scope="module")
def frame():
    return calibrated(3000, np.random.default_rng(0))


def test_curve_values_are_exact(frame):
    rc = tk.risk_coverage(frame, target="y", score="p", n_thresholds=20)
    f = rc.to_frame()
    assert f["coverage"].iloc[0] == 1.0 and f["coverage"].is_monotonic_decreasing
    assert (f["routed_share"] == 1 - f["coverage"]).all()
    conf = np.maximum(frame.p, 1 - frame.p)
    correct = (frame.p >= 0.5) == (frame.y == 1)
    for _, row in f.iloc[[0, 7, 15]].iterrows():
        acc = conf >= row.threshold
        assert row.value == pytest.approx(correct[acc].mean())
        assert row.n_accepted == acc.sum() and row.coverage == pytest.approx(acc.mean())
        ci = stats.binomtest(int(correct[acc].sum()), int(acc.sum())).proportion_ci(method="wilson")
        assert row.lower == pytest.approx(ci.low) and row.upper == pytest.approx(ci.high)
    assert f["value"].iloc[-1] > f["value"].iloc[0]                 # more confident -> more accurate
    at = rc.at(0.8)
    assert set(at) >= {"accuracy", "coverage", "routed_share", "n_accepted", "lower", "upper"}
    assert at["accuracy"] == pytest.approx(correct[conf >= 0.8].mean()) and at["n_accepted"] == (conf >= 0.8).sum()
    assert 0 < rc.aurc < 1 - f["value"].iloc[0]


def test_confidence_follows_the_decision_threshold(frame):
    rc = tk.risk_coverage(frame, target="y", score="p", threshold=0.3, n_thresholds=5)
    pred = frame.p >= 0.3
    conf = np.where(pred, frame.p, 1 - frame.p)
    assert rc.at(0.6)["n_accepted"] == (conf >= 0.6).sum()
    assert rc.confidence == "p if predicted positive else 1 - p"


def test_decision_meets_the_target_with_its_lower_bound(frame):
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.9, level=0.95)
    assert d.feasible and d.lower_bound >= 0.9 and d.accuracy >= d.lower_bound
    conf = np.maximum(frame.p, 1 - frame.p)
    acc = conf >= d.abstain_at
    k, n = int(((frame.p >= 0.5) == (frame.y == 1))[acc].sum()), int(acc.sum())
    assert d.n_accepted == n
    assert d.lower_bound == pytest.approx(stats.binomtest(k, n).proportion_ci(0.90, method="exact").low)
    assert d.coverage == pytest.approx(acc.mean()) and d.routed_share == pytest.approx(1 - acc.mean())
    assert "route" in repr(d) and d.to_frame().shape == (1, 10)


def test_the_guarantee_holds_by_simulation():
    """Over 300 repetitions the chosen threshold's true accuracy falls below the target in at most
    ~5% of them (fixed-sequence testing with a one-sided 95% Clopper-Pearson bound)."""
    rng = np.random.default_rng(1)
    target = 0.9
    # true accuracy of cases with confidence >= t, for calibrated Beta(0.7, 0.7) probabilities
    big = rng.beta(0.7, 0.7, 2_000_000)
    conf_big = np.sort(np.maximum(big, 1 - big))[::-1]
    cum_acc = np.cumsum(conf_big) / np.arange(1, conf_big.size + 1)

    def true_accuracy(t):
        k = np.searchsorted(-conf_big, -t, side="right")
        return cum_acc[k - 1]

    oracle = conf_big[np.flatnonzero(cum_acc >= target)[-1]]
    misses, coverages = 0, []
    for rep in range(300):
        d = tk.abstain_threshold(calibrated(2000, rng), target="y", score="p", target_accuracy=target)
        if not d.feasible:
            continue
        misses += true_accuracy(d.abstain_at) < target
        coverages.append(d.coverage)
    assert misses / 300 <= 0.07
    oracle_coverage = np.mean(np.maximum(big, 1 - big) >= oracle)
    assert oracle_coverage - 0.15 < np.mean(coverages) < oracle_coverage   # conservative, not useless


def test_infeasible_target_routes_everything(frame):
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.9999)
    assert not d.feasible and d.abstain_at is None and d.routed_share == 1.0
    assert d.routes(frame).all() and "infeasible" in repr(d)
    assert any("no threshold" in n for n in d.notes)


def test_apply_shows_routing_per_window(frame):
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.85)
    rng = np.random.default_rng(2)
    new = calibrated(2000, rng, a=0.4).assign(week=np.repeat(["w1", "w2"], 1000))
    new.loc[new.index[:10], "p"] = np.nan
    out = d.apply(new, by="week")
    assert out["window"].tolist() == ["w1", "w2"] and (out["n"] == 1000).all()
    routed = d.routes(new)
    assert routed[:10].all()                                              # missing scores go to the fallback
    assert out["n_routed"].sum() == routed.sum() and out.loc[0, "n_missing_confidence"] == 10
    assert out["routed_share"].iloc[1] == pytest.approx(routed[1000:].mean())
    whole = d.apply(new)
    assert whole["window"].tolist() == ["all"]


def test_weighted_labels_use_effective_sample_size():
    rng = np.random.default_rng(3)
    f = calibrated(4000, rng)
    f["inclusion_prob"] = np.where(np.maximum(f.p, 1 - f.p) > 0.8, 1.0, 0.2)
    d = tk.abstain_threshold(f, target="y", score="p", target_accuracy=0.85)
    assert any("effective sample size" in n for n in d.notes)
    assert d.lower_bound >= 0.85


def test_charts_and_html(frame):
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.9)
    spec = d.chart().to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line", "rule", "rule", "point"]
    assert all("tooltip" in layer["encoding"] for layer in spec["layer"])
    assert d.curve.chart().to_dict()["layer"]
    assert "Abstain threshold" in d._repr_html_() and "Risk-coverage" in d.curve._repr_html_()


def test_bad_input(frame):
    with pytest.raises(ValueError, match="target_accuracy"):
        tk.abstain_threshold(frame, target="y", score="p", target_accuracy=1.5)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        tk.risk_coverage(frame.assign(p=frame.p * 2), target="y", score="p")
    with pytest.raises(ValueError, match="confidence_column"):
        tk.risk_coverage(frame.assign(y=frame.p * 10), target="y", prediction="p", task="regression", metric="mae")


def test_apply_reports_accuracy_of_answered_cases_where_labels_exist(frame):
    d = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.85)
    rng = np.random.default_rng(4)
    fine = calibrated(3000, rng).assign(week="w1")
    broken = calibrated(3000, rng).assign(week="w2")
    broken["y"] = np.where(rng.random(3000) < 0.4, 1 - broken["y"], broken["y"])      # labels drift away
    out = d.apply(pd.concat([fine, broken], ignore_index=True), by="week").set_index("window")
    accepted = fine[np.maximum(fine.p, 1 - fine.p) >= d.abstain_at]
    assert out.loc["w1", "n_accepted_labelled"] == len(accepted)
    assert out.loc["w1", "accuracy_accepted"] == pytest.approx(((accepted.p >= 0.5) == (accepted.y == 1)).mean())
    assert not out.loc["w1", "below_target"] and out.loc["w2", "below_target"]


def test_decision_quotes_the_labelled_cases_it_was_chosen_on():
    """Rows without a label are not evidence: the repr and the narrative quote n_labelled, not len(frame)."""
    from toolkit import narrative

    rng = np.random.default_rng(0)
    p = rng.random(3000)
    frame = pd.DataFrame({"p": p, "y": (rng.random(3000) < np.maximum(p, 1 - p)).astype(float)})
    frame["y"] = (frame["y"] == (frame["p"] >= 0.5)).astype(float)
    frame.loc[:99, "y"] = np.nan
    decision = tk.abstain_threshold(frame, target="y", score="p", target_accuracy=0.8)
    assert decision.n_labelled == 2900 and decision.n_rows == 3000
    assert "chosen on 2,900 labelled cases" in repr(decision)
    assert "chosen on 2,900 labelled cases" in narrative.fallback(decision).items[0]


def test_multiclass_with_class_scores_only_routes_labelled_windows():
    """A multiclass model that logs only p_<class> columns: apply() on labelled new data derives the predicted
    class as the decision did (before: KeyError '_tk_predicted')."""
    rng = np.random.default_rng(9)
    n = 3000
    P = rng.dirichlet([0.5, 0.5, 0.5], n)
    y = np.array(["a", "b", "c"])[(rng.random((n, 1)) > np.cumsum(P, axis=1)).sum(axis=1)]
    frame = pd.DataFrame({"p_a": P[:, 0], "p_b": P[:, 1], "p_c": P[:, 2], "y": y,
                          "week": np.repeat(["w1", "w2", "w3"], n // 3)})
    scores = {"a": "p_a", "b": "p_b", "c": "p_c"}
    d = tk.abstain_threshold(frame, target="y", task="multiclass", class_scores=scores, target_accuracy=0.8)
    routing = d.apply(frame, by="week")
    assert list(routing["window"]) == ["w1", "w2", "w3"] and routing["n"].sum() == n
    answered = frame[~d.routes(frame)]
    acc = (answered[["p_a", "p_b", "p_c"]].to_numpy().argmax(axis=1) == answered["y"].map({"a": 0, "b": 1, "c": 2})).mean()
    assert (routing["n_accepted_labelled"] * routing["accuracy_accepted"]).sum() / routing["n_accepted_labelled"].sum() \
        == pytest.approx(acc)
