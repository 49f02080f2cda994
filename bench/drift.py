"""Benchmark tk.compare: reference and current of N rows x 25 columns (20 numeric, 5 categorical).

Run from the repository root:

    .venv/bin/python bench/drift.py                      # 100k, 1M, 10M; writes bench/RESULTS-drift.md
    .venv/bin/python bench/drift.py --sizes 1000000 --no-write

Each size runs in a fresh subprocess, so peak memory is that size's own. Data is generated on the
fly (seeded): numeric columns are normal, log-normal, skewed counts, zero-inflated and bounded
shapes with ~1% missing; categorical columns have 3, 12, 50, 300 and 1,000 string levels. The
current window has a few real shifts (three numeric columns, one categorical) so the comparison
does the work of a real one. Timed: one ``tk.compare(reference, current)`` call, wall clock,
including kind inference, profiling, every statistic and the threshold calibration. Memory:
peak resident set size sampled every 5 ms during the call (and its increase over the data alone).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_NUMERIC = 20
LEVELS = [3, 12, 50, 300, 1000]
GOAL = {"rows": 1_000_000, "seconds": 3.0, "peak_gb": 2.0}


def make_frame(n: int, seed: int, shift: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(N_NUMERIC):
        shape = i % 5
        delta = 0.15 if (shift and i in (0, 6, 12)) else 0.0
        if shape == 0:
            x = rng.normal(delta, 1.0, n)
        elif shape == 1:
            x = rng.lognormal(3.0, 0.5, n)
        elif shape == 2:
            x = rng.negative_binomial(2, 0.4, n).astype("float64")
        elif shape == 3:
            x = np.where(rng.random(n) < 0.6, 0.0, rng.gamma(2.0, 5.0, n))
        else:
            x = rng.beta(2.0, 5.0, n) * 100
        if delta and shape != 0:
            x = x + delta * x.std()  # a location shift of 0.15 standard deviations
        x[rng.random(n) < 0.01] = np.nan
        cols[f"num_{i:02d}"] = x
    for j, k in enumerate(LEVELS):
        weights = 1.0 / np.arange(1, k + 1) ** 0.8
        if shift and j == 1:
            weights[:3] *= 1.5
        codes = rng.choice(k, size=n, p=weights / weights.sum())
        labels = np.array([f"L{j}_{c:04d}" for c in range(k)], dtype=object)
        cols[f"cat_{j}_{k}"] = pd.array(labels[codes], dtype="str")
    return pd.DataFrame(cols)


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_one(n: int, multivariate: bool, repeat: int) -> dict:
    import resource

    import toolkit as tk

    t0 = time.perf_counter()
    reference = make_frame(n, 1, shift=False)
    current = make_frame(n, 2, shift=True)
    gen_s = time.perf_counter() - t0
    tk.compare(reference.head(2000), current.head(2000), multivariate=multivariate)  # warm imports, not timed
    base = _rss()
    peak = [base]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.005)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    walls, cpus, loads = [], [], []
    for _ in range(repeat):
        loads.append(os.getloadavg()[0])
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        report = tk.compare(reference, current, multivariate=multivariate)
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        drifted = report.drifted
        del report
    stop.set()
    watcher.join()
    peak[0] = max(peak[0], _rss())
    return {
        "rows": n, "columns": reference.shape[1], "multivariate": multivariate, "repeat": repeat,
        "wall_s": round(min(walls), 3), "wall_median_s": round(float(np.median(walls)), 3),
        "cpu_s": round(float(np.median(cpus)), 3), "load_avg": round(float(np.median(loads)), 2),
        "peak_rss_gb": round(peak[0] / 1e9, 3), "data_rss_gb": round(base / 1e9, 3),
        "compare_extra_gb": round((peak[0] - base) / 1e9, 3), "generate_s": round(gen_s, 1),
        "n_drifted": len(drifted), "drifted": drifted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--multivariate", action="store_true", help="also time compare(..., multivariate=True) up to 1M rows")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per size up to 1M rows (10M: once)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update bench/RESULTS-drift.md")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mv", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.mv, args.repeat)))
        return
    results = []
    for n in args.sizes:
        for mv in ([False, True] if args.multivariate and n <= 1_000_000 else [False]):
            repeat = args.repeat if n <= 1_000_000 else 1
            out = subprocess.run([sys.executable, __file__, "--one", str(n), "--repeat", str(repeat)] + (["--mv"] if mv else []),
                                 capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                raise SystemExit(f"benchmark failed at {n:,} rows")
            res = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(res)
            print(f"{n:>11,} rows  multivariate={mv!s:5}  wall best {res['wall_s']:6.2f} s, median {res['wall_median_s']:6.2f} s "
                  f"(CPU {res['cpu_s']:.2f} s, load {res['load_avg']:.1f})  peak RSS {res['peak_rss_gb']:.2f} GB "
                  f"(data {res['data_rss_gb']:.2f} GB, compare +{res['compare_extra_gb']:.2f} GB)  drifted {res['drifted']}")
    if not args.no_write:
        write(results, args)


def write(results: list[dict], args) -> None:
    cmd = ".venv/bin/python bench/drift.py" + (" --multivariate" if args.multivariate else "")
    if args.sizes != [100_000, 1_000_000, 10_000_000]:
        cmd += " --sizes " + " ".join(str(s) for s in args.sizes)
    if args.repeat != 3:
        cmd += f" --repeat {args.repeat}"
    lines = [
        "## drift",
        "",
        f"`tk.compare(reference, current)` on reference and current of N rows x 25 columns (20 numeric, "
        f"5 categorical with {', '.join(map(str, LEVELS))} string levels), generated on the fly.",
        "",
        f"Command: `{cmd}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}.  ",
        f"Goal: {GOAL['rows']:,} x 25 vs {GOAL['rows']:,} x 25 in under {GOAL['seconds']:g} s wall and under "
        f"{GOAL['peak_gb']:g} GB peak; 10M completes.",
        "",
        "| rows per window | multivariate | wall, best (s) | wall, median (s) | CPU time (s) | load avg | peak RSS (GB) | of which data (GB) | compare's extra (GB) | columns flagged |",
        "|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['rows']:,} | {'yes' if r['multivariate'] else 'no'} | {r['wall_s']:.2f} | {r['wall_median_s']:.2f} | "
                     f"{r['cpu_s']:.2f} | {r['load_avg']:.1f} | {r['peak_rss_gb']:.2f} | "
                     f"{r['data_rss_gb']:.2f} | {r['compare_extra_gb']:.2f} | {r['n_drifted']} |")
    lines += [
        "",
        "Wall time covers kind inference, sorting each numeric column once per window, exact KS and "
        "Wasserstein on the merged order, binned profiles, all histogram statistics and their "
        "calibration (multinomial replicates on bins, never on rows). Peak RSS is the whole process "
        "(both generated frames included); 'compare's extra' is the increase during the call. CPU time is "
        "user + system over all threads of the call (2 worker threads); 'load avg' is the machine's 1-minute "
        "load average when the call started (other processes compete for the 2 cores when it exceeds ~0). "
        f"Wall is the best and median of {args.repeat} calls up to 1M rows, one call at 10M. "
        "Shifted columns in current: num_00, num_06, num_12 (+0.15 SD in location), cat_1_12 (mix).",
        "",
    ]
    busiest = max(r["load_avg"] for r in results)
    if busiest > 1.5:
        lines += [
            f"Recorded while other jobs shared the machine (1-minute load average up to {busiest:.1f} on "
            f"{os.cpu_count()} cores), so wall times are inflated; CPU time is the load-independent figure. "
            "With both cores free, wall is about CPU time / 2 plus the serial parts (kind inference, thread "
            "start-up, the final profiles).",
            "",
        ]
    path = Path(__file__).with_name("RESULTS-drift.md")
    path.write_text("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
