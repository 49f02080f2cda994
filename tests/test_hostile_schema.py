"""Hostile batches for the contract and the guard: renames without name evidence, existing quarantine columns,
empty batches, odd names and values. passed + quarantined == input rows for any batch hypothesis generates, and
no input column is ever overwritten."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit as tk
from toolkit.schema import Check, Rename


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(2)
    n = 800
    return pd.DataFrame({"age": rng.normal(45, 12, n).round(1), "plan": rng.choice(["a", "b", "c"], n),
                         "income": rng.gamma(3, 15_000, n).round(0)})


def test_a_rename_without_name_evidence_is_flagged_not_repaired(contract, reference):
    batch = reference.rename(columns={"age": "p"})
    result = contract.validate(batch)
    row = result.checks(Check.SUSPECTED_RENAME)
    assert row["column"].tolist() == ["age"] and row["severity"].tolist() == ["error"]
    assert "NOT repaired automatically" in row["message"].item()
    assert "Rename('p', 'age')" in row["message"].item()
    assert result.suggested_fixes == () and [str(f) for f in result.unconfirmed_fixes] == ["rename 'p' -> 'age'"]
    # the template call `contract.repair(current)` leaves the batch as it is
    assert contract.repair(batch).equals(batch)
    assert "to confirm" in result.message() and "To confirm" in result.to_html()
    # once confirmed by a person, the fix applies
    fixed = contract.repair(batch, fixes=result.unconfirmed_fixes)
    assert fixed["age"].equals(reference["age"]) and contract.validate(fixed).ok


def test_a_rename_with_name_evidence_is_still_repaired(contract, reference):
    batch = reference.rename(columns={"income": "annual_income"})
    result = contract.validate(batch)
    assert [str(f) for f in result.suggested_fixes] == ["rename 'annual_income' -> 'income'"]
    assert result.unconfirmed_fixes == ()
    assert contract.repair(batch)["income"].equals(reference["income"])


def test_coercions_that_assume_an_unconfirmed_rename_wait_with_it(contract, reference):
    batch = reference.rename(columns={"income": "zz"}).assign(zz=[f"${v:,.0f}" for v in reference["income"]])
    result = contract.validate(batch)
    assert result.suggested_fixes == ()
    assert {type(f).__name__ for f in result.unconfirmed_fixes} == {"Rename", "CoerceNumeric"}
    fixed = contract.repair(batch, fixes=result.unconfirmed_fixes)
    assert np.allclose(fixed["income"], reference["income"])


def test_an_existing_quarantine_reason_column_is_kept(contract, reference):
    batch = reference.head(20).assign(quarantine_reason="legal hold", reason="upstream note")
    batch.loc[3, "age"] = 9_999.0
    out = tk.guard(batch, contract, max_failure_share=1.0, strict_columns=False)
    assert out.reason_column == "quarantine_reason_2"
    assert out.quarantined["quarantine_reason"].tolist() == ["legal hold"]
    assert out.quarantined["reason"].tolist() == ["upstream note"]
    assert out.quarantined["quarantine_reason_2"].str.startswith("out_of_range: age=9999").all()
    assert out.reasons()["rows"].sum() == 1


def test_guard_on_an_empty_batch_says_so(contract, reference):
    with pytest.raises(tk.SchemaError) as err:
        tk.guard(reference.iloc[:0], contract)
    text = str(err.value)
    assert text.startswith("guard: the batch has 0 rows") and "row_count((batch))" not in text
    out = tk.guard(reference.iloc[:0], contract, strict_columns=False)
    assert len(out.passed) == len(out.quarantined) == 0
    with pytest.raises(tk.SchemaError, match=r"guard: the batch breaks the contract at column level \(missing_column "
                                             r"on 'age'\)"):
        tk.guard(reference.drop(columns="age"), contract)


def test_messages_show_values_as_written(contract, reference):
    with pytest.raises(KeyError) as err:
        tk.ModelSpec.infer(pd.DataFrame(), target="y")
    assert "it has ." not in str(err.value) and "no columns" in str(err.value)
    batch = reference.head(50).copy()
    batch["age"] = np.float64(0.0)
    batch.loc[0, "age"] = -500.0
    result = contract.validate(batch)
    text = result.message() + " ".join(map(str, result.failures["examples"]))
    assert "np.float64" not in text and "np.int64" not in text
    report = tk.join_labels(pd.DataFrame({"id": [1, 1]}), pd.DataFrame({"id": [np.int64(1)], "y": [1]}), on="id",
                            target="y", by=None)
    (note,) = [n for n in report.notes if "ids repeat" in n]
    assert "np.int64" not in note and "e.g. 1" in note


def test_non_frames_and_wrong_contracts_are_named(contract):
    with pytest.raises(TypeError, match="batch must be a pandas DataFrame"):
        contract.validate([1, 2])
    with pytest.raises(TypeError, match="contract must be a toolkit Contract"):
        tk.guard(pd.DataFrame({"age": [1.0]}), {"age": "numeric"})
    with pytest.raises(ValueError, match="max_failure_share must be a number in"):
        tk.guard(pd.DataFrame({"age": [1.0]}), contract, max_failure_share=3)


# -- properties -----------------------------------------------------------------------------------------
_cells = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.none(),
                   st.sampled_from(["a", "b", "c", "zz", "", "$1,200", "legal hold"]), st.booleans())
_names = st.one_of(st.sampled_from(["age", "plan", "income", "reason", "quarantine_reason", "p", "annual_income"]),
                   st.text(max_size=5), st.integers(-2, 2))


@st.composite
def batches(draw):
    n = draw(st.integers(0, 25))
    names = draw(st.lists(_names, min_size=0, max_size=6, unique_by=str))
    frame = pd.DataFrame(index=range(n))
    for name in names:
        frame[name] = pd.Series(draw(st.lists(_cells, min_size=n, max_size=n)), index=frame.index, dtype=object)
        if draw(st.booleans()):
            converted = pd.to_numeric(frame[name], errors="coerce")
            if converted.notna().sum() == frame[name].notna().sum():
                frame[name] = converted
    return frame


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(), share=st.sampled_from([0.0, 0.05, 1.0]), strict=st.booleans())
def test_guard_never_loses_a_row_and_never_overwrites_a_column(contract, batch, share, strict):
    before = batch.copy()
    try:
        out = tk.guard(batch, contract, max_failure_share=share, strict_columns=strict)
    except tk.SchemaError as err:  # the split is still on the exception
        out = err.guard
        assert out is not None
    pd.testing.assert_frame_equal(batch, before)
    assert len(out.passed) + len(out.quarantined) == len(batch)
    assert sorted(out.passed.index.tolist() + out.quarantined.index.tolist()) == batch.index.tolist()
    assert out.reason_column not in [str(c) for c in batch.columns]
    for column in batch.columns:
        pd.testing.assert_series_equal(out.quarantined[column], batch.loc[out.quarantined.index, column])
    assert out.quarantined[out.reason_column].str.len().gt(0).all()


def test_integer_column_names_and_a_role_named_0():
    """Int names are text in the contract (YAML keys); the spec keeps the frame's own labels, roles and
    features alike; a role named 0 is a role (0 is not 'no column')."""
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({0: np.arange(300), 1: rng.normal(size=300), 2: rng.integers(0, 2, 300)})
    spec = tk.ModelSpec.infer(ref, id=0, target=2)
    assert spec.features == [1] and spec.target == 2 and spec.kind(0) is tk.Kind.IDENTIFIER
    assert tk.compare(ref, ref, spec=spec).to_frame()["column"].tolist() == [1]
    contract = tk.infer_contract(ref, spec=spec)
    assert contract["0"].role == "id" and contract["2"].role == "target"
    later = ref.assign(**{}).rename(columns=str)
    later["0"] = later["0"] + 10_000
    assert contract.validate(later).ok


def test_an_object_column_of_timestamps_is_checked_not_crashed():
    t = pd.Series([pd.Timestamp("2026-01-01") + pd.Timedelta(days=i) for i in range(30)] + [pd.NaT], dtype=object)
    ref = pd.DataFrame({"t": t, "x": np.arange(31.0)})
    contract = tk.infer_contract(ref, spec=tk.ModelSpec.infer(ref, timestamp="t"))
    assert contract.validate(ref).failures.empty
    out = tk.guard(ref, contract, strict_columns=False)
    assert len(out.passed) + len(out.quarantined) == len(ref)
