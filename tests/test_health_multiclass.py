"""tk.health on a multiclass model that logs its predicted class AND one probability column per class, with
labels in a separate CSV, CSV production logs with Asia/Kolkata offsets, odd column names, and concept drift
in the last four weeks (the inputs shift too, but the label-free estimate, which follows input shift, does not
fall): the class scores must feed the estimate and the fallback, and the verdict must say concept drift."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.reports._new import new_model

CLASSES = np.array(["bronze", "silver", "gold"])


def _draw(rng, n, start, days, shift=0.0, concept=False):
    t = pd.Timestamp(start, tz="Asia/Kolkata") + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    a, b = rng.normal(shift, 1, n), rng.gamma(2, 10, n)
    c = rng.choice(["web", "app", "store"], n, p=[.5, .3, .2])
    logits = np.stack([0 * a, 1.2 * a + 0.02 * b, 2.0 * a - 0.5 + (c == "app")], 1)
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    truth = logits.copy()
    if concept:
        truth[:, 2] -= 1.5
    q = np.exp(truth)
    q /= q.sum(1, keepdims=True)
    y = CLASSES[(rng.random(n)[:, None] > q.cumsum(1)).sum(1)]
    return pd.DataFrame({"Event Time": t, "Price (€)": b, "2nd signal": a, "channel": c,
                         "p_bronze": p[:, 0], "p_silver": p[:, 1], "p_gold": p[:, 2],
                         "tier_pred": CLASSES[p.argmax(1)], "tier": y})


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    root = tmp_path_factory.mktemp("multiclass")
    rng = np.random.default_rng(11)
    base = _draw(rng, 4000, "2026-03-02", 56)
    prod = pd.concat([_draw(rng, 3000, "2026-05-04", 28), _draw(rng, 3000, "2026-06-01", 28, 0.5, True)],
                     ignore_index=True)
    base.insert(0, "Order #", [f"b-{i}" for i in range(len(base))])
    prod.insert(0, "Order #", [f"o-{i}" for i in range(len(prod))])
    labels = prod.loc[prod["Event Time"] < pd.Timestamp("2026-06-15", tz="Asia/Kolkata"), ["Order #", "tier"]]
    base.to_parquet(root / "base.parquet")
    prod.drop(columns="tier").to_csv(root / "prod.csv", index=False)
    labels.sample(frac=0.6, random_state=1).to_csv(root / "labels.csv", index=False)
    folder = new_model(root / "m", root / "base.parquet", root / "prod.csv", labels=root / "labels.csv",
                       target="tier", prediction="tier_pred", timestamp="Event Time", id="Order #", window="W")
    return tk.ModelConfig.load(folder / "model.yaml")


def test_class_scores_feed_the_estimate_and_the_fallback_and_concept_drift_is_named(config):
    assert config.spec.task == "multiclass" and config.engine_used == "pandas"   # a small CSV stays in pandas
    frame = tk.health(config, window="2026-06-08").to_frame().set_index("cause")
    perf, fallback = frame.loc["performance"], frame.loc["fallback"]
    assert perf["status"] == "act" and "concept drift" in perf["summary"]
    assert "label-free estimate" in perf["summary"]               # from the p_<class> columns
    assert "no score column" not in fallback["summary"]           # confidence = the largest class probability
    assert frame.loc["schema", "status"] == "ok"                  # CSV timestamps are not a type change


def test_a_window_without_labels_and_the_yaml_of_a_multiclass_model(config):
    frame = tk.health(config, window="2026-06-22").to_frame().set_index("cause")
    assert frame.loc["feedback", "status"] == "watch"
    assert "0 of" in frame.loc["feedback", "summary"] and "[0%," in frame.loc["feedback", "summary"]
    text = (config.root / "model.yaml").read_text()
    assert "threshold:" not in text and "positive_label:" not in text
