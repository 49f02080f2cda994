import sys, time
import pandas as pd
import toolkit as tk
mode, root = sys.argv[1], sys.argv[2]
t0 = time.process_time(); w0 = time.perf_counter()
ref = pd.read_parquet(f"{root}/baseline.parquet")
contract = tk.infer_contract(ref)
t1 = time.process_time(); w1 = time.perf_counter()
if mode == "pandas":
    batch = pd.read_parquet(f"{root}/logs")
    batch = batch.drop(columns=[c for c in ("week",) if c in batch.columns])
    r = contract.validate(batch)
else:
    r = contract.validate(f"{root}/logs/week=*/*.parquet", engine=mode)
t2 = time.process_time(); w2 = time.perf_counter()
print(mode, f"rows={r.rows:,} infer_cpu={t1-t0:.2f}s validate_cpu={t2-t1:.2f}s validate_wall={w2-w1:.2f}s",
      r.failures[["column", "check", "failing_count"]].values.tolist())
