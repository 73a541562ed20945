"""vidstyle: turn any video, webcam or live stream into a moving painting in the style of any image.

``vidstyle.Stylizer`` is the Python API (imported lazily, so the CLI starts without loading torch twice).
"""
__version__ = "0.1.0"
__all__ = ["Stylizer"]


def __getattr__(name: str):
    if name == "Stylizer":
        from .api import Stylizer

        return Stylizer
    raise AttributeError(f"module 'vidstyle' has no attribute {name!r}")
