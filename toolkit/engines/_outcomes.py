"""Outcomes where the data lives: the label join and the per-window cells of a binary model, in SQL.

:func:`outcome_counts` joins production to its labels in DuckDB or Spark (or in pandas, through
:func:`toolkit.join_labels`) and returns, per window, the rows, the labelled rows and the
:class:`~toolkit.outcomes.counts.Cells` -- counts per (label, score, predicted label, inclusion
probability) -- from which :func:`toolkit.performance` computes every binary metric and interval
exactly as from the rows (see :mod:`toolkit.outcomes.counts`). Nothing but the counts leaves the engine.

The join follows :func:`toolkit.join_labels`:

- ids match as they are when both sides are numbers or both text, else on canonical text keys
  (a whole-number float 4.0 is the id '4'), with a note;
- label rows without an id, or without a value, are counted and not joined;
- labels matching no prediction are orphans (counted);
- when ids repeat among the predictions: with ``label_time`` and a timestamp, each label goes to the
  latest prediction of its id at or before its label time; without them the labels of repeated ids
  are set aside (orphans, reason 'id repeats in predictions'), counted, never guessed;
- several labels of one prediction: same value -> duplicates (one kept); different values -> a
  conflict, resolved by ``conflicts`` ('latest', 'first', 'drop' or 'raise');
- the inclusion probability (``inclusion_prob``) of the label kept weights the row by its inverse.

One difference, stated: among labels of one prediction with the same ``label_time`` (or without
one), pandas keeps the later *file row*; an engine has no row order, so it keeps the larger value
(then the larger inclusion probability). Both pick the same label unless such ties disagree.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_choice, preview
from ..outcomes.counts import GRID_STEPS, MAX_SCORES, Cells, OutcomeCounts, floor_to_grid
from . import _sql as S
from ._source import FILE_COLUMN, open_source
from ._windows import batch_label, source_timezone, window_spec

__all__ = ["outcome_counts", "distinct_scores"]

_CONFLICTS = ("latest", "first", "drop", "raise")


def outcome_counts(
    production,
    labels=None,
    spec=None,
    *,
    window: str | None = None,
    timestamp: str | None = None,
    on: str | None = None,
    target: str | None = None,
    score: str | None = None,
    prediction: str | None = None,
    positive_label: object = None,
    threshold: float | None = None,
    label_time: str | None = "label_time",
    inclusion_prob: str | None = "auto",
    conflicts: str = "latest",
    max_scores: int = MAX_SCORES,
    tz: str | None = None,
    engine: str = "auto",
    progress: bool = True,
    connection=None,
    session=None,
    all_rows: bool = False,
    route_at: object = "scores",
) -> OutcomeCounts:
    """Per window: rows, labelled rows and the cells of a binary model, with the label join in the engine.

    Parameters
    ----------
    production
        Logged predictions: a DataFrame (pandas), Parquet/CSV path, glob, folder or list (DuckDB,
        or Spark with ``engine='spark'``), a DuckDB relation or a Spark DataFrame.
    labels
        Ground truth to join on ``on`` (same kinds of input); None when ``production`` holds the target.
    spec
        ModelSpec giving id, target, score, prediction, positive label, threshold and timestamp;
        keyword arguments override it.
    window
        How production is cut: ``'batch'`` (one window per partition folder or file), a column, or a
        period alias on the timestamp ('D', 'W', 'M'); None: one window 'all'.
    label_time, conflicts
        As in :func:`toolkit.join_labels`.
    inclusion_prob
        Column of inclusion probabilities (labels or production); 'auto': ``inclusion_prob`` if present.
    tz
        Time zone periods are cut in (default: the timestamps' own).
    max_scores
        Most distinct scores per window kept exactly; above, that window's scores are floored onto a
        1e-6 grid (the report says so, with the most the AUC can move).
    engine, progress, connection, session
        As in :func:`toolkit.engines.profile`.
    all_rows
        Also count every production row, labelled or not, per (label or none, score, predicted label,
        inclusion probability): :attr:`OutcomeCounts.scores`, from which :func:`toolkit.estimate_performance`
        estimates without labels and :meth:`toolkit.AbstainDecision.apply` routes. Scores stay exact (never
        floored; ``max_scores`` is ignored), so the result has one cell per distinct score and window: bound it
        first (:func:`distinct_scores`).
    route_at
        With ``all_rows`` in DuckDB or Spark: an abstain cut-off (``AbstainDecision.abstain_at``; None routes every
        row) whose routing is all that is wanted. Each score is then replaced by its row's fate -- 1.0 where the
        confidence (the score if predicted positive, else 1 - score, as :func:`toolkit.abstain_threshold` takes it)
        is at least ``route_at``, else 0.0 (the reverse for predicted negatives) -- so a window has a handful of
        cells whatever the scores, and ``AbstainDecision.apply`` on them is provably the routing of the exact
        scores. Nothing else should be computed from such counts. Default 'scores': keep the scores.

    Returns
    -------
    OutcomeCounts
        Pass it to :func:`toolkit.performance` (and, with ``all_rows``, to :func:`toolkit.estimate_performance`).

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> folder = tempfile.mkdtemp()
    >>> p = rng.random(400).round(3)
    >>> pd.DataFrame({"id": np.arange(400), "p": p}).to_parquet(os.path.join(folder, "preds.parquet"))
    >>> pd.DataFrame({"id": np.arange(0, 400, 2), "y": (rng.random(200) < p[::2]).astype(int)}).to_parquet(
    ...     os.path.join(folder, "labels.parquet"))
    >>> counts = tk.engines.outcome_counts(os.path.join(folder, "preds.parquet"), os.path.join(folder, "labels.parquet"),
    ...                                    on="id", target="y", score="p", progress=False)
    >>> counts.windows[["window", "n_rows", "n_labelled"]].values.tolist()
    [['all', 400, 200]]
    >>> perf = tk.performance(counts, target="y", score="p", metric="roc_auc")
    >>> same = tk.performance(tk.join_labels(pd.read_parquet(os.path.join(folder, "preds.parquet")),
    ...     pd.read_parquet(os.path.join(folder, "labels.parquet")), on="id", target="y", by=None).joined,
    ...     target="y", score="p", metric="roc_auc")
    >>> perf.to_frame()[["value", "lower", "upper"]].equals(same.to_frame()[["value", "lower", "upper"]])
    True
    """
    from ..spec import resolve_roles
    from ._api import _check_engine

    check_choice("conflicts", conflicts, _CONFLICTS)
    r = resolve_roles(None, spec, require=("target", "score|prediction"), id=on, target=target, score=score,
                      prediction=prediction, positive_label=positive_label, threshold=threshold, timestamp=timestamp)
    if labels is not None and r.id is None:
        raise ValueError("joining labels needs the id column: pass on='customer_id' (or a spec with spec.id)")
    if r.task not in (None, "binary"):
        raise ValueError(f"outcome counts are for binary models; this spec's task is {r.task!r}. Use "
                         "tk.performance on the rows (cfg.performance reads them within the row budget)")
    engine = _check_engine(engine, production)
    if not (isinstance(route_at, str) and route_at == "scores"):
        if not all_rows or engine == "pandas":
            raise ValueError("route_at collapses every production row's score to its routing: pass all_rows=True, "
                             "with DuckDB or Spark (in pandas the exact scores cost no more)")
        if route_at is not None and not isinstance(route_at, (int, float)):
            raise TypeError(f"route_at must be an abstain cut-off (a number), None or 'scores'; got {route_at!r}")
    if engine == "pandas":
        return _pandas_counts(production, labels, spec, r, window, label_time, inclusion_prob, conflicts, max_scores,
                              all_rows)
    with open_source(production, engine, connection=connection, session=session) as src:
        lab = None
        try:
            if labels is not None:
                lab = _open_labels(labels, src)
            return _engine_counts(src, lab, r, window, label_time, inclusion_prob, conflicts, max_scores, progress, tz,
                                  all_rows, route_at)
        finally:
            if lab is not None and lab is not src:
                lab.close()


def distinct_scores(production, spec=None, *, window: str | None = None, timestamp: str | None = None,
                    score: str | None = None, tz: str | None = None, engine: str = "auto", progress: bool = False,
                    connection=None, session=None) -> int:
    """About how many cells ``outcome_counts(..., all_rows=True)`` returns: distinct scores summed over the
    windows, counted in the engine with HyperLogLog (``approx_count_distinct``, a few % off, no hash table of
    the scores); exact (``nunique``) for a DataFrame. Cheap enough to decide, before counting, whether the
    cells fit in memory.

    >>> import pandas as pd
    >>> distinct_scores(pd.DataFrame({"p": [0.1, 0.2, 0.2, None]}), score="p")
    2
    """
    from ..spec import resolve_roles
    from ._api import _check_engine

    r = resolve_roles(None, spec, require=("score",), score=score, timestamp=timestamp)
    engine = _check_engine(engine, production)
    if engine == "pandas":
        from ..outcomes.measure import assign_windows

        win, _ = assign_windows(production, window, r.timestamp)
        s = pd.to_numeric(production[r.score], errors="coerce")
        return int(s.groupby(win.to_numpy()).nunique().sum())
    with open_source(production, engine, connection=connection, session=session) as src:
        _require("production", src.types, [r.score], src)
        ts = r.timestamp if r.timestamp in src.types else None
        wspec = source_timezone(src, window_spec(window, src.columns, ts, has_files=bool(src.files), tz=tz), tz)
        wexpr = src.group_expr if wspec.kind == "file" else wspec.sql(src.dialect)
        sv, _ = S.numeric_value(src.dialect, r.score, src.types[r.score])
        sql = (f"SELECT SUM(k) AS k FROM (SELECT approx_count_distinct(s) AS k FROM (SELECT {wexpr} AS w, "
               f"CASE WHEN {S._missing(sv)} THEN NULL ELSE {sv} END AS s FROM {src.name}) t GROUP BY w) g")
        k = src.run(sql, "counting distinct scores", progress)["k"].iloc[0]
    return 0 if k is None or pd.isna(k) else int(k)


# ------------------------------------------------------------------------------------------------ pandas


def _pandas_counts(production, labels, spec, r, window, label_time, inclusion_prob, conflicts, max_scores,
                   all_rows=False):
    """The reference path: tk.join_labels, then the same cells tk.performance builds from the rows."""
    from ..outcomes.labels import join_labels
    from ..outcomes.measure import assign_windows
    from ..outcomes.realized import frame_cells, prepare

    label_rows, notes = {}, ()
    if labels is not None:
        fb = join_labels(production, labels, on=r.id, target=r.target, timestamp=r.timestamp,
                         label_time=label_time, by=None, conflicts=conflicts)
        production, label_rows, notes = fb.joined, dict(fb.label_rows), tuple(fb.notes)
    metrics = [m for m, col in (("roc_auc", r.score), ("accuracy", True)) if col]
    if all_rows and labels is None and r.target not in production.columns:
        production = production.assign(**{r.target: np.nan})  # every row counted for a label-free estimate
    prep = prepare(production, r, metrics, inclusion_prob)
    win, table = assign_windows(production, window, r.timestamp)
    positions = pd.Series(np.arange(len(production))).groupby(win.to_numpy()).indices
    cells, n_rows, scores = {}, [], {} if all_rows else None
    cells_of = frame_cells(production, prep)
    every = _all_row_cells(production, prep, r) if all_rows else None
    for w in table["window"]:
        rows = positions.get(w, np.array([], dtype=np.int64))
        n_rows.append(len(rows))
        if all_rows:
            scores[w] = every(rows)
            lab = scores[w].to_frame()
            cells[w] = Cells.from_frame(lab[lab["y"].notna()])
            continue
        rows = rows[prep.labelled[rows]]
        c = cells_of(rows)
        cells[w] = c if c.floored or max_scores == MAX_SCORES else _refloor(c, max_scores)
    windows = table.assign(n_rows=n_rows, n_labelled=[cells[w].n_labelled for w in table["window"]])
    return OutcomeCounts(windows, cells, "pandas", window, prep.weight_column, label_rows, notes, scores)


def _all_row_cells(frame: pd.DataFrame, prep, r):
    """``rows -> Cells`` of every row (label NaN where there is none; the inclusion probability only where
    labelled), as the engines count them; the scores of every row are checked as probabilities."""
    from ..outcomes.measure import check_probabilities

    if prep.score is not None:
        check_probabilities(prep.score, r.score, "production")
    if prep.weight_column is not None:
        raw = pd.to_numeric(frame[prep.weight_column], errors="coerce").to_numpy(dtype=float)
        pi = np.where(prep.labelled, raw, np.nan)
    else:
        pi = np.where(prep.labelled, 1.0, np.nan)
    y = np.where(prep.labelled, prep.y, np.nan)
    s = np.full(prep.n_rows, np.nan) if prep.score is None else prep.score
    p = np.full(prep.n_rows, np.nan) if prep.prediction is None else prep.prediction

    def cells(rows: np.ndarray) -> Cells:
        return Cells.from_frame(pd.DataFrame({"y": y[rows], "s": s[rows], "p": p[rows], "pi": pi[rows],
                                              "n": np.ones(len(rows), np.int64)}))

    return cells


def _refloor(c: Cells, max_scores: int) -> Cells:
    s = c.s[~np.isnan(c.s)]
    if len(np.unique(s)) <= max_scores:
        return c
    f = c.to_frame()
    f["s"] = floor_to_grid(f["s"].to_numpy(float))
    return Cells.from_frame(f, floored=True)


# ------------------------------------------------------------------------------------------------ engines


def _open_labels(labels, src):
    """The labels as a source on the production's connection (DuckDB) or session (Spark), so one SQL joins both."""
    from ._source import DuckDBSource, SparkSource, _is_duckdb_relation, _is_spark_frame

    if src.engine == "spark":
        return SparkSource(labels, session=src.spark)
    if _is_spark_frame(labels):
        raise ValueError("labels are a Spark DataFrame but production is read by DuckDB; pass engine='spark' "
                         "(or both as paths)")
    if _is_duckdb_relation(labels):
        con = getattr(labels, "_con", None)
        if src._con is None or con is not src._con:
            # another connection: its rows cannot meet production's in one statement; stream them over (labels only)
            name = f"__tk_labels_{id(labels)}"
            src._con.register(name, labels.arrow())
            return _RegisteredLabels(src, name)
        return DuckDBSource(labels)
    return DuckDBSource(labels, connection=src._con)


class _RegisteredLabels:
    """Labels registered on the production's DuckDB connection (an Arrow table from another connection)."""

    engine = "duckdb"

    def __init__(self, src, name):
        self._src, self.name = src, name
        described = src._con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()
        self.raw_types = {str(r[0]): str(r[1]) for r in described}
        self.types = {c: S.normalise_type(t) for c, t in self.raw_types.items()}
        self.columns = list(self.types)
        self.files = None

    def close(self):
        self._src.unregister(self.name)


def _id_key(d, column: str, ctype: str, canonical: bool) -> str:
    """The join key of an id column: as it is, or canonical text (whole-number floats without '.0')."""
    q = d.quote(column)
    if not canonical or ctype == "string":
        return q
    if ctype == "boolean":
        return f"CASE WHEN {q} IS NULL THEN NULL WHEN {q} THEN 'True' ELSE 'False' END"
    if ctype == "numeric":
        v = f"CAST({q} AS DOUBLE)"
        return (f"CASE WHEN {S._missing(v)} THEN NULL WHEN {v} = floor({v}) AND abs({v}) < 9.2e18 "
                f"THEN {d.as_string(f'CAST({v} AS BIGINT)')} ELSE {d.as_string(v)} END")
    return d.as_string(q)


def _present(d, column: str, ctype: str) -> str:
    q = d.quote(column)
    return f"NOT {S._missing(f'CAST({q} AS DOUBLE)')}" if ctype == "numeric" else f"{q} IS NOT NULL"


def _engine_counts(src, lab, r, window, label_time, inclusion_prob, conflicts, max_scores, progress,
                   tz=None, all_rows=False, route_at="scores") -> OutcomeCounts:
    from ..outcomes.measure import binary_target

    d = src.dialect
    q = d.quote
    ptypes = src.types
    ltypes = lab.types if lab is not None else {}
    need_prod = [c for c in (r.score, r.prediction) if c is not None]
    # every row counted for a label-free estimate: production need not hold any label
    unlabelled = all_rows and lab is None and r.target not in ptypes
    if lab is None and not unlabelled:
        need_prod.append(r.target)
    if lab is not None:
        need_prod.append(r.id)
        _require("labels", ltypes, [r.id, r.target], lab)
    _require("production", ptypes, need_prod, src)
    if lab is not None and r.target in ptypes:
        raise ValueError(f"production already has column {r.target!r} that labels would add; drop or rename it in "
                         "production first (the labels file is the source of truth)")
    ts = r.timestamp if r.timestamp in ptypes else None
    # the inclusion probability: a column of the labels (joined) or of production
    pi_col, pi_side = None, None
    if inclusion_prob == "auto":
        inclusion_prob = "inclusion_prob" if "inclusion_prob" in ltypes or "inclusion_prob" in ptypes else None
    if inclusion_prob is not None:
        pi_side = "labels" if inclusion_prob in ltypes else "production" if inclusion_prob in ptypes else None
        if pi_side is None:
            raise KeyError(f"inclusion_prob column {inclusion_prob!r} is in neither production nor labels; labels "
                           f"have {preview(list(ltypes))}")
        pi_col = inclusion_prob
    lt = label_time if label_time is not None and label_time in ltypes else None
    wspec = source_timezone(src, window_spec(window, src.columns, ts, has_files=bool(src.files), tz=tz), tz)
    wexpr = src.group_expr if wspec.kind == "file" else wspec.sql(d)

    y = ("CAST(NULL AS DOUBLE)" if unlabelled else
         S._flag(d, r.target, ltypes[r.target] if lab is not None else ptypes[r.target], r.positive_label))
    if r.prediction is not None:
        p = S._flag(d, r.prediction, ptypes[r.prediction], r.positive_label)
    else:
        sv, _ = S.numeric_value(d, r.score, ptypes[r.score])
        p = f"CASE WHEN {S._missing(sv)} THEN NULL WHEN {sv} >= {d.double(r.threshold)} THEN 1 ELSE 0 END"
    s = S.numeric_value(d, r.score, ptypes[r.score])[0] if r.score is not None else "CAST(NULL AS DOUBLE)"
    s = f"CASE WHEN {S._missing(s)} THEN NULL ELSE {s} END" if r.score is not None else s
    t_expr = q(ts) if ts else "CAST(NULL AS TIMESTAMP)"
    pi_prod = f"CAST({q(pi_col)} AS DOUBLE)" if pi_side == "production" else "CAST(NULL AS DOUBLE)"
    notes: list[str] = []

    # one statement of checks: the target's (and prediction's) values, repeated ids, label rows without id or value
    tsrc, ttype = (lab, ltypes[r.target]) if lab is not None else (src, ptypes.get(r.target))
    tv = "CAST(NULL AS DOUBLE)" if unlabelled else f"CASE WHEN {_present(d, r.target, ttype)} THEN {q(r.target)} END"
    parts = [f"SELECT COUNT(DISTINCT {tv}) AS ntv, MIN({tv}) AS tv0, MAX({tv}) AS tv1, COUNT(*) AS total"
             + (f", SUM(CASE WHEN __tk_lk IS NULL THEN 1 ELSE 0 END) AS no_id, SUM(CASE WHEN __tk_lk IS NOT NULL AND {tv} IS NULL "
                f"THEN 1 ELSE 0 END) AS no_value FROM (SELECT *, {{lk}} AS __tk_lk FROM {tsrc.name}) l0" if lab is not None
                else f" FROM {tsrc.name}")]
    pv = (f"CASE WHEN {_present(d, r.prediction, ptypes[r.prediction])} THEN {q(r.prediction)} END"
          if r.prediction is not None else "CAST(NULL AS DOUBLE)")
    parts.append(f"SELECT COUNT(DISTINCT {pv}) AS npv FROM {src.name}")
    if lab is not None:
        # ids scored more than once, as a grouped count: DuckDB spills a GROUP BY to disk, while COUNT(DISTINCT)
        # of 100M ids must hold them all in memory (it ran out of its 2 GB)
        parts.append(f"SELECT COUNT(*) AS rep FROM (SELECT __tk_pk FROM (SELECT {{pk}} AS __tk_pk FROM {src.name}) p0 "
                     "WHERE __tk_pk IS NOT NULL GROUP BY __tk_pk HAVING COUNT(*) > 1) p1")
    canonical = lab is not None and ptypes[r.id] != ltypes[r.id] and not (ptypes[r.id] == ltypes[r.id] == "numeric")
    if lab is not None:
        if canonical:
            notes.append(f"id column {r.id!r} has different types in predictions ({src.raw_types[r.id]}) and labels "
                         f"({lab.raw_types[r.id]}): matched on canonical text keys (whole-number floats without '.0')")
        pk, lk = _id_key(d, r.id, ptypes[r.id], canonical), _id_key(d, r.id, ltypes[r.id], canonical)
        parts = [x.replace("{lk}", lk).replace("{pk}", pk) for x in parts]
    checks = _run(src, "SELECT * FROM " + " CROSS JOIN ".join(f"({part}) c{i}" for i, part in enumerate(parts)),
                  "checking labels and ids", progress).iloc[0]
    if int(checks["ntv"]) > 2:  # binary_target's error, with examples of the values
        examples = _run(src, f"SELECT DISTINCT {tv} AS v FROM {tsrc.name} WHERE {tv} IS NOT NULL LIMIT 5", "target",
                        progress)["v"]
        raise ValueError(f"target {r.target!r} has {int(checks['ntv'])} distinct values ({preview(examples.tolist())}); "
                         "a binary task expects two. Pass task='multiclass' (or spec.replace(task='multiclass'))")
    binary_target(pd.Series([v for v in (checks["tv0"], checks["tv1"]) if v is not None and not pd.isna(v)]).drop_duplicates(),
                  r.positive_label, r.target)
    if int(checks["npv"]) > 2:
        raise ValueError(f"prediction column {r.prediction!r} has {int(checks['npv'])} values; a binary task expects two")

    acc_cols = "CAST(NULL AS BIGINT) AS nl, CAST(NULL AS INTEGER) AS conflict"
    if lab is None:
        joined = (f"SELECT {wexpr} AS w, {t_expr} AS t, {s} AS s, {p} AS p, {y} AS y, "
                  f"{pi_prod if pi_side else '1e0'} AS pi, {acc_cols} FROM {src.name}")
    else:
        lpi = f"CAST({q(pi_col)} AS DOUBLE)" if pi_side == "labels" else "CAST(NULL AS DOUBLE)"
        lt_expr = q(lt) if lt else "CAST(NULL AS TIMESTAMP)"
        pred = f"SELECT {pk} AS k, {wexpr} AS w, {t_expr} AS t, {s} AS s, {p} AS p, {pi_prod} AS ppi FROM {src.name}"
        labs = (f"SELECT {lk} AS k, {y} AS y, {lt_expr} AS lt, {lpi} AS pi FROM {lab.name} "
                f"WHERE {lk} IS NOT NULL AND {_present(d, r.target, ltypes[r.target])}")
        repeated = int(checks["rep"] or 0) > 0
        if repeated and ts and lt:
            mode = "asof"
            notes.append("ids repeat in the predictions: each label matched to the latest prediction at or before its "
                         "label_time")
            matched = (f"SELECT k, y, lt, pi, pt FROM (SELECT l.k, l.y, l.lt, l.pi, pr.t AS pt, MAX(pr.t) OVER "
                       f"(PARTITION BY l.k, l.lt) AS mt FROM ({labs}) l JOIN ({pred}) pr ON l.k = pr.k AND pr.t <= l.lt"
                       f") c WHERE pt = mt")
            key, on = "k, pt", "pr.k = ch.k AND pr.t = ch.pt"
        elif repeated:
            mode = "ambiguous"
            matched = (f"SELECT l.k, l.y, l.lt, l.pi FROM ({labs}) l JOIN (SELECT k FROM ({pred}) p0 WHERE k IS NOT "
                       f"NULL GROUP BY k HAVING COUNT(*) = 1) u ON l.k = u.k")
            key, on = "k", "pr.k = ch.k"
        else:
            mode = "unique"
            # every label row; those whose id no prediction has never meet one in the LEFT JOIN below, so the
            # accounting (summed over joined predictions) leaves them as orphans
            matched = labs
            key, on = "k", "pr.k = ch.k"
        order = "lt DESC NULLS FIRST, y DESC, pi DESC" if conflicts != "first" else "lt ASC NULLS LAST, y DESC, pi DESC"
        ranked = (f"SELECT {key}, y, pi, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY {order}) AS rn, "
                  f"COUNT(*) OVER (PARTITION BY {key}) AS nl, MIN(y) OVER (PARTITION BY {key}) AS y0, "
                  f"MAX(y) OVER (PARTITION BY {key}) AS y1 FROM ({matched}) m")
        chosen = f"SELECT {key}, y, pi, nl, CASE WHEN y0 <> y1 THEN 1 ELSE 0 END AS conflict FROM ({ranked}) rk WHERE rn = 1"
        if conflicts == "raise":
            bad = _run(src, f"SELECT COUNT(*) AS n, MAX(k) AS example FROM ({chosen}) ch WHERE conflict = 1 AND k IN "
                            f"(SELECT k FROM ({pred}) p1)",
                       "checking conflicts", progress).iloc[0]
            if int(bad["n"]):
                raise ValueError(f"{int(bad['n']):,} predictions have conflicting labels (e.g. {r.id}={bad['example']!r}); "
                                 "pass conflicts='latest', 'first' or 'drop'")
        y_kept = "CASE WHEN ch.conflict = 1 THEN NULL ELSE ch.y END" if conflicts == "drop" else "ch.y"
        pi_kept = "ch.pi" if pi_side == "labels" else "pr.ppi"
        joined = (f"SELECT pr.w AS w, pr.t AS t, pr.s AS s, pr.p AS p, {y_kept} AS y, "
                  f"{pi_kept if pi_side else '1e0'} AS pi, ch.nl AS nl, ch.conflict AS conflict "
                  f"FROM ({pred}) pr LEFT JOIN ({chosen}) ch ON {on}")

    # labelled rows keep their cell; unlabelled ones collapse into one cell per window (they count in n_rows only);
    # the label accounting (labels per prediction, conflicts) rides along as sums
    def lab_only(col):
        return f"CASE WHEN y IS NULL THEN NULL ELSE {col} END"

    # with all_rows, unlabelled rows keep their score and predicted label (one cell per distinct score), exact
    sc, pc = ("s", "p") if all_rows else (lab_only("s"), lab_only("p"))
    if all_rows and not (isinstance(route_at, str) and route_at == "scores"):
        # the score as its row's fate at the cut-off: confidence 1 (answered) or 0 (routed), the same IEEE
        # operations as AbstainDecision.routes (1 - s in double, then >=)
        conf = "CASE WHEN p = 1 THEN s ELSE 1e0 - s END"
        answered = "FALSE" if route_at is None else f"({conf}) >= {d.double(float(route_at))}"
        sc = (f"CASE WHEN s IS NULL THEN s WHEN p IS NULL THEN 0e0 WHEN {answered} THEN (CASE WHEN p = 1 THEN 1e0 ELSE 0e0 END) "
              f"ELSE (CASE WHEN p = 1 THEN 0e0 ELSE 1e0 END) END")
    cells = (f"SELECT w, y, {sc} AS s, {pc} AS p, {lab_only('pi')} AS pi, COUNT(*) AS n, "
             f"MIN(t) AS t0, SUM(nl) AS m_rows, SUM(CASE WHEN nl IS NOT NULL THEN 1 ELSE 0 END) AS matched, "
             f"SUM(CASE WHEN conflict = 1 THEN nl - 1 ELSE 0 END) AS extras, SUM(conflict) AS conflicts "
             f"FROM ({joined}) j GROUP BY w, y, {sc}, {pc}, {lab_only('pi')}")
    # distinct scores per window without a second pass over the rows: one flag per (window, score), summed
    first = (f"CASE WHEN y IS NOT NULL AND s IS NOT NULL AND ROW_NUMBER() OVER (PARTITION BY w, "
             f"CASE WHEN y IS NULL THEN 1 ELSE 0 END, s ORDER BY y, p, pi) = 1 THEN 1 ELSE 0 END")
    counted = f"SELECT c2.*, SUM(fs) OVER (PARTITION BY w) AS ns FROM (SELECT c.*, {first} AS fs FROM ({cells}) c) c2"
    grid = d.double(float(GRID_STEPS))
    floored = f"CASE WHEN ns > {int(max_scores)} THEN floor(s * {grid}) / {grid} ELSE s END"
    final = (f"SELECT w, y, {floored} AS s, p, pi, SUM(n) AS n, MIN(t0) AS t0, MAX(CASE WHEN ns > {int(max_scores)} "
             f"THEN 1 ELSE 0 END) AS fl, SUM(m_rows) AS m_rows, SUM(matched) AS matched, SUM(extras) AS extras, "
             f"SUM(conflicts) AS conflicts FROM ({counted}) c3 GROUP BY w, y, {floored}, p, pi")
    if all_rows:
        final = f"SELECT c.*, 0 AS fl FROM ({cells}) c"
    res = _run(src, final, f"counting outcomes in {src.description}", progress)
    label_rows = {}
    if lab is not None:
        n_matched, m_rows, extras = (int(res[c].fillna(0).sum()) for c in ("matched", "m_rows", "extras"))
        no_id, no_value = int(checks["no_id"] or 0), int(checks["no_value"] or 0)
        usable = int(checks["total"]) - no_id - no_value
        label_rows = {"matched": n_matched, "duplicates": m_rows - n_matched - extras, "conflicting extras": extras,
                      "orphans": usable - m_rows, "no id": no_id, "no value": no_value}
        if mode == "ambiguous":
            notes.append(f"ids repeat in production and labels have no label_time (or production no timestamp): the "
                         f"labels of repeated ids were set aside ({label_rows['orphans']:,} orphan label rows in all), "
                         "not guessed; give labels a label_time column to match each to the latest prediction before it")
    res = res[res["w"].notna()]
    return _tidy(res, src, wspec, window, ts, pi_col, label_rows, tuple(notes), r, all_rows)


def _require(what: str, types: dict, needed: list, source) -> None:
    missing = [c for c in needed if c is not None and c not in types]
    if missing:
        raise KeyError(f"{what} lacks column(s) {preview(missing)} ({getattr(source, 'description', '') or what}); "
                       f"it has {preview(list(types))}. Name the right column with the spec (e.g. spec.id) or a "
                       "keyword such as on='customer_id'")


def _run(src, sql: str, desc: str, progress: bool) -> pd.DataFrame:
    return src.run(sql, desc, progress)


def _tidy(res: pd.DataFrame, src, wspec, window, ts, pi_col, label_rows, notes, r, all_rows=False) -> OutcomeCounts:
    """Engine rows -> OutcomeCounts: window labels, order and starts as the pandas path makes them."""
    from ..outcomes.counts import check_inclusion
    from ..outcomes.measure import assign_windows
    from ..windows import local_times

    # one label per distinct window value (a cell row per score would parse its file path again)
    name = (lambda v: batch_label(src.file_of(v))) if wspec.kind == "file" else wspec.label
    codes, values = pd.factorize(res["w"])
    labels = np.array([name(v) for v in values], dtype=object)[codes] if len(res) else []
    res = res.assign(window=labels)
    if res.empty:
        table = pd.DataFrame({"window": [], "window_start": []})
    elif wspec.kind == "period":
        starts = {name(v): wspec.start(v) for v in values}
        table = pd.DataFrame({"window": list(starts), "window_start": list(starts.values())})
        table = table.sort_values("window_start", kind="stable").reset_index(drop=True)
    else:  # batches and columns: ordered and started as assign_windows does it on the rows (first timestamp)
        first = res.groupby("window", sort=False)["t0"].min()
        mini = pd.DataFrame({"window": first.index.astype(object)})
        if ts is not None and first.notna().any():
            t0 = pd.to_datetime(first.to_numpy())
            zone = _zone(src, ts)
            if zone is not None and getattr(t0, "tz", None) is not None:
                t0 = t0.tz_convert(zone)
            mini["t0"] = t0
        _, table = assign_windows(mini, None if wspec.kind == "none" else "window", "t0" if "t0" in mini else None)
    labelled = res[res["y"].notna()]
    if pi_col is not None and len(labelled):
        check_inclusion(labelled["pi"].to_numpy(float), labelled["n"].to_numpy(np.int64), pi_col)
    if r.score is not None and len(labelled):
        from ..outcomes.measure import check_probabilities

        checked = res if all_rows else labelled
        check_probabilities(checked["s"].to_numpy(float), r.score, "production")
    cells, n_rows, n_lab, scores = {}, [], [], {} if all_rows else None
    parts = dict(tuple(res.groupby("window", sort=False)))
    for w in table["window"]:
        part = parts.get(w, res.iloc[0:0])
        n_rows.append(int(part["n"].sum()))
        lp = part[part["y"].notna()]
        cells[w] = Cells.from_frame(lp[["y", "s", "p", "pi", "n"]], floored=bool(lp["fl"].max() == 1) if len(lp) else False)
        n_lab.append(cells[w].n_labelled)
        if all_rows:
            scores[w] = Cells.from_frame(part[["y", "s", "p", "pi", "n"]])
    windows = table[["window", "window_start"]].assign(n_rows=n_rows, n_labelled=n_lab)
    return OutcomeCounts(windows.reset_index(drop=True), cells, src.engine, window, pi_col, label_rows, notes, scores)


def _zone(src, column: str) -> str | None:
    from ._windows import _parquet_zone

    return _parquet_zone(getattr(src, "files", None) or [], column)
