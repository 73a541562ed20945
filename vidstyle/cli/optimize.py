"""``vidstyle image --optimize``: the feed-forward result refined by Gatys et al. with L-BFGS (vidstyle.optimize)."""
from __future__ import annotations

import argparse

import numpy as np

from ..errors import VidstyleError
from . import args

DEFAULT_STEPS = 300


def add_options(p: argparse.ArgumentParser) -> None:
    """--optimize, --steps, --style-weight (the optimiser's; the content weight stays 1e5)."""
    p.add_argument("--optimize", action="store_true",
                   help="refine the model's result by optimisation (Gatys et al., L-BFGS through VGG19): more "
                   "style at seconds per step (300 steps at 512 px: about 12 minutes on a 2-core CPU); "
                   "processing short side 512 unless --size, e.g. --optimize --steps 300")
    p.add_argument("--steps", type=args.int_in(1, 100000), metavar="N",
                   help=f"--optimize: loss evaluations, each one VGG19 forward and backward pass (default "
                   f"{DEFAULT_STEPS}), e.g. --steps 100")
    p.add_argument("--style-weight", type=args.float_in(1e6, 1e14), metavar="W",
                   help="--optimize: weight of the Gram style loss against the content loss's 1e5 (default 1e10); "
                   "larger paints more, smaller keeps more of the photo, e.g. --style-weight 3e10")


def check(a: argparse.Namespace) -> None:
    """Refuse --steps and --style-weight without --optimize; fill in the default steps."""
    for flag, value in (("--steps", a.steps), ("--style-weight", a.style_weight)):
        if value is not None and not a.optimize:
            raise VidstyleError(f"{flag} needs --optimize")
    if a.optimize and a.steps is None:
        a.steps = DEFAULT_STEPS


def style_images(a: argparse.Namespace, stylizer) -> list[tuple[np.ndarray, float]]:
    """The style image(s) of --style as a mix [(RGB uint8 (h, w, 3), weight)] (the default style without it)."""
    from ..media.images import load_image
    from ..styles import default_style

    if stylizer.per_style:
        raise VidstyleError(f"--optimize needs a style image, but --model {a.model} is a per-style network: use a "
                            "model that takes --style")
    style = a.style or default_style()
    mix = [(style, 1.0)] if isinstance(style, str) else style
    return [(load_image(path), w) for path, w in mix]


def optimized(a: argparse.Namespace, stylizer, rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> the stylizer's result refined for ``a.steps`` steps at the processing short side
    (``--size``, default at most 512), as RGB uint8 (H, W, 3) of the input's size."""
    import torch.nn.functional as F

    from ..optimize import SHORT_SIDE, Weights, memory_needed, stylize_image, vgg_dtype
    from ..runtime.memory import RESERVE, available_bytes
    from ..runtime.progress import Progress
    from ..runtime.tensors import resize_short, to_tensor, to_uint8

    short = a.size or min(SHORT_SIDE, *rgb.shape[:2])
    content = to_uint8(resize_short(to_tensor(rgb), short))[0]
    need, free = memory_needed(*content.shape[:2]), available_bytes(stylizer.device) - RESERVE
    if need > free:
        raise VidstyleError(f"--optimize at short side {short} needs about {need / 2**30:.1f} GiB, more than the "
                            f"{max(free, 0) / 2**30:.1f} GiB free: use a smaller --size")
    args.check_memory(stylizer, *content.shape[:2], batch=1)
    init = stylizer(content)
    progress = Progress(a.steps, unit="steps", quiet=a.quiet)
    weights = Weights(style=a.style_weight) if a.style_weight else Weights()
    out = stylize_image(content, style_images(a, stylizer), init, a.steps, stylizer.device,
                        stylizer.preserve_color, progress, weights, vgg_dtype(stylizer.dtype, stylizer.device))
    progress.close()
    if out.shape == rgb.shape:
        return out
    return to_uint8(F.interpolate(to_tensor(out), size=rgb.shape[:2], mode="bicubic", align_corners=False))[0]
