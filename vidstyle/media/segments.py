"""Long videos in pieces: ``index`` lists a file's video frame times, keyframes and packet sizes (packets only,
nothing decoded), ``cuts`` picks segment starts at keyframes where the picture changes least, and ``join`` puts
separately encoded segments back into one file without re-encoding, with the source's audio (muxed once),
rotation and tags."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction

import av

from ..errors import VidstyleError
from .audio import AudioTrack
from .decode import FileSource, open_input
from .files import AtomicFile, container_format

CHANGE_FRAMES = 3  # frames on each side of a keyframe whose packet sizes say how much the picture changes there


@dataclass
class VideoIndex:
    """pts: every video frame's timestamp, sorted, in ``time_base`` units; keyframes: those of keyframes;
    sizes: each frame's packet size in bytes, by pts (how much the frame changes what came before, for inter
    frames)."""

    time_base: Fraction
    pts: list[int]
    keyframes: list[int]
    sizes: dict[int, int] = field(default_factory=dict)


def index(path: str) -> VideoIndex:
    """The frame times and keyframes of ``path``'s first video stream, from its packets. Raises VidstyleError."""
    with open_input(path) as c:
        if not c.streams.video:
            raise VidstyleError(f"input has no video stream: {path}")
        s = c.streams.video[0]
        pts, keys, sizes = [], [], {}
        try:
            for p in c.demux(s):
                if p.pts is None:
                    continue
                pts.append(p.pts)
                sizes[p.pts] = p.size
                if p.is_keyframe:
                    keys.append(p.pts)
        except av.error.FFmpegError:
            pass  # a damaged tail: the segments end where the packets do
        return VideoIndex(s.time_base, sorted(pts), sorted(keys), sizes)


def cuts(ix: VideoIndex, seconds: float) -> list[int]:
    """Segment start times (pts): the first frame, then, among the keyframes ``seconds`` to 1.5 ``seconds``
    after the last start that leave at least half of ``seconds`` after them, the one where the picture changes
    least (``change``; the earliest of equals; the first keyframe past ``seconds`` when none lies in that
    window). A join is least visible there: its frame pair shows no more motion than the stream around it. The
    last segment is kept at least half as long (else merged into the one before)."""
    if not ix.pts:
        return []
    starts, step = [ix.pts[0]], seconds / float(ix.time_base)
    where = {p: i for i, p in enumerate(ix.pts)}
    while True:
        later = [k for k in ix.keyframes if k - starts[-1] >= step]
        if not later:
            break
        window = [k for k in later if k - starts[-1] <= 1.5 * step and ix.pts[-1] - k >= step / 2] or later[:1]
        starts.append(min(window, key=lambda k: change(ix, where[k])))
    if len(starts) > 1 and ix.pts[-1] - starts[-1] < step / 2:
        starts.pop()
    return starts


def change(ix: VideoIndex, i: int, around: int = CHANGE_FRAMES) -> float:
    """How much the picture changes around frame ``i`` (an index into ``ix.pts``): the mean packet size of the
    ``around`` frames on each side, the keyframe itself left out (0 where sizes are unknown)."""
    near = [ix.sizes.get(ix.pts[j], 0) for j in range(max(0, i - around), min(len(ix.pts), i + around + 1)) if j != i]
    return sum(near) / len(near) if near else 0.0


def join(parts: list[str], src: str, dst: str, metadata: bool = True) -> int:
    """Write ``dst`` from the video of the segment files ``parts`` (in order; same encoder settings, timestamps
    of ``src``), packets copied, with ``src``'s first audio track, rotation and (with ``metadata``) tags. The
    file appears whole or not at all. Returns the number of video frames."""
    source = FileSource(src)
    ins = [av.open(p) for p in parts]
    file = AtomicFile(dst)
    try:
        first = ins[0].streams.video[0]
        for c, p in zip(ins[1:], parts[1:]):
            if c.streams.video[0].codec_context.extradata != first.codec_context.extradata:
                raise VidstyleError(f"segment {p} was encoded with other settings than {parts[0]}: cannot join")
        out = av.open(file.tmp, "w", format=container_format(dst))
        video = out.add_stream_from_template(first)
        if source.info.rotation:
            video.set_display_rotation(source.info.rotation)
        track = (AudioTrack(out, source.audio_stream, os.path.splitext(dst)[1].lower() == ".webm", dst)
                 if source.audio_stream is not None else None)
        if metadata:
            tags = source.metadata()
            out.metadata.update(tags.container)
            video.metadata.update(tags.video)
            if track:
                track.stream.metadata.update(tags.audio)
        audio = _audio_items(source, track.mode) if track else iter(())
        pending, frames = next(audio, None), 0
        for c in ins:
            for packet in c.demux(c.streams.video[0]):
                if packet.dts is None:
                    continue
                t = float(packet.pts * packet.time_base)
                while track and pending is not None and _seconds(pending) <= t:
                    track.add(pending)
                    pending = next(audio, None)
                if track:
                    track.flush(t)
                packet.stream = video
                out.mux(packet)
                frames += 1
        if track:
            while pending is not None:
                track.add(pending)
                pending = next(audio, None)
            track.close()
        out.close()
        file.commit()
        return frames
    finally:
        file.discard()
        for c in ins:
            c.close()
        source.close()


def _seconds(item) -> float:
    return float(item.pts * item.time_base) if item.pts is not None and item.time_base else 0.0


def _audio_items(source: FileSource, mode: str):
    """The source's audio as packets (``mode`` 'copy') or decoded frames ('decode'), in order."""
    for packet in source.container.demux(source.audio_stream):
        if packet.dts is None:
            continue
        if mode == "copy":
            yield packet
        else:
            try:
                yield from packet.decode()
            except av.error.FFmpegError:
                continue
