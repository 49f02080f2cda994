"""What `toolkit new` writes into model.yaml for a regression model (issue 11): no decision threshold (a score
cut-off means nothing there), and a predicted uncertainty stays a model output, not a feature."""
from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from toolkit.config import ModelConfig
from toolkit.reports._new import new_model
from toolkit.spec import ModelSpec


def _regression(n, start, rng):
    when = pd.Timestamp(start, tz="America/Chicago") + pd.to_timedelta(np.sort(rng.uniform(0, 14 * 86400, n)), unit="s")
    income = rng.lognormal(3.5, 0.5, n)
    sd = 2 + 8 * rng.random(n)
    return pd.DataFrame({"applied_at": when, "income k": income, "channel": rng.choice(["web", "phone"], n),
                         "pred_delay": 0.2 * income, "pred_delay_std": sd, "delay": 0.2 * income + rng.normal(0, sd)})


def test_regression_model_yaml_has_no_threshold_and_no_uncertainty_feature(tmp_path):
    rng = np.random.default_rng(0)
    _regression(600, "2026-01-05", rng).to_parquet(tmp_path / "base.parquet")
    _regression(600, "2026-02-02", rng).to_parquet(tmp_path / "prod.parquet")
    folder = new_model(tmp_path / "m", tmp_path / "base.parquet", tmp_path / "prod.parquet", target="delay",
                       prediction="pred_delay", timestamp="applied_at", window="D")
    spec = yaml.safe_load((folder / "model.yaml").read_text())["spec"]
    assert spec["task"] == "regression" and "threshold" not in spec and "positive_label" not in spec
    assert "pred_delay_std" not in spec["features"] and set(spec["features"]) == {"income k", "channel"}
    cfg = ModelConfig.load(folder / "model.yaml")          # reads back; the spec's default fills the field
    assert cfg.spec.task == "regression"


def test_binary_spec_still_writes_its_threshold():
    spec = ModelSpec(features=["x"], target="y", score="s", threshold=0.31)
    assert spec.to_dict()["threshold"] == 0.31
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    reg = ModelSpec(features=["x"], target="y", prediction="p", task="regression")
    assert "threshold" not in reg.to_dict() and ModelSpec.from_dict(reg.to_dict()) == reg
    multi = ModelSpec(features=["x"], target="y", prediction="p", task="multiclass")
    assert not {"threshold", "positive_label"} & set(multi.to_dict())
    assert ModelSpec.from_dict(multi.to_dict()) == multi
