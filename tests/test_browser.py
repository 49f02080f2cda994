"""Reports in a real browser: headless Chromium, every network request blocked.

Skipped when /usr/bin/chromium is missing, unless TOOLKIT_REQUIRE_BROWSER=1 (CI), then they fail.
"""
from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from conftest import CHART_SELECTOR, SMOKE_NOTEBOOK, chart_outputs
from toolkit.reports import run_report

pytestmark = pytest.mark.browser

PWNED = "window.__pwned=1"
HOSTILE_SCRIPT = f"<script>{PWNED}</script>"
HOSTILE_IMG = f'"><img src=x onerror="{PWNED}">'


def _y_labels(report, index: int) -> list[str]:
    chart = report.page.locator(CHART_SELECTOR).nth(index)
    return chart.locator('svg.marks g.role-axis[aria-label^="Y-axis"] .role-axis-label text').all_text_contents()


def test_smoke_report_renders_offline(browser, smoke_report, open_report):
    report = open_report(smoke_report)
    assert report.problems == []
    expected = chart_outputs(smoke_report.with_name("smoke.executed.ipynb"))
    assert expected == 2
    assert report.chart_placeholders() == expected
    assert report.rendered_charts() == expected
    assert report.page.evaluate("typeof window.vegaEmbed") == "function"
    assert report.page.evaluate("document.querySelectorAll('script[src], link[href]').length") == 0


def test_dropdown_changes_what_is_plotted(browser, smoke_report, smoke_data, open_report):
    _, frame = smoke_data
    report = open_report(smoke_report)
    chart = report.page.locator(CHART_SELECTOR).first
    select = chart.locator(".vega-bindings select")
    assert select.locator("option").all_text_contents() == ["plan", "region", "active"]
    assert set(_y_labels(report, 0)) == set(frame["plan"].unique())
    before = chart.locator("svg.marks").inner_html()

    select.select_option("region")
    report.page.wait_for_function(
        "([sel, old]) => document.querySelector(sel + ' svg.marks').innerHTML !== old",
        arg=[CHART_SELECTOR, before], timeout=5000,
    )
    assert set(_y_labels(report, 0)) == set(frame["region"].unique())
    bars = chart.locator("svg .mark-rect path")
    assert bars.count() == frame["region"].nunique()
    assert report.problems == []


def test_tooltips_work_offline(browser, smoke_report, smoke_data, open_report):
    _, frame = smoke_data
    report = open_report(smoke_report)
    top = frame["plan"].value_counts()
    # bars are sorted by rows, descending: the first bar is the most frequent plan
    report.page.locator(CHART_SELECTOR).first.locator("svg .mark-rect path").first.hover()
    tooltip = report.page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5000)
    text = tooltip.inner_text()
    assert top.index[0] in text and f"{top.iloc[0]:,}" in text
    assert report.problems == []


def test_hostile_column_names_and_values_stay_text(browser, tmp_path, open_report):
    n = 120
    data = pd.DataFrame({
        HOSTILE_SCRIPT: [HOSTILE_SCRIPT, "plain"] * (n // 2),
        HOSTILE_IMG: [HOSTILE_IMG, "other", "third"] * (n // 3),
        "amount": [float(i) if i % 7 else None for i in range(n)],
    })
    data_path = tmp_path / "hostile.parquet"
    data.to_parquet(data_path)
    out = run_report(SMOKE_NOTEBOOK, tmp_path / "hostile.html",
                     parameters={"baseline_path": str(data_path), "title": HOSTILE_IMG})
    html = out.read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<script>window" not in html

    report = open_report(out)
    assert report.page.evaluate("typeof window.__pwned") == "undefined"
    assert report.problems == []  # an <img src=x> would have shown up as a failed file request
    assert report.rendered_charts() == 2
    assert report.page.locator("main img").count() == 0
    assert report.page.evaluate("document.querySelectorAll('main script').length") == 2  # the two charts only

    text = report.page.locator("main").inner_text()
    assert HOSTILE_SCRIPT in text and HOSTILE_IMG in text  # the summary shows them, as text
    options = report.page.locator(f"{CHART_SELECTOR} .vega-bindings select option").all_text_contents()
    assert options == [HOSTILE_SCRIPT, HOSTILE_IMG]
    chart_text = report.page.locator(CHART_SELECTOR).first.locator("svg.marks").text_content()
    assert "plain" in chart_text and "<script>" in chart_text  # axis labels (possibly truncated), as text

    # switching to the other hostile column runs its values through Vega too: still inert
    report.page.locator(f"{CHART_SELECTOR} .vega-bindings select").select_option(index=1)
    report.page.wait_for_function(
        "sel => document.querySelector(sel + ' svg.marks').textContent.includes('third')", arg=CHART_SELECTOR, timeout=5000)
    assert report.page.evaluate("typeof window.__pwned") == "undefined"
    assert report.problems == []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_charts_render_in_live_jupyterlab(browser, tmp_path, smoke_data):
    """The same renderer in a live JupyterLab: run all, re-run (bundle guard), save and reload."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    nb = nbformat.read(SMOKE_NOTEBOOK, as_version=4)
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    params.source = f"baseline_path = {str(smoke_data[0])!r}\ntitle = 'Live'\nmax_categories = 15"
    nbformat.write(nb, tmp_path / "live.ipynb")
    n_code_cells = sum(c.cell_type == "code" for c in nb.cells)
    port, token = _free_port(), "toolkit-test"
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", f"--LabApp.user_settings_dir={tmp_path / 'settings'}"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    context = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.3)
        context = browser.new_context()
        page = context.new_page()
        errors, blocked = [], []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))

        def _route(route):
            url = route.request.url
            if url.startswith((base, f"ws://127.0.0.1:{port}", "data:")):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        context.route("**/*", _route)
        charts = ".jp-Notebook .tk-vega-chart svg.marks"
        notebook = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
        idle = f"() => {{ const w = {notebook}; const k = w && w.sessionContext && w.sessionContext.session " \
               "&& w.sessionContext.session.kernel; return !!k && k.status === 'idle'; }"

        def command(name):  # fire and forget: the returned promise may wait on the kernel
            page.evaluate(f"() => {{ window.jupyterapp.commands.execute('{name}'); }}")

        last_count = """() => Math.max(0, ...Array.from(document.querySelectorAll('.jp-InputArea-prompt'))
                                 .map(p => parseInt((p.textContent.match(/\\d+/) || ['0'])[0], 10)))"""

        def run_all_and_wait():
            page.wait_for_function(idle, timeout=60_000)
            target = page.evaluate(last_count) + n_code_cells  # every code cell ran once more
            command("notebook:run-all-cells")
            page.wait_for_function(f"() => ({last_count})() >= {target}", timeout=60_000)
            page.wait_for_function(idle, timeout=60_000)
            page.wait_for_function("sel => document.querySelectorAll(sel).length === 2", arg=charts, timeout=10_000)

        page.goto(f"{base}/lab/tree/live.ipynb?token={token}")
        run_all_and_wait()
        run_all_and_wait()  # the setup cell runs again: its guarded bundle must be a no-op
        assert page.locator(charts).count() == 2
        command("docmanager:save")
        page.wait_for_function(f"() => {{ const w = {notebook}; return w && !w.context.model.dirty; }}", timeout=30_000)
        page.reload()  # the saved notebook re-renders its outputs, bundle first
        page.wait_for_function("sel => document.querySelectorAll(sel).length === 2", arg=charts, timeout=30_000)
        select = page.locator(".jp-Notebook .tk-vega-chart .vega-bindings select").first
        before = page.locator(charts).first.inner_html()
        select.select_option("region")
        page.wait_for_function("([sel, old]) => document.querySelector(sel).innerHTML !== old",
                               arg=[charts, before], timeout=5000)
        assert errors == [] and blocked == []
    finally:
        if context is not None:
            context.close()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
