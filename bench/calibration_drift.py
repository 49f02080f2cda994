"""A/A false-alarm rates per column shape and power, for bench/RESULTS-calibration-drift.md (issue 10).

    PYTHONPATH=. python bench/calibration_drift.py [--quick]

Shapes and sizes as in tests/test_drift_calibration_aa.py; prints a Markdown table.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, "tests")
from test_drift_calibration_aa import ALPHA, SHAPES, aa_rates, population  # noqa: E402

import toolkit as tk  # noqa: E402

QUICK = "--quick" in sys.argv
SIZES = [(100, 100, 200), (1_000, 1_000, 150), (1_000, 100, 150), (100, 1_000, 100), (10_000, 10_000, 60),
         (100_000, 100_000, 15)]
if QUICK:
    SIZES = [(n, m, max(10, r // 4)) for n, m, r in SIZES]


def main() -> None:
    print(f"alpha = {ALPHA}; tolerance per shape and for the dataset verdict: {2 * ALPHA}\n")
    print("| reference vs current | reps | " + " | ".join(SHAPES) + " | dataset | seconds |")
    print("|---" * (len(SHAPES) + 4) + "|")
    for n, m, reps in SIZES:
        t = time.perf_counter()
        rates, dataset = aa_rates(n, m, reps, seed=n * 7 + m + 1)
        row = " | ".join(f"{rates[s]:.3f}" for s in SHAPES)
        print(f"| {n:,} vs {m:,} | {reps} | {row} | {dataset:.3f} | {time.perf_counter() - t:.0f} |", flush=True)
    for n, reps in [(2_000, 30 if not QUICK else 10)]:
        t = time.perf_counter()
        rates, dataset = aa_rates(n, n, reps, seed=n + 3, multivariate=True, sample_size=n)
        row = " | ".join(f"{rates[s]:.3f}" for s in SHAPES)
        print(f"| {n:,} vs {n:,}, multivariate=True | {reps} | {row} | {dataset:.3f} | {time.perf_counter() - t:.0f} |",
              flush=True)
    # power
    rng = np.random.default_rng(99)
    reps, hits = (12 if not QUICK else 4), {"normal": 0, "lognormal": 0, "nan5": 0}
    for r in range(reps):
        ref, cur = population(100_000, rng)[list(hits)], population(100_000, rng)[list(hits)]
        for c in hits:
            cur[c] = cur[c] + 0.1 * ref[c].std()
        rep = tk.compare(ref, cur, random_state=r)
        for c in hits:
            hits[c] += c in rep.drifted
    print("\npower, 0.1 SD shift at 100k vs 100k (" + str(reps) + " reps): "
          + ", ".join(f"{c} {h / reps:.2f}" for c, h in hits.items()))
    zipf = 1 / np.arange(1, 51) ** 1.1
    zipf /= zipf.sum()
    reps, found = (100 if not QUICK else 20), 0
    for r in range(reps):
        ref = pd.DataFrame({"c": np.char.add("l", rng.choice(50, 1_000, p=zipf).astype(str))})
        cur = pd.DataFrame({"c": np.char.add("l", rng.choice(50, 1_000, p=zipf).astype(str))})
        cur.loc[:9, "c"] = "brand_new"
        found += "c" in tk.compare(ref, cur, kinds={"c": "categorical"}, random_state=r).drifted
    print(f"power, 1% brand-new category at 1k vs 1k ({reps} reps): {found / reps:.2f}")


if __name__ == "__main__":
    main()
