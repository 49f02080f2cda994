"""One SQL text for every engine: the profile aggregation, the edge queries and the confusion counts.

Everything here returns strings. The statements are plain ANSI-style SQL (``CASE``, ``COUNT``,
``SUM``, ``MIN``, ``MAX``, ``GROUP BY``, ``UNION ALL``, ``percentile_disc ... WITHIN GROUP``,
``date_trunc``), so the same generator serves DuckDB and Spark SQL; a :class:`Dialect` only spells
the handful of things the two write differently (identifier quotes, array literals, ``TRY_CAST``
of formatted numbers, approximate quantiles, epoch nanoseconds).

The profile statement is built from one :class:`Piece` per column (its per-row expressions) in
one of two shapes: ``UNION ALL`` of one ``GROUP BY file, window, key`` per column (the default,
fastest in both engines) or one scan that turns each row into one row per column and groups once.
Either way the result is long::

    cid  g  w  code  ks  kn  n  s  ss  mn  mx  ex

``cid`` is the column's position in the plan (-1 for the row counts), ``g`` the file a row came
from (so per-file profiles can be cached and merged), ``w`` the window, ``code`` the bin (0 below
the first edge, 1..B the bins, B+1 above the last edge) or a sentinel (:data:`MISSING`,
:data:`INVALID`, :data:`NEG_INF`, :data:`POS_INF`), ``ks`` / ``kn`` a category (text / number);
``n, s, ss, mn, mx`` are ``COUNT(*)``, ``SUM(v)``, ``VAR_POP(v) * COUNT(v)`` (the centred sum of
squares, merged over groups by Chan's rule: ``SUM(v*v)`` loses every digit for values near 1e9),
``MIN(v)``, ``MAX(v)`` and ``ex``
an unparseable example. Numeric values are binned on the reference's edges either through a
small lookup table (one multiply, a join, at most four comparisons) or a nested ``CASE`` that
bisects the edges; both are exact.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

__all__ = ["Dialect", "DUCKDB", "SPARK", "MISSING", "INVALID", "NEG_INF", "POS_INF", "normalise_type"]

# sentinel codes (bins are 0..B+1)
MISSING = -1
INVALID = -2
NEG_INF = -3
POS_INF = -4

#: Characters stripped before parsing a formatted number (as :func:`toolkit.kinds.coerce_numeric`).
_FORMATTING = "$€£¥,%_"
_MAX_DOUBLE = "1.7976931348623157e308"


@dataclasses.dataclass(frozen=True)
class Dialect:
    """How one engine spells the few non-portable pieces."""

    name: str
    quote_char: str
    string_type: str          # CAST(x AS <string_type>)
    array_open: str           # '[' or 'array('
    array_close: str
    regexp_replace_tail: str  # extra regexp_replace argument for "replace all"
    regex_whitespace: str     # \s as written inside a string literal

    # -- literals -------------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + str(name).replace(q, q + q) + q

    def string(self, text: str) -> str:
        text = str(text)
        if self.name == "spark":  # Spark SQL literals use backslash escapes
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def double(self, value: float) -> str:
        """An exact DOUBLE literal (``1.5e0``, never a DECIMAL ``1.5``)."""
        v = float(value)
        if math.isnan(v):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(v):
            return f"CAST('{'-' if v < 0 else ''}Infinity' AS DOUBLE)"
        text = repr(v)
        return text if "e" in text else text + "e0"

    def array(self, values: Sequence[float]) -> str:
        return self.array_open + ", ".join(self.double(v) for v in values) + self.array_close

    def as_string(self, expr: str) -> str:
        return f"CAST({expr} AS {self.string_type})"

    # -- functions ------------------------------------------------------------------------------
    def parse_number(self, expr: str) -> str:
        """Formatted text ('$54.20', '1,234') to DOUBLE; NULL when it does not parse."""
        pattern = self.string("[" + self.regex_whitespace + _FORMATTING + "]")
        return f"TRY_CAST(regexp_replace({expr}, {pattern}, ''{self.regexp_replace_tail}) AS DOUBLE)"

    def epoch_ns(self, expr: str) -> str:
        if self.name == "duckdb":
            return f"CAST(epoch_ns(CAST({expr} AS TIMESTAMP)) AS DOUBLE)"
        return f"CAST(unix_micros(CAST({expr} AS TIMESTAMP)) AS DOUBLE) * 1000e0"

    def percentiles(self, expr: str, fractions: Sequence[float], exact: bool) -> str:
        """Quantiles of ``expr`` at ``fractions``: exact discrete (ANSI) or the engine's sketch."""
        arr = self.array(fractions)
        if exact:
            return f"percentile_disc({arr}) WITHIN GROUP (ORDER BY {expr})"
        if self.name == "duckdb":
            return f"approx_quantile({expr}, CAST({arr} AS FLOAT[]))"
        return f"percentile_approx({expr}, {arr}, 10000)"

    def date_trunc(self, unit: str, expr: str) -> str:
        return f"date_trunc('{unit}', {expr})"

    def expand(self, rows: Sequence[tuple[str, str, str, str, str, str]]) -> str:
        """Select-list item turning one row into one row per ``(cid, code, ks, kn, v, ex)`` tuple."""
        names = ("cid", "code", "ks", "kn", "v", "ex")
        types = ("INTEGER", "INTEGER", self.string_type, "DOUBLE", "DOUBLE", self.string_type)
        if self.name == "duckdb":
            structs = ", ".join("{" + ", ".join(f"'{n}': CAST({e} AS {t})" for n, e, t in zip(names, r, types)) + "}"
                                for r in rows)
            return f"UNNEST([{structs}], recursive := true)"
        structs = ", ".join("named_struct(" + ", ".join(f"'{n}', CAST({e} AS {t})" for n, e, t in zip(names, r, types))
                            + ")" for r in rows)
        return f"inline(array({structs}))"


DUCKDB = Dialect("duckdb", '"', "VARCHAR", "[", "]", ", 'g'", "\\s")
SPARK = Dialect("spark", "`", "STRING", "array(", ")", "", "\\s")


# ------------------------------------------------------------------------------------------------
# column types
# ------------------------------------------------------------------------------------------------
def normalise_type(sql_type: str) -> str:
    """An engine's type name to 'numeric', 'boolean', 'string', 'timestamp', 'date' or 'other'."""
    t = str(sql_type).strip().lower()
    if t.startswith(("bool",)):
        return "boolean"
    if t.startswith(("tinyint", "smallint", "int", "bigint", "hugeint", "uhugeint", "utinyint", "usmallint",
                     "uinteger", "ubigint", "double", "float", "real", "decimal", "numeric", "long", "short",
                     "byte")):
        return "numeric"
    if t.startswith(("varchar", "string", "char", "text", "enum")):
        return "string"
    if t.startswith("timestamp"):
        return "timestamp"
    if t.startswith("date"):
        return "date"
    return "other"


# ------------------------------------------------------------------------------------------------
# per-column expressions
# ------------------------------------------------------------------------------------------------
def numeric_value(d: Dialect, column: str, ctype: str) -> tuple[str, str | None]:
    """``(value, raw)``: the column as DOUBLE, and the raw text when parsing can fail (else None)."""
    q = d.quote(column)
    if ctype in ("numeric", "boolean"):
        return f"CAST({q} AS DOUBLE)", None
    if ctype == "string":
        return d.parse_number(q), q
    if ctype in ("timestamp", "date"):
        return d.epoch_ns(q), None
    return "CAST(NULL AS DOUBLE)", d.as_string(q)


def finite(d: Dialect, v: str) -> str:
    return f"({v} >= -{_MAX_DOUBLE} AND {v} <= {_MAX_DOUBLE})"


def _missing(v: str) -> str:
    return f"({v} IS NULL OR isnan({v}))"


def bisect_case(d: Dialect, v: str, inner: np.ndarray, lo: int, hi: int) -> str:
    """Nested CASE giving ``1 + #{inner edges <= v}`` for ``v`` known to lie in ``[inner[lo-1], inner[hi])``."""
    if hi <= lo:
        return str(lo + 1)
    mid = (lo + hi) // 2
    return (f"CASE WHEN {v} < {d.double(inner[mid])} THEN {bisect_case(d, v, inner, lo, mid)} "
            f"ELSE {bisect_case(d, v, inner, mid + 1, hi)} END")


@dataclasses.dataclass(frozen=True)
class Lookup:
    """A lookup table that bins values in ``[edges[0], edges[-1])`` with one multiply and a join.

    ``k = clamp(floor((v - e0) * scale), 0, cells)`` is monotone in ``v``, so every inner edge
    whose cell is two or more below ``k`` is <= v and every edge two or more above is > v; the
    edges in the three cells around ``k`` (at most ``width``) are compared explicitly. The +-1
    slack keeps the result exact even if an engine's floating point differed from numpy's by one
    cell at an edge. Table columns: ``k, base, s0..s{width-1}`` (padding ``+inf``).
    """

    e0: float
    scale: float
    cells: int
    base: np.ndarray
    splits: np.ndarray  # (cells + 1, width)

    @property
    def width(self) -> int:
        return self.splits.shape[1]

    def cell_sql(self, d: Dialect, v: str) -> str:
        return (f"CAST(LEAST(GREATEST(floor(({v} - {d.double(self.e0)}) * {d.double(self.scale)}), 0), "
                f"{self.cells}) AS INTEGER)")

    def table(self):
        """The table as a pandas DataFrame (k, base, s0, ...)."""
        import pandas as pd

        cols = {"k": np.arange(self.cells + 1, dtype="int32"), "base": self.base.astype("int32")}
        for m in range(self.width):
            cols[f"s{m}"] = self.splits[:, m].astype("float64")
        return pd.DataFrame(cols)


def build_lookup(edges: np.ndarray, max_width: int = 4, max_cells: int = 1 << 16) -> Lookup | None:
    """A :class:`Lookup` for ``edges`` whose cells hold at most ``max_width`` edges nearby; None if impossible."""
    edges = np.asarray(edges, dtype="float64")
    inner = edges[1:-1]
    if inner.size == 0:
        return None
    e0, e_last = float(edges[0]), float(edges[-1])
    span = e_last - e0
    if not (np.isfinite(span) and span > 0):
        return None
    cells = 256
    while cells <= max_cells:
        with np.errstate(all="ignore"):
            scale = cells / span
            if not np.isfinite(scale) or scale <= 0:
                return None
            k = np.clip(np.floor((inner - e0) * scale), 0, cells).astype("int64")
        occupancy = np.bincount(k, minlength=cells + 1)
        near = occupancy + np.concatenate([[0], occupancy[:-1]]) + np.concatenate([occupancy[1:], [0]])
        width = int(near.max())
        if width <= max_width:
            base = np.searchsorted(k, np.arange(cells + 1) - 1, side="left")  # #edges with cell < j-1
            splits = np.full((cells + 1, max(width, 1)), np.inf)
            for j in np.flatnonzero(near):
                lo = np.searchsorted(k, j - 1, side="left")
                hi = np.searchsorted(k, j + 1, side="right")
                splits[j, : hi - lo] = inner[lo:hi]
            return Lookup(e0, float(scale), cells, base.astype("int64"), splits)
        cells *= 4
    return None


def bin_code(d: Dialect, v: str, edges: np.ndarray, lookup_alias: str | None = None, lookup: Lookup | None = None,
             raw: str | None = None) -> str:
    """Bin code of ``v``: 0 below ``edges[0]``, 1..B inside, B+1 above, or a sentinel.

    Most rows fall inside ``[edges[0], edges[-1])`` and are binned by the lookup (or the nested
    CASE) after one range test; everything else (the last edge itself, out of range, infinite,
    missing, unparseable ``raw`` text) is sorted out in the ELSE branch. NULL and NaN fail the
    range test in both engines (NaN sorts above every number).
    """
    edges = np.asarray(edges, dtype="float64")
    B = edges.size - 1
    e0, e_last = d.double(edges[0]), d.double(edges[-1])
    inner = edges[1:-1]
    if inner.size == 0:
        inside = "1"
    elif lookup is not None and lookup_alias is not None:
        inside = "1 + " + lookup_alias + ".base" + "".join(
            f" + CAST({v} >= {lookup_alias}.s{m} AS INTEGER)" for m in range(lookup.width))
    else:
        inside = bisect_case(d, v, inner, 0, inner.size)
    missing = (f"WHEN {raw} IS NULL THEN {MISSING} WHEN {_missing(v)} THEN {INVALID}" if raw is not None
               else f"WHEN {_missing(v)} THEN {MISSING}")
    rare = (f"CASE {missing} WHEN {v} = CAST('-Infinity' AS DOUBLE) THEN {NEG_INF} "
            f"WHEN {v} = CAST('Infinity' AS DOUBLE) THEN {POS_INF} WHEN {v} < {e0} THEN 0 "
            f"WHEN {v} = {e_last} THEN {B} ELSE {B + 1} END")
    if B == 1 and edges[0] == edges[-1]:  # constant reference: [v, v] is the only bin
        return rare
    return f"CASE WHEN {v} >= {e0} AND {v} < {e_last} THEN {inside} ELSE {rare} END"


# ------------------------------------------------------------------------------------------------
# the profile statement
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Piece:
    """One column's part of the profile statement, whatever the statement's shape.

    ``base`` expressions are computed from a source row, ``derived`` from those (e.g. the lookup
    cell of a parsed value), ``join`` adds a lookup table; ``code, ks, kn, v, ex`` are then the
    bin code, the category (text / number) or file, the value summed, and an unparseable example.
    ``keys`` are the columns the union shape groups by besides the window.
    """

    cid: int
    base: list[str]
    code: str
    ks: str
    kn: str
    v: str
    ex: str
    keys: tuple[str, ...] = ("code",)
    derived: list[str] = dataclasses.field(default_factory=list)
    join: tuple[str, str, str] | None = None


def _null(d: Dialect, kind: str) -> str:
    return f"CAST(NULL AS {d.string_type if kind == 'text' else 'DOUBLE'})"


def numeric_piece(d: Dialect, cid: int, column: str, ctype: str, edges: np.ndarray,
                  lookup: Lookup | None = None, lookup_table: str | None = None) -> Piece:
    """Per window and bin: count, sum, sum of squares, min and max of the value (missing, infinite
    and unparseable values under sentinel codes, whose sums the caller ignores)."""
    value, raw = numeric_value(d, column, ctype)
    v, r = f"v{cid}", (f"r{cid}" if raw is not None else None)
    base = [f"{value} AS {v}"] + ([f"{raw} AS {r}"] if r else [])
    derived, join = [], None
    if lookup is not None and lookup_table is not None:
        alias = f"lk{cid}"
        derived = [f"COALESCE({lookup.cell_sql(d, v)}, 0) AS k{cid}"]
        join = (lookup_table, alias, f"t1.k{cid} = {alias}.k")
        code = bin_code(d, v, edges, alias, lookup, r)
    else:
        code = bin_code(d, v, edges, raw=r)
    ex = f"CASE WHEN {r} IS NOT NULL AND {_missing(v)} THEN {r} END" if r else _null(d, "text")
    return Piece(cid, base, code, _null(d, "text"), _null(d, "number"), v, ex, ("code",), derived, join)


def category_piece(d: Dialect, cid: int, column: str, ctype: str) -> Piece:
    """Per window and category: count (missing values under code -1)."""
    q = d.quote(column)
    if ctype == "string":
        ks, kn, missing = q, _null(d, "number"), f"{q} IS NULL"
    elif ctype == "numeric":
        ks, kn, missing = _null(d, "text"), f"CAST({q} AS DOUBLE)", _missing(f"CAST({q} AS DOUBLE)")
    elif ctype == "boolean":
        ks, kn, missing = f"CASE WHEN {q} THEN 'True' ELSE 'False' END", _null(d, "number"), f"{q} IS NULL"
    else:
        ks, kn, missing = d.as_string(q), _null(d, "number"), f"{q} IS NULL"
    base = [f"CASE WHEN {missing} THEN {MISSING} ELSE 0 END AS c{cid}",
            f"CASE WHEN {missing} THEN NULL ELSE {ks} END AS ks{cid}",
            f"CASE WHEN {missing} THEN NULL ELSE {kn} END AS kn{cid}"]
    return Piece(cid, base, f"c{cid}", f"ks{cid}", f"kn{cid}", _null(d, "number"), _null(d, "text"),
                 ("code", "ks", "kn"))


def null_piece(d: Dialect, cid: int, column: str, ctype: str) -> Piece:
    """Per window: present vs missing (kinds that are not compared: datetime, identifier, text)."""
    q = d.quote(column)
    missing = _missing(f"CAST({q} AS DOUBLE)") if ctype == "numeric" else f"{q} IS NULL"
    return Piece(cid, [f"CASE WHEN {missing} THEN {MISSING} ELSE 0 END AS c{cid}"], f"c{cid}", _null(d, "text"),
                 _null(d, "number"), _null(d, "number"), _null(d, "text"))


def rows_piece(d: Dialect) -> Piece:
    """Rows per file and window: cid -1."""
    return Piece(-1, [], "0", _null(d, "text"), _null(d, "number"), _null(d, "number"), _null(d, "text"), ())


def union_all(parts: Sequence[str]) -> str:
    return "\nUNION ALL\n".join(parts)


def _aggregates(d: Dialect) -> str:
    """The per-group aggregates. Spark gets no ``MIN`` over text: a string aggregation buffer turns its
    hash aggregation into a sort of every row, so unparseable examples come from DuckDB only."""
    ex = "MIN(ex)" if d.name == "duckdb" else f"CAST(NULL AS {d.string_type})"
    return f"COUNT(*) AS n, SUM(v) AS s, VAR_POP(v) * COUNT(v) AS ss, MIN(v) AS mn, MAX(v) AS mx, {ex} AS ex"


def _rows(d: Dialect, source: str, window: str, group: str, pieces: Sequence[Piece]) -> str:
    """FROM clause giving the file ``g``, the window ``w`` and every piece's columns (and lookups) per row."""
    base = ", ".join([f"{group} AS g", f"{window} AS w"] + [b for p in pieces for b in p.base])
    derived = [x for p in pieces for x in p.derived]
    level1 = f"(SELECT t0.*{', ' if derived else ''}{', '.join(derived)} FROM (SELECT {base} FROM {source}) t0) t1"
    joins = "".join(f" JOIN {t} {a} ON {on}" for p in pieces if p.join for t, a, on in [p.join])
    return level1 + joins


def union_statement(d: Dialect, source: str, window: str, group: str, pieces: Sequence[Piece]) -> str:
    """``UNION ALL`` of one ``GROUP BY file, window, key`` per column: one narrow scan per column (DuckDB)."""
    parts = []
    for p in pieces:
        exprs = {"code": p.code, "ks": p.ks, "kn": p.kn}
        inner = "".join(f", {exprs[k]} AS {k}" for k in p.keys)
        outer = ", ".join(k if k in p.keys else ("0 AS code" if k == "code" else f"{_null(d, 'text' if k == 'ks' else 'number')} AS {k}")
                          for k in ("code", "ks", "kn"))
        group_by = ", ".join(["g", "w", *p.keys])
        parts.append(f"SELECT {p.cid} AS cid, g, w, {outer}, {_aggregates(d)} FROM (SELECT g, w{inner}, {p.v} AS v, "
                     f"{p.ex} AS ex FROM {_rows(d, source, window, group, [p])}) t2 GROUP BY {group_by}")
    return union_all(parts)


def long_statement(d: Dialect, source: str, window: str, group: str, pieces: Sequence[Piece]) -> str:
    """One scan: each row becomes one row per column, then a single ``GROUP BY`` (Spark: one shuffle)."""
    fields = [(f"{p.cid}", p.code, p.ks, p.kn, p.v, p.ex) for p in pieces]
    return (f"SELECT cid, g, w, code, ks, kn, {_aggregates(d)} FROM (SELECT g, w, {d.expand(fields)} "
            f"FROM {_rows(d, source, window, group, pieces)}) t2 GROUP BY cid, g, w, code, ks, kn")


# ------------------------------------------------------------------------------------------------
# edges
# ------------------------------------------------------------------------------------------------
def edge_stats(d: Dialect, source: str, columns: Sequence[tuple[str, str]]) -> str:
    """One row: per numeric column, the count of finite values and an approximate distinct count."""
    sel, aggs = [], []
    for i, (col, ctype) in enumerate(columns):
        value, _ = numeric_value(d, col, ctype)
        sel.append(f"{value} AS v{i}")
        fv = f"CASE WHEN {finite(d, f'v{i}')} THEN v{i} END"
        aggs.append(f"COUNT({fv}) AS n{i}")
        aggs.append(f"approx_count_distinct({fv}) AS d{i}")
    return f"SELECT {', '.join(aggs)} FROM (SELECT {', '.join(sel)} FROM {source}) t"


def distinct_values(d: Dialect, source: str, items: Sequence[tuple[int, str, str]], limit: int) -> str:
    """Distinct finite values (at most ``limit`` + 1 per column) of the few-valued numeric columns."""
    parts = []
    for cid, col, ctype in items:
        value, _ = numeric_value(d, col, ctype)
        parts.append(f"SELECT * FROM (SELECT {cid} AS cid, v FROM (SELECT {value} AS v FROM {source}) t "
                     f"WHERE {finite(d, 'v')} GROUP BY v ORDER BY v LIMIT {int(limit) + 1}) t{cid}")
    return union_all(parts)


def quantiles(d: Dialect, source: str, items: Sequence[tuple[str, str, Sequence[float], bool]]) -> str:
    """One row: per column, its quantiles at the given fractions (exact discrete or approximate)."""
    sel, aggs = [], []
    for i, (col, ctype, fractions, exact) in enumerate(items):
        value, _ = numeric_value(d, col, ctype)
        sel.append(f"{value} AS v{i}")
        fv = f"CASE WHEN {finite(d, f'v{i}')} THEN v{i} END"
        aggs.append(f"{d.percentiles(fv, fractions, exact)} AS q{i}")
    return f"SELECT {', '.join(aggs)} FROM (SELECT {', '.join(sel)} FROM {source}) t"


# ------------------------------------------------------------------------------------------------
# outcomes
# ------------------------------------------------------------------------------------------------
def equals_label(d: Dialect, column: str, ctype: str, label: object) -> str:
    """SQL testing ``column = label`` the way pandas' ``series == label`` does for the column's type."""
    q = d.quote(column)
    if isinstance(label, (bool, np.bool_)):
        if ctype == "boolean":
            return f"{q} = {'TRUE' if label else 'FALSE'}"
        return f"CAST({q} AS DOUBLE) = {d.double(float(label))}"
    if isinstance(label, (int, float, np.integer, np.floating)) and ctype in ("numeric", "boolean"):
        return f"CAST({q} AS DOUBLE) = {d.double(float(label))}"
    return f"{d.as_string(q)} = {d.string(str(label))}"


def _flag(d: Dialect, column: str, ctype: str, label: object) -> str:
    q = d.quote(column)
    missing = _missing(f"CAST({q} AS DOUBLE)") if ctype == "numeric" else f"{q} IS NULL"
    return f"CASE WHEN {missing} THEN NULL WHEN {equals_label(d, column, ctype, label)} THEN 1 ELSE 0 END"


def confusion(d: Dialect, source: str, window: str, target: tuple[str, str], positive: object,
              prediction: tuple[str, str] | None, score: tuple[str, str] | None, threshold: float,
              weight: tuple[str, str] | None = None) -> str:
    """Per window: rows, labelled rows, and the confusion counts (optionally weighted by 1/weight)."""
    y = _flag(d, *target, positive)
    if prediction is not None:
        p = _flag(d, *prediction, positive)
    else:
        s, _ = numeric_value(d, *score)
        p = f"CASE WHEN {_missing(s)} THEN NULL WHEN {s} >= {d.double(threshold)} THEN 1 ELSE 0 END"
    sel = [f"{window} AS w", f"{y} AS y", f"{p} AS p"]
    if weight is not None:
        wv, _ = numeric_value(d, *weight)
        sel.append(f"1e0 / {wv} AS wt")
    cells = {"tp": "y = 1 AND p = 1", "fp": "y = 0 AND p = 1", "fn": "y = 1 AND p = 0", "tn": "y = 0 AND p = 0"}
    aggs = ["COUNT(*) AS n_rows", "SUM(CASE WHEN y IS NOT NULL THEN 1 ELSE 0 END) AS n_labelled",
            "SUM(CASE WHEN y IS NOT NULL AND p IS NOT NULL THEN 1 ELSE 0 END) AS n"]
    aggs += [f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}" for name, cond in cells.items()]
    if weight is not None:
        aggs += [f"SUM(CASE WHEN {cond} THEN wt ELSE 0e0 END) AS w_{name}" for name, cond in cells.items()]
    return f"SELECT w, {', '.join(aggs)} FROM (SELECT {', '.join(sel)} FROM {source}) t GROUP BY w"


def score_histogram(d: Dialect, source: str, window: str, target: tuple[str, str], positive: object,
                    score: tuple[str, str], bins: int) -> str:
    """Per window, label (0/1) and equal-width score bin on [0, 1]: the count of labelled, scored rows."""
    y = _flag(d, *target, positive)
    s, _ = numeric_value(d, *score)
    b = f"CAST(LEAST(GREATEST(floor({s} * {int(bins)}), 0), {int(bins) - 1}) AS INTEGER)"
    inner = (f"SELECT {window} AS w, {y} AS y, CASE WHEN {_missing(s)} THEN NULL ELSE {b} END AS b FROM {source}")
    return f"SELECT w, y, b, COUNT(*) AS n FROM ({inner}) t WHERE y IS NOT NULL AND b IS NOT NULL GROUP BY w, y, b"
