"""The demo scenario (sample_data/): the baseline's contract over 26 production weeks.

Expected from truth.json: only the new plan 'family' (week 12 on) is an error before week 20;
week 20 renames monthly_charges to monthly_charge_usd as "$54.20" strings; week 22 has a null
spike in days_since_last_login. The production batches carry no label column.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.io import read_batches
from toolkit.schema import Check, CoerceNumeric, Contract, Rename

DATA = Path(__file__).resolve().parent.parent / "sample_data"
pytestmark = pytest.mark.skipif(not (DATA / "truth.json").exists(), reason="demo data not generated")


@pytest.fixture(scope="module")
def events(truth):   # truth, baseline and spec: the demo's session fixtures in conftest.py
    return {e["name"]: e for e in truth["events"]}


@pytest.fixture(scope="module")
def contract(baseline, spec):
    return tk.infer_contract(baseline, spec)


@pytest.fixture(scope="module")
def weeks(truth):
    batches = dict(read_batches(DATA / "production"))
    return {w["week"]: batches[w["label"]] for w in truth["weeks"]}


@pytest.fixture(scope="module")
def results(contract, weeks, truth):
    now = pd.Timestamp(truth["as_of"])
    return {week: contract.validate(batch, now=now) for week, batch in weeks.items()}


def errors(result) -> list[tuple[str, str]]:
    return list(zip(result.errors["column"], result.errors["check"]))


def test_no_error_before_week_20_except_the_new_plan(results, events):
    first_family = events["new_plan"]["first_week"]
    for week in range(1, events["schema_break"]["first_week"]):
        result = results[week]
        expected = [("plan", "unseen_category")] if week >= first_family else []
        assert errors(result) == expected, (week, result.failures)
        if week >= first_family:
            assert result.errors["examples"].item() == ["family"]
    assert results[first_family].errors["failing_share"].item() == pytest.approx(0.08, abs=0.01)


def test_weeks_before_any_event_raise_no_warning_either(results, events):
    first_event = min(e["first_week"] for e in events.values())
    for week in range(1, first_event):
        assert results[week].count("warning") == 0 and results[week].count("error") == 0, results[week].failures


def test_label_column_missing_is_info_and_order_checks_stay_quiet(results):
    for week, result in results.items():
        label = result.checks(Check.MISSING_COLUMN)
        assert label[["column", "severity"]].values.tolist() == [["churned", "info"]], week
        assert result.checks(Check.TIMESTAMP).empty, week
        assert result.checks(Check.DUPLICATE_ID).empty, week


def test_price_rise_and_outlier_burst_are_warnings(results, events):
    burst = events["outlier_burst"]["first_week"]
    row = results[burst].checks(Check.OUT_OF_RANGE).set_index("column").loc["avg_session_minutes"]
    assert row["severity"] == "warning" and row["failing_share"] == pytest.approx(0.06, abs=0.01)
    late = results[events["schema_break"]["first_week"] - 1].checks(Check.OUT_OF_RANGE).set_index("column")
    assert late.loc["monthly_charges", "severity"] == "warning"


def test_week_20_rename_with_full_coercion_and_repair(results, weeks, contract, events):
    week = events["schema_break"]["first_week"]
    result = results[week]
    rename = result.checks(Check.SUSPECTED_RENAME)
    assert rename[["column", "observed", "severity"]].values.tolist() == [
        ["monthly_charges", "'monthly_charge_usd'", "error"]]
    dtype = result.checks(Check.DTYPE_CHANGE)
    assert dtype["column"].tolist() == ["monthly_charges"] and "100% coerce to numbers" in dtype["observed"].item()
    rename_fix, coerce_fix = result.suggested_fixes
    assert isinstance(rename_fix, Rename) and (rename_fix.old, rename_fix.new) == ("monthly_charge_usd", "monthly_charges")
    assert isinstance(coerce_fix, CoerceNumeric) and coerce_fix.parse_rate == 1.0

    batch = weeks[week]
    repaired = contract.repair(batch)
    strings = batch["monthly_charge_usd"].astype(str)
    numbers = strings.str.replace("$", "", regex=False).str.replace(",", "", regex=False).astype(float)
    assert repaired["monthly_charges"].dtype == np.float64
    assert np.array_equal(repaired["monthly_charges"].to_numpy(), numbers.to_numpy())
    after = contract.validate(repaired)
    assert errors(after) == [("plan", "unseen_category")]


def test_week_22_null_spike(results, events):
    week = events["null_spike"]["first_week"]
    row = results[week].checks(Check.NULL_RATE)
    assert row["column"].tolist() == ["days_since_last_login"] and row["severity"].item() == "error"
    assert row["failing_share"].item() == pytest.approx(0.6, abs=0.05)
    for other in (week - 1, week + 1):
        assert results[other].checks(Check.NULL_RATE).empty


def test_guard_on_the_burst_week(contract, weeks, events, truth):
    batch = weeks[events["outlier_burst"]["first_week"]]
    out = tk.guard(batch, contract, max_failure_share=0.25, now=truth["as_of"])
    assert len(out.passed) + len(out.quarantined) == len(batch)
    reasons = out.quarantined["reason"]
    assert reasons.str.contains("avg_session_minutes=").mean() > 0.3
    assert reasons.str.contains("plan='family'").mean() > 0.3
    with pytest.raises(tk.SchemaError, match="above max_failure_share=0.05"):
        tk.guard(batch, contract, now=truth["as_of"])


def test_yaml_of_the_demo_contract_round_trips(contract, tmp_path):
    assert Contract.load(contract.save(tmp_path / "churn.contract.yaml")) == contract
