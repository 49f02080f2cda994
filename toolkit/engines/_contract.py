"""Contract checks where the data lives: :meth:`toolkit.schema.Contract.validate` on a source.

Every count a contract check needs is an SQL aggregate run in DuckDB or Spark (one scan for the
row count, nulls, out-of-range counts, unseen-category counts, distinct counts, duplicate ids and
timestamp checks; one more per column that needs a grouped or quantile pass), so no rows are loaded
into pandas. The aggregates feed the same decision functions as the pandas path
(:mod:`toolkit.schema.checks`), so the result is the same :class:`~toolkit.schema.ValidationResult`
with the same checks, severities and failure counts. Only two things read rows, and only a seeded
sample of the affected columns: the rename scores (the distribution of a new column) and the
coercion preview (the share of "$54.20" text that parses); ``result.sample_rows`` states the size.

:func:`guard_source` is the pipeline form: passed and quarantined rows are written back to Parquet
by DuckDB (``COPY ... TO``) and counted: passed + quarantined = input, or an error.

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

__all__ = ["SourceBatch", "source_batch", "guard_source", "SourceGuardResult", "window_row_counts"]

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


class SourceBatch:
    """A source as :meth:`toolkit.schema.Contract._validate_view` reads it: names, true row count, and per
    column the checks computed as aggregates in the engine."""

    def __init__(self, source: Source, *, sample_rows: int = SAMPLE_ROWS, own: bool = True):
        check_number("sample_rows", sample_rows, low=1, hint=" (rows)")
        self.src = source
        self._own = own
        self.engine = source.engine
        self.d = source.dialect
        self.sample_size = int(sample_rows)
        self.sample_rows: int | None = None
        hive = source.hive_keys
        # partition keys (week=...) are not columns of the files: the pandas reader does not add them either
        self.names = [c for c in source.columns if c != FILE_COLUMN and c not in hive]
        self.n = self.rows_total = int(self._one(f"SELECT COUNT(*) AS n FROM {source.name}")["n"].iloc[0])
        self._head: pd.DataFrame | None = None
        self._stats: dict[str, dict] = {}

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
            self._head = self._one(f"SELECT {cols} FROM {self.src.name} LIMIT {_HEAD_ROWS}")
        return self._head

    def first_values(self, name: str) -> list:
        return examples_of(self.head()[name].dropna(), None, 5)

    def sample(self, names: list[str]) -> pd.DataFrame:
        """A seeded uniform sample of at most ``sample_rows`` rows of the named columns only."""
        k = min(self.sample_size, self.n)
        cols = ", ".join(self.q(c) for c in names)
        if k >= self.n:
            frame = self._one(f"SELECT {cols} FROM {self.src.name}")
        elif self.engine == "duckdb":
            frame = self._one(f"SELECT {cols} FROM {self.src.name} USING SAMPLE reservoir({k} ROWS) REPEATABLE (0)")
        else:
            frac = min(1.0, 1.5 * k / self.n)
            frame = (self.src.frame.select(*names).sample(fraction=frac, seed=0).limit(k).toArrow().to_pandas())
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

    # -- aggregates ------------------------------------------------------------------------------
    def _null_expr(self, name: str) -> str:
        q = self.q(name)
        if engine_family(self.raw_type(name)) == "float":
            return f"({q} IS NULL OR isnan({q}))"
        return f"({q} IS NULL)"

    def _stat(self, name: str) -> dict:
        if not self._stats and self.names:  # every column's null count in one scan
            parts = ", ".join(f"SUM(CASE WHEN {self._null_expr(c)} THEN 1 ELSE 0 END) AS c{i}"
                              for i, c in enumerate(self.names))
            res = self._one(f"SELECT {parts} FROM {self.src.name}").iloc[0]
            self._stats = {c: {"nulls": int(0 if pd.isna(res[f"c{i}"]) else res[f"c{i}"])}
                           for i, c in enumerate(self.names)}
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
        res = self._one(f"SELECT MIN({self.q(name)}) AS lo, MAX({self.q(name)}) AS hi FROM {self.src.name}")
        lo, hi = res["lo"].iloc[0], res["hi"].iloc[0]
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
        numeric = rule.kind is Kind.NUMERIC and observed in _NUMBERS + _TEXTS + ("boolean",) and nonnull
        self._dtype(rule, name, observed, nonnull, ctx, out, where)
        null_failure(rule, nulls, ctx, out, where)
        if nonnull == 0:
            return out
        if numeric:
            self._range(rule, name, observed, ctx, out, where)
        elif rule.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            self._categories(rule, name, observed, nonnull, ctx, out, where)
        if rule.unique:
            self._unique(rule, name, nonnull, ctx, out, where)
        if rule.kind is Kind.DATETIME and observed in ("datetime",) + _TEXTS:
            self._timestamps(rule, name, observed, nonnull, ctx, out, where)
        return out

    def _dtype(self, rule, name, observed, nonnull, ctx, out, where) -> None:
        expected = rule.type
        if observed == expected or nonnull == 0 or expected in ("mixed", "empty") or rule.kind is Kind.EMPTY:
            return
        fractional = 0
        if expected == "integer" and observed == "float":
            v = self._numeric_expr(name, observed)
            res = self._one(f"SELECT SUM(CASE WHEN {v} IS NOT NULL AND NOT isinf({v}) AND {v} <> floor({v}) "
                            f"THEN 1 ELSE 0 END) AS k FROM {self.src.name}")
            fractional = int(res["k"].fillna(0).iloc[0])
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

    def _range(self, rule, name, observed, ctx, out, where) -> None:
        if rule.lower is None and rule.upper is None:
            return
        lower, upper = range_bounds(rule)
        v = self._numeric_expr(name, observed)
        lo = "" if not np.isfinite(lower) else f"{v} < {self.d.double(lower)}"
        hi = "" if not np.isfinite(upper) else f"{v} > {self.d.double(upper)}"
        # infinite values lie outside any finite band (as in pandas)
        lo = lo or f"{v} = {self.d.double(-np.inf)} AND FALSE"
        hi = hi or f"{v} = {self.d.double(np.inf)} AND FALSE"
        bad = f"(({lo}) OR ({hi}))"
        res = self._one(
            f"SELECT SUM(CASE WHEN {lo} THEN 1 ELSE 0 END) AS below, SUM(CASE WHEN {hi} THEN 1 ELSE 0 END) AS above, "
            f"MIN(CASE WHEN {bad} THEN {v} END) AS mn, MAX(CASE WHEN {bad} THEN {v} END) AS mx FROM {self.src.name}")
        below, above = int(res["below"].fillna(0).iloc[0]), int(res["above"].fillna(0).iloc[0])
        count = below + above
        if not count:
            out.summary["out_of_range_share"] = 0.0
            return
        centre = (rule.quantiles or {}).get("p50", 0.0)
        worst = self._one(f"SELECT v FROM (SELECT {v} AS v FROM {self.src.name} WHERE {bad}) t GROUP BY v "
                          f"ORDER BY abs(v - {self.d.double(centre)}) DESC LIMIT 5")["v"].astype(float).tolist()
        range_failure(rule, count, below, above, float(res["mn"].iloc[0]), float(res["mx"].iloc[0]), worst, ctx,
                      out, where)

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

    def _categories(self, rule, name, observed, nonnull, ctx, out, where) -> None:
        if rule.categories is None:
            res = self._one(f"SELECT COUNT(DISTINCT {self.q(name)}) AS k FROM {self.src.name}")
            check_cardinality(rule, int(res["k"].iloc[0]), ctx, out, where)
            return
        view, unseen = self.category_expr(rule, name, observed)
        res = self._one(f"SELECT v, COUNT(*) AS k FROM (SELECT {view} AS v FROM {self.src.name} WHERE {unseen}) t "
                        "GROUP BY v ORDER BY k DESC, v LIMIT 5")
        if res.empty:
            out.summary["unseen_share"] = 0.0
            return
        tot = self._one(f"SELECT COUNT(*) AS rows_, COUNT(DISTINCT {view}) AS vals FROM {self.src.name} WHERE {unseen}")
        count, n_values = int(tot["rows_"].iloc[0]), int(tot["vals"].iloc[0])
        top = [(python_scalar(v), int(k)) for v, k in zip(res["v"], res["k"])]
        unseen_failure(rule, count, top, n_values, nonnull, ctx, out, where)
        if rule.max_cardinality is not None and len(rule.categories) + n_values > rule.max_cardinality:
            res = self._one(f"SELECT COUNT(DISTINCT {view}) AS k FROM {self.src.name}")
            check_cardinality(rule, int(res["k"].iloc[0]), ctx, out, where)

    def _unique(self, rule, name, nonnull, ctx, out, where) -> None:
        q = self.q(name)
        res = self._one(f"SELECT COUNT(DISTINCT {q}) AS k FROM {self.src.name} WHERE NOT {self._null_expr(name)}")
        count = nonnull - int(res["k"].iloc[0])
        if count:
            ex = self._one(f"SELECT {q} AS v FROM {self.src.name} WHERE {q} IS NOT NULL GROUP BY {q} "
                           f"HAVING COUNT(*) > 1 LIMIT 5")["v"]
            duplicate_failure(rule, count, examples_of(ex), ctx, out, where)

    def _timestamps(self, rule, name, observed, nonnull, ctx, out, where) -> None:
        if observed == "datetime":
            timezone_failure(rule, self._zone(name), nonnull, self.first_values(name), ctx, out, where)
        us = self._epoch_us(name, rule, observed)

        def at(ts: pd.Timestamp) -> int:
            return int(ts.tz_convert("UTC").value // 1000)

        def examples(cond: str) -> list:
            return [pd.Timestamp(int(v), unit="us", tz="UTC").isoformat() for v in
                    self._one(f"SELECT u FROM (SELECT {us} AS u FROM {self.src.name}) t WHERE {cond} LIMIT 5")["u"]
                    if pd.notna(v)]

        parts = ["COUNT(u) AS valid", "MIN(u) AS lo", "MAX(u) AS hi"]
        future_at = at(ctx.now + FUTURE_TOLERANCE)
        if not rule.allow_future:
            parts.append(f"SUM(CASE WHEN u > {future_at} THEN 1 ELSE 0 END) AS future")
        if ctx.after is not None:
            parts.append(f"SUM(CASE WHEN u < {at(ctx.after)} THEN 1 ELSE 0 END) AS early")
        res = self._one(f"SELECT {', '.join(parts)} FROM (SELECT {us} AS u FROM {self.src.name}) t").iloc[0]
        if not rule.allow_future and int(res["future"] or 0):
            future_failure(rule, int(res["future"]), examples(f"u > {future_at}"), ctx, out, where)
        valid = int(res["valid"] or 0)
        if rule.role != "timestamp" or valid == 0:
            return
        if ctx.after is not None and int(res["early"] or 0):
            early_failure(rule, int(res["early"]), examples(f"u < {at(ctx.after)}"), ctx, out, where)
        if valid < STRAY_MIN_VALUES:
            return
        quant = ("quantile_cont(CAST(u AS DOUBLE), [0.01, 0.99])" if self.engine == "duckdb"
                 else "percentile(CAST(u AS DOUBLE), array(0.01, 0.99))")
        qs = self._one(f"SELECT {quant} AS q FROM (SELECT {us} AS u FROM {self.src.name}) t")["q"].iloc[0]
        low, high = stray_limits(float(qs[0]), float(qs[1]), 86_400_000_000)
        cond = f"(u < {self.d.double(low)} OR u > {self.d.double(high)})"
        stray = int(self._one(f"SELECT SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS k FROM "
                              f"(SELECT {us} AS u FROM {self.src.name}) t")["k"].fillna(0).iloc[0])
        if stray:
            lo_t = pd.Timestamp(int(max(low, float(res["lo"]))), unit="us")
            hi_t = pd.Timestamp(int(min(high, float(res["hi"]))), unit="us")
            stray_failure(rule, stray, lo_t, hi_t, examples(cond), ctx, out, where)


def _aware(raw: str, engine: str) -> bool:
    """Whether an engine timestamp type holds instants (TIMESTAMPTZ, TIMESTAMPTZ_NS; Spark's TIMESTAMP)."""
    raw = raw.upper()
    if engine == "spark":
        return raw == "TIMESTAMP"
    return "TIME ZONE" in raw or raw.startswith("TIMESTAMPTZ")


def source_batch(data, *, engine: str = "auto", sample_rows: int | None = None, connection=None,
                 session=None) -> SourceBatch:
    """A :class:`SourceBatch` over ``data`` (a path, glob, folder, list of files, DuckDB relation or Spark
    DataFrame) for :meth:`toolkit.schema.Contract.validate`."""
    from .._checks import check_choice

    check_choice("engine", engine, ("auto", "duckdb", "spark"))
    own = not isinstance(data, Source)
    src = open_source(data, engine, connection=connection, session=session)
    try:
        return SourceBatch(src, sample_rows=SAMPLE_ROWS if sample_rows is None else sample_rows, own=own)
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
                res = view._one(f"SELECT COUNT(u) AS k FROM (SELECT {us} AS u FROM {view.src.name}) t")
                if int(res["k"].iloc[0]) >= STRAY_MIN_VALUES:
                    quant = ("quantile_cont(CAST(u AS DOUBLE), [0.01, 0.99])" if view.engine == "duckdb"
                             else "percentile(CAST(u AS DOUBLE), array(0.01, 0.99))")
                    qs = view._one(f"SELECT {quant} AS q FROM (SELECT {us} AS u FROM {view.src.name}) t")["q"].iloc[0]
                    low, high = stray_limits(float(qs[0]), float(qs[1]), 86_400_000_000)
                    out.append((name, "timestamp", f"({us} < {d.double(low)} OR {us} > {d.double(high)})",
                                reason("timestamp", q, "is far outside the batch window")))
    return out


def guard_source(data, contract, *, passed, quarantined, now=None, after=None, engine: str = "auto"):
    """Validate a source in DuckDB and write its passing and quarantined rows to Parquet (``COPY ... TO``).

    The written files are counted: passed + quarantined must equal the input's rows (else RuntimeError
    naming both files). Returns a :class:`~toolkit.schema.guarding.SourceGuardResult`; the caller
    (:func:`toolkit.guard`) applies the share and column-level rules.
    """
    from ..schema.contract import as_utc as _utc
    from ..schema.guarding import SourceGuardResult, free_name

    if passed is None or quarantined is None:
        raise ValueError("guard on files or a table needs both output paths: passed='passed.parquet', "
                         "quarantined='quarantined.parquet'")
    passed, quarantined = os.fspath(passed), os.fspath(quarantined)
    if os.path.abspath(passed) == os.path.abspath(quarantined):
        raise ValueError(f"passed and quarantined must be two different files; both are {passed!r}")
    if engine not in ("auto", "duckdb"):
        raise ValueError(f"guard on a source writes through DuckDB; got engine={engine!r}. For a Spark table, "
                         "validate with contract.validate(frame, engine='spark') and filter in Spark, or pass "
                         "engine='duckdb' with the files")
    now_ts = _utc(now, "now") if now is not None else pd.Timestamp.now(tz="UTC")
    after_ts = _utc(after, "after") if after is not None else None
    with source_batch(data, engine="duckdb") as view:
        result, _ = contract._validate_view(view, now_ts, after_ts, False)
        preds = _row_predicates(view, contract, result, now_ts, after_ts)
        d, src = view.d, view.src
        cols = [c for c in src.columns if c != FILE_COLUMN]
        reason_column = free_name(cols, "reason", "quarantine_reason")
        failing = " OR ".join(f"COALESCE({c}, FALSE)" for _, _, c, _ in preds) or "FALSE"
        reason = ("concat_ws('; ', " + ", ".join(f"CASE WHEN COALESCE({c}, FALSE) THEN {r} END" for _, _, c, r in preds)
                  + ")") if preds else "''"
        select = ", ".join(d.quote(c) for c in cols)
        flagged = f"(SELECT {select}, ({failing}) AS __tk_fail, {reason} AS __tk_reason FROM {src.name}) flagged"
        for path in (passed, quarantined):
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist; create it first")
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
