"""``Tally``: the frame count behind a batch's one progress line. Workers report how many frames a task has
written in its current attempt, not frames since their last report, so a task retried after its worker died
(which starts again from its first frame) counts its frames once, and the count never passes the total."""
from __future__ import annotations


class Tally:
    """Frames done of ``total`` for ``tasks`` (each with ``key`` and ``frames``, its expected count; 0: unknown),
    plus ``done`` frames that an earlier run finished (a resumed batch: they count in both).

    ``running(key, n)``: the task has written ``n`` frames in its current attempt (a retry reports from 0 again;
    its frames count once it passes the attempt before, so the count never goes back). ``finished(key, frames)``:
    it is complete (all its expected frames count; a task of unknown length adds the ``frames`` it wrote to both
    count and total). ``failed(key)``: it will write no more (its frames not written leave the total).
    Invariant: 0 <= count <= total."""

    def __init__(self, tasks, done: int = 0):
        self.expected = {t.key: max(0, t.frames) for t in tasks}
        self.seen = dict.fromkeys(self.expected, 0)
        self.total = self.count = done
        self.total += sum(self.expected.values())

    def running(self, key: str, n: int) -> None:
        cap = self.expected[key]
        n = min(n, cap)  # unknown length (cap 0): counted when finished
        if n > self.seen[key]:
            self.count += n - self.seen[key]
            self.seen[key] = n

    def finished(self, key: str, frames: int) -> None:
        if not self.expected[key]:
            self.expected[key] = frames
            self.total += frames
        self.count += self.expected[key] - self.seen[key]
        self.seen[key] = self.expected[key]

    def failed(self, key: str) -> None:
        self.total -= self.expected[key] - self.seen[key]
        self.expected[key] = self.seen[key]
