"""Small HTML helpers for `_repr_html_`: everything escaped, CSS scoped to a unique id."""
from __future__ import annotations

import html
import uuid

import pandas as pd

__all__ = ["escape", "frame_to_html", "card", "SEVERITY_COLOURS"]

SEVERITY_COLOURS = {"error": "#c0392b", "warning": "#d68910", "info": "#2471a3", "ok": "#1e8449"}


def escape(value: object) -> str:
    """HTML-escape any value's ``str`` (quotes included)."""
    return html.escape(str(value), quote=True)


def frame_to_html(frame: pd.DataFrame, max_rows: int = 50, float_format: str | None = None) -> str:
    """Render a DataFrame as an escaped HTML table formatted for people (:mod:`toolkit.formatting`:
    shares as %, 3 significant digits, p-values floored at "< 1e-10").

    A long table with a ``window`` column keeps its latest windows and says how many earlier ones it
    elides; ``float_format`` (e.g. ``"{:.4g}"``) overrides the formatting of float columns.
    """
    from .formatting import format_frame, latest_rows

    shown, note = latest_rows(frame, max_rows)
    cells = format_frame(shown)
    if float_format is not None:
        for c in shown.columns:
            if pd.api.types.is_float_dtype(shown[c].dtype):
                cells[c] = ["" if pd.isna(v) else float_format.format(v) for v in shown[c]]
    table = cells.to_html(index=False, escape=True, border=0, classes="tk-table", na_rep="")
    if note:
        table += f"<p><em>{escape(note[0].upper() + note[1:])}.</em></p>"
    return table


def notes_html(notes) -> str:
    """A result's notes as an escaped bullet list ('' for none).

    >>> notes_html(["a < b"]), notes_html([])
    ('<ul><li>a &lt; b</li></ul>', '')
    """
    return "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>" if notes else ""


def card(title: str, body_html: str, headline: str = "", colour: str = SEVERITY_COLOURS["info"]) -> str:
    """Wrap already-escaped ``body_html`` in a titled box with CSS scoped to a fresh id."""
    uid = f"tk-{uuid.uuid4().hex[:8]}"
    style = (
        f"<style>#{uid}{{font-family:system-ui,sans-serif;border-left:4px solid {colour};"
        f"padding:6px 12px;margin:6px 0}}#{uid} .tk-table{{border-collapse:collapse;font-size:12px}}"
        f"#{uid} .tk-table td,#{uid} .tk-table th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}}"
        f"#{uid} h4{{margin:4px 0}}</style>"
    )
    head = f"<h4>{escape(title)}</h4>" + (f"<p>{escape(headline)}</p>" if headline else "")
    return f'{style}<div id="{uid}">{head}{body_html}</div>'
