"""uint8 frame batches to and from the device, overlapped with compute on CUDA.

On CUDA: frames are staged in pinned host buffers (two per shape, used in turn) and uploaded on a copy
stream; results are downloaded with non-blocking copies into pinned buffers, finished by an event. So while
the GPU computes batch k, batch k+1 is uploaded and batch k-1 downloaded. On a CPU the same calls are plain
tensor views and conversions.
"""
from __future__ import annotations

import numpy as np
import torch


class Done:
    """A finished result: ``result()`` returns ``array`` (the interface of ``Pending``)."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def result(self) -> np.ndarray:
        return self.array


class Pending(Done):
    """A download in flight: ``result()`` waits for it and returns an ordinary (unpinned) copy."""

    def __init__(self, buffer: torch.Tensor, event: torch.cuda.Event):
        super().__init__(buffer.numpy())
        self.event = event

    def result(self) -> np.ndarray:
        self.event.synchronize()
        return self.array.copy()  # the pinned buffer is reused two batches later


class FrameIO:
    """``upload(frames)``: uint8 (N, H, W, 3) -> float (N, 3, H, W) in [0, 1] on ``device``;
    ``download(y)``: float (N, 3, H, W) in [0, 1] -> Done/Pending of uint8 (N, H, W, 3)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.cuda = device.type == "cuda"
        self.copy_stream = torch.cuda.Stream(device) if self.cuda else None
        self.buffers: dict[tuple, list] = {}  # (direction, shape) -> [[pinned tensor, event of its last copy]] x2
        self.turn: dict[tuple, int] = {}

    def _buffer(self, direction: str, shape: tuple) -> tuple[torch.Tensor, torch.cuda.Event]:
        key = (direction, shape)
        if key not in self.buffers:
            self.buffers[key] = [[torch.empty(shape, dtype=torch.uint8).pin_memory(), None] for _ in range(2)]
        self.turn[key] = 1 - self.turn.get(key, 1)
        slot = self.buffers[key][self.turn[key]]
        if slot[1] is not None:
            slot[1].synchronize()  # its copy from two batches ago is done before the buffer is refilled
        slot[1] = torch.cuda.Event()
        return slot[0], slot[1]

    def upload(self, frames: np.ndarray) -> torch.Tensor:
        if not self.cuda:
            return torch.from_numpy(np.require(frames, requirements=("C", "W"))).permute(0, 3, 1, 2).float().div_(255)
        host, event = self._buffer("up", frames.shape)
        host.numpy()[...] = frames
        with torch.cuda.stream(self.copy_stream):
            x = host.to(self.device, non_blocking=True)
            event.record(self.copy_stream)
        torch.cuda.current_stream(self.device).wait_stream(self.copy_stream)
        x.record_stream(torch.cuda.current_stream(self.device))
        return x.permute(0, 3, 1, 2).float().div_(255)

    def download(self, y: torch.Tensor) -> Done:
        u8 = y.clamp(0, 1).mul_(255).round_().to(torch.uint8).permute(0, 2, 3, 1).contiguous()
        if not self.cuda:
            return Done(u8.numpy())
        host, event = self._buffer("down", tuple(u8.shape))
        host.copy_(u8, non_blocking=True)
        event.record()
        return Pending(host, event)
