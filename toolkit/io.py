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

from ._checks import FileReadError

__all__ = ["read", "read_batches", "read_production", "batch_labels", "FileReadError"]


def expand_paths(path: str | Path) -> list[Path]:
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a file, glob or folder (str or Path); got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".parquet", ".csv") and p.is_file())
        if not files:
            raise FileNotFoundError(f"folder {str(path)!r} has no .parquet or .csv files; check the path")
        return files
    if not _glob.has_magic(str(path)) and not path.exists():
        where = "" if path.is_absolute() else f" (relative paths start at {str(Path.cwd())!r})"
        raise FileNotFoundError(f"{str(path)!r} does not exist; check the path{where}")
    files = sorted(Path(p) for p in _glob.glob(str(path)) if Path(p).is_file())
    if not files:
        raise FileNotFoundError(f"no .parquet or .csv files match {str(path)!r}; check the path or glob")
    return files


def _read_file(path: Path) -> pd.DataFrame:
    """One Parquet or CSV file; anything unreadable is a :class:`FileReadError` naming the file and the fix."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise FileReadError(f"{str(path)!r}: toolkit reads .parquet and .csv files; convert this file or rename it "
                            "if it is one of those")
    if path.stat().st_size == 0:
        raise FileReadError(f"{str(path)!r} is empty (0 bytes): an interrupted write or export? Re-export the file, "
                            "or remove it from the folder")
    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except MemoryError:
        raise
    except Exception as err:  # pyarrow / pandas errors: the toolkit's own, with the file and the fix
        raise FileReadError(_read_problem(path, suffix, err)) from None
    if suffix == ".csv":
        check_separator(str(path), list(frame.columns))
    return frame


def check_separator(path: str, columns: list) -> None:
    """A .csv whose only column is named like ``a;b;c`` was written with another separator: say so, not
    one column of text (which reports every real column as missing)."""
    if len(columns) == 1:
        for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in str(columns[0]):
                raise FileReadError(
                    f"{path!r} looks {name}-separated (its one column is named {str(columns[0])[:60]!r}); toolkit reads "
                    f"comma-separated .csv files: re-export with commas, or read it with pd.read_csv(path, "
                    f"sep={sep!r}) and pass the DataFrame"
                )


def _read_problem(path: Path, suffix: str, err: Exception) -> str:
    detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
    if isinstance(err, UnicodeDecodeError):
        return (f"{str(path)!r} is not UTF-8 text ({detail}); re-export it as UTF-8 CSV, or read it with "
                "pd.read_csv(path, encoding=...) and pass the DataFrame")
    if suffix == ".csv":
        return (f"{str(path)!r} is not a well-formed CSV file ({detail}); check the quoting and that every row has "
                "the header's number of fields, or read it with pd.read_csv and pass the DataFrame")
    return (f"{str(path)!r} is not a readable Parquet file ({detail}): truncated, corrupt or another format. "
            "Re-export it (df.to_parquet(path)), or remove it from the folder")


def hive_partition(path: Path) -> tuple[str, str] | None:
    for part in reversed(path.parent.parts):
        if "=" in part:
            key, value = part.split("=", 1)
            return key, value
    return None


def batch_labels(path: str | Path) -> list[str]:
    """Labels of the batches under ``path`` (the partition value, else the file stem)."""
    labels = []
    for file in expand_paths(path):
        part = hive_partition(file)
        labels.append(part[1] if part else file.stem)
    return list(dict.fromkeys(labels))


def read_batches(path: str | Path) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(label, frame)`` per batch, each with the columns it really has."""
    groups: dict[str, list[Path]] = {}
    for file in expand_paths(path):
        part = hive_partition(file)
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
    files = expand_paths(source)
    if len(files) == 1:
        return _read_file(files[0])
    return read_production(source)
