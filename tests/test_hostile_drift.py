"""Issue 12, drift side: hostile column names and a million distinct values declared categorical."""
from __future__ import annotations

import resource
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import toolkit as tk

_names = hs.one_of(
    hs.integers(-5, 10**6),
    hs.text(min_size=0, max_size=8),
    hs.tuples(hs.text(max_size=3), hs.integers(0, 9)),
    hs.floats(allow_nan=False, allow_infinity=False, width=32),
    hs.booleans(),
)


def _frames(names: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 400
    base = {name: rng.normal(size=n) for name in names}
    ref = pd.DataFrame(base, columns=pd.Index(names, dtype=object, tupleize_cols=False))
    cur = ref.copy()
    cur[names[0]] = rng.normal(size=n) + 3.0  # the first column shifts 3 SD; the others are identical
    return ref, cur


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.lists(_names, min_size=2, max_size=4, unique_by=lambda v: (type(v), v)))
def test_any_column_names_are_compared_under_their_own_name(names):
    # int or tuple names were stringified at one place and looked up raw at another: every column came
    # out "not in reference", kind empty, not drifted, although one shifted 3 SD
    if len(set(map(hash, names))) < len(names) or len(pd.Index(names, dtype=object, tupleize_cols=False).unique()) < len(names):
        return  # names equal as pandas labels (1 == 1.0 == True) cannot coexist in one frame
    ref, cur = _frames(names)
    report = tk.compare(ref, cur)
    frame = report.to_frame()
    assert set(frame["column"]) == set(names)
    assert report.drifted == [names[0]]
    assert (frame["kind"] == "numeric").all()
    assert report.to_html()  # renders


@pytest.mark.parametrize("names", [[0, 1, 2], [("a", 1), ("a", 2)], [0, "0", ("x",)]])
def test_drift_over_time_and_profiles_with_non_string_names(names):
    ref, cur = _frames(names)
    windows = cur.assign(batch=np.repeat(["b1", "b2"], len(cur) // 2))
    result = tk.drift_over_time(ref, windows, by="batch", columns=names)
    flagged = result.to_frame().query("drifted")["column"].tolist()
    assert flagged == [names[0], names[0]]
    prof = tk.profile(ref)
    assert list(prof.columns) == names and prof[names[1]].kind.value == "numeric"


def test_multivariate_with_non_string_names_reports_the_names():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({0: rng.normal(size=600), ("t", 1): rng.normal(size=600)})
    cur = pd.DataFrame({0: rng.normal(2, 1, 600), ("t", 1): rng.normal(size=600)})
    mv = tk.compare(ref, cur, multivariate=True, sample_size=600).multivariate
    assert mv.classifier_drifted and mv.features["feature"].iloc[0] == 0


@pytest.mark.slow
def test_a_million_distinct_values_declared_categorical_stops_early_in_bounded_memory():
    n = 1_000_000
    ref = pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "x": np.arange(n, dtype="float64")})
    cur = pd.DataFrame({"uid": [f"u{i}" for i in range(n // 2, n + n // 2)], "x": np.arange(n, dtype="float64")})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = tk.compare(ref, cur, kinds={"uid": "categorical"})
    elapsed = time.perf_counter() - start
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    row = next(r for r in report.results if r.column == "uid")
    assert row.method == "skipped" and not row.drifted
    assert "identifier" in row.note and "distinct values" in row.note
    assert grown_mb < 400, f"peak memory grew {grown_mb:.0f} MB"
    assert elapsed < 120


def test_a_hundred_thousand_distinct_values_declared_categorical_is_refused_with_the_fix():
    n = 60_000
    ref = pd.DataFrame({"uid": [f"u{i}" for i in range(n)]})
    cur = pd.DataFrame({"uid": [f"v{i}" for i in range(n)]})
    row = tk.compare(ref, cur, kinds={"uid": "categorical"}).results[0]
    assert row.method == "skipped" and "kinds={'uid': 'identifier'}" in row.note
