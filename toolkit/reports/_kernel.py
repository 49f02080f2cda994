"""The kernel client report runs talk through: waits that re-poll, so a reply that has arrived is always read.

nbclient waits for a cell's ``execute_reply`` with one asyncio poll of the ZeroMQ socket for the whole cell
timeout (600 s by default). ZeroMQ signals readiness on an edge-triggered descriptor, and when that edge is
missed (another operation on the socket consumed it) the poll wakes only at the timeout, finds the reply
waiting and goes on: the report took 10 minutes longer with the kernel idle (nbclient issue #312; seen here on
template 02's widget cell while four reports ran at once, 617 s instead of 10). Waiting in polls of at most one
second reads the socket's state again each time.
"""
from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

#: the longest single poll of a wait, in seconds (each poll reads the socket's state afresh)
POLL_SECONDS = 1.0


class PolledChannel(AsyncZMQSocketChannel):
    """A channel whose ``get_msg`` waits in polls of at most :data:`POLL_SECONDS`, up to the same deadline."""

    async def get_msg(self, timeout: float | None = None) -> dict:  # type: ignore[override]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))
            try:
                return await super().get_msg(left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class PolledKernelClient(AsyncKernelClient):
    """:class:`~jupyter_client.asynchronous.AsyncKernelClient` with :class:`PolledChannel` for shell and IOPub."""

    shell_channel_class = Type(PolledChannel)  # type: ignore[assignment]
    iopub_channel_class = Type(PolledChannel)  # type: ignore[assignment]
