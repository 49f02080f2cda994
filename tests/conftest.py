"""Shared fixtures and helpers.

- the demo scenario (sample_data/): ``truth``, ``baseline``, ``spec``, ``ref``, ``batches``, read once per worker;
- reports: a small synthetic data set, the smoke report built once per session, :func:`chart_outputs`;
- a headless-Chromium helper (``open_report``) that opens an HTML report fully offline;
- one Spark session per worker;
- how the suite is spread over the xdist workers (:func:`pytest_collection_modifyitems`).

A module that needs other data under one of these names defines its own fixture of that name, which wins.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "sample_data"
SMOKE_NOTEBOOK = ROOT / "notebooks" / "00_smoke.ipynb"

CHROMIUM = Path(os.environ.get("TOOLKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CHART_SELECTOR = '[data-toolkit-role="vega-chart"]'

# The rendering bundle cache stays shared (it only saves ~1.5 s per kernel); everything else the toolkit keeps
# under $XDG_CACHE_HOME (the last report timings, which decide the run order) is per test, below.
os.environ.setdefault("TOOLKIT_CACHE_DIR", str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                                              / "toolkit"))


# ----------------------------------------------------------------------------- how the suite runs


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Modules with the most ``slow`` tests first, each module kept whole; and ``xdist_group`` marks that work.

    `make test` runs ``pytest -n 2 --dist loadgroup``: xdist hands out the ``xdist_group`` units first, then the
    other tests in this order, one at a time to whichever worker is free. Starting the long end-to-end runs
    first leaves the many short tests to fill the end, so neither worker waits long for the other to finish
    a template run that happened to start last. Within a module the order stays as written.
    """
    weight: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        weight[module] = weight.get(module, 0) + (item.get_closest_marker("slow") is not None)
    first_seen = {m: i for i, m in enumerate(dict.fromkeys(item.nodeid.split("::", 1)[0] for item in items))}
    items.sort(key=lambda item: (-weight[item.nodeid.split("::", 1)[0]], first_seen[item.nodeid.split("::", 1)[0]]))
    if getattr(config.option, "loadgroup", False):       # set on each xdist worker under --dist loadgroup
        _apply_xdist_groups(items)


def _apply_xdist_groups(items) -> None:
    """Give each ``xdist_group`` test the ``@group`` suffix the loadgroup scheduler reads from its node id.

    pytest-xdist 3.8 appends it by assigning ``item._nodeid``, which pytest 9.2 no longer reads (node ids are
    structured, ``item._id``): every group is then silently scattered over both workers, and so are the module
    fixtures the group was meant to build once (pytest-dev/pytest-xdist#1386, fix pending in #1388). This does
    what xdist means to, and nothing when xdist already did it.
    """
    for item in items:
        nodeid = item.nodeid
        if nodeid.rfind("@") > nodeid.rfind("]"):
            continue                                  # already grouped (a pytest or xdist where the suffix works)
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if not names:
            continue
        grouped = f"{nodeid}@{'_'.join(names)}"
        if hasattr(item, "_id"):
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(grouped)
        else:
            item._nodeid = grouped


@pytest.fixture(autouse=True)
def _private_user_cache(tmp_path_factory, monkeypatch):
    """Each test sees an empty user cache, so no test's outcome depends on what ran before it on the machine
    (CI once failed because `toolkit report` timings from an earlier run reordered the progress lines)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


# ----------------------------------------------------------------------------- the demo scenario (sample_data/)


@pytest.fixture(scope="session")
def truth() -> dict:
    """The demo scenario's manifest (``sample_data/truth.json``): its weeks and scripted events."""
    import json

    return json.loads((DEMO / "truth.json").read_text())


@pytest.fixture(scope="session")
def baseline() -> pd.DataFrame:
    """The demo's 50,000-row baseline. Shared by every module of a worker: never modify it in place."""
    return pd.read_parquet(DEMO / "baseline.parquet")


@pytest.fixture(scope="session")
def spec(baseline):
    """The demo model's roles, inferred from its baseline."""
    import toolkit as tk

    return tk.ModelSpec.infer(baseline, target="churned", score="churn_score", prediction="churn_pred",
                              timestamp="event_time", id="customer_id")


@pytest.fixture(scope="session")
def ref(baseline, spec):
    """The demo baseline's profile (kinds, edges, counts): what the engines must reproduce."""
    import toolkit as tk

    return tk.profile(baseline, spec)


@pytest.fixture(scope="session")
def batches() -> dict[str, pd.DataFrame]:
    """The demo's 26 weekly production batches (no target column), by label ``2026-01`` .. ``2026-26``."""
    import toolkit as tk

    return dict(tk.read_batches(DEMO / "production"))


# ----------------------------------------------------------------------------- data and reports


def small_frame(n: int = 1234, seed: int = 7) -> pd.DataFrame:
    """A seeded mixed-type frame: two categoricals, a boolean, a float with nulls, an integer."""
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 30.0, n)
    amount[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "plan": rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.3, 0.2]),
        "region": rng.choice(["north", "south", "east", "west", "centre"], n),
        "active": rng.random(n) < 0.7,
        "amount": amount,
        "visits": rng.poisson(3.0, n) + rng.integers(0, 200, n),
    })


def audit_population(seed: int, n: int = 200_000):
    """A seeded binary population for coverage simulations of weighted audit samples: labels (30% positive),
    scores on a 0.001 grid, predictions at 0.5 and inclusion probabilities 0.6 / 0.15 by predicted class.
    Returns ``(rng, y, s, p, pi)``; ``rng`` continues the same stream for the samples drawn from it."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(float)
    s = np.clip(np.round(rng.normal(0.35 + 0.3 * y, 0.15), 3), 0, 1)
    p = (s >= 0.5).astype(float)
    return rng, y, s, p, np.where(s >= 0.5, 0.6, 0.15)


def _hive_frame(rng, n, week=None) -> pd.DataFrame:
    x = rng.normal(0.0, 1.0, n)
    score = 1 / (1 + np.exp(-x))
    return pd.DataFrame({"id": np.arange(n) + (0 if week is None else week * 10_000), "x": x,
                         "c": rng.choice(["a", "b", "c"], n), "score": score, "pred": (score > 0.5).astype(int),
                         "y": (rng.random(n) < score).astype(int)})


@pytest.fixture()
def hive_model(tmp_path) -> Path:
    """A small binary model folder: 3,000 baseline rows and four weekly hive partitions of 800 rows
    (``production/week=2026-0N/part-0.parquet``), the target inside production; returns the folder."""
    import toolkit as tk

    rng = np.random.default_rng(3)
    _hive_frame(rng, 3000).to_parquet(tmp_path / "baseline.parquet")
    for week in range(1, 5):
        folder = tmp_path / "production" / f"week=2026-0{week}"
        folder.mkdir(parents=True)
        _hive_frame(rng, 800, week=week).to_parquet(folder / "part-0.parquet")
    spec = tk.ModelSpec(features=["x", "c"], target="y", score="score", prediction="pred", id="id",
                        kinds={"x": "numeric", "c": "categorical", "y": "categorical", "pred": "categorical",
                               "score": "numeric"}, task="binary", positive_label=1)
    tk.ModelConfig(name="cache test", baseline="baseline.parquet", production="production", spec=spec).save(
        tmp_path / "model.yaml")
    return tmp_path


@pytest.fixture(scope="session")
def smoke_data(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """``(path, frame)`` of :func:`small_frame` written as Parquet."""
    frame = small_frame()
    path = tmp_path_factory.mktemp("smoke-data") / "small.parquet"
    frame.to_parquet(path)
    return path, frame


SMOKE_TITLE = "Injected <title> & co 4711"


@pytest.fixture(scope="session")
def smoke_report(smoke_data, tmp_path_factory) -> Path:
    """The smoke template run on :func:`smoke_data` (executed notebook kept next to the HTML)."""
    from toolkit.reports import run_report

    out = tmp_path_factory.mktemp("smoke-report") / "smoke.html"
    return run_report(SMOKE_NOTEBOOK, out, parameters={"baseline_path": str(smoke_data[0]), "title": SMOKE_TITLE},
                      keep_notebook=True)


def chart_outputs(executed_notebook) -> int:
    """Charts an executed notebook displayed, counted from its outputs (not from the HTML under test)."""
    import nbformat

    from toolkit import _render

    nb = nbformat.read(executed_notebook, as_version=4)
    return sum(str(o.get("data", {}).get("text/html", "")).count(f'data-toolkit-role="{_render.CHART_ROLE}"')
               for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def chart_marks(spec: dict) -> list[str]:
    """Every mark type in a Vega-Lite spec (``chart.to_dict()``), through layers, facets and concatenations."""
    marks = []
    if "mark" in spec:
        mark = spec["mark"]
        marks.append(mark["type"] if isinstance(mark, dict) else mark)
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            marks += chart_marks(child)
    if isinstance(spec.get("spec"), dict):
        marks += chart_marks(spec["spec"])
    return marks


def profile_differences(a, b) -> list[str]:
    """Columns whose profiles differ (with what differs), for readable failures when engines must agree."""
    out = []
    for c in a.columns:
        if c not in b.columns:
            out.append(f"{c}: missing")
        elif not a[c].equals(b[c]):
            out.append(f"{c}: {a[c].summary()} != {b[c].summary()}")
    return out


@pytest.fixture(scope="module")
def contract(reference):
    """The contract inferred from the test module's own ``reference`` fixture (modules may override it)."""
    import toolkit as tk

    return tk.infer_contract(reference)


# ----------------------------------------------------------------------------- headless browser


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium via Playwright; skips when absent unless TOOLKIT_REQUIRE_BROWSER=1."""
    required = os.environ.get("TOOLKIT_REQUIRE_BROWSER") == "1"
    problem = None
    if not CHROMIUM.exists():
        problem = f"headless Chromium not found at {CHROMIUM} (apt-get install chromium, or set TOOLKIT_CHROMIUM)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            problem = "the playwright Python package is not installed (pip install playwright)"
    if problem:
        if required:
            pytest.fail(f"TOOLKIT_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(f"{problem}; set TOOLKIT_REQUIRE_BROWSER=1 to make this a failure")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class OpenedReport:
    """A report open in a fresh page, with everything that went wrong while loading it."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, blocked (non-file) and failed requests."""
        return (self.console_errors + [f"blocked: {u}" for u in self.blocked_requests]
                + [f"failed: {u}" for u in self.failed_requests])

    def rendered_charts(self) -> int:
        """Chart placeholders that now hold a Vega SVG or canvas."""
        return self.page.locator(f"{CHART_SELECTOR} svg.marks, {CHART_SELECTOR} canvas.marks").count()

    def chart_placeholders(self) -> int:
        return self.page.locator(CHART_SELECTOR).count()


@pytest.fixture
def open_report(browser):
    """``open_report(path) -> OpenedReport``: load an HTML report offline and wait for its charts.

    Every request that is not ``file:`` is aborted and recorded; console errors and uncaught page
    errors are recorded; the call returns once every chart placeholder holds a rendered view (or
    reported a failure), or raises after ``timeout`` ms.
    """
    contexts = []

    def _open(path: str | Path, timeout: float = 20_000) -> OpenedReport:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        report = OpenedReport(page)
        page.on("console", lambda m: m.type == "error" and report.console_errors.append(m.text))
        page.on("pageerror", lambda e: report.console_errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: report.failed_requests.append(r.url))

        def _route(route):
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                report.blocked_requests.append(route.request.url)
                route.abort()

        context.route("**/*", _route)
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        page.wait_for_function(
            """sel => Array.from(document.querySelectorAll(sel)).every(
                   d => d.querySelector('svg.marks, canvas.marks') || d.textContent.includes('could not be drawn'))""",
            arg=CHART_SELECTOR, timeout=timeout,
        )
        return report

    yield _open
    for context in contexts:
        context.close()


# ----------------------------------------------------------------------------- Spark


@pytest.fixture(scope="session")
def spark():
    """One local Spark session per test worker (the Spark tests share one xdist group)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.skip("pyspark is not installed (pip install 'toolkit[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed (Spark needs Java 17: apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("toolkit-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").config("spark.default.parallelism", "2")
               .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "1g")
               .config("spark.sql.adaptive.enabled", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# ----------------------------------------------------------------------------- the demo under another engine


def demo_config(tmp_path: Path, engine: str, weeks, **changes):
    """The demo's ModelConfig on a copy of some of its production weeks (hive folders under ``tmp_path``), read
    with ``engine``; ``changes`` replace other fields (``row_budget=...``)."""
    import dataclasses
    import shutil

    import toolkit as tk

    data = ROOT / "sample_data"
    for week in weeks:
        target = tmp_path / "production" / f"week={week}"
        if not target.exists():
            shutil.copytree(data / "production" / f"week={week}", target)
    base = tk.ModelConfig.load(ROOT / "notebooks" / "model.yaml")
    cfg = dataclasses.replace(base, production=str(tmp_path / "production"), labels=str(data / "labels.parquet"),
                              baseline=str(data / "baseline.parquet"), engine=engine, **changes)
    object.__setattr__(cfg, "root", tmp_path)
    return cfg


def assert_frames_identical(a: pd.DataFrame, b: pd.DataFrame, columns=None) -> None:
    """``columns`` (default: all of ``a``'s, which ``b`` must have in order) equal: text exactly, numbers to
    1e-9 (NaN where the other is NaN)."""
    import numpy as np

    if columns is None:
        assert list(a.columns) == list(b.columns)
        columns = a.columns
    assert len(a) == len(b) > 0
    for col in columns:
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            np.testing.assert_allclose(y.astype(float), x.astype(float), rtol=0, atol=1e-9, err_msg=col)
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), col
