"""The live cross-fade between styles (``n``/``p``): over FADE_S seconds of frames the picture goes linearly
from the style in use to the new one, so it changes style smoothly instead of jumping. Codes of one network
blend (one model call a frame); codes of different networks (a painting with its own per-style network) do
not, so then each frame is stylized with both and the two pictures are mixed (two calls a frame, for FADE_S)."""
from __future__ import annotations

FADE_S = 0.5  # seconds of camera time a switch takes


class StyleFade:
    """``start(a, b, t0)`` begins a fade from code a to code b at capture time t0 (seconds); ``frame(t)`` says
    what to run for a frame captured at t, with w = (t - t0) / seconds: ``(blend(a, b, w), None, 0)``, or
    where ``blend`` returns None (a and b cannot blend) ``(b, a, 1 - w)``: run b and mix a's picture in with
    weight 1 - w; ``(b, None, 0)`` from w >= 1 (the fade over). Without ``blend`` (None) nothing fades."""

    def __init__(self, blend, seconds: float = FADE_S):
        self.blend, self.seconds = blend, seconds
        self.running = None  # (a, b, t0, whether the codes blend) while fading

    def start(self, a, b, t0: float) -> bool:
        """Begin fading from a to b; False (and no fade) when there is no a or no ``blend``."""
        fades = a is not None and self.blend is not None
        self.running = (a, b, t0, self.blend(a, b, 0.0) is not None) if fades else None
        return self.running is not None

    @property
    def pictures(self) -> bool:
        """True while a fade mixes pictures (codes that do not blend)."""
        return self.running is not None and not self.running[3]

    def frame(self, t: float):
        """(code to run, code whose picture to mix in or None, its weight) for a frame captured at ``t`` (only
        while ``running``)."""
        a, b, t0, codes = self.running
        w = (t - t0) / self.seconds
        if w >= 1.0:
            self.running = None
            return b, None, 0.0
        w = max(0.0, w)
        return (self.blend(a, b, w), None, 0.0) if codes else (b, a, 1.0 - w)
