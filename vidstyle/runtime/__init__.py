"""What every pipeline runs on: device and precision choice, the stage runtime (worker threads, queues, one
shutdown protocol), frame <-> tensor conversions and progress reporting.

May import: ``vidstyle.errors``, torch, NumPy. Nothing else of vidstyle.
"""
