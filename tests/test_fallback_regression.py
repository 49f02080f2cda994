"""Regression's risk-coverage (issue 11): abstain on the model's predicted uncertainty, risk = absolute error.
The chosen cut-off's true MAE exceeds max_mae at most ~1 - confidence of the time, by simulation."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import toolkit as tk
from toolkit.outcomes.fallback import _select_mean_threshold, find_uncertainty

LOW, HIGH = 0.5, 3.0          # predicted sd ~ Uniform(LOW, HIGH); the error is sd * a unit-scale noise


def mean_abs(noise: str) -> float:
    """E|Z| of the unit noise: half-normal sqrt(2/pi); Student-t(5) in closed form."""
    if noise == "normal":
        return math.sqrt(2 / math.pi)
    nu = 5
    return 2 * math.sqrt(nu) * math.exp(special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2)) / (math.sqrt(math.pi) * (nu - 1))


def true_mae(cut, noise):
    """MAE of the cases with sd <= cut: E|Z| * E[sd | sd <= cut]."""
    return mean_abs(noise) * (LOW + np.clip(cut, LOW, HIGH)) / 2


def draw(n, noise, rng):
    sd = rng.uniform(LOW, HIGH, n)
    z = rng.normal(size=n) if noise == "normal" else rng.standard_t(5, n)
    return sd, np.abs(sd * z)


def test_mean_abs_closed_forms():
    rng = np.random.default_rng(0)
    assert np.mean(np.abs(rng.standard_t(5, 2_000_000))) == pytest.approx(mean_abs("t5"), rel=0.005)
    assert stats.halfnorm.mean() == pytest.approx(mean_abs("normal"))


@pytest.mark.parametrize("noise", ["normal", "t5"])
def test_violation_rate_is_at_most_one_minus_confidence(noise):
    """1,000 repetitions of 2,000 labelled cases; max_mae set where the true feasible coverage is 60%.
    Budget 5%, tolerance 3 Monte Carlo SE (0.7% each); the chosen coverage is most of what is feasible."""
    max_mae = true_mae(LOW + 0.6 * (HIGH - LOW), noise)
    rng = np.random.default_rng(21 if noise == "normal" else 22)
    reps, n = 1000, 2000
    violations, coverages, chosen = 0, [], 0
    for _ in range(reps):
        sd, err = draw(n, noise, rng)
        sel = _select_mean_threshold(-sd, err, np.ones(n), max_mae, 0.05, 30, 50)
        if sel["chosen"] is not None:
            chosen += 1
            cut = -sel["threshold"]
            violations += true_mae(cut, noise) > max_mae
            coverages.append((cut - LOW) / (HIGH - LOW))
            assert sel["bound"] <= max_mae + 1e-12
    assert violations / reps <= 0.05 + 3 * 0.007, violations / reps
    assert chosen > 0.95 * reps and 0.35 < np.mean(coverages) < 0.6, np.mean(coverages)


def test_public_decision_curve_routing_and_chart(tmp_path):
    rng = np.random.default_rng(3)
    sd, _ = draw(4000, "normal", rng)
    y = rng.normal(0, sd)
    frame = pd.DataFrame({"delay": 10 + y, "pred_delay": 10.0, "pred_delay_std": sd,
                          "when": pd.date_range("2026-03-01", periods=4000, freq="15min", tz="America/Chicago")})
    d = tk.abstain_on_uncertainty(frame, target="delay", prediction="pred_delay", max_mae=1.0)
    assert d.uncertainty_column == "pred_delay_std" and d.feasible
    assert d.upper_bound <= 1.0 and true_mae(d.abstain_at, "normal") <= 1.0 + 0.02
    assert d.coverage == pytest.approx(np.mean(sd <= d.abstain_at))
    assert d.routes(frame).mean() == pytest.approx(d.routed_share)
    curve = d.curve.to_frame()
    assert {"abstain_at", "coverage", "value", "lower", "upper"} <= set(curve.columns)
    assert curve["metric"].eq("mae").all()
    # MAE rises with coverage (more uncertain cases answered); each interval holds its point
    assert curve.sort_values("coverage")["value"].iloc[-1] > curve.sort_values("coverage")["value"].iloc[0]
    assert (curve["lower"] <= curve["value"]).all() and (curve["value"] <= curve["upper"]).all()
    routing = d.apply(frame, by="D", timestamp="when")
    assert routing["n"].sum() == len(frame) and {"mae_accepted", "above_max"} <= set(routing.columns)
    assert routing["window"].iloc[0] == "2026-03-01"          # local days
    layers = [layer["mark"]["type"] for layer in d.chart().to_dict()["layer"]]
    assert layers == ["area", "line", "rule", "rule", "point"]
    assert "Answer when the predicted uncertainty" in d.headline
    path = d.save_html(tmp_path / "u.html")
    assert "Abstain on predicted uncertainty" in path.read_text()


def test_interval_width_counts_as_uncertainty_and_default_target():
    rng = np.random.default_rng(4)
    sd, _ = draw(3000, "normal", rng)
    frame = pd.DataFrame({"y": rng.normal(0, sd), "yhat": 0.0, "yhat_lower": -1.96 * sd, "yhat_upper": 1.96 * sd})
    assert find_uncertainty(frame, "yhat") == ("yhat_lower", "yhat_upper")
    d = tk.abstain_on_uncertainty(frame, target="y", prediction="yhat")
    overall = np.mean(np.abs(frame.y))
    assert d.max_mae == pytest.approx(0.8 * overall) and any("80% of the MAE" in n for n in d.notes)
    assert d.feasible and d.abstain_at == pytest.approx(2 * 1.96 * np.sort(sd)[np.searchsorted(np.sort(sd), d.abstain_at / 3.92, side="right") - 1])


def test_bad_input_names_the_fix():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "pred": [1.0, 2.0, 2.5]})
    with pytest.raises(ValueError, match="uncertainty_column="):
        tk.abstain_on_uncertainty(frame, target="y", prediction="pred")
    with pytest.raises(ValueError, match="negative"):
        tk.abstain_on_uncertainty(frame.assign(s=[-1.0, 1.0, 1.0]), target="y", prediction="pred",
                                  uncertainty_column="s")
    with pytest.raises(ValueError, match="max_mae must be positive"):
        tk.abstain_on_uncertainty(frame.assign(s=1.0), target="y", prediction="pred", uncertainty_column="s",
                                  max_mae=0)


def test_infeasible_says_why():
    rng = np.random.default_rng(5)
    sd, _ = draw(60, "normal", rng)
    frame = pd.DataFrame({"y": rng.normal(0, sd), "pred": 0.0, "pred_std": sd})
    d = tk.abstain_on_uncertainty(frame, target="y", prediction="pred", max_mae=0.01)
    assert not d.feasible and d.abstain_at is None and d.routes(frame).all()
    assert any("route every case" in n for n in d.notes)
    assert "No uncertainty cut-off" in d.headline
