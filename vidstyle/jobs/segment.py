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
    """The frames of ``source`` from ``first`` to before ``end`` (pts; None: to the end), decoded from the
    keyframe at or before ``first``; no audio. Looks like a FileSource to the file pipeline."""

    def __init__(self, source: FileSource, first: int, end: int | None, frames: int):
        self.source, self.first, self.end = source, first, end
        self.path, self.info, self.damage = source.path, source.info, source.damage
        self.info.frames = frames

    def items(self, audio=None):
        self.source.container.seek(self.first, stream=self.source.stream, backward=True)
        for kind, frame in self.source.items(audio=None):
            if frame.pts < self.first:
                continue
            if self.end is not None and frame.pts >= self.end:
                return
            yield kind, frame

    def close(self) -> None:
        self.source.close()


class _From:
    """A sink that drops the frames before ``start`` (pts): the warm-up's outputs."""

    def __init__(self, sink: VideoFileSink, start: int):
        self.sink, self.start, self.frames = sink, start, 0
        self.requested, self.audio_mode = sink.requested, None

    def write(self, frame) -> None:
        if frame.pts >= self.start:
            self.sink.write(frame)
            self.frames += 1

    def close(self) -> None:
        self.sink.close()

    def abort(self) -> None:
        self.sink.abort()


def stylize_segment(src: str, dst: str, first: int, start: int, end: int | None, frames: int,
                    options: VideoOptions | None = None, runner: ModelRunner | None = None,
                    on_frame=None) -> VideoResult:
    """Stylize ``src``'s frames from ``first`` to before ``end`` (pts in its video time base; ``end`` None: to the
    end) and encode those from ``start`` on (a keyframe; the ones before only prime the temporal state and the
    statistics) into ``dst``, video only, with the source's timestamps and ``options``' encoder. ``frames``: how
    many frames that is (for progress). ``dst`` appears only when complete."""
    o = options or VideoOptions()
    source, runner, state = open_job(src, dst, o, runner)
    device = runner.device.type
    try:
        info, batch = source.info, o.batch or runner.default_batch
        sink = VideoFileSink(dst, info, o.out_size, crf=o.crf, preset=o.preset, encoder=pick_encoder(o.encoder, device))
    except BaseException:
        source.close()
        raise
    stats = stylize_file(_Range(source, first, end, frames), _From(sink, start), runner, state, batch=batch,
                         quiet=True, on_frame=on_frame)
    return VideoResult(stats.frames, stats.seconds, stats.fps, runner.model_label(state), state.style_name,
                       bool(source.damage.summary()))
