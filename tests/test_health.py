"""`toolkit check` / tk.health on the demo agree with sample_data/truth.json; exit codes; the result's faces.

The statistics are computed once per process (tk.health caches them per model), so every window
below costs only the rules."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from toolkit.check import run_check
from toolkit.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "notebooks" / "model.yaml"
TRUTH = json.loads((ROOT / "sample_data" / "truth.json").read_text())
LABEL = {w["week"]: w["label"] for w in TRUTH["weeks"]}
EVENTS = {e["name"]: e for e in TRUTH["events"]}


def check(week: int | None) -> tuple[int, dict]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(CONFIG, window=None if week is None else LABEL[week], fmt="json", out=out, err=err)
    assert err.getvalue() == "", err.getvalue()
    return code, json.loads(out.getvalue())


def cause(payload: dict, name: str) -> dict:
    (row,) = [c for c in payload["causes"] if c["cause"] == name]
    return row


def test_json_shape():
    _, payload = check(5)
    assert list(payload) == ["model", "window", "status", "causes", "toolkit_version"]
    assert [c["cause"] for c in payload["causes"]] == ["overall", "schema", "performance", "fallback", "drift",
                                                       "feedback"]
    for row in payload["causes"]:
        assert list(row) == ["cause", "status", "since", "summary", "evidence", "next_step"]
        assert row["status"] in ("ok", "watch", "act") and row["summary"].endswith(".")
    assert payload["window"] == LABEL[5]


def test_week_5_all_ok():
    code, payload = check(5)
    assert payload["status"] == "ok" and code == 0
    assert all(c["status"] == "ok" and c["since"] is None for c in payload["causes"])


def test_week_8_price_drift_is_watched_and_performance_holds():
    start = EVENTS["price_rise"]["first_week"]
    _, payload = check(8)
    drift = cause(payload, "drift")
    assert drift["status"] in ("watch", "act") and drift["since"] == LABEL[start]
    assert drift["summary"].startswith("Input monthly_charges moved")
    assert "churn_score" in drift["summary"]  # the score distribution is first-class
    assert cause(payload, "performance")["status"] == "ok"


def test_week_12_new_plan_is_a_schema_act_since_week_12():
    _, payload = check(12)
    schema = cause(payload, "schema")
    assert schema["status"] == "act" and schema["since"] == LABEL[EVENTS["new_plan"]["first_week"]]
    assert "'plan'" in schema["summary"] and "family" in schema["summary"] and "new this window" in schema["summary"]


def test_week_14_outlier_burst_is_a_data_incident_not_concept_drift():
    _, payload = check(14)
    schema, perf = cause(payload, "schema"), cause(payload, "performance")
    assert "avg_session_minutes" in schema["summary"] and "data incident" in schema["summary"]
    assert "likely cause" in schema["summary"] and "ROC AUC fell" in schema["summary"]
    assert "data incident" in perf["summary"] and "avg_session_minutes" in perf["summary"]
    assert all("concept drift" not in c["summary"] for c in payload["causes"])


@pytest.mark.parametrize("week", [16, 17, 18, 19])
def test_weeks_16_19_concept_drift_since_16_names_support_tickets(week):
    start = EVENTS["concept_drift"]["first_week"]
    _, payload = check(week)
    perf = cause(payload, "performance")
    assert perf["status"] == "act" and perf["since"] == LABEL[start]
    assert "concept drift" in perf["summary"] and "support_tickets_30d" in perf["summary"]
    assert "ROC AUC" in perf["summary"] and "[" in perf["summary"]  # the value with its interval


def test_week_20_rename_is_named_as_the_cause_of_the_drop():
    _, payload = check(20)
    schema = cause(payload, "schema")
    assert schema["status"] == "act"
    assert "'monthly_charges' is missing and 'monthly_charge_usd' is new" in schema["summary"]
    assert "likely cause of this window's change: ROC AUC fell" in schema["summary"]
    perf = cause(payload, "performance")
    assert "schema break on monthly_charges" in perf["summary"] and "concept drift since" in perf["summary"]


def test_week_22_null_spike():
    _, payload = check(22)
    schema = cause(payload, "schema")
    assert schema["status"] == "act" and schema["summary"].startswith("'days_since_last_login' is 61")
    assert "null" in schema["summary"] and "data incident" in schema["summary"]


def test_latest_week_labels_not_arrived_beside_the_estimate():
    _, payload = check(None)
    assert payload["window"] == TRUTH["weeks"][-1]["label"]
    feedback = cause(payload, "feedback")
    assert feedback["status"] in ("watch", "act") and "waiting for their label" in feedback["summary"]
    perf = cause(payload, "performance")
    assert "label-free estimate" in perf["summary"] and "audit-weighted" in perf["summary"]


def test_exit_codes(capsys):
    assert main(["check", str(CONFIG), "--window", LABEL[5], "--format", "json"]) == 0
    assert main(["check", str(CONFIG), "--window", LABEL[8]]) == 0            # watch < act
    assert main(["check", str(CONFIG), "--window", LABEL[8], "--fail-on", "watch"]) == 1
    assert main(["check", str(CONFIG), "--window", LABEL[16]]) == 1
    text = capsys.readouterr().out
    assert "performance" in text and "ACT" in text and "next:" in text and "<" not in text.replace("< 1e-10", "")
    assert main(["check", str(CONFIG), "--window", "2099-01"]) == 2
    assert "window '2099-01' not in production" in capsys.readouterr().err
    assert main(["check", str(ROOT / "no_such_model.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["check", str(CONFIG), "--format", "xml"])
    assert exc.value.code == 2


def test_cli_process_exit_code_and_json():
    run = subprocess.run([sys.executable, "-m", "toolkit", "check", str(CONFIG), "--window", LABEL[5], "--format",
                          "json"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["status"] == "ok" and "<html" not in run.stdout


def test_report_faces(tmp_path):
    import altair as alt
    import toolkit as tk

    report = tk.health(CONFIG, window=LABEL[20])
    frame = report.to_frame()
    assert list(frame.columns) == ["cause", "status", "since", "summary", "evidence", "next_step"]
    assert isinstance(report.chart(), alt.TopLevelMixin)
    spec = report.chart().to_dict()
    assert len(spec["datasets"][next(iter(spec["datasets"]))]) == 6 * len(report.windows)
    html = report._repr_html_()
    assert "&#x27;monthly_charges&#x27;" in html and "<script" not in html
    assert report.headline.startswith("Churn model (demo), window 2026-20: act")
    assert report.worst_cause == "schema"
    card = report.card("performance")
    assert "performance" in card._repr_html_() and "since <b>2026-16</b>" in card._repr_html_()
    assert str(card).startswith("performance: act since 2026-16: ROC AUC")
    path = report.save_html(tmp_path / "health.html")
    assert path.read_text().count("vegaEmbed") >= 1
    hist = report.history
    assert set(hist["status"]) <= {"ok", "watch", "act"}
    assert hist[(hist["cause"] == "overall") & (hist["window"] == LABEL[5])]["status"].item() == "ok"
