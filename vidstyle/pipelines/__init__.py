"""Pipelines: compositions of stages, nothing else. ``file.stylize_file`` (decode -> batches -> stylizer ->
temporal -> encode, nothing dropped) and ``live.LiveSession`` (camera -> stylizer -> temporal -> outputs,
latest wins); ``keyframes.stylize_keyframed`` is the file pipeline with the model painting keyframes only.
All use the stage runtime of ``vidstyle.runtime.stages`` and the per-frame steps of
``frames``.

May import: ``vidstyle.media``, ``vidstyle.live``, ``vidstyle.runtime``, ``vidstyle.temporal``. The model
runner and the stream state are passed in (``vidstyle.stylizer``: a runner's ``submit``/``stylize`` take the
state; a state has ``size``, ``active_temporal`` and ``reset()``).
"""
