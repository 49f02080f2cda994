"""Windows of profiles for :func:`toolkit.drift_over_time` when production lives in files or an engine.

:func:`drift_windows` profiles the reference (once) and every window of ``current`` (one pass, on
the reference's edges) and hands them back as :class:`toolkit.windows.Window` objects whose
``frame`` is a plain :class:`~toolkit.Profile`; :class:`toolkit.DriftComparator` compares such
profiles directly (:meth:`~toolkit.DriftComparator.compare_profile`).
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

from ..profiles import DEFAULT_BINS, Profile

__all__ = ["drift_windows", "WindowProfile"]


def _labelled(profile: Profile, label: str | None) -> Profile:
    return profile if label is None or label == profile.label else dataclasses.replace(profile, label=label)


class WindowProfile(Profile):
    """Deprecated: windows are plain :class:`~toolkit.Profile` objects now; ``WindowProfile.of(p, label)``
    returns one (with a DeprecationWarning)."""

    @classmethod
    def of(cls, profile: Profile, label: str | None = None) -> Profile:
        warnings.warn("WindowProfile is deprecated and will be removed in the next release: windows are plain "
                      "Profiles (use the profile itself, or dataclasses.replace(profile, label=...))",
                      DeprecationWarning, stacklevel=2)
        return _labelled(profile, label)


def drift_windows(reference, current, spec=None, *, by="W", timestamp: str | None = None, columns=None, kinds=None,
                  bins: int = DEFAULT_BINS, multivariate: bool = False, progress: bool = True):
    """``(reference profile or None, [Window])`` for comparing every window of ``current`` in place.

    Parameters
    ----------
    reference
        Baseline: a path/glob, DuckDB relation, Spark DataFrame, DataFrame or Profile (or None:
        edges are then derived from all of ``current``, for 'previous'/'rolling' references).
    current
        Production rows where they live (see :func:`toolkit.engines.profile_windows`).
    by
        A period alias on the timestamp ('W', 'D', 'M'...), a column (``'week'``), or ``'batch'``
        (one window per partition folder or file). Row-count windows (an int, 'n=10') need the
        rows in order and are not available here.
    """
    from ..windows import Window
    from ._api import profile as engine_profile
    from ._api import profile_windows

    if multivariate:
        raise ValueError("multivariate=True needs rows on both sides; for files or engine tables it is not "
                         "available: read a sample with tk.read(...) and call drift_over_time on it")
    if isinstance(by, (bool, int, np.integer)) or (isinstance(by, str) and by.replace(" ", "").startswith("n=")):
        raise ValueError(f"by={by!r} makes windows of consecutive rows, which needs the rows in order; for files "
                         "or engine tables pass a period alias ('W', 'D', 'M'), a column ('week') or 'batch'")
    ref = None
    if reference is not None:
        ref = engine_profile(reference, spec=spec, columns=columns, kinds=kinds, bins=bins, progress=progress) \
            if not isinstance(reference, Profile) else reference
    windows = profile_windows(current, ref, spec, window=by, timestamp=timestamp, columns=columns, kinds=kinds,
                              bins=bins, progress=progress)
    out = [Window(label, _labelled(prof, label), None if pd.isna(windows.starts.get(label)) else
                  windows.starts[label]) for label, prof in windows.items()]
    return (None if ref is None else _labelled(ref, "baseline")), out
