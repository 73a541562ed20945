"""``stylize_segment``: frames [start, end) of a video file into a file of their own (video only), primed by the
frames before them, so that segments stylized apart join (``media.segments.join``) into what `vidstyle file`
would have written."""
from __future__ import annotations

from ..media.decode import FileSource
from ..media.hardware import pick_encoder
from ..media.writer import VideoFileSink
from ..pipelines.file import stylize_file
from ..stylizer import ModelRunner
from .options import VideoOptions, VideoResult
from .video import open_job


class _Range:
    """The frames of ``source`` from ``first`` to before ``end`` (pts; None: to the end), then ``more`` frames
    after it, decoded from the keyframe at or before ``first``; no audio. Looks like a FileSource to the file
    pipeline (``frames``: how many that is)."""

    def __init__(self, source: FileSource, first: int, end: int | None, more: int, frames: int):
        self.source, self.first, self.end, self.more = source, first, end, more
        self.path, self.info, self.damage = source.path, source.info, source.damage
        self.info.frames = frames

    def items(self, audio=None):
        self.source.container.seek(self.first, stream=self.source.stream, backward=True)
        after = 0
        for kind, frame in self.source.items(audio=None):
            if frame.pts < self.first:
                continue
            if self.end is not None and frame.pts >= self.end:
                if after == self.more:
                    return
                after += 1
            yield kind, frame

    def close(self) -> None:
        self.source.close()


class _From:
    """A sink that drops the frames before ``start`` (pts): the warm-up's outputs; ``frames`` counts those it
    writes before ``end`` (None: all; the ones after only feed the encoder's look-ahead)."""

    def __init__(self, sink: VideoFileSink, start: int, end: int | None):
        self.sink, self.start, self.end, self.frames = sink, start, end, 0
        self.requested, self.audio_mode = sink.requested, None

    def write(self, frame) -> None:
        if frame.pts >= self.start:
            self.sink.write(frame)
            if self.end is None or frame.pts < self.end:
                self.frames += 1

    def close(self) -> None:
        self.sink.close()

    def abort(self) -> None:
        self.sink.abort()


def stylize_segment(src: str, dst: str, first: int, start: int, end: int | None, frames: int,
                    options: VideoOptions | None = None, runner: ModelRunner | None = None,
                    on_frame=None, lookahead: int = 0, zones: str = "") -> VideoResult:
    """Stylize ``src``'s frames from ``first`` to before ``end`` (pts in its video time base; ``end`` None: to the
    end) and write those from ``start`` (a keyframe) on into ``dst``, video only, with the source's timestamps and
    ``options``' encoder. The frames before ``start`` only prime the temporal state and the statistics; the
    ``lookahead`` frames from ``end`` on are stylized and encoded for the encoder's look-ahead, not written.
    ``zones``: x264 zones (``media.encode.join_zones``). ``frames``: how many frames are stylized (for progress).
    ``dst`` appears only when complete; the result counts the frames written."""
    o = options or VideoOptions()
    source, runner, state = open_job(src, dst, o, runner)
    device = runner.device.type
    try:
        info, batch = source.info, o.batch or runner.default_batch
        sink = VideoFileSink(dst, info, o.out_size, crf=o.crf, preset=o.preset, encoder=pick_encoder(o.encoder, device),
                             zones=zones, until=end)
    except BaseException:
        source.close()
        raise
    stats = stylize_file(_Range(source, first, end, lookahead, frames), _From(sink, start, end), runner, state,
                         batch=batch, quiet=True, on_frame=on_frame)
    return VideoResult(stats.frames, stats.seconds, stats.fps, runner.model_label(state), state.style_name,
                       bool(source.damage.summary()))
