"""The training loop: read it top to bottom. Resumable, atomic checkpoints, JSONL log, preview grids, DDP.

Run ``vidstyle train --model adain --content DIR --style DIR``; several processes with
``torchrun --nproc_per_node K -m vidstyle train ...`` (gloo on CPU, nccl on CUDA).

adain trains its decoder on the AdaIN target features; end-to-end models (``fast``, whose ``trainable`` is
the whole model) take the content images and the style batch's VGG19 statistics. Either way the content loss
targets the AdaIN relu4_1 features and the style loss is the layer-balanced one of losses.py; the optional
stability loss compares the output for a warped, noised copy of the content with the warped output, and
the optional distillation loss (end-to-end models) compares the VGG19 features of the output with those of
the shipped ``adain`` model's output for the same pair (where the teacher puts its strokes; a pixel loss
would teach the blurred average of many possible strokes). The border loss keeps the edges free of a
painted frame; the Gram loss adds channel correlations to the mean/std style loss. ``style_image`` trains a
single-style network: every style sample is a crop of that one painting.
"""
from __future__ import annotations

import json
import logging
import os
import random
import signal
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.distributed as dist

from ..device import resolve_device, resolve_precision
from ..models import registry
from ..models.adain import adain
from ..models.vgg import VGG19Encoder, mean_std
from ..progress import Progress
from .data import ImagePool, PairSampler
from .losses import (STYLE_LAYERS, RunningScale, border_loss, feature_distill_loss, gram, gram_losses,
                     stability_inputs, stability_loss, style_transfer_losses)
from .preview import save_grid

log = logging.getLogger("vidstyle.train")
STABILITY_WEIGHT = {"fast": 5.0}  # default --stability-weight per model (others: 0)
GRAM_LAYERS = ("relu1_1", "relu2_1", "relu3_1")  # second-order statistics where strokes and texture live
DISTILL_LAYERS = ("relu2_1", "relu3_1", "relu4_1")
ASPECTS = (1.0, 4 / 3, 16 / 9)  # content shapes (W / H, portrait too) drawn per step


@dataclass
class TrainConfig:
    model: str = "adain"
    content: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)
    style_soft: list[str] = field(default_factory=list)
    soft_rate: float = 0.25
    style_image: str | None = None  # a single-style network: train on this one painting
    size: int = 128
    batch: int = 8
    steps: int = 10000
    lr: float = 1e-4
    style_weight: float = 1.0
    stability_weight: float | None = None  # None: STABILITY_WEIGHT of the model
    distill_weight: float = 0.0  # weight of the feature loss towards the shipped adain's output (end-to-end)
    gram_weight: float = 0.0  # weight of the layer-balanced Gram loss
    border_weight: float = 10.0  # weight of the edge-profile loss (RGB in [0, 1])
    whole_rate: float = 0.25  # share of content samples that are whole photos (with their edges)
    out: str = "checkpoints/adain.pt"
    resume: str | None = None
    init: str | None = None
    device: str = "auto"
    precision: str = "auto"
    seed: int = 0
    checkpoint_every: float = 300.0
    preview_every: int = 200
    log_every: int = 10
    quiet: bool = False


def atomic_save(obj, path: str) -> None:
    """torch.save to a temporary file beside ``path``, then rename: a crash never leaves a torn file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_shipped(trainable: torch.nn.Module, path: str) -> tuple[int, int]:
    """Start from shipped fp16 weights (a fresh optimizer); returns the (step, samples) they were trained to,
    so that a new session continues the count and draws new batches."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    if not os.path.exists(path):
        raise FileNotFoundError(f"--init weights not found: {path}")
    trainable.load_state_dict({k: v.float() for k, v in load_file(path).items()})
    with safe_open(path, "pt") as f:
        meta = f.metadata() or {}
    log.info("initialized from %s (step %s)", path, meta.get("step", "?"))
    return int(meta.get("step", 0)), int(meta.get("samples", 0))


def _teacher(device: torch.device) -> torch.nn.Module:
    """The shipped adain decoder, frozen: AdaIN relu4_1 target features -> RGB (N, 3, H, W)."""
    spec = registry.get("adain")
    if not os.path.exists(spec.weights_path):
        raise FileNotFoundError(f"distillation needs the shipped adain weights: {spec.weights_path}")
    decoder = spec.load()[0].decoder.to(device).eval()
    return decoder.requires_grad_(False)


def _setup_distributed(device: str) -> tuple[int, int]:
    if "RANK" not in os.environ:
        return 0, 1
    dist.init_process_group("nccl" if device == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size()


def train(cfg: TrainConfig) -> dict:
    """Train ``cfg.model``'s trainable part; returns the last log record."""
    device = resolve_device(cfg.device)
    rank, world = _setup_distributed(device.type)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    dtype = resolve_precision(cfg.precision, device, training=True)
    torch.manual_seed(cfg.seed)

    spec = registry.get(cfg.model)
    model = spec.build(None).to(device)
    trainable = model.trainable
    end_to_end = trainable is model
    w_stab = cfg.stability_weight if cfg.stability_weight is not None else STABILITY_WEIGHT.get(cfg.model, 0.0)
    vgg = model.encoder if isinstance(getattr(model, "encoder", None), VGG19Encoder) else VGG19Encoder("relu4_1")
    vgg = vgg.to(device)
    if cfg.distill_weight > 0 and not end_to_end:
        raise ValueError(f"--distill-weight needs an end-to-end model, not {cfg.model}")
    teacher = _teacher(device) if cfg.distill_weight > 0 else None
    opt = torch.optim.Adam(trainable.parameters(), lr=cfg.lr)
    scale = RunningScale()
    step, samples, wall = 0, 0, 0.0

    resume = cfg.resume if cfg.resume and os.path.exists(cfg.resume) else None
    if cfg.resume and not resume:
        log.warning("--resume %s does not exist yet: starting from scratch", cfg.resume)
    if resume:
        ck = torch.load(resume, map_location="cpu", weights_only=False)
        trainable.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        for group in opt.param_groups:  # --lr wins over the saved one: a resumed run can decay it
            group["lr"] = cfg.lr
        scale.load_state_dict(ck["scale"])
        step, samples, wall = ck["step"], ck["samples"], ck.get("wall", 0.0)
        torch.set_rng_state(ck["rng"]["torch"])
        np.random.set_state(ck["rng"]["numpy"])
        random.setstate(ck["rng"]["python"])
        if rank == 0:
            log.info("resumed %s at step %d (%d samples)", resume, step, samples)
    elif cfg.init:
        step, samples = load_shipped(trainable, cfg.init)

    if world > 1:
        ddp = torch.nn.parallel.DistributedDataParallel(trainable)
    else:
        ddp = trainable
    content = ImagePool([(d, 1.0, False) for d in cfg.content])
    if cfg.style_image:
        style = ImagePool([(cfg.style_image, 1.0, False)], holdout=None)
    else:
        style = ImagePool([(d, 1.0, False) for d in cfg.style] + [(d, cfg.soft_rate, True) for d in cfg.style_soft])
    sampler = PairSampler(content, style, cfg.size, cfg.seed, rank, aspects=ASPECTS, whole_rate=cfg.whole_rate,
                          style_hue=0.0 if cfg.style_image else 0.08)
    local_batch = max(1, cfg.batch // world)

    def checkpoint() -> None:
        if rank == 0:
            atomic_save({"model": trainable.state_dict(), "optimizer": opt.state_dict(), "scale": scale.state_dict(),
                         "step": step, "samples": samples, "wall": wall, "config": asdict(cfg),
                         "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
                                 "python": random.getstate()}}, cfg.out)

    stop = {"signal": None}
    handler = lambda signum, _frame: stop.__setitem__("signal", signum)  # noqa: E731
    old_handlers = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
    logf = open(os.path.splitext(cfg.out)[0] + ".jsonl", "a") if rank == 0 else None
    prog = Progress(cfg.steps, "steps", quiet=cfg.quiet or rank != 0, done=step)
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)

    def forward(images: torch.Tensor, s_stats: dict, target: torch.Tensor | None = None) -> torch.Tensor:
        """The trained network's output for content ``images`` and the style statistics (``target``: the
        AdaIN features of ``images``, when already computed)."""
        if end_to_end:
            return ddp(images, s_stats)
        if target is None:
            with torch.no_grad():
                target = adain(vgg(images, ("relu4_1",))["relu4_1"], *s_stats["relu4_1"])
        return ddp(target)

    last_ckpt, t0, record = time.monotonic(), time.monotonic(), {}
    try:
        while step < cfg.steps and stop["signal"] is None:
            ts = time.monotonic()
            c, s = sampler.batch(step, local_batch)
            c, s = c.to(device, non_blocking=True), s.to(device, non_blocking=True)
            with autocast:
                with torch.no_grad():
                    cf = vgg(c, STYLE_LAYERS)
                    sf = vgg(s, STYLE_LAYERS)
                    s_stats = {k: mean_std(v) for k, v in sf.items()}
                    s_grams = {k: gram(sf[k]) for k in GRAM_LAYERS} if cfg.gram_weight > 0 else None
                    target = adain(cf["relu4_1"], *s_stats["relu4_1"])
                if w_stab > 0:  # content and its warped copy in one pass (DDP allows one forward per step)
                    c2, theta, valid = stability_inputs(c, np.random.default_rng([cfg.seed, rank, step, 1]))
                    both = {k: (torch.cat([m, m]), torch.cat([d, d])) for k, (m, d) in s_stats.items()}
                    out, out2 = forward(torch.cat([c, c2]), both).chunk(2)
                else:
                    out = forward(c, s_stats, target)
                of = vgg(out, STYLE_LAYERS)
                loss_c, loss_s, terms = style_transfer_losses(of, cf, s_stats, target, scale)
                loss = loss_c + cfg.style_weight * loss_s
                if s_grams is not None:
                    loss_g, gram_terms = gram_losses(of, cf, s_grams, scale, GRAM_LAYERS)
                    terms.update(gram_terms)
                    loss = loss + cfg.gram_weight * loss_g
                if cfg.border_weight > 0:
                    loss_b = border_loss(out, c)
                    terms["border"] = loss_b.item()
                    loss = loss + cfg.border_weight * loss_b
                if w_stab > 0:
                    loss_t = stability_loss(out2, out, theta, valid)
                    terms["stability"] = loss_t.item()
                    loss = loss + w_stab * loss_t
                if teacher is not None:
                    with torch.no_grad():
                        tf = vgg(teacher(target).clamp(0, 1), DISTILL_LAYERS)
                    loss_d = feature_distill_loss(of, tf, cf, scale, DISTILL_LAYERS)
                    terms["distill"] = loss_d.item()
                    loss = loss + cfg.distill_weight * loss_d
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            samples += local_batch * world
            wall += time.monotonic() - ts
            record = {"step": step, "samples": samples, "loss": loss.item(), **terms,
                      "samples_per_s": local_batch * world / (time.monotonic() - ts), "wall": round(wall, 1)}
            prog.update(1, loss=record["loss"], **{"s/s": record["samples_per_s"]})
            if logf and step % cfg.log_every == 0:
                logf.write(json.dumps(record) + "\n")
                logf.flush()
            if rank == 0 and step % cfg.preview_every == 0:
                save_grid(os.path.splitext(cfg.out)[0] + "_preview.png", c[:4], s[:4], out[:4].detach())
            if time.monotonic() - last_ckpt > cfg.checkpoint_every:
                checkpoint()
                last_ckpt = time.monotonic()
        checkpoint()
    finally:
        prog.close()
        for s_, h in old_handlers.items():
            signal.signal(s_, h)
        if logf:
            logf.close()
        if world > 1:
            dist.destroy_process_group()
    if rank == 0 and not cfg.quiet:
        why = f" (stopped by signal {stop['signal']})" if stop["signal"] else ""
        print(f"trained to step {step}, {samples} samples, {time.monotonic() - t0:.0f} s this run{why}; "
              f"checkpoint {cfg.out}")
    return record

