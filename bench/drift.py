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

Whole process, side by side with a floor (issue 15):

    .venv/bin/python bench/drift.py --whole                 # 1M x 27, 5 rounds; section in RESULTS-drift.md
    .venv/bin/python bench/drift.py --whole --rows 100000 --rounds 3 --no-write

Writes reference and current (N rows x 27 columns: 22 numeric, 5 categorical, current shifted) to
``bench/data/drift-<N>/`` once, then runs, in rounds, one fresh Python process per measurement so
import time counts: (1) the **floor**, a bare numpy/pandas pass (import numpy + pandas, read both
Parquet files, ``np.histogram`` of every numeric column on 20 bins of the reference's range and
``value_counts`` of every categorical, both sides); (2) the toolkit in memory (import toolkit, read
both files with pandas, ``tk.compare(reference, current)``); (3) the toolkit on the paths,
``tk.compare(ref_path, cur_path)`` with ``engine='auto'`` (within the row budget: the files are read
into memory and compared on their rows); (4) the same paths with ``engine='duckdb'`` forced (profiled
where they live, binned KS). Each process is timed from spawn to exit: wall clock, and CPU time
(user + system of the child: the parent's ``RUSAGE_CHILDREN`` delta). The kinds rotate within each
round, so machine load hits them alike; the ratios (medians over rounds) are the figures.
Toolkit's bytecode is written first (as an installed package has it), so no process pays for compiling it.
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


WHOLE_NUMERIC = 22


def _whole_data(n: int) -> tuple[Path, Path]:
    out = Path(__file__).resolve().parent / "data" / f"drift-{n}"
    ref, cur = out / "reference.parquet", out / "current.parquet"
    if not (ref.exists() and cur.exists()):
        global N_NUMERIC
        out.mkdir(parents=True, exist_ok=True)
        keep, N_NUMERIC = N_NUMERIC, WHOLE_NUMERIC
        try:
            make_frame(n, 1, shift=False).to_parquet(ref)
            make_frame(n, 2, shift=True).to_parquet(cur)
        finally:
            N_NUMERIC = keep
    return ref, cur


_WHOLE_CODE = {
    "floor": """
import sys
import numpy as np, pandas as pd
ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
for c in ref.columns:
    if ref[c].dtype.kind == "f":
        a = ref[c].to_numpy(); a = a[np.isfinite(a)]
        counts, edges = np.histogram(a, bins=20)
        b = cur[c].to_numpy(); b = b[np.isfinite(b)]
        np.histogram(b, bins=edges)
    else:
        ref[c].value_counts(); cur[c].value_counts()
""",
    "memory": """
import sys
import pandas as pd
import toolkit as tk
ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
print(",".join(tk.compare(ref, cur).drifted))
""",
    "path": """
import sys
import toolkit as tk
print(",".join(tk.compare(sys.argv[1], sys.argv[2]).drifted))
""",
    "duckdb": """
import sys
import toolkit as tk
print(",".join(tk.compare(sys.argv[1], sys.argv[2], engine="duckdb").drifted))
""",
}
KINDS = ["floor", "memory", "path", "duckdb"]
LABELS = {
    "floor": "floor: numpy histograms + value_counts",
    "memory": "toolkit, in memory (`pd.read_parquet` + `tk.compare(df, df)`)",
    "path": "toolkit, path input, engine='auto' (`tk.compare(path, path)`)",
    "duckdb": "toolkit, path input, engine='duckdb' forced",
}


def _timed_process(code: str, args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[1])
    out, err = proc.communicate()
    wall = time.perf_counter() - t0  # the child's CPU time: the caller's RUSAGE_CHILDREN delta
    if proc.returncode != 0:
        raise SystemExit(f"whole-process measurement failed:\n{err}")
    return wall, out.strip()


def _compile_toolkit() -> None:
    """Write toolkit's bytecode first, as ``pip install`` does: without it (PYTHONDONTWRITEBYTECODE set,
    or a fresh checkout) every measured process would compile the package, a cost the floor never pays."""
    import toolkit

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(toolkit.__file__).parent)], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def run_whole(n: int, rounds: int) -> dict:
    import resource

    ref, cur = _whole_data(n)
    _compile_toolkit()
    kinds = KINDS
    walls = {k: [] for k in kinds}
    cpus = {k: [] for k in kinds}
    loads, drifted = [], {}
    for r in range(rounds):
        order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]  # rotate, so no kind always runs first
        for k in order:
            loads.append(os.getloadavg()[0])
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall, out = _timed_process(_WHOLE_CODE[k], [str(ref), str(cur)])
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            walls[k].append(wall)
            cpus[k].append((c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime))
            if k != "floor":
                drifted[k] = out
    med = {k: float(np.median(walls[k])) for k in kinds}
    cmed = {k: float(np.median(cpus[k])) for k in kinds}
    return {
        "rows": n, "columns": WHOLE_NUMERIC + len(LEVELS), "rounds": rounds,
        "wall": {k: round(v, 3) for k, v in med.items()}, "cpu": {k: round(v, 3) for k, v in cmed.items()},
        "wall_all": {k: [round(x, 2) for x in v] for k, v in walls.items()},
        "cpu_all": {k: [round(x, 2) for x in v] for k, v in cpus.items()},
        "ratio_wall": {k: round(med[k] / med["floor"], 2) for k in kinds},
        "ratio_cpu": {k: round(cmed[k] / cmed["floor"], 2) for k in kinds},
        "path_over_memory": {"wall": round(med["path"] / med["memory"], 2), "cpu": round(cmed["path"] / cmed["memory"], 2)},
        "load_avg": [round(min(loads), 1), round(float(np.median(loads)), 1), round(max(loads), 1)],
        "drifted": drifted,
    }


def write_whole(res: dict, cmd: str, results: str = "RESULTS-drift.md") -> None:
    w, c = res["wall"], res["cpu"]
    lines = [
        "<!-- whole-process:start -->",
        "## drift, whole process vs a numpy-histogram floor (issue 15)",
        "",
        f"Command: `{cmd}`  ",
        f"Data: {res['rows']:,} rows x {res['columns']} columns per side (22 numeric, 5 categorical), Parquet. "
        f"Each figure is one fresh Python process (import + Parquet read + work), median of {res['rounds']} "
        "rounds; the kinds rotate within each round. 1-minute load average during the run: "
        f"min {res['load_avg'][0]}, median {res['load_avg'][1]}, max {res['load_avg'][2]} on {os.cpu_count()} cores.",
        "",
        "| process | wall, median (s) | CPU user+sys, median (s) | wall / floor | CPU / floor |",
        "|---|---:|---:|---:|---:|",
        *(f"| {LABELS[k]} | {w[k]:.2f} | {c[k]:.2f} | {res['ratio_wall'][k]:.2f} | {res['ratio_cpu'][k]:.2f} |"
          for k in KINDS),
        "",
        f"Goals: in memory at most 1.5x the floor; path at most the in-memory time (path / in memory here: "
        f"wall {res['path_over_memory']['wall']:.2f}, CPU {res['path_over_memory']['cpu']:.2f}).  ",
        f"Every round (wall, s): {res['wall_all']}.  ",
        f"Every round (CPU, s): {res['cpu_all']}.  ",
        f"Columns flagged: in memory {res['drifted'].get('memory')}; path (auto) {res['drifted'].get('path')}; "
        f"path (duckdb) {res['drifted'].get('duckdb')} (shifted: num_00, num_06, num_12, cat_1_12).",
        "<!-- whole-process:end -->",
        "",
    ]
    path = Path(__file__).with_name(results)
    text = path.read_text() if path.exists() else ""
    if "<!-- whole-process:start -->" in text:
        head, rest = text.split("<!-- whole-process:start -->", 1)
        tail = rest.split("<!-- whole-process:end -->", 1)[1].lstrip("\n")
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    path.write_text(text)
    print(f"wrote {path}")


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
    parser.add_argument("--whole", action="store_true", help="whole-process ratio to a numpy-histogram floor")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per side for --whole")
    parser.add_argument("--rounds", type=int, default=5, help="rounds for --whole")
    parser.add_argument("--results", default="RESULTS-drift.md", help="file in bench/ that --whole writes its section to")
    args = parser.parse_args()
    if args.whole:
        res = run_whole(args.rows, args.rounds)
        print(json.dumps(res, indent=1))
        if not args.no_write:
            cmd = ".venv/bin/python bench/drift.py --whole"
            cmd += f" --rows {args.rows}" if args.rows != 1_000_000 else ""
            cmd += f" --rounds {args.rounds}" if args.rounds != 5 else ""
            cmd += f" --results {args.results}" if args.results != "RESULTS-drift.md" else ""
            write_whole(res, cmd, args.results)
        return
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
