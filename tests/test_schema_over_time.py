"""Schema checks across every demo week: each break shows up in the week the manifest names."""
from __future__ import annotations

import json
from pathlib import Path

from toolkit.config import ModelConfig

ROOT = Path(__file__).resolve().parents[1]


def test_demo_history_finds_each_break_in_its_week():
    truth = json.loads((ROOT / "sample_data" / "truth.json").read_text())
    cfg = ModelConfig.load(ROOT / "notebooks" / "model.yaml")
    history = cfg.contract_object.validate_windows(cfg.batches, now=truth["as_of"])
    first_error = history.first_failing("error")
    events = {e["name"]: e for e in truth["events"]}
    assert first_error == {
        "plan": f"2026-{events['new_plan']['first_week']:02d}",
        "monthly_charges": f"2026-{events['schema_break']['first_week']:02d}",
        "days_since_last_login": f"2026-{events['null_spike']['first_week']:02d}",
    }
    frame = history.to_frame()
    week20 = frame[(frame["window"] == "2026-20") & (frame["check"] == "suspected_rename")]
    assert week20["column"].tolist() == ["monthly_charges"]
    worst = history.worst()
    assert len(worst) == 26 * worst["column"].nunique()
    spec = history.chart().to_dict()
    assert len(spec["datasets"][next(iter(spec["datasets"]))]) == len(worst)
