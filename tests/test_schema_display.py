"""Notebook display: escaped HTML grouped by column, the text message, the summary frame and the chart."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.charts.schema import validation_chart

EVIL_COLUMN = '"><img src=x onerror=alert(1)>'
SCRIPT = "<script>alert('x')</script>"
SAFE_TAGS = {"style", "div", "h4", "h5", "p", "span", "table", "thead", "tbody", "tr", "th", "td", "code", "ul",
             "li", "b", "details", "summary", "em"}


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = set(), set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    return collector


@pytest.fixture(scope="module")
def evil():
    rng = np.random.default_rng(0)
    n = 600
    ref = pd.DataFrame({
        EVIL_COLUMN: rng.normal(50, 5, n),
        "größe_€": rng.choice(["klein", "groß", "日本"], n),
        SCRIPT: rng.choice(["a", "b"], n),
    })
    contract = tk.infer_contract(ref)
    batch = ref.copy()
    batch[EVIL_COLUMN] = batch[EVIL_COLUMN] * 10
    batch["größe_€"] = batch["größe_€"].where(rng.random(n) > 0.3, '"><img src=x onerror=alert(2)>')
    batch[SCRIPT] = batch[SCRIPT].where(rng.random(n) > 0.5, SCRIPT)
    batch = batch.assign(**{"<b>new</b>": 1})
    return contract, batch, contract.validate(batch)


def test_html_escapes_names_and_values(evil):
    contract, batch, result = evil
    html = result._repr_html_()
    scoped = lambda text: re.sub(r"tk-[0-9a-f]{8}", "tk-id", text)  # the CSS scope id is fresh per render
    assert scoped(html) == scoped(result.to_html())
    parsed = parse(html)
    assert parsed.tags <= SAFE_TAGS, parsed.tags - SAFE_TAGS
    assert "onerror" not in parsed.attrs and "src" not in parsed.attrs
    assert "<script>" not in html and "<img" not in html
    text = "".join(parsed.text)
    for name in (EVIL_COLUMN, "größe_€", SCRIPT, "<b>new</b>"):
        assert name in text  # shown, as text
    for html_of in (contract._repr_html_(), tk.guard(batch, contract, max_failure_share=1,
                                                      strict_columns=False)._repr_html_()):
        parsed = parse(html_of)
        assert parsed.tags <= SAFE_TAGS and "onerror" not in parsed.attrs


def test_html_groups_failures_by_column_with_severity_colours(evil):
    _, _, result = evil
    html = result.to_html()
    for column in result.failures["column"].unique():
        assert html.count(f"</span> {__import__('html').escape(column)}</h5>") == 1
    assert "#c0392b" in html and "#d68910" in html  # error and warning colours


@pytest.mark.browser
@pytest.mark.browser
def test_html_runs_no_script_in_a_browser(evil, tmp_path, browser):
    _, _, result = evil
    page_file = tmp_path / "result.html"
    page_file.write_text(f"<html><meta charset='utf-8'><body>{result.to_html()}</body></html>", encoding="utf-8")
    context = browser.new_context()   # the session's shared Chromium (conftest): one Playwright per process
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(page_file.as_uri())
    page.wait_for_timeout(200)
    images = page.locator("img").count()
    context.close()
    assert dialogs == [] and images == 0


def test_message_lists_every_failure_and_the_fixes(evil):
    _, _, result = evil
    message = result.message()
    assert len(message.splitlines()) == 1 + len(result.failures)
    assert repr(result).startswith("ValidationResult(ok=False")


def test_summary_frame_per_column(evil):
    contract, batch, result = evil
    summary = result.summary.set_index("column")
    assert list(summary.index) == list(contract.columns)
    assert summary.loc["größe_€", "unseen_share"] == pytest.approx((~batch["größe_€"].isin(["klein", "groß", "日本"])).mean())
    assert summary.loc[EVIL_COLUMN, "out_of_range_share"] > 0.9
    assert summary.loc[EVIL_COLUMN, "status"] == "error"
    assert summary.loc["größe_€", "null_rate"] == 0 and summary.loc["größe_€", "null_rate_reference"] == 0


def test_chart_is_built_from_the_aggregates_with_tooltips(evil):
    _, _, result = evil
    spec = result.chart().to_dict()
    assert "config" in spec and len(spec["hconcat"]) == 2
    marks = [layer for layer in spec["hconcat"][0]["layer"]] + [spec["hconcat"][1]]
    assert all("tooltip" in m["encoding"] for m in marks)
    sizes = [len(rows) for rows in spec["datasets"].values()]
    assert max(sizes) <= 2 * len(result.summary)
    assert EVIL_COLUMN in json.dumps(spec)  # names travel as data; vega renders them as text
    with pytest.raises(ValueError, match="charts are drawn from aggregated result frames"):
        validation_chart(pd.DataFrame({"column": range(5000)}))


def test_ok_result_renders_a_pass_line():
    ref = pd.DataFrame({"x": np.arange(100.0)})
    result = tk.infer_contract(ref).validate(ref)
    assert "All checks passed on 100 rows." in result.to_html()
    assert result.headline == "batch of 100 rows passes the contract: 0 errors, 0 warnings, 0 info"
