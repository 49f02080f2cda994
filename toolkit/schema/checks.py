"""Per-column checks of a batch against a :class:`~toolkit.schema.rules.ColumnRule`.

Every check is vectorised (numpy / pandas / pyarrow), so a million-row batch takes well under a
second per few columns. Each check yields tidy failure records, the column's summary row and,
when asked (``guard``), the boolean mask of the rows that fail it.

Severity policy (thresholds are the contract's ``error_share``, editable in the contract file):

- a row-level problem whose count is within the baseline's sampling noise is ``info``; beyond the
  noise it is a ``warning``; once its share of the batch reaches ``error_share[check]`` it is an ``error``;
- a value type the model cannot read (numbers as strings, timestamps as strings, lost time zone) is an ``error``;
  integer <-> float is ``info``.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ..kinds import Kind, coerce_numeric
from .codes import Check, Severity
from .noise import count_limit
from .repair import CoerceDatetime, CoerceNumeric, Fix
from .rules import ColumnRule, dtype_family, numeric_values, python_scalar

__all__ = ["Context", "Outcome", "check_column", "category_view", "examples_of", "failure", "pct", "num",
           "FUTURE_TOLERANCE", "BATCH"]

#: Timestamps this far after the validation time count as "in the future" (clock skew allowance).
FUTURE_TOLERANCE = pd.Timedelta("1h")
#: ``column`` value of batch-level failures (row count).
BATCH = "(batch)"
_NUMBERS = ("integer", "float")
_TEXTS = ("string", "mixed")


@dataclasses.dataclass
class Context:
    n: int
    alpha: float
    error_share: dict[str, float]
    now: pd.Timestamp
    after: pd.Timestamp | None = None
    collect_rows: bool = False


@dataclasses.dataclass
class Outcome:
    failures: list[dict] = dataclasses.field(default_factory=list)
    #: (column, check, failing-row mask, detail, values shown in the reason or None)
    masks: list[tuple] = dataclasses.field(default_factory=list)
    fixes: list[Fix] = dataclasses.field(default_factory=list)
    summary: dict = dataclasses.field(default_factory=dict)


# -- formatting ---------------------------------------------------------------------------------
def pct(x: float) -> str:
    """Share as a short percentage: 0.6021 -> '60.2%', 0.000123 -> '0.0123%'."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    return "0%" if x == 0 else f"{100 * x:.3g}%"


def num(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{x:.4g}"
    return str(x)


def failure(column: str, check: Check, severity: Severity, expected: str, observed: str,
            failing_count: int, n: int, examples: list | None = None, message: str = "") -> dict:
    return {
        "column": column, "check": check, "severity": severity, "expected": expected, "observed": observed,
        "failing_count": int(failing_count), "failing_share": (failing_count / n) if n else 0.0,
        "examples": list(examples or []), "message": message,
    }


def _scalar(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    return python_scalar(value) if isinstance(value, (np.generic, bool, int, float, str)) else str(value)


def examples_of(values: pd.Series | np.ndarray, mask: np.ndarray | None = None, k: int = 5) -> list:
    """Up to ``k`` distinct failing values (scanning only the first failures, so it stays cheap)."""
    if mask is not None:
        idx = np.flatnonzero(mask)[:2000]
        values = values.iloc[idx] if isinstance(values, pd.Series) else values[idx]
    else:
        values = values.iloc[:2000] if isinstance(values, pd.Series) else values[:2000]
    try:
        distinct = pd.unique(pd.Series(values).dropna())
    except TypeError:
        distinct = pd.unique(pd.Series(values).dropna().astype(str))
    return [_scalar(v) for v in distinct[:k]]


def _severity(check: Check, share: float, within_noise: bool, ctx: Context) -> Severity:
    if share >= ctx.error_share.get(check.value, 1.01):
        return Severity.ERROR
    return Severity.INFO if within_noise else Severity.WARNING


def _add_mask(out: Outcome, ctx: Context, column: str, check: Check, mask: np.ndarray, detail: str,
              values: pd.Series | np.ndarray | None = None) -> None:
    if ctx.collect_rows and mask is not None and mask.any():
        out.masks.append((column, check, mask, detail, values))


# -- dtype --------------------------------------------------------------------------------------
def _dtype_check(rule: ColumnRule, s: pd.Series, observed: str, nonnull: int, ctx: Context,
                 out: Outcome, where: str, arr: np.ndarray | None) -> None:
    expected = rule.type
    if observed == expected or nonnull == 0 or expected in ("mixed", "empty") or rule.kind is Kind.EMPTY:
        return
    fractional, fractional_examples, unparsed, detail = 0, None, None, ""
    if expected == "integer" and observed == "float":
        arr = numeric_values(s) if arr is None else arr
        frac = np.isfinite(arr) & (np.mod(arr, 1) != 0)
        fractional = int(np.sum(frac))
        fractional_examples = examples_of(pd.Series(arr), frac) if fractional else None
    elif (rule.kind is Kind.NUMERIC or expected in _NUMBERS) and observed in _TEXTS and expected not in _TEXTS:
        arr = numeric_values(s) if arr is None else arr
        unparsed = s.notna().to_numpy() & np.isnan(arr)
        detail = "does not parse as a number"
    elif expected == "datetime" and observed in _TEXTS + _NUMBERS:
        parsed = (pd.to_datetime(s, errors="coerce", utc=True) if observed in _TEXTS
                  else pd.Series(pd.NaT, index=s.index))
        unparsed = (s.notna() & parsed.isna()).to_numpy()
        detail = "does not parse as a timestamp"
    dtype_failure(rule, observed, f"{observed} ({s.dtype}){where}", nonnull, ctx, out, where,
                  examples=examples_of(s.dropna()), fractional=fractional, fractional_examples=fractional_examples,
                  unparsed=None if unparsed is None else int(unparsed.sum()), examined=nonnull)
    if unparsed is not None:
        _add_mask(out, ctx, rule.name, Check.DTYPE_CHANGE, unparsed, detail, s)


def dtype_failure(rule: ColumnRule, observed: str, obs_text: str, nonnull: int, ctx: Context, out: Outcome,
                  where: str = "", *, examples: list, fractional: int = 0, fractional_examples: list | None = None,
                  unparsed: int | None = None, examined: int | None = None, sample_note: str = "") -> None:
    """Record a change of value type (``observed`` family against the rule's).

    ``fractional``: values with fractions where integers were promised. ``unparsed`` of ``examined``
    text values do not parse as the promised numbers or timestamps (the coercion preview; on a source
    it is scored on a sample, which ``sample_note`` states).
    """
    expected = rule.type
    if observed == expected or nonnull == 0 or expected in ("mixed", "empty") or rule.kind is Kind.EMPTY:
        return
    exp_text = f"{expected} ({rule.dtype})"
    if expected in _NUMBERS and observed in _NUMBERS:
        if expected == "integer" and fractional:
            out.failures.append(failure(
                rule.name, Check.DTYPE_CHANGE, Severity.WARNING, exp_text, obs_text, fractional, ctx.n,
                fractional_examples if fractional_examples is not None else examples,
                f"{rule.name!r} should hold integers but {fractional:,} values have fractions",
            ))
        else:
            out.failures.append(failure(
                rule.name, Check.DTYPE_CHANGE, Severity.INFO, exp_text, obs_text, 0, ctx.n, examples,
                f"{rule.name!r} arrives as {observed} instead of {expected}; values are compatible"
                + (" (nulls turn integers into floats)" if observed == "float" else ""),
            ))
        return
    if rule.kind is Kind.NUMERIC and expected in _TEXTS and observed in _NUMBERS:
        out.failures.append(failure(
            rule.name, Check.DTYPE_CHANGE, Severity.INFO, exp_text, obs_text, 0, ctx.n, examples,
            f"{rule.name!r} held formatted numbers in the baseline and now arrives as {observed}{where}",
        ))
        return
    examined = nonnull if examined is None else examined
    if (rule.kind is Kind.NUMERIC or expected in _NUMBERS) and observed in _TEXTS:
        if expected in _TEXTS:  # baseline already held formatted numbers
            return
        bad = int(unparsed or 0)
        rate = 1.0 - bad / examined if examined else 0.0
        target = rule.dtype if expected == "integer" else "float64"
        if rate > 0:
            out.fixes.append(CoerceNumeric(rule.name, parse_rate=round(float(rate), 6), dtype=target))
        of = f"{examined:,} values" if examined == nonnull else f"{examined:,} sampled values{sample_note}"
        out.failures.append(failure(
            rule.name, Check.DTYPE_CHANGE, Severity.ERROR, exp_text, f"{obs_text}; {pct(rate)} coerce to numbers",
            nonnull, ctx.n, examples,
            f"{rule.name!r} arrives as text{where}; {rate:.1%} of {of} parse as numbers"
            + (f" ({bad:,} do not)" if bad else "")
            + ("; fix: CoerceNumeric" if rate > 0 else ""),
        ))
        return
    if expected == "datetime" and observed in _TEXTS + _NUMBERS:
        bad = int(unparsed if unparsed is not None else examined)
        rate = 1.0 - bad / examined if examined else 0.0
        if rate > 0:
            out.fixes.append(CoerceDatetime(rule.name, parse_rate=round(float(rate), 6), timezone=rule.timezone))
        of = "" if examined == nonnull else f" (of {examined:,} sampled values{sample_note})"
        out.failures.append(failure(
            rule.name, Check.DTYPE_CHANGE, Severity.ERROR, exp_text, f"{obs_text}; {pct(rate)} parse as timestamps",
            nonnull, ctx.n, examples,
            f"{rule.name!r} arrives as {observed}{where}; {rate:.1%} of values parse as timestamps{of}"
            + ("; fix: CoerceDatetime" if rate > 0 else ""),
        ))
        return
    text_vs_number = (expected in _TEXTS and observed in _NUMBERS + ("boolean",)) or (
        expected in _NUMBERS + ("boolean", "datetime") and observed in _TEXTS)
    out.failures.append(failure(
        rule.name, Check.DTYPE_CHANGE, Severity.ERROR if text_vs_number and rule.kind is not Kind.IDENTIFIER
        else Severity.WARNING, exp_text, obs_text, nonnull, ctx.n, examples,
        f"{rule.name!r} arrives as {observed}{where} instead of {expected}",
    ))


# -- views --------------------------------------------------------------------------------------
def category_view(s: pd.Series, categories: dict) -> pd.Series:
    """The batch values in the type space of the baseline's categories."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(s.dtype.categories.dtype)
    keys = list(categories)
    numeric_keys = bool(keys) and all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in keys)
    string_keys = bool(keys) and all(isinstance(k, str) for k in keys)
    family = dtype_family(s)
    if numeric_keys and family in _TEXTS:
        return coerce_numeric(s)
    if string_keys and family in _NUMBERS + ("boolean",):
        return s.map(lambda v: None if pd.isna(v) else str(python_scalar(v)))
    return s


def _as_utc(t: pd.Series, tz: str | None) -> pd.Series:
    if getattr(t.dtype, "tz", None) is None:
        return t.dt.tz_localize(tz or "UTC", ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    return t.dt.tz_convert("UTC")


# -- the column check ---------------------------------------------------------------------------
def check_column(rule: ColumnRule, s: pd.Series, ctx: Context, source: str | None = None) -> Outcome:
    """Run every check ``rule`` implies on batch column ``s`` (``source``: its batch name if renamed)."""
    out = Outcome()
    n = ctx.n
    where = f" (as {source!r})" if source and source != rule.name else ""
    isna = s.isna().to_numpy()
    nulls = int(isna.sum())
    nonnull = n - nulls
    observed_type = dtype_family(s) if nonnull else "empty"
    summary = out.summary = {
        "column": rule.name, "role": rule.role, "kind": rule.kind.value, "present": True, "source": source or rule.name,
        "rows": n, "null_rate_reference": rule.null_rate, "null_rate": nulls / n if n else np.nan,
        "null_limit": np.nan, "unseen_share": np.nan, "out_of_range_share": np.nan,
    }
    if n == 0:
        return out
    # numbers are parsed once (formatted strings included) and shared by the dtype and range checks
    arr = (numeric_values(s) if rule.kind is Kind.NUMERIC and observed_type in _NUMBERS + _TEXTS + ("boolean",)
           and nonnull else None)
    _dtype_check(rule, s, observed_type, nonnull, ctx, out, where, arr)

    # nulls: beyond the baseline's binomial noise at this batch's size
    if null_failure(rule, nulls, ctx, out, where) and not rule.nullable:
        _add_mask(out, ctx, rule.name, Check.NULL_RATE, isna, "is null (nullable: false)")
    if nonnull == 0:
        return out

    if arr is not None:
        _check_range(rule, arr, ctx, out, where)
    elif rule.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        _check_categories(rule, s, nonnull, ctx, out, where)
    if rule.unique:
        _check_unique(rule, s, isna, ctx, out, where)
    if rule.kind is Kind.DATETIME:
        _check_timestamps(rule, s, observed_type, nonnull, ctx, out, where)
    return out


def null_failure(rule: ColumnRule, nulls: int, ctx: Context, out: Outcome, where: str = "") -> bool:
    """Record a null-rate failure when ``nulls`` in ``ctx.n`` rows exceed the baseline's noise; True if one was."""
    n = ctx.n
    k0 = rule.null_rate * rule.rows
    limit = count_limit(n, k0=k0, n0=rule.rows, alpha=ctx.alpha) if rule.nullable else 0
    out.summary["null_limit"] = limit / n
    if not (nulls > limit or (nulls and not rule.nullable)):
        return False
    share = nulls / n
    noise_limit = count_limit(n, k0=k0, n0=rule.rows, alpha=ctx.alpha)
    increase = share - rule.null_rate
    sev = (Severity.ERROR if increase >= ctx.error_share.get("null_rate", 1.01)
           else Severity.INFO if nulls <= noise_limit else Severity.WARNING)
    expected = (f"<= {pct(limit / n)} null (baseline {pct(rule.null_rate)}, noise at n={n:,})"
                if rule.nullable else "no nulls (nullable: false)")
    out.failures.append(failure(
        rule.name, Check.NULL_RATE, sev, expected, f"{pct(share)} null ({nulls:,} rows)", nulls, n, [],
        f"{rule.name!r}{where} is {pct(share)} null against {pct(rule.null_rate)} in the baseline"
        + (f" (at most {pct(limit / n)} expected by chance at {n:,} rows)" if rule.nullable else ""),
    ))
    return True


def range_bounds(rule: ColumnRule) -> tuple[float, float]:
    """The rule's numeric band, open ends as infinities."""
    return (-np.inf if rule.lower is None else rule.lower), (np.inf if rule.upper is None else rule.upper)


def range_failure(rule: ColumnRule, count: int, below: int, above: int, bad_min: float, bad_max: float,
                  worst: list, ctx: Context, out: Outcome, where: str = "") -> None:
    """Record ``count`` values outside the band (``below`` / ``above`` it, extremes ``bad_min .. bad_max``)."""
    n = ctx.n
    lower, upper = range_bounds(rule)
    out.summary["out_of_range_share"] = count / n
    if not count:
        return
    limit = count_limit(n, k0=0, n0=rule.rows, alpha=ctx.alpha)
    share = count / n
    # "near misses" within the noise are info: past the band by less than 10% of its width or than the
    # baseline's own extreme tail (p100 - p99, p1 - p0: a new batch's max may overshoot the old one by as
    # much), and on the baseline's side of zero
    q = rule.quantiles or {}
    width = 0.1 * (upper - lower) if np.isfinite(upper - lower) else np.inf
    above_ext = max(width, q.get("p100", 0.0) - q.get("p99", 0.0))
    below_ext = max(width, q.get("p1", 0.0) - q.get("p0", 0.0))
    near = bool(bad_min >= lower - below_ext and bad_max <= upper + above_ext and not (lower >= 0 and bad_min < 0))
    sev = _severity(Check.OUT_OF_RANGE, share, count <= limit and near, ctx)
    observed = (f"{count:,} outside ({pct(share)}): {below:,} below, {above:,} above; extremes {num(bad_min)} .. "
                f"{num(bad_max)}")
    out.failures.append(failure(
        rule.name, Check.OUT_OF_RANGE, sev, f"[{num(lower)}, {num(upper)}]", observed, count, n, list(worst),
        f"{count:,} values of {rule.name!r}{where} ({pct(share)}) fall outside the baseline band [{num(lower)}, {num(upper)}]",
    ))


def _check_range(rule: ColumnRule, arr: np.ndarray, ctx: Context, out: Outcome, where: str) -> None:
    if rule.lower is None and rule.upper is None:
        return
    lower, upper = range_bounds(rule)
    with np.errstate(invalid="ignore"):
        bad = (arr < lower) | (arr > upper)
    count = int(bad.sum())
    if not count:
        out.summary["out_of_range_share"] = 0.0
        return
    bad_values = arr[bad]
    centre = (rule.quantiles or {}).get("p50", 0.0)
    order = np.argsort(-np.abs(bad_values - centre), kind="stable")
    worst = [float(v) for v in pd.unique(bad_values[order])[:5]]
    range_failure(rule, count, int(np.sum(arr < lower)), int(np.sum(arr > upper)), float(np.nanmin(bad_values)),
                  float(np.nanmax(bad_values)), worst, ctx, out, where)
    _add_mask(out, ctx, rule.name, Check.OUT_OF_RANGE, bad, f"outside [{num(lower)}, {num(upper)}]", arr)


def _check_categories(rule: ColumnRule, s: pd.Series, nonnull: int, ctx: Context, out: Outcome, where: str) -> None:
    n = ctx.n
    if rule.categories is None:
        distinct = int(s.nunique(dropna=True))
        check_cardinality(rule, distinct, ctx, out, where)
        return
    view = category_view(s, rule.categories)
    try:
        known = view.isin(list(rule.categories)).to_numpy()
    except TypeError:
        known = view.astype(str).isin([str(k) for k in rule.categories]).to_numpy()
    unseen = view.notna().to_numpy() & ~known
    count = int(unseen.sum())
    if not count:
        out.summary["unseen_share"] = 0.0
        return
    try:
        counts = view[unseen].value_counts()
    except TypeError:
        counts = view[unseen].astype(str).value_counts()
    unseen_failure(rule, count, list(counts.head(5).items()), len(counts), nonnull, ctx, out, where)
    _add_mask(out, ctx, rule.name, Check.UNSEEN_CATEGORY, unseen, "not a baseline value", view)
    # the batch can only exceed the cardinality limit through unseen values
    if rule.max_cardinality is not None and len(rule.categories) + len(counts) > rule.max_cardinality:
        check_cardinality(rule, int(view.nunique(dropna=True)), ctx, out, where)


def unseen_failure(rule: ColumnRule, count: int, top: list, n_values: int, nonnull: int, ctx: Context,
                   out: Outcome, where: str = "") -> None:
    """Record ``count`` rows holding ``n_values`` values the baseline never had (``top``: up to 5 ``(value, rows)``)."""
    n = ctx.n
    out.summary["unseen_share"] = count / n
    if not count:
        return
    ref_nonnull = rule.rows * (1.0 - rule.null_rate)
    limit = count_limit(nonnull, k0=(rule.unseen_rate or 0.0) * ref_nonnull, n0=int(round(ref_nonnull)), alpha=ctx.alpha)
    share = count / n
    sev = _severity(Check.UNSEEN_CATEGORY, share, count <= limit, ctx)
    top_text = ", ".join(f"{_scalar(v)!r} ({pct(c / n)})" for v, c in top[:5])
    more = f", ... +{n_values - 5} more" if n_values > 5 else ""
    out.failures.append(failure(
        rule.name, Check.UNSEEN_CATEGORY, sev,
        f"one of {len(rule.categories)} baseline values" + (f" (<= {pct(limit / n)} unseen by chance)" if limit else ""),
        f"{n_values:,} new value(s) in {count:,} rows ({pct(share)}): {top_text}{more}", count, n,
        [_scalar(v) for v, _ in top[:5]],
        f"{rule.name!r}{where} has {n_values:,} value(s) the baseline never had, in {pct(share)} of rows: {top_text}{more}",
    ))


def check_cardinality(rule: ColumnRule, distinct: int, ctx: Context, out: Outcome, where: str) -> None:
    if rule.max_cardinality is None or distinct <= rule.max_cardinality:
        return
    base = max(rule.cardinality or 1, 1)
    sev = Severity.ERROR if distinct >= 10 * base else Severity.WARNING
    out.failures.append(failure(
        rule.name, Check.CARDINALITY, sev, f"<= {rule.max_cardinality:,} distinct (baseline {rule.cardinality:,})",
        f"{distinct:,} distinct", distinct, ctx.n, [],
        f"{rule.name!r}{where} has {distinct:,} distinct values against {rule.cardinality:,} in the baseline: "
        "is it still the same field?",
    ))


def _check_unique(rule: ColumnRule, s: pd.Series, isna: np.ndarray, ctx: Context, out: Outcome, where: str) -> None:
    try:
        dup = s.duplicated(keep="first").to_numpy() & ~isna
    except TypeError:
        dup = s.astype(str).duplicated(keep="first").to_numpy() & ~isna
    count = int(dup.sum())
    if count:
        duplicate_failure(rule, count, examples_of(s, dup), ctx, out, where)
        _add_mask(out, ctx, rule.name, Check.DUPLICATE_ID, dup, "repeats an earlier row", s)


def duplicate_failure(rule: ColumnRule, count: int, examples: list, ctx: Context, out: Outcome, where: str = "") -> None:
    """Record ``count`` rows repeating an earlier value of a unique column."""
    share = count / ctx.n
    sev = _severity(Check.DUPLICATE_ID, share, False, ctx)
    out.failures.append(failure(
        rule.name, Check.DUPLICATE_ID, sev, "unique values", f"{count:,} repeated rows ({pct(share)})", count, ctx.n,
        examples, f"{count:,} rows repeat an earlier {rule.name!r}{where}: double-counted events?",
    ))


def _check_timestamps(rule: ColumnRule, s: pd.Series, observed_type: str, nonnull: int, ctx: Context,
                      out: Outcome, where: str) -> None:
    n = ctx.n
    if observed_type == "datetime" and pd.api.types.is_datetime64_any_dtype(s.dtype):
        t = s
    elif observed_type == "datetime" or observed_type in _TEXTS:  # object column of Timestamps, or text
        import warnings

        with warnings.catch_warnings():  # "could not infer format": unparsed values are counted, not warned
            warnings.simplefilter("ignore", UserWarning)
            t = None
            if observed_type == "datetime":  # keep the values' own zone (or none) when they share one
                try:
                    t = pd.to_datetime(s, errors="coerce")
                except (TypeError, ValueError, OverflowError):
                    t = None
            if t is None or not pd.api.types.is_datetime64_any_dtype(t.dtype):
                try:
                    t = pd.to_datetime(s, errors="coerce", utc=True)
                except (TypeError, ValueError, OverflowError):
                    t = pd.to_datetime(s.astype(str), errors="coerce", utc=True)
        if observed_type == "datetime":
            s = t
    else:
        return
    if isinstance(t.dtype, pd.CategoricalDtype):
        t = t.astype(t.dtype.categories.dtype)
    tz = getattr(t.dtype, "tz", None)
    if observed_type == "datetime":
        timezone_failure(rule, None if tz is None else str(tz), nonnull, examples_of(s.dropna()), ctx, out, where)
    utc = _as_utc(t, rule.timezone)
    values = utc.dt.tz_localize(None).to_numpy()  # datetime64 in the column's own unit (us in pandas 3)
    unit = np.datetime_data(values.dtype)[0]
    valid = ~np.isnat(values)

    def at_unit(ts: pd.Timestamp) -> np.datetime64:
        return np.datetime64(ts.tz_convert("UTC").tz_localize(None).to_datetime64(), unit)

    if not rule.allow_future:
        future = valid & (values > at_unit(ctx.now + FUTURE_TOLERANCE))
        if future.any():
            future_failure(rule, int(future.sum()), examples_of(utc, future), ctx, out, where)
            _add_mask(out, ctx, rule.name, Check.TIMESTAMP, future, "is in the future", utc)
    if rule.role != "timestamp" or valid.sum() == 0:
        return
    if ctx.after is not None:
        early = valid & (values < at_unit(ctx.after))
        if early.any():
            early_failure(rule, int(early.sum()), examples_of(utc, early), ctx, out, where)
            _add_mask(out, ctx, rule.name, Check.TIMESTAMP, early, "is before the previous batch", utc)
    ticks = values.view("int64")
    good = ticks[valid]
    if good.size >= STRAY_MIN_VALUES:
        one_day = int(np.timedelta64(1, "D") / np.timedelta64(1, unit))
        low, high = stray_limits(*np.quantile(good, [0.01, 0.99]), one_day)
        stray = valid & ((ticks < low) | (ticks > high))
        if stray.any():
            lo_t = pd.Timestamp(np.datetime64(int(max(low, good.min())), unit))
            hi_t = pd.Timestamp(np.datetime64(int(min(high, good.max())), unit))
            stray_failure(rule, int(stray.sum()), lo_t, hi_t, examples_of(utc, stray), ctx, out, where)
            _add_mask(out, ctx, rule.name, Check.TIMESTAMP, stray, "is far outside the batch window", utc)


#: Fewest valid timestamps from which rows far outside the batch's own window are reported.
STRAY_MIN_VALUES = 20


def stray_limits(q01: float, q99: float, one_day: float) -> tuple[float, float]:
    """Ticks below / above which a timestamp lies far outside its batch (more than the window's width away)."""
    span = max(q99 - q01, one_day)
    return q01 - span, q99 + span


def timezone_failure(rule: ColumnRule, tz: str | None, nonnull: int, examples: list, ctx: Context, out: Outcome,
                     where: str = "") -> None:
    """Record a lost, gained or changed time zone (``tz``: the batch column's zone, None if naive)."""
    n = ctx.n
    if rule.timezone and tz is None:
        out.failures.append(failure(
            rule.name, Check.TIMESTAMP, Severity.ERROR, f"time zone {rule.timezone}", f"no time zone{where}",
            nonnull, n, examples,
            f"{rule.name!r}{where} lost its time zone (baseline {rule.timezone}); checks below assume "
            f"{rule.timezone}; localise upstream or with .dt.tz_localize({rule.timezone!r})",
        ))
    elif rule.timezone is None and tz is not None:
        out.failures.append(failure(
            rule.name, Check.TIMESTAMP, Severity.INFO, "no time zone (naive)", f"time zone {tz}", 0, n, [],
            f"{rule.name!r}{where} now carries time zone {tz}; the baseline was naive",
        ))
    elif rule.timezone and tz is not None and str(tz) != rule.timezone:
        out.failures.append(failure(
            rule.name, Check.TIMESTAMP, Severity.INFO, f"time zone {rule.timezone}", f"time zone {tz}", 0, n, [],
            f"{rule.name!r}{where} is in {tz} instead of {rule.timezone} (same instants, different display)",
        ))


def future_failure(rule: ColumnRule, count: int, examples: list, ctx: Context, out: Outcome, where: str = "") -> None:
    """Record ``count`` timestamps after the validation time (plus :data:`FUTURE_TOLERANCE`)."""
    n = ctx.n
    out.failures.append(failure(
        rule.name, Check.TIMESTAMP, _severity(Check.TIMESTAMP, count / n, False, ctx),
        f"no time after {ctx.now:%Y-%m-%d %H:%M %Z} (validation time)", f"{count:,} in the future ({pct(count / n)})",
        count, n, examples, f"{count:,} values of {rule.name!r}{where} lie in the future: clock or time-zone bug?",
    ))


def early_failure(rule: ColumnRule, count: int, examples: list, ctx: Context, out: Outcome, where: str = "") -> None:
    """Record ``count`` timestamps before the end of the previous batch (``ctx.after``)."""
    n = ctx.n
    out.failures.append(failure(
        rule.name, Check.TIMESTAMP, _severity(Check.TIMESTAMP, count / n, False, ctx),
        f"after {ctx.after:%Y-%m-%d %H:%M} (end of the previous batch)",
        f"{count:,} earlier ({pct(count / n)})", count, n, examples,
        f"{count:,} rows of {rule.name!r}{where} are older than the previous batch: replayed or late data?",
    ))


def stray_failure(rule: ColumnRule, count: int, lo_t: pd.Timestamp, hi_t: pd.Timestamp, examples: list,
                  ctx: Context, out: Outcome, where: str = "") -> None:
    """Record ``count`` timestamps far outside the batch's own window ``lo_t .. hi_t``."""
    n = ctx.n
    out.failures.append(failure(
        rule.name, Check.TIMESTAMP, _severity(Check.TIMESTAMP, count / n, False, ctx),
        f"within the batch window {lo_t:%Y-%m-%d} .. {hi_t:%Y-%m-%d} (UTC)",
        f"{count:,} far outside ({pct(count / n)})", count, n, examples,
        f"{count:,} rows of {rule.name!r}{where} lie far outside the batch's own time window "
        "(more than its width away): out-of-order or mis-dated events",
    ))
