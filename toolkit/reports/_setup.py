"""The first cell of every template: offline charts on, Vega JavaScript displayed once."""
from __future__ import annotations

from .. import _render

__all__ = ["setup_notebook"]


def setup_notebook(**embed_options) -> None:
    """Make Altair charts render offline, in JupyterLab and in exported reports; call it in the first cell.

    Enables the ``"toolkit"`` Altair renderer (each chart becomes one ``<div>`` and a small
    ``vegaEmbed`` call) and displays the Vega/Vega-Lite/vega-embed JavaScript once, inline, so
    nothing is fetched from a CDN. The exported report keeps a single copy of that JavaScript in
    its ``<head>``. Calling it again is harmless.

    Parameters
    ----------
    **embed_options
        vega-embed options for every chart (e.g. ``renderer="canvas"``); defaults are
        ``renderer="svg"`` and only the offline-safe export actions.

    Examples
    --------
    >>> import altair as alt
    >>> from toolkit.reports import setup_notebook
    >>> setup_notebook()          # outside a notebook it only switches the renderer
    >>> alt.renderers.active
    'toolkit'
    >>> _ = alt.renderers.enable("default")
    """
    _render.enable(**embed_options)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # plain Python or terminal IPython: no browser to send the JavaScript to
    from IPython.display import display

    display(
        {"text/html": _render.bundle_html(), "text/plain": ""},
        raw=True,
        metadata={"toolkit": {"role": _render.BUNDLE_ROLE}},
    )
    _render.mark_bundle_shown()
