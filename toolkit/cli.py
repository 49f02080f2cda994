"""The ``toolkit`` command line (also ``python -m toolkit``).

``toolkit report NOTEBOOK [NOTEBOOK ...] [--param key=value ...] [--output FILE | --output-dir DIR]``
runs each template with papermill and writes one offline HTML report per notebook.
``toolkit report FOLDER [--output-dir DIR] [--all-windows]`` runs every template of a model folder
and writes an ``index.html`` linking the reports.
``toolkit new PATH --baseline FILE --production FILE [--labels FILE] [--target COL ...]`` copies the
templates for a new model, with its ``model.yaml`` and ``contract.yaml``.

Subcommands are registered in :data:`COMMANDS`: each entry adds its parser and returns the
function that runs it.

>>> parse_param("threshold=0.35")
('threshold', 0.35)
>>> parse_param("as_of=2026-01-05"), parse_param("path=data/week=2026-01"), parse_param("flag=null")
(('as_of', '2026-01-05'), ('path', 'data/week=2026-01'), ('flag', None))
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["main", "parse_param", "COMMANDS"]


# ----------------------------------------------------------------------------- helpers


def parse_param(text: str) -> tuple[str, object]:
    """``"key=value"`` -> ``(key, value)``, the value read as a YAML scalar.

    Numbers, ``true``/``false``, ``null``/``~`` and quoted strings are converted; anything else
    (paths, dates, ``yes``/``no``, text, lists) stays the literal string. ``key=`` gives ``""``.
    """
    import yaml

    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(
            f"--param expects key=value with a Python identifier as key; got {text!r}"
        )
    if raw == "":
        return key, ""
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return key, raw
    if isinstance(value, bool) and raw.strip().lower() not in ("true", "false"):
        return key, raw  # YAML 1.1 reads yes/no/on/off as booleans: region=no stays 'no'
    if value is None or isinstance(value, (bool, int, float, str)):
        return key, value
    if isinstance(value, (_dt.date, _dt.datetime)):
        return key, raw  # keep dates as written; the notebook parses them
    return key, raw  # lists and mappings: not scalars, keep the text


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def _error(message: str) -> None:
    print(f"toolkit: error: {' '.join(str(message).split())}", file=sys.stderr)


# ----------------------------------------------------------------------------- toolkit report


@contextlib.contextmanager
def _report_environment():
    """For the length of a report run: ``TOOLKIT_PROGRESS=off`` (engine progress bars in an unwatched notebook
    only add widget messages; a 100M-row report run once waited on a kernel that had finished) and
    ``TOOLKIT_REPORT_KERNEL=1`` (this process and its kernels defer import-time work no report uses). The
    kernels inherit both; a value the user set is kept, and the variables are removed afterwards, so calling
    :func:`main` from Python leaves the environment as it was."""
    wanted = {"TOOLKIT_PROGRESS": "off", "TOOLKIT_REPORT_KERNEL": "1"}
    added = [name for name in wanted if name not in os.environ]
    os.environ.update({name: wanted[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _add_report(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    parser = sub.add_parser(
        "report",
        help="run template notebooks and write offline HTML reports",
        description="Execute each NOTEBOOK with papermill (parameters injected after its 'parameters' "
        "cell, run in the notebook's folder) and export it as one self-contained HTML file. Given a model "
        "FOLDER (model.yaml plus NN_*.ipynb templates, as made by `toolkit new`), run every template in it "
        "and write FOLDER/reports/ (or --output-dir) with one HTML per template and an index.html.",
    )
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK|FOLDER", type=Path,
                        help="template .ipynb, or one model folder")
    parser.add_argument(
        "-p", "--param", dest="params", action="append", default=[], type=parse_param, metavar="KEY=VALUE",
        help="parameter for the notebooks' parameters cell (repeatable); values read as YAML scalars",
    )
    out = parser.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", type=Path, help="HTML file to write (one notebook only)")
    out.add_argument(
        "--output-dir", type=Path,
        help="folder for the reports, one NOTEBOOK_STEM.html each (default: current folder; "
        "for a model FOLDER, FOLDER/reports)",
    )
    parser.add_argument("--cwd", type=Path, help="kernel working directory (default: each notebook's folder)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default: python3)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell (default: 600)")
    parser.add_argument(
        "--keep-notebook", action="store_true",
        help="also keep the executed notebook next to each report (failed runs are always kept)",
    )
    parser.add_argument(
        "--all-windows", action="store_true",
        help="FOLDER only: also run each window-specific template once per production window "
        "(-p window=LABEL), as STEM--WINDOW.html, indexed by window",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")

    def run(args: argparse.Namespace) -> int:
        if args.output is not None and len(args.notebooks) > 1:
            _error(f"--output names one file but {len(args.notebooks)} notebooks were given; use --output-dir")
            return 2
        missing = [p for p in args.notebooks if not p.exists()]
        if missing:
            _error(f"{str(missing[0])!r} does not exist; pass a template .ipynb or a model folder made by "
                   "`toolkit new`")
            return 2
        not_notebooks = [p for p in args.notebooks if p.is_file() and p.suffix != ".ipynb"]
        if not_notebooks:
            _error(f"{str(not_notebooks[0])!r} is not a notebook; pass a template .ipynb or a model folder made by "
                   "`toolkit new`")
            return 2
        with _report_environment():
            return _run_reports(args)

    def _run_reports(args: argparse.Namespace) -> int:
        folders = [p for p in args.notebooks if p.is_dir()]
        if folders:
            return _report_folder(args, folders)
        if args.all_windows:
            _error("--all-windows needs a model FOLDER (model.yaml plus templates), not notebooks")
            return 2
        if args.output is not None and len(args.notebooks) > 1:
            _error(f"--output names one file but {len(args.notebooks)} notebooks were given; use --output-dir")
            return 2
        from .reports import ReportError, run_report
        from .reports import CellProgress, report_options

        params = dict(args.params)
        failures = 0
        total = len(args.notebooks)
        progress = None if args.quiet else CellProgress()
        with report_options(progress=progress):
            failures = _report_notebooks(args, params, total, run_report, ReportError)
        if failures and total > 1:
            _error(f"{failures} of {total} reports failed")
        return 1 if failures else 0

    return run


def _report_notebooks(args, params, total, run_report, ReportError) -> int:
    """Run each notebook of ``toolkit report NOTEBOOK ...``; returns the number that failed."""
    failures = 0
    for i, notebook in enumerate(args.notebooks, 1):
        output = args.output or (args.output_dir or Path.cwd()) / f"{notebook.stem}.html"
        if not args.quiet:
            print(f"[{i}/{total}] {notebook} -> {output}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            path = run_report(
                notebook, output, parameters=params, cwd=args.cwd, kernel_name=args.kernel,
                timeout=args.timeout, keep_notebook=args.keep_notebook,
            )
        except (ReportError, FileNotFoundError, ValueError, TypeError) as exc:
            failures += 1
            _error(exc)
            continue
        if not args.quiet:
            print(f"      wrote {path} ({_size(path)}) in {time.perf_counter() - start:.1f} s",
                  file=sys.stderr, flush=True)
    return failures


def _report_folder(args: argparse.Namespace, folders: list[Path]) -> int:
    """``toolkit report FOLDER``: every template of a model folder, plus index.html."""
    if len(args.notebooks) > 1:
        _error(f"a model folder ({folders[0]}) must be the only argument; run folders one at a time")
        return 2
    if args.output is not None:
        _error("--output names one file; a folder writes one report per template, use --output-dir")
        return 2
    if args.cwd is not None:
        _error("--cwd applies to single notebooks; a model folder's templates run in that folder")
        return 2
    from .reports import CellProgress, execute_folder, report_options

    try:
        _check_folder_parameters(folders[0], dict(args.params))
        if args.all_windows:
            announce = _all_windows_plan(folders[0], args.output_dir)
            if not args.quiet:
                print(announce, file=sys.stderr, flush=True)
        with report_options(progress=None if args.quiet else CellProgress(), unknown_parameters="drop",
                            record_timings=True):
            run = execute_folder(folders[0], args.output_dir, all_windows=args.all_windows, parameters=dict(args.params),
                       kernel_name=args.kernel, timeout=args.timeout, keep_notebook=args.keep_notebook,
                       quiet=args.quiet)
    except (FileNotFoundError, ValueError, TypeError, KeyError) as exc:
        _error(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
        return 1
    for entry in run.failed:
        which = entry.notebook.name + (f" (window {entry.window})" if entry.window is not None else "")
        _error(f"{which} failed: {entry.error}")
    if run.failed:
        _error(f"{len(run.failed)} of {len(run.entries)} reports failed; see {run.index}")
        return 1
    if args.quiet:
        return 0
    print(run.index)
    return 0


def _check_folder_parameters(folder: Path, params: dict) -> None:
    """Every parameter must be declared by at least one template of the folder (each gets only its own)."""
    import difflib

    from .reports import parameter_defaults, template_notebooks

    if not params:
        return
    declared: dict[str, None] = {}
    for notebook in template_notebooks(folder):
        declared.update(dict.fromkeys(parameter_defaults(notebook)))
    unknown = [k for k in params if k not in declared]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(declared), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown parameter {unknown[0]!r}: no template in {str(folder)!r} declares it; their "
                         f"parameters are {', '.join(declared)}.{hint}")


#: Seconds assumed per report when no earlier run of the folder was timed.
DEFAULT_REPORT_SECONDS = 30.0


def _all_windows_plan(folder: Path, output_dir: Path | None) -> str:
    """One line for ``--all-windows``: how many runs, and about how long, before any starts."""
    from .config import ModelConfig
    from .reports import CONFIG_FILE, is_per_window, production_windows, read_timings, template_notebooks

    templates = template_notebooks(folder)
    per_window = [t for t in templates if is_per_window(t)]
    windows = production_windows(ModelConfig.load(folder / CONFIG_FILE))
    timings = read_timings(Path(output_dir) if output_dir is not None else folder / "reports")
    runs = [t.stem for t in templates] + [t.stem for t in per_window for _ in windows]
    known = [timings[r] for r in runs if r in timings]
    seconds = sum(timings.get(r, DEFAULT_REPORT_SECONDS) for r in runs)
    basis = ("from the last run's timings" if len(known) == len(runs) else
             f"assuming {DEFAULT_REPORT_SECONDS:.0f} s per report where no earlier run was timed")
    return (f"--all-windows: {len(templates)} templates on the latest window + {len(per_window)} window-specific "
            f"templates x {len(windows)} windows = {len(runs)} runs; estimated {_duration(seconds)} ({basis})")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ----------------------------------------------------------------------------- toolkit new


def _add_new(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    parser = sub.add_parser(
        "new",
        help="start a new model: copy the template notebooks with its model.yaml and contract.yaml",
        description="Create PATH with copies of the template notebooks (outputs stripped), a model.yaml "
        "(column roles and kinds inferred from the baseline, data paths relative to PATH) and a contract.yaml "
        "(the schema contract inferred from the baseline). Then `toolkit report PATH` runs them all.",
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="folder to create for the model")
    parser.add_argument("--baseline", required=True, type=Path, metavar="FILE",
                        help="reference data (Parquet/CSV): scored, ideally labelled")
    parser.add_argument("--production", required=True, type=Path, metavar="FILE",
                        help="logged predictions: a file, a glob, or a folder of batches like week=2026-01/")
    parser.add_argument("--labels", type=Path, metavar="FILE", help="ground truth arriving later (joined on --id)")
    for role, what in (("target", "ground-truth label"), ("score", "model score (probability)"),
                       ("prediction", "predicted label"), ("timestamp", "event time"), ("id", "row identifier")):
        parser.add_argument(f"--{role}", metavar="COL", help=f"column holding the {what}")
    parser.add_argument("--window", metavar="batch|W|D|...",
                        help="production windows: 'batch' (one per batch folder) or a pandas period alias on "
                        "--timestamp (default: batch for a partitioned folder, else W)")
    parser.add_argument("--name", help="model name shown in report titles (default: the folder's name)")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty folder (overwrites the notebooks, model.yaml, contract.yaml)")
    parser.add_argument("--templates", type=Path, metavar="DIR",
                        help="copy the templates from DIR instead of toolkit's own (a checkout's notebooks/, "
                        "or the copy shipped in the package)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")

    def run(args: argparse.Namespace) -> int:
        from .reports import new_model

        try:
            folder = new_model(
                args.path, args.baseline, args.production, labels=args.labels, target=args.target,
                score=args.score, prediction=args.prediction, timestamp=args.timestamp, id=args.id,
                window=args.window, name=args.name, force=args.force, templates=args.templates,
            )
        except (FileExistsError, FileNotFoundError, KeyError, ValueError, TypeError) as exc:
            _error(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
            return 1
        if not args.quiet:
            from .reports import template_notebooks

            notebooks = template_notebooks(folder)
            print(f"created {folder}/ with model.yaml, contract.yaml and {len(notebooks)} notebooks:")
            for notebook in notebooks:
                print(f"  {notebook.name}")
            print(_roles_line(folder, args))
            print(f"next: check {folder / 'model.yaml'}, then run `toolkit report {folder}`")
        return 0

    return run


def _roles_line(folder, args: argparse.Namespace) -> str:
    """The roles and windows model.yaml holds, those not given on the command line marked as inferred."""
    from .config import ModelConfig

    cfg = ModelConfig.load(folder / "model.yaml")
    spec = cfg.spec
    parts = [f"{role} {getattr(spec, role)!r}" + ("" if getattr(args, role) else " (inferred)")
             for role in ("target", "score", "prediction", "timestamp", "id") if getattr(spec, role) is not None]
    parts.append(f"task {spec.task}")
    parts.append(f"window {cfg.window!r}" + ("" if args.window else " (inferred)"))
    return "roles: " + ", ".join(parts) + "; edit model.yaml to change them"


#: Subcommand registry: each function adds its parser to the subparsers and returns its runner.
COMMANDS: list[Callable[[argparse._SubParsersAction], Callable[[argparse.Namespace], int]]] = [_add_report, _add_new]

from .check import add_parser as _add_check  # noqa: E402  (each command beyond report/new: its own module)
from .retrain_cli import add_retrain_set as _add_retrain_set  # noqa: E402

COMMANDS += [_add_check, _add_retrain_set]


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    """The top-level parser and a map from subcommand name to its runner."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="toolkit", description="Investigate ML models in production: reports from template notebooks."
    )
    parser.add_argument("--version", action="version", version=f"toolkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    runners = {}
    for add in COMMANDS:
        before = set(sub.choices)
        runner = add(sub)
        (name,) = set(sub.choices) - before
        runners[name] = runner
    return parser, runners


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``toolkit`` command; returns the exit code."""
    parser, runners = build_parser()
    args = parser.parse_args(argv)
    try:
        return runners[args.command](args)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
