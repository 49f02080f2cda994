"""Reading model data: single files, and folders of batches partitioned like ``week=2026-05/``.

Batches are read one file at a time, so a batch whose schema differs from the others
(an upstream rename, a type change) keeps its own columns instead of being silently
forced into the first file's schema, which is what a plain ``pd.read_parquet(folder)`` does.
"""
from __future__ import annotations

import glob as _glob
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

__all__ = ["read", "read_batches", "read_production", "batch_labels"]


def _files(path: str | Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".parquet", ".csv"))
    else:
        files = sorted(Path(p) for p in _glob.glob(str(path)))
    if not files:
        raise FileNotFoundError(f"no .parquet or .csv files at {str(path)!r}; check the path or glob")
    return files


def _read_file(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)


def _partition(path: Path) -> tuple[str, str] | None:
    for part in reversed(path.parent.parts):
        if "=" in part:
            key, value = part.split("=", 1)
            return key, value
    return None


def batch_labels(path: str | Path) -> list[str]:
    """Labels of the batches under ``path`` (the partition value, else the file stem)."""
    labels = []
    for file in _files(path):
        part = _partition(file)
        labels.append(part[1] if part else file.stem)
    return list(dict.fromkeys(labels))


def read_batches(path: str | Path) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(label, frame)`` per batch, each with the columns it really has."""
    groups: dict[str, list[Path]] = {}
    for file in _files(path):
        part = _partition(file)
        groups.setdefault(part[1] if part else file.stem, []).append(file)
    for label, files in groups.items():
        yield label, pd.concat([_read_file(f) for f in files], ignore_index=True)


def read_production(path: str | Path, batch_column: str = "batch") -> pd.DataFrame:
    """All batches stacked, with a ``batch`` column; columns absent from a batch are null there.

    A renamed column therefore shows up as nulls in the old name and a new column, not as
    silently dropped data.
    """
    frames = []
    for label, frame in read_batches(path):
        frames.append(frame.assign(**{batch_column: label}))
    return pd.concat(frames, ignore_index=True, sort=False)


def read(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a file, a glob or a folder of batches."""
    if isinstance(source, pd.DataFrame):
        return source
    files = _files(source)
    if len(files) == 1:
        return _read_file(files[0])
    return read_production(source)
