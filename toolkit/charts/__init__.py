"""Altair charts, always drawn from a result's aggregated frame, never from raw rows.

Each domain has its own module (``drift``, ``schema``, ``performance``, ``fallback``); the shared
look lives in ``_theme``. Result objects expose these through their ``chart()`` methods.
"""
from __future__ import annotations

from ._theme import MAX_CHART_ROWS, PALETTE, check_small, themed

__all__ = ["MAX_CHART_ROWS", "PALETTE", "check_small", "themed"]


def __getattr__(name: str):
    # chart modules import altair; load them on first use (``tk.charts.signals.signals_over_time``)
    import importlib

    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
