"""``vidstyle eval``: the metrics of DESIGN.md section 4 on image pairs or on a stylized video.

Image mode stylizes seeded (content, style) pairs and reports the model next to two references computed on
the same pairs: identity (output = content) and Reinhard colour transfer. Video mode reports the warping
error of an output video next to its input's own, and style/content losses on a few sampled frames.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os

import av
import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw

from . import metrics
from .device import resolve_device
from .errors import VidstyleError
from .models.vgg import TAPS
from .progress import Progress
from .styles import load_image, resize_short
from .train.data import list_images

EXAMPLES = """examples:
  vidstyle eval --content photos/ --style paintings/ --pairs 20 --model adain --sheet sheet.png
  vidstyle eval --content photos/ --style paintings/ --holdout --json
  vidstyle eval --video out.mp4 --input in.mp4 --style starry.jpg --sheet flicker.png
"""
SHEET_ROWS = 12
THUMB_H, THUMB_W, HEADER_H = 192, 256, 20
VIDEO_SAMPLES = 8
SHEET_PAIRS = 6  # video mode: frame pairs on the contact sheet
FLICKER_WHITE = 0.25  # RMS RGB difference (0-1) drawn white on the flicker map


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``eval`` sub-command to an argparse ``add_subparsers()`` object."""
    p = subparsers.add_parser("eval", help="measure style, content, SSIM and temporal metrics", epilog=EXAMPLES,
                              description="Style transfer metrics on image pairs (image mode, --content and "
                              "--style folders) or on a stylized video (video mode, --video and --input).",
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--content", help="image mode: folder of content photos")
    p.add_argument("--style", help="image mode: folder of style images; video mode: the style image (optional)")
    p.add_argument("--pairs", type=int, default=20, help="number of (content, style) pairs (default 20)")
    p.add_argument("--model", default="adain", help="style network (default adain)")
    p.add_argument("--size", type=int, default=384, help="content short side in pixels (default 384)")
    p.add_argument("--strength", type=float, default=1.0, help="style strength in [0, 1] (default 1)")
    p.add_argument("--holdout", action="store_true", help="only the hold-out images, never used in training")
    p.add_argument("--seed", type=int, default=0, help="seed of the pair draw (default 0)")
    p.add_argument("--sheet", help="write a contact sheet PNG: image mode content | style | output | reinhard; "
                   f"video mode input | output | flicker map, for {SHEET_PAIRS} frames")
    p.add_argument("--video", help="video mode: the stylized video")
    p.add_argument("--input", help="video mode: the input video it was made from")
    p.add_argument("--max-frames", type=int, default=300, help="video mode: frames to use (default 300)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"],
                   help="precision of the style network (the metrics always run in fp32)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run image or video mode and print the result; returns the exit code."""
    result = evaluate_video(args) if args.video or args.input else evaluate_images(args)
    print(json.dumps(result, indent=1) if args.json else format_table(result))
    return 0


# --- image mode ---------------------------------------------------------------------------------------

def draw_pairs(content_dir: str, style_dir: str, n: int, holdout: bool, seed: int) -> list[tuple[str, str]]:
    """``n`` distinct (content path, style path) pairs drawn with ``seed`` (all pairs when there are fewer)."""
    lists = []
    for folder, what in ((content_dir, "--content"), (style_dir, "--style")):
        if not folder or not os.path.isdir(folder):
            raise VidstyleError(f"{what} must be a folder of images in image mode, got {folder!r}")
        paths = list_images(folder, holdout=True if holdout else None)
        if not paths:
            raise VidstyleError(f"no {'hold-out ' if holdout else ''}images in {what} folder {folder}")
        lists.append(paths)
    contents, styles = lists
    if n < 1:
        raise VidstyleError(f"--pairs must be at least 1, got {n}")
    total = len(contents) * len(styles)
    picks = np.random.default_rng(seed).choice(total, size=min(n, total), replace=False)
    return [(contents[k // len(styles)], styles[k % len(styles)]) for k in picks]


def _resized(rgb: np.ndarray, short: int) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> RGB uint8 with the shorter side ``short``."""
    x = resize_short(metrics.to_tensor(rgb), short)
    return x.clamp_(0, 1).mul_(255).round_().to(torch.uint8)[0].permute(1, 2, 0).numpy()


def pair_metrics(images: dict[str, np.ndarray], reference: str, style: dict, device) -> dict:
    """Metrics of same-size RGB uint8 images ``{method: (H, W, 3)}`` where ``images[reference]`` is the content,
    against it and the style's ``metrics.style_stats``. Returns {method: {"layers": (5,) S_l, "style",
    "content", "ssim"}}."""
    names = list(images)
    feats = metrics.features(np.stack([images[k] for k in names]), device)
    ref = names.index(reference)
    layers = metrics.layer_style_losses(feats, style)
    style_l = metrics.style_loss(layers)
    content_l = metrics.content_loss(feats, {t: f[ref:ref + 1] for t, f in feats.items()})
    return {k: {"layers": layers[i], "style": float(style_l[i]), "content": float(content_l[i]),
                "ssim": metrics.ssim(images[k], images[reference])} for i, k in enumerate(names)}


def summarize(per_pair: list[dict], identity: str = "identity") -> dict:
    """Per-pair ``pair_metrics`` results -> {method: style_score, ratios, style_loss, content_loss, ssim}."""
    sum_id = sum(p[identity]["layers"] for p in per_pair)
    out = {}
    for k in per_pair[0]:
        score, ratios = metrics.relative_style_score(sum(p[k]["layers"] for p in per_pair), sum_id)
        means = {m: float(np.mean([p[k][m] for p in per_pair])) for m in ("style", "content", "ssim")}
        out[k] = {"style_score": score, "ratios": ratios, "style_loss": means["style"],
                  "content_loss": means["content"], "ssim": means["ssim"]}
    return out


def evaluate_images(args: argparse.Namespace) -> dict:
    """Image mode: stylize the seeded pairs, return the JSON-able result (and write --sheet)."""
    from .stylizer import Stylizer

    pairs = draw_pairs(args.content, args.style, args.pairs, args.holdout, args.seed)
    stylizer = Stylizer(style=load_image(pairs[0][1]), model=args.model, device=args.device,
                        precision=args.precision, strength=args.strength)
    device = stylizer.device
    per_pair, thumbs = [], []
    progress = Progress(len(pairs), unit="pairs", quiet=args.quiet)
    for content_path, style_path in pairs:
        content = _resized(load_image(content_path, "content"), args.size)
        style = load_image(style_path)
        stylizer.set_style(style)
        images = {"model": stylizer(content), "reinhard": metrics.reinhard(content, style), "identity": content}
        per_pair.append(pair_metrics(images, "identity", metrics.style_stats(style, device), device))
        if args.sheet and len(thumbs) < SHEET_ROWS:
            thumbs.append([_thumb(a) for a in (content, style, images["model"], images["reinhard"])])
        progress.update(1)
    progress.close()
    if args.sheet:
        write_sheet(args.sheet, thumbs, ["content", "style", args.model, "reinhard"])
    return {"mode": "image", "model": args.model, "trained": stylizer.trained, "pairs": len(pairs),
            "size": args.size, "strength": args.strength, "holdout": args.holdout, "seed": args.seed,
            "methods": summarize(per_pair),
            "pair_list": [[os.path.basename(c), os.path.basename(s)] for c, s in pairs]}


def _thumb(rgb: np.ndarray) -> Image.Image:
    im = Image.fromarray(rgb)
    im.thumbnail((THUMB_W, THUMB_H), Image.Resampling.LANCZOS)
    return im


def write_sheet(path: str, rows: list[list[Image.Image]], labels: list[str]) -> None:
    """A contact sheet PNG: a header row of ``labels``, then one row of thumbnails per pair, each centred
    in a THUMB_W x THUMB_H cell."""
    cols = len(labels)
    sheet = Image.new("RGB", (cols * THUMB_W, HEADER_H + len(rows) * THUMB_H), (32, 32, 32))
    draw = ImageDraw.Draw(sheet)
    for c, label in enumerate(labels):
        draw.text((c * THUMB_W + 6, 4), label, fill=(230, 230, 230))
    for r, row in enumerate(rows):
        for c, im in enumerate(row):
            x = c * THUMB_W + (THUMB_W - im.width) // 2
            y = HEADER_H + r * THUMB_H + (THUMB_H - im.height) // 2
            sheet.paste(im, (x, y))
    try:
        sheet.save(path, format="PNG")
    except OSError as e:
        raise VidstyleError(f"cannot write --sheet {path}: {e.strerror or e}") from None


# --- video mode ---------------------------------------------------------------------------------------

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
    stats = metrics.style_stats(style, device)
    per_frame = [pair_metrics({"output": metrics.resize_to(o, i.shape[:2]), "input": i}, "input", stats, device)
                 for o, i in zip(outs, ins)]
    return summarize(per_frame, identity="input")


def evaluate_video(args: argparse.Namespace) -> dict:
    """Video mode: warping errors of --video and --input, plus losses against --style when given."""
    style = load_image(args.style) if args.style else None
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
            "style": args.style, "methods": methods}


def flicker_row(i0: np.ndarray, i1: np.ndarray, o0: np.ndarray, o1: np.ndarray) -> list[Image.Image]:
    """Thumbnails of input t, output t and its flicker map: the RMS RGB difference between output t and output
    t+1 warped back by the input's flow (the warping error's per-pixel term, white at FLICKER_WHITE), grey
    where the warping error's mask leaves a pixel out."""
    o0, o1 = (metrics.resize_to(o, i0.shape[:2]) for o in (o0, o1))
    fwd, mask = metrics.pair_flow(i0, i1)
    level = np.clip(np.sqrt(metrics.error_map(o0, o1, fwd)) / FLICKER_WHITE * 255, 0, 255).astype(np.uint8)
    heat = cv2.cvtColor(cv2.applyColorMap(level, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)
    heat[~mask] = 96
    return [_thumb(i0), _thumb(o0), _thumb(heat)]


# --- output -------------------------------------------------------------------------------------------

def format_table(result: dict) -> str:
    """A compact text table of ``evaluate_images`` / ``evaluate_video`` results, one row per method."""
    cols = [("warp_err", "warping_error"), ("score", "style_score")]
    cols += [(t, t) for t in TAPS] + [("style", "style_loss"), ("content", "content_loss"), ("ssim", "ssim")]
    methods = result["methods"]
    cols = [c for c in cols if any(c[1] in m or c[1] in m.get("ratios", {}) for m in methods.values())]
    name = lambda k: result["model"] if k == "model" else k  # noqa: E731
    width = max(len(name(k)) for k in methods) + 2
    lines = [_caption(result), "".ljust(width) + "".join(f"{h:>11}" for h, _ in cols)]
    for k, m in methods.items():
        values = [m.get(key, m.get("ratios", {}).get(key)) for _, key in cols]
        cells = (f"{v:>11.4g}" if v is not None else f"{'-':>11}" for v in values)
        lines.append(name(k).ljust(width) + "".join(cells))
    return "\n".join(lines)


def _caption(result: dict) -> str:
    if result["mode"] == "video":
        return f"{result['frames']} frames of {result['video']} vs {result['input']}" + (
            f", style {result['style']}" if result["style"] else "")
    untrained = " (UNTRAINED weights)" if not result["trained"] else ""
    held = ", hold-out" if result["holdout"] else ""
    pairs = f"{result['pairs']} pair{'s' if result['pairs'] != 1 else ''}"
    return (f"{pairs}{held}, model {result['model']}{untrained}, size {result['size']}, "
            f"strength {result['strength']}; score and relu*: style loss relative to identity (lower = more style)")
