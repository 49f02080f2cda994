"""Bad input: empty batches, duplicate or odd column names, all-null columns, non-frames."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.kinds import Kind
from toolkit.schema import Check, Contract


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(1)
    n = 500
    return pd.DataFrame({
        "x": rng.normal(size=n),
        "plan": rng.choice(["a", "b"], n),
        "t": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
        "empty": [None] * n,
    })


def test_empty_batch_is_a_row_count_error_not_a_crash(contract, reference):
    result = contract.validate(reference.iloc[:0])
    assert result.failures["check"].tolist() == ["row_count"]
    assert result.failures["severity"].tolist() == ["error"] and not result.ok
    no_columns = contract.validate(pd.DataFrame())
    assert sorted(no_columns.checks(Check.MISSING_COLUMN)["column"]) == ["empty", "plan", "t", "x"]
    assert not no_columns.summary["present"].any()
    assert "batch of 0 rows FAILS" in no_columns.message()


def test_duplicate_column_names_are_reported_and_the_first_copy_is_checked(contract, reference):
    batch = pd.concat([reference, reference[["plan"]].assign(plan="zzz")], axis=1)
    result = contract.validate(batch)
    dup = result.checks(Check.UNEXPECTED_COLUMN)
    assert dup["severity"].tolist() == ["error"] and dup["observed"].tolist() == ["2 columns named 'plan'"]
    assert result.checks(Check.UNSEEN_CATEGORY).empty  # the first copy is the valid one
    with pytest.raises(ValueError, match="duplicate column names"):
        tk.infer_contract(batch)


def test_all_null_batch_column_is_a_null_spike_without_type_noise(contract, reference):
    batch = reference.assign(x=np.nan, plan=None)
    result = contract.validate(batch)
    nulls = result.checks(Check.NULL_RATE).set_index("column")
    assert set(nulls.index) == {"x", "plan"} and (nulls["severity"] == "error").all()
    assert (nulls["failing_share"] == 1.0).all()
    assert result.checks(Check.DTYPE_CHANGE).empty  # an all-null column has no type to compare


def test_all_null_reference_column_is_empty_kind_and_tolerates_values(contract, reference):
    assert contract["empty"].kind is Kind.EMPTY and contract["empty"].null_rate == 1.0
    assert contract.validate(reference.assign(empty="now filled")).failures.empty


def test_numeric_and_unicode_column_names(reference):
    frame = pd.DataFrame({0: [1.5, 2.5, 3.5] * 20, "naïve ✓": ["α", "β", "γ"] * 20, "": [1, 2, 3] * 20})
    contract = tk.infer_contract(frame)
    assert list(contract.columns) == ["0", "naïve ✓", ""]
    assert contract.validate(frame).failures.empty
    restored = Contract.from_yaml(contract.to_yaml())
    assert restored == contract
    assert restored["naïve ✓"].categories == {"α": 0.333333, "β": 0.333333, "γ": 0.333333}  # shares: 6 decimals


def test_object_columns_with_mixed_types_and_pandas_nullable_dtypes():
    frame = pd.DataFrame({
        "mixed": pd.Series([1, "a", 2.5, None] * 25, dtype=object),
        "Int": pd.array([1, 2, None, 40] * 25, dtype="Int64"),
        "flag": pd.array([True, False, None, True] * 25, dtype="boolean"),
        "cat": pd.Categorical(["x", "y", "x", "z"] * 25),
    })
    contract = tk.infer_contract(frame)
    assert contract.validate(frame).failures.empty
    assert Contract.from_yaml(contract.to_yaml()) == contract
    changed = frame.assign(cat=pd.Categorical(["x", "w", "x", "z"] * 25))
    assert contract.validate(changed).checks(Check.UNSEEN_CATEGORY)["examples"].item() == ["w"]


def test_timestamp_arguments_are_checked(contract, reference):
    with pytest.raises(ValueError, match="now must be a timestamp"):
        contract.validate(reference, now="yesterday-ish")
    naive_now = contract.validate(reference, now="2030-01-01")  # naive times are read as UTC
    assert naive_now.ok
