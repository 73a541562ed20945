"""A one-slot, latest-wins mailbox between two threads: a new item replaces an unread one (counted as dropped),
so a slow reader always gets the newest item and never a backlog."""
from __future__ import annotations

import threading


class Latest:
    """``put(item)`` never blocks; ``get(timeout)`` returns the newest unread item, or None on timeout or once
    closed and empty. ``dropped`` counts items replaced before they were read."""

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
