"""Drift over time: every production window compared with its reference.

The reference is the baseline ('fixed'), the window before ('previous'), the last k windows
('rolling') or every earlier window ('expanding'). Each window gets a full
:class:`~toolkit.DriftReport` (thresholds calibrated to that window's size), and
:meth:`DriftOverTime.to_frame` stacks them into one tidy frame ready for a heatmap.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._checks import check_choice, check_frame, preview
from .._compat import renamed_arguments
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html, notes_html
from ..kinds import Kind
from ..profiles import DEFAULT_BINS, Profile
from ..windows import REFERENCE_TYPES, as_windows, references, split
from .comparator import DriftComparator, check_known_columns
from .report import DriftReport
from ..results import Result

__all__ = ["drift_over_time", "DriftOverTime", "OVER_TIME_COLUMNS"]

#: Columns of :meth:`DriftOverTime.to_frame`.
OVER_TIME_COLUMNS = [
    "window", "window_start", "window_rows", "reference", "column", "kind", "method", "statistic", "threshold",
    "severity", "drifted", "signals", "p_value", "p_value_adjusted", "effect", "min_detectable_effect",
    "missing_share_ref", "missing_share_cur", "out_of_range_share", "unseen_share", "n_ref", "n_cur", "note",
]


@dataclasses.dataclass(frozen=True, eq=False)
class DriftOverTime(Result):
    """Per-window drift reports and their tidy stack.

    Attributes
    ----------
    windows
        Window labels, in order.
    reports
        One :class:`~toolkit.DriftReport` per window (same order).
    reference_type
        'fixed', 'rolling', 'expanding' or 'previous'.
    reference_labels
        For each window, what it was compared with ('baseline', or the labels of earlier windows).
    by
        How the windows were made.
    notes
        Caveats (rows without a timestamp, windows without a reference...).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(3)
    >>> prod = pd.DataFrame({"batch": np.repeat(["b1", "b2", "b3"], 1000), "x": rng.normal(size=3000)})
    >>> prod.loc[prod["batch"] == "b3", "x"] += 0.4
    >>> result = tk.drift_over_time(pd.DataFrame({"x": rng.normal(size=3000)}), prod, by="batch")
    >>> result.to_frame()[["window", "drifted"]].values.tolist()
    [['b1', False], ['b2', False], ['b3', True]]
    """

    windows: tuple[str, ...]
    reports: tuple[DriftReport | None, ...]
    reference_type: str
    reference_labels: tuple[str, ...]
    by: object
    window_starts: tuple = ()
    window_rows: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()

    # -- headline -------------------------------------------------------------------------------
    def report(self, window: str) -> DriftReport:
        """The :class:`DriftReport` of one window."""
        try:
            rep = self.reports[self.windows.index(str(window))]
        except ValueError:
            raise KeyError(f"no window {window!r}; windows are {preview(self.windows)}") from None
        if rep is None:
            raise KeyError(f"window {window!r} had no reference to compare with ({self.reference_type} reference)")
        return rep

    @property
    def drifted(self) -> list[str]:
        """Columns that drifted in at least one window, most often first."""
        frame = self.to_frame()
        counts = frame[frame["drifted"]].groupby("column", sort=False).size().sort_values(ascending=False, kind="stable")
        return [str(c) for c in counts.index]

    @property
    def first_drift(self) -> dict[str, str]:
        """``{column: first window in which it drifted}``."""
        frame = self.to_frame()
        first = frame[frame["drifted"]].drop_duplicates("column")
        return dict(zip(first["column"], first["window"]))

    def drifted_windows(self, column: str) -> list[str]:
        """Windows in which ``column`` drifted."""
        frame = self.to_frame()
        return frame.loc[frame["drifted"] & (frame["column"] == column), "window"].tolist()

    # -- frames ---------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per (window, column), columns as in :data:`OVER_TIME_COLUMNS`.

        ``window, window_start, window_rows, reference, column, kind, method, statistic, threshold,
        severity, drifted, signals, p_value, p_value_adjusted, effect, min_detectable_effect,
        missing_share_ref, missing_share_cur, out_of_range_share, unseen_share, n_ref, n_cur, note``.
        """
        parts = []
        for i, (label, rep) in enumerate(zip(self.windows, self.reports)):
            if rep is None:
                continue
            f = rep.to_frame()
            f.insert(0, "window", label)
            f.insert(1, "window_start", self.window_starts[i] if self.window_starts else pd.NaT)
            f.insert(2, "window_rows", rep.n_current)
            f.insert(3, "reference", self.reference_labels[i])
            parts.append(f[OVER_TIME_COLUMNS])
        if not parts:
            return pd.DataFrame(columns=OVER_TIME_COLUMNS)
        out = pd.concat(parts, ignore_index=True)
        out["drifted"] = out["drifted"].astype(bool)
        return out

    def summary(self) -> pd.DataFrame:
        """One row per window: rows, columns drifted, share, multivariate AUC, dataset verdict."""
        rows = []
        for i, (label, rep) in enumerate(zip(self.windows, self.reports)):
            row = {"window": label, "window_start": self.window_starts[i] if self.window_starts else pd.NaT,
                   "window_rows": self.window_rows[i] if self.window_rows else np.nan,
                   "reference": self.reference_labels[i]}
            if rep is not None:
                mv = rep.multivariate
                row.update({"n_drifted": len(rep.drifted), "share_drifted": rep.share_drifted,
                            "drifted": ", ".join(map(str, rep.drifted)), "multivariate_auc": getattr(mv, "auc", np.nan),
                            "dataset_drifted": rep.dataset_drifted})
            rows.append(row)
        return pd.DataFrame(rows)

    # -- display --------------------------------------------------------------------------------
    def chart(self, columns: list[str] | None = None):
        """Heatmap window x column of severity (statistic / threshold); drifted cells marked."""
        from ..charts.drift import drift_heatmap

        return drift_heatmap(self, columns=columns)

    def to_html(self) -> str:
        summary = self.summary()
        n_win = len(self.windows)
        drifted = self.drifted
        head = (f"{n_win} windows ({self.by!r}), {self.reference_type} reference; "
                + (f"columns that drifted: {preview(drifted)}" if drifted else "no column drifted"))
        body = frame_to_html(summary)
        body += notes_html(self.notes)
        colour = SEVERITY_COLOURS["warning" if drifted else "ok"]
        return card("Drift over time", body, head, colour)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return (f"DriftOverTime({len(self.windows)} windows, {self.reference_type} reference, "
                f"drifted: {preview(self.drifted) if self.drifted else 'none'})")


@renamed_arguments(replicates="n_resamples")
def drift_over_time(
    reference,
    current=None,
    spec=None,
    *,
    by: str | int = "W",
    windows=None,
    timestamp: str | None = None,
    reference_type: str = "fixed",
    rolling: int = 4,
    columns: list[str] | None = None,
    alpha: float = 0.05,
    methods=None,
    thresholds=None,
    min_effect=None,
    importance=None,
    multivariate: bool = False,
    sample_size: int = 20_000,
    random_state: int = 0,
    kinds: Mapping[str, str] | None = None,
    bins: int = DEFAULT_BINS,
    n_resamples: int = 1000,
    keep_empty: bool = True,
    n_jobs: int | None = None,
) -> DriftOverTime:
    """Compare every production window with its reference.

    Parameters
    ----------
    reference
        The baseline DataFrame (may be None for 'previous'/'rolling'/'expanding' references; then
        the first window has nothing to be compared with and is reported as such).
    current
        Production rows to split into windows, or ``(label, frame)`` pairs (e.g.
        ``tk.read_batches(folder)``); alternatively pass ``windows=``.
    spec
        ModelSpec: monitored columns, kinds and the timestamp.
    by
        Period alias ('D', 'W', 'M'...), rows per window (int), 'n=10' for ten equal windows, or a
        column name whose values label the windows (e.g. 'batch').
    windows
        Ready-made windows: ``{label: frame}`` or ``[(label, frame), ...]``.
    timestamp
        Event-time column (default: ``spec.timestamp``).
    reference_type
        'fixed' (the baseline), 'previous', 'rolling' (the ``rolling`` windows before) or 'expanding'.
    rolling
        Windows in a rolling reference.
    columns, alpha, methods, thresholds, min_effect, importance, multivariate, sample_size, random_state, kinds, bins, n_resamples
        As in :func:`toolkit.compare`, applied to every window (one :class:`~toolkit.DriftComparator` fitted
        on the reference compares them all).
    keep_empty
        Keep empty periods (shown as windows with 0 rows).

    Returns
    -------
    DriftOverTime

    Examples
    --------
    >>> import toolkit as tk
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=4000)})
    >>> prod = pd.DataFrame({"t": pd.date_range("2026-01-05", periods=4200, freq="h"),
    ...                      "x": rng.normal(size=4200)})
    >>> prod.loc[prod["t"] >= "2026-04-06", "x"] += 0.5
    >>> result = tk.drift_over_time(ref, prod, by="W", timestamp="t")
    >>> result.first_drift
    {'x': '2026-04-06'}
    """
    check_choice("reference_type", reference_type, REFERENCE_TYPES)
    settings = dict(alpha=alpha, methods=methods, thresholds=thresholds, min_effect=min_effect, n_resamples=n_resamples,
                    random_state=random_state, bins=bins, importance=importance, multivariate=multivariate,
                    sample_size=sample_size, n_jobs=n_jobs)
    DriftComparator(**settings)  # bad options fail here, before any window is read or profiled
    from ..engines import is_source

    if current is not None and windows is None and is_source(current):  # files, DuckDB, Spark: profiled in place
        from ..engines import drift_windows

        reference, windows = drift_windows(reference, current, spec, by=by, timestamp=timestamp, columns=columns,
                                           kinds=kinds, bins=bins, multivariate=multivariate)
        first = reference if reference is not None else next((w.frame for w in windows), None)
        kinds = {**({c: k.value for c, k in first.kinds.items()} if first is not None else {}), **(kinds or {})}
        current = None
    if isinstance(reference, (str, os.PathLike)):  # a baseline file beside production rows: read it
        from ..io import read

        reference = read(reference)
    if reference is not None and not isinstance(reference, Profile):
        reference = check_frame("reference", reference)
    elif reference is None and reference_type == "fixed":
        raise ValueError("reference_type='fixed' needs a reference (baseline) DataFrame; or use reference_type='previous'")
    timestamp = timestamp if timestamp is not None else getattr(spec, "timestamp", None)
    notes: list[str] = []
    if windows is None and current is not None and not isinstance(current, pd.DataFrame):
        windows, current = current, None
    if windows is not None:
        wins = as_windows(windows)
    else:
        if current is None:
            raise TypeError("pass the production rows as current=..., or ready-made windows=...")
        current = check_frame("current", current)
        wins = split(current, by=by, timestamp=timestamp, keep_empty=keep_empty)
        # rows with no timestamp / no window value are kept in a window of their own, and said so
        notes += [f"{w.n_rows:,} rows have no {w.label[len('(missing '):-1]!r}: they form window {w.label!r}"
                  for w in wins if w.label.startswith("(missing ")]
        notes += [f"window {w.label!r} is incomplete: {w.reason}" for w in wins
                  if not w.complete and w.n_rows and not w.label.startswith("(missing ")]
    if not wins:
        raise ValueError("no windows: current has no rows (or no valid timestamps)")

    # columns and kinds: fixed once, from the baseline (or the first window), for every comparator
    basis = reference if reference is not None else next((w.frame for w in wins if _rows(w.frame)), wins[0].frame)
    check_known_columns(columns, basis, *([wins[0].frame] if reference is None else []))
    if columns is None and spec is None:
        skip = {timestamp} if timestamp else set()
        if isinstance(by, str) and by in basis.columns:
            skip.add(by)
        columns = [c for c in basis.columns if c not in skip]
    fitted = DriftComparator(**settings, keep_values=True).fit(basis, spec, columns=columns, kinds=kinds)
    cols, kinds = fitted.columns_, fitted.kinds_
    fixed = fitted if reference is not None else None

    by_label = {w.label: w for w in wins}
    reports, ref_labels = [], []
    for window, ref_windows in references(wins, reference_type, rolling=rolling):
        if ref_windows is None:
            comparator, ref_label = fixed, "baseline"
            if reference_type != "fixed":
                notes.append(f"window {window.label!r} has no earlier window: compared with the baseline"
                             if fixed is not None else f"window {window.label!r} has no earlier window to compare with")
        else:
            frames = [by_label[l].frame for l in ref_windows]
            if isinstance(frames[0], pd.DataFrame):
                ref_frame = pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
            else:  # windows profiled in place (files, DuckDB, Spark): their profiles merge
                ref_frame = frames[0]
                for frame in frames[1:]:
                    ref_frame = ref_frame.merge(frame)
            comparator = DriftComparator(**settings).fit(ref_frame, spec, columns=cols, kinds=kinds)
            ref_label = ref_windows[0] if len(ref_windows) == 1 else f"{ref_windows[0]}..{ref_windows[-1]}"
        ref_labels.append(ref_label if comparator is not None else "none")
        if comparator is None:
            reports.append(None)
            continue
        reports.append(comparator.compare(window.frame, label=window.label,
                                          multivariate=multivariate and _multivariate_fits(comparator, window.frame)))
    return DriftOverTime(
        tuple(w.label for w in wins), tuple(reports), reference_type, tuple(ref_labels), by,
        tuple(w.start if w.start is not None else pd.NaT for w in wins), tuple(_rows(w.frame) for w in wins),
        tuple(dict.fromkeys(notes)),
    )


def _rows(frame) -> int:
    """Rows of a window given as rows or as a profile."""
    return frame.n_rows if isinstance(frame, Profile) else len(frame)


def _multivariate_fits(comparator: DriftComparator, frame) -> bool:
    """A window gets the multivariate check when both sides have rows (20+) and share a comparable column."""
    if comparator.n_reference_ < 20 or isinstance(frame, Profile) or len(frame) < 20:
        return False
    kept = (Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN)
    return any(comparator.kinds_[c] in kept and c in frame.columns for c in comparator.reference_columns_)
