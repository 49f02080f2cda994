"""Benchmark: validate a 1,000,000-row demo-like batch against the demo contract (goal: < 5 s).

Run from the repository root:

    .venv/bin/python bench/schema.py            # toolkit only
    .venv/bin/python bench/schema.py --pandera  # also time pandera on the same row-level rules

The batch is the demo baseline resampled to 1M rows (unique ids, one week of event times), once
clean and once broken the ways the demo breaks (rename + "$" strings, 60% nulls, a new category,
6% outliers x60, 1% duplicate ids), and once heavily broken (half the rows out of range in three
columns, half an unseen plan) to show how cost grows with failing rows. Each timing is the best of ``--repeat`` runs, after one warm-up.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import toolkit as tk  # noqa: E402


def demo_batch(baseline: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    batch = baseline.drop(columns=["churned"]).iloc[rng.integers(0, len(baseline), n)].reset_index(drop=True)
    batch["customer_id"] = pd.Series([f"P{i:07d}" for i in range(n)], dtype="str")
    start = pd.Timestamp("2026-03-02", tz="UTC")
    batch["event_time"] = start + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s")
    return batch


def broken_batch(clean: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(clean)
    batch = clean.copy()
    dollars = pd.Series(batch["monthly_charges"].map("${:,.2f}".format), dtype="str")
    batch = batch.drop(columns=["monthly_charges"]).assign(monthly_charge_usd=dollars)
    batch.loc[rng.random(n) < 0.6, "days_since_last_login"] = np.nan
    batch.loc[rng.random(n) < 0.10, "plan"] = "family"
    burst = rng.random(n) < 0.06
    batch.loc[burst, "avg_session_minutes"] = batch.loc[burst, "avg_session_minutes"] * 60
    dup = rng.random(n) < 0.01
    batch.loc[dup, "customer_id"] = batch["customer_id"].iloc[0]
    return batch


def heavy_batch(clean: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    """Half the rows out of range in three columns and an unseen plan: ~2M failing values."""
    rng = np.random.default_rng(seed)
    n = len(clean)
    batch = clean.copy()
    for col in ("avg_session_minutes", "tenure_months", "age"):
        rows = rng.random(n) < 0.5
        batch.loc[rows, col] = batch.loc[rows, col] * 60 + 1000
    batch.loc[rng.random(n) < 0.5, "plan"] = "family"
    return batch


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pandera", action="store_true", help="also time pandera on the same rules")
    args = parser.parse_args()

    baseline = pd.read_parquet(ROOT / "sample_data" / "baseline.parquet")
    spec = tk.ModelSpec.infer(baseline, target="churned", score="churn_score", prediction="churn_pred",
                              timestamp="event_time", id="customer_id")
    t = time.perf_counter()
    contract = tk.infer_contract(baseline, spec)
    infer_s = time.perf_counter() - t
    clean = demo_batch(baseline, args.rows)
    broken = broken_batch(clean)
    now = pd.Timestamp("2026-06-29", tz="UTC")

    rows = [("infer_contract (50,000-row baseline)", infer_s)]
    result_clean = contract.validate(clean, now=now)
    result_broken = contract.validate(broken, now=now)
    rows.append((f"validate, clean batch ({args.rows:,} rows)", best_of(lambda: contract.validate(clean, now=now), args.repeat)))
    rows.append((f"validate, broken batch ({args.rows:,} rows)", best_of(lambda: contract.validate(broken, now=now), args.repeat)))
    rows.append((f"guard, clean batch ({args.rows:,} rows)",
                 best_of(lambda: tk.guard(clean, contract, now=now), args.repeat)))
    heavy = heavy_batch(clean)
    rows.append((f"validate, heavily broken batch ({args.rows:,} rows, ~2M failing values)",
                 best_of(lambda: contract.validate(heavy, now=now), args.repeat)))
    repaired = contract.repair(broken)
    rows.append((f"guard, repaired broken batch ({args.rows:,} rows, 1 quarantine reason per failing row)",
                 best_of(lambda: tk.guard(repaired, contract, now=now, max_failure_share=1.0,
                                          strict_columns=False), args.repeat)))
    if args.pandera:
        schema = contract.to_pandera()

        def run_pandera(frame):
            from toolkit.schema._pandera import import_pandera

            pa = import_pandera()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    schema.validate(frame, lazy=True)
                except pa.errors.SchemaErrors:
                    pass

        rows.append((f"pandera lazy validate, clean ({args.rows:,} rows)", best_of(lambda: run_pandera(clean), args.repeat)))
        rows.append((f"pandera lazy validate, repaired broken ({args.rows:,} rows)",
                     best_of(lambda: run_pandera(repaired), args.repeat)))
        rows.append((f"pandera lazy validate, heavily broken ({args.rows:,} rows, ~2M failing values)",
                     best_of(lambda: run_pandera(heavy), args.repeat)))

    print(f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
          f"{platform.machine()}, cpus={__import__('os').cpu_count()}")
    print(f"clean:  {result_clean!r}")
    print(f"broken: {result_broken!r}")
    print(result_broken.failures[["column", "check", "severity", "failing_count"]].to_string())
    print()
    print("| step | seconds |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
