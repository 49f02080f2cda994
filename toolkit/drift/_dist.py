"""Null distributions the default comparison needs, in numpy and the standard library.

Importing ``scipy.stats`` costs more than the whole 1M-row comparison's profiling (0.5-1 s of
imports, mostly docstring parsing), so the default path computes its few tail probabilities here:

* :func:`kolmogorov_sf` -- the exact two-sided one-sample KS law at ``n`` (the ``kstwo`` of the
  two-sample p-value at the effective size), for ``n > 100_000`` with scipy's own algorithm
  (Simard & L'Ecuyer 2011: Pelz-Good for the body, twice the exact one-sided Smirnov tail by the
  Birnbaum-Tingey sum beyond ``n x^2 >= 2.2``); smaller ``n`` defer to ``scipy.stats.kstwo`` (lazily
  imported; the exact Durbin matrix there is what those sizes need).
* :func:`kolmogorov_isf` -- the inverse of the limiting Kolmogorov law (``kstwobign.isf``).
* :func:`chi2_sf` -- the regularised upper incomplete gamma ``Q(dof/2, x/2)`` (series / Lentz
  continued fraction, as in Numerical Recipes 6.2).
* :func:`fisher_exact_2x2` -- the two-sided Fisher test of the missing-share signal (small counts).
* :func:`norm_sf`, :func:`norm_isf`, :func:`xlogy`.

Agreement with scipy (tests/test_drift_dist.py): relative 1e-8 on every p-value above 1e-300, except
the KS tail beyond ``n x^2 >= 2.2`` at ``n > 1_000_000`` (Smirnov's expansion, within relative 1e-4
of scipy's own approximation there; such p-values are far below any alpha).

>>> round(chi2_sf(3.84, 1), 4), round(norm_sf(1.96), 4), round(kolmogorov_isf(0.05), 4)
(0.05, 0.025, 1.3581)
"""
from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

_N01 = NormalDist()
_PI2 = math.pi**2
_PI4 = math.pi**4
_PI6 = math.pi**6
_SQRT2PI = math.sqrt(2 * math.pi)
_SQRT3 = math.sqrt(3.0)
#: below this effective size the exact law needs the Durbin matrix: scipy does it (lazy import)
LARGE_N = 100_000
#: above this size the one-sided tail uses Smirnov's expansion (within 1e-4 of scipy, relative, at z <= 13)
EXACT_TAIL_N = 1_000_000


def xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x * log(y)`` with ``0 * log(0) = 0`` (``scipy.special.xlogy``)."""
    x = np.asarray(x, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where(x == 0, 0.0, out)


def norm_sf(z: float) -> float:
    """Upper tail of the standard normal, accurate far into the tail (erfc)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def norm_isf(p: float) -> float:
    """Inverse upper tail of the standard normal (accurate for tiny ``p``)."""
    return -_N01.inv_cdf(p)


def norm_ppf(p: float) -> float:
    return _N01.inv_cdf(p)


def _kolmogorov_limit_sf(x: float) -> float:
    # 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2): converges fast for x >= 0.3; below, 1 - the theta form
    if x <= 0:
        return 1.0
    if x < 0.6:
        s = sum(math.exp(-((2 * k - 1) ** 2) * _PI2 / (8 * x * x)) for k in range(1, 30))
        return 1.0 - _SQRT2PI / x * s
    return 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * x * x) for k in range(1, 101))


def kolmogorov_isf(alpha: float) -> float:
    """x with P(K > x) = alpha for the limiting Kolmogorov law (``scipy.stats.kstwobign.isf``)."""
    if not 0 < alpha < 1:
        return math.inf if alpha <= 0 else 0.0
    lo, hi = 0.05, 10.0
    for _ in range(200):  # bisection to machine precision: the law is monotone, 200 halvings suffice
        mid = 0.5 * (lo + hi)
        if _kolmogorov_limit_sf(mid) > alpha:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 4e-16 * hi:
            break
    return 0.5 * (lo + hi)


def _pelz_good_sf(n: int, x: float) -> float:
    """1 - P(D_n <= x) by the Pelz-Good (1976) expansion, as scipy.stats._ksstats._kolmogn_PelzGood."""
    z = math.sqrt(n) * x
    z2, z3, z4, z6 = z**2, z**3, z**4, z**6
    qlog = -_PI2 / 8 / z2
    if qlog < -708:
        return 1.0
    q = math.exp(qlog)
    k1a, k1b = -z2, _PI2 / 4
    k2a, k2b, k2c = 6 * z6 + 2 * z4, (2 * z4 - 5 * z2) * _PI2 / 4, _PI4 * (1 - 2 * z2) / 16
    k3d = _PI6 * (5 - 30 * z2) / 64
    k3c = _PI4 * (-60 * z2 + 212 * z4) / 16
    k3b = _PI2 * (135 * z4 - 96 * z6) / 4
    k3a = -30 * z6 - 90 * z**8
    K = np.zeros(4)
    maxk = int(math.ceil(16 * z / math.pi))
    for k in range(maxk, 0, -1):
        m = 2 * k - 1
        m2, m4, m6 = m**2, m**4, m**6
        K *= q ** (8 * k)
        K += np.array([1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6])
    K *= q * _SQRT2PI
    K /= np.array([z, 6 * z4, 72 * z**7, 6480 * z**10])
    q = math.exp(-_PI2 / 2 / z2)
    ks = np.arange(maxk, 0, -1, dtype="float64")
    ks2 = ks**2
    qp = q**ks2
    K[2] += float(np.sum(ks2 * qp)) * _PI2 * _SQRT2PI / (-36 * z3)
    kspi = math.pi * ks
    K[3] += float(np.sum((_SQRT3 * z + kspi) * (_SQRT3 * z - kspi) * ks2 * qp)) * _PI2 * _SQRT2PI / (216 * z6)
    K /= np.power(float(n), np.arange(4) / 2.0)
    K *= -1
    K[0] += 1
    return float(K.sum())


def smirnov_sf(n: int, x: float) -> float:
    """Exact P(D_n^+ >= x), the one-sided KS tail, by the Birnbaum-Tingey sum in log space.

    Terms are summed in chunks from j = 0 and the sum stops once they are negligible (they fall
    off geometrically past the mode), so large n costs only the terms that matter.

    >>> round(smirnov_sf(1000, 0.05), 6)  # scipy.special.smirnov(1000, 0.05) = 0.0065060...
    0.006506
    """
    if x <= 0:
        return 1.0
    if x >= 1:
        return 0.0
    jmax = int(math.floor(n * (1 - x)))
    chunk = 1 << 16
    log_c0 = 0.0  # log C(n, j) at the chunk's first j
    best = -math.inf
    total = 0.0  # sum of exp(term - best)
    start = 0
    while start <= jmax:
        j = np.arange(start, min(start + chunk, jmax + 1), dtype="float64")
        steps = np.log((n - j[1:] + 1) / j[1:]) if start == 0 else np.log((n - j + 1) / j)
        if start == 0:
            logc = np.concatenate([[0.0], np.cumsum(steps)])
        else:
            logc = log_c0 + np.cumsum(steps)
        log_c0 = float(logc[-1])
        a = 1 - x - j / n
        with np.errstate(divide="ignore", invalid="ignore"):
            t = logc + (n - j) * np.log(np.where(a > 0, a, 1.0)) + (j - 1) * np.log(x + j / n)
        t = np.where(a > 0, t, -np.inf)
        cmax = float(t.max())
        if cmax > best:
            total = total * math.exp(best - cmax) if best > -math.inf else 0.0
            best = cmax
        total += float(np.exp(t - best).sum())
        start += chunk
        if cmax < best - 60 and t[-1] <= t[0]:
            break  # past the mode and 1e-26 below it: the rest cannot move the sum
    return float(min(1.0, x * math.exp(best) * total)) if best > -math.inf else 0.0


def kolmogorov_sf(d: float, n: int) -> float:
    """P(D_n >= d) for the two-sided one-sample KS statistic (``scipy.stats.kstwo.sf(d, n)``)."""
    n = int(n)
    if n <= LARGE_N:
        from scipy import stats  # the exact small-n law; only reached for smaller windows

        return float(stats.kstwo.sf(d, n))
    if d >= 1.0:
        return 0.0
    if d <= 0.0:
        return 1.0
    t = n * d
    if t <= 1.0:
        if t <= 0.5:
            return 1.0
        logp = math.lgamma(n + 1) - n * math.log(n) + n * math.log(2 * t - 1)
        return float(min(1.0, max(0.0, 1.0 - math.exp(logp))))
    if t >= n - 1:
        return float(min(1.0, 2 * (1.0 - d) ** n))
    nx2 = t * d
    if d >= 0.5 or nx2 >= 2.2:
        if nx2 >= 370.0:
            return 0.0
        if n > EXACT_TAIL_N:
            # Smirnov's expansion P(sqrt(n) D+ >= z) = exp(-2 z^2) (1 - 2 z / (3 sqrt(n)) + O(1/n)): the
            # exact sum would cost seconds here, and the p-value only ranks columns already far out
            z = d * math.sqrt(n)
            return float(min(1.0, max(0.0, 2 * math.exp(-2 * z * z) * (1 - 2 * z / (3 * math.sqrt(n))))))
        return float(min(1.0, max(0.0, 2 * smirnov_sf(n, d))))
    if nx2 >= 18.0:
        return 0.0
    return float(min(1.0, max(0.0, _pelz_good_sf(n, d))))


def chi2_sf(x: float, dof: int) -> float:
    """Upper tail of the chi-square law: Q(dof / 2, x / 2) (``scipy.stats.chi2.sf``)."""
    if dof <= 0:
        return math.nan
    if not x > 0:
        return 1.0 if x == 0 or x < 0 else math.nan
    a, y = dof / 2.0, x / 2.0
    log_pre = a * math.log(y) - y - math.lgamma(a)
    if y < a + 1.0:  # series for P, then Q = 1 - P
        term = total = 1.0 / a
        ap = a
        for _ in range(100_000):
            ap += 1.0
            term *= y / ap
            total += term
            if abs(term) < abs(total) * 1e-17:
                break
        return float(max(0.0, 1.0 - total * math.exp(log_pre)))
    # modified Lentz continued fraction for Q
    tiny = 1e-300
    b = y + 1.0 - a
    c = 1.0 / tiny
    dd = 1.0 / b
    h = dd
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2.0
        dd = an * dd + b
        dd = tiny if abs(dd) < tiny else dd
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        dd = 1.0 / dd
        delta = dd * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return float(math.exp(log_pre) * h)


def fisher_exact_2x2(marked_in_draw: int, marked: int, draw: int, total: int) -> float:
    """Two-sided Fisher exact p-value (``scipy.stats.fisher_exact(table).pvalue``) from the hypergeometric law.

    ``marked_in_draw`` of the ``draw`` rows of one side are marked, of ``marked`` marked rows in
    ``total``. As scipy, sums the probabilities of every table no more likely than the observed one
    (with a relative tolerance of 1e-7); computed in log space over the whole support.

    >>> round(fisher_exact_2x2(30, 35, 1000, 2000), 7)  # scipy: fisher_exact([[30, 970], [5, 995]])
    1.92e-05
    """
    lo, hi = max(0, marked - (total - draw)), min(marked, draw)
    if hi <= lo:
        return 1.0
    k = np.arange(lo, hi, dtype="float64")
    with np.errstate(divide="ignore"):
        step = (np.log(marked - k) + np.log(draw - k) - np.log(k + 1) - np.log(total - marked - draw + k + 1))
    logp = np.concatenate([[0.0], np.cumsum(step)])
    top = float(logp.max())
    log_norm = top + math.log(float(np.exp(logp - top).sum()))
    observed = logp[int(marked_in_draw) - lo]
    keep = logp <= observed + math.log1p(1e-7)
    picked = logp[keep]
    pm = float(picked.max())
    return float(min(1.0, math.exp(pm - log_norm) * float(np.exp(picked - pm).sum())))
