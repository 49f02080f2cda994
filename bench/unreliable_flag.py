"""False-flag rate of estimate_performance's unreliable check under repaired miscalibration (issue 10.12).

Usage (repository root, PYTHONPATH=.): python bench/unreliable_flag.py SEED N_REFERENCES
Scores p**2.5 (isotonic calibration repairs them), no concept drift, reference 3,000 rows, 10 labelled chunks of
1,000 rows per reference, flag_level 0.99 (nominal 1%). Prints per metric: flag rate, mean and sd of
z = (realized - check centre) / check sd.
"""
import sys

import numpy as np
import pandas as pd
from scipy import stats

import toolkit as tk

seed, n_refs = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(seed)
frames = []
for rep in range(n_refs):
    def draw(n):
        p = rng.beta(2, 3, n)
        return pd.DataFrame({"s": p**2.5, "y": (rng.random(n) < p).astype(int)})
    est = tk.estimate_performance(draw(3000), draw(10_000), target="y", score="s", metric=["roc_auc", "accuracy"],
                                  chunk_size=1000, n_simulations=200, random_state=rep)
    frames.append(est.to_frame())
f = pd.concat(frames)
centre = (f.check_lower + f.check_upper) / 2
f["z"] = (f.realized - centre) / ((f.check_upper - f.check_lower) / 2 / stats.norm.ppf(0.995))
print(f.groupby("metric").agg(chunks=("z", "size"), flagged=("unreliable", "mean"), z_mean=("z", "mean"),
                              z_sd=("z", "std")))
