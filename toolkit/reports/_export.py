"""nbconvert side of reports: the ``toolkit`` HTML template and its Vega-bundle preprocessor."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from .. import _render

__all__ = ["TEMPLATES", "VegaBundlePreprocessor", "export_html", "external_resources"]

#: ``extra_template_basedirs`` entry holding the ``toolkit`` template folder.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_CHART_MARKER = f'data-toolkit-role="{_render.CHART_ROLE}"'
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = ('<p style="color:#555;font-style:italic">Interactive explorer: open this notebook in '
                "JupyterLab to use it (the charts above are interactive in this report).</p>")


class VegaBundlePreprocessor(Preprocessor):
    """Keep exactly one copy of the Vega JavaScript: strip it from outputs, hand it to ``<head>``.

    Every ``<script data-toolkit-role="vega-bundle">`` is removed from the cells' HTML outputs
    (outputs left empty are dropped). If any chart output remains, the first stripped bundle (or a
    fresh one) goes to ``resources["toolkit_vega_bundle"]``, which the ``toolkit`` template puts
    in ``<head>``. Widget state is dropped too: static files cannot run Python callbacks and the
    widget renderer would come from a CDN.
    """

    def preprocess(self, nb, resources):
        bundle: str | None = None
        charts = 0
        for cell in nb.cells:
            if cell.get("cell_type") != "code":
                continue
            kept = []
            for output in cell.get("outputs", []):
                data = output.get("data") or {}
                if _WIDGET_MIME in data:
                    # a live widget: its Python callbacks cannot run in a file; say where it works instead
                    output["data"] = {"text/html": _WIDGET_NOTE, "text/plain": "(interactive widget)"}
                    kept.append(output)
                    continue
                text = data.get("text/html")
                if text is not None:
                    if isinstance(text, list):
                        text = "".join(text)
                    text, found = _render.strip_bundles(text)
                    bundle = bundle or found
                    charts += text.count(_CHART_MARKER)
                    if not text.strip():
                        continue  # output was only the bundle
                    data["text/html"] = text
                kept.append(output)
            cell["outputs"] = kept
        nb.metadata.pop("widgets", None)
        if charts:
            resources["toolkit_vega_bundle"] = bundle or _render.bundle_script_body()
        resources["toolkit_chart_count"] = charts
        return nb, resources


_TITLE_RE = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _title(nb, fallback: str) -> str:
    """The notebook's metadata title, else its first level-1 Markdown heading, else ``fallback``."""
    if nb.metadata.get("title"):
        return str(nb.metadata["title"])
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            match = _TITLE_RE.search(cell.get("source", ""))
            if match:
                return match.group(1)
    return fallback


def export_html(notebook, output: str | Path, name: str | None = None) -> Path:
    """Write ``notebook`` (a path or an executed NotebookNode) as one offline HTML file.

    No code cells, no prompts, no CDN scripts, CSS and images inline, the Vega JavaScript once.
    """
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    if not isinstance(notebook, nbformat.NotebookNode):
        path = Path(notebook)
        notebook = nbformat.read(path, as_version=4)
        name = name or path.stem
    output = Path(output)
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input"}
    exporter = HTMLExporter(
        config=config,
        template_name="toolkit",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    resources = {"metadata": {"name": _title(notebook, name or output.stem)}}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(body, encoding="utf-8")
    return output


_EXTERNAL_RE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*|@import\s+(?:url\()?\s*["']?|url\(\s*["']?)"""
    r"""((?:https?:)?//[^"'\s)>]+)""",
    re.IGNORECASE,
)


def external_resources(html: str) -> list[str]:
    """URLs that ``html`` would load from the network (src/href/url(...)/@import), deduplicated.

    >>> external_resources('<script src="https://cdn.jsdelivr.net/x.js"></script><a href="#t">t</a>')
    ['https://cdn.jsdelivr.net/x.js']
    """
    return list(dict.fromkeys(m.group(1) for m in _EXTERNAL_RE.finditer(html)))
