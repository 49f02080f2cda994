"""pandera as an independent oracle: the contract exported with ``to_pandera()`` must count the same
row-level failures (range, category set, nullability, uniqueness) as ``Contract.validate``."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.schema import Check
from toolkit.schema._pandera import import_pandera

pa = import_pandera()


def pandera_counts(schema, frame) -> dict[tuple[str, str], int]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        # pandera names checks by their call ("in_range(0.0, 123.0)", "isin([...])"); map them to our codes
        code = cases["check"].astype(str).str.replace(r"\(.*", "", regex=True).map(
            {"in_range": "out_of_range", "isin": "unseen_category", "field_uniqueness": "duplicate_id",
             "not_nullable": "not_nullable"})
        return cases.assign(check=code).groupby(["column", "check"]).size().to_dict()
    return {}


@pytest.mark.parametrize("seed", range(4))
def test_row_level_counts_agree_with_pandera(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    ref = pd.DataFrame({
        "id": np.arange(n),
        "amount": rng.gamma(3, 10, n),
        "count": rng.integers(0, 50, n),
        "plan": rng.choice(["a", "b", "c"], n),
        "level": rng.integers(1, 5, n),
    })
    spec = tk.ModelSpec.infer(ref, id="id", kinds={"level": "categorical"})   # integers are numeric unless declared
    contract = tk.infer_contract(ref, spec)
    batch = ref.sample(1500, random_state=seed).reset_index(drop=True)
    m = len(batch)
    batch.loc[rng.random(m) < 0.05, "amount"] = rng.normal(500, 100)
    batch.loc[rng.random(m) < 0.02, "count"] = -3
    batch.loc[rng.random(m) < 0.04, "plan"] = rng.choice(["d", "e"])
    batch.loc[rng.random(m) < 0.03, "level"] = 9
    batch.loc[rng.random(m) < 0.02, "id"] = 7

    ours = contract.validate(batch).failures.set_index(["column", "check"])["failing_count"].to_dict()
    theirs = pandera_counts(contract.to_pandera(), batch)
    expected = {
        ("amount", Check.OUT_OF_RANGE.value): theirs[("amount", "out_of_range")],
        ("count", Check.OUT_OF_RANGE.value): theirs[("count", "out_of_range")],
        ("plan", Check.UNSEEN_CATEGORY.value): theirs[("plan", "unseen_category")],
        ("level", Check.UNSEEN_CATEGORY.value): theirs[("level", "unseen_category")],
        ("id", Check.DUPLICATE_ID.value): theirs[("id", "duplicate_id")],
    }
    assert {k: ours[k] for k in expected} == expected
    assert len(theirs) == len(expected)


def test_nullability_agrees_with_pandera():
    ref = pd.DataFrame({"x": np.arange(100.0), "y": np.r_[np.nan, np.arange(99.0)]})
    contract = tk.infer_contract(ref)
    batch = ref.copy()
    batch.loc[:4, "x"] = np.nan
    theirs = pandera_counts(contract.to_pandera(), batch)
    assert theirs == {("x", "not_nullable"): 5}
    assert contract.validate(batch).checks(Check.NULL_RATE)["failing_count"].tolist() == [5]
