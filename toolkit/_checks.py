"""Argument validation shared by the public functions: errors name the argument and the fix.

Bad input gets one of the toolkit's own errors, never a raw pandas / pyarrow / DuckDB / yaml one:

- :class:`InputError` (a ``ValueError``): the base of the errors below; catch it to catch them all.
- :class:`ConfigError`: a config file (``model.yaml``, a contract) has a wrong key, type or value.
  The message names the file, the key and what is allowed.
- :class:`FileReadError`: a data file is corrupt, truncated, empty or not the format its name
  says. The message names the file and the fix.

Wrong arguments of a function raise ``ValueError`` / ``TypeError`` / ``KeyError`` naming the
argument (or the column) and the fix, as Python functions do.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["check_choice", "check_columns", "check_frame", "check_number", "preview", "show", "InputError", "ConfigError",
           "FileReadError"]


class InputError(ValueError):
    """Bad input the toolkit recognised: a config file or data file it cannot use (see the message)."""


class ConfigError(InputError):
    """A config file (``model.yaml``, a contract or spec YAML) has a wrong key, type or value.

    >>> raise ConfigError("model.yaml: spec.threshold: 'high' is not a number; use a score such as 0.5")
    Traceback (most recent call last):
    ...
    toolkit._checks.ConfigError: model.yaml: spec.threshold: 'high' is not a number; use a score such as 0.5
    """


class FileReadError(InputError):
    """A data file (Parquet / CSV) cannot be read: corrupt, truncated, empty or of the wrong format."""


def show(value: object) -> str:
    """``repr`` of a value as a user wrote it: numpy / pandas scalars shown as Python ones.

    >>> show(np.float64(0.0)), show(np.int64(3)), show("a"), show(pd.Timestamp("2026-01-02"))
    ('0.0', '3', "'a'", "'2026-01-02 00:00:00'")
    """
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, pd.Timestamp):
        value = str(value)
    return repr(value)


def preview(names: Iterable[object], limit: int = 5) -> str:
    """Comma-separated repr of at most ``limit`` names, ending in '... +N more' ('no columns' when empty)."""
    names = list(names)
    if not names:
        return "nothing"
    shown = ", ".join(show(n) for n in names[:limit])
    return shown + (f", ... +{len(names) - limit} more" if len(names) > limit else "")


def check_choice(name: str, value: object, allowed: Sequence[object]) -> object:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``.

    >>> check_choice("method", "kss", ["ks", "psi"])
    Traceback (most recent call last):
    ...
    ValueError: method must be one of ['ks', 'psi']; got 'kss'
    """
    try:
        ok = value in allowed
    except TypeError:  # unhashable value checked against a set
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {show(value)}")
    return value


def check_number(name: str, value: object, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, hint: str = "") -> float:
    """``value`` as a float if it is a real number within the bounds, else a ValueError naming ``name``.

    >>> check_number("alpha", "high", low=0, high=1, low_open=True, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be a number in (0, 1); got 'high'
    """
    lo = "" if low is None else f"{'(' if low_open else '['}{low:g}"
    hi = "" if high is None else f"{high:g}{')' if high_open else ']'}"
    want = (f"a number in {lo}, {hi}" if low is not None and high is not None else
            f"a number {'>' if low_open else '>='} {low:g}" if low is not None else
            f"a number {'<' if high_open else '<='} {high:g}" if high is not None else "a number")
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok:
        x = float(value)
        ok = not np.isnan(x)
        if ok and low is not None:
            ok = x > low if low_open else x >= low
        if ok and high is not None:
            ok = x < high if high_open else x <= high
    if not ok:
        raise ValueError(f"{name} must be {want}{hint}; got {show(value)}")
    return float(value)


def check_frame(name: str, data: object) -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame, else raise a TypeError saying what to pass."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame; got {type(data).__name__}. "
            "Load files with toolkit.read(path) first."
        )
    if data.columns.duplicated().any():
        dupes = data.columns[data.columns.duplicated()].unique()
        raise ValueError(
            f"{name} has duplicate column names {preview(dupes)}; rename them so each column is unique"
        )
    return data


def check_columns(name: str, data: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise ``KeyError`` naming the columns of ``columns`` that ``data`` lacks, with close matches."""
    import difflib

    missing = [c for c in columns if c is not None and c not in data.columns]
    if not missing:
        return
    hints = []
    for col in missing[:5]:
        close = difflib.get_close_matches(str(col), [str(c) for c in data.columns], n=1)
        if close:
            hints.append(f"{col!r} -> {close[0]!r}?")
    hint = f" Did you mean: {'; '.join(hints)}" if hints else ""
    has = f"it has {preview(data.columns)}" if len(data.columns) else "it has no columns at all"
    raise KeyError(f"{name} lacks column(s) {preview(missing)}; {has}.{hint}")
