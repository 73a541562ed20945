"""Running a style network, split the way the pipelines use it: one ``ModelRunner`` per process (network,
device, precision, tiles, out-of-memory recovery, style-code cache; thread-safe) and one ``StreamState`` per
stream (style code, strength, colour option, processing size, temporal stage and statistics smoothing, colour
match cache), which every call of the runner receives. A webcam run holds one state, the browser server one per
browser, a file job one per clip. ``codes`` holds the encoded style (``StyleCode``) and its blending.

May import: ``vidstyle.models``, ``vidstyle.runtime``, ``vidstyle.media.images``, ``vidstyle.styles``,
``vidstyle.errors``; torch, NumPy.
"""
from .codes import StyleCode, blend_codes
from .runner import ModelRunner, default_model_name
from .state import StreamState

__all__ = ["ModelRunner", "StreamState", "StyleCode", "blend_codes", "default_model_name"]
