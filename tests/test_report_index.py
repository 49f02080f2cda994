"""`toolkit report FOLDER` / run_folder: every template of a model folder, one HTML each, and index.html."""
from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from test_new_model import ROLES, ROWS_SOURCE, notebook, params_cell, write_tiny_model
from toolkit.cli import main
from toolkit.reports import ReportError, new_model, run_folder
from toolkit.reports._export import external_resources
from toolkit.reports._index import _window_slugs

HOSTILE_NAME = '<script>window.__pwned=1</script> & "Co"'
HOSTILE_WINDOW = "<img src=x onerror=window.__pwned=2>"   # a partition folder name: no slash allowed
WINDOWS = ["2026-01", HOSTILE_WINDOW]                      # sorted: the hostile one is the latest
HOSTILE_TITLE = "Overall <b>view</b> & more"
BROKEN_SOURCE = (
    "from toolkit.config import ModelConfig\n"
    "cfg = ModelConfig.load(config)\n"
    "if window == cfg.windows[0]:\n"
    "    raise ValueError(f'no data for {window}')"
)


class _Links(HTMLParser):
    """Collects link targets, table rows (cell texts) and the page's visible text."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self.tags: set[str] = set()
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _templates(folder: Path) -> Path:
    folder.mkdir()
    notebook(folder / "01_rows.ipynb", new_markdown_cell("# Rows in a window"), params_cell(), new_code_cell(ROWS_SOURCE))
    notebook(folder / "02_broken.ipynb", new_markdown_cell("# Broken on the first week"), params_cell(),
             new_code_cell(BROKEN_SOURCE))
    # no window parameter: runs once, even with --all-windows
    notebook(folder / "03_overall.ipynb", new_markdown_cell(f"# {HOSTILE_TITLE}"), params_cell('config = "model.yaml"'),
             new_code_cell("print('overall')"))
    notebook(folder / "00_smoke.ipynb", new_code_cell("raise RuntimeError('00_smoke must be skipped')"))
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A model folder made by new_model, with a hostile name and a hostile window label."""
    root = tmp_path_factory.mktemp("index")
    tiny = write_tiny_model(root, weeks=WINDOWS)
    return new_model(root / "model", tiny["baseline"], tiny["production"], labels=tiny["labels"],
                     templates=_templates(root / "templates"), name=HOSTILE_NAME, **ROLES)


# ----------------------------------------------------------------------------- the real run


def test_make_report_style_run_with_all_windows(model):
    """What `make report` runs (a folder with a trailing slash, --output-dir relative), plus --all-windows.

    One test, so the seven kernel runs happen once even when pytest-xdist spreads tests over workers."""
    run = subprocess.run(
        [sys.executable, "-m", "toolkit", "report", "model/", "--output-dir", "reports", "--all-windows"],
        capture_output=True, text=True, timeout=600, cwd=model.parent,
    )
    reports = model.parent / "reports"

    # progress per notebook, then the failures, exit code 1
    assert run.returncode == 1, run.stderr
    # each announcement where it is in the stream: a kernel's own stderr (the kernels share the CLI's) can put a
    # partial line before one (a CI run: "[2/7] 02_broken..." joined the end of another line)
    progress = re.findall(r"\[\d/7\] [^\n]*? -> ", run.stderr)   # only announcements have the arrow
    assert [line.split(" -> ")[0] for line in progress] == [
        "[1/7] 01_rows.ipynb", "[2/7] 02_broken.ipynb", "[3/7] 03_overall.ipynb",
        "[4/7] 01_rows.ipynb (window 2026-01)", "[5/7] 02_broken.ipynb (window 2026-01)",
        f"[6/7] 01_rows.ipynb (window {HOSTILE_WINDOW})", f"[7/7] 02_broken.ipynb (window {HOSTILE_WINDOW})",
    ]
    assert run.stderr.count(" ok: ") == 6 and run.stderr.count("FAILED") == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("toolkit: error:")]
    assert errors == [
        "toolkit: error: 02_broken.ipynb (window 2026-01) failed: cell index 2: ValueError: no data for 2026-01",
        "toolkit: error: 1 of 7 reports failed; see reports/index.html",
    ]

    # the index lists every report; every link resolves
    html = (reports / "index.html").read_text(encoding="utf-8")
    page = _parse(html)
    targets = [unquote(h) for h in page.hrefs]
    assert all((reports / t).is_file() for t in targets), targets
    slug = "img_src_x_onerror_window.__pwned_2"
    assert sorted(targets) == sorted([
        "01_rows.html", "02_broken.html", "03_overall.html", "01_rows--2026-01.html", f"01_rows--{slug}.html",
        f"02_broken--{slug}.html", "02_broken--2026-01.failed.ipynb", "02_broken--2026-01.failed.ipynb",
    ])
    assert not (reports / "02_broken--2026-01.html").exists() and not list(reports.glob("03_overall--*"))
    assert not list(reports.glob("00_smoke*"))
    rows = page.rows
    # the verdict first: one row per cause with a status, not the execution status
    h = rows.index(["Cause", "Status", "Since", "Why"])
    assert [r[0] for r in rows[h + 1:h + 6]] == ["schema", "performance", "fallback", "drift", "feedback"]
    assert all(r[1] in ("ok", "watch", "act") for r in rows[h + 1:h + 6])
    text = " ".join("".join(page.text).split())
    assert f"Health (window {HOSTILE_WINDOW})" in text and ("worst cause:" in text or "no cause needs attention" in text)
    # the latest-window table: one row per template, with its title, notebook and size; no "ok" execution status
    i = rows.index(["Report", "Notebook", "", "Size", "Time"])
    latest = rows[i + 1:i + 4]
    assert [row[:3] for row in latest] == [
        ["Rows in a window", "01_rows.ipynb", ""], ["Broken on the first week", "02_broken.ipynb", ""],
        [HOSTILE_TITLE, "03_overall.ipynb", ""]]
    for row, name in zip(latest, ("01_rows", "02_broken", "03_overall")):
        size = (reports / f"{name}.html").stat().st_size
        assert row[3] == (f"{size / 1e6:.2f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB")
    # by window: rows = windows with their health status, columns = the window-specific templates
    g = next(k for k, r in enumerate(rows) if r and r[0] == "Window")
    grid = rows[g:g + 3]
    assert grid[0] == ["Window", "Health", "Rows in a window", "Broken on the first week"]
    assert [row[0] for row in grid[1:]] == WINDOWS and all(row[1] in ("ok", "watch", "act") for row in grid[1:])
    assert grid[1][2].startswith("ok ") and grid[1][3].startswith("failed executed notebook")
    assert "cell index 2: ValueError: no data for 2026-01" in grid[1][3]
    assert grid[2][2].startswith("ok ") and grid[2][3].startswith("ok ")
    # execution failures apart, plainly
    f = rows.index(["Report", "Error"])
    assert rows[f + 1][0] == "02_broken.ipynb (window 2026-01)"
    assert rows[f + 1][1].startswith("cell index 2: ValueError: no data for 2026-01")
    assert "7 reports, 1 failed to run" in text and f"(latest window: {HOSTILE_WINDOW})" in text
    assert "Reports that failed to run (1)" in text

    # each report ran on the window it is filed under (the default: the latest)
    first = (reports / "01_rows--2026-01.html").read_text()
    assert "window 2026-01 of" in first and "200 rows" in first
    assert "window &lt;img src=x onerror=window.__pwned=2&gt; of" in (reports / "01_rows.html").read_text()

    # hostile model name, window label and template title stay text
    _assert_escaped(html)


def _assert_escaped(html: str) -> None:
    page = _parse(html)
    assert page.tags <= {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "span", "code",
                         "table", "thead", "tbody", "tr", "th", "td", "a", "div", "small", "b", "br"}
    for raw in (HOSTILE_NAME, HOSTILE_WINDOW, "<b>view</b>"):
        assert raw not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt; &amp; &quot;Co&quot;" in html
    assert "&lt;img src=x onerror=window.__pwned=2&gt;" in html
    assert HOSTILE_NAME in "".join(page.text)  # shown as text, exactly
    assert external_resources(html) == [] and "<script" not in html and "<link" not in html


# ----------------------------------------------------------------------------- orchestration (no kernels)


@pytest.fixture
def fake_run_report(monkeypatch):
    """Replace run_report: record calls; fail 02_broken on the first window; otherwise write a page."""
    calls = []

    def fake(notebook, output, parameters=None, **kwargs):
        calls.append((Path(notebook).name, Path(output).name, dict(parameters or {})))
        if Path(notebook).stem == "02_broken" and (parameters or {}).get("window") == "2026-01":
            raise ReportError("boom", notebook=Path(notebook), cell_index=2, ename="ValueError",
                              evalue="no data\nfor 2026-01")
        Path(output).write_text("<html><body>report</body></html>")
        return Path(output)

    monkeypatch.setattr("toolkit.reports._run.run_report", fake)
    return calls


def test_run_folder_raises_after_writing_everything(model, fake_run_report, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "02_broken--2026-01.html").write_text("stale report from an earlier run")
    with pytest.raises(ReportError, match=r"1 of 7 reports failed; first: 02_broken.ipynb \(window 2026-01\): "
                                          r"cell index 2: ValueError: no data / for 2026-01\. The index"):
        run_folder(model, out, all_windows=True, parameters={"top": 3}, quiet=True)
    assert not (out / "02_broken--2026-01.html").exists()  # stale file gone: the index cannot link it
    assert (out / "index.html").is_file()
    # every run got the shared parameters; only window-specific runs got a window
    assert [c[2] for c in fake_run_report[:3]] == [{"top": 3}] * 3
    assert {c[2]["window"] for c in fake_run_report[3:]} == set(WINDOWS)
    assert all(c[0] != "00_smoke.ipynb" for c in fake_run_report)


@pytest.mark.browser
def test_index_is_escaped_and_opens_offline(model, fake_run_report, tmp_path, open_report):
    with pytest.raises(ReportError):
        run_folder(model, tmp_path / "out", all_windows=True, quiet=True)
    index = tmp_path / "out" / "index.html"
    _assert_escaped(index.read_text(encoding="utf-8"))
    opened = open_report(index)
    assert opened.problems == []
    page = opened.page
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("h1").inner_text() == HOSTILE_NAME
    assert page.locator("img").count() == 0
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert len(hrefs) == 6 and all(Path(unquote(h.removeprefix("file://"))).is_file() for h in hrefs)


def test_run_folder_defaults_and_success(model, fake_run_report, capsys):
    index = run_folder(model)
    assert index == model / "reports" / "index.html" and index.is_file()
    assert [c[0] for c in fake_run_report] == ["01_rows.ipynb", "02_broken.ipynb", "03_overall.ipynb"]
    err = capsys.readouterr().err
    assert "[1/3] 01_rows.ipynb ->" in err and "index: " in err and "(3 ok, 0 failed)" in err


def test_run_folder_errors(model, tmp_path, fake_run_report):
    with pytest.raises(ValueError, match=r"cannot also set window='2026-01'"):
        run_folder(model, tmp_path / "o", all_windows=True, parameters={"window": "2026-01"})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"has no model.yaml.*toolkit new"):
        run_folder(empty)
    (empty / "model.yaml").write_text((model / "model.yaml").read_text())
    with pytest.raises(FileNotFoundError, match=r"no template notebooks in"):
        run_folder(empty)
    with pytest.raises(FileNotFoundError, match="not found"):
        run_folder(tmp_path / "nope")
    assert fake_run_report == []


def test_cli_folder_usage_errors(model, tmp_path, capsys, fake_run_report):
    assert main(["report", str(model), "-o", str(tmp_path / "x.html")]) == 2
    assert "use --output-dir" in capsys.readouterr().err
    assert main(["report", str(model), str(model / "01_rows.ipynb")]) == 2
    assert "only argument" in capsys.readouterr().err
    assert main(["report", str(model / "01_rows.ipynb"), "--all-windows"]) == 2
    assert "--all-windows needs a model FOLDER" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "-q"]) == 1
    assert "has no model.yaml" in capsys.readouterr().err
    assert main(["report", str(model), "--output-dir", str(tmp_path / "r"), "-q"]) == 0
    assert capsys.readouterr().err == "" and (tmp_path / "r" / "index.html").is_file()
    assert fake_run_report[-1][1] == "03_overall.html"


def test_window_labels_become_unique_safe_file_names():
    slugs = _window_slugs(["2026-01-05/2026-01-11", "2026-01-05_2026-01-11", "A", "a", "../..", "<>"])
    assert list(slugs.values()) == ["2026-01-05_2026-01-11", "2026-01-05_2026-01-11-2", "A", "a-2", "window",
                                    "window-2"]


def test_index_shows_a_failed_health_check_plainly(model, fake_run_report, tmp_path, monkeypatch):
    def broken(config, window=None):
        raise ValueError("labels file <unreadable>")

    monkeypatch.setattr("toolkit.model_health.health", broken)
    index = run_folder(model, tmp_path / "out", quiet=True)
    html = index.read_text(encoding="utf-8")
    text = " ".join("".join(_parse(html).text).split())
    assert "The health check could not run: ValueError: labels file <unreadable>" in text
    assert "labels file &lt;unreadable&gt;" in html
    _assert_escaped(html)
