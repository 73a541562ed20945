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
painted frame; the Gram loss adds channel correlations to the mean/std style loss, the sliced Wasserstein
loss whole feature distributions. ``style_image`` trains a
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

import cv2
import numpy as np
import torch
import torch.distributed as dist

from ..media.files import AtomicFile
from ..models import fast, registry
from ..models.adain import adain
from ..models.vgg import VGG19Encoder, mean_std
from ..runtime.device import resolve_device, resolve_precision
from ..runtime.progress import Progress
from .data import ImagePool, PairSampler
from .losses import (
    STYLE_LAYERS,
    RunningScale,
    border_loss,
    feature_distill_loss,
    gram,
    gram_losses,
    stability_inputs,
    stability_loss,
    style_transfer_losses,
    swd_losses,
)
from .preview import save_grid

log = logging.getLogger("vidstyle.train")
STABILITY_WEIGHT = {"fast": 5.0}  # default --stability-weight per model (others: 0)
GRAM_LAYERS = ("relu1_1", "relu2_1", "relu3_1")  # second-order statistics where strokes and texture live
DISTILL_LAYERS = ("relu2_1", "relu3_1", "relu4_1")
ASPECTS = (1.0, 4 / 3, 16 / 9)  # content shapes (W / H, portrait too) drawn per step
STYLE_HUE = 0.08  # style crops get their hue rotated by up to this fraction of the circle (arbitrary styles)


@dataclass
class TrainConfig:
    model: str = "adain"
    content: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)
    style_soft: list[str] = field(default_factory=list)
    soft_rate: float = 0.25
    style_image: str | None = None  # a single-style network: train on this one painting
    style_scale: int | None = None  # single style: the whole painting at this short side, encoded once
    size: int = 128
    batch: int = 8
    steps: int = 10000
    lr: float = 1e-4
    style_weight: float = 1.0
    stability_weight: float | None = None  # None: STABILITY_WEIGHT of the model
    distill_weight: float = 0.0  # weight of the feature loss towards the shipped adain's output (end-to-end)
    gram_weight: float = 0.0  # weight of the layer-balanced Gram loss
    gram_layers: tuple[str, ...] = GRAM_LAYERS  # VGG19 taps the Gram loss compares
    swd_weight: float = 0.0  # weight of the layer-balanced sliced Wasserstein loss
    swd_layers: tuple[str, ...] = STYLE_LAYERS  # VGG19 taps the sliced Wasserstein loss compares
    context: bool = False  # fast: build with the wide-context branch (models/fast.py Context)
    padding: str = "zeros"  # fast: the encoder's residual blocks' padding, "zeros" or "replicate" (fast.EdgeConv)
    border_weight: float = 100.0  # weight of the edge-profile loss (RGB in [0, 1])
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
    file = AtomicFile(path)
    try:
        torch.save(obj, file.tmp)
        file.commit()
    finally:
        file.discard()


def load_shipped(trainable: torch.nn.Module, path: str) -> tuple[int, int]:
    """Start from shipped fp16 weights (a fresh optimizer); returns the (step, samples) they were trained to,
    so that a new run continues the count and draws new batches. A branch that starts at zero (fast's
    ``Context``) may be missing from them; every other parameter must be there."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    if not os.path.exists(path):
        raise FileNotFoundError(f"--init weights not found: {path}")
    missing, unexpected = trainable.load_state_dict({k: v.float() for k, v in load_file(path).items()}, strict=False)
    missing = [k for k in missing if not k.startswith(fast.CONTEXT_PREFIX)]
    if missing or unexpected:
        raise ValueError(f"--init {path} does not fit --model: missing {missing[:3]}, unexpected {unexpected[:3]}")
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


class Trainer:
    """One training run: the networks, optimizer, loss scales, data and counters, and the loop over them."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.rank, self.world = _setup_distributed(self.device.type)
        if self.device.type == "cuda" and self.world > 1:
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            torch.cuda.set_device(self.device)
        self.dtype = resolve_precision(cfg.precision, self.device, training=True)
        torch.manual_seed(cfg.seed)
        self._build_networks()
        self.opt = torch.optim.Adam(self.trainable.parameters(), lr=cfg.lr)
        self.scale = RunningScale()
        self.step, self.samples, self.wall = 0, 0, 0.0
        self._restore()
        self.net = torch.nn.parallel.DistributedDataParallel(self.trainable) if self.world > 1 else self.trainable
        self.sampler = make_sampler(cfg, self.rank)
        self.local_batch = max(1, cfg.batch // self.world)
        self.whole_style = self._whole_style() if cfg.style_image and cfg.style_scale else None

    def _build_networks(self) -> None:
        cfg, device = self.cfg, self.device
        spec = registry.get(cfg.model)
        options = {"context": True} if cfg.context else {}
        options |= {"padding": cfg.padding} if cfg.padding != "zeros" else {}
        model = spec.build(None, **options).to(device)
        self.trainable = model.trainable
        self.end_to_end = self.trainable is model
        encoder = getattr(model, "encoder", None)
        self.vgg = (encoder if isinstance(encoder, VGG19Encoder) else VGG19Encoder("relu4_1")).to(device)
        self.w_stab = cfg.stability_weight if cfg.stability_weight is not None else STABILITY_WEIGHT.get(cfg.model, 0.0)
        for name, layers in (("--gram-layers", cfg.gram_layers), ("--swd-layers", cfg.swd_layers)):
            if not set(layers) <= set(STYLE_LAYERS):
                raise ValueError(f"{name}: choose from {' '.join(STYLE_LAYERS)}")
        if cfg.distill_weight > 0 and not self.end_to_end:
            raise ValueError(f"--distill-weight needs an end-to-end model, not {cfg.model}")
        self.teacher = _teacher(device) if cfg.distill_weight > 0 else None

    @torch.no_grad()
    def _whole_style(self) -> tuple[dict, dict, dict]:
        """The style targets of the whole ``style_image`` at short side ``style_scale``, computed once:
        ({tap: (mean, std) (1, C, 1, 1)}, {Gram tap: (1, C, C)}, {sliced Wasserstein tap: (1, C, h, w)})."""
        img = ImagePool([(self.cfg.style_image, 1.0, False)], holdout=None).pick(np.random.default_rng(0))[0]
        s = self.cfg.style_scale / min(img.shape[:2])
        img = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)),
                         interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float().div_(255).to(self.device)
        feats = {k: v.float() for k, v in self.vgg(x, STYLE_LAYERS).items()}
        return ({k: mean_std(v) for k, v in feats.items()}, {k: gram(feats[k]) for k in self.cfg.gram_layers},
                {k: feats[k] for k in self.cfg.swd_layers} if self.cfg.swd_weight > 0 else {})

    def _restore(self) -> None:
        """Continue from ``cfg.resume`` (bit-exact: model, optimizer, scales, counters, RNG) or ``cfg.init``."""
        cfg = self.cfg
        resume = cfg.resume if cfg.resume and os.path.exists(cfg.resume) else None
        if cfg.resume and not resume:
            log.warning("--resume %s does not exist yet: starting from scratch", cfg.resume)
        if not resume:
            if cfg.init:
                self.step, self.samples = load_shipped(self.trainable, cfg.init)
            return
        ck = torch.load(resume, map_location="cpu", weights_only=False)
        if ck.get("padding") and ck["padding"] != self.trainable.net.padding:
            raise ValueError(f"--resume {resume} was trained with --padding {ck['padding']}")
        self.trainable.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["optimizer"])
        for group in self.opt.param_groups:  # --lr wins over the saved one: a resumed run can decay it
            group["lr"] = cfg.lr
        self.scale.load_state_dict(ck["scale"])
        self.step, self.samples, self.wall = ck["step"], ck["samples"], ck.get("wall", 0.0)
        torch.set_rng_state(ck["rng"]["torch"])
        np.random.set_state(ck["rng"]["numpy"])
        random.setstate(ck["rng"]["python"])
        if self.rank == 0:
            log.info("resumed %s at step %d (%d samples)", resume, self.step, self.samples)

    def checkpoint(self) -> None:
        if self.rank == 0:
            atomic_save({"model": self.trainable.state_dict(), "optimizer": self.opt.state_dict(),
                         "scale": self.scale.state_dict(), "step": self.step, "samples": self.samples,
                         "wall": self.wall, "config": asdict(self.cfg),
                         "padding": getattr(getattr(self.trainable, "net", None), "padding", None),
                         "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
                                 "python": random.getstate()}}, self.cfg.out)

    def forward(self, images: torch.Tensor, s_stats: dict, target: torch.Tensor | None = None) -> torch.Tensor:
        """The trained network's output for content ``images`` and the style statistics (``target``: the
        AdaIN features of ``images``, when already computed)."""
        if self.end_to_end:
            return self.net(images, s_stats)
        if target is None:
            with torch.no_grad():
                target = adain(self.vgg(images, ("relu4_1",))["relu4_1"], *s_stats["relu4_1"])
        return self.net(target)

    def batch_loss(self, c: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, dict, torch.Tensor]:
        """The weighted loss of one (content, style) batch -> (loss, {term: value}, output)."""
        cfg, vgg, scale = self.cfg, self.vgg, self.scale
        n = c.shape[0]
        with torch.no_grad():
            cf = vgg(c, STYLE_LAYERS)
            if self.whole_style is None:
                sf = vgg(s, STYLE_LAYERS)
                s_stats = {k: mean_std(v) for k, v in sf.items()}
                s_grams = {k: gram(sf[k]) for k in cfg.gram_layers} if cfg.gram_weight > 0 else {}
                s_feats = sf
            else:  # the whole painting, for every sample
                s_stats = {k: (m.expand(n, -1, -1, -1), d.expand(n, -1, -1, -1))
                           for k, (m, d) in self.whole_style[0].items()}
                s_grams = {k: g.expand(n, -1, -1) for k, g in self.whole_style[1].items()}
                s_feats = self.whole_style[2]
            target = adain(cf["relu4_1"], *s_stats["relu4_1"])
        if self.w_stab > 0:  # content and its warped copy in one pass (DDP allows one forward per step)
            c2, theta, valid = stability_inputs(c, np.random.default_rng([cfg.seed, self.rank, self.step, 1]))
            both = {k: (torch.cat([m, m]), torch.cat([d, d])) for k, (m, d) in s_stats.items()}
            out, out2 = self.forward(torch.cat([c, c2]), both).chunk(2)
        else:
            out = self.forward(c, s_stats, target)
        of = vgg(out, STYLE_LAYERS)
        loss_c, loss_s, terms = style_transfer_losses(of, cf, s_stats, target, scale)
        parts = [loss_c, cfg.style_weight * loss_s]
        if cfg.gram_weight > 0:
            loss_g, gram_terms = gram_losses(of, cf, s_grams, scale, cfg.gram_layers)
            terms.update(gram_terms)
            parts.append(cfg.gram_weight * loss_g)
        if cfg.swd_weight > 0:  # directions drawn from the step, so a resumed run draws the same ones
            gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + self.step * 7 + self.rank)
            loss_w, swd_terms = swd_losses(of, cf, s_feats, scale, cfg.swd_layers, gen)
            terms.update(swd_terms)
            parts.append(cfg.swd_weight * loss_w)
        extra = {}
        if cfg.border_weight > 0:
            extra["border"] = (cfg.border_weight, border_loss(out, c))
        if self.w_stab > 0:
            extra["stability"] = (self.w_stab, stability_loss(out2, out, theta, valid))
        if self.teacher is not None:
            with torch.no_grad():
                tf = vgg(self.teacher(target).clamp(0, 1), DISTILL_LAYERS)
            extra["distill"] = (cfg.distill_weight, feature_distill_loss(of, tf, cf, scale, DISTILL_LAYERS))
        for name, (weight, value) in extra.items():
            terms[name] = value.item()
            parts.append(weight * value)
        return sum(parts), terms, out

    def train_step(self, autocast) -> tuple[dict, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One optimizer step -> (log record, content, style, output)."""
        ts = time.monotonic()
        c, s = self.sampler.batch(self.step, self.local_batch)
        c, s = c.to(self.device, non_blocking=True), s.to(self.device, non_blocking=True)
        with autocast:
            loss, terms, out = self.batch_loss(c, s)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        n = self.local_batch * self.world
        self.step, self.samples = self.step + 1, self.samples + n
        self.wall += time.monotonic() - ts
        record = {"step": self.step, "samples": self.samples, "loss": loss.item(), **terms,
                  "samples_per_s": n / (time.monotonic() - ts), "wall": round(self.wall, 1)}
        return record, c, s, out

    def run(self) -> dict:
        """Train to ``cfg.steps`` or until a signal (SIGINT, SIGTERM, SIGHUP), checkpointing every
        ``checkpoint_every`` seconds and at the end; returns the last log record."""
        cfg, stem = self.cfg, os.path.splitext(self.cfg.out)[0]
        os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
        logf = open(stem + ".jsonl", "a") if self.rank == 0 else None
        prog = Progress(cfg.steps, "steps", quiet=cfg.quiet or self.rank != 0, done=self.step)
        autocast = torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32)
        last_ckpt, t0, record = time.monotonic(), time.monotonic(), {}
        with StopSignals() as stop:
            try:
                while self.step < cfg.steps and stop.signal is None:
                    record, c, s, out = self.train_step(autocast)
                    prog.update(1, loss=record["loss"], **{"s/s": record["samples_per_s"]})
                    if logf and self.step % cfg.log_every == 0:
                        logf.write(json.dumps(record) + "\n")
                        logf.flush()
                    if self.rank == 0 and self.step % cfg.preview_every == 0:
                        save_grid(stem + "_preview.png", c[:4], s[:4], out[:4].detach())
                    if time.monotonic() - last_ckpt > cfg.checkpoint_every:
                        self.checkpoint()
                        last_ckpt = time.monotonic()
                self.checkpoint()
            finally:
                prog.close()
                if logf:
                    logf.close()
                if self.world > 1:
                    dist.destroy_process_group()
        if self.rank == 0 and not cfg.quiet:
            why = f" (stopped by signal {stop.signal})" if stop.signal else ""
            print(f"trained to step {self.step}, {self.samples} samples, {time.monotonic() - t0:.0f} s this run"
                  f"{why}; checkpoint {cfg.out}")
        return record


class StopSignals:
    """Within ``with``: SIGINT, SIGTERM and SIGHUP only record ``signal``, so the loop ends after the step in
    flight and writes a whole checkpoint (never a torn one); the old handlers come back on exit."""

    SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))

    def __enter__(self) -> "StopSignals":
        self.signal = None
        self.old = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def _handle(self, signum, _frame) -> None:
        self.signal = signum

    def __exit__(self, *exc) -> None:
        for s, h in self.old.items():
            signal.signal(s, h)


def make_sampler(cfg: TrainConfig, rank: int) -> PairSampler:
    """The (content, style) sampler of the config: style folders, or the one ``style_image``."""
    content = ImagePool([(d, 1.0, False) for d in cfg.content])
    if cfg.style_image:
        style = ImagePool([(cfg.style_image, 1.0, False)], holdout=None)
    else:
        style = ImagePool([(d, 1.0, False) for d in cfg.style] + [(d, cfg.soft_rate, True) for d in cfg.style_soft])
    return PairSampler(content, style, cfg.size, cfg.seed, rank, aspects=ASPECTS, whole_rate=cfg.whole_rate,
                       style_hue=0.0 if cfg.style_image else STYLE_HUE)


def train(cfg: TrainConfig) -> dict:
    """Train ``cfg.model``'s trainable part; returns the last log record."""
    return Trainer(cfg).run()
