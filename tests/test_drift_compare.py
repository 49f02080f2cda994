"""tk.compare: report contents, overrides, ranking, bad input, display."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.drift.report import FRAME_COLUMNS

RNG = np.random.default_rng(5)
N = 3000


def _frame(n=N, shift=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.normal(40 + shift * 10, 10, n),
        "spend": rng.lognormal(3, 0.5, n),
        "tickets": rng.poisson(6, n),                 # many ties, > 10 distinct -> numeric
        "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2]),
        "active": rng.random(n) < 0.7,
        "customer_id": [f"C{seed}{i:07d}" for i in range(n)],
    })


REF = _frame(seed=1)
SAME = _frame(seed=2)


def test_report_frame_has_the_documented_columns_and_one_row_per_column():
    report = tk.compare(REF, SAME)
    frame = report.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    assert sorted(frame["column"]) == sorted(REF.columns)
    assert frame["drifted"].dtype == bool
    assert report.n_columns == 5  # the identifier is skipped (noted), not assessed
    assert report.drifted == [] and report.share_drifted == 0.0 and not report.dataset_drifted
    skipped = report.column("customer_id")
    assert skipped.method == "skipped" and "identifier" in skipped.note


def test_shifted_columns_are_flagged_most_severe_first():
    cur = SAME.copy()
    cur["age"] += 10            # one SD: large
    cur["spend"] *= 1.06        # small
    report = tk.compare(REF, cur)
    assert report.drifted == ["age", "spend"]
    age = report.column("age")
    assert age.method == "ks" and age.statistic > age.threshold and age.severity > report.column("spend").severity
    assert age.p_value < 1e-10 and age.p_value_adjusted >= age.p_value
    assert age.signals == ("distribution",)
    assert report.share_drifted == pytest.approx(2 / 5)
    assert "2 of 5 columns drifted" in report.verdict


def test_thresholds_are_calibrated_to_window_size_with_a_floor():
    small = tk.compare(REF, SAME.iloc[:200]).column("age")
    big = tk.compare(REF, SAME).column("age")
    assert small.threshold_basis == "calibrated" and small.threshold > big.threshold
    assert small.min_detectable_effect > big.min_detectable_effect
    n, m = small.n_ref, small.n_cur
    from scipy import stats
    assert small.threshold == pytest.approx(stats.kstwobign.isf(0.05 / 3) * math.sqrt((n + m) / (n * m)))
    huge = tk.compare(pd.concat([REF] * 20), pd.concat([SAME] * 20)).column("age")
    assert huge.threshold_basis == "min_effect" and huge.threshold == pytest.approx(0.025)


def test_methods_thresholds_and_min_effect_are_overridable():
    cur = SAME.assign(age=SAME["age"] + 2)
    report = tk.compare(REF, cur, methods={"age": "psi", "categorical": "jensen_shannon"},
                        thresholds={"spend": 0.5}, min_effect={"psi": 0.3})
    age, plan, spend = report.column("age"), report.column("plan"), report.column("spend")
    assert (age.method, plan.method) == ("psi", "jensen_shannon")
    assert age.threshold == pytest.approx(0.3) and not age.drifted
    assert (spend.threshold, spend.threshold_basis) == (0.5, "fixed")
    all_wasserstein = tk.compare(REF, cur, methods="wasserstein")
    assert all_wasserstein.column("age").method == "wasserstein"
    assert all_wasserstein.column("plan").method == "tvd"  # not a categorical method: kind default kept


def test_p_value_methods_use_benjamini_hochberg_and_a_minimum_effect():
    cur = SAME.assign(age=SAME["age"] + 3)
    report = tk.compare(REF, cur, methods={"numeric": "anderson", "categorical": "chi2"})
    age = report.column("age")
    assert age.method == "anderson" and age.test == "anderson" and age.drifted
    assert age.effect == pytest.approx(age.statistics["wasserstein"].statistic)
    frame = report.to_frame().set_index("column")
    from scipy import stats
    p = frame["p_value"].dropna()
    assert np.allclose(frame.loc[p.index, "p_value_adjusted"], stats.false_discovery_control(p, method="bh"))
    # a tiny but significant shift stays below the minimum effect
    big_ref, big_cur = pd.concat([REF] * 30, ignore_index=True), pd.concat([SAME] * 30, ignore_index=True)
    big_cur["age"] = big_cur["age"] + 0.3
    tiny = tk.compare(big_ref, big_cur, columns=["age"], methods={"age": "anderson"}).column("age")
    assert tiny.p_value <= 0.001 and not tiny.drifted


def test_importance_weights_the_ranking():
    cur = SAME.assign(age=SAME["age"] + 10, spend=SAME["spend"] * 1.4)
    plain = tk.compare(REF, cur)
    assert plain.drifted[:2] == ["age", "spend"]
    weighted = tk.compare(REF, cur, importance={"age": 0.05, "spend": 1.0})
    assert weighted.drifted[:2] == ["spend", "age"]
    assert weighted.column("age").weighted_severity == pytest.approx(weighted.column("age").severity * 0.05)


def test_model_importance_from_permutation_on_the_baseline():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"strong": rng.normal(size=4000), "weak": rng.normal(size=4000)})
    ref["y"] = (rng.random(4000) < 1 / (1 + np.exp(-3 * ref["strong"]))).astype(int)
    model = LogisticRegression().fit(ref[["strong", "weak"]], ref["y"])
    spec = tk.ModelSpec.infer(ref, target="y")
    cur = pd.DataFrame({"strong": rng.normal(0.4, 1, 4000), "weak": rng.normal(0.8, 1, 4000)})
    report = tk.compare(ref, cur, spec, model=model)
    assert report.drifted == ["strong", "weak"]  # 'weak' shifted more, but the model barely uses it
    assert report.column("strong").importance > 10 * max(report.column("weak").importance, 1e-6)
    with pytest.raises(ValueError, match="target"):
        tk.compare(ref, cur, model=model)


def test_absent_column_and_rename_hint():
    cur = SAME.rename(columns={"spend": "spend_usd"})
    report = tk.compare(REF, cur)
    row = report.column("spend")
    assert row.drifted and row.signals == ("absent",) and math.isinf(row.severity)
    assert "missing from current" in row.note and "'spend_usd'" in row.note
    assert report.drifted[0] == "spend" and report.new_columns == ("spend_usd",)
    assert not report.column("age").drifted


def test_all_missing_in_current_is_flagged_by_the_missing_signal_with_a_note():
    cur = SAME.assign(spend=np.nan, spend_usd=SAME["spend"].map(lambda v: f"${v:.2f}"))
    row = tk.compare(REF, cur).column("spend")
    assert row.drifted and row.signals == ("missing",) and row.missing_share_cur == 1.0
    assert "no usable values in current" in row.note and "spend_usd" in row.note


def test_missing_spike_and_out_of_range_and_unseen_signals():
    cur = SAME.copy()
    cur.loc[cur.sample(frac=0.3, random_state=0).index, "tickets"] = np.nan
    cur.loc[:99, "spend"] = 1e6
    cur.loc[:199, "plan"] = "family"
    report = tk.compare(REF, cur)
    assert "missing" in report.column("tickets").signals
    spend = report.column("spend")
    assert "out_of_range" in spend.signals and 100 / N <= spend.out_of_range_share < 100 / N + 0.003
    plan = report.column("plan")
    assert "unseen" in plan.signals and "'family'" in plan.note and plan.unseen_share == pytest.approx(200 / N)


@pytest.mark.parametrize("case", ["empty_current", "empty_reference", "single_row", "all_missing", "constant",
                                  "missing_in_reference", "mixed_types", "inf", "nullable_dtypes"])
def test_bad_input_gives_a_row_with_a_note_never_a_crash(case):
    ref, cur, columns = REF.copy(), SAME.copy(), None
    if case == "empty_current":
        cur = cur.iloc[:0]
    elif case == "empty_reference":
        ref = ref.iloc[:0]
    elif case == "single_row":
        cur = cur.iloc[:1]
    elif case == "all_missing":
        ref["age"] = np.nan
        cur["spend"] = np.nan
    elif case == "constant":
        ref["k"], cur["k"] = 2.5, np.r_[np.full(N - 50, 2.5), np.full(50, 3.0)]
        ref["kc"], cur["kc"] = "same", "same"
    elif case == "missing_in_reference":
        cur["extra"] = 1.0
        columns = ["age", "extra"]
    elif case == "mixed_types":
        ref["mixed"] = pd.Series([1, "2", 3.5, "x"] * (N // 4), dtype=object)
        cur["age"] = cur["age"].astype(object)
        cur.loc[:9, "age"] = "n/a"
        cur["mixed"] = pd.Series([1, "2", "y", "x"] * (N // 4), dtype=object)
    elif case == "inf":
        ref.loc[:4, "spend"] = np.inf
        cur.loc[:299, "spend"] = -np.inf
    elif case == "nullable_dtypes":
        for f in (ref, cur):
            f["tickets"] = f["tickets"].astype("Int64")
            f["active"] = f["active"].astype("boolean")
            f["plan"] = f["plan"].astype("string[pyarrow]")
            f.loc[::7, "tickets"] = pd.NA
            f.loc[::11, "active"] = pd.NA
        cur["plan"] = cur["plan"].astype("category")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = tk.compare(ref, cur, columns=columns)
    frame = report.to_frame()
    assert len(frame) == len(columns or ref.columns)
    notes = dict(zip(frame["column"], frame["note"]))
    if case == "empty_current":
        assert all("0 rows" in n for n in notes.values()) and not frame["drifted"].any()
    elif case == "empty_reference":
        assert all("0 rows" in n for n in notes.values()) and not frame["drifted"].any()
    elif case == "single_row":
        assert "window too small" in notes["age"] and not report.column("age").drifted
    elif case == "all_missing":
        assert "all values missing in reference" in notes["age"]
        assert report.column("spend").drifted and "no usable values" in notes["spend"]
    elif case == "constant":
        assert "constant in reference" in notes["k"]
        assert report.column("k").drifted and "out_of_range" in report.column("k").signals
        assert not report.column("kc").drifted
    elif case == "missing_in_reference":
        assert "not in reference" in notes["extra"] and not report.column("extra").drifted
    elif case == "mixed_types":
        assert "10 current values are not numbers" in notes["age"] and "'n/a'" in notes["age"]
        assert report.column("mixed").kind == "categorical" and "unseen" in report.column("mixed").signals
    elif case == "inf":
        spend = report.column("spend")
        assert "300 infinite values in current" in spend.note and "out_of_range" in spend.signals
        assert np.isfinite(spend.statistics["wasserstein"].statistic)
    elif case == "nullable_dtypes":
        assert report.column("tickets").kind == "numeric" and report.column("active").kind == "boolean"
        assert report.drifted == []


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="alpha must be"):
        tk.compare(REF, SAME, alpha=1.5)
    with pytest.raises(ValueError, match=r"methods\['age'\] must be one of .*'ks'"):
        tk.compare(REF, SAME, methods={"age": "kss"})
    with pytest.raises(ValueError, match="methods must be one of"):
        tk.compare(REF, SAME, methods="nope")
    with pytest.raises(KeyError, match="'agee'"):
        tk.compare(REF, SAME, columns=["agee"])
    with pytest.raises(TypeError, match="reference must be a pandas DataFrame"):
        tk.compare([1, 2, 3], SAME)
    with pytest.raises(ValueError, match="duplicate column"):
        tk.compare(pd.concat([REF, REF[["age"]]], axis=1), SAME)
    with pytest.raises(KeyError, match="report has no column 'x'"):
        tk.compare(REF, SAME).column("x")


def test_spec_selects_monitored_columns_and_kinds():
    ref = REF.assign(y=RNG.integers(0, 2, N), score=RNG.random(N))
    spec = tk.ModelSpec.infer(ref, target="y", score="score", id="customer_id").with_kinds({"tickets": "categorical"})
    report = tk.compare(ref, SAME.assign(score=RNG.random(N)), spec)
    assert [r.column for r in report.results] and set(report.to_frame()["column"]) == set(spec.monitored)
    assert report.column("tickets").kind == "categorical" and report.column("tickets").method == "tvd"


def test_report_display_is_escaped_and_charts_use_aggregates_only():
    cur = SAME.assign(plan=SAME["plan"].where(SAME.index > 300, "<script>alert(1)</script>"))
    report = tk.compare(REF, cur, label="week <1>")
    html = report._repr_html_()
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "week &lt;1&gt;" in html
    assert repr(report).startswith("DriftReport(1/5 columns drifted: 'plan'")
    for chart in (report.chart(), report.distribution_chart("age"), report.distribution_chart("plan"),
                  report.distributions_chart()):
        spec = chart.to_dict()
        datasets = spec.get("datasets", {})
        assert sum(len(v) for v in datasets.values()) < 1000  # aggregates, never the 3,000 rows
        assert "tooltip" in str(spec)
    selector = report.distributions_chart().to_dict()
    assert selector["params"][0]["bind"]["input"] == "select"
    assert set(selector["params"][0]["bind"]["options"]) == {"age", "spend", "tickets", "plan", "active"}
    stats_frame = report.statistics()
    assert {"ks", "wasserstein", "psi", "jensen_shannon", "hellinger", "tvd", "chi2"} <= set(stats_frame["statistic"])


def test_chart_guard_rejects_raw_rows():
    from toolkit.charts._theme import check_small

    with pytest.raises(ValueError, match="aggregated"):
        check_small(pd.DataFrame({"x": range(5000)}), "distribution")


def test_multivariate_is_opt_in_and_states_its_sample():
    assert tk.compare(REF, SAME).multivariate is None
    report = tk.compare(REF, SAME, multivariate=True, sample_size=1000)
    mv = report.multivariate
    assert mv.n_ref_sample == 1000 and mv.n_cur_sample == 1000 and "sampled 1,000 of 3,000" in mv.note
    assert not mv.classifier_drifted and 0.4 < mv.auc < 0.6
    assert "multivariate" in report.verdict
