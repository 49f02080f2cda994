"""What the baseline promised about one column (:class:`ColumnRule`) and about batch size (:class:`RowCountRule`).

Rules are plain frozen dataclasses of Python scalars, lists and dicts, so a contract file is
readable YAML and loads back to an equal object. :func:`infer_rule` learns one rule from a
reference column.

>>> import pandas as pd
>>> from toolkit.kinds import Kind
>>> rule = infer_rule(pd.Series([1.5, 2.25, 3.0, None]), name="x", kind=Kind.NUMERIC, role="feature")
>>> rule.null_rate, rule.nullable, rule.lower, rule.upper
(0.25, True, 1.147, 3.353)
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from .._checks import ConfigError, show
from ..kinds import Kind, coerce_numeric

__all__ = [
    "ColumnRule", "RowCountRule", "ROLES", "TYPES", "QUANTILE_LEVELS", "MAX_CATEGORIES",
    "dtype_family", "infer_rule", "python_scalar",
]

#: Roles a column can play in a contract (from the ModelSpec; ``other`` = not named by the spec).
ROLES = ("feature", "target", "score", "prediction", "timestamp", "id", "segment", "other")
#: Value families compared by the dtype check (exact dtypes such as int32/int64 or us/ns are not).
TYPES = ("integer", "float", "boolean", "string", "datetime", "timedelta", "mixed", "empty")
#: Quantile levels stored for numeric columns (used to match renamed columns by distribution).
QUANTILE_LEVELS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
#: A categorical column with more distinct values than this keeps only its cardinality, not its set.
MAX_CATEGORIES = 1000


def _qkey(level: float) -> str:
    return f"p{level * 100:g}"


QUANTILE_KEYS = tuple(_qkey(q) for q in QUANTILE_LEVELS)


@dataclasses.dataclass(frozen=True)
class ColumnRule:
    """The promise about one column.

    Parameters
    ----------
    name
        Column name.
    role
        One of :data:`ROLES`.
    kind
        Logical kind (:class:`toolkit.kinds.Kind`).
    type
        Value family checked for dtype changes (one of :data:`TYPES`).
    dtype
        The exact baseline dtype (for reference and for repairs).
    required
        Whether a batch must have the column (False for the target: labels arrive later).
    nullable
        Whether the baseline had nulls; if False any null is reported.
    null_rate, rows
        Baseline null share and the number of rows it came from (the noise level of the null check).
    lower, upper
        Allowed numeric range: the baseline's 1%-99% quantiles widened by ``tolerance`` times their
        spread, and never narrower than the baseline's own min and max.
    quantiles
        Baseline quantiles (keys ``p0`` ... ``p100``) for distribution matching.
    categories
        Allowed values with their baseline share (None: too many to list, only cardinality is checked).
    unseen_rate
        Expected share of unseen values in a new batch (Good-Turing: baseline singletons / rows).
    cardinality, max_cardinality
        Distinct values in the baseline, and the most a batch may have.
    unique
        Whether values must be unique (identifiers).
    timezone, start, end, allow_future
        Datetime columns: time zone (None = naive), baseline span (ISO), and whether values after
        the validation time are allowed (learned: True if the baseline already had such values).
    """

    name: str
    role: str = "feature"
    kind: Kind = Kind.NUMERIC
    type: str = "float"
    dtype: str = "float64"
    required: bool = True
    nullable: bool = False
    null_rate: float = 0.0
    rows: int = 0
    lower: float | None = None
    upper: float | None = None
    quantiles: dict[str, float] | None = None
    categories: dict[Any, float] | None = None
    unseen_rate: float | None = None
    cardinality: int | None = None
    max_cardinality: int | None = None
    unique: bool | None = None
    timezone: str | None = None
    start: str | None = None
    end: str | None = None
    allow_future: bool | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"column {self.name!r}: role must be one of {list(ROLES)}; got {self.role!r}")
        try:
            object.__setattr__(self, "kind", Kind(self.kind))
        except ValueError:
            raise ValueError(
                f"column {self.name!r}: kind must be one of {[k.value for k in Kind]}; got {self.kind!r}"
            ) from None
        if self.type not in TYPES:
            raise ValueError(f"column {self.name!r}: type must be one of {list(TYPES)}; got {self.type!r}")
        if not 0.0 <= float(self.null_rate) <= 1.0:
            raise ValueError(f"column {self.name!r}: null_rate must be in [0, 1]; got {show(self.null_rate)}")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(
                f"column {self.name!r}: lower ({self.lower}) is above upper ({self.upper}); swap them"
            )

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain dict without the name and without unset (None) fields."""
        out: dict = {}
        for field in dataclasses.fields(self):
            if field.name == "name":
                continue
            value = getattr(self, field.name)
            if value is None:
                continue
            out[field.name] = value.value if isinstance(value, Kind) else value
        return out

    @classmethod
    def from_dict(cls, name: str, data: dict, *, source: str = "contract") -> "ColumnRule":
        """A rule from a mapping read from YAML; :class:`~toolkit.ConfigError` names ``source``, the column and key."""
        where = f"{source}: columns.{name}"
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping of rule fields (kind, lower, upper, ...); got {show(data)}")
        fields = [f.name for f in dataclasses.fields(cls) if f.name != "name"]
        unknown = sorted((k for k in data if k not in fields), key=str)
        if unknown:
            raise ConfigError(f"{where}: unknown rule field(s) {unknown}; valid fields are {fields}")
        data = dict(data)
        for key in ("lower", "upper", "null_rate", "unseen_rate"):
            if data.get(key) is not None:
                data[key] = config_number(f"{where}.{key}", data[key])
        for key in ("rows", "cardinality", "max_cardinality"):
            if data.get(key) is not None:
                data[key] = config_number(f"{where}.{key}", data[key], integer=True)
        for key in ("required", "nullable", "unique", "allow_future"):
            if data.get(key) is not None and not isinstance(data[key], bool):
                raise ConfigError(f"{where}.{key}: {show(data[key])} is not allowed; use true or false")
        for key in ("categories", "quantiles"):
            if data.get(key) is not None and not isinstance(data[key], dict):
                raise ConfigError(f"{where}.{key}: expected a mapping of value -> share; got {show(data[key])}")
        if data.get("quantiles"):
            data["quantiles"] = {k: config_number(f"{where}.quantiles.{k}", v) for k, v in data["quantiles"].items()}
        if data.get("categories"):
            for value, share in data["categories"].items():
                config_number(f"{where}.categories.{value}", share)
        for key in ("kind", "role", "type"):
            if key in data and not isinstance(data[key], str):
                data[key] = show(data[key])
        try:
            return cls(name=str(name), **data)
        except (ValueError, TypeError) as err:
            text = str(err)
            prefix = f"column {str(name)!r}: "
            raise ConfigError(f"{where}.{text[len(prefix):] if text.startswith(prefix) else text}") from None


@dataclasses.dataclass(frozen=True)
class RowCountRule:
    """Expected batch size.

    Parameters
    ----------
    expected
        Typical rows per batch, or per ``per`` period when ``per`` is set (then scaled by the
        batch's own time span, at least one period).
    tolerance
        A batch with fewer than ``expected / tolerance`` or more than ``expected * tolerance`` rows is reported.
    per
        Pandas frequency alias (``"W"``, ``"D"``) the expectation refers to, or None for a fixed batch size.
    """

    expected: float
    tolerance: float = 3.0
    per: str | None = None

    def __post_init__(self) -> None:
        if not self.expected > 0:
            raise ValueError(f"rows.expected must be > 0; got {show(self.expected)}")
        if not self.tolerance >= 1:
            raise ValueError(f"rows.tolerance must be >= 1 (a factor); got {show(self.tolerance)}")
        if self.per is not None:
            try:
                ok = isinstance(self.per, str) and pd.Timedelta(self.per) > pd.Timedelta(0)
            except (ValueError, TypeError):
                ok = False
            if not ok:
                raise ValueError(f"rows.per: {show(self.per)} is not a period; use a pandas timedelta such as '7D' or '1h'")

    def to_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "contract") -> "RowCountRule":
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: rows: expected a mapping with expected, tolerance, per; got {show(data)}")
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted((k for k in data if k not in fields), key=str)
        if unknown:
            raise ConfigError(f"{source}: rows: unknown field(s) {unknown}; valid fields are {fields}")
        data = dict(data)
        for key in ("expected", "tolerance"):
            if key in data:
                data[key] = config_number(f"{source}: rows.{key}", data[key])
        if data.get("per") is not None and not isinstance(data["per"], str):
            raise ConfigError(f"{source}: rows.per: {show(data['per'])} is not a period; use e.g. '7D' or '1D'")
        try:
            return cls(**data)
        except (ValueError, TypeError) as err:
            raise ConfigError(f"{source}: {err}") from None


def config_number(key: str, value: Any, *, integer: bool = False) -> float | int:
    """``value`` as a finite-or-infinite number, else a ConfigError naming ``key`` (``lower: abc``)."""
    raw = value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, str):
            try:
                value = float(value)  # YAML reads 1e-4 without a dot as text
            except ValueError:
                value = None
        else:
            value = None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{key}: {show(raw)} is not {kind}; write {kind} such as {'100' if integer else '0.5'}")
    if integer:
        if float(value) != int(value):
            raise ConfigError(f"{key}: {show(value)} is not a whole number")
        return int(value)
    return float(value)


# -- helpers -------------------------------------------------------------------------------------
def python_scalar(value: Any) -> Any:
    """A YAML-safe Python scalar for a numpy/pandas scalar (str for anything exotic)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def dtype_family(values: pd.Series) -> str:
    """Value family of a Series: one of :data:`TYPES` (object columns are inspected)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pd.api.types.is_string_dtype(dtype) and dtype != object:
        return "string"
    sample = values.dropna()
    if sample.empty:
        return "empty"
    inferred = pd.api.types.infer_dtype(sample.iloc[:10_000], skipna=True)
    return {
        "string": "string", "unicode": "string", "bytes": "string",
        "integer": "integer", "floating": "float", "mixed-integer-float": "float", "decimal": "float",
        "boolean": "boolean", "datetime": "datetime", "datetime64": "datetime", "date": "datetime",
        "timedelta": "timedelta", "timedelta64": "timedelta",
    }.get(inferred, "mixed")


def _round_out(value: float, down: bool, digits: int = 4) -> float:
    """Round to ``digits`` significant digits, away from the data (down for lower bounds)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    scale = 10 ** (digits - 1 - math.floor(math.log10(abs(value))))
    try:
        rounded = (math.floor if down else math.ceil)(value * scale) / scale
        # float error can land a hair inside: step once more outward if needed
        if (down and rounded > value) or (not down and rounded < value):
            rounded = (math.floor if down else math.ceil)(value * scale + (-1 if down else 1)) / scale
    except OverflowError:  # subnormal values (1e-309): the scale leaves the float range; keep the value exactly
        return float(value)
    return float(rounded)


def _signif(value: float, digits: int = 6) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def numeric_values(values: pd.Series) -> np.ndarray:
    """Float array of a column's values (formatted strings parsed, NaN where not a number)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64").to_numpy()
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return coerce_numeric(values).to_numpy(dtype="float64", na_value=np.nan)


def _numeric_fields(values: pd.Series, role: str, tolerance: float) -> dict:
    arr = numeric_values(values)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return {}
    q = np.quantile(finite, QUANTILE_LEVELS)
    lo, hi = float(q[0]), float(q[-1])
    q01, q99 = float(np.quantile(finite, 0.01)), float(np.quantile(finite, 0.99))
    spread = q99 - q01 or hi - lo or max(abs(float(np.median(finite))), 1.0)
    widen = tolerance * spread if tolerance else 0.0
    lower = min(lo, q01 - widen)
    upper = max(hi, q99 + widen)
    if lo >= 0:  # a sign the baseline never crossed stays a bound
        lower = max(lower, 0.0)
    if not (math.isfinite(lower) and math.isfinite(upper)):
        pass
    elif np.all(np.mod(finite, 1) == 0):
        lower, upper = float(math.floor(lower)), float(math.ceil(upper))
    else:
        lower, upper = _round_out(lower, down=True), _round_out(upper, down=False)
    lower, upper = min(lower, lo), max(upper, hi)
    if role == "score" and lo >= 0 and hi <= 1:  # a probability: its domain is the rule; shifts inside are drift
        lower, upper = 0.0, 1.0
    if np.isneginf(arr).any():
        lower = -math.inf
    if np.isposinf(arr).any():
        upper = math.inf
    return {
        "lower": lower, "upper": upper,
        "quantiles": {k: _signif(float(v)) for k, v in zip(QUANTILE_KEYS, q)},
    }


def _category_fields(values: pd.Series, max_categories: int) -> dict:
    non_null = values.dropna()
    if isinstance(non_null.dtype, pd.CategoricalDtype):
        non_null = non_null.astype(non_null.dtype.categories.dtype)
    try:
        counts = non_null.value_counts(sort=True)
    except TypeError:  # unhashable values (lists, dicts): compare their text
        counts = non_null.astype(str).value_counts(sort=True)
    n = int(counts.sum())
    cardinality = int(len(counts))
    out: dict = {
        "cardinality": cardinality,
        "max_cardinality": max(2 * cardinality, cardinality + 10),
        "unseen_rate": round(float((counts == 1).sum()) / n, 6) if n else 0.0,
    }
    if cardinality <= max_categories:
        cats: dict = {}
        for value, count in counts.items():
            key = python_scalar(value)
            cats[key] = cats.get(key, 0.0) + round(float(count) / n, 6)
        out["categories"] = cats
    return out


def _datetime_fields(values: pd.Series, now: pd.Timestamp) -> dict:
    tz = getattr(values.dtype, "tz", None)
    non_null = values.dropna()
    out: dict = {"timezone": str(tz) if tz is not None else None}
    if non_null.empty:
        return out
    start, end = non_null.min(), non_null.max()
    end_utc = end.tz_convert("UTC") if end.tzinfo is not None else end.tz_localize("UTC")
    out.update(start=start.isoformat(), end=end.isoformat(), allow_future=bool(end_utc > now))
    return out


def infer_rule(
    values: pd.Series,
    *,
    name: str,
    kind: Kind,
    role: str,
    tolerance: float = 0.25,
    max_categories: int = MAX_CATEGORIES,
    now: pd.Timestamp | None = None,
) -> ColumnRule:
    """Learn the rule for one reference column (see :class:`ColumnRule` for what is learned)."""
    n = int(len(values))
    nulls = int(values.isna().sum())
    fields: dict = {
        "name": name, "role": role, "kind": kind, "type": dtype_family(values), "dtype": str(values.dtype),
        "required": role != "target", "nullable": nulls > 0, "null_rate": nulls / n if n else 0.0, "rows": n,
    }
    if kind is Kind.NUMERIC:
        fields.update(_numeric_fields(values, role, tolerance))
    elif kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        fields.update(_category_fields(values, max_categories))
    elif kind is Kind.DATETIME and pd.api.types.is_datetime64_any_dtype(values.dtype):
        fields.update(_datetime_fields(values, now if now is not None else pd.Timestamp.now(tz="UTC")))
    if kind is Kind.IDENTIFIER or role == "id":
        non_null = values.dropna()
        fields["unique"] = bool(not non_null.duplicated().any())
    return ColumnRule(**fields)
