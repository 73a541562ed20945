"""Media I/O: frames, decoding, encoding, audio, still images and safe output files.

May import: ``vidstyle.errors``, PyAV, OpenCV, NumPy, Pillow. Knows nothing of models, threads or the CLI.
"""
