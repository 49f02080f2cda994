"""Profiles: mergeable, engine-fillable summaries; column kinds inferred from data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import toolkit as tk
from toolkit.kinds import Kind
from toolkit.profiles import ColumnProfile, Profile, bin_counts, category_key, quantile_edges, resolve_kinds

RNG = np.random.default_rng(11)
BASE = pd.DataFrame({
    "x": RNG.normal(size=500),
    "n": RNG.integers(0, 40, 500),
    "c": RNG.choice(["a", "b", "c"], 500),
    "z": np.where(RNG.random(500) < 0.5, 0.0, RNG.gamma(2.0, 3.0, 500)),
})
BASE_PROFILE = tk.profile(BASE, kinds={"n": "numeric"})

floats = hs.one_of(hs.floats(-50, 50, allow_nan=False), hs.just(np.nan), hs.just(np.inf), hs.just(-np.inf),
                   hs.just(0.0))
labels = hs.one_of(hs.sampled_from(["a", "b", "c", "d"]), hs.integers(0, 3), hs.just(None), hs.just(1.0))


@hs.composite
def frames(draw):
    n = draw(hs.integers(0, 30))
    return pd.DataFrame({
        "x": pd.Series(draw(hs.lists(floats, min_size=n, max_size=n)), dtype="float64"),
        "n": pd.Series(draw(hs.lists(hs.integers(-5, 60), min_size=n, max_size=n)), dtype="int64"),
        "c": pd.Series(draw(hs.lists(labels, min_size=n, max_size=n)), dtype=object),
        "z": pd.Series(draw(hs.lists(floats, min_size=n, max_size=n)), dtype="float64"),
    })


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), frames())
def test_merge_equals_profile_of_concatenation(a, b):
    merged = tk.profile(a, BASE_PROFILE).merge(tk.profile(b, BASE_PROFILE))
    whole = tk.profile(pd.concat([a, b], ignore_index=True), BASE_PROFILE)
    assert merged.equals(whole), (merged.to_frame(), whole.to_frame())


@settings(max_examples=60, deadline=None)
@given(frames(), frames(), frames())
def test_merge_is_associative_and_commutative_in_counts(a, b, c):
    pa, pb, pc = (tk.profile(f, BASE_PROFILE) for f in (a, b, c))
    assert pa.merge(pb).merge(pc).equals(pa.merge(pb.merge(pc)))
    assert pa.merge(pb).equals(pb.merge(pa))


def test_profile_contents_numeric_and_categorical():
    frame = pd.DataFrame({"x": [1.5, 2.5, np.nan, np.inf, -np.inf, 100.0], "c": ["a", "a", None, "b", 1, 1.0]})
    p = tk.profile(frame, kinds={"c": "categorical"})
    x = p["x"]
    assert (x.n_rows, x.n_missing, x.n_pos_inf, x.n_neg_inf, x.count) == (6, 1, 1, 1, 3)
    assert x.total == pytest.approx(104.0) and x.total_sq == pytest.approx(1.5**2 + 2.5**2 + 100**2)
    assert (x.minimum, x.maximum) == (1.5, 100.0)
    assert x.counts.sum() == 5 and x.counts[0] == 1 and x.counts[-1] == 1  # infinities land outside
    assert p["c"].categories == {"a": 2, "1": 2, "b": 1}  # 1 and 1.0 are one category


def test_quantile_edges_give_heavy_values_their_own_bin():
    values = np.r_[np.zeros(600), RNG.gamma(2.0, 3.0, 400)]
    edges = quantile_edges(values, bins=10)
    counts = bin_counts(values, edges)
    assert counts[1] == 600  # the zeros, alone
    assert counts.sum() == values.size and counts[0] == counts[-1] == 0
    few = quantile_edges(np.array([3.0, 1.0, 2.0, 2.0]), bins=10)
    # a point bin per value and a bin per gap: =1, (1, 2), =2, (2, 3), =3
    assert few.tolist() == [1.0, np.nextafter(1.0, 2.0), 2.0, np.nextafter(2.0, 3.0), 3.0, 3.0]
    assert bin_counts(np.array([1.0, 1.5, 2.0, 2.0, 2.5, 3.0]), few).tolist() == [0, 1, 1, 2, 1, 1, 0]
    assert quantile_edges(np.array([4.0, 4.0])).tolist() == [4.0, 4.0]


def test_sorted_and_unsorted_binning_agree():
    values = np.r_[RNG.normal(size=2000), [np.inf, -np.inf, 5.0, 5.0]]
    edges = quantile_edges(values[:1000], bins=37)
    assert np.array_equal(bin_counts(values, edges), bin_counts(np.sort(values), edges, sorted=True))


def test_profile_quantiles_are_close_to_exact():
    values = RNG.lognormal(1.0, 0.6, 20_000)
    p = tk.profile(pd.DataFrame({"v": values}))["v"]
    for q in (0.1, 0.5, 0.9):
        assert p.quantile(q) == pytest.approx(np.quantile(values, q), rel=0.02)


def test_merge_refuses_different_edges_and_kinds():
    other = tk.profile(BASE.assign(x=BASE["x"] * 10), kinds={"n": "numeric"})
    with pytest.raises(ValueError, match="different bin edges"):
        BASE_PROFILE.merge(other)
    with pytest.raises(ValueError, match="different columns"):
        BASE_PROFILE.merge(tk.profile(BASE[["x"]], BASE_PROFILE.__class__(
            {"x": BASE_PROFILE["x"]}, BASE_PROFILE.n_rows)))


def test_absent_column_profiles_as_missing_and_still_merges():
    week = BASE.drop(columns=["x"]).iloc[:50]
    p = tk.profile(week, BASE_PROFILE)
    assert p["x"].absent and p["x"].n_missing == 50 and p["x"].counts.sum() == 0
    merged = p.merge(tk.profile(BASE.iloc[:10], BASE_PROFILE))
    assert not merged["x"].absent and merged["x"].n_missing == 50


def test_profile_filled_from_sql_aggregates_equals_pandas_profile():
    """An engine fills a profile with plain SQL (bin counts via edges, GROUP BY, sums) and gets the same profile."""
    duckdb = pytest.importorskip("duckdb")
    cur = pd.DataFrame({"x": np.r_[RNG.normal(0.3, 1.2, 3000), [np.nan, np.inf]], "c": RNG.choice(["a", "b", "e", None], 3002)})
    ref_p = BASE_PROFILE
    edges = ref_p["x"].edges
    B = edges.size - 1
    # bin index: 0 below, 1..B inside ([e_i, e_i+1), last closed), B+1 above
    case = "CASE WHEN x < {e0} THEN 0 WHEN x > {eB} THEN {above} WHEN x = {eB} THEN {B} ".format(
        e0=repr(float(edges[0])), eB=repr(float(edges[-1])), above=B + 1, B=B)
    case += " ".join(f"WHEN x < {float(e)!r} THEN {i}" for i, e in enumerate(edges[1:], start=1)) + " END"
    con = duckdb.connect()
    con.register("cur", cur)
    bins = con.execute(f"SELECT {case} AS b, count(*) FROM cur WHERE x IS NOT NULL AND NOT isnan(x) GROUP BY b").fetchall()
    counts = np.zeros(B + 2, dtype="int64")
    for b, n in bins:
        counts[b] = n
    agg = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE x IS NULL OR isnan(x)),
               count(*) FILTER (WHERE isfinite(x)), sum(x) FILTER (WHERE isfinite(x)),
               sum(x * x) FILTER (WHERE isfinite(x)), min(x) FILTER (WHERE isfinite(x)),
               max(x) FILTER (WHERE isfinite(x)), count(*) FILTER (WHERE x = 'inf'::DOUBLE),
               count(*) FILTER (WHERE x = '-inf'::DOUBLE)
        FROM cur""").fetchone()
    n_rows, n_missing, count, total, total_sq, lo, hi, n_pos, n_neg = agg
    x = ColumnProfile.from_aggregates("x", "numeric", n_rows=n_rows, n_missing=n_missing, edges=edges, counts=counts,
                                      count=count, total=total, total_sq=total_sq, minimum=lo, maximum=hi,
                                      n_pos_inf=n_pos, n_neg_inf=n_neg)
    cats = dict(con.execute("SELECT c, count(*) FROM cur WHERE c IS NOT NULL GROUP BY c").fetchall())
    c = ColumnProfile.from_aggregates("c", "categorical", n_rows=n_rows, n_missing=int(cur["c"].isna().sum()),
                                      categories=cats)
    from_sql = Profile({"x": x, "c": c}, n_rows)
    from_pandas = tk.profile(cur, ref_p, columns=["x", "c"])
    assert from_sql.equals(from_pandas)
    # and the drift report computes from profiles alone, saying KS came from binned CDFs
    ref_only = Profile({"x": ref_p["x"], "c": ref_p["c"]}, ref_p.n_rows)
    report = tk.compare(ref_only, from_sql)
    assert report.column("x").drifted
    assert "binned" in report.column("x").note


# -- kinds --------------------------------------------------------------------------------------------
def test_kinds_inferred_for_awkward_columns():
    n = 400
    frame = pd.DataFrame({
        "flag01": RNG.integers(0, 2, n),
        "small_int": RNG.integers(1, 6, n),
        "big_int": RNG.integers(0, 500, n),
        "id": [f"C{i:06d}" for i in range(n)],
        "mixed": pd.Series(["1", 2, "x", 3.5] * (n // 4), dtype=object),
        "money": pd.Series(["$1.20", "3.40", "1,234"] * (n // 4) + ["5"] * (n % 4 or 4), dtype=object).iloc[:n],
        "nullable_int": pd.array(RNG.integers(0, 300, n), dtype="Int64"),
        "nullable_bool": pd.array(RNG.random(n) < 0.5, dtype="boolean"),
        "arrow_str": pd.array(RNG.choice(["p", "q"], n), dtype="string[pyarrow]"),
        "category": pd.Categorical(RNG.choice(["u", "v"], n)),
        "with_inf": np.where(RNG.random(n) < 0.05, np.inf, RNG.normal(size=n)),
        "when": pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC"),
        "empty": np.full(n, np.nan),
    })
    kinds = resolve_kinds(frame, frame.columns)
    assert {c: k.value for c, k in kinds.items()} == {
        "flag01": "categorical", "small_int": "numeric", "big_int": "numeric", "id": "identifier",
        "mixed": "categorical", "money": "numeric", "nullable_int": "numeric", "nullable_bool": "boolean",
        "arrow_str": "categorical", "category": "categorical", "with_inf": "numeric", "when": "datetime",
        "empty": "empty",
    }


def test_large_string_columns_are_inferred_from_a_sample_without_mislabelling():
    n = 150_000
    many_levels = pd.Series(pd.array(RNG.choice([f"zip{i:05d}" for i in range(8000)], n), dtype="str"))
    ids = pd.Series(pd.array([f"ID{i:07d}" for i in range(n)], dtype="str"))
    kinds = resolve_kinds(pd.DataFrame({"zip": many_levels, "id": ids}), ["zip", "id"])
    assert kinds == {"zip": Kind.CATEGORICAL, "id": Kind.IDENTIFIER}


def test_spec_kinds_and_overrides_take_precedence():
    spec = tk.ModelSpec.infer(BASE).with_kinds({"n": "categorical"})
    assert resolve_kinds(BASE, ["n", "x"], spec)["n"] is Kind.CATEGORICAL
    assert resolve_kinds(BASE, ["n"], spec, {"n": "numeric"})["n"] is Kind.NUMERIC


def test_category_key_normalises_labels():
    assert [category_key(v) for v in (1, 1.0, "1", True, np.int64(2), 2.5, np.float32(3))] == \
        ["1", "1", "1", "True", "2", "2.5", "3"]


def test_profile_rejects_bad_arguments():
    with pytest.raises(TypeError, match="ModelSpec or a reference Profile"):
        tk.profile(BASE, "x")
    with pytest.raises(KeyError, match="nope"):
        tk.profile(BASE, columns=["nope"])
    with pytest.raises(ValueError, match="bins"):
        tk.profile(BASE, bins=0)
