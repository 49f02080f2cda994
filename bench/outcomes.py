"""Coverage of the outcome intervals by simulation (issue 10): writes JSON lines, one per cell.

    PYTHONPATH=.:tests python bench/outcomes.py --reps 1000 --n 50,200 > /tmp/cov_small.jsonl
    PYTHONPATH=.:tests python bench/outcomes.py --reps 300 --n 1000 --n-boot 400 > /tmp/cov_1000.jsonl
    python bench/outcomes.py --table /tmp/cov_small.jsonl /tmp/cov_1000.jsonl   # markdown table

Each cell draws ``reps`` samples of ``n`` labelled rows from a 10^6-row population (unweighted, or
drawn proportional to an inclusion probability that over-samples up to 5x, with 1/inclusion_prob
weights) and counts the 95% intervals that hold the population value (tests/outcome_coverage.py).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

CASES = {"binary": ["accuracy", "precision", "recall", "f1", "brier", "log_loss"], "binary_auc99": ["roc_auc"],
         "binary_auc80": ["roc_auc"], "multiclass": ["accuracy", "macro_f1"],
         "regression_t5": ["mae", "rmse", "mape"], "regression_logn": ["mae", "rmse", "mape"]}


def run(reps: int, ns: list[int], n_boot: int) -> None:
    from outcome_coverage import coverage, population

    for kind, metrics in CASES.items():
        pop = population(kind)
        for m in metrics:
            for n in ns:
                for w in (False, True):
                    t = time.time()
                    r = coverage(kind, m, n, w, reps, pop=pop, n_boot=n_boot)
                    r["secs"] = round(time.time() - t, 1)
                    print(json.dumps(r), flush=True)


def table(paths: list[str]) -> str:
    rows = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    out = ["| population | metric | n | weights | reps | coverage | flagged approx. | coverage incl. flagged | method |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (list(CASES).index(r["kind"]), r["metric"], r["n"], r["weighted"])):
        unflagged = r["reps"] * (1 - r.get("flagged", 0) - r["no_interval"])
        cov = "n/a" if r["coverage"] != r["coverage"] or unflagged < 20 else f"{r['coverage']:.3f}"
        ok = "" if cov == "n/a" or 0.93 <= r["coverage"] <= 0.97 else " **out**"
        out.append(f"| {r['kind']} | {r['metric']} | {r['n']} | {'audit' if r['weighted'] else 'none'} | {r['reps']} | "
                   f"{cov}{ok} | {r.get('flagged', 0):.0%} | {r.get('coverage_all', r['coverage']):.3f} | {r['method']} |")
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--n", default="50,200,1000")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--table", nargs="*")
    a = ap.parse_args()
    if a.table:
        print(table(a.table))
        sys.exit(0)
    run(a.reps, [int(x) for x in a.n.split(",")], a.n_boot)
