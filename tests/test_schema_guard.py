"""guard: passed + quarantined == input, a reason per quarantined row, loud failure past the limit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.schema import Check


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(21)
    n = 2000
    return pd.DataFrame({
        "id": [f"A{i}" for i in range(n)],
        "amount": rng.gamma(3, 20, n).round(2),
        "plan": rng.choice(["basic", "plus"], n),
        "age": rng.integers(18, 90, n),
    })


@pytest.fixture(scope="module")
def contract(reference):
    spec = tk.ModelSpec.infer(reference, id="id")
    return tk.infer_contract(reference, spec)


def corrupt(reference, seed=0, share=0.03):
    rng = np.random.default_rng(seed)
    batch = reference.sample(1000, random_state=seed).copy()
    batch.index = pd.Index(rng.permutation(np.arange(5000, 6000)))  # a non-default index is kept
    bad_amount = rng.random(1000) < share
    bad_plan = rng.random(1000) < share
    batch.loc[bad_amount, "amount"] = -5.0
    batch.loc[bad_plan, "plan"] = "<script>alert(1)</script>"
    return batch, bad_amount, bad_plan


def test_split_is_complete_and_matches_the_failing_rows(contract, reference):
    for seed in range(3):
        batch, bad_amount, bad_plan = corrupt(reference, seed)
        out = tk.guard(batch, contract, max_failure_share=0.2)
        assert len(out.passed) + len(out.quarantined) == len(batch)
        expected = batch.index[bad_amount | bad_plan]
        assert sorted(out.quarantined.index) == sorted(expected)
        assert out.passed.index.intersection(out.quarantined.index).empty
        assert out.passed.equals(batch.loc[~(bad_amount | bad_plan)])
        reasons = out.quarantined["reason"]
        both = batch.index[bad_amount & bad_plan]
        assert all("out_of_range: amount=-5 outside" in r for r in reasons[batch.index[bad_amount]])
        assert all("unseen_category: plan='<script>alert(1)</script>'" in r for r in reasons[batch.index[bad_plan]])
        assert all(r.count(";") == 1 for r in reasons[both])
        assert out.failure_share == pytest.approx((bad_amount | bad_plan).mean())
        # what passed holds no row-level failure
        assert contract.validate(out.passed).failures.empty


def test_raises_past_the_limit_and_keeps_the_split_on_the_exception(contract, reference):
    batch, bad_amount, bad_plan = corrupt(reference, 1, share=0.2)
    with pytest.raises(tk.SchemaError, match=r"above max_failure_share=0.05") as info:
        tk.guard(batch, contract)
    split = info.value.guard
    assert len(split.passed) + len(split.quarantined) == len(batch)
    assert isinstance(info.value.failures, pd.DataFrame) and len(info.value.failures) == 2


def test_column_level_errors_raise_unless_relaxed(contract, reference):
    batch = reference.drop(columns="plan").iloc[:500]
    with pytest.raises(tk.SchemaError, match=r"column level \(missing_column on 'plan'\)"):
        tk.guard(batch, contract)
    out = tk.guard(batch, contract, strict_columns=False)
    assert len(out.passed) == 500 and out.quarantined.empty
    assert not out.validation.ok


def test_nulls_in_a_never_null_column_are_quarantined(contract, reference):
    batch = reference.iloc[:100].copy()
    batch.loc[batch.index[:2], "amount"] = np.nan
    out = tk.guard(batch, contract)
    assert out.quarantined["reason"].tolist() == ["null_rate: 'amount' is null (nullable: false)"] * 2


def test_duplicate_ids_quarantine_the_repeats_only(contract, reference):
    batch = reference.iloc[:100].copy()
    batch.loc[batch.index[50:53], "id"] = batch["id"].iloc[0]
    out = tk.guard(batch, contract)
    assert list(out.quarantined.index) == list(batch.index[50:53])
    assert out.validation.checks(Check.DUPLICATE_ID)["failing_count"].item() == 3


def test_reason_column_name_collision_and_display(contract, reference):
    batch = reference.iloc[:50].assign(reason="upstream")
    batch.loc[batch.index[0], "age"] = 500
    out = tk.guard(batch, contract, strict_columns=False)
    assert out.reason_column == "quarantine_reason"
    assert out.quarantined["reason"].tolist() == ["upstream"]
    assert out.reasons()["rows"].tolist() == [1]
    assert "quarantined=1 " in repr(out) and "Schema guard" in out._repr_html_()


def test_bad_arguments(contract, reference):
    with pytest.raises(TypeError, match="contract must be a toolkit Contract"):
        tk.guard(reference, {"age": "int"})
    with pytest.raises(ValueError, match=r"max_failure_share must be a number in \[0, 1\]"):
        tk.guard(reference, contract, max_failure_share=5)
