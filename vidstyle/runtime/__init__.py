"""What every pipeline runs on: device and precision choice, the stage runtime (worker threads, queues, one
shutdown protocol), frame <-> tensor conversions, progress reporting, and tiles (split a frame, run a model's
two passes over the tiles, blend them).

May import: ``vidstyle.errors``, torch, NumPy. Nothing else of vidstyle.
"""
