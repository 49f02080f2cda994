"""Shared plumbing for the outcome modules: column roles, windows, design weights, score checks.

The public functions in ``realized``, ``estimate``, ``attribution``, ``labels`` and ``fallback``
validate their inputs through these helpers so every error reads the same.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_columns, preview
from ..spec import Roles, resolve_roles  # noqa: F401  (re-exported: the outcome modules' one import)

__all__ = [
    "Roles", "resolve_roles", "assign_windows", "chunk_windows", "design_weights",
    "binary_target", "check_probabilities", "fmt_int", "check_count", "check_number", "DOCS", "shared_doc",
]


def fmt_int(n: float) -> str:
    return f"{int(n):,}"


def check_count(name: str, value: object, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; a clear error naming ``name`` for NaN, strings, floats like 2.5.

    >>> check_count("n", 100.0, 2)
    100
    >>> check_count("n", "100", 2)
    Traceback (most recent call last):
    ...
    TypeError: n must be a whole number (e.g. 100); got '100' (str). Pass n=100
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a whole number (e.g. 100); got {value!r} ({type(value).__name__}). "
                        f"Pass {name}={value if not isinstance(value, str) else value.strip()}"
                        if isinstance(value, str) and value.strip().isdigit() else
                        f"{name} must be a whole number (e.g. 100); got {value!r} ({type(value).__name__})")
    v = float(value)
    if not np.isfinite(v) or v != int(v):
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {float(value)!r}")
    if v < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {int(v)}")
    return int(v)


def check_number(name: str, value: object) -> float:
    """``value`` as a finite float; a clear error naming ``name`` for strings, None, NaN or infinity."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number (e.g. 0.8); got {value!r} ({type(value).__name__})")
    if not np.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number; got {float(value)!r}")
    return float(value)


# -- windows ------------------------------------------------------------------------------------

def _naive_utc(values: pd.Series) -> pd.Series:
    """Wall-clock times in the data's own zone (the name is historical; see toolkit.windows.local_times)."""
    from ..windows import local_times

    return local_times(values)[0]


def assign_windows(
    frame: pd.DataFrame, by: str | None, timestamp: str | None, *, name: str = "labelled"
) -> tuple[pd.Series, pd.DataFrame]:
    """Window label (str) per row, and a frame ``window, window_start`` in chronological order.

    ``by`` is a column of ``frame`` (its values are the windows, e.g. ``"batch"``), a pandas period
    alias applied to ``timestamp`` (``"W"``, ``"D"``, ``"M"``), a number of rows per window
    (``by=1000``, see :func:`chunk_windows`), or None for one window ``"all"``.
    Windows are cut and labelled by :mod:`toolkit.windows` (periods in the data's own time zone,
    labelled by their start; ``window_start`` is wall-clock time there); empty periods are left out.
    """
    from ..windows import WindowSpec

    if isinstance(by, (int, np.integer)) and not isinstance(by, (bool, np.bool_)):
        return chunk_windows(frame, by, timestamp, name=name)
    if by is not None and not isinstance(by, str):
        raise TypeError(f"by must be a column name, a period alias like 'W' or a number of rows per window; "
                        f"got {type(by).__name__}")
    ts_col = timestamp if timestamp and timestamp in frame.columns else None
    if by is not None and by not in frame.columns and ts_col is None:
        raise ValueError(
            f"by={by!r} is not a column of {name} and there is no timestamp column to apply it to as a "
            f"period alias; {name} has {preview(frame.columns)}. Pass timestamp='event_time' or a column name"
        )
    spec = WindowSpec.parse(by, columns=frame.columns, timestamp=ts_col, name=name)
    if spec.kind == "none":
        spec = WindowSpec("none", ts_col)
    result = spec.assign(frame, keep_empty=False, missing="raise", name=name)
    table = result.table
    labels = pd.Series(result.labels, index=frame.index, dtype=object)
    starts = table["window_start"]
    if spec.kind != "period" and ts_col is not None:  # a column's windows start at their first timestamp
        first = _naive_utc(frame[ts_col]).groupby(result.codes).min()
        starts = [first.get(i, pd.NaT) for i in range(len(table))]
    return labels, pd.DataFrame({"window": table["window"].tolist(), "window_start": list(starts)})


def chunk_windows(frame: pd.DataFrame, chunk_size: int, timestamp: str | None,
                  *, name: str = "current") -> tuple[pd.Series, pd.DataFrame]:
    """Consecutive windows of ``chunk_size`` rows (in timestamp order when there is one), labelled
    by their row positions (``"[0:999]"``)."""
    from ..windows import WindowSpec

    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 2:
        raise ValueError(f"by (rows per window) must be an integer >= 2; got {chunk_size!r}")
    n = len(frame)
    ts_col = timestamp if timestamp and timestamp in frame.columns else None
    result = WindowSpec("rows", ts_col, size=int(chunk_size)).assign(frame, name=name)
    chunk_no = result.codes
    n_chunks = len(result.table)
    names = [f"[{i * chunk_size}:{min((i + 1) * chunk_size, n) - 1}]" for i in range(n_chunks)]
    labels = pd.Series(np.array(names, dtype=object)[chunk_no] if n else [], index=frame.index, dtype=object)
    window_start = result.table["first"].tolist() if ts_col else [pd.NaT] * n_chunks
    return labels, pd.DataFrame({"window": names, "window_start": window_start})


# -- weights and values --------------------------------------------------------------------------

def design_weights(
    frame: pd.DataFrame, inclusion_prob: str | None, labelled: np.ndarray, *, name: str = "labelled"
) -> tuple[np.ndarray, str | None]:
    """Horvitz-Thompson weights ``1 / inclusion_prob`` (ones when not weighted) and the column used.

    ``inclusion_prob="auto"`` uses a column called ``inclusion_prob`` when present.
    """
    n = len(frame)
    if inclusion_prob == "auto":
        inclusion_prob = "inclusion_prob" if "inclusion_prob" in frame.columns else None
    if inclusion_prob is None:
        return np.ones(n), None
    if not isinstance(inclusion_prob, str):
        raise TypeError(f"inclusion_prob must be a column name, 'auto' or None; got {type(inclusion_prob).__name__}")
    check_columns(name, frame, [inclusion_prob])
    pi = pd.to_numeric(frame[inclusion_prob], errors="coerce").to_numpy(dtype=float)
    pi_l = pi[labelled]
    if np.isnan(pi_l).any():
        raise ValueError(
            f"inclusion_prob column {inclusion_prob!r} has {int(np.isnan(pi_l).sum()):,} missing values among "
            "labelled rows; fill them with 1.0 for rows labelled with certainty"
        )
    bad = (pi_l <= 0) | (pi_l > 1)
    if bad.any():
        raise ValueError(
            f"inclusion_prob column {inclusion_prob!r} must be in (0, 1]; {int(bad.sum()):,} labelled rows are "
            f"not (e.g. {preview(np.unique(pi_l[bad]), 3)})"
        )
    w = np.ones(n)
    w[labelled] = 1.0 / pi_l
    return w, inclusion_prob


def binary_target(values: pd.Series, positive_label: object, column: str) -> np.ndarray:
    """0/1 float array (NaN where missing) from a binary target column; checks there are <= 2 values."""
    present = values.dropna()
    distinct = pd.unique(present)
    if len(distinct) > 2:
        raise ValueError(
            f"target {column!r} has {len(distinct)} distinct values ({preview(distinct)}); a binary task expects "
            "two. Pass task='multiclass' (or spec.replace(task='multiclass'))"
        )
    if len(distinct) == 2 and not any(_equal(v, positive_label) for v in distinct):
        raise ValueError(
            f"target {column!r} has no value equal to positive_label={positive_label!r} (values: "
            f"{preview(distinct)}); pass positive_label= one of them"
        )
    if len(distinct) == 1 and not _equal(distinct[0], positive_label) and not _negative_of(distinct[0], positive_label):
        # one value that is neither the positive label nor its obvious negative (all "yes" with the
        # default positive_label=1): reading every row as negative would be silently wrong
        raise ValueError(
            f"target {column!r} holds only {preview(distinct)}, which is not positive_label={positive_label!r} nor "
            f"its negative; every row would count as negative. Pass positive_label={preview(distinct)} if that "
            "value is the positive class (or positive_label= the positive class name)"
        )
    out = np.full(len(values), np.nan)
    mask = values.notna().to_numpy()
    out[mask] = (present == positive_label).to_numpy(dtype=float) if len(present) else []
    return out


def _negative_of(value: object, positive_label: object) -> bool:
    """Whether a lone target value can be read as the negative class of ``positive_label``: both text
    (``"no"`` vs ``"yes"``), or 0/False against a numeric or boolean positive label."""
    if isinstance(value, str) and isinstance(positive_label, str):
        return True
    numeric = (int, float, bool, np.integer, np.floating, np.bool_)
    return isinstance(value, numeric) and isinstance(positive_label, numeric) and _equal(value, 0)


def _equal(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def check_probabilities(values: np.ndarray, column: str, name: str = "labelled") -> None:
    """Raise if a binary score column holds values outside [0, 1] (NaN is allowed: counted elsewhere)."""
    finite = values[~np.isnan(values)]
    bad = (finite < 0) | (finite > 1)
    if bad.any():
        raise ValueError(
            f"score column {column!r} of {name} has {int(bad.sum()):,} values outside [0, 1] (e.g. "
            f"{preview(np.unique(finite[bad])[:3].round(4).tolist(), 3)}); binary scores must be probabilities of "
            "the positive class. Rescale them (e.g. scipy.special.expit for logits) or fix the upstream column"
        )
    inf = np.isinf(values)
    if inf.any():
        raise ValueError(f"score column {column!r} of {name} has {int(inf.sum()):,} infinite values")


def numeric_column(frame: pd.DataFrame, column: str, name: str, role: str) -> np.ndarray:
    """Float array from a numeric column, with a clear error when the column is not numeric."""
    values = frame[column]
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(float).to_numpy()
    if not pd.api.types.is_numeric_dtype(values.dtype):
        parsed = pd.to_numeric(values, errors="coerce")
        bad = parsed.isna() & values.notna()
        if bad.any():
            raise ValueError(
                f"{role} column {column!r} of {name} is not numeric ({int(bad.sum()):,} values do not parse, e.g. "
                f"{preview(values[bad].astype(str).unique()[:3], 3)})"
            )
        values = parsed
    return values.to_numpy(dtype=float, na_value=np.nan)


# -- parameter docs shared by the outcome entry points -------------------------------------------------

#: Parameter descriptions written once and placed in each entry point's docstring by :func:`shared_doc`
#: (a line holding only ``{name}`` is replaced, at its indentation), so ``help()`` shows them in full.
DOCS = {
    "roles": """\
spec
    Column roles (:class:`toolkit.ModelSpec`); the keywords below override it for this call.
target, score, prediction, timestamp, task, positive_label, threshold
    Role keywords (``target="churned"``, ``threshold=0.4``): each overrides the spec's field of
    the same name; without a spec they name the columns. ``threshold`` is the decision threshold
    (a score at or above it predicts the positive class). Applied by :meth:`toolkit.ModelSpec.resolve`.""",
    "inclusion_prob": """\
inclusion_prob
    Column with each labelled row's inclusion probability (an audit that over-samples some rows):
    rows are weighted by ``1 / inclusion_prob``. ``"auto"`` uses a column named ``inclusion_prob``
    if present; None ignores it.""",
    "by": """\
by
    How the rows are cut into windows: a column (``"batch"``, ``"window"``), a pandas period alias
    on the timestamp (``"W"``, ``"D"``), a number of consecutive rows (``by=1000``), or None for one
    window ``"all"``.""",
    "level": """\
level
    Confidence level of every interval (0.95).""",
    "n_resamples": """\
n_resamples, random_state
    Bootstrap resamples and their seed (metrics without a closed-form interval, and weighted data).""",
}


def shared_doc(func):
    """Fill the ``{name}`` lines of ``func``'s docstring with :data:`DOCS` (decorator).

    >>> @shared_doc
    ... def f():
    ...     '''Parameters
    ...     ----------
    ...     {level}
    ...     '''
    >>> print(f.__doc__.splitlines()[2:4])
    ['    level', '        Confidence level of every interval (0.95).']
    """
    lines = []
    for line in (func.__doc__ or "").splitlines():
        key = line.strip()
        if key.startswith("{") and key.endswith("}") and key[1:-1] in DOCS:
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + part if part else part for part in DOCS[key[1:-1]].splitlines())
        else:
            lines.append(line)
    func.__doc__ = "\n".join(lines)
    return func
