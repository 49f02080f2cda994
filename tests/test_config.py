"""ModelConfig: the one file a copied template set is driven by."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import toolkit as tk
from toolkit.config import ModelConfig

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_demo_config_loads_and_splits_production_into_weekly_batches():
    cfg = ModelConfig.load(NOTEBOOKS / "model.yaml")
    assert cfg.windows[0] == "2026-01" and cfg.windows[-1] == "2026-26" and len(cfg.windows) == 26
    week20 = cfg.window_frame("2026-20")
    assert "monthly_charge_usd" in week20 and "monthly_charges" not in week20   # as it arrived
    stacked = cfg.production_frame
    assert len(stacked) == sum(len(f) for f in cfg.batches.values())
    assert stacked.loc[stacked["window"] == "2026-20", "monthly_charges"].isna().all()
    assert cfg.window_frame().equals(cfg.window_frame("2026-26"))


def test_round_trip_and_period_windows(tmp_path):
    frame = pd.DataFrame({
        "t": pd.date_range("2026-01-01", periods=60, freq="D", tz="UTC"),
        "x": [float(i % 7) + 0.5 for i in range(60)], "y": [0, 1] * 30,
    })
    frame.to_parquet(tmp_path / "prod.parquet")
    spec = tk.ModelSpec.infer(frame, target="y", timestamp="t")
    cfg = ModelConfig(name="m", baseline="prod.parquet", production="prod.parquet", spec=spec, window="M")
    loaded = ModelConfig.load(cfg.save(tmp_path / "model.yaml"))
    assert loaded == cfg
    assert loaded.windows == ["2026-01", "2026-02", "2026-03"]
    assert len(loaded.window_frame("2026-02")) == 28


def test_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="toolkit new"):
        ModelConfig.load(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("name: x\nbaseline: a\nproduction: b\nspec: {features: []}\ncolour: red\n")
    with pytest.raises(ValueError, match="unknown key"):
        ModelConfig.load(tmp_path / "bad.yaml")
    cfg = ModelConfig.load(NOTEBOOKS / "model.yaml")
    with pytest.raises(KeyError, match="2026-99"):
        cfg.window_frame("2026-99")
