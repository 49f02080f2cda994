"""Contract checks at scale (issue 15, branch checkfast): statements and CPU of ``validate_windows`` on a
production log through DuckDB, before and after "one statement per window / per source".

    .venv/bin/python bench/contract_scale.py --rows 10000000 --before /tmp/checkfast/before

Data: ``bench/scale_investigation.py``'s generator (26 weekly hive partitions, 25 columns: customer_id,
event_time, score, prediction, 16 numeric features, 5 string categoricals; seeded) in ``--data``.
``--before`` is a checkout of the code before the change (``git archive <commit> | tar -x -C DIR``).

Two scenarios, each in a fresh process per code version (same contract, inferred from the baseline):

* ``batch``: ``contract.validate_windows({week: its files}, engine='duckdb')``, 26 windows of files;
* ``period``: what ``toolkit check`` runs under ``engine: duckdb`` with ``window: W`` (a period):
  ``cfg.contract_object.validate_windows(cfg.window_sources())``. Before the change the checks other than
  the row count ran on the held sample of each window (row_budget 250,000 rows in all); after, on every row.
  The held windows (``cfg.batches``) are read before the timer starts in both.

Reported per run: SQL statements sent to DuckDB, CPU seconds of the process (DuckDB's threads included:
``time.process_time``), wall seconds, the 1-minute load average before and after, and the failures found.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(code: str, data: str, scenario: str) -> dict:
    """One measurement (run in a fresh process whose PYTHONPATH is ``code``)."""
    import pandas as pd

    import toolkit as tk
    from toolkit.engines._source import DuckDBSource

    base = pd.read_parquet(Path(data) / "baseline.parquet").head(200_000)
    sys.path.insert(0, str(ROOT / "bench"))
    from scale_investigation import bench_spec

    spec = bench_spec(base.columns)
    contract = tk.infer_contract(base, spec, batch_rows=10_000_000 // 26)
    statements = []
    original = DuckDBSource.run

    def run(self, sql, *args, **kwargs):
        statements.append(sql)
        return original(self, sql, *args, **kwargs)

    logs = Path(data) / "logs"
    if scenario == "batch":
        windows = {p.name.split("=", 1)[1]: [str(f) for f in sorted(p.glob("*.parquet"))]
                   for p in sorted(logs.glob("week=*"))}
        prepare = None
    else:
        cfg = tk.ModelConfig(name="contract scale", baseline=str(Path(data) / "baseline.parquet"),
                             production=str(logs), spec=spec, window="W", engine="duckdb", row_budget=250_000,
                             root=Path(data))
        _ = cfg.batches   # the held sample of each window: read before the timer in both versions
        prepare = cfg
    load0 = os.getloadavg()[0]
    DuckDBSource.run = run
    t0, w0 = time.process_time(), time.perf_counter()
    sources = windows if prepare is None else prepare.window_sources()
    history = contract.validate_windows(sources, engine="duckdb", now="2026-12-01")
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    DuckDBSource.run = original
    frame = history.to_frame()
    rows = sum(r.rows for r in history.results.values())
    checks = sorted(set(frame["check"])) if len(frame) else []
    return {"code": code, "scenario": scenario, "statements": len(statements), "cpu_s": round(cpu, 2),
            "wall_s": round(wall, 2), "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2),
            "windows": len(history.windows), "rows_checked": int(rows), "failures": int(len(frame)),
            "checks": checks, "sampled_windows": sum(1 for r in history.results.values() if r.engine == "pandas"),
            "table": frame[["window", "column", "check", "severity", "failing_share"]].values.tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", default=None, help="data folder (default /tmp/checkfast/inv-<rows>)")
    parser.add_argument("--before", required=True, help="a checkout of the code before the change")
    parser.add_argument("--child", nargs=3, metavar=("CODE", "DATA", "SCENARIO"), help=argparse.SUPPRESS)
    args = parser.parse_args() if "--child" not in sys.argv else None
    if args is None:
        i = sys.argv.index("--child")
        print("RESULT " + json.dumps(child(*sys.argv[i + 1:i + 4]), default=str))
        return
    data = Path(args.data or f"/tmp/checkfast/inv-{args.rows // 1_000_000}M")
    sys.path.insert(0, str(ROOT / "bench"))
    import scale_investigation

    info = scale_investigation.generate(args.rows, data)
    results = []
    for scenario in ("batch", "period"):
        for label, code in (("before", args.before), ("after", str(ROOT))):
            env = {**os.environ, "PYTHONPATH": code}
            out = subprocess.run([sys.executable, __file__, "--child", label, str(data), scenario],
                                 env=env, capture_output=True, text=True, cwd=code)
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                raise SystemExit(f"{label} {scenario} failed:\n{out.stderr[-3000:]}")
            res = json.loads(line[7:])
            results.append(res)
            print({k: v for k, v in res.items() if k != "table"}, flush=True)
    write(info, results, data)


def write(info: dict, results: list[dict], data: Path) -> None:
    lines = [f"| scenario | code | statements | CPU s | wall s | load (before/after) | windows | rows checked | "
             "failures |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['scenario']} | {r['code']} | {r['statements']} | {r['cpu_s']} | {r['wall_s']} | "
                     f"{r['load_before']} / {r['load_after']} | {r['windows']} | {r['rows_checked']:,} | "
                     f"{r['failures']} ({', '.join(r['checks'])}) |")
    same = {}
    for scenario in ("batch", "period"):
        pair = [r for r in results if r["scenario"] == scenario]
        same[scenario] = pair[0]["table"] == pair[1]["table"]
    text = "\n".join(lines) + "\n\nSame failure table before and after: " + ", ".join(
        f"{k}: {'yes' if v else 'NO'}" for k, v in same.items()) + f"\n\nData: {data} {json.dumps(info)}\n"
    print(text)   # the table for bench/RESULTS-checkfast.md


if __name__ == "__main__":
    main()
