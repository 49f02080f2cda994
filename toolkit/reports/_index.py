"""run_folder: run every template of a model folder and write an ``index.html`` linking the reports.

A model folder (made by ``toolkit new``) holds ``model.yaml`` and the templates ``NN_*.ipynb``.
Each template becomes ``<stem>.html`` (the latest production window); with ``all_windows`` the
window-specific templates (those whose parameters cell sets ``window``) also run once per window,
as ``<stem>--<window>.html``. A failed notebook does not stop the others: the index marks it
failed with its one-line error and links the partly executed notebook kept for inspection.
The index leads with the model's health verdict (:func:`toolkit.health`, computed in this process):
the overall status with its worst cause and one row per cause; execution failures are listed apart.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import sys
import time
from pathlib import Path
from urllib.parse import quote

from ._new import CONFIG_FILE, parameter_defaults, template_notebooks

__all__ = ["run_folder", "ReportEntry", "FolderRun", "write_index"]

INDEX_FILE = "index.html"
_WINDOW_SEP = "--"


@dataclasses.dataclass
class ReportEntry:
    """One report of a folder run: which template, which window, where it went and how it ended."""

    notebook: Path
    title: str
    output: Path
    window: str | None = None          # None: the template's default (the latest window)
    ok: bool = False
    error: str = ""                    # one line, when not ok
    executed: Path | None = None       # partly executed notebook kept when it failed
    seconds: float = 0.0

    @property
    def size(self) -> int:
        return self.output.stat().st_size if self.ok and self.output.is_file() else 0


@dataclasses.dataclass
class FolderRun:
    """Everything :func:`run_folder` produced: the index and one entry per report."""

    folder: Path
    name: str
    index: Path
    entries: list[ReportEntry]
    windows: list[str]
    latest: str | None
    generated: str
    health: object = None              # the model's HealthReport (latest window), None if it failed
    health_error: str = ""             # one line, when the health check could not run

    @property
    def failed(self) -> list[ReportEntry]:
        return [e for e in self.entries if not e.ok]


# ----------------------------------------------------------------------------- helpers


def _slug(label: str) -> str:
    """A window label made safe as part of a file name (``2026-01-05/2026-01-11`` -> ``2026-01-05_2026-01-11``)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", str(label)).strip("._")
    return slug[:80] or "window"


def _window_slugs(windows: list[str]) -> dict[str, str]:
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for window in windows:
        slug, n = _slug(window), 2
        base = slug
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        slugs[window] = slug
    return slugs


def is_per_window(notebook: Path) -> bool:
    """A template is window-specific when its parameters cell sets ``window``.

    A template can opt out (it covers every window itself) with notebook metadata
    ``{"toolkit": {"per_window": false}}``.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    if nb.metadata.get("toolkit", {}).get("per_window") is False:
        return False
    return "window" in parameter_defaults(nb)


def _template_title(notebook: Path) -> str:
    import nbformat

    from ._export import _title

    try:
        return _title(nbformat.read(notebook, as_version=4), notebook.stem)
    except Exception:  # unreadable notebook: run_report reports the real problem
        return notebook.stem


def production_windows(config) -> list[str]:
    """Window labels in time order; cheap for batch folders (file names only)."""
    if config.window == "batch":
        from ..io import batch_labels

        return sorted(batch_labels(config.path(config.production)))
    return config.windows


def _short_error(exc: Exception) -> str:
    from ._run import ReportError, _one_line

    if isinstance(exc, ReportError):
        where = f"cell index {exc.cell_index}: " if exc.cell_index is not None else ""
        if exc.ename:
            return _one_line(f"{where}{exc.ename}: {_one_line(exc.evalue, 300)}", 400)
    return _one_line(f"{type(exc).__name__}: {exc}", 400)


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def _log(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- running


def execute_folder(
    folder: str | Path,
    output_dir: str | Path | None = None,
    all_windows: bool = False,
    parameters: dict | None = None,
    *,
    kernel_name: str = "python3",
    timeout: float = 600,
    keep_notebook: bool = False,
    quiet: bool = False,
) -> FolderRun:
    """Run the folder's templates and write the index; failures are recorded, not raised."""
    from ..config import ModelConfig
    from ._run import _check_parameters

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"model folder {str(folder)!r} not found; create one with `toolkit new FOLDER ...`")
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} has no {CONFIG_FILE}; the templates read it. Create the folder with "
            "`toolkit new FOLDER --baseline FILE --production FILE ...`, or pass the notebooks themselves"
        )
    templates = template_notebooks(folder)
    if not templates:
        raise FileNotFoundError(
            f"no template notebooks in {str(folder)!r} (NN_*.ipynb, two digits, other than 00_smoke.ipynb); "
            "copy them with `toolkit new`"
        )
    params = _check_parameters(parameters)
    if all_windows and "window" in params:
        raise ValueError(
            f"all_windows runs every window, so parameters cannot also set window={params['window']!r}; "
            "drop one of them"
        )
    config = ModelConfig.load(config_path)
    output_dir = Path(output_dir) if output_dir is not None else folder / "reports"

    windows: list[str] = []
    try:
        windows = production_windows(config)
    except Exception as exc:
        if all_windows:
            raise ValueError(
                f"cannot list the production windows of {str(config_path)!r}: {type(exc).__name__}: {exc}"
            ) from exc
    latest = windows[-1] if windows else None
    if windows:   # the window the templates open on: the latest complete one (a partial last window is skipped)
        try:
            latest = config.choose_window().label
        except (KeyError, ValueError):
            pass

    plan: list[ReportEntry] = []
    titles = {t: _template_title(t) for t in templates}
    for template in templates:
        plan.append(ReportEntry(template, titles[template], output_dir / f"{template.stem}.html"))
    if all_windows:
        slugs = _window_slugs(windows)
        per_window = [t for t in templates if is_per_window(t)]
        for window in windows:
            for template in per_window:
                output = output_dir / f"{template.stem}{_WINDOW_SEP}{slugs[window]}.html"
                plan.append(ReportEntry(template, titles[template], output, window=window))

    output_dir.mkdir(parents=True, exist_ok=True)
    total = len(plan)
    for entry in plan:
        if entry.output.is_file():
            entry.output.unlink()  # a stale report from an earlier run must not pass for this one
    verdict, verdict_error = _run_reports(plan, params, config, output_dir, kernel_name, timeout, keep_notebook,
                                          quiet)
    run = FolderRun(
        folder=folder, name=config.name, index=output_dir / INDEX_FILE, entries=plan, windows=windows,
        latest=latest, generated=_dt.datetime.now().astimezone().isoformat(sep=" ", timespec="seconds"),
        health=verdict, health_error=verdict_error,
    )
    write_index(run)
    failed = len(run.failed)
    _log(quiet, f"index: {run.index} ({total - failed} ok, {failed} failed)")
    return run


def _run_reports(plan, params, config, output_dir, kernel_name, timeout, keep_notebook, quiet):
    """Run the plan's notebooks (several at once, see :func:`._run.run_many`) while this process computes the
    health verdict; fills each entry's status in place and returns ``(verdict, verdict_error)``."""
    import threading

    from ._run import default_workers, expected_seconds, run_many, run_report

    total = len(plan)
    workers = default_workers(total)
    if workers > 1:
        _log(quiet, f"running {total} reports, {workers} at a time")
    timings = expected_seconds(output_dir)
    expected = {i: timings.get(e.notebook.stem, 0.0) for i, e in enumerate(plan)}

    def name(i, entry):
        label = f" (window {entry.window})" if entry.window is not None else ""
        return f"[{i + 1}/{total}] {entry.notebook.name}{label}"

    def run(entry):
        run_params = dict(params)
        if entry.window is not None:
            run_params["window"] = entry.window
        return run_report(entry.notebook, entry.output, parameters=run_params, kernel_name=kernel_name,
                          timeout=timeout, keep_notebook=keep_notebook)

    def on_start(i, entry):
        _log(quiet, f"{name(i, entry)} -> {entry.output}")

    def on_done(i, entry, result, error, seconds):
        entry.seconds = seconds
        if error is None:
            entry.ok = True
            _log(quiet, f"      {name(i, entry) + ' ' if workers > 1 else ''}ok: {_size(entry.size)} in {seconds:.1f} s")
            return
        entry.error = _short_error(error)
        entry.executed = getattr(error, "executed", None)
        _log(quiet, f"      {name(i, entry) + ' ' if workers > 1 else ''}FAILED in {seconds:.1f} s: {entry.error}")

    health_result: list = []
    # the verdict is computed here while the kernels run the notebooks (they are other processes). A notebook
    # that calls tk.health waits (idle) on the disk cache's lock until it is there, so the others start first:
    # with one kernel per core, two waiting kernels left a core idle for the whole verdict (~12 CPU-s)
    health_thread = threading.Thread(target=lambda: health_result.append(_health(config, quiet)), daemon=True)
    health_thread.start()
    later = [i for i, e in enumerate(plan) if _calls_health(e.notebook)]
    run_many(plan, run, workers=workers, expected=expected, on_start=on_start, on_done=on_done,
             later=later if len(later) < len(plan) else ())
    health_thread.join()
    return health_result[0] if health_result else (None, "the health check did not finish")


def _calls_health(notebook: Path) -> bool:
    """Whether a template's code calls ``tk.health`` (so it waits for the verdict this process computes)."""
    import nbformat

    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except Exception:  # noqa: BLE001 - unreadable: run_report reports it; here it only loses its place in line
        return False
    return any(c.cell_type == "code" and "health(" in c.source for c in cells)


def _health(config, quiet: bool):
    """The model's health verdict for the index (in this process, no kernel); failures become one line."""
    from ..model_health import health

    _log(quiet, "health verdict ...")
    try:
        return health(config), ""
    except Exception as exc:  # the index must still be written; the failure is shown plainly
        return None, _short_error(exc)


def run_folder(folder: str | Path, output_dir: str | Path | None = None, all_windows: bool = False,
               parameters: dict | None = None, *, kernel_name: str = "python3", timeout: float = 600,
               keep_notebook: bool = False, quiet: bool = False) -> Path:
    """Run every template of a model folder and write its HTML reports and an ``index.html``.

    Runs each ``NN_*.ipynb`` in ``folder`` (sorted, ``00_smoke`` skipped) with :func:`run_report`
    in that folder, so each reads the folder's ``model.yaml``; writes ``<stem>.html`` per template and
    ``index.html`` linking them, with the model's name, the generation time, and per report its
    title, size and status. One progress line per notebook goes to stderr.

    Parameters
    ----------
    folder
        A model folder made by ``toolkit new``: ``model.yaml`` plus the templates.
    output_dir
        Where the reports and the index go; default ``folder/reports``.
    all_windows
        Also run each window-specific template (its parameters cell sets ``window``) once per
        production window, as ``<stem>--<window>.html``; the index gets a windows x templates table.
    parameters
        Extra values for every template's parameters cell.
    kernel_name, timeout, keep_notebook
        As in :func:`run_report`.
    quiet
        No progress lines.

    Returns
    -------
    Path
        The index file.

    Raises
    ------
    ReportError
        After every report was attempted and the index written, if any failed: the message counts
        them and gives the first error. The index marks each failed report.

    Examples
    --------
    >>> from toolkit.reports import run_folder
    >>> run_folder("models/churn", all_windows=True)          # doctest: +SKIP
    PosixPath('models/churn/reports/index.html')
    """
    from ._run import ReportError

    run = execute_folder(folder, output_dir, all_windows, parameters, kernel_name=kernel_name, timeout=timeout,
               keep_notebook=keep_notebook, quiet=quiet)
    if run.failed:
        first = run.failed[0]
        which = first.notebook.name + (f" (window {first.window})" if first.window is not None else "")
        raise ReportError(
            f"{len(run.failed)} of {len(run.entries)} reports failed; first: {which}: {first.error}. "
            f"The index {str(run.index)!r} marks them and links the executed notebooks",
            notebook=first.notebook, executed=first.executed,
        )
    return run.index


# ----------------------------------------------------------------------------- the index page


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5em 1.5em 3em; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.2em; margin: 1.6em 0 .5em; }
p.meta { color: #57606a; margin: .2em 0; }
table { border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; white-space: nowrap; }
.ok { color: #1a7f37; font-weight: 600; }
.failed { color: #cf222e; font-weight: 600; }
.error { color: #57606a; font-size: 12px; max-width: 520px; overflow-wrap: anywhere; }
.grid td { white-space: nowrap; }
.grid td .error { white-space: normal; }
.summary-failed { color: #cf222e; }
.status { color: white; border-radius: 3px; padding: 1px 8px; font-weight: 600; font-size: 13px; }
.status-ok { background: #1e8449; } .status-watch { background: #d68910; } .status-act { background: #c0392b; }
.verdict { border-left: 6px solid #57606a; padding: 8px 14px; margin: .8em 0; font-size: 15px; }
.verdict-ok { border-color: #1e8449; } .verdict-watch { border-color: #d68910; } .verdict-act { border-color: #c0392b; }
.failures { border-left: 6px solid #cf222e; padding: 4px 14px; }
"""


def _e(value: object) -> str:
    from .._html import escape

    return escape(value)


def _href(path: Path, base: Path) -> str:
    import os

    try:
        rel = Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:
        return path.resolve().as_uri()
    return quote(rel)


def _status_cell(entry: ReportEntry, base: Path, compact: bool = False) -> str:
    if entry.ok:
        text = f'<a href="{_e(_href(entry.output, base))}">{"ok" if compact else "open"}</a>'
        return f'<span class="ok">{text}</span>' + (f" <small>{_e(_size(entry.size))}</small>" if compact else "")
    parts = ['<span class="failed">failed</span>']
    if entry.executed is not None and Path(entry.executed).is_file():
        parts.append(f' <a href="{_e(_href(Path(entry.executed), base))}">executed notebook</a>')
    parts.append(f'<div class="error" title="{_e(entry.error)}">{_e(entry.error[:160] + ("..." if len(entry.error) > 160 else ""))}</div>')
    return "".join(parts)


def _badge(status: str) -> str:
    return f'<span class="status status-{_e(status)}">{_e(status)}</span>'


def _health_section(run: FolderRun) -> list[str]:
    """The verdict first: overall status with its worst cause, then one row per cause."""
    if run.health is None:
        return ["<h2>Health</h2>",
                f'<p class="verdict"><span class="failed">The health check could not run:</span> '
                f"{_e(run.health_error or 'no result')}</p>"]
    report = run.health
    top = report.table.iloc[0]
    worst = report.worst_cause
    lead = (f"worst cause: <b>{_e(worst)}</b>, since {_e(top['since'])}" if worst else "no cause needs attention")
    rows = []
    for r in report.table.iloc[1:].to_dict("records"):
        rows.append(f"<tr><td>{_e(r['cause'])}</td><td>{_badge(r['status'])}</td><td>{_e(r['since'] or '')}</td>"
                    f"<td>{_e(r['summary'])}</td></tr>")
    return [
        f"<h2>Health (window {_e(report.window)})</h2>",
        f'<div class="verdict verdict-{_e(top["status"])}">{_badge(top["status"])} {lead}. {_e(top["summary"])}'
        f"<br><small>Next: {_e(top['next_step'])}</small></div>",
        "<table><thead><tr><th>Cause</th><th>Status</th><th>Since</th><th>Why</th></tr></thead>",
        "<tbody>" + "".join(rows) + "</tbody></table>",
    ]


def _failure_section(run: FolderRun, base: Path) -> list[str]:
    failed = run.failed
    if not failed:
        return []
    items = []
    for e in failed:
        which = _e(e.notebook.name) + (f" (window {_e(e.window)})" if e.window is not None else "")
        kept = ""
        if e.executed is not None and Path(e.executed).is_file():
            kept = f' <a href="{_e(_href(Path(e.executed), base))}">executed notebook</a>'
        items.append(f'<tr><td>{which}</td><td><div class="error">{_e(e.error)}</div>{kept}</td></tr>')
    return [f'<h2 class="summary-failed">Reports that failed to run ({len(failed)})</h2>',
            '<div class="failures"><p>These reports could not be produced; the verdict above does not depend on '
            "them.</p><table><thead><tr><th>Report</th><th>Error</th></tr></thead><tbody>"
            + "".join(items) + "</tbody></table></div>"]


def _window_status(run: FolderRun, window: str) -> str:
    if run.health is None:
        return ""
    hist = run.health.history
    hit = hist[(hist["cause"] == "overall") & (hist["window"].astype(str) == str(window))]
    return _badge(str(hit["status"].iloc[0])) if len(hit) else ""


def write_index(run: FolderRun) -> Path:
    """Write ``run.index``: one self-contained HTML page (inline CSS, no scripts, every text escaped).

    The page leads with the model's health verdict (overall status, its worst cause, one row per
    cause), then links the reports; reports that failed to run are listed apart, with their error.
    """
    base = run.index.parent
    latest = [e for e in run.entries if e.window is None]
    by_window = [e for e in run.entries if e.window is not None]
    n_failed = len(run.failed)

    rows = []
    for e in latest:
        title = f'<a href="{_e(_href(e.output, base))}">{_e(e.title)}</a>' if e.ok else _e(e.title)
        state = "" if e.ok else '<span class="failed">failed to run (see below)</span>'
        rows.append(
            f"<tr><td>{title}</td><td><code>{_e(e.notebook.name)}</code></td><td>{state}</td>"
            f'<td class="num">{_e(_size(e.size)) if e.ok else ""}</td><td class="num">{e.seconds:.1f} s</td></tr>'
        )
    window_note = f" (latest window: {_e(run.latest)})" if run.latest is not None else ""
    sections = _health_section(run) + [
        f"<h2>Reports{window_note}</h2>",
        "<table><thead><tr><th>Report</th><th>Notebook</th><th></th><th>Size</th><th>Time</th></tr></thead>",
        "<tbody>" + "".join(rows) + "</tbody></table>",
    ]
    if by_window:
        templates = list(dict.fromkeys(e.notebook for e in by_window))
        cells = {(e.window, e.notebook): e for e in by_window}
        header = "".join(f"<th>{_e(next(e.title for e in by_window if e.notebook == t))}</th>" for t in templates)
        body = []
        for window in dict.fromkeys(e.window for e in by_window):
            tds = "".join(
                f"<td>{_status_cell(cells[(window, t)], base, compact=True)}</td>" if (window, t) in cells else "<td></td>"
                for t in templates
            )
            body.append(f"<tr><th>{_e(window)}</th><td>{_window_status(run, window)}</td>{tds}</tr>")
        sections += [
            "<h2>By window</h2>",
            f'<table class="grid"><thead><tr><th>Window</th><th>Health</th>{header}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>',
        ]
    sections += _failure_section(run, base)

    summary = f"{len(run.entries)} reports"
    if n_failed:
        summary += f', <span class="summary-failed">{n_failed} failed to run</span>'
    from .. import __version__

    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(run.name)}: reports</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_e(run.name)}</h1>\n"
        f'<p class="meta">Generated {_e(run.generated)} by toolkit {_e(__version__)} from '
        f"<code>{_e(run.folder.resolve())}</code>: {summary}.</p>\n"
        + "\n".join(sections)
        + "\n</main>\n</body>\n</html>\n"
    )
    run.index.parent.mkdir(parents=True, exist_ok=True)
    run.index.write_text(page, encoding="utf-8")
    return run.index
