"""Package structure rules (issue 14), enforced on the source so a regression fails here, not in review.

**Package boundary.** A module's package is the directory it sits in (``toolkit.drift.over_time`` ->
``toolkit.drift``; ``toolkit.cli`` -> ``toolkit``).

- A private *name* (``_x``, not a dunder) defined in a module may be imported, or reached as
  ``module._x``, only by modules of the same package.
- A private *module* (``_x.py``) or private subpackage is internal to the package that holds it: only
  modules in that package or below it may import it or names from it. ``toolkit/_checks.py`` serves
  the whole package; ``toolkit/engines/_sql.py`` serves ``toolkit.engines`` only.

Also: every module imports on its own, and no module shares a public name of its package (the
module-shadowing that once needed ``toolkit._Package``).
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import toolkit

ROOT = Path(toolkit.__file__).parent


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _modules() -> dict[str, Path]:
    """Module name -> file for every module under toolkit/."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package(module: str, path: Path) -> str:
    """The package a module belongs to: itself for an ``__init__``, else its parent."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve(importer: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package(importer, path).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _owner_package(module: str) -> str:
    """Package whose internals ``module`` is: the package holding it (or itself, for a package)."""
    path = MODULES.get(module)
    return module if path is not None and path.name == "__init__.py" else module.rpartition(".")[0]


def _private_module_scope(module: str) -> str | None:
    """For a module with a private component (``toolkit.engines._sql``), the package it is internal to."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if _private(part):
            return ".".join(parts[:i])
    return None


def _inside(package: str, scope: str) -> bool:
    return package == scope or package.startswith(scope + ".")


def _violations(importer: str, path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _package(importer, path)
    found = []
    aliases: dict[str, str] = {}  # local name -> toolkit module it is bound to

    def check_module(target: str, line: int) -> None:
        scope = _private_module_scope(target)
        if scope is not None and not _inside(here, scope):
            found.append(f"{path.relative_to(ROOT.parent)}:{line} imports private module {target}")

    def check_name(target: str, name: str, line: int) -> None:
        if f"{target}.{name}" in MODULES:  # a submodule, not a name
            check_module(f"{target}.{name}", line)
            return
        if _private(name) and _owner_package(target) != here:
            found.append(f"{path.relative_to(ROOT.parent)}:{line} imports private name {target}.{name}")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _resolve(importer, path, node)
            if not target.startswith("toolkit"):
                continue
            check_module(target, node.lineno)
            for alias in node.names:
                check_name(target, alias.name, node.lineno)
                if f"{target}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("toolkit"):
                    check_module(alias.name, node.lineno)
                    if alias.asname:
                        aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and _private(node.attr)):
            check_name(aliases[node.value.id], node.attr, node.lineno)
    return found


def test_no_private_names_cross_a_package_boundary():
    found = [v for module, path in MODULES.items() for v in _violations(module, path)]
    assert not found, "private names used across packages:\n" + "\n".join(found)


def test_the_rule_catches_what_it_should(tmp_path):
    """The walker itself: a cross-package private import is found, a same-package one is not."""
    cases = {
        "from ..profiles import _profile_column\n": True,      # drift -> a private name of toolkit.profiles
        "from ..engines._sql import quote\n": True,            # drift -> a private module of toolkit.engines
        "from .._checks import check_frame\n": False,          # toolkit's own private module serves its subtree
        "from .thresholds import _private_helper\n": False,    # same package
        "from .. import profiles as p\nx = p._profile_column\n": True,
    }
    for source, bad in cases.items():
        path = ROOT / "drift" / "_probe_.py"
        try:
            path.write_text(source, encoding="utf-8")
            MODULES["toolkit.drift._probe_"] = path
            assert bool(_violations("toolkit.drift._probe_", path)) is bad, source
        finally:
            MODULES.pop("toolkit.drift._probe_", None)
            path.unlink(missing_ok=True)


def test_every_module_imports_on_its_own():
    names = [m.name for m in pkgutil.walk_packages(toolkit.__path__, "toolkit.")]
    assert "toolkit.outcomes.attribution" in names and "toolkit.profiles" in names
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\nprint('ok')"
    out = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


@pytest.mark.parametrize("statement", [
    "import toolkit.outcomes.attribution as m",
    "import toolkit.outcomes.realized as m",
    "import toolkit.profiles as m",
    "import toolkit.schema.guarding as m",
    "import toolkit.drift.comparator as m",
])
def test_import_as_gives_the_module_and_functions_stay_functions(statement):
    code = (f"{statement}\nimport types, toolkit as tk\n"
            "assert isinstance(m, types.ModuleType), m\n"
            "assert callable(tk.performance) and not isinstance(tk.performance, types.ModuleType)\n"
            "assert callable(tk.profile) and not isinstance(tk.profile, types.ModuleType)\n"
            "assert callable(tk.guard) and not isinstance(tk.guard, types.ModuleType)\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


def test_no_module_shares_a_public_name_of_its_package():
    """``toolkit.X`` must not be both a module and an exported function/class (no shadowing, no _Package)."""
    clashes = []
    for module in MODULES:
        parent, _, leaf = module.rpartition(".")
        if not parent:
            continue
        package = importlib.import_module(parent)
        exported = set(getattr(package, "__all__", ())) | set(getattr(package, "_EXPORTS", {}))
        if leaf in exported and not isinstance(getattr(package, leaf), types.ModuleType):
            clashes.append(module)
    assert not clashes, clashes
    assert not hasattr(toolkit, "_Package")


@pytest.mark.parametrize("old, new", [
    ("toolkit.feedback", "toolkit.outcomes.labels"), ("toolkit.fallback", "toolkit.outcomes.fallback"),
    ("toolkit.outcome_setup", "toolkit.outcomes.setup"), ("toolkit.retraining", "toolkit.outcomes.retraining"),
    ("toolkit.retrain_data", "toolkit.outcomes.retrain_data"), ("toolkit.drift.engine", "toolkit.drift.comparator"),
])
def test_moved_modules_keep_their_old_path_for_one_release(old, new):
    """``import <old path>`` and ``tk.<old name>`` give the new module, with a DeprecationWarning."""
    attr = old.split(".", 1)[1]
    code = (
        "import warnings, types\nimport toolkit as tk\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        f"    import {old} as m\n"
        f"assert m.__name__ == {new!r}, m.__name__\n"
        f"assert any(issubclass(w.category, DeprecationWarning) and {new!r} in str(w.message) for w in caught)\n"
        "assert callable(tk.performance) and callable(tk.profile)\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
    if attr in ("feedback", "fallback"):         # these two were also attributes of toolkit
        code = ("import warnings, toolkit as tk\nwarnings.simplefilter('error')\n"
                f"try:\n    tk.{attr}\nexcept DeprecationWarning as w:\n    print('warned' if {new!r} in str(w) else w)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.stdout.strip() == "warned", out.stdout + out.stderr
