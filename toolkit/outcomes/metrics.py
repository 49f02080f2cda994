"""Weighted, vectorised metric kernels.

Every kernel evaluates a metric for many weightings (or many label vectors) at once: ``Y`` and ``W``
are arrays of shape ``(n,)`` or ``(R, n)`` that broadcast against each other, and the result has
shape ``(R,)``. One implementation therefore serves the point estimate (``W`` = design weights),
the bootstrap (``W`` = resample counts x design weights) and the label simulation behind the
label-free estimates (``Y`` = simulated labels).

Examples
--------
>>> import numpy as np
>>> from toolkit.outcomes.metrics import BinaryKernel
>>> y = np.array([0, 0, 1, 1.0]); s = np.array([0.1, 0.4, 0.35, 0.8])
>>> k = BinaryKernel(score=s, prediction=(s >= 0.5).astype(float))
>>> float(k("roc_auc", y, np.ones(4))[0]), float(k("accuracy", y, np.ones(4))[0])
(0.75, 0.75)
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "BINARY_METRICS", "MULTICLASS_METRICS", "REGRESSION_METRICS", "METRICS_BY_TASK", "DEFAULT_METRICS",
    "HIGHER_IS_BETTER", "PROPORTIONS", "SCORE_METRICS", "BinaryKernel", "MulticlassKernel",
    "RegressionKernel", "bootstrap_counts", "resample_counts",
]

BINARY_METRICS = ("roc_auc", "accuracy", "precision", "recall", "f1", "log_loss", "brier", "ece")
MULTICLASS_METRICS = ("accuracy", "macro_f1")
REGRESSION_METRICS = ("mae", "rmse", "mape")
METRICS_BY_TASK = {"binary": BINARY_METRICS, "multiclass": MULTICLASS_METRICS, "regression": REGRESSION_METRICS}
DEFAULT_METRICS = {"binary": ("roc_auc", "accuracy"), "multiclass": ("accuracy", "macro_f1"),
                   "regression": ("mae", "rmse")}
HIGHER_IS_BETTER = {"roc_auc": True, "accuracy": True, "precision": True, "recall": True, "f1": True,
                    "macro_f1": True, "log_loss": False, "brier": False, "ece": False, "mae": False,
                    "rmse": False, "mape": False}
#: metrics that are a proportion of rows (Wilson intervals when unweighted)
PROPORTIONS = ("accuracy", "precision", "recall")
#: binary metrics computed from the score (the rest from the predicted label)
SCORE_METRICS = ("roc_auc", "log_loss", "brier", "ece")

_EPS = 1e-15


def _two_d(a: np.ndarray) -> np.ndarray:
    return a[None, :] if a.ndim == 1 else a


def _wdot(Y: np.ndarray, W: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row sums of ``W * Y * v`` for 2-D ``Y``, ``W`` (one of them may have a single row): a
    matrix-vector product whenever one side is a single row."""
    if W.shape[0] == 1:
        return Y @ (W[0] * v)
    if Y.shape[0] == 1:
        return W @ (Y[0] * v)
    return (W * Y * v).sum(axis=1)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


class BinaryKernel:
    """Binary metrics for a fixed score (and predicted label) vector.

    Parameters
    ----------
    score
        Probability of the positive class per row (needed for roc_auc, log_loss, brier, ece).
    prediction
        Predicted label per row, 0/1 (needed for accuracy, precision, recall, f1).
    n_bins
        Equal-width bins for the expected calibration error.
    """

    def __init__(self, score: np.ndarray | None = None, prediction: np.ndarray | None = None, n_bins: int = 10):
        self.score = None if score is None else np.asarray(score, dtype=float)
        self.prediction = None if prediction is None else np.asarray(prediction, dtype=float)
        self.n_bins = n_bins
        self._sorted = None

    def _ranks(self):
        """Sort order of the scores (None when already sorted), and tie groups (None when no ties)."""
        if self._sorted is None:
            s = self.score
            presorted = bool(np.all(s[1:] >= s[:-1]))
            order = None if presorted else np.argsort(s, kind="mergesort")
            ss = s if presorted else s[order]
            new_group = np.r_[True, ss[1:] != ss[:-1]]
            if new_group.all():
                groups = None
            else:
                starts = np.flatnonzero(new_group)
                ends = np.r_[starts[1:], ss.size] - 1
                size = np.diff(np.r_[starts, ss.size])
                groups = (np.repeat(starts, size), np.repeat(ends, size))
            self._sorted = (order, groups)
        return self._sorted

    def __call__(self, metric: str, Y: np.ndarray, W: np.ndarray) -> np.ndarray:
        Y, W = _two_d(np.asarray(Y, dtype=float)), _two_d(np.asarray(W, dtype=float))
        if metric == "roc_auc":
            return self.auc(Y, W)
        total = W.sum(axis=1)
        if metric in ("log_loss", "brier", "ece"):
            s = self.score
            if metric == "brier":
                return _ratio((W * (Y - s) ** 2).sum(axis=1), total)
            if metric == "log_loss":  # linear in the labels
                sc = np.clip(s, _EPS, 1 - _EPS)
                return _ratio(_wdot(Y, W, np.log1p(-sc) - np.log(sc)) - W @ np.log1p(-sc), total)
            bins = np.minimum((s * self.n_bins).astype(np.int64), self.n_bins - 1)
            onehot = np.zeros((s.size, self.n_bins))
            onehot[np.arange(s.size), bins] = 1.0
            gaps = (W * (Y - s)) @ onehot
            return _ratio(np.abs(gaps).sum(axis=1), total)
        p = self.prediction
        tp = _wdot(Y, W, p)
        if metric == "accuracy":  # sum W [Y p + (1 - Y)(1 - p)], linear in the labels
            return _ratio(_wdot(Y, W, 2 * p - 1) + W @ (1 - p), total)
        if metric == "precision":
            return _ratio(tp, W @ p)
        if metric == "recall":
            return _ratio(tp, _wdot(Y, W, np.ones_like(p)))
        if metric == "f1":
            return _ratio(2 * tp, W @ p + _wdot(Y, W, np.ones_like(p)))
        raise ValueError(f"unknown binary metric {metric!r}; valid: {list(BINARY_METRICS)}")

    def ratio_terms(self, metric: str, y: np.ndarray):
        """Per-row ``(a, b, transform)`` with ``metric = sum(w a) / sum(w b)`` for 0/1 labels ``y``, or
        None when the metric is not a ratio of sums (roc_auc, ece)."""
        s, p = self.score, self.prediction
        one = np.ones_like(y, dtype=float)
        if metric == "accuracy":
            return y * p + (1 - y) * (1 - p), one, None
        if metric == "precision":
            return y * p, p, None
        if metric == "recall":
            return y * p, y, None
        if metric == "f1":
            return 2 * y * p, p + y, None
        if metric == "brier":
            return (y - s) ** 2, one, None
        if metric == "log_loss":
            sc = np.clip(s, _EPS, 1 - _EPS)
            return -(y * np.log(sc) + (1 - y) * np.log1p(-sc)), one, None
        return None

    def auc(self, Y: np.ndarray, W: np.ndarray) -> np.ndarray:
        """Weighted ROC AUC with ties counted half: sum of w_i w_j [s_i > s_j] over positive-negative pairs
        ``i != j``. Soft labels ``0 < Y < 1`` give the ratio of the expected pair counts.

        Pass rows sorted by score to skip a copy (:func:`toolkit.outcomes.realized.measure` does).
        """
        order, groups = self._ranks()
        if Y.shape[0] == 1 and W.shape[0] > 1 and np.all((Y == 0) | (Y == 1)):
            return self._auc_shared_labels(Y[0] == 1, W, order, groups)
        if order is not None:
            W, Y = W[:, order], Y[:, order]
        pos = W * Y
        neg = W - pos
        cum = np.cumsum(neg, axis=1)
        if groups is None:
            num = (pos * (cum - 0.5 * neg)).sum(axis=1)
        else:
            padded = np.concatenate([np.zeros((cum.shape[0], 1)), cum], axis=1)
            start, end = groups
            below, through = padded[:, start], padded[:, end + 1]
            num = (pos * (0.5 * (below + through))).sum(axis=1)
        # a row never pairs with itself: with 0/1 labels this term is 0; with soft labels (the expected
        # AUC of label-free estimation) it would add p(1-p) tie pairs per row and pull small windows to 0.5
        self_pairs = (pos * neg).sum(axis=1)
        return _ratio(num - 0.5 * self_pairs, pos.sum(axis=1) * cum[:, -1] - self_pairs)


    def _auc_shared_labels(self, positive: np.ndarray, W: np.ndarray, order, groups) -> np.ndarray:
        """:meth:`auc` for one 0/1 label vector under many weight rows (bootstrap resamples), same sums.

        Only the negatives' weights are accumulated (in score order) and read at each positive's tie group
        boundaries (below it, and through its tie group: half of the tied negatives count), so the work is
        one cumulative sum over the negatives and gathers over the positives instead of several passes over
        every row; a 0/1 label never pairs with itself, so there is no self-pair term.
        """
        n = positive.size
        order = np.arange(n) if order is None else order
        pos_sorted = positive[order]
        neg_cols, pos_cols = order[~pos_sorted], order[pos_sorted]
        # negatives strictly below each position in score order, and through the end of its tie group
        neg_before = np.cumsum(~pos_sorted) - (~pos_sorted)
        if groups is None:
            below = through = neg_before[pos_sorted]
        else:
            start, end = groups
            below = neg_before[start][pos_sorted]
            through = (neg_before[end] + ~pos_sorted[end])[pos_sorted]
        cum = np.zeros((W.shape[0], neg_cols.size + 1))
        np.cumsum(W[:, neg_cols], axis=1, out=cum[:, 1:])
        wp = W[:, pos_cols]
        if groups is None:
            num = (wp * cum[:, below]).sum(axis=1)
        else:
            num = (wp * (0.5 * (cum[:, below] + cum[:, through]))).sum(axis=1)
        return _ratio(num, wp.sum(axis=1) * cum[:, -1])

    def auc_unweighted(self, Y: np.ndarray) -> np.ndarray:
        """ROC AUC of each row of 0/1 labels ``Y`` with unit weights: the Mann-Whitney statistic from the
        scores' midranks, one matrix-vector product (ties count one half, as in :meth:`auc`)."""
        from scipy.stats import rankdata

        if getattr(self, "_midranks", None) is None:
            self._midranks = rankdata(self.score)
        Y = _two_d(np.asarray(Y, dtype=float))
        n1 = Y.sum(axis=1)
        n0 = Y.shape[1] - n1
        return _ratio(Y @ self._midranks - n1 * (n1 + 1) / 2, n1 * n0)


class MulticlassKernel:
    """Accuracy and macro F1 for integer-coded classes ``0..n_classes-1``."""

    def __init__(self, prediction: np.ndarray, n_classes: int):
        self.prediction = np.asarray(prediction, dtype=np.int64)
        self.n_classes = int(n_classes)

    def ratio_terms(self, metric: str, y: np.ndarray):
        """``(a, b, None)`` for accuracy (a ratio of sums); None for macro F1 (a mean of ratios)."""
        if metric == "accuracy":
            return (np.asarray(y) == self.prediction).astype(float), np.ones(len(self.prediction)), None
        return None

    def __call__(self, metric: str, Y: np.ndarray, W: np.ndarray) -> np.ndarray:
        Y, W = _two_d(np.asarray(Y)), _two_d(np.asarray(W, dtype=float))
        p = self.prediction
        if metric == "accuracy":
            return _ratio((W * (Y == p)).sum(axis=1), W.sum(axis=1))
        if metric == "macro_f1":
            scores = []
            for c in range(self.n_classes):
                yc, pc = (Y == c), (p == c)
                tp = (W * (yc & pc)).sum(axis=1)
                den = (W * pc).sum(axis=1) + (W * yc).sum(axis=1)
                scores.append(_ratio(2 * tp, den))
            stacked = np.vstack(scores)
            with np.errstate(invalid="ignore"):
                present = ~np.isnan(stacked)
                return np.where(present.any(axis=0), np.nansum(stacked, axis=0) / np.maximum(present.sum(axis=0), 1),
                                np.nan)
        raise ValueError(f"unknown multiclass metric {metric!r}; valid: {list(MULTICLASS_METRICS)}")


class RegressionKernel:
    """MAE, RMSE and MAPE (rows with a zero target are left out of MAPE)."""

    def __init__(self, prediction: np.ndarray):
        self.prediction = np.asarray(prediction, dtype=float)

    def ratio_terms(self, metric: str, y: np.ndarray):
        """Per-row ``(a, b, transform)`` with ``metric = transform(sum(w a) / sum(w b))``."""
        err = y - self.prediction
        one = np.ones_like(err)
        if metric == "mae":
            return np.abs(err), one, None
        if metric == "rmse":
            return err**2, one, "sqrt"
        if metric == "mape":
            nz = (y != 0).astype(float)
            return np.abs(err) / np.where(y != 0, np.abs(y), 1.0) * nz, nz, None
        return None

    def __call__(self, metric: str, Y: np.ndarray, W: np.ndarray) -> np.ndarray:
        Y, W = _two_d(np.asarray(Y, dtype=float)), _two_d(np.asarray(W, dtype=float))
        err = Y - self.prediction
        if metric == "mae":
            return _ratio((W * np.abs(err)).sum(axis=1), W.sum(axis=1))
        if metric == "rmse":
            return np.sqrt(_ratio((W * err**2).sum(axis=1), W.sum(axis=1)))
        if metric == "mape":
            nonzero = Y != 0
            rel = np.abs(err) / np.where(nonzero, np.abs(Y), 1.0)
            return _ratio((W * rel * nonzero).sum(axis=1), (W * nonzero).sum(axis=1))
        raise ValueError(f"unknown regression metric {metric!r}; valid: {list(REGRESSION_METRICS)}")


def bootstrap_counts(n: int, n_boot: int, rng: np.random.Generator, max_cells: int = 4_000_000):
    """Yield blocks of multinomial resample counts, shape ``(b, n)``, ``b`` summing to ``n_boot``.

    Blocks keep ``b * n`` under ``max_cells`` so memory stays bounded for large windows.
    """
    block = max(1, min(n_boot, max_cells // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        yield resample_counts(n, b, rng)
        done += b


#: entries one ``np.bincount`` of :func:`resample_counts` scatters into: 512 kB of counts stay in the CPU cache,
#: where counting a (1000, 8600) block at once wrote across 69 MB and took three times as long
_SCATTER = 1 << 16


def resample_counts(total: int, b: int, rng: np.random.Generator, cell_of_row: np.ndarray | None = None,
                    n_cells: int | None = None) -> np.ndarray:
    """Counts ``(b, cells)`` of ``b`` row bootstraps: each draws ``total`` rows uniformly with replacement
    (``rng.integers(0, total)``, row-major) and counts them per cell (``cell_of_row[row]``; None: one row a cell).

    The draws are the same numbers, in the same order, as one ``rng.integers(0, total, size=(b, total))``
    (numpy draws 32-bit words for ranges below 2**32 whatever the dtype asked for), so how the rows are
    counted (in cache-sized chunks here) never changes a seeded result.
    """
    c = total if cell_of_row is None else int(n_cells)
    dtype = np.uint32 if total <= 2**32 else np.int64
    out = np.empty((b, c))
    step = max(1, _SCATTER // max(c, 1))       # resamples counted by one bincount
    for i in range(0, b, step):
        k = min(step, b - i)
        idx = rng.integers(0, total, size=(k, total), dtype=dtype)
        if cell_of_row is not None:
            idx = cell_of_row[idx]
        if k == 1:
            out[i] = np.bincount(idx[0], minlength=c)
        else:
            idx = idx.astype(np.int64, copy=False) + (np.arange(k, dtype=np.int64) * c)[:, None]
            out[i:i + k] = np.bincount(idx.ravel(), minlength=k * c).reshape(k, c)
    return out
