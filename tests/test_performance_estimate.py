"""tk.estimate_performance: CBPE and the loss model track realized performance when their
assumptions hold, say what they assume, and flag chunks where the assumptions break."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import toolkit as tk


def world(n, rng, x_mean=0.0, flip=False, distort=False):
    """Two features; the score is the true probability (optionally distorted, i.e. miscalibrated)."""
    x1 = rng.normal(x_mean, 1, n)
    x2 = rng.normal(0, 1, n)
    logit = -1.0 + 1.4 * x1 + 0.8 * x2
    p = 1 / (1 + np.exp(-logit))
    true_logit = -1.0 + 1.4 * x1 + (-0.8 if flip else 0.8) * x2
    y = (rng.random(n) < 1 / (1 + np.exp(-true_logit))).astype(int)
    score = p**2 if distort else p
    return pd.DataFrame({"x1": x1, "x2": x2, "score": score, "y": y})


@pytest.fixture(scope="module")
def reference():
    return world(20_000, np.random.default_rng(0))


def test_cbpe_tracks_realized_under_covariate_shift(reference):
    rng = np.random.default_rng(1)
    analysis = pd.concat([world(2000, rng, x_mean=m) for m in np.linspace(0, 1.0, 20)], ignore_index=True)
    est = tk.estimate_performance(reference, analysis.drop(columns="y"), target="y", score="score",
                                  metric=["roc_auc", "accuracy", "f1"], by=2000)
    f = est.to_frame()
    assert len(f) == 20 * 3 and not f["unreliable"].any() and f["realized"].isna().all()
    errors, covered = [], []
    for i, chunk in enumerate(est.windows):
        part = analysis.iloc[i * 2000:(i + 1) * 2000]
        for metric, fn in (("roc_auc", lambda d: skm.roc_auc_score(d.y, d.score)),
                           ("accuracy", lambda d: skm.accuracy_score(d.y, d.score >= 0.5)),
                           ("f1", lambda d: skm.f1_score(d.y, d.score >= 0.5))):
            row = f[(f.window == chunk) & (f.metric == metric)].iloc[0]
            truth = fn(part)
            errors.append(abs(row.estimate - truth))
            covered.append(row.lower <= truth <= row.upper)
    assert np.mean(errors) < 0.015
    assert np.mean(covered) >= 0.85


def test_isotonic_calibration_is_chosen_only_when_it_helps(reference):
    rng = np.random.default_rng(2)
    calibrated = tk.estimate_performance(reference, world(3000, rng).drop(columns="y"), target="y", score="score",
                                         metric="accuracy")
    assert not calibrated.calibration.set_index("scores").loc["isotonic (5-fold CV)", "chosen"]
    distorted_ref = world(20_000, rng, distort=True)
    analysis = world(4000, rng, distort=True)
    est = tk.estimate_performance(distorted_ref, analysis.drop(columns="y"), target="y", score="score",
                                  metric=["accuracy", "roc_auc"])
    table = est.calibration.set_index("scores")
    assert table.loc["isotonic (5-fold CV)", "chosen"] and table.loc["isotonic (5-fold CV)", "ece"] < table.loc["raw", "ece"]
    assert "isotonic" in est.assumptions[0]
    row = est.to_frame().set_index("metric")
    assert row.loc["accuracy", "estimate"] == pytest.approx(skm.accuracy_score(analysis.y, analysis.score >= 0.5),
                                                            abs=0.02)
    assert row.loc["roc_auc", "estimate"] == pytest.approx(skm.roc_auc_score(analysis.y, analysis.score), abs=0.02)


def test_concept_drift_makes_the_estimate_unreliable(reference):
    rng = np.random.default_rng(3)
    analysis = pd.concat([world(3000, rng).assign(week="w1"), world(3000, rng, flip=True).assign(week="w2")],
                         ignore_index=True)
    est = tk.estimate_performance(reference, analysis, target="y", score="score", metric="roc_auc", by="week")
    f = est.to_frame().set_index("window")
    assert f.loc["w2", "realized"] < f.loc["w2", "check_lower"] and f.loc["w2", "unreliable"]
    assert "concept drift suspected" in f.loc["w2", "note"]
    assert not f.loc["w1", "unreliable"] and f.loc["w1", "check_lower"] <= f.loc["w1", "realized"]
    assert est.unreliable == ["w2"]
    assert any("concept drift" in a for a in est.assumptions) and any("calibrated" in a for a in est.assumptions)
    assert "concept drift suspected" in repr(est) and "Assumes" in est.to_html()


def test_partial_weighted_labels_are_checked_on_their_own_rows(reference):
    rng = np.random.default_rng(4)
    analysis = world(6000, rng)
    pi = np.clip(0.05 + 0.4 * analysis["score"], 0, 1)
    audited = rng.random(len(analysis)) < pi
    analysis = analysis.assign(y=analysis["y"].where(audited), inclusion_prob=np.where(audited, pi, np.nan))
    est = tk.estimate_performance(reference, analysis, target="y", score="score", metric=["roc_auc", "accuracy"],
                                  flag_level=0.95)
    f = est.to_frame().set_index("metric")
    assert (f["n_labelled"] == audited.sum()).all() and (f["n"] == len(analysis)).all()
    assert "weighted by 1/inclusion_prob" in f.loc["roc_auc", "note"]
    # the check range is for the audited rows: at the same level, wider than the whole chunk's interval
    assert (f["check_upper"] - f["check_lower"] > 1.5 * (f["upper"] - f["lower"])).all()
    assert not f["unreliable"].any()


def test_flag_level_sets_the_check_range(reference):
    rng = np.random.default_rng(9)
    analysis = world(3000, rng)
    same = tk.estimate_performance(reference, analysis, target="y", score="score", metric="roc_auc",
                                   flag_level=0.95).to_frame().iloc[0]
    strict = tk.estimate_performance(reference, analysis, target="y", score="score",
                                     metric="roc_auc").to_frame().iloc[0]
    # fully labelled chunk: the 95% check range is the (normal) twin of the 95% percentile interval
    assert same.check_lower == pytest.approx(same.lower, abs=0.004)
    assert same.check_upper == pytest.approx(same.upper, abs=0.004)
    assert strict.check_upper - strict.check_lower > 1.25 * (same.check_upper - same.check_lower)
    with pytest.raises(ValueError, match="flag_level"):
        tk.estimate_performance(reference, analysis, target="y", score="score", flag_level=1.5)


def test_multiclass_cbpe():
    rng = np.random.default_rng(5)

    def frame(n):
        logits = rng.normal(size=(n, 3)) * 1.5
        P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        u = rng.random((n, 1))
        y = (u > np.cumsum(P, axis=1)).sum(axis=1)
        names = np.array(["a", "b", "c"])
        return pd.DataFrame({"pa": P[:, 0], "pb": P[:, 1], "pc": P[:, 2], "y": names[np.minimum(y, 2)]})

    ref, ana = frame(8000), frame(4000)
    est = tk.estimate_performance(ref, ana, target="y", task="multiclass",
                                  class_scores={"a": "pa", "b": "pb", "c": "pc"}, by=2000)
    f = est.to_frame()
    pred = np.array(["a", "b", "c"])[ana[["pa", "pb", "pc"]].to_numpy().argmax(axis=1)]
    for i, chunk in enumerate(est.windows):
        part = slice(i * 2000, (i + 1) * 2000)
        acc = f[(f.window == chunk) & (f.metric == "accuracy")].iloc[0]
        assert acc.estimate == pytest.approx(skm.accuracy_score(ana.y[part], pred[part]), abs=0.03)
        assert acc.realized == pytest.approx(skm.accuracy_score(ana.y[part], pred[part]))
        f1 = f[(f.window == chunk) & (f.metric == "macro_f1")].iloc[0]
        assert f1.estimate == pytest.approx(skm.f1_score(ana.y[part], pred[part], average="macro"), abs=0.03)
    assert not f["unreliable"].any()


def test_regression_loss_model_tracks_mae_under_covariate_shift():
    rng = np.random.default_rng(6)

    def frame(n, shift):
        x = rng.normal(shift, 1, n)
        g = rng.choice(["u", "v"], n)
        noise_sd = 0.5 + 0.8 * np.abs(x) + np.where(g == "v", 0.5, 0.0)     # heteroscedastic errors
        y = 2 * x + rng.normal(0, noise_sd)
        return pd.DataFrame({"x": x, "g": g, "pred": 2 * x, "y": y})

    ref = frame(8000, 0.0)
    ana = pd.concat([frame(2000, 0.0), frame(2000, 1.0)], ignore_index=True).assign(
        week=np.repeat(["w1", "w2"], 2000))
    est = tk.estimate_performance(ref, ana.drop(columns="y"), target="y", prediction="pred", task="regression",
                                  features=["x", "g"], metric=["mae", "rmse"], by="week")
    f = est.to_frame().set_index(["window", "metric"])
    for week in ("w1", "w2"):
        part = ana[ana.week == week]
        assert f.loc[(week, "mae"), "estimate"] == pytest.approx(skm.mean_absolute_error(part.y, part.pred), rel=0.05)
        assert f.loc[(week, "rmse"), "estimate"] == pytest.approx(
            np.sqrt(skm.mean_squared_error(part.y, part.pred)), rel=0.06)
    # the shifted week really has larger errors, and the estimate sees it without labels
    assert f.loc[("w2", "mae"), "estimate"] > f.loc[("w1", "mae"), "estimate"] * 1.2
    assert est.method == "loss model"


def test_bad_input(reference):
    rng = np.random.default_rng(7)
    analysis = world(1000, rng)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        tk.estimate_performance(reference, analysis.assign(score=analysis.score + 1), target="y", score="score")
    with pytest.raises(ValueError, match="single class"):
        tk.estimate_performance(reference.assign(y=0), analysis, target="y", score="score")
    with pytest.raises(ValueError, match="calibration must be one of"):
        tk.estimate_performance(reference, analysis, target="y", score="score", calibration="platt")
    with pytest.raises(TypeError, match="got both 'chunk_size' .* pass only 'by'"):   # chunk_size is by's old name
        tk.estimate_performance(reference, analysis, target="y", score="score", chunk_size=100, by="W")
    with_nan = analysis.copy()
    with_nan.loc[with_nan.index[:25], "score"] = np.nan
    f = tk.estimate_performance(reference, with_nan.drop(columns="y"), target="y", score="score",
                                metric="accuracy").to_frame().iloc[0]
    assert f.n == 975 and "25 rows with missing score" in f.note


def test_estimate_chart_and_html(reference):
    rng = np.random.default_rng(8)
    analysis = world(4000, rng).assign(week=np.repeat(["w1", "w2"], 2000))
    est = tk.estimate_performance(reference, analysis, target="y", score="score", metric="roc_auc", by="week")
    spec = est.chart().to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line", "point", "rule"]
    series = {row["series"] for row in next(iter(spec["datasets"].values()))}
    assert series == {"estimate", "realized", "baseline"}
    perf = tk.performance(analysis, target="y", score="score", metric="roc_auc", by="week", reference=reference)
    both = perf.chart(estimate=est).to_dict()
    assert {row["series"] for row in next(iter(both["datasets"].values()))} == {"estimate", "realized", "baseline"}


def test_estimate_windows_are_called_windows_and_chunks_is_a_deprecated_alias():
    rng = np.random.default_rng(4)
    p = rng.random(1200)
    frame = pd.DataFrame({"p": p, "y": (rng.random(1200) < p).astype(int)})
    est = tk.estimate_performance(frame.iloc[:600], frame.iloc[600:], target="y", score="p", by=200)
    assert list(est.to_frame().columns[:2]) == ["window", "window_start"] and len(est.windows) == 3
    with pytest.warns(DeprecationWarning, match="use windows"):
        assert est.chunks == est.windows
