"""Validate every production window against one contract: when did which check start failing?

>>> import pandas as pd
>>> import toolkit as tk
>>> ref = pd.DataFrame({"plan": ["a", "b"] * 50, "x": [1.5, 2.5] * 50})
>>> batches = {"w1": ref, "w2": ref.assign(plan=["a", "new"] * 50)}
>>> history = tk.infer_contract(ref).validate_windows(batches)
>>> history.to_frame()[["window", "column", "check", "severity"]].values.tolist()
[['w2', 'plan', 'unseen_category', 'error']]
>>> history.first_failing("error")
{'plan': 'w2'}
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from .._html import card, frame_to_html
from .codes import Severity
from ..results import Result

__all__ = ["WindowValidation", "validate_windows"]

_COLUMNS = ["window", "column", "check", "severity", "failing_share", "observed", "message"]


@dataclasses.dataclass(frozen=True, eq=False)
class WindowValidation(Result):
    """Failures of every window, in window order.

    Attributes
    ----------
    windows
        Window labels in order.
    results
        The :class:`ValidationResult` of each window, by label.
    """

    windows: list[str]
    results: dict

    def to_frame(self) -> pd.DataFrame:
        """One row per window and failure: window, column, check, severity, failing_share, observed, message."""
        frames = [r.failures.assign(window=w) for w, r in self.results.items() if len(r.failures)]
        if not frames:
            return pd.DataFrame(columns=_COLUMNS)
        return pd.concat(frames, ignore_index=True)[_COLUMNS]

    def worst(self) -> pd.DataFrame:
        """Worst severity per window and column (``ok`` where nothing failed), for a heatmap."""
        frame = self.to_frame()
        rank = {s.value: s.rank for s in Severity}
        rows = []
        columns = list(dict.fromkeys(c for r in self.results.values() for c in r.summary["column"].astype(str)))
        columns += [c for c in frame["column"].astype(str).unique() if c not in columns]
        for window in self.windows:
            part = frame[frame["window"] == window]
            for column in columns:
                hit = part[part["column"].astype(str) == column]
                if hit.empty:
                    rows.append({"window": window, "column": column, "status": "ok", "checks": "", "message": ""})
                    continue
                top = hit.iloc[hit["severity"].map(rank).to_numpy().argmax()]
                rows.append({"window": window, "column": column, "status": top["severity"],
                             "checks": ", ".join(dict.fromkeys(hit["check"].astype(str))),
                             "message": " | ".join(hit["message"].astype(str))[:300]})
        return pd.DataFrame(rows)

    def first_failing(self, severity: str = "error") -> dict[str, str]:
        """For each column, the first window with a failure at ``severity`` or worse."""
        frame = self.to_frame()
        floor = Severity(severity).rank
        # astype(bool): the mask of an empty frame is an object Series, which pandas would read as a column list
        hits = frame[frame["severity"].map(lambda s: Severity(s).rank >= floor).astype(bool)]
        return {c: str(g["window"].iloc[0]) for c, g in hits.groupby("column", sort=False)}

    def chart(self):
        """Heatmap: windows across, columns down, coloured by the worst failure (tooltips say which)."""
        from ..charts.schema import validation_history_chart

        return validation_history_chart(self.worst())

    def to_html(self) -> str:
        frame = self.to_frame()
        errors = frame[frame["severity"] == "error"]
        headline = (f"{len(self.windows)} windows checked; {errors['window'].nunique()} with errors, "
                    f"{len(frame)} failures in all")
        return card("Schema checks over time", frame_to_html(errors[_COLUMNS[:6]]), headline)

    def __repr__(self) -> str:
        return f"WindowValidation({len(self.windows)} windows, {len(self.to_frame())} failures)"


def validate_windows(contract, batches: Mapping[str, object], *, now: object = None,
                     engine: str = "auto") -> WindowValidation:
    """Validate each batch (in the given order) against ``contract``; see :class:`WindowValidation`.

    A batch is a DataFrame or where it lives (its files, a DuckDB relation, a Spark DataFrame): then the
    checks run as aggregates in ``engine`` on every row (see :meth:`Contract.validate`). ``batches`` may
    also be :func:`toolkit.engines.source_windows` (one source cut by a period): every window's
    aggregates then come from one grouped statement over the source, on all rows.
    """
    if hasattr(batches, "validate") and not isinstance(batches, pd.DataFrame):   # SourceWindows
        results = batches.validate(contract, now=now)
        return WindowValidation(list(results), results)
    if not batches:
        raise ValueError("batches is empty; pass {window label: DataFrame}, e.g. dict(tk.read_batches(folder))")
    results = {str(w): contract.validate(frame, now=now, engine="auto" if isinstance(frame, pd.DataFrame) else engine)
               for w, frame in batches.items()}
    return WindowValidation(list(results), results)
