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


def test_a_feed_that_keeps_the_contract_in_every_window_has_no_first_failure_and_a_narrative():
    """A clean feed: the failures frame is empty; template 01's narrative and heatmap used to fail on it
    (the empty mask was an object Series, which pandas read as a list of columns: KeyError 'column')."""
    import numpy as np
    import pandas as pd

    import toolkit as tk
    from toolkit import narrative

    rng = np.random.default_rng(5)
    def week(n):
        return pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n)})
    contract = tk.infer_contract(week(2000))
    history = contract.validate_windows({"2026-01": week(500), "2026-02": week(500)})
    assert len(history.to_frame()) == 0
    assert history.first_failing("error") == {} and history.first_failing("warning") == {}
    text = narrative.schema_history(history)
    assert text.items == ["Every column kept the contract in all 2 windows."] and text.level == "ok"
    assert set(history.worst()["status"]) == {"ok"}
