"""The labelled rows a model could be retrained on, with every excluded row counted and explained.

Shared by :func:`toolkit.retraining_plan` (which replays time on these rows) and
:func:`toolkit.retraining_set` (which writes them to Parquet), so the plan measures exactly the data
the exported set contains.

The rules, in order (a row excluded by one rule is counted under that rule only):

1. **Eligible rows** are logged predictions of the chosen windows that received at least one label.
   Labels that match no prediction (orphans) cannot be used: they have no features.
2. **Duplicate labels** (same value twice) collapse to one row. **Conflicting labels** (different
   values for one prediction) exclude the row: ``label_conflict``. Nobody can say which is right.
3. **Schema breaks**: a feature that the contract finds missing, renamed, of another type or with a
   null-rate spike in a window is broken for that window. Every row of the window is excluded
   (``schema_break: <column> <check>``), except for a null-rate spike, where only the rows whose
   value is missing are (the outage lost them).
4. **Quarantined rows**: rows that the contract's guard quarantines (values out of the baseline's
   range, ...) are excluded with the guard's check and column (``quarantined: out_of_range
   avg_session_minutes``), except for the checks in ``keep_checks`` (default: ``unseen_category``):
   a new category is new reality that a retrained model has to learn, not broken data.

Each kept row carries ``design_weight = 1 / inclusion_prob`` (1 for labels that arrived with
certainty), so a score-biased audit sample does not bias what a model learns or how it is scored.

Examples
--------
>>> import toolkit as tk
>>> cfg = tk.ModelConfig.load("notebooks/model.yaml")          # doctest: +SKIP
>>> rows = labelled_rows(cfg, windows=["2026-16", "2026-17"])   # doctest: +SKIP
>>> rows.n_eligible - rows.n_excluded == len(rows.frame)         # doctest: +SKIP
True
"""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from .._checks import preview

__all__ = ["LabelledRows", "labelled_rows", "reference_rows", "COLUMN_LEVEL_CHECKS", "clean_features",
           "window_problems", "labelled_join", "has_matched_labels"]

#: contract checks that break a whole column of a window (rows cannot be blamed one by one)
COLUMN_LEVEL_CHECKS = ("missing_column", "suspected_rename", "dtype_change", "null_rate")
DESIGN_WEIGHT = "design_weight"
_PIECE = re.compile(r"^(\w+): '?([^=' ]+)")


@dataclasses.dataclass(frozen=True, eq=False)
class LabelledRows:
    """Labelled production rows after the exclusion rules (see the module docstring).

    Attributes
    ----------
    frame
        Kept rows: the id, timestamp, ``window``, features (numeric kinds coerced to numbers), target,
        score/prediction columns, ``inclusion_prob`` (if any) and ``design_weight``.
    exclusions
        ``window, reason, n``: every excluded eligible row, counted once under its first reason.
    coverage
        Per window: ``window, n_predictions, n_labelled, n_excluded, n_kept, label_coverage``.
    problems
        Per window: column-level contract errors on features (``window, column, check``).
    n_eligible
        Labelled rows of the chosen windows (before exclusions).
    joined, feedback
        The label join the rows come from (:func:`labelled_join`, shared by every call on one config: read
        it, do not modify it) and its coverage report.
    """

    frame: pd.DataFrame
    exclusions: pd.DataFrame
    coverage: pd.DataFrame
    problems: pd.DataFrame
    n_eligible: int
    windows: tuple[str, ...]
    label_rule: str
    keep_checks: tuple[str, ...]
    feedback: object = None
    joined: pd.DataFrame | None = None

    @property
    def n_excluded(self) -> int:
        return int(self.exclusions["n"].sum()) if len(self.exclusions) else 0


def clean_features(frame: pd.DataFrame, spec) -> pd.DataFrame:
    """The spec's features as a learner reads them: numeric kinds as floats, the others as text (NaN kept)."""
    out = {}
    for col in spec.features:
        values = frame[col] if col in frame.columns else pd.Series(np.nan, index=frame.index)
        if is_numeric_feature(spec, col, values):
            out[col] = pd.to_numeric(values, errors="coerce").astype(float)
        else:
            # text categories (vectorised): '1' and 1 are one category, missing stays NaN
            out[col] = values.astype(str).astype(object).where(values.notna().to_numpy(), np.nan)
    return pd.DataFrame(out, index=frame.index)


def is_numeric_feature(spec, column: str, values: pd.Series | None = None) -> bool:
    kind = (spec.kinds or {}).get(column, "")
    # a Kind member: its value ("numeric"); str() of a str-Enum is "Kind.NUMERIC" and read every feature as text
    kind = str(getattr(kind, "value", kind)).lower()
    if kind:
        return kind == "numeric"
    return values is not None and pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values)


def window_problems(validation, spec) -> list[tuple[str, str]]:
    """Column-level contract errors on the spec's features: ``[(column, check), ...]``."""
    errors = validation.errors
    features = set(spec.features)
    return [(c, k) for c, k in zip(errors["column"], errors["check"]) if k in COLUMN_LEVEL_CHECKS and c in features]


def _inclusion_column(config, joined: pd.DataFrame) -> str | None:
    col = getattr(config, "inclusion_prob", None)
    if col and col in joined.columns:
        return col
    return "inclusion_prob" if "inclusion_prob" in joined.columns else None


def _design_weights(values: pd.Series | None, n: int, column: str | None) -> np.ndarray:
    if values is None:
        return np.ones(n)
    pi = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~((pi > 0) & (pi <= 1))
    if bad.any():
        raise ValueError(f"labels column {column!r} (inclusion probabilities) has {int(bad.sum()):,} values outside "
                         "(0, 1] or missing among labelled rows; fill 1.0 for labels known with certainty")
    return 1.0 / pi


def _memo(config) -> dict:
    """Per-config store of what :func:`labelled_rows` computes once for a model (the label join, each window's
    guard): the plan and the retraining set of one config share it. Kept in the config's ``__dict__``, as its own
    cached properties are, so it lives as long as the config; entries check that their inputs are the same
    objects. An object without ``__dict__`` (a stand-in config) gets a throwaway store: nothing memoised."""
    store = getattr(config, "__dict__", None)
    if store is None:
        return {}
    return store.setdefault("_tk_retrain_memo", {})


def labelled_join(config, conflicts: str = "drop"):
    """Production joined to the labels file by window under the ``conflicts`` rule, once per config and rule.

    Unpacks as ``joined, report``; ``.joined`` is the frame. Every number is that of
    ``join_labels(config.production_frame, config.label_frame, by="window", conflicts=conflicts)``: it is
    derived from :attr:`ModelConfig.labelled <toolkit.ModelConfig.labelled>` (the join every template shares,
    conflict rule 'latest', loaded from the report run's cache) by joining again only the predictions with
    more than one label, the only rows a conflict rule can change (see :func:`_from_shared_join`). The
    ``report`` (coverage and delays) and ``label_status`` outside those rows are the shared join's. The frame
    is shared by every caller of one config: read it, do not modify it in place.

    >>> joined, feedback = labelled_join(cfg)      # doctest: +SKIP
    >>> labelled_join(cfg) is labelled_join(cfg)    # doctest: +SKIP
    True
    """
    from .labels import join_labels

    production, labels = config.production_frame, config.label_frame
    memo = _memo(config)
    hit = memo.get(("join", conflicts))
    if hit is None or hit[0] is not production or hit[1] is not labels:
        value = _from_shared_join(config, conflicts)
        if value is None:
            value = join_labels(production, labels, spec=config.spec, by="window", conflicts=conflicts)
        hit = (production, labels, value)
        memo[("join", conflicts)] = hit
    return hit[2]


def _from_shared_join(config, conflicts: str):
    """The ``conflicts`` join from the shared 'latest' one (``config.labelled``), or None when it cannot be
    derived exactly (another label setup, or the ids of the re-joined rows match differently alone).

    Only predictions with several labels differ between conflict rules: which duplicate's ``label_time`` and
    ``inclusion_prob`` are kept ('latest' keeps the last, 'drop' and 'first' the first), and whether a
    conflicting prediction keeps a label. Those predictions' ids are joined again, with every prediction and
    every label of those ids (so repeated ids match as in the full join), and their rows replace the shared
    join's. The re-join must match each of these rows with as many labels as the full join did; if not (ids
    written differently on the two sides), None: the caller joins everything."""
    from .labels import join_labels
    from .setup import LabelledProduction

    labelled = config.labelled
    if getattr(labelled, "setup", None) != "labels file" or config.spec.id is None:
        return None
    if conflicts == "latest":
        return labelled
    joined, spec = labelled.joined, config.spec
    n_labels = joined["n_labels"].to_numpy()
    production, labels = config.production_frame, config.label_frame
    if len(joined) != len(production) or spec.id not in production.columns or spec.id not in labels.columns:
        return None
    several = np.flatnonzero(n_labels > 1)
    if not len(several):   # one label per prediction at most: every conflict rule joins the same
        return labelled
    ids = production[spec.id].iloc[several]
    rows = np.flatnonzero(production[spec.id].isin(ids).to_numpy())
    part = production.iloc[rows]
    if spec.target in part.columns:   # as label_production: the labels file is the source of truth
        part = part.drop(columns=spec.target)
    timestamp = spec.timestamp if spec.timestamp and spec.timestamp in part.columns else None
    again = join_labels(part, labels[labels[spec.id].isin(ids)], spec=spec, timestamp=timestamp, by="window",
                        conflicts=conflicts).joined
    if not np.array_equal(again["n_labels"].to_numpy(), n_labels[rows]):
        return None
    out = joined.copy(deep=False)   # the changed columns are replaced below, the others shared (memory)
    carried = [c for c in labels.columns if c != spec.id]
    dropped_rows = np.zeros(len(out), dtype=bool)
    if conflicts == "drop":
        dropped_rows[rows[again["label_conflict"].to_numpy(dtype=bool)]] = True
    for column in carried + ["n_labels", "label_conflict", "label_delay"]:
        values = out[column]
        if column in carried and dropped_rows.any():
            # as join_labels does: the dropped labels' columns go missing (an integer target becomes float)
            values = values.where(~dropped_rows)
        values = values.copy()
        values.iloc[rows] = again[column].array
        out[column] = values
    status = out["label_status"].to_numpy(copy=True)
    dropped = again["label_status"].to_numpy() == "conflict dropped"
    status[rows[dropped]] = "conflict dropped"
    out["label_status"] = status
    return LabelledProduction(out, labelled.report, labelled.setup, labelled.target)


def has_matched_labels(config) -> bool:
    """Whether any logged prediction has a label (``config.labelled.has_labels``), from the join
    :func:`labelled_rows` uses when labels come in a file: a prediction matched by a label row counts
    whatever the conflict rule, so no second join is needed for the question."""
    if config.labels is not None and config.label_frame is not None:
        return bool((labelled_join(config).joined["n_labels"].to_numpy() > 0).any())
    return bool(config.labelled.has_labels)


def _window_guard(config, window: str, contract) -> tuple[list, np.ndarray, list]:
    """``(column-level problems, quarantined positions, their reasons)`` of one window under the contract's
    guard, each reason parsed into ``[(check, column), ...]``; computed once per config, window and contract
    (the guard is most of the cost of :func:`labelled_rows`; the plan and the retraining set ask for the same
    windows)."""
    from ..schema import guard

    batch = config.batches[window]
    memo = _memo(config)
    hit = memo.get(("guard", window))
    if hit is None or hit[0] is not batch or hit[1] is not contract:
        # quarantined index == position in the window
        result = guard(batch.reset_index(drop=True), contract, max_failure_share=1.0, strict_columns=False)
        quarantined = result.quarantined
        texts = quarantined[result.reason_column].astype(str).tolist() if len(quarantined) else []
        value = (window_problems(result.validation, config.spec), quarantined.index.to_numpy(),
                 [_parse_reason(text) for text in texts])
        hit = (batch, contract, value)
        memo[("guard", window)] = hit
    return hit[2]


def _parse_reason(text: str) -> list[tuple[str, str]]:
    """``"out_of_range: x=5 above ...; unseen_category: c='z' ..."`` -> ``[("out_of_range", "x"), ...]``."""
    out = []
    for piece in text.split("; "):
        m = _PIECE.match(piece)
        out.append((m.group(1), m.group(2)) if m else (piece.split(":")[0], ""))
    return out


def labelled_rows(config, *, windows: list[str] | None = None, conflicts: str = "drop",
                  keep_checks: tuple[str, ...] = ("unseen_category",), joined=None) -> LabelledRows:
    """Labelled production rows of ``windows`` (default: all) after the documented exclusion rules.

    The label join and each window's guard are computed once per config object (see :func:`labelled_join`):
    a second call (the retraining set after the plan) only re-applies the rules.

    Parameters
    ----------
    config
        A :class:`~toolkit.ModelConfig` whose labels arrive in a labels file or inside production.
    windows
        Window labels to use (default: every production window).
    conflicts
        How conflicting labels are resolved: 'drop' (default: the row is excluded and counted),
        'latest' or 'first' (as in :func:`toolkit.join_labels`).
    keep_checks
        Row-level contract checks whose quarantined rows are kept (default ``("unseen_category",)``).
    joined
        An already computed ``tk.join_labels(config.production_frame, ...)`` result to reuse.
    """
    spec = config.spec
    if spec.target is None:
        raise ValueError("spec.target is not set in model.yaml; the retraining set needs the label column")
    all_windows = config.windows
    if windows is None:
        windows = all_windows
    unknown = [w for w in windows if w not in config.batches]
    if unknown:
        raise KeyError(f"window(s) {preview(unknown)} not in production; available: {preview(all_windows)}")
    if joined is None and config.labels is not None and config.label_frame is not None:
        joined, feedback = labelled_join(config, conflicts)
    elif joined is None:   # the target inside production, or no labels: the one owner of label setups
        labelled = config.labelled
        if not labelled.has_labels:
            raise ValueError(f"model {config.name!r} has no labels: neither a `labels:` file nor the target "
                             f"{spec.target!r} inside production; without labels there is nothing to retrain on")
        joined, feedback = labelled
    else:
        joined, feedback = joined
    contract = config.contract_object
    pi_col = _inclusion_column(config, joined)
    keep_checks = tuple(keep_checks)

    # the rules read a few columns per window; the kept rows are taken from ``joined`` once at the end (one
    # copy of each column, not two per window: string columns held by pyarrow are slow to take)
    kept_positions, exclusion_rows, coverage_rows, problem_rows = [], [], [], []
    window_col = joined["window"].astype(str).to_numpy()
    n_labels = joined["n_labels"].to_numpy()
    conflicted = (joined["label_conflict"].to_numpy(dtype=bool) & joined[spec.target].isna().to_numpy()
                  if "label_conflict" in joined.columns else None)
    for w in windows:
        positions = np.flatnonzero(window_col == w)
        eligible = n_labels[positions] > 0
        n_pred, n_elig = len(positions), int(eligible.sum())
        reason = np.full(n_pred, "", dtype=object)
        if conflicted is not None:
            reason[eligible & conflicted[positions]] = "label_conflict"
        problems, quarantined_at, quarantine_reasons = _window_guard(config, w, contract)
        for column, check in problems:
            problem_rows.append({"window": w, "column": column, "check": check})
            if check == "null_rate" and column in joined.columns:
                hit = joined[column].iloc[positions].isna().to_numpy()
            else:
                hit = np.ones(n_pred, dtype=bool)
            free = eligible & (reason == "") & hit
            reason[free] = f"schema_break: {column} {check}"
        # the batch keeps its own index: map quarantined batch rows to positions in this window
        for pos, pieces in zip(quarantined_at, quarantine_reasons):
            if pos < 0 or pos >= n_pred or not eligible[pos] or reason[pos]:
                continue
            for code, column in pieces:
                if code not in keep_checks:
                    reason[pos] = f"quarantined: {code} {column}".strip()
                    break
        excluded = eligible & (reason != "")
        if excluded.any():
            counts = pd.Series(reason[excluded]).value_counts()
            exclusion_rows += [{"window": w, "reason": r, "n": int(n)} for r, n in counts.items()]
        keep = eligible & ~excluded
        kept_positions.append(positions[keep])
        coverage_rows.append({"window": w, "n_predictions": n_pred, "n_labelled": n_elig,
                              "n_excluded": int(excluded.sum()), "n_kept": int(keep.sum()),
                              "label_coverage": n_elig / n_pred if n_pred else np.nan})
    kept = joined.iloc[np.concatenate(kept_positions)] if kept_positions else joined.iloc[:0]
    frame = _assemble(kept, spec, pi_col)
    label_rule = ("duplicate labels (same value) count once; conflicting labels "
                  + {"drop": "exclude the row (label_conflict)", "latest": "keep the latest label",
                     "first": "keep the first label"}.get(conflicts, conflicts))
    return LabelledRows(
        frame=frame,
        exclusions=pd.DataFrame(exclusion_rows, columns=["window", "reason", "n"]),
        coverage=pd.DataFrame(coverage_rows, columns=["window", "n_predictions", "n_labelled", "n_excluded",
                                                      "n_kept", "label_coverage"]),
        problems=pd.DataFrame(problem_rows, columns=["window", "column", "check"]),
        n_eligible=int(sum(r["n_labelled"] for r in coverage_rows)), windows=tuple(windows),
        label_rule=label_rule, keep_checks=keep_checks, feedback=feedback, joined=joined,
    )


def _assemble(rows: pd.DataFrame, spec, pi_col: str | None) -> pd.DataFrame:
    """id, timestamp, window, cleaned features, target, score/prediction, inclusion_prob, design_weight."""
    front = [c for c in (spec.id, spec.timestamp) if c and c in rows.columns]
    out = rows[front].copy() if front else pd.DataFrame(index=rows.index)
    out["window"] = rows["window"].astype(str).to_numpy() if "window" in rows.columns else "reference"
    out = pd.concat([out, clean_features(rows, spec)], axis=1)
    out[spec.target] = rows[spec.target].to_numpy()
    for col in (spec.score, spec.prediction):
        if col and col in rows.columns and col not in out.columns:
            out[col] = rows[col].to_numpy()
    if pi_col:
        out[pi_col] = pd.to_numeric(rows[pi_col], errors="coerce").to_numpy(dtype=float)
    out[DESIGN_WEIGHT] = _design_weights(rows[pi_col] if pi_col else None, len(rows), pi_col)
    return out.reset_index(drop=True)


def reference_rows(config) -> pd.DataFrame:
    """The labelled reference (baseline) rows in the same layout, ``window == "reference"``, weight 1."""
    spec = config.spec
    ref = config.reference
    if spec.target not in ref.columns:
        return _assemble(ref.iloc[:0].assign(**{spec.target: pd.Series(dtype=float)}), spec, None)
    ref = ref[ref[spec.target].notna()]
    return _assemble(ref.assign(window="reference"), spec, None)
