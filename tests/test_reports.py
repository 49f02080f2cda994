"""Reports: offline renderer, nbconvert template, run_report and the `toolkit report` CLI."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import ROOT, SMOKE_NOTEBOOK, SMOKE_TITLE
from toolkit import _render
from toolkit.cli import main, parse_param
from toolkit.reports import ReportError, md_escape, run_report, setup_notebook
from toolkit.reports._export import VegaBundlePreprocessor, export_html, external_resources

TOOLKIT_BIN = Path(sys.executable).parent / "toolkit"
BUNDLE_DEF = "window.vegaEmbed="  # the bundle's own definition, present once per copy
BODY = "<body class=\"jp-Notebook\""  # the page body (the bundle itself contains the text "<body")
CDN_WORDS = ("unpkg", "jsdelivr", "cdnjs", "require.js", "require.min.js", "mathjax.js", "tex-chtml", "mermaid.")
SPEC_RE = re.compile(r"var spec = (\{.*?\});\n", re.DOTALL)


def _specs(html: str) -> list[dict]:
    return [json.loads(m) for m in SPEC_RE.findall(html)]


def _chart_rows(spec: dict) -> pd.DataFrame:
    (values,) = spec["datasets"].values()
    return pd.DataFrame(values)


def _notebook(path: Path, *cells, kernel: bool = True) -> Path:
    nb = new_notebook(cells=list(cells))
    if kernel:
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _params_cell(source: str):
    return new_code_cell(source, metadata={"tags": ["parameters"]})


# ----------------------------------------------------------------------------- renderer, no kernel


def test_chart_html_is_escaped_and_self_contained():
    hostile = "</script><script>window.__pwned=1</script>\u2028"
    chart = alt.Chart(pd.DataFrame({"c": [hostile, "ok"], "n": [1, 2]})).mark_bar().encode(
        x="n:Q", y="c:N", tooltip=["c:N", "n:Q"])
    html = _render.toolkit_renderer(chart.to_dict(), include_bundle=False)["text/html"]
    # the only </script> is the chart script's own closing tag; data cannot open a new script
    assert html.count("</script>") == 1 and html.count("<script") == 1
    assert "\u2028" not in html
    (spec,) = _specs(html)
    assert spec["datasets"][next(iter(spec["datasets"]))][0]["c"] == hostile  # round-trips exactly
    # an IIFE: no global declarations that a second chart would collide with
    script = html.split('<script type="text/javascript">', 1)[1]
    assert script.lstrip().startswith("(function () {") and "const spec" not in script


def test_renderer_adds_bundle_to_first_chart_only_when_setup_did_not(monkeypatch):
    monkeypatch.setattr(_render._State, "bundle_shown", False)
    spec = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").to_dict()
    first, second = _render.toolkit_renderer(spec), _render.toolkit_renderer(spec)
    assert first["text/html"].count(BUNDLE_DEF) == 1
    assert BUNDLE_DEF not in second["text/html"]
    assert first["text/plain"].startswith("<Altair chart: point, 1 data rows")


def test_setup_notebook_enables_renderer_and_embed_options():
    try:
        setup_notebook(renderer="canvas")
        assert alt.renderers.active == "toolkit"
        bundle = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")._repr_mimebundle_()
        opt = json.loads(re.search(r"var opt = (\{.*?\});", bundle["text/html"]).group(1))
        assert opt["renderer"] == "canvas" and opt["mode"] == "vega-lite" and opt["actions"]["editor"] is False
    finally:
        alt.renderers.enable("default")


def test_bundle_is_wrapped_guarded_and_cached(tmp_path, monkeypatch):
    body = _render.bundle_script_body("window.vegaEmbed=1;")
    assert body.startswith("(function () {\nif (window.vegaEmbed) { return; }")
    js = _render.vega_javascript()
    assert BUNDLE_DEF in js and "</script" not in js.lower() and len(js) > 500_000
    stripped, found = _render.strip_bundles("<p>a</p>" + _render.bundle_html("X=1;") + "<p>b</p>")
    assert stripped == "<p>a</p><p>b</p>" and found.endswith("X=1;\n})();")


def _chart_output(chart, include_bundle):
    data = _render.toolkit_renderer(chart.to_dict(), include_bundle=include_bundle)
    return new_output("display_data", data=data)


def test_preprocessor_keeps_one_bundle_and_drops_widget_state(tmp_path):
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q")
    setup_output = new_output("display_data", data={"text/html": _render.bundle_html("window.vegaEmbed=function(){};"),
                                                    "text/plain": ""})
    nb = new_notebook(cells=[
        new_markdown_cell("# Two bundles"),
        new_code_cell("setup", outputs=[setup_output]),
        new_code_cell("a", outputs=[_chart_output(chart, True)]),  # a second copy, as a re-run would leave
        new_code_cell("b", outputs=[_chart_output(chart, False)]),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    nb, resources = VegaBundlePreprocessor().preprocess(nb, {})
    assert resources["toolkit_chart_count"] == 2
    assert resources["toolkit_vega_bundle"].endswith("window.vegaEmbed=function(){};\n})();")  # the first copy
    assert nb.cells[1].outputs == []  # output that held only the bundle is gone
    assert all(BUNDLE_DEF not in o.data["text/html"] for c in nb.cells[2:] for o in c.outputs)
    assert "widgets" not in nb.metadata

    out = export_html(nb, tmp_path / "two.html")
    html = out.read_text()
    assert html.count('data-toolkit-role="vega-bundle"') == 1
    assert html.index('data-toolkit-role="vega-bundle"') < html.index(BODY)
    assert "<title>Two bundles</title>" in html
    assert "widget-state" not in html and external_resources(html) == []


def test_export_without_charts_has_no_bundle(tmp_path):
    nb = new_notebook(cells=[new_code_cell("1", outputs=[new_output("execute_result", data={"text/plain": "1"},
                                                                    execution_count=1)])])
    html = export_html(nb, tmp_path / "plain.html").read_text()
    assert "vega-bundle" not in html and "vegaEmbed" not in html
    assert external_resources(html) == [] and "<script src" not in html


def test_external_resources_finds_cdn_loads():
    html = ('<script src="https://cdn.jsdelivr.net/npm/vega@6"></script><link href="//unpkg.com/x.css" rel="stylesheet">'
            "<style>@import url('https://fonts.googleapis.com/css');</style><a href='#local'>x</a>")
    assert external_resources(html) == [
        "https://cdn.jsdelivr.net/npm/vega@6", "//unpkg.com/x.css", "https://fonts.googleapis.com/css"]


@pytest.mark.parametrize(("text", "expected"), [
    ("n=5", ("n", 5)), ("x=0.25", ("x", 0.25)), ("on=true", ("on", True)), ("off=False", ("off", False)),
    ("v=null", ("v", None)), ("v=~", ("v", None)), ("s=", ("s", "")), ("s='007'", ("s", "007")),
    ("region=no", ("region", "no")), ("d=2026-01-05", ("d", "2026-01-05")),
    ("p=../data/week=2026-01/part-0.parquet", ("p", "../data/week=2026-01/part-0.parquet")),
    ("l=[1, 2]", ("l", "[1, 2]")), ("t=a: b", ("t", "a: b")), ("t=@x", ("t", "@x")),
])
def test_parse_param(text, expected):
    assert parse_param(text) == expected


@pytest.mark.parametrize("text", ["novalue", "1x=3", "=3", "a b=1"])
def test_parse_param_rejects_bad_keys(text):
    with pytest.raises(Exception, match="key=value"):
        parse_param(text)


def test_md_escape_makes_markup_inert():
    from nbconvert.filters import markdown2html

    hostile = '<script>window.__pwned=1</script> *x* [a](b) "><img src=x onerror="y">'
    html = markdown2html(f"- {md_escape(hostile)}")
    assert "<script" not in html and "<img" not in html and "<em>" not in html and "<a " not in html
    assert "&lt;script&gt;" in html


def test_run_report_validates_arguments(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", new_code_cell("1"))
    with pytest.raises(FileNotFoundError, match="missing.ipynb"):
        run_report(tmp_path / "missing.ipynb")
    with pytest.raises(TypeError, match="parameters must be a dict"):
        run_report(nb, tmp_path / "o.html", parameters=[("a", 1)])
    with pytest.raises(ValueError, match="identifiers"):
        run_report(nb, tmp_path / "o.html", parameters={"not ok": 1})
    with pytest.raises(ValueError, match=r"\.html"):
        run_report(nb, tmp_path / "o.pdf")
    with pytest.raises(TypeError, match="parameter 'frame' has type DataFrame"):
        run_report(nb, tmp_path / "o.html", parameters={"frame": pd.DataFrame()})


def test_parameters_become_values_papermill_writes_faithfully():
    import datetime as dt

    import numpy as np

    from toolkit.reports._run import _check_parameters

    got = _check_parameters({"p": Path("data/x.parquet"), "d": dt.date(2026, 1, 5), "n": np.int64(3),
                             "f": np.float32(0.5), "t": (1, "a"), "m": {"k": [np.int64(1)]}, "b": np.bool_(True)})
    assert got == {"p": "data/x.parquet", "d": "2026-01-05", "n": 3, "f": 0.5, "t": [1, "a"], "m": {"k": [1]},
                   "b": True}
    assert type(got["n"]) is int and type(got["b"]) is bool


# ----------------------------------------------------------------------------- the smoke report


def test_smoke_report_is_one_offline_file(smoke_report):
    html = smoke_report.read_text(encoding="utf-8")
    assert sorted(p.name for p in smoke_report.parent.iterdir()) == ["smoke.executed.ipynb", "smoke.html"]
    # the Vega JavaScript exactly once, in <head>; both charts present
    assert html.count(BUNDLE_DEF) == 1
    assert html.count('data-toolkit-role="vega-bundle"') == 1
    assert html.index(BUNDLE_DEF) < html.index(BODY)
    assert html.count('data-toolkit-role="vega-chart"') == 2
    # nothing fetched: no src/href/url() to the network, no CDN script names, CSS inline
    assert external_resources(html) == []
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    lowered = html.lower()
    assert not [w for w in CDN_WORDS if w in lowered]
    assert "<link" not in lowered and "<script src" not in lowered and "<style" in lowered
    # no code and no prompts
    for code in ("pd.read_parquet(", "from toolkit.reports import", "alt.Chart(", "baseline_path ="):
        assert code not in html
    assert not re.search(r"(In|Out)(&nbsp;|\s)?\[[\d\s]*(&nbsp;)?\]:", html)
    for element in ('class="jp-CodeMirrorEditor', 'class="jp-InputPrompt', 'class="jp-OutputPrompt', 'class="highlight'):
        assert element not in html


def test_smoke_report_injects_parameters_and_draws_aggregates(smoke_report, smoke_data):
    path, frame = smoke_data
    html = smoke_report.read_text(encoding="utf-8")
    # the injected title (escaped) and the injected data set's size
    assert md_escape(SMOKE_TITLE) in html and SMOKE_TITLE not in html
    assert f"{len(frame):,} rows and {frame.shape[1]} columns" in html
    executed = nbformat.read(smoke_report.with_name("smoke.executed.ipynb"), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f'baseline_path = "{path}"' in injected[0].source
    # the setup cell's bundle output is marked, and stripped from the report
    setup_outputs = executed.cells[1].outputs
    assert setup_outputs[0].metadata["toolkit"]["role"] == "vega-bundle"

    counts_spec, missing_spec = _specs(html)
    counts = _chart_rows(counts_spec)
    assert set(counts["column"]) == {"plan", "region", "active"}  # visits has > 50 values, amount is float
    for column in ("plan", "region"):
        got = counts[counts["column"] == column].set_index("category")["rows"].sort_index()
        want = frame[column].value_counts().sort_index()
        assert got.to_dict() == want.to_dict()
    assert counts_spec["params"][0]["bind"]["options"] == ["plan", "region", "active"]
    missing = _chart_rows(missing_spec).set_index("column")
    assert missing.loc["amount", "nulls"] == frame["amount"].isna().sum() > 0
    assert missing.loc["plan", "nulls"] == 0
    assert len(counts) + len(missing) < 50  # aggregates, not rows


def test_failing_notebook_names_notebook_cell_and_error(tmp_path):
    nb = _notebook(
        tmp_path / "broken.ipynb",
        _params_cell("limit = 1"),
        new_code_cell("x = limit + 1"),
        new_code_cell("if x > limit:\n    raise ValueError(f'limit {limit} exceeded: x={x}')"),
        new_code_cell("print('never')"),
    )
    out = tmp_path / "out" / "broken.html"
    with pytest.raises(ReportError) as info:
        run_report(nb, out, parameters={"limit": 41})
    err = info.value
    message = str(err)
    assert "broken.ipynb" in message and "cell index 2" in message and "'if x > limit:'" in message
    assert "ValueError: limit 41 exceeded: x=42" in message and "\n" not in message
    assert (err.cell_index, err.ename) == (2, "ValueError")  # index in the template, not papermill's copy
    assert err.executed == out.with_name("broken.failed.ipynb") and str(err.executed) in message
    failed = nbformat.read(err.executed, as_version=4)
    errors = [c.source for c in failed.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert errors == [nbformat.read(nb, as_version=4).cells[2].source]
    assert not out.exists()


def test_relative_paths_resolve_in_notebook_folder(tmp_path, monkeypatch):
    folder = tmp_path / "model"
    folder.mkdir()
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(folder / "data.parquet")
    nb = _notebook(folder / "rel.ipynb", _params_cell('data_path = "data.parquet"'),
                   new_code_cell("import pandas as pd\nprint('total', pd.read_parquet(data_path)['a'].sum() * 1000)"))
    monkeypatch.chdir(tmp_path)  # elsewhere: the kernel must still run in the notebook's folder
    out = run_report(Path("model/rel.ipynb"), "reports/rel.html")
    assert out == Path("reports/rel.html")
    html = (tmp_path / "reports" / "rel.html").read_text()
    assert "total 6000" in html and "vega-bundle" not in html  # no charts: no Vega JavaScript at all


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no ipc transport")
def test_report_kernels_talk_over_unix_sockets_not_raced_tcp_ports(tmp_path):
    # over TCP two kernels starting at once can pick the same free port and one dies ("Address already in use",
    # "Kernel died before replying to kernel_info": a CI run failed so); a Unix socket has nothing to race for
    import glob
    import tempfile

    before = set(glob.glob(f"{tempfile.gettempdir()}/toolkit-kernel-*"))
    nb = _notebook(tmp_path / "t.ipynb", new_code_cell(
        "from ipykernel.kernelapp import IPKernelApp\n"
        "app = IPKernelApp.instance()\n"
        "print('transport', app.transport, 'socket-dir', app.ip.rsplit('/', 1)[0])\n"
        "import os\nprint('report kernel', os.environ.get('TOOLKIT_REPORT_KERNEL'))"))
    html = run_report(nb, tmp_path / "t.html").read_text()
    assert f"transport ipc socket-dir {tempfile.gettempdir()}" in html
    assert "report kernel 1" in html   # marked, so it may defer import-time work no report uses
    assert set(glob.glob(f"{tempfile.gettempdir()}/toolkit-kernel-*")) <= before   # the sockets are removed


# ----------------------------------------------------------------------------- command line


def test_cli_report_success_and_failure(tmp_path, smoke_data):
    path, frame = smoke_data
    run = subprocess.run(
        [str(TOOLKIT_BIN), "report", str(SMOKE_NOTEBOOK), "--param", f"baseline_path={path}",
         "--param", "title=From the CLI", "--param", "max_categories=2", "--output-dir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    report = tmp_path / "out" / "00_smoke.html"
    html = report.read_text()
    assert "From the CLI" in html and "00_smoke.ipynb" in run.stderr and re.search(r"in \d+\.\d s", run.stderr)
    counts = _chart_rows(_specs(html)[0])
    assert counts.groupby("column").size().max() == 2  # max_categories=2 arrived as an int

    reader = _notebook(tmp_path / "reader.ipynb", _params_cell('path = "data.csv"'),
                       new_code_cell("text = open(path).read()"))
    bad = subprocess.run(
        [str(TOOLKIT_BIN), "report", str(reader), "-p", "path=does-not-exist.csv",
         "-o", str(tmp_path / "bad.html"), "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert bad.returncode == 1
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("toolkit: error: ")  # one line, no kernel noise
    assert "reader.ipynb" in lines[0] and "FileNotFoundError" in lines[0] and "does-not-exist.csv" in lines[0]
    assert "cell index 1" in lines[0] and "bad.failed.ipynb" in lines[0]
    assert not (tmp_path / "bad.html").exists()


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["report", "a.ipynb", "b.ipynb", "-o", str(tmp_path / "x.html")]) == 2
    assert "use --output-dir" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nope.ipynb"), "-q"]) == 2
    assert "nope.ipynb' does not exist" in capsys.readouterr().err
    run = subprocess.run([sys.executable, "-m", "toolkit", "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("toolkit ")


def test_cli_report_leaves_the_callers_environment_as_it_was(tmp_path, monkeypatch):
    # the run's settings (no engine progress bars, deferred imports) reach its kernels, not the caller: an
    # in-process main() once left TOOLKIT_PROGRESS=off behind and silenced another test's progress bar
    import os

    from toolkit.cli import _report_environment

    for name in ("TOOLKIT_PROGRESS", "TOOLKIT_REPORT_KERNEL"):
        monkeypatch.delenv(name, raising=False)
    nb = _notebook(tmp_path / "t.ipynb", new_code_cell("1"))
    assert main(["report", str(nb), "--all-windows", "-q"]) == 2   # returns from inside the run's environment
    assert "TOOLKIT_PROGRESS" not in os.environ and "TOOLKIT_REPORT_KERNEL" not in os.environ
    monkeypatch.setenv("TOOLKIT_PROGRESS", "on")   # the user's own choice is kept, and left in place
    with _report_environment():
        assert (os.environ["TOOLKIT_PROGRESS"], os.environ["TOOLKIT_REPORT_KERNEL"]) == ("on", "1")
    assert os.environ["TOOLKIT_PROGRESS"] == "on" and "TOOLKIT_REPORT_KERNEL" not in os.environ


@pytest.mark.skipif(not (ROOT / "sample_data" / "baseline.parquet").exists(), reason="sample_data not generated")
def test_smoke_report_on_demo_data_with_defaults(tmp_path):
    """What `make report` runs: the template's own default parameters, relative to notebooks/."""
    html = run_report(SMOKE_NOTEBOOK, tmp_path / "demo.html").read_text()
    baseline = pd.read_parquet(ROOT / "sample_data" / "baseline.parquet", columns=["plan"])
    assert f"{len(baseline):,} rows" in html
    counts = _chart_rows(_specs(html)[0])
    plan = counts[counts["column"] == "plan"].set_index("category")["rows"]
    assert plan.to_dict() == baseline["plan"].value_counts().to_dict()


def test_cell_timeout_names_the_cell(tmp_path):
    nb = _notebook(tmp_path / "slow.ipynb", new_code_cell("x = 1"), new_code_cell("import time\ntime.sleep(60)"))
    with pytest.raises(ReportError, match=r"slow.ipynb' timed out at cell index 1 \('import time'\) after 1 s"):
        run_report(nb, tmp_path / "slow.html", timeout=1)


def _run_alone(coroutine):
    """Run ``coroutine`` on a loop of its own thread (a worker may hold a running loop in this one)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_report_clients_wait_for_replies_in_short_polls(monkeypatch):
    """nbclient waits for a cell's reply with one ZeroMQ poll for the whole cell timeout: a missed wake-up made
    template 02 take 617 s instead of 10 with the kernel idle (a CI run, four reports at once). Report kernels'
    clients wait in polls of at most one second, each reading the socket afresh, up to the caller's deadline."""
    import asyncio
    from queue import Empty

    from jupyter_client.channels import AsyncZMQSocketChannel

    from toolkit.reports import _kernel
    from toolkit.reports._run import _kernel_manager

    client = _kernel_manager({})["kernel_manager_class"]().client()
    assert isinstance(client, _kernel.PolledKernelClient)
    assert client.shell_channel_class is _kernel.PolledChannel and client.iopub_channel_class is _kernel.PolledChannel

    asked, replies = [], [True]

    async def parent_get_msg(self, timeout=None):
        asked.append(timeout)
        if len(asked) < 3 or not replies:
            await asyncio.sleep(timeout or 0)
            raise Empty
        return {"msg_type": "execute_reply"}

    monkeypatch.setattr(_kernel, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", parent_get_msg)
    channel = _kernel.PolledChannel.__new__(_kernel.PolledChannel)
    for timeout in (None, 600):   # endless or a cell's timeout: three short polls, the third finds the reply
        asked.clear()
        assert _run_alone(channel.get_msg(timeout)) == {"msg_type": "execute_reply"}
        assert asked == [0.01] * 3
    asked.clear()
    replies.clear()
    with pytest.raises(Empty):   # nothing by the deadline: Empty, as before
        _run_alone(channel.get_msg(timeout=0.025))
    assert len(asked) >= 3 and all(t <= 0.01 for t in asked) and asked[-1] < 0.01
