"""Batch: many videos, and long films cut into segments, on one machine or a Ray cluster (`vidstyle batch`).

``inputs`` turns files, folders and globs into (input, output) pairs; ``plan`` makes the tasks (a whole file, or
a segment of a long one) and runs one; ``manifest`` records what is finished so a rerun resumes; ``pools`` run
tasks in this process or on Ray actors (each holding one ``ModelRunner``); ``driver`` ties them together with one
progress line and an end summary in which each failed input has its one-line error.

May import: ``vidstyle.jobs``, ``vidstyle.media``, ``vidstyle.runtime``, ``vidstyle.errors``; Ray (optional,
imported only when used).
"""
