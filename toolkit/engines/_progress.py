"""A tqdm.auto progress bar for long engine passes, fed by polling the engine from a thread.

The bar appears only when a pass has run for :data:`DELAY` seconds, so short queries (tests,
small files) print nothing; in JupyterLab ``tqdm.auto`` draws a widget, in a terminal a text bar.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator

__all__ = ["progress_bar", "DELAY"]

#: Seconds a pass must run before its bar is shown.
DELAY = 2.0
_INTERVAL = 0.25


@contextlib.contextmanager
def progress_bar(desc: str, poll: Callable[[], float | None] | None, *, enabled: bool = True,
                 delay: float | None = None) -> Iterator[None]:
    """Show a 0-100 % bar while the body runs; ``poll()`` returns the percentage done (< 0: unknown).

    ``TOOLKIT_PROGRESS=off`` turns every bar off: ``toolkit report`` sets it for its kernels, where a bar
    would only add widget messages to a notebook that no one watches."""
    if os.environ.get("TOOLKIT_PROGRESS", "").strip().lower() in ("off", "0", "false", "no"):
        enabled = False
    if not enabled or poll is None:
        yield
        return
    delay = DELAY if delay is None else delay
    stop = threading.Event()
    state: dict = {"bar": None}

    def loop() -> None:
        start = time.monotonic()
        while not stop.wait(_INTERVAL):
            try:
                value = poll()
            except Exception:  # the engine may be between statements
                continue
            if value is None or value < 0:
                continue
            if state["bar"] is None:
                if time.monotonic() - start < delay:
                    continue
                from tqdm.auto import tqdm

                state["bar"] = tqdm(total=100, desc=desc, unit="%", bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                                    "[{elapsed}<{remaining}]", leave=False)
            bar = state["bar"]
            bar.n = max(bar.n, min(float(value), 100.0))
            bar.refresh()

    thread = threading.Thread(target=loop, name="toolkit-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        if state["bar"] is not None:
            state["bar"].n = 100
            state["bar"].refresh()
            state["bar"].close()
