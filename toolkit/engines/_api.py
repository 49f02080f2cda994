"""Public engine functions: profiles and outcome counts of data wherever it lives."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .._checks import check_choice, check_columns, preview
from ..profiles import DEFAULT_BINS, Profile
from ..profiles import profile as _pandas_profile
from . import _sql as S
from ._profiles import EXACT_QUANTILES, WindowedProfiles, derive_edges, plan, run_profiles
from ._source import FILE_COLUMN, Source, is_source, open_source
from ._windows import frame_windows, source_timezone, window_spec

__all__ = ["profile", "profile_windows", "confusion_counts", "score_histogram", "auc_from_histogram", "read_columns",
           "ENGINES", "engine_of"]

ENGINES = ("auto", "pandas", "duckdb", "spark")


def engine_of(data) -> str:
    """The engine ``engine='auto'`` picks for ``data``: 'pandas', 'duckdb' or 'spark'.

    >>> import pandas as pd
    >>> engine_of(pd.DataFrame({"x": [1]})), engine_of("logs/*.parquet")
    ('pandas', 'duckdb')
    """
    if isinstance(data, pd.DataFrame):
        return "pandas"
    if isinstance(data, Source):
        return data.engine
    if type(data).__module__.startswith("pyspark."):
        return "spark"
    if is_source(data):
        return "duckdb"
    raise TypeError(f"cannot profile a {type(data).__name__}; pass a DataFrame, a path or glob of Parquet/CSV files, "
                    "a DuckDB relation or a Spark DataFrame")


def _check_engine(engine: str, data) -> str:
    check_choice("engine", engine, ENGINES)
    natural = engine_of(data)
    if engine == "auto":
        return natural
    if engine == "pandas" and natural != "pandas":
        raise ValueError(f"engine='pandas' needs a DataFrame; got {type(data).__name__}. Load it with tk.read(...) "
                         "or use engine='duckdb'")
    if natural == "pandas" and engine != "pandas":
        raise ValueError(f"engine={engine!r} reads files or tables, not a pandas DataFrame; use engine='pandas' "
                         "(or write the frame to Parquet first)")
    return engine


def _reference_profile(reference, spec, columns, kinds, bins) -> Profile | None:
    if reference is None or isinstance(reference, Profile):
        return reference
    if isinstance(reference, pd.DataFrame):
        return _pandas_profile(reference, spec, columns=columns, kinds=kinds, bins=bins)
    raise TypeError(f"reference must be a Profile (or a DataFrame whose profile gives the edges); "
                    f"got {type(reference).__name__}")


def _open(source, engine, connection, session):
    return open_source(source, "auto" if engine == "auto" else engine, connection=connection, session=session)


def profile(
    source,
    reference: "Profile | pd.DataFrame | None" = None,
    spec=None,
    *,
    columns: Iterable[str] | None = None,
    kinds: Mapping[str, str] | None = None,
    bins: int = DEFAULT_BINS,
    label: str | None = None,
    engine: str = "auto",
    exact_quantiles: int = EXACT_QUANTILES,
    include_new: bool = False,
    progress: bool = True,
    cache: bool = True,
    connection=None,
    session=None,
) -> Profile:
    """Profile data where it lives: one :class:`~toolkit.Profile`, as :func:`toolkit.profile` would.

    Parameters
    ----------
    source
        A pandas DataFrame (pandas engine), a path, folder, glob or list of Parquet/CSV files or a
        DuckDB relation (DuckDB, streamed in bounded memory), or a Spark DataFrame (Spark).
        Files are read by column name (``union_by_name``): a column missing from some files is
        null there, and absent from a window whose files all lack it.
    reference
        The reference :class:`~toolkit.Profile` whose columns, kinds and bin edges to reuse (pass
        it for every window you will compare or merge). None makes ``source`` the baseline: its
        numeric edges are derived from its own quantiles.
    spec
        A :class:`~toolkit.ModelSpec`: monitored columns and kinds (without a reference).
    columns, kinds, bins, label
        As in :func:`toolkit.profile`.
    engine
        'auto' (pandas for DataFrames, DuckDB for files and relations, Spark for Spark frames),
        'pandas', 'duckdb' or 'spark' (Spark reads the files itself).
    exact_quantiles
        Baseline columns with at most this many finite values get exact quantile edges (identical
        to pandas'); larger ones the engine's quantile sketch (edges approximate, counts on them exact).
    include_new
        Also profile columns of ``source`` that the reference lacks (rows and nulls; used by
        :func:`toolkit.compare` to suggest renames).
    progress
        Show a progress bar (tqdm) for passes that take more than a couple of seconds.
    cache
        Reuse per-file profiles (and derived edges) computed earlier in this process with the same
        columns, kinds and edges; files are recognised by path, size and modification time, so a
        re-run after new partitions arrived reads only the new files. ``clear_cache()`` empties it.
    connection, session
        A DuckDB connection or SparkSession to use instead of the defaults (a fresh embedded
        DuckDB with :data:`~toolkit.engines.DUCKDB_SETTINGS`; the active or a ``local[2]`` Spark).

    Returns
    -------
    Profile

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> folder = tempfile.mkdtemp()
    >>> frame = pd.DataFrame({"x": rng.normal(size=2000), "plan": rng.choice(["a", "b"], 2000)})
    >>> frame.to_parquet(os.path.join(folder, "base.parquet"))
    >>> base = tk.engines.profile(os.path.join(folder, "base.parquet"))
    >>> base.equals(tk.profile(frame))
    True
    """
    engine = _check_engine(engine, source)
    columns = [columns] if isinstance(columns, str) else columns
    if engine == "pandas":
        ref = _reference_profile(reference, spec, columns, kinds, bins)
        return _pandas_profile(source, ref if ref is not None else spec, columns=columns, kinds=kinds, bins=bins,
                               label=label)
    ref = _reference_profile(reference, spec, columns, kinds, bins)
    with _open(source, engine, connection, session) as src:
        p = plan(src, ref, spec, columns, kinds, include_new=include_new)
        derive_edges(src, p.items, bins, exact_limit=exact_quantiles, progress=progress, cache=cache)
        out, _ = run_profiles(src, p.items, window_spec(None, src.columns, None), progress=progress,
                              desc=f"profiling {src.description}", cache=cache)
    prof = out[0][2]
    return Profile(prof.columns, prof.n_rows, label)


def profile_windows(
    source,
    reference: "Profile | pd.DataFrame | None" = None,
    spec=None,
    *,
    window: str = "W",
    timestamp: str | None = None,
    columns: Iterable[str] | None = None,
    kinds: Mapping[str, str] | None = None,
    bins: int = DEFAULT_BINS,
    engine: str = "auto",
    exact_quantiles: int = EXACT_QUANTILES,
    progress: bool = True,
    cache: bool = True,
    connection=None,
    session=None,
) -> WindowedProfiles:
    """Profiles of every window of ``source``, all computed in one pass, on the reference's edges.

    Parameters
    ----------
    source, reference, spec, columns, kinds, bins, engine, exact_quantiles, progress, cache, connection, session
        As in :func:`profile`. Without a reference the edges are derived from all of ``source``
        first, so the windows can be compared and merged.
    window
        A column whose values label the windows (e.g. the hive partition ``'week'`` of
        ``logs/week=2026-01/part-0.parquet``); ``'batch'``: one window per partition folder (or
        file), labelled as :func:`toolkit.read_batches` does; or a period of the timestamp: 'h',
        'D', 'W' (weeks starting Monday), 'M', 'Q', 'Y' (``date_trunc`` in SQL, ``to_period`` in
        pandas). Windows made of whole files (partitions, batches) need no grouping column at all.
    timestamp
        Event-time column for periods (default: ``spec.timestamp``).

    Returns
    -------
    WindowedProfiles
        A ``{label: Profile}`` mapping in window order; ``.starts`` holds each window's start,
        ``.merged()`` all windows in one profile. Period windows are labelled by their first day
        (``'2026-01-05'``), column windows by the value.

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> folder = tempfile.mkdtemp()
    >>> for week in ("2026-01", "2026-02"):
    ...     os.makedirs(os.path.join(folder, f"week={week}"))
    ...     pd.DataFrame({"x": rng.normal(size=500)}).to_parquet(os.path.join(folder, f"week={week}", "part-0.parquet"))
    >>> base = pd.DataFrame({"x": rng.normal(size=1000)})
    >>> weeks = tk.engines.profile_windows(os.path.join(folder, "week=*", "*.parquet"), base, window="week")
    >>> list(weeks), [p.n_rows for p in weeks.values()]
    (['2026-01', '2026-02'], [500, 500])
    """
    engine = _check_engine(engine, source)
    columns = [columns] if isinstance(columns, str) else columns
    timestamp = timestamp if timestamp is not None else getattr(spec, "timestamp", None)
    if engine == "pandas":
        wspec = window_spec(window, source.columns, timestamp)
        cols = _default_columns(columns, spec, reference, list(source.columns), wspec)
        ref = _reference_profile(reference, spec, cols, kinds, bins)
        if ref is None:
            ref = _pandas_profile(source, spec, columns=cols, kinds=kinds, bins=bins)
        profiles, starts = {}, {}
        for label, start, rows in frame_windows(source, wspec):
            profiles[label] = _pandas_profile(rows, ref, label=label)
            starts[label] = start
        return WindowedProfiles(profiles, starts, window)
    with _open(source, engine, connection, session) as src:
        wspec = source_timezone(src, window_spec(window, src.columns, timestamp, has_files=bool(src.files)))
        cols = _default_columns(columns, spec, reference, src.columns, wspec)
        ref = _reference_profile(reference, spec, cols, kinds, bins)
        p = plan(src, ref, spec, cols, kinds)
        derive_edges(src, p.items, bins, exact_limit=exact_quantiles, progress=progress, cache=cache)
        out, _ = run_profiles(src, p.items, wspec, progress=progress,
                              desc=f"profiling {src.description} by {window}", cache=cache)
    return WindowedProfiles({label: prof for label, _, prof in out}, {label: start for label, start, _ in out}, window)


def _default_columns(columns, spec, reference, available, wspec):
    """Without columns, spec or reference: every column but the window's own."""
    if columns is not None or spec is not None or reference is not None:
        return columns
    skip = {FILE_COLUMN, wspec.column if wspec.kind == "column" else None}
    return [c for c in available if c not in skip]


# ------------------------------------------------------------------------------------------------
# outcomes
# ------------------------------------------------------------------------------------------------
def _roles(spec, target, score, prediction, positive_label, threshold, timestamp):
    """The role columns of a binary model's counts, resolved by the one owner (:meth:`ModelSpec.resolve`)."""
    from ..spec import resolve_roles

    r = resolve_roles(None, spec, require=("target", "score|prediction"), target=target, score=score,
                      prediction=prediction, positive_label=positive_label, threshold=threshold, timestamp=timestamp)
    return r.target, r.score, r.prediction, r.positive_label, r.threshold, r.timestamp


COUNT_COLUMNS = ["window", "window_start", "n_rows", "n_labelled", "n", "tp", "fp", "fn", "tn"]


def confusion_counts(
    source,
    spec=None,
    *,
    window: str | None = None,
    timestamp: str | None = None,
    target: str | None = None,
    score: str | None = None,
    prediction: str | None = None,
    positive_label: object = None,
    threshold: float | None = None,
    weight: str | None = None,
    engine: str = "auto",
    progress: bool = True,
    connection=None,
    session=None,
) -> pd.DataFrame:
    """Per window: rows, labelled rows and the confusion counts of a binary model, where the data lives.

    A row is predicted positive when ``prediction == positive_label`` (or, without a prediction
    column, when ``score >= threshold``), as in :func:`toolkit.performance`. Rows whose label is
    missing count in ``n_rows`` only; labelled rows without a prediction/score are left out of
    ``n`` and the four cells. Accuracy, precision, recall and F1 follow exactly from the cells.

    Parameters
    ----------
    source
        DataFrame, files, DuckDB relation or Spark DataFrame (see :func:`profile`).
    spec
        ModelSpec giving target, score, prediction, positive label, threshold and timestamp;
        keyword arguments override it.
    window, timestamp
        As in :func:`profile_windows`; None: one window 'all'.
    weight
        Column of inclusion probabilities; adds ``w_tp, w_fp, w_fn, w_tn`` weighted by ``1 / weight``.
    engine, progress, connection, session
        As in :func:`profile`.

    Returns
    -------
    pandas.DataFrame
        ``window, window_start, n_rows, n_labelled, n, tp, fp, fn, tn`` (+ weighted cells).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"y": [1, 0, 1, None], "p": [0.9, 0.7, 0.2, 0.5]})
    >>> confusion_counts(frame, target="y", score="p")[["n_rows", "n", "tp", "fp", "fn", "tn"]].values.tolist()
    [[4, 3, 1, 1, 1, 0]]
    """
    target, score, prediction, positive, thr, timestamp = _roles(spec, target, score, prediction, positive_label,
                                                                 threshold, timestamp)
    engine = _check_engine(engine, source)
    if engine == "pandas":
        return _pandas_confusion(source, window, timestamp, target, score, prediction, positive, thr, weight)
    with _open(source, engine, connection, session) as src:
        needed = [c for c in (target, prediction if prediction is not None else score, weight) if c is not None]
        _check_source_columns(src, needed)
        wspec = source_timezone(src, window_spec(window, src.columns, timestamp))
        d = src.dialect
        sql = S.confusion(d, src.name, wspec.sql(d), (target, src.types[target]), positive,
                          (prediction, src.types[prediction]) if prediction is not None else None,
                          (score, src.types[score]) if score is not None else None, thr,
                          (weight, src.types[weight]) if weight is not None else None)
        res = src.run(sql, f"counting outcomes in {src.description}", progress)
    return _tidy_counts(res, wspec, weight is not None)


def _check_source_columns(src: Source, needed: list[str]) -> None:
    missing = [c for c in needed if c not in src.types]
    if missing:
        raise KeyError(f"the data lacks column(s) {preview(missing)}; it has {preview(src.columns)}")


def _tidy_counts(res: pd.DataFrame, wspec, weighted: bool) -> pd.DataFrame:
    res = res[res["w"].notna()] if wspec.kind != "none" else res
    from ._profiles import _sort_key

    order = sorted(range(len(res)), key=lambda i: _sort_key(res["w"].iloc[i]))
    res = res.iloc[order].reset_index(drop=True)
    out = pd.DataFrame({"window": [wspec.label(w) for w in res["w"]], "window_start": [wspec.start(w) for w in res["w"]]})
    for c in COUNT_COLUMNS[2:]:
        out[c] = res[c].fillna(0).astype("int64").to_numpy()
    if weighted:
        for c in ("w_tp", "w_fp", "w_fn", "w_tn"):
            out[c] = res[c].astype("float64").to_numpy()
    return out


def _pandas_flag(values: pd.Series, label) -> np.ndarray:
    out = np.full(len(values), np.nan)
    mask = values.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        mask = mask & ~np.isnan(values.to_numpy(dtype="float64", na_value=np.nan))
    out[mask] = (values[mask] == label).to_numpy(dtype=float)
    return out


def _pandas_confusion(frame, window, timestamp, target, score, prediction, positive, thr, weight) -> pd.DataFrame:
    check_columns("source", frame, [c for c in (target, prediction if prediction is not None else score, weight) if c])
    wspec = window_spec(window, frame.columns, timestamp)
    rows = []
    for label, start, part in frame_windows(frame, wspec):
        y = _pandas_flag(part[target], positive)
        if prediction is not None:
            p = _pandas_flag(part[prediction], positive)
        else:
            s = pd.to_numeric(part[score], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            p = np.where(np.isnan(s), np.nan, (s >= thr).astype(float))
        row = {"window": label, "window_start": start, "n_rows": len(part), "n_labelled": int((~np.isnan(y)).sum()),
               "n": int((~np.isnan(y) & ~np.isnan(p)).sum())}
        cells = {"tp": (y == 1) & (p == 1), "fp": (y == 0) & (p == 1), "fn": (y == 1) & (p == 0), "tn": (y == 0) & (p == 0)}
        row.update({k: int(m.sum()) for k, m in cells.items()})
        if weight is not None:
            wt = 1.0 / pd.to_numeric(part[weight], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            row.update({f"w_{k}": float(np.nansum(wt[m])) for k, m in cells.items()})
        rows.append(row)
    cols = COUNT_COLUMNS + (["w_tp", "w_fp", "w_fn", "w_tn"] if weight is not None else [])
    return pd.DataFrame(rows, columns=cols)


def score_histogram(
    source,
    spec=None,
    *,
    bins: int = 1000,
    window: str | None = None,
    timestamp: str | None = None,
    target: str | None = None,
    score: str | None = None,
    positive_label: object = None,
    engine: str = "auto",
    progress: bool = True,
    connection=None,
    session=None,
) -> pd.DataFrame:
    """Per window and label: counts of labelled rows in ``bins`` equal-width score bins on [0, 1].

    Enough for ROC AUC per window without moving rows: :func:`auc_from_histogram` treats rows in
    one bin as ties, so the AUC is exact when scores carry at most ``log10(bins)`` decimals and
    otherwise within the mass of within-bin positive/negative pairs (< 1e-3 for 1,000 bins on
    smooth scores).

    Returns
    -------
    pandas.DataFrame
        ``window, label (0/1), bin, n`` (non-empty cells only).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"y": [1, 0, 1, 0], "p": [0.9, 0.1, 0.8, 0.35]})
    >>> h = score_histogram(frame, target="y", score="p", bins=10)
    >>> auc_from_histogram(h)["all"]
    1.0
    """
    if not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2; got {bins!r}")
    target, score_col, _, positive, _, timestamp = _roles(spec, target, score, None, positive_label, None, timestamp)
    if score_col is None:
        raise ValueError("a score histogram needs the score column; pass score='churn_score'")
    engine = _check_engine(engine, source)
    if engine == "pandas":
        check_columns("source", source, [target, score_col])
        wspec = window_spec(window, source.columns, timestamp)
        parts = []
        for label, _, part in frame_windows(source, wspec):
            y = _pandas_flag(part[target], positive)
            s = pd.to_numeric(part[score_col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            ok = ~np.isnan(y) & ~np.isnan(s)
            b = np.clip(np.floor(s[ok] * bins), 0, bins - 1).astype("int64")
            f = pd.DataFrame({"label": y[ok].astype("int64"), "bin": b}).value_counts().rename("n").reset_index()
            f.insert(0, "window", label)
            parts.append(f)
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["window", "label", "bin", "n"])
        return out.sort_values(["window", "label", "bin"], kind="stable").reset_index(drop=True)
    with _open(source, engine, connection, session) as src:
        _check_source_columns(src, [target, score_col])
        wspec = source_timezone(src, window_spec(window, src.columns, timestamp))
        d = src.dialect
        res = src.run(S.score_histogram(d, src.name, wspec.sql(d), (target, src.types[target]), positive,
                                        (score_col, src.types[score_col]), int(bins)),
                      f"score histogram of {src.description}", progress)
    res = res[res["w"].notna()] if wspec.kind != "none" else res
    out = pd.DataFrame({"window": [wspec.label(w) for w in res["w"]], "label": res["y"].astype("int64"),
                        "bin": res["b"].astype("int64"), "n": res["n"].astype("int64")})
    return out.sort_values(["window", "label", "bin"], kind="stable").reset_index(drop=True)


def auc_from_histogram(hist: pd.DataFrame) -> dict[str, float]:
    """ROC AUC per window from :func:`score_histogram` (rows in one bin count as ties: 1/2)."""
    out = {}
    for window, g in hist.groupby("window", sort=False):
        size = int(g["bin"].max()) + 1
        pos = np.bincount(g.loc[g["label"] == 1, "bin"], weights=g.loc[g["label"] == 1, "n"], minlength=size)
        neg = np.bincount(g.loc[g["label"] == 0, "bin"], weights=g.loc[g["label"] == 0, "n"], minlength=size)
        n_pos, n_neg = pos.sum(), neg.sum()
        if n_pos == 0 or n_neg == 0:
            out[str(window)] = float("nan")
            continue
        below = np.cumsum(neg) - neg
        out[str(window)] = float((pos * (below + 0.5 * neg)).sum() / (n_pos * n_neg))
    return out



def read_columns(source, columns: Iterable[str], *, engine: str = "auto", connection=None, session=None) -> pd.DataFrame:
    """The named columns of ``source`` as a pandas DataFrame (columns it lacks are skipped).

    Only those columns are read (projection pushdown in DuckDB and Spark), so a model's role
    columns (target, score, prediction, timestamp) of wide logs fit in memory where all the
    columns would not. Files are read by column name: a column missing from some files is null
    there. For bounded memory whatever the row count, aggregate instead (:func:`confusion_counts`).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.parquet")
    >>> pd.DataFrame({"y": [1, 0], "p": [0.9, 0.2], "wide": ["x", "y"]}).to_parquet(path)
    >>> read_columns(path, ["p", "y", "not_there"]).columns.tolist()
    ['p', 'y']
    """
    engine = _check_engine(engine, source)
    wanted = list(dict.fromkeys(str(c) for c in columns if c is not None))
    if engine == "pandas":
        return source[[c for c in wanted if c in source.columns]]
    with _open(source, engine, connection, session) as src:
        keep = [c for c in wanted if c in src.types]
        if not keep:
            raise KeyError(f"the data has none of the columns {preview(wanted)}; it has {preview(src.columns)}")
        d = src.dialect
        return src.run(f"SELECT {', '.join(d.quote(c) for c in keep)} FROM {src.name}", f"reading {src.description}",
                       True)
