"""Altair charts, always drawn from a result's aggregated frame, never from raw rows.

Each domain has its own module (``drift``, ``schema``, ``performance``, ``fallback``); the shared
look lives in ``_theme``. Result objects expose these through their ``chart()`` methods.
"""
from __future__ import annotations

from ._theme import MAX_CHART_ROWS, PALETTE, check_small, themed

__all__ = ["MAX_CHART_ROWS", "PALETTE", "check_small", "themed"]
