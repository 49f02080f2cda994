"""Encode model features as a float matrix for scikit-learn's histogram gradient boosting.

Numeric columns are parsed (``"$54.20"`` -> 54.2); categorical ones become integer codes learned
from the frames passed to :meth:`FeatureEncoder.fit` (unseen values are missing); identifier, text,
datetime and empty columns are left out. A column absent from a frame is all-missing there.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..kinds import Kind, coerce_numeric, infer_kind

__all__ = ["FeatureEncoder", "single_thread"]

MAX_CODES = 250


def single_thread():
    """Context manager running OpenMP code (histogram gradient boosting) on one thread.

    The fits here are small; on a busy machine extra OpenMP threads mostly spin and contend.
    threadpoolctl ships with scikit-learn; without it this is a no-op.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn requires threadpoolctl
        import contextlib

        return contextlib.nullcontext()
    # threadpoolctl limits only the runtimes already loaded: load scikit-learn's OpenMP one first, or the
    # first fit inside the block starts one spinning thread per core anyway
    import sklearn.ensemble  # noqa: F401

    return threadpool_limits(limits=1)


class FeatureEncoder:
    """Learn column kinds and category codes once, then encode any frame the same way."""

    def __init__(self, features, kinds: dict | None = None):
        self.features = list(features)
        self.kinds = dict(kinds or {})
        self.columns: list[str] = []
        self.categorical: list[bool] = []
        self.codes: dict[str, dict] = {}
        self.missing: dict[str, str] = {}

    def fit(self, *frames: pd.DataFrame) -> "FeatureEncoder":
        first = frames[0]
        for col in self.features:
            if col not in first.columns:
                continue
            kind = self.kinds.get(col) or infer_kind(first[col])
            kind = Kind(kind)
            if kind is Kind.NUMERIC:
                self.columns.append(col)
                self.categorical.append(False)
            elif kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
                values = pd.concat([f[col] for f in frames if col in f.columns], ignore_index=True).dropna()
                counts = values.astype(str).value_counts()
                self.codes[col] = {v: i for i, v in enumerate(counts.index[:MAX_CODES])}
                self.columns.append(col)
                self.categorical.append(True)
        if not self.columns:
            raise ValueError(f"none of the features {self.features[:5]} is numeric or categorical; "
                             "pass features= with usable columns")
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.full((len(frame), len(self.columns)), np.nan)
        for j, (col, is_cat) in enumerate(zip(self.columns, self.categorical)):
            if col not in frame.columns:
                self.missing[col] = "absent"
                continue
            values = frame[col]
            if is_cat:
                out[:, j] = values.astype(str).map(self.codes[col]).to_numpy(dtype=float, na_value=np.nan)
                out[values.isna().to_numpy(), j] = np.nan
            else:
                out[:, j] = coerce_numeric(values).to_numpy(dtype=float, na_value=np.nan)
        return out
