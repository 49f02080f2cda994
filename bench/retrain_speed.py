"""CPU seconds of template 05 (the retraining decision) per statement, in-process, and the numbers it shows.

Usage (from the repository root, with the checkout's toolkit importable)::

    PYTHONPATH=$PWD python bench/retrain_speed.py [--checkout DIR] [--runs N] [--warm] [--dump FILE]
    python bench/retrain_speed.py --compare BEFORE.pkl AFTER.pkl

Each run is a fresh process (``python bench/retrain_speed.py --child``) that executes every top-level statement
of the template's code cells in order with cwd ``notebooks/`` (``TOOLKIT_REPORT_KERNEL=1``,
``TOOLKIT_PROGRESS=off``, a scratch ``XDG_CACHE_HOME``) and times each with ``time.process_time`` (CPU of the
process, so load from other processes barely moves it). ``import toolkit`` is its own statement. Statements
over 0.05 CPU-s are listed; the median per statement over the runs is printed.

``--warm`` runs every process against one cache folder after a first run that is not counted: what a
template finds in a report run, where another kernel already stored the shared results (``cfg.labelled``...).
``--checkout DIR`` measures another checkout (e.g. ``/work/main`` for the "before" figures) on its own
notebooks. ``--dump FILE`` pickles every number of the plan and of the retraining sets of each candidate
(and ``since='onset'``, ``conflicts='latest'``, a second plan on the same config, a set on a fresh config);
``--compare`` diffs two dumps exactly (a speed-up must not move a number).
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "05_retrain_decision.ipynb"


def _statements(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    out = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tree = ast.parse(source)
        lines = source.splitlines()
        for node in tree.body:
            out.append("\n".join(lines[node.lineno - 1:node.end_lineno]))
    return out


def child(checkout: Path) -> None:
    os.chdir(checkout / "notebooks")
    os.environ["TOOLKIT_PROGRESS"] = "off"
    os.environ["TOOLKIT_REPORT_KERNEL"] = "1"
    scope = {"display": lambda *a, **k: None, "__name__": "__main__"}
    timings = []
    for text in _statements(checkout / "notebooks" / TEMPLATE):
        start = time.process_time()
        exec(compile(text, TEMPLATE, "exec"), scope)
        timings.append((text.splitlines()[0][:90], time.process_time() - start))
    print(json.dumps(timings))


def dump(checkout: Path, target: Path) -> None:
    os.chdir(checkout / "notebooks")
    os.environ["TOOLKIT_PROGRESS"] = "off"
    os.environ["TOOLKIT_CACHE"] = "off"
    import toolkit as tk
    from toolkit.outcomes import retraining as R

    out: dict = {}

    def plan_numbers(prefix, plan):
        for f in dataclasses.fields(plan):
            out[f"{prefix}.{f.name}"] = getattr(plan, f.name)

    def set_numbers(prefix, result):
        out[prefix + ".frame"], out[prefix + ".exclusions"] = result.frame, result.exclusions
        out[prefix + ".coverage"] = result.coverage
        # the creation time and the config's absolute path differ between runs and checkouts
        out[prefix + ".datasheet"] = {k: v for k, v in result.datasheet.items() if k not in ("created", "config")}

    cfg = tk.ModelConfig.load("model.yaml")
    plan = tk.retraining_plan(cfg)
    plan_numbers("plan", plan)
    set_numbers("set", plan.retraining_set(cfg))
    set_numbers("set_all", R.retraining_set(cfg, include_reference=True))
    set_numbers("set_weighted", R.retraining_set(cfg, since=plan.onset, include_reference=True,
                                                 importance_to=list(plan.eval_windows)[-1:]))
    set_numbers("set_onset", R.retraining_set(cfg, since="onset"))
    set_numbers("set_latest", R.retraining_set(cfg, since=plan.onset, conflicts="latest", keep_checks=()))
    plan_numbers("plan2", tk.retraining_plan(cfg, metric="brier", since=cfg.windows[-8]))
    set_numbers("set_fresh", R.retraining_set(tk.ModelConfig.load("model.yaml"), since=plan.onset))
    target.write_bytes(pickle.dumps(out))
    print(f"{len(out)} items written to {target}: {plan!r}")


def compare(before: Path, after: Path) -> int:
    import numpy as np
    import pandas as pd

    a, b = pickle.loads(before.read_bytes()), pickle.loads(after.read_bytes())
    bad = sorted(set(a) ^ set(b))
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        try:
            if isinstance(x, pd.DataFrame):
                pd.testing.assert_frame_equal(x, y, check_exact=True)
            elif isinstance(x, float) and np.isnan(x):
                assert isinstance(y, float) and np.isnan(y)
            else:
                assert x == y, (x, y)
        except AssertionError as exc:
            bad.append(key)
            print("DIFFERS", key, str(exc)[:400])
    print(f"compared {len(a)} items: {len(bad)} differ")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm", action="store_true", help="one cache folder, after an uncounted first run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--compare", type=Path, nargs=2)
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    if args.compare:
        return compare(*args.compare)
    if args.dump:
        dump(checkout, args.dump.resolve())
        return 0
    if args.child:
        child(checkout)
        return 0
    env = dict(os.environ, PYTHONPATH=str(checkout))
    runs = []
    with tempfile.TemporaryDirectory() as shared:
        for k in range(args.runs + int(args.warm)):
            with tempfile.TemporaryDirectory() as fresh:
                env["XDG_CACHE_HOME"] = shared if args.warm else fresh
                done = subprocess.run([sys.executable, __file__, "--child", "--checkout", str(checkout)], env=env,
                                      capture_output=True, text=True, check=True)
                if not (args.warm and k == 0):
                    runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    load = os.getloadavg()[0]
    cache = "warm cache" if args.warm else "fresh cache per run"
    print(f"{checkout}: template 05, CPU seconds per statement, median of {len(runs)} runs, {cache} (load {load:.1f})")
    for i, (text, _) in enumerate(runs[0]):
        cpu = statistics.median(r[i][1] for r in runs)
        if cpu > 0.05:
            print(f"{cpu:7.2f}  {text}")
    totals = [sum(t for _, t in r) for r in runs]
    print(f"{statistics.median(totals):7.2f}  total (runs: {', '.join(f'{t:.2f}' for t in totals)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
