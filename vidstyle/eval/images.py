"""``vidstyle eval`` image mode: seeded (content, style) pairs stylized by a model and measured next to two
references computed on the same pairs: identity (output = content) and Reinhard colour transfer."""
from __future__ import annotations

import os

import numpy as np

from ..data import list_images
from ..errors import VidstyleError
from ..media.images import load_image
from ..optimize import Weights, stylize_image, vgg_dtype
from ..runtime.progress import Progress
from ..runtime.tensors import resize_short, to_tensor, to_uint8
from . import metrics
from .sheet import thumb, write_sheet

SHEET_ROWS = 12


HELD = {None: "images", "files": "hold-out images", "sources": "images of the held-out collections (MANIFEST.tsv)"}


def draw_pairs(content: str | list[str], style: str | list[str], n: int, holdout: str | None,
               seed: int) -> list[tuple[str, str]]:
    """``n`` distinct (content path, style path) pairs drawn with ``seed`` (all pairs when there are fewer).
    content, style: folders of images or image files (one path or several); holdout: None, "files" or
    "sources", the images of the folders kept (``data.list_images``)."""
    lists = []
    for given, what in ((content, "--content"), (style, "--style")):
        given = [given] if isinstance(given, str) else list(given or [])
        if not given or not all(os.path.exists(g) for g in given):
            raise VidstyleError(f"{what} must name folders or files of images in image mode, got {given}")
        paths = sorted({p for g in given for p in list_images(g, holdout)})
        if not paths:
            raise VidstyleError(f"no {HELD[holdout]} in {what} {' '.join(given)}")
        lists.append(paths)
    contents, styles = lists
    if n < 1:
        raise VidstyleError(f"--pairs must be at least 1, got {n}")
    total = len(contents) * len(styles)
    picks = np.random.default_rng(seed).choice(total, size=min(n, total), replace=False)
    return [(contents[k // len(styles)], styles[k % len(styles)]) for k in picks]


def _resized(rgb: np.ndarray, short: int) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> RGB uint8 with the shorter side ``short``."""
    return to_uint8(resize_short(to_tensor(rgb), short))[0]


def pair_metrics(images: dict[str, np.ndarray], reference: str, style: tuple[dict, dict], device) -> dict:
    """Metrics of same-size RGB uint8 images ``{method: (H, W, 3)}`` where ``images[reference]`` is the content,
    against it and the style's ``metrics.style_targets``. Returns {method: {"layers": (5,) S_l, "swd": (5,)
    sliced Wasserstein distances, "style", "content", "ssim", "border", "lines" (edge line score or None)}}."""
    names = list(images)
    feats = metrics.features(np.stack([images[k] for k in names]), device)
    ref = names.index(reference)
    layers, swd = metrics.layer_style_losses(feats, style[0]), metrics.layer_swd(feats, style[1])
    style_l = metrics.style_loss(layers)
    content_l = metrics.content_loss(feats, {t: f[ref:ref + 1] for t, f in feats.items()})
    return {k: {"layers": layers[i], "swd": swd[i], "style": float(style_l[i]), "content": float(content_l[i]),
                "ssim": metrics.ssim(images[k], images[reference]),
                "border": metrics.border_score(images[k], images[reference]),
                "lines": metrics.edge_line_score(images[k], images[reference])} for i, k in enumerate(names)}


def summarize(per_pair: list[dict], identity: str = "identity") -> dict:
    """Per-pair ``pair_metrics`` results -> {method: style_score, ratios, swd_score, swd_ratios (the same for the
    sliced Wasserstein distance), style_loss, content_loss, ssim, border (mean border score), border_worst, lines
    (mean edge line score; None on images too small for it), lines_worst}."""
    sum_id = sum(p[identity]["layers"] for p in per_pair)
    swd_id = sum(p[identity]["swd"] for p in per_pair)
    out = {}
    for k in per_pair[0]:
        score, ratios = metrics.relative_style_score(sum(p[k]["layers"] for p in per_pair), sum_id)
        swd_score, swd_ratios = metrics.relative_style_score(sum(p[k]["swd"] for p in per_pair), swd_id)
        means = {m: float(np.mean([p[k][m] for p in per_pair])) for m in ("style", "content", "ssim")}
        borders = [p[k]["border"] for p in per_pair]
        lines = [p[k]["lines"] for p in per_pair if p[k]["lines"] is not None]
        out[k] = {"style_score": score, "ratios": ratios, "swd_score": swd_score, "swd_ratios": swd_ratios,
                  "style_loss": means["style"],
                  "content_loss": means["content"], "ssim": means["ssim"], "border": float(np.mean(borders)),
                  "border_worst": float(np.max(borders)),
                  "lines": float(np.mean(lines)) if lines else None, "lines_worst": max(lines, default=None)}
    return out


def evaluate_images(args) -> dict:
    """Image mode: stylize the seeded pairs, return the JSON-able result (and write ``args.sheet``).

    args: content, style (folders or files), pairs, holdout (None, "files" or "sources"), seed, model, compare (a
    second model or None), size, strength, device, precision, sheet, quiet, optimize (steps of Gatys et al. from
    the model's result, shown as the method "optimized"; 0 or None = off), style_weight (its style weight; None =
    the default) (the ``vidstyle eval`` options)."""
    from ..api import Stylizer

    pairs = draw_pairs(args.content, args.style, args.pairs, args.holdout, args.seed)
    names = {"model": args.model} | ({"compare": args.compare} if args.compare else {})
    stylizers = {k: Stylizer(style=load_image(pairs[0][1]), model=m, device=args.device, precision=args.precision,
                             strength=args.strength) for k, m in names.items()}
    device = stylizers["model"].device
    steps, style_weight = getattr(args, "optimize", None), getattr(args, "style_weight", None)
    weights = Weights(style=style_weight) if style_weight else Weights()
    if steps:
        names["optimized"] = f"{args.model}+optimize"
    per_pair, thumbs = [], []
    progress = Progress(len(pairs), unit="pairs", quiet=args.quiet)
    for content_path, style_path in pairs:
        content = _resized(load_image(content_path, "content"), args.size)
        style = load_image(style_path)
        images = {}
        for k, st in stylizers.items():
            st.set_style(style)
            images[k] = st(content)
        if steps:
            images["optimized"] = stylize_image(content, style, images["model"], steps, device, weights=weights,
                                                dtype=vgg_dtype(stylizers["model"].dtype, device))
        images |= {"reinhard": metrics.reinhard(content, style), "identity": content}
        per_pair.append(pair_metrics(images, "identity", metrics.style_targets(style, device), device))
        if args.sheet and len(thumbs) < SHEET_ROWS:
            thumbs.append([thumb(a) for a in (content, style, *(images[k] for k in names), images["reinhard"])])
        progress.update(1)
    progress.close()
    if args.sheet:
        write_sheet(args.sheet, thumbs, ["content", "style", *names.values(), "reinhard"])
    return {"mode": "image", "model": args.model, "compare": args.compare, "optimize": steps,
            "style_weight": weights.style if steps else None,
            "trained": stylizers["model"].trained,
            "pairs": len(pairs),
            "size": args.size, "strength": args.strength, "holdout": args.holdout, "seed": args.seed,
            "methods": summarize(per_pair),
            "pair_list": [[os.path.basename(c), os.path.basename(s)] for c, s in pairs]}
