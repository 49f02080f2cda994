"""The scipy-free tails of the default comparison (toolkit/drift/_dist.py) agree with scipy.

scipy is imported here as the reference only; the default ``tk.compare`` path must not import it
(checked in a fresh interpreter at the end).
"""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import signal, special, stats

from toolkit.drift import _dist
from toolkit.drift import thresholds as th

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("n", [100_001, 495_000])  # scipy's exact tail costs ~1 s a call here
@pytest.mark.parametrize("z", [0.3, 0.6, 1.36, 2.0, 5.0, 13.0])
def test_kolmogorov_sf_matches_scipy_kstwo_at_large_n(n, z):
    d = z / math.sqrt(n)
    assert _dist.kolmogorov_sf(d, n) == pytest.approx(stats.kstwo.sf(d, n), rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("n", [1_500_000, 2_000_001, 5_000_000, 50_000_000])
@pytest.mark.parametrize("z", [1.0, 1.5, 3.0, 8.0, 13.0])
def test_kolmogorov_sf_beyond_the_exact_tail_size_within_documented_tolerance(n, z):
    d = z / math.sqrt(n)
    assert _dist.kolmogorov_sf(d, n) == pytest.approx(stats.kstwo.sf(d, n), rel=1e-4, abs=1e-300)


def test_kolmogorov_sf_edges_and_small_n_defer_to_scipy():
    assert _dist.kolmogorov_sf(0.0, 200_000) == 1.0
    assert _dist.kolmogorov_sf(1.0, 200_000) == 0.0
    assert _dist.kolmogorov_sf(0.9 / 200_000, 200_000) == pytest.approx(stats.kstwo.sf(0.9 / 200_000, 200_000), rel=1e-9)
    for n, d in [(50, 0.2), (5_000, 0.02), (100_000, 0.004)]:
        assert _dist.kolmogorov_sf(d, n) == pytest.approx(stats.kstwo.sf(d, n), rel=1e-12)


@pytest.mark.parametrize("n,x", [(1000, 0.05), (200_000, 0.004), (495_000, 0.003), (1_000_000, 0.002)])
def test_smirnov_one_sided_tail_matches_scipy(n, x):
    assert _dist.smirnov_sf(n, x) == pytest.approx(special.smirnov(n, x), rel=1e-8)


@pytest.mark.parametrize("dof", [1, 2, 3, 10, 49, 299, 999])
def test_chi2_sf_matches_scipy(dof):
    for x in [0.01, 0.5, 1.0, dof / 2, dof, dof + 3 * math.sqrt(2 * dof), 3 * dof, 10 * dof + 100]:
        assert _dist.chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-10, abs=1e-300)
    assert _dist.chi2_sf(0.0, dof) == 1.0


@pytest.mark.parametrize("alpha", [0.5, 0.05, 0.05 / 3, 1e-3, 1e-6, 1e-10])
def test_normal_and_kolmogorov_quantiles_match_scipy(alpha):
    assert _dist.kolmogorov_isf(alpha) == pytest.approx(stats.kstwobign.isf(alpha), rel=1e-10)
    assert _dist.norm_isf(alpha) == pytest.approx(stats.norm.isf(alpha), rel=1e-9)
    assert _dist.norm_ppf(1 - alpha) == pytest.approx(stats.norm.ppf(1 - alpha), rel=1e-9)


def test_norm_sf_and_xlogy_match_scipy():
    for z in [0.0, 0.5, 1.96, 5.0, 20.0, 37.0]:
        assert _dist.norm_sf(z) == pytest.approx(stats.norm.sf(z), rel=1e-12)
    x = np.array([0.0, 0.0, 1.0, 2.0, 0.3])
    y = np.array([0.0, 1.0, 0.0, 3.0, 0.7])
    np.testing.assert_array_equal(_dist.xlogy(x, y), special.xlogy(x, y))


@pytest.mark.parametrize("table", [(30, 970, 5, 995), (0, 1000, 2200, 217800), (3, 7, 1, 9), (1, 0, 0, 1),
                                   (0, 5, 5, 0), (500, 500, 450, 550), (2, 998, 9, 991), (0, 40, 0, 60)])
def test_fisher_exact_matches_scipy(table):
    a, b, c, d = table
    ours = _dist.fisher_exact_2x2(a, a + c, a + b, a + b + c + d)
    assert ours == pytest.approx(stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("size", [5, 130, 2048, 3000, 60_000])
def test_self_convolution_matches_fftconvolve(size):
    p = np.random.default_rng(size).random(size)
    p /= p.sum()
    np.testing.assert_allclose(th._self_convolve(p), signal.fftconvolve(p, p), rtol=0, atol=1e-15)


def test_default_compare_does_not_import_scipy():
    code = (
        "import sys, numpy as np, pandas as pd, toolkit as tk\n"
        "rng = np.random.default_rng(0)\n"
        "n = 220_000\n"  # effective KS size above 100k: the scipy-free exact law

        "ref = pd.DataFrame({'x': rng.normal(size=n), 'c': rng.choice(list('abc'), n)})\n"
        "cur = pd.DataFrame({'x': rng.normal(0.05, size=n), 'c': rng.choice(list('abc'), n)})\n"
        "ref.loc[::100, 'x'] = np.nan\n"
        "report = tk.compare(ref, cur)\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize("engine", ["auto", "duckdb"])
def test_compare_on_parquet_paths_does_not_import_scipy(tmp_path, engine):
    """The path input too: read into memory (auto, within the row budget) or profiled in DuckDB."""
    code = (
        "import sys, numpy as np, pandas as pd, toolkit as tk\n"
        "rng = np.random.default_rng(0)\n"
        "n = 220_000\n"
        "ref = pd.DataFrame({'x': rng.normal(size=n), 'c': rng.choice(list('abc'), n)})\n"
        "cur = pd.DataFrame({'x': rng.normal(0.05, size=n), 'c': rng.choice(list('abc'), n)})\n"
        "ref.loc[::100, 'x'] = np.nan\n"
        f"ref.to_parquet(sys.argv[1] + '/ref.parquet'); cur.to_parquet(sys.argv[1] + '/cur.parquet')\n"
        "before = [m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')]\n"
        f"report = tk.compare(sys.argv[1] + '/ref.parquet', sys.argv[1] + '/cur.parquet', engine={engine!r})\n"
        "assert report.drifted == ['x'], report.drifted\n"
        "print(report.engine, before, sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == f"{'pandas' if engine == 'auto' else 'duckdb'} [] []", out.stdout
