"""Feature relationships: rates per bin match a direct computation; the demo's concept drift is named."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from toolkit.config import ModelConfig
from toolkit.relationships import feature_relationships

ROOT = Path(__file__).resolve().parents[1]


def test_rates_and_intervals_match_direct_computation():
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"plan": rng.choice(["a", "b", "c"], 3000), "p": rng.uniform(size=3000)})
    ref["y"] = (rng.uniform(size=3000) < ref["p"]).astype(int)
    cur = ref.sample(1000, random_state=1).assign(plan=lambda d: d["plan"].where(d.index % 10 > 0, "new"))
    rel = feature_relationships(ref, cur, target="y", score="p", columns=["plan"]).to_frame()
    row = rel[(rel["side"] == "reference") & (rel["bin"] == "a")].iloc[0]
    part = ref[ref["plan"] == "a"]
    assert row["n"] == len(part) and row["mean_score"] == pytest.approx(part["p"].mean())
    assert row["outcome_rate"] == pytest.approx(part["y"].mean())
    ci = binomtest(int(part["y"].sum()), len(part)).proportion_ci(method="wilson")
    assert (row["outcome_lower"], row["outcome_upper"]) == pytest.approx((ci.low, ci.high), abs=1e-6)
    assert "new" in set(rel.loc[rel["side"] == "current", "bin"])      # new categories get a bin of their own


def test_weights_undo_an_oversampled_audit():
    rng = np.random.default_rng(9)
    ref = pd.DataFrame({"x": rng.normal(size=20000), "p": rng.uniform(size=20000)})
    ref["y"] = (rng.uniform(size=20000) < ref["p"]).astype(int)
    inclusion = 0.05 + 0.9 * ref["p"]                       # high scores audited far more often
    audit = ref[rng.uniform(size=20000) < inclusion].assign(w=1 / inclusion)
    biased = feature_relationships(ref, audit, target="y", score="p", columns=["x"]).to_frame()
    fixed = feature_relationships(ref, audit, target="y", score="p", columns=["x"], weights="w").to_frame()
    truth = ref["y"].mean()
    overall = lambda f: np.average(f.loc[f.side == "current", "outcome_rate"], weights=f.loc[f.side == "current", "n"])
    assert abs(overall(fixed) - truth) < 0.03 < abs(overall(biased) - truth)


def test_demo_concept_drift_is_the_top_changed_relationship():
    cfg = ModelConfig.load(ROOT / "notebooks" / "model.yaml")
    labels = cfg.label_frame.drop_duplicates("customer_id")[["customer_id", "churned"]]
    prod = cfg.production_frame
    before = prod[prod["window"].isin(["2026-05", "2026-06"])].merge(labels, on="customer_id")
    after = prod[prod["window"].isin(["2026-16", "2026-17"])].merge(labels, on="customer_id")
    assert feature_relationships(cfg.reference, after, cfg.spec).changed()["column"].iloc[0] == "support_tickets_30d"
    assert "support_tickets_30d" not in set(feature_relationships(cfg.reference, before, cfg.spec).changed()["column"])
