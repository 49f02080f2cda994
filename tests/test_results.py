"""One contract for every result type (issue 14): the same faces whatever the analysis.

``to_frame()`` a non-empty DataFrame, ``chart()`` an Altair chart drawn from aggregates, ``_repr_html_()``
== ``to_html()`` with every data-derived string escaped, ``headline`` a str, ``repr`` one short text line,
and ``save_html(path)`` one offline file (Vega inlined once) that opens in Chromium with 0 errors.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.results import Result
from toolkit.schema import validate_windows

from conftest import chart_marks

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<b>plan</b>&"              # a column name that must come out escaped wherever it is shown
ESCAPED = "&lt;b&gt;plan&lt;/b&gt;&amp;"
SCOPED = re.compile(r"tk-[0-9a-f]{8}")  # each card scopes its CSS to a fresh id


def _frames(seed: int = 3, n: int = 1500):
    rng = np.random.default_rng(seed)

    def draw(shift: float, m: int, start: str) -> pd.DataFrame:
        x = rng.normal(shift, 1, m)
        cat = rng.choice(["a", "b", "c"], m, p=[0.5, 0.3, 0.2] if shift == 0 else [0.2, 0.3, 0.5])
        p = 1 / (1 + np.exp(-(0.3 + 1.2 * x - 0.5 * (cat == "b"))))
        y = (rng.random(m) < p).astype(int)
        # score is a noisy, somewhat mis-calibrated view of p
        score = np.clip(p + rng.normal(0, 0.05, m), 0.001, 0.999)
        t = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.integers(0, 28 * 86400, m), unit="s")
        return pd.DataFrame({"id": [f"{start}-{i}" for i in range(m)], "t": t, "x": x, HOSTILE: cat,
                             "score": score, "y": y})

    ref = draw(0.0, n, "2026-01-05")
    cur = draw(0.6, n, "2026-02-02")
    return ref, cur


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Result]:
    ref, cur = _frames()
    spec = tk.ModelSpec(features=["x", HOSTILE], target="y", score="score", timestamp="t", id="id",
                        task="binary", positive_label=1, threshold=0.5)
    contract = tk.infer_contract(ref[["x", HOSTILE]])
    bad = cur[["x", HOSTILE]].assign(x=lambda f: f["x"].where(np.arange(len(f)) % 7 != 0))
    labels = cur[["id", "y"]].assign(label_time=cur["t"] + pd.Timedelta(days=2)).iloc[: len(cur) * 2 // 3]
    out = {
        "DriftReport": tk.compare(ref[["x", HOSTILE]], cur[["x", HOSTILE]]),
        "DriftOverTime": tk.drift_over_time(ref[["x", HOSTILE, "t"]], cur[["x", HOSTILE, "t"]], by="W",
                                            timestamp="t"),
        "Profile": tk.profile(ref[["x", HOSTILE]]),
        "ValidationResult": contract.validate(bad),
        "GuardResult": tk.guard(bad, contract, max_failure_share=1.0),
        "WindowValidation": validate_windows(contract, {"w1": cur[["x", HOSTILE]], "w2": bad}),
        "FeedbackReport": tk.join_labels(cur.drop(columns=["y"]), labels, on="id", spec=spec),
        "PerformanceReport": tk.performance(cur, spec=spec, metric=["roc_auc", "accuracy"], by="W", n_resamples=200),
        "PerformanceEstimate": tk.estimate_performance(ref, cur.drop(columns=["y"]), spec=spec, by="W",
                                                       n_resamples=100),
        "DropAttribution": tk.attribute_drop(ref, cur, spec=spec, n_resamples=50),
        "RiskCoverage": tk.risk_coverage(cur, spec=spec, n_resamples=50),
        "AbstainDecision": tk.abstain_threshold(cur, spec=spec, target_accuracy=0.8),
        "FeatureRelationships": tk.relationships.feature_relationships(ref, cur, spec),
    }
    demo = tk.ModelConfig.load(ROOT / "notebooks" / "model.yaml")
    out["HealthReport"] = tk.health(demo)
    out["RetrainingSet"] = tk.retraining_set(demo)
    return out


EXPECTED = ["DriftReport", "DriftOverTime", "Profile", "ValidationResult", "GuardResult", "WindowValidation",
            "FeedbackReport", "PerformanceReport", "PerformanceEstimate", "DropAttribution", "RiskCoverage",
            "AbstainDecision", "FeatureRelationships", "HealthReport", "RetrainingSet"]


def test_every_result_type_derives_from_the_base(results):
    assert sorted(results) == sorted(EXPECTED)
    for name, result in results.items():
        assert type(result).__name__ == name
        assert isinstance(result, Result), name
    assert issubclass(tk.RetrainPlan, Result)   # built in test_retraining.py (slow); same base, same faces


@pytest.mark.parametrize("name", EXPECTED)
def test_result_contract(results, name, tmp_path, request):
    import altair as alt

    result = results[name]
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame.columns) > 0, name
    chart = result.chart()
    assert isinstance(chart, alt.TopLevelMixin), name
    spec = chart.to_dict()                       # validates against the Vega-Lite schema
    assert chart_marks(spec), f"{name}: the chart draws no mark"
    assert 0 < sum(len(v) for v in spec.get("datasets", {}).values()) <= 5000, name  # aggregates, not raw rows
    assert isinstance(result.headline, str) and result.headline.strip(), name
    text = repr(result)
    assert text.startswith(name) and len(text.splitlines()) <= 3 and len(text) < 600, text
    html = result._repr_html_()
    assert SCOPED.sub("tk-ID", html) == SCOPED.sub("tk-ID", result.to_html())
    assert "<script" not in html.lower()
    assert HOSTILE not in html                  # never raw, wherever the column is named
    path = result.save_html(tmp_path / f"{name}.html")
    page = path.read_text(encoding="utf-8")
    assert page.count("window.vegaEmbed=") == 1   # the Vega bundle once
    assert "<script src=" not in page.lower()       # nothing loaded from elsewhere
    open_report = request.getfixturevalue("open_report")   # skips without a browser
    opened = open_report(path)
    assert opened.problems == [], opened.problems
    assert opened.rendered_charts() >= 1


def test_escaped_where_the_column_is_shown(results):
    """Results that list the hostile column show it escaped, never as markup."""
    for name in ("DriftReport", "Profile"):
        html = results[name].to_html()
        assert ESCAPED in html and HOSTILE not in html, name


def test_join_labels_result_unpacks_like_the_old_tuple(results):
    fb = results["FeedbackReport"]
    joined, report = fb
    assert report is fb and fb.report is fb and fb[0] is joined
    assert isinstance(joined, pd.DataFrame) and "label_status" in joined.columns
    assert int((joined["label_status"] == "labelled").sum()) == fb.n_matched > 0
    assert "DataFrame" not in repr(fb) and len(repr(fb).splitlines()) == 1
