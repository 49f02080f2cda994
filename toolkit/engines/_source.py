"""Where the rows live: a path or glob of Parquet/CSV files, a DuckDB relation or a Spark DataFrame.

A :class:`Source` exposes what the SQL generator needs (a name to select from, column types,
which file has which columns) and runs statements, with a progress bar for long passes. The
DuckDB source streams files through an embedded, memory-limited connection; the Spark source
runs on whatever cluster the session is attached to (``local[2]`` in the tests).
"""
from __future__ import annotations

import contextlib
import glob as _glob
import itertools
import os
import tempfile
from pathlib import Path

import pandas as pd

from .._checks import FileReadError, preview
from ._progress import progress_bar
from ._sql import DUCKDB, SPARK, Dialect, normalise_type

__all__ = ["Source", "open_source", "is_source", "list_files", "partition_value", "DUCKDB_SETTINGS", "FILE_COLUMN",
           "spark_read", "existing_session", "session_note", "SPARK_KEYS"]

#: Settings of the embedded DuckDB connection opened for file inputs (edit to taste).
#: ``memory_limit`` bounds DuckDB's own buffers; larger-than-memory aggregations spill to ``temp_directory``.
DUCKDB_SETTINGS: dict[str, object] = {
    "memory_limit": "2GB",
    "threads": os.cpu_count() or 1,
    "preserve_insertion_order": False,
    "TimeZone": "UTC",
}
#: Name of the column carrying each row's file (dropped from every result).
FILE_COLUMN = "__tk_file"
_VIEW = "__tk_rows"
_counter = itertools.count()


# ------------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------------
def _is_duckdb_relation(obj: object) -> bool:
    return type(obj).__module__.split(".")[0] in ("duckdb", "_duckdb") and hasattr(obj, "query") and hasattr(obj, "columns")


def _is_spark_frame(obj: object) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pyspark.") and hasattr(obj, "createOrReplaceTempView")


def _is_path_list(obj: object) -> bool:
    return isinstance(obj, (list, tuple)) and bool(obj) and all(isinstance(p, (str, os.PathLike)) for p in obj)


def is_source(obj: object) -> bool:
    """True for inputs an engine reads where they live: a path, glob or list of files, a DuckDB
    relation, a Spark DataFrame or an open :class:`Source` (not a pandas DataFrame or a Profile).

    >>> is_source("logs/2026-*.parquet"), is_source(["a.parquet", "b.parquet"]), is_source(3)
    (True, True, False)
    """
    return (isinstance(obj, (str, os.PathLike, Source)) or _is_path_list(obj) or _is_duckdb_relation(obj)
            or _is_spark_frame(obj))


def _has_scheme(path: str) -> bool:
    return "://" in path


def list_files(path) -> list[str]:
    """Files behind a path, a folder (every .parquet/.csv below it), a glob or a list of those."""
    if _is_path_list(path):
        return list(dict.fromkeys(f for p in path for f in list_files(p)))
    text = os.fspath(path)
    if _has_scheme(text):
        return [text]
    p = Path(text)
    if p.is_dir():
        files = sorted(str(f) for f in p.rglob("*") if f.suffix in (".parquet", ".csv") and f.is_file())
    elif p.is_file():
        files = [str(p)]
    else:
        files = sorted(f for f in _glob.glob(text, recursive=True) if os.path.isfile(f))
    if not files:
        raise FileNotFoundError(f"no .parquet or .csv files at {text!r}; check the path or glob "
                                f"(e.g. 'logs/week=*/*.parquet')")
    return files


def _format(files: list[str]) -> str:
    suffixes = {Path(f.split("?")[0]).suffix.lower() for f in files}
    suffixes = {".parquet" if s in (".parq", ".pq") else s for s in suffixes}
    if suffixes <= {".parquet"}:
        return "parquet"
    if suffixes <= {".csv", ".tsv", ".txt"}:
        return "csv"
    if len(suffixes) > 1:
        raise ValueError(f"the input mixes file types {sorted(suffixes)}; pass Parquet files or CSV files, not both")
    return "parquet"


def _hive_keys(path: str) -> list[str]:
    return [part.split("=", 1)[0] for part in Path(path).parent.parts if "=" in part and not part.startswith("=")]


def _file_columns(files: list[str], fmt: str, con=None) -> dict[str, frozenset] | None:
    """Columns of every file (hive partition keys included), read from the file footers."""
    if any(_has_scheme(f) for f in files):
        return None
    out = {}
    for f in files:
        if os.path.getsize(f) == 0:
            raise FileReadError(f"{f!r} is empty (0 bytes): an interrupted write or export? Re-export the file, "
                                "or remove it from the folder")
        try:
            if fmt == "parquet":
                import pyarrow.parquet as pq

                names = pq.read_schema(f).names
            elif con is not None:
                delim = ", delim = ','" if f.lower().endswith(".csv") else ""
                names = [r[0] for r in
                         con.execute(f"DESCRIBE SELECT * FROM read_csv({DUCKDB.string(f)}{delim})").fetchall()]
            else:
                names = list(pd.read_csv(f, nrows=0).columns)
        except MemoryError:
            raise
        except Exception as err:  # a corrupt footer or a malformed CSV: name the file, never the library
            raise FileReadError(_unreadable(f, fmt, err)) from None
        if fmt == "csv" and f.lower().endswith(".csv"):
            from ..io import check_separator

            check_separator(f, names)
        out[_file_key(f)] = frozenset(names) | frozenset(_hive_keys(f))
    return out


def _first_line(err: Exception) -> str:
    """The engine's own explanation without the generated SQL it may quote."""
    text = str(err).strip()
    line = text.splitlines()[0] if text else type(err).__name__
    for marker in (" LINE ", "SELECT ", "CREATE "):
        if marker in line:
            line = line[: line.index(marker)].rstrip()
    return line[:240]


def _unreadable(file: str, fmt: str, err: Exception) -> str:
    if fmt == "csv":
        return (f"{file!r} is not a well-formed CSV file ({_first_line(err)}); check the quoting and that every row "
                "has the header's number of fields, or re-export it")
    return (f"{file!r} is not a readable Parquet file ({_first_line(err)}): truncated, corrupt or another format. "
            "Re-export it (df.to_parquet(path)), or remove it from the folder")


# ------------------------------------------------------------------------------------------------
# sources
# ------------------------------------------------------------------------------------------------
class Source:
    """Rows an engine aggregates in place.

    Attributes
    ----------
    engine
        'duckdb' or 'spark'.
    dialect
        The :class:`~toolkit.engines._sql.Dialect` to write statements in.
    name
        What to select ``FROM`` (a view over the files or the relation).
    types
        ``{column: 'numeric' | 'boolean' | 'string' | 'timestamp' | 'date' | 'other'}``.
    files
        Absolute paths of the files the rows come from (None for relations and Spark frames).
    file_columns
        ``{file: columns it has}`` (hive partition keys included), to tell a column absent from a
        file from a null one.
    group_expr
        SQL giving a row's file (``'0'`` without files): profiles are computed per file, so they
        can be cached and merged into any window made of whole files.
    """

    engine: str = ""
    dialect: Dialect = DUCKDB
    name: str = _VIEW
    description: str = ""

    def __init__(self):
        self.types: dict[str, str] = {}
        self.raw_types: dict[str, str] = {}
        self.files: list[str] | None = None
        self.file_columns: dict[str, frozenset] | None = None
        self.group_expr = "0"
        self.supports_lookup = True

    @property
    def columns(self) -> list[str]:
        return list(self.types)

    @property
    def hive_keys(self) -> frozenset:
        """Partition keys (``week`` of ``week=2026-01/``) found in every file's path."""
        if not self.files:
            return frozenset()
        keys = [set(_hive_values(f)) for f in self.files]
        return frozenset(set.intersection(*keys)) if keys else frozenset()

    def file_of(self, value) -> str:
        """The listed file behind the engine's value of :attr:`group_expr`."""
        return _file_key(value)

    def subset(self, files: list[str]) -> "Source":  # pragma: no cover
        raise NotImplementedError

    def run(self, sql: str, desc: str | None = None, progress: bool = True) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def register(self, name: str, frame: pd.DataFrame) -> None:  # pragma: no cover
        raise NotImplementedError

    def unregister(self, name: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def sample(self, n: int) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description}, {len(self.types)} columns)"


def _hive_values(path: str) -> dict[str, str]:
    out = {}
    for part in Path(path).parent.parts:
        if "=" in part and not part.startswith("="):
            key, value = part.split("=", 1)
            out[key] = value
    return out


def partition_value(path: str, key: str) -> str:
    """The value of hive partition ``key`` in ``path`` (``'2026-01'`` for ``.../week=2026-01/x.parquet``)."""
    return _hive_values(path)[key]


def _file_key(name) -> str:
    """A file as an engine reports it (a path, or Spark's ``file:`` URI) -> its absolute path."""
    from urllib.parse import unquote, urlparse

    text = str(name)
    if text.startswith("file:"):
        text = unquote(urlparse(text).path)
    return os.path.abspath(text) if not _has_scheme(text) else text


def _describe(data) -> str:
    return f"{len(data)} {_format(data)} file{'s' if len(data) != 1 else ''}"


class DuckDBSource(Source):
    """Files (streamed by an embedded DuckDB) or a DuckDB relation."""

    engine = "duckdb"
    dialect = DUCKDB

    def __init__(self, data, *, connection=None, settings: dict | None = None, _files: list[str] | None = None):
        import duckdb

        super().__init__()
        self._own = False
        self._tmp = None
        self._rel = None
        if _is_duckdb_relation(data):
            self._rel = data
            self._con = getattr(data, "_con", None)
            self.name = f"__tk_rel_{next(_counter)}"
            self.supports_lookup = self._con is not None
            self.raw_types = {str(c): str(t) for c, t in zip(data.columns, data.types)}
            self.description = "DuckDB relation"
        else:
            files = _files if _files is not None else [_file_key(f) for f in list_files(data)]
            fmt = _format(files)
            if connection is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="toolkit-duckdb-")
                connection = duckdb.connect(config={"temp_directory": self._tmp.name})
                for key, value in {**DUCKDB_SETTINGS, **(settings or {})}.items():
                    connection.execute(f"SET {key} = {_setting(value)}")
                self._own = True
            self._con = connection
            reader = "read_parquet" if fmt == "parquet" else "read_csv"
            # .csv means comma-separated, as pandas reads it in memory: without this DuckDB's sniffer takes a
            # file with ragged rows as ONE column named "a,b" and reports no error
            options = ", delim = ','" if fmt == "csv" and all(f.lower().endswith(".csv") for f in files) else ""
            file_list = "[" + ", ".join(DUCKDB.string(f) for f in files) + "]"
            hive = "true" if any(_hive_keys(f) for f in files) else "false"
            self.name = f"__tk_rows_{next(_counter)}"
            # every file's footer / header first: a broken file is named, before DuckDB reports it in SQL terms
            file_columns = _file_columns(files, fmt, self._con)
            try:
                self._con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {self.name} AS SELECT * FROM {reader}({file_list}{options}, "
                    f"union_by_name = true, hive_partitioning = {hive}, filename = '{FILE_COLUMN}')"
                )
                described = self._con.execute(f"DESCRIBE SELECT * FROM {self.name}").fetchall()
            except duckdb.Error as err:
                raise FileReadError(f"cannot read {_describe(files)} ({_first_line(err)}); check that they are "
                                    f"{fmt} files of the same table, e.g. {files[0]!r}") from None
            self.raw_types = {str(r[0]): str(r[1]) for r in described if r[0] != FILE_COLUMN}
            self.files = files
            self.file_columns = file_columns
            self.group_expr = DUCKDB.quote(FILE_COLUMN)
            self.description = _describe(files)
        self.types = {c: normalise_type(t) for c, t in self.raw_types.items()}
        if self._con is not None:
            try:
                self._con.execute("SET enable_progress_bar = true")
                self._con.execute("SET enable_progress_bar_print = false")
            except Exception:  # pragma: no cover - older DuckDB
                pass

    def subset(self, files: list[str]) -> "DuckDBSource":
        return DuckDBSource(None, connection=self._con, _files=list(files))

    def _execute(self, sql: str) -> pd.DataFrame:
        import duckdb

        try:
            if self._rel is not None:
                return self._rel.query(self.name, sql).to_arrow_table().to_pandas()
            return self._con.sql(sql).to_arrow_table().to_pandas()
        except (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException):
            raise  # a statement the toolkit wrote wrongly: a bug to report, not the user's file
        except duckdb.OutOfMemoryException as err:
            # not the file's fault: the statement needs more than DuckDB's memory_limit (and could not spill)
            limit = DUCKDB_SETTINGS.get("memory_limit")
            raise MemoryError(
                f"DuckDB ran out of memory reading {self.description} ({_first_line(err)}) under memory_limit "
                f"{limit}; raise it before the run (toolkit.engines.DUCKDB_SETTINGS['memory_limit'] = '8GB') or "
                "use engine: spark for this input"
            ) from None
        except duckdb.Error as err:
            # damage past a file's footer (a corrupt page or row group, a malformed CSV line) shows only when read
            where = f" ({preview(self.files, 3)})" if self.files else ""
            raise FileReadError(
                f"reading {self.description}{where} failed ({_first_line(err)}): a corrupt or malformed file; "
                "re-export it or remove it from the input"
            ) from None

    def run(self, sql: str, desc: str | None = None, progress: bool = True) -> pd.DataFrame:
        con = self._con
        poll = (lambda: con.query_progress()) if con is not None else None
        with progress_bar(desc or "scanning", poll, enabled=progress and poll is not None):
            return self._execute(sql)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        table = pa.Table.from_pandas(frame, preserve_index=False)
        self._con.register(name, table)

    def unregister(self, name: str) -> None:
        try:
            self._con.unregister(name)
        except Exception:  # pragma: no cover
            pass

    def sample(self, n: int) -> pd.DataFrame:
        cols = ", ".join(DUCKDB.quote(c) for c in self.types)
        return self._execute(f"SELECT {cols} FROM {self.name} LIMIT {int(n)}")

    def close(self) -> None:
        if self._own and self._con is not None:
            self._con.close()
            self._con = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _setting(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return DUCKDB.string(str(value))


class SparkSource(Source):
    """A Spark DataFrame, or files read by Spark (local mode or a cluster)."""

    engine = "spark"
    dialect = SPARK

    def __init__(self, data, *, session=None, _files: list[str] | None = None):
        super().__init__()
        if _is_spark_frame(data):
            frame = data
            self.spark = frame.sparkSession
            self.description = "Spark DataFrame"
        else:
            files = _files if _files is not None else [_file_key(f) for f in list_files(data)]
            fmt = _format(files)
            self.spark = session or _active_session()
            from pyspark.sql import functions as F

            frame = spark_read(self.spark, files)
            frame = frame.withColumn(FILE_COLUMN, F.input_file_name())
            self.files = files
            self.file_columns = _file_columns(files, fmt)
            self.group_expr = SPARK.quote(FILE_COLUMN)
            self.description = _describe(files) + " (Spark)"
        self.name = f"__tk_rows_{next(_counter)}"
        frame.createOrReplaceTempView(self.name)
        self.frame = frame
        self.raw_types = {c: t for c, t in frame.dtypes if c != FILE_COLUMN}
        self.types = {c: normalise_type(t) for c, t in self.raw_types.items()}
        self._views: list[str] = [self.name]
        self.supports_lookup = True

    def subset(self, files: list[str]) -> "SparkSource":
        return SparkSource(None, session=self.spark, _files=list(files))

    def run(self, sql: str, desc: str | None = None, progress: bool = True) -> pd.DataFrame:
        tracker = self.spark.sparkContext.statusTracker()

        def poll():
            done = total = 0
            for sid in tracker.getActiveStageIds():
                info = tracker.getStageInfo(sid)
                if info is not None:
                    done += info.numCompletedTasks
                    total += info.numTasks
            return 100.0 * done / total if total else -1.0

        with progress_bar(desc or "scanning (Spark)", poll, enabled=progress):
            table = self.spark.sql(sql).toArrow()
        return table.to_pandas()

    def register(self, name: str, frame: pd.DataFrame) -> None:
        from pyspark.sql import types as T

        fields = []
        for col, dtype in frame.dtypes.items():
            kind = T.IntegerType() if pd.api.types.is_integer_dtype(dtype) else T.DoubleType()
            fields.append(T.StructField(str(col), kind, False))
        rows = [tuple(int(v) if isinstance(f.dataType, T.IntegerType) else float(v) for v, f in zip(r, fields))
                for r in frame.itertuples(index=False, name=None)]
        self.spark.createDataFrame(rows, T.StructType(fields)).createOrReplaceTempView(name)
        self._views.append(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def sample(self, n: int) -> pd.DataFrame:
        frame = self.frame.drop(FILE_COLUMN) if FILE_COLUMN in self.frame.columns else self.frame
        return frame.limit(int(n)).toArrow().to_pandas()

    def close(self) -> None:
        for view in self._views:
            try:
                self.spark.catalog.dropTempView(view)
            except Exception:  # pragma: no cover
                pass
        self._views = []


def spark_read(spark, files: list[str]):
    """A Spark DataFrame over Parquet or CSV files (hive ``key=value`` folders become columns), read on
    ``spark`` without touching its conf.

    Spark reads Parquet nanosecond timestamps (which pandas writes) only as longs, and only when the
    session flag ``spark.sql.legacy.parquet.nanosAsLong`` is set; there is no per-read option. So such
    files are read with an explicit schema (built from the Parquet footers, those columns as longs) and the
    columns converted to timestamps (microseconds, Spark's resolution): the user's session stays as it was.
    """
    from pyspark.sql import functions as F

    fmt = _format(files)
    reader = spark.read
    bases = {_base_path(f) for f in files}
    if len(bases) == 1 and next(iter(bases)) is not None:
        reader = reader.option("basePath", next(iter(bases)))
    if fmt != "parquet":
        return reader.option("header", "true").option("inferSchema", "true").csv(list(files))
    nanos = _nanosecond_columns(files)
    if not nanos:
        return reader.option("mergeSchema", "true").parquet(*files)
    schema = _spark_schema(files, nanos)
    if schema is not None:
        frame = reader.schema(schema).parquet(*files)
    else:  # a type the schema mapping does not know: the flag for the schema resolution only, then put back
        with _scoped_conf(spark, "spark.sql.legacy.parquet.nanosAsLong", "true"):
            frame = reader.option("mergeSchema", "true").parquet(*files)
    for col in nanos:
        if dict(frame.dtypes).get(col) == "bigint":
            frame = frame.withColumn(col, F.expr(f"timestamp_micros(div({SPARK.quote(col)}, 1000))"))
    return frame


def _spark_schema(files: list[str], nanos: list[str]):
    """The files' merged schema for Spark with the nanosecond timestamps as longs (hive partition keys
    are left to Spark's discovery), or None when a column type has no Spark equivalent here."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql import types as T
    from pyspark.sql.pandas.types import from_arrow_type

    try:
        merged = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise FileReadError(f"the files {preview(files, 3)} disagree on a column's type ({_first_line(err)}); "
                            "re-export them with one type per column") from None
    fields = []
    for field in merged:
        try:
            kind = T.LongType() if field.name in nanos else from_arrow_type(field.type)
        except Exception:  # e.g. a nested or extension type: let Spark infer the schema itself
            return None
        fields.append(T.StructField(field.name, kind, True))
    return T.StructType(fields)


@contextlib.contextmanager
def _scoped_conf(spark, key: str, value: str | None):
    """Set ``key`` on the session only inside the block, then put back exactly what was there (or unset it)."""
    if value is None:
        yield
        return
    before = spark.conf.get(key, None)  # None when the user never set it
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def _nanosecond_columns(files: list[str]) -> list[str]:
    """Columns stored as nanosecond timestamps in any of the (local) Parquet files."""
    if any(_has_scheme(f) for f in files):
        return []
    import pyarrow as pa
    import pyarrow.parquet as pq

    out: dict[str, None] = {}
    for f in files:
        for field in pq.read_schema(f):
            if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
                out[field.name] = None
    return list(out)


def _base_path(file: str) -> str | None:
    """The folder above the first ``key=value`` folder (Spark's ``basePath`` for partition discovery)."""
    parts = Path(file).parent.parts
    for i, part in enumerate(parts):
        if "=" in part:
            return str(Path(*parts[:i])) if i else None
    return None


#: Keys of model.yaml's ``spark:`` mapping (see :func:`spark_session`).
SPARK_KEYS = ("master", "conf", "app_name")
_BUILT: list = []  # sessions this module started (the others are the user's)


def existing_session():
    """The user's running Spark session: the thread's active one, else the process's default one (made
    in another thread), else None. Nothing is started."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    session = SparkSession.getActiveSession()
    if session is None:
        # the default session of another thread (PySpark keeps no public handle on it); a stopped one is gone
        session = getattr(SparkSession, "_instantiatedSession", None)
        if session is not None and getattr(getattr(session, "_sc", None), "_jsc", None) is None:
            session = None
    return session


def _active_session(settings: dict | None = None):
    """The Spark session to run on.

    A running session (:func:`existing_session`) is used as it is: its master and conf are never
    changed (``builder.config(...).getOrCreate()`` would set them on it, so it is never called then).
    Only when none runs is one started, from ``settings`` (model.yaml's ``spark:``): ``master``
    (default ``local[2]``), ``app_name`` (default ``toolkit``) and ``conf`` (``{key: value}``).

    >>> _active_session({"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": 8}})  # doctest: +SKIP
    """
    session = existing_session()
    if session is not None:
        return session
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("engine='spark' needs pyspark: pip install 'toolkit[spark]' (and Java 17)") from err
    settings = settings or {}
    builder = SparkSession.builder.master(settings.get("master") or "local[2]")
    builder = builder.appName(settings.get("app_name") or "toolkit")
    for key, value in (settings.get("conf") or {}).items():
        builder = builder.config(str(key), _conf_text(value))
    session = builder.getOrCreate()
    _BUILT.append(session)
    return session


def _conf_text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def session_note(session, settings: dict | None = None) -> str:
    """Which Spark session ran, for a report: the user's (as it was), one started from model.yaml, or none yet
    (``session`` None: what this process needed from Spark came from the shared cache, or has not run)."""
    if session is None:
        master = (settings or {}).get("master")
        where = f"{master} (model.yaml spark.master)" if master else "local[2] (the default)"
        return f"Spark: no Spark session started in this process so far; one starts on {where} when needed."
    master = session.sparkContext.master
    if any(s is session for s in _BUILT):
        where = "model.yaml spark.master" if (settings or {}).get("master") else "the default"
        return f"Spark session started by the toolkit on {master} ({where})."
    ignored = "; model.yaml's spark settings apply only when no session runs" if settings else ""
    return f"Spark: the running session on {master}, used as it is (its conf left unchanged){ignored}."


ENGINES = ("auto", "duckdb", "spark")


def open_source(data, engine: str = "auto", *, connection=None, session=None, settings: dict | None = None) -> Source:
    """A :class:`Source` for ``data``: DuckDB for files and DuckDB relations, Spark for Spark frames.

    ``engine='spark'`` reads files with Spark instead (``session``: the SparkSession, default the
    active one or a new ``local[2]``).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}; got {engine!r}")
    if isinstance(data, Source):
        return data
    if _is_spark_frame(data):
        if engine == "duckdb":
            raise ValueError("engine='duckdb' cannot read a Spark DataFrame; pass engine='spark' (or 'auto')")
        return SparkSource(data)
    if _is_duckdb_relation(data):
        if engine == "spark":
            raise ValueError("engine='spark' cannot read a DuckDB relation; pass engine='duckdb' (or 'auto')")
        return DuckDBSource(data)
    if isinstance(data, (str, os.PathLike)) or _is_path_list(data):
        if engine == "spark":
            return SparkSource(data, session=session)
        return DuckDBSource(data, connection=connection, settings=settings)
    raise TypeError(
        f"cannot read rows from a {type(data).__name__}; pass a path or glob of Parquet/CSV files, a list of "
        "files, a DuckDB relation or a Spark DataFrame (pandas DataFrames go to toolkit.profile)"
    )
