"""Ranking drifted columns: severity relative to the threshold, weighted by feature importance.

``severity`` is the largest ratio signal / threshold of a column (>= 1 means drifted), so a
column far past its own calibrated threshold outranks one that barely crossed it, whatever
their statistics' units. With importance, ``weighted_severity = severity x importance / max
importance``; columns without an importance (the score, the prediction) keep their severity.

Examples
--------
>>> from toolkit.drift.report import ColumnDrift
>>> rows = [ColumnDrift("a", "numeric", "ks", severity=3.0, drifted=True),
...         ColumnDrift("b", "numeric", "ks", severity=2.0, drifted=True)]
>>> [r.column for r in rank(rows, {"a": 0.1, "b": 1.0})]
['b', 'a']
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._checks import preview
from .report import ColumnDrift

__all__ = ["rank", "model_importance"]


def rank(results: Sequence[ColumnDrift], importance: Mapping[str, float] | None = None) -> list[ColumnDrift]:
    """Drifted columns first, by (importance-weighted) severity; then the rest by severity."""
    weights: dict[str, float] = {}
    if importance:
        if not isinstance(importance, Mapping):
            raise TypeError(f"importance must be a dict {{column: weight}}; got {type(importance).__name__}")
        bad = {c: w for c, w in importance.items() if not (isinstance(w, (int, float, np.number)) and np.isfinite(w))}
        if bad:
            raise ValueError(f"importance weights must be finite numbers; got {preview(bad.items())}")
        top = max((max(float(w), 0.0) for w in importance.values()), default=0.0)
        weights = {c: (max(float(w), 0.0) / top if top > 0 else 0.0) for c, w in importance.items()}
    out = []
    for r in results:
        if r.column in weights:
            w = weights[r.column]
            ws = r.severity * w if np.isfinite(r.severity) else (math.inf if w > 0 else 0.0)
            r = dataclasses.replace(r, importance=float(importance[r.column]), weighted_severity=float(ws))
        out.append(r)
    position = {r.column: i for i, r in enumerate(out)}
    return sorted(out, key=lambda r: (not r.drifted, -r.weighted_severity, -r.severity, position[r.column]))


def model_importance(model, reference: pd.DataFrame, spec, *, sample_size: int = 5000, n_repeats: int = 5,
                     random_state: int = 0) -> dict[str, float]:
    """Permutation importance of ``model``'s features on (a sample of) the reference.

    Uses :func:`sklearn.inspection.permutation_importance` with the model's default score;
    negative importances (noise) are clipped to 0.
    """
    from sklearn.inspection import permutation_importance

    if spec is None or spec.target is None:
        raise ValueError("model importance needs spec with a target (ModelSpec.infer(reference, target=...)); "
                         "or pass importance={column: weight}")
    roles = spec.resolve(reference, name="reference", caller="model_importance")  # the target must be a column
    features = list(roles.features)
    sample = reference.dropna(subset=[roles.target])
    if len(sample) > sample_size:
        sample = sample.sample(sample_size, random_state=random_state)
    try:
        result = permutation_importance(model, sample[features], sample[roles.target], n_repeats=n_repeats,
                                        random_state=random_state)
    except Exception as exc:  # the model's own error, with context
        raise ValueError(f"permutation importance failed on the reference features {preview(features)}: {exc}") from exc
    return {c: float(max(v, 0.0)) for c, v in zip(features, result.importances_mean)}
