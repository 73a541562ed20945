"""``stylize_video(src, dst, options)``: one video file to another, as `vidstyle file` does it."""
from __future__ import annotations

import logging

from ..media.decode import FileSource
from ..media.files import check_output_path
from ..media.hardware import pick_encoder
from ..media.writer import VideoFileSink
from ..pipelines.file import QUEUE_BATCHES, stylize_file
from ..pipelines.keyframes import stylize_keyframed
from ..runtime.device import resolve_device
from ..stylizer import ModelRunner
from ..temporal import make_temporal
from .options import VideoOptions, VideoResult

log = logging.getLogger("vidstyle")


def open_job(src: str, dst: str, o: VideoOptions, runner: ModelRunner | None):
    """The start every video job shares: ``dst`` checked (refused where it exists, unless ``o.overwrite``),
    ``src`` opened, the runner made (None: from ``o``) and a stream state of the job's own -> (source, runner,
    state). The source is closed again if anything after opening it fails."""
    check_output_path(dst, o.overwrite, (src,))
    temporal = None if o.temporal == "off" else make_temporal(o.temporal, o.temporal_strength)
    device = (runner.device if runner is not None else resolve_device(o.device)).type
    source = FileSource(src, hwaccel=o.hwaccel == "on" or (o.hwaccel == "auto" and device == "cuda"))
    try:
        runner = runner or o.runner()
        state = runner.new_state(o.style, o.strength, o.preserve_color, o.size,
                                 o.temporal_stats if temporal is not None else 0.0, temporal)
    except BaseException:
        source.close()
        raise
    return source, runner, state


def stylize_video(src: str, dst: str, options: VideoOptions | None = None,
                  runner: ModelRunner | None = None, on_frame=None) -> VideoResult:
    """Stylize the video file ``src`` into ``dst`` (its frame count, timestamps, audio, rotation, colour tags and
    metadata kept), with ``runner`` (None: one made from ``options``) and a stream state of its own. ``dst`` appears
    only when the whole job succeeds; an existing ``dst`` is refused unless ``options.overwrite``. ``on_frame()``
    (optional) is called after each frame written (from another thread)."""
    o = options or VideoOptions()
    source, runner, state = open_job(src, dst, o, runner)
    device = runner.device.type
    try:
        if runner.per_style and o.style is not None:
            log.warning("--model %s is a per-style network (its style is in its weights): --style is ignored",
                        runner.model_name)
        if source.dropped and not o.quiet:
            log.warning("dropping streams %s (only video and the first audio track are kept)",
                        source.describe_dropped())
        info, batch = source.info, o.batch or runner.default_batch
        out_w, out_h = o.out_size or (info.width, info.height)
        in_flight = (QUEUE_BATCHES * 3 + 1) * batch * 3 * (info.width * info.height + out_w * out_h)
        runner.check_memory(state, info.height, info.width, batch, extra=in_flight)
        sink = VideoFileSink(dst, info, o.out_size, crf=o.crf, preset=o.preset, audio_stream=source.audio_stream,
                             encoder=pick_encoder(o.encoder, device),
                             metadata=None if o.strip_metadata else source.metadata())
    except BaseException:
        source.close()
        raise
    if o.keyframes == 1:
        stats = stylize_file(source, sink, runner, state, batch=batch, quiet=o.quiet, on_frame=on_frame)
    else:
        every = None if o.keyframes == "auto" else o.keyframes
        stats = stylize_keyframed(source, sink, runner, state, every, quiet=o.quiet, on_frame=on_frame)
    return VideoResult(stats.frames, stats.seconds, stats.fps, runner.model_label(state),
                       state.style_name, bool(source.damage.summary()), stats.keyframes)
