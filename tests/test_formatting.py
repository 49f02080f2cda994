"""Report tables are formatted for people and never hide their latest windows."""
from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from toolkit import formatting, narrative
from toolkit._html import frame_to_html


def _cells(table_html: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in rows]


@pytest.mark.parametrize("value, expected", [
    (0.1234, "12.3%"), (0.0, "0.0%"), (1.0, "100.0%"), (float("nan"), ""), (None, "")])
def test_share(value, expected):
    assert formatting.share(value) == expected


@pytest.mark.parametrize("value, expected", [
    (0.012345, "0.0123"), (1.23456, "1.23"), (123.456, "123"), (12345.6, "12,346"), (7, "7"),
    (np.int64(123456), "123,456"), (0.0, "0"), (3.2e-7, "3.20e-07"), (-0.5, "-0.5"), (True, "yes")])
def test_number_three_significant_digits(value, expected):
    assert formatting.number(value) == expected


@pytest.mark.parametrize("value, expected", [
    (0.0, "< 1e-10"), (3e-251, "< 1e-10"), (9.99e-11, "< 1e-10"), (2e-7, "2e-07"), (0.04123, "0.0412"), (1.0, "1")])
def test_p_value_floor(value, expected):
    assert formatting.p_value(value) == expected


def test_format_frame_by_column_name():
    frame = pd.DataFrame({"window": ["a", "b"], "routed_share": [0.1919, 0.05], "p_value": [0.0, 0.2],
                          "accuracy": [0.68234, 0.9], "n": [8254, 12], "label_coverage": [0.108, np.nan]})
    out = formatting.format_frame(frame)
    assert out.loc[0].tolist() == ["a", "19.2%", "< 1e-10", "0.682", "8,254", "10.8%"]
    assert out.loc[1, "label_coverage"] == ""


def test_a_share_named_column_outside_0_1_is_not_a_percentage():
    out = formatting.format_frame(pd.DataFrame({"share_delta_pp": [12.5, -3.0]}))
    assert out["share_delta_pp"].tolist() == ["12.5", "-3"]


def test_long_window_table_keeps_the_latest_windows_and_says_what_it_elides():
    windows = [f"2026-{w:02d}" for w in range(1, 27)]
    frame = pd.DataFrame({"metric": np.repeat(["roc_auc", "accuracy", "f1"], 26), "window": windows * 3,
                          "value": np.linspace(0.5, 0.9, 78)})
    out = frame_to_html(frame, max_rows=60)
    shown = {row[1] for row in _cells(out)[1:]}
    assert "2026-26" in shown and "2026-21" in shown       # the latest windows, every metric
    assert len(shown) == 20 and "2026-06" not in shown      # 20 windows x 3 metrics = 60 rows
    assert "The 6 earlier windows (2026-01 .. 2026-06) are not shown" in html.unescape(out)


def test_short_window_table_is_complete_and_without_note():
    frame = pd.DataFrame({"window": ["w1", "w2"], "value": [0.1, 0.2]})
    out = frame_to_html(frame)
    assert [r[0] for r in _cells(out)[1:]] == ["w1", "w2"] and "not shown" not in out


def test_table_without_window_column_says_how_many_rows_it_cut():
    out = frame_to_html(pd.DataFrame({"x": range(70)}), max_rows=50)
    assert "20 more rows not shown" in out


def test_narrative_table_and_threshold_source_count_as_the_decision():
    class Decision:
        n_labelled = 77_911

    text = narrative.threshold_source(Decision(), "Threshold chosen on the baseline's 80,789 labelled rows.")
    assert text.items == ["Threshold chosen on the baseline's 77,911 labelled rows."]
    recent = narrative.threshold_source(Decision(), "Threshold chosen on 1,234 labelled production rows of windows a, b.")
    assert recent.items == ["Threshold chosen on 77,911 labelled production rows of windows a, b."]
    table = narrative.table(pd.DataFrame({"window": ["a"], "routed_share": [0.25]}), "Routing")
    assert "25.0%" in table._repr_html_() and "Routing" in table._repr_html_()


def test_verdict_card_escapes_and_orders_statuses():
    v = narrative.Verdict("Is <it> fine?", "act", "2026-20", ["<p>x</p>"], ["x"], "skipped <w>")
    page = v._repr_html_()
    assert "Is &lt;it&gt; fine?" in page and "skipped &lt;w&gt;" in page and 'data-toolkit-role="verdict"' in page
    assert narrative._worst(["ok", "act", "watch"]) == "act" and narrative._worst([]) == "ok"


def test_drift_run_start_is_the_current_run_not_the_first_ever():
    windows = ["w1", "w2", "w3", "w4", "w5"]
    assert narrative._run_start(windows, {"w1", "w3", "w4", "w5"}, "w5") == "w3"
    assert narrative._run_start(windows, {"w1"}, "w5") is None


def test_window_axis_shows_short_labels_for_weekly_dates():
    from toolkit.charts._theme import window_axis

    labels = [str(d.date()) for d in pd.date_range("2013-01-07", periods=40, freq="7D")]
    expr = window_axis(labels).to_dict()["labelExpr"]
    assert '"2013-01-07": "W02"' in expr and expr.endswith("|| datum.label")


def test_window_axis_leaves_ambiguous_year_number_labels_alone():
    from toolkit.charts._theme import window_axis

    assert "labelExpr" not in window_axis([f"2026-{w:02d}" for w in range(1, 10)]).to_dict()
