"""Profiles computed where the data lives: plan the columns, derive edges, one aggregation pass, assemble.

The pass is one SQL statement (see :mod:`._sql`): a ``UNION ALL`` of one ``GROUP BY window, bin``
per column, so every window of every column comes back in a single scan per column, and memory
stays bounded by the number of (window, bin) groups whatever the number of rows. The rows that
come back are turned into :class:`~toolkit.profiles.ColumnProfile` objects with
:meth:`~toolkit.profiles.ColumnProfile.from_aggregates`, so they merge with, and compare against,
profiles computed by pandas.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import os
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from .._checks import preview
from ..kinds import Kind
from ..profiles import ColumnProfile, Profile, profile_column, category_key, discrete_edges, merge_moments, resolve_kinds
from . import _sql as S
from ._source import FILE_COLUMN, Source, partition_value
from ._windows import WindowSpec

__all__ = ["Plan", "plan", "derive_edges", "run_profiles", "clear_cache", "edges_from_quantiles", "edges_from_distinct",
           "quantile_fractions", "EXACT_QUANTILES", "SAMPLE_ROWS", "WindowedProfiles"]

#: Reference columns with at most this many finite values get exact quantile edges (``percentile_disc``);
#: larger ones use the engine's quantile sketch (DuckDB ``approx_quantile``, Spark ``percentile_approx``).
EXACT_QUANTILES = 10_000_000
#: Values held at once by the exact quantile statements (columns are batched to stay below it).
_EXACT_BATCH = 20_000_000
#: Rows read to infer kinds when neither a spec nor a reference profile gives them.
SAMPLE_ROWS = 100_000
_counter = itertools.count()


# ------------------------------------------------------------------------------------------------
# edges, exactly as toolkit.profiles.quantile_edges derives them
# ------------------------------------------------------------------------------------------------
def quantile_fractions(n: int, bins: int) -> np.ndarray:
    """Fractions at which ``percentile_disc`` returns the sorted values at ``quantile_edges``' positions.

    ``quantile_edges`` takes positions ``round(linspace(0, n-1, bins+1))``; ANSI ``percentile_disc(f)``
    returns the value at 0-based position ``ceil(f*n) - 1``, so ``f = (pos + 0.5) / n`` hits ``pos``.
    """
    pos = np.round(np.linspace(0, n - 1, bins + 1)).astype("int64")
    return (pos + 0.5) / n


def edges_from_quantiles(q: np.ndarray) -> np.ndarray:
    """Edges from the sorted values at the quantile positions (the tail of ``quantile_edges``)."""
    q = np.asarray(q, dtype="float64")
    if q[0] == q[-1]:
        return np.array([q[0], q[0]])
    uniq, counts = np.unique(q, return_counts=True)
    heavy = uniq[(counts > 1) & (uniq < q[-1])]
    edges = np.unique(np.concatenate([uniq, np.nextafter(heavy, np.inf)]))
    if counts[-1] > 1:
        edges = np.append(edges, edges[-1])
    return edges


def edges_from_distinct(values: np.ndarray) -> np.ndarray:
    """Edges for a column with few distinct values: point and gap bins (``quantile_edges``' first branch)."""
    return discrete_edges(values)


# ------------------------------------------------------------------------------------------------
# plan
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Item:
    """One column of the plan."""

    column: str
    kind: Kind
    ctype: str | None            # None: absent from the source
    edges: np.ndarray | None = None
    derive: bool = False         # numeric without reference edges: derive from this source
    new: bool = False            # not in the reference (reported for rename hints only)


@dataclasses.dataclass
class Plan:
    items: list[Item]

    @property
    def columns(self) -> list[str]:
        return [it.column for it in self.items if not it.new]


def plan(source: Source, reference: Profile | None, spec=None, columns: Iterable[str] | None = None,
         kinds: Mapping[str, str] | None = None, include_new: bool = False) -> Plan:
    """Columns, kinds and edges to profile ``source`` with (mirrors :func:`toolkit.profile`)."""
    available = source.columns
    if columns is not None:
        cols = [str(c) for c in ([columns] if isinstance(columns, str) else columns)]
    elif reference is not None:
        cols = list(reference.columns)
    elif spec is not None:
        cols = list(spec.monitored)
    else:
        cols = [c for c in available if c != FILE_COLUMN]
    if reference is None:
        missing = [c for c in cols if c not in available]
        if missing:
            raise KeyError(f"the data lacks column(s) {preview(missing)}; it has {preview(available)}")
    resolved: dict[str, Kind] = dict(reference.kinds) if reference is not None else {}
    todo = [c for c in cols if c not in resolved]
    extra = [c for c in available if c not in cols and c != FILE_COLUMN] if include_new else []
    need_sample = [c for c in todo + extra if c in available and not (kinds and c in kinds)
                   and not (spec is not None and c in spec.kinds)]
    sample = source.sample(SAMPLE_ROWS) if need_sample else pd.DataFrame({c: [] for c in available})
    resolved.update(resolve_kinds(sample, todo, spec, kinds))
    if kinds:
        resolved.update({c: Kind(k) for c, k in kinds.items() if c in cols})
    extra_kinds = resolve_kinds(sample, extra, spec, kinds) if extra else {}
    ref_edges = reference.edges if reference is not None else {}
    items = []
    for c in cols:
        kind = resolved[c]
        edges = ref_edges.get(c)
        derive = kind is Kind.NUMERIC and reference is None and c in available
        items.append(Item(c, kind, source.types.get(c), edges, derive))
    for c in extra:
        items.append(Item(c, extra_kinds[c], source.types.get(c), None, False, True))
    return Plan(items)


# ------------------------------------------------------------------------------------------------
# edges
# ------------------------------------------------------------------------------------------------
def derive_edges(source: Source, items: list[Item], bins: int, *, exact_limit: int = EXACT_QUANTILES,
                 progress: bool = True, cache: bool = True) -> dict[str, bool]:
    """Fill ``item.edges`` for the numeric items marked ``derive``; returns ``{column: exact}``."""
    d = source.dialect
    todo = [it for it in items if it.derive and it.ctype is not None]
    exact: dict[str, bool] = {}
    if not todo:
        return exact
    key = None
    if cache and source.files:
        sigs = tuple(_file_sig(f) for f in source.files)
        if all(sig is not None for sig in sigs):
            key = ("edges", sigs, tuple((it.column, it.kind.value, it.ctype) for it in todo), bins, exact_limit)
            hit = _cache_get(key)
            if hit is not None:
                for it in todo:
                    it.edges, exact[it.column] = hit[it.column]
                return exact
    stats = source.run(S.edge_stats(d, source.name, [(it.column, it.ctype) for it in todo]),
                       "reference: counting values", progress).iloc[0]
    n = {it.column: int(stats[f"n{i}"] or 0) for i, it in enumerate(todo)}
    approx_distinct = {it.column: int(stats[f"d{i}"] or 0) for i, it in enumerate(todo)}
    few = [it for it in todo if n[it.column] and approx_distinct[it.column] <= 2 * bins + 16]
    decided: set[str] = set()
    if few:
        res = source.run(S.distinct_values(d, source.name, [(i, it.column, it.ctype) for i, it in enumerate(few)], bins),
                         "reference: distinct values", progress)
        for i, it in enumerate(few):
            values = res.loc[res["cid"] == i, "v"].to_numpy(dtype="float64")
            if 0 < values.size <= bins:
                it.edges = edges_from_distinct(values)
                exact[it.column] = True
                decided.add(it.column)
    rest = [it for it in todo if it.column not in decided]
    for it in rest:
        if n[it.column] == 0:
            it.edges = None
            decided.add(it.column)
    rest = [it for it in rest if it.column not in decided]
    batches: list[list[Item]] = []
    load = 0
    for it in rest:
        is_exact = n[it.column] <= exact_limit
        if not batches or (is_exact and load + n[it.column] > _EXACT_BATCH):
            batches.append([])
            load = 0
        batches[-1].append(it)
        load += n[it.column] if is_exact else 0
    for batch in batches:
        spec = [(it.column, it.ctype, quantile_fractions(n[it.column], bins), n[it.column] <= exact_limit)
                for it in batch]
        row = source.run(S.quantiles(d, source.name, spec), "reference: quantile edges", progress).iloc[0]
        for i, it in enumerate(batch):
            q = np.asarray(row[f"q{i}"], dtype="float64")
            it.edges = edges_from_quantiles(q)
            exact[it.column] = spec[i][3]
    if key is not None:
        _cache_put(key, {it.column: (it.edges, exact.get(it.column, True)) for it in todo})
    return exact


# ------------------------------------------------------------------------------------------------
# the pass
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class WindowedProfiles(Mapping):
    """Profiles of consecutive windows: a read-only ``{label: Profile}`` mapping, in window order.

    Attributes
    ----------
    profiles
        ``{label: Profile}``.
    starts
        ``{label: start timestamp}`` (NaT for windows that are a column's values).
    window
        How the rows were grouped (a column name, a period alias, or None).
    """

    profiles: dict
    starts: dict
    window: object = None

    def __getitem__(self, label: str) -> Profile:
        try:
            return self.profiles[label]
        except KeyError:
            raise KeyError(f"no window {label!r}; windows are {preview(self.profiles)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.profiles)

    def __len__(self) -> int:
        return len(self.profiles)

    @property
    def labels(self) -> list[str]:
        return list(self.profiles)

    def merged(self) -> Profile:
        """All windows in one profile."""
        it = iter(self.profiles.values())
        out = next(it)
        for p in it:
            out = out.merge(p)
        return Profile(out.columns, out.n_rows, "all")

    def to_frame(self) -> pd.DataFrame:
        """One row per window and column (``window, window_start`` + :meth:`Profile.to_frame` columns)."""
        parts = []
        for label, prof in self.profiles.items():
            f = prof.to_frame()
            f.insert(0, "window", label)
            f.insert(1, "window_start", self.starts.get(label, pd.NaT))
            parts.append(f)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def __repr__(self) -> str:
        return f"WindowedProfiles({len(self.profiles)} windows: {preview(self.profiles)})"


SHAPES = ("auto", "union", "long")
#: Per-file profiles kept in memory (``clear_cache()`` empties it): files already profiled with the
#: same columns, kinds and edges are not scanned again, so a second call over the same logs, or a
#: re-run after new partitions arrived, only reads what changed.
_CACHE: OrderedDict = OrderedDict()
CACHE_SIZE = 50_000


def clear_cache() -> None:
    """Forget every cached per-file profile and derived edge set."""
    _CACHE.clear()


def _cache_get(key):
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    return None


def _cache_put(key, value) -> None:
    _CACHE[key] = value
    _CACHE.move_to_end(key)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)


def _file_sig(path: str):
    try:
        st = os.stat(path)
    except OSError:  # remote files: no cache
        return None
    return (path, st.st_size, st.st_mtime_ns)


def _pieces(source: Source, items: list[Item], use_lookup: bool) -> tuple[list, dict]:
    d = source.dialect
    pieces = [S.rows_piece(d)]
    lookups: dict[str, pd.DataFrame] = {}
    for cid, it in enumerate(items):
        ctype = source.types.get(it.column)
        if ctype is None:
            continue
        if it.kind is Kind.NUMERIC and not it.new:
            edges = it.edges
            if edges is None:  # no finite reference values: one catch-all bin, assembled without edges
                edges = np.array([-np.finfo("float64").max, np.finfo("float64").max])
            lookup = table = None
            if it.edges is not None and use_lookup and it.edges.size > 3:
                lookup = S.build_lookup(it.edges)
                if lookup is not None:
                    table = f"__tk_lut_{cid}_{next(_counter)}"
                    lookups[table] = lookup.table()
            pieces.append(S.numeric_piece(d, cid, it.column, ctype, edges, lookup, table))
        elif it.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            pieces.append(S.category_piece(d, cid, it.column, ctype))
        else:
            pieces.append(S.null_piece(d, cid, it.column, ctype))
    return pieces, lookups


def _scan(source: Source, items: list[Item], window: WindowSpec, use_lookup: bool, shape: str, progress: bool,
          desc: str) -> dict[tuple, Profile]:
    """One statement over ``source``: ``{(file, window value): Profile}`` (file '' without files)."""
    if shape == "auto":
        shape = "union"
    if use_lookup is None:
        use_lookup = True
    pieces, lookups = _pieces(source, items, use_lookup and source.supports_lookup)
    build = S.long_statement if shape == "long" else S.union_statement
    sql = build(source.dialect, source.name, window.sql(source.dialect), source.group_expr, pieces)
    for name, table in lookups.items():
        source.register(name, table)
    try:
        result = source.run(sql, desc, progress)
    finally:
        for name in lookups:
            source.unregister(name)
    if source.files:
        result["g"] = result["g"].map(source.file_of)
    else:
        result["g"] = ""
    result["wk"] = result["w"].map(_hashable)
    out: dict[tuple, Profile] = {}
    for (g, wk), part in result.groupby(["g", "wk"], sort=False, dropna=False):
        n_rows = int(part.loc[part["cid"] == -1, "n"].sum())
        have = source.file_columns.get(g) if source.file_columns else None
        cols = {}
        for cid, it in enumerate(items):
            absent = it.column not in source.types or (have is not None and it.column not in have)
            if absent:
                cols[it.column] = profile_column(None, it.column, it.kind, n_rows, it.edges)
            else:
                cols[it.column] = _column(it, part[part["cid"] == cid], n_rows)
        out[(g, wk)] = (part["w"].iloc[0], Profile(cols, n_rows))
    return out


def _item_sig(it: Item) -> tuple:
    return (it.column, it.kind.value, None if it.edges is None else it.edges.tobytes(), it.new)


def _cached_scan(source: Source, items: list[Item], window: WindowSpec, use_lookup, shape, progress, desc,
                 cache: bool) -> dict[tuple, tuple]:
    """:func:`_scan`, reading only the (file, column) pairs not profiled before with the same plan.

    The cache holds, per file (path, size, mtime) and window: the rows per window value, and per
    column item (name, kind, edges) its profile per window value.
    """
    base = (window, source.engine)
    sigs = {f: _file_sig(f) for f in source.files}
    missing: dict[str, tuple[int, ...]] = {}
    for f in source.files:
        sig = sigs[f]
        if not cache or sig is None or _cache_get((sig, base, "rows")) is None:
            missing[f] = tuple(range(len(items)))
            continue
        gone = tuple(i for i, it in enumerate(items) if _cache_get((sig, base, _item_sig(it))) is None)
        if gone:
            missing[f] = gone
    groups: dict[tuple, list[str]] = {}
    for f, idx in missing.items():
        groups.setdefault(idx, []).append(f)
    fresh_rows: dict[str, dict] = {}
    fresh_cols: dict[tuple[str, int], dict] = {}
    for idx, files in groups.items():
        scanner = source if len(files) == len(source.files) else source.subset(files)
        sub_items = [items[i] for i in idx]
        try:
            got = _scan(scanner, sub_items, window, use_lookup, shape, progress, desc)
        finally:
            if scanner is not source:
                scanner.close()
        for f in files:
            mine = {wk: v for (g, wk), v in got.items() if g == f}
            fresh_rows[f] = {wk: (w, p.n_rows) for wk, (w, p) in mine.items()}
            for j, i in enumerate(idx):
                fresh_cols[(f, i)] = {wk: p.columns[items[i].column] for wk, (w, p) in mine.items()}
            if cache and sigs[f] is not None:
                _cache_put((sigs[f], base, "rows"), fresh_rows[f])
                for i in idx:
                    _cache_put((sigs[f], base, _item_sig(items[i])), fresh_cols[(f, i)])
    parts: dict[tuple, tuple] = {}
    for f in source.files:
        rows = fresh_rows[f] if f in fresh_rows else _cache_get((sigs[f], base, "rows"))
        for wk, (w, n_rows) in rows.items():
            cols = {}
            for i, it in enumerate(items):
                col = fresh_cols[(f, i)] if (f, i) in fresh_cols else _cache_get((sigs[f], base, _item_sig(it)))
                cols[it.column] = col[wk]
            parts[(f, wk)] = (w, Profile(cols, n_rows))
    return parts


def _hashable(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).tz_localize(None).value if pd.Timestamp(value).tzinfo else pd.Timestamp(value).value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _sort_key(value):
    """Window order: numbers by value (also numeric text such as partition values), then timestamps, then text."""
    if isinstance(value, (bool, np.bool_)):
        return (0, float(value), "")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return (0, float(value), "")
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return (1, float(pd.Timestamp(value).value), "")
    text = str(value)
    try:
        return (0, float(text), "")
    except ValueError:
        return (2, 0.0, text)


def run_profiles(source: Source, items: list[Item], window: WindowSpec, *, use_lookup: bool | None = None,
                 shape: str = "auto", progress: bool = True, desc: str = "profiling", keep_empty: bool = True,
                 cache: bool = True) -> tuple[list[tuple[str, object, Profile]], list[str]]:
    """Profiles of every window of ``source``: ``[(label, start, Profile)]`` in window order, and notes.

    Rows are aggregated per file and window in one statement, then merged into the windows (a
    window made of whole files, such as a hive partition, needs no window column in the scan).
    ``shape`` 'union' (the default, 'auto') runs one narrow ``GROUP BY`` per column, so each branch
    reads only the columns it needs; 'long' turns every row into one row per column and groups
    once (fewer Spark stages on tiny data, but 2.5x slower than 'union' in Spark on 10M rows and
    3x in DuckDB, so it is kept as an option that gives identical results).
    ``use_lookup`` bins through lookup tables (one multiply and a join, about twice as fast as the
    nested CASE in DuckDB, and small code for Spark's code generator) where they fit; None: yes.
    With ``cache``, files already profiled with the same plan are not read again.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {list(SHAPES)}; got {shape!r}")
    notes: list[str] = []
    by_file = window.kind in ("none", "file") or (window.kind == "column" and window.column in source.hive_keys)
    scan_window = WindowSpec("none") if by_file else window
    parts: dict[tuple, tuple] = {}
    if source.files:
        parts = _cached_scan(source, items, scan_window, use_lookup, shape, progress, desc, cache)
    else:
        parts = _scan(source, items, scan_window, use_lookup, shape, progress, desc)

    # merge the per-file parts into the requested windows
    merged: dict = {}
    raw: dict = {}
    for (f, wk), (w, prof) in parts.items():
        if window.kind == "none":
            key, value = 0, 0
        elif window.kind == "file":
            from ._windows import batch_label

            key = value = batch_label(f)
        elif by_file:
            value = partition_value(f, window.column)
            key = value
        else:
            key, value = wk, w
        if key is None:
            continue
        merged[key] = prof if key not in merged else merged[key].merge(prof)
        raw[key] = value
    n_null = sum(p.n_rows for (f, wk), (w, p) in parts.items() if not by_file and wk is None)
    if n_null:
        notes.append(f"{n_null:,} rows without a value in {window.column!r} belong to no window")
        warnings.warn(notes[-1], stacklevel=3)
    keys = sorted(merged, key=lambda k: _sort_key(raw[k]))
    if window.kind == "period" and keep_empty and keys:
        from ._windows import period_range

        starts = period_range([window.start(raw[k]) for k in keys], window.unit)
        by_start = {window.start(raw[k]): k for k in keys}
        ordered = [(s, by_start.get(s)) for s in starts]
    else:
        ordered = [(raw[k], k) for k in keys]
    empty = Profile({it.column: _column(it, _EMPTY, 0) for it in items}, 0)
    out = []
    if window.kind == "none" and not ordered:
        ordered = [(0, None)]
    for value, key in ordered:
        prof = merged.get(key, empty) if key is not None else empty
        label = window.label(value)
        out.append((label, window.start(value), Profile(prof.columns, prof.n_rows,
                                                        label if window.kind != "none" else None)))
    return out, notes


_EMPTY = pd.DataFrame({"cid": pd.Series([], dtype="int64"), "code": pd.Series([], dtype="int64"),
                       "n": pd.Series([], dtype="int64"), "s": [], "ss": [], "mn": [], "mx": [], "ks": [], "kn": [],
                       "ex": []})


def _column(it: Item, g: pd.DataFrame, n_rows: int) -> ColumnProfile:
    codes = g["code"].to_numpy(dtype="int64")
    n = g["n"].to_numpy(dtype="int64")
    if it.kind is Kind.NUMERIC and not it.new:
        n_missing = int(n[(codes == S.MISSING) | (codes == S.INVALID)].sum())
        n_invalid = int(n[codes == S.INVALID].sum())
        n_neg = int(n[codes == S.NEG_INF].sum())
        n_pos = int(n[codes == S.POS_INF].sum())
        fin = codes >= 0
        count = int(n[fin].sum())
        # per-group centred sums of squares (VAR_POP * COUNT) merged by Chan's rule: stable near 1e9
        _, total, m2 = merge_moments(n[fin], g["s"].to_numpy(dtype="float64")[fin],
                                     g["ss"].to_numpy(dtype="float64")[fin])
        total_sq = m2 + total * total / count if count else 0.0
        lo = float(np.nanmin(g["mn"].to_numpy(dtype="float64")[fin])) if count else None
        hi = float(np.nanmax(g["mx"].to_numpy(dtype="float64")[fin])) if count else None
        edges = counts = None
        if it.edges is not None:
            B = it.edges.size - 1
            counts = np.zeros(B + 2, dtype="int64")
            np.add.at(counts, codes[fin], n[fin])
            counts[0] += n_neg
            counts[B + 1] += n_pos
            edges = it.edges
        prof = ColumnProfile.from_aggregates(
            it.column, Kind.NUMERIC, n_rows=n_rows, n_missing=n_missing, edges=edges, counts=counts,
            n_neg_inf=n_neg, n_pos_inf=n_pos, count=count, total=total, total_sq=total_sq, minimum=lo, maximum=hi,
            n_invalid=n_invalid, m2=m2 if count else 0.0)
        examples = tuple(str(x) for x in g.loc[g["code"] == S.INVALID, "ex"].dropna().tolist())[:3]
        return dataclasses.replace(prof, invalid_examples=examples) if examples else prof
    if it.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        present = g[g["code"] == 0]
        cats: dict[str, int] = {}
        for ks, kn, cnt in zip(present["ks"], present["kn"], present["n"]):
            key = category_key(ks if ks is not None and not (isinstance(ks, float) and math.isnan(ks)) else float(kn))
            cats[key] = cats.get(key, 0) + int(cnt)
        cats = dict(sorted(cats.items(), key=lambda kv: (-kv[1], kv[0])))
        return ColumnProfile(it.column, it.kind, n_rows, n_rows - sum(cats.values()), categories=cats)
    n_missing = int(n[codes == S.MISSING].sum())
    return ColumnProfile(it.column, it.kind, n_rows, n_missing)
