"""The demo scenario matches its manifest: every scripted event is where truth.json says, and nowhere before."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

DATA = Path(__file__).resolve().parents[1] / "sample_data"


# truth, baseline and batches (the demo's, read once per worker) come from conftest.py


@pytest.fixture(scope="module")
def weeks(batches) -> dict[int, pd.DataFrame]:
    """The production batches by week number (1 .. 26)."""
    return {int(label.split("-")[1]): frame for label, frame in batches.items()}


@pytest.fixture(scope="module")
def labels() -> pd.DataFrame:
    return pd.read_parquet(DATA / "labels.parquet")


def event(truth: dict, name: str) -> dict:
    return next(e for e in truth["events"] if e["name"] == name)


def test_shape_of_the_scenario(truth, baseline, weeks):
    assert len(baseline) == truth["n_baseline"] == 50_000
    assert baseline["churned"].isin([0, 1]).all()
    assert sorted(weeks) == list(range(1, 27))
    for week, frame in weeks.items():
        assert 8_000 <= len(frame) <= 12_000
        assert len(frame) == truth["weeks"][week - 1]["n"]
        assert frame["customer_id"].is_unique
        assert str(frame["event_time"].dt.tz) == "UTC"
        start = pd.Timestamp(truth["weeks"][week - 1]["start"])
        assert frame["event_time"].between(start, start + pd.Timedelta(days=7)).all()
    assert baseline["region"].nunique() == 12
    assert sum(f["customer_id"].nunique() for f in weeks.values()) == sum(len(f) for f in weeks.values())


def test_price_rise_starts_in_week_8(truth, baseline, weeks):
    first = event(truth, "price_rise")["first_week"]
    ref = baseline["monthly_charges"].mean()
    se = baseline["monthly_charges"].std() / np.sqrt(8_000)
    for week, frame in weeks.items():
        if "monthly_charges" not in frame:
            continue
        shift = frame["monthly_charges"].mean() / ref - 1
        if week < first:
            assert abs(shift) < 4 * se / ref, week
        else:
            assert shift > 0.04, week


def test_region_mix_shifts_from_week_10(truth, baseline, weeks):
    first = event(truth, "region_mix")["first_week"]
    grown = ["capital", "south-east", "islands"]
    ref = baseline["region"].isin(grown).mean()
    for week, frame in weeks.items():
        share = frame["region"].isin(grown).mean()
        assert (share > ref + 0.05) == (week >= first), (week, share, ref)


def test_family_plan_appears_in_week_12(truth, baseline, weeks):
    first = event(truth, "new_plan")["first_week"]
    assert "family" not in set(baseline["plan"])
    for week, frame in weeks.items():
        assert ("family" in set(frame["plan"])) == (week >= first), week


def test_outlier_burst_only_in_week_14(truth, baseline, weeks):
    burst = event(truth, "outlier_burst")
    ceiling = baseline["avg_session_minutes"].max()
    for week, frame in weeks.items():
        share = (frame["avg_session_minutes"] > ceiling).mean()
        in_burst = burst["first_week"] <= week <= burst["last_week"]
        assert (share > 0.03) == in_burst and (in_burst or share < 0.002), (week, share)


def test_schema_break_only_in_week_20(truth, weeks):
    brk = event(truth, "schema_break")
    for week, frame in weeks.items():
        broken = week == brk["first_week"]
        assert ("monthly_charges" in frame) != broken
        assert (brk["renamed_to"] in frame) == broken
    values = weeks[brk["first_week"]][brk["renamed_to"]]
    assert values.str.match(r"^\$[\d,]+\.\d\d$").all()


def test_null_spike_only_in_week_22(truth, baseline, weeks):
    spike = event(truth, "null_spike")
    assert baseline["days_since_last_login"].isna().mean() < 0.02
    for week, frame in weeks.items():
        share = frame["days_since_last_login"].isna().mean()
        assert (share > 0.5) == (week == spike["first_week"]), (week, share)


def test_concept_drift_flips_the_ticket_relationship(truth, weeks, labels):
    first = event(truth, "concept_drift")["first_week"]
    lab = labels.drop_duplicates("customer_id").set_index("customer_id")["churned"]
    for week in (first - 2, first - 1, first, first + 1):
        frame = weeks[week]
        y = lab.reindex(frame["customer_id"]).to_numpy()
        corr = np.corrcoef(frame["support_tickets_30d"], y)[0, 1]
        assert (corr < 0) == (week >= first), (week, corr)
    # and the inputs barely move: mean tickets stays within 5% of the week before
    before, after = weeks[first - 1]["support_tickets_30d"].mean(), weeks[first]["support_tickets_30d"].mean()
    assert abs(after / before - 1) < 0.05
    assert truth["weeks"][first - 1]["roc_auc"] < truth["weeks"][first - 2]["roc_auc"] - 0.08


def test_truth_metrics_recompute_from_files(truth, weeks, labels):
    lab = labels.drop_duplicates("customer_id").set_index("customer_id")["churned"]
    checked = 0
    for w in truth["weeks"]:
        if not w["fully_labelled"]:
            continue
        frame = weeks[w["week"]]
        y = lab.reindex(frame["customer_id"]).to_numpy()
        assert not np.isnan(y).any()
        assert roc_auc_score(y, frame["churn_score"]) == pytest.approx(w["roc_auc"], abs=2e-6)
        assert accuracy_score(y, frame["churn_pred"]) == pytest.approx(w["accuracy"], abs=1e-6)
        assert f1_score(y, frame["churn_pred"]) == pytest.approx(w["f1"], abs=1e-6)
        checked += 1
    assert checked >= 19


def test_labels_arrive_late_and_audit_oversamples_high_scores(truth, weeks, labels):
    as_of = pd.Timestamp(truth["as_of"])
    assert (labels["label_time"] <= as_of).all()
    audit = labels[labels["source"] == "audit"]
    assert audit["inclusion_prob"].between(0, 1, inclusive="right").all()
    scores = pd.concat(weeks.values()).set_index("customer_id")["churn_score"]
    audited = scores.reindex(audit["customer_id"])
    recent = pd.concat([weeks[w] for w in range(24, 27)])
    assert audited.mean() > recent["churn_score"].mean() + 0.05   # over-sampled high scores
    for w in truth["weeks"][-3:]:
        assert 0.05 < w["label_coverage"] < 0.15
    assert labels.duplicated("customer_id").sum() == truth["labels"]["duplicate_rows"]
    assert (~labels["customer_id"].isin(scores.index)).sum() == truth["labels"]["orphan_labels"]


def test_generator_reproduces_committed_files(tmp_path):
    subprocess.run([sys.executable, str(DATA / "generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    assert json.loads((tmp_path / "truth.json").read_text()) == json.loads((DATA / "truth.json").read_text())
    committed = sorted(p.relative_to(DATA) for p in DATA.rglob("*.parquet"))
    assert committed == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    for rel in committed:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / rel), pd.read_parquet(DATA / rel))


def test_sample_data_fits_the_size_budget():
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 25 * 1024 * 1024
