"""Drift results: :class:`ColumnDrift` (one column) and :class:`DriftReport` (a dataset).

A report is a frozen object holding tidy frames; it never recomputes. Build one with
:func:`toolkit.compare`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from .._checks import preview
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html
from .statistics import DriftStatistic
from ..results import Result

__all__ = ["ColumnDrift", "DriftReport", "FRAME_COLUMNS"]

#: Columns of :meth:`DriftReport.to_frame`, in order.
FRAME_COLUMNS = [
    "column", "kind", "method", "statistic", "p_value", "p_value_adjusted", "test", "threshold",
    "threshold_basis", "min_detectable_effect", "effect", "severity", "importance", "weighted_severity",
    "drifted", "signals", "missing_share_ref", "missing_share_cur", "missing_threshold",
    "out_of_range_share", "out_of_range_threshold", "unseen_share", "unseen_threshold",
    "n_ref", "n_cur", "location", "note",
]


@dataclasses.dataclass(frozen=True)
class ColumnDrift:
    """Drift verdict for one column.

    Attributes
    ----------
    column, kind
        The column and the kind it was compared as.
    method
        The statistic that decides the distribution signal ('ks', 'tvd', ...; 'absent'/'skipped').
    statistic
        Its value (reference vs current).
    p_value, test
        p-value of the column's test (``test``: 'ks' for numeric, 'chi2' for categorical,
        'anderson' when chosen), reported beside the effect.
    p_value_adjusted
        Benjamini-Hochberg adjusted p-value across the report's columns.
    threshold, threshold_basis
        The decision threshold for ``statistic`` and whether the baseline's sampling noise
        ('calibrated'), the minimum effect ('min_effect') or the analyst ('fixed') set it.
        For p-value methods ('anderson', 'chi2') it is the minimum effect on ``effect``.
    min_detectable_effect
        The effect (in the statistic's units) this window size flags with ~80% probability.
    effect
        Effect size (the statistic itself for distances; TVD for chi2, Wasserstein for anderson).
    severity
        The largest ratio signal / threshold over the column's signals; >= 1 means drifted.
    importance, weighted_severity
        Feature importance (when given) and ``severity * importance`` used for ranking.
    drifted
        True if any signal fired (or the column is absent from current).
    signals
        Which signals fired: 'distribution', 'missing', 'out_of_range', 'unseen', 'absent'.
    missing_share_ref, missing_share_cur, missing_threshold
        Missing shares and the threshold on their absolute change.
    out_of_range_share, out_of_range_threshold
        Numeric: share of current values outside the reference's range, and its threshold.
    unseen_share, unseen_threshold
        Categorical: share of current rows in categories the reference never saw, and its threshold.
    n_ref, n_cur
        Non-missing values compared on each side.
    location
        Numeric KS: the value where the CDFs differ most.
    note
        Plain-language caveats: absent column, unparseable values, too few rows, approximations.
    statistics
        Every statistic computed for the column, by name.
    """

    column: str
    kind: str
    method: str
    statistic: float = math.nan
    p_value: float = math.nan
    p_value_adjusted: float = math.nan
    test: str = ""
    threshold: float = math.nan
    threshold_basis: str = ""
    min_detectable_effect: float = math.nan
    effect: float = math.nan
    severity: float = 0.0
    importance: float = math.nan
    weighted_severity: float = 0.0
    drifted: bool = False
    signals: tuple[str, ...] = ()
    missing_share_ref: float = math.nan
    missing_share_cur: float = math.nan
    missing_threshold: float = math.nan
    out_of_range_share: float = math.nan
    out_of_range_threshold: float = math.nan
    unseen_share: float = math.nan
    unseen_threshold: float = math.nan
    n_ref: int = 0
    n_cur: int = 0
    location: float = math.nan
    note: str = ""
    statistics: dict[str, DriftStatistic] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The row of :meth:`DriftReport.to_frame` for this column."""
        row = {c: getattr(self, c) for c in FRAME_COLUMNS}
        row["signals"] = ", ".join(self.signals)
        return row

    def __repr__(self) -> str:
        verdict = "drifted" if self.drifted else "stable"
        return (f"ColumnDrift({self.column!r}, {self.method}={self.statistic:.4g}, threshold={self.threshold:.4g}, "
                f"{verdict}{'' if not self.signals else ' ' + '+'.join(self.signals)})")


@dataclasses.dataclass(frozen=True, eq=False)
class DriftReport(Result):
    """Per-column drift verdicts for one reference/current pair, plus a dataset verdict.

    Attributes
    ----------
    results
        One :class:`ColumnDrift` per compared column, ranked (drifted first, most severe first).
    alpha
        Family-wise false-alarm level per column.
    n_reference, n_current
        Rows in each window.
    multivariate
        :class:`~toolkit.drift.multivariate.MultivariateDrift` or None (``multivariate=False``).
    new_columns
        Columns present in current but not in reference (possible renames).
    reference_profile, current_profile
        The :class:`~toolkit.Profile` of each window (what the distribution charts are drawn from).
    dataset_threshold
        Share of drifted columns at or above which the dataset counts as drifted.
    label
        Optional name of the current window.
    engine, engine_note
        Which path ran: 'pandas' (rows in memory: DataFrames, or files read into memory below the row
        budget), 'duckdb' or 'spark' (files or tables profiled where they live), 'profile' (profiles given);
        and one sentence saying why and what it means for KS (exact on rows, binned on profiles).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(2)
    >>> ref = pd.DataFrame({"x": rng.normal(size=2000), "y": rng.normal(size=2000)})
    >>> report = tk.compare(ref, pd.DataFrame({"x": rng.normal(0.5, 1, 1000), "y": rng.normal(size=1000)}))
    >>> report.drifted, report.share_drifted
    (['x'], 0.5)
    >>> row = report.column("x")
    >>> row.method, row.statistic > row.threshold, row.threshold_basis
    ('ks', True, 'calibrated')
    """

    results: tuple[ColumnDrift, ...]
    alpha: float
    n_reference: int
    n_current: int
    multivariate: object | None = None
    new_columns: tuple[str, ...] = ()
    reference_profile: object | None = None
    current_profile: object | None = None
    dataset_threshold: float = 0.5
    label: str | None = None
    settings: dict = dataclasses.field(default_factory=dict)
    engine: str = "pandas"
    engine_note: str = ""

    # -- headline ---------------------------------------------------------------------------------
    @property
    def drifted(self) -> list[str]:
        """Names of drifted columns, most severe first (importance-weighted when importance was given)."""
        return [r.column for r in self.results if r.drifted]

    @property
    def n_columns(self) -> int:
        """Columns assessed (skipped identifier/text/datetime columns and columns missing from the
        reference count only if they drifted)."""
        return sum(1 for r in self.results if r.drifted or r.method not in ("skipped", "absent"))

    @property
    def share_drifted(self) -> float:
        """Share of assessed columns that drifted."""
        return len(self.drifted) / self.n_columns if self.n_columns else 0.0

    @property
    def dataset_drifted(self) -> bool:
        """True if at least ``dataset_threshold`` of the columns drifted, or the multivariate check flags drift."""
        mv = getattr(self.multivariate, "drifted", False)
        return bool(self.drifted) and self.share_drifted >= self.dataset_threshold or bool(mv)

    @property
    def headline(self) -> str:
        """The :attr:`verdict`: one sentence for the dataset."""
        return self.verdict

    @property
    def verdict(self) -> str:
        """One sentence for the dataset."""
        empty = [side for side, rows in (("reference", self.n_reference), ("current", self.n_current)) if rows == 0]
        if empty:   # "0 of N drifted; dataset stable" would vouch for data that is not there
            return f"nothing compared: {' and '.join(empty)} {'has' if len(empty) == 1 else 'have'} no rows"
        n = len(self.drifted)
        text = f"{n} of {self.n_columns} columns drifted ({self.share_drifted:.0%})"
        if n:
            text += ": " + preview(self.drifted)
        if self.multivariate is not None:
            text += f"; multivariate: {self.multivariate.summary}"
        if self.dataset_drifted:
            text += "; dataset drifted"
        elif n:
            text += f"; dataset below its {self.dataset_threshold:.0%} drifted-columns threshold"
        else:
            text += "; dataset stable"
        return text

    def column(self, name: str) -> ColumnDrift:
        """The :class:`ColumnDrift` of one column."""
        for r in self.results:
            if r.column == name:
                return r
        raise KeyError(f"report has no column {name!r}; it has {preview([r.column for r in self.results])}")

    # -- frames -----------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per column, ranked; columns as in :data:`FRAME_COLUMNS`.

        ``column, kind, method, statistic, p_value, p_value_adjusted, test, threshold,
        threshold_basis, min_detectable_effect, effect, severity, importance, weighted_severity,
        drifted, signals, missing_share_ref, missing_share_cur, missing_threshold,
        out_of_range_share, out_of_range_threshold, unseen_share, unseen_threshold, n_ref, n_cur,
        location, note``.
        """
        frame = pd.DataFrame([r.to_dict() for r in self.results], columns=FRAME_COLUMNS)
        frame["drifted"] = frame["drifted"].astype(bool)
        frame["n_ref"] = frame["n_ref"].astype("int64")
        frame["n_cur"] = frame["n_cur"].astype("int64")
        return frame

    def statistics(self) -> pd.DataFrame:
        """Every statistic computed, tidy: ``column, statistic, value, p_value, effect, note``."""
        rows = [
            {"column": r.column, "statistic": name, "value": s.statistic, "p_value": s.p_value,
             "effect": s.effect, "note": s.note}
            for r in self.results for name, s in r.statistics.items()
        ]
        return pd.DataFrame(rows, columns=["column", "statistic", "value", "p_value", "effect", "note"])

    def summary(self) -> pd.DataFrame:
        """The dataset verdict as a one-row frame."""
        mv = self.multivariate
        return pd.DataFrame([{
            "label": self.label, "n_reference": self.n_reference, "n_current": self.n_current,
            "n_columns": self.n_columns, "n_drifted": len(self.drifted), "share_drifted": self.share_drifted,
            "multivariate_auc": getattr(mv, "auc", np.nan), "multivariate_drifted": getattr(mv, "drifted", None),
            "dataset_drifted": self.dataset_drifted,
        }])

    # -- charts -----------------------------------------------------------------------------------
    def chart(self, top: int = 25):
        """Bar chart of statistic / threshold per column (drifted in red), most severe on top."""
        from ..charts.drift import drift_summary

        return drift_summary(self, top=top)

    def distribution_chart(self, column: str, top: int = 12):
        """Reference vs current distribution of one column, drawn from the profiles."""
        from ..charts.drift import distribution

        return distribution(self, column, top=top)

    def distributions_chart(self, columns: list[str] | None = None, top: int = 12):
        """All columns' distributions in one chart with a dropdown (works in a static HTML report)."""
        from ..charts.drift import distribution_selector

        return distribution_selector(self, columns=columns, top=top)

    # -- display ----------------------------------------------------------------------------------
    def to_html(self) -> str:
        """Escaped HTML: the verdict, the ranked table and any notes."""
        frame = self.to_frame()
        shown = frame[["column", "kind", "method", "statistic", "threshold", "severity", "drifted", "signals",
                       "p_value", "missing_share_ref", "missing_share_cur", "n_ref", "n_cur", "note"]]
        colour = SEVERITY_COLOURS["error" if self.dataset_drifted else "warning" if self.drifted else "ok"]
        body = frame_to_html(shown)
        if self.new_columns:
            body += f"<p>Columns only in current: {escape(preview(self.new_columns))}</p>"
        if self.multivariate is not None:
            body += f"<p>Multivariate: {escape(self.multivariate.summary)}</p>"
        body += f"<pre style='display:none'>{escape(repr(self))}</pre>"
        title = "Drift report" + (f": {self.label}" if self.label else "")
        head = (f"{self.verdict}. Reference {self.n_reference:,} rows, current {self.n_current:,} rows; "
                f"alpha {self.alpha:g} per column." + (f" {self.engine_note}" if self.engine_note else ""))
        return card(title, body, head, colour)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": repr(self), "text/html": self.to_html()}

    def __repr__(self) -> str:
        mv = "" if self.multivariate is None else f", multivariate={self.multivariate.summary}"
        return (f"DriftReport({len(self.drifted)}/{self.n_columns} columns drifted"
                f"{': ' + preview(self.drifted) if self.drifted else ''}{mv})")
