"""ModelSpec: which column plays which role, and each column's logical kind.

Examples
--------
>>> import pandas as pd
>>> import toolkit as tk
>>> frame = pd.DataFrame({"id": range(100), "x": [i * 0.5 for i in range(100)],
...                       "plan": ["a", "b"] * 50, "y": [0, 1] * 50, "p": [0.2, 0.8] * 50})
>>> spec = tk.ModelSpec.infer(frame, target="y", score="p", id="id")
>>> spec.features
['x', 'plan']
>>> spec.kind("plan").value
'categorical'
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from ._checks import check_choice, check_columns, check_frame
from .kinds import Kind, infer_kind

__all__ = ["ModelSpec", "TASKS"]

TASKS = ("binary", "multiclass", "regression")
_ROLES = ("id", "timestamp", "target", "score", "prediction")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Column roles of one model's data.

    Parameters
    ----------
    features
        Model inputs, in order.
    target, score, prediction, timestamp, id
        Names of the ground truth, the model's score (probability of the positive class for binary),
        its predicted label, the event time and the row identifier. Any may be None.
    segments
        Extra columns to slice results by (they need not be features).
    kinds
        Logical kind per column (inferred; edit to override, e.g. ``{"zip": "categorical"}``).
    task
        'binary', 'multiclass' or 'regression'.
    positive_label
        Value of ``target`` that counts as positive for binary tasks.
    threshold
        Score at or above which the model predicts the positive class (binary).
    """

    features: list[str]
    target: str | None = None
    score: str | None = None
    prediction: str | None = None
    timestamp: str | None = None
    id: str | None = None
    segments: list[str] = dataclasses.field(default_factory=list)
    kinds: dict[str, Kind] = dataclasses.field(default_factory=dict)
    task: str = "binary"
    positive_label: object = 1
    threshold: float = 0.5

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        object.__setattr__(self, "features", list(self.features))
        object.__setattr__(self, "segments", list(self.segments))
        object.__setattr__(self, "kinds", {c: Kind(k) for c, k in self.kinds.items()})
        roles = [getattr(self, r) for r in _ROLES if getattr(self, r) is not None]
        overlap = sorted(set(roles) & set(self.features))
        if overlap:
            raise ValueError(f"column(s) {overlap} are both a feature and a role (target/score/...); pick one")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def infer(
        cls,
        reference: pd.DataFrame,
        *,
        target: str | None = None,
        score: str | None = None,
        prediction: str | None = None,
        timestamp: str | None = None,
        id: str | None = None,
        features: list[str] | None = None,
        segments: list[str] | None = None,
        kinds: dict[str, str] | None = None,
        task: str | None = None,
        positive_label: object = 1,
        threshold: float = 0.5,
    ) -> "ModelSpec":
        """Infer features and kinds from ``reference``; every column not given a role is a feature.

        Identifier-like and empty columns are kept out of ``features`` (their kind is still recorded).
        """
        check_frame("reference", reference)
        roles = {"target": target, "score": score, "prediction": prediction, "timestamp": timestamp, "id": id}
        check_columns("reference", reference, [c for c in roles.values() if c] + list(features or []))
        inferred = {str(c): infer_kind(reference[c]) for c in reference.columns}
        inferred.update({c: Kind(k) for c, k in (kinds or {}).items()})
        if features is None:
            taken = {c for c in roles.values() if c}
            features = [
                str(c) for c in reference.columns
                if c not in taken and not inferred[str(c)].skipped and inferred[str(c)] is not Kind.DATETIME
            ]
        if task is None:
            task = _infer_task(reference[target]) if target else "binary"
        return cls(
            features=features, segments=segments or [], kinds=inferred, task=task,
            positive_label=positive_label, threshold=threshold, **roles,
        )

    # -- queries ---------------------------------------------------------------------------------
    def kind(self, column: str) -> Kind:
        """Logical kind of ``column`` (KeyError naming the column if the spec does not know it)."""
        try:
            return self.kinds[column]
        except KeyError:
            raise KeyError(f"spec has no kind for column {column!r}; add it with spec.with_kinds({{{column!r}: 'numeric'}})") from None

    @property
    def monitored(self) -> list[str]:
        """Columns whose distribution is monitored: features, then the score and prediction."""
        return self.features + [c for c in (self.score, self.prediction) if c is not None]

    @property
    def columns(self) -> list[str]:
        """Every column the spec names."""
        roles = [getattr(self, r) for r in _ROLES if getattr(self, r) is not None]
        return list(dict.fromkeys(roles + self.features + self.segments))

    def with_kinds(self, kinds: dict[str, str]) -> "ModelSpec":
        """A copy with some kinds overridden."""
        return dataclasses.replace(self, kinds={**self.kinds, **{c: Kind(k) for c, k in kinds.items()}})

    def replace(self, **changes: object) -> "ModelSpec":
        """A copy with fields changed (``spec.replace(threshold=0.4)``)."""
        return dataclasses.replace(self, **changes)

    # -- persistence -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["kinds"] = {c: k.value for c, k in self.kinds.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ValueError(f"unknown ModelSpec field(s) {unknown}; valid fields are {sorted(fields)}")
        return cls(**data)

    def save(self, path: str | Path) -> Path:
        """Write the spec as YAML (human-editable)."""
        import yaml

        path = Path(path)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ModelSpec":
        """Read a spec written by :meth:`save`."""
        import yaml

        return cls.from_dict(yaml.safe_load(Path(path).read_text()))


def _infer_task(target: pd.Series) -> str:
    values = target.dropna()
    if values.nunique() <= 2:
        return "binary"
    kind = infer_kind(values)
    return "multiclass" if kind is Kind.CATEGORICAL else "regression"
