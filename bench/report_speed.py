"""Wall and CPU seconds of `toolkit report notebooks/` (what `make report` runs), and the executed notebooks' outputs.

Usage (from the repository root, with the worktree's toolkit importable)::

    PYTHONPATH=$PWD python bench/report_speed.py OUTDIR [--cache cold|warm] [--runs N] [--checkout DIR]

``--checkout DIR`` measures another checkout's toolkit on its own notebooks (e.g. ``/work/main`` for the
"before" figures): start two of these at once, one per checkout, to compare under the same machine load.

Each run executes ``python -m toolkit report notebooks/ --output-dir OUTDIR/runK --keep-notebook`` as a child
process and reports its wall seconds and the CPU seconds (user + system) of the whole process tree (the CLI and
its kernels; ``getrusage(RUSAGE_CHILDREN)`` counts every waited-for descendant). ``--cache cold`` gives each run a
fresh ``XDG_CACHE_HOME`` (holding only the Vega bundle and the last timings, which a repeat `make report` has), so
nothing computed by an earlier run is reused; ``warm`` runs against one shared cache folder, after a first run.

``python bench/report_speed.py --outputs DIR`` prints a normalised text dump of every executed notebook's outputs
in DIR (for diffing two runs: the numbers a report shows must not change with a speed-up).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _seed_cache(folder: Path) -> None:
    """A fresh cache holding what a repeat `make report` already has but no computed results."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "toolkit"
    (folder / "toolkit").mkdir(parents=True, exist_ok=True)
    for f in list(home.glob("vega-bundle-*.js")) + list(home.glob("report-timings.json")):
        shutil.copy(f, folder / "toolkit" / f.name)


def run_once(outdir: Path, cache: Path, checkout: Path = ROOT) -> dict:
    # the checkout's toolkit: `python -m` puts the working directory first on sys.path, PYTHONPATH the kernels'
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(checkout))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "toolkit", "report", "notebooks/", "--output-dir", str(outdir),
                           "--keep-notebook"], cwd=checkout, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"toolkit report failed ({proc.returncode})")
    per = {line.split("]")[1].split()[0]: float(m.group(1)) for line in proc.stderr.splitlines()
           if (m := re.search(r"ok: .* in ([\d.]+) s", line))}
    return {"wall": round(wall, 1), "cpu": round(cpu, 1), "load": os.getloadavg()[0], "per_notebook": per,
            "log": proc.stderr}


_VOLATILE = [
    (re.compile(r"\b[0-9a-f]{32}\b"), "<hex>"),                           # uuid-like ids of chart divs
    (re.compile(r"altair-viz-[0-9a-f]+"), "altair-viz-<id>"),
    (re.compile(r"\btk-(vega-)?[0-9a-f]{8,12}\b"), r"tk-\1<id>"),             # toolkit's random element ids
    (re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?"), "<now>"),
    (re.compile(r"/tmp/[\w./-]+"), "<tmp>"),
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b(?= (elapsed|to run|taken))"), "<secs>"),
]


def outputs_text(folder: Path) -> str:
    """Every output of every executed notebook in ``folder`` as text, volatile ids and clock times masked."""
    lines = []
    for nb_path in sorted(Path(folder).glob("*.executed.ipynb")):
        nb = json.loads(nb_path.read_text())
        lines.append(f"=== {nb_path.name}")
        for i, cell in enumerate(nb["cells"]):
            merged = []   # consecutive stream messages joined: how the kernel splits a print is timing, not content
            for out in cell.get("outputs", []):
                if merged and "text" in out and "text" in merged[-1] and out.get("name") == merged[-1].get("name"):
                    merged[-1] = {**merged[-1], "text": "".join(merged[-1]["text"]) + "".join(out["text"])}
                else:
                    merged.append(out)
            for out in merged:
                if "text" in out:
                    texts = [("stream", "".join(out["text"]))]
                else:
                    texts = [(mime, v if isinstance(v, str) else "".join(v) if isinstance(v, list)
                              else json.dumps(v, sort_keys=True, indent=0))
                             for mime, v in sorted(out.get("data", {}).items())]
                for mime, text in texts:
                    for rx, sub in _VOLATILE:
                        text = rx.sub(sub, text)
                    lines.append(f"--- cell {i} {mime}")
                    lines.append(text)
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--cache", choices=["cold", "warm"], default="cold")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--checkout", type=Path, default=ROOT, help="repository whose toolkit and notebooks run")
    ap.add_argument("--outputs", action="store_true", help="print the outputs dump of OUTDIR and exit")
    args = ap.parse_args()
    if args.outputs:
        sys.stdout.write(outputs_text(args.outdir))
        return
    shared = Path(tempfile.mkdtemp(prefix="report-speed-cache-"))
    _seed_cache(shared)
    if args.cache == "warm":
        run_once(args.outdir.resolve() / "warmup", shared, args.checkout.resolve())
    for k in range(args.runs):
        cache = shared
        if args.cache == "cold":
            cache = Path(tempfile.mkdtemp(prefix="report-speed-cache-"))
            _seed_cache(cache)
        res = run_once(args.outdir.resolve() / f"run{k}", cache, args.checkout.resolve())
        (args.outdir / f"run{k}" / "outputs.txt").write_text(outputs_text(args.outdir / f"run{k}"))
        print(json.dumps({k: v for k, v in res.items() if k != "log"}))
        (args.outdir / f"run{k}" / "log.txt").write_text(res["log"])


if __name__ == "__main__":
    main()
