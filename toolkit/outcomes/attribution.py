"""Why did performance drop? Segments, input shift versus changed relationships, and features.

Three views of one drop between a labelled reference and a labelled current window:

1. **Segments**: per categorical value and per numeric quantile bin (edges from the reference),
   the metric in both windows, the share of rows, and the segment's contribution to the drop.
2. **Input shift versus concept drift**: a domain classifier (gradient boosting, cross-fitted)
   tells reference rows from current rows; its odds are the density ratio ``p_cur(x) / p_ref(x)``.
   Reweighting the labelled reference by that ratio gives the metric expected if only the inputs
   had changed (covariate shift). The drop splits into that part and the rest, which the inputs
   cannot explain: a changed input-label relationship (concept drift).
3. **Features**: per feature, a logistic regression of the label on the feature's bins with the
   model's log-odds as offset, in each window. Bin effects near zero mean the model already
   captures the feature; a change in the bin effects between the windows (Wald chi-square test,
   Benjamini-Hochberg across features) means the feature -> label relationship changed. A global
   shift (everyone churns less) only moves the intercept and is not counted.
"""
from __future__ import annotations

import dataclasses
from typing import Unpack

import numpy as np
import pandas as pd
from scipy import special, stats

from .._checks import check_frame, preview
from .._html import SEVERITY_COLOURS, card, escape, frame_to_html, notes_html
from ..kinds import Kind, coerce_numeric, infer_kind
from .._compat import renamed_arguments
from ..spec import ModelSpec, RoleOverrides
from .measure import fmt_int, resolve_roles, shared_doc
from .intervals import percentile_interval
from .counts import CHUNK_CELLS
from .metrics import HIGHER_IS_BETTER, bootstrap_counts
from .realized import _kernel, compare, measure, prepare, resolve_metrics, usable_rows
from ..results import Result

__all__ = ["attribute_drop", "DropAttribution"]

#: metrics that are a weighted mean over rows, so a drop splits additively over segments
_ADDITIVE = ("accuracy", "brier", "log_loss", "mae")
MISSING = "(missing)"
OTHER = "(other)"


# -- segmentation -----------------------------------------------------------------------------------------

def _segment_labels(column: str, ref: pd.Series, cur: pd.Series, kind: Kind, n_bins: int, max_categories: int):
    """Bin labels for reference and current values: reference quantile bins or category values."""
    if kind is Kind.NUMERIC:
        r, c = coerce_numeric(ref), coerce_numeric(cur)
        qs = np.unique(np.nanquantile(r.to_numpy(dtype=float), np.linspace(0, 1, n_bins + 1)[1:-1]))
        if len(qs) == 0:
            qs = np.array([np.nanmedian(r)])
        edges = np.r_[-np.inf, qs, np.inf]
        names = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            if np.isinf(lo):
                names.append(f"< {hi:.4g}")
            elif np.isinf(hi):
                names.append(f">= {lo:.4g}")
            else:
                names.append(f"[{lo:.4g}, {hi:.4g})")

        def cut(v):
            idx = np.searchsorted(qs, v.to_numpy(dtype=float), side="right")
            out = np.asarray(names, dtype=object)[idx]
            out[np.isnan(v.to_numpy(dtype=float))] = MISSING
            return out
        return cut(r), cut(c), names + [MISSING]
    r, c = ref.astype(object).where(ref.notna(), MISSING), cur.astype(object).where(cur.notna(), MISSING)
    r, c = r.astype(str).to_numpy(dtype=object), c.astype(str).to_numpy(dtype=object)
    counts = pd.Series(r).value_counts()
    keep = [v for v in counts.index if v != MISSING][:max_categories]
    new = sorted(set(pd.unique(c)) - set(counts.index))
    keep_set = set(keep) | {MISSING} | set(new[:3])
    r = np.where(np.isin(r, list(keep_set)), r, OTHER)
    c = np.where(np.isin(c, list(keep_set)), c, OTHER)
    return r, c, keep + new[:3] + [OTHER, MISSING]


def _kind(roles, frame: pd.DataFrame, column: str) -> Kind:
    if roles.spec is not None and column in roles.spec.kinds:
        return roles.spec.kinds[column]
    return infer_kind(frame[column])


def _codes(labels: np.ndarray, names) -> np.ndarray:
    """Position of each label in ``names`` (-1 when absent), hashing the few distinct labels once: the
    segment loops compare small integers instead of every row's string, once per segment."""
    codes, uniques = pd.factorize(labels)
    position = {name: i for i, name in enumerate(names)}
    lookup = np.array([position.get(u, -1) for u in uniques] + [-1], dtype=np.int64)
    return lookup[codes]        # factorize codes a missing label -1: the lookup's last entry


# -- domain classifier -------------------------------------------------------------------------------------

def _density_ratio(reference, current, features, kinds, random_state, max_weight, max_rows=10_000):
    """Cross-fitted P(current | x) for reference rows -> density ratio weights, plus diagnostics.

    The classifier trains on at most ``max_rows`` rows per window (3 folds); every reference row gets
    a prediction from models that did not see it (out-of-fold, or the mean of the fold models).
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from .features import FeatureEncoder, single_thread

    rng = np.random.default_rng(random_state)
    enc = FeatureEncoder(features, kinds).fit(reference, current)
    X_ref, X_cur = enc.transform(reference), enc.transform(current)
    take_ref = np.sort(rng.choice(len(X_ref), min(len(X_ref), max_rows), replace=False))
    take_cur = np.sort(rng.choice(len(X_cur), min(len(X_cur), max_rows), replace=False))
    X = np.vstack([X_ref[take_ref], X_cur[take_cur]])
    d = np.r_[np.zeros(len(take_ref)), np.ones(len(take_cur))]
    rest = np.setdiff1d(np.arange(len(X_ref)), take_ref)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=random_state)
    with single_thread():   # small fits: extra threads only contend on busy machines
        oof, rest_pred = _cross_fit(X, d, X_ref[rest], folds, enc.categorical, random_state)
    auc = float(roc_auc_score(d, oof))
    p_ref = np.empty(len(X_ref))
    p_ref[take_ref] = oof[: len(take_ref)]
    p_ref[rest] = rest_pred
    p = np.clip(p_ref, 1e-6, 1 - 1e-6)
    ratio = p / (1 - p) * (len(take_ref) / len(take_cur))
    ratio = ratio / ratio.mean()
    clipped = int((ratio > max_weight).sum())
    ratio = np.minimum(ratio, max_weight)
    outside = float((oof[len(take_ref):] > 0.99).mean())
    return ratio, {"domain_auc": auc, "n_clipped": clipped, "share_current_outside_reference": outside,
                   "absent_features": sorted(enc.missing)}


def _cross_fit(X, d, X_rest, folds, categorical, random_state):
    """Out-of-fold P(current | x) for the training rows and the fold models' mean for ``X_rest``."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    oof = np.empty(len(d))
    rest_pred = np.zeros(len(X_rest))
    n_folds = folds.get_n_splits()
    for train, test in folds.split(X, d):
        model = HistGradientBoostingClassifier(categorical_features=categorical, max_iter=80, learning_rate=0.2,
                                               max_leaf_nodes=15, early_stopping=True, validation_fraction=0.15,
                                               n_iter_no_change=8, random_state=random_state)
        model.fit(X[train], d[train])
        oof[test] = model.predict_proba(X[test])[:, 1]
        if len(X_rest):
            rest_pred += model.predict_proba(X_rest)[:, 1] / n_folds
    return oof, rest_pred


# -- the public function -------------------------------------------------------------------------------

@renamed_arguments(reference_labelled="reference", current_labelled="current", n_boot="n_resamples")
@shared_doc
def attribute_drop(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    spec: ModelSpec | None = None,
    *,
    metric: str = "roc_auc",
    segments: list[str] | None = None,
    features: list[str] | None = None,
    n_bins: int = 4,
    max_categories: int = 12,
    inclusion_prob: str | None = "auto",
    level: float = 0.95,
    n_resamples: int = 200,
    max_weight: float = 20.0,
    min_effect: float = 0.5,
    random_state: int = 0,
    **roles: Unpack[RoleOverrides],
) -> "DropAttribution":
    """Explain a change in ``metric`` between a labelled reference and a labelled current window.

    Parameters
    ----------
    reference, current
        Labelled rows of both windows (rows without a label are used only for the input shift).
    {roles}
    metric
        The metric whose change is explained (any metric of the task).
    segments
        Columns to segment by (default: ``spec.segments`` then the features).
    features
        Inputs of the domain classifier and of the per-feature relationship test (default: ``spec.features``).
    n_bins
        Quantile bins per numeric column (edges from the reference; open-ended at both ends).
    max_categories
        Most frequent categories kept per column (the rest pooled as "(other)"; new categories kept).
    {inclusion_prob}
    level, n_resamples
        Interval level and bootstrap resamples for the input-shift split.
    max_weight
        Cap on the density-ratio weights (relative to their mean).
    min_effect
        Smallest change, in log-odds (binary) or target units (regression), between the feature's
        bins of their effect beyond the model, for a relationship to count as changed.
    random_state
        Seed for the domain classifier and the bootstrap.

    Returns
    -------
    DropAttribution
        ``split`` (total change, part explained by the input shift, unexplained part), ``segments``,
        ``features`` (relationship test per feature, ``changed`` flags) and ``bins``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import toolkit as tk
    >>> rng = np.random.default_rng(0)
    >>> def window(n, flip):
    ...     x = rng.normal(size=n); z = rng.integers(0, 3, n)
    ...     p = 1 / (1 + np.exp(-(1.5 * x + (-1.0 if flip else 1.0) * (z - 1))))
    ...     score = 1 / (1 + np.exp(-(1.5 * x + (z - 1))))
    ...     return pd.DataFrame({"x": x, "z": z, "score": score, "y": (rng.random(n) < p).astype(int)})
    >>> att = tk.attribute_drop(window(3000, False), window(3000, True), target="y", score="score",
    ...                         features=["x", "z"], n_resamples=50)
    >>> att.changed_features
    ['z']
    >>> round(att.total, 2), round(att.explained_by_inputs, 2)
    (-0.18, 0.0)
    """
    check_frame("current", current)
    roles = resolve_roles(reference, spec, name="reference", caller="attribute_drop", features=features,
                          **roles)
    (metric,) = resolve_metrics(metric, roles.task)
    if not roles.features:
        raise ValueError("attribute_drop needs the model's features: pass features=[...] or a spec")
    rng = np.random.default_rng(random_state)
    ref = prepare(reference, roles, (metric,), inclusion_prob, name="reference")
    cur = prepare(current, roles, (metric,), inclusion_prob, name="current")
    ref_rows, _ = usable_rows(ref, np.arange(ref.n_rows), metric)
    cur_rows, _ = usable_rows(cur, np.arange(cur.n_rows), metric)
    if len(ref_rows) < 20 or len(cur_rows) < 20:
        raise ValueError(f"attribute_drop needs at least 20 labelled rows in each window; got "
                         f"{len(ref_rows)} (reference) and {len(cur_rows)} (current)")
    m_ref = measure(ref, ref_rows, metric, interval=False)
    m_cur = measure(cur, cur_rows, metric, interval=False)
    notes: list[str] = []

    # 1. input shift vs the rest
    kinds = roles.spec.kinds if roles.spec is not None else None
    usable_feats = [f for f in roles.features if f in reference.columns]
    ratio_all, diag = _density_ratio(reference, current, usable_feats, kinds, random_state,
                                     max_weight)
    if diag["absent_features"]:
        notes.append(f"features absent from one window (all missing there): {preview(diag['absent_features'])}")
    if diag["n_clipped"]:
        notes.append(f"{fmt_int(diag['n_clipped'])} density-ratio weights capped at {max_weight:g}")
    if diag["share_current_outside_reference"] > 0.01:
        notes.append(f"{diag['share_current_outside_reference']:.1%} of current rows lie outside the reference's "
                     "support (domain classifier > 0.99); reweighting cannot represent them")
    ratio = ratio_all[ref_rows]
    k_ref, k_cur = _kernel(ref, ref_rows), _kernel(cur, cur_rows)
    y_ref, w_ref = ref.y[ref_rows], ref.weights[ref_rows]
    y_cur, w_cur = cur.y[cur_rows], cur.weights[cur_rows]
    shifted = float(k_ref(metric, y_ref, w_ref * ratio)[0])
    ess = float((w_ref * ratio).sum() ** 2 / ((w_ref * ratio) ** 2).sum())
    b_ref, b_shift, b_cur = [], [], []
    # cache-sized blocks (the same draws as any block size): both kernels read a block while it is in cache
    for counts in bootstrap_counts(len(ref_rows), n_resamples, rng, CHUNK_CELLS):
        b_ref.append(k_ref(metric, y_ref, counts * w_ref))
        b_shift.append(k_ref(metric, y_ref, counts * w_ref * ratio))
    for counts in bootstrap_counts(len(cur_rows), n_resamples, rng, CHUNK_CELLS):
        b_cur.append(k_cur(metric, y_cur, counts * w_cur))
    b_ref, b_shift, b_cur = map(np.concatenate, (b_ref, b_shift, b_cur))
    split_rows = []
    for component, value, boot in [
        ("total change", m_cur.value - m_ref.value, b_cur - b_ref),
        ("explained by input shift", shifted - m_ref.value, b_shift - b_ref),
        ("not explained by input shift (concept drift)", m_cur.value - shifted, b_cur - b_shift),
    ]:
        low, high = percentile_interval(boot, level)
        se = float(np.nanstd(boot, ddof=1))
        p = float(2 * stats.norm.sf(abs(value) / se)) if se > 0 else np.nan
        split_rows.append({"component": component, "value": value, "lower": low, "upper": high, "p_value": p,
                           "significant": bool(p < 1 - level)})
    split = pd.DataFrame(split_rows)

    # 2. segments
    seg_cols = [c for c in (segments if segments is not None else list(roles.segments) + list(roles.features))]
    seg_cols = list(dict.fromkeys(seg_cols))
    seg_records, bin_records, feat_records = [], [], []
    for col in seg_cols:
        if col not in reference.columns or col not in current.columns:
            notes.append(f"segment column {col!r} is missing from "
                         f"{'current' if col in reference.columns else 'reference'}; skipped")
            continue
        kind = _kind(roles, reference, col)
        if kind.skipped or kind is Kind.DATETIME:
            continue
        r_lab, c_lab, names = _segment_labels(col, reference[col], current[col], kind, n_bins,
                                              max_categories)
        seg_records.extend(_segments_for(col, names, r_lab, c_lab, ref, cur, ref_rows, cur_rows, metric, m_ref,
                                         m_cur, level, rng))
        if col in roles.features:
            rec, bins = _relationship(col, names, r_lab, c_lab, ref, cur, roles)
            if rec is not None:
                feat_records.append(rec)
                bin_records.extend(bins)
    seg = pd.DataFrame.from_records(seg_records, columns=SEGMENT_COLUMNS)
    sign = -1 if HIGHER_IS_BETTER[metric] else 1
    if len(seg):
        seg = seg.sort_values("contribution", key=lambda v: sign * v.fillna(0), ascending=False,
                              kind="stable").reset_index(drop=True)
    feats = pd.DataFrame.from_records(feat_records, columns=FEATURE_COLUMNS)
    if len(feats):
        feats["q_value"] = stats.false_discovery_control(feats["p_value"].fillna(1.0).to_numpy())
        feats["changed"] = (feats["q_value"] < 1 - level) & (feats["effect"] >= min_effect)
        drifted_input = feats["input_shift_psi"] >= 0.1
        feats["verdict"] = np.select(
            [feats["changed"] & ~drifted_input, feats["changed"] & drifted_input, ~feats["changed"] & drifted_input],
            ["relationship changed (concept drift)", "relationship changed and input shifted", "input shift only"],
            default="stable")
        feats = feats.sort_values(["changed", "statistic"], ascending=[False, False], kind="stable")
        feats = feats.reset_index(drop=True)
    bins_frame = pd.DataFrame.from_records(bin_records, columns=BIN_COLUMNS)
    return DropAttribution(
        metric=metric, level=level, reference_value=m_ref.value, current_value=m_cur.value, shifted_value=shifted,
        split=split, segments=seg, features=feats, bins=bins_frame, domain_auc=diag["domain_auc"],
        effective_sample_size=ess, notes=tuple(notes),
    )


SEGMENT_COLUMNS = ["column", "segment", "n_reference", "n_current", "share_reference", "share_current",
                   "metric_reference", "metric_current", "delta", "delta_p_value", "contribution",
                   "contribution_method", "note"]
FEATURE_COLUMNS = ["feature", "statistic", "df", "p_value", "q_value", "effect", "input_shift_psi", "changed",
                   "verdict"]
BIN_COLUMNS = ["feature", "bin", "n_reference", "n_current", "label_rate_reference", "label_rate_current",
               "expected_rate_reference", "expected_rate_current", "effect_reference", "effect_current",
               "effect_change"]


def _segments_for(col, names, r_lab, c_lab, ref, cur, ref_rows, cur_rows, metric, m_ref, m_cur, level, rng):
    out = []
    r_seg, c_seg = _codes(r_lab, names)[ref_rows], _codes(c_lab, names)[cur_rows]
    w_r, w_c = ref.weights[ref_rows], cur.weights[cur_rows]
    total_r, total_c = w_r.sum(), w_c.sum()
    additive = metric in _ADDITIVE
    k_ref, k_cur = _kernel(ref, ref_rows), _kernel(cur, cur_rows)
    for i, name in enumerate(names):
        in_r, in_c = r_seg == i, c_seg == i
        if not in_r.any() and not in_c.any():
            continue
        share_r, share_c = w_r[in_r].sum() / total_r, w_c[in_c].sum() / total_c
        # the segment's test reads each side's value, standard error and replicates only (compare), so the
        # BCa jackknife and the intervals are not computed
        mr = measure(ref, ref_rows[in_r], metric, level=level, n_boot=100, rng=rng,
                     interval="se") if in_r.sum() else None
        mc = measure(cur, cur_rows[in_c], metric, level=level, n_boot=100, rng=rng,
                     interval="se") if in_c.sum() else None
        vr = mr.value if mr else np.nan
        vc = mc.value if mc else np.nan
        delta, _, _, p = compare(mc, mr, level) if (mr and mc) else (np.nan,) * 4
        note = ""
        if additive:
            perf = share_r * (vc - vr) if in_r.any() and in_c.any() else 0.0
            mix = (share_c - share_r) * ((vc if in_c.any() else vr) - m_cur.value)
            contribution = float(np.nan_to_num(perf) + np.nan_to_num(mix))
            method = "share x change + mix"
        else:
            rest_r, rest_c = ~in_r, ~in_c
            if rest_r.sum() < 2 or rest_c.sum() < 2:
                contribution, note = np.nan, "segment is (nearly) the whole window"
            else:
                wr = np.where(rest_r, w_r, 0.0)
                wc = np.where(rest_c, w_c, 0.0)
                without = (float(k_cur(metric, cur.y[cur_rows], wc)[0]) - float(k_ref(metric, ref.y[ref_rows], wr)[0]))
                contribution = (m_cur.value - m_ref.value) - without
            method = "leave-one-out"
        if not in_r.any():
            note = "new in current (not in reference)"
        elif not in_c.any():
            note = "absent from current"
        notes = [note] + [n for n in (mc.notes if mc else []) if "undefined" in n]
        out.append({"column": col, "segment": name, "n_reference": int(in_r.sum()), "n_current": int(in_c.sum()),
                    "share_reference": share_r, "share_current": share_c, "metric_reference": vr,
                    "metric_current": vc, "delta": delta, "delta_p_value": p, "contribution": contribution,
                    "contribution_method": method, "note": "; ".join(n for n in notes if n)})
    return out


def _fit_bin_effects(y, offset, codes, k, w, family):
    """Bin effects beyond the model: ``y ~ offset + a + sum_j g_j [bin = j]`` (bin 0 is the baseline bin).

    Binary: logistic regression with the model's log-odds as offset (IRLS). Otherwise: least squares
    on the residual ``y - offset``. Returns the effects ``g_1..g_{k-1}`` and their sandwich covariance.
    The design ``X`` (intercept and the indicators of bins 1..k-1) is never built: each of its products is a
    sum per bin (``X' diag(v) X`` has the total in the corner and the bins' sums on its first row, column and
    diagonal), the same algebra in O(rows) per step instead of O(rows x k^2).
    """
    codes = np.asarray(codes, dtype=np.int64)
    diag = np.arange(1, k)

    def gram(v):        # X' diag(v) X
        per = np.bincount(codes, weights=v, minlength=k)
        g = np.zeros((k, k))
        g[0, 0] = v.sum()
        g[0, 1:] = g[1:, 0] = g[diag, diag] = per[1:]
        return g

    def xt(v):          # X' v
        return np.r_[v.sum(), np.bincount(codes, weights=v, minlength=k)[1:]]

    def xb(beta):       # X beta
        return beta[0] + np.r_[0.0, beta[1:]][codes]

    beta = np.zeros(k)
    if family == "binomial":
        for _ in range(50):
            mu = special.expit(offset + xb(beta))
            var = np.maximum(mu * (1 - mu), 1e-9)
            hess = gram(w * var) + 1e-6 * np.eye(k)
            step = np.linalg.solve(hess, xt(w * (y - mu)))
            beta = np.clip(beta + np.clip(step, -5, 5), -30, 30)
            if np.max(np.abs(step)) < 1e-8:
                break
        mu = special.expit(offset + xb(beta))
        bread = np.linalg.inv(gram(w * np.maximum(mu * (1 - mu), 1e-9)) + 1e-6 * np.eye(k))
    else:
        xtwx = gram(w) + 1e-9 * np.eye(k)
        beta = np.linalg.solve(xtwx, xt(w * (y - offset)))
        mu = offset + xb(beta)
        bread = np.linalg.inv(xtwx)
    u = w * (y - mu)
    cov = bread @ gram(u * u) @ bread    # the score's outer product X' diag(u^2) X
    return beta[1:], cov[1:, 1:]


def _relationship(col, names, r_lab, c_lab, ref, cur, roles, min_rows=10):
    """Did ``col``'s link to the label change? Wald test of the change in its bin effects beyond the model.

    Binary (with a score): per window, a logistic regression of the label on the feature's bins with
    the model's log-odds as offset; a feature whose relationship to the label is what the model
    learned has bin effects near zero in both windows. A global shift (the churn rate moving for
    everyone) only moves the intercept. The test compares the bin effects of the two windows.
    Regression: the same with least squares on ``label - prediction``; multiclass: on correctness.
    """
    binary = roles.task == "binary" and ref.score is not None and cur.score is not None

    def parts(prep, lab_names):
        if binary:
            s = np.clip(prep.score, 1e-6, 1 - 1e-6)
            y, offset, expected = prep.y, np.log(s / (1 - s)), prep.score
        elif roles.task == "regression":
            y, offset, expected = prep.y, prep.prediction, prep.prediction
        else:
            y = (prep.y == prep.prediction).astype(float)
            offset, expected = np.zeros(prep.n_rows), np.full(prep.n_rows, np.nan)
        ok = prep.labelled & ~np.isnan(offset) & ~np.isnan(y)
        return y, offset, expected, ok

    yr, orr, er, okr = parts(ref, r_lab)
    yc, oc, ec, okc = parts(cur, c_lab)
    wr, wc = ref.weights, cur.weights
    kept, bins, shares_r, shares_c = [], [], [], []
    r_code, c_code = _codes(r_lab, names), _codes(c_lab, names)
    for i, name in enumerate(names):
        ir, ic = okr & (r_code == i), okc & (c_code == i)
        shares_r.append(wr[ir].sum())
        shares_c.append(wc[ic].sum())
        if ir.sum() < min_rows or ic.sum() < min_rows:
            continue
        kept.append(name)
        bins.append({"feature": col, "bin": name, "n_reference": int(ir.sum()), "n_current": int(ic.sum()),
                     "label_rate_reference": _wmean(yr[ir], wr[ir]), "label_rate_current": _wmean(yc[ic], wc[ic]),
                     "expected_rate_reference": _wmean(er[ir], wr[ir]),
                     "expected_rate_current": _wmean(ec[ic], wc[ic])})
    sr, sc = np.asarray(shares_r), np.asarray(shares_c)
    psi = np.nan
    if sr.sum() > 0 and sc.sum() > 0:
        pr, pc = (sr + 0.5) / (sr.sum() + 0.5 * len(sr)), (sc + 0.5) / (sc.sum() + 0.5 * len(sc))
        psi = float(np.sum((pc - pr) * np.log(pc / pr)))
    if len(kept) < 2:
        return None, []
    # baseline bin: the largest in the reference
    sizes = [b["n_reference"] for b in bins]
    order = [kept[int(np.argmax(sizes))]] + [n for i, n in enumerate(kept) if i != int(np.argmax(sizes))]
    code_of = {n: i for i, n in enumerate(order)}
    family = "binomial" if binary else "gaussian"

    def effects(y, offset, labs, ok, w):
        all_codes = _codes(labs, order)         # -1: a bin left out (too few rows)
        in_kept = ok & (all_codes >= 0)
        codes = all_codes[in_kept].astype(np.int64)
        return _fit_bin_effects(y[in_kept], offset[in_kept], codes, len(order), w[in_kept], family)

    try:
        g_r, v_r = effects(yr, orr, r_lab, okr, wr)
        g_c, v_c = effects(yc, oc, c_lab, okc, wc)
    except np.linalg.LinAlgError:
        return None, []
    delta = g_c - g_r
    q = float(delta @ np.linalg.pinv(v_r + v_c) @ delta)
    df = len(delta)
    full_r, full_c = np.r_[0.0, g_r], np.r_[0.0, g_c]
    change = full_c - full_r
    for b in bins:
        j = code_of[b["bin"]]
        b.update(effect_reference=full_r[j], effect_current=full_c[j], effect_change=change[j])
    return ({"feature": col, "statistic": q, "df": df, "p_value": float(stats.chi2.sf(q, df)), "q_value": np.nan,
             "effect": float(change.max() - change.min()), "input_shift_psi": psi, "changed": False,
             "verdict": ""}, bins)


def _wmean(x, w):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    ok = ~np.isnan(x)
    return float(np.sum(w[ok] * x[ok]) / np.sum(w[ok])) if ok.any() else np.nan


@dataclasses.dataclass(frozen=True, repr=False)  # the Result base's one-line repr, not a dump of its frames
class DropAttribution(Result):
    """What explains a change in a metric between two labelled windows (see :func:`attribute_drop`).

    Attributes
    ----------
    total, explained_by_inputs, unexplained
        The change (current - reference), the part expected from the input shift alone, and the rest.
    changed_features
        Features whose link to the label changed, strongest first.
    split, segments, features, bins
        Tidy frames: the split with intervals and p-values; per segment metric, shares and
        contribution; per feature heterogeneity test; per feature bin label rates and gaps.
    domain_auc
        How well a classifier tells the two windows apart from the inputs (0.5 = no input shift).
    effective_sample_size
        Kish effective size of the reweighted reference.

    Made by :func:`attribute_drop` (see its example); ``to_frame(which)`` returns one of the frames.
    """

    metric: str
    level: float
    reference_value: float
    current_value: float
    shifted_value: float
    split: pd.DataFrame
    segments: pd.DataFrame
    features: pd.DataFrame
    bins: pd.DataFrame
    domain_auc: float
    effective_sample_size: float
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return float(self.split["value"].iloc[0])

    @property
    def explained_by_inputs(self) -> float:
        return float(self.split["value"].iloc[1])

    @property
    def unexplained(self) -> float:
        return float(self.split["value"].iloc[2])

    @property
    def concept_drift(self) -> bool:
        """True when the part not explained by the input shift is significant and in the worse direction."""
        row = self.split.iloc[2]
        worse = row["value"] < 0 if HIGHER_IS_BETTER[self.metric] else row["value"] > 0
        return bool(row["significant"] and worse)

    @property
    def changed_features(self) -> list[str]:
        if self.features.empty:
            return []
        return self.features.loc[self.features["changed"], "feature"].tolist()

    def to_frame(self, which: str = "segments") -> pd.DataFrame:
        """One of the tidy frames: 'segments' (default), 'split', 'features' or 'bins' (a copy)."""
        frames = {"segments": self.segments, "split": self.split, "features": self.features, "bins": self.bins}
        if which not in frames:
            raise ValueError(f"which must be one of {list(frames)}; got {which!r}")
        return frames[which].copy()

    def chart(self, top: int = 10):
        """Bars: the split of the change, the top segment contributions, and per-feature relationship change."""
        from ..charts.performance import attribution_chart

        return attribution_chart(self, top=top)

    def _headline(self) -> str:
        text = (f"{self.metric} {self.reference_value:.3f} -> {self.current_value:.3f} ({self.total:+.3f}); "
                f"input shift explains {self.explained_by_inputs:+.3f}, the rest {self.unexplained:+.3f}")
        if self.changed_features:
            text += f"; relationship changed for {preview(self.changed_features)}"
        return text

    def to_html(self) -> str:
        body = frame_to_html(self.split)
        body += f"<p>Domain classifier AUC {self.domain_auc:.3f}; reweighted reference effective size " \
                f"{self.effective_sample_size:,.0f}.</p>"
        body += "<p>Features whose link to the label changed:</p>" + frame_to_html(self.features, max_rows=20)
        body += "<p>Segments:</p>" + frame_to_html(self.segments, max_rows=20)
        body += notes_html(self.notes)
        colour = SEVERITY_COLOURS["error"] if self.concept_drift else SEVERITY_COLOURS["info"]
        return card("Attribution of the performance change", body, headline=self._headline(), colour=colour)
