"""Installed, not only cloned: the wheel ships the templates, and `toolkit new` + `toolkit report` work from it.

Builds the wheel from a copy of the sources (the checkout stays clean) with ``--no-build-isolation`` when
this environment has a build backend (setuptools >= 70.1, in the ``[test]`` extra: then nothing is
downloaded; otherwise pip fetches one from the package index, and the test skips, saying why, when it
cannot), installs it with ``--no-deps`` into a fresh virtualenv that borrows this environment's
site-packages for the dependencies (a ``.pth`` line), then runs the installed ``toolkit`` from a
folder outside the checkout, with PYTHONPATH cleared so the checkout cannot leak in.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from test_new_model import ROLES, write_tiny_model

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # the borrowed dependencies keep their data files (nbconvert's HTML templates) under this prefix;
    # a real install puts them under the venv's own share/jupyter
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return env


def _build_isolation() -> tuple[list[str], str]:
    """``--no-build-isolation`` when this environment can build the wheel itself (nothing downloaded):
    setuptools >= 70.1 builds wheels alone, an older one (>= 68, what pyproject.toml asks) with ``wheel``."""
    try:
        import setuptools
    except ImportError:
        return [], "no setuptools in this environment"
    version = tuple(int(x) for x in setuptools.__version__.split(".")[:2] if x.isdigit())
    if version >= (70, 1):
        return ["--no-build-isolation"], ""
    try:
        import wheel  # noqa: F401
    except ImportError:
        return [], f"setuptools {setuptools.__version__} needs the wheel package to build wheels"
    if version >= (68,):
        return ["--no-build-isolation"], ""
    return [], f"setuptools {setuptools.__version__} is older than pyproject.toml's >= 68"


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if "ERROR" in line] or stderr.strip().splitlines()[-1:]
    return lines[0][:200] if lines else "no output"


def _offline(stderr: str) -> bool:
    words = ("Could not find a version", "No matching distribution", "Failed to establish a new connection",
             "Temporary failure in name resolution", "Network is unreachable", "connection error")
    return any(w.lower() in stderr.lower() for w in words)


@pytest.mark.slow
def test_wheel_ships_templates_and_runs_outside_the_checkout(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("toolkit", "notebooks"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    isolation, why = _build_isolation()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w",
                            str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=600,
                           env=_env())
    if built.returncode != 0 and isolation == [] and _offline(built.stderr):
        pytest.skip(f"cannot build the wheel: {why}, and pip could not download a build backend "
                    f"(no network): {_first_error(built.stderr)}. Fix: pip install "
                    "'setuptools>=70.1' (the [test] extra has it)")
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel_path,) = (tmp_path / "dist").glob("toolkit-*.whl")
    names = zipfile.ZipFile(wheel_path).namelist()
    templates = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(n.split("/")[-1] for n in names if n.startswith("toolkit/notebooks/")) == templates

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=_env())
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True, env=_env()).stdout.strip()
    # the dependencies come from this environment's site-packages, after the fresh venv's own
    deps = [p for p in {sysconfig.get_paths()["purelib"], *site.getsitepackages()} if Path(p).is_dir()]
    (Path(purelib) / "_toolkit_test_deps.pth").write_text("\n".join(deps) + "\n")
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel_path)],
                               capture_output=True, text=True, timeout=300, env=_env())
    assert installed.returncode == 0, installed.stderr[-3000:]

    work = tmp_path / "work"
    tiny = write_tiny_model(work)
    where = subprocess.run([str(python), "-c", "import toolkit; print(toolkit.__file__)"], capture_output=True,
                           text=True, cwd=work, env=_env(), check=True).stdout.strip()
    assert where.startswith(purelib), where           # the wheel's copy, not the checkout
    toolkit = str(venv / "bin" / "toolkit")
    args = [toolkit, "new", "churn", "--baseline", str(tiny["baseline"]), "--production", str(tiny["production"]),
            "--labels", str(tiny["labels"]), "--quiet"]
    for role, column in ROLES.items():
        args += [f"--{role}", column]
    created = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=work, env=_env())
    assert created.returncode == 0, created.stderr
    assert sorted(p.name for p in (work / "churn").glob("*.ipynb")) == [t for t in templates if t != "00_smoke.ipynb"]
    report = subprocess.run([toolkit, "report", "churn/01_compare_baseline.ipynb", "-p", "multivariate=false",
                             "--output", "01.html"], capture_output=True, text=True, timeout=900, cwd=work,
                            env=_env())
    assert report.returncode == 0, report.stderr[-3000:]
    assert (work / "01.html").stat().st_size > 10_000
