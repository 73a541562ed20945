"""vidstyle: turn any video, webcam or stream into a moving painting in the style of any image."""
__version__ = "0.1.0"
