"""Long videos in pieces: ``index`` lists a file's video frame times and keyframes (packets only, nothing
decoded), ``cuts`` picks segment starts at keyframes, and ``join`` puts separately encoded segments back into one
file without re-encoding, with the source's audio (muxed once), rotation and tags."""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction

import av

from ..errors import VidstyleError
from .audio import AudioTrack
from .decode import FileSource, open_input
from .files import AtomicFile, container_format


@dataclass
class VideoIndex:
    """pts: every video frame's timestamp, sorted, in ``time_base`` units; keyframes: those of keyframes."""

    time_base: Fraction
    pts: list[int]
    keyframes: list[int]


def index(path: str) -> VideoIndex:
    """The frame times and keyframes of ``path``'s first video stream, from its packets. Raises VidstyleError."""
    with open_input(path) as c:
        if not c.streams.video:
            raise VidstyleError(f"input has no video stream: {path}")
        s = c.streams.video[0]
        pts, keys = [], []
        try:
            for p in c.demux(s):
                if p.pts is None:
                    continue
                pts.append(p.pts)
                if p.is_keyframe:
                    keys.append(p.pts)
        except av.error.FFmpegError:
            pass  # a damaged tail: the segments end where the packets do
        return VideoIndex(s.time_base, sorted(pts), sorted(keys))


def cuts(ix: VideoIndex, seconds: float) -> list[int]:
    """Segment start times (pts): the first frame, then the first keyframe at least ``seconds`` after the last
    start; the last segment is kept at least half as long (else merged into the one before)."""
    if not ix.pts:
        return []
    starts, step = [ix.pts[0]], seconds / float(ix.time_base)
    for k in ix.keyframes:
        if k - starts[-1] >= step:
            starts.append(k)
    if len(starts) > 1 and ix.pts[-1] - starts[-1] < step / 2:
        starts.pop()
    return starts


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
