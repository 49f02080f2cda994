"""tk.performance: windows, baselines, notes, weighting and bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

import toolkit as tk
from toolkit.outcomes.intervals import delong, hanley_mcneil_variance


def scored(n, rng, shift=0.0, start="2026-01-05"):
    p = rng.beta(2, 4, n)
    logit = np.log(p / (1 - p)) + shift
    true_p = 1 / (1 + np.exp(-logit))
    return pd.DataFrame({
        "id": [f"r{i}" for i in range(n)],
        "t": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.integers(0, 21 * 86400, n), unit="s"),
        "p": p, "y": (rng.random(n) < true_p).astype(int),
    })


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    base = scored(5000, rng)
    cur = scored(3000, rng)
    return base, cur


def test_columns_and_windows_by_period_alias(frames):
    base, cur = frames
    perf = tk.performance(cur, target="y", score="p", timestamp="t", by="W", metric="all", reference=base)
    f = perf.to_frame()
    for col in ["window", "metric", "value", "lower", "upper", "n", "n_positive", "weighted", "delta_vs_baseline",
                "delta_lower", "delta_upper", "delta_p_value", "note"]:
        assert col in f.columns
    assert perf.windows == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert set(f["metric"]) == {"roc_auc", "accuracy", "precision", "recall", "f1", "log_loss", "brier", "ece"}
    assert len(f) == 3 * 8
    ece = f["metric"] == "ece"                     # descriptive only: no interval (issue 10.5)
    assert f.loc[ece, ["lower", "upper"]].isna().all().all() and (f.loc[ece, "method"] == "descriptive (no interval)").all()
    f = f[~ece]
    assert (f["lower"] <= f["value"]).all() and (f["value"] <= f["upper"]).all()
    assert (f["n"].groupby(f["window"]).first().sum()) == len(cur)
    week = cur[pd.to_datetime(cur["t"]).dt.tz_convert(None).dt.to_period("W").dt.start_time == "2026-01-12"]
    row = f[(f.window == "2026-01-12") & (f.metric == "roc_auc")].iloc[0]
    assert row.value == pytest.approx(skm.roc_auc_score(week["y"], week["p"]))
    assert row.n == len(week) and row.n_positive == week["y"].sum()
    assert not f["degraded"].any()      # same process as the baseline: no window degraded (8 metrics x 3)


def test_by_column_and_single_window(frames):
    _, cur = frames
    cur = cur.assign(batch=np.repeat(["b2", "b1", "b3"], 1000))
    perf = tk.performance(cur, target="y", score="p", by="batch", metric="accuracy")
    assert perf.windows == ["b1", "b2", "b3"]
    one = tk.performance(cur, target="y", score="p", metric="accuracy").to_frame()
    assert one["window"].tolist() == ["all"] and one["n"].iloc[0] == 3000


def test_delta_against_a_baseline_frame_is_a_wald_difference(frames):
    base, cur = frames
    f = tk.performance(cur, target="y", score="p", metric="roc_auc", reference=base).to_frame().iloc[0]
    a1, v1 = delong(cur["p"].to_numpy(), cur["y"].to_numpy() == 1)
    a0, v0 = delong(base["p"].to_numpy(), base["y"].to_numpy() == 1)
    se = np.sqrt(v1[0] + v0[0])
    assert f.delta_vs_baseline == pytest.approx(a1[0] - a0[0])
    assert f.delta_lower == pytest.approx(a1[0] - a0[0] - 1.959964 * se, abs=1e-6)
    assert f.delta_p_value == pytest.approx(2 * stats.norm.sf(abs(a1[0] - a0[0]) / se))


def test_fixed_baseline_uses_score_test_and_hanley_mcneil(frames):
    _, cur = frames
    perf = tk.performance(cur, target="y", score="p", metric=["accuracy", "roc_auc"],
                          reference={"accuracy": 0.75, "roc_auc": 0.70})
    f = perf.to_frame().set_index("metric")
    acc = np.mean((cur["p"] >= 0.5) == (cur["y"] == 1))
    z = (acc - 0.75) / np.sqrt(0.75 * 0.25 / len(cur))
    assert f.loc["accuracy", "delta_p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    n1 = cur["y"].sum()
    auc = skm.roc_auc_score(cur["y"], cur["p"])
    z = (auc - 0.70) / np.sqrt(hanley_mcneil_variance(0.70, n1, len(cur) - n1))
    assert f.loc["roc_auc", "delta_p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert perf.baseline.set_index("metric").loc["roc_auc", "method"] == "fixed"


def test_a_real_drop_is_flagged_and_significant(frames):
    base, _ = frames
    rng = np.random.default_rng(1)
    bad = scored(2000, rng)
    bad["y"] = np.where(rng.random(2000) < 0.3, 1 - bad["y"], bad["y"])       # 30% label noise: AUC falls
    perf = tk.performance(bad, target="y", score="p", metric="roc_auc", reference=base)
    row = perf.to_frame().iloc[0]
    assert row.degraded and row.delta_p_value < 1e-6 and row.delta_upper < 0
    assert perf.degraded == [("all", "roc_auc")]
    assert "significantly worse" in repr(perf)


def test_one_class_window_gives_nan_auc_with_note(frames):
    _, cur = frames
    cur = cur.assign(w=np.where(np.arange(len(cur)) < 100, "tiny", "big"))
    cur.loc[cur["w"] == "tiny", "y"] = 0
    f = tk.performance(cur, target="y", score="p", by="w", metric=["roc_auc", "recall", "accuracy"]).to_frame()
    tiny = f[f.window == "tiny"].set_index("metric")
    assert np.isnan(tiny.loc["roc_auc", "value"]) and np.isnan(tiny.loc["roc_auc", "lower"])
    assert "only one class in window" in tiny.loc["roc_auc", "note"]
    assert np.isnan(tiny.loc["recall", "value"]) and "no positive labels" in tiny.loc["recall", "note"]
    assert tiny.loc["accuracy", "value"] == pytest.approx(np.mean(cur.loc[cur.w == "tiny", "p"] < 0.5))


def test_missing_scores_are_excluded_and_counted(frames):
    _, cur = frames
    cur = cur.copy()
    cur.loc[cur.index[:37], "p"] = np.nan
    row = tk.performance(cur, target="y", score="p", metric="roc_auc").to_frame().iloc[0]
    assert row.n == len(cur) - 37 and row.n_rows == len(cur)
    assert "37 labelled rows with missing score" in row.note
    assert row.value == pytest.approx(skm.roc_auc_score(cur["y"][37:], cur["p"][37:]))


def test_unlabelled_rows_are_not_labels(frames):
    _, cur = frames
    cur = cur.assign(y=cur["y"].astype(float))
    cur.loc[cur.index[:500], "y"] = np.nan
    row = tk.performance(cur, target="y", score="p", metric="accuracy").to_frame().iloc[0]
    assert row.n == len(cur) - 500 and row.n_rows == len(cur)


def test_scores_outside_unit_interval_are_an_error(frames):
    _, cur = frames
    bad = cur.assign(p=cur["p"] * 3 - 1)
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*'p'|'p'.*outside \[0, 1\]"):
        tk.performance(bad, target="y", score="p", metric="roc_auc")


def test_bad_arguments_have_clear_messages(frames):
    _, cur = frames
    with pytest.raises(ValueError, match="metric must be one of"):
        tk.performance(cur, target="y", score="p", metric="auc")
    with pytest.raises(KeyError, match="lacks column"):
        tk.performance(cur, target="churned", score="p")
    with pytest.raises(ValueError, match="no target column"):
        tk.performance(cur, score="p")
    with pytest.raises(ValueError, match="period alias"):
        tk.performance(cur, target="y", score="p", timestamp="t", by="fortnight")
    with pytest.raises(ValueError, match="positive_label"):
        tk.performance(cur.assign(y=np.where(cur["y"] == 1, "yes", "no")), target="y", score="p")
    with pytest.raises(ValueError, match=r"inclusion_prob.*\(0, 1\]"):
        tk.performance(cur.assign(inclusion_prob=0.0), target="y", score="p")
    with pytest.raises(ValueError, match="task='multiclass'"):
        tk.performance(cur.assign(y=cur.index % 3), target="y", score="p", task="binary")
    with pytest.raises(TypeError, match="DataFrame"):
        tk.performance(cur.to_dict(), target="y", score="p")


def test_weighted_rows_are_flagged_in_the_frame(frames):
    _, cur = frames
    cur = cur.assign(inclusion_prob=np.where(cur["p"] > 0.5, 1.0, 0.25))
    f = tk.performance(cur, target="y", score="p", metric="accuracy").to_frame().iloc[0]
    w = 1 / cur["inclusion_prob"]
    assert f.weighted and f.method == "weighted BCa bootstrap"
    assert f.value == pytest.approx(np.sum(w * ((cur["p"] >= 0.5) == (cur["y"] == 1))) / w.sum())
    assert "Hajek" in f.note
    plain = tk.performance(cur, target="y", score="p", metric="accuracy", inclusion_prob=None).to_frame().iloc[0]
    assert not plain.weighted and plain.method == "Wilson"


def test_bootstrap_is_seeded(frames):
    _, cur = frames
    a = tk.performance(cur, target="y", score="p", metric="f1", random_state=3).to_frame()
    b = tk.performance(cur, target="y", score="p", metric="f1", random_state=3).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_multiclass_and_regression():
    rng = np.random.default_rng(4)
    y = rng.choice(["a", "b", "c"], 900)
    pred = np.where(rng.random(900) < 0.7, y, rng.choice(["a", "b", "c"], 900))
    f = tk.performance(pd.DataFrame({"y": y, "pred": pred}), target="y", prediction="pred",
                       task="multiclass").to_frame().set_index("metric")
    assert f.loc["accuracy", "value"] == pytest.approx(skm.accuracy_score(y, pred))
    assert f.loc["macro_f1", "value"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert f.loc["accuracy", "method"] == "Wilson" and f.loc["macro_f1", "method"] == "BCa bootstrap"
    assert pd.isna(f.loc["accuracy", "n_positive"])
    yt = rng.gamma(3, 10, 800)
    yp = yt * rng.lognormal(0, 0.2, 800)
    g = tk.performance(pd.DataFrame({"y": yt, "yhat": yp}), target="y", prediction="yhat", task="regression",
                       metric="all").to_frame().set_index("metric")
    assert g.loc["mae", "value"] == pytest.approx(skm.mean_absolute_error(yt, yp))
    assert g.loc["rmse", "value"] == pytest.approx(np.sqrt(skm.mean_squared_error(yt, yp)))
    assert g.loc["mape", "value"] == pytest.approx(skm.mean_absolute_percentage_error(yt, yp))
    assert (g["lower"] < g["value"]).all() and (g["value"] < g["upper"]).all()


def test_spec_supplies_roles_and_results_render(frames):
    base, cur = frames
    spec = tk.ModelSpec.infer(base, target="y", score="p", timestamp="t", id="id")
    cur = cur.assign(batch=np.where(np.arange(len(cur)) % 2, "<b>odd</b>", "even"))
    perf = tk.performance(cur, spec, by="batch", reference=base)
    html = perf._repr_html_()
    assert "<b>odd</b>" not in html and "&lt;b&gt;odd&lt;/b&gt;" in html
    assert perf.value("roc_auc", "even")["n"] == len(cur) // 2
    chart = perf.chart().to_dict()
    layers = chart["spec"]["layer"] if "spec" in chart else chart["layer"]
    assert all("tooltip" in layer["encoding"] for layer in layers)
    assert "facet" in chart                          # two metrics -> one row per metric
    one = perf.chart(metric="accuracy").to_dict()                  # one metric: the band, line and points
    assert "facet" not in one and [layer["mark"]["type"] for layer in one["layer"]][:3] == ["area", "line", "point"]
    (rows,) = one["datasets"].values()
    realized = {r["window"]: r["value"] for r in rows if r["series"] == "realized"}
    assert {r["metric"] for r in rows} == {"accuracy"}
    assert realized == pytest.approx(perf.to_frame().query("metric == 'accuracy'").set_index("window")["value"].to_dict())


def test_importing_an_outcome_module_keeps_the_function():
    """Importing an outcomes submodule leaves ``tk.performance`` the function."""
    import toolkit.outcomes.metrics  # noqa: F401

    frame = pd.DataFrame({"y": [0, 1, 0, 1], "p": [0.1, 0.8, 0.3, 0.6]})
    assert tk.performance(frame, target="y", score="p", metric="roc_auc").to_frame()["value"].iloc[0] == 1.0
