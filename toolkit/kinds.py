"""Logical column kinds, inferred from data.

The kind decides which statistics and checks apply to a column. The rules, in order:

1. all values missing: ``empty``; booleans: ``boolean``; datetimes: ``datetime``; a pandas
   ``category`` dtype: ``categorical``;
2. **numbers** (or strings of which at least 95% parse as numbers, "$1,234.50" included):
   ``numeric``, including integer counts such as a Poisson(2) feature -- integers have a natural
   order, and the kind must not depend on how many distinct values a sample happened to show (a
   "at most 10 distinct integers means categorical" rule flipped a Poisson(2) column between
   kinds in 79 of 250 samples). The one exception is a 0/1 flag (integer values within {0, 1}),
   which is ``categorical``;
3. other strings: ``identifier`` when more than 50 distinct values make up more than half of
   the rows (``text`` if they are long or have spaces), else ``categorical``.

Integer codes that are really labels (a region code 1-9, a rating read as a level) are declared:
``kinds={"region": "categorical"}`` or in the spec.

Examples
--------
>>> import pandas as pd
>>> from toolkit.kinds import infer_kind
>>> infer_kind(pd.Series([0, 1, 1, 0])).value
'categorical'
>>> infer_kind(pd.Series([0, 3, 1, 2, 2])).value   # counts keep their order
'numeric'
>>> infer_kind(pd.Series([1.5, 2.25, float("inf"), 3.0] * 10)).value
'numeric'
>>> infer_kind(pd.Series(["$1.20", "3.40", "5"] * 10)).value
'numeric'
"""
from __future__ import annotations

import enum
import re

import numpy as np
import pandas as pd

__all__ = ["Kind", "infer_kind", "coerce_numeric", "looks_like_identifier", "MAX_CATEGORICAL_INTEGERS"]

#: Kept for compatibility: integer columns are no longer made categorical by their number of
#: distinct values (see the module rules); only 0/1 flags are.
MAX_CATEGORICAL_INTEGERS = 10
#: A string column whose distinct share is above this (and with > 50 distinct values) is an identifier.
IDENTIFIER_DISTINCT_SHARE = 0.5
#: Share of non-null object values that must parse as numbers for the column to count as numeric.
NUMERIC_PARSE_SHARE = 0.95

_NUMBER_FORMATTING = re.compile(r"[\s$€£¥,%_]")


class Kind(str, enum.Enum):
    """Logical kind of a column."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    IDENTIFIER = "identifier"
    TEXT = "text"
    EMPTY = "empty"

    @property
    def skipped(self) -> bool:
        """True for kinds that drift and range checks skip (with a note)."""
        return self in (Kind.IDENTIFIER, Kind.TEXT, Kind.EMPTY)


def coerce_numeric(values: pd.Series) -> pd.Series:
    """Parse numbers that arrive as formatted strings ("$54.20", "1,234", "12%").

    Returns a float Series; values that do not parse become NaN.

    >>> coerce_numeric(pd.Series(["$54.20", "1,234", "n/a", None])).tolist()
    [54.2, 1234.0, nan, nan]
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.astype("string").str.replace(_NUMBER_FORMATTING, "", regex=True)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _is_integral(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool(np.all(np.mod(finite, 1) == 0))


def _is_flag(values: np.ndarray) -> bool:
    """Integer values within {0, 1} (a 0/1 flag): the one integer shape inferred categorical."""
    finite = values[np.isfinite(values)]
    return finite.size > 0 and finite.size == values.size and bool(np.all((finite == 0) | (finite == 1)))


def infer_kind(values: pd.Series) -> Kind:
    """Infer the logical :class:`Kind` of one column from its values."""
    dtype = values.dtype
    non_null = values.dropna()
    if non_null.empty:
        return Kind.EMPTY
    if pd.api.types.is_bool_dtype(dtype):
        return Kind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return Kind.DATETIME
    if isinstance(dtype, pd.CategoricalDtype):
        return Kind.CATEGORICAL
    if pd.api.types.is_numeric_dtype(dtype):
        as_float = non_null.to_numpy(dtype="float64", na_value=np.nan)
        return Kind.CATEGORICAL if _is_flag(as_float) else Kind.NUMERIC
    # object, string[python], string[pyarrow], mixed
    if non_null.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return Kind.BOOLEAN
    parsed = coerce_numeric(non_null)
    if parsed.notna().mean() >= NUMERIC_PARSE_SHARE:
        return Kind.CATEGORICAL if _is_flag(parsed.dropna().to_numpy()) else Kind.NUMERIC
    as_text = non_null.astype(str)
    n_distinct = as_text.nunique()
    if n_distinct > 50 and n_distinct / len(as_text) > IDENTIFIER_DISTINCT_SHARE:
        if as_text.str.len().mean() > 40 or as_text.str.contains(" ").mean() > 0.5:
            return Kind.TEXT
        return Kind.IDENTIFIER
    return Kind.CATEGORICAL


#: names of row identifiers: "id", "uuid", "key"; "order_id", "Order #", "ticket no"; "id_client"; "customerId"
_ID_NAMES = (re.compile(r"^(id|uuid|guid|key)$", re.IGNORECASE),
             re.compile(r"[\s_.\-](id|uuid|guid|key|no|nr|number)$", re.IGNORECASE),
             re.compile(r"^(id|uuid|guid)[\s_.\-]", re.IGNORECASE),
             re.compile(r"[a-z0-9](Id|ID|Key|Uuid|UUID)$"),
             re.compile(r"#"))


def looks_like_identifier(name: object, values: pd.Series) -> bool:
    """True for a row identifier that values alone cannot tell from a number: an id-like name ("ID",
    "order_id", "Order #", "customerId") and every one of at least 20 values distinct, whole numbers or text.

    An integer id read as a numeric feature fails the contract's range check on every new id and drifts
    in every window; :meth:`toolkit.ModelSpec.infer` (and so ``toolkit new``) gives such a column the kind
    ``identifier`` instead (declare ``kinds: {col: numeric}`` to keep it a feature).

    >>> looks_like_identifier("ID", pd.Series(range(100, 200)))
    True
    >>> looks_like_identifier("paid", pd.Series(range(100, 300, 2)))   # a word ending in "id"
    False
    >>> looks_like_identifier("store_id", pd.Series([1, 2, 3] * 30))    # repeated: a category, not a row id
    False

    Whatever its name, a run of consecutive whole numbers (each value once, ``max - min + 1`` values, at least
    100 of them, the kind a ticket or row counter gives) is an identifier too: no measured feature looks
    like that.

    >>> looks_like_identifier("ticket", pd.Series(range(1_780_000_000, 1_780_000_500)).sample(frac=1, random_state=0))
    True
    >>> looks_like_identifier("age", pd.Series(range(18, 68)))    # a short run: could be a measure
    False
    """
    text = str(name)
    if not any(p.search(text) for p in _ID_NAMES):
        return _is_counter(values)
    present = values.dropna()
    if len(present) < 20 or not present.is_unique:
        return False
    if pd.api.types.is_bool_dtype(present.dtype) or pd.api.types.is_datetime64_any_dtype(present.dtype):
        return False
    if pd.api.types.is_numeric_dtype(present.dtype):
        return _is_integral(present.to_numpy(dtype="float64"))
    return True


def _is_counter(values: pd.Series) -> bool:
    """At least 100 distinct whole numbers filling their range exactly (a sequence number, a row counter)."""
    if len(values) < 100 or pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        return False
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    x = x[~np.isnan(x)]
    # the range first (two passes): most columns fail it, before the hashing of a uniqueness check
    if x.size < 100 or float(x.max()) - float(x.min()) + 1 != x.size or not _is_integral(x):
        return False
    return bool(pd.Series(x).is_unique)
