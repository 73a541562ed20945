"""The live cross-fade between styles (``n``/``p``): over FADE_S seconds of frames the style code goes linearly
from the one in use to the new one, so the picture changes style smoothly instead of jumping."""
from __future__ import annotations

FADE_S = 0.5  # seconds of camera time a switch takes


class StyleFade:
    """``start(a, b, t0)`` begins a fade from code a to code b at capture time t0 (seconds); ``code(t)`` is the
    code for a frame captured at t: ``blend(a, b, w)`` with w = (t - t0) / seconds, and b itself (the fade
    over) from w >= 1. ``blend(a, b, w)`` returns None where a and b cannot blend (different networks)."""

    def __init__(self, blend, seconds: float = FADE_S):
        self.blend, self.seconds = blend, seconds
        self.running = None  # (a, b, t0) while fading

    def start(self, a, b, t0: float) -> bool:
        """Begin fading from a to b; False (and no fade) when they cannot blend."""
        self.running = (a, b, t0) if a is not None and self.blend(a, b, 0.0) is not None else None
        return self.running is not None

    def code(self, t: float):
        """The code for a frame captured at ``t`` (only while ``running``)."""
        a, b, t0 = self.running
        w = (t - t0) / self.seconds
        if w >= 1.0:
            self.running = None
            return b
        return self.blend(a, b, max(0.0, w))
