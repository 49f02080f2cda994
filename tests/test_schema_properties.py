"""Property: a contract validates the data it was inferred from with no failures, and its YAML
round-trips exactly, for random frames (numbers with nan/inf, ints, booleans, categories with
unicode and HTML, formatted numbers, timestamps with and without zone, all-null columns)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit as tk
from toolkit.schema import Contract

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=8)
WORDS = st.one_of(TEXT, st.sampled_from(["<script>alert(1)</script>", '"><img src=x onerror=1>', "größe", "日本",
                                         "null", "yes", "1", "", " "]))
KINDS = ("float", "int", "small_int", "bool", "text", "formatted", "datetime", "datetime_utc", "empty", "id")


@st.composite
def column(draw, kind: str, n: int) -> pd.Series:
    if kind == "float":
        values = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=n, max_size=n))
        return pd.Series(values, dtype="float64")
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n)), dtype="int64")
    if kind == "small_int":
        return pd.Series(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype="int64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "text":
        pool = draw(st.lists(WORDS, min_size=1, max_size=6))
        values = draw(st.lists(st.one_of(st.none(), st.sampled_from(pool)), min_size=n, max_size=n))
        return pd.Series(values, dtype=draw(st.sampled_from(["str", "object"])))
    if kind == "formatted":
        numbers = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
        return pd.Series([f"${v:,.2f}" for v in numbers], dtype="str")
    if kind in ("datetime", "datetime_utc"):
        tz = dt.timezone.utc if kind == "datetime_utc" else None
        stamps = draw(st.lists(st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1900, 1, 1),
                                                                 max_value=dt.datetime(2200, 1, 1))),
                               min_size=n, max_size=n))
        series = pd.to_datetime(pd.Series(stamps, dtype=object))
        return series.dt.tz_localize(tz) if tz else series
    if kind == "empty":
        return pd.Series([None] * n, dtype=draw(st.sampled_from(["object", "float64"])))
    return pd.Series([f"id-{i}" for i in range(n)], dtype="str")


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 60))
    names = draw(st.lists(st.one_of(TEXT, WORDS), min_size=1, max_size=6, unique=True))
    data = {name: draw(column(draw(st.sampled_from(KINDS)), n)) for name in names}
    return pd.DataFrame(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.floats(0, 1))
def test_a_contract_passes_its_own_reference(frame, tolerance):
    contract = tk.infer_contract(frame, tolerance=tolerance)
    result = contract.validate(frame)
    assert result.failures.empty, result.failures[["column", "check", "observed"]].to_string()
    assert result.ok and not result.suggested_fixes
    restored = Contract.from_yaml(contract.to_yaml())
    assert restored == contract
    assert restored.to_yaml() == contract.to_yaml()
    assert restored.validate(frame).failures.empty
    guarded = tk.guard(frame, contract, max_failure_share=0.0)
    assert len(guarded.passed) == len(frame) and guarded.quarantined.empty
