"""One stream's state: what to paint with and the history that makes a video steady."""
from __future__ import annotations

from ..errors import VidstyleError
from ..models.colour import MODES as COLOUR_MODES
from ..models.stats import StatsEMA


class StreamState:
    """The settings and history of one stream (a clip, a camera run, a browser), passed to every
    ``ModelRunner`` call for it; made by ``ModelRunner.new_state``.

    style_name, style_code: the style in use (a ``StyleCode``); strength: alpha in [0, 1]; preserve_color:
    None, 'luma' or 'match' (see the property); size: processing short side in pixels (None: the input's);
    stats_ema: the content-statistics EMA (``models.stats.StatsEMA``) of models that normalize content features,
    or None, used while ``smooth_stats``; temporal: the temporal stage (``temporal.make_temporal``) or None,
    used while ``temporal_on``; matched: the colour-matched style code of 'match' (None: not matched yet).
    """

    def __init__(self, name: str, code, strength: float = 1.0, preserve_color: str | None = None,
                 size: int | None = None, stats_ema=None, temporal=None):
        self.style_name, self.style_code = name, code
        self.strength = strength
        self.preserve_color = preserve_color
        self.size = size
        self.stats_ema, self.smooth_stats = stats_ema, stats_ema is not None
        self.temporal, self.temporal_on = temporal, temporal is not None
        self.match_warned = False
        self._selected = (id(code), self.temporal_on)

    @property
    def strength(self) -> float:
        return self._strength

    @strength.setter
    def strength(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise VidstyleError(f"style strength must be between 0 and 1, got {value}")
        self._strength = float(value)

    @property
    def preserve_color(self) -> str | None:
        """None (the style's colours), 'luma' (the stylized luminance with the content's chroma) or 'match'
        (the style image's colours matched to the content's before encoding it; the content is the first frame
        stylized since the style, this setting or ``reset()`` last changed). Settable at run time."""
        return self._preserve_color

    @preserve_color.setter
    def preserve_color(self, value: str | None) -> None:
        value = None if value in (None, "", "off", "none") else value
        if value is not None and value not in COLOUR_MODES:
            raise VidstyleError(f"preserve_color must be None, {' or '.join(map(repr, COLOUR_MODES))}, got {value!r}")
        self._preserve_color, self.matched = value, None

    @property
    def active_temporal(self):
        """The temporal stage to run on this stream's frames now, or None."""
        return self.temporal if self.temporal_on else None

    def reset(self) -> None:
        """Forget the history (a new clip or shot): statistics EMA, temporal stage and colour match."""
        if self.stats_ema is not None:
            self.stats_ema.reset()
        if self.temporal is not None:
            self.temporal.reset()
        self.matched = None

    def fork(self, temporal=None) -> StreamState:
        """A new stream's state with this one's style, strength, colour option and size, its own (empty)
        history, and the temporal stage ``temporal`` (None: none)."""
        ema = None if self.stats_ema is None else StatsEMA(self.stats_ema.beta, self.stats_ema.cut)
        return StreamState(self.style_name, self.style_code, self.strength, self.preserve_color, self.size, ema,
                           temporal)

    def follow(self, name: str, code, temporal_on: bool, strength: float, preserve_color: str | None) -> None:
        """Take a stream's requested controls before its next frame: ``select`` the style and temporal switch,
        then the strength and the colour option (a changed option matches colours again)."""
        self.select(name, code, temporal_on)
        if self.strength != strength:
            self.strength = strength
        if self.preserve_color != preserve_color:
            self.preserve_color = preserve_color

    def select(self, name: str, code, temporal_on: bool) -> bool:
        """Switch to style (name, code) with the temporal stage on or off; the history starts afresh when the
        code or the switch differs from the last ``select`` (nothing is smoothed across a jump). Returns
        whether it did."""
        self.style_name, self.style_code = name, code
        self.temporal_on = temporal_on and self.temporal is not None
        self.smooth_stats = self.temporal_on and self.stats_ema is not None
        changed = (id(code), self.temporal_on) != self._selected
        if changed:
            self.reset()
            self._selected = (id(code), self.temporal_on)
        return changed
