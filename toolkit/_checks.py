"""Argument validation shared by the public functions: errors name the argument and the fix."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["check_choice", "check_columns", "check_frame", "preview"]


def preview(names: Iterable[object], limit: int = 5) -> str:
    """Comma-separated repr of at most ``limit`` names, ending in '... +N more'."""
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... +{len(names) - limit} more" if len(names) > limit else "")


def check_choice(name: str, value: object, allowed: Sequence[object]) -> object:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``.

    >>> check_choice("method", "kss", ["ks", "psi"])
    Traceback (most recent call last):
    ...
    ValueError: method must be one of ['ks', 'psi']; got 'kss'
    """
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}")
    return value


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
    raise KeyError(
        f"{name} lacks column(s) {preview(missing)}; it has {preview(data.columns)}.{hint}"
    )
