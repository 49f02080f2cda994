"""Deferred imports for report runs: import-time work that no report uses is put off until first use.

``jsonschema`` (imported by Altair, which validates every chart, and by nbformat) registers its "iri"
format checks when the optional ``rfc3987_syntax`` package is installed, and importing that package compiles
a Lark grammar: 1.6-1.7 CPU-s measured on the demo machine, in every kernel of a report run and in the CLI
process, about a fifth of a kernel's start. Neither Vega-Lite's schema nor a notebook's uses the "iri"
format, so the grammar is never needed there. :func:`defer_iri_grammar` puts a stand-in module in
``sys.modules`` whose ``is_valid_syntax`` (what ``jsonschema`` takes) imports the real package on its first
call: the same checks are registered and give the same answers, only the grammar is built when an "iri" is
first checked, if ever.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

__all__ = ["REPORT_KERNEL", "defer_iri_grammar"]

_NAME = "rfc3987_syntax"

#: Environment variable set to "1" in the kernels :func:`toolkit.reports.run_report` starts (and by the
#: ``toolkit report`` command for itself): only there does importing ``toolkit.reports`` defer the grammar.
REPORT_KERNEL = "TOOLKIT_REPORT_KERNEL"


def _real_module(stub: types.ModuleType) -> types.ModuleType:
    """The real ``rfc3987_syntax``, imported in place of ``stub`` on first use."""
    if sys.modules.get(_NAME) is stub:
        del sys.modules[_NAME]
        try:
            importlib.import_module(_NAME)
        except BaseException:
            sys.modules.setdefault(_NAME, stub)
            raise
    return sys.modules[_NAME]


def defer_iri_grammar() -> bool:
    """Make ``rfc3987_syntax`` load on first use instead of at import; True if the stand-in was installed.

    A no-op (False) when the package is missing, already imported, or ``jsonschema`` is already imported
    (it has taken the real function then). Calling it again is harmless.

    Examples
    --------
    >>> import sys
    >>> defer_iri_grammar() in (True, False)
    True
    """
    if _NAME in sys.modules or "jsonschema" in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(_NAME)
    except (ImportError, ValueError):
        return False
    if spec is None or spec.submodule_search_locations is None:
        return False
    stub = types.ModuleType(_NAME, "Stand-in that imports rfc3987_syntax on first use (toolkit.reports._lazy).")
    stub.__spec__ = spec
    stub.__file__ = spec.origin
    stub.__path__ = list(spec.submodule_search_locations)   # `import rfc3987_syntax.x` still finds submodules

    def is_valid_syntax(term, value):
        return _real_module(stub).is_valid_syntax(term, value)

    def __getattr__(name):   # any other name: the real package's
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real_module(stub), name)

    stub.is_valid_syntax = is_valid_syntax
    stub.__getattr__ = __getattr__
    sys.modules[_NAME] = stub
    return True
