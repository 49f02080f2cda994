"""Engines: compute profiles (and outcome counts) where the data lives.

The drift, schema and performance figures of toolkit come from mergeable summaries, so the heavy
pass over the rows can run in whichever engine holds them:

* **pandas** -- the default for DataFrames (:func:`toolkit.profile`);
* **DuckDB** -- embedded, the default for a path, folder, glob or list of Parquet/CSV files and
  for DuckDB relations; files are streamed, so memory stays bounded whatever their size;
* **Spark** -- for data on a cluster (a Spark DataFrame, or ``engine='spark'`` for files).

DuckDB and Spark run the *same* generated SQL (:mod:`toolkit.engines._sql`): per column one
``GROUP BY window, bin`` with ``COUNT/SUM/MIN/MAX``, binning on the reference's edges, all
windows in one pass; only a handful of spellings differ between the two dialects.

* :func:`profile` -- one :class:`~toolkit.Profile` of a source (the baseline, or on a reference's edges)
* :func:`profile_windows` -- a :class:`WindowedProfiles` per period or partition, in one pass
* :func:`drift_windows` -- the windows :func:`toolkit.drift_over_time` compares, as profiles
* :func:`outcome_counts` -- the label join and a binary model's cells per window, for :func:`toolkit.performance`
  (with ``all_rows=True`` every production row's, for :func:`toolkit.estimate_performance`); :func:`distinct_scores`
  bounds their number first
* :func:`confusion_counts`, :func:`score_histogram`, :func:`auc_from_histogram` -- outcome counts per window
* :func:`read_columns` -- only the named columns of wide logs, as a DataFrame
* :func:`rows_if_cheap`, :func:`read_rows` -- files small enough to compare on their rows (``tk.compare``'s
  ``engine='auto'`` below the row budget)
* :func:`is_source`, :func:`engine_of` -- which inputs go to an engine, and to which
* :func:`clear_cache` -- per-file profiles are cached (path, size, mtime): re-runs read only new files

:func:`toolkit.compare` accepts these inputs directly:
``tk.compare("baseline.parquet", "logs/week=*/*.parquet", spec=spec)``.

Examples
--------
>>> import numpy as np, pandas as pd, tempfile, os
>>> import toolkit as tk
>>> rng = np.random.default_rng(0)
>>> path = os.path.join(tempfile.mkdtemp(), "rows.parquet")
>>> pd.DataFrame({"x": rng.normal(size=1000)}).to_parquet(path)
>>> tk.engines.engine_of(path), tk.engines.profile(path)["x"].count
('duckdb', 1000)
"""
from ._api import (ENGINES, auc_from_histogram, confusion_counts, engine_of, profile, profile_windows,
                   read_columns, score_histogram)
from ._contract import SourceBatch, SourceWindows, guard_source, source_batch, source_windows, window_row_counts
from ._drift import WindowProfile, drift_windows
from ._memory import is_files, read_rows, rows_if_cheap
from ._outcomes import distinct_scores, outcome_counts
from ._profiles import EXACT_QUANTILES, WindowedProfiles, clear_cache
from ._source import DUCKDB_SETTINGS, is_source, list_files, open_source
from ._source import _active_session as active_session
from ._source import SPARK_KEYS, existing_session, session_note, spark_read

__all__ = ["open_source", "active_session", "profile", "profile_windows", "WindowedProfiles", "drift_windows", "WindowProfile", "confusion_counts",
           "outcome_counts", "distinct_scores", "score_histogram", "read_columns",
           "auc_from_histogram", "is_source", "engine_of", "list_files", "clear_cache", "ENGINES",
           "DUCKDB_SETTINGS", "EXACT_QUANTILES", "SourceBatch", "source_batch", "window_row_counts", "guard_source",
           "SourceWindows", "source_windows",
           "is_files", "rows_if_cheap", "read_rows", "SPARK_KEYS", "existing_session", "session_note", "spark_read"]
