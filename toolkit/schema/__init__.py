"""Schema contracts: catch upstream breaks loudly, before they reach the model.

:func:`infer_contract` learns what a baseline promises (per column: role, kind, type, nulls,
range, categories, uniqueness, timestamps; and the usual batch size). :meth:`Contract.validate`
holds a batch to it and reports every failure at once, including what plain validators miss:
a renamed column (paired by name and by distribution, even when numbers now arrive as "$54.20"),
null-rate spikes beyond the baseline's sampling noise, and the exact repair. :func:`guard` is the
pipeline form: passed rows, quarantined rows with a reason, and an exception past a failure share.

>>> import pandas as pd
>>> import toolkit as tk
>>> reference = pd.DataFrame({"login_days": [1.5, 3.0, None, 7.25] * 50, "plan": ["basic", "plus"] * 100})
>>> contract = tk.infer_contract(reference)              # save it with contract.save("model.contract.yaml")
>>> batch = reference.assign(login_days=[None, None, None, 2.0] * 50)
>>> contract.validate(batch).failures[["column", "check", "severity", "observed"]].values.tolist()
[['login_days', 'null_rate', 'error', '75% null (150 rows)']]
"""
from __future__ import annotations

from .codes import Check, Severity
from .contract import DEFAULT_ERROR_SHARE, Contract, infer_contract
from .guarding import GuardResult, guard
from .repair import CoerceDatetime, CoerceNumeric, Fix, Rename
from .result import SchemaError, ValidationResult
from .over_time import WindowValidation, validate_windows
from .rules import ColumnRule, RowCountRule

__all__ = [
    "infer_contract", "Contract", "ValidationResult", "SchemaError", "guard", "GuardResult",
    "Check", "Severity", "ColumnRule", "RowCountRule", "Rename", "CoerceNumeric", "CoerceDatetime", "Fix",
    "DEFAULT_ERROR_SHARE", "validate_windows", "WindowValidation",
]
