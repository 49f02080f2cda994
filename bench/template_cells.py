"""CPU seconds per code cell of one template, executed in this process as a report kernel would run it.

Usage (from the repository root)::

    PYTHONPATH=$PWD .venv/bin/python bench/template_cells.py 03_estimate_degradation [--cache DIR]

The template's code cells run in order with ``notebooks/`` as the working directory, marked as a report run
(``TOOLKIT_REPORT_KERNEL=1``, so the frames and results a report shares come from the disk cache in ``DIR``:
run ``tk.health`` or another template first with the same ``--cache`` to measure a kernel that finds them,
or give a fresh folder to measure one that computes them). Prints each cell taking over 0.2 CPU-s
(``time.process_time``) with its wall seconds, then the template's total.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", help="notebook name without .ipynb, e.g. 03_estimate_degradation")
    parser.add_argument("--cache", default=None, help="XDG_CACHE_HOME for the run (default: the current one)")
    args = parser.parse_args()
    if args.cache:
        os.environ["XDG_CACHE_HOME"] = args.cache
    os.environ.update(TOOLKIT_PROGRESS="off", TOOLKIT_REPORT_KERNEL="1")
    os.chdir(ROOT / "notebooks")
    cells = [c for c in json.loads(Path(f"{args.template}.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    namespace = {"display": lambda *a, **k: None, "__name__": "__main__"}
    total = 0.0
    for cell in cells:
        source = "".join(cell["source"])
        cpu, wall = time.process_time(), time.perf_counter()
        exec(compile(source, args.template, "exec"), namespace)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        total += cpu
        if cpu > 0.2:
            print(f"{cpu:6.2f} CPU-s {wall:6.2f} s  {source.splitlines()[0][:90]}")
    print(f"{args.template}: {total:.2f} CPU-s in its code cells")


if __name__ == "__main__":
    main()
