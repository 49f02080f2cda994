"""infer_contract: what is learned per column, and the human-editable YAML file (exact round-trip)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.kinds import Kind
from toolkit.schema import Contract, RowCountRule


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 4000
    return pd.DataFrame({
        "customer_id": pd.Series([f"B{i:07d}" for i in range(n)], dtype="str"),
        "event_time": pd.Timestamp("2025-07-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 28 * 86400, n), unit="s"),
        "tenure_months": rng.integers(0, 72, n),
        "monthly_charges": rng.gamma(6, 11, n).round(2),
        "days_since_last_login": np.where(rng.random(n) < 0.02, np.nan, rng.exponential(9, n)),
        "num_products": rng.integers(1, 6, n),
        "plan": rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.3, 0.2]),
        "churn_score": rng.beta(2, 5, n),
        "churn_pred": rng.integers(0, 2, n),
        "churned": rng.integers(0, 2, n),
    })


@pytest.fixture(scope="module")
def spec(reference):
    return tk.ModelSpec.infer(reference, target="churned", score="churn_score", prediction="churn_pred",
                              timestamp="event_time", id="customer_id")


@pytest.fixture(scope="module")
def contract(reference, spec):
    return tk.infer_contract(reference, spec)


def test_roles_kinds_and_requirements_follow_the_spec(contract):
    roles = {name: rule.role for name, rule in contract.columns.items()}
    assert roles == {
        "customer_id": "id", "event_time": "timestamp", "tenure_months": "feature", "monthly_charges": "feature",
        "days_since_last_login": "feature", "num_products": "feature", "plan": "feature", "churn_score": "score",
        "churn_pred": "prediction", "churned": "target",
    }
    assert contract["num_products"].kind is Kind.NUMERIC  # integers keep their order unless declared (issue 10 #14)
    assert contract["monthly_charges"].kind is Kind.NUMERIC
    assert contract["customer_id"].kind is Kind.IDENTIFIER
    assert contract["churned"].required is False  # labels arrive later
    assert all(r.required for n, r in contract.columns.items() if n != "churned")


def test_types_dtypes_and_null_rates_match_the_reference(contract, reference):
    assert contract["tenure_months"].type == "integer" and contract["tenure_months"].dtype == "int64"
    assert contract["plan"].type == "string"
    assert contract["event_time"].type == "datetime"
    rule = contract["days_since_last_login"]
    assert rule.nullable is True and rule.rows == len(reference)
    assert rule.null_rate == pytest.approx(reference["days_since_last_login"].isna().mean(), abs=0)
    assert contract["monthly_charges"].nullable is False and contract["monthly_charges"].null_rate == 0.0


def test_numeric_range_is_the_quantile_band_widened_by_tolerance(reference):
    values = pd.DataFrame({"x": np.arange(1000) + 0.5})
    for tolerance in (0.0, 0.25, 1.0):
        rule = tk.infer_contract(values, tolerance=tolerance)["x"]
        q01, q99 = np.quantile(values["x"], [0.01, 0.99])
        spread = q99 - q01
        # the band, never narrower than the data, never below 0 for a non-negative baseline,
        # rounded outward to 4 significant digits
        lower = min(values["x"].min(), max(0.0, q01 - tolerance * spread))
        upper = max(values["x"].max(), q99 + tolerance * spread)
        assert lower - 1e-3 * spread <= rule.lower <= lower
        assert upper <= rule.upper <= upper + 1e-3 * spread


def test_range_never_narrower_than_the_data_and_keeps_sign_and_probability_bounds(contract, reference):
    charges = contract["monthly_charges"]
    assert charges.lower <= reference["monthly_charges"].min() and charges.upper >= reference["monthly_charges"].max()
    assert charges.lower >= 0  # the baseline never went negative
    score = contract["churn_score"]
    assert score.lower == 0.0 and score.upper == 1.0  # a probability stays a probability
    heavy = pd.DataFrame({"x": np.r_[np.random.default_rng(0).normal(0, 1, 999), 1e6]})
    assert tk.infer_contract(heavy)["x"].upper == 1e6  # an outlier in the baseline is allowed, not failed


def test_quantiles_categories_cardinality_and_uniqueness(contract, reference):
    q = contract["monthly_charges"].quantiles
    assert list(q) == ["p0", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p100"]
    assert q["p50"] == pytest.approx(reference["monthly_charges"].median(), rel=1e-5)
    plan = contract["plan"]
    shares = reference["plan"].value_counts(normalize=True)
    assert set(plan.categories) == {"basic", "standard", "premium"}
    for value, share in plan.categories.items():
        assert share == pytest.approx(shares[value], abs=1e-6)
    assert plan.cardinality == 3 and plan.max_cardinality == 13 and plan.unseen_rate == 0.0
    assert contract["num_products"].kind is Kind.NUMERIC  # a range, not a category list (issue 10 #14)
    assert contract["customer_id"].unique is True


def test_good_turing_unseen_rate_is_the_singleton_share():
    values = pd.Series(["a"] * 50 + ["b"] * 30 + ["c", "d", "e", "f"] + ["g"] * 16)
    rule = tk.infer_contract(pd.DataFrame({"v": values}))["v"]
    assert rule.unseen_rate == pytest.approx(4 / 100)


def test_timestamp_properties_and_rows_per_period(contract, reference):
    t = contract["event_time"]
    assert t.timezone == "UTC" and t.allow_future is False
    assert pd.Timestamp(t.start) == reference["event_time"].min()
    assert pd.Timestamp(t.end) == reference["event_time"].max()
    span_weeks = (reference["event_time"].max() - reference["event_time"].min()) / pd.Timedelta("7D")
    assert contract.rows.per == "7D" and contract.rows.tolerance == 10.0
    assert contract.rows.expected == pytest.approx(len(reference) / span_weeks, rel=1e-3)


def test_batch_rows_gives_a_fixed_expectation(reference):
    c = tk.infer_contract(reference, batch_rows=500)
    assert c.rows == RowCountRule(expected=500.0, tolerance=3.0, per=None)
    assert tk.infer_contract(reference).rows is None  # no spec timestamp, no batch size: not checked


def test_yaml_round_trip_is_exact(contract, tmp_path):
    path = contract.save(tmp_path / "contract.yaml")
    loaded = Contract.load(path)
    assert loaded == contract
    assert loaded.to_yaml() == contract.to_yaml()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# toolkit schema contract")
    assert "  plan:\n" in text and "    categories:\n" in text and "      basic: " in text


def test_hand_edit_loosens_a_rule(contract, reference, tmp_path):
    batch = reference.drop(columns="churned").assign(monthly_charges=reference["monthly_charges"] * 3)
    assert "out_of_range" in contract.validate(batch).failures["check"].tolist()
    path = contract.save(tmp_path / "c.yaml")
    text = path.read_text(encoding="utf-8")
    old = f"    upper: {contract['monthly_charges'].upper!r}\n"
    assert old in text
    path.write_text(text.replace(old, "    upper: 10000\n", 1), encoding="utf-8")
    edited = Contract.load(path)
    assert edited["monthly_charges"].upper == 10000.0
    assert "out_of_range" not in edited.validate(batch).failures["check"].tolist()
    assert contract.with_rule("monthly_charges", upper=10000.0) == edited


def test_hand_edit_mistakes_are_named(tmp_path, contract):
    bad = contract.to_yaml().replace("    role: feature\n", "    role: feature\n    uper: 3\n", 1)
    with pytest.raises(ValueError, match=r"columns.tenure_months: unknown rule field\(s\) \['uper'\]"):
        Contract.from_yaml(bad)
    with pytest.raises(ValueError, match="kind must be one of"):
        Contract.from_yaml(contract.to_yaml().replace("kind: numeric", "kind: numbers", 1))
    with pytest.raises(ValueError, match="not valid YAML"):
        Contract.from_yaml("columns: [unclosed")
    with pytest.raises(FileNotFoundError, match="infer_contract"):
        Contract.load(tmp_path / "missing.yaml")
    with pytest.raises(ValueError, match="lower .* is above upper"):
        contract.with_rule("monthly_charges", lower=10.0, upper=1.0)


def test_to_frame_and_repr(contract):
    frame = contract.to_frame()
    assert frame["column"].tolist() == list(contract.columns)
    assert frame.loc[frame["column"] == "plan", "categories"].item() == 3
    assert repr(contract).startswith("Contract(10 columns")
    assert "Schema contract" in contract._repr_html_()


def test_bad_arguments_are_named(reference, spec):
    with pytest.raises(TypeError, match="reference must be a pandas DataFrame"):
        tk.infer_contract([1, 2, 3])
    with pytest.raises(ValueError, match="0 rows"):
        tk.infer_contract(reference.iloc[:0])
    with pytest.raises(ValueError, match="tolerance must be a number >= 0"):
        tk.infer_contract(reference, tolerance=-1)
    with pytest.raises(ValueError, match="batch_freq must be a pandas timedelta"):
        tk.infer_contract(reference, spec, batch_freq="weekly")
    with pytest.raises(KeyError, match="reference lacks column"):
        tk.infer_contract(reference.drop(columns="plan"), spec)
    with pytest.raises(TypeError, match="spec must be a toolkit.ModelSpec"):
        tk.infer_contract(reference, spec={"target": "churned"})
    with pytest.raises(TypeError, match="batch must be a pandas DataFrame"):
        tk.infer_contract(reference).validate(42)
    with pytest.raises(FileNotFoundError, match="no .parquet or .csv files at 'data.parquet'"):
        tk.infer_contract(reference).validate("data.parquet")   # a path is checked where it lives
