"""Kind inference on the cases that trip other tools, and ModelSpec validation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.kinds import Kind, coerce_numeric, infer_kind

CASES = {
    "binary ints": (pd.Series([0, 1] * 50), Kind.CATEGORICAL),
    # integers keep their order (issue 10 defect 14): only 0/1 flags are categorical unless declared
    "low-cardinality ints": (pd.Series(list(range(5)) * 20), Kind.NUMERIC),
    "integer strings": (pd.Series(["1", "2", "3", "4"] * 20), Kind.NUMERIC),
    "0/1 strings": (pd.Series(["0", "1"] * 20), Kind.CATEGORICAL),
    "many ints": (pd.Series(range(100)), Kind.NUMERIC),
    "floats with inf": (pd.Series([0.5, np.inf, -np.inf, 2.25] * 25), Kind.NUMERIC),
    "nullable Int64": (pd.Series(list(range(50)) + [None] * 50, dtype="Int64"), Kind.NUMERIC),
    "nullable boolean": (pd.Series([True, False, None] * 30, dtype="boolean"), Kind.BOOLEAN),
    "pyarrow strings": (pd.Series(["a", "b", None] * 30, dtype="string[pyarrow]"), Kind.CATEGORICAL),
    "category dtype": (pd.Series(["x", "y"] * 30, dtype="category"), Kind.CATEGORICAL),
    "formatted numbers": (pd.Series([f"${v:,.2f}" for v in np.linspace(1, 5000, 100)]), Kind.NUMERIC),
    "mixed numbers and words": (pd.Series([1, "a", 2.5, "b"] * 25, dtype=object), Kind.CATEGORICAL),
    "ids": (pd.Series([f"C{i:06d}" for i in range(1000)]), Kind.IDENTIFIER),
    "free text": (pd.Series([f"customer wrote comment number {i} about the bill" for i in range(100)]), Kind.TEXT),
    "datetimes": (pd.Series(pd.date_range("2026-01-01", periods=10, tz="UTC")), Kind.DATETIME),
    "all missing": (pd.Series([None] * 10, dtype=float), Kind.EMPTY),
    "python bools": (pd.Series([True, False] * 10, dtype=object), Kind.BOOLEAN),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_infer_kind(name):
    values, expected = CASES[name]
    assert infer_kind(values) is expected


def test_poisson_kind_does_not_depend_on_the_sample():
    # issue 10 defect 14: at 10k rows a Poisson(2) column was categorical in 171 of 250 samples and
    # numeric in 79, so its test changed from run to run; now every sample gives the same kind
    rng = np.random.default_rng(14)
    kinds = {tk.profile(pd.DataFrame({"x": rng.poisson(2, size)}))["x"].kind
             for size in (100, 1_000, 10_000) for _ in range(30)}
    assert kinds == {Kind.NUMERIC}


def test_declared_kind_overrides_the_integer_rule():
    frame = pd.DataFrame({"region": np.tile(np.arange(1, 10), 20)})
    assert tk.profile(frame)["region"].kind is Kind.NUMERIC
    assert tk.profile(frame, kinds={"region": "categorical"})["region"].kind is Kind.CATEGORICAL


def test_coerce_numeric_parses_currency_thousands_and_percent():
    parsed = coerce_numeric(pd.Series(["$54.20", "1,234", "12%", "€ 3.5", "abc", None]))
    assert parsed.iloc[:4].tolist() == [54.2, 1234.0, 12.0, 3.5]
    assert parsed.iloc[4:].isna().all()


def test_spec_rejects_roles_that_are_also_features_and_bad_tasks():
    with pytest.raises(ValueError, match="both a feature and a role"):
        tk.ModelSpec(features=["a", "y"], target="y")
    with pytest.raises(ValueError, match="task: .ranking. is not a task; use one of binary"):
        tk.ModelSpec(features=["a"], task="ranking")


def test_spec_infer_names_missing_columns_with_a_suggestion():
    frame = pd.DataFrame({"churned": [0, 1], "score": [0.1, 0.9]})
    with pytest.raises(KeyError, match="'churn'.*'churned'"):
        tk.ModelSpec.infer(frame, target="churn")


def test_spec_round_trips_through_yaml(tmp_path):
    frame = pd.DataFrame({"id": [f"u{i}" for i in range(200)], "x": np.arange(200) / 3, "y": [0, 1] * 100})
    spec = tk.ModelSpec.infer(frame, target="y", id="id", kinds={"x": "categorical"}, threshold=0.3)
    assert spec.features == ["x"] and spec.kind("x") is Kind.CATEGORICAL
    assert tk.ModelSpec.load(spec.save(tmp_path / "spec.yaml")) == spec


def test_an_id_like_column_of_unique_integers_is_a_row_identifier_not_a_feature():
    """A baseline with "ID" (unique consecutive integers) and no declared id: the inferred spec read it as a
    numeric feature, so the contract range-checked every new id (100% "outside the baseline band") and drift
    flagged it in every window. An id-like name with all-distinct values is now an identifier; a declared
    kind or feature list keeps the analyst's choice, and repeated codes (store_id) stay a category."""
    import numpy as np
    import pandas as pd

    import toolkit as tk

    rng = np.random.default_rng(0)
    n = 500
    frame = pd.DataFrame({"ID": np.arange(735_915, 735_915 + n), "Order #": [f"A-{i}" for i in range(n)],
                          "customerId": rng.permutation(n) + 10, "store_id": rng.integers(1, 9, n),
                          "paid": rng.permutation(n).astype(float) + 0.5, "x": rng.normal(size=n),
                          "y": rng.integers(0, 2, n)})
    spec = tk.ModelSpec.infer(frame, target="y")
    assert {c: spec.kinds[c].value for c in ("ID", "Order #", "customerId")} == dict.fromkeys(
        ("ID", "Order #", "customerId"), "identifier")
    assert spec.features == ["store_id", "paid", "x"]
    assert spec.kinds["store_id"].value == "numeric" and spec.kinds["paid"].value == "numeric"
    kept = tk.ModelSpec.infer(frame, target="y", kinds={"ID": "numeric"})
    assert "ID" in kept.features and kept.kinds["ID"].value == "numeric"
    listed = tk.ModelSpec.infer(frame, target="y", features=["ID", "x"])
    assert listed.features == ["ID", "x"] and listed.kinds["ID"].value == "numeric"
    later = frame.assign(ID=frame["ID"] + n)              # the next batch's new ids
    assert "ID" not in set(tk.infer_contract(frame, spec=spec).validate(later).to_frame()["column"])
    as_feature = tk.infer_contract(frame, spec=kept).validate(later).to_frame()
    assert as_feature.query("column == 'ID'")["check"].tolist() == ["out_of_range"]   # what it was before


def test_a_counter_is_an_identifier_and_class_ids_are_categories():
    """A run of consecutive whole numbers (a ticket counter, whatever its name) is a row id, not a numeric
    feature range-checked on every new ticket; a multiclass model's class ids 0..K-1 are categories, so their
    shares are compared, not their mean."""
    rng = np.random.default_rng(4)
    n = 600
    y = rng.integers(0, 4, n)
    frame = pd.DataFrame({"ticket": rng.permutation(np.arange(1_780_000_000, 1_780_000_000 + n)),
                          "age": rng.integers(18, 90, n), "x": rng.normal(size=n),
                          "true class": y, "predicted": np.where(rng.random(n) < 0.7, y, rng.integers(0, 4, n))})
    spec = tk.ModelSpec.infer(frame, target="true class", prediction="predicted")
    assert spec.task == "multiclass"
    assert spec.kinds["ticket"] is Kind.IDENTIFIER and "ticket" not in spec.features
    assert spec.kinds["age"] is Kind.NUMERIC                      # repeats: a measure
    assert spec.kinds["true class"] is Kind.CATEGORICAL and spec.kinds["predicted"] is Kind.CATEGORICAL
    declared = tk.ModelSpec.infer(frame, target="true class", prediction="predicted",
                                  kinds={"ticket": "numeric", "predicted": "numeric"})
    assert declared.kinds["ticket"] is Kind.NUMERIC and declared.kinds["predicted"] is Kind.NUMERIC
    regression = tk.ModelSpec.infer(frame.assign(y=rng.normal(size=n), p=rng.normal(size=n)), target="y",
                                    prediction="p")
    assert regression.task == "regression" and regression.kinds["y"] is Kind.NUMERIC
