"""The one stage runtime of file and live mode: worker threads, bounded and latest-wins queues, shutdown.

Protocol, the same everywhere:
- Every thread is a ``Worker``: it runs one function, and on the first exception it keeps the error and sets
  the run's shared ``stop`` event, so that every other stage ends too instead of waiting for it.
- Stages pass items through a ``Pipe`` (bounded: back-pressure, nothing dropped; file mode) or a ``Latest``
  slot (one item, the newest wins, replaced items are counted; live mode). A blocked ``put`` or ``get``
  returns as soon as ``stop`` is set, so no stage can hang on a neighbour that has gone. ``AsyncLatest`` is
  the same slot for a reader that is a coroutine on an asyncio loop (a thread hands frames to the loop).
- ``join_all`` joins every worker before the caller closes any container a worker uses, then re-raises
  the first error; the caller finalizes or removes its sink (``media.files.AtomicFile``).
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time

log = logging.getLogger("vidstyle")
END = object()  # the end-of-stream item
POLL_S = 0.1  # how often a blocked put/get looks at the stop event
SLOW_JOIN_S = 5.0  # a join that takes longer than this says what it is waiting for


class Worker(threading.Thread):
    """A daemon thread running ``target()``; its exception is kept in ``error`` and sets ``stop``."""

    def __init__(self, target, name: str, stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self._target_fn, self.stop_event, self.error = target, stop, None

    def run(self) -> None:
        try:
            self._target_fn()
        except BaseException as e:  # noqa: BLE001 - handed to the thread that joins
            self.error = e
            self.stop_event.set()


def join_all(workers, raise_error: bool = True) -> None:
    """Join every started worker (no timeout: a container is closed only once no thread uses it; one that is
    slow to stop is named once), then re-raise the first worker error when ``raise_error``."""
    for w in workers:
        if w.ident is None:
            continue
        w.join(SLOW_JOIN_S)
        if w.is_alive() and w.stop_event.is_set():
            log.warning("waiting for %s to stop", w.name.removeprefix("vidstyle-"))
        w.join()
    if raise_error:
        raise_first(workers)


def raise_first(workers) -> None:
    """Re-raise the first error of ``workers``, if any."""
    for w in workers:
        if w.error is not None:
            raise w.error


class Pipe:
    """A bounded FIFO between two stages: ``put`` blocks while full, ``get`` while empty, both give up when
    ``stop`` is set (put returns False, get returns END)."""

    def __init__(self, size: int, stop: threading.Event):
        self._q: queue.Queue = queue.Queue(maxsize=max(1, size))
        self.stop = stop

    def put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self._q.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def get(self, timeout: float | None = None):
        """The next item; END once stopped, or after ``timeout`` seconds (None: wait) with nothing."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.stop.is_set():
            wait = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
            try:
                return self._q.get(timeout=wait) if wait > 0 else self._q.get_nowait()
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    return None
        return END


class Latest:
    """A one-slot, latest-wins mailbox: ``put(item)`` never blocks and replaces an unread item (counted in
    ``dropped``), so a slow reader always gets the newest item and never a backlog. ``get(timeout)`` returns
    the newest unread item, or None on timeout or once closed and empty."""

    def __init__(self):
        self._cond = threading.Condition()
        self._item, self._full, self.closed = None, False, False
        self.dropped = 0

    def put(self, item) -> None:
        with self._cond:
            if self._full:
                self.dropped += 1
            self._item, self._full = item, True
            self._cond.notify()

    @property
    def full(self) -> bool:
        """Whether an item waits to be read."""
        with self._cond:
            return self._full

    def get(self, timeout: float | None = None):
        with self._cond:
            self._cond.wait_for(lambda: self._full or self.closed, timeout)
            item, self._item, self._full = self._item, None, False
            return item

    def close(self) -> None:
        """Wake the reader; an unread item is still handed out by the next ``get``."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class AsyncLatest:
    """A ``Latest`` slot whose reader is a coroutine on ``loop``: ``put(item)`` from any thread never blocks and
    replaces an unread item (counted in ``dropped``); ``await get()`` returns the newest unread item, or None
    once closed and empty. ``close()`` from any thread wakes the reader."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.slot, self._loop, self._ready = Latest(), loop, asyncio.Event()

    @property
    def dropped(self) -> int:
        return self.slot.dropped

    def put(self, item) -> None:
        self.slot.put(item)
        self._loop.call_soon_threadsafe(self._ready.set)

    def close(self) -> None:
        self.slot.close()
        self._loop.call_soon_threadsafe(self._ready.set)

    async def get(self):
        while True:
            self._ready.clear()  # before looking: a put that lands after the look sets it again
            if self.slot.full or self.slot.closed:
                return self.slot.get(timeout=0)
            await self._ready.wait()
