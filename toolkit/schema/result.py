"""ValidationResult (what a batch broke) and SchemaError (the loud form of it)."""
from __future__ import annotations

import dataclasses

import pandas as pd

from .._html import SEVERITY_COLOURS, card, escape, frame_to_html
from .checks import BATCH, pct
from .codes import Check, Severity
from .repair import Fix
from ..results import Result

__all__ = ["ValidationResult", "SchemaError", "FAILURE_COLUMNS", "SUMMARY_COLUMNS"]

#: Columns of ``ValidationResult.failures``, in order.
FAILURE_COLUMNS = ["column", "check", "severity", "expected", "observed", "failing_count", "failing_share",
                   "examples", "message"]
#: Columns of ``ValidationResult.summary``, in order.
SUMMARY_COLUMNS = ["column", "role", "kind", "present", "source", "status", "rows", "null_rate_reference",
                   "null_rate", "null_limit", "unseen_share", "out_of_range_share", "n_failures"]
_MAX_MESSAGE_ROWS = 40


def _label(column: object) -> str:
    """A column as quoted text; the whole batch (row count) as the word ``batch``."""
    return "batch" if column == BATCH else repr(str(column))


def _clip(text: object, width: int) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclasses.dataclass(frozen=True, eq=False)
class ValidationResult(Result):
    """Every way a batch breaks its contract, collected in one pass.

    Attributes
    ----------
    failures
        Tidy frame, one row per failure, errors first: ``column``, ``check`` (a stable code, see
        :class:`~toolkit.schema.codes.Check`), ``severity`` (error | warning | info), ``expected``,
        ``observed``, ``failing_count``, ``failing_share`` (of the batch's rows), ``examples`` (up to
        5 failing values) and ``message`` (one readable sentence).
    summary
        One row per contract column: presence, batch source name, status (worst severity or ``ok``),
        null rate in the baseline and the batch with the noise limit, unseen and out-of-range shares.
    suggested_fixes
        Exact repairs (:class:`~toolkit.schema.repair.Rename`, ``CoerceNumeric``, ``CoerceDatetime``);
        ``contract.repair(batch)`` applies them.
    rows
        Rows in the batch.
    unconfirmed_fixes
        Suspected renames without name evidence (and the coercions that assume them): shown, never
        applied by default; ``contract.repair(batch, fixes=result.unconfirmed_fixes)`` once confirmed.
    engine
        Where the checks ran: 'pandas', or 'duckdb' / 'spark' for a source (aggregates in the engine).
    sample_rows
        On a source: the size of the seeded sample the rename scores and coercion previews read
        (None when no check needed one); every count comes from all rows.

    Examples
    --------
    >>> import pandas as pd
    >>> import toolkit as tk
    >>> ref = pd.DataFrame({"plan": ["basic", "premium"] * 50, "seats": [1.5, 2.5, 3.5, 4.5] * 25})
    >>> result = tk.infer_contract(ref).validate(ref.assign(plan=["basic", "family"] * 50))
    >>> result.ok, result.failures[["column", "check", "failing_share"]].values.tolist()
    (False, [['plan', 'unseen_category', 0.5]])
    >>> result.summary[["column", "null_rate", "unseen_share", "status"]].values.tolist()[0]
    ['plan', 0.0, 0.5, 'error']
    """

    failures: pd.DataFrame
    summary: pd.DataFrame
    suggested_fixes: tuple[Fix, ...] = ()
    rows: int = 0
    unconfirmed_fixes: tuple[Fix, ...] = ()
    engine: str = "pandas"
    sample_rows: int | None = None

    # -- headline -------------------------------------------------------------------------------
    @property
    def ok(self) -> bool:
        """True when no failure has severity ``error``."""
        return not bool((self.failures["severity"] == Severity.ERROR.value).any())

    def count(self, severity: str) -> int:
        """Number of failures of one severity."""
        return int((self.failures["severity"] == Severity(severity).value).sum())

    @property
    def errors(self) -> pd.DataFrame:
        """The error-severity rows of ``failures``."""
        return self.failures[self.failures["severity"] == Severity.ERROR.value].reset_index(drop=True)

    def checks(self, check: str | Check) -> pd.DataFrame:
        """Rows of ``failures`` for one check code (``result.checks("null_rate")``)."""
        return self.failures[self.failures["check"] == Check(check).value].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """A copy of ``failures`` (the tidy failure table)."""
        return self.failures.copy()

    @property
    def headline(self) -> str:
        """One sentence: rows, passes or FAILS, and the counts per severity."""
        counts = ", ".join(
            f"{self.count(s)} {s}{'s' if self.count(s) != 1 and s != 'info' else ''}" for s in ("error", "warning", "info"))
        verdict = "passes" if self.ok else "FAILS"
        where = "" if self.engine == "pandas" else f" (checked in {self.engine}" + (
            f"; renames and coercions scored on a seeded sample of {self.sample_rows:,} rows)" if self.sample_rows
            else ")")
        return f"batch of {self.rows:,} rows {verdict} the contract{where}: {counts}"

    def __repr__(self) -> str:
        return (f"ValidationResult(ok={self.ok}, rows={self.rows:,}, errors={self.count('error')}, "
                f"warnings={self.count('warning')}, info={self.count('info')}, fixes={len(self.suggested_fixes)})")

    def message(self, max_rows: int = _MAX_MESSAGE_ROWS) -> str:
        """Every failure as one readable text block (what ``SchemaError`` shows)."""
        lines = [self.headline]
        shown = self.failures.head(max_rows)
        if len(shown):
            width = min(max(len(_label(c)) for c in shown["column"]), 32)
            for row in shown.itertuples(index=False):
                lines.append(
                    f"  {row.severity.upper():<7} {_clip(_label(row.column), width):<{width}}  "
                    f"{row.check:<17} {str(row.message or row.observed).replace(chr(10), ' ')}"
                )
        if len(self.failures) > max_rows:
            lines.append(f"  ... +{len(self.failures) - max_rows} more (see .failures)")
        if self.suggested_fixes:
            lines.append("suggested fixes (contract.repair(batch) applies them):")
            lines.extend(f"  - {fix}" for fix in self.suggested_fixes)
        if self.unconfirmed_fixes:
            lines.append("to confirm (not applied: the names share nothing; pass them to contract.repair(batch, "
                         "fixes=[...]) if right):")
            lines.extend(f"  - {fix}" for fix in self.unconfirmed_fixes)
        return "\n".join(lines)

    def raise_for_errors(self) -> "ValidationResult":
        """Raise :class:`SchemaError` if any failure is an error; else return self (for chaining)."""
        if not self.ok:
            raise SchemaError(self)
        return self

    # -- display --------------------------------------------------------------------------------
    def chart(self):
        """Null rate (baseline vs batch) and unseen / out-of-range share per column (Altair)."""
        from ..charts.schema import validation_chart

        return validation_chart(self.summary)

    def to_html(self) -> str:
        """Failures grouped by column with severity colours; every name and value escaped."""
        worst = "ok" if self.failures.empty else self.failures["severity"].iloc[0]
        colour = SEVERITY_COLOURS.get(worst, SEVERITY_COLOURS["info"])
        parts: list[str] = []
        if self.failures.empty:
            parts.append(f"<p>All checks passed on {self.rows:,} rows.</p>")
        for column, group in self.failures.groupby("column", sort=False):
            sev = group["severity"].iloc[0]
            parts.append(
                f'<h5 style="margin:8px 0 2px 0">{_badge(sev)} {escape(column)}</h5>'
                '<table class="tk-table"><tr><th>severity</th><th>check</th><th>expected</th><th>observed</th>'
                "<th>rows</th><th>share</th><th>examples</th></tr>"
            )
            for row in group.itertuples(index=False):
                examples = ", ".join(repr(v) for v in row.examples)
                parts.append(
                    f"<tr title=\"{escape(row.message)}\"><td>{_badge(row.severity)}</td><td>{escape(row.check)}</td>"
                    f"<td>{escape(row.expected)}</td><td>{escape(row.observed)}</td>"
                    f"<td>{row.failing_count:,}</td><td>{escape(pct(row.failing_share))}</td>"
                    f"<td><code>{escape(_clip(examples, 120))}</code></td></tr>"
                )
            parts.append("</table>")
        if self.suggested_fixes:
            items = "".join(f"<li><code>{escape(fix)}</code></li>" for fix in self.suggested_fixes)
            parts.append(f"<p><b>Suggested fixes</b> (<code>contract.repair(batch)</code>):</p><ul>{items}</ul>")
        if self.unconfirmed_fixes:
            items = "".join(f"<li><code>{escape(fix)}</code></li>" for fix in self.unconfirmed_fixes)
            parts.append("<p><b>To confirm</b> (not applied: the names share nothing; pass them to "
                         f"<code>contract.repair(batch, fixes=[...])</code> if right):</p><ul>{items}</ul>")
        if len(self.summary):
            parts.append("<details><summary>Per-column summary</summary>"
                         f"{frame_to_html(self.summary, max_rows=200)}</details>")
        return card("Schema validation", "".join(parts), headline=self.headline, colour=colour)


def _badge(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, "#555")
    return (f'<span style="background:{colour};color:white;border-radius:3px;padding:0 4px;'
            f'font-size:11px">{escape(severity)}</span>')


class SchemaError(Exception):
    """A batch broke its contract.

    Attributes
    ----------
    failures
        The tidy failure table (as ``ValidationResult.failures``).
    result
        The full :class:`ValidationResult` (None if raised from text only).
    guard
        The :class:`~toolkit.schema.guarding.GuardResult` when raised by ``guard`` (passed and quarantined rows).

    Examples
    --------
    >>> import pandas as pd
    >>> import toolkit as tk
    >>> ref = pd.DataFrame({"plan": ["basic", "premium"] * 50, "seats": [1.5, 2.5, 3.5, 4.5] * 25})
    >>> try:
    ...     tk.infer_contract(ref).validate(ref.drop(columns="seats"), strict=True)
    ... except tk.SchemaError as err:
    ...     print(err)
    ...     print(err.failures["check"].tolist())
    batch of 100 rows FAILS the contract: 1 error, 0 warnings, 0 info
      ERROR   'seats'  missing_column    required feature column 'seats' is missing
    ['missing_column']
    """

    def __init__(self, result: ValidationResult | str, failures: pd.DataFrame | None = None, *,
                 headline: str | None = None, guard: object = None):
        if isinstance(result, ValidationResult):
            self.result: ValidationResult | None = result
            self.failures = result.failures
            text = result.message()
        else:
            self.result = None
            self.failures = failures if failures is not None else pd.DataFrame(columns=FAILURE_COLUMNS)
            text = str(result)
        self.guard = guard
        super().__init__(f"{headline}\n{text}" if headline else text)
