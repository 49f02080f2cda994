"""The demo scenario: every scripted covariate event is found in its week (and after, if it persists),
never before; the concept-drift week is not a covariate event; the clean weeks stay clean."""
from __future__ import annotations

from pathlib import Path

import pytest

import toolkit as tk

DATA = Path(__file__).resolve().parents[1] / "sample_data"
pytestmark = pytest.mark.skipif(not (DATA / "truth.json").exists(),
                                reason="demo data missing: run .venv/bin/python sample_data/generate.py")

#: which signal must carry each scripted event
SIGNAL = {"covariate_drift": "distribution", "new_category": "unseen", "outlier_burst": "out_of_range",
          "null_spike": "missing"}


# truth, baseline and spec: the demo's session fixtures in conftest.py


@pytest.fixture(scope="module")
def over_time(baseline, spec):
    production = tk.read_production(DATA / "production")
    return tk.drift_over_time(baseline, production, spec, by="batch")


def _week(truth, index: int) -> str:
    return truth["weeks"][index - 1]["label"]


def test_each_covariate_event_is_flagged_from_its_week_and_not_before(truth, over_time):
    frame = over_time.to_frame()
    events = [e for e in truth["events"] if e["kind"] in SIGNAL]
    assert {e["column"] for e in events} == {"monthly_charges", "region", "plan", "avg_session_minutes",
                                             "days_since_last_login"}
    for event in events:
        rows = frame[frame["column"] == event["column"]].set_index("window")
        weeks = [w["label"] for w in truth["weeks"]]
        during = [_week(truth, i) for i in range(event["first_week"], event["last_week"] + 1)]
        before = weeks[: event["first_week"] - 1]
        assert rows.loc[during, "drifted"].all(), (event["name"], rows.loc[during, ["statistic", "threshold", "note"]])
        assert not rows.loc[before, "drifted"].any(), (event["name"], rows.loc[before, ["statistic", "threshold"]])
        # ... and by the signal that describes it (week 20's monthly_charges arrives renamed: missing instead)
        first = rows.loc[during[0]]
        assert SIGNAL[event["kind"]] in first["signals"], (event["name"], first["signals"])
        if event["first_week"] == event["last_week"]:  # a one-week incident: that signal is quiet afterwards
            after = weeks[event["last_week"]:]
            assert not rows.loc[after, "signals"].str.contains(SIGNAL[event["kind"]]).any(), event["name"]


def test_new_plan_is_named_as_an_unseen_category(truth, over_time):
    week = _week(truth, 12)
    row = over_time.report(week).column("plan")
    assert "unseen" in row.signals and "'family'" in row.note and row.unseen_share > 0.05


def test_concept_drift_week_is_not_a_covariate_event(truth, over_time):
    event = next(e for e in truth["events"] if e["kind"] == "concept_drift")
    row = over_time.report(_week(truth, event["first_week"])).column(event["column"])
    assert not row.drifted and row.severity < 1


def test_weeks_before_the_first_event_are_essentially_clean(truth, over_time):
    first = min(e["first_week"] for e in truth["events"])
    frame = over_time.to_frame()
    early = frame[frame["window"].isin([_week(truth, i) for i in range(1, first)])]
    # allow the default false-alarm rate: at most alpha of the (column, week) pairs
    assert early["drifted"].sum() <= 0.05 * len(early)
    assert early["drifted"].sum() == 0 or early.loc[early["drifted"], "severity"].max() < 2


def test_schema_break_week_says_the_column_is_missing_and_suggests_the_rename(truth, baseline, spec):
    event = next(e for e in truth["events"] if e["kind"] == "schema_break")
    batches = dict(tk.read_batches(DATA / "production"))
    week = batches[_week(truth, event["first_week"])]
    report = tk.compare(baseline, week, spec)
    row = report.column(event["column"])
    assert row.method == "absent" and row.drifted and row.signals == ("absent",)
    assert "missing from current" in row.note and repr(event["renamed_to"]) in row.note
    assert report.drifted[0] == event["column"] and event["renamed_to"] in report.new_columns
    # read_production stacks the batches: there the column is all-missing that week, also flagged and explained
    stacked = tk.read_production(DATA / "production")
    row = tk.compare(baseline, stacked[stacked["batch"] == _week(truth, 20)], spec).column(event["column"])
    assert row.drifted and "missing" in row.signals and "no usable values in current" in row.note
    assert repr(event["renamed_to"]) in row.note


def test_over_time_frame_is_tidy_and_charts(truth, over_time, spec):
    frame = over_time.to_frame()
    assert len(frame) == len(truth["weeks"]) * len(spec.monitored)
    assert {"window", "column", "statistic", "threshold", "drifted", "severity"} <= set(frame.columns)
    spec_dict = over_time.chart().to_dict()
    assert sum(len(v) for v in spec_dict["datasets"].values()) == len(frame)
    assert over_time.first_drift["monthly_charges"] == _week(truth, 8)


def test_multivariate_check_sees_the_drifted_weeks_not_the_clean_ones(truth, baseline, spec):
    batches = dict(tk.read_batches(DATA / "production"))
    clean = tk.compare(baseline, batches[_week(truth, 3)], spec, multivariate=True, sample_size=5000).multivariate
    drifted = tk.compare(baseline, batches[_week(truth, 14)], spec, multivariate=True, sample_size=5000).multivariate
    assert not clean.drifted and clean.auc < clean.auc_threshold
    assert drifted.classifier_drifted and drifted.pca_drifted
    assert drifted.features["feature"].iloc[0] in {"monthly_charges", "plan", "avg_session_minutes"}
    assert drifted.n_ref_sample == 5000
