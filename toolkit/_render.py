"""Offline Altair rendering: one ``<div>`` plus a small ``vegaEmbed`` call per chart.

The Vega, Vega-Lite and vega-embed JavaScript (about 900 KB, from ``vl_convert.javascript_bundle()``)
is never fetched from a CDN. It travels inline, once:

* in a live notebook, :func:`toolkit.reports.setup_notebook` displays it once in the first cell
  (the script only defines ``window.vegaEmbed`` if it is not defined yet); if charts are drawn
  without that call, the first chart of the kernel session carries it instead;
* in an exported report, the ``toolkit`` nbconvert template strips every copy from the outputs
  and embeds a single one in ``<head>`` (see ``toolkit.reports._export``).

Each chart output is ``<div data-toolkit-role="vega-chart">`` followed by a script whose code runs
inside an IIFE (no global names), so any number of charts can share one page. The spec JSON is
escaped so that data containing ``</script>`` or quotes cannot break out of the script.

>>> import altair as alt, pandas as pd
>>> chart = alt.Chart(pd.DataFrame({"x": ["a", "b"], "n": [1, 2]})).mark_bar().encode(x="x", y="n")
>>> bundle = toolkit_renderer(chart.to_dict(), include_bundle=False)
>>> sorted(bundle)
['text/html', 'text/plain']
>>> bundle["text/html"].count('data-toolkit-role="vega-chart"')
1
>>> bundle["text/plain"]
'<Altair chart: bar, 2 data rows (shown as an interactive chart in JupyterLab and in HTML reports)>'
"""
from __future__ import annotations

import functools
import json
import os
import re
import tempfile
import uuid
from importlib import metadata as _metadata
from pathlib import Path

__all__ = [
    "RENDERER_NAME",
    "BUNDLE_ROLE",
    "CHART_ROLE",
    "DEFAULT_EMBED_OPTIONS",
    "vega_javascript",
    "bundle_html",
    "chart_html",
    "toolkit_renderer",
    "register",
    "enable",
    "strip_bundles",
]

#: Name under which the renderer is registered in ``altair.renderers``.
RENDERER_NAME = "toolkit"
#: ``data-toolkit-role`` marker of the script carrying the Vega JavaScript.
BUNDLE_ROLE = "vega-bundle"
#: ``data-toolkit-role`` marker of each chart's ``<div>``.
CHART_ROLE = "vega-chart"

#: vega-embed options: SVG output (crisp in print, inspectable) and only the offline-safe actions
#: (the "Open in Vega Editor" action would leave the file for vega.github.io).
DEFAULT_EMBED_OPTIONS: dict = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}

_BUNDLE_MARKER = "window.vegaEmbed="
_BUNDLE_SCRIPT_RE = re.compile(
    r'<script\b[^>]*\bdata-toolkit-role="' + BUNDLE_ROLE + r'"[^>]*>(.*?)</script>\s*',
    re.DOTALL | re.IGNORECASE,
)


class _State:
    """Per-process (per kernel) memory of whether the bundle was already displayed."""

    bundle_shown = False


def mark_bundle_shown() -> None:
    """Record that the Vega bundle is on the page, so later charts do not embed it again."""
    _State.bundle_shown = True


# ----------------------------------------------------------------------------- the bundle


def _vegalite_version() -> str | None:
    """The Vega-Lite minor version Altair writes specs for (e.g. '6.4'), if vl-convert ships it."""
    import altair as alt
    import vl_convert as vlc

    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


def _cache_dir() -> Path:
    if os.environ.get("TOOLKIT_CACHE_DIR"):
        return Path(os.environ["TOOLKIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "toolkit"


@functools.lru_cache(maxsize=1)
def vega_javascript() -> str:
    """The vega-embed + Vega-Lite + Vega JavaScript bundle, defining ``window.vegaEmbed``.

    Built by vl-convert for the Vega-Lite version Altair targets (about 1.5 s), then cached in
    memory and on disk (``$TOOLKIT_CACHE_DIR``, else ``~/.cache/toolkit``) keyed by the
    vl-convert and Vega-Lite versions, so later kernels read it in milliseconds.
    """
    import vl_convert as vlc

    vl_version = _vegalite_version()
    try:
        vlc_version = _metadata.version("vl-convert-python")
    except _metadata.PackageNotFoundError:  # pragma: no cover - vendored installs
        vlc_version = getattr(vlc, "__version__", "unknown")
    path = _cache_dir() / f"vega-bundle-vlc{vlc_version}-vl{vl_version or 'default'}.js"
    try:
        text = path.read_text(encoding="utf-8")
        if _BUNDLE_MARKER in text and "</script" not in text.lower():
            return text
    except OSError:
        pass
    text = vlc.javascript_bundle(vl_version=vl_version) if vl_version else vlc.javascript_bundle()
    if "</script" in text.lower():  # would end the inline <script> early; never seen, but fatal
        raise RuntimeError("vl-convert's JavaScript bundle contains '</script' and cannot be inlined")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as f:
            f.write(text)
        os.replace(f.name, path)
    except OSError:
        pass  # read-only home: just recompute next time
    return text


def bundle_script_body(javascript: str | None = None) -> str:
    """The bundle wrapped in an IIFE that does nothing if ``window.vegaEmbed`` already exists.

    The wrapper keeps the bundle's top-level ``const`` names out of the page's global scope, so
    a second copy (a re-run setup cell in JupyterLab) is harmless.
    """
    javascript = vega_javascript() if javascript is None else javascript
    return "(function () {\nif (window.vegaEmbed) { return; }\n" + javascript + "\n})();"


def bundle_html(javascript: str | None = None) -> str:
    """``<script data-toolkit-role="vega-bundle">`` holding :func:`bundle_script_body`."""
    return (
        f'<script type="text/javascript" data-toolkit-role="{BUNDLE_ROLE}">'
        + bundle_script_body(javascript)
        + "</script>\n"
    )


def strip_bundles(html: str) -> tuple[str, str | None]:
    """Remove every bundle ``<script>`` from ``html``; return ``(html, first script body or None)``."""
    found: list[str] = []

    def _drop(match: re.Match) -> str:
        found.append(match.group(1))
        return ""

    stripped = _BUNDLE_SCRIPT_RE.sub(_drop, html)
    return stripped, (found[0] if found else None)


# ----------------------------------------------------------------------------- one chart


def _script_json(value: object) -> str:
    """JSON safe inside an inline ``<script>``: no ``</script>``, ``<!--`` or line separators."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_CHART_SCRIPT = """<script type="text/javascript">
(function () {
  var spec = %(spec)s;
  var opt = %(opt)s;
  var el = document.currentScript ? document.currentScript.previousElementSibling : null;
  if (!el || el.id !== "%(id)s") { el = document.getElementById("%(id)s"); }
  function fail(message) {
    console.error("toolkit chart: " + message);
    if (el) { el.textContent = "This chart could not be drawn: " + message; }
  }
  function draw() {
    window.vegaEmbed(el, spec, opt).catch(function (err) { fail(String(err)); });
  }
  if (window.vegaEmbed) { draw(); return; }
  var tries = 0;
  (function wait() {
    if (window.vegaEmbed) { draw(); }
    else if (++tries > 200) { fail("the Vega JavaScript is not loaded; run toolkit.reports.setup_notebook() in the first cell"); }
    else { setTimeout(wait, 50); }
  })();
})();
</script>"""


def chart_html(spec: dict, embed_options: dict | None = None, mode: str = "vega-lite") -> str:
    """The ``<div>`` + IIFE ``<script>`` drawing one Vega-Lite (or Vega) spec with vegaEmbed."""
    div_id = f"tk-vega-{uuid.uuid4().hex[:12]}"
    opt = {**DEFAULT_EMBED_OPTIONS, **(embed_options or {}), "mode": mode}
    return (
        f'<div id="{div_id}" class="tk-vega-chart" data-toolkit-role="{CHART_ROLE}"></div>'
        + _CHART_SCRIPT % {"spec": _script_json(spec), "opt": _script_json(opt), "id": div_id}
    )


def _describe(spec: dict) -> str:
    """A one-line text/plain stand-in for the chart."""
    mark = spec.get("mark")
    if isinstance(mark, dict):
        mark = mark.get("type")
    if mark is None:
        for key in ("layer", "hconcat", "vconcat", "concat", "spec"):
            if key in spec:
                mark = "layered" if key == "layer" else "compound"
                break
    rows = sum(len(v) for v in (spec.get("datasets") or {}).values() if isinstance(v, list))
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    what = f"Altair chart{f' {title!r}' if title else ''}: {mark or 'chart'}, {rows:,} data rows"
    return f"<{what} (shown as an interactive chart in JupyterLab and in HTML reports)>"


def toolkit_renderer(spec: dict, embed_options: dict | None = None, include_bundle: bool | None = None,
                     **metadata) -> dict[str, str]:
    """Altair renderer: ``{"text/html": div + script, "text/plain": description}``.

    ``include_bundle=None`` (the default) prepends the Vega JavaScript only to the first chart of
    a session in which :func:`toolkit.reports.setup_notebook` has not displayed it.
    """
    from altair.utils._vegafusion_data import compile_with_vegafusion, using_vegafusion

    mode = "vega-lite"
    if using_vegafusion():  # only when the user enabled it; charts are pre-aggregated anyway
        spec, mode = compile_with_vegafusion(spec), "vega"
    html = chart_html(spec, embed_options, mode)
    if include_bundle is None:
        include_bundle = not _State.bundle_shown
    if include_bundle:
        html = bundle_html() + html
        _State.bundle_shown = True
    return {"text/html": html, "text/plain": _describe(spec)}


# ----------------------------------------------------------------------------- registration


def register() -> None:
    """Register :func:`toolkit_renderer` as ``alt.renderers`` entry ``"toolkit"`` (idempotent)."""
    import altair as alt

    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, toolkit_renderer)


def enable(**embed_options) -> None:
    """Register and enable the renderer; ``embed_options`` go to vega-embed."""
    import altair as alt

    register()
    if embed_options:
        alt.renderers.enable(RENDERER_NAME, embed_options=embed_options)
    else:
        alt.renderers.enable(RENDERER_NAME)
