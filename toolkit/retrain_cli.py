"""``toolkit retrain-set CONFIG --since W --output DIR``: write a retraining set and its datasheet.

Registered in :data:`toolkit.cli.COMMANDS`. The work is :func:`toolkit.retraining_set`; this module
only parses arguments and turns toolkit errors into one readable line and exit code 1.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["add_retrain_set"]


def add_retrain_set(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    parser = sub.add_parser(
        "retrain-set",
        help="write the labelled rows to retrain on (Parquet, with a weight column) and a YAML datasheet",
        description="Write DIR/retraining_set.parquet (features, target, weight = 1/inclusion_prob x optional "
        "importance weight) and DIR/datasheet.yaml (windows, row counts, label coverage, exclusions with reasons, "
        "the weights' meaning, the config and toolkit version). Quarantined and schema-broken rows are excluded "
        "and counted; conflicting labels are excluded.",
    )
    parser.add_argument("config", type=Path, metavar="CONFIG", help="the model's model.yaml")
    parser.add_argument("--since", required=True, metavar="W",
                        help="first window (e.g. 2026-16), or 'onset' for the onset of the drop in progress")
    parser.add_argument("--until", metavar="W", help="last window (default: the latest)")
    parser.add_argument("--output", required=True, type=Path, metavar="DIR", help="folder to write into")
    parser.add_argument("--include-reference", action="store_true", help="also include the labelled baseline rows")
    parser.add_argument("--importance-to", metavar="W", action="append",
                        help="re-weight rows so their inputs resemble window W (repeatable)")
    parser.add_argument("--conflicts", choices=("drop", "latest", "first"), default="drop",
                        help="conflicting labels: drop the row (default), keep the latest or the first label")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")

    def run(args: argparse.Namespace) -> int:
        from .outcomes.retraining import retraining_set

        try:
            result = retraining_set(args.config, since=args.since, until=args.until, output=args.output,
                                    include_reference=args.include_reference, importance_to=args.importance_to,
                                    conflicts=args.conflicts)
        except (FileNotFoundError, KeyError, ValueError, TypeError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            print(f"toolkit: error: {' '.join(str(text).split())}", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"{result.headline}")
            print(f"wrote {args.output / 'retraining_set.parquet'} and {args.output / 'datasheet.yaml'}")
        return 0

    return run
