"""Each health rule on synthetic statistics (so rules come from statistics, not the demo's weeks),
and one non-demo model: daily windows in America/Chicago with different incident timing."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from toolkit import health_rules as R

W = [f"d{i:02d}" for i in range(1, 11)]
N = {w: 5000 for w in W}


def schema_rows(rows):
    return pd.DataFrame(rows, columns=["window", "column", "check", "severity", "failing_share", "message"])


# ----------------------------------------------------------------------------- small statistics


def test_share_z_and_step_z_match_closed_forms():
    from scipy import stats

    # pooled two-proportion z against statsmodels-free closed form
    k1, n1, k0, n0 = 300, 5000, 50, 5000
    p = (k1 + k0) / (n1 + n0)
    expected = (k1 / n1 - k0 / n0) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    assert R.share_z(k1, n1, k0, n0) == pytest.approx(expected)
    # step z from 95% intervals: se = half width / 1.96
    z = R.step_z(0.70, 0.70 - 1.96 * 0.01, 0.70 + 1.96 * 0.01, 0.80, 0.80 - 1.96 * 0.02, 0.80 + 1.96 * 0.02)
    assert z == pytest.approx(-0.1 / np.hypot(0.01, 0.02), rel=1e-3)
    lo, hi = R.wilson(30, 200)
    ci = stats.binomtest(30, 200).proportion_ci(method="wilson")
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_episode_start():
    assert R.episode_start(W[:5], ["ok", "watch", "act", "ok", "watch"], 2) == "d02"
    assert R.episode_start(W[:5], ["ok", "watch", "act", "ok", "watch"], 3) is None


# ----------------------------------------------------------------------------- schema


def test_single_window_burst_is_a_data_incident_and_persisting_change_is_new_then_ongoing():
    rows = [("d03", "x", "out_of_range", "warning", 0.06, "x outside")]      # one window only
    rows += [(w, "p", "unseen_category", "error", 0.08, "p new") for w in W[5:]]  # from d06 on
    rows += [(w, "q", "out_of_range", "warning", 0.001 * i, "q drifts") for i, w in enumerate(W[2:], 1)]  # gradual
    f = R.schema_findings(schema_rows(rows), W, N)
    get = lambda w, c: f[(f.window == w) & (f.column == c)].iloc[0]
    assert get("d03", "x")["shape"] == "data incident"
    assert get("d06", "p")["shape"] == "new" and get("d09", "p")["shape"] == "ongoing" and get("d09", "p")["onset"] == "d06"
    assert get("d05", "q")["shape"] != "data incident"
    # the latest window cannot be compared with a next one: a jump there is a (possible) incident
    f2 = R.schema_findings(schema_rows([("d10", "x", "null_rate", "error", 0.6, "x null")]), W, N)
    assert f2.iloc[0]["shape"] == "data incident"
    # a small jump (below burst_min_share) is not a burst
    f3 = R.schema_findings(schema_rows([("d04", "x", "null_rate", "warning", 0.005, "x null")]), W, N)
    assert f3.iloc[0]["shape"] == "new"


def test_structural_failure_is_a_schema_break_with_its_own_onset():
    rows = [(w, "m", "out_of_range", "warning", 0.01, "m high") for w in W[1:]]
    rows += [("d07", "m", "suspected_rename", "error", 1.0, "m renamed; fix: Rename")]
    f = R.schema_findings(schema_rows(rows), W, N)
    row = f[(f.window == "d07")].iloc[0]
    assert row["shape"] == "schema break" and row["onset"] == "d07" and row["message"] == "m renamed"


def test_schema_break_coinciding_with_a_step_is_named_the_likely_cause():
    rows = [("d07", "m", "suspected_rename", "error", 1.0, "m renamed"),
            ("d08", "z", "null_rate", "warning", 0.5, "z null")]
    f = R.schema_findings(schema_rows(rows), W, N)
    v = R.schema_rule(f, W, N, {"d07": "ROC AUC fell from 0.8 to 0.6"})
    d7, d8 = v[v.window == "d07"].iloc[0], v[v.window == "d08"].iloc[0]
    assert d7["status"] == "act" and d7["likely_cause"] and "likely cause" in d7["summary"]
    assert d8["status"] == "watch" and not d8["likely_cause"]  # warning, no change that window
    assert v[v.window == "d01"].iloc[0]["status"] == "ok"


def test_target_failures_are_ignored():
    f = R.schema_findings(schema_rows([("d02", "y", "missing_column", "error", 1.0, "y missing")]), W, N, ignore=["y"])
    assert f.empty


# ----------------------------------------------------------------------------- drift


def drift_rows(moves):
    """moves: {(window, column): statistic}; threshold 0.025 everywhere."""
    rows = []
    for w in W:
        for c in ("a", "b", "score"):
            s = moves.get((w, c), 0.01)
            rows.append({"window": w, "column": c, "statistic": s, "threshold": 0.025, "drifted": s > 0.025,
                         "p_value": 1e-12 if s > 0.025 else 0.4})
    return pd.DataFrame(rows)


def test_persistent_covariate_shift_without_drop_is_watch_with_explained_drop_act():
    d = drift_rows({**{(w, "a"): 0.1 for w in W[3:]}, **{(w, "score"): 0.05 for w in W[3:]}})
    empty = pd.DataFrame(columns=["window", "column", "shape"])
    v = R.drift_rule(d, W, ["score"], empty, {})
    assert v["status"].tolist() == ["ok"] * 3 + ["watch"] * 7
    assert "score" in v.iloc[5]["summary"] and v.iloc[5]["column"] == "a"
    v2 = R.drift_rule(d, W, ["score"], empty, {"d06": True})
    assert v2.iloc[5]["status"] == "act"


def test_output_only_shift_and_incident_columns_left_to_schema():
    d = drift_rows({("d04", "score"): 0.06, ("d06", "b"): 0.3})
    findings = pd.DataFrame({"window": ["d06"], "column": ["b"], "shape": ["data incident"]})
    v = R.drift_rule(d, W, ["score"], findings, {})
    assert v.iloc[3]["kind"] == "output shift" and v.iloc[3]["status"] == "watch"
    assert v.iloc[5]["status"] == "ok" and "see schema" in v.iloc[5]["summary"]


# ----------------------------------------------------------------------------- performance


def perf_rows(values, n=5000, half=0.01, baseline=0.84):
    rows = []
    for w, v in zip(W, values):
        lo, hi = v - half, v + half
        degraded = hi - 0 < baseline - half * 0.5 and (baseline - v) > 1.96 * np.hypot(half / 1.96, 0.004)
        rows.append({"window": w, "value": v, "lower": lo, "upper": hi, "n": n, "baseline": baseline,
                     "delta_vs_baseline": v - baseline, "delta_lower": lo - baseline, "delta_upper": hi - baseline,
                     "delta_p_value": 1e-9 if degraded else 0.5, "degraded": degraded, "weighted": False})
    return pd.DataFrame(rows)


def est_rows(values, realized, check=0.02, ref=0.84):
    return pd.DataFrame([{"window": w, "estimate": e, "lower": e - 0.008, "upper": e + 0.008, "reference_value": ref,
                          "unreliable": abs(r - e) > check} for w, e, r in zip(W, values, realized)])


NO_FINDINGS = pd.DataFrame(columns=["window", "column", "shape", "onset"])


def test_drop_not_explained_by_inputs_is_concept_drift_since_its_first_window():
    real = [0.84] * 5 + [0.70] * 5
    v = R.performance_rule(perf_rows(real), est_rows([0.84] * 10, real), W, "roc_auc", True, NO_FINDINGS, {})
    assert v["status"].tolist() == ["ok"] * 5 + ["act"] * 5
    assert set(v["kind"].iloc[5:]) == {"concept drift"} and v.iloc[5]["step"] and not v.iloc[6]["step"]


def test_drop_explained_by_inputs_is_covariate_shift():
    real = [0.84] * 5 + [0.78] * 5
    est = [0.84] * 5 + [0.785] * 5
    v = R.performance_rule(perf_rows(real), est_rows(est, real), W, "roc_auc", True, NO_FINDINGS, {})
    assert set(v["kind"].iloc[5:]) == {"covariate shift"} and v.iloc[7]["status"] == "act"


def test_drop_that_steps_with_a_new_incident_is_that_incident_and_small_drops_are_watch():
    real = [0.84] * 4 + [0.79] + [0.84] * 5
    findings = pd.DataFrame({"window": ["d05"], "column": ["x"], "shape": ["data incident"], "onset": ["d05"]})
    v = R.performance_rule(perf_rows(real), est_rows([0.84] * 10, real), W, "roc_auc", True, findings, {})
    assert v.iloc[4]["kind"] == "data incident" and v.iloc[4]["column"] == "x" and v.iloc[5]["status"] == "ok"
    small = [0.84] * 5 + [0.825] * 5     # significant but below 3% of the baseline
    v2 = R.performance_rule(perf_rows(small, half=0.004), None, W, "roc_auc", True, NO_FINDINGS, {})
    assert set(v2["status"].iloc[5:]) == {"watch"}


def test_lower_is_better_metric_and_no_estimate_falls_back_on_drift():
    mae = [10.0] * 5 + [13.0] * 5
    rows = perf_rows(mae, half=0.2, baseline=10.0)
    rows["degraded"] = [False] * 5 + [True] * 5
    v = R.performance_rule(rows, None, W, "mae", False, NO_FINDINGS, {"d06": ["a"]})
    assert v.iloc[5]["kind"] == "covariate shift (suspected)" and v.iloc[6]["kind"] == "concept drift (suspected)"
    assert v.iloc[5]["step"]


def test_estimate_only_window_after_concept_drift_is_at_least_watch():
    real = [0.84] * 5 + [0.70] * 3 + [np.nan] * 2
    p = perf_rows(real)
    p.loc[8:, "n"] = 0
    v = R.performance_rule(p, est_rows([0.84] * 10, [0.84] * 5 + [0.70] * 5), W, "roc_auc", True, NO_FINDINGS, {})
    assert v.iloc[9]["source"] == "estimated" and v.iloc[9]["status"] == "watch"
    assert "cannot see concept drift" in v.iloc[9]["summary"]


def test_relationship_screen_names_the_flipped_feature_not_a_base_rate_shift():
    rng = np.random.default_rng(5)

    def rows(n, flip, shift=0.0):
        x, z, u = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
        s = 1 / (1 + np.exp(-(x + z - 1)))
        p = 1 / (1 + np.exp(-(x + (-0.5 * z if flip else z) - 1 + shift)))
        return pd.DataFrame({"x": x, "z": z, "u": u, "s": s, "y": (rng.random(n) < p).astype(float)})

    outcome = lambda f: (f["y"].to_numpy(), f["s"].to_numpy(), np.ones(len(f)))
    out = R.relationship_changes(rows(20000, False), rows(8000, True, shift=-0.8), ["x", "z", "u"], {}, outcome)
    assert out.loc[out["changed"], "feature"].tolist() == ["z"]
    # a pure base-rate shift moves no feature
    calm = R.relationship_changes(rows(20000, False), rows(8000, False, shift=-0.8), ["x", "z", "u"], {}, outcome)
    assert not calm["changed"].any()


# ----------------------------------------------------------------------------- feedback, fallback, overall


def test_feedback_rules():
    c = pd.DataFrame({"window": W[:4], "n_predictions": [1000] * 4, "n_labelled": [1000, 950, 300, 100],
                      "n_waiting": [0, 50, 700, 0], "n_overdue": [0, 0, 0, 900]})
    v = R.feedback_rule(c, W[:4], expected_delay_days=30)
    assert v["status"].tolist() == ["ok", "ok", "watch", "act"]
    assert "30 days" in v.iloc[2]["summary"] and "broken" in v.iloc[3]["summary"]
    assert set(R.feedback_rule(None, W[:2])["status"]) == {"watch"}


def test_fallback_rules():
    r = pd.DataFrame({"window": W[:4], "n": [5000] * 4, "n_routed": [700, 700, 1500, 700],
                      "routed_share": [0.14, 0.14, 0.30, 0.14], "n_accepted_labelled": [4300] * 4,
                      "accuracy_accepted": [0.86, 0.84, 0.86, 0.70], "lower": [0.85, 0.835, 0.85, 0.69],
                      "upper": [0.87, 0.845, 0.87, 0.71]})
    v = R.fallback_rule(r, W[:4], baseline_routed=0.14, n_baseline=20000)
    assert v["status"].tolist() == ["ok", "watch", "watch", "act"]
    assert "routing changed" in v.iloc[2]["kind"] and "routed share moved" in v.iloc[2]["routing_step"]
    assert set(R.fallback_rule(r, W[:4], feasible=False)["status"]) == {"watch"}
    assert set(R.fallback_rule(None, W[:2], reason="regression")["kind"]) == {"not applicable"}


def test_overall_takes_the_worst_cause_with_schema_first_on_ties():
    rows = {c: {"status": "ok", "since": None, "kind": "ok", "next_step": "-"} for c in R.CAUSES}
    rows["drift"] = {"status": "act", "since": "d02", "kind": "covariate shift", "next_step": "retrain"}
    rows["schema"] = {"status": "act", "since": "d05", "kind": "schema break", "next_step": "fix feed"}
    out = R.overall_rule(rows)
    assert out["status"] == "act" and out["kind"] == "schema" and out["next_step"] == "fix feed"


def test_rules_validate_their_thresholds():
    with pytest.raises(ValueError, match="material_drop"):
        R.Rules(material_drop=3)


# ----------------------------------------------------------------------------- a non-demo model


def _daily_model(root):
    """A credit-like model, daily windows in America/Chicago: a null burst on day 4, covariate shift
    from day 6 (performance holds), concept drift from day 11 on feature 'debt'."""
    rng = np.random.default_rng(42)

    def rows(n, start, flip=False, shift=0.0):
        income = rng.normal(50 + shift, 10, n)
        debt = rng.gamma(2.0, 1.0, n)
        region = rng.choice(["n", "s", "e"], n)
        logit = 0.06 * (income - 50) + (-0.9 if flip else 0.9) * (debt - 2) - 1.0
        model_logit = 0.06 * (income - 50) + 0.9 * (debt - 2) - 1.0
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
        score = 1 / (1 + np.exp(-model_logit))
        local = pd.Timestamp(start, tz="America/Chicago") + pd.to_timedelta(rng.uniform(9, 15, n), unit="h")
        return pd.DataFrame({"app_id": [f"{start}-{i}" for i in range(n)], "ts": local, "income": income,
                             "debt": debt, "region": region, "score": score, "pred": (score >= 0.5).astype(int),
                             "default": y})

    base = pd.concat([rows(600, f"2026-02-{d:02d}") for d in range(1, 11)], ignore_index=True)
    days = pd.date_range("2026-03-05", periods=14, freq="D")
    prod = []
    for i, day in enumerate(days, 1):
        part = rows(800, day.strftime("%Y-%m-%d"), flip=i >= 11, shift=8.0 if i >= 6 else 0.0)
        if i == 4:
            part.loc[part.sample(frac=0.5, random_state=1).index, "debt"] = np.nan
        prod.append(part)
    prod = pd.concat(prod, ignore_index=True)
    labels = prod[["app_id", "default"]].assign(label_time=prod["ts"] + pd.Timedelta(days=2))
    labels = labels[labels["label_time"] <= prod["ts"].max()]
    root.mkdir(parents=True, exist_ok=True)
    base.to_parquet(root / "base.parquet")
    prod.drop(columns="default").to_parquet(root / "prod.parquet")
    labels.to_parquet(root / "labels.parquet")
    import toolkit as tk

    spec = tk.ModelSpec.infer(base, target="default", score="score", prediction="pred", timestamp="ts", id="app_id")
    spec = tk.ModelSpec(**{**spec.__dict__, "threshold": 0.5})
    cfg = tk.ModelConfig(name="credit (daily)", baseline="base.parquet", production="prod.parquet", spec=spec,
                         labels="labels.parquet", window="D")
    return cfg.save(root / "model.yaml")


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    return _daily_model(tmp_path_factory.mktemp("daily"))


def test_non_demo_daily_model_in_a_local_time_zone(daily):
    import toolkit as tk

    windows = tk.ModelConfig.load(daily).windows
    assert len(windows) == 14
    day = {i: windows[i - 1] for i in range(1, 15)}
    h4 = tk.health(daily, window=day[4])
    assert h4.row("schema")["status"] == "act" and "debt" in h4.row("schema")["summary"]
    assert "data incident" in h4.row("schema")["summary"]
    h8 = tk.health(daily, window=day[8])
    assert h8.row("drift")["status"] == "watch" and h8.row("drift")["since"] == day[6]
    # the shift is watched; performance is not called for action (at most a 95%-level watch)
    assert "income" in h8.row("drift")["summary"] and h8.row("performance")["status"] != "act"
    h12 = tk.health(daily, window=day[12])
    perf = h12.row("performance")
    assert perf["status"] == "act" and perf["since"] == day[11] and "concept drift" in perf["summary"]
    assert "debt" in perf["summary"]
    latest = tk.health(daily)   # the default is the latest complete window, as in the templates
    assert latest.window == tk.ModelConfig.load(daily).choose_window().label == day[14]   # business hours: complete
    assert latest.row("feedback")["status"] in ("watch", "act")
    assert json.loads(json.dumps(latest.to_dict()))["window"] == latest.window


def _plan(recommendation, chosen=None, message="retrain now on it"):
    from toolkit.outcomes.retraining import RetrainPlan

    return RetrainPlan(recommendation=recommendation, message=message, chosen=chosen, metric="roc_auc", level=0.95,
                       onset="2026-16", cutoff="2026-22", eval_windows=("2026-23", "2026-24", "2026-26"),
                       candidates=pd.DataFrame(), windows=pd.DataFrame(), estimator="x",
                       evidence=("realized roc_auc is below the baseline since 2026-16",))


def test_retraining_row_reports_the_plan_only_when_performance_is_act():
    from toolkit.health_rules import retraining_rule
    from toolkit.outcomes.retraining import ALL_DATA, SINCE_ONSET, WEIGHTED

    assert retraining_rule({"status": "watch"}, _plan("retrain"))["status"] == "ok"      # plan ignored
    row = retraining_rule({"status": "act"}, _plan("retrain", f"{SINCE_ONSET} (2026-16)"), config_name="m.yaml")
    assert row["status"] == "act" and row["summary"] == "Retrain now on it."
    assert "toolkit retrain-set m.yaml --since 2026-16 --output DIR" in row["next_step"]
    assert row["evidence"].startswith("Plan on roc_auc, trained up to 2026-22, held-out windows 2026-23..2026-26")
    assert "Realized roc_auc is below the baseline since 2026-16." in row["evidence"]
    weighted = retraining_rule({"status": "act"}, _plan("retrain", WEIGHTED))["next_step"]
    assert "--since 2026-16 --include-reference --importance-to 2026-26" in weighted
    every = retraining_rule({"status": "act"}, _plan("retrain", ALL_DATA), first_window="2026-01")["next_step"]
    assert "--since 2026-01 --include-reference" in every
    assert [retraining_rule({"status": "act"}, _plan(r))["status"] for r in ("fix_feed", "wait", "no_gain")] == [
        "act", "watch", "watch"]
    failed = retraining_rule({"status": "act"}, None, error="the model's task is 'multiclass'")
    assert failed["status"] == "watch" and "multiclass" in failed["summary"]


def test_a_window_with_neither_labels_nor_estimate_asks_for_labels_not_to_investigate_a_drop():
    real = [0.84] * 8 + [np.nan] * 2
    p = perf_rows(real)
    p.loc[8:, "n"] = 0
    v = R.performance_rule(p, None, W, "accuracy", True, NO_FINDINGS, {})
    last = v.iloc[-1]
    assert (last["status"], last["kind"]) == ("watch", "not measured")
    assert last["next_step"].startswith("Get labels") and "drop" not in last["next_step"]
    assert last["summary"].endswith("estimate.") and ".." not in last["summary"]


def test_feedback_says_what_performance_rests_on_when_there_is_no_estimate():
    c = pd.DataFrame({"window": ["1"], "n_predictions": [700], "n_labelled": [0], "n_waiting": [700], "n_overdue": [0]})
    with_estimate = R.feedback_rule(c, ["1"]).iloc[0]
    without = R.feedback_rule(c, ["1"], has_estimate=False).iloc[0]
    assert "label-free estimate." in with_estimate["summary"] and "read the estimate" in with_estimate["next_step"]
    assert "no score for a label-free estimate" in without["summary"] and "read the estimate" not in without["next_step"]
    assert "labelled part" not in with_estimate["summary"] + without["summary"]   # 0 labelled: there is none
