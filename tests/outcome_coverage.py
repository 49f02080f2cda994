"""Simulation harness: coverage of toolkit's outcome intervals against a known truth (issue 10).

Used by tests/test_performance_coverage.py and bench/outcomes.py. Every repetition draws ``n``
labelled rows from a fixed population (with or without audit weights), runs the same code
``tk.performance`` runs for one window (``prepare`` + ``measure``) and checks whether the 95%
interval holds the population value. Audit weights: rows are drawn with probability proportional to
an inclusion probability that over-samples high scores (up to 5x), and carry ``1 / inclusion_prob``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.outcomes.measure import resolve_roles
from toolkit.outcomes.metrics import BinaryKernel, MulticlassKernel, RegressionKernel
from toolkit.outcomes.realized import measure, prepare

POP = 1_000_000
_BLOCK = 250          # repetitions per prepared frame

BINARY = ("accuracy", "precision", "recall", "f1", "brier", "log_loss")


def _binary_population(rng, auc=None):
    if auc is None:                       # calibrated scores
        p = rng.beta(2, 3, POP)
        y = (rng.random(POP) < p).astype(int)
        return p, y
    d = np.sqrt(2) * stats.norm.ppf(auc)  # binormal with the given AUC, prevalence 0.3
    y = (rng.random(POP) < 0.3).astype(int)
    p = stats.norm.cdf(rng.normal(size=POP) + d * y - d / 2)
    return p, y


def population(kind: str, seed: int = 0) -> dict:
    """Columns of a population frame and the inclusion probability of each row."""
    rng = np.random.default_rng(seed)
    if kind.startswith("binary"):
        auc = {"binary": None, "binary_auc99": 0.99, "binary_auc80": 0.80}[kind]
        p, y = _binary_population(rng, auc)
        cols = {"p": p, "y": y}
        size = p
    elif kind == "multiclass":
        y = rng.choice(3, POP, p=[0.5, 0.3, 0.2])
        right = rng.random(POP) < np.array([0.8, 0.6, 0.5])[y]
        pred = np.where(right, y, (y + rng.integers(1, 3, POP)) % 3)
        cols = {"y": y, "pred": pred}
        size = (pred == 0).astype(float)
    else:                                  # regression, heavy-tailed or skewed errors
        x = rng.gamma(4, 5, POP)
        err = rng.standard_t(5, POP) * 4 if kind == "regression_t5" else x * (rng.lognormal(0, 0.6, POP) - 1.2)
        cols = {"y": 10 + x + err, "pred": 10 + x}
        size = x / x.max()
    pi = 0.2 + 0.8 * (size - size.min()) / (size.max() - size.min())   # over-samples large ones, up to 5x
    return {"cols": cols, "pi": pi}


def truth(kind: str, metric: str, pop: dict) -> float:
    c = pop["cols"]
    w = np.ones(POP)
    if kind.startswith("binary"):
        k = BinaryKernel(score=c["p"], prediction=(c["p"] >= 0.5).astype(float))
        return float(k(metric, c["y"].astype(float), w)[0])
    if kind == "multiclass":
        return float(MulticlassKernel(c["pred"], 3)(metric, c["y"], w)[0])
    return float(RegressionKernel(c["pred"])(metric, c["y"], w)[0])


def coverage(kind: str, metric: str, n: int, weighted: bool, reps: int, seed: int = 1, n_boot: int = 1000,
             level: float = 0.95, pop: dict | None = None) -> dict:
    """Share of ``reps`` intervals that hold the population value, the share with no interval (NaN), and the
    mean width."""
    pop = pop if pop is not None else population(kind)
    target = truth(kind, metric, pop)
    rng = np.random.default_rng(seed)
    task = "binary" if kind.startswith("binary") else ("multiclass" if kind == "multiclass" else "regression")
    pi = pop["pi"]
    cdf = np.cumsum(pi)
    base = pd.DataFrame({k: v[:n] for k, v in pop["cols"].items()})
    roles = resolve_roles(base, None, target="y", score="p" if task == "binary" else None,
                          prediction=None if task == "binary" else "pred", task=task)
    hits = nan = flagged = flagged_hits = 0
    widths = []
    # every repetition's sample in one frame, prepared once: measure() then runs on each block of n rows,
    # exactly as tk.performance runs it on one window (the per-repetition pandas work was most of the cost)
    for start in range(0, reps, _BLOCK):
        b = min(_BLOCK, reps - start)
        idx = (np.minimum(np.searchsorted(cdf, rng.random(b * n) * cdf[-1]), POP - 1) if weighted
               else rng.integers(0, POP, b * n))
        frame = pd.DataFrame({k: v[idx] for k, v in pop["cols"].items()})
        if weighted:
            frame["inclusion_prob"] = pi[idx]   # weights 1/pi: only ratios matter for the Hajek estimator
        prep = prepare(frame, roles, (metric,), "inclusion_prob" if weighted else None,
                       classes=[0, 1, 2] if task == "multiclass" else None)
        for r in range(b):
            m = measure(prep, np.arange(r * n, (r + 1) * n), metric, level=level, n_boot=n_boot, rng=rng,
                        keep_boot=False)
            if np.isnan(m.lower) or np.isnan(m.upper):
                nan += 1
                continue
            hit = m.lower <= target <= m.upper
            if m.approximate:
                flagged += 1
                flagged_hits += hit
                continue
            hits += hit
            widths.append(m.upper - m.lower)
    covered = reps - nan - flagged
    return {"kind": kind, "metric": metric, "n": n, "weighted": weighted, "reps": reps, "truth": target,
            "coverage": hits / covered if covered else np.nan, "no_interval": nan / reps,
            "flagged": flagged / reps, "coverage_all": (hits + flagged_hits) / max(reps - nan, 1),
            "mean_width": float(np.mean(widths)) if widths else np.nan, "method": m.method}
