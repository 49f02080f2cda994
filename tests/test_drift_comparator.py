"""DriftComparator: fitted on the reference once, applied to windows; tk.compare and drift_over_time are it.

The comparator is the one implementation of a drift comparison, so these tests pin that the public
functions give exactly what the fitted comparator gives (frames equal, not "close"), on data with
every column kind and non-string column names, and that the renamed argument keeps working.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.drift import thresholds as th
from toolkit.windows import split


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "x": rng.normal(shift, 1.0, n),
        "y": rng.lognormal(0.0, 1.0, n),
        "plan": rng.choice(list("abcd"), n),
        "flag": rng.choice([True, False], n),
        3: rng.integers(0, 50, n).astype(float),             # int column name
        ("t", 1): rng.choice(["u", "v", "w"], n),            # tuple column name
        "id": [f"id{i}_{seed}" for i in range(n)],           # identifier: skipped, missing share checked
        "amount": [f"${v:,.2f}" for v in rng.gamma(2.0, 20.0, n)],  # numbers as text
    })
    df.loc[rng.random(n) < 0.03, "x"] = np.nan
    if shift:
        df.loc[:60, "plan"] = "new"                          # an unseen category
        df.loc[:30, "y"] = np.inf                            # out of range
        df.loc[:, 3] = df[3] + 4
    return df


REF = _frame(3000, 1)
CUR = _frame(2500, 2, shift=0.3)


def _same(a: tk.DriftReport, b: tk.DriftReport) -> None:
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.drifted == b.drifted and a.new_columns == b.new_columns
    assert (a.n_reference, a.n_current, a.label) == (b.n_reference, b.n_current, b.label)
    assert a.reference_profile.equals(b.reference_profile) and a.current_profile.equals(b.current_profile)


def test_fitted_comparator_equals_compare_on_mixed_kinds_and_odd_names():
    report = tk.compare(REF, CUR, label="w1")
    fitted = tk.DriftComparator().fit(REF).compare(CUR, label="w1")
    _same(fitted, report)
    # the fixture really exercises what it claims: int/tuple names, several kinds, real drifts
    frame = report.to_frame().set_index("column")
    assert {3, ("t", 1)} <= set(frame.index)
    assert frame.loc[3, "drifted"] and frame.loc["x", "drifted"] and frame.loc["plan", "drifted"]
    assert frame.loc["id", "method"] == "skipped" and frame.loc["amount", "kind"] == "numeric"
    assert not frame.loc["flag", "drifted"]


@pytest.mark.parametrize("options", [
    {"methods": "wasserstein"}, {"methods": {"numeric": "anderson", "categorical": "chi2"}},
    {"methods": "psi", "min_effect": {"psi": 0.01}, "alpha": 0.01}, {"columns": ["x", 3, ("t", 1)]},
])
def test_fitted_comparator_equals_compare_with_options(options):
    columns = options.pop("columns", None)
    report = tk.compare(REF, CUR, columns=columns, **options)
    fitted = tk.DriftComparator(**options).fit(REF, columns=columns).compare(CUR)
    _same(fitted, report)
    if columns is not None:
        assert [r.column for r in sorted(report.results, key=lambda r: str(r.column))] == sorted(columns, key=str)


def test_fit_once_compare_many_windows_is_drift_over_time():
    prod = _frame(6000, 3)
    prod["t"] = pd.date_range("2026-01-05", periods=len(prod), freq="40min")
    prod.loc[4500:, "x"] += 0.5
    over = tk.drift_over_time(REF, prod, by="W", timestamp="t")
    comparator = tk.DriftComparator().fit(REF)
    windows = split(prod, by="W", timestamp="t")
    assert len(windows) == len(over.windows) >= 3
    for window in windows:
        _same(comparator.compare(window.frame, label=window.label), over.report(window.label))
    assert "x" in over.drifted and "x" not in over.report(over.windows[0]).drifted


def test_compare_profile_is_what_engines_feed_in():
    comparator = tk.DriftComparator().fit(REF)
    cur_profile = tk.profile(CUR, comparator.reference_profile)
    by_profile = comparator.compare_profile(cur_profile, label="p")
    _same(by_profile, comparator.compare(cur_profile, label="p"))
    # the same as the public function on two profiles (the engine path's input)
    pd.testing.assert_frame_equal(by_profile.to_frame(), tk.compare(tk.profile(REF), cur_profile, label="p").to_frame())
    assert "computed from profiles" in by_profile.to_frame().set_index("column").loc["x", "note"]
    with pytest.raises(TypeError, match="Profile"):
        comparator.compare_profile(CUR)


def test_a_fitted_reference_that_freed_its_values_sorts_them_again():
    """keep_values=False (what tk.compare uses) frees the sorted values; a second comparison is still exact."""
    thrifty = tk.DriftComparator(keep_values=False).fit(REF)
    first, second = thrifty.compare(CUR), thrifty.compare(CUR)
    _same(first, second)
    _same(first, tk.DriftComparator().fit(REF).compare(CUR))
    assert "binned" not in " ".join(first.to_frame()["note"].fillna(""))


def test_comparator_states_its_fit_and_refuses_use_before_it():
    comparator = tk.DriftComparator(alpha=0.01)
    assert "not fitted" in repr(comparator)
    with pytest.raises(RuntimeError, match=r"fit\(reference\)"):
        comparator.compare(CUR)
    comparator.fit(REF, kinds={3: "categorical"})
    assert comparator.kinds_[3] is tk.Kind.CATEGORICAL and comparator.kinds_["x"] is tk.Kind.NUMERIC
    assert comparator.n_reference_ == len(REF) and comparator.columns_ == list(REF.columns)
    assert "3,000 rows x 8 columns" in repr(comparator)
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 100"):
        tk.DriftComparator(n_resamples=10)
    with pytest.raises(ValueError, match="alpha"):
        tk.DriftComparator(alpha=2)


def test_drift_over_time_profile_windows_have_row_counts():
    from toolkit.windows import Window

    ref = tk.profile(REF)
    windows = [Window("a", tk.profile(REF.iloc[:1000], ref)), Window("b", tk.profile(CUR, ref))]
    assert [w.n_rows for w in windows] == [1000, len(CUR)]
    over = tk.drift_over_time(ref, windows=windows)
    assert over.window_rows == (1000, len(CUR)) and "x" in over.report("b").drifted
    with pytest.raises(TypeError):
        len(ref)  # a profile does not pretend to be a frame


def test_window_profile_is_a_deprecated_name():
    from toolkit.engines import WindowProfile

    prof = tk.profile(REF)
    with pytest.warns(DeprecationWarning, match="plain"):
        labelled = WindowProfile.of(prof, "w")
    assert type(labelled) is tk.Profile and labelled.label == "w" and labelled.equals(prof)


# ------------------------------------------------------------------------------------------------ vocabulary
def test_replicates_is_the_deprecated_name_of_n_resamples():
    small = REF.iloc[:800]
    with pytest.warns(DeprecationWarning, match="use 'n_resamples'"):
        old = tk.compare(small, CUR.iloc[:800], replicates=300)
    new = tk.compare(small, CUR.iloc[:800], n_resamples=300)
    pd.testing.assert_frame_equal(old.to_frame(), new.to_frame())
    assert new.settings["n_resamples"] == 300
    with pytest.raises(TypeError, match="pass only 'n_resamples'"):
        tk.compare(small, small, replicates=300, n_resamples=300)
    prod = CUR.iloc[:900]
    with pytest.warns(DeprecationWarning, match="use 'n_resamples'"):
        old = tk.drift_over_time(small, prod, by="n=3", replicates=300)
    pd.testing.assert_frame_equal(old.to_frame(), tk.drift_over_time(small, prod, by="n=3", n_resamples=300).to_frame())
    p = np.array([0.5, 0.3, 0.2])
    with pytest.warns(DeprecationWarning):
        a = th.simulate_null(tk.drift.statistics.tvd_props, p, 100, 100, replicates=200, rng=np.random.default_rng(0))
    b = th.simulate_null(tk.drift.statistics.tvd_props, p, 100, 100, n_resamples=200, rng=np.random.default_rng(0))
    assert np.array_equal(a, b) and a.shape == (200,)
    with pytest.warns(DeprecationWarning):
        pair = next(th.split_pooled(np.array([5, 5]), np.array([3, 7]), replicates=4, rng=np.random.default_rng(0)))
    assert pair[0].shape == (4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name never warns
        tk.compare(small, small, n_resamples=200)


def test_every_statistics_name_is_importable_from_the_package():
    import toolkit.drift.statistics as st

    old_public = ["DriftStatistic", "ks", "ks_from_counts", "wasserstein", "wasserstein_from_counts", "anderson_darling",
                  "jensen_shannon", "psi", "hellinger", "total_variation", "chi_square", "missing_share_change",
                  "out_of_range_share", "unseen_share", "merged_cdfs", "PSI_EPSILON", "js_props", "psi_props",
                  "hellinger_props", "tvd_props", "wasserstein_props", "chi2_counts", "ks_wasserstein"]
    for name in old_public:
        assert getattr(st, name) is not None, name
    assert st.__file__.endswith("statistics/__init__.py")
    assert round(st.ks([1, 2, 3, 4], [3, 4, 5, 6]).statistic, 2) == 0.5
