"""The schema contract: what the baseline promised, and every new batch is held to.

>>> import numpy as np, pandas as pd
>>> import toolkit as tk
>>> rng = np.random.default_rng(0)
>>> baseline = pd.DataFrame({"price": rng.gamma(4, 15, 2000).round(2),
...                          "plan": rng.choice(["basic", "premium"], 2000)})
>>> contract = tk.infer_contract(baseline)
>>> contract.validate(baseline).ok
True
>>> batch = pd.DataFrame({"price_usd": [f"${v:,.2f}" for v in baseline["price"][:500]],
...                       "plan": ["basic", "family"] * 250})
>>> check = contract.validate(batch)
>>> check.failures[["column", "check", "severity"]].values.tolist()
[['price', 'suspected_rename', 'error'], ['price', 'dtype_change', 'error'], ['plan', 'unseen_category', 'error']]
>>> [str(f) for f in check.suggested_fixes]
["rename 'price_usd' -> 'price'", "coerce 'price' to numbers (100.0% parse)"]
>>> contract.repair(batch)["price"].equals(baseline["price"][:500])
True
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import ConfigError, check_frame, check_number, preview, show
from .._html import card, frame_to_html
from ..kinds import Kind, infer_kind
from .checks import BATCH, Context, check_column, examples_of, failure
from .codes import Check, Severity
from .renames import find_renames
from .repair import Fix, Rename, apply_fixes
from .result import FAILURE_COLUMNS, SUMMARY_COLUMNS, SchemaError, ValidationResult
from .rules import MAX_CATEGORIES, ColumnRule, RowCountRule, config_number, infer_rule

__all__ = ["Contract", "infer_contract", "DEFAULT_ERROR_SHARE", "FrameBatch", "ROWS_ATTR"]

#: ``frame.attrs`` key under which a sampled batch records how many rows the whole batch has.
ROWS_ATTR = "toolkit_rows_total"

#: Share of the batch's rows at which a row-level failure becomes an error (editable per contract).
DEFAULT_ERROR_SHARE = {
    "null_rate": 0.10,        # increase of the null rate over the baseline's
    "out_of_range": 0.10,
    "unseen_category": 0.01,
    "duplicate_id": 0.01,
    "timestamp": 0.01,
}
_HEADER = """\
# toolkit schema contract: what the baseline promised. Each new batch is held to it by
# contract.validate(batch). Edit by hand to loosen or tighten a rule, e.g. widen lower/upper,
# add a value to categories, set required: false or nullable: true; raise error_share to make a
# check warn instead of fail. Load with toolkit.schema.Contract.load(path).
"""
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclasses.dataclass(frozen=True)
class Contract:
    """Per-column rules learned from a baseline, plus the expected batch size.

    Build one with :func:`infer_contract`; check a batch with :meth:`validate`; keep it next to
    the model's notebooks with :meth:`save` / :meth:`load`.

    Parameters
    ----------
    columns
        Rules by column name, in the baseline's order.
    rows
        Expected batch size (None: not checked, except that an empty batch is an error).
    alpha
        False-alarm probability of each noise-aware limit (null rate, unseen and out-of-range counts).
    tolerance
        Widening of numeric ranges used at inference (a share of the 1%-99% quantile spread; kept for the record).
    error_share
        Share of the batch at which a row-level failure becomes an error, per check.

    Examples
    --------
    >>> import pandas as pd
    >>> import toolkit as tk
    >>> contract = tk.infer_contract(pd.DataFrame({"seats": [1.5, 2.5, 3.5, 4.5] * 25}))
    >>> contract["seats"].lower, contract["seats"].upper  # 1%-99% band widened by 0.25 x its spread
    (0.75, 5.25)
    >>> contract.with_rule("seats", upper=4.0).validate(pd.DataFrame({"seats": [4.5]})).failures["check"].tolist()
    ['out_of_range']
    """

    columns: dict[str, ColumnRule]
    rows: RowCountRule | None = None
    alpha: float = 1e-4
    tolerance: float = 0.25
    error_share: dict[str, float] = dataclasses.field(default_factory=lambda: dict(DEFAULT_ERROR_SHARE))
    version: int = 1

    def __post_init__(self) -> None:
        check_number("alpha", self.alpha, low=0, high=1, low_open=True, high_open=True)
        unknown = sorted(set(self.error_share) - set(DEFAULT_ERROR_SHARE))
        if unknown:
            raise ValueError(f"error_share has unknown check(s) {unknown}; valid are {sorted(DEFAULT_ERROR_SHARE)}")
        object.__setattr__(self, "error_share", {**DEFAULT_ERROR_SHARE, **self.error_share})
        for check, share in self.error_share.items():
            check_number(f"error_share[{check!r}]", share, low=0, hint=" (a share of the batch; above 1 never errors)")
        for name, rule in self.columns.items():
            if rule.name != name:
                raise ValueError(f"columns[{name!r}] holds the rule of {rule.name!r}; keys must match rule names")

    # -- queries --------------------------------------------------------------------------------
    def __getitem__(self, column: str) -> ColumnRule:
        try:
            return self.columns[column]
        except KeyError:
            raise KeyError(f"contract has no column {column!r}; it has {preview(self.columns)}") from None

    def with_rule(self, column: str, **changes: object) -> "Contract":
        """A copy with one column's rule changed: ``contract.with_rule("age", upper=120)``."""
        rule = dataclasses.replace(self[column], **changes)
        return dataclasses.replace(self, columns={**self.columns, column: rule})

    def to_frame(self) -> pd.DataFrame:
        """One row per column rule (role, kind, type, nullability, range, categories, ...)."""
        rows = []
        for rule in self.columns.values():
            rows.append({
                "column": rule.name, "role": rule.role, "kind": rule.kind.value, "type": rule.type,
                "required": rule.required, "nullable": rule.nullable, "null_rate": rule.null_rate,
                "lower": rule.lower, "upper": rule.upper,
                "categories": None if rule.categories is None else len(rule.categories),
                "cardinality": rule.cardinality, "unique": rule.unique, "timezone": rule.timezone,
            })
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        rows = "" if self.rows is None else f", rows~{self.rows.expected:,.0f}" + (f"/{self.rows.per}" if self.rows.per else "")
        return f"Contract({len(self.columns)} columns: {preview(self.columns, 6)}{rows})"

    def to_html(self) -> str:
        headline = f"{len(self.columns)} columns" + (
            "" if self.rows is None else f"; about {self.rows.expected:,.0f} rows per {self.rows.per or 'batch'}")
        return card("Schema contract", frame_to_html(self.to_frame(), max_rows=200), headline=headline)

    def _repr_html_(self) -> str:
        return self.to_html()

    # -- validation -----------------------------------------------------------------------------
    def validate(self, batch, strict: bool = False, *, now: object = None, after: object = None,
                 engine: str = "auto", sample_rows: int | None = None) -> ValidationResult:
        """Check every rule on ``batch`` and report all failures at once.

        Parameters
        ----------
        batch
            The new data: a pandas DataFrame, or where it lives: a Parquet/CSV path, glob, folder or
            list of files, a DuckDB relation or a Spark DataFrame. A source is checked with SQL
            aggregates in DuckDB or Spark (never loading its rows): same checks, same counts, and the
            true row count; only the rename scores and the coercion preview ("$54.20" text) read a
            seeded sample of the affected column (``result.sample_rows`` says how many rows).
        strict
            Raise :class:`SchemaError` listing every failure when any is an error.
        now
            Validation time for the "in the future" check (default: the current UTC time).
        after
            End of the previous batch: rows of the timestamp column before it are out of order.
        engine
            'auto' (pandas for a DataFrame, DuckDB for files and relations, Spark for Spark frames),
            'pandas', 'duckdb' or 'spark' (Spark reads the files).
        sample_rows
            Rows of the seeded sample for rename scores and coercion previews on a source (default
            :data:`toolkit.schema.renames.SAMPLE_ROWS`).

        Returns
        -------
        ValidationResult
            ``ok``, the tidy ``failures`` table, the per-column ``summary`` and ``suggested_fixes``.
        """
        result, _ = self._validate(batch, now=now, after=after, collect_rows=False, engine=engine,
                                   sample_rows=sample_rows)
        if strict and not result.ok:
            raise SchemaError(result)
        return result

    def _validate(self, batch, *, now: object, after: object, collect_rows: bool,
                  engine: str = "auto", sample_rows: int | None = None) -> tuple[ValidationResult, list]:
        now_ts = _utc(now, "now") if now is not None else pd.Timestamp.now(tz="UTC")
        after_ts = _utc(after, "after") if after is not None else None
        if isinstance(batch, pd.DataFrame):
            if engine not in ("auto", "pandas"):
                raise ValueError(f"engine={engine!r} reads files or tables, not a pandas DataFrame; use "
                                 "engine='pandas' (or write the frame to Parquet first)")
            view = FrameBatch(batch)
        else:
            from ..engines import is_source

            if not is_source(batch):
                raise TypeError(f"batch must be a pandas DataFrame, a Parquet/CSV path, glob or folder, a DuckDB "
                                f"relation or a Spark DataFrame; got {type(batch).__name__}. Load files with "
                                "toolkit.read(path), or pass the path itself to check it where it lives")
            from ..engines import source_batch

            view = source_batch(batch, engine=engine, sample_rows=sample_rows, contract=self, now=now_ts,
                                after=after_ts)
        with view:
            return self._validate_view(view, now_ts, after_ts, collect_rows)

    def _validate_view(self, view, now_ts, after_ts, collect_rows: bool) -> tuple[ValidationResult, list]:
        """The one validation pass over a batch ``view`` (a frame, or aggregates of a source)."""
        n = view.n
        ctx = Context(n=n, alpha=self.alpha, error_share=self.error_share, now=now_ts, after=after_ts,
                      collect_rows=collect_rows)
        failures: list[dict] = []
        masks: list = []
        fixes: list[Fix] = []
        to_confirm: list[Fix] = []
        summaries: list[dict] = []

        copies: dict[str, int] = {}
        for name in view.names:
            copies[name] = copies.get(name, 0) + 1
        for name, k in copies.items():
            if k > 1:
                failures.append(failure(
                    name, Check.UNEXPECTED_COLUMN, Severity.ERROR, "one column per name", f"{k} columns named {name!r}",
                    n, n, [], f"the batch has {k} columns named {name!r}; only the first is validated. "
                    "Rename or drop the copies upstream",
                ))
        present = set(copies)

        failures.extend(self._row_count(view, view.rows_total))

        missing = [r for name, r in self.columns.items() if name not in present]
        unexpected = [c for c in copies if c not in self.columns]
        pairs = []
        if missing and unexpected and n:
            pairs = find_renames(missing, view.rename_frame(unexpected), unexpected)
        renamed = {p.missing: p for p in pairs}

        for name, rule in self.columns.items():
            if name in present:
                outcome = view.check(rule, name, ctx)
            elif name in renamed:
                pair = renamed[name]
                sev = Severity.ERROR if rule.required else Severity.WARNING
                rename = Rename(pair.unexpected, name, round(pair.name, 4), round(pair.distribution, 4))
                if rename.confirmed:
                    verdict = "fix: Rename"
                else:  # values alone can match by chance (two standard-normal columns): a person decides
                    verdict = (f"the names share nothing, so it is NOT repaired automatically; if it is the same "
                               f"column, confirm with contract.repair(batch, fixes=[Rename({pair.unexpected!r}, "
                               f"{name!r})])")
                failures.append(failure(
                    name, Check.SUSPECTED_RENAME, sev, repr(name), repr(pair.unexpected), n, n,
                    view.first_values(pair.unexpected),
                    f"{name!r} is missing and {pair.unexpected!r} is new: likely renamed (name similarity "
                    f"{pair.name:.2f}, distribution match {pair.distribution:.2f}: {pair.note}{view.sample_note}); "
                    f"{verdict}",
                ))
                outcome = view.check(rule, pair.unexpected, ctx, source=pair.unexpected)
                if rename.confirmed:
                    fixes.append(rename)
                else:  # the rename and the coercions that assume it wait for confirmation
                    to_confirm.append(rename)
                    to_confirm.extend(outcome.fixes)
                    outcome.fixes = []
            else:
                sev = (Severity.ERROR if rule.required else
                       Severity.INFO if rule.role == "target" else Severity.WARNING)
                why = " (labels arrive later)" if rule.role == "target" else ""
                failures.append(failure(
                    name, Check.MISSING_COLUMN, sev, f"present ({rule.role}, {rule.dtype})", "absent", n, n, [],
                    f"{'required ' if rule.required else ''}{rule.role} column {name!r} is missing{why}",
                ))
                summaries.append({"column": name, "role": rule.role, "kind": rule.kind.value, "present": False,
                                  "source": None, "rows": n, "null_rate_reference": rule.null_rate})
                continue
            failures.extend(outcome.failures)
            masks.extend(outcome.masks)
            fixes.extend(outcome.fixes)
            summaries.append(outcome.summary)

        for name in unexpected:
            if name in {p.unexpected for p in pairs}:
                continue
            failures.append(failure(
                name, Check.UNEXPECTED_COLUMN, Severity.WARNING, "not in the contract", f"new column ({view.dtype(name)})",
                n, n, view.first_values(name), f"{name!r} is not in the contract: new upstream field? "
                "add it by re-inferring the contract if the model should use it",
            ))

        result = self._result(failures, summaries, fixes, n, to_confirm)
        if view.engine != "pandas":
            result = dataclasses.replace(result, engine=view.engine, sample_rows=view.sample_rows)
        return result, masks

    def _row_count(self, view, n: int) -> list[dict]:
        if n == 0:
            return [failure(BATCH, Check.ROW_COUNT, Severity.ERROR, "at least one row", "0 rows", 0, 0, [],
                            "the batch is empty: broken extract or wrong partition?")]
        if self.rows is None:
            return []
        expected = self.rows.expected
        span_note = ""
        ts = next((r.name for r in self.columns.values() if r.role == "timestamp"), None)
        span = view.time_span(ts) if self.rows.per and ts is not None else None
        if span is not None:
            periods = max(1.0, (span[1] - span[0]) / pd.Timedelta(self.rows.per))
            expected *= periods
            span_note = f" for {periods:.3g} x {self.rows.per}"
        low, high = expected / self.rows.tolerance, expected * self.rows.tolerance
        if low <= n <= high:
            return []
        ratio = n / expected
        return [failure(
            BATCH, Check.ROW_COUNT, Severity.WARNING, f"{low:,.0f} .. {high:,.0f} rows (typical {expected:,.0f}{span_note})",
            f"{n:,} rows (x{ratio:.3g})", n, n, [],
            f"the batch has {n:,} rows, {ratio:.3g} times the usual {expected:,.0f}: "
            + ("missing partitions or a filter upstream?" if ratio < 1 else "duplicated or backfilled data?"),
        )]

    @staticmethod
    def _result(failures: list[dict], summaries: list[dict], fixes: list[Fix], n: int,
                to_confirm: list[Fix] = ()) -> ValidationResult:
        frame = pd.DataFrame(failures, columns=FAILURE_COLUMNS)
        if len(frame):
            frame["check"] = frame["check"].map(lambda c: Check(c).value)
            frame["severity"] = frame["severity"].map(lambda s: Severity(s).value)
            order = frame["severity"].map(_SEVERITY_ORDER)
            frame = frame.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
        frame = frame.astype({"column": object, "check": object, "severity": object, "expected": object,
                              "observed": object, "failing_count": "int64", "failing_share": "float64",
                              "message": object})
        summary = pd.DataFrame(summaries).reindex(columns=SUMMARY_COLUMNS)
        if len(summary):
            worst = frame.groupby("column")["severity"].agg(lambda s: min(s, key=_SEVERITY_ORDER.get))
            summary["status"] = summary["column"].map(worst).astype(object).fillna("ok")
            summary["n_failures"] = summary["column"].map(frame["column"].value_counts()).fillna(0).astype("int64")
            summary["present"] = summary["present"].astype(bool)
        return ValidationResult(failures=frame, summary=summary, suggested_fixes=tuple(fixes), rows=n,
                                unconfirmed_fixes=tuple(to_confirm))

    # -- repair ---------------------------------------------------------------------------------
    def validate_windows(self, batches, *, now: object = None, engine: str = "auto"):
        """Validate every window of ``{label: batch}`` (frames or sources); see
        :func:`~toolkit.schema.over_time.validate_windows`."""
        from .over_time import validate_windows

        return validate_windows(self, batches, now=now, engine=engine)

    def repair(self, batch: pd.DataFrame, fixes: Iterable[Fix] | None = None) -> pd.DataFrame:
        """Apply ``fixes`` (default: every fix :meth:`validate` suggests) and return the corrected copy.

        Renames come first, then coercions. The batch itself is not modified. A suspected rename
        whose names share nothing (``'p' -> 'age'``, evidence from the values only) is never applied
        by default: it is in ``result.unconfirmed_fixes``; pass it in ``fixes`` once confirmed.
        """
        if fixes is None:
            fixes = self.validate(batch).suggested_fixes
        return apply_fixes(batch, fixes)

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out: dict = {"version": self.version, "alpha": self.alpha, "tolerance": self.tolerance,
                     "error_share": dict(self.error_share)}
        if self.rows is not None:
            out["rows"] = self.rows.to_dict()
        out["columns"] = {name: rule.to_dict() for name, rule in self.columns.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "contract") -> "Contract":
        """A contract from a mapping read from YAML.

        Every key is checked: :class:`~toolkit.ConfigError` names ``source`` (the file), the key and
        what is allowed, e.g. ``contract.yaml: columns.age.lower: 'abc' is not a number``.
        """
        if not isinstance(data, dict) or "columns" not in data:
            raise ConfigError(f"{source}: a contract needs a 'columns' mapping; is this a contract file written by "
                              "Contract.save?")
        known = ["version", "alpha", "tolerance", "error_share", "rows", "columns"]
        unknown = sorted((k for k in data if k not in known), key=str)
        if unknown:
            raise ConfigError(f"{source}: unknown contract field(s) {unknown}; valid fields are {known}")
        raw_columns = data["columns"] if data["columns"] is not None else {}
        if not isinstance(raw_columns, dict):
            raise ConfigError(f"{source}: columns: expected a mapping of column name -> rule; got {show(raw_columns)}")
        columns = {str(name): ColumnRule.from_dict(str(name), rule or {}, source=source)
                   for name, rule in raw_columns.items()}
        rows = RowCountRule.from_dict(data["rows"], source=source) if data.get("rows") else None
        alpha = config_number(f"{source}: alpha", data.get("alpha", 1e-4))
        if not 0 < alpha < 1:
            raise ConfigError(f"{source}: alpha: {show(alpha)} is not allowed; use a probability in (0, 1) such as 0.0001")
        tolerance = config_number(f"{source}: tolerance", data.get("tolerance", 0.25))
        shares = data.get("error_share") or {}
        if not isinstance(shares, dict):
            raise ConfigError(f"{source}: error_share: expected a mapping of check -> share; got {show(shares)}")
        unknown = sorted((k for k in shares if k not in DEFAULT_ERROR_SHARE), key=str)
        if unknown:
            raise ConfigError(f"{source}: error_share: unknown check(s) {unknown}; valid are {list(DEFAULT_ERROR_SHARE)}")
        shares = {k: config_number(f"{source}: error_share.{k}", v) for k, v in shares.items()}
        version = config_number(f"{source}: version", data.get("version", 1), integer=True)
        try:
            return cls(columns=columns, rows=rows, alpha=alpha, tolerance=tolerance, error_share=shares,
                       version=version)
        except (ValueError, TypeError) as err:
            raise ConfigError(f"{source}: {err}") from None

    def to_yaml(self) -> str:
        """The contract as commented, human-editable YAML (unicode kept readable; control and
        line-separator characters escaped so names and values load back exactly)."""
        import yaml

        return _HEADER + yaml.dump(self.to_dict(), Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=100)

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "contract") -> "Contract":
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{source}: not valid YAML{where} ({getattr(exc, 'problem', None) or exc}); "
                              "fix the indentation or quoting there") from None
        return cls.from_dict(data, source=source)

    def save(self, path: str | Path) -> Path:
        """Write the contract as YAML (next to the model's notebooks); returns the path."""
        path = Path(path)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Contract":
        """Read a contract written by :meth:`save` (and possibly edited by hand)."""
        from .._yaml import read_yaml

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no contract file at {str(path)!r}; write one with infer_contract(...).save(path)")
        return cls.from_dict(read_yaml(path, "contract"), source=path.name)

    # -- interop --------------------------------------------------------------------------------
    def to_pandera(self):
        """The row-level rules as a ``pandera.DataFrameSchema`` (range, category set, nullability,
        uniqueness, presence) for pipelines that already run pandera. Noise-aware limits, renames and
        timestamp checks have no pandera equivalent and are left out.
        """
        from ._pandera import to_pandera

        return to_pandera(self)


class FrameBatch:
    """A pandas batch as :meth:`Contract._validate_view` reads it (the engines give the same interface over
    aggregates of a source: :func:`toolkit.engines.source_batch`)."""

    engine = "pandas"
    sample_rows = None
    sample_note = ""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.names = [str(c) for c in frame.columns]
        self.position: dict[str, int] = {}
        for i, name in enumerate(self.names):
            self.position.setdefault(name, i)
        self.n = len(frame)
        # a seeded sample of a larger batch (ModelConfig under DuckDB/Spark) states the batch's true size, so
        # the row-count check compares the batch, not the sample, with the usual size
        total = frame.attrs.get(ROWS_ATTR)
        self.rows_total = int(total) if isinstance(total, (int, np.integer)) and total >= self.n and self.n else self.n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def column(self, name: str) -> pd.Series:
        return self.frame.iloc[:, self.position[name]]

    def check(self, rule: ColumnRule, name: str, ctx: Context, source: str | None = None):
        return check_column(rule, self.column(name), ctx, source=source)

    def first_values(self, name: str) -> list:
        return _first_values(self.column(name))

    def dtype(self, name: str) -> str:
        return str(self.column(name).dtype)

    def rename_frame(self, names: list[str]) -> pd.DataFrame:
        view = self.frame.iloc[:, [self.position[c] for c in names]]
        view.columns = names
        return view

    def time_span(self, name: str):
        if name not in self.position:
            return None
        t = self.column(name)
        if pd.api.types.is_datetime64_any_dtype(t.dtype) and t.notna().any():
            return t.min(), t.max()
        return None


def _dumper():
    import unicodedata

    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper, value: str):
        awkward = any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in value)
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if awkward else None)

    Dumper.add_representer(str, represent_str)
    return Dumper


def as_utc(value: object, name: str) -> pd.Timestamp:
    """``value`` (a timestamp, text or datetime) as a UTC Timestamp, else a ValueError naming ``name``."""
    if isinstance(value, (int, float, np.integer, np.floating)):  # pd.Timestamp(5) is 5 ns after 1970
        raise ValueError(f"{name} must be a timestamp (e.g. '2026-06-30T00:00Z'), not a number; got {show(value)}")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a timestamp (e.g. '2026-06-30T00:00Z'); got {show(value)}") from None
    if ts is pd.NaT:
        raise ValueError(f"{name} must be a timestamp; got NaT")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


_utc = as_utc


def _first_values(s: pd.Series, k: int = 5) -> list:
    return examples_of(s.dropna(), None, k)


def infer_contract(
    reference: pd.DataFrame,
    spec=None,
    *,
    tolerance: float = 0.25,
    alpha: float = 1e-4,
    batch_rows: int | None = None,
    batch_freq: str = "7D",
    row_tolerance: float | None = None,
    error_share: dict[str, float] | None = None,
    max_categories: int = MAX_CATEGORIES,
    reference_rows: int | None = None,
) -> Contract:
    """Learn a schema contract from a baseline.

    Per column: its role (from ``spec``), logical kind, value type and dtype, nullability and
    baseline null rate, a numeric range with a tolerance band, the category set with shares and
    cardinality, id uniqueness and timestamp properties; plus the expected batch size.

    Parameters
    ----------
    reference
        The baseline (training or a trusted period).
    spec
        :class:`~toolkit.spec.ModelSpec` naming the roles; without it every column is a required
        feature-like column (kinds inferred).
    tolerance
        Numeric ranges are the 1%-99% quantiles widened by ``tolerance`` times their spread, and
        never narrower than the baseline's own min and max (so the baseline always passes).
    alpha
        False-alarm probability of each noise-aware limit.
    batch_rows
        Typical rows per batch. Without it, a spec with a timestamp gives the expected rows per
        ``batch_freq`` from the baseline (scaled by each batch's time span when validating).
    batch_freq
        Period of the timestamp-based expectation, a pandas timedelta string ("7D", "1D", "1h").
    row_tolerance
        Factor by which a batch may be smaller or larger than expected (default 3 with
        ``batch_rows``; 10 from the timestamp, because a baseline is often a sample of its period).
    error_share
        Overrides of :data:`DEFAULT_ERROR_SHARE`.
    max_categories
        Categorical columns with more distinct values keep only their cardinality.
    reference_rows
        Rows of the whole baseline when ``reference`` is a sample of it (a ModelConfig under DuckDB or
        Spark holds at most ``row_budget`` rows): the expected batch size learned from the timestamp
        is scaled to it, so a full-size batch is not reported as many times the usual.

    Returns
    -------
    Contract

    Examples
    --------
    >>> import pandas as pd
    >>> import toolkit as tk
    >>> ref = pd.DataFrame({"age": list(range(18, 88)) * 2, "plan": ["a", "b"] * 70})
    >>> contract = tk.infer_contract(ref)
    >>> contract["age"].lower, contract["age"].upper, contract["plan"].categories
    (1.0, 104.0, {'a': 0.5, 'b': 0.5})
    >>> contract.validate(ref.assign(age=ref["age"] * 12)).failures[["check", "severity"]].values.tolist()
    [['out_of_range', 'error']]
    """
    from ..spec import ModelSpec

    check_frame("reference", reference)
    if len(reference) == 0:
        raise ValueError("reference has 0 rows; infer the contract from a non-empty baseline")
    renamed = not all(isinstance(c, str) for c in reference.columns)
    if renamed:
        reference = reference.rename(columns=str)
        check_frame("reference", reference)
    check_number("tolerance", tolerance, low=0, hint=" (a share of the 1%-99% spread)")
    check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    if not (isinstance(max_categories, (int, np.integer)) and not isinstance(max_categories, bool)
            and max_categories >= 0):
        raise ValueError(f"max_categories must be a whole number >= 0; got {show(max_categories)}")
    given_spec = spec is not None
    if spec is None:
        spec = ModelSpec.infer(reference)
    elif not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a toolkit.ModelSpec or None; got {type(spec).__name__}")
    from .._checks import check_columns

    if renamed:  # the contract's names are text (YAML keys): the spec's names follow the same rule
        spec = spec.replace(
            features=[str(c) for c in spec.features], segments=[str(c) for c in spec.segments],
            kinds={str(c): k for c, k in spec.kinds.items()},
            **{r: (None if getattr(spec, r) is None else str(getattr(spec, r)))
               for r in ("id", "timestamp", "target", "score", "prediction")})
    # the spec's one resolver names a missing role column with its role and a "did you mean"
    roles = spec.resolve(reference, name="reference", require=(), caller="infer_contract",
                         present=("id", "timestamp", "target", "score", "prediction")).by_column
    check_columns("reference", reference, spec.columns)
    now = pd.Timestamp.now(tz="UTC")
    rules: dict[str, ColumnRule] = {}
    for name in reference.columns:
        values = reference[name]
        role = roles.get(name) or ("feature" if name in spec.features else
                                   "segment" if name in spec.segments else "other")
        kind = spec.kinds.get(name) or infer_kind(values)
        # a declared id or timestamp is checked for what it is (presence, nulls, duplicates, type),
        # never range-checked as a feature: new ids keep rising, time keeps moving
        if role == "id":
            kind = Kind.IDENTIFIER
        elif role == "timestamp" and Kind(kind) is not Kind.EMPTY:
            kind = Kind.DATETIME
        rule = infer_rule(values, name=name, kind=Kind(kind), role=role, tolerance=tolerance,
                          max_categories=max_categories, now=now)
        if given_spec and role == "other":
            rule = dataclasses.replace(rule, required=False)
        rules[name] = rule

    if row_tolerance is not None:
        check_number("row_tolerance", row_tolerance, low=1, hint=" (a factor)")
    if error_share is not None and not isinstance(error_share, dict):
        raise TypeError(f"error_share must be a dict of check -> share, e.g. {{'null_rate': 0.2}}; "
                        f"got {type(error_share).__name__}")
    rows = None
    if batch_rows is not None:
        check_number("batch_rows", batch_rows, low=0, low_open=True, hint=" (rows per batch)")
        rows = RowCountRule(expected=float(batch_rows), tolerance=float(row_tolerance or 3.0))
    elif spec.timestamp is not None and pd.api.types.is_datetime64_any_dtype(reference[spec.timestamp].dtype):
        try:
            period = pd.Timedelta(batch_freq)
            if pd.isna(period) or period <= pd.Timedelta(0):
                raise ValueError
        except (ValueError, TypeError):
            raise ValueError(f"batch_freq must be a pandas timedelta string such as '7D' or '1h'; got {show(batch_freq)}") from None
        t = reference[spec.timestamp].dropna()
        if reference_rows is not None:
            check_number("reference_rows", reference_rows, low=len(reference),
                         hint=" (the whole baseline's rows; reference is a sample of it)")
        if len(t):
            periods = max(1.0, (t.max() - t.min()) / period)
            rows = RowCountRule(expected=round((reference_rows or len(reference)) / periods, 1),
                                tolerance=float(row_tolerance or 10.0), per=batch_freq)
    return Contract(columns=rules, rows=rows, alpha=alpha, tolerance=tolerance,
                    error_share={**DEFAULT_ERROR_SHARE, **(error_share or {})})
