"""How each feature relates to the model's score and to the outcome, in the baseline and now.

Drift says a feature's distribution moved; this says whether its *meaning* moved. Per feature
bin (baseline quantiles for numeric columns, top categories otherwise) it gives the mean score and,
where labels exist, the observed outcome rate on both sides. A bin whose outcome rate changed while
the score did not is where the model is now wrong: concept drift shows up here first.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from toolkit.relationships import feature_relationships
>>> rng = np.random.default_rng(0)
>>> x = rng.integers(0, 4, 4000)
>>> ref = pd.DataFrame({"x": x, "p": 0.1 + 0.2 * x, "y": (rng.random(4000) < 0.1 + 0.2 * x).astype(int)})
>>> cur = ref.assign(y=(rng.random(4000) < 0.7 - 0.2 * x).astype(int))     # the link flips
>>> rel = feature_relationships(ref, cur, target="y", score="p", columns=["x"])
>>> rel.changed()["column"].tolist()
['x']
"""
from __future__ import annotations

import dataclasses
from collections.abc import Hashable

import numpy as np
import pandas as pd

from ._checks import check_columns, check_frame
from ._html import card, frame_to_html
from .kinds import Kind, infer_kind
from .results import Result

__all__ = ["feature_relationships", "FeatureRelationships"]

FRAME_COLUMNS = ["column", "bin", "order", "side", "n", "mean_score", "n_labelled", "outcome_rate",
                 "outcome_lower", "outcome_upper"]


def _bins(ref: pd.Series, cur: pd.Series, kind: Kind, n_bins: int, top: int) -> tuple[pd.Series, pd.Series, list[str]]:
    """Bin labels for both sides, on the reference's quantiles or categories, and their order."""
    if kind is Kind.NUMERIC:
        from .kinds import coerce_numeric

        r, c = coerce_numeric(ref), coerce_numeric(cur)
        finite = r[np.isfinite(r)]
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1))) if len(finite) else np.array([0.0])
        if edges.size < 2:
            edges = np.array([edges[0], edges[0]])
        inner = edges[1:-1]

        def label(values: pd.Series) -> pd.Series:
            idx = np.searchsorted(inner, values.to_numpy(dtype=float), side="right")
            names = np.array([_interval(edges, i) for i in range(len(inner) + 1)], dtype=object)
            out = pd.Series(names[np.minimum(idx, len(names) - 1)], index=values.index, dtype=object)
            return out.where(values.notna(), "(missing)")

        order = [_interval(edges, i) for i in range(len(inner) + 1)] + ["(missing)"]
        return label(r), label(c), order
    r, c = ref.astype("string").astype(object), cur.astype("string").astype(object)
    keep = r.value_counts().index[:top].tolist()
    new = [v for v in c.value_counts().index if v not in set(r.dropna())][:3]

    def label(values: pd.Series) -> pd.Series:
        out = values.where(values.isin(keep + new), "(other)")
        return out.where(values.notna(), "(missing)")

    return label(r), label(c), [*keep, *new, "(other)", "(missing)"]


def _interval(edges: np.ndarray, i: int) -> str:
    lo, hi = edges[i], edges[min(i + 1, len(edges) - 1)]
    return f"[{lo:.4g}, {hi:.4g}{']' if i + 1 >= len(edges) - 1 else ')'}"


def _side(frame: pd.DataFrame, labels: pd.Series, side: str, score, target, positive, weights,
          task: str = "binary", prediction=None, class_scores=None) -> pd.DataFrame:
    """Per bin: mean model output and the outcome with its 95% interval.

    binary: the score and the positive rate (Wilson); regression: the predicted value and the mean
    target (normal interval); multiclass: the largest class probability (if logged) and the share of
    rows predicted right (Wilson)."""
    data = pd.DataFrame({"bin": labels.to_numpy()})
    if task == "multiclass":
        cols = [c for c in (class_scores or {}).values() if c in frame]
        data["score"] = (frame[cols].apply(pd.to_numeric, errors="coerce").max(axis=1).to_numpy()
                         if cols and len(cols) == len(class_scores) else np.nan)
    else:
        output = score or (prediction if task == "regression" else None)
        data["score"] = pd.to_numeric(frame[output], errors="coerce").to_numpy() if output and output in frame else np.nan
    if target and target in frame:
        y = frame[target]
        if task == "regression":
            data["y"] = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
        elif task == "multiclass":
            right = (y == frame[prediction]) if prediction and prediction in frame else pd.Series(np.nan, index=y.index)
            data["y"] = np.where(y.isna(), np.nan, right.astype(float))
        else:
            data["y"] = np.where(y.isna(), np.nan, (y == positive).astype(float))
    else:
        data["y"] = np.nan
    data["w"] = frame[weights].to_numpy(dtype=float) if weights and weights in frame else 1.0
    data["wy"] = data["w"] * data["y"]
    data["has_y"] = data["y"].notna()
    g = data.groupby("bin", sort=False)
    out = pd.DataFrame({
        "n": g.size(), "mean_score": g["score"].mean(), "n_labelled": g["has_y"].sum(),
        "w_labelled": data["w"].where(data["has_y"], 0.0).groupby(data["bin"], sort=False).sum(),
        "wy": g["wy"].sum(min_count=1), "sd": g["y"].std(),
    }).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["outcome_rate"] = out["wy"] / out["w_labelled"]
        if task == "regression":  # normal interval for a mean
            half = 1.959964 * out["sd"] / np.sqrt(out["n_labelled"].to_numpy(float))
            lo, hi = out["outcome_rate"] - half, out["outcome_rate"] + half
        else:  # Wilson on the effective sample size of the weighted labels
            from .outcomes.intervals import wilson  # the one Wilson interval (clipped to [0, 1])

            lo, hi = wilson(out["outcome_rate"].to_numpy() * out["n_labelled"].to_numpy(),
                             out["n_labelled"].to_numpy(float))
    out["outcome_lower"], out["outcome_upper"] = lo, hi
    out["side"] = side
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class FeatureRelationships(Result):
    """Score and outcome per feature bin, reference vs current (see :func:`feature_relationships`).

    ``to_frame()`` is tidy: column, bin, order, side, n, mean_score, n_labelled, outcome_rate,
    outcome_lower, outcome_upper.
    """

    frame: pd.DataFrame
    has_labels: bool
    outcome: str = "outcome rate"   # what outcome_rate holds: "outcome rate", "mean outcome" or "accuracy"

    def changed(self, min_labels: int = 30) -> pd.DataFrame:
        """Features whose outcome rate moved beyond both intervals in some bin, largest gap first.

        Columns: column, bin, outcome_reference, outcome_current, gap, score_gap. ``score_gap`` near
        zero with a large ``gap`` means the model did not follow the change (concept drift).
        """
        f = self.frame[self.frame["n_labelled"] >= min_labels]
        ref = f[f["side"] == "reference"].set_index(["column", "bin"])
        cur = f[f["side"] == "current"].set_index(["column", "bin"])
        both = ref.add_suffix("_ref").join(cur.add_suffix("_cur"), how="inner")
        apart = (both["outcome_lower_cur"] > both["outcome_upper_ref"]) | (both["outcome_upper_cur"] < both["outcome_lower_ref"])
        hits = both[apart].assign(
            gap=lambda d: d["outcome_rate_cur"] - d["outcome_rate_ref"],
            score_gap=lambda d: d["mean_score_cur"] - d["mean_score_ref"],
        ).reset_index()
        hits["abs_gap"] = (hits["gap"] - hits["score_gap"]).abs()
        best = hits.sort_values("abs_gap", ascending=False).drop_duplicates("column")
        return best.rename(columns={"outcome_rate_ref": "outcome_reference", "outcome_rate_cur": "outcome_current"})[
            ["column", "bin", "outcome_reference", "outcome_current", "gap", "score_gap"]].reset_index(drop=True)

    def chart(self, columns: list[str] | None = None, order: list[str] | None = None):
        """Mean score and outcome rate per bin, reference vs current, with a feature dropdown.

        The dropdown starts on the most severe feature: those whose outcome link changed (largest gap
        first), then ``order`` (e.g. the drift ranking), then the rest."""
        from .charts.relationships import relationship_chart

        frame = self.frame if columns is None else self.frame[self.frame["column"].isin(columns)]
        changed = self.changed()["column"].tolist() if self.has_labels else []
        present = set(frame["column"])
        first = [c for c in dict.fromkeys([*changed, *(order or []), *frame["column"]]) if c in present]
        return relationship_chart(frame, outcome=self.outcome, order=first)

    def _headline(self) -> str:
        if not self.has_labels:
            return "no labels in the current window: score relationships only"
        return f"{len(self.changed())} feature(s) whose outcome rate changed in some bin beyond sampling noise"

    def to_html(self) -> str:
        changed = self.changed() if self.has_labels else pd.DataFrame()
        return card("Feature relationships with score and outcome", frame_to_html(changed), self.headline)

    def __repr__(self) -> str:
        return f"FeatureRelationships({self.frame['column'].nunique()} features, labels={self.has_labels})"


def feature_relationships(reference: pd.DataFrame, current: pd.DataFrame, spec=None, *, columns: list[str] | None = None,
                          target: str | None = None, score: str | None = None, positive_label: object = None,
                          weights: str | None = None, bins: int = 8, top: int = 10,
                          class_scores: dict | None = None) -> FeatureRelationships:
    """Per feature bin: mean score and outcome rate (with a Wilson interval) in reference and current.

    Parameters
    ----------
    reference, current
        Frames with the features, the score and (where labelled) the target.
    spec
        A :class:`~toolkit.ModelSpec` giving features, kinds, target, score and positive label.
    columns
        Features to describe (default: ``spec.features``, else every column but target and score).
    weights
        Column of per-row weights for the outcome rate (``1 / inclusion_prob`` for audit samples).
    bins, top
        Quantile bins for numeric features; categories kept for categorical ones.
    class_scores
        Multiclass: ``{class: probability column}``; the model output per bin is then the mean largest
        class probability (default: detected from the reference, see
        :func:`toolkit.outcomes.setup.detect_class_scores`).

    By task, the outcome per bin is the positive rate (binary), the mean target (regression, the model
    output being the mean prediction) or the share predicted right (multiclass).
    """
    from .spec import resolve_roles

    check_frame("current", current)
    # labels are optional here (no labels: score relationships only), so a role may be absent from a frame;
    # a role passed by keyword must still name a column of one of them, with the owner's "did you mean"
    given = {"target": target, "score": score}
    roles = resolve_roles(reference, spec, name="reference", require=(), caller="feature_relationships",
                          present=tuple(r for r, c in given.items()
                                        if isinstance(c, Hashable) and c is not None and c not in current.columns),
                          target=target, score=score, positive_label=positive_label)
    target, score, prediction = roles.target, roles.score, roles.prediction
    positive, task = roles.positive_label, roles.task
    if task == "multiclass" and class_scores is None:
        from .outcomes.setup import detect_class_scores

        class_scores = detect_class_scores(reference, target, exclude=columns or ())
    if columns is None:
        columns = list(roles.features) if spec else [c for c in reference.columns if c not in (target, score)]
    check_columns("reference", reference, columns)
    parts = []
    for column in columns:
        kind = spec.kinds.get(column) if spec and column in spec.kinds else infer_kind(reference[column])
        if kind.skipped or kind is Kind.DATETIME:
            continue
        cur_values = current[column] if column in current else pd.Series(np.nan, index=current.index)
        ref_bins, cur_bins, order = _bins(reference[column], cur_values, kind, bins, top)
        rank = {b: i for i, b in enumerate(order)}
        for side, frame, labels in (("reference", reference, ref_bins), ("current", current, cur_bins)):
            part = _side(frame, labels, side, score, target, positive, weights, task, prediction, class_scores)
            # one label per row: a tuple name such as ("price", "mean") is one label, not a sequence of values
            part.insert(0, "column", pd.Series([column] * len(part), index=part.index, dtype=object))
            part["order"] = part["bin"].map(rank).fillna(len(order)).astype(int)
            parts.append(part)
    frame = pd.concat(parts, ignore_index=True)[FRAME_COLUMNS].sort_values(["column", "side", "order"])
    has_labels = bool(target and target in current and current[target].notna().any())
    outcome = {"regression": "mean outcome", "multiclass": "accuracy"}.get(task, "outcome rate")
    return FeatureRelationships(frame.reset_index(drop=True), has_labels, outcome)
