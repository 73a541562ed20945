"""``vidstyle eval`` video mode: the warping error of a stylized video next to its input's own
(docs/evaluation.md), style and content losses on a few sampled frames, and a flicker contact sheet."""
from __future__ import annotations

import itertools
import os

import av
import cv2
import numpy as np
from PIL import Image

from ..errors import VidstyleError
from ..media.images import load_image
from ..runtime.device import resolve_device
from ..runtime.progress import Progress
from . import metrics
from .images import pair_metrics, summarize
from .sheet import thumb, write_sheet

VIDEO_SAMPLES = 8
SHEET_PAIRS = 6  # frame pairs on the contact sheet
FLICKER_WHITE = 0.25  # RMS RGB difference (0-1) drawn white on the flicker map
MASKED_GREY = 96  # flicker map value where the warping error's mask leaves a pixel out


def open_video(path: str, what: str) -> tuple[av.container.InputContainer, int]:
    """Open a video file -> (container, frame count or 0 when unknown). Raises VidstyleError."""
    if not path:
        raise VidstyleError("video mode needs both --video OUT and --input IN")
    if not os.path.isfile(path):
        raise VidstyleError(f"{what} not found: {path}")
    try:
        container = av.open(path)
    except av.FFmpegError as e:
        raise VidstyleError(f"{what} is not a readable video: {path} ({e.strerror or type(e).__name__})") from None
    if not container.streams.video:
        container.close()
        raise VidstyleError(f"{what} has no video stream: {path}")
    return container, container.streams.video[0].frames


def decode(container: av.container.InputContainer):
    """Yield the first video stream's frames as RGB uint8 (H, W, 3)."""
    for frame in container.decode(video=0):
        yield frame.to_ndarray(format="rgb24")


def _tap(frames, keep: set[int], store: dict[int, np.ndarray], progress: Progress | None = None):
    """Pass ``frames`` through, storing those whose index is in ``keep`` and counting them on ``progress``."""
    for i, f in enumerate(frames):
        if i in keep:
            store[i] = f
        if progress:
            progress.update(1)
        yield f


def video_style_metrics(outs: list[np.ndarray], ins: list[np.ndarray], style: np.ndarray, device) -> dict:
    """Style and content losses and SSIM of sampled output frames (vs the style and their input frames), with the
    input frames themselves as the identity reference. Frames are RGB uint8 (H, W, 3); outputs take the input size."""
    target = metrics.style_targets(style, device)
    per_frame = [pair_metrics({"output": metrics.resize_to(o, i.shape[:2]), "input": i}, "input", target, device)
                 for o, i in zip(outs, ins)]
    return summarize(per_frame, identity="input")


def evaluate_video(args) -> dict:
    """Video mode: warping errors of ``args.video`` and ``args.input``, plus losses against ``args.style``
    when given (args: video, input, style, max_frames, sheet, device, quiet)."""
    style_path = args.style[0] if isinstance(args.style, list) and args.style else args.style
    style = load_image(style_path) if style_path else None
    if args.max_frames < 2:
        raise VidstyleError(f"--max-frames must be at least 2, got {args.max_frames}")
    out_c, n_out = open_video(args.video, "output video (--video)")
    try:
        in_c, n_in = open_video(args.input, "input video (--input)")
    except VidstyleError:
        out_c.close()
        raise
    n = min([args.max_frames] + [k for k in (n_out, n_in) if k > 0])
    samples = set(np.linspace(0, n - 1, VIDEO_SAMPLES).round().astype(int).tolist()) if style is not None else set()
    pairs = sorted(set(np.linspace(0, n - 2, SHEET_PAIRS).round().astype(int).tolist())) if args.sheet else []
    keep = samples | {t + d for t in pairs for d in (0, 1)}
    outs, ins = {}, {}
    progress = Progress(n, unit="frames", quiet=args.quiet)
    try:
        frames_out = _tap(itertools.islice(decode(out_c), n), keep, outs)
        frames_in = _tap(itertools.islice(decode(in_c), n), keep, ins, progress)
        e_out, e_in = metrics.warping_errors(frames_out, frames_in)
    except av.FFmpegError as e:
        raise VidstyleError(f"cannot decode the videos: {e.strerror or type(e).__name__}") from None
    finally:
        progress.close()
        out_c.close()
        in_c.close()
    frames = progress.count  # input frames actually paired with an output frame
    if frames < 2:
        raise VidstyleError("video mode needs at least 2 frames in both --video and --input")
    finite = lambda e: None if np.isnan(e) else e  # noqa: E731  (no pair had a non-occluded pixel)
    methods = {"output": {"warping_error": finite(e_out)}, "input": {"warping_error": finite(e_in)}}
    if args.sheet:
        rows = [flicker_row(*(f[t + d] for f in (ins, outs) for d in (0, 1))) for t in pairs
                if t + 1 in ins and t + 1 in outs]
        write_sheet(args.sheet, rows, ["input, frame t", "output, frame t", "flicker: |warp(O[t+1]) - O[t]|"])
    if style is not None:
        idx = sorted(samples & set(outs) & set(ins))
        device = resolve_device(args.device)
        losses = video_style_metrics([outs[i] for i in idx], [ins[i] for i in idx], style, device)
        for k in methods:
            methods[k].update(losses[k])
    return {"mode": "video", "video": args.video, "input": args.input, "frames": frames,
            "style": style_path, "methods": methods}


def flicker_row(i0: np.ndarray, i1: np.ndarray, o0: np.ndarray, o1: np.ndarray) -> list[Image.Image]:
    """Thumbnails of input t, output t and its flicker map: the RMS RGB difference between output t and output
    t+1 warped back by the input's flow (the warping error's per-pixel term, white at FLICKER_WHITE), grey
    where the warping error's mask leaves a pixel out."""
    o0, o1 = (metrics.resize_to(o, i0.shape[:2]) for o in (o0, o1))
    fwd, mask = metrics.pair_flow(i0, i1)
    level = np.clip(np.sqrt(metrics.error_map(o0, o1, fwd)) / FLICKER_WHITE * 255, 0, 255).astype(np.uint8)
    heat = cv2.cvtColor(cv2.applyColorMap(level, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)
    heat[~mask] = MASKED_GREY
    return [thumb(i0), thumb(o0), thumb(heat)]
