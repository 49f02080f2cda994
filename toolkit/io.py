"""Reading model data: single files, and folders of batches partitioned like ``week=2026-05/``.

Batches are read one file at a time, so a batch whose schema differs from the others
(an upstream rename, a type change) keeps its own columns instead of being silently
forced into the first file's schema, which is what a plain ``pd.read_parquet(folder)`` does.
"""
from __future__ import annotations

import glob as _glob
import re
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
    if path.is_file():   # an existing name is itself, even with glob characters in it ('runs [1]/a.csv')
        return [path]
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
        frame = restore_csv_timestamps(frame)
    return frame


_ISO_DATE = r"^\s*\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"


def restore_csv_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns of a CSV in which every value is an ISO-8601 timestamp, as timestamps.

    A CSV carries no types, so the timestamps that Parquet keeps arrive as text; without this, a model fed
    from CSV would show a "type changed" schema break on its time column. A column is converted only when
    every non-null value parses (one bad value leaves it text, for the contract to point at). Values with
    one UTC offset keep it; mixed offsets (a daylight-saving change) are put in a named zone whose offsets
    match every value (so daily windows stay local days across the change), else converted to UTC.

    >>> f = restore_csv_timestamps(pd.DataFrame({"t": ["2026-03-07 23:00:00-06:00", "2026-03-08 04:00:00-05:00"],
    ...                                          "x": ["a", "b"]}))
    >>> str(f["t"].dtype), f["t"].iloc[1].isoformat()
    ('datetime64[ns, America/Chicago]', '2026-03-08T04:00:00-05:00')
    """
    out = None
    for name in frame.columns:
        col = frame[name]
        if not (pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)):
            continue
        text = col.dropna()
        # the first value rejects ordinary text at once; only likely time columns are scanned in full
        if text.empty or not isinstance(text.iloc[0], str) or not re.match(_ISO_DATE, text.iloc[0]):
            continue
        if pd.api.types.infer_dtype(text, skipna=True) != "string" or not text.str.match(_ISO_DATE).all():
            continue
        try:
            parsed = pd.to_datetime(col, format="ISO8601")
        except (ValueError, TypeError):
            try:  # mixed UTC offsets: one instant each, in the zone they were written in when one fits
                parsed = pd.to_datetime(col, format="ISO8601", utc=True)
            except (ValueError, TypeError):
                continue
            zone = offsets_zone(col, parsed)
            if zone is not None:
                parsed = parsed.dt.tz_convert(zone)
        if not pd.api.types.is_datetime64_any_dtype(parsed.dtype) or parsed.isna().sum() != col.isna().sum():
            continue
        if out is None:
            out = frame.copy()
        out[name] = parsed.dt.as_unit("ns")  # as Parquet files written by pandas hold them
    return frame if out is None else out


#: regions tried first when several zones have the same offsets (any of them cuts the same local periods)
_ZONE_REGIONS = ("America", "Europe", "Asia", "Australia", "Pacific", "Africa", "Atlantic", "Indian", "Antarctica")


def offsets_zone(text: pd.Series, instants: pd.Series) -> str | None:
    """A named (IANA) zone in which every instant has the UTC offset its text was written with, else None.

    A CSV keeps offsets, not zone names; across a daylight-saving change a column holds two offsets, and
    cutting it in UTC or in one fixed offset would move an hour of rows into the neighbouring day. The
    check runs on the first and last instant of each offset plus up to 400 spread rows.

    >>> t = pd.Series(["2026-03-28 12:00+01:00", "2026-03-30 12:00+02:00"])
    >>> offsets_zone(t, pd.to_datetime(t, utc=True, format="ISO8601"))
    'Europe/Amsterdam'
    """
    import numpy as np

    found = text.astype(str).str.extract(r"(Z|[+-]\d{2}):?(\d{2})?\s*$")
    ok = found[0].notna() & instants.notna()
    if not ok.any():
        return None
    hours = found.loc[ok, 0].replace("Z", "+00")
    minutes = hours.str[1:].astype(int) * 60 + found.loc[ok, 1].fillna("0").astype(int)
    minutes = np.where(hours.str[0] == "-", -minutes, minutes)
    return zone_with_offsets(instants[ok].to_numpy(), minutes)


def zone_with_offsets(instants, minutes) -> str | None:
    """A named (IANA) zone whose UTC offset at each of ``instants`` is the matching ``minutes``, else None;
    None too when the offsets are all one (any fixed offset fits, no name is needed).

    >>> at = pd.to_datetime(["2026-03-28 11:00", "2026-03-30 10:00"], utc=True)
    >>> zone_with_offsets(at, [60, 120])
    'Europe/Amsterdam'
    """
    import zoneinfo

    import numpy as np

    pairs = pd.DataFrame({"t": pd.DatetimeIndex(instants), "m": np.asarray(minutes, dtype=np.int64)})
    pairs = pairs[pairs["t"].notna()].reset_index(drop=True)
    if pairs.empty:
        return None
    spread = np.linspace(0, len(pairs) - 1, min(len(pairs), 400)).astype(int)
    keep = pd.concat([pairs.iloc[spread], pairs.loc[pairs.groupby("m")["t"].idxmin()],
                      pairs.loc[pairs.groupby("m")["t"].idxmax()]]).drop_duplicates()
    if keep["m"].nunique() < 2:
        return None
    at = pd.DatetimeIndex(keep["t"])
    at = at.tz_localize("UTC") if at.tz is None else at.tz_convert("UTC")
    want = keep["m"].to_numpy()
    names = [z for z in zoneinfo.available_timezones() if z.split("/")[0] in _ZONE_REGIONS]
    for zone in sorted(names, key=lambda z: (_ZONE_REGIONS.index(z.split("/")[0]), z)):
        try:
            local = at.tz_convert(zone).tz_localize(None)
        except Exception:  # a zone the tz database of this machine cannot load
            continue
        if np.array_equal((local - at.tz_localize(None)).total_seconds().to_numpy() // 60, want):
            return zone
    return None


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


# ------------------------------------------------------------------------------------------------
# sources named in model.yaml: files, a DuckDB database table, a Spark table
# ------------------------------------------------------------------------------------------------
#: ``duckdb:<database file>::<table>`` names a table of a DuckDB database (opened read-only);
#: ``spark:<table>`` a table of the active Spark session (``spark:db.table`` with a database).
DUCKDB_PREFIX, SPARK_PREFIX = "duckdb:", "spark:"


def source_kind(text: str) -> str:
    """``"duckdb"``, ``"spark"`` or ``"files"`` for a data location written in model.yaml.

    >>> source_kind("duckdb:logs.db::predictions"), source_kind("spark:prod.scores"), source_kind("a.parquet")
    ('duckdb', 'spark', 'files')
    """
    text = str(text)
    if text.startswith(DUCKDB_PREFIX):
        return "duckdb"
    if text.startswith(SPARK_PREFIX):
        return "spark"
    return "files"


def parse_duckdb_table(text: str, root: Path | None = None) -> tuple[Path, str]:
    """``(database file, table)`` of ``duckdb:path.db::table``; a clear error naming the fix otherwise."""
    body = str(text)[len(DUCKDB_PREFIX):]
    if "::" not in body or not body.split("::", 1)[0].strip() or not body.split("::", 1)[1].strip():
        raise ValueError(f"{text!r}: write a DuckDB table as duckdb:<database file>::<table>, "
                         "e.g. duckdb:logs.duckdb::predictions")
    database, table = (part.strip() for part in body.split("::", 1))
    path = Path(database)
    if not path.is_absolute() and root is not None:
        path = root / path
    if not path.is_file():
        raise FileNotFoundError(f"{text!r}: DuckDB database {str(path)!r} does not exist; check the path")
    return path, table


def open_table(text: str, root: Path | None = None, connection=None):
    """An engine input for a location from model.yaml: the path (str) for files, a DuckDB relation for
    ``duckdb:db::table``, a Spark DataFrame for ``spark:table``."""
    kind = source_kind(text)
    if kind == "files":
        path = Path(text)
        return str(path if path.is_absolute() or root is None else root / path)
    if kind == "duckdb":
        import duckdb

        path, table = parse_duckdb_table(text, root)
        con = connection if connection is not None else duckdb.connect(str(path), read_only=True)
        try:
            return con.table(table)
        except Exception as err:  # unknown table: name it and the tables there are
            names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
            raise ValueError(f"{text!r}: no table {table!r} in {str(path)!r}; its tables are {names}") from None
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    return session.table(str(text)[len(SPARK_PREFIX):])


def count_rows(text: str, root: Path | None = None) -> int | None:
    """Rows behind a location, cheaply: Parquet footers (no data read), ``COUNT(*)`` for a DuckDB table,
    line breaks after the header for CSV files up to :data:`CSV_COUNT_BYTES` in all (an upper bound if
    quoted fields hold line breaks); None when only a full pass could tell (larger CSV, Spark tables)."""
    kind = source_kind(text)
    if kind == "duckdb":
        relation = open_table(text, root)
        return int(relation.aggregate("count(*)").fetchall()[0][0])
    if kind == "spark":
        return None
    return count_file_rows(expand_paths(open_table(text, root)))


def count_file_rows(files: list) -> int | None:
    """Rows in Parquet/CSV ``files`` without reading their data (see :func:`count_rows`); None when only a
    full pass could tell (CSV files above :data:`CSV_COUNT_BYTES` in all, other formats)."""
    import pyarrow.parquet as pq

    total = 0
    files = [Path(f) for f in files]
    if any(f.suffix.lower() == ".csv" for f in files):
        # a small CSV must not send a model to DuckDB just because its rows were not counted
        if sum(f.stat().st_size for f in files) > CSV_COUNT_BYTES:
            return None
    for file in files:
        if file.suffix.lower() == ".csv":
            total += _csv_lines(file)
            continue
        if file.suffix.lower() not in (".parquet", ".pq"):
            return None
        try:
            total += pq.ParquetFile(file).metadata.num_rows
        except Exception as err:
            raise FileReadError(_read_problem(file, ".parquet", err)) from None
    return total


#: CSV inputs up to this size are counted by their line breaks (about 0.1 s per 100 MB).
CSV_COUNT_BYTES = 512 * 2**20
#: Rows per input up to which files are read into memory (pandas) rather than profiled where they live:
#: ``ModelConfig.row_budget``'s default, and the budget of ``tk.compare(path, path)`` with ``engine='auto'``.
ROW_BUDGET = 2_000_000


def _csv_lines(file: Path) -> int:
    """Data lines of a CSV file: line breaks, less the header, plus a last line without a break."""
    lines, last = 0, b"\n"
    with open(file, "rb") as handle:
        while chunk := handle.read(1 << 22):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(lines - 1, 0)


def read_budgeted(text: str, root: Path | None, budget: int, seed: int = 0,
                  n_rows: int | None = None) -> tuple[pd.DataFrame, int | None]:
    """At most ``budget`` rows of a location as a DataFrame, and the rows it holds in all.

    Below the budget every row is read; above it a seeded uniform sample of exactly ``budget`` rows
    (DuckDB reservoir sampling, ``REPEATABLE(seed)``), so a report never holds more than it states."""
    kind = source_kind(text)
    n_rows = count_rows(text, root) if n_rows is None else n_rows
    if kind == "files" and n_rows is not None and n_rows <= budget:
        return read(open_table(text, root)), n_rows
    from .engines import open_source

    src = open_source(open_table(text, root), "spark" if kind == "spark" else "duckdb")
    try:
        if n_rows is None:
            n_rows = int(src.run(f"SELECT COUNT(*) AS n FROM {src.name}", progress=False)["n"].iloc[0])
        if n_rows <= budget:
            frame = src.run(f"SELECT * FROM {src.name}", progress=False)
        elif kind == "spark":
            # rand(seed) is deterministic for a given input layout; a little over the share, then cut
            share = min(1.0, 1.05 * budget / n_rows)
            frame = src.run(f"SELECT * FROM {src.name} WHERE rand({int(seed)}) < {share:.9f} "
                            f"LIMIT {int(budget)}", progress=False)
        else:
            frame = src.run(f"SELECT * FROM {src.name} USING SAMPLE reservoir({int(budget)} ROWS) "
                            f"REPEATABLE ({int(seed)})", progress=False)
    finally:
        src.close()
    return frame.drop(columns=[c for c in frame.columns if str(c).startswith("__tk_")], errors="ignore"), n_rows
