"""Windows: the one place that cuts production data into windows.

It parses every window form (``by=``), normalises time zones once, labels windows one way, marks
incomplete windows, resolves a window the analyst typed, and writes the SQL the engines group by.

Forms of ``by``
    a pandas period alias ('h', 'D', 'W', 'M', 'Q', 'Y', '2W'...) applied to the timestamp; an int
    (consecutive windows of that many rows); ``'n=K'`` (K windows of equal row count); a column
    whose values label the windows (e.g. ``'batch'``); ``'batch'`` for a folder of files (one window
    per partition folder or file).
Time zones
    A period is cut in the data's own time zone: ``by='D'`` on America/Chicago timestamps gives
    local days (23 or 25 hours long across a DST change), and the same windows come out of memory
    and out of Parquet. ``tz=`` (or ``timezone:`` in model.yaml) picks another zone. Naive
    timestamps are taken as wall-clock times. Window starts are wall-clock times in that zone.
Labels
    A period window is labelled by its start ('2026-01-05' for a day or a Monday-to-Sunday week,
    '2026-01' for a month, '2026-01-05 13:00' for an hour); a column window by its value; row
    windows '1', '2', ... Rows with no timestamp or no window value form their own window
    ``'(missing <column>)'``, so no row is ever dropped silently. :func:`find_window` accepts the
    label, any timestamp inside the window ('2013-05-08') or an ISO week ('2026-W20');
    :func:`short_labels` gives compact axis labels ('05-06', 'W19').
Completeness
    A first or last period window that the data covers for less than 90% of what the other windows
    cover (of its span when there are no others: business-hours logging is not partial), or any
    window with fewer than half the typical (median) rows, is incomplete; :func:`choose_window`
    picks the latest complete window by default and names the ones it skipped.
Size guard
    More than :data:`MAX_WINDOWS` windows (e.g. one stray timestamp 10 years early with daily
    windows) raises :class:`WindowCountError` naming the earliest and latest timestamps.

Examples
--------
>>> import pandas as pd
>>> from toolkit.windows import split, references, window_table, choose_window
>>> frame = pd.DataFrame({"t": pd.date_range("2026-01-05", periods=21, freq="D"), "x": range(21)})
>>> [(w.label, w.n_rows) for w in split(frame, by="W", timestamp="t")]
[('2026-01-05', 7), ('2026-01-12', 7), ('2026-01-19', 7)]
>>> [(w.label, w.n_rows) for w in split(frame, by="n=2")]
[('1', 11), ('2', 10)]
>>> [ref for _, ref in references(split(frame, by="n=3"), "rolling", rolling=2)]
[None, ['1'], ['1', '2']]
>>> table = window_table(frame.iloc[:17], by="W", timestamp="t")   # the last week has 3 days
>>> table[["window", "n_rows", "complete"]].values.tolist()
[['2026-01-05', 7, True], ['2026-01-12', 7, True], ['2026-01-19', 3, False]]
>>> choice = choose_window(table)
>>> choice.label, choice.skipped
('2026-01-12', ['2026-01-19'])
>>> choose_window(table, "2026-01-14").label       # any day inside the window
'2026-01-12'
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._checks import check_choice, check_frame, preview

__all__ = ["Window", "WindowSpec", "batches_zone", "WindowChoice", "WindowCountError", "Assignment", "split", "assign",
           "window_table", "choose_window", "find_window", "short_labels", "references", "as_windows",
           "local_times", "missing_label", "period_alias", "period_label", "UNIT_FREQ", "batch_table",
           "split_batches", "mark_spans", "axis_label_expr", "REFERENCE_TYPES", "MAX_WINDOWS", "MIN_COVERAGE", "MIN_ROW_SHARE",
           "PERIODS", "BATCH"]

REFERENCE_TYPES = ("fixed", "rolling", "expanding", "previous")
#: Most windows one split may make; more usually means a stray timestamp or too fine a period.
MAX_WINDOWS = 1000
#: A first or last period window covered for less than this share of its span is incomplete.
MIN_COVERAGE = 0.9
#: A window with fewer rows than this share of the median window is incomplete.
MIN_ROW_SHARE = 0.5
#: ``by`` value meaning one window per partition folder (or file) of a folder of files.
BATCH = "batch"
#: Period aliases (pandas spelling and plain words) -> SQL ``date_trunc`` unit.
PERIODS = {
    "h": "hour", "H": "hour", "hour": "hour",
    "D": "day", "d": "day", "day": "day",
    "W": "week", "W-SUN": "week", "week": "week",
    "M": "month", "MS": "month", "ME": "month", "month": "month",
    "Q": "quarter", "QS": "quarter", "QE": "quarter", "quarter": "quarter",
    "Y": "year", "YS": "year", "YE": "year", "A": "year", "year": "year",
}
#: SQL ``date_trunc`` unit -> pandas period alias.
UNIT_FREQ = {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
_PANDAS_FREQ = UNIT_FREQ
_N_WINDOWS = re.compile(r"^\s*n\s*=\s*(\d+)\s*$")
_ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})(?:-?([1-7]))?\s*$", re.IGNORECASE)
_NAT = np.iinfo(np.int64).min
_FORMS = ("a period alias ('D', 'W', 'M', '2W', 'h'), a column name, 'batch', an int row count or 'n=10'")


class WindowCountError(ValueError):
    """Raised when a split would make more than ``max_windows`` windows."""


def missing_label(column: object) -> str:
    """Label of the window holding rows with no timestamp / no value in the window column."""
    return f"(missing {column})"


# ------------------------------------------------------------------------------------------------
# parsing
# ------------------------------------------------------------------------------------------------
def _period_freq(by: str) -> str | None:
    """The pandas period alias of ``by`` ('week' -> 'W', 'ME' -> 'M'), or None if it is not one."""
    if by in PERIODS:
        return _PANDAS_FREQ[PERIODS[by]]
    try:
        pd.Period("2026-01-05", freq=by)
    except (ValueError, TypeError, KeyError):
        return None
    return by


def period_alias(by: object) -> str | None:
    """The pandas period alias ``by`` names ('week' -> 'W', 'ME' -> 'M', '2W'), or None if it names none.

    >>> period_alias("week"), period_alias("D"), period_alias("batch")
    ('W', 'D', None)
    """
    return _period_freq(by) if isinstance(by, str) else None


def period_length(by: object) -> str | None:
    """The length of one period window as a timedelta string ('D' -> '1 days', 'W' -> '7 days', 'M' -> '31 days':
    January's), or None when ``by`` is no period alias (``'batch'``, a column). A contract inferred for these
    windows expects its rows per this length (:func:`toolkit.infer_contract`'s ``batch_freq``).

    >>> period_length("D"), period_length("W"), period_length("2h"), period_length("batch")
    ('1 days 00:00:00', '7 days 00:00:00', '0 days 02:00:00', None)
    """
    alias = period_alias(by)
    if alias is None:
        return None
    period = pd.Period("2026-01-01", freq=alias)
    return str(period.end_time.ceil("s") - period.start_time)


def _check_tz(tz: object) -> str | None:
    if tz is None:
        return None
    try:
        pd.Timestamp("2026-01-01", tz=str(tz))
    except Exception:
        raise ValueError(f"time zone {tz!r} is not known; use an IANA name such as 'UTC', 'Europe/Paris' "
                         "or 'America/Chicago'") from None
    return str(tz)


def _fixed_offset(tz: str | None) -> int | None:
    """Minutes east of UTC of a fixed-offset zone as pandas names it ('UTC+05:30', 'UTC-03:00'), else None.

    >>> _fixed_offset("UTC+05:30"), _fixed_offset("UTC-03:00"), _fixed_offset("Europe/Berlin")
    (330, -180, None)
    """
    m = re.fullmatch(r"UTC([+-])(\d{2}):?(\d{2})", str(tz or ""))
    if m is None:
        return None
    return (1 if m.group(1) == "+" else -1) * (int(m.group(2)) * 60 + int(m.group(3)))


@dataclasses.dataclass(frozen=True)
class WindowSpec:
    """How rows are grouped into windows; build one with :meth:`parse`.

    ``kind`` is 'none' (one window 'all'), 'period' (``freq`` of ``column``, the timestamp, cut in
    zone ``tz``), 'column' (the values of ``column``), 'rows' (``size`` rows each), 'count'
    (``size`` windows of equal row count) or 'file' (one window per partition folder or file).
    ``unit`` is the SQL ``date_trunc`` unit of a period (None when SQL cannot express it, e.g. '2W').

    >>> WindowSpec.parse("W", timestamp="t")
    WindowSpec(kind='period', column='t', unit='week', freq='W', size=None, tz=None)
    >>> WindowSpec.parse("n=4").size, WindowSpec.parse(500).kind
    (4, 'rows')
    """

    kind: str
    column: str | None = None
    unit: str | None = None
    freq: str | None = None
    size: int | None = None
    tz: str | None = None

    @classmethod
    def parse(cls, by, *, columns: Iterable | None = None, timestamp: str | None = None, tz: str | None = None,
              has_files: bool = False, name: str = "current") -> "WindowSpec":
        """Read ``by`` (see the module docstring); a column of ``columns`` wins over a period alias."""
        tz = _check_tz(tz)
        if by is None:
            return cls("none")
        if isinstance(by, bool) or not isinstance(by, (str, int, np.integer)):
            raise TypeError(f"by must be {_FORMS}; got {by!r}")
        if isinstance(by, (int, np.integer)):
            if by < 1:
                raise ValueError(f"by (rows per window) must be >= 1; got {by}")
            return cls("rows", timestamp, size=int(by))
        match = _N_WINDOWS.match(by)
        if match:
            k = int(match.group(1))
            if k < 1:
                raise ValueError(f"by='n=K' needs K >= 1; got {by!r}")
            return cls("count", timestamp, size=k)
        cols = None if columns is None else [str(c) for c in columns]
        if cols is not None and by in cols:
            return cls("column", by)
        if by == BATCH:
            if has_files:
                return cls("file")
            raise ValueError(f"by='batch' needs a 'batch' column in {name} (as toolkit.read_production adds) or a "
                             f"folder of files (one window per partition folder); {name} has "
                             f"{preview(cols or [])}. Pass another column, or a period alias like 'W'")
        freq = _period_freq(by)
        if freq is None:
            raise ValueError(f"by={by!r} is neither a column of {name} nor a period alias; by must be {_FORMS}"
                             + (f". {name} has {preview(cols)}" if cols is not None else ""))
        if not timestamp:
            raise ValueError(
                f"by={by!r} is not a column of {name}, so it is read as a time period, which needs a timestamp "
                "column, and there is no timestamp column: pass timestamp='...' (or a spec with timestamp)"
                + (f". Columns: {preview(cols)}" if cols is not None else ""))
        if cols is not None and timestamp not in list(columns) and timestamp not in cols:  # any hashable label
            raise KeyError(f"timestamp column {timestamp!r} is not in {name}; it has {preview(cols)}")
        return cls("period", timestamp, unit=PERIODS.get(by), freq=freq, tz=tz)

    # -- labels and starts (also for values coming back from SQL) --------------------------------
    def label(self, value) -> str:
        """Label of the window whose group value (period start, column value) is ``value``."""
        if self.kind == "none":
            return "all"
        if self.kind == "period":
            return _period_label(pd.Period(self.start(value), freq=self.freq))
        return _value_label(value)

    def start(self, value):
        """Wall-clock start of a period window (NaT for other kinds)."""
        if self.kind != "period" or value is None:
            return pd.NaT
        ts = pd.Timestamp(value)
        if ts is pd.NaT:
            return ts
        if ts.tzinfo is not None:
            ts = ts.tz_convert(self.tz or "UTC").tz_localize(None)
        return pd.Period(ts, freq=self.freq).start_time

    def sql(self, dialect) -> str:
        """The SQL expression rows are grouped by (the period start in local time for periods)."""
        if self.kind in ("none", "file"):
            return "0"
        if self.kind not in ("column", "period"):
            raise ValueError(f"{self.kind} windows (row counts) cannot be computed in SQL; read the rows into "
                             "pandas, or use a period alias or a column")
        q = dialect.quote(self.column)
        if self.kind == "column":
            return q
        if self.unit is None:
            raise ValueError(f"period {self.freq!r} cannot be computed in SQL; use one of "
                             f"{sorted(_PANDAS_FREQ.values())} (e.g. 'W' instead of '2W')")
        if self.tz is None:
            expr = f"CAST({q} AS TIMESTAMP)"
        elif getattr(dialect, "name", "duckdb") == "spark":
            # the wall-clock time in the window's zone, as Spark renders it in any session zone
            # (from_utc: UTC rendering = local wall clock, offset taken at the instant; to_utc: move that
            # wall clock to the session zone's rendering, which date_trunc uses)
            expr = f"to_utc_timestamp(from_utc_timestamp({q}, {dialect.string(self.tz)}), current_timezone())"
        elif _fixed_offset(self.tz) is not None:   # 'UTC+05:30' (a CSV's one offset): DuckDB has no such zone
            expr = f"(timezone('UTC', {q}) + INTERVAL ({_fixed_offset(self.tz)}) MINUTE)"
        else:   # an instant (TIMESTAMPTZ) -> the wall-clock time in the window's zone
            expr = f"timezone({dialect.string(self.tz)}, {q})"
        return dialect.date_trunc(self.unit, expr)

    # -- in memory -------------------------------------------------------------------------------
    def assign(self, frame: pd.DataFrame, *, keep_empty: bool = True, missing: str = "window",
               max_windows: int | None = MAX_WINDOWS, name: str = "current") -> "Assignment":
        """Which window each row of ``frame`` falls in; see :func:`assign`."""
        check_choice("missing", missing, ("window", "drop", "raise"))
        n = len(frame)
        if self.kind == "none":
            local = None
            if self.column and self.column in frame.columns:
                local, _ = local_times(frame[self.column], self.tz, name=self.column)
            table = _table(["all"], [_min(local)], [_max(local)], [n], [_min(local)], [_max(local)])
            table["complete"], table["reason"] = True, ""
            return Assignment(self, np.zeros(n, dtype=np.int64), table)
        if self.kind == "file":
            raise ValueError("by='batch' means one window per file; in memory, use the 'batch' column that "
                             "toolkit.read_production adds, or a period alias")
        if self.kind == "period":
            _need(frame, self.column, name)
            local, zone = local_times(frame[self.column], self.tz, name=self.column)
            spec = dataclasses.replace(self, tz=zone) if zone != self.tz else self
            return _assign_period(spec, local, keep_empty, missing, max_windows, name)
        if self.kind == "column":
            _need(frame, self.column, name)
            return _assign_column(self, frame, missing, max_windows, name)
        return _assign_rows(self, frame, keep_empty, missing, max_windows, name)


def _need(frame: pd.DataFrame, column: str, name: str) -> None:
    if column not in frame.columns:
        from ._checks import check_columns

        check_columns(name, frame, [column])


def _value_label(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def period_label(period: pd.Period) -> str:
    """Label of a period window: its start ('2026-01-05' for a day or week, '2026-01' for a month)."""
    text = str(period)
    return period.start_time.strftime("%Y-%m-%d") if "/" in text else text


_period_label = period_label


# ------------------------------------------------------------------------------------------------
# time zones
# ------------------------------------------------------------------------------------------------
def local_times(values: pd.Series, tz: str | None = None, *, name: str = "timestamp") -> tuple[pd.Series, str | None]:
    """Wall-clock times of ``values`` in the window zone, and that zone.

    Time-zone-aware values are converted to ``tz`` (default: their own zone) before the zone is
    dropped, so windows are local periods; naive values are wall-clock times already. Text is
    parsed (offsets honoured, converted to UTC unless ``tz`` says otherwise).

    >>> t = pd.Series(pd.to_datetime(["2026-03-08 05:30"]).tz_localize("UTC"))
    >>> local_times(t, "America/Chicago")[0].iloc[0], local_times(t)[1]
    (Timestamp('2026-03-07 23:30:00'), 'UTC')
    """
    ts = values
    if not pd.api.types.is_datetime64_any_dtype(ts.dtype):
        try:
            ts = pd.to_datetime(ts, utc=True, format="mixed")
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(
                f"timestamp column {name!r} does not parse as dates (e.g. {preview(values.dropna().head(2))}); "
                "pass the right column with timestamp=..."
            ) from exc
    own = getattr(ts.dt, "tz", None)
    if own is None:
        return ts, None
    zone = tz if tz is not None else own
    return ts.dt.tz_convert(zone).dt.tz_localize(None), str(zone)


def _min(ts):
    return ts.min() if ts is not None and len(ts) else pd.NaT


def _max(ts):
    return ts.max() if ts is not None and len(ts) else pd.NaT


# ------------------------------------------------------------------------------------------------
# assignment
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class Assignment:
    """Rows -> windows: ``codes[i]`` is row i's position in ``table`` (-1: in no window, dropped).

    ``table`` has one row per window in order: ``window, window_start, window_end, n_rows, first,
    last, complete, reason`` (``first``/``last``: earliest and latest timestamp in the window).
    """

    spec: WindowSpec
    codes: np.ndarray
    table: pd.DataFrame

    @property
    def labels(self) -> np.ndarray:
        """Window label per row (None for dropped rows)."""
        names = np.array(self.table["window"].tolist() + [None], dtype=object)
        return names[self.codes]

    def windows(self, frame: pd.DataFrame) -> list["Window"]:
        """The rows of ``frame`` (the frame assigned) per window, as Window objects."""
        order = np.argsort(self.codes, kind="stable")
        bounds = np.searchsorted(self.codes[order], np.arange(len(self.table) + 1))
        out = []
        for i, row in enumerate(self.table.itertuples(index=False)):
            rows = order[bounds[i]:bounds[i + 1]]
            out.append(Window(row.window, frame.iloc[rows], row.window_start, row.window_end,
                              bool(row.complete), row.reason))
        return out


def _table(labels, starts, ends, n_rows, first, last) -> pd.DataFrame:
    return pd.DataFrame({"window": list(labels), "window_start": list(starts), "window_end": list(ends),
                         "n_rows": np.asarray(n_rows, dtype=np.int64), "first": list(first), "last": list(last)})


def _too_many(n: int, max_windows: int | None, what: str, local: pd.Series | None, column: str | None,
              name: str) -> None:
    if max_windows is None or n <= max_windows:
        return
    msg = f"{what} would make {n:,} windows, more than max_windows={max_windows:,}"
    if local is not None and local.notna().any():
        stamps = np.sort(local.dropna().to_numpy())
        lo, hi = pd.Timestamp(stamps[0]), pd.Timestamp(stamps[-1])
        msg += f": {column!r} runs from {lo} to {hi}"
        if stamps.size > 1:   # the widest gap usually isolates the stray rows
            g = int(np.argmax(np.diff(stamps)))
            before, after = g + 1, stamps.size - g - 1
            cut_lo, cut_hi = pd.Timestamp(stamps[g]), pd.Timestamp(stamps[g + 1])
            if before <= after:
                msg += (f"; {before:,} row(s) lie at or before {cut_lo}, the other {after:,} from {cut_hi}. Filter "
                        f"the stray rows (e.g. {name}[{name}[{column!r}] >= '{cut_hi.date()}'])")
            else:
                msg += (f"; {after:,} row(s) lie at or after {cut_hi}, the other {before:,} up to {cut_lo}. Filter "
                        f"the stray rows (e.g. {name}[{name}[{column!r}] <= '{cut_lo}'])")
        msg += " or use a coarser window ('W', 'M')"
    else:
        msg += "; use a coarser window (fewer distinct values, more rows per window)"
    raise WindowCountError(msg + "; or pass max_windows=None to allow it")


def _missing(n_missing: int, missing: str, column: str, name: str) -> None:
    if n_missing and missing == "raise":
        raise ValueError(f"column {column!r} of {name} has {n_missing:,} missing values, so those rows have no "
                         "window; fill or drop them first, or pick another by=")


def _assign_period(spec, local, keep_empty, missing, max_windows, name) -> Assignment:
    periods = local.dt.to_period(spec.freq)
    ordinals = np.asarray(periods.array.asi8, dtype=np.int64)
    valid = ordinals != _NAT
    n_missing = int((~valid).sum())
    _missing(n_missing, missing, spec.column, name)
    codes = np.full(len(local), -1, dtype=np.int64)
    labels, starts, ends, counts, firsts, lasts = [], [], [], [], [], []
    if valid.any():
        uniq = np.unique(ordinals[valid])
        span = np.arange(uniq[0], uniq[-1] + 1) if keep_empty else uniq
        _too_many(span.size, max_windows, f"by={spec.freq!r} on {spec.column!r}", local, spec.column, name)
        codes[valid] = np.searchsorted(span, ordinals[valid])
        counts = np.bincount(codes[valid], minlength=span.size)
        vals = local[valid].to_numpy()
        first = pd.Series(vals).groupby(codes[valid]).min()
        last = pd.Series(vals).groupby(codes[valid]).max()
        for i, p in enumerate(pd.PeriodIndex.from_ordinals(span, freq=periods.dt.freq)):
            labels.append(_period_label(p))
            starts.append(p.start_time)
            ends.append(p.end_time)
            firsts.append(first.get(i, pd.NaT))
            lasts.append(last.get(i, pd.NaT))
        counts = counts.tolist()
    table = _table(labels, starts, ends, counts, firsts, lasts)
    _complete(table, spec, _edge_steps(local[valid], codes[valid], counts) if valid.any() else None)
    if n_missing and missing == "window":
        codes[~valid] = len(table)
        table = _append_missing(table, spec.column, n_missing, "no timestamp")
    return Assignment(spec, codes, table)


def _append_missing(table, column, n, reason) -> pd.DataFrame:
    row = _table([missing_label(column)], [pd.NaT], [pd.NaT], [n], [pd.NaT], [pd.NaT])
    row["complete"], row["reason"] = False, f"{n:,} rows with {reason}"
    return pd.concat([table, row], ignore_index=True) if len(table) else row


def _assign_column(spec, frame, missing, max_windows, name) -> Assignment:
    values = frame[spec.column]
    found, uniq = pd.factorize(values, use_na_sentinel=True)
    isna = found < 0
    n_missing = int(isna.sum())
    _missing(n_missing, missing, spec.column, name)
    _too_many(len(uniq), max_windows, f"by={spec.column!r} ({len(uniq):,} distinct values)", None, None, name)
    uniq = list(uniq)
    try:
        order = sorted(range(len(uniq)), key=uniq.__getitem__)
    except TypeError:   # mixed types: sort by their text
        order = sorted(range(len(uniq)), key=lambda i: str(uniq[i]))
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    codes = np.where(isna, -1, rank[np.maximum(found, 0)] if len(uniq) else -1).astype(np.int64)
    uniq = [uniq[i] for i in order]
    counts = np.bincount(codes[~isna], minlength=len(uniq)).tolist()
    nat = [pd.NaT] * len(uniq)
    table = _table([_value_label(v) for v in uniq], nat, nat, counts, nat, nat)
    _complete(table, spec, None)
    if n_missing and missing == "window":
        codes[isna] = len(table)
        table = _append_missing(table, spec.column, n_missing, f"no value in {spec.column!r}")
    return Assignment(spec, codes, table)


def _assign_rows(spec, frame, keep_empty, missing, max_windows, name) -> Assignment:
    n = len(frame)
    local = None
    order = np.arange(n)
    if spec.column is not None:
        _need(frame, spec.column, name)
        local, _ = local_times(frame[spec.column], spec.tz, name=spec.column)
        order = np.argsort(local.to_numpy(), kind="stable")   # NaT sorts last
    if spec.kind == "rows":
        size, k = spec.size, -(-n // spec.size)
    else:
        k = spec.size
        size = -(-n // k) if n else 1
        k = k if keep_empty else -(-n // size)
    _too_many(k, max_windows, f"{n:,} rows in windows of {size:,}", None, None, name)
    codes = np.empty(n, dtype=np.int64)
    codes[order] = np.arange(n) // size
    counts = np.bincount(codes, minlength=k).tolist() if n else [0] * k
    firsts = lasts = [pd.NaT] * k
    if local is not None and n:
        firsts = [local.iloc[order[i * size:(i + 1) * size]].min() if counts[i] else pd.NaT for i in range(k)]
        lasts = [local.iloc[order[i * size:(i + 1) * size]].max() if counts[i] else pd.NaT for i in range(k)]
    table = _table([str(i + 1) for i in range(k)], firsts, lasts, counts, firsts, lasts)
    table["complete"] = [c > 0 and (spec.kind == "count" or c == size) for c in counts]
    table["reason"] = ["" if ok else ("empty" if c == 0 else f"{c:,} rows, fewer than the {size:,} of a full window")
                       for ok, c in zip(table["complete"], counts)]
    return Assignment(spec, codes, table)


# ------------------------------------------------------------------------------------------------
# completeness
# ------------------------------------------------------------------------------------------------
def _step(stamps: np.ndarray) -> pd.Timedelta:
    """Typical spacing of distinct timestamps (int64 ns): the resolution the data is logged at, so a
    last daily stamp at midnight stands for its whole day."""
    if stamps.size < 2:
        return pd.Timedelta(0)
    gaps = np.diff(np.sort(stamps))
    gaps = gaps[gaps > 0]
    return pd.Timedelta(int(np.median(gaps)), "ns") if gaps.size else pd.Timedelta(0)


def _edge_steps(local: pd.Series, codes: np.ndarray, counts) -> dict[int, pd.Timedelta]:
    """The logging resolution inside the first and last non-empty windows (all the time rule needs)."""
    nonempty = np.flatnonzero(np.asarray(counts) > 0)
    if not nonempty.size:
        return {}
    ns = local.to_numpy().astype("datetime64[ns]").view("i8")
    return {int(i): _step(ns[codes == i]) for i in {int(nonempty[0]), int(nonempty[-1])}}


def _complete(table: pd.DataFrame, spec: WindowSpec, steps: dict | None) -> None:
    """Mark each window complete or not, with the reason: time coverage of the edge windows, row count."""
    n = len(table)
    complete = [True] * n
    reasons = [""] * n
    counts = table["n_rows"].to_numpy()
    nonempty = np.flatnonzero(counts > 0)
    for i in np.flatnonzero(counts == 0):
        complete[i], reasons[i] = False, "empty"
    if spec.kind == "period" and nonempty.size:
        # Data logged only part of each period (business hours, weekdays) covers the same part of every
        # window: an edge window is judged against what the interior windows cover, never the bare span.
        interior = nonempty[1:-1]
        starts = pd.to_datetime(table["window_start"])
        stops = pd.to_datetime(table["window_end"]) + pd.Timedelta(1, "ns")
        typical_end = typical_start = None
        if interior.size:
            typical_end = (pd.to_datetime(table["last"]) - starts).iloc[interior].median()
            typical_start = (stops - pd.to_datetime(table["first"])).iloc[interior].median()
        for i, edge in ((nonempty[-1], "last"), (nonempty[0], "first")):
            step = (steps or {}).get(int(i), pd.Timedelta(0))
            start = table.at[i, "window_start"]
            stop = table.at[i, "window_end"] + pd.Timedelta(1, "ns")
            span = stop - start
            if edge == "last":
                covered = min(table.at[i, "last"] + step, stop) - start
                usual = None if typical_end is None else min(typical_end + step, span)
            else:
                covered = stop - max(table.at[i, "first"], start)
                usual = None if typical_start is None else min(typical_start, span)
            if usual is not None and usual > pd.Timedelta(0):
                span = usual
            share = covered / span if span > pd.Timedelta(0) else 1.0
            if share < MIN_COVERAGE and not reasons[i]:
                complete[i] = False
                when = table.at[i, "last"] if edge == "last" else table.at[i, "first"]
                reasons[i] = (f"partial: the data covers {share:.0%} of this window "
                              f"({'ends' if edge == 'last' else 'starts'} {when})")
    if nonempty.size >= 2:
        overall = float(np.median(counts[nonempty]))
        season = _season(table, spec)
        for i in nonempty:
            typical, like = overall, ""
            if season is not None:   # a quiet Sunday is compared with other Sundays, not with Mondays
                same = nonempty[(season[nonempty] == season[i]) & (nonempty != i)]
                if same.size >= 2:
                    typical, like = float(np.median(counts[same])), f" of {season[i]} windows"
            if counts[i] < MIN_ROW_SHARE * typical and complete[i]:
                complete[i] = False
                reasons[i] = f"{int(counts[i]):,} rows, under half the typical {typical:,.0f}{like}"
    table["complete"] = complete
    table["reason"] = reasons


def _season(table: pd.DataFrame, spec: WindowSpec) -> np.ndarray | None:
    """The weekly / daily cycle a window sits in (weekday of a day, hour of an hour), else None."""
    if spec.kind != "period" or spec.freq not in ("D", "h"):
        return None
    starts = pd.to_datetime(table["window_start"])
    return (starts.dt.day_name() if spec.freq == "D" else starts.dt.strftime("%H:00")).to_numpy(dtype=object)


def mark_spans(table: pd.DataFrame) -> pd.DataFrame:
    """For windows that are not periods (batches, column values) with timestamps: an edge window
    whose time span is under :data:`MIN_COVERAGE` of the median span is incomplete too."""
    spans = (pd.to_datetime(table["last"]) - pd.to_datetime(table["first"]))
    ok = spans.notna() & (table["n_rows"] > 0)
    if ok.sum() < 3:
        return table
    typical = spans[ok].median()
    idx = np.flatnonzero(ok.to_numpy())
    for i in {int(idx[0]), int(idx[-1])}:
        if typical > pd.Timedelta(0) and spans.iloc[i] < MIN_COVERAGE * typical and table.at[i, "complete"]:
            table.at[i, "complete"] = False
            table.at[i, "reason"] = f"partial: spans {spans.iloc[i]}, the typical window {typical}"
    return table


# ------------------------------------------------------------------------------------------------
# public functions
# ------------------------------------------------------------------------------------------------
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
        Period start and last instant (wall-clock time in the window's zone), or the first and
        last timestamp (row windows); NaT without a timestamp.
    complete
        False for a partial or thin window (see ``reason``).
    reason
        Why the window is incomplete ('' when complete).
    """

    label: str
    frame: pd.DataFrame
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    complete: bool = True
    reason: str = ""

    @property
    def n_rows(self) -> int:
        # a window profiled where it lives (engines) carries a Profile, which knows its row count
        return len(self.frame) if isinstance(self.frame, pd.DataFrame) else self.frame.n_rows

    def __repr__(self) -> str:
        flag = "" if self.complete else f", incomplete: {self.reason}"
        return f"Window({self.label!r}, n_rows={self.n_rows}{flag})"


def _spec(frame, by, timestamp, tz, name) -> WindowSpec:
    return WindowSpec.parse(by, columns=frame.columns, timestamp=timestamp, tz=tz, name=name)


def assign(frame: pd.DataFrame, by="W", *, timestamp: str | None = None, tz: str | None = None,
           keep_empty: bool = True, missing: str = "window", max_windows: int | None = MAX_WINDOWS,
           name: str = "current") -> Assignment:
    """Which window each row falls in, and the table of windows (see :class:`Assignment`).

    ``missing``: 'window' puts rows with no timestamp / no value in a window
    ``'(missing <column>)'`` of their own (flagged incomplete), 'raise' refuses them, 'drop' leaves
    them out (code -1). ``max_windows`` guards against absurd splits (None: no limit).
    """
    check_frame(name, frame)
    return _spec(frame, by, timestamp, tz, name).assign(frame, keep_empty=keep_empty, missing=missing,
                                                       max_windows=max_windows, name=name)


def split(frame: pd.DataFrame, by: str | int = "W", *, timestamp: str | None = None, keep_empty: bool = True,
          tz: str | None = None, missing: str = "window", max_windows: int | None = MAX_WINDOWS) -> list[Window]:
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
    tz
        Time zone periods are cut in (default: the timestamps' own).
    missing, max_windows
        As in :func:`assign`.

    Returns
    -------
    list of Window, in time (or label) order; each says whether it is complete.
    """
    check_frame("current", frame)
    return assign(frame, by, timestamp=timestamp, tz=tz, keep_empty=keep_empty, missing=missing,
                  max_windows=max_windows).windows(frame)


def window_table(frame: pd.DataFrame, by="W", *, timestamp: str | None = None, tz: str | None = None,
                 keep_empty: bool = True, max_windows: int | None = MAX_WINDOWS) -> pd.DataFrame:
    """One row per window: ``window, window_start, window_end, n_rows, first, last, complete, reason``."""
    table = assign(frame, by, timestamp=timestamp, tz=tz, keep_empty=keep_empty, max_windows=max_windows).table
    return table


@dataclasses.dataclass(frozen=True)
class WindowChoice:
    """The window a report looks at: ``label``, whether it is ``complete``, and the later windows
    ``skipped`` as incomplete (with ``reasons``); ``note`` says it in a sentence ('' if nothing to say)."""

    label: str
    complete: bool = True
    skipped: list = dataclasses.field(default_factory=list)
    reasons: dict = dataclasses.field(default_factory=dict)
    note: str = ""

    def __str__(self) -> str:
        return self.label


def _as_table(windows) -> pd.DataFrame:
    if isinstance(windows, pd.DataFrame):
        return windows
    rows = []
    for w in windows:
        if isinstance(w, Window):
            rows.append((w.label, w.start, w.end, w.n_rows, w.complete, w.reason))
        else:
            rows.append((str(w), pd.NaT, pd.NaT, 0, True, ""))
    return pd.DataFrame(rows, columns=["window", "window_start", "window_end", "n_rows", "complete", "reason"])


def find_window(requested, windows) -> str:
    """The label of the window ``requested`` names: its label, any timestamp inside it
    ('2013-05-08'), an ISO week ('2026-W20') or a period ('2013-05-06/2013-05-12').

    ``windows``: a table from :func:`window_table`, Window objects or labels.

    >>> table = window_table(pd.DataFrame({"t": pd.date_range("2026-05-04", periods=21, freq="D")}), "W", timestamp="t")
    >>> [find_window(x, table) for x in ("2026-05-11", "2026-05-13", "2026-W20", "2026-05-11/2026-05-17")]
    ['2026-05-11', '2026-05-11', '2026-05-11', '2026-05-11']
    """
    table = _as_table(windows)
    labels = [str(x) for x in table["window"]]
    text = str(requested).strip()
    if text in labels:
        return text
    ts = None
    iso = _ISO_WEEK.match(text)
    if iso:
        year, week, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3) or 1)
        for alias in (f"{year}-{week:02d}", f"{year}-W{week:02d}", f"{year}W{week:02d}"):
            if alias in labels:   # batches named after their ISO week ('week=2026-20')
                return alias
        try:
            ts = pd.Timestamp(_dt.date.fromisocalendar(year, week, day))
        except ValueError:
            raise KeyError(f"window {text!r}: {year} has no ISO week {week}") from None
    elif "window_start" in table and pd.to_datetime(table["window_start"]).notna().any():
        try:
            ts = pd.Timestamp(text.split("/")[0].strip())
        except (ValueError, TypeError):
            ts = None
    if ts is not None and ts is not pd.NaT and "window_start" in table:
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        starts = pd.to_datetime(table["window_start"])
        ends = pd.to_datetime(table["window_end"])
        if ts == ts.normalize():   # a date names the whole day: batches start and end mid-day
            starts, ends = starts.dt.normalize(), ends.dt.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        hit = np.flatnonzero(((starts <= ts) & (ts <= ends)).to_numpy())
        if hit.size:
            return labels[int(hit[0])]
    latest = labels[-1] if labels else None
    raise KeyError(f"window {text!r} not in production; available: {preview(labels)} (latest {latest!r}). "
                   "Give a window's label, a date inside it ('2026-05-13') or an ISO week ('2026-W20')")


def choose_window(windows, requested=None) -> WindowChoice:
    """The window to report on: ``requested`` (resolved by :func:`find_window`), or by default the
    latest complete window, naming the later incomplete windows it skipped."""
    table = _as_table(windows).reset_index(drop=True)
    if not len(table):
        raise ValueError("there are no production windows to choose from")
    complete = table["complete"].astype(bool).to_numpy() if "complete" in table else np.ones(len(table), bool)
    reasons = dict(zip(table["window"].astype(str), table.get("reason", pd.Series([""] * len(table)))))
    if requested is not None and str(requested).strip() not in ("", "None", "latest"):
        label = find_window(requested, table)
        i = table.index[table["window"].astype(str) == label][0]
        if "n_rows" in table and table.at[i, "n_rows"] == 0:   # a gap in the feed, not a typo: say so
            held = [str(w) for w, n in zip(table["window"], table["n_rows"]) if n > 0]
            raise KeyError(f"window {label!r} has no rows: production holds no data from "
                           f"{table.at[i, 'window_start']} to {table.at[i, 'window_end']} (a gap in the feed; check "
                           f"it with the data's owner). Windows with rows: {preview(held)}")
        note = "" if complete[i] else f"window {label} is incomplete ({reasons[label]})"
        return WindowChoice(label, bool(complete[i]), [], {}, note)
    real = [i for i in range(len(table)) if not str(table.at[i, "window"]).startswith("(missing ")]
    done = [i for i in real if complete[i]]
    if not done:
        i = max((i for i in real if table.at[i, "n_rows"] > 0), default=real[-1] if real else 0)
        label = str(table.at[i, "window"])
        return WindowChoice(label, False, [], {}, f"no production window is complete; showing the latest, {label} "
                                                  f"({reasons.get(label, '')})")
    i = done[-1]
    label = str(table.at[i, "window"])
    skipped = [str(table.at[j, "window"]) for j in real if j > i and table.at[j, "n_rows"] > 0]
    why = {s: reasons.get(s, "") for s in skipped}
    note = ""
    if skipped:
        note = (f"window {label} is the latest complete window; skipped "
                + "; ".join(f"{s} ({why[s]})" for s in skipped))
    return WindowChoice(label, True, skipped, why, note)


def short_labels(labels: Sequence[str]) -> list[str]:
    """Compact labels for chart axes, still unique: weeks 'W19', days '05-06', months 'May'
    (with the year when the windows span several years); other labels unchanged.

    >>> short_labels(["2026-05-04", "2026-05-11"]), short_labels(["2026-05-04", "2026-05-05"])
    (['W19', 'W20'], ['05-04', '05-05'])
    """
    labels = [str(x) for x in labels]
    try:
        days = pd.to_datetime(pd.Series(labels), format="%Y-%m-%d")
    except (ValueError, TypeError):
        days = None
    if days is not None and len(days):
        years = days.dt.year.nunique() > 1
        gaps = days.diff().dropna()
        if len(gaps) and (gaps.dt.days % 7 == 0).all() and (days.dt.day_of_week == 0).all():
            iso = days.dt.isocalendar()
            out = [f"{y % 100:02d}-W{w:02d}" if years else f"W{w:02d}" for y, w in zip(iso["year"], iso["week"])]
        else:
            out = days.dt.strftime("%y-%m-%d" if years else "%m-%d").tolist()
        return out if len(set(out)) == len(out) else labels
    try:
        months = pd.to_datetime(pd.Series(labels), format="%Y-%m")
    except (ValueError, TypeError):
        return labels
    years = months.dt.year.nunique() > 1
    out = months.dt.strftime("%b %y" if years else "%b").tolist()
    return out if len(set(out)) == len(out) else labels


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


# ------------------------------------------------------------------------------------------------
# batches (files read one at a time, each with its own columns)
# ------------------------------------------------------------------------------------------------
def batch_table(batches: Mapping[str, pd.DataFrame], timestamp: str | None = None,
                tz: str | None = None) -> pd.DataFrame:
    """The window table of ready-made batches ``{label: frame}`` (in the given order), with
    completeness by row count and, where there are timestamps, by time span."""
    labels, counts, firsts, lasts = [], [], [], []
    for label, frame in batches.items():
        labels.append(str(label))
        counts.append(len(frame))
        local = None
        if timestamp and timestamp in frame.columns and len(frame):
            local = local_times(frame[timestamp], tz, name=timestamp)[0]
        firsts.append(_min(local))
        lasts.append(_max(local))
    table = _table(labels, firsts, lasts, counts, firsts, lasts)
    _complete(table, WindowSpec("column", BATCH), None)
    return mark_spans(table)


def batches_zone(pieces: list, key: str | None) -> str | None:
    """The zone periods are cut in across ``(label, frame)`` batches read alone (``key``: the timestamp): the
    first zone-aware batch's, unless batches of CSV text hold different UTC offsets (one file per day across
    a daylight-saving change): then the named zone whose offsets match every batch's, so each local day
    stays whole (else the first zone). The engines cut a CSV folder in the same zone.

    >>> t = lambda s: pd.DataFrame({"t": pd.to_datetime([s], format="ISO8601")})
    >>> batches_zone([("a", t("2026-03-28 12:00+01:00")), ("b", t("2026-03-30 12:00+02:00"))], "t")
    'Europe/Amsterdam'
    """
    zones, pairs = [], []
    for _, frame in pieces:
        if key not in frame.columns or not len(frame):
            continue
        zone = local_times(frame[key].iloc[:1], None, name=key)[1]
        if zone is None:
            continue
        zones.append(zone)
        values = frame[key].dropna()
        if pd.api.types.is_datetime64_any_dtype(values.dtype) and len(values):
            picked = values.iloc[np.unique(np.r_[np.linspace(0, len(values) - 1, min(len(values), 20)).astype(int),
                                                 np.argmin(values.to_numpy()), np.argmax(values.to_numpy())])]
            pairs.append(picked)
    if not zones:
        return None
    if len(set(zones)) == 1 or not any(_fixed_offset(z) is not None for z in zones):
        return zones[0]
    from .io import zone_with_offsets

    picked = pd.concat([p.dt.tz_convert("UTC") for p in pairs], ignore_index=True)
    minutes = np.concatenate([((p.dt.tz_localize(None) - p.dt.tz_convert("UTC").dt.tz_localize(None))
                               .dt.total_seconds() // 60).to_numpy() for p in pairs])
    return zone_with_offsets(picked, minutes) or zones[0]


def split_batches(batches: Iterable[tuple[str, pd.DataFrame]], by, *, timestamp: str | None = None,
                  tz: str | None = None, max_windows: int | None = MAX_WINDOWS,
                  name: str = "production") -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Cut batches (e.g. hive partitions, each read alone) into windows by ``by``.

    A window's frame is made of the rows of the batches that fall in it, each batch keeping its own
    columns and types: a window inside one partition is exactly what reading that partition alone
    gives (no columns of other partitions, no synthetic batch column). Returns ``({label: frame}``
    for the non-empty windows, the window table``)``.
    """
    pieces = [(str(label), frame) for label, frame in batches]
    columns = list(dict.fromkeys(c for _, f in pieces for c in f.columns))
    spec = WindowSpec.parse(by, columns=columns, timestamp=timestamp, tz=tz, name=name)
    if spec.kind == "none":
        frames = [f for _, f in pieces]
        whole = pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
        return {"all": whole}, WindowSpec("none", timestamp).assign(whole, name=name).table
    key = spec.column
    keys = []
    zone = spec.tz if spec.kind != "period" or spec.tz is not None else batches_zone(pieces, key)
    for _, frame in pieces:
        if key is not None and key in frame.columns:
            values = frame[key]
            if spec.kind in ("period", "rows", "count"):
                values = local_times(values, zone, name=key)[0]
            keys.append(pd.Series(values.to_numpy(), dtype=values.dtype))
        else:
            dtype = "datetime64[ns]" if spec.kind in ("period", "rows", "count") else object
            keys.append(pd.Series([None] * len(frame), dtype=dtype))
    stacked = pd.DataFrame({key or "__row": pd.concat(keys, ignore_index=True) if keys else []})
    result = dataclasses.replace(spec, tz=None).assign(stacked, max_windows=max_windows, name=name)
    if spec.kind == "period":
        result = Assignment(dataclasses.replace(spec, tz=zone), result.codes, result.table)
    bounds = np.cumsum([0] + [len(f) for _, f in pieces])
    parts: dict[int, list[pd.DataFrame]] = {}
    for (_, frame), lo, hi in zip(pieces, bounds[:-1], bounds[1:]):
        codes = result.codes[lo:hi]
        for code in np.unique(codes):
            if code >= 0:
                parts.setdefault(int(code), []).append(frame.iloc[np.flatnonzero(codes == code)])
    out = {}
    for i, label in enumerate(result.table["window"]):
        if i in parts:
            frames = parts[i]
            out[label] = (frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
                          ).reset_index(drop=True)
    return out, result.table


def axis_label_expr(labels: Sequence[str]) -> str:
    """A Vega ``labelExpr`` that shows :func:`short_labels` on a chart axis while the data (tables,
    tooltips, selections) keep the full labels: ``alt.Axis(labelExpr=axis_label_expr(order))``.

    >>> axis_label_expr(["2026-05-04", "2026-05-11"])
    '({"2026-05-04": "W19", "2026-05-11": "W20"})[datum.label] || datum.label'
    """
    import json

    labels = [str(x) for x in labels]
    mapping = {full: short for full, short in zip(labels, short_labels(labels)) if full != short}
    return f"({json.dumps(mapping)})[datum.label] || datum.label"
