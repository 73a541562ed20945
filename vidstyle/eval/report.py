"""The text table of ``vidstyle eval``: one row per method, one column per metric."""
from __future__ import annotations

from ..models.vgg import TAPS


def format_table(result: dict) -> str:
    """A compact text table of ``evaluate_images`` / ``evaluate_video`` results, one row per method."""
    cols = [("warp_err", "warping_error"), ("score", "style_score")]
    cols += [(t, t) for t in TAPS] + [("swd", "swd_score"), ("style", "style_loss"), ("content", "content_loss"),
                                      ("ssim", "ssim"), ("border", "border"), ("border_max", "border_worst"),
                                      ("lines", "lines"), ("lines_max", "lines_worst")]
    methods = result["methods"]
    cols = [c for c in cols if any(m.get(c[1]) is not None or c[1] in m.get("ratios", {}) for m in methods.values())]
    name = lambda k: result.get(k) or k if k in ("model", "compare") else k  # noqa: E731
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
    held = {None: "", "files": ", hold-out by file", "sources": ", hold-out by source"}[result["holdout"]]
    pairs = f"{result['pairs']} pair{'s' if result['pairs'] != 1 else ''}"
    return (f"{pairs}{held}, model {result['model']}{untrained}, size {result['size']}, "
            f"strength {result['strength']}; score and relu*: style loss relative to identity (lower = more style); "
            "swd: the same for the sliced Wasserstein distance")
