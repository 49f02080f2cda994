"""run_report: papermill executes a template, nbconvert exports it as one offline HTML file."""
from __future__ import annotations

import contextlib
import contextvars
import re
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

__all__ = ["run_report", "ReportError", "report_options", "check_known_parameters", "CellProgress", "run_many",
           "default_workers"]

#: Options the CLI sets around run_report calls (also those made by run_folder): a progress callback
#: and what to do with parameters a notebook does not declare ("error", or "drop" for a folder run,
#: where each template takes only the parameters it declares).
_OPTIONS: contextvars.ContextVar[dict] = contextvars.ContextVar("toolkit_report_options", default={})


@contextlib.contextmanager
def report_options(progress=None, unknown_parameters: str = "error", record_timings: bool = False):
    """Within the block, :func:`run_report` calls ``progress`` and treats unknown parameters as told.

    ``progress(done, total, elapsed, source)`` is called as each code cell starts. ``unknown_parameters``
    is "error" (the default: a typo must not pass silently) or "drop" (leave out what a template does not
    declare; the caller has checked every name is declared by some template). ``record_timings`` keeps
    each run's duration in ``.toolkit-timings.json`` beside the report, for ``--all-windows`` estimates.
    """
    if unknown_parameters not in ("error", "drop"):
        raise ValueError(f"unknown_parameters must be 'error' or 'drop'; got {unknown_parameters!r}")
    token = _OPTIONS.set({"progress": progress, "unknown_parameters": unknown_parameters,
                          "record_timings": record_timings})
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def check_known_parameters(notebook: Path, nb, params: dict, unknown: str = "error") -> dict:
    """``params`` restricted to the names the notebook's parameters cell declares.

    With ``unknown="error"`` a name it does not declare raises ValueError listing the valid names
    (and the closest one); with ``"drop"`` such names are left out.
    """
    import difflib

    from ._new import parameter_defaults, parameters_cell

    if not params:
        return params
    if parameters_cell(nb) is None:
        if unknown == "drop":
            return {}
        raise ValueError(f"notebook {str(notebook)!r} has no cell tagged 'parameters', so it takes no parameters; "
                         f"got {sorted(params)}")
    valid = list(parameter_defaults(nb))
    bad = [k for k in params if k not in valid]
    if bad and unknown == "error":
        close = difflib.get_close_matches(bad[0], valid, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown parameter {bad[0]!r} for {notebook.name}; its parameters are "
                         f"{', '.join(valid)}.{hint}")
    return {k: v for k, v in params.items() if k in valid}


class CellProgress:
    """Progress lines for the CLI: ``cell n/N, elapsed`` while a notebook runs.

    On a terminal one line is rewritten in place; otherwise (logs, CI) a line is written when a cell
    starts at least ``every`` seconds after the previous line, so short notebooks stay quiet.
    """

    def __init__(self, stream=None, every: float = 5.0):
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int, total: int, elapsed: float, source: str) -> None:
        first = next((line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")), "")
        text = f"      cell {done}/{total}, {elapsed:.0f} s elapsed: {first[:60]}"
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        elif elapsed - self._last >= self.every or done == 1 and self.every == 0:
            self.stream.write(text + "\n")
            self._last = elapsed
        else:
            return
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
        self._width, self._last = 0, 0.0


class ReportError(RuntimeError):
    """A report could not be produced: which notebook, which cell, what went wrong, where to look.

    Attributes
    ----------
    notebook : Path
        The template that was run.
    cell_index : int or None
        0-based index of the failing cell in the template notebook, or None if execution failed
        outside a cell (kernel start, timeout, export).
    ename, evalue : str
        Exception name and message raised in the notebook.
    executed : Path or None
        The executed notebook kept for inspection, if any.
    """

    def __init__(self, message: str, *, notebook: Path, cell_index: int | None = None,
                 ename: str = "", evalue: str = "", executed: Path | None = None):
        super().__init__(message)
        self.notebook = notebook
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        self.executed = executed


def _one_line(text: str, limit: int = 400) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    out = " / ".join(lines)
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _check_parameters(parameters) -> dict:
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise TypeError(
            f"parameters must be a dict of name -> value; got {type(parameters).__name__}: {parameters!r:.80}"
        )
    bad = [k for k in parameters if not (isinstance(k, str) and k.isidentifier())]
    if bad:
        raise ValueError(f"parameter names must be Python identifiers; got {bad[:5]!r}")
    return {name: _plain(value, name) for name, value in parameters.items()}


def _plain(value, name: str):
    """A parameter value papermill writes faithfully: None/bool/int/float/str, lists and dicts of them.

    Paths become strings, dates ISO strings, numpy scalars Python numbers, tuples lists; anything
    else is refused (papermill would silently write its ``str()`` as a string).
    """
    import datetime as dt
    import os

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalar
        return _plain(value.item(), name)
    if isinstance(value, (list, tuple)):
        return [_plain(v, name) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, name) for k, v in value.items()}
    raise TypeError(
        f"parameter {name!r} has type {type(value).__name__}, which a notebook parameters cell cannot "
        "hold; pass None, bool, int, float, str, a path, a date, or a list/dict of those"
    )


def _template_index(notebook: Path, source: str, executed_index: int) -> int:
    """Index of the failing cell in the template itself (papermill counts its injected cell)."""
    import nbformat

    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except Exception:
        return executed_index
    matches = [i for i, c in enumerate(cells) if c.get("cell_type") == "code" and c.source == source]
    return min(matches, key=lambda i: abs(i - executed_index)) if matches else executed_index


def _timed_out_cell(notebook: Path, message: str) -> tuple[int | None, str]:
    """Find the cell nbclient's timeout message previews (it quotes the cell's first lines)."""
    import nbformat

    match = re.search(r"-{5,}\n(.*?)\n-{5,}", message, re.DOTALL)
    if not match:
        return None, ""
    preview = [line for line in match.group(1).splitlines() if line.strip() not in ("", "...")]
    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except Exception:
        return None, preview[0] if preview else ""
    for i, cell in enumerate(cells):
        lines = [line for line in cell.source.strip().splitlines() if line.strip()]
        if cell.get("cell_type") == "code" and preview and lines[: len(preview)] == preview:
            return i, _first_line(cell.source)
    return None, preview[0] if preview else ""


def _first_line(source: str) -> str:
    for line in str(source).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:80]
    return ""


def run_report(notebook: str | Path, output: str | Path = "report.html", parameters: dict | None = None,
               cwd: str | Path | None = None, kernel_name: str = "python3", timeout: float = 600,
               keep_notebook: bool = False, start_timeout: float = 60, log_output: bool = False) -> Path:
    """Execute a template notebook and export it as one self-contained, offline HTML report.

    papermill runs ``notebook`` with ``parameters`` injected after its ``parameters`` cell, in
    ``cwd`` (default: the notebook's folder, so relative paths in the parameters cell resolve
    there). nbconvert then writes ``output`` with the ``toolkit`` template: no code, no prompts,
    nothing fetched from a CDN, the Vega JavaScript embedded once.

    Parameters
    ----------
    notebook
        Path of the ``.ipynb`` template.
    output
        Path of the HTML file to write (relative to the current directory, not ``cwd``);
        its folder is created if needed.
    parameters
        Values for the template's parameters cell, e.g. ``{"baseline_path": "data.parquet"}``.
    cwd
        Working directory of the kernel; defaults to the notebook's folder.
    kernel_name
        Jupyter kernel to run the notebook with.
    timeout
        Seconds allowed per cell.
    keep_notebook
        Also keep the executed notebook next to the report, as ``<output stem>.executed.ipynb``.
        A notebook that fails is always kept, as ``<output stem>.failed.ipynb``.
    start_timeout
        Seconds allowed for the kernel to start.
    log_output
        Echo the notebook's output to the log while it runs.

    Returns
    -------
    Path
        ``output``.

    Raises
    ------
    ReportError
        The notebook failed: the message names the notebook, the failing cell (index and first
        line), the exception, and where the executed notebook was kept.

    Examples
    --------
    >>> from toolkit.reports import run_report
    >>> run_report("notebooks/00_smoke.ipynb", "out/smoke.html",
    ...            parameters={"baseline_path": "../sample_data/baseline.parquet"})  # doctest: +SKIP
    PosixPath('out/smoke.html')
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from ._export import export_html, external_resources

    notebook = Path(notebook)
    if not notebook.exists():
        raise FileNotFoundError(f"notebook {str(notebook)!r} does not exist; pass the path of a template .ipynb")
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook {str(notebook)!r} is not a file; pass the path of a template .ipynb")
    if notebook.suffix != ".ipynb":
        raise ValueError(f"notebook must be a .ipynb file; got {str(notebook)!r}")
    params = _check_parameters(parameters)
    options = _OPTIONS.get()
    params = check_known_parameters(notebook, nbformat.read(notebook, as_version=4), params,
                                    options.get("unknown_parameters", "error"))
    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"output must end in .html; got {str(output)!r}")
    cwd = Path(cwd) if cwd is not None else notebook.resolve().parent
    if not cwd.is_dir():
        raise FileNotFoundError(f"cwd {str(cwd)!r} is not a folder")
    output.parent.mkdir(parents=True, exist_ok=True)

    run_started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="toolkit-report-"))
    executed = workdir / notebook.name
    hooks = {}
    progress = options.get("progress")
    if progress is not None:
        cells = nbformat.read(notebook, as_version=4).cells
        total = sum(1 for c in cells if c.cell_type == "code" and c.source.strip()) + (1 if params else 0)
        started, count = time.perf_counter(), [0]

        def on_cell_start(cell, cell_index):
            if cell.cell_type == "code" and cell.source.strip():
                count[0] += 1
                progress(count[0], total, time.perf_counter() - started, cell.source)

        hooks["on_cell_start"] = on_cell_start
    try:
        try:
            # the kernel starts in ``cwd`` through nbclient's resources, not papermill's ``cwd=``, which
            # os.chdir()s this whole process for the run: notebooks run in parallel threads
            # (run_many) would restore each other's working directory wrongly
            pm.execute_notebook(
                str(notebook), str(executed), parameters=params, kernel_name=kernel_name,
                resources={"metadata": {"path": str(cwd.resolve())}}, progress_bar=False,
                request_save_on_cell_execute=False, log_output=log_output,
                start_timeout=start_timeout, execution_timeout=timeout,
                extra_arguments=_quiet_kernel_arguments(kernel_name), **_kernel_manager(options), **hooks,
            )
        except PapermillExecutionError as exc:
            kept = _keep_failed(executed, output)
            index = _template_index(notebook, exc.source, exc.cell_index)
            raise ReportError(
                f"notebook {str(notebook)!r} failed at cell index {index} "
                f"({_first_line(exc.source)!r}): {exc.ename}: {_one_line(exc.evalue)}"
                + (f"; executed notebook kept at {str(kept)!r}" if kept else ""),
                notebook=notebook, cell_index=index, ename=exc.ename, evalue=exc.evalue,
                executed=kept,
            ) from None
        except Exception as exc:  # kernel missing or dead, cell timeout, unreadable notebook
            kept = _keep_failed(executed, output)
            if type(exc).__name__ == "CellTimeoutError":
                index, first = _timed_out_cell(notebook, str(exc))
                raise ReportError(
                    f"notebook {str(notebook)!r} timed out at cell index {index} ({first!r}) after "
                    f"{timeout:g} s; pass a larger timeout (CLI: --timeout SECONDS)",
                    notebook=notebook, cell_index=index, ename="CellTimeoutError", evalue=str(exc),
                    executed=kept,
                ) from None
            raise ReportError(
                f"notebook {str(notebook)!r} could not be executed: {type(exc).__name__}: {_one_line(exc)}"
                + (f"; executed notebook kept at {str(kept)!r}" if kept else ""),
                notebook=notebook, ename=type(exc).__name__, evalue=str(exc), executed=kept,
            ) from exc

        nb = nbformat.read(executed, as_version=4)
        if keep_notebook:
            shutil.copyfile(executed, output.with_name(output.stem + ".executed.ipynb"))
        try:
            export_html(nb, output, name=notebook.stem)
        except Exception as exc:
            kept = _keep_failed(executed, output)
            raise ReportError(
                f"notebook {str(notebook)!r} ran but could not be exported to HTML: "
                f"{type(exc).__name__}: {_one_line(exc)}; executed notebook kept at {str(kept)!r}",
                notebook=notebook, ename=type(exc).__name__, evalue=str(exc), executed=kept,
            ) from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if progress is not None and hasattr(progress, "finish"):
            progress.finish()

    if options.get("record_timings"):
        _record_timing(output, notebook.stem, time.perf_counter() - run_started)
    stale = output.with_name(output.stem + ".failed.ipynb")
    if stale.is_file():  # left by an earlier failed run of this report; now misleading
        stale.unlink()
    external = external_resources(output.read_text(encoding="utf-8"))
    if external:
        warnings.warn(
            f"report {str(output)!r} loads {len(external)} external resource(s) and will not work "
            f"offline: {external[:5]}; embed them instead",
            stacklevel=2,
        )
    return output


#: Thread pools a kernel limits to one thread when several kernels share the cores (see :func:`_kernel_manager`).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _kernel_manager(options: dict) -> dict:
    """``{"kernel_manager_class": ...}`` for papermill: kernels on Unix sockets, marked as report kernels, one thread each in parallel.

    Sockets: over TCP, jupyter_client picks five free ports, closes them and lets the kernel bind them, so two
    kernels starting at once on one machine (``toolkit report`` runs one per core; a CI job may run more) can
    pick the same port, and one dies with "Address already in use" / "Kernel died before replying to
    kernel_info". A Unix socket has a fresh file name instead, so there is nothing to race for. Windows has no
    ``ipc`` transport and keeps TCP.

    Threads: :func:`run_many` runs one kernel per core; a kernel whose gradient boosting or BLAS starts a thread
    per core on top of that oversubscribes the machine, and OpenMP's waiting threads spin: measured on the demo's
    retraining plan, 79 CPU-s with the default threads against 15 CPU-s with one thread (machine under load).
    A variable the user set is kept. Results do not depend on the thread count.

    Marked: ``TOOLKIT_REPORT_KERNEL=1`` lets the kernel defer import-time work no report uses
    (:mod:`toolkit.reports._lazy`)."""
    import os

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Type

    from ._lazy import REPORT_KERNEL

    threads = options.get("kernel_threads")
    env = {REPORT_KERNEL: "1", **({name: str(threads) for name in THREAD_VARIABLES} if threads else {})}

    from ._kernel import PolledKernelClient

    class _ReportKernelManager(AsyncKernelManager):
        # waits for a reply re-poll the socket: a reply whose wake-up was missed hung the report (see _kernel)
        client_factory = Type(PolledKernelClient)

        async def start_kernel(self, **kw):
            if os.name == "posix":
                # short absolute names: a socket path is limited to ~100 bytes, and a relative one would resolve
                # against two different working directories (this process's and the kernel's)
                self.transport = "ipc"
                self.ip = os.path.join(tempfile.gettempdir(), f"toolkit-kernel-{uuid.uuid4().hex[:12]}")
            kw["env"] = {**env, **(kw.get("env") or os.environ)}
            return await super().start_kernel(**kw)

    return {"kernel_manager_class": _ReportKernelManager}


def _quiet_kernel_arguments(kernel_name: str) -> list[str]:
    """``--IPKernelApp.log_level=CRITICAL`` for IPython kernels; nothing for other kernels.

    Hides the kernel's own log lines ("running over TCP without encryption" at start-up, a
    "KeyboardInterrupt caught" at shutdown) that would clutter the CLI's progress output; errors
    in the notebook still surface through papermill."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except Exception:  # unknown kernel: papermill raises the clear error itself
        return []
    return ["--IPKernelApp.log_level=CRITICAL"] if any("ipykernel" in str(a) for a in argv) else []


def _keep_failed(executed: Path, output: Path) -> Path | None:
    """Copy the (partly) executed notebook next to the report as ``<stem>.failed.ipynb``."""
    if not executed.is_file():
        return None
    kept = output.with_name(output.stem + ".failed.ipynb")
    try:
        shutil.copyfile(executed, kept)
    except OSError:
        return None
    return kept


TIMINGS_FILE = ".toolkit-timings.json"


def _record_timing(output: Path, stem: str, seconds: float) -> None:
    """Remember how long ``stem`` took, next to its report (for ``--all-windows`` estimates); best effort."""
    import json

    path = output.parent / TIMINGS_FILE
    try:
        timings = read_timings(output.parent)
        timings[stem] = round(seconds, 1)
        path.write_text(json.dumps(timings, indent=0, sort_keys=True))
    except OSError:
        pass
    # also in the user's cache, so a fresh output folder (`rm -rf reports && make report`) still starts the
    # longest templates first
    try:
        cache = _timings_cache()
        cache.parent.mkdir(parents=True, exist_ok=True)
        timings = read_timings(cache.parent, cache.name)
        timings[stem] = round(seconds, 1)
        cache.write_text(json.dumps(timings, indent=0, sort_keys=True))
    except OSError:
        pass


def _timings_cache() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "toolkit" / "report-timings.json"


def expected_seconds(output_dir: Path) -> dict[str, float]:
    """``{template stem: seconds}`` from the last runs: this output folder's, else the user's cache."""
    cache = _timings_cache()
    return {**read_timings(cache.parent, cache.name), **read_timings(output_dir)}


def read_timings(folder: Path, name: str = TIMINGS_FILE) -> dict[str, float]:
    """``{template stem: seconds}`` of the last successful runs whose reports went to ``folder``."""
    import json

    try:
        data = json.loads((Path(folder) / name).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))} if isinstance(data, dict) else {}


# ----------------------------------------------------------------------------- several reports at once


def default_workers(n_jobs: int) -> int:
    """How many notebooks run at once: ``TOOLKIT_REPORT_JOBS`` if set, else the usable cores, at most ``n_jobs``.

    Each notebook runs in its own kernel process, so the bound is the CPU count (more kernels than
    cores only adds memory and context switches)."""
    import os

    env = os.environ.get("TOOLKIT_REPORT_JOBS", "").strip()
    if env:
        try:
            wanted = int(env)
        except ValueError:
            raise ValueError(f"TOOLKIT_REPORT_JOBS must be a whole number of parallel notebooks; got {env!r}") from None
        if wanted < 1:
            raise ValueError(f"TOOLKIT_REPORT_JOBS must be at least 1; got {wanted}")
    else:
        try:
            wanted = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            wanted = os.cpu_count() or 1
    return max(1, min(wanted, n_jobs))


class _TaggedProgress:
    """Cell progress of one notebook among several running at once: plain lines tagged with its name,
    at most one per ``every`` seconds per notebook, written whole under a shared lock (no in-place
    rewriting, which parallel notebooks would garble)."""

    def __init__(self, tag: str, stream, lock, every: float = 5.0):
        self.tag, self.stream, self.lock, self.every = tag, stream, lock, every
        self._last = 0.0

    def __call__(self, done: int, total: int, elapsed: float, source: str) -> None:
        if elapsed - self._last < self.every:
            return
        self._last = elapsed
        first = next((line.strip() for line in source.splitlines()
                      if line.strip() and not line.strip().startswith("#")), "")
        with self.lock:
            self.stream.write(f"      {self.tag}: cell {done}/{total}, {elapsed:.0f} s: {first[:50]}\n")
            self.stream.flush()


def run_many(jobs: list, run, *, workers: int | None = None, expected: dict | None = None,
             on_start=None, on_done=None, later=()) -> list:
    """Run ``run(job)`` for every job, ``workers`` at a time; results in the order of ``jobs``.

    Each job is one notebook execution (``run`` calls :func:`run_report`); every execution has its
    own kernel process, so threads suffice here: they only wait on their kernels. The longest jobs
    by ``expected`` seconds (``{job index: seconds}``, e.g. from the last run's timings) start first,
    which shortens the total when the lengths differ; job indices in ``later`` start after the others
    (e.g. notebooks that would only wait for a result another process is computing). ``on_start(i, job)`` and
    ``on_done(i, job, result, error, seconds)`` are called under a lock, so their log lines never
    interleave. ``run``'s exceptions are passed to ``on_done`` and returned in place of a result;
    the caller decides what a failure means. With one worker the jobs run in order in this thread,
    with the progress options the caller set.

    Examples
    --------
    >>> run_many([1, 2, 3], lambda x: x * 10, workers=2)
    [10, 20, 30]
    """
    import concurrent.futures as cf
    import threading

    n = len(jobs)
    workers = default_workers(n) if workers is None else max(1, min(int(workers), max(n, 1)))
    lock = threading.Lock()
    results: list = [None] * n

    def one(i: int, announce: bool = True):
        if announce:
            with lock:
                if on_start is not None:
                    on_start(i, jobs[i])
        start = time.perf_counter()
        result, error = None, None
        try:
            result = run(jobs[i])
        except Exception as exc:  # reported through on_done and returned: one failure must not stop the rest
            error = exc
        seconds = time.perf_counter() - start
        with lock:
            if on_done is not None:
                on_done(i, jobs[i], result, error, seconds)
        results[i] = error if error is not None else result

    if workers == 1 or n <= 1:
        for i in range(n):
            one(i)
        return results
    expected = expected or {}
    later = set(later)
    order = sorted(range(n), key=lambda i: (i in later, -expected.get(i, 0.0), i))
    options = dict(_OPTIONS.get())
    progress = options.get("progress")
    stream = getattr(progress, "stream", sys.stderr)
    # jobs leave the pool's queue in order, but two threads freed at once may reach on_start in either order:
    # each waits for its turn, so the log announces the jobs in the order they were scheduled
    rank = {i: r for r, i in enumerate(order)}
    turn, announced = threading.Condition(), [0]

    def announce(i: int) -> None:
        with turn:
            turn.wait_for(lambda: announced[0] == rank[i])
            try:
                with lock:
                    if on_start is not None:
                        on_start(i, jobs[i])
            finally:   # the next job's turn comes even if the log line failed
                announced[0] += 1
                turn.notify_all()

    def threaded(i: int):
        # a thread does not inherit the caller's context: give each job the caller's options, with
        # its own tagged progress (a shared in-place progress line would mix the notebooks' cells)
        mine = dict(options)
        mine.setdefault("kernel_threads", 1)   # one kernel per core: each kernel's own thread pools get one thread
        if progress is not None:
            tag = Path(str(getattr(jobs[i], "notebook", jobs[i]))).stem
            mine["progress"] = _TaggedProgress(tag, stream, lock, every=max(getattr(progress, "every", 5.0), 5.0))
        token = _OPTIONS.set(mine)
        try:
            announce(i)
            one(i, announce=False)
        finally:
            _OPTIONS.reset(token)

    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="toolkit-report") as pool:
        for future in [pool.submit(contextvars.copy_context().run, threaded, i) for i in order]:
            future.result()
    return results
