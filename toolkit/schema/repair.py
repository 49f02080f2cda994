"""Repairs a validation can suggest: the exact rename or coercion, as small dataclasses.

Each fix knows how to apply itself to a frame; :func:`apply_fixes` applies renames first, then
coercions, on a copy. Nothing is applied unless asked (``contract.repair(batch)``).

>>> import pandas as pd
>>> frame = pd.DataFrame({"price_usd": ["$54.20", "1,234"]})
>>> fixed = apply_fixes(frame, [Rename("price_usd", "price"), CoerceNumeric("price", parse_rate=1.0)])
>>> fixed["price"].tolist()
[54.2, 1234.0]
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._checks import preview
from ..kinds import coerce_numeric

__all__ = ["NAME_EVIDENCE", "Fix", "Rename", "CoerceNumeric", "CoerceDatetime", "apply_fixes"]


def _need(frame: pd.DataFrame, column: str, fix: object) -> None:
    if column not in frame.columns:
        raise KeyError(
            f"cannot apply {fix}: the frame has no column {column!r} (it has {preview(frame.columns)}); "
            "apply the fixes to the batch they were suggested for"
        )


#: Name similarity (0..1) from which a suspected rename counts as having name evidence and is
#: repaired automatically; below it (``'p' -> 'age'``: 0.0) the values alone paired the columns,
#: which two unrelated columns of similar scale can do, so a person must confirm it.
NAME_EVIDENCE = 0.5


@dataclasses.dataclass(frozen=True)
class Rename:
    """Rename batch column ``old`` back to the contract's ``new``.

    ``name_similarity`` and ``distribution_match`` (0..1) are the evidence for the pairing. A
    rename built by hand (no evidence given) counts as confirmed.

    >>> Rename("price_usd", "price", 0.71, 0.98).confirmed, Rename("p", "age", 0.0, 0.95).confirmed
    (True, False)
    """

    old: str
    new: str
    name_similarity: float = float("nan")
    distribution_match: float = float("nan")

    kind = "rename"

    @property
    def confirmed(self) -> bool:
        """True when the names themselves support the pairing (or the rename was given by hand)."""
        return bool(np.isnan(self.name_similarity) or self.name_similarity >= NAME_EVIDENCE)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        _need(frame, self.old, self)
        if self.new in frame.columns:
            raise ValueError(f"cannot apply {self}: the frame already has a column {self.new!r}")
        return frame.rename(columns={self.old: self.new})

    def __str__(self) -> str:
        return f"rename {self.old!r} -> {self.new!r}"


@dataclasses.dataclass(frozen=True)
class CoerceNumeric:
    """Parse ``column``'s formatted strings ("$54.20", "1,234") as numbers.

    ``parse_rate`` is the share of non-null values that parse; the others become NaN.
    ``dtype`` is the contract's dtype: integers are restored when every value is integral.
    """

    column: str
    parse_rate: float
    dtype: str = "float64"

    kind = "coerce_numeric"

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        _need(frame, self.column, self)
        values = coerce_numeric(frame[self.column])
        if self.dtype.lower().startswith(("int", "uint")):
            finite = values.dropna()
            if len(finite) and bool(np.all(np.mod(finite.to_numpy(), 1) == 0)):
                values = values.astype(self.dtype if values.notna().all() else "Int64")
        return frame.assign(**{self.column: values})

    def __str__(self) -> str:
        return f"coerce {self.column!r} to numbers ({self.parse_rate:.1%} parse)"


@dataclasses.dataclass(frozen=True)
class CoerceDatetime:
    """Parse ``column``'s strings as timestamps, in the contract's ``timezone`` (None = naive)."""

    column: str
    parse_rate: float
    timezone: str | None = None

    kind = "coerce_datetime"

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        _need(frame, self.column, self)
        values = pd.to_datetime(frame[self.column], errors="coerce", utc=True)
        values = values.dt.tz_convert(self.timezone) if self.timezone else values.dt.tz_localize(None)
        return frame.assign(**{self.column: values})

    def __str__(self) -> str:
        return f"parse {self.column!r} as timestamps ({self.parse_rate:.1%} parse)"


Fix = Rename | CoerceNumeric | CoerceDatetime


def apply_fixes(frame: pd.DataFrame, fixes: Iterable[Fix]) -> pd.DataFrame:
    """Apply ``fixes`` to a copy of ``frame``: renames first, then coercions."""
    fixes = list(fixes)
    bad = [f for f in fixes if not isinstance(f, (Rename, CoerceNumeric, CoerceDatetime))]
    if bad:
        raise TypeError(
            f"fixes must be Rename, CoerceNumeric or CoerceDatetime objects (from result.suggested_fixes); "
            f"got {preview(bad)}"
        )
    out = frame.copy()
    for fix in sorted(fixes, key=lambda f: 0 if isinstance(f, Rename) else 1):
        out = fix.apply(out)
    return out
