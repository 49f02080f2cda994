"""tk.compare: per-column drift with calibrated thresholds, a dataset verdict and a ranking.

How a column is judged
----------------------
Every column gets up to three signals, each tested at ``alpha / 3`` so the column's false-alarm
rate stays at or below ``alpha`` (Bonferroni):

1. **distribution**: the kind's default statistic (numeric: Kolmogorov-Smirnov distance;
   categorical/boolean: total-variation distance) against a threshold calibrated to the
   sampling noise at both windows' sizes, floored at a minimum effect. Histogram statistics
   (TVD, JS, PSI, Hellinger, binned Wasserstein) use a permutation null (the pooled counts split
   at random), so categories one window happened not to see keep their mass;
2. **missing share**: the absolute change in the share of missing (or unparseable) values,
   against the exact hypergeometric null given the pooled missing count;
3. **out-of-range share** (numeric: values beyond the reference's [min, max], infinities
   included; exact null by exchangeability) or **unseen share** (categorical: rows in categories
   the reference never saw; flagged when above its floor and a permutation test on the squared
   unseen counts rejects).

Kinds: integer columns are numeric unless declared (0/1 flags excepted), see :mod:`toolkit.kinds`.
Categorical columns with more than :data:`MAX_CATEGORIES` distinct values are not compared (a note
suggests the identifier kind). Column names may be any hashable (int, tuple...).

A column missing from current is reported as drifted (signal 'absent') with a note naming any
new column that looks like its rename. Identifier, free-text and datetime columns are skipped
with a note (their missing share is still checked).
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import zlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from .._checks import check_choice, check_columns, check_frame, preview
from .._compat import renamed_arguments
from ..kinds import Kind
from ..profiles import (
    DEFAULT_BINS, ColumnProfile, Profile, profile_column, numeric_profile, resolve_kinds, sorted_numeric,
)
from . import statistics as st
from . import thresholds as th
from .report import ColumnDrift, DriftReport

__all__ = ["compare", "DriftComparator", "check_known_columns", "expand_methods", "NUMERIC_METHODS", "CATEGORICAL_METHODS", "DEFAULT_METHODS", "P_VALUE_METHODS"]

NUMERIC_METHODS = ("ks", "wasserstein", "jensen_shannon", "psi", "hellinger", "anderson")
CATEGORICAL_METHODS = ("tvd", "jensen_shannon", "psi", "hellinger", "chi2")
DEFAULT_METHODS = {Kind.NUMERIC: "ks", Kind.CATEGORICAL: "tvd", Kind.BOOLEAN: "tvd"}
#: Methods whose distribution verdict rests on a (Benjamini-Hochberg adjusted) p-value plus a minimum effect.
P_VALUE_METHODS = ("anderson", "chi2")
#: Signals per column sharing the column's alpha.
N_SIGNALS = 3
#: Distinct values (both windows together) above which a categorical column is not compared.
MAX_CATEGORIES = 100_000
#: Coarse bins (by reference quantile) for the histogram statistics of numeric columns.
HIST_BINS = 10
_BOUNDED = {"ks", "tvd", "jensen_shannon", "hellinger"}
_SKIP_NOTES = {
    Kind.IDENTIFIER: "identifier-like (mostly unique values): distribution not compared, missing share checked",
    Kind.TEXT: "free text: distribution not compared, missing share checked",
    Kind.DATETIME: "datetime: windows differ in time by construction, distribution not compared",
    Kind.EMPTY: "all values missing in reference: nothing to compare against",
}


# ------------------------------------------------------------------------------------------------
# fitted sides
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Side:
    """One column of one window: its profile and, when rows are at hand, the sorted numeric values."""

    profile: ColumnProfile
    values: np.ndarray | None = None
    from_text: bool = False  # numeric values parsed from strings ("$54.20")
    n_distinct: int = 0  # set when a categorical column has too many values to count (not compared)
    released: bool = False  # values freed after use; sorted again if the window is compared again


class _Window:
    """A window (DataFrame or Profile) whose columns are profiled on demand and cached.

    ``edges_from`` is the reference window (its edges bin this one). With ``keep_values`` the sorted
    raw values stay after use (a fitted reference reused over windows); without, they are freed once a
    column is assessed and sorted again only if the window is compared again.
    """

    def __init__(self, data, kinds: dict, *, bins: int = DEFAULT_BINS, edges_from: "_Window | None" = None,
                 keep_values: bool = False, label: str | None = None):
        self.data = data
        self.kinds = kinds
        self.bins = bins
        self.edges_from = edges_from
        self.keep_values = keep_values
        self.label = label
        self._sides: dict = {}
        self.is_profile = isinstance(data, Profile)
        self.n_rows = data.n_rows if self.is_profile else len(data)

    def has(self, column) -> bool:
        if self.is_profile:
            return column in self.data.columns and not self.data.columns[column].absent
        return column in self.data.columns

    def side(self, column, *, with_values: bool = False) -> _Side | None:
        if column not in self._sides:
            self._sides[column] = self._build(column)
        side = self._sides[column]
        if with_values and side is not None and side.released:
            side.values = sorted_numeric(self.data[column])[0]
            side.released = False
        return side

    def _edges(self, column):
        if self.edges_from is None:
            return None
        ref = self.edges_from.side(column)
        return None if ref is None else ref.profile.edges

    def _build(self, column) -> _Side | None:
        if not self.has(column):
            return None
        kind = self.kinds[column]
        if self.is_profile:
            prof = self.data.columns[column]
            if prof.kind != kind and not (kind.skipped or prof.kind.skipped):
                raise ValueError(
                    f"column {column!r} was profiled as {prof.kind.value} but is compared as {kind.value}; "
                    "profile both windows with the same kinds"
                )
            return _Side(prof)
        series = self.data[column]
        if kind is Kind.NUMERIC:
            values, n_invalid, examples = sorted_numeric(series)
            prof = numeric_profile(column, len(series), values, n_invalid=n_invalid, examples=examples,
                                   edges=self._edges(column), derive=self.edges_from is None, bins=self.bins,
                                   is_sorted=True)
            text = not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype))
            return _Side(prof, values, from_text=text and prof.n_values > 0)
        if kind is Kind.CATEGORICAL and len(series) > MAX_CATEGORIES:
            n_distinct = int(series.nunique(dropna=True))  # transient; avoids a dict of a million labels
            if n_distinct > MAX_CATEGORIES:
                n_missing = int(series.isna().sum())
                return _Side(ColumnProfile(column, kind, len(series), n_missing, categories={}), n_distinct=n_distinct)
        return _Side(profile_column(series, column, kind, len(series), None))

    def release(self, column) -> None:
        """Free a column's raw values once it has been assessed (its profile stays)."""
        side = self._sides.get(column)
        if side is not None and side.values is not None and not self.keep_values:
            side.values = None
            side.released = True

    def profile(self, columns: list) -> Profile:
        """The window's Profile over ``columns`` (absent columns included as absent)."""
        cols = {}
        for c in columns:
            side = self.side(c)
            cols[c] = (profile_column(None, c, self.kinds[c], self.n_rows, self._edges(c)) if side is None
                       else side.profile)
        return Profile(cols, self.n_rows, self.label)


# ------------------------------------------------------------------------------------------------
# options
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Options:
    alpha: float
    methods: dict
    thresholds: dict
    min_effect: object
    n_resamples: int
    random_state: int
    hist_bins: int
    new_columns: tuple = ()  # set per comparison: columns only the current window has
    new_with_values: tuple = ()

    def method(self, column: str, kind: Kind) -> str:
        m = self.methods.get(column, self.methods.get(kind.value, DEFAULT_METHODS[kind]))
        allowed = NUMERIC_METHODS if kind is Kind.NUMERIC else CATEGORICAL_METHODS
        if m not in allowed:
            raise ValueError(f"methods[{column!r}] must be one of {list(allowed)} for a {kind.value} column; got {m!r}")
        return m

    def floor(self, column: str, method: str) -> float:
        me = self.min_effect
        aux = method in ("missing", "out_of_range", "unseen")
        if isinstance(me, Mapping):
            if not aux and column in me:
                return float(me[column])
            if method in me:
                return float(me[method])
        elif me is not None and not aux:
            return float(me)
        return th.DEFAULT_MIN_EFFECT[method]

    def fixed(self, column: str) -> float | None:
        value = self.thresholds.get(column)
        return None if value is None else float(value)

    def rng(self, column: str) -> np.random.Generator:
        # any hashable column name (int, tuple...): seeded by its repr; string names keep their seeds
        key = column if isinstance(column, str) else repr(column)
        return np.random.default_rng([self.random_state, zlib.crc32(key.encode("utf-8"))])


def _check_options(alpha, methods, thresholds, min_effect, n_resamples) -> None:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a number strictly between 0 and 1; got {alpha!r}")
    if methods is not None and not isinstance(methods, (Mapping, str)):
        raise TypeError(f"methods must be a method name or a dict {{column or kind: method}}; got {type(methods).__name__}")
    if thresholds is not None and not isinstance(thresholds, Mapping):
        raise TypeError(f"thresholds must be a dict {{column: threshold}}; got {type(thresholds).__name__}")
    if min_effect is not None and not isinstance(min_effect, (Mapping, int, float)):
        raise TypeError(f"min_effect must be a number or a dict {{column or method: value}}; got {type(min_effect).__name__}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 100:
        raise ValueError(f"n_resamples must be an integer >= 100; got {n_resamples!r}")


# ------------------------------------------------------------------------------------------------
# per-column assessment
# ------------------------------------------------------------------------------------------------
def _coarse_groups(ref_counts: np.ndarray, k: int) -> np.ndarray:
    """Map fine bins (below, bins..., above) to ~k groups of equal reference mass; outer bins join their neighbours."""
    inner = ref_counts[1:-1].astype("float64")
    total = inner.sum()
    if total <= 0 or inner.size == 0:
        return np.zeros(ref_counts.size, dtype="int64")
    before = (np.cumsum(inner) - inner) / total
    raw = np.minimum((before * k).astype("int64"), k - 1)
    _, grp = np.unique(raw, return_inverse=True)
    return np.concatenate([[grp[0]], grp, [grp[-1]]]).astype("int64")


def _permutation_null(core, ref_counts: np.ndarray, cur_counts: np.ndarray, n_resamples: int,
                      rng: np.random.Generator, unseen: bool = False):
    """``core`` on permutation splits of the pooled counts (and, with ``unseen``, the unseen share per split)."""
    n, m = float(ref_counts.sum()), float(cur_counts.sum())
    values, unseen_values = [], []
    for a, b in th.split_pooled(ref_counts, cur_counts, n_resamples=n_resamples, rng=rng):
        values.append(np.asarray(core(a / n, b / m), dtype="float64"))
        if unseen:
            # sum of squared current counts in categories without reference rows: a brand-new
            # category of 10 rows scores 100, ten scattered singletons 10 (see _assess_categorical)
            unseen_values.append(np.square(np.where(a == 0, b, 0).astype("float64")).sum(axis=1))
    null = np.concatenate(values)
    return (null, np.concatenate(unseen_values)) if unseen else null


def _mc_p(null: np.ndarray, observed: float) -> float:
    return float((1 + np.count_nonzero(null >= observed)) / (null.size + 1))


class _Assessment:
    """Collects one column's statistics, signals and notes, then renders a ColumnDrift."""

    def __init__(self, column: str, kind: Kind, method: str):
        self.row: dict = {"column": column, "kind": kind.value, "method": method}
        self.signals: list[tuple[str, float, float]] = []  # (name, value, threshold)
        self.pending_p = False  # distribution verdict waits for the BH-adjusted p-value
        self.significant: dict[str, bool] = {}  # signals that also need their own test to reject
        self.notes: list[str] = []
        self.statistics: dict[str, st.DriftStatistic] = {}
        self.absent = False

    def finish(self, p_adjusted: float, alpha_signal: float) -> ColumnDrift:
        row = dict(self.row)
        row["p_value_adjusted"] = p_adjusted
        fired, severity = [], 0.0
        for name, value, thr in self.signals:
            if not (np.isfinite(value) and np.isfinite(thr)):
                continue
            ratio = abs(value) / thr if thr > 0 else (math.inf if value != 0 else 0.0)
            ok = abs(value) >= thr and (thr > 0 or value != 0)  # a zero threshold never flags a zero change
            if name == "distribution" and self.pending_p:
                significant = np.isfinite(p_adjusted) and p_adjusted <= alpha_signal
                ok = ok and significant
                if not significant:
                    ratio = min(ratio, 0.999)
            if name in self.significant and not self.significant[name]:
                ok = False
                ratio = min(ratio, 0.999)
            if ok:
                fired.append(name)
            severity = max(severity, ratio)
        if self.absent:
            fired, severity = ["absent"], math.inf
        row["signals"] = tuple(fired)
        row["drifted"] = bool(fired)
        row["severity"] = float(severity)
        row["weighted_severity"] = float(severity)
        row["note"] = "; ".join(dict.fromkeys(n for n in self.notes if n))
        return ColumnDrift(**row, statistics=dict(self.statistics))


def _rename_hint(column: str, opts: _Options) -> str:
    candidates = list(opts.new_with_values)
    if not candidates:
        return ""
    by_text = {str(c): c for c in candidates}
    close = [by_text[c] for c in difflib.get_close_matches(str(column), list(by_text), n=2, cutoff=0.5)]
    if close:
        return f"current has new column(s) {preview(close)} with values: renamed?"
    return f"current has new column(s) {preview(candidates)}"


def _assess(column: str, kind: Kind, ref: _Side | None, cur: _Side | None, n_ref_rows: int, n_cur_rows: int,
            opts: _Options) -> _Assessment:
    alpha_s = opts.alpha / N_SIGNALS
    skipped = kind.skipped or kind is Kind.DATETIME
    method = "skipped" if skipped else opts.method(column, kind)
    a = _Assessment(column, kind, method)
    if ref is None:
        a.row["method"] = "absent"
        a.notes.append("column not in reference: nothing to compare against")
        if cur is not None:
            a.row["n_cur"] = cur.profile.n_values
            a.row["missing_share_cur"] = cur.profile.missing_share
        return a
    rp = ref.profile
    a.row["missing_share_ref"] = rp.missing_share
    a.row["n_ref"] = rp.n_values
    if rp.n_invalid:
        a.notes.append(f"{rp.n_invalid:,} reference values are not numbers (e.g. {preview(rp.invalid_examples, 2)}); counted as missing")
    if cur is None:
        a.row["method"] = "absent"
        a.absent = True
        if n_cur_rows == 0:
            a.absent = False
            a.notes.append("current window has 0 rows")
        else:
            a.notes.append("column missing from current (present in reference)")
            a.notes.append(_rename_hint(column, opts))
        return a
    cp = cur.profile
    if cur.from_text and not ref.from_text:
        a.notes.append("current holds the numbers as text (parsed, e.g. '$1,234.50' -> 1234.5)")
    a.row["missing_share_cur"] = cp.missing_share
    a.row["n_cur"] = cp.n_values
    if cp.n_rows == 0:
        a.notes.append("current window has 0 rows")
        return a
    if rp.n_rows == 0:
        a.notes.append("reference window has 0 rows")
        return a

    # -- missing share (every kind) ------------------------------------------------------------
    miss = st.missing_share_change(rp.n_missing, rp.n_rows, cp.n_missing, cp.n_rows)
    a.statistics["missing"] = miss
    noise, sd = th.missing_noise(rp.n_missing, rp.n_rows, cp.n_missing, cp.n_rows, alpha_s)
    t = th.decide(noise, sd, opts.floor(column, "missing"))
    a.row["missing_threshold"] = t.value
    a.signals.append(("missing", miss.statistic, t.value))
    if cp.n_invalid:
        a.notes.append(f"{cp.n_invalid:,} current values are not numbers (e.g. {preview(cp.invalid_examples, 2)}); counted as missing")

    if skipped:
        a.notes.append(_SKIP_NOTES.get(kind, "not compared"))
        return a
    if rp.n_values == 0:
        a.notes.append("reference has no usable values")
        return a
    if cp.n_values == 0:
        a.notes.append(f"no usable values in current (all {cp.n_rows:,} rows missing)")
        if column not in opts.new_with_values:
            a.notes.append(_rename_hint(column, opts))
        return a
    if cp.n_values < 30 and not cur.n_distinct:
        a.notes.append(f"only {cp.n_values} values in current: low power")
    if kind is Kind.NUMERIC:
        _assess_numeric(a, column, method, ref, cur, opts, alpha_s)
    else:
        _assess_categorical(a, column, method, ref, cur, opts, alpha_s)
    mde = a.row.get("min_detectable_effect", math.nan)
    if method in _BOUNDED and np.isfinite(mde) and mde > 1:
        a.notes.append(f"window too small to detect distribution drift reliably (min detectable {method} {mde:.2f} > 1)")
    return a


def _set_threshold(a: _Assessment, t: th.Threshold) -> None:
    a.row["threshold"] = t.value
    a.row["threshold_basis"] = t.basis
    a.row["min_detectable_effect"] = t.min_detectable_effect


def _assess_numeric(a: _Assessment, column: str, method: str, ref: _Side, cur: _Side, opts: _Options, alpha_s: float):
    rp, cp = ref.profile, cur.profile
    if rp.edges is None:
        a.notes.append("reference has no finite values to bin")
        return
    if cp.edges is None or not np.array_equal(rp.edges, cp.edges):
        raise ValueError(
            f"column {column!r}: the current profile was binned on other edges than the reference; build it with "
            "tk.profile(current, reference_profile)"
        )
    n, m = rp.n_values, cp.n_values
    raw = ref.values is not None and cur.values is not None
    scale = rp.std
    if raw:
        ks, wd = st.ks_wasserstein(ref.values, cur.values, scale=scale)
        ad = st.anderson_darling(ref.values, cur.values, sorted=True) if method == "anderson" else None
    else:
        ks = st.ks_from_counts(rp.counts, cp.counts)
        inner_edges = rp.edges
        wd = st.wasserstein_from_counts(rp.counts[1:-1], cp.counts[1:-1], inner_edges, scale=scale)
        ad = None
        a.notes.append("computed from profiles: KS from binned CDFs, Wasserstein from bin counts")
        if method == "anderson":
            raise ValueError(f"column {column!r}: method 'anderson' needs raw values; pass DataFrames, not profiles")
    groups = _coarse_groups(rp.counts, opts.hist_bins)
    rc = np.bincount(groups, weights=rp.counts).astype("float64")
    cc = np.bincount(groups, weights=cp.counts).astype("float64")
    stats_ = {"ks": ks, "wasserstein": wd, "jensen_shannon": st.jensen_shannon(rc, cc), "psi": st.psi(rc, cc),
              "hellinger": st.hellinger(rc, cc)}
    if ad is not None:
        stats_["anderson"] = ad
    a.statistics.update(stats_)
    if not scale > 0:
        a.notes.append("constant in reference")
    a.row["test"] = "anderson" if method == "anderson" else "ks"
    a.row["p_value"] = (ad or ks).p_value
    a.row["location"] = ks.location

    # -- distribution signal -------------------------------------------------------------------
    fixed = opts.fixed(column)
    rng = opts.rng(column)
    if method == "ks" and raw:
        noise, sd = th.ks_noise(n, m, alpha_s)
        observed = ks.statistic
    elif method == "ks":   # binned KS: the same asymptotic null, seen at the bins' edges only
        noise, sd = th.binned_ks_noise(rp.counts, m, alpha_s)
        observed = ks.statistic
        a.row["p_value"] = th.binned_ks_p_value(rp.counts, m, observed)   # from the same null as the threshold
    elif method in ("wasserstein", "anderson"):
        # decided on the Wasserstein of the reference-quantile histogram, the very statistic whose
        # permutation null is simulated (the raw-value distance stays in statistics['wasserstein'])
        rin, cin = rp.counts[1:-1].astype("float64"), cp.counts[1:-1].astype("float64")
        widths = np.diff(rp.edges)
        binned = math.nan
        if scale > 0 and rin.sum() > 0 and cin.sum() > 0:
            def core(x, y):
                return st.wasserstein_props(x, y, widths) / scale
            binned = float(core(rin / rin.sum(), cin / cin.sum()))
            null = _permutation_null(core, rin, cin, opts.n_resamples, rng)
            noise, sd = th.null_threshold(null, alpha_s)
        else:
            noise, sd = math.nan, math.nan
        a.statistics["wasserstein_binned"] = st.DriftStatistic(
            "wasserstein", binned, effect=binned, effect_name="mean shift of mass in baseline SDs",
            note=f"on the reference's {widths.size} quantile bins (the statistic the threshold is calibrated for)")
        observed = binned
    else:
        core = {"jensen_shannon": st.js_props, "psi": st.psi_props, "hellinger": st.hellinger_props}[method]
        null = _permutation_null(core, rc, cc, opts.n_resamples, rng)
        noise, sd = th.null_threshold(null, alpha_s)
        observed = stats_[method].statistic
    if method == "anderson":
        floor = opts.floor(column, "anderson")
        t = th.decide(0.0, sd, floor, fixed)
        a.pending_p = True
        a.row["statistic"] = ad.statistic
        a.row["effect"] = wd.statistic
        a.signals.append(("distribution", observed, t.value))
    else:
        if not np.isfinite(noise):
            noise, sd = 0.0, 0.0
        t = th.decide(noise, sd, opts.floor(column, method), fixed)
        a.row["statistic"] = observed
        a.row["effect"] = observed
        a.signals.append(("distribution", observed, t.value))
    _set_threshold(a, t)

    # -- out-of-range signal ---------------------------------------------------------------------
    n_inf_ref = rp.n_neg_inf + rp.n_pos_inf
    ref_share = n_inf_ref / n if n else 0.0
    oor = st.out_of_range_share(cp.n_out_of_range, m, reference_share=ref_share)
    a.statistics["out_of_range"] = oor
    noise, sd = th.out_of_range_noise(max(rp.count, 1), m, alpha_s)
    t_oor = th.decide(noise, sd, opts.floor(column, "out_of_range"))
    a.row["out_of_range_share"] = oor.statistic
    a.row["out_of_range_threshold"] = t_oor.value + ref_share
    a.signals.append(("out_of_range", max(oor.effect, 0.0), t_oor.value))
    n_inf = cp.n_neg_inf + cp.n_pos_inf
    if n_inf:
        a.notes.append(f"{n_inf:,} infinite values in current (counted as out of range)")
    if n_inf_ref:
        a.notes.append(f"{n_inf_ref:,} infinite values in reference")


def _assess_categorical(a: _Assessment, column: str, method: str, ref: _Side, cur: _Side,
                        opts: _Options, alpha_s: float):
    rp, cp = ref.profile, cur.profile
    ref_cats = rp.categories or {}
    cur_cats = cp.categories or {}
    n_distinct = max(len(ref_cats) + sum(1 for k in cur_cats if k not in ref_cats), ref.n_distinct, cur.n_distinct)
    if n_distinct > MAX_CATEGORIES:
        # an identifier declared categorical: no distribution to compare, and the calibration's cost
        # would grow with the number of values; stop here with the fix
        a.row["method"] = "skipped"
        a.notes.append(f"{'over ' if ref.n_distinct or cur.n_distinct else ''}{n_distinct:,} distinct values: too many to compare as categories (limit "
                       f"{MAX_CATEGORIES:,}); if it identifies rows, declare kinds={{{column!r}: 'identifier'}} "
                       "(missing share is still checked)")
        return
    keys = list(ref_cats) + [k for k in cur_cats if k not in ref_cats]
    rc = np.array([ref_cats.get(k, 0) for k in keys], dtype="float64")
    cc = np.array([cur_cats.get(k, 0) for k in keys], dtype="float64")
    n, m = int(rc.sum()), int(cc.sum())
    stats_ = {"tvd": st.total_variation(rc, cc), "jensen_shannon": st.jensen_shannon(rc, cc), "psi": st.psi(rc, cc),
              "hellinger": st.hellinger(rc, cc), "chi2": st.chi_square(rc, cc)}
    a.statistics.update(stats_)
    a.row["test"] = "chi2"
    a.row["p_value"] = stats_["chi2"].p_value
    fixed = opts.fixed(column)
    rng = opts.rng(column)
    k = max(rc.size, 1)
    reps = int(max(200, min(opts.n_resamples, 2_000_000 // k)))
    core = {"tvd": st.tvd_props, "jensen_shannon": st.js_props, "psi": st.psi_props,
            "hellinger": st.hellinger_props, "chi2": st.tvd_props}[method]
    # one set of permutation splits serves the distribution statistic and the unseen share
    null, unseen_null = _permutation_null(core, rc, cc, reps, rng, unseen=True)
    if method == "chi2":
        t = th.decide(0.0, 0.0, opts.floor(column, "chi2"), fixed)
        a.pending_p = True
        a.row["statistic"] = stats_["chi2"].statistic
        a.row["effect"] = stats_["tvd"].statistic
        a.signals.append(("distribution", stats_["tvd"].statistic, t.value))
    else:
        noise, sd = th.null_threshold(null, alpha_s)
        t = th.decide(noise, sd, opts.floor(column, method), fixed)
        observed = stats_[method].statistic
        a.row["statistic"] = observed
        a.row["effect"] = observed
        a.signals.append(("distribution", observed, t.value))
    _set_threshold(a, t)

    # -- unseen categories: same permutation splits ----------------------------------------------
    # Reported: the share of current rows in categories the reference never saw, flagged when it is
    # at least the floor AND a permutation test rejects. The test statistic is the sum of squared
    # unseen counts: under no drift, unseen rows are the current's share of rare categories, mostly
    # scattered singletons; a new category concentrates rows, which the squares reward (an exact
    # test on the share alone cannot tell 10 rows of one new value from 10 rare singletons).
    fresh = (rc == 0) & (cc > 0)
    share = float(cc[fresh].sum() / m) if m else math.nan
    score = float(np.square(cc[fresh]).sum())
    p_unseen = _mc_p(unseen_null, score) if score > 0 else 1.0
    order = np.flatnonzero(fresh)[np.argsort(-cc[fresh], kind="stable")]
    new = [keys[i] for i in order]
    unseen = st.DriftStatistic("unseen", share, p_unseen, share, "share of rows in categories unseen in reference",
                               note=f"unseen categories: {preview(new)}" if new else "")
    a.statistics["unseen"] = unseen
    t_un = th.decide(0.0, 0.0, opts.floor(column, "unseen"))
    a.row["unseen_share"] = unseen.statistic
    a.row["unseen_threshold"] = t_un.value
    a.signals.append(("unseen", unseen.statistic, t_un.value))
    a.significant["unseen"] = p_unseen <= alpha_s
    if unseen.note and unseen.statistic >= t_un.value and p_unseen <= alpha_s:
        a.notes.append(unseen.note)


# ------------------------------------------------------------------------------------------------
# the comparator
# ------------------------------------------------------------------------------------------------
#: Engines ``tk.compare`` takes for inputs that are files or tables (DataFrames are always compared in pandas).
_ENGINES = ("auto", "pandas", "duckdb", "spark")


@dataclasses.dataclass(frozen=True)
class _Route:
    """How one window reached the comparison, for the report's engine line."""

    how: str  # 'rows' (a DataFrame), 'read' (files read into memory), 'engine' (profiled there), 'profile' (given)
    engine: str = "pandas"
    rows: int | None = None  # rows counted from the files' footers (read, or above the budget)


def _maybe_files(data) -> bool:
    """True when ``data`` could be files (the engines module decides; DataFrames and Profiles never are)."""
    return not isinstance(data, (pd.DataFrame, Profile))


def _wanted(options: dict, extra=()) -> list | None:
    """The columns a comparison reads from files: ``columns``, else the spec's monitored ones, else all (None)."""
    columns, spec = options.get("columns"), options.get("spec")
    if columns is not None:
        cols = [columns] if isinstance(columns, str) else list(columns)
    elif spec is not None:
        cols = list(spec.monitored)
    else:
        return None
    return cols + [c for c in extra if c is not None and c not in cols]


def _reads_files(engine: str, sides: list, budget: int) -> tuple[bool, dict]:
    """Whether the file inputs among ``sides`` are read into memory, and ``{index: rows}`` of those counted.

    ``engine='pandas'`` always reads them. ``'auto'`` reads them when every side is a DataFrame or files whose
    rows are known without a pass (Parquet footers, small CSV) and at most ``budget``; a DuckDB relation, a
    Spark DataFrame or a Profile on either side keeps files where they live (the comparison is binned anyway).
    """
    from ..engines import is_files, rows_if_cheap

    files = [i for i, d in enumerate(sides) if _maybe_files(d) and is_files(d)]
    if not files or engine in ("duckdb", "spark"):
        return False, {}
    counts = {i: rows_if_cheap(sides[i]) for i in files}
    if engine == "pandas":
        return True, counts
    others = [d for i, d in enumerate(sides) if i not in files]
    fits = all(n is not None and n <= budget for n in counts.values())
    return fits and all(isinstance(d, pd.DataFrame) for d in others), counts


def _load(name: str, data, reference, options: dict, *, read: bool, rows: int | None = None, engine: str = "auto",
          beside=None, extra=()) -> tuple[object, _Route, list | None]:
    """``(window, route, schema)`` for one side: a DataFrame or Profile, how it got here, and (files read into
    memory) every column the files have. ``read``: files are read into memory (only the needed columns,
    plus, for current, the columns ``beside`` lacks); otherwise they are profiled where they live by
    :mod:`toolkit.engines`: the reference with derived edges, the current side on ``reference``'s edges."""
    if isinstance(data, Profile):
        return data, _Route("profile", "profile"), None
    if isinstance(data, pd.DataFrame):
        return check_frame(name, data), _Route("rows"), list(data.columns)
    from ..engines import engine_of, is_files, is_source, read_rows

    if not is_source(data):
        return check_frame(name, data), _Route("rows"), None  # raises the toolkit's error for the wrong type
    if read and is_files(data):
        frame, schema = read_rows(data, _wanted(options, extra), also_new_beside=beside)
        return check_frame(name, frame), _Route("read", "pandas", len(frame)), schema
    from ..engines import profile as engine_profile

    prof = engine_profile(data, reference, include_new=name == "current", engine=engine, **options)
    return prof, _Route("engine", engine_of(data) if engine == "auto" else engine, rows), None


def _engine_fields(routes: dict, engine: str, budget: int) -> dict:
    """``engine`` and ``engine_note`` of a report from each window's route: which path ran, and why."""
    used = [r.engine for r in routes.values() if r.how == "engine"]
    if used:
        reasons = []
        for side, r in routes.items():
            if r.how != "engine":
                continue
            if engine != "auto":
                reasons.append(f"engine={engine!r}")
            elif r.rows is not None:
                reasons.append(f"{side} {r.rows:,} rows, above the row budget of {budget:,}")
            else:
                reasons.append(f"{side} not read into memory (no cheap row count, a table, or a profiled reference)")
        return {"engine": used[0], "engine_note": (
            f"Profiled where the data lives ({used[0]}; {'; '.join(dict.fromkeys(reasons))}): KS from binned CDFs "
            "and Wasserstein from bin counts; the notes say so per column.")}
    if any(r.how == "profile" for r in routes.values()):
        return {"engine": "profile", "engine_note": "Compared from profiles: KS from binned CDFs, Wasserstein "
                                                    "from bin counts."}
    read = {side: r.rows for side, r in routes.items() if r.how == "read"}
    if not read:
        return {"engine": "pandas", "engine_note": ""}
    parts = ", ".join(f"{side} {n:,} rows" for side, n in read.items())
    why = "engine='pandas'" if engine == "pandas" else f"within the row budget of {budget:,} rows per input"
    return {"engine": "pandas", "engine_note": f"Files read into memory ({parts}; {why}): KS and Wasserstein "
                                               "exact on the rows."}


def expand_methods(methods) -> dict:
    """``methods`` as a dict keyed by column or kind ('ks' alone applies to every kind it suits)."""
    if methods is None:
        return {}
    if isinstance(methods, str):
        out = {k.value: methods for k in (Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN)
               if methods in (NUMERIC_METHODS if k is Kind.NUMERIC else CATEGORICAL_METHODS)}
        if not out:
            raise ValueError(f"methods must be one of {sorted(set(NUMERIC_METHODS + CATEGORICAL_METHODS))}; got {methods!r}")
        return out
    return dict(methods)


def check_known_columns(columns, *windows) -> None:
    """Raise ``KeyError`` for names in ``columns`` that none of ``windows`` (DataFrames or Profiles) has.

    A column that only some windows have is fine: it is reported as absent where it is missing.
    """
    if columns is None or not windows:
        return
    columns = [columns] if isinstance(columns, str) else list(columns)
    unknown = [c for c in columns if not any(c in w.columns for w in windows)]
    if not unknown:
        return
    first = windows[0]
    if isinstance(first, Profile):
        raise KeyError(f"neither window has column(s) {preview(unknown)}; reference has {preview(list(first.columns))}")
    check_columns("reference", first, unknown)


def _n_jobs(n_jobs: int | None, n_rows: int) -> int:
    if n_jobs is not None:
        return max(1, int(n_jobs))
    return 1 if n_rows < 50_000 else min(os.cpu_count() or 1, 4)


def _run(reference: _Window, current: _Window, columns: list, opts: _Options, n_jobs: int) -> list[ColumnDrift]:
    def job(col) -> _Assessment:
        kind = reference.kinds[col]
        ref_side = reference.side(col, with_values=True)
        cur_side = current.side(col, with_values=True)
        try:
            return _assess(col, kind, ref_side, cur_side, reference.n_rows, current.n_rows, opts)
        finally:
            reference.release(col)
            current.release(col)

    if n_jobs > 1 and len(columns) > 1:
        # big numeric columns first, so the two workers finish together
        order = sorted(columns, key=lambda c: reference.kinds[c] is not Kind.NUMERIC)
        with ThreadPoolExecutor(n_jobs) as pool:
            done = dict(zip(order, pool.map(job, order)))
        assessments = [done[c] for c in columns]
    else:
        assessments = [job(c) for c in columns]
    p_adj = th.benjamini_hochberg([a.row.get("p_value", math.nan) for a in assessments])
    alpha_s = opts.alpha / N_SIGNALS
    return [a.finish(float(q), alpha_s) for a, q in zip(assessments, p_adj)]


class DriftComparator:
    """Drift of any window against one reference: fitted on the reference once, then applied.

    :meth:`fit` learns from the reference what every comparison needs: the columns, their kinds,
    the numeric bin edges and the reference's profiles (sorted values kept for exact KS and
    Wasserstein). :meth:`compare` then judges one current window (rows, a file, or a
    :class:`~toolkit.Profile`), :meth:`compare_profile` a window profiled elsewhere (an engine, another
    process) on the reference's edges. :func:`toolkit.compare` is ``DriftComparator(...).fit(reference)
    .compare(current)``, and :func:`toolkit.drift_over_time` fits once and compares every window.

    Parameters
    ----------
    alpha, methods, thresholds, min_effect, n_resamples, random_state, bins, importance, multivariate, sample_size, dataset_threshold, n_jobs
        As in :func:`toolkit.compare`.
    keep_values
        Keep the reference's sorted numeric values between comparisons (the default; costs 8 bytes per
        value). False frees them after each comparison and sorts them again when the next one needs
        them: for a single comparison of large frames.
    engine
        For inputs that are files or tables, as in :func:`toolkit.compare`: 'auto' reads files of at most
        :data:`toolkit.io.ROW_BUDGET` rows into memory (the current window too when the reference was),
        and profiles larger ones where they live.

    Attributes
    ----------
    columns_
        The columns compared, in report order (set by :meth:`fit`).
    kinds_
        ``{column: Kind}`` used for every window.
    reference_columns_
        The compared columns the reference has (the others are reported as absent from it).
    n_reference_
        Rows in the reference.

    Examples
    --------
    >>> import toolkit as tk
    >>> import numpy as np, pandas as pd
    >>> ref = pd.DataFrame({"age": np.random.default_rng(0).normal(40, 10, 5000),
    ...                     "plan": np.repeat(["a", "b"], 2500)})
    >>> comparator = tk.DriftComparator(alpha=0.05).fit(ref)
    >>> comparator.kinds_["age"].value, comparator.kinds_["plan"].value
    ('numeric', 'categorical')
    >>> later = ref.assign(age=ref["age"] + 5)
    >>> comparator.compare(later).drifted, comparator.compare(ref).drifted
    (['age'], [])
    >>> comparator.compare_profile(tk.profile(later, comparator.reference_profile)).drifted
    ['age']
    """

    def __init__(self, *, alpha: float = 0.05, methods: Mapping[str, str] | str | None = None,
                 thresholds: Mapping[str, float] | None = None, min_effect: float | Mapping[str, float] | None = None,
                 n_resamples: int = 1000, random_state: int = 0, bins: int = DEFAULT_BINS,
                 importance: Mapping[str, float] | None = None, multivariate: bool = False, sample_size: int = 20_000,
                 dataset_threshold: float = 0.5, n_jobs: int | None = None, keep_values: bool = True,
                 engine: str = "auto"):
        _check_options(alpha, methods, thresholds, min_effect, n_resamples)
        check_choice("multivariate", multivariate, [True, False])
        check_choice("engine", engine, _ENGINES)
        self.engine = engine
        self._routes: dict = {}
        self.alpha = float(alpha)
        self.methods = expand_methods(methods)
        self.thresholds = dict(thresholds or {})
        self.min_effect = min_effect
        self.n_resamples = int(n_resamples)
        self.random_state = int(random_state)
        self.bins = bins
        self.importance = dict(importance or {})
        self.multivariate = multivariate
        self.sample_size = sample_size
        self.dataset_threshold = float(dataset_threshold)
        self.n_jobs = n_jobs
        self.keep_values = keep_values
        self._options = _Options(self.alpha, self.methods, self.thresholds, min_effect, self.n_resamples,
                                 self.random_state, HIST_BINS)
        self._reference: _Window | None = None

    def __repr__(self) -> str:
        fitted = (f"fitted on {self.n_reference_:,} rows x {len(self.columns_)} columns" if self._reference is not None
                  else "not fitted")
        return f"DriftComparator(alpha={self.alpha}, {fitted})"

    # -- fit ------------------------------------------------------------------------------------------
    def fit(self, reference, spec=None, *, columns=None, kinds: Mapping[str, str] | None = None) -> "DriftComparator":
        """Learn columns, kinds, edges and profiles from ``reference``; returns the comparator.

        Parameters
        ----------
        reference
            A DataFrame, a :class:`~toolkit.Profile`, or a source profiled where it lives (Parquet/CSV
            path or glob, DuckDB relation, Spark DataFrame).
        spec
            A :class:`~toolkit.ModelSpec`: its monitored columns and kinds.
        columns
            Columns to compare (overrides the spec's; a column the reference lacks is reported as
            absent from it, so windows with a broken schema still line up).
        kinds
            Kind overrides ``{column: kind}`` (on top of the spec's).
        """
        from ..io import ROW_BUDGET

        self._engine_options = {"spec": spec, "columns": columns, "kinds": kinds, "bins": self.bins}
        read, counts = _reads_files(self.engine, [reference], ROW_BUDGET) if _maybe_files(reference) else (False, {})
        reference, route, self._reference_schema = _load("reference", reference, None, self._engine_options,
                                                         read=read, rows=counts.get(0), engine=self.engine)
        self._routes = {"reference": route}
        if columns is not None:
            cols = [columns] if isinstance(columns, str) else list(columns)
        elif spec is not None:
            cols = list(spec.monitored)
        else:
            cols = list(reference.columns)  # the names as they are (int, tuple...): looked up raw everywhere
        if isinstance(reference, Profile):
            resolved = {c: reference.columns[c].kind if c in reference.columns else Kind.EMPTY for c in cols}
            resolved.update({c: Kind(k) for c, k in (kinds or {}).items() if c in resolved})
        else:
            resolved = resolve_kinds(reference, [c for c in cols if c in reference.columns], spec, kinds)
            for c in cols:
                resolved.setdefault(c, Kind(kinds[c]) if kinds and c in kinds else Kind.EMPTY)
        for c in cols:  # method names checked before any heavy work
            k = resolved[c]
            if not (k.skipped or k is Kind.DATETIME):
                self._options.method(c, k)
        label = reference.label if isinstance(reference, Profile) and reference.label is not None else "reference"
        self.columns_ = cols
        self.kinds_ = {c: resolved[c] for c in cols}
        self._reference = _Window(reference, self.kinds_, bins=self.bins, keep_values=self.keep_values, label=label)
        self.n_reference_ = self._reference.n_rows
        self.reference_columns_ = [c for c in cols if self._reference.has(c)]
        return self

    def _fitted(self) -> _Window:
        if self._reference is None:
            raise RuntimeError("this DriftComparator is not fitted yet: call .fit(reference) first")
        return self._reference

    @property
    def reference_profile(self) -> Profile:
        """The reference's :class:`~toolkit.Profile` over :attr:`columns_` (pass it to ``tk.profile`` to bin
        another window on the same edges)."""
        return self._fitted().profile(self.columns_)

    # -- apply ----------------------------------------------------------------------------------------
    def compare(self, current, *, label: str | None = None, multivariate: bool | None = None) -> DriftReport:
        """Compare one window with the fitted reference.

        Parameters
        ----------
        current
            A DataFrame, a :class:`~toolkit.Profile` (see :meth:`compare_profile`), or a source
            profiled where it lives on the reference's edges.
        label
            Name of the window (shown in the report).
        multivariate
            Override the comparator's ``multivariate`` for this window (e.g. False for a window
            too small for the classifier).
        """
        ref = self._fitted()
        if isinstance(current, Profile):
            return self.compare_profile(current, label=label)
        from ..io import ROW_BUDGET

        read, counts = (_reads_files(self.engine, [ref.data, current], ROW_BUDGET) if _maybe_files(current)
                        else (False, {}))
        current, route, _ = _load("current", current, ref.data, self._engine_options, read=read, rows=counts.get(1),
                                  engine=self.engine, beside=self._reference_schema)
        report = self._compare(current, label, self.multivariate if multivariate is None else multivariate)
        return dataclasses.replace(report, **_engine_fields({**self._routes, "current": route}, self.engine,
                                                            ROW_BUDGET))

    def compare_profile(self, profile: Profile, *, label: str | None = None) -> DriftReport:
        """Compare a window given as a :class:`~toolkit.Profile` binned on the reference's edges (what the
        DuckDB and Spark engines, or ``tk.profile(frame, comparator.reference_profile)``, produce).

        KS then comes from the binned CDFs and Wasserstein from the bin counts (the notes say so).
        """
        from ..io import ROW_BUDGET

        self._fitted()
        if not isinstance(profile, Profile):
            raise TypeError(f"compare_profile needs a toolkit Profile; got {type(profile).__name__} "
                            "(pass rows to .compare)")
        report = self._compare(profile, label, self.multivariate)
        return dataclasses.replace(report, **_engine_fields({**self._routes, "current": _Route("profile", "profile")},
                                                            self.engine, ROW_BUDGET))

    def _compare(self, current, label, multivariate: bool) -> DriftReport:
        from .ranking import rank

        ref = self._reference
        if multivariate and (ref.is_profile or isinstance(current, Profile)):
            raise ValueError("multivariate=True needs rows on both sides; pass DataFrames, not profiles")
        ref_names = set(ref.data.columns)
        new_columns = tuple(c for c in current.columns if c not in ref_names)
        if isinstance(current, Profile):
            new_with_values = tuple(c for c in new_columns if current.columns[c].n_values > 0)
        else:
            new_with_values = tuple(c for c in new_columns if current[c].notna().any())
        opts = dataclasses.replace(self._options, new_columns=new_columns, new_with_values=new_with_values)
        cols = self.columns_
        cur = _Window(current, self.kinds_, bins=self.bins, edges_from=ref, label=label)
        results = _run(ref, cur, cols, opts, _n_jobs(self.n_jobs, max(ref.n_rows, cur.n_rows)))
        ref_profile, cur_profile = ref.profile(cols), cur.profile(cols)
        del cur
        results = rank(results, self.importance)
        mv = None
        if multivariate:
            from .multivariate import multivariate_drift

            features = [r.column for r in results if r.kind in ("numeric", "categorical", "boolean")
                        and r.column in ref.data.columns and r.column in current.columns]
            features = [c for c in cols if c in features]
            mv = multivariate_drift(ref.data, current, features, {c: self.kinds_[c] for c in features},
                                    sample_size=self.sample_size, alpha=self.alpha, random_state=self.random_state)
        return DriftReport(
            tuple(results), self.alpha, ref_profile.n_rows, cur_profile.n_rows, mv, new_columns, ref_profile,
            cur_profile, self.dataset_threshold, label,
            {"methods": dict(self.methods), "min_effect": self.min_effect, "thresholds": dict(self.thresholds),
             "n_resamples": self.n_resamples, "random_state": self.random_state, "importance": dict(self.importance)},
        )


@renamed_arguments(replicates="n_resamples")
def compare(
    reference,
    current,
    spec=None,
    *,
    columns: list[str] | None = None,
    alpha: float = 0.05,
    methods: Mapping[str, str] | str | None = None,
    thresholds: Mapping[str, float] | None = None,
    min_effect: float | Mapping[str, float] | None = None,
    importance: Mapping[str, float] | None = None,
    model=None,
    multivariate: bool = False,
    sample_size: int = 20_000,
    random_state: int = 0,
    kinds: Mapping[str, str] | None = None,
    bins: int = DEFAULT_BINS,
    n_resamples: int = 1000,
    dataset_threshold: float = 0.5,
    label: str | None = None,
    n_jobs: int | None = None,
    engine: str = "auto",
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column, with calibrated verdicts.

    Parameters
    ----------
    reference, current
        DataFrames, files (a Parquet/CSV path, folder, glob or list), DuckDB relations, Spark
        DataFrames, or :class:`~toolkit.Profile` objects built on the same edges (then KS is computed
        from binned CDFs and the note says so). See ``engine`` for how files are compared.
    spec
        A :class:`~toolkit.ModelSpec`: its monitored columns (features, score, prediction) and kinds.
        Without one, every reference column is compared and kinds are inferred.
    columns
        Columns to compare (overrides the spec's).
    alpha
        False-alarm level per column when nothing drifted (split over the column's three signals).
    methods
        Statistic deciding the distribution signal: one name for all columns, or a dict keyed by
        column or kind. Numeric: 'ks' (default), 'wasserstein', 'jensen_shannon', 'psi',
        'hellinger', 'anderson'; categorical/boolean: 'tvd' (default), 'jensen_shannon', 'psi',
        'hellinger', 'chi2'. 'anderson' and 'chi2' decide on Benjamini-Hochberg adjusted p-values
        plus a minimum effect; the others on the calibrated effect threshold.
    thresholds
        Fixed thresholds ``{column: value}`` replacing the calibration for those columns.
    min_effect
        Smallest effect worth flagging: one number for every distribution statistic, or a dict
        keyed by column or method (also 'missing', 'out_of_range', 'unseen'); defaults in
        :data:`toolkit.drift.thresholds.DEFAULT_MIN_EFFECT`.
    importance
        ``{column: weight}`` to rank drifted features by ``severity x importance``.
    model
        A fitted scikit-learn estimator: importance from permutation importance on the reference
        (needs ``spec`` with a target present in the reference).
    multivariate
        Also run the domain classifier and the PCA reconstruction check (on at most
        ``sample_size`` rows per window).
    sample_size
        Rows sampled per window for the multivariate checks and model importance.
    random_state
        Seed for the calibration's resamples and for sampling.
    kinds
        Kind overrides ``{column: kind}`` (on top of the spec's).
    bins
        Quantile bins for numeric profiles.
    n_resamples
        Permutation resamples for calibrating histogram statistics (``replicates`` before; the old
        name still works, with a DeprecationWarning).
    dataset_threshold
        Share of drifted columns at which the dataset counts as drifted.
    label
        Name of the current window (shown in the report).
    n_jobs
        Threads over columns (default: 1 below 50k rows, else up to 4).
    engine
        For inputs that are files or tables. 'auto' (default): files whose rows are known from their
        footers (Parquet; CSV up to 512 MB) and number at most :data:`toolkit.io.ROW_BUDGET` per input
        (2,000,000, ``ModelConfig.row_budget``'s default) are read into memory, only the compared
        columns, and compared on their rows (exact KS); larger ones, DuckDB relations and Spark
        DataFrames are profiled where they live (binned KS). 'pandas' always reads files into memory;
        'duckdb' or 'spark' always profiles them there. ``report.engine`` and ``report.engine_note``
        say which ran.

    Returns
    -------
    DriftReport

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"age": rng.normal(40, 10, 5000), "plan": rng.choice(["a", "b"], 5000)})
    >>> cur = pd.DataFrame({"age": rng.normal(45, 10, 5000), "plan": rng.choice(["a", "b"], 5000)})
    >>> report = tk.compare(ref, cur)
    >>> report.drifted
    ['age']
    >>> report.to_frame()[["column", "method", "drifted"]].to_string(index=False)
    'column method  drifted\\n   age     ks     True\\n  plan    tvd    False'
    """
    from .ranking import model_importance

    from ..io import ROW_BUDGET

    check_choice("engine", engine, _ENGINES)
    engine_options = {"spec": spec, "columns": columns, "kinds": kinds, "bins": bins}
    read, counts = (_reads_files(engine, [reference, current], ROW_BUDGET)
                    if _maybe_files(reference) or _maybe_files(current) else (False, {}))
    extra = (getattr(spec, "target", None),) if model is not None else ()  # model importance needs the labels
    reference, ref_route, schema = _load("reference", reference, None, engine_options, read=read, rows=counts.get(0),
                                         engine=engine, extra=extra)
    current, cur_route, _ = _load("current", current, reference, engine_options, read=read, rows=counts.get(1),
                                  engine=engine, beside=schema)
    comparator = DriftComparator(alpha=alpha, methods=methods, thresholds=thresholds, min_effect=min_effect,
                                 n_resamples=n_resamples, random_state=random_state, bins=bins, importance=importance,
                                 multivariate=multivariate, sample_size=sample_size,
                                 dataset_threshold=dataset_threshold, n_jobs=n_jobs, keep_values=False)
    check_known_columns(columns, reference, current)
    if model is not None and importance is None:
        if isinstance(reference, Profile):
            raise ValueError("model importance needs reference rows; pass a DataFrame or importance={column: weight}")
        comparator.importance = model_importance(model, reference, spec, sample_size=min(sample_size, 5000),
                                                 random_state=random_state)
    report = comparator.fit(reference, spec, columns=columns, kinds=kinds).compare(current, label=label)
    return dataclasses.replace(report, **_engine_fields({"reference": ref_route, "current": cur_route}, engine,
                                                        ROW_BUDGET))
