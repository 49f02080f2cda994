"""Every chart is drawn from aggregates: 10 million underlying rows give a small spec and no MaxRowsError."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.relationships import feature_relationships

N = 10_000_000
SPEC_BUDGET = 300_000   # bytes of Vega-Lite JSON per chart, whatever the row count


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    rng = np.random.default_rng(2026)
    x = rng.normal(size=N)
    plan = pd.Categorical.from_codes(rng.integers(0, 4, N), ["basic", "standard", "premium", "family"])
    score = 1 / (1 + np.exp(-(x + rng.normal(size=N))))
    return pd.DataFrame({
        "x": x, "tenure": rng.gamma(2.0, 10.0, N), "plan": plan, "score": score,
        "pred": (score >= 0.5).astype("int8"), "y": (rng.random(N) < score).astype("int8"),
        "window": pd.Categorical.from_codes(np.repeat(np.arange(10), N // 10), [f"w{i:02d}" for i in range(10)]),
    })


def _assert_small(chart, what: str) -> None:
    spec = chart.to_dict()          # raises MaxRowsError if a chart embedded raw rows
    size = len(json.dumps(spec))
    assert size < SPEC_BUDGET, f"{what}: {size:,} bytes of spec"


@pytest.mark.slow
def test_every_chart_stays_small_on_ten_million_rows(big):
    spec = tk.ModelSpec(features=["x", "tenure", "plan"], target="y", score="score", prediction="pred",
                        kinds={"x": "numeric", "tenure": "numeric", "plan": "categorical"})
    reference = big.iloc[: N // 2]
    current = big.iloc[N // 2:].assign(x=lambda d: d["x"] + 0.1)

    drift = tk.compare(reference, current, spec=spec)
    _assert_small(drift.chart(), "drift summary")
    _assert_small(drift.distribution_chart("x"), "distribution")
    _assert_small(drift.distributions_chart(), "distribution selector")

    over_time = tk.drift_over_time(reference, big, spec=spec, by="window")
    _assert_small(over_time.chart(), "drift heatmap")
    _assert_small(tk.charts.signals.signals_over_time(over_time), "signals over time")

    contract = tk.infer_contract(reference.drop(columns="window"), spec=spec)
    check = contract.validate(current.drop(columns="window"))
    _assert_small(check.chart(), "schema validation")
    windows = {w: part.drop(columns="window") for w, part in big.iloc[:2_000_000].groupby("window", observed=True)}
    _assert_small(contract.validate_windows(windows).chart(), "schema history")

    _assert_small(feature_relationships(reference, current, spec).chart(), "feature relationships")

    perf = tk.performance(big, spec=spec, metric=["roc_auc", "accuracy"], by="window", reference=reference)
    _assert_small(perf.chart(), "realized performance")
    curve = tk.risk_coverage(big, spec=spec)
    _assert_small(curve.chart(), "risk coverage")
    decision = tk.abstain_threshold(big, spec=spec, target_accuracy=0.75)
    _assert_small(tk.charts.fallback.routing_chart(decision.apply(big, by="window"), decision), "routing")
