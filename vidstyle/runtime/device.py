"""Device and precision choice: CUDA fp16 when available, CPU bf16 where the CPU supports it, else fp32."""
from __future__ import annotations

import os
import platform

import torch

from ..errors import VidstyleError

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise VidstyleError("--device cuda: no CUDA GPU is available (use --device cpu or auto)")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise VidstyleError(f"unknown device '{name}' (use auto, cpu or cuda)")
    return torch.device(name)


def cpu_has_bf16() -> bool:
    """True when the CPU has native bf16 math (AVX512-BF16 or AMX), where bf16 beats fp32."""
    cpu = getattr(torch.backends, "cpu", None)
    level = cpu.get_cpu_capability() if cpu else ""
    return "AVX512" in level.upper() and _cpu_flag("avx512_bf16") or _cpu_flag("amx_bf16")


def _cpu_flag(flag: str) -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return any(flag in line.split() for line in f if line.startswith("flags"))
    except OSError:
        return False


def resolve_precision(name: str, device: torch.device, training: bool = False) -> torch.dtype:
    """'auto' -> fp16 on CUDA (bf16 when training), bf16 on a bf16-capable CPU, else fp32."""
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if training and torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if cpu_has_bf16() else torch.float32
    if name not in PRECISIONS:
        raise VidstyleError(f"unknown precision '{name}' (use auto, fp32, fp16 or bf16)")
    if name == "fp16" and device.type == "cpu":
        raise VidstyleError("--precision fp16 needs CUDA; on a CPU use bf16 or fp32")
    return PRECISIONS[name]


def configure_threads() -> None:
    """One intra-op thread per core (the default can oversubscribe with hyperthreads)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(max(1, n))


def machine() -> str:
    """A short description of the CPU (and GPU, when there is one), for benchmarks and model cards."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    cpu_level = getattr(torch.backends, "cpu", None)
    isa = cpu_level.get_cpu_capability() if cpu_level else "?"
    isa += " with native bf16" if cpu_has_bf16() else ", no native bf16"
    desc = f"{cpu}, {os.cpu_count()} cores, {isa}, torch {torch.__version__.split('+')[0]}"
    if torch.cuda.is_available():
        desc += f", {torch.cuda.get_device_name(0)}"
    return desc
