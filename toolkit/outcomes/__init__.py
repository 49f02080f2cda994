"""Outcome performance: realized from labels, estimated without labels, planned, and attributed.

- :func:`performance` -> :class:`PerformanceReport` : realized metrics per window with intervals.
- :func:`estimate_performance` -> :class:`PerformanceEstimate` : label-free estimates (CBPE, loss model).
- :func:`labels_needed`, :func:`detectable_drop` : sample-size planning.
- :func:`attribute_drop` -> :class:`DropAttribution` : which segments and features explain a drop.

``toolkit.performance`` names both this package and the function :func:`performance`. ``toolkit``
keeps ``tk.performance`` bound to the function (see ``toolkit._Package``). Use
``from toolkit.performance import attribution`` (not ``import toolkit.performance.attribution as
x``, which looks the name up on ``toolkit``) to reach a submodule. Names load lazily, so importing
a helper module stays cheap.
"""
from __future__ import annotations

import importlib as _importlib

_EXPORTS = {
    "performance": "realized", "PerformanceReport": "realized",
    "estimate_performance": "estimate", "PerformanceEstimate": "estimate",
    "labels_needed": "planning", "detectable_drop": "planning",
    "attribute_drop": "attribution", "DropAttribution": "attribution",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(_importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"realized", "estimate", "planning", "attribution", "metrics", "intervals"})

