"""Every template runs end to end on the demo, tells the scenario's story, and exports a working offline report.

Each template is executed once (papermill) and exported (nbconvert); the same run is then opened in
headless Chromium with every non-file request blocked. The story checks read the executed notebook's
outputs: an analyst reading the report finds each scripted event in its week.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from conftest import CHART_SELECTOR, chart_outputs
from toolkit.reports import run_report

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TRUTH = json.loads((ROOT / "sample_data" / "truth.json").read_text())
EVENTS = {e["name"]: e for e in TRUTH["events"]}
REPORT_BUDGET = 2 * 1024 * 1024


def week(name: str, key: str = "first_week") -> str:
    return f"2026-{EVENTS[name][key]:02d}"


# what an analyst must be able to read in each report (phrases written by toolkit.narrative from the results)
STORY = {
    "01_compare_baseline": [
        f"plan: first error in window {week('new_plan')}",
        f"monthly_charges: first error in window {week('schema_break')}",
        f"days_since_last_login: first error in window {week('null_spike')}",
        f"avg_session_minutes: first warning in window {week('outlier_burst')}",
        f"monthly_charges: drifted from window {week('price_rise')}",
        f"region: drifted from window {week('region_mix')}",
        f"plan: drifted from window {week('new_plan')}",
        f"avg_session_minutes: drifted from window {week('outlier_burst')} (1 windows in all)",
        f"days_since_last_login: drifted from window {week('null_spike')} (1 windows in all)",
    ],
    # the drifted features and their onsets are checked in _assert_02_names_the_drifted_features_with_onset
    "02_inspect_drifted_features": ["Most drifted: plan", "Relationship with the outcome",
                                    EVENTS["concept_drift"]["column"]],
    "03_estimate_degradation": [
        "Features whose relationship with the outcome changed: support_tickets_30d",
        "Concept drift",
        f"(concept drift suspected)",
    ],
    "04_fallback_thresholds": ["Answer when confidence >=", "Expected routing to the fallback per window",
                               f"fall below the target accuracy in"],
    "05_retrain_decision": [f"retrain now on since onset (2026-{EVENTS['concept_drift']['first_week']:02d})",
                            "concept drift: support_tickets_30d"],
}
# the verdict card each template opens with: its question answered, with the onset window
VERDICT = {
    "01_compare_baseline": [f"schema: act since {week('new_plan')}", f"drift: watch since {week('price_rise')}"],
    "02_inspect_drifted_features": ["Most drifted: plan", f"plan: ", f"drifted since {week('new_plan')}",
                                    f"monthly_charges: ", f"drifted since {week('price_rise')}"],
    "03_estimate_degradation": [f"performance: act since {week('concept_drift')}", "concept drift", "feedback: "],
    "04_fallback_thresholds": ["fallback: act since"],
    "05_retrain_decision": [f"retrain now on since onset ({week('concept_drift')})",
                            f"Onset of the drop: {week('concept_drift')}."],
}
TEMPLATES = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if not p.stem.startswith("00_"))
# the longest runs first (see conftest.pytest_collection_modifyitems): 05 trains candidate models, 03 estimates
# performance over every window
BY_COST = sorted(TEMPLATES, key=["05_retrain_decision", "03_estimate_degradation", "01_compare_baseline"].__add__(
    TEMPLATES).index)


def _outputs_text(executed: Path) -> str:
    nb = nbformat.read(executed, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts.append(str(data.get("text/plain", "")))
            parts.append(html.unescape(re.sub(r"<[^>]+>", "", str(data.get("text/html", "")))))
    return "\n".join(parts)


def _first_output(executed: Path) -> dict:
    """The first output a reader sees after the parameters cell (the inline chart library is not one)."""
    nb = nbformat.read(executed, as_version=4)
    start = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    for cell in nb.cells[start + 1:]:
        for output in cell.get("outputs", []):
            if 'data-toolkit-role="vega-bundle"' not in str(output.get("data", {}).get("text/html", "")):
                return output
    raise AssertionError(f"{executed.name} has no output after its parameters cell")


def _window_tables(executed: Path) -> list[list[str]]:
    """The window column of every HTML table in the executed notebook's outputs (one list per table)."""
    nb = nbformat.read(executed, as_version=4)
    tables = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            page = str(output.get("data", {}).get("text/html", ""))
            for table in re.findall(r"<table.*?</table>", page, re.S):
                rows = [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                         for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
                        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]
                if rows and "window" in rows[0]:
                    i = rows[0].index("window")
                    tables.append([r[i] for r in rows[1:] if len(r) > i])
    return tables


def _assert_no_table_hides_the_latest_windows(name: str, executed: Path):
    """Every table with a window column that reaches the latest windows' part of the data shows them:
    a long table elides its earliest windows, never its most recent ones."""
    from toolkit.config import ModelConfig

    windows = ModelConfig.load(NOTEBOOKS / "model.yaml").windows
    latest = windows[-1]
    tables = _window_tables(executed)
    for shown in tables:
        in_order = [w for w in shown if w in windows]
        if len(set(in_order)) < 2:
            continue                      # a one-window table (the window examined) or not about windows
        # a per-window table over the whole history ends on the latest window
        assert latest in in_order, f"{name}: a table of {len(set(in_order))} windows stops at {max(in_order)}"
    return tables


def _chart_specs(executed: Path) -> dict[str, dict]:
    """The Vega-Lite spec of every chart in the executed notebook's outputs, by chart title."""
    nb = nbformat.read(executed, as_version=4)
    specs = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for found in re.findall(r"var spec = (\{.*?\});\n", str(output.get("data", {}).get("text/html", "")), re.S):
                spec = json.loads(found)
                specs[str(spec.get("title"))] = spec
    return specs


def _assert_02_names_the_drifted_features_with_onset(text: str, executed: Path):
    """Template 02's story: in the latest window it names the features whose scripted shift persists (price rise,
    region mix, new plan) as drifted, not those whose one-week event is over; its drift-over-time chart shows each
    one drifted from its scripted week on, never before."""
    persisting = [e for e in TRUTH["events"] if e["kind"] in ("covariate_drift", "new_category")
                  and e["last_week"] == len(TRUTH["weeks"])]
    over = [e for e in TRUTH["events"] if e["kind"] in ("outlier_burst", "null_spike")]
    assert {e["column"] for e in persisting} == {"monthly_charges", "region", "plan"}
    listed = re.search(r"\d+ of \d+ columns drifted \(\d+%\): ([^;]+);", text)
    assert listed, "02: the report does not list the drifted columns"
    drifted = set(re.findall(r"'([^']+)'", listed.group(1)))
    assert {e["column"] for e in persisting} <= drifted, drifted
    assert not {e["column"] for e in over} & drifted, drifted
    (rows,) = _chart_specs(executed)["Drift over time (fixed reference)"]["datasets"].values()
    for event in persisting:
        flags = {r["window"]: r["drifted"] for r in rows if r["column"] == event["column"]}
        assert len(flags) == len(TRUTH["weeks"]), (event["column"], sorted(flags))
        onset = week(event["name"])
        assert [w for w, d in sorted(flags.items()) if d] == [w for w in sorted(flags) if w >= onset], \
            f"02: {event['column']} should be drifted from {onset} on, and not before: {flags}"


def test_every_template_has_one_parameters_cell_and_no_outputs():
    assert TEMPLATES == ["01_compare_baseline", "02_inspect_drifted_features", "03_estimate_degradation",
                         "04_fallback_thresholds", "05_retrain_decision"]
    for name in TEMPLATES:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        assert 'config = "model.yaml"' in tagged[0].source and "window = None" in tagged[0].source
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb.cells if c.cell_type == "code"), f"{name} has outputs: strip them"
        assert not any(re.search(r"^\s*(def|class) ", c.source, re.M) for c in nb.cells if c.cell_type == "code"), \
            f"{name}: logic belongs in the toolkit package, not the template"


@pytest.mark.slow
@pytest.mark.parametrize("name", BY_COST)
def test_template_runs_tells_the_story_and_exports_offline(name, tmp_path, request):
    report_path = run_report(NOTEBOOKS / f"{name}.ipynb", tmp_path / f"{name}.html", keep_notebook=True, timeout=900)
    executed = tmp_path / f"{name}.executed.ipynb"
    text = _outputs_text(executed)
    for phrase in STORY[name]:
        assert phrase in text, f"{name}: the report does not say {phrase!r}"
    first = _first_output(executed)
    card = str(first.get("data", {}).get("text/plain", ""))   # the card as text: "cause: status since W: why"
    assert 'data-toolkit-role="verdict"' in str(first.get("data", {}).get("text/html", "")), \
        f"{name}: the first output is not the verdict card"
    for phrase in VERDICT[name]:
        assert phrase in card, f"{name}: the verdict card does not say {phrase!r}: {card[:400]}"
    _assert_no_table_hides_the_latest_windows(name, executed)
    shown = "".join(str(o.get("data", {}).get("text/html", "")) for c in nbformat.read(executed, as_version=4).cells
                    for o in c.get("outputs", []))
    shown = re.sub(r"<pre style=.display:none.>.*?</pre>", "", shown, flags=re.S)   # hidden, for search only
    assert not re.search(r"\b(AbstainDecision|RetrainPlan|PerformanceReport|DriftReport)\(", shown), \
        f"{name}: a raw repr is shown where a reader expects a sentence"
    if name == "02_inspect_drifted_features":
        _assert_02_names_the_drifted_features_with_onset(text, executed)
        # every feature dropdown starts on the most severe feature: the most drifted (plan, in the
        # distribution and signal charts) and the one whose link with the outcome changed (the concept drift)
        starts = re.findall(r'"name":\s*"feature",.{0,2000}?"value":\s*"([^"]+)"', shown, re.S)
        assert starts == ["plan", "plan", EVENTS["concept_drift"]["column"]], starts
    assert report_path.stat().st_size < REPORT_BUDGET, f"{name}: {report_path.stat().st_size:,} bytes"
    content = report_path.read_text()
    assert "VBox(children" not in content   # live widgets are replaced by a note, not dumped as text

    open_report = request.getfixturevalue("open_report")   # skips here (not above) when there is no browser
    report = open_report(report_path, timeout=60_000)
    assert report.problems == []
    expected = chart_outputs(executed)
    assert expected >= 2
    assert report.chart_placeholders() == expected
    assert report.rendered_charts() == expected
    if name == "02_inspect_drifted_features":
        _assert_feature_selector_switches(report)


def _assert_feature_selector_switches(report):
    """The distribution chart's dropdown (a Vega parameter) changes the plotted feature without a kernel."""
    page = report.page
    chart = page.locator(CHART_SELECTOR).filter(has=page.locator("select")).first
    select = chart.locator("select").first
    options = select.locator("option").all_text_contents()
    assert len(options) >= 2

    def x_labels() -> list[str]:
        return chart.locator('svg.marks g.role-axis[aria-label^="X-axis"] .role-axis-label text').all_text_contents()

    before = x_labels()
    select.select_option(options[1])
    page.wait_for_timeout(300)
    after = x_labels()
    assert before and after and before != after


PWNED = "window.__pwned=1"
HOSTILE_COLUMN = f"<script>{PWNED}</script>"
HOSTILE_VALUE = f'"><img src=x onerror="{PWNED}">'


def _hostile_model(root: Path) -> Path:
    """A tiny model whose column names and category values are HTML/script injections."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(4)

    def scored(n: int, start: str, prefix: str, shift: float) -> pd.DataFrame:
        spend = rng.normal(50 + shift, 10, n)
        score = 1 / (1 + np.exp(-(spend - 50) / 10))
        return pd.DataFrame({
            "customer_id": [f"{prefix}{i}" for i in range(n)],
            "event_time": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.integers(0, 6 * 86400, n), unit="s"),
            HOSTILE_COLUMN: spend, "plan": rng.choice(["basic", HOSTILE_VALUE], n),
            "churn_score": score, "churn_pred": (score >= 0.5).astype(int),
            "churned": (rng.random(n) < score).astype(int),
        })

    data = root / "data"
    data.mkdir(parents=True)
    scored(600, "2025-12-01", "B", 0).to_parquet(data / "baseline.parquet")
    frames = []
    for i, shift in enumerate((0, 8)):
        batch = scored(300, f"2026-01-{5 + 7 * i:02d}", f"P{i}-", shift)
        folder = data / "production" / f"week=2026-0{i + 1}"
        folder.mkdir(parents=True)
        batch.drop(columns="churned").to_parquet(folder / "part-0.parquet")
        frames.append(batch)
    pd.concat(frames)[["customer_id", "churned"]].to_parquet(data / "labels.parquet")
    return tk_new(root / "model", data)


def tk_new(folder: Path, data: Path) -> Path:
    from toolkit.reports import new_model

    return new_model(folder, data / "baseline.parquet", data / "production", labels=data / "labels.parquet",
                     target="churned", score="churn_score", prediction="churn_pred", timestamp="event_time",
                     id="customer_id", name=f"model {HOSTILE_COLUMN}")


@pytest.mark.slow
@pytest.mark.browser
def test_hostile_names_and_values_stay_text_in_real_reports(tmp_path, open_report):
    folder = _hostile_model(tmp_path)
    for name in ("01_compare_baseline", "02_inspect_drifted_features"):
        path = run_report(folder / f"{name}.ipynb", tmp_path / f"{name}.html")
        report = open_report(path, timeout=60_000)
        assert report.problems == []
        assert report.page.evaluate("typeof window.__pwned") == "undefined"
        assert report.page.locator("img[src=x]").count() == 0
        assert HOSTILE_COLUMN in report.page.inner_text("body")     # shown as text, not run


@pytest.mark.slow
def test_template_parameterised_with_a_parquet_glob_runs(tmp_path):
    """The same template on a model whose production is a Parquet glob, not a folder or a frame.

    Three weeks around the new plan's arrival (a clean week, then the week it appears): what the glob selects
    is all that is read, and the schema story still starts in the scripted week."""
    from toolkit.config import ModelConfig

    demo = ModelConfig.load(NOTEBOOKS / "model.yaml")
    data = (ROOT / "sample_data").resolve()
    assert EVENTS["new_plan"]["first_week"] == 12
    weeks = ["2026-11", "2026-12", "2026-13"]
    config = ModelConfig(name="demo from a glob", baseline=str(data / "baseline.parquet"),
                         production=str(data / "production" / "week=2026-1[1-3]" / "*.parquet"),
                         labels=str(data / "labels.parquet"), spec=demo.spec, window="batch")
    path = config.save(tmp_path / "model.yaml")
    assert ModelConfig.load(path).windows == weeks
    run_report(NOTEBOOKS / "01_compare_baseline.ipynb", tmp_path / "glob.html", keep_notebook=True,
               parameters={"config": str(path), "multivariate": False}, timeout=900)
    text = _outputs_text(tmp_path / "glob.executed.ipynb")
    assert f"window {weeks[-1]}" in text and f"plan: first error in window {week('new_plan')}" in text
