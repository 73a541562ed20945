"""Hotkeys of the live preview as a pure state machine: ``Controls.handle_key(key) -> action``.

No window and no model here: the live loop reads the state (style index, strength, temporal, original,
colour preservation) and acts on the ``snapshot`` and ``quit`` actions itself.
"""
from __future__ import annotations

KEYS = {"n": "next_style", "p": "prev_style", "+": "stronger", "=": "stronger", "-": "weaker", "_": "weaker",
        "t": "temporal", "o": "original", "c": "colour", "s": "snapshot", "q": "quit", "\x1b": "quit"}
HELP = ("keys: n/p next/previous style, +/- strength, t temporal on/off, o original/stylized, c colour preservation "
        "off/luma/match, s snapshot, q/Esc quit")
STEP = 0.1
COLOUR_MODES = (None, "luma", "match")  # the `c` key cycles through them


class Controls:
    """State: ``style_index`` into ``styles`` (names), ``strength`` in [0, 1], ``temporal`` and ``original``
    (show the camera frame unstylized) flags, ``preserve_color`` (one of COLOUR_MODES)."""

    def __init__(self, styles: list[str], strength: float = 1.0, temporal: bool = False,
                 preserve_color: str | None = None):
        if not styles:
            raise ValueError("at least one style is needed")
        self.styles = list(styles)
        self.style_index, self.strength, self.temporal, self.original = 0, float(strength), temporal, False
        if preserve_color not in COLOUR_MODES:
            raise ValueError(f"preserve_color must be one of {COLOUR_MODES}, got {preserve_color!r}")
        self.preserve_color = preserve_color

    @property
    def style(self) -> str:
        return self.styles[self.style_index]

    def handle_key(self, key: int | str | None) -> str | None:
        """Apply a key (a cv2.waitKey code, -1/None for none, or a one-character string); returns the action
        name ('next_style', 'prev_style', 'stronger', 'weaker', 'temporal', 'original', 'colour', 'snapshot',
        'quit') or None for an unbound key."""
        if key is None or key == -1:
            return None
        char = key if isinstance(key, str) else chr(key & 0xFF)
        action = KEYS.get(char.lower())
        if action in ("next_style", "prev_style"):
            step = 1 if action == "next_style" else -1
            self.style_index = (self.style_index + step) % len(self.styles)
        elif action in ("stronger", "weaker"):
            value = self.strength + (STEP if action == "stronger" else -STEP)
            self.strength = round(min(1.0, max(0.0, value)), 6)
        elif action == "temporal":
            self.temporal = not self.temporal
        elif action == "original":
            self.original = not self.original
        elif action == "colour":
            self.preserve_color = COLOUR_MODES[(COLOUR_MODES.index(self.preserve_color) + 1) % len(COLOUR_MODES)]
        return action
