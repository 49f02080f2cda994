"""Widget callbacks are plain code: set .value, assert on what the widget now shows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.widgets import AbstainSlider, DriftExplorer, FailureBrowser


@pytest.fixture(scope="module")
def windows():
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"price": rng.normal(50, 10, 4000), "age": rng.normal(40, 12, 4000),
                        "plan": rng.choice(["a", "b", "c"], 4000)})
    calm = ref.sample(2000, random_state=1).reset_index(drop=True)
    shifted = ref.sample(2000, random_state=2).reset_index(drop=True)
    shifted["age"] = shifted["age"] + 8
    shifted.loc[:299, "plan"] = "new<script>"
    return ref, {"calm": calm, "shifted": shifted}


def test_drift_explorer_orders_features_by_severity_and_follows_the_window(windows):
    ref, wins = windows
    explorer = DriftExplorer(ref, wins)
    assert explorer.window.value == "shifted"              # latest window first
    assert set(explorer.feature.options[:2]) == {"age", "plan"}
    assert bool(explorer.current_row["drifted"])
    explorer.feature.value = "price"
    assert explorer.current_row["column"] == "price" and not explorer.current_row["drifted"]
    assert "price" in explorer.summary.value and "stable" in explorer.summary.value
    explorer.window.value = "calm"
    assert explorer.feature.value == "price"                # selection kept across windows
    assert not any(explorer.report.to_frame()["drifted"])
    # the chart shows the selected feature in the selected window: reference vs current share per bin
    chart = explorer.chart.to_dict()
    assert chart["mark"]["type"] == "bar" and chart["title"].startswith("price: reference vs current")
    assert (chart["encoding"]["x"]["field"], chart["encoding"]["y"]["field"]) == ("bin", "share")
    (rows,) = chart["datasets"].values()
    bars = pd.DataFrame(rows)
    assert set(bars["column"]) == {"price"} and set(bars["window"]) == {"reference", "current"}
    assert bars.groupby("window")["count"].sum().to_dict() == {"current": len(wins["calm"]), "reference": len(ref)}
    assert bars.groupby("window")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])


def test_drift_explorer_method_picker_recomputes(windows):
    ref, wins = windows
    explorer = DriftExplorer(ref, wins)
    explorer.feature.value = "age"
    explorer.method.value = "wasserstein"
    assert explorer.current_row["method"] == "wasserstein"
    assert explorer.report.column("age").method == "wasserstein"


def test_drift_explorer_escapes_hostile_names(windows):
    ref, wins = windows
    explorer = DriftExplorer(ref, wins)
    explorer.feature.value = "plan"
    assert "new<script>" not in explorer.summary.value
    assert "unseen" in explorer.current_row["signals"] or "distribution" in explorer.current_row["signals"]


def test_abstain_slider_updates_accuracy_and_routed_share():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, 4000)
    y = (rng.uniform(0, 1, 4000) < p).astype(int)
    frame = pd.DataFrame({"score": p, "pred": (p >= 0.5).astype(int), "y": y})
    curve = tk.risk_coverage(frame, target="y", score="score", prediction="pred")
    slider = AbstainSlider(curve)
    slider.threshold.value = slider.threshold.min
    everything = dict(slider.point)
    slider.threshold.value = 0.9
    strict = dict(slider.point)
    assert everything["coverage"] == pytest.approx(1.0)
    assert strict["routed_share"] > 0.5 and strict["value"] > everything["value"]
    assert f"{strict['routed_share']:.1%}" in slider.readout.value


def test_failure_browser_filters_by_severity_and_column():
    ref = pd.DataFrame({"x": np.linspace(0, 1, 500), "plan": ["a", "b"] * 250})
    contract = tk.infer_contract(ref)
    batch = pd.DataFrame({"x": np.r_[np.linspace(0, 1, 450), np.full(50, 99.0)], "plan": ["a", "zzz"] * 250,
                          "extra": 1})
    result = contract.validate(batch)
    browser = FailureBrowser(result)
    assert len(browser.shown) == len(result.failures) >= 3
    browser.column.value = "plan"
    assert set(browser.shown["column"]) == {"plan"}
    assert "unseen_category" in set(browser.shown["check"])
    browser.column.value = browser.ALL
    browser.severity.value = "error"
    errors = result.failures[result.failures["severity"].astype(str) == "error"]
    assert len(browser.shown) == len(errors) > 0 and set(browser.shown["severity"].astype(str)) == {"error"}
