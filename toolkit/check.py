"""``toolkit check CONFIG_OR_FOLDER``: the health verdict for cron, CI and orchestrators.

No kernel, no HTML: the verdict of :func:`toolkit.health` as text or JSON, and an exit code.

Exit codes: 0 when the overall status is below ``--fail-on`` (default ``act``), 1 when it reaches
it, 2 on a usage or data error (unreadable config, unknown window, data that cannot be read).

JSON (``--format json``)::

    {"model": "Churn model (demo)", "window": "2026-20", "status": "act",
     "causes": [{"cause": "overall", "status": "act", "since": "2026-08", "summary": "...",
                 "evidence": "...", "next_step": "..."},
                {"cause": "schema", ...}, {"cause": "performance", ...}, {"cause": "fallback", ...},
                {"cause": "drift", ...}, {"cause": "feedback", ...}],
     "toolkit_version": "0.1.0"}

With ``--retrain`` a ``retraining`` row follows the causes when performance is act: what
:func:`toolkit.retraining_plan` recommends and its evidence (it never changes ``status``).

``status`` is ``ok``, ``watch`` or ``act``; ``since`` the first window of the current episode
(null when ok). With a folder holding several model folders, one JSON object per model is
printed as a JSON list and the exit code reflects the worst model.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["add_parser", "run_check"]

_ORDER = ("ok", "watch", "act")


def _configs(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        if (path / "model.yaml").is_file():
            return [path / "model.yaml"]
        found = sorted(p for p in path.glob("*/model.yaml"))
        if found:
            return found
        raise FileNotFoundError(f"{str(path)!r} has no model.yaml (nor any */model.yaml); pass a model.yaml or a "
                                "model folder made by `toolkit new`")
    raise FileNotFoundError(f"{str(path)!r} does not exist; pass a model.yaml or a model folder")


def run_check(target: str | Path, window: str | None = None, fmt: str = "text", fail_on: str = "act",
              out=None, err=None, retrain: bool = False) -> int:
    """Run the check and print it; returns the exit code (see the module docstring)."""
    out = out or sys.stdout
    err = err or sys.stderr
    from .model_health import HealthError, health

    try:
        configs = _configs(Path(target))
        if window is not None and len(configs) > 1:
            raise ValueError("--window applies to one model; pass a single model.yaml or model folder")
        reports = [health(c, window=window, retrain=retrain) for c in configs]
    except (HealthError, FileNotFoundError, KeyError, ValueError, TypeError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"toolkit: error: {' '.join(str(message).split())}", file=err)
        return 2
    if fmt == "json":
        payload = [r.to_dict() for r in reports]
        json.dump(payload[0] if len(payload) == 1 else payload, out, indent=2)
        out.write("\n")
    else:
        out.write("\n\n".join(r.to_text() for r in reports) + "\n")
    worst = max((r.status for r in reports), key=_ORDER.index)
    return 1 if _ORDER.index(worst) >= _ORDER.index(fail_on) else 0


def add_parser(sub: argparse._SubParsersAction):
    """Register ``toolkit check`` on the CLI's subparsers; returns its runner."""
    parser = sub.add_parser(
        "check",
        help="print the model's health verdict (ok / watch / act per cause) and exit non-zero when it needs action",
        description="Compute the health verdict of a model (schema, drift, feedback, performance, fallback) for "
        "one window, without a kernel or HTML. Exit 0 when the overall status is below --fail-on, 1 when it "
        "reaches it, 2 on a usage or data error.",
    )
    parser.add_argument("target", type=Path, metavar="CONFIG_OR_FOLDER",
                        help="a model.yaml, a model folder, or a folder of model folders")
    parser.add_argument("--window", metavar="LABEL",
                        help="window: its label, a date inside it or an ISO week such as 2026-W20 "
                             "(default: the latest complete window)")
    parser.add_argument("--format", dest="fmt", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--fail-on", choices=("watch", "act"), default="act",
                        help="exit 1 when the overall status reaches this level (default: act)")
    parser.add_argument("--retrain", action="store_true",
                        help="when performance is act, add a 'retraining' row with what the retraining plan "
                        "recommends (trains candidates: about doubles the check's CPU time on the demo)")

    def run(args: argparse.Namespace) -> int:
        return run_check(args.target, window=args.window, fmt=args.fmt, fail_on=args.fail_on,
                         retrain=args.retrain)

    return run
