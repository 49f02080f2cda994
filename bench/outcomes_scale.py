"""Realized performance per window at scale: engine aggregates (every labelled row) vs the sample path.

    python bench/outcomes_scale.py make  --rows 10000000 --out /tmp/tk-outcomes-10m
    python bench/outcomes_scale.py run   --out /tmp/tk-outcomes-10m --mode aggregates   # under /usr/bin/time -v
    python bench/outcomes_scale.py run   --out /tmp/tk-outcomes-10m --mode sample

``make`` writes ``rows`` scored predictions in 10 weekly Parquet partitions (id, event time, a score with 6
decimals, two features) and labels for 10% of them (``label_time``; the last two weeks only through an
audit sample over-weighting high scores, with ``inclusion_prob``), plus a ``model.yaml`` with
``engine: duckdb`` and the default row budget (2,000,000).

``run --mode aggregates`` is what template 03 does now: ``cfg.performance`` -> label join and cells in
DuckDB over every row. ``--mode sample`` is what it did before: the budgeted frames (a seeded sample of
2M production rows and the labels of those rows) joined in pandas, then ``tk.performance`` on them.
Each prints CPU seconds (process), the labelled rows behind the figures and the first windows' AUC.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make(rows: int, out: Path, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    per = rows // 10
    labels = []
    for week in range(10):
        ids = np.arange(week * per, (week + 1) * per, dtype=np.int64)
        t = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(weeks=week) + pd.to_timedelta(
            rng.integers(0, 7 * 86400, per), "s")
        x1, x2 = rng.normal(size=per), rng.gamma(2.0, 1.0, per)
        logit = -1.0 + 1.2 * x1 - 0.3 * x2 + (0.8 if week >= 6 else 0.0) * rng.normal(size=per)
        score = np.round(1 / (1 + np.exp(-(-1.0 + 1.2 * x1 - 0.3 * x2))), 6)
        y = (rng.random(per) < 1 / (1 + np.exp(-logit))).astype(np.int64)
        folder = out / "production" / f"week=2026-{week + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"id": ids, "event_time": t, "x1": x1, "x2": x2, "score": score}).to_parquet(
            folder / "part-0.parquet")
        if week < 8:
            pick, pi = rng.random(per) < 0.10, np.ones(per)
        else:  # audit: high scores over-sampled
            pi = np.where(score >= 0.5, 0.3, 0.05)
            pick = rng.random(per) < pi
        labels.append(pd.DataFrame({"id": ids[pick], "y": y[pick], "label_time": t[pick] + pd.Timedelta("30D"),
                                    "inclusion_prob": pi[pick]}))
    pd.concat(labels, ignore_index=True).to_parquet(out / "labels.parquet")
    base = pd.read_parquet(out / "production" / "week=2026-01" / "part-0.parquet").head(200_000)
    base = base.merge(labels[0][["id", "y"]], on="id", how="inner")
    base.to_parquet(out / "baseline.parquet")
    import toolkit as tk

    spec = tk.ModelSpec(features=["x1", "x2"], target="y", score="score", timestamp="event_time", id="id",
                        task="binary", positive_label=1, threshold=0.5)
    tk.ModelConfig(name="bench", baseline="baseline.parquet", production="production", labels="labels.parquet",
                   spec=spec, window="batch", engine="duckdb").save(out / "model.yaml")
    print(f"wrote {rows:,} rows, {sum(len(f) for f in labels):,} labels to {out}")


def run(out: Path, mode: str) -> None:
    import toolkit as tk

    start = time.process_time()
    cfg = tk.ModelConfig.load(out / "model.yaml")
    if mode == "aggregates":
        perf = cfg.performance(metric=["roc_auc", "accuracy"])
    else:  # the path before: the budgeted frames, joined and measured in pandas
        joined = cfg.labelled.joined
        perf = tk.performance(joined, cfg.spec, metric=["roc_auc", "accuracy"], by="window")
    cpu = time.process_time() - start
    f = perf.to_frame()
    auc = f[f["metric"] == "roc_auc"]
    print(f"mode={mode} engine={perf.engine} cpu_s={cpu:.1f} labelled_rows={int(auc['n'].sum()):,} "
          f"rows={int(auc['n_rows'].sum()):,}")
    print(auc[["window", "value", "lower", "upper", "n", "method"]].head(3).to_string(index=False))
    print(auc[["window", "value", "lower", "upper", "n", "method"]].tail(2).to_string(index=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["make", "run"])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/tk-outcomes-10m"))
    parser.add_argument("--mode", choices=["aggregates", "sample"], default="aggregates")
    args = parser.parse_args()
    make(args.rows, args.out) if args.what == "make" else run(args.out, args.mode)
