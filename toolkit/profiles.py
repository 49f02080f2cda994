"""Profile: a mergeable per-column summary of one window of data.

A :class:`Profile` holds, per column, what the histogram-based drift statistics need and nothing
that grows with the number of rows:

* every kind: rows, missing values (nulls plus values that do not parse as the column's kind);
* numeric: counts on **baseline-derived bin edges** (plus one bin below and one above the
  baseline's range, where ``-inf``/``+inf`` also land), the count, sum, centred sum of squares
  (``m2``), min and max of the finite values;
* categorical and boolean: the count of every category (labels normalised to strings, so ``1``,
  ``1.0`` and ``"1"`` are one category).

Everything is a sum (or a min/max), or merges exactly like one: the centred sum of squares
combines by Chan et al.'s pairwise rule ``m2 = m2_a + m2_b + delta^2 n_a n_b / n``, which keeps
the variance exact for values near 1e9 (epoch seconds), where ``E[x^2] - mean^2`` loses every
digit. So ``profile(a).merge(profile(b))`` equals ``profile(concat(a, b))`` when both use the
same edges, and a database engine can fill a profile from plain SQL aggregates (``COUNT``,
``SUM``, ``VAR_POP``, ``MIN``, ``MAX``, ``GROUP BY`` category, and a ``CASE``/``width_bucket``
over the edges) through :meth:`ColumnProfile.from_aggregates`.
Quantiles are derived from the bin counts, so they are approximate (exact at the edges).

Examples
--------
>>> import numpy as np, pandas as pd
>>> import toolkit as tk
>>> ref = pd.DataFrame({"x": np.linspace(-3, 3, 1000), "plan": ["a", "b"] * 500})
>>> base = tk.profile(ref)                       # edges derived from ref itself
>>> cur = pd.DataFrame({"x": np.sin(np.arange(500)), "plan": ["a"] * 500})
>>> merged = tk.profile(cur[:200], base).merge(tk.profile(cur[200:], base))
>>> merged.equals(tk.profile(cur, base))
True
>>> merged["plan"].categories
{'a': 500}
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ._checks import check_columns, check_frame, preview
from .kinds import Kind, coerce_numeric, infer_kind
from .results import Result

__all__ = ["Profile", "ColumnProfile", "profile", "resolve_kinds", "quantile_edges", "bin_counts", "category_key",
           "merge_moments", "discrete_edges"]

#: Default number of baseline-quantile bins for numeric columns.
DEFAULT_BINS = 100
_INFER_SAMPLE = 100_000
_INFER_SAMPLE_STRINGS = 5_000


# ------------------------------------------------------------------------------------------------
# kinds
# ------------------------------------------------------------------------------------------------
def _fast_kind(series: pd.Series) -> Kind:
    """infer_kind, without paying for a full scan where a sample decides exactly or soundly."""
    from .kinds import IDENTIFIER_DISTINCT_SHARE

    dtype = series.dtype
    n = len(series)
    if pd.api.types.is_float_dtype(dtype) and n > _INFER_SAMPLE:
        head = series.iloc[:20_000].to_numpy(dtype="float64", na_value=np.nan)
        finite = head[np.isfinite(head)]
        if finite.size and np.any((finite != 0) & (finite != 1)):
            return Kind.NUMERIC  # one value besides 0 and 1 settles it: only 0/1 flags are categorical
        return infer_kind(series)
    if (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)):
        return infer_kind(series)
    # strings / objects: element type and parse share from a seeded sample; a sample overstates the
    # distinct share, so an identifier verdict is re-checked on the full column
    if n <= _INFER_SAMPLE_STRINGS:
        return infer_kind(series)
    positions = np.random.default_rng(0).integers(0, n, _INFER_SAMPLE_STRINGS)
    kind = infer_kind(series.iloc[positions])
    if kind in (Kind.IDENTIFIER, Kind.TEXT):
        non_null = series.dropna()
        n_distinct = non_null.nunique()
        if not (n_distinct > 50 and n_distinct / max(len(non_null), 1) > IDENTIFIER_DISTINCT_SHARE):
            return Kind.CATEGORICAL
    return kind


def resolve_kinds(frame: pd.DataFrame, columns: Iterable[str], spec=None, kinds: Mapping[str, str] | None = None) -> dict[str, Kind]:
    """Kind of each column: ``kinds`` override, else the spec's, else inferred from ``frame``."""
    out: dict[str, Kind] = {}
    overrides = {c: Kind(k) for c, k in (kinds or {}).items()}
    for col in columns:
        if col in overrides:
            out[col] = overrides[col]
        elif spec is not None and col in spec.kinds:
            out[col] = spec.kinds[col]
        elif col in frame.columns:
            out[col] = _fast_kind(frame[col])
        else:
            out[col] = Kind.EMPTY
    return out


# ------------------------------------------------------------------------------------------------
# values
# ------------------------------------------------------------------------------------------------
def numeric_values(series: pd.Series) -> tuple[np.ndarray, int, list]:
    """Float values of a column (NaN for missing/unparseable), the count of unparseable values, examples."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan), 0, []
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        return series.to_numpy(), 0, []  # NaN is the missing value already: no copy
    if pd.api.types.is_numeric_dtype(dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan), 0, []
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = series.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
        values[series.isna().to_numpy()] = np.nan
        return values, 0, []
    parsed = coerce_numeric(series)
    bad = parsed.isna() & series.notna()
    examples = list(series[bad].drop_duplicates().head(3)) if bad.any() else []
    return parsed.to_numpy(dtype="float64"), int(bad.sum()), examples


def category_key(value: object) -> str:
    """Normalised label of a category: 1, 1.0 and "1" are all "1"; True is "True"."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isfinite(v) and v == int(v) and abs(v) < 2**53:
            return str(int(v))
        return repr(v)
    return str(value)


def category_counts(series: pd.Series) -> dict[str, int]:
    """Counts per normalised category label (missing values excluded), most frequent first."""
    counts = series.value_counts(dropna=True, sort=False)
    counts = counts[counts > 0]
    if counts.empty:
        return {}
    values = counts.to_numpy(dtype="int64")
    if pd.api.types.infer_dtype(counts.index, skipna=False) == "string":
        keys = counts.index.tolist()  # strings are their own key: no per-label Python call
    else:
        keys = [category_key(k) for k in counts.index]
    if len(set(keys)) == len(keys):  # the common case: no two labels normalise to one key
        order = np.argsort(-values, kind="stable")
        return {keys[i]: int(values[i]) for i in order}
    grouped = pd.Series(values, index=keys).groupby(level=0, sort=False).sum()
    grouped = grouped.sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in grouped.items()}


# ------------------------------------------------------------------------------------------------
# bins
# ------------------------------------------------------------------------------------------------
def quantile_edges(values: np.ndarray, bins: int = DEFAULT_BINS, *, sorted: bool = False) -> np.ndarray:
    """Bin edges from a baseline sample: its quantiles, with heavy values given a bin of their own.

    Bins are ``[e0, e1), [e1, e2), ..., [e_{B-1}, e_B]`` (last one closed). Columns with at most
    ``bins`` distinct values get a point bin per value and a bin for each gap between them
    (:func:`discrete_edges`). A value carrying more than one quantile step (e.g. the zeros of a
    discount) gets a bin holding only that value. Non-finite values are ignored.

    >>> e = quantile_edges(np.array([1.0, 2.0, 2.0, 3.0]), bins=10)
    >>> e.size - 1, e[[0, 2, -1]].tolist()          # 5 bins: =1, (1, 2), =2, (2, 3), =3
    (5, [1.0, 2.0, 3.0])
    """
    v = np.asarray(values, dtype="float64")
    if sorted:  # infinities sit at the ends: the finite part is a view
        v = v[np.searchsorted(v, -np.inf, side="right"):np.searchsorted(v, np.inf, side="left")]
    else:
        v = np.sort(v[np.isfinite(v)])
    if v.size == 0:
        return np.array([], dtype="float64")
    if v[0] == v[-1]:
        return np.array([v[0], v[0]])
    # distinct values: cheap on sorted data, and only counted when the quantiles leave it possible
    few = np.unique(v[np.round(np.linspace(0, v.size - 1, bins + 1)).astype("int64")]).size <= bins
    change = np.flatnonzero(v[1:] != v[:-1]) if few else None
    if few and change.size + 1 <= bins:
        return discrete_edges(np.concatenate([v[change], v[-1:]]))
    pos = np.round(np.linspace(0, v.size - 1, bins + 1)).astype("int64")
    q = v[pos]
    uniq, counts = np.unique(q, return_counts=True)
    heavy = uniq[(counts > 1) & (uniq < v[-1])]
    edges = np.unique(np.concatenate([uniq, np.nextafter(heavy, np.inf)]))
    if counts[-1] > 1:
        edges = np.append(edges, edges[-1])  # a heavy maximum: closed bin [max, max]
    return edges


def discrete_edges(distinct: np.ndarray) -> np.ndarray:
    """Edges for a column with few distinct values: a point bin per value and a bin per gap.

    For sorted distinct ``v1 < ... < vk`` the bins are ``[v1, v1]``, ``(v1, v2)``, ``[v2, v2]``, ...,
    ``[vk, vk]`` (2k - 1 bins; a point bin is ``[v, nextafter(v))``, the last one closed). Why not one
    bin per value with midpoint edges: a shift from ``v`` to ``v + 0.4`` would stay inside ``v``'s bin
    and every binned statistic would miss it. On these bins the CDFs are known at every reference
    value and just below it, where the two-sample KS supremum of a step CDF is attained, so the binned
    KS equals the exact KS of the rows (and never exceeds it); Wasserstein from the counts is exact too
    while no current row falls into a gap.

    >>> discrete_edges(np.array([1.0, 3.0])).tolist()  # [1, 1], (1, 3), [3, 3]
    [1.0, 1.0000000000000002, 3.0, 3.0]
    """
    d = np.unique(np.asarray(distinct, dtype="float64"))
    if d.size == 1:
        return np.array([d[0], d[0]])
    # np.unique drops an empty gap (next value == nextafter(value)); the last point bin is closed
    inner = np.unique(np.concatenate([d[:-1], np.nextafter(d[:-1], np.inf), d[-1:]]))
    return np.append(inner, d[-1])


def bin_counts(values: np.ndarray, edges: np.ndarray, *, sorted: bool = False) -> np.ndarray:
    """Counts of ``values`` (NaN-free) in ``[below, bin_1..bin_B, above]`` for ``edges`` of length B+1."""
    values = np.asarray(values, dtype="float64")
    B = edges.size - 1
    if B < 1:
        raise ValueError("edges must have at least 2 values")
    if sorted:
        left = np.searchsorted(values, edges, side="left")
        right_last = np.searchsorted(values, edges[-1], side="right")
        out = np.empty(B + 2, dtype="int64")
        out[0] = left[0]
        out[1:B] = np.diff(left[:B])
        out[B] = right_last - left[B - 1]
        out[B + 1] = values.size - right_last
        return out
    idx = np.searchsorted(edges, values, side="right")
    idx[values == edges[-1]] = B
    return np.bincount(idx, minlength=B + 2).astype("int64")


# ------------------------------------------------------------------------------------------------
# profiles
# ------------------------------------------------------------------------------------------------
def _float(value) -> float:
    return math.nan if value is None else float(value)


@dataclasses.dataclass(frozen=True, eq=False)
class ColumnProfile:
    """Mergeable summary of one column in one window.

    Attributes
    ----------
    column, kind
        Column name and the logical kind it was profiled as.
    n_rows
        Rows in the window.
    n_missing
        Rows without a usable value: nulls plus ``n_invalid``.
    n_invalid
        Values present but not parseable as the kind (e.g. ``"abc"`` in a numeric column).
    absent
        The column does not exist in the window at all (all its rows count as missing).
    edges
        Numeric: bin edges (baseline-derived), length B+1.
    counts
        Numeric: B+2 counts ``[below edges[0], bin 1..B, above edges[-1]]``; ``-inf``/``+inf`` land
        in the outer two.
    n_neg_inf, n_pos_inf, count, total, total_sq, minimum, maximum
        Numeric: infinite values, and count/sum/sum of squares/min/max of the finite values
        (``total_sq`` is kept for reference; variances come from ``m2``).
    categories
        Categorical/boolean: ``{label: count}``.
    invalid_examples
        Up to three unparseable values, for messages.
    m2
        Numeric: centred sum of squares ``sum((x - mean)^2)`` of the finite values (mergeable, stable).
    """

    column: str
    kind: Kind
    n_rows: int
    n_missing: int
    n_invalid: int = 0
    absent: bool = False
    edges: np.ndarray | None = None
    counts: np.ndarray | None = None
    n_neg_inf: int = 0
    n_pos_inf: int = 0
    count: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    minimum: float = math.nan
    maximum: float = math.nan
    categories: dict[str, int] | None = None
    invalid_examples: tuple = ()
    m2: float = math.nan

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_aggregates(
        cls,
        column: str,
        kind: str | Kind,
        *,
        n_rows: int,
        n_missing: int,
        edges=None,
        counts=None,
        categories: Mapping[object, int] | None = None,
        n_neg_inf: int = 0,
        n_pos_inf: int = 0,
        count: int = 0,
        total: float = 0.0,
        total_sq: float = 0.0,
        minimum: float | None = None,
        maximum: float | None = None,
        n_invalid: int = 0,
        m2: float | None = None,
    ) -> "ColumnProfile":
        """Build a profile from aggregates computed elsewhere (e.g. SQL in DuckDB or Spark).

        ``counts`` are the B+2 counts ``[below, bins..., above]`` on ``edges``; ``categories`` the
        ``GROUP BY`` counts (labels are normalised like :func:`category_key`). Pass ``m2``, the centred
        sum of squares (``VAR_POP(v) * COUNT(v)``, or per-group parts merged with
        :func:`merge_moments`); without it, it is derived from ``total_sq``, which is imprecise
        for values far from 0.

        >>> p = ColumnProfile.from_aggregates("x", "numeric", n_rows=4, n_missing=0, edges=[0.0, 1.0, 2.0],
        ...                                   counts=[0, 2, 2, 0], count=4, total=4.0, total_sq=6.0,
        ...                                   minimum=0.0, maximum=2.0)
        >>> round(p.mean, 2), round(p.std, 3)
        (1.0, 0.707)
        """
        kind = Kind(kind)
        if categories is not None:
            merged: dict[str, int] = {}
            for k, v in categories.items():
                key = category_key(k)
                merged[key] = merged.get(key, 0) + int(v)
            categories = merged
        arr_edges = None if edges is None else np.asarray(edges, dtype="float64")
        arr_counts = None if counts is None else np.asarray(counts, dtype="int64")
        if arr_edges is not None and arr_counts is not None and arr_counts.size != arr_edges.size + 1:
            raise ValueError(
                f"column {column!r}: counts must have len(edges) + 1 = {arr_edges.size + 1} entries "
                f"(below, one per bin, above); got {arr_counts.size}"
            )
        if m2 is None or not math.isfinite(float(m2)):
            m2 = max(float(total_sq) - float(total) ** 2 / count, 0.0) if count else 0.0
        return cls(column, kind, int(n_rows), int(n_missing), int(n_invalid), False, arr_edges, arr_counts,
                   int(n_neg_inf), int(n_pos_inf), int(count), float(total), float(total_sq),
                   _float(minimum), _float(maximum), categories, (), float(m2))

    # -- derived --------------------------------------------------------------------------------
    @property
    def n_values(self) -> int:
        """Rows with a usable value."""
        return self.n_rows - self.n_missing

    @property
    def missing_share(self) -> float:
        return self.n_missing / self.n_rows if self.n_rows else math.nan

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    @property
    def std(self) -> float:
        """Population standard deviation of the finite values (from the centred sum of squares)."""
        if not self.count:
            return math.nan
        if math.isfinite(self.m2):
            return math.sqrt(max(self.m2, 0.0) / self.count)
        return math.sqrt(max(self.total_sq / self.count - self.mean**2, 0.0))

    @property
    def n_out_of_range(self) -> int:
        """Values below the first edge or above the last (infinite values included)."""
        return int(self.counts[0] + self.counts[-1]) if self.counts is not None else 0

    def quantile(self, q: float | Iterable[float]) -> float | np.ndarray:
        """Approximate quantile(s) of the finite values, interpolated linearly inside bins."""
        if self.counts is None:
            raise TypeError(f"column {self.column!r} is {self.kind.value}; quantiles need a numeric profile")
        qs = np.atleast_1d(np.asarray(q, dtype="float64"))
        counts = self.counts.astype("float64").copy()
        counts[0] -= self.n_neg_inf
        counts[-1] -= self.n_pos_inf
        total = counts.sum()
        if total <= 0:
            out = np.full(qs.shape, np.nan)
        else:
            lo = np.fmin(self.minimum, self.edges[0])
            hi = np.fmax(self.maximum, self.edges[-1])
            bounds = np.concatenate([[lo], self.edges, [hi]])
            cum = np.concatenate([[0.0], np.cumsum(counts)]) / total
            out = np.interp(qs, cum, bounds)
        return float(out[0]) if np.ndim(q) == 0 else out

    # -- merging --------------------------------------------------------------------------------
    def merge(self, other: "ColumnProfile") -> "ColumnProfile":
        """Combine with the profile of another window of the same column (same kind, same edges)."""
        if other.column != self.column:
            raise ValueError(f"cannot merge profiles of different columns {self.column!r} and {other.column!r}")
        if other.kind != self.kind:
            raise ValueError(
                f"column {self.column!r} was profiled as {self.kind.value} and as {other.kind.value}; "
                "profile both windows with the same spec or reference profile"
            )
        if (self.edges is None) != (other.edges is None) or (
            self.edges is not None and not np.array_equal(self.edges, other.edges)
        ):
            raise ValueError(
                f"column {self.column!r}: the profiles use different bin edges; build both with "
                "tk.profile(frame, reference_profile) so they share the reference's edges"
            )
        cats = None
        if self.categories is not None or other.categories is not None:
            cats = dict(self.categories or {})
            for k, v in (other.categories or {}).items():
                cats[k] = cats.get(k, 0) + v
        return ColumnProfile(
            self.column, self.kind, self.n_rows + other.n_rows, self.n_missing + other.n_missing,
            self.n_invalid + other.n_invalid, self.absent and other.absent, self.edges,
            None if self.counts is None else self.counts + other.counts,
            self.n_neg_inf + other.n_neg_inf, self.n_pos_inf + other.n_pos_inf,
            self.count + other.count, self.total + other.total, self.total_sq + other.total_sq,
            float(np.fmin(self.minimum, other.minimum)), float(np.fmax(self.maximum, other.maximum)),
            cats, tuple(dict.fromkeys(self.invalid_examples + other.invalid_examples))[:3],
            math.nan if math.isnan(self.m2) and math.isnan(other.m2)
            else merge_moments([self.count, other.count], [self.total, other.total], [self.m2, other.m2])[2],
        )

    def equals(self, other: "ColumnProfile", rtol: float = 1e-9) -> bool:
        """Same counts and (to ``rtol``) the same sums: what merging must preserve."""
        def same(a, b):
            return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))

        def close(a, b):
            return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rtol, abs_tol=1e-9 * max(1.0, abs(a)))

        return (
            self.column == other.column and self.kind == other.kind and self.n_rows == other.n_rows
            and self.n_missing == other.n_missing and self.n_invalid == other.n_invalid
            and self.absent == other.absent and same(self.edges, other.edges) and same(self.counts, other.counts)
            and self.n_neg_inf == other.n_neg_inf and self.n_pos_inf == other.n_pos_inf
            and self.count == other.count and close(self.total, other.total)
            and close(self.total_sq, other.total_sq) and close(self.minimum, other.minimum)
            and (self.count == 0 or close(self.m2, other.m2))
            and close(self.maximum, other.maximum)
            and (self.categories or {}) == (other.categories or {})
        )

    def summary(self) -> dict:
        """One tidy row describing this column profile."""
        row = {
            "column": self.column, "kind": self.kind.value, "n_rows": self.n_rows, "n_missing": self.n_missing,
            "missing_share": self.missing_share, "n_invalid": self.n_invalid, "absent": self.absent,
            "mean": self.mean, "std": self.std, "min": self.minimum, "max": self.maximum,
            "n_bins": (self.edges.size - 1) if self.edges is not None else np.nan,
            "out_of_range": self.n_out_of_range if self.counts is not None else np.nan,
            "n_categories": len(self.categories) if self.categories is not None else np.nan,
        }
        return row

    def __repr__(self) -> str:
        return (f"ColumnProfile({self.column!r}, {self.kind.value}, n_rows={self.n_rows}, "
                f"n_missing={self.n_missing})")


def sorted_numeric(series: pd.Series) -> tuple[np.ndarray, int, list]:
    """Sorted non-missing numeric values of a column (inf kept), unparseable count, examples."""
    values, n_invalid, examples = numeric_values(series)
    values = np.sort(values)  # NaN sorts last: one copy, and the values are a view of its front
    if values.size and np.isnan(values[-1]):
        values = values[: values.size - int(np.count_nonzero(np.isnan(values)))]
    return values, n_invalid, examples


def numeric_profile(
    column: str, n_rows: int, values: np.ndarray, *, n_invalid: int = 0, examples=(), edges: np.ndarray | None = None,
    derive: bool = True, bins: int = DEFAULT_BINS, is_sorted: bool = False,
) -> ColumnProfile:
    """Profile of a numeric column from its float values (NaN = missing; pass ``is_sorted`` for sorted, NaN-free)."""
    if not is_sorted:
        values = values[~np.isnan(values)]
    finite_mask = np.isfinite(values)
    all_finite = bool(finite_mask.all())
    finite = values if all_finite else values[finite_mask]
    n_neg = int(np.count_nonzero(values == -np.inf)) if not all_finite else 0
    n_pos = int(values.size - finite.size - n_neg)
    if edges is None and derive:
        edges = quantile_edges(finite, bins, sorted=is_sorted)
    counts = None
    if edges is not None and edges.size >= 2:
        counts = bin_counts(values, edges, sorted=is_sorted)
    else:  # no baseline values to bin on
        edges = None
    if finite.size:
        total = float(np.sum(finite))
        centred = finite - total / finite.size
        m2 = float(np.einsum("i,i->", centred, centred))  # two-pass: exact for values near 1e9; no BLAS wake-ups
        del centred
        total_sq = m2 + total * total / finite.size
        lo, hi = (float(finite[0]), float(finite[-1])) if is_sorted else (float(finite.min()), float(finite.max()))
    else:
        total = total_sq = m2 = 0.0
        lo = hi = math.nan
    return ColumnProfile(column, Kind.NUMERIC, n_rows, n_rows - values.size, int(n_invalid), False, edges, counts,
                         n_neg, n_pos, int(finite.size), total, total_sq, lo, hi, None, tuple(examples)[:3], m2)


def merge_moments(counts, totals, m2s) -> tuple[int, float, float]:
    """``(count, total, m2)`` of several groups from theirs (Chan, Golub & LeVeque's pairwise rule).

    ``m2`` is the centred sum of squares; groups with a count of 0 are ignored.

    >>> merge_moments([2, 2], [2e9, 2e9 + 4], [0.0, 0.0])  # {1e9, 1e9} and {1e9 + 2, 1e9 + 2}
    (4, 4000000004.0, 4.0)
    """
    n = np.asarray(counts, dtype="float64")
    s = np.asarray(totals, dtype="float64")
    q = np.asarray(m2s, dtype="float64")
    keep = n > 0
    n, s, q = n[keep], s[keep], np.where(np.isfinite(q[keep]), q[keep], 0.0)
    if n.size == 0:
        return 0, 0.0, 0.0
    total_n = float(n.sum())
    mean = float(s.sum()) / total_n
    dev = s / n - mean
    return int(total_n), float(s.sum()), float(q.sum() + np.sum(n * dev * dev))


def profile_column(
    series: pd.Series | None, column: str, kind: Kind, n_rows: int, edges: np.ndarray | None,
    derive: bool = True, bins: int = DEFAULT_BINS,
) -> ColumnProfile:
    """Profile one column; ``series=None`` means the column is absent from the window.

    ``edges=None`` with ``derive=True`` makes this window the baseline (edges from its quantiles).
    """
    if series is None:
        empty_counts = None if edges is None else np.zeros(edges.size + 1, dtype="int64")
        cats = {} if kind in (Kind.CATEGORICAL, Kind.BOOLEAN) else None
        return ColumnProfile(column, kind, n_rows, n_rows, absent=True, edges=edges, counts=empty_counts,
                             categories=cats)
    if kind is Kind.NUMERIC:
        values, n_invalid, examples = numeric_values(series)
        return numeric_profile(column, n_rows, values, n_invalid=n_invalid, examples=examples, edges=edges,
                               derive=derive, bins=bins)
    if kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        cats = category_counts(series)
        return ColumnProfile(column, kind, n_rows, n_rows - sum(cats.values()), categories=cats)
    # datetime, identifier, text, empty: rows and nulls only
    return ColumnProfile(column, kind, n_rows, int(series.isna().sum()))


@dataclasses.dataclass(frozen=True, eq=False)
class Profile(Result):
    """Per-column profiles of one window.

    Attributes
    ----------
    columns
        ``{column: ColumnProfile}`` in column order.
    n_rows
        Rows in the window.
    label
        Optional window label.

    Examples
    --------
    >>> import pandas as pd
    >>> base = profile(pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5]}))
    >>> week = profile(pd.DataFrame({"x": [1.0, 9.0, None]}), base)
    >>> week["x"].n_out_of_range, week["x"].n_missing, week.to_frame()["missing_share"].round(2).tolist()
    (1, 1, [0.33])
    """

    columns: dict[str, ColumnProfile]
    n_rows: int
    label: str | None = None

    def __getitem__(self, column: str) -> ColumnProfile:
        try:
            return self.columns[column]
        except KeyError:
            raise KeyError(f"profile has no column {column!r}; it has {preview(self.columns)}") from None

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def __iter__(self):
        return iter(self.columns)

    @property
    def edges(self) -> dict[str, np.ndarray]:
        """Numeric bin edges per column (pass the profile itself to :func:`profile` to reuse them)."""
        return {c: p.edges for c, p in self.columns.items() if p.edges is not None}

    @property
    def kinds(self) -> dict[str, Kind]:
        return {c: p.kind for c, p in self.columns.items()}

    def merge(self, other: "Profile") -> "Profile":
        """Profile of both windows together (same columns, kinds and edges required).

        A column missing from one side's frame is still present in its profile (as absent), so
        windows whose schema broke still merge.
        """
        if not isinstance(other, Profile):
            raise TypeError(f"can only merge a Profile with a Profile; got {type(other).__name__}")
        if list(self.columns) != list(other.columns):
            only_self = [c for c in self.columns if c not in other.columns]
            only_other = [c for c in other.columns if c not in self.columns]
            raise ValueError(
                f"profiles cover different columns (only in first: {preview(only_self)}; only in second: "
                f"{preview(only_other)}); build both with the same reference profile"
            )
        cols = {c: p.merge(other.columns[c]) for c, p in self.columns.items()}
        label = None if self.label is None and other.label is None else f"{self.label}+{other.label}"
        return Profile(cols, self.n_rows + other.n_rows, label)

    def equals(self, other: "Profile", rtol: float = 1e-9) -> bool:
        """True if both profiles hold the same counts (sums equal to ``rtol``)."""
        return (
            self.n_rows == other.n_rows and list(self.columns) == list(other.columns)
            and all(p.equals(other.columns[c], rtol) for c, p in self.columns.items())
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per column: kind, rows, missing, moments, bins/categories."""
        return pd.DataFrame([p.summary() for p in self.columns.values()])

    def distribution(self, column: str) -> pd.DataFrame:
        """Tidy counts of one column: ``bin, lower, upper, count`` (numeric) or ``category, count``."""
        p = self[column]
        if p.counts is not None:
            lo = np.concatenate([[-np.inf], p.edges])
            hi = np.concatenate([p.edges, [np.inf]])
            labels = ["below range"] + [f"[{a:.4g}, {b:.4g})" for a, b in zip(p.edges[:-1], p.edges[1:])] + ["above range"]
            return pd.DataFrame({"bin": labels, "lower": lo, "upper": hi, "count": p.counts})
        if p.categories is not None:
            return pd.DataFrame({"category": list(p.categories), "count": list(p.categories.values())})
        return pd.DataFrame({"count": [p.n_values]})

    def _headline(self) -> str:
        n = len(self.columns)
        return f"{self.n_rows:,} rows, {n} column{'' if n == 1 else 's'}"

    def chart(self):
        """Missing share per column (bars; tooltips carry kind, rows and distinct categories)."""
        import altair as alt

        from .charts import PALETTE, check_small, themed

        frame = check_small(self.to_frame()[["column", "kind", "n_rows", "n_missing", "missing_share"]]
                            .assign(column=lambda f: f["column"].astype(str)), "profile columns")
        bars = alt.Chart(frame).mark_bar(color=PALETTE["reference"]).encode(
            y=alt.Y("column:N", sort=None, title=None),
            x=alt.X("missing_share:Q", title="Missing share", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=["column:N", "kind:N", alt.Tooltip("n_rows:Q", format=","), alt.Tooltip("n_missing:Q", format=","),
                     alt.Tooltip("missing_share:Q", format=".1%")],
        )
        return themed(bars, title=f"Profile{'' if self.label is None else ' ' + str(self.label)}: "
                                  f"{self.n_rows:,} rows")

    def _repr_html_(self) -> str:
        from ._html import card, frame_to_html

        return card(f"Profile{'' if self.label is None else ' ' + str(self.label)}", frame_to_html(self.to_frame()),
                    f"{self.n_rows:,} rows, {len(self.columns)} columns")

    def __repr__(self) -> str:
        return f"Profile(n_rows={self.n_rows}, columns={preview(self.columns)}{'' if self.label is None else ', label=' + repr(self.label)})"


def profile(
    frame: pd.DataFrame,
    spec_or_reference=None,
    *,
    columns: Iterable[str] | None = None,
    kinds: Mapping[str, str] | None = None,
    edges: "Profile | Mapping[str, Iterable[float]] | None" = None,
    bins: int = DEFAULT_BINS,
    label: str | None = None,
) -> Profile:
    """Profile a window: per-column counts on baseline-derived bins, category counts, nulls, moments.

    Parameters
    ----------
    frame
        The window's rows.
    spec_or_reference
        A :class:`~toolkit.ModelSpec` (its monitored columns and kinds), or a reference
        :class:`Profile` whose columns, kinds and bin edges are reused (do this for every window you
        want to compare or merge).
    columns
        Columns to profile (default: the reference profile's, the spec's monitored columns, or all).
    kinds
        Kind overrides ``{column: 'numeric' | 'categorical' | ...}``.
    edges
        A reference :class:`Profile` or ``{column: edges}``; numeric columns without edges get
        ``bins`` quantile bins derived from ``frame`` itself (that makes ``frame`` the baseline).
    bins
        Number of quantile bins for derived edges.
    label
        A name for the window.

    Returns
    -------
    Profile

    Examples
    --------
    >>> import pandas as pd
    >>> p = profile(pd.DataFrame({"x": [1.5, 2.5, None, float("inf")]}))
    >>> p["x"].kind.value, p["x"].n_missing, p["x"].n_pos_inf, p["x"].counts.tolist()
    ('numeric', 1, 1, [0, 1, 0, 1, 1])
    """
    from .spec import ModelSpec

    check_frame("frame", frame)
    spec = None
    if isinstance(spec_or_reference, Profile):
        if edges is not None:
            raise TypeError("pass the reference profile once, either positionally or as edges=")
        edges = spec_or_reference
    elif isinstance(spec_or_reference, ModelSpec):
        spec = spec_or_reference
    elif spec_or_reference is not None:
        raise TypeError(
            f"the second argument must be a ModelSpec or a reference Profile; got {type(spec_or_reference).__name__}"
        )
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    ref_profile = edges if isinstance(edges, Profile) else None
    if columns is not None:
        columns = list(columns)
    elif ref_profile is not None:
        columns = list(ref_profile.columns)
    elif spec is not None:
        columns = spec.monitored
    else:
        columns = list(frame.columns)  # names as they are: int or tuple names are looked up raw
    if ref_profile is None:
        check_columns("frame", frame, columns)
    resolved = dict(ref_profile.kinds) if ref_profile is not None else {}
    resolved.update(resolve_kinds(frame, [c for c in columns if c not in resolved], spec, kinds))
    if kinds:
        resolved.update({c: Kind(k) for c, k in kinds.items()})
    edge_map: dict[str, np.ndarray] = {}
    if ref_profile is not None:
        edge_map = ref_profile.edges
    elif edges is not None:
        edge_map = {c: np.asarray(e, dtype="float64") for c, e in edges.items()}
    cols = {}
    for col in columns:
        series = frame[col] if col in frame.columns else None
        cols[col] = profile_column(series, col, resolved[col], len(frame), edge_map.get(col),
                                    derive=ref_profile is None and col not in edge_map, bins=bins)
    return Profile(cols, len(frame), label)

