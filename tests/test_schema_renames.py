"""Suspected renames (by name and by distribution) and the repairs they suggest."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.schema import Check, CoerceNumeric, Rename
from toolkit.schema.renames import name_similarity


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(12)
    n = 3000
    return pd.DataFrame({
        "monthly_charges": rng.gamma(6, 11, n).round(2),
        "tenure_months": rng.integers(0, 72, n),
        "age": rng.integers(18, 90, n),
        "plan": rng.choice(["basic", "standard", "premium"], n, p=[0.6, 0.3, 0.1]),
        "x": rng.normal(0, 1, n),
    })


def test_name_similarity():
    assert name_similarity("monthly_charges", "monthly_charge_usd") > 0.9
    assert name_similarity("tenureMonths", "tenure_months") == 1.0
    assert name_similarity("Age", "age") == 1.0
    assert name_similarity("age", "region") < 0.4


def test_formatted_strings_under_a_new_name_are_a_rename_with_exact_repair(contract, reference):
    dollars = reference["monthly_charges"].map("${:,.2f}".format)
    batch = reference.drop(columns="monthly_charges").assign(monthly_charge_usd=dollars)
    result = contract.validate(batch)
    rename = result.checks(Check.SUSPECTED_RENAME).iloc[0]
    assert rename["column"] == "monthly_charges" and rename["observed"] == "'monthly_charge_usd'"
    assert rename["severity"] == "error" and rename["examples"][0].startswith("$")
    assert "after parsing text as numbers (100.0% parse)" in rename["message"]
    # the pair replaces the plain missing / unexpected pair
    assert result.checks(Check.MISSING_COLUMN).empty and result.checks(Check.UNEXPECTED_COLUMN).empty
    dtype = result.checks(Check.DTYPE_CHANGE).iloc[0]
    assert dtype["column"] == "monthly_charges" and "100% coerce to numbers" in dtype["observed"]
    assert result.summary.set_index("column").loc["monthly_charges", "source"] == "monthly_charge_usd"
    fixes = result.suggested_fixes
    assert [type(f) for f in fixes] == [Rename, CoerceNumeric]
    assert (fixes[0].old, fixes[0].new) == ("monthly_charge_usd", "monthly_charges")
    assert fixes[0].distribution_match > 0.95 and fixes[1].parse_rate == 1.0

    repaired = contract.repair(batch)
    assert repaired["monthly_charges"].dtype == "float64"
    assert np.array_equal(repaired["monthly_charges"].to_numpy(), reference["monthly_charges"].to_numpy())
    assert contract.validate(repaired).failures.empty
    assert "monthly_charge_usd" in batch.columns  # the batch itself is untouched


def test_a_rename_is_found_by_distribution_when_names_share_nothing(contract, reference):
    batch = reference.rename(columns={"x": "feature_7"})
    pair = contract.validate(batch).checks(Check.SUSPECTED_RENAME)
    assert pair[["column", "observed"]].values.tolist() == [["x", "'feature_7'"]]


def test_two_renames_pair_by_distribution_not_order(contract, reference):
    batch = reference.rename(columns={"tenure_months": "col_a", "age": "col_b"})
    batch = batch[["col_b", "col_a", "monthly_charges", "plan", "x"]]
    result = contract.validate(batch)
    # found by their values, but the names share nothing: flagged for confirmation, never auto-repaired
    assert result.suggested_fixes == ()
    fixes = {f.old: f.new for f in result.unconfirmed_fixes}
    assert fixes == {"col_a": "tenure_months", "col_b": "age"}
    assert contract.repair(batch).equals(batch)
    assert contract.validate(contract.repair(batch, fixes=result.unconfirmed_fixes)).ok


def test_categorical_rename_by_category_overlap(contract, reference):
    batch = reference.rename(columns={"plan": "subscription_tier"})
    result = contract.validate(batch)
    assert result.suggested_fixes == ()  # name similarity 0.19: a person confirms it
    assert result.unconfirmed_fixes == (Rename("subscription_tier", "plan", *_evidence(result)),)
    assert "NOT repaired automatically" in result.checks(Check.SUSPECTED_RENAME)["message"].item()


def _evidence(result):
    fix = result.unconfirmed_fixes[0]
    return fix.name_similarity, fix.distribution_match


def test_unrelated_new_column_is_not_a_rename(contract, reference):
    rng = np.random.default_rng(0)
    batch = reference.drop(columns="plan").assign(device=rng.choice(["ios", "android"], len(reference)))
    result = contract.validate(batch)
    assert result.checks(Check.SUSPECTED_RENAME).empty
    assert result.checks(Check.MISSING_COLUMN)["column"].tolist() == ["plan"]
    assert result.checks(Check.UNEXPECTED_COLUMN)["column"].tolist() == ["device"]
    assert result.suggested_fixes == ()


def test_repair_with_explicit_fixes_and_bad_fixes(contract, reference):
    batch = reference.rename(columns={"age": "age_years"})
    assert contract.repair(batch, fixes=[]).equals(batch)
    fixed = contract.repair(batch, fixes=[Rename("age_years", "age")])
    assert list(fixed.columns) == list(reference.columns)
    with pytest.raises(KeyError, match="has no column 'nope'"):
        contract.repair(batch, fixes=[Rename("nope", "age")])
    with pytest.raises(TypeError, match="fixes must be Rename, CoerceNumeric or CoerceDatetime"):
        contract.repair(batch, fixes=[{"age_years": "age"}])
    with pytest.raises(ValueError, match="already has a column 'plan'"):
        contract.repair(batch, fixes=[Rename("age_years", "plan")])


def test_coerce_numeric_restores_integers_and_keeps_unparsed_as_nan():
    frame = pd.DataFrame({"n": ["1,200", "3", "4"], "m": ["$1.50", "n/a", "2"]})
    out = CoerceNumeric("n", 1.0, dtype="int64").apply(frame)
    assert out["n"].dtype == "int64" and out["n"].tolist() == [1200, 3, 4]
    out = CoerceNumeric("m", 2 / 3).apply(frame)
    assert out["m"].iloc[0] == 1.5 and np.isnan(out["m"].iloc[1])
    assert str(CoerceNumeric("m", 2 / 3)) == "coerce 'm' to numbers (66.7% parse)"
