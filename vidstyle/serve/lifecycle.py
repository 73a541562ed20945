"""How ``vidstyle serve`` stops: one path, whoever asks (Ctrl-C, SIGTERM or SIGHUP through the command, the
application's own shutdown, a failed start). The first request closes every peer connection, then stops the
inference thread and joins it; every later request waits for that same run."""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("vidstyle")


class Shutdown:
    """The one stop of a served application: ``close_peers()`` (a coroutine function) closes every browser's
    connection and returns how many, then ``engine.stop()`` (serve.engine.Engine) stops and joins the inference
    thread, off the event loop. ``request(reason)`` starts it (from a signal handler or any code on the loop),
    ``await run(reason)`` starts it and waits for it; ``reason`` is the first one given (a signal, or a word)."""

    def __init__(self, close_peers, engine):
        self._close_peers, self._engine = close_peers, engine
        self.reason = None
        self.requested = asyncio.Event()  # set by the first request
        self._task: asyncio.Task | None = None

    def request(self, reason=None) -> asyncio.Task:
        if self._task is None:
            self.reason = reason
            self.requested.set()
            self._task = asyncio.ensure_future(self._stop())
        return self._task

    async def run(self, reason=None) -> None:
        await asyncio.shield(self.request(reason))  # a cancelled waiter does not cut the stop short

    async def _stop(self) -> None:
        closed = 0
        try:
            closed = await self._close_peers()
        finally:
            await asyncio.get_running_loop().run_in_executor(None, self._engine.stop)
            log.info("shut down (%s): %d connection%s closed, the inference thread %s",
                     getattr(self.reason, "name", self.reason), closed, "s" * (closed != 1),
                     "still running" if self._engine.worker.is_alive() else "stopped")
