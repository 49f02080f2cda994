"""Retraining plan and retraining set (issue 16), on the demo and on scenarios made here with known truth.

The demo: concept drift from week 16 (support tickets stop predicting churn). The plan must recommend
retraining on the data since that onset, with a paired gain interval above 0, and the "all labelled data"
candidate must gain less. A scenario with pure covariate shift and no concept drift must get "retraining
will not help much". The exported set must round-trip, its weights must reproduce tk.performance's weighted
metrics, and the demo's own pipeline trained on it must reach the gain the plan predicted.
"""
from __future__ import annotations

import importlib.util
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import accuracy_score, roc_auc_score

import toolkit as tk
from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "notebooks" / "model.yaml"
TRUTH = json.loads((ROOT / "sample_data" / "truth.json").read_text())
ONSET = f"2026-{next(e for e in TRUTH['events'] if e['name'] == 'concept_drift')['first_week']:02d}"
SCHEMA_BREAK = f"2026-{next(e for e in TRUTH['events'] if e['name'] == 'schema_break')['first_week']:02d}"


def _generate_module():
    spec = importlib.util.spec_from_file_location("demo_generate", ROOT / "sample_data" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generate_module()


@pytest.fixture(scope="module")
def demo():
    return tk.ModelConfig.load(DEMO_CONFIG)


@pytest.fixture(scope="module")
def demo_pipeline(demo):
    """The demo's own model (sample_data/generate.py's fit_model), fitted on the baseline as in production."""
    return GEN.fit_model(demo.reference)


@pytest.fixture(scope="module")
def demo_plan(demo, demo_pipeline):
    return tk.retraining_plan(demo, model=demo_pipeline, n_resamples=1000)


# ----------------------------------------------------------------------------- the demo plan


@pytest.mark.slow
def test_demo_plan_recommends_retraining_since_the_concept_drift_onset(demo_plan):
    plan = demo_plan
    assert plan.onset == ONSET                      # found from the realized drop, not hard-coded
    assert plan.recommendation == "retrain"
    assert plan.chosen == f"since onset ({ONSET})"
    best = plan.candidate()
    assert best["gain_lower"] > 0, best              # the paired interval for the AUC gain excludes 0
    assert best["gain"] > 0.03                      # a real recovery, not a rounding error
    frame = plan.to_frame().set_index("candidate")
    assert frame.loc["all labelled data", "gain"] < frame.loc[plan.chosen, "gain"]
    assert frame.loc["all labelled data", "gain_upper"] < frame.loc[plan.chosen, "gain_lower"]
    # time is replayed: every held-out window comes after every training window
    order = demo_plan_windows = list(tk.ModelConfig.load(DEMO_CONFIG).windows)
    assert all(order.index(w) > order.index(plan.cutoff) for w in plan.eval_windows)
    assert plan.eval_windows and plan.eval_windows[-1] == demo_plan_windows[-1]
    assert "your estimator" in plan.estimator and "cloned" in plan.estimator
    assert any("concept drift" in s and "support_tickets_30d" in s for s in plan.evidence)
    assert any(SCHEMA_BREAK in s and "monthly_charges" in s for s in plan.evidence)
    # every candidate says how many labelled rows it has and whether that is enough
    assert (frame["n_train"] > 0).all() and frame["train_enough"].dtype == bool
    assert frame["labels_needed"].notna().all()
    assert frame.loc[plan.chosen, "eval_enough"] and frame.loc[plan.chosen, "train_enough"]
    assert any("would detect a change of" in s for s in plan.evidence)     # toolkit's label planning, reused


@pytest.mark.slow
def test_demo_plan_does_not_mutate_the_users_estimator(demo, demo_plan, demo_pipeline):
    fresh = GEN.fit_model(demo.reference)              # deterministic: what demo_pipeline was before the plan
    np.testing.assert_array_equal(demo_pipeline[-1].coef_, fresh[-1].coef_)
    np.testing.assert_array_equal(demo_pipeline.predict_proba(demo.reference[GEN.FEATURES].head(50)),
                                  fresh.predict_proba(demo.reference[GEN.FEATURES].head(50)))


@pytest.fixture(scope="module")
def train_set(demo, demo_plan):
    return tk.retraining_set(demo, since=demo_plan.onset, until=demo_plan.cutoff)


@pytest.fixture(scope="module")
def eval_set(demo, demo_plan):
    return tk.retraining_set(demo, since=demo_plan.eval_windows[0], until=demo_plan.eval_windows[-1])


@pytest.mark.slow
def test_demo_pipeline_trained_on_the_set_reaches_the_predicted_gain(demo_plan, train_set, eval_set, demo_pipeline):
    from sklearn.base import clone

    frame = train_set.frame
    assert len(frame) == demo_plan.candidate()["n_train"]     # the plan trained on exactly these rows
    model = clone(demo_pipeline)
    model.fit(frame[GEN.FEATURES], frame["churned"], logisticregression__sample_weight=frame["weight"])
    ev = eval_set.frame
    assert len(ev) == demo_plan.candidate()["n_eval"]
    new = model.predict_proba(ev[GEN.FEATURES])[:, 1]
    gain = (roc_auc_score(ev["churned"], new, sample_weight=ev["weight"])
            - roc_auc_score(ev["churned"], ev["churn_score"], sample_weight=ev["weight"]))
    best = demo_plan.candidate()
    assert best["gain_lower"] <= gain <= best["gain_upper"], (gain, best)


@pytest.mark.slow
def test_exported_set_round_trips_with_its_datasheet(demo, demo_plan, tmp_path):
    out = tmp_path / "set"
    code = main(["retrain-set", str(DEMO_CONFIG), "--since", demo_plan.onset, "--until", demo_plan.cutoff,
                 "--output", str(out), "-q"])
    assert code == 0
    written = pd.read_parquet(out / "retraining_set.parquet")
    sheet = yaml.safe_load((out / "datasheet.yaml").read_text())
    rows = sheet["rows"]
    assert len(written) == rows["kept"] == rows["eligible"] - rows["excluded"]
    assert rows["excluded"] == sum(e["n"] for e in sheet["exclusions"]) > 0
    cov = pd.DataFrame(sheet["label_coverage"])
    assert cov["n_labelled"].sum() == rows["eligible"] and cov["n_kept"].sum() == len(written)
    # the schema-broken week is excluded whole, with its reason; the null spike only where the value is missing
    reasons = pd.DataFrame(sheet["exclusions"])
    broken = reasons[reasons["window"] == SCHEMA_BREAK]
    assert broken["reason"].str.startswith("schema_break: monthly_charges").any()
    assert not (written["window"] == SCHEMA_BREAK).any()
    assert written["days_since_last_login"][written["window"] == "2026-22"].notna().all()
    # new categories are kept (new reality), conflicting labels would be excluded, weights are documented
    assert (written["plan"] == "family").any()
    assert written["weight"].gt(0).all() and "inclusion_prob" in sheet["weights"]
    assert sheet["toolkit_version"] == tk.__version__ and sheet["windows"][0] == demo_plan.onset
    assert written["customer_id"].is_unique


@pytest.mark.slow
def test_set_weights_reproduce_the_weighted_metrics_of_performance(demo, eval_set):
    frame = eval_set.frame
    assert (frame["weight"] > 1).any()                        # audit weeks: a weighted sample
    joined, _ = tk.join_labels(demo.production_frame, demo.label_frame, spec=demo.spec, by="window")
    same = joined[joined["customer_id"].isin(frame["customer_id"])]
    perf = tk.performance(same, spec=demo.spec, metric=["roc_auc", "accuracy"], by="window",
                          inclusion_prob="inclusion_prob").to_frame()
    for window, part in frame.groupby("window"):
        auc = roc_auc_score(part["churned"], part["churn_score"], sample_weight=part["weight"])
        acc = accuracy_score(part["churned"], part["churn_pred"], sample_weight=part["weight"])
        row = perf[perf["window"] == window].set_index("metric")
        assert row.loc["roc_auc", "weighted"] and row.loc["roc_auc", "n"] == len(part)
        assert row.loc["roc_auc", "value"] == pytest.approx(auc, abs=1e-9)
        assert row.loc["accuracy", "value"] == pytest.approx(acc, abs=1e-9)


# ----------------------------------------------------------------------------- made-up scenarios


def _scenario(root: Path, *, concept_drift: bool, rename_last: bool = False, n_weeks: int = 8,
              n_per_week: int = 2500, seed: int = 11) -> tuple[tk.ModelConfig, object]:
    """Baseline + weekly batches with a covariate shift in x1 (and optionally a concept drift in x2)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(seed)

    def draw(n, week):
        shift = 0.25 * week                                  # inputs move every week
        x = pd.DataFrame({"x1": rng.normal(shift, 1, n), "x2": rng.normal(0, 1, n),
                          "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])})
        coef2 = -0.9 if (concept_drift and week >= n_weeks // 2) else 0.9
        logit = -0.5 + 1.1 * x["x1"] + coef2 * x["x2"] + np.where(x["c"] == "b", 0.4, 0.0)
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
        return x, y

    x, y = draw(10_000, 0)
    pre = ColumnTransformer([("num", StandardScaler(), ["x1", "x2"]), ("cat", OneHotEncoder(handle_unknown="ignore"), ["c"])])
    model = make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(x, y)
    start = pd.Timestamp("2026-01-05", tz="UTC")
    data = root / "data"
    (data / "production").mkdir(parents=True)
    base = x.assign(id=[f"B{i}" for i in range(len(x))], t=start - pd.Timedelta(days=30),
                    score=model.predict_proba(x)[:, 1], y=y)
    base.to_parquet(data / "baseline.parquet")
    labels = []
    for week in range(1, n_weeks + 1):
        x, y = draw(n_per_week, week)
        score = model.predict_proba(x)[:, 1]
        t = start + pd.Timedelta(weeks=week - 1) + pd.to_timedelta(rng.integers(0, 6 * 86400, n_per_week), unit="s")
        ids = [f"P{week}-{i}" for i in range(n_per_week)]
        batch = x.assign(id=ids, t=t, score=score)
        if rename_last and week == n_weeks:
            batch = batch.rename(columns={"x2": "x2_v2"})
        folder = data / "production" / f"week=2026-{week:02d}"
        folder.mkdir()
        batch.to_parquet(folder / "part-0.parquet")
        labels.append(pd.DataFrame({"id": ids, "y": y, "label_time": t + pd.Timedelta(days=3)}))
    pd.concat(labels).to_parquet(data / "labels.parquet")
    spec = tk.ModelSpec(features=["x1", "x2", "c"], target="y", score="score", timestamp="t", id="id",
                        kinds={"x1": "numeric", "x2": "numeric", "c": "categorical"}, task="binary",
                        positive_label=1, threshold=0.5)
    cfg = tk.ModelConfig(name="scenario <b>&</b>", baseline=str(data / "baseline.parquet"),
                         production=str(data / "production"), labels=str(data / "labels.parquet"), spec=spec)
    path = cfg.save(root / "model.yaml")
    return tk.ModelConfig.load(path), model


@pytest.fixture(scope="module")
def covariate_only(tmp_path_factory):
    cfg, model = _scenario(tmp_path_factory.mktemp("covariate"), concept_drift=False)
    return cfg, model, tk.retraining_plan(cfg, model=model, n_resamples=500)


def test_pure_covariate_shift_gets_retraining_will_not_help_much(covariate_only):
    _, _, plan = covariate_only
    assert plan.recommendation == "no_gain", plan.message
    assert plan.message.startswith("retraining will not help much")
    frame = plan.to_frame()
    assert len(frame) >= 2
    for _, row in frame.iterrows():                        # every candidate: a gain interval that includes 0
        assert row["gain_lower"] <= 0 <= row["gain_upper"], row.to_dict()
        assert row["gain_upper"] < 0.01


def test_concept_drift_scenario_gets_retrain_on_its_onset(tmp_path):
    cfg, model = _scenario(tmp_path, concept_drift=True, n_weeks=8, n_per_week=3000)
    plan = tk.retraining_plan(cfg, model=model, n_resamples=500, explain=False)
    assert plan.onset == "2026-04"                         # drift from week n_weeks // 2 == 4
    assert plan.recommendation == "retrain" and plan.chosen == "since onset (2026-04)"
    assert plan.candidate()["gain_lower"] > 0


def test_schema_break_in_the_latest_window_says_fix_the_feed(tmp_path):
    cfg, model = _scenario(tmp_path, concept_drift=False, rename_last=True, n_weeks=5, n_per_week=2000)
    plan = tk.retraining_plan(cfg, model=model, n_resamples=200, explain=False)
    assert plan.recommendation == "fix_feed"
    assert "labels cannot fix" in plan.message and "x2" in plan.message


def test_default_learner_is_stated_and_used(covariate_only):
    cfg, _, _ = covariate_only
    plan = tk.retraining_plan(cfg, n_resamples=200, explain=False, max_train_rows=3_000)
    assert plan.estimator.startswith("default learner") and "HistGradientBoostingClassifier" in plan.estimator
    assert any("subsample of at most 3,000 rows" in n for n in plan.notes)
    assert (plan.to_frame()["n_train_used"] <= 3_000).all()


def test_plan_faces(covariate_only, tmp_path, request):
    import altair as alt

    _, _, plan = covariate_only
    assert isinstance(plan.to_frame(), pd.DataFrame) and list(plan.to_frame().columns)[0] == "candidate"
    chart = plan.chart()
    assert isinstance(chart, alt.TopLevelMixin)
    spec = chart.to_dict()
    (values,) = spec["datasets"].values()
    assert {r["model"] for r in values} >= {"current model", "all labelled data"}
    assert len(values) == len(plan.windows) <= 50                 # drawn from aggregates
    html = plan._repr_html_()
    scoped = re.compile(r"tk-[0-9a-f]{8}")            # each render scopes its CSS to a fresh id
    assert scoped.sub("tk-ID", html) == scoped.sub("tk-ID", plan.to_html())
    assert "<script" not in html
    assert isinstance(plan.headline, str) and plan.headline == plan.message
    assert repr(plan).startswith("RetrainPlan(no_gain")
    path = plan.save_html(tmp_path / "plan.html")
    assert path.read_text().count("window.vegaEmbed=") == 1      # the bundle once, offline
    open_report = request.getfixturevalue("open_report")   # skips without a browser
    report = open_report(path)
    assert report.problems == []
    assert report.rendered_charts() == 2
    gains = plan.gain_chart().to_dict()
    assert any(len(v) == len(plan.to_frame()) for v in gains["datasets"].values())


def test_bad_input_errors_name_the_argument(covariate_only):
    cfg, _, _ = covariate_only
    with pytest.raises(ValueError, match="metric must be one of"):
        tk.retraining_plan(cfg, metric="f1")
    with pytest.raises(KeyError, match="since='2031-01' is not a production window"):
        tk.retraining_plan(cfg, since="2031-01")
    with pytest.raises(TypeError, match="scikit-learn-compatible estimator"):
        tk.retraining_plan(cfg, model=42)
    with pytest.raises(FileNotFoundError, match="model file"):
        tk.retraining_plan(cfg, model="nope.joblib")
    with pytest.raises(KeyError, match="until='x' is not a production window"):
        tk.retraining_set(cfg, until="x")
    assert main(["retrain-set", str(cfg.root / "model.yaml"), "--since", "1999-01", "--output", "/tmp/x", "-q"]) == 1


def test_inconclusive_gain_says_wait_for_n_more_labels_at_the_label_rate():
    """The documented rule on a fixed table: a gain whose interval includes 0 but reaches past min_gain."""
    from toolkit.outcomes.retraining import _decide

    table = pd.DataFrame([{"candidate": "since onset (2026-04)", "gain": 0.03, "gain_lower": -0.01, "gain_upper": 0.07,
                           "labels_needed": 5000, "n_train": 9000, "current_value": 0.7, "value": 0.73}])
    action, message, chosen, more, days = _decide(table, pd.DataFrame(columns=["window", "column", "check"]),
                                                  0.01, "roc_auc", ("2026-05", "2026-08"), 1000.0, 2000, 100.0)
    assert action == "wait" and chosen is None
    assert more == (5000 - 1000) * 2000 // 1000           # effective labels short, scaled to raw labels
    assert days == pytest.approx(more / 100.0)
    assert message.startswith(f"wait for {more:,} more labels (about {days:.0f} days")


def test_a_model_without_labels_is_told_to_wait_for_labels(covariate_only, tmp_path):
    """No labels file and no target in production: an answer (wait), not an error, so template 05 still runs;
    the set, which needs labels, still refuses clearly."""
    cfg, _, _ = covariate_only
    bare = tk.ModelConfig(name="no labels", baseline=cfg.baseline, production=cfg.production, spec=cfg.spec)
    plan = tk.retraining_plan(bare)
    assert plan.recommendation == "wait" and plan.chosen is None and plan.to_frame().empty
    assert "none reach the analysis" in plan.headline and "feedback loop" in plan.headline
    assert plan.retraining_set(bare) is None
    plan.chart(), plan.gain_chart(), plan.to_html()       # every face still draws
    with pytest.raises(ValueError, match="has no labels"):
        tk.retraining_set(bare, since=cfg.windows[0])


def test_regression_model_with_concept_drift_gets_retrain_on_mae(tmp_path):
    """A regressor whose coefficient on b flips at week 4: the plan measures MAE gains (lower is better)."""
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(3)
    data = tmp_path / "data"
    (data / "production").mkdir(parents=True)

    def draw(n, week):
        x = pd.DataFrame({"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n)})
        return x, 1.0 + 1.5 * x["a"] + (-2.0 if week >= 4 else 2.0) * x["b"] + rng.normal(0, 1, n)

    x, y = draw(3000, 0)
    model = LinearRegression().fit(x, y)
    x.assign(id=[f"B{i}" for i in range(len(x))], t=pd.Timestamp("2025-12-01", tz="UTC"), pred=model.predict(x),
             y=y).to_parquet(data / "baseline.parquet")
    labels = []
    for week in range(1, 9):
        x, y = draw(1000, week)
        ids = [f"P{week}-{i}" for i in range(len(x))]
        t = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(weeks=week - 1)
        (data / "production" / f"week=2026-{week:02d}").mkdir()
        x.assign(id=ids, t=t, pred=model.predict(x)).to_parquet(data / "production" / f"week=2026-{week:02d}" / "p.parquet")
        labels.append(pd.DataFrame({"id": ids, "y": y, "label_time": t + pd.Timedelta(days=2)}))
    pd.concat(labels).to_parquet(data / "labels.parquet")
    spec = tk.ModelSpec(features=["a", "b"], target="y", prediction="pred", timestamp="t", id="id",
                        kinds={"a": "numeric", "b": "numeric"}, task="regression")
    cfg = tk.ModelConfig(name="regressor", baseline=str(data / "baseline.parquet"), production=str(data / "production"),
                         labels=str(data / "labels.parquet"), spec=spec)
    cfg = tk.ModelConfig.load(cfg.save(tmp_path / "model.yaml"))
    plan = tk.retraining_plan(cfg, model=LinearRegression(), n_resamples=300, explain=False)
    assert plan.metric == "mae" and plan.onset == "2026-04"
    assert plan.recommendation == "retrain" and plan.chosen == "since onset (2026-04)"
    best = plan.candidate()
    assert best["value"] < best["current_value"] and best["gain_lower"] > 0   # gain = MAE reduction
    # truth: the since-onset fit recovers the noise floor, E|N(0,1)| = 0.80
    assert best["value"] == pytest.approx(np.sqrt(2 / np.pi), abs=0.05)
    exported = tk.retraining_set(cfg, since="onset")          # the same onset, found again for the set
    assert exported.datasheet["since"] == "2026-04" and len(exported.frame) == exported.datasheet["rows"]["kept"]


def test_no_gain_from_too_few_training_rows_is_not_a_verdict():
    from toolkit.outcomes.retraining import _decide

    table = pd.DataFrame([{"candidate": "all labelled data", "gain": -0.05, "gain_lower": -0.2, "gain_upper": 0.005,
                           "labels_needed": 50, "n_train": 700, "n_train_effective": 700.0, "train_enough": False,
                           "current_value": 0.8, "value": 0.75}])
    no_breaks = pd.DataFrame(columns=["window", "column", "check"])
    action, message, _, more, days = _decide(table, no_breaks, 0.01, "roc_auc", ("2026-02",), 200.0, 200, 50.0, 2000)
    assert action == "wait" and more == 1300 and days == pytest.approx(26.0)
    assert "700 effective rows" in message
    assert _decide(table.assign(train_enough=True), no_breaks, 0.01, "roc_auc", ("2026-02",), 200.0, 200, 50.0,
                   2000)[0] == "no_gain"


def test_model_named_in_model_yaml_is_loaded_and_cloned(covariate_only, tmp_path):
    import dataclasses

    import joblib

    cfg, model, _ = covariate_only
    joblib.dump(model, tmp_path / "current.joblib")
    named = dataclasses.replace(cfg, model=str(tmp_path / "current.joblib"))
    path = named.save(tmp_path / "model.yaml")
    assert yaml.safe_load(path.read_text())["model"].endswith("current.joblib")
    plan = tk.retraining_plan(tk.ModelConfig.load(path), n_resamples=200, explain=False, max_train_rows=3_000)
    assert "your estimator" in plan.estimator and "model.yaml: current.joblib" in plan.estimator
    assert "LogisticRegression" in plan.estimator


def test_health_retraining_row_is_opt_in_and_cached(tmp_path, monkeypatch):
    """tk.health(retrain=True) / `toolkit check --retrain`: the plan's recommendation as a 'retraining' row when
    performance is act, never changing the overall status; the plan runs once per cached statistics."""
    import toolkit.outcomes.retraining as retraining

    cfg, model = _scenario(tmp_path, concept_drift=True, n_weeks=8, n_per_week=3000)
    from toolkit.model_health import clear_cache
    clear_cache()
    plain = tk.health(cfg)
    assert "retraining" not in plain.to_frame()["cause"].tolist()
    assert plain.row("performance")["status"] == "act"
    calls = []
    real = retraining.retraining_plan
    monkeypatch.setattr(retraining, "retraining_plan",
                        lambda c: calls.append(1) or real(c, model=model, n_resamples=200, explain=False))
    report = tk.health(cfg, retrain=True)
    row = report.row("retraining")
    assert report.status == plain.status
    assert row["status"] == "act" and row["summary"].startswith("Retrain now on since onset (2026-04)"), row
    assert "toolkit retrain-set" in row["next_step"] and "--since 2026-04" in row["next_step"]
    again = tk.health(cfg, window=cfg.windows[-2], retrain=True)      # another window: the cached plan
    assert len(calls) == 1 and again.row("retraining")["status"] in ("act", "ok")
    out = io.StringIO()
    from toolkit.check import run_check
    assert run_check(cfg.root / "model.yaml", fmt="json", out=out, retrain=True) == 1
    assert [c["cause"] for c in json.loads(out.getvalue())["causes"]][-1] == "retraining"
