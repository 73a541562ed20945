"""Pipelines: compositions of stages, nothing else. ``file.stylize_file`` (decode -> batches -> stylizer ->
temporal -> encode, nothing dropped) and ``live.LiveSession`` (camera -> stylizer -> temporal -> outputs,
latest wins). Both use the stage runtime of ``vidstyle.runtime.stages`` and the per-frame steps of
``frames``.

May import: ``vidstyle.media``, ``vidstyle.live``, ``vidstyle.runtime``, ``vidstyle.temporal``. The stylizer
is passed in (any object with ``__call__(frames, out_hw)``, ``size`` and ``reset_temporal()``).
"""
