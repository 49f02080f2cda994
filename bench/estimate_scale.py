"""Label-free estimate and abstain routing from counts of every production row, at scale (DuckDB).

Generates the scale investigation's logs (bench/scale_investigation.py: 26 weekly batches, 25 features, labels for
10% of the rows, scores with 6 decimals), then in one process under ``engine: duckdb`` with a small row budget:

- ``cfg.scores_in_engine`` (distinct scores counted with HyperLogLog first) and its CPU time;
- ``cfg.estimate(metric="roc_auc")`` and ``cfg.routing(decision)``: CPU seconds, peak RSS (ru_maxrss), the rows
  they cover (every production row when the cells fit, else the seeded sample, as the note says).

    python bench/estimate_scale.py --rows 2000000 [--data /tmp/tk-estimate-scale]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--budget", type=int, default=250_000)
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    import scale_investigation as S

    import toolkit as tk

    data = Path(args.data or f"/tmp/tk-estimate-scale-{args.rows}")
    info = S.generate(args.rows, data)
    folder = S.model_folder(data, args.budget)
    cfg = tk.ModelConfig.load(folder / "model.yaml")
    out = {"rows": args.rows, "labels": info["labels"], "budget": args.budget, "load": os.getloadavg()[0]}

    def timed(name, fn):
        t0, w0 = time.process_time(), time.perf_counter()
        value = fn()
        out[name + "_cpu_s"] = round(time.process_time() - t0, 2)
        out[name + "_wall_s"] = round(time.perf_counter() - w0, 2)
        return value

    out["scores_in_engine"] = timed("bound", lambda: cfg.scores_in_engine)
    est = timed("estimate", lambda: cfg.estimate(metric="roc_auc"))
    frame = est.to_frame()
    out["estimate_rows"] = int(frame.groupby("window")["n"].first().sum())
    out["estimate_note"] = est.engine_note
    out["unreliable_windows"] = len(est.unreliable)
    decision = tk.abstain_threshold(cfg.reference, spec=cfg.spec, target_accuracy=0.8)
    routing = timed("routing", lambda: cfg.routing(decision))
    out["routing_rows"] = int(routing["n"].sum())
    out["routing_note"] = routing.attrs["engine_note"]
    out["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
