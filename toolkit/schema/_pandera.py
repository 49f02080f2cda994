"""Export a contract's row-level rules as a pandera schema (interop and an independent cross-check)."""
from __future__ import annotations

import warnings

from ..kinds import Kind

__all__ = ["to_pandera", "import_pandera"]


def import_pandera():
    """``pandera.pandas``, imported without the FutureWarning pyspark emits under pandas 3.

    pandera registers its pandas backends (which import ``pyspark.pandas``) on the first
    validation, so one empty validation runs here, under the same filter.
    """
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import pandera.pandas as pa

        pa.DataFrameSchema({}).validate(pd.DataFrame())
    return pa


def to_pandera(contract):
    """``pandera.DataFrameSchema`` with one Column per rule: in_range, isin, nullable, unique, required.

    Types are not pinned (pandera compares exact dtypes, so ``datetime64[us, UTC]`` from pandas 3
    would fail a ``[ns, UTC]`` rule); the toolkit compares value families instead.
    """
    pa = import_pandera()
    columns = {}
    for name, rule in contract.columns.items():
        checks = []
        if rule.kind is Kind.NUMERIC and (rule.lower is not None or rule.upper is not None):
            lo = float("-inf") if rule.lower is None else rule.lower
            hi = float("inf") if rule.upper is None else rule.upper
            checks.append(pa.Check.in_range(lo, hi))
        if rule.kind in (Kind.CATEGORICAL, Kind.BOOLEAN) and rule.categories is not None:
            checks.append(pa.Check.isin(list(rule.categories)))
        columns[name] = pa.Column(
            checks=checks, nullable=rule.nullable, unique=bool(rule.unique), required=rule.required,
            report_duplicates="exclude_first", coerce=False,
        )
    return pa.DataFrameSchema(columns, strict=False, name="toolkit contract")
