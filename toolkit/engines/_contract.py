"""Contract checks where the data lives: :meth:`toolkit.schema.Contract.validate` on a source.

Every count a contract check needs is an SQL aggregate run in DuckDB or Spark, ONE statement per
source for all columns (row count, nulls, fractional values, out-of-range counts, unseen-category
counts, distinct counts, duplicate ids, timestamp counts and quantiles; one more for the stray-timestamp
count, which needs the quantiles), and one grouped statement for every window of a source cut by a
period (:func:`source_windows`); further statements only fetch the examples of what failed. No rows
are loaded into pandas. The aggregates feed the same decision functions as the pandas path
(:mod:`toolkit.schema.checks`), so the result is the same :class:`~toolkit.schema.ValidationResult`
with the same checks, severities and failure counts. Only two things read rows, and only a seeded
sample of the affected columns: the rename scores (the distribution of a new column) and the
coercion preview (the share of "$54.20" text that parses); ``result.sample_rows`` states the size.

:func:`guard_source` is the pipeline form: passed and quarantined rows are written back to Parquet
by DuckDB (``COPY ... TO``) or Spark (``DataFrame.write``) and counted: passed + quarantined = input,
or an error.

>>> import os, tempfile, numpy as np, pandas as pd
>>> import toolkit as tk
>>> folder = tempfile.mkdtemp()
>>> ref = pd.DataFrame({"age": np.arange(18, 88).repeat(2), "plan": ["a", "b"] * 70})
>>> ref.assign(age=ref["age"] * 10).to_parquet(os.path.join(folder, "batch.parquet"))
>>> result = tk.infer_contract(ref).validate(os.path.join(folder, "batch.parquet"))
>>> result.engine, result.failures[["check", "failing_count"]].values.tolist()
('duckdb', [['out_of_range', 140]])
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._checks import check_number
from ..kinds import Kind
from ..schema.checks import (FUTURE_TOLERANCE, STRAY_MIN_VALUES, Context, Outcome, check_cardinality,
                             dtype_failure, duplicate_failure, early_failure, examples_of, future_failure,
                             null_failure, range_bounds, range_failure, stray_failure, stray_limits,
                             timezone_failure, unseen_failure)
from ..schema.renames import SAMPLE_ROWS
from ..schema.rules import ColumnRule, numeric_values, python_scalar
from ._source import FILE_COLUMN, Source, open_source

__all__ = ["SourceBatch", "source_batch", "guard_source", "SourceGuardResult", "window_row_counts",
           "SourceWindows", "source_windows"]

_NUMBERS = ("integer", "float")
_TEXTS = ("string", "mixed")
#: Rows read once from the start of a source for the example values shown in failures.
_HEAD_ROWS = 2000


def engine_family(raw: str) -> str:
    """Value family (:data:`toolkit.schema.rules.TYPES`) of an engine column type (DuckDB or Spark spelling)."""
    t = str(raw).strip().lower()
    if t in ("boolean", "bool"):
        return "boolean"
    if t.split("(")[0] in ("bigint", "integer", "int", "smallint", "tinyint", "hugeint", "ubigint", "uinteger",
                           "usmallint", "utinyint", "uhugeint", "long", "short", "byte", "int64", "int32"):
        return "integer"
    if t.split("(")[0] in ("double", "float", "real", "decimal", "numeric", "float8", "float4"):
        return "float"
    if t.startswith(("timestamp", "date", "datetime")):
        return "datetime"
    if t.startswith("interval"):
        return "timedelta"
    if t in ("varchar", "string", "text") or t.startswith(("varchar", "char", "string")):
        return "string"
    return "mixed"


class _Plan:
    """The aggregates of one statement: derived values projected once (``e0, e1...``), aggregates over them."""

    def __init__(self):
        self.exprs: dict[str, str] = {}     # SQL expression -> alias in the inner projection
        self.aggs: dict[str, str] = {}      # result key -> aggregate over the aliases
        #: result key -> condition counted with WHERE (an IN list of many categories is a hash lookup in a
        #: WHERE clause, but a per-row chain of comparisons inside an aggregate: 15x slower in DuckDB)
        self.counts: dict[str, str] = {}
        #: result keys whose aggregate runs in a statement of its own (Spark's DISTINCT counts, percentiles)
        self.alone: set[str] = set()

    def col(self, expr: str) -> str:
        if expr not in self.exprs:
            self.exprs[expr] = f"e{len(self.exprs)}"
        return self.exprs[expr]

    def add(self, key: str, agg: str, alone: bool = False) -> None:
        self.aggs[key] = agg
        if alone:
            self.alone.add(key)

    def _inner(self, rel: str, group: str | None, group_text: str | None) -> str:
        inner = [f"{e} AS {a}" for e, a in self.exprs.items()] or ["1 AS e"]
        if group is not None:
            inner += [f"{group} AS tk_w", f"{group_text} AS tk_ws"]
        return f"(SELECT {', '.join(inner)} FROM {rel}) t"

    def sql(self, rel: str, group: str | None = None, group_text: str | None = None,
            keys: list[str] | None = None) -> str:
        """The statement of ``keys`` (default: every aggregate not run alone) over ``rel``; with ``group``
        one row per window (``tk_w``; ``tk_ws`` its text). Result columns ``a0, a1...`` in the order of keys."""
        keys = self.together if keys is None else keys
        outer = [f"{self.aggs[k]} AS a{i}" for i, k in enumerate(keys)] or ["COUNT(*) AS a0"]
        if group is not None:
            return (f"SELECT tk_w, tk_ws, {', '.join(outer)} FROM {self._inner(rel, group, group_text)} "
                    "GROUP BY tk_w, tk_ws ORDER BY tk_w")
        return f"SELECT {', '.join(outer)} FROM {self._inner(rel, None, None)}"

    @property
    def together(self) -> list[str]:
        return [k for k in self.aggs if k not in self.alone]

    def decode(self, row, keys: list[str] | None = None) -> dict:
        return {key: row[f"a{i}"] for i, key in enumerate(self.together if keys is None else keys)}

    def values(self, run, rel: str) -> dict:
        """Every aggregate and WHERE-count of the plan over ``rel`` (``run``: SQL -> DataFrame)."""
        values = self.decode(run(self.sql(rel)).iloc[0]) if self.together else {}
        for key in sorted(self.alone):
            values.update(self.decode(run(self.sql(rel, keys=[key])).iloc[0], [key]))
        if self.counts:
            values.update({k: 0 for k in self.counts}, **self.decode_counts(run(self.counts_sql(rel))))
        return values

    def window_values(self, run, rel: str, group: str, group_text: str) -> dict:
        """``{window text: (window value, values)}``: :meth:`values` per window of ``group`` (rows with no
        window value belong to none)."""
        out: dict = {}
        for keys in [self.together] + [[k] for k in sorted(self.alone)]:
            for _, row in run(self.sql(rel, group, group_text, keys=keys)).iterrows():
                if row["tk_w"] is None or pd.isna(row["tk_w"]):
                    continue
                out.setdefault(str(row["tk_ws"]), (row["tk_w"], {}))[1].update(self.decode(row, keys))
        if self.counts:
            counts = self.decode_counts(run(self.counts_sql(rel, group_text)))
            for text, (_, values) in out.items():
                values.update({k: 0 for k in self.counts}, **counts.get(text, {}))
        return out

    def counts_sql(self, rel: str, group_text: str | None = None) -> str:
        """One statement for every WHERE-count (a UNION ALL; per window with ``group_text``)."""
        if group_text is None:
            parts = [f"SELECT {i} AS i, COUNT(*) AS k FROM {rel} WHERE {c}" for i, c in enumerate(self.counts.values())]
        else:
            parts = [f"SELECT {i} AS i, {group_text} AS tk_ws, COUNT(*) AS k FROM {rel} WHERE {c} GROUP BY {group_text}"
                     for i, c in enumerate(self.counts.values())]
        return " UNION ALL ".join(parts)

    def decode_counts(self, res: pd.DataFrame) -> dict:
        """``{key: count}`` (single source) or ``{window text: {key: count}}`` from :meth:`counts_sql`."""
        keys = list(self.counts)
        if "tk_ws" not in res.columns:
            return {keys[int(i)]: _int(k) for i, k in zip(res["i"], res["k"])}
        out: dict = {}
        for i, w, k in zip(res["i"], res["tk_ws"], res["k"]):
            if w is not None and not pd.isna(w):
                out.setdefault(str(w), {})[keys[int(i)]] = _int(k)
        return out


class SourceBatch:
    """A source as :meth:`toolkit.schema.Contract._validate_view` reads it: names, true row count, and per
    column the checks computed as aggregates in the engine.

    Given the ``contract``, every column's aggregates (row count, nulls, fractional values, out-of-range
    counts, unseen categories, distinct counts, duplicate ids, timestamp counts and quantiles) come from
    ONE statement at construction; follow-up statements run only for what failed (the examples shown)
    and for the stray-timestamp count, which needs the quantiles first. ``where`` restricts the source
    to one window (with ``rows`` and ``aggregates`` already computed for it by :func:`validate_source_windows`).
    """

    def __init__(self, source: Source, *, sample_rows: int = SAMPLE_ROWS, own: bool = True, contract=None,
                 now: pd.Timestamp | None = None, after: pd.Timestamp | None = None, where: str | None = None,
                 rows: int | None = None, aggregates: dict | None = None, names: list[str] | None = None):
        check_number("sample_rows", sample_rows, low=1, hint=" (rows)")
        self.src = source
        self._own = own
        self.engine = source.engine
        self.d = source.dialect
        self.sample_size = int(sample_rows)
        self.sample_rows: int | None = None
        self.where = where
        self.rel = source.name if where is None else f"(SELECT * FROM {source.name} WHERE {where}) tk_rows"
        hive = source.hive_keys
        # partition keys (week=...) are not columns of the files: the pandas reader does not add them either
        self.names = [c for c in source.columns if c != FILE_COLUMN and c not in hive] if names is None else names
        self._head: pd.DataFrame | None = None
        self._stats: dict[str, dict] = {}
        #: aggregates per (rule name, column) computed for (now, after)
        self._aggs: dict[tuple[str, str], dict] = {}
        self._when = (now, after)
        if aggregates is not None:
            self.n = self.rows_total = int(rows or 0)
            self._load(aggregates, contract)
        elif contract is not None:
            plan = self.plan(contract, now, after)
            values = plan.values(self._one, self.rel)
            self.n = self.rows_total = int(_int(values["rows"]))
            self._load(values, contract)
            self._worst_values(contract)
        else:
            self.n = self.rows_total = int(self._one(f"SELECT COUNT(*) AS n FROM {self.rel}")["n"].iloc[0])

    # -- plumbing --------------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._own:
            self.src.close()

    def _one(self, sql: str) -> pd.DataFrame:
        return self.src.run(sql, progress=False)

    def q(self, name: str) -> str:
        return self.d.quote(name)

    @property
    def sample_note(self) -> str:
        return "" if not self.sample_rows else f"; scored on a seeded sample of {self.sample_rows:,} rows"

    def raw_type(self, name: str) -> str:
        return str(self.src.raw_types.get(name, ""))

    def dtype(self, name: str) -> str:
        return self.raw_type(name).lower()

    def head(self) -> pd.DataFrame:
        if self._head is None:
            cols = ", ".join(self.q(c) for c in self.names)
            self._head = self._one(f"SELECT {cols} FROM {self.rel} LIMIT {_HEAD_ROWS}")
        return self._head

    def first_values(self, name: str) -> list:
        return examples_of(self.head()[name].dropna(), None, 5)

    def sample(self, names: list[str]) -> pd.DataFrame:
        """A seeded uniform sample of at most ``sample_rows`` rows of the named columns only."""
        k = min(self.sample_size, self.n)
        cols = ", ".join(self.q(c) for c in names)
        if k >= self.n:
            frame = self._one(f"SELECT {cols} FROM {self.rel}")
        elif self.engine == "duckdb":
            frame = self._one(f"SELECT {cols} FROM {self.rel} USING SAMPLE reservoir({k} ROWS) REPEATABLE (0)")
        else:
            frac = min(1.0, 1.5 * k / self.n)
            rows = self.src.frame if self.where is None else self.src.spark.sql(f"SELECT * FROM {self.rel}")
            frame = rows.select(*names).sample(fraction=frac, seed=0).limit(k).toArrow().to_pandas()
        if len(frame) < self.n:  # a sample of every row is no sample
            self.sample_rows = max(self.sample_rows or 0, len(frame))
        return frame

    def rename_frame(self, names: list[str]) -> pd.DataFrame:
        return self.sample(names)

    def family(self, name: str) -> str:
        """The value family pandas would see reading the same data: integers with nulls read as floats."""
        fam = engine_family(self.raw_type(name))
        if fam == "integer" and self._stat(name)["nulls"] > 0:
            return "float"
        return fam

    # -- the one statement -----------------------------------------------------------------------
    def plan(self, contract, now, after) -> _Plan:
        """Every aggregate the contract's checks need on this source's columns, as one :class:`_Plan`
        (key ``rows`` first, then ``nulls:<column>``, then ``<rule>:<column>:<what>``)."""
        plan = _Plan()
        plan.add("rows", "COUNT(*)")
        for c in self.names:
            plan.add(f"nulls\0{c}", f"SUM(CASE WHEN {plan.col(self._null_expr(c))} THEN 1 ELSE 0 END)")
        present = set(self.names)
        for name, rule in contract.columns.items():
            if name in present:
                self._column_plan(plan, rule, name, now, after)
        ts = next((r.name for r in contract.columns.values() if r.role == "timestamp"), None)
        if contract.rows is not None and contract.rows.per and ts in present and \
                engine_family(self.raw_type(ts)) == "datetime":   # the row-count check's time span
            q = plan.col(self.q(ts))
            plan.add(f"span\0{ts}\0lo", f"MIN({q})")
            plan.add(f"span\0{ts}\0hi", f"MAX({q})")
        return plan

    def _column_plan(self, plan: _Plan, rule: ColumnRule, name: str, now, after) -> None:
        """The aggregates of :meth:`check` for ``rule`` on column ``name`` (keyed ``rule\\0column\\0what``)."""
        fam = engine_family(self.raw_type(name))
        # an integer column with nulls is "float" to pandas; every expression below is the same for both
        observed = fam
        key = f"{rule.name}\0{name}\0"
        q = self.q(name)
        if rule.type == "integer" and fam == "float":   # (integers with nulls have no fraction to count)
            v = plan.col(self._numeric_expr(name, observed))
            finite = f"{v} <> {self.d.double(np.inf)} AND {v} <> {self.d.double(-np.inf)}"   # Spark has no isinf
            plan.add(key + "frac", f"SUM(CASE WHEN {v} IS NOT NULL AND {finite} AND {v} <> floor({v}) "
                                   "THEN 1 ELSE 0 END)")
        numeric = rule.kind is Kind.NUMERIC and observed in _NUMBERS + _TEXTS + ("boolean",)
        if numeric and (rule.lower is not None or rule.upper is not None):
            v = plan.col(self._numeric_expr(name, observed))
            lo, hi, bad = self._range_conds(rule, v)
            plan.add(key + "below", f"SUM(CASE WHEN {lo} THEN 1 ELSE 0 END)")
            plan.add(key + "above", f"SUM(CASE WHEN {hi} THEN 1 ELSE 0 END)")
            plan.add(key + "mn", f"MIN(CASE WHEN {bad} THEN {v} END)")
            plan.add(key + "mx", f"MAX(CASE WHEN {bad} THEN {v} END)")
        elif not numeric and rule.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            if rule.categories is None:
                plan.add(key + "card", f"COUNT(DISTINCT {plan.col(q)})", alone=self._heavy_apart)
            else:
                # the distinct unseen values and the cardinality are counted only when values are unseen
                # (a follow-up): a DISTINCT aggregate per column would make the one statement slower
                _, unseen = self.category_expr(rule, name, observed)
                plan.counts[key + "unseen"] = unseen
        if rule.unique:
            plan.add(key + "distinct", f"COUNT(DISTINCT CASE WHEN NOT {plan.col(self._null_expr(name))} "
                                       f"THEN {plan.col(q)} END)", alone=self._heavy_apart)
        if rule.kind is Kind.DATETIME and observed in ("datetime",) + _TEXTS:
            u = plan.col(self._epoch_us(name, rule, observed))
            plan.add(key + "valid", f"COUNT({u})")
            plan.add(key + "lo", f"MIN({u})")
            plan.add(key + "hi", f"MAX({u})")
            if not rule.allow_future:
                plan.add(key + "future", f"SUM(CASE WHEN {u} > {_micros(now + FUTURE_TOLERANCE)} THEN 1 ELSE 0 END)")
            if after is not None:
                plan.add(key + "early", f"SUM(CASE WHEN {u} < {_micros(after)} THEN 1 ELSE 0 END)")
            if rule.role == "timestamp":
                plan.add(key + "q", self._quantiles(u), alone=self._heavy_apart)

    @property
    def _heavy_apart(self) -> bool:
        """Spark runs an exact DISTINCT count or percentile in a statement of its own. Beside other aggregates a
        DISTINCT count makes it pre-aggregate every one of them per distinct value (a unique id: one group per
        row), and a percentile turns off code generation for all of them. On a 3.85M-row window of 26 columns
        the one statement took 125 s, the three 22 s; DuckDB has no such cost."""
        return self.engine == "spark"

    def _quantiles(self, u: str) -> str:
        return (f"quantile_cont(CAST({u} AS DOUBLE), [0.01, 0.99])" if self.engine == "duckdb"
                else f"percentile(CAST({u} AS DOUBLE), array(0.01, 0.99))")

    def _load(self, values: dict, contract) -> None:
        """Fill the caches from one row of :meth:`plan`'s result (``values``: key -> value)."""
        for key, value in values.items():
            parts = key.split("\0")
            if parts[0] == "nulls":
                self._stats[parts[1]] = {"nulls": _int(value)}
            elif parts[0] == "span":
                self._stats.setdefault(f"span\0{parts[1]}", {})[parts[2]] = value
            elif len(parts) == 3:
                self._aggs.setdefault((parts[0], parts[1]), {})[parts[2]] = value
        for name in self.names:
            self._stats.setdefault(name, {"nulls": 0})
        for name, rule in (contract.columns.items() if contract is not None else ()):
            if name in self._stats:   # a present column whose rule needs no aggregate still has its entry
                self._aggs.setdefault((rule.name, name), {})

    def _worst_values(self, contract) -> None:
        """The five out-of-range values farthest from the median of every column with some, in one statement
        (a UNION ALL of one small query per failing column) rather than one statement per column."""
        parts, keys = [], []
        for name, rule in contract.columns.items():
            agg = self._aggs.get((rule.name, name), {})
            if not (_int(agg.get("below")) + _int(agg.get("above"))):
                continue
            v = self._numeric_expr(name, engine_family(self.raw_type(name)))
            _, _, bad = self._range_conds(rule, v)
            centre = self.d.double((rule.quantiles or {}).get("p50", 0.0))
            parts.append(f"SELECT * FROM (SELECT {len(keys)} AS i, v, abs(v - {centre}) AS far FROM (SELECT {v} AS v "
                         f"FROM {self.rel} WHERE {bad}) t GROUP BY v ORDER BY far DESC, v LIMIT 5) q{len(keys)}")
            keys.append(agg)
        if not parts:
            return
        res = self._one(" UNION ALL ".join(parts))
        res = res.assign(neg=-res["far"].astype(float)).sort_values(["i", "neg", "v"], kind="stable")
        for i, agg in enumerate(keys):
            agg["worst"] = res.loc[res["i"] == i, "v"].astype(float).tolist()

    def _column(self, rule: ColumnRule, name: str, ctx: Context) -> dict:
        """The aggregates of ``rule`` on ``name``: from the one statement, else (a renamed column, another
        ``now``) a statement of this column's aggregates only."""
        key = (rule.name, name)
        if key not in self._aggs or self._when != (ctx.now, ctx.after):
            plan = _Plan()
            self._column_plan(plan, rule, name, ctx.now, ctx.after)
            values = plan.values(self._one, self.rel) if plan.aggs or plan.counts else {}
            self._aggs[key] = {k.split("\0")[2]: v for k, v in values.items()}
            if self._when != (ctx.now, ctx.after):
                self._aggs = {key: self._aggs[key]}
                self._when = (ctx.now, ctx.after)
        return self._aggs[key]

    # -- aggregates ------------------------------------------------------------------------------
    def _null_expr(self, name: str) -> str:
        q = self.q(name)
        if engine_family(self.raw_type(name)) == "float":
            return f"({q} IS NULL OR isnan({q}))"
        return f"({q} IS NULL)"

    def _stat(self, name: str) -> dict:
        if name not in self._stats and self.names:  # every column's null count in one scan
            parts = ", ".join(f"SUM(CASE WHEN {self._null_expr(c)} THEN 1 ELSE 0 END) AS c{i}"
                              for i, c in enumerate(self.names))
            res = self._one(f"SELECT {parts} FROM {self.rel}").iloc[0]
            self._stats.update({c: {"nulls": _int(res[f"c{i}"])} for i, c in enumerate(self.names)})
        return self._stats[name]

    def _numeric_expr(self, name: str, family: str) -> str:
        q = self.q(name)
        if family in _TEXTS:
            v = self.d.parse_number(self.d.as_string(q))
            return f"(CASE WHEN isnan({v}) THEN NULL ELSE {v} END)"  # 'NaN' text is no number to pandas
        if family == "boolean":
            return f"CAST(CAST({q} AS INTEGER) AS DOUBLE)"
        return f"(CASE WHEN isnan(CAST({q} AS DOUBLE)) THEN NULL ELSE CAST({q} AS DOUBLE) END)"

    def _epoch_us(self, name: str, rule: ColumnRule, family: str) -> str:
        """Microseconds since the epoch (UTC) of a timestamp column (naive values are taken in the contract's zone)."""
        q = self.q(name)
        raw = self.raw_type(name).upper()
        aware = _aware(raw, self.engine)
        if family in _TEXTS:
            ts = f"TRY_CAST({q} AS TIMESTAMP)" if self.engine == "duckdb" else f"try_to_timestamp({q})"
            aware = False
        else:
            ts = q
        if self.engine == "duckdb":
            if not aware:
                ts = f"timezone({self.d.string(rule.timezone or 'UTC')}, CAST({ts} AS TIMESTAMP))"
            return f"epoch_us(CAST({ts} AS TIMESTAMPTZ))"
        if not aware:
            ts = f"to_utc_timestamp(CAST({ts} AS TIMESTAMP), {self.d.string(rule.timezone or 'UTC')})"
        return f"unix_micros(CAST({ts} AS TIMESTAMP))"

    def _zone(self, name: str) -> str | None:
        """The batch column's time zone as pandas would read it (None: naive)."""
        raw = self.raw_type(name).upper()
        if not _aware(raw, self.engine):
            return None
        for f in (self.src.files or [])[:50]:
            cols = (self.src.file_columns or {}).get(f)
            if cols is not None and name not in cols:
                continue
            if not str(f).endswith(".parquet"):
                break
            try:
                import pyarrow.parquet as pq

                tz = getattr(pq.read_schema(f).field(name).type, "tz", None)
            except Exception:  # a remote or unreadable footer: the engine's own rendering (UTC)
                break
            return None if tz is None else str(tz)
        return "UTC"

    def time_span(self, name: str):
        if name not in self.names or engine_family(self.raw_type(name)) != "datetime":
            return None
        span = self._stats.get(f"span\0{name}")
        if span is None:
            res = self._one(f"SELECT MIN({self.q(name)}) AS lo, MAX({self.q(name)}) AS hi FROM {self.rel}")
            span = {"lo": res["lo"].iloc[0], "hi": res["hi"].iloc[0]}
        lo, hi = span["lo"], span["hi"]
        if lo is None or pd.isna(lo):
            return None
        return pd.Timestamp(lo), pd.Timestamp(hi)

    # -- the column check ------------------------------------------------------------------------
    def check(self, rule: ColumnRule, name: str, ctx: Context, source: str | None = None) -> Outcome:
        """Every check ``rule`` implies on column ``name``, as :func:`toolkit.schema.checks.check_column` does."""
        out = Outcome()
        n = ctx.n
        where = f" (as {source!r})" if source and source != rule.name else ""
        nulls = self._stat(name)["nulls"]
        nonnull = n - nulls
        observed = self.family(name) if nonnull else "empty"
        out.summary = {
            "column": rule.name, "role": rule.role, "kind": rule.kind.value, "present": True,
            "source": source or rule.name, "rows": n, "null_rate_reference": rule.null_rate,
            "null_rate": nulls / n if n else np.nan, "null_limit": np.nan, "unseen_share": np.nan,
            "out_of_range_share": np.nan,
        }
        if n == 0:
            return out
        agg = self._column(rule, name, ctx)
        numeric = rule.kind is Kind.NUMERIC and observed in _NUMBERS + _TEXTS + ("boolean",) and nonnull
        self._dtype(rule, name, observed, nonnull, ctx, out, where, agg)
        null_failure(rule, nulls, ctx, out, where)
        if nonnull == 0:
            return out
        if numeric:
            self._range(rule, name, observed, ctx, out, where, agg)
        elif rule.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            self._categories(rule, name, observed, nonnull, ctx, out, where, agg)
        if rule.unique:
            self._unique(rule, name, nonnull, ctx, out, where, agg)
        if rule.kind is Kind.DATETIME and observed in ("datetime",) + _TEXTS:
            self._timestamps(rule, name, observed, nonnull, ctx, out, where, agg)
        return out

    def _dtype(self, rule, name, observed, nonnull, ctx, out, where, agg) -> None:
        expected = rule.type
        if observed == expected or nonnull == 0 or expected in ("mixed", "empty") or rule.kind is Kind.EMPTY:
            return
        fractional = _int(agg.get("frac")) if expected == "integer" and observed == "float" else 0
        unparsed = examined = None
        if observed in _TEXTS and expected not in _TEXTS and (rule.kind is Kind.NUMERIC or expected in _NUMBERS):
            text = self.sample([name])[name].dropna()  # the coercion preview: a seeded sample of this column only
            unparsed, examined = int(np.isnan(numeric_values(text)).sum()), len(text)
        elif expected == "datetime" and observed in _TEXTS:
            text = self.sample([name])[name].dropna()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                unparsed = int(pd.to_datetime(text, errors="coerce", utc=True).isna().sum())
            examined = len(text)
        dtype_failure(rule, observed, f"{observed} ({self.dtype(name)}){where}", nonnull, ctx, out, where,
                      examples=self.first_values(name), fractional=fractional, unparsed=unparsed,
                      examined=examined, sample_note=self.sample_note)

    def _range_conds(self, rule, v: str) -> tuple[str, str, str]:
        """``(below, above, either)`` conditions on the numeric value ``v`` for the rule's band."""
        lower, upper = range_bounds(rule)
        lo = "" if not np.isfinite(lower) else f"{v} < {self.d.double(lower)}"
        hi = "" if not np.isfinite(upper) else f"{v} > {self.d.double(upper)}"
        # infinite values lie outside any finite band (as in pandas)
        lo = lo or f"{v} = {self.d.double(-np.inf)} AND FALSE"
        hi = hi or f"{v} = {self.d.double(np.inf)} AND FALSE"
        return lo, hi, f"(({lo}) OR ({hi}))"

    def _range(self, rule, name, observed, ctx, out, where, agg) -> None:
        if rule.lower is None and rule.upper is None:
            return
        below, above = _int(agg.get("below")), _int(agg.get("above"))
        count = below + above
        if not count:
            out.summary["out_of_range_share"] = 0.0
            return
        if "worst" in agg:   # fetched with every other column's (or every window's) at once
            range_failure(rule, count, below, above, float(agg["mn"]), float(agg["mx"]), agg["worst"], ctx, out,
                          where)
            return
        v = self._numeric_expr(name, observed)
        _, _, bad = self._range_conds(rule, v)
        centre = (rule.quantiles or {}).get("p50", 0.0)
        worst = self._one(f"SELECT v FROM (SELECT {v} AS v FROM {self.rel} WHERE {bad}) t GROUP BY v "
                          f"ORDER BY abs(v - {self.d.double(centre)}) DESC LIMIT 5")["v"].astype(float).tolist()
        range_failure(rule, count, below, above, float(agg["mn"]), float(agg["mx"]), worst, ctx, out, where)

    def category_expr(self, rule: ColumnRule, name: str, observed: str) -> tuple[str, str]:
        """``(value, is-unseen)`` SQL in the type space of the baseline's categories (as ``category_view``)."""
        q = self.q(name)
        keys = list(rule.categories or {})
        numeric_keys = bool(keys) and all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in keys)
        string_keys = bool(keys) and all(isinstance(k, str) for k in keys)
        if numeric_keys and observed in _TEXTS:
            view = self._numeric_expr(name, observed)
        elif string_keys and observed == "boolean":
            view = f"(CASE WHEN {q} THEN 'True' WHEN NOT {q} THEN 'False' END)"
        elif string_keys and observed in _NUMBERS:
            fam = engine_family(self.raw_type(name))
            # pandas writes str(3) for integers and str(3.0) for floats, as the engines cast them
            view = self.d.as_string(f"CAST({q} AS DOUBLE)" if fam == "float" else q)
        elif observed == "float" and engine_family(self.raw_type(name)) == "float":
            view = self._numeric_expr(name, observed)
        else:
            view = q
        bool_keys = bool(keys) and all(isinstance(k, bool) for k in keys)
        if bool_keys:  # True/False match booleans only (pandas' isin does not equate 'True' text with True)
            literal = ", ".join("TRUE" if k else "FALSE" for k in keys)
            known = f"{q} IN ({literal})" if observed == "boolean" else "FALSE"
        elif numeric_keys and observed not in _TEXTS + ("boolean",):
            literal = ", ".join(self.d.double(float(k)) for k in keys)
            known = f"CAST({view} AS DOUBLE) IN ({literal})"
        elif string_keys:
            literal = ", ".join(self.d.string(k) for k in keys)
            known = f"{self.d.as_string(view)} IN ({literal})"
        elif numeric_keys:
            literal = ", ".join(self.d.double(float(k)) for k in keys)
            known = f"{view} IN ({literal})"
        else:  # mixed keys: compare as text, as the pandas path's fallback does
            literal = ", ".join(self.d.string(str(python_scalar(k))) for k in keys) or "NULL"
            known = f"{self.d.as_string(view)} IN ({literal})"
        return view, f"({view} IS NOT NULL AND NOT ({known}))"

    def _categories(self, rule, name, observed, nonnull, ctx, out, where, agg) -> None:
        if rule.categories is None:
            check_cardinality(rule, _int(agg.get("card")), ctx, out, where)
            return
        count = _int(agg.get("unseen"))
        if not count:
            out.summary["unseen_share"] = 0.0
            return
        view, unseen = self.category_expr(rule, name, observed)
        # the five most frequent unseen values and (COUNT OVER the groups) how many distinct ones
        res = self._one(f"SELECT v, COUNT(*) AS k, COUNT(*) OVER () AS nv FROM (SELECT {view} AS v FROM {self.rel} "
                        f"WHERE {unseen}) t GROUP BY v ORDER BY k DESC, v LIMIT 5")
        n_values = _int(res["nv"].iloc[0]) if len(res) else 0
        top = [(python_scalar(v), int(k)) for v, k in zip(res["v"], res["k"])]
        unseen_failure(rule, count, top, n_values, nonnull, ctx, out, where)
        if rule.max_cardinality is not None and len(rule.categories) + n_values > rule.max_cardinality:
            res = self._one(f"SELECT COUNT(DISTINCT {view}) AS k FROM {self.rel}")
            check_cardinality(rule, int(res["k"].iloc[0]), ctx, out, where)

    def _unique(self, rule, name, nonnull, ctx, out, where, agg) -> None:
        q = self.q(name)
        count = nonnull - _int(agg.get("distinct"))
        if count:
            ex = self._one(f"SELECT {q} AS v FROM {self.rel} WHERE {q} IS NOT NULL GROUP BY {q} "
                           f"HAVING COUNT(*) > 1 LIMIT 5")["v"]
            duplicate_failure(rule, count, examples_of(ex), ctx, out, where)

    def stray_limits(self, agg: dict) -> tuple[float, float] | None:
        """Epoch-µs limits beyond which a timestamp is stray (None: too few timestamps to say)."""
        qs = agg.get("q")
        if _int(agg.get("valid")) < STRAY_MIN_VALUES or qs is None or (np.ndim(qs) == 0 and pd.isna(qs)):
            return None
        return stray_limits(float(qs[0]), float(qs[1]), 86_400_000_000)

    def _timestamps(self, rule, name, observed, nonnull, ctx, out, where, agg) -> None:
        if observed == "datetime":
            zone = self._zone(name)   # examples are shown (and read) only for a lost zone
            shown = self.first_values(name) if rule.timezone and zone is None else []
            timezone_failure(rule, zone, nonnull, shown, ctx, out, where)
        us = self._epoch_us(name, rule, observed)

        def examples(cond: str) -> list:
            return [pd.Timestamp(int(v), unit="us", tz="UTC").isoformat() for v in
                    self._one(f"SELECT u FROM (SELECT {us} AS u FROM {self.rel}) t WHERE {cond} LIMIT 5")["u"]
                    if pd.notna(v)]

        future_at = _micros(ctx.now + FUTURE_TOLERANCE)
        if not rule.allow_future and _int(agg.get("future")):
            future_failure(rule, _int(agg["future"]), examples(f"u > {future_at}"), ctx, out, where)
        valid = _int(agg.get("valid"))
        if rule.role != "timestamp" or valid == 0:
            return
        if ctx.after is not None and _int(agg.get("early")):
            early_failure(rule, _int(agg["early"]), examples(f"u < {_micros(ctx.after)}"), ctx, out, where)
        limits = self.stray_limits(agg)
        if limits is None:
            return
        low, high = limits
        cond = f"(u < {self.d.double(low)} OR u > {self.d.double(high)})"
        if "stray" in agg:   # counted for every window at once (validate_source_windows)
            stray = _int(agg["stray"])
        else:
            stray = _int(self._one(f"SELECT SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS k FROM "
                                   f"(SELECT {us} AS u FROM {self.rel}) t")["k"].iloc[0])
        if stray:
            lo_t = pd.Timestamp(int(max(low, float(agg["lo"]))), unit="us")
            hi_t = pd.Timestamp(int(min(high, float(agg["hi"]))), unit="us")
            stray_failure(rule, stray, lo_t, hi_t, examples(cond), ctx, out, where)


def _int(value) -> int:
    """An aggregate as an int (SUM over no rows is NULL: 0)."""
    return 0 if value is None or pd.isna(value) else int(value)


def _micros(ts: pd.Timestamp) -> int:
    """Microseconds since the epoch of an aware timestamp."""
    return int(ts.tz_convert("UTC").value // 1000)


def _aware(raw: str, engine: str) -> bool:
    """Whether an engine timestamp type holds instants (TIMESTAMPTZ, TIMESTAMPTZ_NS; Spark's TIMESTAMP)."""
    raw = raw.upper()
    if engine == "spark":
        return raw == "TIMESTAMP"
    return "TIME ZONE" in raw or raw.startswith("TIMESTAMPTZ")


def source_batch(data, *, engine: str = "auto", sample_rows: int | None = None, connection=None,
                 session=None, contract=None, now=None, after=None) -> SourceBatch:
    """A :class:`SourceBatch` over ``data`` (a path, glob, folder, list of files, DuckDB relation or Spark
    DataFrame) for :meth:`toolkit.schema.Contract.validate`; given the ``contract`` (and the validation's
    ``now`` / ``after``), every column's aggregates come from one statement."""
    from .._checks import check_choice

    check_choice("engine", engine, ("auto", "duckdb", "spark"))
    own = not isinstance(data, Source)
    src = open_source(data, engine, connection=connection, session=session)
    try:
        return SourceBatch(src, sample_rows=SAMPLE_ROWS if sample_rows is None else sample_rows, own=own,
                           contract=contract, now=now, after=after)
    except BaseException:
        if own:
            src.close()
        raise


def window_row_counts(data, *, window: str = "batch", timestamp: str | None = None, engine: str = "auto",
                      tz: str | None = None) -> dict:
    """True rows per window of a source (``{label: rows}``), for checks that see a sample of each window."""
    from ._windows import batch_label, source_timezone, window_spec

    with open_source(data, engine) as src:
        if window == "batch" and src.files:
            res = src.run(f"SELECT {src.group_expr} AS f, COUNT(*) AS n FROM {src.name} GROUP BY 1", progress=False)
            out: dict[str, int] = {}
            for f, k in zip(res["f"], res["n"]):
                label = batch_label(src.file_of(f))
                out[label] = out.get(label, 0) + int(k)
            return out
        wspec = source_timezone(src, window_spec(window, src.columns, timestamp, has_files=bool(src.files)), tz)
        res = src.run(f"SELECT {wspec.sql(src.dialect)} AS w, COUNT(*) AS n FROM {src.name} GROUP BY 1",
                      progress=False)
        return {wspec.label(w): int(k) for w, k in zip(res["w"], res["n"]) if w is not None and not pd.isna(w)}


class SourceWindows(Mapping):
    """The windows of one source cut by a period (or a column), for :meth:`toolkit.schema.Contract.validate_windows`.

    Validating them runs ONE grouped statement over the whole source for every window's row count and
    every column's aggregates (plus one grouped statement for the stray-timestamp counts), so each
    window's checks see all of its rows, never a sample. Follow-up statements (the examples of what
    failed, the rename sample) read the one window. As a mapping: ``{label: description}``.
    """

    def __init__(self, data, *, window: str, timestamp: str | None = None, engine: str = "auto",
                 tz: str | None = None, labels: list[str] | None = None, sample_rows: int | None = None):
        self.data, self.window, self.timestamp, self.engine, self.tz = data, window, timestamp, engine, tz
        self.sample_rows = SAMPLE_ROWS if sample_rows is None else sample_rows
        self._labels = None if labels is None else [str(w) for w in labels]

    def __getitem__(self, label: str) -> str:
        if label not in self.labels():
            raise KeyError(label)
        return f"window {label!r} of {self.window!r} windows (checked where the data lives)"

    def __iter__(self):
        return iter(self.labels())

    def __len__(self) -> int:
        return len(self.labels())

    def labels(self) -> list[str]:
        if self._labels is None:
            self._labels = list(window_row_counts(self.data, window=self.window, timestamp=self.timestamp,
                                                  engine=self.engine, tz=self.tz))
        return self._labels

    def validate(self, contract, *, now=None) -> dict:
        """``{label: ValidationResult}`` for every window (labels without rows: an empty batch)."""
        from ..schema.contract import as_utc
        from ._windows import source_timezone, window_spec

        now_ts = as_utc(now, "now") if now is not None else pd.Timestamp.now(tz="UTC")
        with open_source(self.data, self.engine) as src:
            d = src.dialect
            wspec = source_timezone(src, window_spec(self.window, src.columns, self.timestamp,
                                                     has_files=bool(src.files)), self.tz)
            if wspec.kind not in ("period", "column", "none"):
                raise ValueError(f"window={self.window!r}: SourceWindows cuts periods or a column's values; "
                                 "validate files per batch with {label: files}")
            group = wspec.sql(d)
            whole = SourceBatch(src, own=False, sample_rows=self.sample_rows, rows=0, aggregates={})
            plan = whole.plan(contract, now_ts, None)
            # rows with no timestamp belong to no window (as in pandas, which warns)
            per_window = plan.window_values(lambda sql: src.run(sql, progress=False), src.name, group,
                                            d.as_string(group))
            rows = {wspec.label(w): (text, values) for text, (w, values) in per_window.items()}
            self._stray(src, contract, whole, group, rows)
            self._worst(src, contract, whole, group, rows)
            present = self._present(src, whole.names, group)
            labels = self._labels if self._labels is not None else list(rows)
            out = {}
            for label in labels:
                text, values = rows.get(label, (None, {}))
                where = "FALSE" if text is None else f"{d.as_string(group)} = {d.string(text)}"
                names = [c for c in whole.names if c not in present or text in present[c]]
                view = SourceBatch(src, own=False, sample_rows=self.sample_rows, contract=contract, now=now_ts,
                                   where=where, rows=_int(values.get("rows")), aggregates=values, names=names)
                out[label] = contract._validate_view(view, now_ts, None, False)[0]
        return out

    @staticmethod
    def _present(src, names: list[str], group: str) -> dict[str, set]:
        """For each column some files lack: the windows (their text) with rows from a file that has it.

        A window's columns are those of the files (partitions) its rows come from, as
        :func:`toolkit.windows.split_batches` makes them in memory: a column added or renamed in one
        partition is absent, not null, in the windows of the others.
        """
        fc = src.file_columns or {}
        partial = [c for c in names if fc and any(c not in cols for cols in fc.values())]
        if not partial or not src.files:
            return {}
        d = src.dialect
        res = src.run(f"SELECT {d.as_string(group)} AS tk_ws, {src.group_expr} AS f FROM {src.name} "
                      "GROUP BY 1, 2", progress=False)
        out: dict[str, set] = {c: set() for c in partial}
        for text, f in zip(res["tk_ws"], res["f"]):
            cols = fc.get(src.file_of(f))
            for c in partial:
                if cols is None or c in cols:
                    out[c].add(str(text))
        return out

    @staticmethod
    def _worst(src, contract, whole: SourceBatch, group: str, rows: dict) -> None:
        """The five out-of-range values farthest from the median, of every window with some, one grouped
        statement per column (not one statement per window and column)."""
        d = src.dialect
        ws = d.as_string(group)
        for name, rule in contract.columns.items():
            if name not in whole.names:
                continue
            key = f"{rule.name}\0{name}\0"
            failing = {text for text, values in rows.values()
                       if _int(values.get(key + "below")) + _int(values.get(key + "above"))}
            if not failing:
                continue
            v = whole._numeric_expr(name, engine_family(whole.raw_type(name)))
            _, _, bad = whole._range_conds(rule, v)
            centre = d.double((rule.quantiles or {}).get("p50", 0.0))
            res = src.run(f"SELECT tk_ws, v, r FROM (SELECT tk_ws, v, row_number() OVER (PARTITION BY tk_ws ORDER BY "
                          f"abs(v - {centre}) DESC, v) AS r FROM (SELECT {ws} AS tk_ws, {v} AS v FROM {src.name} "
                          f"WHERE {bad}) t GROUP BY tk_ws, v) t2 WHERE r <= 5", progress=False)
            res = res.sort_values("r", kind="stable")
            for text, values in rows.values():
                if text in failing:
                    values[key + "worst"] = res.loc[res["tk_ws"] == text, "v"].astype(float).tolist()

    @staticmethod
    def _stray(src, contract, whole: SourceBatch, group: str, rows: dict) -> None:
        """Every window's stray-timestamp count in one grouped statement (limits from its own quantiles)."""
        d = src.dialect
        for name, rule in contract.columns.items():
            if rule.role != "timestamp" or name not in whole.names:
                continue
            key = f"{rule.name}\0{name}\0"
            limits = {text: whole.stray_limits({k.split("\0")[2]: v for k, v in values.items()
                                                if k.startswith(key)})
                      for text, values in rows.values()}
            limits = {t: lim for t, lim in limits.items() if lim is not None}
            if not limits:
                continue
            fam = engine_family(whole.raw_type(name))
            us = whole._epoch_us(name, rule, fam)
            lo = "CASE tk_ws " + " ".join(f"WHEN {d.string(t)} THEN {d.double(a)}" for t, (a, _) in limits.items()) + " END"
            hi = "CASE tk_ws " + " ".join(f"WHEN {d.string(t)} THEN {d.double(b)}" for t, (_, b) in limits.items()) + " END"
            res = src.run(f"SELECT tk_ws, SUM(CASE WHEN u < {lo} OR u > {hi} THEN 1 ELSE 0 END) AS k FROM "
                          f"(SELECT {us} AS u, {d.as_string(group)} AS tk_ws FROM {src.name}) t GROUP BY tk_ws",
                          progress=False)
            counts = {str(t): _int(k) for t, k in zip(res["tk_ws"], res["k"]) if t is not None and not pd.isna(t)}
            for text, values in rows.values():
                if text in limits:
                    values[key + "stray"] = counts.get(text, 0)


def source_windows(data, *, window: str, timestamp: str | None = None, engine: str = "auto", tz: str | None = None,
                   labels: list[str] | None = None) -> SourceWindows:
    """The windows of ``data`` cut by ``window`` (a period alias or a column), checked where the data lives by
    :meth:`toolkit.schema.Contract.validate_windows` (see :class:`SourceWindows`).

    >>> import os, tempfile, pandas as pd
    >>> import toolkit as tk
    >>> ref = pd.DataFrame({"t": pd.date_range("2026-01-05", periods=140, freq="h", tz="UTC"), "x": range(140)})
    >>> path = os.path.join(tempfile.mkdtemp(), "log.parquet")
    >>> ref.assign(x=ref["x"] * 10).to_parquet(path)
    >>> contract = tk.infer_contract(ref, tk.ModelSpec.infer(ref, timestamp="t"))
    >>> history = contract.validate_windows(source_windows(path, window="D", timestamp="t"), now="2026-02-01")
    >>> history.windows[:2], history.results["2026-01-06"].rows
    (['2026-01-05', '2026-01-06'], 24)
    """
    return SourceWindows(data, window=window, timestamp=timestamp, engine=engine, tz=tz, labels=labels)


# ------------------------------------------------------------------------------------------------
# guard: the split written back where the data lives
# ------------------------------------------------------------------------------------------------
def _row_predicates(view: SourceBatch, contract, result, ctx_now, ctx_after) -> list[tuple[str, str, str, str]]:
    """``(column, check, condition, reason)`` SQL per row-level check, as the pandas guard's masks.

    The reason text is built in SQL: ``check: column=value detail`` (values as the engine renders them).
    """
    d = view.d
    out = []
    summary = result.summary.set_index("column") if len(result.summary) else None

    def text(expr: str) -> str:
        return f"COALESCE({d.as_string(expr)}, 'NULL')"

    for name, rule in contract.columns.items():
        if summary is None or name not in summary.index or not bool(summary.loc[name, "present"]):
            continue
        col = str(summary.loc[name, "source"])
        if col not in view.names:
            continue
        q = view.q(col)
        nonnull = view.n - view._stat(col)["nulls"]
        observed = view.family(col) if nonnull else "empty"
        label = d.string(f"{name}=")

        def reason(check: str, value: str, detail: str) -> str:
            return f"concat({d.string(check + ': ')}, {label}, {text(value)}, {d.string(' ' + detail)})"

        expected = rule.type
        numeric_text = (observed in _TEXTS and expected not in _TEXTS
                        and (rule.kind is Kind.NUMERIC or expected in _NUMBERS))
        if numeric_text:
            v = view._numeric_expr(col, observed)
            out.append((name, "dtype_change", f"({q} IS NOT NULL AND {v} IS NULL)",
                        reason("dtype_change", q, "does not parse as a number")))
        if not rule.nullable and nonnull < view.n:
            out.append((name, "null_rate", view._null_expr(col),
                        f"{d.string('null_rate: ' + repr(name) + ' is null (nullable: false)')}"))
        if nonnull == 0:
            continue
        numeric = rule.kind is Kind.NUMERIC and observed in _NUMBERS + _TEXTS + ("boolean",)
        if numeric and (rule.lower is not None or rule.upper is not None):
            from ..schema.checks import num

            lower, upper = range_bounds(rule)
            v = view._numeric_expr(col, observed)
            conds = ([f"{v} < {d.double(lower)}"] if np.isfinite(lower) else []) + (
                [f"{v} > {d.double(upper)}"] if np.isfinite(upper) else [])
            if conds:
                out.append((name, "out_of_range", "(" + " OR ".join(conds) + ")",
                            reason("out_of_range", v, f"outside [{num(lower)}, {num(upper)}]")))
        elif rule.kind in (Kind.CATEGORICAL, Kind.BOOLEAN) and rule.categories is not None:
            value, unseen = view.category_expr(rule, col, observed)
            out.append((name, "unseen_category", unseen, reason("unseen_category", value, "not a baseline value")))
        if rule.unique:
            order = f"{view.src.group_expr}" if view.src.files else "1"
            if view.engine == "spark":   # file order within a file: the same "earlier row" in both writes
                order += ", monotonically_increasing_id()"
            out.append((name, "duplicate_id",
                        f"({q} IS NOT NULL AND row_number() OVER (PARTITION BY {q} ORDER BY {order}) > 1)",
                        reason("duplicate_id", q, "repeats an earlier row")))
        if rule.kind is Kind.DATETIME and observed in ("datetime",) + _TEXTS:
            us = view._epoch_us(col, rule, observed)
            if not rule.allow_future:
                limit = int((ctx_now + FUTURE_TOLERANCE).tz_convert("UTC").value // 1000)
                out.append((name, "timestamp", f"({us} > {limit})", reason("timestamp", q, "is in the future")))
            if rule.role == "timestamp":
                if ctx_after is not None:
                    out.append((name, "timestamp", f"({us} < {int(ctx_after.value // 1000)})",
                                reason("timestamp", q, "is before the previous batch")))
                # the same limits validation used: from its aggregates (timestamp count and quantiles)
                ctx = Context(n=view.n, alpha=contract.alpha, error_share=contract.error_share, now=ctx_now,
                              after=ctx_after)
                limits = view.stray_limits(view._column(rule, col, ctx))
                if limits is not None:
                    low, high = limits
                    out.append((name, "timestamp", f"({us} < {d.double(low)} OR {us} > {d.double(high)})",
                                reason("timestamp", q, "is far outside the batch window")))
    return out


def guard_source(data, contract, *, passed, quarantined, now=None, after=None, engine: str = "auto"):
    """Validate a source in DuckDB or Spark and write its passing and quarantined rows to Parquet
    (DuckDB: ``COPY ... TO`` one file each; Spark: ``DataFrame.write.parquet``, a folder of part files each).

    The written output is counted: passed + quarantined must equal the input's rows (else RuntimeError
    naming both). Returns a :class:`~toolkit.schema.guarding.SourceGuardResult`; the caller
    (:func:`toolkit.guard`) applies the share and column-level rules.
    """
    from .._checks import check_choice
    from ..schema.contract import as_utc as _utc
    from ..schema.guarding import SourceGuardResult, free_name

    if passed is None or quarantined is None:
        raise ValueError("guard on files or a table needs both output paths: passed='passed.parquet', "
                         "quarantined='quarantined.parquet'")
    passed, quarantined = os.fspath(passed), os.fspath(quarantined)
    if os.path.abspath(passed) == os.path.abspath(quarantined):
        raise ValueError(f"passed and quarantined must be two different files; both are {passed!r}")
    check_choice("engine", engine, ("auto", "duckdb", "spark"))
    now_ts = _utc(now, "now") if now is not None else pd.Timestamp.now(tz="UTC")
    after_ts = _utc(after, "after") if after is not None else None
    for path in (passed, quarantined):
        if "://" in path:   # a cluster's storage (hdfs://, s3a://): the engine says if it cannot write there
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist; create it first")
    from ._source import _is_spark_frame

    if engine == "spark" or _is_spark_frame(data):
        _spark_targets(passed, quarantined)
    with source_batch(data, engine=engine, contract=contract, now=now_ts, after=after_ts) as view:
        result, _ = contract._validate_view(view, now_ts, after_ts, False)
        preds = _row_predicates(view, contract, result, now_ts, after_ts)
        d, src = view.d, view.src
        cols = [c for c in src.columns if c != FILE_COLUMN]
        reason_column = free_name(cols, "reason", "quarantine_reason")
        failing = " OR ".join(f"COALESCE({c}, FALSE)" for _, _, c, _ in preds) or "FALSE"
        reason = ("concat_ws('; ', " + ", ".join(f"CASE WHEN COALESCE({c}, FALSE) THEN {r} END" for _, _, c, r in preds)
                  + ")") if preds else "''"
        select = ", ".join(d.quote(c) for c in cols)
        flagged = f"SELECT {select}, ({failing}) AS __tk_fail, {reason} AS __tk_reason FROM {src.name}"
        if view.engine == "spark":
            n_passed, n_quarantined, reasons = _write_spark(src, flagged, cols, reason_column, passed, quarantined)
        else:
            flagged = f"({flagged}) flagged"
            src._con.execute(f"COPY (SELECT {select} FROM {flagged} WHERE NOT __tk_fail) TO {d.string(passed)} "
                             "(FORMAT parquet)").fetchall()
            src._con.execute(f"COPY (SELECT {select}, __tk_reason AS {d.quote(reason_column)} FROM {flagged} "
                             f"WHERE __tk_fail) TO {d.string(quarantined)} (FORMAT parquet)").fetchall()
            counts = src._con.execute(
                f"SELECT (SELECT COUNT(*) FROM read_parquet({d.string(passed)})), "
                f"(SELECT COUNT(*) FROM read_parquet({d.string(quarantined)}))").fetchall()[0]
            n_passed, n_quarantined = int(counts[0]), int(counts[1])
            reasons = src._con.sql(
                f"SELECT {d.quote(reason_column)} AS reason, COUNT(*) AS rows FROM read_parquet({d.string(quarantined)}) "
                "GROUP BY 1 ORDER BY 2 DESC, 1").to_arrow_table().to_pandas()
        n = view.n
    if n_passed + n_quarantined != n:
        raise RuntimeError(f"guard lost rows: the input has {n:,} rows but {passed!r} holds {n_passed:,} and "
                           f"{quarantined!r} {n_quarantined:,}; the files are incomplete (disk full or a concurrent "
                           "writer?). Delete both and run guard again")
    covered = frozenset((c, k) for c, k, _, _ in preds if k != "dtype_change")
    return SourceGuardResult(passed_path=passed, quarantined_path=quarantined, rows=n, n_passed=n_passed,
                             n_quarantined=n_quarantined, reason_counts=reasons, validation=result,
                             reason_column=reason_column, covered=covered)


def _spark_targets(*paths: str) -> None:
    """Spark replaces its output folder: refuse a path holding anything but an earlier Spark output."""
    for path in paths:
        if "://" not in path and os.path.exists(path) and not os.path.exists(os.path.join(path, "_SUCCESS")):
            raise FileExistsError(f"{path!r} exists and is not an earlier Spark output; Spark writes a folder of "
                                  "Parquet parts there, replacing it: delete it or choose another path")


def _write_spark(src, flagged: str, cols: list[str], reason_column: str, passed: str, quarantined: str):
    """Write the split through Spark (a Parquet folder each) and count what was written."""
    spark = src.spark
    d = src.dialect
    rows = spark.sql(flagged)
    quoted = [d.quote(c) for c in cols]
    rows.filter("NOT __tk_fail").selectExpr(*quoted).write.mode("overwrite").parquet(passed)
    rows.filter("__tk_fail").selectExpr(*quoted, f"__tk_reason AS {d.quote(reason_column)}") \
        .write.mode("overwrite").parquet(quarantined)
    n_passed = spark.read.parquet(passed).count()
    written = spark.read.parquet(quarantined)
    n_quarantined = written.count()
    reasons = (written.groupBy(reason_column).count().toPandas()
               .rename(columns={reason_column: "reason", "count": "rows"}))
    reasons = reasons.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)
    return int(n_passed), int(n_quarantined), reasons[["reason", "rows"]]
