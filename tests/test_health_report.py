"""The health template (notebooks/00_model_health.ipynb) runs on the demo, leads with the verdict,
links the deeper templates, and opens offline in Chromium with its status strip drawn."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from toolkit.reports import run_report, template_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "00_model_health.ipynb"


@pytest.fixture(scope="module")
def health_report(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("health-report") / "00_model_health.html"
    start = time.perf_counter()
    run_report(NOTEBOOK, out, parameters={"window": "2026-20"})
    return out, time.perf_counter() - start


def test_health_template_is_listed_first():
    assert template_notebooks(ROOT / "notebooks")[0].name == "00_model_health.ipynb"


def test_health_template_leads_with_the_verdict(health_report):
    path, _ = health_report
    html = path.read_text(encoding="utf-8")
    first = html.index("Churn model (demo)")
    assert html.index("window <b>2026-20</b>") >= first
    for text in ("monthly_charge_usd", "likely cause of this window", "concept drift", "02_inspect_drifted_features.html",
                 "04_fallback_thresholds.html", "01_compare_baseline.html", "03_estimate_degradation.html"):
        assert text in html, text
    # the verdict comes before any table of evidence
    assert html.index("likely cause of this window") < html.index("evidence")


@pytest.mark.browser
def test_health_report_opens_offline(health_report, open_report):
    path, _ = health_report
    opened = open_report(path)
    assert opened.problems == []
    assert opened.page.locator('[data-toolkit-role="vega-chart"] svg.marks, [data-toolkit-role="vega-chart"] canvas.marks').count() == 1
