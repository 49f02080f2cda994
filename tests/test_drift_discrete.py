"""Few-valued (discrete) numeric columns: point and gap bins make the binned KS the exact KS.

A count column with few distinct values used to get one bin per value with midpoint edges, so a shift
of every value from k to k + 0.41 stayed inside k's bin: the binned KS (what the DuckDB/Spark engines
compute from profiles) was ~0 where the exact KS was 0.19. With a point bin per reference value and a
bin per gap between values, the binned CDFs are known at every reference value and just below it,
which is where the two-sample KS supremum of a step CDF sits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import toolkit as tk
from toolkit import engines as E
from toolkit.drift.statistics import ks_from_counts
from toolkit.profiles import bin_counts, discrete_edges, quantile_edges

from conftest import profile_differences as differences


def _counts(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).negative_binomial(2, 0.4, n).astype("float64")


def _shifted(seed: int, n: int, how: str) -> np.ndarray:
    """Current windows of the kinds a discrete reference meets."""
    rng = np.random.default_rng(seed)
    x = _counts(seed, n)
    if how == "same":
        return x
    if how == "up":             # every value moves into the gap above it (the bench's num_12)
        return x + 0.41
    if how == "down":           # into the gap below
        return x - 0.3
    if how == "continuous":     # a continuous current against a discrete reference
        return rng.gamma(2.0, 1.5, n)
    if how == "mixed":          # partly in gaps, partly new values beyond the range
        x[: n // 3] += 0.5
        x[n // 3: n // 3 + 20] = 99.5
        return x
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["same", "up", "down", "continuous", "mixed"])
def test_binned_ks_of_a_discrete_column_is_the_exact_ks(how):
    ref, cur = _counts(1, 4000), _shifted(2, 3000, how)
    edges = quantile_edges(ref, 100)
    d = np.unique(ref)
    assert edges.size - 1 == 2 * d.size - 1                  # a point per value, a gap between each pair
    binned = ks_from_counts(bin_counts(ref, edges), bin_counts(cur, edges)).statistic
    assert binned == pytest.approx(stats.ks_2samp(ref, cur).statistic, abs=1e-12)


def test_point_and_gap_bins_hold_exactly_their_values():
    edges = discrete_edges(np.array([3.0, 0.0, 1.0, 1.0]))
    probe = np.array([-1.0, 0.0, 1e-300, 0.5, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 3.5])
    #                     below =0    (0, 1)            =1    (1, 3)  =3     above
    assert bin_counts(probe, edges).tolist() == [1, 1, 2, 2, 1, 3, 1]
    assert bin_counts(probe, edges, sorted=True).tolist() == [1, 1, 2, 2, 1, 3, 1]
    assert discrete_edges(np.array([5.0])).tolist() == [5.0, 5.0]
    # neighbouring floats leave no gap between them: no empty, zero-width bin
    tight = discrete_edges(np.array([1.0, np.nextafter(1.0, 2.0), 2.0]))
    assert np.all(np.diff(tight[:-1]) > 0) and tight.size - 1 == 4


def test_duckdb_and_pandas_profiles_agree_and_give_the_exact_ks(tmp_path):
    """The engine's edges (distinct values in SQL) are the in-memory ones; both flag the shift."""
    ref = pd.DataFrame({"n": _counts(1, 5000)})
    cur = pd.DataFrame({"n": _shifted(2, 5000, "up")})
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_parquet(tmp_path / "cur.parquet")
    want_ref = tk.profile(ref)
    got_ref = E.profile(tmp_path / "ref.parquet", progress=False)
    assert differences(want_ref, got_ref) == []
    want_cur = tk.profile(cur, want_ref)
    got_cur = E.profile(tmp_path / "cur.parquet", got_ref, progress=False)
    assert differences(want_cur, got_cur) == []
    exact = stats.ks_2samp(ref["n"], cur["n"]).statistic
    assert exact > 0.15
    for report in (tk.compare(want_ref, want_cur),
                   tk.compare(tmp_path / "ref.parquet", tmp_path / "cur.parquet", engine="duckdb")):
        row = report.to_frame().set_index("column").loc["n"]
        assert row["statistic"] == pytest.approx(exact, abs=1e-12) and row["drifted"]
        assert "binned" in row["note"]                                   # it is the profile route


def test_discrete_chart_labels_points_and_gaps():
    from toolkit.charts.drift import distribution_frame

    ref = pd.DataFrame({"n": np.repeat([0.0, 1.0, 2.0, 5.0], [40, 30, 20, 10])})
    cur = pd.DataFrame({"n": np.repeat([0.0, 1.0, 1.5, 2.0, 5.0], [40, 20, 10, 20, 10])})
    frame = distribution_frame(tk.compare(ref, cur), "n").pivot(index="bin", columns="window", values="count")
    assert frame.to_dict("index") == {"= 0": {"current": 40, "reference": 40}, "= 1": {"current": 20, "reference": 30},
                                      "(1, 2)": {"current": 10, "reference": 0}, "= 2": {"current": 20, "reference": 20},
                                      "= 5": {"current": 10, "reference": 10}}
    # more values than chart bars: groups of points read as closed ranges
    many = pd.DataFrame({"n": np.arange(60.0).repeat(3)})
    labels = distribution_frame(tk.compare(many, many), "n")["bin"].unique().tolist()
    assert labels[0] == "[0, 2]" and labels[-1].endswith(", 59]") and len(labels) == 20


def test_aa_false_alarms_through_profiles_of_discrete_columns_within_twice_alpha():
    """The profile route (what DuckDB/Spark compute) on few-valued shapes: per shape <= 2 alpha."""
    rng = np.random.default_rng(17)
    alpha, reps = 0.05, 100

    def population(n):
        return pd.DataFrame({"poisson": rng.poisson(2, n).astype("float64"),
                             "negbin": rng.negative_binomial(2, 0.4, n).astype("float64"),
                             "binary": (rng.random(n) < 0.3).astype("float64"),
                             "rounded": np.round(rng.lognormal(0, 1, n), 1)})

    flags = pd.Series(0.0, index=["poisson", "negbin", "binary", "rounded"])
    for r in range(reps):
        ref = tk.profile(population(1000))
        report = tk.compare(ref, tk.profile(population(1000), ref), random_state=r)
        flags += pd.Series({row.column: float(row.drifted) for row in report.results})
    rates = flags / reps
    assert (rates <= 2 * alpha).all(), rates.to_dict()
