"""Windows for engine passes: thin adapters over :mod:`toolkit.windows`, the one owner of windowing.

Engines group rows by :meth:`toolkit.windows.WindowSpec.sql`; periods are cut in the data's own time
zone (read from the Parquet schema for TIMESTAMPTZ columns), exactly as :func:`toolkit.windows.split`
cuts them in memory.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import warnings

import pandas as pd

from ..windows import BATCH, MAX_WINDOWS, PERIODS, UNIT_FREQ, WindowCountError, WindowSpec, batches_zone
from ..windows import period_label as _period_label

__all__ = ["PERIODS", "BATCH", "WindowSpec", "window_spec", "frame_windows", "period_label", "period_range",
           "batch_label", "source_timezone"]


def period_label(period: pd.Period) -> str:
    """Label of a period window, as :func:`toolkit.windows.split` writes it ('2026-01-05' for a week)."""
    return _period_label(period)


def period_range(starts: list, unit: str, max_windows: int | None = MAX_WINDOWS) -> list[pd.Timestamp]:
    """Every period start from the first to the last of ``starts`` (empty periods included).

    More than ``max_windows`` periods (a stray timestamp years away) raises WindowCountError.
    """
    if not starts:
        return []
    freq = UNIT_FREQ[unit]
    lo, hi = pd.Period(min(starts), freq=freq), pd.Period(max(starts), freq=freq)
    n = hi.ordinal - lo.ordinal + 1
    if max_windows is not None and n > max_windows:
        ordered = sorted(starts)
        raise WindowCountError(
            f"window={freq!r} would make {n:,} windows (from {lo} to {hi}), more than max_windows={max_windows:,}; "
            f"the earliest windows with rows start {', '.join(str(s) for s in ordered[:3])}, the latest "
            f"{', '.join(str(s) for s in ordered[-3:])}. Filter the stray rows (e.g. a WHERE on the timestamp) "
            "or use a coarser window ('W', 'M')")
    return [p.start_time for p in pd.period_range(lo, hi, freq=freq)]


def batch_label(path: str) -> str:
    """Batch label of a file: its innermost ``key=value`` folder's value, else its stem."""
    from pathlib import Path

    for part in reversed(Path(path).parent.parts):
        if "=" in part:
            return part.split("=", 1)[1]
    return Path(path).stem


def window_spec(window: str | None, columns, timestamp: str | None, has_files: bool = False,
                tz: str | None = None) -> WindowSpec:
    """Validate ``window`` against the available ``columns`` (a column wins over a period alias)."""
    if window is not None and not isinstance(window, str):
        raise TypeError(f"window must be a column name or a period alias like 'W'; got {type(window).__name__}")
    spec = WindowSpec.parse(window, columns=columns, timestamp=timestamp, tz=tz, has_files=has_files, name="the data")
    if spec.kind == "period" and spec.unit is None:
        raise ValueError(f"window={window!r}: engines cut periods with SQL date_trunc, so use one of "
                         f"{sorted(set(UNIT_FREQ.values()))} (e.g. 'W' rather than '2W')")
    if spec.kind in ("rows", "count"):  # pragma: no cover - parse only gives these for ints and 'n=K'
        raise ValueError(f"window={window!r}: row-count windows need the rows in pandas")
    return spec


def source_timezone(source, spec: WindowSpec, tz: str | None = None) -> WindowSpec:
    """``spec`` with the zone its periods are cut in on ``source``: ``tz`` if given, else the
    timestamp's own zone (Parquet schema), 'UTC' for an instant whose zone is unknown, and None
    (wall-clock, as stored) for a naive timestamp."""
    if spec.kind != "period":
        return spec
    raw = str(getattr(source, "raw_types", {}).get(spec.column, "")).upper()
    if getattr(source, "engine", "") == "spark":
        # Spark's TIMESTAMP is an instant rendered in the session zone: cut it in the zone the Parquet
        # schema records (or ``tz``); without one keep the session's rendering, as before
        # (a CSV's offsets are not read here: Spark labels fixed-offset windows a day early; kept as before)
        zone = (tz or _parquet_zone(getattr(source, "files", None) or [], spec.column, csv=False)
                ) if raw == "TIMESTAMP" else None
        return dataclasses.replace(spec, tz=zone)
    aware = "TIME ZONE" in raw or raw.startswith("TIMESTAMPTZ")   # TIMESTAMPTZ_NS too (nanosecond Parquet)
    if not aware:
        return dataclasses.replace(spec, tz=None)
    zone = tz or _parquet_zone(getattr(source, "files", None) or [], spec.column) or "UTC"
    return dataclasses.replace(spec, tz=zone)


def _parquet_zone(files: list[str], column: str, csv: bool = True) -> str | None:
    """The time zone the Parquet schema (pandas/arrow metadata) records for ``column``; for a CSV, the
    zone the pandas engine reads its first file's offsets in (one offset kept, mixed ones as UTC), so
    both engines cut the same windows."""
    try:
        import pyarrow.parquet as pq

        for f in files[:1]:
            if str(f).lower().endswith(".csv"):
                return _csv_zone([str(p) for p in files], column) if csv else None
            if not str(f).endswith(".parquet"):
                return None
            field = pq.read_schema(f).field(column)
            return getattr(field.type, "tz", None)
    except Exception:  # a remote file or an unreadable footer: fall back to UTC
        return None
    return None


def _csv_zone(files: list[str], column: str) -> str | None:
    """The zone the pandas engine cuts ``column`` of these CSV files in (:func:`toolkit.io.restore_csv_timestamps`
    per file, then :func:`toolkit.windows.batches_zone` across them): the first file read whole, the others'
    first :data:`_CSV_HEAD_ROWS` rows, enough to see each file's UTC offset (a file per day across a
    daylight-saving change) without a pass over every row. Read once per state of the files: every engine
    statement of a run (drift, counts, contract windows) asks again."""
    try:
        state = tuple((str(f), os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files)
    except OSError:   # a file that cannot be listed is reported by the read itself
        return None
    return _csv_zone_of(state, column)


#: rows read from each CSV file after the first to learn its UTC offset (see :func:`_csv_zone`)
_CSV_HEAD_ROWS = 2000


@functools.lru_cache(maxsize=32)
def _csv_zone_of(state: tuple, column: str) -> str | None:
    from ..io import restore_csv_timestamps

    pieces = []
    for i, (path, _, _) in enumerate(state):
        try:
            values = pd.read_csv(path, usecols=[column], dtype=str, nrows=None if i == 0 else _CSV_HEAD_ROWS)
        except Exception:  # an unreadable file is reported by the read itself
            if i == 0:
                return None
            continue
        pieces.append((path, restore_csv_timestamps(values)))
    try:
        return batches_zone(pieces, column)
    except (ValueError, TypeError):   # text that is not a timestamp: the windows' own read says so
        return None


def frame_windows(frame: pd.DataFrame, spec: WindowSpec) -> list[tuple[str, object, pd.DataFrame]]:
    """``(label, start, rows)`` per window of a pandas frame, in order (the pandas engine).

    Rows with no timestamp or no window value belong to no window, with a warning, as in SQL.
    """
    if spec.kind == "none":
        return [("all", pd.NaT, frame)]
    result = spec.assign(frame, missing="drop", max_windows=None, name="the data")
    n_null = int((result.codes < 0).sum())
    if n_null:
        warnings.warn(f"{n_null:,} rows without a value in {spec.column!r} belong to no window", stacklevel=3)
    return [(w.label, w.start, w.frame.reset_index(drop=True)) for w in result.windows(frame)]
