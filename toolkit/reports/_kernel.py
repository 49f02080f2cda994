"""The kernel client report runs talk through: waits that re-poll, so a reply that has arrived is always read.

nbclient waits for a cell's ``execute_reply`` with ``shell_channel.get_msg(timeout=None)``: one asyncio poll of
the ZeroMQ socket with no end. ZeroMQ signals readiness on an edge-triggered descriptor, and when that edge is
missed (another operation on the socket consumed it) the poll never wakes although the reply is waiting: the
report hangs with the kernel idle (nbclient issue #312; seen here on template 02's widget cell while four
reports ran at once). A wait in one-second polls reads the socket's state again each time.
"""
from __future__ import annotations

from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

#: seconds per poll of an endless wait (each poll reads the socket's state afresh)
POLL_SECONDS = 1.0


class PolledChannel(AsyncZMQSocketChannel):
    """A channel whose endless ``get_msg`` is a loop of short polls."""

    async def get_msg(self, timeout: float | None = None) -> dict:  # type: ignore[override]
        if timeout is not None:
            return await super().get_msg(timeout)
        while True:
            try:
                return await super().get_msg(POLL_SECONDS)
            except Empty:
                continue


class PolledKernelClient(AsyncKernelClient):
    """:class:`~jupyter_client.asynchronous.AsyncKernelClient` with :class:`PolledChannel` for shell and IOPub."""

    shell_channel_class = Type(PolledChannel)  # type: ignore[assignment]
    iopub_channel_class = Type(PolledChannel)  # type: ignore[assignment]
