"""Reports: run a template notebook with papermill, export one offline HTML file with nbconvert.

A template calls :func:`setup_notebook` in its first cell, has one cell tagged ``parameters``,
and draws its charts with Altair. :func:`run_report` executes it and exports it with the
``toolkit`` nbconvert template: no code, no prompts, no CDN (no require.js, MathJax or widget
loader), CSS inline, and the Vega JavaScript embedded exactly once, so the file opens offline
with working tooltips and dropdowns.

:func:`new_model` copies the templates for a new model with its ``model.yaml`` and ``contract.yaml``
(``toolkit new``); :func:`run_folder` runs a model folder's templates and writes an ``index.html``
linking the reports (``toolkit report FOLDER``).
"""
from __future__ import annotations

import html as _html
import os as _os
import re

from ._lazy import REPORT_KERNEL, defer_iri_grammar

# before anything imports jsonschema (Altair, nbformat): its optional "iri" grammar costs ~1.7 CPU-s per
# process and no report uses it; in the kernels a report run starts it loads on first use. An analyst's own
# session is left as it is: the stand-in is a change to sys.modules that only the toolkit's processes opt into
if _os.environ.get(REPORT_KERNEL) == "1":
    defer_iri_grammar()

from ._index import execute_folder, is_per_window, production_windows, run_folder
from ._new import CONFIG_FILE, new_model, parameter_defaults, template_notebooks
from ._run import CellProgress, ReportError, read_timings, report_options, run_report
from ._setup import setup_notebook

__all__ = ["run_report", "ReportError", "setup_notebook", "md_escape", "TEMPLATE_NAME", "template_dir",
           "new_model", "run_folder", "template_notebooks",
           # for the CLI and other front ends
           "execute_folder", "is_per_window", "production_windows", "CONFIG_FILE", "parameter_defaults",
           "CellProgress", "read_timings", "report_options"]

#: Name of the nbconvert template (``jupyter nbconvert --to html --template toolkit``).
TEMPLATE_NAME = "toolkit"


def template_dir():
    """Folder holding the ``toolkit`` nbconvert template (pass it as ``extra_template_basedirs``)."""
    from ._export import TEMPLATES

    return TEMPLATES


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def md_escape(value: object) -> str:
    """``str(value)`` made inert for a Markdown output: HTML-escaped and Markdown punctuation escaped.

    Use it for every data-derived string (column names, category values, paths, titles) that
    goes into ``IPython.display.Markdown`` in a template; not inside backtick code spans.

    Examples
    --------
    >>> print(md_escape("<b>*net* price</b>"))
    &lt;b&gt;\\*net\\* price&lt;/b&gt;
    """
    return _html.escape(_MD_SPECIAL.sub(r"\\\1", str(value)), quote=True)
