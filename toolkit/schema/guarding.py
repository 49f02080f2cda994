"""guard: the pipeline form of a contract. Rows that pass go on; failing rows are quarantined with a reason.

Nothing is dropped silently: ``len(passed) + len(quarantined) == len(batch)``, and the guard
raises :class:`~toolkit.schema.result.SchemaError` when the failing share is above the limit or
when the batch breaks the contract at column level (a missing or renamed column, a type the model
cannot read, a null-rate spike): rows cannot be blamed for those.

>>> import pandas as pd
>>> import toolkit as tk
>>> ref = pd.DataFrame({"age": list(range(18, 88)) * 2, "plan": ["a", "b"] * 70})
>>> contract = tk.infer_contract(ref)
>>> batch = pd.DataFrame({"age": [30, 40, 400, 50], "plan": ["a", "b", "a", "zz"]})
>>> out = tk.guard(batch, contract, max_failure_share=0.6)
>>> len(out.passed), out.quarantined["reason"].tolist()
(2, ['out_of_range: age=400 outside [1, 104]', "unseen_category: plan='zz' not a baseline value"])
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._checks import check_number
from .._html import SEVERITY_COLOURS, card, frame_to_html
from .checks import BATCH
from .codes import Check
from .contract import Contract
from .result import SchemaError, ValidationResult
from ..results import Result

__all__ = ["guard", "GuardResult", "SourceGuardResult", "free_name"]


@dataclasses.dataclass(frozen=True, eq=False)
class GuardResult(Result):
    """Outcome of :func:`guard`.

    Attributes
    ----------
    passed
        Rows that pass every row-level check (original index kept).
    quarantined
        Failing rows (original index kept) with a ``reason`` column naming each failed check and column
        (``quarantine_reason`` if the batch already has a ``reason`` column, then ``quarantine_reason_2``...:
        no input column is ever overwritten). ``reason_column`` says which.
    validation
        The full :class:`ValidationResult` of the batch.
    """

    passed: pd.DataFrame
    quarantined: pd.DataFrame
    validation: ValidationResult
    reason_column: str = "reason"

    @property
    def failure_share(self) -> float:
        """Share of the batch's rows that were quarantined."""
        n = len(self.passed) + len(self.quarantined)
        return len(self.quarantined) / n if n else 0.0

    def reasons(self) -> pd.DataFrame:
        """Quarantined rows per reason (one row per distinct reason text), most frequent first."""
        counts = self.quarantined[self.reason_column].value_counts()
        return pd.DataFrame({"reason": counts.index.astype(object), "rows": counts.to_numpy()})

    def to_frame(self) -> pd.DataFrame:
        """Rows per outcome: one ``passed`` row, then one row per quarantine reason (``outcome, reason, rows``)."""
        reasons = self.reasons()
        return pd.concat([pd.DataFrame({"outcome": ["passed"], "reason": [""], "rows": [len(self.passed)]}),
                          reasons.assign(outcome="quarantined")[["outcome", "reason", "rows"]]], ignore_index=True)

    def chart(self):
        """Rows passed and quarantined per reason (horizontal bars)."""
        import altair as alt

        from ..charts import PALETTE, themed

        frame = self.to_frame().assign(label=lambda f: f["reason"].where(f["outcome"] != "passed", "passed"))
        bars = alt.Chart(frame).mark_bar().encode(
            y=alt.Y("label:N", sort="-x", title=None),
            x=alt.X("rows:Q", title="Rows"),
            color=alt.Color("outcome:N", scale=alt.Scale(domain=["passed", "quarantined"],
                                                         range=[PALETTE["ok"], PALETTE["drifted"]]),
                            title=None),
            tooltip=["outcome:N", "reason:N", alt.Tooltip("rows:Q", format=",")],
        )
        return themed(bars, title=f"Schema guard: {self.failure_share:.2%} of rows quarantined")

    def __repr__(self) -> str:
        return (f"GuardResult(passed={len(self.passed):,}, quarantined={len(self.quarantined):,} "
                f"({self.failure_share:.2%}), ok={self.validation.ok})")

    def to_html(self) -> str:
        colour = SEVERITY_COLOURS["warning" if len(self.quarantined) else "ok"]
        body = frame_to_html(self.reasons()) if len(self.quarantined) else "<p>No row quarantined.</p>"
        headline = (f"{len(self.passed):,} rows passed, {len(self.quarantined):,} quarantined "
                    f"({self.failure_share:.2%})")
        return card("Schema guard", body + self.validation.to_html(), headline=headline, colour=colour)


@dataclasses.dataclass(frozen=True, eq=False)
class SourceGuardResult(Result):
    """Outcome of :func:`guard` on a source: the split written to Parquet by the engine, and counted.

    Attributes
    ----------
    passed_path, quarantined_path
        The Parquet files written (the quarantined rows carry ``reason_column``).
    rows, n_passed, n_quarantined
        Input rows and the rows counted in each written file (``n_passed + n_quarantined == rows``).
    reason_counts
        Quarantined rows per reason text (``reason, rows``), most frequent first.
    validation
        The :class:`ValidationResult` of the whole source (computed in the engine).
    covered
        ``(column, check)`` pairs whose failing rows were quarantined.
    """

    passed_path: str
    quarantined_path: str
    rows: int
    n_passed: int
    n_quarantined: int
    reason_counts: pd.DataFrame
    validation: ValidationResult
    reason_column: str = "reason"
    covered: frozenset = frozenset()

    @property
    def failure_share(self) -> float:
        return self.n_quarantined / self.rows if self.rows else 0.0

    def reasons(self) -> pd.DataFrame:
        return self.reason_counts.copy()

    def to_frame(self) -> pd.DataFrame:
        """Rows per outcome: one ``passed`` row, then one row per quarantine reason (``outcome, reason, rows``)."""
        return pd.concat([pd.DataFrame({"outcome": ["passed"], "reason": [""], "rows": [self.n_passed]}),
                          self.reason_counts.assign(outcome="quarantined")[["outcome", "reason", "rows"]]],
                         ignore_index=True)

    def __repr__(self) -> str:
        return (f"SourceGuardResult(passed={self.n_passed:,} -> {self.passed_path!r}, quarantined="
                f"{self.n_quarantined:,} ({self.failure_share:.2%}) -> {self.quarantined_path!r}, ok={self.validation.ok})")

    def to_html(self) -> str:
        colour = SEVERITY_COLOURS["warning" if self.n_quarantined else "ok"]
        body = frame_to_html(self.reason_counts) if self.n_quarantined else "<p>No row quarantined.</p>"
        headline = (f"{self.n_passed:,} rows passed, {self.n_quarantined:,} quarantined "
                    f"({self.failure_share:.2%}); written by the engine")
        return card("Schema guard", body + self.validation.to_html(), headline=headline, colour=colour)


def guard(batch, contract: Contract, *, max_failure_share: float = 0.05,
          strict_columns: bool = True, now: object = None, after: object = None, passed=None, quarantined=None,
          engine: str = "auto"):
    """Split ``batch`` into rows that pass the contract's row-level checks and quarantined rows.

    Parameters
    ----------
    batch
        The new data.
    contract
        The :class:`Contract` to hold it to.
    max_failure_share
        Raise :class:`SchemaError` when more than this share of rows fails (the quarantine is then
        on the exception's ``.guard``).
    strict_columns
        Also raise on column-level errors (missing or renamed column, unreadable type, lost time
        zone, null-rate spike). Repair first with ``contract.repair(batch)``.
    now, after
        As in :meth:`Contract.validate`.
    passed, quarantined
        For a batch where it lives (Parquet/CSV files, a DuckDB relation, a Spark DataFrame): where
        the engine writes the passing and the quarantined rows (with the reason column), without
        loading them into pandas: one Parquet file each with DuckDB, a Parquet folder of part files
        each with Spark. The written output is counted: passed + quarantined must equal the input's
        rows, else :class:`RuntimeError`.
    engine
        'auto', 'duckdb' or 'spark' for a source (see :meth:`Contract.validate`).

    Returns
    -------
    GuardResult or SourceGuardResult
        ``passed``, ``quarantined`` (with ``reason``) and the ``validation``; for a source the
        paths written, the row counts and the rows per reason.
    """
    if not isinstance(contract, Contract):
        raise TypeError(f"contract must be a toolkit Contract (from tk.infer_contract or Contract.load); "
                        f"got {type(contract).__name__}")
    check_number("max_failure_share", max_failure_share, low=0, high=1, hint=" (a share of the batch's rows)")
    if not isinstance(batch, pd.DataFrame) and (passed is not None or quarantined is not None or engine != "auto"):
        from ..engines import guard_source

        out = guard_source(batch, contract, passed=passed, quarantined=quarantined, now=now, after=after,
                           engine=engine)
        _verdict(out, out.validation, out.rows, out.n_quarantined, out.covered, max_failure_share, strict_columns)
        return out
    if not isinstance(batch, pd.DataFrame):
        from ..engines import is_source

        if is_source(batch):
            raise ValueError("guard on files or a table writes its split back where the data lives: pass "
                             "passed='passed.parquet' and quarantined='quarantined.parquet' (or read the batch "
                             "into pandas first with toolkit.read(path))")
    result, masks = contract._validate(batch, now=now, after=after, collect_rows=True)
    n = len(batch)
    failing = np.zeros(n, dtype=bool)
    for _, _, mask, _, _ in masks:
        failing |= mask
    rows = np.flatnonzero(failing)
    reasons = np.full(len(rows), "", dtype=object)
    for column, check, mask, detail, values in masks:
        hit = np.flatnonzero(mask)
        at = np.searchsorted(rows, hit)
        if values is None:
            pieces = [f"{check.value}: {column!r} {detail}"] * len(hit)
        else:
            shown = values.iloc[hit] if isinstance(values, pd.Series) else values[hit]
            pieces = [f"{check.value}: {column}={_short(v)} {detail}" for v in shown]
        reasons[at] = [f"{r}; {p}" if r else p for r, p in zip(reasons[at], pieces)]
    reason_column = free_name(batch.columns, "reason", "quarantine_reason")
    passed_rows = batch.iloc[np.flatnonzero(~failing)]
    quarantined_rows = batch.iloc[rows].copy()
    quarantined_rows[reason_column] = pd.Series(reasons, index=quarantined_rows.index, dtype=object)
    out = GuardResult(passed=passed_rows, quarantined=quarantined_rows, validation=result, reason_column=reason_column)
    covered = {(col, check.value) for col, check, _, _, _ in masks if check is not Check.DTYPE_CHANGE}
    _verdict(out, result, n, len(rows), covered, max_failure_share, strict_columns)
    return out


def _verdict(out, result: ValidationResult, n: int, n_failing: int, covered: set, max_failure_share: float,
             strict_columns: bool) -> None:
    """Raise :class:`SchemaError` (the split on ``.guard``) for an empty batch, too many failing rows, or a
    column-level error no row can be blamed for."""
    if n == 0 and strict_columns:
        raise SchemaError(result, headline=(
            "guard: the batch has 0 rows, so there is nothing to pass or quarantine: a broken extract or the wrong "
            "partition? Check the source of the batch (or pass strict_columns=False to get an empty result)"),
            guard=out)
    share = n_failing / n if n else 0.0
    if share > max_failure_share:
        raise SchemaError(result, headline=(
            f"guard: {n_failing:,} of {n:,} rows ({share:.2%}) fail row-level checks, above "
            f"max_failure_share={max_failure_share:g}; the split is on this exception's .guard"), guard=out)
    if strict_columns:
        errors = result.errors
        column_level = errors[[(c, k) not in covered for c, k in zip(errors["column"], errors["check"])]]
        if len(column_level):
            names = ", ".join(f"{k} of the batch" if c == BATCH else f"{k} on {c!r}"
                              for c, k in zip(column_level["column"], column_level["check"]))
            raise SchemaError(result, headline=(
                f"guard: the batch breaks the contract at column level ({names}); rows cannot be blamed. "
                "Repair with contract.repair(batch) or pass strict_columns=False"), guard=out)


def _short(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:59] + "…"


def free_name(columns, *candidates: str) -> str:
    """The first of ``candidates`` (then ``<last>_2``, ``_3``...) that is not a column: inputs are never overwritten."""
    taken = {str(c) for c in columns}
    for name in candidates:
        if name not in taken:
            return name
    k = 2
    while f"{candidates[-1]}_{k}" in taken:
        k += 1
    return f"{candidates[-1]}_{k}"
