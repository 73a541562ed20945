"""How much memory a run may take: what the device has free now."""
from __future__ import annotations

import os

import torch

GiB = 2**30
RESERVE = GiB // 2  # left free for everything else the run allocates (codecs, Python, the OS)


def available_bytes(device: torch.device) -> int:
    """Free memory of ``device``: the GPU's free memory, or the host's MemAvailable (Linux) / total memory."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
