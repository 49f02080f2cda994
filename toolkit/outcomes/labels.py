"""Close the feedback loop: join delayed labels to logged predictions, and account for every label.

:func:`join_labels` returns a :class:`FeedbackReport` that carries the joined frame and also unpacks,
so both spellings work::

    fb = tk.join_labels(production, labels, spec, on="customer_id"); fb.joined; fb.to_frame()
    joined, report = tk.join_labels(...)           # report is fb itself

``joined`` is ``production`` (the logged predictions: same rows, same order) plus the label columns; ``report`` is a
:class:`FeedbackReport`: coverage and label delay per window, predictions still waiting for a
label (and overdue ones), labels that match no prediction, duplicates and conflicting labels.
Nothing is dropped silently: every label row is either matched, a counted duplicate or conflicting
extra label, an orphan, or a counted row without an id or without a value
(``report.label_rows`` adds up to ``len(labels)``).

Ids are matched on one canonical key: a number that is whole (``4``, ``4.0``) is the id ``"4"``, so
float ids (a NaN upstream turned 4 into 4.0) match integer or text ids ``"4"``; other values are
compared as their text. Any such coercion is stated in ``report.notes``.

Examples
--------
>>> import pandas as pd
>>> import toolkit as tk
>>> preds = pd.DataFrame({"id": ["a", "b", "c", "d"], "score": [0.9, 0.2, 0.6, 0.4],
...                       "t": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-13", "2026-01-14"])})
>>> labels = pd.DataFrame({"id": ["a", "b", "b", "x"], "y": [1, 0, 1, 0],
...                        "label_time": pd.to_datetime(["2026-02-01", "2026-02-03", "2026-02-04", "2026-02-05"])})
>>> joined, report = tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
>>> joined[["id", "y", "label_conflict"]]
  id    y  label_conflict
0  a  1.0           False
1  b  1.0            True
2  c  NaN           False
3  d  NaN           False
>>> report.n_orphans, report.n_conflicts, report.n_waiting
(1, 1, 2)
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._checks import check_choice, check_columns, check_frame, preview, show
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html, notes_html
from .._compat import renamed_arguments
from ..spec import ModelSpec, resolve_roles
from ..results import Result

__all__ = ["join_labels", "FeedbackReport", "LabelJoin"]

_CONFLICTS = ("latest", "first", "drop", "raise")
#: Columns join_labels adds to ``joined``: a label or prediction column of that name is an error, never overwritten.
OUTPUT_COLUMNS = ("label_delay", "n_labels", "label_conflict", "label_status")
COVERAGE_COLUMNS = ["window", "window_start", "n_predictions", "n_labelled", "coverage", "n_waiting", "n_overdue",
                    "n_duplicates", "n_conflicts", "delay_p10_days", "delay_median_days", "delay_p90_days"]


class LabelJoin(NamedTuple):
    """Deprecated: :func:`join_labels` returns a :class:`FeedbackReport`, which unpacks the same way."""

    joined: pd.DataFrame
    report: "FeedbackReport"


@renamed_arguments(predictions="production")
def join_labels(
    production: pd.DataFrame,
    labels: pd.DataFrame,
    spec: ModelSpec | str | None = None,
    *,
    on: str | None = None,
    target: str | None = None,
    timestamp: str | None = None,
    label_time: str | None = "label_time",
    by: str | None = "W",
    as_of: str | pd.Timestamp | None = None,
    expected_delay: str | pd.Timedelta | None = None,
    conflicts: str = "latest",
) -> "FeedbackReport":
    """Join labels to the logged predictions by id (and by time where an id was scored more than once).

    Parameters
    ----------
    production
        Logged predictions, one row per scoring event (all windows).
    labels
        Label rows: the id, the target, and optionally ``label_time``, ``source``, ``inclusion_prob``
        (all extra columns are carried into the joined frame).
    spec
        Supplies ``on`` (``spec.id``), ``target`` and ``timestamp`` when not given (resolved by
        :meth:`toolkit.ModelSpec.resolve`).
    on
        Id column present in both frames (default ``spec.id``). Before this release ``on`` was the
        third positional argument; ``join_labels(production, labels, "id")`` still works for one
        release, with a DeprecationWarning.
    target
        Label column in ``labels`` (default ``spec.target``). It must not already be in ``production``.
    timestamp
        Event-time column in ``production`` (default ``spec.timestamp``); needed for delays, windows
        by period and for ids that repeat.
    label_time
        Column of ``labels`` with when the label arrived (None if there is none).
    by
        Windows of the coverage table: a period alias on ``timestamp`` (``"W"``) or a column of
        ``production`` (``"batch"``).
    as_of
        When the analysis runs (default: the latest ``label_time``); predictions after it are not yet due.
    expected_delay
        How long a label normally takes (e.g. ``"35D"``); unlabelled predictions older than
        ``as_of - expected_delay`` are *overdue*, younger ones *waiting*. Default: the 95th percentile
        of the observed delays.
    conflicts
        When one prediction gets labels with different values: 'latest' (keep the most recent
        label, flag the row), 'first', 'drop' (leave the row unlabelled, flagged) or 'raise'.

    Returns
    -------
    FeedbackReport
        ``report.joined`` (also ``joined, report = join_labels(...)``). ``joined`` adds to ``production`` the target, every other label column
        (``label_time``, ``source``, ``inclusion_prob``...), ``label_delay`` (Timedelta),
        ``n_labels`` (label rows matched), ``label_conflict`` and ``label_status``
        ('labelled', 'waiting', 'overdue', 'conflict dropped', 'ambiguous id': the id was scored more than
        once and labels have no ``label_time`` to tell which scoring event the label belongs to).

    Examples
    --------
    >>> import pandas as pd
    >>> import toolkit as tk
    >>> preds = pd.DataFrame({"id": [1, 2, 3], "t": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07"])})
    >>> labels = pd.DataFrame({"id": [1, 1, 9], "y": [0, 0, 1],
    ...                        "label_time": pd.to_datetime(["2026-02-01", "2026-02-02", "2026-02-03"])})
    >>> result = tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
    >>> result.report.n_duplicates, result.report.n_orphans, result.joined["label_status"].tolist()
    (1, 1, ['labelled', 'waiting', 'waiting'])
    """
    if isinstance(spec, str):  # the old order join_labels(production, labels, "id"): ``on`` came third
        if on is not None:
            raise TypeError(f"join_labels() got the id column twice ({spec!r} third and on={on!r}); pass on= only")
        warnings.warn("join_labels(production, labels, 'id'): the id column as the third argument is deprecated "
                      "and will be removed in the next release; pass on='id' (the third argument is the spec)",
                      DeprecationWarning, stacklevel=3)
        spec, on = None, spec
    check_frame("production", production)
    check_frame("labels", labels)
    check_choice("conflicts", conflicts, _CONFLICTS)
    roles = resolve_roles(production, spec, name="production", require=(), caller="join_labels", id=on,
                          target=target, timestamp=timestamp)
    on, target, timestamp = roles.id, roles.target, roles.timestamp
    if on is None:
        raise ValueError("no id column to join on: pass on='customer_id' (or a spec with spec.id)")
    if target is None:
        raise ValueError("no target column: pass target='churned' (the label column of labels) or a spec")
    check_columns("production", production, [on] + ([timestamp] if timestamp else []))
    check_columns("labels", labels, [on, target])
    if target == on:
        raise ValueError(f"target {show(target)} is the id column; pass the label column of labels as target=")
    if label_time is not None and label_time not in labels.columns:
        label_time = None
    carried = [c for c in labels.columns if c != on]
    clash = [c for c in carried if c in production.columns]
    if clash:
        raise ValueError(
            f"production already has column(s) {preview(clash)} that labels would add; drop or rename them in "
            "production first (e.g. production.drop(columns=[...]))"
        )
    for frame_name, frame in (("production", production), ("labels", labels)):
        taken = [c for c in frame.columns if c in OUTPUT_COLUMNS or (isinstance(c, str) and c.startswith("_tk_"))]
        if taken:
            raise ValueError(
                f"{frame_name} has column(s) {preview(taken)}, which join_labels adds to the joined frame (or uses "
                f"internally); rename them first, e.g. {frame_name}.rename(columns={{{show(taken[0])}: "
                f"{show(str(taken[0]).lstrip('_') + '_original')}}})"
            )
    as_of = _parse_time("as_of", as_of)
    expected_delay = _parse_delay(expected_delay)

    preds = production.reset_index(drop=True)
    labs = labels.reset_index(drop=True).copy()
    labs["_tk_label_row"] = np.arange(len(labs))
    notes = []
    pid, lid, note = _match_keys(preds[on], labs[on], on)
    if note:
        notes.append(note)
    n_missing_id = int(pid.isna().sum())
    keys = pd.DataFrame({"_tk_id": pid, "_tk_row": np.arange(len(preds))})
    if timestamp:
        keys["_tk_time"] = _utc(preds[timestamp], f"production column {show(timestamp)} (timestamp=)")
    labs["_tk_id"] = lid
    no_id = labs["_tk_id"].isna().to_numpy()
    n_no_id = int(no_id.sum())
    if n_no_id:
        notes.append(f"{n_no_id:,} label rows have no {show(on)} id; counted (report.label_rows), not joined")
    empty_label = labs[target].isna().to_numpy() & ~no_id
    n_empty = int(empty_label.sum())
    if n_empty:
        notes.append(f"{n_empty:,} label rows have no {show(target)} value; counted, not used")
    usable = labs[~empty_label & ~no_id]

    repeated = keys["_tk_id"].dropna().duplicated(keep=False)
    ambiguous = pd.Series(False, index=keys.index)
    if repeated.any() and (not timestamp or label_time is None):
        # Which scoring event a label belongs to is unknowable here: those labels are set aside as orphans
        # (counted, with the reason), every other label still joins; the caller learns how to resolve it.
        ambiguous = keys["_tk_id"].isin(keys.loc[repeated.index[repeated], "_tk_id"])
        example = keys.loc[ambiguous, "_tk_id"].iloc[0]
        n_set_aside = int(usable["_tk_id"].isin(keys.loc[ambiguous, "_tk_id"]).sum())
        notes.append(
            f"ids repeat in production ({int(ambiguous.sum()):,} rows, e.g. {show(example)}) and labels have no "
            f"label_time: {n_set_aside:,} label rows of those ids were set aside (report.orphans, reason 'id repeats "
            "in predictions'), not guessed; to match each label to the latest prediction before it, give labels a "
            "label_time column" + ("" if timestamp else " and pass timestamp= (production)"))
        matched = usable.merge(keys.loc[~ambiguous, ["_tk_id", "_tk_row"]].dropna(subset=["_tk_id"]),
                               on="_tk_id", how="left")
    elif repeated.any():
        lt = _utc(usable[label_time], f"labels column {show(label_time)} (label_time=)")
        left = usable.assign(_tk_lt=lt).dropna(subset=["_tk_lt"]).sort_values("_tk_lt")
        right = keys.dropna(subset=["_tk_id", "_tk_time"]).sort_values("_tk_time")
        matched = pd.merge_asof(left, right[["_tk_id", "_tk_time", "_tk_row"]], left_on="_tk_lt",
                                right_on="_tk_time", by="_tk_id", direction="backward")
        no_time = usable[lt.isna()].assign(_tk_row=np.nan)
        matched = pd.concat([matched, no_time], ignore_index=True).drop(columns=["_tk_lt", "_tk_time"],
                                                                          errors="ignore")
        notes.append("ids repeat in the predictions: each label matched to the latest prediction at or before its label_time")
    else:
        matched = usable.merge(keys[["_tk_id", "_tk_row"]].dropna(subset=["_tk_id"]), on="_tk_id", how="left")

    orphan_mask = matched["_tk_row"].isna()
    orphans = matched[orphan_mask].copy()
    reason_col = "reason" if "reason" not in labels.columns else "orphan_reason"
    orphans[reason_col] = np.select(
        [orphans["_tk_id"].isin(keys.loc[ambiguous, "_tk_id"]), orphans["_tk_id"].isin(keys["_tk_id"].dropna())],
        ["id repeats in predictions", "label before any prediction of this id"], "id not in predictions")
    orphans = orphans.drop(columns=["_tk_id", "_tk_row", "_tk_label_row"], errors="ignore").reset_index(drop=True)
    matched = matched[~orphan_mask].copy()
    matched["_tk_row"] = matched["_tk_row"].astype(np.int64)
    if matched.empty and len(orphans) and len(preds):   # every label orphaned: most likely the ids' format
        notes.append(f"no label id matches a prediction id: labels have e.g. {show(orphans[on].iloc[0])}, predictions "
                     f"e.g. {show(preds[on].dropna().iloc[0]) if preds[on].notna().any() else 'none'}; write the ids "
                     "the same way on both sides (zero padding, spaces, prefixes)")

    # duplicates and conflicts among the labels of one prediction
    sort_cols = ["_tk_row"] + ([label_time] if label_time else []) + ["_tk_label_row"]
    matched = matched.sort_values(sort_cols, kind="stable")
    # the target's values grouped by the row (not ``group[target]``: a tuple column name would mean two columns)
    group = matched[target].groupby(matched["_tk_row"], sort=False)
    n_labels = group.transform("size")
    n_values = group.transform("nunique")
    conflict_rows = matched[n_values > 1]
    dup_rows = matched[(n_labels > 1) & (n_values == 1)]
    n_duplicates = int(len(dup_rows) - dup_rows["_tk_row"].nunique())
    conflict_table = pd.DataFrame(columns=[on, "n_labels", "values"])
    if len(conflict_rows):
        conflict_table = (conflict_rows[target].groupby(conflict_rows["_tk_row"], sort=True)
                          .agg(n_labels="size", values=lambda v: sorted(set(v.tolist()), key=str))
                          .reset_index())
        conflict_table.insert(0, on, preds[on].loc[conflict_table["_tk_row"]].to_numpy())
        conflict_table = conflict_table.drop(columns="_tk_row")
        if conflicts == "raise":
            raise ValueError(
                f"{len(conflict_table):,} predictions have conflicting labels (e.g. {on}={show(conflict_table[on].iloc[0])} "
                f"with {target} values {conflict_table['values'].iloc[0]}); pass conflicts='latest', 'first' or 'drop'"
            )
    keep = "last" if conflicts == "latest" else "first"
    chosen = matched.drop_duplicates("_tk_row", keep=keep).set_index("_tk_row")
    conflicted_rows = set(conflict_rows["_tk_row"].unique())
    counts = matched.groupby("_tk_row").size()

    joined = preds.copy()
    rows = np.arange(len(preds))
    label_cols = [c for c in labels.columns if c != on]
    for col in label_cols:
        joined[col] = chosen[col].reindex(rows).set_axis(joined.index)
    joined["n_labels"] = counts.reindex(rows, fill_value=0).to_numpy().astype(np.int64)
    joined["label_conflict"] = np.isin(rows, list(conflicted_rows))
    if conflicts == "drop" and conflicted_rows:
        drop = joined["label_conflict"].to_numpy()
        for col in label_cols:  # where, not .loc[drop, col]: a tuple column name would index two axes
            joined[col] = joined[col].where(~drop)
    if label_time and timestamp:
        joined["label_delay"] = (_utc(joined[label_time], f"labels column {show(label_time)} (label_time=)")
                                 - keys["_tk_time"].set_axis(joined.index))
    else:
        joined["label_delay"] = pd.Series(pd.NaT, index=joined.index, dtype="timedelta64[ns]")

    # waiting vs overdue
    labelled = joined[target].notna().to_numpy()
    delays = joined.loc[labelled, "label_delay"].dropna()
    if as_of is None:
        as_of = (_utc(labels[label_time], f"labels column {show(label_time)} (label_time=)").max() if label_time
                 else (keys["_tk_time"].max() if timestamp else None))
        if as_of is not None and pd.isna(as_of):
            as_of = None
    if expected_delay is None:
        expected_delay = delays.quantile(0.95) if len(delays) else None
    status = np.where(labelled, "labelled", "waiting").astype(object)
    if conflicts == "drop":
        status[joined["label_conflict"].to_numpy() & ~labelled] = "conflict dropped"
    if ambiguous.any():  # labelled in truth, but the label could not be placed: not "waiting" for one
        status[(ambiguous & keys["_tk_id"].isin(usable["_tk_id"])).to_numpy() & ~labelled] = "ambiguous id"
    if as_of is not None and expected_delay is not None and timestamp and not pd.isna(expected_delay):
        age = as_of - keys["_tk_time"].set_axis(joined.index)
        overdue = (~labelled) & (status == "waiting") & (age > expected_delay).to_numpy()
        status[overdue] = "overdue"
    joined["label_status"] = status
    negative = int((delays < pd.Timedelta(0)).sum())
    if negative:
        notes.append(f"{negative:,} labels arrived before their prediction's timestamp (negative delay)")

    # per-window coverage
    from .measure import assign_windows

    if by is not None and not (by in joined.columns or timestamp):
        by = None
    framed = joined
    if timestamp and not pd.api.types.is_datetime64_any_dtype(joined[timestamp].dtype):
        framed = joined.copy()  # text timestamps, parsed once above (and checked), for the windows
        framed[timestamp] = keys["_tk_time"].to_numpy()
    windows, order = assign_windows(framed, by, timestamp, name="production")
    dup_per_row = pd.Series(0, index=rows)
    if len(dup_rows):
        extra = dup_rows.groupby("_tk_row").size() - 1
        dup_per_row.loc[extra.index] = extra.to_numpy()
    days = joined["label_delay"].dt.total_seconds() / 86400.0
    work = pd.DataFrame({
        "window": windows.to_numpy(), "labelled": labelled, "waiting": status == "waiting",
        "overdue": status == "overdue", "dups": dup_per_row.to_numpy(), "conflict": joined["label_conflict"].to_numpy(),
        "days": days.where(labelled).to_numpy(),
    })
    g = work.groupby("window", sort=False)
    cov = pd.DataFrame({
        "n_predictions": g.size(), "n_labelled": g["labelled"].sum(), "n_waiting": g["waiting"].sum(),
        "n_overdue": g["overdue"].sum(), "n_duplicates": g["dups"].sum(), "n_conflicts": g["conflict"].sum(),
        "delay_p10_days": g["days"].quantile(0.1), "delay_median_days": g["days"].median(),
        "delay_p90_days": g["days"].quantile(0.9),
    })
    cov = order.set_index("window").join(cov, how="left").reset_index()
    cov["coverage"] = cov["n_labelled"] / cov["n_predictions"]
    for c in ("n_predictions", "n_labelled", "n_waiting", "n_overdue", "n_duplicates", "n_conflicts"):
        cov[c] = cov[c].fillna(0).astype(np.int64)
    cov = cov[COVERAGE_COLUMNS]

    sources = pd.DataFrame(columns=["window", "source", "n_labelled"])
    if "source" in joined.columns:
        sources = (pd.DataFrame({"window": windows.to_numpy(), "source": joined["source"].to_numpy()})[labelled]
                   .groupby(["window", "source"], sort=False).size().rename("n_labelled").reset_index())
        sources["window"] = pd.Categorical(sources["window"], categories=order["window"], ordered=True)
        sources = sources.sort_values(["window", "source"]).reset_index(drop=True)
        sources["window"] = sources["window"].astype(str)
    quantiles = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0]
    delay_table = pd.DataFrame({"quantile": quantiles,
                                "delay_days": [float(days[labelled].quantile(q)) if labelled.any() else np.nan
                                               for q in quantiles]})
    issues = pd.DataFrame([
        {"issue": "orphan labels (no matching prediction)", "n": len(orphans),
         "example": orphans[on].iloc[0] if len(orphans) else "", "action": "listed in report.orphans, not joined"},
        {"issue": "duplicate labels (same value)", "n": n_duplicates,
         "example": preds.loc[dup_rows["_tk_row"].iloc[0], on] if len(dup_rows) else "", "action": "one kept"},
        {"issue": "conflicting labels (different values)", "n": len(conflict_table),
         "example": conflict_table[on].iloc[0] if len(conflict_table) else "",
         "action": {"latest": "latest label kept, row flagged label_conflict",
                    "first": "first label kept, row flagged label_conflict",
                    "drop": "left unlabelled, row flagged label_conflict", "raise": "raised"}[conflicts]},
        {"issue": "label rows without a value", "n": n_empty, "example": "", "action": "ignored"},
        {"issue": "label rows without an id", "n": n_no_id, "example": "", "action": "cannot be joined; counted"},
        {"issue": "predictions without an id", "n": n_missing_id, "example": "", "action": "cannot be labelled"},
        {"issue": "negative label delays", "n": negative, "example": "", "action": "kept; check clocks"},
    ])
    n_conflict_extra = int(len(conflict_rows) - conflict_rows["_tk_row"].nunique()) if len(conflict_rows) else 0
    label_rows = {
        "matched": int(matched["_tk_row"].nunique()), "duplicates": n_duplicates,
        "conflicting extras": n_conflict_extra, "orphans": len(orphans), "no id": n_no_id, "no value": n_empty,
    }
    if sum(label_rows.values()) != len(labels):  # a bug, never a user error: say so rather than lose rows
        raise RuntimeError(f"join_labels lost track of label rows ({label_rows} vs {len(labels)}); please report")
    report = FeedbackReport(
        coverage=cov, sources=sources, delays=delay_table, orphans=orphans, conflicts=conflict_table, issues=issues,
        n_predictions=len(preds), n_labels=len(labels), n_matched=int(labelled.sum()),
        n_orphans=len(orphans), n_duplicates=n_duplicates, n_conflicts=len(conflict_table),
        n_waiting=int((status == "waiting").sum()), n_overdue=int((status == "overdue").sum()),
        as_of=as_of, expected_delay=expected_delay, conflict_policy=conflicts, notes=tuple(notes),
        n_no_id=n_no_id, n_no_value=n_empty, label_rows=label_rows,
    )
    return dataclasses.replace(report, joined=joined)


def _utc(values: pd.Series, what: str = "timestamps") -> pd.Series:
    """``values`` as UTC timestamps (naive ones taken as UTC); anything that is not a time is an error naming ``what``."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        if values.notna().any():
            raise ValueError(
                f"{what} holds numbers, not timestamps (e.g. {show(values.dropna().iloc[0])}); convert it first, e.g. "
                "pd.to_datetime(column, unit='s') for epoch seconds"
            )
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        ts = values
    else:
        try:
            ts = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        except (TypeError, ValueError):
            ts = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
        bad = ts.isna() & values.notna()
        if bad.any():
            raise ValueError(
                f"{what} has {int(bad.sum()):,} value(s) that are not timestamps (e.g. {show(values[bad].iloc[0])}); "
                "fix or parse them first with pd.to_datetime(column, format=...)"
            )
    if getattr(ts.dt, "tz", None) is None:
        ts = ts.dt.tz_localize("UTC")
    return ts.dt.tz_convert("UTC").dt.as_unit("us")  # one unit for both frames: merge_asof needs equal key types


def _parse_time(name: str, value: object) -> pd.Timestamp | None:
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):  # pd.Timestamp(3.5) is 3.5 ns after 1970
        raise ValueError(f"{name} must be a timestamp such as '2026-06-30', not a number; got {show(value)}")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a timestamp such as '2026-06-30' or pd.Timestamp('2026-06-30T12:00Z'); "
                         f"got {show(value)}") from None
    if pd.isna(ts):
        raise ValueError(f"{name} must be a timestamp; got {show(value)} (leave it None for the latest label time)")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _parse_delay(value: object) -> pd.Timedelta | None:
    if value is None:
        return None
    try:
        delay = pd.Timedelta(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"expected_delay must be a duration such as '35D', '12h' or pd.Timedelta(days=35); got "
                         f"{show(value)}") from None
    if pd.isna(delay) or delay < pd.Timedelta(0):
        raise ValueError(f"expected_delay must be a duration of 0 or more such as '35D'; got {show(value)}")
    return delay


def _canonical(values: pd.Series) -> tuple[pd.Series, int]:
    """Id values as one canonical text key (whole numbers without '.0'), and how many were changed from floats."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(object).where(values.notna(), None).map(
            lambda v: None if v is None else str(v)).astype(object), 0
    if pd.api.types.is_integer_dtype(values.dtype):
        out = values.astype("Int64").astype("string").astype(object)
        return out.where(values.notna(), None), 0
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(arr) & (np.mod(arr, 1) == 0) & (np.abs(arr) < 2**63)
        out = pd.Series([None] * len(arr), index=values.index, dtype=object)
        if whole.any():
            out[whole] = pd.Series(arr[whole].astype(np.int64)).astype(str).to_numpy()
        other = ~whole & ~np.isnan(arr)
        if other.any():
            out[other] = [repr(float(v)) for v in arr[other]]
        return out, int(whole.sum())

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            return str(int(v)) if np.isfinite(v) and float(v).is_integer() else repr(float(v))
        return str(v)

    return values.astype(object).map(one).astype(object), 0


def _match_keys(pid: pd.Series, lid: pd.Series, on: object) -> tuple[pd.Series, pd.Series, str | None]:
    """Join keys for both sides: as they are when both are numbers or both text, else canonical text keys."""
    numeric = [pd.api.types.is_numeric_dtype(x.dtype) and not pd.api.types.is_bool_dtype(x.dtype) for x in (pid, lid)]
    textual = [x.dtype == object or pd.api.types.is_string_dtype(x.dtype) for x in (pid, lid)]
    if all(numeric) or (all(textual) and not _mixed(pid) and not _mixed(lid)):
        if all(textual):  # one text type for both sides (object vs string dtype would not merge)
            pid, lid = pid.astype(object), lid.astype(object)
        return pid, lid, None
    cp, np_changed = _canonical(pid)
    cl, nl_changed = _canonical(lid)
    cp, cl = cp.astype(object), cl.astype(object)  # one key type on both sides (pandas may infer str for one)
    changed = ""
    if np_changed or nl_changed:
        changed = (f"; whole-number floats written without '.0' ({np_changed:,} prediction ids, {nl_changed:,} "
                   "label ids, e.g. 4.0 -> '4')")
    note = (f"id column {show(on)} has different types in predictions ({pid.dtype}) and labels ({lid.dtype}): "
            f"matched on canonical text keys{changed}")
    return cp, cl, note


def _mixed(values: pd.Series) -> bool:
    """True for an object column holding numbers as well as text (ids 4 and '4' in one column)."""
    if values.dtype != object:
        return False
    kinds = pd.api.types.infer_dtype(values, skipna=True)
    return kinds not in ("string", "empty", "unicode")


@dataclasses.dataclass(frozen=True, repr=False)  # the Result base's one-line repr, not a dump of its frames
class FeedbackReport(Result):
    """Where the labels are: coverage and delay per window, and every label that could not be used.

    Made by :func:`join_labels`; ``report.to_frame()`` is the coverage table, ``report.chart()``
    draws it, ``report.issues`` lists every kind of problem with its count.

    Attributes
    ----------
    coverage
        One row per window: window, window_start, n_predictions, n_labelled, coverage, n_waiting,
        n_overdue, n_duplicates, n_conflicts, delay_p10_days, delay_median_days, delay_p90_days.
    sources
        Labelled predictions per window and label ``source`` (empty without a source column).
    delays
        Quantiles of the label delay in days over all labelled predictions.
    orphans
        Label rows that match no prediction, with a ``reason``.
    conflicts
        Predictions whose labels disagree: id, n_labels, values.
    issues
        One row per kind of problem: issue, n, example, action.
    n_no_id, n_no_value
        Label rows without an id (cannot be joined) and without a target value (not used).
    label_rows
        Where every label row went: ``matched`` (one per prediction that got labels), ``duplicates``,
        ``conflicting extras``, ``orphans``, ``no id``, ``no value``; the counts add up to ``n_labels``.
    """

    coverage: pd.DataFrame
    sources: pd.DataFrame
    delays: pd.DataFrame
    orphans: pd.DataFrame
    conflicts: pd.DataFrame
    issues: pd.DataFrame
    n_predictions: int
    n_labels: int
    n_matched: int
    n_orphans: int
    n_duplicates: int
    n_conflicts: int
    n_waiting: int
    n_overdue: int
    as_of: pd.Timestamp | None = None
    expected_delay: pd.Timedelta | None = None
    conflict_policy: str = "latest"
    notes: tuple[str, ...] = ()
    n_no_id: int = 0
    n_no_value: int = 0
    label_rows: dict = dataclasses.field(default_factory=dict)
    #: ``predictions`` plus the label columns (see :func:`join_labels`).
    joined: pd.DataFrame | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def report(self) -> "FeedbackReport":
        """The report itself (``fb.report`` reads as it did when join_labels returned a tuple)."""
        return self

    def __iter__(self):
        # ``joined, report = tk.join_labels(...)`` keeps working
        return iter((self.joined, self))

    def __getitem__(self, index: int):
        return (self.joined, self)[index]

    @property
    def coverage_share(self) -> float:
        """Share of all predictions that have a label."""
        return self.n_matched / self.n_predictions if self.n_predictions else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The per-window coverage table (a copy)."""
        return self.coverage.copy()

    def chart(self):
        """Label coverage per window (bars) and label delay (median with 10th-90th percentile band)."""
        from ..charts.performance import feedback_chart

        return feedback_chart(self)

    def _headline(self) -> str:
        delay = self.delays.loc[self.delays["quantile"] == 0.5, "delay_days"]
        med = f"; median delay {delay.iloc[0]:.1f} days" if len(delay) and pd.notna(delay.iloc[0]) else ""
        return (f"{self.n_matched:,} of {self.n_predictions:,} predictions labelled ({self.coverage_share:.1%}){med}; "
                f"{self.n_waiting:,} waiting, {self.n_overdue:,} overdue; {self.n_orphans:,} orphan labels, "
                f"{self.n_duplicates:,} duplicates, {self.n_conflicts:,} conflicts")

    def to_html(self) -> str:
        body = frame_to_html(self.issues)
        body += frame_to_html(self.coverage.drop(columns=["window_start"]), max_rows=60)
        body += notes_html(self.notes)
        bad = self.n_conflicts or self.n_orphans or self.n_overdue
        colour = SEVERITY_COLOURS["warning"] if bad else SEVERITY_COLOURS["ok"]
        return card("Label feedback", body, headline=self._headline(), colour=colour)
