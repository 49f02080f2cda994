"""Binary performance from counts: one code path for rows held in pandas and aggregates from an engine.

A binary model's labelled rows are exchangeable within a *cell* of identical
``(label, score, predicted label, inclusion probability)``: every metric :func:`toolkit.performance`
reports (ROC AUC, accuracy, precision, recall, F1, Brier, log-loss, ECE) is a weighted sum over
rows or over positive-negative pairs, so it is the same computed on the cells with weight
``rows x 1/inclusion_prob``. Its intervals follow from the cells too:

- Wilson intervals need the cell counts only;
- DeLong's placement values are shared by every row of a score value, so the variance sums over
  distinct scores (:func:`delong_counts`, ties count one half, as the midrank form);
- a row bootstrap is a multinomial resample of the rows, and summing a row-level multinomial over
  the rows of a cell is a multinomial over the cells with probabilities ``rows / n``: the cell
  bootstrap (:func:`cell_bootstrap`) has exactly the distribution of the row bootstrap;
- the jackknife behind the BCa acceleration leaves one row out: all rows of a cell give the same
  estimate, so each cell's estimate carries its row count as weight (:func:`cell_jackknife`).

:func:`toolkit.performance` turns a frame's rows into :class:`Cells` per window and measures them
here; :func:`toolkit.engines.outcome_counts` builds the same cells with ``GROUP BY`` in DuckDB or
Spark, so pandas and the engines give identical figures (the same cells in the same order meet the
same seeded random draws).

Score values are kept exactly while a window has at most :data:`MAX_SCORES` distinct scores among
its labelled rows; above that its scores are floored onto a grid of :data:`SCORE_GRID` (so at most
``1 / SCORE_GRID + 1`` values) and the note says so, with the most the AUC can move
(:func:`auc_tie_bound`). Brier and log-loss then use the floored score (off by < ``SCORE_GRID``).

Examples
--------
>>> import numpy as np
>>> from toolkit.outcomes.counts import Cells, delong_counts
>>> from toolkit.outcomes.intervals import delong
>>> y = np.array([0, 0, 1, 1, 0, 1.0]); s = np.array([0.1, 0.4, 0.35, 0.8, 0.4, 0.4])
>>> c = Cells.from_rows(y, s, (s >= 0.5).astype(float))
>>> c.n.tolist(), c.s.tolist()
([1, 1, 2, 1, 1], [0.1, 0.35, 0.4, 0.4, 0.8])
>>> auc, var = delong_counts(c.s, c.y, c.n)
>>> bool(np.allclose([auc, var], [v[0] for v in delong(s, y)]))
True
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .measure import fmt_int
from .metrics import PROPORTIONS, SCORE_METRICS, BinaryKernel, resample_counts

__all__ = ["Cells", "OutcomeCounts", "MAX_SCORES", "SCORE_GRID", "delong_counts", "cell_bootstrap", "cell_jackknife",
           "measure_cells", "measure_cells_many", "auc_tie_bound", "floor_to_grid", "check_inclusion"]

#: Most distinct score values a window's labelled rows keep exactly (above it: floored onto SCORE_GRID).
MAX_SCORES = 1_000_000
#: Grid the scores of a window with more than MAX_SCORES distinct values are floored onto.
SCORE_GRID = 1e-6
#: 1 / SCORE_GRID as an exact integer: scores are floored as floor(s * GRID_STEPS) / GRID_STEPS
GRID_STEPS = 1_000_000  # 1 / SCORE_GRID, as an exact integer: floor(s * 1e6) / 1e6 in numpy and in SQL

CELL_COLUMNS = ["y", "s", "p", "pi", "n"]


def floor_to_grid(s: np.ndarray) -> np.ndarray:
    """Scores floored onto :data:`SCORE_GRID` (``floor(s * 1e6) / 1e6``, the same IEEE operations as the SQL)."""
    return np.floor(np.asarray(s, dtype=float) * GRID_STEPS) / GRID_STEPS


@dataclasses.dataclass(frozen=True)
class Cells:
    """Labelled rows of one window grouped by identical (label, score, predicted label, inclusion prob.).

    Arrays are aligned, sorted by score, then label, prediction and inclusion probability (missing last).

    Attributes
    ----------
    y
        0/1 label (float).
    s
        Score (NaN: missing); floored onto :data:`SCORE_GRID` when ``floored``.
    p
        Predicted label 0/1 (NaN: missing).
    pi
        Inclusion probability (1.0 when the rows are not a weighted sample).
    n
        Rows in the cell (int64).
    floored
        True when the window had more than :data:`MAX_SCORES` distinct scores (see the module docstring).
    """

    y: np.ndarray
    s: np.ndarray
    p: np.ndarray
    pi: np.ndarray
    n: np.ndarray
    floored: bool = False

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, floored: bool = False) -> "Cells":
        """Cells from a frame ``y, s, p, pi, n`` (rows of identical values are merged; order is canonical)."""
        cols = {c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                for c in CELL_COLUMNS[:4]}
        n = np.asarray(frame["n"], dtype=np.int64)
        merged = unique_rows([cols["s"], cols["y"], cols["p"], cols["pi"]], fallback=False)
        if merged is None:      # too many distinct values for one integer code: group with pandas
            f = pd.DataFrame(cols).assign(n=n)
            g = f.groupby(CELL_COLUMNS[:4], dropna=False, sort=False)["n"].sum().reset_index()
            g = g.sort_values(["s", "y", "p", "pi"], kind="mergesort", na_position="last").reset_index(drop=True)
            return cls(g["y"].to_numpy(float), g["s"].to_numpy(float), g["p"].to_numpy(float),
                       g["pi"].to_numpy(float), g["n"].to_numpy(np.int64), floored)
        (s, y, p, pi), inverse = merged
        total = np.zeros(len(s), dtype=np.int64)
        np.add.at(total, inverse, n)        # integer sums (a float bincount would round above 2**53)
        return cls(y, s, p, pi, total, floored)

    @classmethod
    def from_rows(cls, y, s=None, p=None, pi=None, *, max_scores: int = MAX_SCORES) -> "Cells":
        """Cells of labelled rows (``y`` not NaN); scores floored onto the grid above ``max_scores`` distinct."""
        y = np.asarray(y, dtype=float)
        size = len(y)
        s = np.full(size, np.nan) if s is None else np.asarray(s, dtype=float)
        p = np.full(size, np.nan) if p is None else np.asarray(p, dtype=float)
        pi = np.ones(size) if pi is None else np.asarray(pi, dtype=float)
        keep = ~np.isnan(y)
        y, s, p, pi = y[keep], s[keep], p[keep], pi[keep]
        floored = bool(len(pd.unique(s[~np.isnan(s)])) > max_scores)
        if floored:
            s = floor_to_grid(s)
        return cls.from_frame(pd.DataFrame({"y": y, "s": s, "p": p, "pi": pi, "n": np.ones(len(y), np.int64)}),
                              floored)

    @classmethod
    def empty(cls) -> "Cells":
        return cls.from_frame(pd.DataFrame({c: [] for c in CELL_COLUMNS}))

    @property
    def n_labelled(self) -> int:
        return int(self.n.sum())

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"y": self.y, "s": self.s, "p": self.p, "pi": self.pi, "n": self.n})

    def equals(self, other: "Cells") -> bool:
        return self.floored == other.floored and all(
            np.array_equal(getattr(self, f), getattr(other, f), equal_nan=True) for f in CELL_COLUMNS)


def check_inclusion(pi: np.ndarray, n: np.ndarray, column: str) -> None:
    """The inclusion probabilities of labelled cells must be in (0, 1] (as :func:`design_weights` requires)."""
    missing = np.isnan(pi)
    if missing.any():
        raise ValueError(
            f"inclusion_prob column {column!r} has {int(n[missing].sum()):,} missing values among labelled rows; "
            "fill them with 1.0 for rows labelled with certainty")
    bad = (pi <= 0) | (pi > 1)
    if bad.any():
        from .._checks import preview

        raise ValueError(f"inclusion_prob column {column!r} must be in (0, 1]; {int(n[bad].sum()):,} labelled rows "
                         f"are not (e.g. {preview(np.unique(pi[bad]), 3)})")


def delong_counts(s: np.ndarray, y: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """ROC AUC and its DeLong variance from counts per (score, label): ``n`` rows of label ``y`` at score ``s``.

    A positive's placement is the share of negatives below its score plus half of those tied with it;
    a negative's the share of positives above plus half the tied ones. Every row of one score shares
    its placement, so the sums run over distinct scores (the midrank form of
    :func:`toolkit.outcomes.intervals.delong`). NaN variance with fewer than 2 rows in a class.
    """
    s, y, n = np.asarray(s, float), np.asarray(y, float), np.asarray(n, float)
    values, inverse = np.unique(s, return_inverse=True)
    pos = np.bincount(inverse, weights=n * (y == 1), minlength=values.size)
    neg = np.bincount(inverse, weights=n * (y == 0), minlength=values.size)
    m, k = pos.sum(), neg.sum()
    if m == 0 or k == 0:
        return float("nan"), float("nan")
    neg_below = np.cumsum(neg) - neg
    pos_above = m - np.cumsum(pos)
    v10 = (neg_below + 0.5 * neg) / k
    v01 = (pos_above + 0.5 * pos) / m
    auc = float((pos * v10).sum() / m)
    if m < 2 or k < 2:
        return auc, float("nan")
    s10 = float((pos * (v10 - auc) ** 2).sum() / (m - 1))
    s01 = float((neg * (v01 - auc) ** 2).sum() / (k - 1))
    return auc, s10 / m + s01 / k


def auc_tie_bound(s: np.ndarray, y: np.ndarray, n: np.ndarray) -> float:
    """Half the share of positive-negative pairs tied on a score value: how far a floored AUC can be from
    the AUC of the unfloored scores (pairs inside one grid step are counted 1/2 whatever their order)."""
    values, inverse = np.unique(np.asarray(s, float), return_inverse=True)
    pos = np.bincount(inverse, weights=np.asarray(n, float) * (np.asarray(y) == 1), minlength=values.size)
    neg = np.bincount(inverse, weights=np.asarray(n, float) * (np.asarray(y) == 0), minlength=values.size)
    total = pos.sum() * neg.sum()
    return float(0.5 * (pos * neg).sum() / total) if total > 0 else float("nan")


def cell_bootstrap(n: np.ndarray, n_boot: int, rng: np.random.Generator, max_cells: int = 4_000_000):
    """Yield blocks of multinomial resample counts per cell, shape ``(b, cells)``, ``b`` summing to ``n_boot``:
    the counts a row bootstrap of the ``n.sum()`` rows gives each cell (same distribution, see module doc)."""
    n = np.asarray(n, dtype=np.int64)
    total, c = int(n.sum()), n.size
    # two samplers of the same distribution: one binomial per cell (cheap when cells are few and large), or
    # one uniform row draw per row mapped to its cell (cheaper when most cells hold a row or two)
    by_rows = 8 * c > total
    cell_of_row = np.repeat(np.arange(c), n) if by_rows else None
    block = max(1, min(n_boot, max_cells // max(total if by_rows else c, 1)))
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        if by_rows:
            yield resample_counts(total, b, rng, cell_of_row, c)
        else:
            yield rng.multinomial(total, n / total, size=b).astype(float)
        done += b


def cell_jackknife(n: np.ndarray, rng: np.random.Generator, max_cells: int = 2_000_000):
    """Leave-one-out row counts per cell for the BCa acceleration: ``(counts (J, cells), weights (J,))``.

    Exact delete-one when ``cells**2 <= max_cells``: replicate ``j`` removes one row of cell ``j`` and stands
    for its ``n_j`` identical leave-one-out estimates (weight ``n_j``). Otherwise ``G >= 20`` random groups of
    rows are left out in turn (weight 1 each), as :func:`toolkit.outcomes.intervals.jackknife_weights` does.
    """
    n = np.asarray(n, dtype=np.int64)
    c = n.size
    if c * c <= max_cells:
        counts = np.broadcast_to(n.astype(float), (c, c)).copy()
        counts[np.arange(c), np.arange(c)] -= 1.0
        keep = n > 0
        return counts[keep], n[keep].astype(float)
    total = int(n.sum())
    g = int(min(total, max(20, max_cells // max(c, 1))))
    cell_of_row = np.repeat(np.arange(c), n)
    group = rng.permutation(total) % g
    removed = np.bincount(group * c + cell_of_row, minlength=g * c).reshape(g, c)
    return n[None, :].astype(float) - removed, np.ones(g)


#: resample counts are evaluated in chunks of about this many (resample, cell) entries (2 MB of counts): every
#: metric reads a chunk while it is in the CPU cache instead of streaming a 32 MB block from memory per metric
CHUNK_CELLS = 1 << 18


def measure_cells(cells: Cells, metric: str, *, level: float = 0.95, n_boot: int = 1000,
                  rng: np.random.Generator | None = None, keep_boot: bool = True, score_name: str | None = None,
                  weight_column: str | None = None):
    """Value, interval and standard error of a binary ``metric`` from the cells of one window.

    The rules are those of :func:`toolkit.outcomes.realized.measure` for rows: Wilson for unweighted
    proportions, DeLong on the logit scale for an unweighted AUC, a studentized bootstrap for Brier and
    log-loss, the BCa and logit-SE union for a weighted AUC, BCa otherwise; ECE without an interval.
    One metric of :func:`measure_cells_many` (the same seeded draws).
    """
    return measure_cells_many(cells, (metric,), level=level, n_boot=n_boot, rng=rng, keep_boot=keep_boot,
                              score_name=score_name, weight_column=weight_column)[metric]


def measure_cells_many(cells: Cells, metrics, *, level: float = 0.95, n_boot: int = 1000,
                       rng: np.random.Generator | None = None, keep_boot: bool = True, score_name: str | None = None,
                       weight_column: str | None = None) -> dict:
    """``{metric: Measure}`` for several binary metrics of one window, as :func:`measure_cells` gives each.

    The metrics whose interval is a bootstrap share their resamples (common random numbers), drawn per
    *family* of metrics that read the same columns: label metrics (accuracy, precision, recall, F1) read
    only the label, prediction and inclusion probability of a row, score metrics (ROC AUC, Brier, log-loss)
    the label, score and inclusion probability. Each family resamples the kept cells merged on what it reads
    (exact: a row bootstrap summed over rows that its metrics cannot tell apart is the multinomial over the
    merged cells, as :func:`cell_bootstrap` does for cells), so the label metrics' resamples are drawn over at
    most 4 x (inclusion probabilities) cells instead of one per distinct score, and the BCa jackknife of the
    merged cells is the exact delete-one jackknife of the rows. Metrics that drop different rows (score
    metrics drop rows without a score, label metrics rows without a prediction) never share counts: every
    metric's counts are a row bootstrap of its own rows. Each metric's replicates have exactly the
    distribution of a row bootstrap, so its interval keeps its method and coverage; only the Monte Carlo
    noise is shared between metrics of a family (it was independent). The resamples are drawn and evaluated
    in chunks of :data:`CHUNK_CELLS` entries, so memory stays bounded on large windows.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> y = (rng.random(400) < 0.4).astype(float)
    >>> s = np.clip(0.3 + 0.3 * y + rng.normal(0, 0.2, 400), 0, 1)
    >>> c = Cells.from_rows(y, s, (s >= 0.5).astype(float), np.where(s > 0.6, 0.5, 1.0))
    >>> out = measure_cells_many(c, ["roc_auc", "f1"], n_boot=200)
    >>> [(m, r.method) for m, r in out.items()]
    [('roc_auc', 'weighted bootstrap (BCa and logit-SE union)'), ('f1', 'weighted BCa bootstrap')]
    >>> bool(out["roc_auc"].lower < out["roc_auc"].value < out["roc_auc"].upper)
    True
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    started = {m: _measure_start(cells, m, level, score_name) for m in metrics}
    groups: dict = {}   # (resampled rows, family) -> metrics that bootstrap them, in metric order
    for m, (out, job) in started.items():
        if job is not None:
            family = "score" if m in SCORE_METRICS else "label"
            groups.setdefault((job["keep"].tobytes(), family), []).append(job)
    for jobs in groups.values():
        _bootstrap(cells, jobs, level, n_boot, rng, keep_boot)
    results = {}
    for m, (out, job) in started.items():
        if job is not None or out.method in ("DeLong", "Wilson"):
            if out.weighted:
                out.notes.append(f"weighted by 1/{weight_column} (Hajek estimator)")
            if out.n < 30:
                out.notes.append("fewer than 30 labels: interval approximate")
        results[m] = out
    return results


def _measure_start(cells: Cells, metric: str, level: float, score_name: str | None):
    """The value, notes and any closed-form interval of one metric: ``(Measure, job)``, where ``job`` says
    what the bootstrap still has to compute (None when the measure is complete)."""
    # imported here: the intervals need scipy, which stays off the import path of toolkit.engines
    from .intervals import auc_interval, wilson
    from .realized import Measure

    scored = metric in SCORE_METRICS
    values = cells.s if scored else cells.p
    missing = np.isnan(values)
    notes = []
    if missing.any():
        what = f"missing score ({score_name!r})" if scored else "missing prediction"
        notes.append(f"{fmt_int(cells.n[missing].sum())} labelled rows with {what} excluded")
    keep = ~missing
    y, s, p, pi, n = cells.y[keep], cells.s[keep], cells.p[keep], cells.pi[keep], cells.n[keep]
    out = Measure(metric=metric, n=int(n.sum()), notes=notes)
    if out.n == 0:
        out.notes.append("no usable labelled rows in window" if notes else "no labels in window")
        return out, None
    w = 1.0 / pi
    nf = n.astype(float)
    out.weighted = bool(np.any(w != 1.0))
    n_pos = int(n[y == 1].sum())
    n_neg = out.n - n_pos
    out.n_positive = n_pos
    kernel = BinaryKernel(score=s if scored else None, prediction=None if scored else p)
    value = float(kernel(metric, y, nf * w)[0])
    predicted = float(np.sum(nf * p)) if not scored else np.nan
    if metric == "roc_auc" and (n_pos == 0 or n_neg == 0):
        out.notes.append("only one class in window: AUC undefined")
        return out, None
    if metric == "precision" and predicted == 0:
        out.notes.append("no predicted positives: precision undefined")
        return out, None
    if metric == "recall" and n_pos == 0:
        out.notes.append("no positive labels: recall undefined")
        return out, None
    if metric == "f1" and n_pos == 0 and predicted == 0:
        out.notes.append("no positives and no predicted positives: f1 undefined")
        return out, None
    out.value = value
    if metric == "roc_auc" and cells.floored:
        out.notes.append(f"more than {MAX_SCORES:,} distinct scores: scores floored to a {SCORE_GRID:g} grid, "
                         f"AUC within +/-{auc_tie_bound(s, y, n):.1e} of the unfloored value")
    if not out.weighted and metric == "roc_auc":
        _, var = delong_counts(s, y, n)
        out.se = float(np.sqrt(var))
        low, high = auc_interval(value, out.se, level, n_positive=n_pos, n_negative=n_neg)
        out.lower, out.upper, out.method = float(low), float(high), "DeLong"
        if n_pos < 2 or n_neg < 2:
            out.notes.append("fewer than 2 rows in a class: no DeLong variance")
        return out, None
    if not out.weighted and metric in PROPORTIONS:
        den = float({"accuracy": out.n, "precision": predicted, "recall": n_pos}[metric])
        low, high = wilson(value * den, den, level)
        out.lower, out.upper, out.method = float(low), float(high), "Wilson"
        out.se = float(np.sqrt(value * (1 - value) / den))
        out.n_denominator = den
        return out, None
    if metric == "ece":
        out.method = "descriptive (no interval)"
        out.notes.append("ECE is biased upward at small n and has no valid interval here; compare it only "
                         "between windows of similar size")
        return out, None
    return out, {"metric": metric, "out": out, "keep": keep, "value": value, "predicted": predicted}


def _merged_for(cells: Cells, keep: np.ndarray, scored: bool):
    """The kept cells merged on what a family of metrics reads: ``(y, s or p, pi, n)``, sorted (by score
    first for score metrics, as the AUC kernel wants)."""
    cols = (cells.s, cells.y, cells.pi) if scored else (cells.y, cells.p, cells.pi)
    key, inverse = unique_rows([c[keep] for c in cols])
    n = np.bincount(inverse, weights=cells.n[keep], minlength=len(key[0])).round().astype(np.int64)
    if scored:
        return key[1], key[0], key[2], n
    return key[0], key[1], key[2], n


def unique_rows(columns: list, fallback: bool = True):
    """Distinct rows of aligned float columns, in lexicographic order, and each row's index among them:
    ``np.unique(np.column_stack(columns), axis=0, return_inverse=True)`` without its row-wise sort, from one
    sort per column and one of a mixed-radix integer code (the order of the codes is the rows' order). NaN is
    one value, sorted last in its column (``np.unique``'s ``equal_nan``; pandas' ``na_position="last"``).
    When the code would overflow: ``np.unique(axis=0)`` (columns without NaN), or None if not ``fallback``."""
    codes, values, radix = np.zeros(len(columns[0]), dtype=np.int64), [], 1
    for col in columns:
        v, inv = np.unique(col, return_inverse=True)
        radix *= max(v.size, 1)
        if radix >= 2**62:     # the code would overflow: sort the rows themselves
            if not fallback:
                return None
            key, inverse = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
            return [key[:, i] for i in range(len(columns))], inverse.ravel()
        codes = codes * v.size + inv.ravel()
        values.append((v, inv.ravel()))
    distinct, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return [v[inv[first]] for v, inv in values], inverse.ravel()


def _bootstrap(cells: Cells, jobs: list, level: float, n_boot: int, rng: np.random.Generator,
               keep_boot: bool) -> None:
    """Bootstrap intervals of the metrics in ``jobs`` (one family, all on the same kept cells) from one stream
    of resamples of the merged cells and one jackknife (see :func:`measure_cells_many`)."""
    from .intervals import StudentizedRatio, bca_interval
    from .realized import STUDENTIZED, weighted_auc_interval

    keep = jobs[0]["keep"]
    scored = jobs[0]["metric"] in SCORE_METRICS
    y, v, pi, n = _merged_for(cells, keep, scored)
    kernel = BinaryKernel(score=v) if scored else BinaryKernel(prediction=v)
    w = 1.0 / pi
    nf = n.astype(float)
    stud = {}
    for j in jobs:
        if j["metric"] in STUDENTIZED:
            a, b, transform = kernel.ratio_terms(j["metric"], y)
            stud[j["metric"]] = StudentizedRatio(a, b, w, level, transform, multiplicity=nf)
    boots = {j["metric"]: [] for j in jobs if j["metric"] not in STUDENTIZED}
    for counts in cell_bootstrap(n, n_boot, rng, max_cells=CHUNK_CELLS):
        cw = counts * w if boots else None
        for m in stud:
            stud[m].add(counts)
        for m in boots:
            boots[m].append(kernel(m, y, cw))
    jack = jack_weights = None
    if boots:
        jack_counts, jack_weights = cell_jackknife(n, rng)
        jack = jack_counts * w
    for j in jobs:
        m, out, value = j["metric"], j["out"], j["value"]
        if m in stud:
            out.lower, out.upper, _, boot = stud[m].result()
            out.method = "weighted studentized bootstrap" if out.weighted else "studentized bootstrap"
        else:
            boot = np.concatenate(boots[m])
            b_low, b_high = bca_interval(boot, value, kernel(m, y, jack), level, jack_weights=jack_weights)
            if m == "roc_auc":  # weighted AUC: the union with the boundary-safe logit interval (see measure)
                pos, neg = y == 1, y == 0
                weighted_auc_interval(out, value, boot, (b_low, b_high), level,
                                      np.sum(nf[pos] * w[pos]) ** 2 / np.sum(nf[pos] * w[pos] ** 2),
                                      np.sum(nf[neg] * w[neg]) ** 2 / np.sum(nf[neg] * w[neg] ** 2))
            else:
                out.lower, out.upper = b_low, b_high
                out.method = "weighted BCa bootstrap" if out.weighted else "BCa bootstrap"
        out.se = float(np.nanstd(boot, ddof=1))
        if keep_boot:
            out.boot = boot
        if m in PROPORTIONS:
            out.n_denominator = float({"accuracy": out.n, "recall": out.n_positive,
                                       "precision": j["predicted"]}[m])


@dataclasses.dataclass(frozen=True)
class OutcomeCounts:
    """Per window: rows, labelled rows and the :class:`Cells` of a binary model, computed where the data lives.

    Made by :func:`toolkit.engines.outcome_counts`; pass it to :func:`toolkit.performance` as the
    production (and, for the baseline, as ``reference=``): the figures and intervals are those of the
    labelled rows, computed from the counts.

    Attributes
    ----------
    windows
        ``window, window_start, n_rows, n_labelled`` in window order.
    cells
        ``{window: Cells}``.
    engine
        'pandas', 'duckdb' or 'spark'.
    by
        How the windows were cut.
    weight_column
        The inclusion-probability column the weights came from (None: unweighted).
    label_rows
        Where every label row went (as :attr:`toolkit.FeedbackReport.label_rows`; empty without a labels input).
    notes
        What the label join set aside or coerced.
    scores
        ``{window: Cells}`` of every production row, labelled or not (label and inclusion probability NaN
        where there is no label), with exact scores; None unless counted with ``all_rows=True``. The
        label-free estimate and the routing of an abstain rule read these.
    """

    windows: pd.DataFrame
    cells: dict
    engine: str
    by: object = None
    weight_column: str | None = None
    label_rows: dict = dataclasses.field(default_factory=dict)
    notes: tuple = ()
    scores: dict | None = None

    def merged(self) -> Cells:
        """All windows' cells in one (the baseline's figure)."""
        frames = [c.to_frame() for c in self.cells.values()]
        if not frames:
            return Cells.empty()
        return Cells.from_frame(pd.concat(frames, ignore_index=True),
                                floored=any(c.floored for c in self.cells.values()))

    @property
    def note(self) -> str:
        """One sentence for a report: which engine counted, on how many labelled rows."""
        n_rows, n_lab = int(self.windows["n_rows"].sum()), int(self.windows["n_labelled"].sum())
        where = "in memory (pandas)" if self.engine == "pandas" else f"in {self.engine_name}"
        text = (f"Realized performance computed {where} from counts of all {n_lab:,} labelled rows "
                f"({n_rows:,} production rows, {len(self.windows)} windows), not from a sample.")
        if any(c.floored for c in self.cells.values()):
            text += f" Windows with more than {MAX_SCORES:,} distinct scores were floored to a {SCORE_GRID:g} grid."
        return text

    @property
    def engine_name(self) -> str:
        return {"duckdb": "DuckDB", "spark": "Spark", "pandas": "pandas"}.get(self.engine, self.engine)

    def __repr__(self) -> str:
        return (f"OutcomeCounts({self.engine}, {len(self.windows)} windows, "
                f"{int(self.windows['n_labelled'].sum()):,} labelled rows)")
