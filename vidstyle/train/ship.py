"""Turn a training checkpoint into shipped weights: fp16 safetensors plus a model card beside them.

    python -m vidstyle.train.ship CHECKPOINT vidstyle/weights/adain_decoder.safetensors
"""
from __future__ import annotations

import argparse
import datetime
import json
import os

import torch
from safetensors.torch import save_file

from ..media.images import load_image
from ..runtime.device import machine
from ..styles import image_key
from .loop import GRAM_LAYERS, STABILITY_WEIGHT
from .losses import STYLE_LAYERS


def _folders(paths: list[str]) -> str:
    return ", ".join("/".join(os.path.normpath(p).split(os.sep)[-2:]) for p in paths)


def recent_losses(log_path: str, last: int = 200) -> dict[str, float]:
    """Mean of each logged loss term over the last ``last`` records of a JSONL training log."""
    if not os.path.exists(log_path):
        return {}
    with open(log_path) as f:
        rows = [json.loads(line) for line in f if line.strip()][-last:]
    keys = [k for k in rows[0] if k not in ("step", "samples", "wall", "samples_per_s")] if rows else []
    return {k: sum(r[k] for r in rows) / len(rows) for k in keys}


def ship(checkpoint: str, out: str, draft: bool = False) -> str:
    """Write fp16 weights to ``out`` and a Markdown model card to ``out`` with .md; returns the card path.
    ``draft``: mark the weights as still in training (kept for resuming; never picked as a default model)."""
    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    state = {k: v.detach().half().contiguous() for k, v in ck["model"].items()}
    tmp = out + ".tmp"
    meta = {"model": cfg["model"], "step": str(ck["step"]), "samples": str(ck["samples"])}
    meta |= {"draft": "1"} if draft else {}
    meta |= {"padding": ck["padding"]} if ck.get("padding") else {}  # fast: how its encoder was trained to pad
    if cfg.get("style_image"):  # a per-style network: found by its painting's content key
        meta |= {"style_key": image_key(load_image(cfg["style_image"])),
                 "style_name": os.path.basename(cfg["style_image"])}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    save_file(state, tmp, metadata=meta)
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    w_stab = cfg.get("stability_weight")
    w_stab = STABILITY_WEIGHT.get(cfg["model"], 0.0) if w_stab is None else w_stab
    losses = recent_losses(os.path.splitext(checkpoint)[0] + ".jsonl")
    params = sum(v.numel() for v in state.values())
    card = os.path.splitext(out)[0] + ".md"
    lines = [
        f"# {os.path.basename(out)}",
        "",
        f"- model: `{cfg['model']}` ({params / 1e6:.2f}M trainable parameters, stored as fp16, "
        f"{os.path.getsize(out) / 2**20:.1f} MiB"
        + (", with the wide-context branch" if cfg.get("context") else "") + ")",
        f"- data: content {_folders(cfg['content'])}; style "
        + (f"the single painting {os.path.basename(cfg['style_image'])} (a per-style network)"
           if cfg.get("style_image") else _folders(cfg["style"]))
        + (f" + soft {_folders(cfg['style_soft'])} at rate {cfg['soft_rate']}" if cfg.get("style_soft") else "")
        + " (the training data folders, minus the 1-in-20 hold-out file names)",
        f"- steps: {ck['step']}, samples seen: {ck['samples']}, crop {cfg['size']} px, batch {cfg['batch']}, "
        f"lr {cfg['lr']}, style weight {cfg['style_weight']}"
        + (f", stability weight {w_stab}" if w_stab else "")
        + (f", distillation weight {cfg['distill_weight']}" if cfg.get("distill_weight") else "")
        + (f", Gram weight {cfg['gram_weight']} at {'/'.join(cfg.get('gram_layers') or GRAM_LAYERS)}"
           if cfg.get("gram_weight") else "")
        + (f", sliced Wasserstein weight {cfg['swd_weight']} at {'/'.join(cfg.get('swd_layers') or STYLE_LAYERS)}"
           if cfg.get("swd_weight") else "")
        + (f", style target: the whole painting at short side {cfg['style_scale']}" if cfg.get("style_scale") else "")
        + (f", border weight {cfg['border_weight']}" if cfg.get("border_weight") else ""),
        f"- training wall time: {ck.get('wall', 0) / 3600:.2f} h on {machine()}",
        "- final losses (mean of the last 200 logged steps; each term is relative to its identity value): "
        + ", ".join(f"{k} {v:.3f}" for k, v in losses.items()),
        f"- shipped: {datetime.date.today().isoformat()}"
        + (" as a DRAFT (still in training, below the quality bar: `--model` must name it)" if draft else ""),
        "",
    ]
    with open(card, "w") as f:
        f.write("\n".join(lines))
    return card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("out", help="weights file to write (.safetensors)")
    ap.add_argument("--draft", action="store_true", help="mark the weights as still in training (never a default)")
    a = ap.parse_args()
    print(ship(a.checkpoint, a.out, a.draft))


if __name__ == "__main__":
    main()
