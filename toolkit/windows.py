"""Windows: split production data by time period, row count, number of windows or a column,
and pick each window's reference (fixed, rolling, expanding or the previous window).

Examples
--------
>>> import pandas as pd
>>> from toolkit.windows import split, references
>>> frame = pd.DataFrame({"t": pd.date_range("2026-01-05", periods=21, freq="D"), "x": range(21)})
>>> [(w.label, w.n_rows) for w in split(frame, by="W", timestamp="t")]
[('2026-01-05', 7), ('2026-01-12', 7), ('2026-01-19', 7)]
>>> [(w.label, w.n_rows) for w in split(frame, by="n=2")]
[('1', 11), ('2', 10)]
>>> [ref for _, ref in references(split(frame, by="n=3"), "rolling", rolling=2)]
[None, ['1'], ['1', '2']]
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ._checks import check_choice, check_frame, preview

__all__ = ["Window", "split", "references", "REFERENCE_TYPES"]

REFERENCE_TYPES = ("fixed", "rolling", "expanding", "previous")
_N_WINDOWS = re.compile(r"^\s*n\s*=\s*(\d+)\s*$")


@dataclasses.dataclass(frozen=True, eq=False)
class Window:
    """One window of production data.

    Attributes
    ----------
    label
        Name of the window ('2026-01-05' for a week starting that day, a batch value, '3'...).
    frame
        Its rows.
    start, end
        Time span (periods) or first/last timestamp (row windows); NaT without a timestamp.
    """

    label: str
    frame: pd.DataFrame
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"Window({self.label!r}, n_rows={self.n_rows})"


def _timestamps(frame: pd.DataFrame, timestamp: str) -> pd.Series:
    if timestamp not in frame.columns:
        from ._checks import check_columns

        check_columns("current", frame, [timestamp])
    ts = frame[timestamp]
    if not pd.api.types.is_datetime64_any_dtype(ts.dtype):
        try:
            ts = pd.to_datetime(ts, utc=True, format="mixed")
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"timestamp column {timestamp!r} does not parse as dates (e.g. {preview(ts.dropna().head(2))}); "
                "pass the right column with timestamp=..."
            ) from exc
    return ts


def _period_label(period: pd.Period) -> str:
    text = str(period)
    return period.start_time.strftime("%Y-%m-%d") if "/" in text else text


def split(
    frame: pd.DataFrame,
    by: str | int = "W",
    *,
    timestamp: str | None = None,
    keep_empty: bool = True,
) -> list[Window]:
    """Split ``frame`` into windows.

    Parameters
    ----------
    frame
        Production rows.
    by
        A pandas period alias ('D', 'W', 'M', '2W'...; needs ``timestamp``); an int (consecutive
        windows of that many rows); 'n=10' (ten windows of equal row count); or the name of a
        column whose values label the windows (e.g. 'batch' from :func:`toolkit.read_production`).
    timestamp
        Event-time column: required for periods; orders rows for row-count windows.
    keep_empty
        Keep empty periods between the first and last (they show as gaps instead of vanishing).

    Returns
    -------
    list of Window, in time (or label) order.
    """
    check_frame("current", frame)
    if isinstance(by, bool) or not isinstance(by, (str, int, np.integer)):
        raise TypeError(f"by must be a period alias like 'W', a row count, 'n=10' or a column name; got {by!r}")
    if isinstance(by, (int, np.integer)):
        if by < 1:
            raise ValueError(f"by (rows per window) must be >= 1; got {by}")
        return _by_rows(frame, int(by), timestamp)
    match = _N_WINDOWS.match(by)
    if match:
        k = int(match.group(1))
        if k < 1:
            raise ValueError(f"by='n=K' needs K >= 1; got {by!r}")
        size = -(-len(frame) // k) if len(frame) else 1
        windows = _by_rows(frame, size, timestamp)
        return windows + [Window(str(i + 1), frame.iloc[:0]) for i in range(len(windows), k)] if keep_empty else windows
    if by in frame.columns:
        return _by_column(frame, by)
    if timestamp is None:
        raise ValueError(
            f"by={by!r} is not a column of current, so it is read as a time period, which needs a timestamp "
            f"column: pass timestamp='...' (or a spec with timestamp). Columns: {preview(frame.columns)}"
        )
    ts = _timestamps(frame, timestamp)
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)
    try:
        periods = ts.dt.to_period(by)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"by={by!r} is neither a column of current nor a period alias ('D', 'W', 'M', '2W', 'h'...); "
            "for row windows pass an int or 'n=10'"
        ) from exc
    ordinals = np.asarray(periods.array.asi8)
    valid = ordinals != np.iinfo(np.int64).min  # NaT timestamps belong to no window
    if not valid.any():
        return []
    pos = np.flatnonzero(valid)
    order = np.argsort(ordinals[valid], kind="stable")
    sorted_ord, pos = ordinals[valid][order], pos[order]
    uniq, starts = np.unique(sorted_ord, return_index=True)
    bounds = dict(zip(uniq.tolist(), zip(starts.tolist(), np.append(starts[1:], sorted_ord.size).tolist())))
    span = np.arange(uniq[0], uniq[-1] + 1) if keep_empty else uniq
    out = []
    for p in pd.PeriodIndex.from_ordinals(span, freq=periods.dt.freq):
        lo, hi = bounds.get(p.ordinal, (0, 0))
        out.append(Window(_period_label(p), frame.iloc[pos[lo:hi]], p.start_time, p.end_time))
    return out


def _by_rows(frame: pd.DataFrame, size: int, timestamp: str | None) -> list[Window]:
    order = np.arange(len(frame))
    ts = None
    if timestamp is not None:
        ts = _timestamps(frame, timestamp)
        order = np.argsort(ts.to_numpy(), kind="stable")
    out = []
    for i, start in enumerate(range(0, len(frame), size)):
        rows = order[start:start + size]
        lo = hi = None
        if ts is not None and rows.size:
            span = ts.iloc[rows]
            lo, hi = span.min(), span.max()
        out.append(Window(str(i + 1), frame.iloc[rows], lo, hi))
    return out


def _by_column(frame: pd.DataFrame, column: str) -> list[Window]:
    values = frame[column]
    labels = pd.unique(values.dropna())
    try:
        labels = sorted(labels)
    except TypeError:
        pass
    groups = values.groupby(values, sort=False, dropna=True).indices
    return [Window(str(v), frame.iloc[np.asarray(groups[v])]) for v in labels]


def references(windows: list[Window], reference_type: str = "fixed", *, rolling: int = 4) -> list[tuple[Window, list[str] | None]]:
    """Pair each window with the labels of the windows forming its reference.

    'fixed' pairs every window with None (the baseline); 'previous' with the window before;
    'rolling' with the ``rolling`` windows before; 'expanding' with all windows before. The first
    window has no earlier windows: None (the caller falls back to the baseline, if any).
    """
    check_choice("reference_type", reference_type, REFERENCE_TYPES)
    if isinstance(rolling, bool) or not isinstance(rolling, (int, np.integer)) or rolling < 1:
        raise ValueError(f"rolling (windows in a rolling reference) must be an integer >= 1; got {rolling!r}")
    out = []
    for i, w in enumerate(windows):
        if reference_type == "fixed" or i == 0:
            out.append((w, None))
            continue
        lo = {"previous": i - 1, "rolling": max(0, i - rolling), "expanding": 0}[reference_type]
        out.append((w, [x.label for x in windows[lo:i]]))
    return out


def as_windows(windows: Iterable | Mapping) -> list[Window]:
    """Windows given by the analyst: ``{label: frame}``, ``[(label, frame), ...]`` or Window objects."""
    items = windows.items() if isinstance(windows, Mapping) else windows
    out = []
    for item in items:
        if isinstance(item, Window):
            out.append(item)
            continue
        try:
            label, frame = item
        except (TypeError, ValueError):
            raise TypeError(
                "windows must be {label: DataFrame}, a list of (label, DataFrame) pairs (as from "
                f"toolkit.read_batches) or Window objects; got an item of type {type(item).__name__}"
            ) from None
        out.append(Window(str(label), check_frame(f"window {label!r}", frame)))
    return out
