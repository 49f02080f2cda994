"""The one small base every result shares: the same faces whatever the analysis.

Every result (``DriftReport``, ``PerformanceReport``, ``HealthReport``, ...) answers

- ``to_frame()`` -- its table, a pandas DataFrame (a copy: edit it freely);
- ``chart()`` -- an Altair chart drawn from that table's aggregates, never from raw rows;
- ``headline`` -- one sentence (a ``str``) saying what it found;
- ``to_html()`` -- the card a notebook shows; ``_repr_html_`` is the same thing, escaped throughout;
- ``save_html(path)`` -- one offline HTML file with the card and the chart (the Vega JavaScript
  inlined once, nothing fetched), to attach to a ticket or an e-mail;
- ``repr(result)`` -- a short text line, never a dumped DataFrame.

A subclass provides ``chart``, ``to_frame`` (unless it keeps its table as ``frame``) and either a ``headline`` property or a ``_headline()``
method; the rest comes from here. Subclasses that draw their own card keep their ``to_html``.

Examples
--------
>>> import pandas as pd
>>> import toolkit as tk
>>> prof = tk.profile(pd.DataFrame({"plan": ["a", "b", None, "a"]}))
>>> isinstance(prof, tk.results.Result), prof.headline
(True, '4 rows, 1 column')
>>> prof.save_html("profile.html")  # one offline file, card and chart  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["Result", "WindowedResult", "page_html"]


class Result:
    """Base of every result type: ``to_frame``, ``chart``, ``headline``, ``to_html``, ``save_html``.

    It holds no state, so frozen dataclasses derive from it unchanged.
    """

    @property
    def title(self) -> str:
        """Title of the card and of the saved page: the class name in words ("Drift report")."""
        import re

        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(self).__name__).split()
        return " ".join([words[0]] + [w.lower() for w in words[1:]])

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # one method, two names: a class that wrote only _repr_html_ gets to_html, and the other way round
        if "_repr_html_" in cls.__dict__ and "to_html" not in cls.__dict__:
            cls.to_html = cls.__dict__["_repr_html_"]
        elif "to_html" in cls.__dict__ and "_repr_html_" not in cls.__dict__:
            cls._repr_html_ = cls.__dict__["to_html"]

    def to_frame(self):
        """The result's table as a DataFrame: a copy of its ``frame`` where it keeps one."""
        frame = getattr(self, "frame", None)
        if frame is None:
            raise NotImplementedError(f"{type(self).__name__} does not define to_frame()")
        return frame.copy()

    def chart(self):
        """The result drawn as an Altair chart."""
        raise NotImplementedError(f"{type(self).__name__} does not define chart()")

    @property
    def headline(self) -> str:
        """One sentence: what the result found."""
        own = getattr(self, "_headline", None)
        if callable(own):
            return str(own())
        name = type(self).__name__
        if type(self).__repr__ is not Result.__repr__:  # the class's own one-line repr says it already
            text = repr(self)
            return text[len(name) + 1:-1] if text.startswith(name + "(") and text.endswith(")") else text
        return f"{name}: {len(self.to_frame()):,} rows"

    def to_html(self) -> str:
        """The notebook card: title, headline and the table, every value escaped."""
        from ._html import card, frame_to_html

        return card(self.title, frame_to_html(self.to_frame()), headline=self.headline)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.headline})"

    def save_html(self, path: str | Path, title: str | None = None) -> Path:
        """Write one offline HTML file with the card and the chart; returns the path.

        The Vega JavaScript is inlined once and nothing is fetched from a CDN, so the file opens
        offline, with tooltips, in any browser.
        """
        return write_page(path, title or self.title, [self.to_html()], [self.chart()])


class WindowedResult(Result):
    """A result whose ``frame`` has one row per window (and metric): ``windows`` lists the labels in order."""

    @property
    def windows(self) -> list[str]:
        """Window labels in order (the same name in every result)."""
        return list(dict.fromkeys(self.frame["window"]))


def page_html(title: str, parts: list[str], charts: list = ()) -> str:
    """One offline page: ``parts`` (HTML, already escaped) then each Altair chart, Vega inlined once."""
    from ._html import escape
    from ._render import bundle_html, chart_html

    drawn = "".join(chart_html(c.to_dict()) for c in charts if c is not None)
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>"
            + bundle_html() + "</head><body>" + "".join(parts) + drawn + "</body></html>")


def write_page(path: str | Path, title: str, parts: list[str], charts: list = ()) -> Path:
    """Write :func:`page_html` to ``path`` (parent folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_html(title, parts, charts), encoding="utf-8")
    return path
