"""The whole investigation at scale (issue 15): ``toolkit check`` + ``toolkit report`` on every template,
on generated Parquet logs read through DuckDB or Spark (``engine: duckdb|spark`` in model.yaml).

Run from the repository root (``bench/scale.py --investigation`` calls this):

    .venv/bin/python bench/scale_investigation.py --rows 10000000                   # 10M rows, DuckDB
    .venv/bin/python bench/scale_investigation.py --rows 100000000                  # the issue's goal
    .venv/bin/python bench/scale_investigation.py --rows 100000000 --engine spark   # Spark local mode

Data (seeded, generated week by week in bounded memory) goes to ``bench/data/investigation-<rows>/``
(gitignored): ``logs/week=2026-NN/part-0.parquet`` (26 weekly hive partitions), N rows x 25 columns
(customer_id, event_time, score, prediction, 16 numeric features of four shapes, 5 string categoricals);
``baseline.parquet`` (min(N/20, 2M) rows, with the target); ``labels.parquet`` (customer_id, churned)
for a seeded 10% of the production rows. From week 9 three features drift and the score's relation to
the outcome weakens, so every template has something to find.

Each command runs under ``/usr/bin/time -v`` (wall, CPU of the whole tree, the largest single process's
peak RSS) while a sampler sums the RSS of the command and all its descendants (the CLI, the notebook
kernels it runs concurrently, their Spark JVMs) every 0.5 s: the peak of that sum is the "peak RSS incl.
children" (an upper bound: pages shared between processes count once per process). The 1-minute load
average is read before, during (mean of the samples) and after each command (the machine is shared).
Results go to ``bench/RESULTS-scale.md``, one section (table) per engine and row count.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
WEEKS = 26
N_NUMERIC = 16
LEVELS = [3, 8, 20, 60, 200]
BUDGET = 250_000
GOAL = {"rows": 100_000_000, "seconds": 600.0, "peak_gb": 4.0}
START = np.datetime64("2025-12-29T00:00:00")


def _week(n: int, seed, week: int, drift: float, first_id: int, with_target: bool):
    """One week's rows as a pyarrow Table (and the target, for the labels)."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    cols: dict = {"customer_id": pa.array(np.arange(first_id, first_id + n, dtype="int64"))}
    offsets = rng.integers(0, 7 * 86400, n).astype("timedelta64[s]")
    cols["event_time"] = pa.array(START + np.timedelta64(7 * week, "D") + offsets)
    feats = []
    for i in range(N_NUMERIC):
        shape = i % 4
        shift = 0.4 * drift if i in (0, 5, 10) else 0.0
        if shape == 0:
            x = rng.normal(shift, 1.0, n)
        elif shape == 1:
            x = np.round(rng.lognormal(3.0 + shift, 0.5, n), 2)
        elif shape == 2:
            x = rng.negative_binomial(2, 0.4, n).astype("float64")
        else:
            x = np.where(rng.random(n) < 0.6, 0.0, rng.gamma(2.0, 5.0 * (1 + shift), n))
        feats.append(x)
        cols[f"num_{i:02d}"] = pa.array(x, mask=rng.random(n) < 0.01)
    for j, k in enumerate(LEVELS):
        w = 1.0 / np.arange(1, k + 1) ** 0.8
        if j == 1 and drift:
            w[:3] *= 1 + drift
        codes = rng.choice(k, size=n, p=w / w.sum()).astype("int32")
        cols[f"cat_{j}_{k}"] = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array([f"L{j}_{c:03d}" for c in range(k)]))
    z0 = 0.9 * feats[1 % N_NUMERIC] / 20 - 0.6 * feats[2] / 3 + 0.5 * feats[3] / 10 - 1.2
    score = 1 / (1 + np.exp(-(z0 + rng.normal(0, 0.3, n))))
    cols["churn_score"] = pa.array(np.round(score, 6))
    cols["churn_pred"] = pa.array((score >= 0.3).astype("int64"))
    # the outcome follows the score less closely as drift grows (the model degrades)
    truth = 1 / (1 + np.exp(-((1 - 0.6 * drift) * z0 + 0.8 * drift * feats[0])))
    target = (rng.random(n) < truth).astype("int64")
    if with_target:
        cols["churned"] = pa.array(target)
    return pa.table(cols), target


def generate(rows: int, out: Path) -> dict:
    """Write logs, baseline and labels (skipped when already complete)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    marker = out / "COMPLETE"
    if marker.exists():
        return json.loads(marker.read_text())
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    per_week, first = rows // WEEKS, 0
    labels = []
    rng = np.random.default_rng(11)
    for w in range(WEEKS):
        n = per_week + (rows - per_week * WEEKS if w == WEEKS - 1 else 0)
        drift = max(0.0, (w - 8) / (WEEKS - 9))
        path = out / "logs" / f"week=2026-{w + 1:02d}" / "part-0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        writer, done = None, 0
        while done < n:  # at most 2M rows in memory
            m = min(2_000_000, n - done)
            table, target = _week(m, [w, done], w, drift, first + done, False)
            writer = writer or pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=1_000_000)
            keep = rng.random(m) < 0.10
            labels.append(pa.table({"customer_id": table["customer_id"].filter(pa.array(keep)),
                                    "churned": pa.array(target[keep])}))
            done += m
        writer.close()
        first += n
    pq.write_table(pa.concat_tables(labels), out / "labels.parquet", row_group_size=1_000_000)
    base_rows = min(2_000_000, max(rows // 20, 50_000))
    base, _ = _week(base_rows, [999], -2, 0.0, 10**12, True)
    pq.write_table(base, out / "baseline.parquet", row_group_size=1_000_000)
    info = {"rows": rows, "baseline_rows": base_rows, "labels": int(sum(t.num_rows for t in labels)),
            "generate_s": round(time.perf_counter() - t0, 1),
            "bytes": sum(f.stat().st_size for f in out.rglob("*.parquet"))}
    marker.write_text(json.dumps(info))
    return info


#: the Spark session a report's kernel starts (model.yaml ``spark:``): local mode on the machine's cores
SPARK = {"master": f"local[{os.cpu_count() or 2}]", "app_name": "toolkit-scale",
         "conf": {"spark.driver.memory": "2g", "spark.sql.session.timeZone": "UTC", "spark.ui.enabled": False,
                  "spark.ui.showConsoleProgress": False, "spark.sql.shuffle.partitions": 8}}


def bench_spec(columns):
    """The ModelSpec of the generated data (what `toolkit new` would infer, stated so no inference runs)."""
    import toolkit as tk

    kinds = {c: ("categorical" if c.startswith("cat_") or c in ("churn_pred", "churned") else "numeric")
             for c in columns}
    kinds.update({"customer_id": "identifier", "event_time": "datetime"})
    return tk.ModelSpec(features=[c for c in columns if c.startswith(("num_", "cat_"))], target="churned",
                        score="churn_score", prediction="churn_pred", timestamp="event_time", id="customer_id",
                        kinds=kinds, task="binary", positive_label=1, threshold=0.3)


def model_folder(data: Path, budget: int, engine: str = "duckdb") -> Path:
    """A model folder (templates + model.yaml with ``engine``) over the generated data."""
    import pandas as pd
    import pyarrow.parquet as pq

    import toolkit as tk
    from toolkit.reports._new import template_notebooks

    folder = data / ("model" if engine == "duckdb" else f"model-{engine}")
    folder.mkdir(exist_ok=True)
    for nb in template_notebooks(ROOT / "notebooks"):
        shutil.copyfile(nb, folder / nb.name)
    sample = pq.ParquetFile(data / "baseline.parquet").read_row_group(0).slice(0, 20_000).to_pandas()
    spec = bench_spec(sample.columns)
    cfg = tk.ModelConfig(name=f"scale bench ({len(sample):,}-row spec sample)", baseline=str(data / "baseline.parquet"),
                         production=str(data / "logs"), labels=str(data / "labels.parquet"), spec=spec,
                         window="batch", engine=engine, row_budget=budget,
                         spark=SPARK if engine == "spark" else None)
    cfg.save(folder / "model.yaml")
    del pd
    return folder


class TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process and all its descendants, and the mean load, every ``every`` s."""

    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak, self.peak_procs, self.loads = 0, 0, []
        self.cpu: dict[int, float] = {}  # pid -> user+system seconds last seen (the JVM is not reaped: time -v misses it)
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.is_set():
            total, procs = 0, 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for proc in tree:
                try:
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system
                    procs += 1
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            if total > self.peak:
                self.peak, self.peak_procs = total, procs
            self.loads.append(os.getloadavg()[0])
            self.done.wait(self.every)


def _timed(cmd: list[str], env: dict, log: Path) -> dict:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        proc.wait()
        sampler.done.set()
        sampler.join()
    text = log.read_text()

    def field(name):
        m = re.search(rf"{re.escape(name)}: (.+)", text)
        return m.group(1).strip() if m else ""

    return {"cmd": " ".join(cmd), "rc": proc.returncode, "wall_s": round(time.perf_counter() - t0, 1),
            "user_s": float(field("User time (seconds)") or 0), "sys_s": float(field("System time (seconds)") or 0),
            "peak_rss_gb": int(field("Maximum resident set size (kbytes)") or 0) / 1e6, "load_before": load,
            "tree_peak_gb": sampler.peak / 1e9, "tree_peak_procs": sampler.peak_procs,
            "tree_cpu_s": round(sum(sampler.cpu.values()), 1),
            "load_mean": sum(sampler.loads) / len(sampler.loads) if sampler.loads else load,
            "load_after": os.getloadavg()[0], "log": str(log)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--budget", type=int, default=BUDGET, help="row_budget in model.yaml")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb", help="engine in model.yaml")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    out = DATA / f"investigation-{args.rows}"
    info = generate(args.rows, out)
    print(json.dumps(info), flush=True)
    folder = model_folder(out, args.budget, args.engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    py = sys.executable
    tag = "" if args.engine == "duckdb" else f"-{args.engine}"
    results = [
        ("toolkit check", _timed([py, "-m", "toolkit", "check", str(folder)], env, out / f"check{tag}.log")),
        ("toolkit report (every template)", _timed([py, "-m", "toolkit", "report", str(folder), "--output-dir",
                                                    str(out / f"reports{tag}")], env, out / f"report{tag}.log")),
    ]
    for name, r in results:
        print(name, json.dumps(r), flush=True)
    report_log = (out / f"report{tag}.log").read_text()
    per_template = re.findall(r"\] (\d\d_\w+)\.ipynb (ok|FAILED)[^\n]* in ([\d.]+) s", report_log)
    if not args.no_write:
        write(args, info, results, per_template, report_log)


def write(args, info, results, per_template, report_log) -> None:
    import duckdb

    total_wall = sum(r["wall_s"] for _, r in results)
    total_cpu = sum(r["user_s"] + r["sys_s"] for _, r in results)
    peak = max(r["tree_peak_gb"] for _, r in results)
    marker = f"investigation-{args.engine}-{args.rows}"
    versions = f"DuckDB {duckdb.__version__}"
    if args.engine == "spark":
        import pyspark

        versions = (f"PySpark {pyspark.__version__}, model.yaml `spark: {json.dumps(SPARK)}` (one session per "
                    "kernel: each running notebook starts its own local-mode JVM)")
    goal_met = info["rows"] >= GOAL["rows"] and total_wall <= GOAL["seconds"] and peak <= GOAL["peak_gb"] and \
        all(r["rc"] in (0, 1) for _, r in results)
    lines = [
        f"<!-- {marker} -->",
        f"## The whole investigation through {'DuckDB' if args.engine == 'duckdb' else 'Spark (local mode)'}, "
        f"{info['rows']:,} rows (`toolkit check` + `toolkit report` on every template)",
        "",
        f"{info['rows']:,} production rows x 25 columns in 26 weekly hive partitions ({info['bytes'] / 1e9:.2f} GB "
        f"Parquet with the baseline and labels; generated in {info['generate_s']:.0f} s), baseline "
        f"{info['baseline_rows']:,} rows, labels for {info['labels']:,} rows (10%). model.yaml: "
        f"`engine: {args.engine}`, `row_budget: {args.budget:,}`.",
        "",
        f"Command: `.venv/bin/python bench/scale_investigation.py --rows {args.rows} --budget {args.budget} "
        f"--engine {args.engine}`; run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: "
        f"{os.cpu_count()} cores shared with other jobs; {versions}.  ",
        f"Goal (issue 15): {GOAL['rows']:,} rows under {GOAL['seconds'] / 60:.0f} min and {GOAL['peak_gb']:g} GB "
        f"peak RSS including children, in total: **{'met' if goal_met else 'not met'}** here.",
        "",
        "| step | exit | wall (s) | CPU user+sys, `time -v` (s) | CPU, sampled tree incl. JVMs (s) | peak RSS incl. "
        "children (GB) | largest process (GB) | load avg (1 min) before / mean / after |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in results:
        lines.append(f"| {name} | {r['rc']} | {r['wall_s']:.1f} | {r['user_s'] + r['sys_s']:.1f} | "
                     f"{r.get('tree_cpu_s', float('nan')):.1f} | "
                     f"{r['tree_peak_gb']:.2f} ({r['tree_peak_procs']} processes) | {r['peak_rss_gb']:.2f} | "
                     f"{r['load_before']:.1f} / {r['load_mean']:.1f} / {r['load_after']:.1f} |")
    tree_cpu = sum(r.get("tree_cpu_s", 0.0) for _, r in results)
    lines += [f"| total | | {total_wall:.1f} | {total_cpu:.1f} | {tree_cpu:.1f} | {peak:.2f} (max of the steps) | | |",
              ""]
    if per_template:
        lines.append("Per template (wall, s, concurrent with the others): "
                     + ", ".join(f"{t} {s} {sec}" for t, s, sec in per_template) + ".")
    # the report's own failure lines (Spark's JVM logs 'tryLogNonFatalError' stack frames at shutdown: not failures)
    failed = [line for line in report_log.splitlines()
              if "FAILED" in line or line.lstrip().startswith(("toolkit: error", "Traceback"))][:6]
    if failed:
        lines += ["", "Failures:", ""] + [f"    {line.strip()[:300]}" for line in failed]
    lines += [
        "",
        "`toolkit check` exits 1 when it finds problems in the data (here: the injected drift and degradation), "
        "2 on an error. Peak RSS incl. children: the summed RSS of the command's process tree, sampled every "
        "0.5 s (an upper bound, shared pages count per process); the largest process is `time -v`'s figure. "
        "`time -v` counts only reaped children, so it misses the Spark JVMs (py4j does not wait for them); the "
        "sampled tree CPU adds each process's last-seen user+system time (a process living under 0.5 s is missed).",
        f"<!-- /{marker} -->",
        "",
    ]
    path = ROOT / "bench" / "RESULTS-scale.md"
    text = path.read_text() if path.exists() else ""
    section = "\n".join(lines)
    pattern = rf"<!-- {re.escape(marker)} -->.*?<!-- /{re.escape(marker)} -->\n?"
    if re.search(pattern, text, flags=re.S):
        text = re.sub(pattern, lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
