"""Stable codes for schema checks and their severities.

Callers branch on these codes, never on message text:

>>> from toolkit.schema.codes import Check, Severity
>>> Check.SUSPECTED_RENAME.value
'suspected_rename'
>>> Severity.ERROR > Severity.WARNING > Severity.INFO
True
"""
from __future__ import annotations

import enum

__all__ = ["Check", "Severity", "ROW_LEVEL"]


class Check(str, enum.Enum):
    """What a failure is about. The values are the stable ``check`` names of ``failures``."""

    MISSING_COLUMN = "missing_column"
    UNEXPECTED_COLUMN = "unexpected_column"
    SUSPECTED_RENAME = "suspected_rename"
    DTYPE_CHANGE = "dtype_change"
    NULL_RATE = "null_rate"
    OUT_OF_RANGE = "out_of_range"
    UNSEEN_CATEGORY = "unseen_category"
    CARDINALITY = "cardinality"
    DUPLICATE_ID = "duplicate_id"
    TIMESTAMP = "timestamp"
    ROW_COUNT = "row_count"

    def __str__(self) -> str:
        return self.value


#: Checks that blame individual rows (``guard`` quarantines those rows); the others blame a column or the batch.
ROW_LEVEL = frozenset(
    {Check.DTYPE_CHANGE, Check.NULL_RATE, Check.OUT_OF_RANGE, Check.UNSEEN_CATEGORY, Check.DUPLICATE_ID,
     Check.TIMESTAMP}
)

_RANK = {"info": 0, "warning": 1, "error": 2}


class Severity(str, enum.Enum):
    """How bad a failure is: ``error`` makes ``ok`` False; ``warning`` and ``info`` do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __str__(self) -> str:
        return self.value
