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
import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict, Unpack

import pandas as pd

from ._checks import ConfigError, check_columns, check_frame, preview, show
from .kinds import Kind, infer_kind, looks_like_identifier

__all__ = ["ModelSpec", "Roles", "RoleOverrides", "ROLE_OVERRIDES", "TASKS", "infer_threshold", "infer_positive_label",
           "resolve_roles",
           "is_column_label"]

TASKS = ("binary", "multiclass", "regression")
_ROLES = ("id", "timestamp", "target", "score", "prediction")
#: keyword arguments that override a spec's roles at every outcome entry point (``performance(...,
#: target="churned")``); :meth:`ModelSpec.resolve` is the one place that applies them
ROLE_OVERRIDES = ("target", "score", "prediction", "timestamp", "id", "task", "positive_label", "threshold",
                  "features")


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

    A single string for ``features`` or ``segments`` is one column name (``features="tenure"`` is
    ``["tenure"]``), never a sequence of one-letter columns. Wrong types or values raise
    ``ValueError`` / ``TypeError`` naming the field; :meth:`from_dict` and :meth:`load` raise
    :class:`~toolkit.ConfigError` naming the file and the key.
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
        try:
            _validate(self)
        except _FieldError as err:
            raise (TypeError if err.type_error else ValueError)(f"ModelSpec {err.key}: {err.text}") from None
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
        positive_label: object = None,
        threshold: float | None = None,
    ) -> "ModelSpec":
        """Infer features, kinds and the decision threshold from ``reference``.

        This is the one place roles, kinds and the threshold are resolved: ``toolkit new`` writes
        its result to ``model.yaml``, so a notebook that builds its own spec gets the same answer.

        - Every column not given a role is a feature; identifier-like, empty and datetime columns
          are kept out of ``features`` (their kind is still recorded).
        - The declared ``id`` has kind ``identifier`` and the ``timestamp`` kind ``datetime``: they are
          checked for presence, nulls, duplicates and type, never range-checked or drift-tested.
        - ``positive_label`` (binary): when not given, 1 if the target holds it, else the value the score
          ranks higher (``'yes'`` of yes/no), else a yes-like word or True (:func:`infer_positive_label`).
        - ``threshold`` (binary): when not given, the score cut-off that separates the baseline's
          predicted classes (:func:`infer_threshold`), else 0.5.

        >>> import pandas as pd
        >>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "s": [0.1, 0.29, 0.3134, 0.8],
        ...                       "p": [0, 0, 1, 1], "y": [0, 1, 1, 1]})
        >>> ModelSpec.infer(frame, target="y", score="s", prediction="p").threshold
        0.3
        """
        check_frame("reference", reference)
        if isinstance(features, str):  # one column name, never its characters
            features = [features]
        if isinstance(segments, str):
            segments = [segments]
        roles = {"target": target, "score": score, "prediction": prediction, "timestamp": timestamp, "id": id}
        check_columns("reference", reference, [c for c in roles.values() if c is not None] + list(features or []))
        # kinds and features keep the frame's own labels (an int, or a flattened MultiIndex tuple such as
        # ("price", "mean")), so that the spec's names index the frame they came from
        inferred = {c: infer_kind(reference[c]) for c in reference.columns}
        if id is not None:
            inferred[id] = Kind.IDENTIFIER
        if timestamp is not None:
            inferred[timestamp] = Kind.DATETIME
        if kinds is not None and not isinstance(kinds, Mapping):
            raise TypeError(f"kinds must be a mapping of column -> kind, e.g. {{'zip': 'categorical'}}; "
                            f"got {type(kinds).__name__}")
        try:
            inferred.update({c: _kind(f"kinds.{c}", k) for c, k in (kinds or {}).items()})
        except _FieldError as err:
            raise ValueError(f"{err.key}: {err.text}") from None
        for c in reference.columns:   # "ID" of unique integers: a row id, not a numeric feature to range-check
            declared = c in roles.values() or c in (kinds or {}) or c in (features or [])
            if not declared and looks_like_identifier(c, reference[c]):
                inferred[c] = Kind.IDENTIFIER
        if features is None:
            taken = {c for c in roles.values() if c is not None}
            features = [
                c for c in reference.columns
                if c not in taken and not inferred[c].skipped and inferred[c] is not Kind.DATETIME
            ]
        if task is None:
            task = infer_task(reference[target]) if target is not None else "binary"
            if task == "regression" and _predicts_classes(reference, target, prediction):
                task = "multiclass"   # class ids 0..K-1: a prediction that only ever names target values
        if task in ("binary", "multiclass"):   # class ids 0..K-1 name classes: their shares drift, not their mean
            for c in (target, prediction):
                if c is not None and c not in (kinds or {}) and inferred.get(c) is Kind.NUMERIC:
                    inferred[c] = Kind.CATEGORICAL
        if positive_label is None:
            positive_label = (infer_positive_label(reference, target, score) if task == "binary" and target is not None
                              and target in reference else 1)
        if threshold is None:
            found = infer_threshold(reference, score, prediction, positive_label) if task == "binary" else None
            threshold = 0.5 if found is None else found
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
        if not isinstance(kinds, Mapping):
            raise TypeError(f"kinds must be a mapping of column -> kind; got {type(kinds).__name__}")
        return dataclasses.replace(self, kinds={**self.kinds, **kinds})

    def replace(self, **changes: object) -> "ModelSpec":
        """A copy with fields changed (``spec.replace(threshold=0.4)``)."""
        return dataclasses.replace(self, **changes)

    def resolve(self, frame: pd.DataFrame | None = None, *, name: str = "current",
                require: tuple[str, ...] = ("target",), present: tuple[str, ...] = (), caller: str = "resolve",
                **overrides: Unpack["RoleOverrides"]) -> "Roles":
        """The roles an analysis uses: this spec with keyword ``overrides`` applied (they win).

        See :func:`resolve_roles` (which also serves callers without a spec).

        >>> spec = ModelSpec(features=["x"], target="y", score="p")
        >>> spec.resolve(threshold=0.3).threshold, spec.resolve(target="y2").target
        (0.3, 'y2')
        """
        return resolve_roles(frame, self, name=name, require=require, present=present, caller=caller, **overrides)

    # -- persistence -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["kinds"] = {c: k.value for c, k in self.kinds.items()}
        if self.task != "binary":   # a positive class and a score cut-off mean nothing for regression or
            out.pop("threshold")    # multiclass: model.yaml omits both
            out.pop("positive_label")
        return out

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "spec") -> "ModelSpec":
        """A spec from a plain mapping (as read from YAML).

        Raises :class:`~toolkit.ConfigError` naming ``source`` (e.g. ``"model.yaml: spec"``), the key
        and what is allowed.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: expected a mapping of spec fields (features, target, ...); "
                              f"got {type(data).__name__} {show(data)}")
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted((k for k in data if k not in fields), key=str)
        if unknown:
            raise ConfigError(f"{source}: unknown field(s) {unknown}; valid fields are {fields}")
        if data.get("features") is None:
            raise ConfigError(f"{source}.features: missing or empty; list the model's input columns, "
                              "e.g. features: [tenure, plan]")
        try:
            return cls(**data)
        except (ValueError, TypeError) as err:
            text = str(err)
            text = text[len("ModelSpec "):] if text.startswith("ModelSpec ") else text
            raise ConfigError(f"{source}.{text}") from None

    def save(self, path: str | Path) -> Path:
        """Write the spec as YAML (human-editable).

        Column names must be text or integers there: a tuple name (a flattened MultiIndex, fine in memory)
        raises a ``ValueError`` saying how to rename the columns.
        """
        from ._yaml import write_yaml

        odd = [c for c in self.columns + list(self.kinds) if not isinstance(c, (str, int)) or isinstance(c, bool)]
        if odd:
            raise ValueError(f"spec names column {show(odd[0])}, which model.yaml cannot hold as a name; rename the "
                             "columns to text first, e.g. frame.columns = ['_'.join(map(str, c)) for c in frame.columns]")
        return write_yaml(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> "ModelSpec":
        """Read a spec written by :meth:`save` (:class:`~toolkit.ConfigError` naming the file if invalid)."""
        from ._yaml import read_yaml

        path = Path(path)
        return cls.from_dict(read_yaml(path, "spec"), source=f"{path.name}: spec")


class RoleOverrides(TypedDict, total=False):
    """The role keywords every outcome entry point accepts (``performance(frame, target="churned")``).

    Each overrides the spec's field of the same name for one call; without a spec they name the columns.
    """

    target: str
    score: str
    prediction: str
    timestamp: str
    id: str
    task: str
    positive_label: object
    threshold: float
    features: list[str]


@dataclasses.dataclass(frozen=True)
class Roles:
    """Which column plays which role in one analysis: a spec after its keyword overrides.

    Made by :meth:`ModelSpec.resolve` / :func:`resolve_roles`; ``spec`` is the spec it came from (None
    when every role was passed as a keyword).
    """

    target: str | None
    score: str | None
    prediction: str | None
    timestamp: str | None
    id: str | None
    task: str
    positive_label: object
    threshold: float
    features: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    spec: "ModelSpec | None" = None

    @property
    def by_column(self) -> dict:
        """``{column: role}`` for the id, timestamp, target, score and prediction that are set.

        >>> ModelSpec(features=["x"], target="y", score="p").resolve().by_column
        {'y': 'target', 'p': 'score'}
        """
        return {getattr(self, r): r for r in _ROLES if getattr(self, r) is not None}


def resolve_roles(
    frame: pd.DataFrame | None,
    spec: ModelSpec | None,
    *,
    name: str = "current",
    require: tuple[str, ...] = ("target",),
    present: tuple[str, ...] = (),
    caller: str = "resolve_roles",
    **overrides: Unpack[RoleOverrides],
) -> Roles:
    """Merge ``spec`` with keyword overrides (keywords win), check them, and check them against ``frame``.

    This is the one place an outcome entry point (``performance``, ``estimate_performance``,
    ``attribute_drop``, ``risk_coverage``, ``abstain_threshold``, the engines' confusion counts)
    turns its ``spec=`` and ``target=``/``score=``/... keywords into column roles.

    - ``task``: the keyword, else ``spec.task``, else inferred from ``frame[target]``, else binary.
    - ``positive_label`` and ``threshold``: the keyword, else the spec's, else 1 and 0.5.
    - ``require``: roles that must be set, and must be columns of ``frame`` when it is given;
      ``"score|prediction"`` means either one. A missing one raises ``ValueError`` saying which
      keyword to pass; a column absent from ``frame`` raises ``KeyError`` naming the role, the
      column, close matches and the fix.
    - ``present``: roles that may be unset, but when set must be columns of ``frame`` (same error).

    >>> frame = pd.DataFrame({"churned": [0, 1, 1], "p": [0.1, 0.9, 0.5]})
    >>> roles = resolve_roles(frame, None, target="churned", score="p")
    >>> roles.task, roles.threshold
    ('binary', 0.5)
    >>> resolve_roles(frame, None, target="churn")
    Traceback (most recent call last):
    ...
    KeyError: "current lacks column 'churn' (the target); it has 'churned', 'p'. Did you mean 'churned'? Pass target='<column>' or fix spec.target"
    """
    unknown = [k for k in overrides if k not in ROLE_OVERRIDES]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], ROLE_OVERRIDES, n=1)
        raise TypeError(f"{caller}() got an unexpected keyword argument {unknown[0]!r}"
                        + (f"; did you mean {close[0]!r}?" if close else "")
                        + f" Role keywords are {', '.join(ROLE_OVERRIDES)}")
    target, score, prediction, timestamp, id, task, positive_label, threshold, features = (
        overrides.get(k) for k in ROLE_OVERRIDES)
    if frame is not None:
        check_frame(name, frame)
    if spec is not None and not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a toolkit.ModelSpec; got {type(spec).__name__}. "
                        "Build one with tk.ModelSpec.infer(reference, target=..., score=...)")
    given = {"target": target, "score": score, "prediction": prediction, "timestamp": timestamp, "id": id}
    for role, value in given.items():
        if value is not None and not is_column_label(value):
            raise TypeError(f"{role}= must be one column's name; got {show(value)}"
                            + (" (a list names several columns: pass one)" if isinstance(value, list) else ""))
    roles = {role: value if value is not None else getattr(spec, role, None) for role, value in given.items()}
    positive_label = positive_label if positive_label is not None else getattr(spec, "positive_label", 1)
    threshold = threshold if threshold is not None else getattr(spec, "threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not math.isfinite(threshold):
        raise TypeError(f"threshold= must be a number (the score cut-off, e.g. 0.5); got {show(threshold)}")
    if isinstance(features, str):  # one column name, never its characters
        features = [features]
    if task is None:
        if spec is not None:
            task = spec.task
        elif frame is not None and roles["target"] is not None and roles["target"] in frame.columns:
            task = infer_task(frame[roles["target"]])
        else:
            task = "binary"
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}; got {task!r}")
    for need in require:
        options = need.split("|")
        if all(roles[r] is None for r in options):
            example = {"target": "target='churned'", "score": "score='churn_score'",
                       "prediction": "prediction='churn_pred'", "timestamp": "timestamp='event_time'",
                       "id": "id='customer_id'"}
            raise ValueError(f"no {' or '.join(options)} column: pass {' or '.join(example[r] for r in options)}, "
                             f"or a spec with spec.{options[0]} set")
        if frame is not None:
            given_roles = [r for r in options if roles[r] is not None]
            if not any(roles[r] in frame.columns for r in given_roles):
                _missing_role_column(frame, name, given_roles[0], roles[given_roles[0]])
    for role in present if frame is not None else ():
        if roles[role] is not None and roles[role] not in frame.columns:
            _missing_role_column(frame, name, role, roles[role])
    return Roles(**roles, task=task, positive_label=positive_label, threshold=float(threshold),
                 features=tuple(features if features is not None else getattr(spec, "features", ())),
                 segments=tuple(getattr(spec, "segments", ())), spec=spec)


def is_column_label(value: object) -> bool:
    """Whether ``value`` can name one column: text, an integer, or any hashable label such as the tuple
    ``("price", "mean")`` a flattened MultiIndex leaves; never a bool, a float (``score=0.5`` is a threshold),
    empty text or a container of names.

    >>> [is_column_label(v) for v in ("p", 3, ("price", "mean"), ["p"], {"p": 1}, True, 0.5, "")]
    [True, True, True, False, False, False, False, False]
    """
    if isinstance(value, (bool, float, frozenset)) or value is None or value == "":
        return False
    try:
        hash(value)
    except TypeError:  # a list, dict or set, or a tuple holding one
        return False
    return True


def _missing_role_column(frame: pd.DataFrame, name: str, role: str, column: str) -> None:
    import difflib

    close = difflib.get_close_matches(str(column), [str(c) for c in frame.columns], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise KeyError(f"{name} lacks column {column!r} (the {role}); it has {preview(frame.columns)}.{hint} "
                   f"Pass {role}='<column>' or fix spec.{role}")


class _FieldError(Exception):
    def __init__(self, key: str, text: str, type_error: bool = False):
        super().__init__(f"{key}: {text}")
        self.key, self.text, self.type_error = key, text, type_error


def _name_list(key: str, value: object) -> list:
    """A list of column names; a single string is one name (never its characters)."""
    if isinstance(value, str):
        return [value]
    if value is None or isinstance(value, (Mapping, bytes)) or not hasattr(value, "__iter__"):
        raise _FieldError(key, f"{show(value)} is not a list of column names; write e.g. {key}: [tenure, plan]",
                          type_error=True)
    names = list(value)
    for name in names:
        if name is None or isinstance(name, (list, dict, set, bool, float)):
            raise _FieldError(key, f"{show(name)} is not a column name; use the column's name as text", True)
    return names


def _kind(key: str, value: object) -> Kind:
    try:
        return Kind(value)
    except (ValueError, TypeError):
        allowed = ", ".join(k.value for k in Kind)
        raise _FieldError(key, f"{show(value)} is not a kind; use one of {allowed}") from None


def _validate(spec: "ModelSpec") -> None:
    """Check and normalise every field in place (frozen dataclass: via object.__setattr__)."""
    put = object.__setattr__
    put(spec, "features", _name_list("features", spec.features))
    put(spec, "segments", _name_list("segments", [] if spec.segments is None else spec.segments))
    for role in _ROLES:
        value = getattr(spec, role)
        if value is not None and (isinstance(value, (list, dict, set, bool, float)) or value == ""):
            raise _FieldError(role, f"{show(value)} is not a column name; give one column's name or leave it empty",
                              type_error=True)
    seen: dict = {}
    for name in spec.features:
        if name in seen:
            raise _FieldError("features", f"{show(name)} is listed twice; list each input column once")
        seen[name] = True
    given = [(role, getattr(spec, role)) for role in _ROLES if getattr(spec, role) is not None]
    for i, (role, name) in enumerate(given):
        for other, other_name in given[i + 1:]:
            if other_name == name and {role, other} != {"score", "prediction"}:  # a regressor's value is both
                raise _FieldError(other, f"{show(name)} is already the {role} column; one column has one role")
    kinds = {} if spec.kinds is None else spec.kinds
    if not isinstance(kinds, Mapping):
        raise _FieldError("kinds", f"must be a mapping of column -> kind (e.g. kinds: {{zip: categorical}}); got "
                          f"a {type(kinds).__name__}", type_error=True)
    put(spec, "kinds", {c: _kind(f"kinds.{c}", k) for c, k in kinds.items()})
    if spec.task not in TASKS:
        raise _FieldError("task", f"{show(spec.task)} is not a task; use one of {', '.join(TASKS)}")
    t = spec.threshold
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(float(t)):
        raise _FieldError("threshold", f"{show(t)} is not a number; use the score cut-off, e.g. threshold: 0.5",
                          type_error=not isinstance(t, numbers.Real))
    put(spec, "threshold", float(t))
    label = spec.positive_label
    if isinstance(label, (list, dict, set)) or (isinstance(label, float) and math.isnan(label)):
        raise _FieldError("positive_label", f"{show(label)} is not a single target value; e.g. positive_label: 1")


def infer_threshold(frame: pd.DataFrame, score: str | None, prediction: str | None,
                    positive_label: object = 1) -> float | None:
    """The decision threshold implied by the baseline's scores and predictions, if they separate cleanly.

    The shortest decimal ``t`` with every positive prediction scoring ``>= t`` and every negative
    one ``< t``; None when the columns are missing, one-sided, or overlap.

    >>> frame = pd.DataFrame({"s": [0.1, 0.29, 0.3134, 0.8], "p": [0, 0, 1, 1]})
    >>> infer_threshold(frame, "s", "p", 1)
    0.3
    """
    if score is None or prediction is None or score not in frame or prediction not in frame:
        return None
    s = pd.to_numeric(frame[score], errors="coerce")
    ok = s.notna() & frame[prediction].notna()
    if not ok.any():
        return None
    positive = (frame[prediction][ok] == positive_label).to_numpy()  # not .loc[ok, name]: a tuple name
    values = s[ok].to_numpy(dtype=float)
    if positive.all() or not positive.any():
        return None
    low, high = float(values[~positive].max()), float(values[positive].min())
    if not low < high:
        return None
    for digits in range(0, 10):
        candidate = math.floor(high * 10**digits) / 10**digits
        if low < candidate <= high:
            return round(candidate, digits)
    return high


_POSITIVE_WORDS = ("yes", "y", "true", "t", "positive", "pos")


def infer_positive_label(reference: pd.DataFrame, target, score=None) -> object:
    """The positive class of a binary target: 1 when the target holds it (or True); else the value whose
    rows the score ranks higher on average; else a yes-like word; else 1 (the spec's default, which the
    analysis then rejects naming the values).

    >>> frame = pd.DataFrame({"y": ["no", "yes", "no", "yes"], "s": [0.1, 0.8, 0.3, 0.6]})
    >>> infer_positive_label(frame, "y", "s"), infer_positive_label(frame, "y")
    ('yes', 'yes')
    >>> infer_positive_label(pd.DataFrame({"y": [0, 1, 1]}), "y")
    1
    """
    values = reference[target].dropna()
    uniq = list(pd.unique(values))
    if not uniq or any(not isinstance(v, str) and v == 1 for v in uniq):
        return 1     # 1, 1.0 and True all equal 1
    if len(uniq) == 2 and score is not None and score in reference:
        s = pd.to_numeric(reference[score], errors="coerce")
        means = [s[reference[target] == v].mean() for v in uniq]
        if all(pd.notna(m) for m in means) and means[0] != means[1]:
            return _plain(uniq[int(means[1] > means[0])])
    words = [v for v in uniq if str(v).strip().lower() in _POSITIVE_WORDS]
    return _plain(words[0]) if len(words) == 1 else 1


def _plain(value: object) -> object:
    """A numpy scalar as the Python value (model.yaml writes plain values)."""
    return value.item() if hasattr(value, "item") else value


def _predicts_classes(reference: pd.DataFrame, target, prediction) -> bool:
    """True when an integer target with at most 20 values has a prediction that is always one of them
    (a classifier of class ids 0, 1, 2...), not a regression's free numbers.

    >>> f = pd.DataFrame({"y": [0, 1, 2, 2, 1], "p": [0, 2, 2, 1, 1], "r": [0.4, 1.2, 2.0, 1.7, 1.1]})
    >>> _predicts_classes(f, "y", "p"), _predicts_classes(f, "y", "r")
    (True, False)
    """
    if prediction is None or prediction not in reference or target not in reference:
        return False
    y = pd.to_numeric(reference[target], errors="coerce").dropna()
    p = pd.to_numeric(reference[prediction], errors="coerce").dropna()
    if y.empty or p.empty or y.nunique() > 20 or (y % 1 != 0).any() or (p % 1 != 0).any():
        return False
    return bool(set(p.unique()) <= set(y.unique()))


def infer_task(target: pd.Series) -> str:
    values = target.dropna()
    if values.nunique() <= 2:
        return "binary"
    kind = infer_kind(values)
    return "multiclass" if kind is Kind.CATEGORICAL else "regression"
