"""Windows for engine passes: one window, a column's values, or a period of the timestamp."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._checks import preview

__all__ = ["PERIODS", "BATCH", "WindowSpec", "window_spec", "frame_windows", "period_label", "period_range",
           "batch_label"]

#: Period aliases (pandas spelling and plain words) -> SQL ``date_trunc`` unit.
PERIODS = {
    "h": "hour", "H": "hour", "hour": "hour",
    "D": "day", "d": "day", "day": "day",
    "W": "week", "week": "week",
    "M": "month", "MS": "month", "ME": "month", "month": "month",
    "Q": "quarter", "QS": "quarter", "QE": "quarter", "quarter": "quarter",
    "Y": "year", "YS": "year", "YE": "year", "A": "year", "year": "year",
}
_PANDAS_FREQ = {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


@dataclasses.dataclass(frozen=True)
class WindowSpec:
    """How rows are grouped: ``kind`` 'none' (one window 'all'), 'column', 'period' or 'file' (batches)."""

    kind: str
    column: str | None = None   # the window column, or the timestamp for periods
    unit: str | None = None     # date_trunc unit for periods

    def sql(self, dialect) -> str:
        if self.kind in ("none", "file"):
            return "0"
        q = dialect.quote(self.column)
        if self.kind == "column":
            return q
        return dialect.date_trunc(self.unit, f"CAST({q} AS TIMESTAMP)")

    def label(self, value) -> str:
        if self.kind == "none":
            return "all"
        if self.kind == "period":
            return period_label(pd.Period(self.start(value), freq=_PANDAS_FREQ[self.unit]))
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
        return str(value)

    def start(self, value):
        if self.kind != "period":
            return pd.NaT
        ts = pd.Timestamp(value)
        return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def period_label(period: pd.Period) -> str:
    """Label of a period window, as :func:`toolkit.windows.split` writes it ('2026-01-05' for a week)."""
    text = str(period)
    return period.start_time.strftime("%Y-%m-%d") if "/" in text else text


def period_range(starts: list, unit: str) -> list[pd.Timestamp]:
    """Every period start from the first to the last of ``starts`` (empty periods included)."""
    if not starts:
        return []
    freq = _PANDAS_FREQ[unit]
    lo, hi = pd.Period(min(starts), freq=freq), pd.Period(max(starts), freq=freq)
    return [p.start_time for p in pd.period_range(lo, hi, freq=freq)]


#: ``window`` value meaning "one window per batch": the hive partition value of each file's folder
#: (``week=2026-01`` -> '2026-01'), else the file name, as :func:`toolkit.read_batches` labels batches.
BATCH = "batch"


def batch_label(path: str) -> str:
    """Batch label of a file: its innermost ``key=value`` folder's value, else its stem."""
    from pathlib import Path

    for part in reversed(Path(path).parent.parts):
        if "=" in part:
            return part.split("=", 1)[1]
    return Path(path).stem


def window_spec(window: str | None, columns, timestamp: str | None, has_files: bool = False) -> WindowSpec:
    """Validate ``window`` against the available ``columns`` (a column wins over a period alias)."""
    if window is None:
        return WindowSpec("none")
    if not isinstance(window, str):
        raise TypeError(f"window must be a column name or a period alias like 'W'; got {type(window).__name__}")
    columns = list(columns)
    if window in columns:
        return WindowSpec("column", window)
    if window == BATCH:
        if not has_files:
            raise ValueError("window='batch' means one window per file or partition folder, which needs files; "
                             f"pass a column name or a period alias instead (columns: {preview(columns)})")
        return WindowSpec("file")
    if window in PERIODS:
        if not timestamp:
            raise ValueError(f"window={window!r} is a period of the timestamp, but no timestamp column is known; "
                             "pass timestamp='event_time' (or a spec with one)")
        if timestamp not in columns:
            raise KeyError(f"timestamp column {timestamp!r} is not in the data; it has {preview(columns)}")
        return WindowSpec("period", timestamp, PERIODS[window])
    raise ValueError(f"window must be a column of the data or a period alias {sorted(set(PERIODS) - set(PERIODS.values()))}; "
                     f"got {window!r}; the data has {preview(columns)}")


def frame_windows(frame: pd.DataFrame, spec: WindowSpec) -> list[tuple[str, object, pd.DataFrame]]:
    """``(label, start, rows)`` per window of a pandas frame, in order (the pandas engine)."""
    if spec.kind == "none":
        return [("all", pd.NaT, frame)]
    if spec.kind == "column":
        keys = frame[spec.column]
    else:
        ts = pd.to_datetime(frame[spec.column], utc=True).dt.tz_localize(None)
        keys = ts.dt.to_period(_PANDAS_FREQ[spec.unit]).dt.start_time
    out = []
    groups = {key: rows for key, rows in frame.groupby(keys, sort=True, dropna=True)}
    order = period_range(list(groups), spec.unit) if spec.kind == "period" else list(groups)
    for key in order:
        rows = groups.get(key, frame.iloc[:0])
        out.append((spec.label(key), spec.start(key), rows.reset_index(drop=True)))
    return out
