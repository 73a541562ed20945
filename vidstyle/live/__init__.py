"""Live I/O: cameras (and the capture thread that keeps only the newest frame), outputs (recording, network
stream, virtual camera), the preview window and its hotkeys, and the wall-clock stamp for delay checks.

May import: ``vidstyle.media``, ``vidstyle.runtime``, ``vidstyle.errors``, OpenCV, PyAV. No models.
"""
