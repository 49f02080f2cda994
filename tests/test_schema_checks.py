"""Each check of Contract.validate: what it catches, its counts, its severity, its noise limit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import toolkit as tk
from toolkit.schema import Check, CoerceDatetime, CoerceNumeric, Severity
from toolkit.schema.noise import count_limit, rate_upper
from toolkit.schema.result import FAILURE_COLUMNS, SUMMARY_COLUMNS

NOW = pd.Timestamp("2026-01-01", tz="UTC")


def make_reference(n: int = 5000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": pd.Series([f"C{i:06d}" for i in range(n)], dtype="str"),
        "t": pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
        "amount": rng.gamma(4, 10, n).round(2),
        "count": rng.integers(0, 40, n),
        "login": np.where(rng.random(n) < 0.02, np.nan, rng.exponential(5, n)),
        "plan": rng.choice(["basic", "standard", "premium"], n),
        "score": rng.beta(2, 3, n),
        "label": rng.integers(0, 2, n),
    })


@pytest.fixture(scope="module")
def reference():
    return make_reference()


@pytest.fixture(scope="module")
def contract(reference):
    spec = tk.ModelSpec.infer(reference, target="label", score="score", timestamp="t", id="id")
    return tk.infer_contract(reference, spec, batch_rows=1000)


@pytest.fixture
def batch(reference):
    out = reference.iloc[:1000].drop(columns="label").copy()
    out["id"] = pd.Series([f"N{i:06d}" for i in range(len(out))], dtype="str", index=out.index)
    out["t"] = pd.Timestamp("2025-10-01", tz="UTC") + pd.to_timedelta(np.arange(len(out)) * 300, unit="s")
    return out.sample(frac=1.0, random_state=0)  # event times unsorted, as in real batches


def only(result, check):
    rows = result.checks(check)
    assert len(rows) == 1, result.failures
    return rows.iloc[0]


def test_clean_batch_passes_and_frames_have_the_documented_columns(contract, batch):
    result = contract.validate(batch, now=NOW)
    assert result.ok
    assert result.failures["check"].tolist() == ["missing_column"]  # the label, as info
    assert result.failures["severity"].tolist() == ["info"]
    assert list(result.failures.columns) == FAILURE_COLUMNS
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    assert set(result.summary["status"]) <= {"ok", "info"}


def test_missing_and_unexpected_columns(contract, batch):
    result = contract.validate(batch.drop(columns=["plan"]).assign(extra=1), now=NOW)
    rows = result.checks(Check.MISSING_COLUMN).set_index("column")
    assert rows.loc["plan", "severity"] == "error" and rows.loc["label", "severity"] == "info"
    extra = only(result, Check.UNEXPECTED_COLUMN)
    assert extra["column"] == "extra" and extra["severity"] == "warning" and extra["examples"] == [1]
    assert not result.ok


def test_dtype_change_text_numbers_with_coercion_preview(contract, batch):
    text = batch["amount"].map("{:,.2f}".format).astype(object)
    text.iloc[:50] = "n/a"
    result = contract.validate(batch.assign(amount=text), now=NOW)
    row = only(result, Check.DTYPE_CHANGE)
    assert row["severity"] == "error" and row["failing_count"] == len(batch)
    assert "95% coerce to numbers" in row["observed"]
    fix = result.suggested_fixes[0]
    assert isinstance(fix, CoerceNumeric) and fix.parse_rate == pytest.approx(0.95)
    assert len(result.checks(Check.OUT_OF_RANGE)) == 0  # values are checked after parsing


def test_dtype_change_int_to_float_is_info_or_warning(contract, batch):
    as_float = contract.validate(batch.assign(count=batch["count"].astype(float)), now=NOW)
    assert only(as_float, Check.DTYPE_CHANGE)["severity"] == "info"
    fractional = contract.validate(batch.assign(count=batch["count"] + 0.5), now=NOW)
    row = only(fractional, Check.DTYPE_CHANGE)
    assert row["severity"] == "warning" and row["failing_count"] == len(batch)


def test_dtype_change_timestamps_as_text(contract, batch):
    text = batch["t"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object)
    result = contract.validate(batch.assign(t=text), now=NOW)
    row = only(result, Check.DTYPE_CHANGE)
    assert row["severity"] == "error" and "100% parse as timestamps" in row["observed"]
    fix = result.suggested_fixes[0]
    assert isinstance(fix, CoerceDatetime)
    repaired = contract.repair(batch.assign(t=text))
    assert repaired["t"].dt.tz is not None
    assert (repaired["t"] == batch["t"]).all()


def test_null_spike_is_an_error_and_nulls_in_a_never_null_column_are_reported(contract, batch):
    rng = np.random.default_rng(0)
    spiked = batch.assign(login=batch["login"].where(rng.random(len(batch)) > 0.6))
    row = only(contract.validate(spiked, now=NOW), Check.NULL_RATE)
    assert row["column"] == "login" and row["severity"] == "error"
    assert row["failing_count"] == spiked["login"].isna().sum()
    one_null = batch.copy()
    one_null.iloc[0, one_null.columns.get_loc("amount")] = np.nan
    row = only(contract.validate(one_null, now=NOW), Check.NULL_RATE)
    assert row["column"] == "amount" and row["failing_count"] == 1 and row["severity"] in ("info", "warning")


def test_count_limit_matches_its_definition():
    # Jeffreys upper bound, then the binomial quantile at the batch size
    p = stats.beta.ppf(1 - 1e-3, 20 + 0.5, 1000 - 20 + 0.5)
    assert rate_upper(20, 1000, 1e-3) == pytest.approx(p)
    assert count_limit(5000, k0=20, n0=1000, alpha=1e-3) == stats.binom.ppf(1 - 1e-3, 5000, p)
    assert count_limit(0, k0=20, n0=1000, alpha=1e-3) == 0
    assert count_limit(10, k0=1000, n0=1000, alpha=1e-3) == 10


def test_null_limit_false_alarm_rate_is_below_alpha_by_simulation():
    # same true rate in baseline and batch: the limit is exceeded with probability <= alpha
    rng = np.random.default_rng(11)
    alpha, p, n0, n, sims = 0.05, 0.03, 4000, 1500, 3000
    k0 = rng.binomial(n0, p, sims)
    k = rng.binomial(n, p, sims)
    upper = stats.beta.ppf(1 - alpha, k0 + 0.5, n0 - k0 + 0.5)
    limit = stats.binom.ppf(1 - alpha, n, upper)
    assert np.mean(k > limit) <= alpha
    # and it detects a real doubling of the rate almost always
    k_shift = rng.binomial(n, 2 * p, sims)
    assert np.mean(k_shift > limit) > 0.95


def test_null_rate_threshold_scales_with_batch_size_not_a_fixed_percent():
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": np.where(rng.random(50_000) < 0.02, np.nan, rng.normal(size=50_000))})
    contract = tk.infer_contract(ref)

    def batch(n, rate):
        values = rng.normal(size=n)
        values[: int(round(rate * n))] = np.nan
        return pd.DataFrame({"x": values})

    # 3% null against a 2% baseline: noise in 500 rows, a real change in 200,000 rows
    assert contract.validate(batch(500, 0.03)).ok and contract.validate(batch(500, 0.03)).failures.empty
    big = contract.validate(batch(200_000, 0.03))
    assert only(big, Check.NULL_RATE)["severity"] == "warning"
    limits = [contract.validate(batch(n, 0.02)).summary["null_limit"].item() for n in (200, 2000, 200_000)]
    assert limits[0] > limits[1] > limits[2] > 0.02


def test_validate_null_false_alarms_by_simulation():
    rng = np.random.default_rng(8)
    ref = pd.DataFrame({"x": np.where(rng.random(20_000) < 0.05, np.nan, 1.0)})
    contract = tk.infer_contract(ref, alpha=0.01)
    flagged = 0
    for _ in range(200):
        b = pd.DataFrame({"x": np.where(rng.random(800) < 0.05, np.nan, 1.0)})
        flagged += not contract.validate(b).checks(Check.NULL_RATE).empty
    assert flagged / 200 <= 0.03


def test_out_of_range_counts_and_severity(contract, batch):
    amount = batch["amount"].to_numpy().copy()
    upper = contract["amount"].upper
    amount[:3] = upper * 2
    amount[3] = -1.0
    amount[4] = np.inf
    row = only(contract.validate(batch.assign(amount=amount), now=NOW), Check.OUT_OF_RANGE)
    assert row["failing_count"] == 5 and "1 below, 4 above" in row["observed"]
    assert row["examples"][0] == np.inf and -1.0 in row["examples"]
    assert row["severity"] == "warning"  # far outside the band: not a near miss, whatever the count
    near = batch["amount"].to_numpy().copy()
    near[0] = upper * 1.01
    assert only(contract.validate(batch.assign(amount=near), now=NOW), Check.OUT_OF_RANGE)["severity"] == "info"
    negative = batch["amount"].to_numpy().copy()
    negative[0] = -0.01  # the baseline never crossed zero
    assert only(contract.validate(batch.assign(amount=negative), now=NOW), Check.OUT_OF_RANGE)["severity"] == "warning"
    big = contract.validate(batch.assign(amount=batch["amount"] * 100), now=NOW)
    assert only(big, Check.OUT_OF_RANGE)["severity"] == "error"


def test_unseen_categories_with_share_and_examples(contract, batch):
    plan = batch["plan"].copy()
    plan.iloc[:120] = "family"
    plan.iloc[120:122] = "<b>vip</b>"
    row = only(contract.validate(batch.assign(plan=plan), now=NOW), Check.UNSEEN_CATEGORY)
    assert row["failing_count"] == 122 and row["failing_share"] == pytest.approx(0.122)
    assert row["examples"] == ["family", "<b>vip</b>"] and row["severity"] == "error"
    assert "'family' (12%)" in row["observed"]


def test_unseen_values_expected_by_good_turing_are_not_warnings():
    rng = np.random.default_rng(2)
    # a long-tailed categorical: many values seen once in the baseline
    values = lambda n: pd.Series(["v" + str(v) for v in rng.zipf(1.6, n).clip(max=900)])
    ref = pd.DataFrame({"v": values(20_000)})
    contract = tk.infer_contract(ref)
    assert contract["v"].unseen_rate > 0.01
    result = contract.validate(pd.DataFrame({"v": values(2000)}))
    assert result.checks(Check.UNSEEN_CATEGORY)["severity"].isin(["info", "error"]).all()
    assert (result.checks(Check.UNSEEN_CATEGORY)["severity"] != "warning").all()


def test_cardinality_explosion():
    ref = pd.DataFrame({"colour": ["red", "green", "blue", "black"] * 250})
    contract = tk.infer_contract(ref)
    exploded = pd.DataFrame({"colour": [f"c{i}" for i in range(400)] + ["red"] * 600})
    row = only(contract.validate(exploded), Check.CARDINALITY)
    assert row["severity"] == "error" and row["observed"] == "401 distinct"
    mild = pd.DataFrame({"colour": [f"c{i}" for i in range(15)] + ["red"] * 985})  # 16 > max(2*4, 4+10)
    assert only(contract.validate(mild), Check.CARDINALITY)["severity"] == "warning"


def test_duplicate_ids(contract, batch):
    dup = batch.copy()
    dup.iloc[10:15, dup.columns.get_loc("id")] = dup["id"].iloc[0]
    row = only(contract.validate(dup, now=NOW), Check.DUPLICATE_ID)
    assert row["failing_count"] == 5 and row["examples"] == [dup["id"].iloc[0]] and row["severity"] == "warning"
    many = batch.assign(id="same")
    assert only(contract.validate(many, now=NOW), Check.DUPLICATE_ID)["severity"] == "error"


def test_timestamps_future_naive_zone_and_order(contract, batch):
    future = batch.copy()
    future.iloc[:3, future.columns.get_loc("t")] = NOW + pd.Timedelta("3D")
    rows = contract.validate(future, now=NOW).checks(Check.TIMESTAMP)
    assert len(rows) == 2  # in the future, and far outside the batch's window
    assert {"3 in the future (0.3%)"} <= set(rows["observed"])

    naive = contract.validate(batch.assign(t=batch["t"].dt.tz_localize(None)), now=NOW)
    row = only(naive, Check.TIMESTAMP)
    assert row["severity"] == "error" and row["expected"] == "time zone UTC" and not naive.ok

    paris = contract.validate(batch.assign(t=batch["t"].dt.tz_convert("Europe/Paris")), now=NOW)
    assert only(paris, Check.TIMESTAMP)["severity"] == "info"

    previous_end = batch["t"].min() + pd.Timedelta("1h")
    late = only(contract.validate(batch, now=NOW, after=previous_end), Check.TIMESTAMP)
    assert late["failing_count"] == (batch["t"] < previous_end).sum() == 12

    stray = batch.copy()
    stray.iloc[:4, stray.columns.get_loc("t")] = pd.Timestamp("2023-02-01", tz="UTC")
    row = only(contract.validate(stray, now=NOW), Check.TIMESTAMP)
    assert row["failing_count"] == 4 and "far outside" in row["observed"]


def test_unsorted_weekly_batches_do_not_trip_the_order_checks(contract, reference):
    rng = np.random.default_rng(4)
    for week in range(5):
        b = reference.sample(1000, random_state=week).drop(columns="label")
        b["id"] = [f"W{week}-{i}" for i in range(1000)]
        b["t"] = pd.Timestamp("2025-10-06", tz="UTC") + pd.Timedelta(weeks=week) + pd.to_timedelta(
            rng.integers(0, 7 * 86400, 1000), unit="s")
        assert contract.validate(b, now=NOW).checks(Check.TIMESTAMP).empty


def test_row_count(contract, batch):
    small = only(contract.validate(batch.iloc[:200], now=NOW), Check.ROW_COUNT)
    assert small["severity"] == "warning" and small["column"] == "(batch)"
    assert only(contract.validate(batch.iloc[:0], now=NOW), Check.ROW_COUNT)["severity"] == "error"
    assert contract.validate(batch.iloc[:400], now=NOW).checks(Check.ROW_COUNT).empty  # within x3


def test_row_count_per_period_scales_with_the_batch_span(reference):
    spec = tk.ModelSpec.infer(reference, timestamp="t", id="id", target="label")
    contract = tk.infer_contract(reference, spec, row_tolerance=2.0)
    weekly = contract.rows.expected
    # a four-week batch of four weeks' rows is normal; one week's rows spread over 4 weeks is not
    four_weeks = reference.iloc[: int(4 * weekly)].copy()
    four_weeks["t"] = pd.Timestamp("2025-10-01", tz="UTC") + pd.to_timedelta(
        np.linspace(0, 28 * 86400, len(four_weeks)), unit="s")
    assert contract.validate(four_weeks, now=NOW).checks(Check.ROW_COUNT).empty
    thin = four_weeks.iloc[:: 8]
    assert only(contract.validate(thin, now=NOW), Check.ROW_COUNT)["severity"] == "warning"


def test_strict_raises_one_error_listing_everything(contract, batch):
    broken = batch.drop(columns="plan").assign(amount=batch["amount"] * 100, extra="x")
    with pytest.raises(tk.SchemaError) as info:
        contract.validate(broken, strict=True, now=NOW)
    err = info.value
    assert isinstance(err.failures, pd.DataFrame) and len(err.failures) == 4
    text = str(err)
    for check in ("missing_column", "out_of_range", "unexpected_column"):
        assert check in text
    assert text.splitlines()[0].startswith("batch of 1,000 rows FAILS the contract: 2 errors, 1 warning, 1 info")
    # warnings alone do not raise
    assert contract.validate(batch.assign(extra=1), strict=True, now=NOW).ok


def test_check_and_severity_codes_are_stable_plain_strings(contract, batch):
    broken = batch.drop(columns="plan").assign(amount=batch["amount"] * 100)
    failures = contract.validate(broken, now=NOW).failures
    assert set(failures["check"]) <= {c.value for c in Check}
    assert set(failures["severity"]) <= {s.value for s in Severity}
    assert all(type(v) is str for v in failures["check"])
    assert [c.value for c in Check] == [
        "missing_column", "unexpected_column", "suspected_rename", "dtype_change", "null_rate", "out_of_range",
        "unseen_category", "cardinality", "duplicate_id", "timestamp", "row_count"]
    # errors come first
    order = failures["severity"].map({"error": 0, "warning": 1, "info": 2}).tolist()
    assert order == sorted(order)


def test_formatted_baseline_numbers_arriving_as_numbers_is_info_and_text_categories_coerce():
    ref = pd.DataFrame({"price": [f"${v:,.2f}" for v in np.linspace(1, 5000, 200)], "n": [1, 2, 3, 4] * 50})
    contract = tk.infer_contract(ref)
    assert contract["price"].type == "string" and contract["price"].kind.value == "numeric"
    numbers = contract.validate(pd.DataFrame({"price": np.linspace(1, 5000, 50), "n": [1, 2] * 25}))
    assert only(numbers, Check.DTYPE_CHANGE)["severity"] == "info" and numbers.ok
    as_text = pd.DataFrame({"price": ref["price"], "n": ref["n"].astype(str)})
    result = contract.validate(as_text)
    assert only(result, Check.DTYPE_CHANGE)["severity"] == "error"
    assert result.checks(Check.UNSEEN_CATEGORY).empty  # "1" is compared as 1
    repaired = contract.repair(as_text)
    assert repaired["n"].dtype == "int64" and repaired["n"].equals(ref["n"])
