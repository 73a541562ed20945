"""``vidstyle bench``: model-only and end-to-end (decode + stylize + encode with audio) frames per second,
per model x resolution x backend (PyTorch, or onnxruntime on the exported ``fast``) x precision."""
from __future__ import annotations

import logging
import os
import tempfile
import time
from fractions import Fraction

import av
import cv2
import numpy as np
import torch

from .errors import VidstyleError
from .runtime.device import cpu_has_bf16, machine, resolve_device

BACKENDS = ("torch", "onnxruntime")
ROUNDS = 3  # interleaved rounds of timings (the rows give their median)
DISAGREE = 1.5  # rounds whose fastest is more than this many times their slowest disagree
log = logging.getLogger("vidstyle")


def frame_size(short: int, aspect: Fraction = Fraction(16, 9)) -> tuple[int, int]:
    """(H, W) of a landscape frame with the given short side, W rounded to even."""
    w = int(round(short * aspect))
    return short, w + w % 2


def _rate(step, batch: int, seconds: float, warmup: int, sync=lambda: None) -> float:
    """Calls of ``step()`` (each ``batch`` frames) after ``warmup`` untimed ones, for at least ``seconds``
    -> frames per second; ``sync()`` waits for queued device work."""
    for _ in range(warmup):
        step()
    sync()
    n, t0 = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - t0 < seconds:
        step()
        n += batch
    sync()
    return n / (time.perf_counter() - t0)


def model_fps(stylizer, hw: tuple[int, int], batch: int, seconds: float = 5.0, warmup: int = 2) -> float:
    """Frames per second of ``stylizer`` alone on random uint8 frames of size ``hw`` (H, W)."""
    frames = np.random.default_rng(0).integers(0, 256, (batch, *hw, 3), dtype=np.uint8)
    sync = torch.cuda.synchronize if stylizer.device.type == "cuda" else (lambda: None)
    return _rate(lambda: stylizer(frames), batch, seconds, warmup, sync)


def onnx_fps(model: str, hw: tuple[int, int], batch: int, seconds: float = 5.0, warmup: int = 2) -> float:
    """Model-only frames per second of ``model`` exported to ONNX (default style baked in, fp32) and run by
    onnxruntime on the CPU, on random frames of size ``hw`` (H, W)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise VidstyleError("the onnxruntime backend needs the optional extra: pip install 'vidstyle[onnx]'") from None
    from .export import bake, export

    with tempfile.TemporaryDirectory() as tmp:
        path = export(bake(model), os.path.join(tmp, "model.onnx"), "onnx")
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = {session.get_inputs()[0].name: np.random.default_rng(0).random((batch, 3, *hw), dtype=np.float32)}
    return _rate(lambda: session.run(None, x), batch, seconds, warmup)


def make_clip(path: str, hw: tuple[int, int], n: int, rate: int = 30) -> str:
    """A real H.264 + AAC clip of ``n`` frames panning 1 px a frame over a photo-like image (smooth noise at
    several scales, so that optical flow and the temporal stage work as on real footage), for timing."""
    rng = np.random.default_rng(1)
    h, w = hw[0] + n, hw[1] + n
    base = np.zeros((h, w, 3), np.float32)
    for cell, amp in ((64, 1.0), (16, 0.5), (4, 0.25), (1, 0.1)):
        small = rng.random((h // cell + 2, w // cell + 2, 3), dtype=np.float32)
        base += amp * cv2.resize(small, (w + 2 * cell, h + 2 * cell), interpolation=cv2.INTER_CUBIC)[:h, :w]
    base = cv2.normalize(base, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    with av.open(path, "w") as out:
        vs = out.add_stream("libx264", rate=rate, options={"preset": "ultrafast", "crf": "23"})
        vs.width, vs.height, vs.pix_fmt = hw[1], hw[0], "yuv420p"
        a = out.add_stream("aac", rate=48000, layout="stereo")
        for i in range(n):
            out.mux(vs.encode(av.VideoFrame.from_ndarray(base[i:i + hw[0], i:i + hw[1]], format="rgb24")))
        out.mux(vs.encode(None))
        fs = a.codec_context.frame_size or 1024
        for k in range(int(n / rate * 48000) // fs):
            af = av.AudioFrame.from_ndarray(np.zeros((2, fs), np.float32), format="fltp", layout="stereo")
            af.sample_rate, af.pts = 48000, k * fs
            out.mux(a.encode(af))
        out.mux(a.encode(None))
    return path


def e2e_fps(stylizer, clip: str, batch: int, temporal: str = "off", hwaccel: bool = False,
            encoder: str = "x264") -> float:
    """Frames per second of the whole `vidstyle file` job (``jobs.video.stylize_video``) on ``clip`` with
    ``stylizer``'s model runner (output discarded); ``hwaccel`` decodes on the GPU and ``encoder`` 'nvenc'
    encodes on it, where they open."""
    from .jobs.options import VideoOptions
    from .jobs.video import stylize_video

    options = VideoOptions(batch=batch, temporal=temporal, hwaccel="on" if hwaccel else "off", encoder=encoder,
                           quiet=True)
    with tempfile.TemporaryDirectory() as tmp:
        return stylize_video(clip, os.path.join(tmp, "out.mp4"), options, runner=stylizer.runner).fps


def temporal_ms(stylizer, clip: str, batch: int, temporal: str, passes: int = 3) -> float:
    """Milliseconds per frame of the ``temporal`` stage alone, on ``clip``'s frames and their stylizations:
    the median of ``passes`` passes over the clip (a shared machine's hiccups skew a single pass)."""
    with av.open(clip) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    styl = [y for i in range(0, len(frames), batch) for y in stylizer(np.stack(frames[i:i + batch]))]
    stage, times = _temporal(temporal), []
    for _ in range(passes):
        stage.reset()
        t0 = time.perf_counter()
        for f, y in zip(frames, styl):
            stage(f, y)
        times.append((time.perf_counter() - t0) * 1000 / len(frames))
    return float(np.median(times))


def _temporal(mode: str):
    if mode == "off":
        return None
    from .temporal import make_temporal

    return make_temporal(mode)


def bench_precisions(device: torch.device, asked: list[str] | None = None) -> list[str]:
    """The precisions to time: those ``asked`` for, else fp16 on CUDA, and fp32 plus bf16 (where the CPU has
    native bf16) on a CPU, since many CPUs (AVX2 only) run fp32."""
    if asked and asked != ["auto"]:
        return list(asked)
    if device.type == "cuda":
        return ["fp16"]
    return ["fp32", "bf16"] if cpu_has_bf16() else ["fp32"]


def run_bench(models: list[str], sizes: list[int], device: str = "auto", precisions: list[str] | None = None,
              batch: int | None = None, frames: int = 60, seconds: float = 5.0, e2e: bool = True, temporal: str = "off",
              quiet: bool = False, backends: tuple[str, ...] = ("torch",), rounds: int = ROUNDS) -> dict:
    """Benchmark each size x model x precision x backend ('torch' or 'onnxruntime'; the latter model-only,
    fp32, CPU, ``fast`` only); returns {"machine": str, "rows": [dict]}. The PyTorch timings (model-only, then
    end-to-end) of all models and precisions are interleaved, round after round, and each row gives their
    median and range: on a shared machine only such side-by-side numbers compare. Rounds that disagree, or a
    model-only rate below the end-to-end one, are said (one warning line each) and listed in the row."""
    from .api import Stylizer, default_model_name

    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise VidstyleError(f"unknown backend '{sorted(unknown)[0]}' (use {' or '.join(BACKENDS)})")
    dev = resolve_device(device)
    names = [default_model_name(dev) if name == "auto" else name for name in models]
    if "onnxruntime" in backends and any(not n.startswith("fast") for n in names):
        bad = next(n for n in names if not n.startswith("fast"))
        raise VidstyleError(f"the onnxruntime backend runs the exported 'fast' model only, not '{bad}'")
    runs = [(n, Stylizer(model=n, device=device, precision=p)) for n in names
            for p in (bench_precisions(dev, precisions) if "torch" in backends else [])]
    rows = []
    for short in sizes:
        hw = frame_size(short)
        with tempfile.TemporaryDirectory() as tmp:
            clip = make_clip(os.path.join(tmp, "clip.mp4"), hw, frames) if e2e and runs else None
            model_t, e2e_t = [[] for _ in runs], [[] for _ in runs]
            for _ in range(rounds):
                for i, (_, st) in enumerate(runs):
                    model_t[i].append(model_fps(st, hw, batch or st.default_batch, seconds))
                    if clip:
                        e2e_t[i].append(e2e_fps(st, clip, batch or st.default_batch, temporal))
            new = [torch_row(st, n, hw, batch or st.default_batch, model_t[i], e2e_t[i], clip, temporal)
                   for i, (n, st) in enumerate(runs)]
        new += [onnx_row(n, hw, batch or 4, seconds) for n in names if "onnxruntime" in backends]
        for row in new:
            rows.append(row)
            if not quiet:
                print(format_row(row), flush=True)
            for line in row.get("warnings", []):
                log.warning("%s", line)
    return {"machine": machine(), "rows": rows}


def onnx_row(name: str, hw: tuple[int, int], batch: int, seconds: float) -> dict:
    return {"model": name, "size": f"{hw[1]}x{hw[0]}", "backend": "onnxruntime", "batch": batch, "device": "cpu",
            "precision": "float32", "model_fps": round(onnx_fps(name, hw, batch, seconds), 3)}


def torch_row(st, name: str, hw: tuple[int, int], batch: int, timings: list[float], e2e_timings: list[float],
              clip: str | None, temporal: str) -> dict:
    """One PyTorch row: model-only fps (the median of ``timings``, and their range when there are several)
    and, where there are ``e2e_timings`` (of ``clip``), end-to-end fps likewise and the temporal stage's cost;
    ``warnings`` where the timings cannot be trusted (``doubts``)."""
    row = {"model": name, "size": f"{hw[1]}x{hw[0]}", "backend": "torch", "batch": batch, "device": st.device.type,
           "precision": str(st.dtype).replace("torch.", ""), "model_fps": round(float(np.median(timings)), 3)}
    if len(timings) > 1:
        row["model_fps_range"] = [round(min(timings), 2), round(max(timings), 2)]
    if e2e_timings:
        row["e2e_fps"] = round(float(np.median(e2e_timings)), 3)
        if len(e2e_timings) > 1:
            row["e2e_fps_range"] = [round(min(e2e_timings), 2), round(max(e2e_timings), 2)]
        row["temporal"] = temporal
        if temporal != "off":
            ms = temporal_ms(st, clip, batch, temporal)
            row["temporal_ms"] = round(ms, 3)
            row["temporal_share"] = round(ms * row["e2e_fps"] / 1000, 4)
    warnings = doubts(row, timings, e2e_timings)
    if warnings:
        row["warnings"] = warnings
    return row


def doubts(row: dict, timings: list[float], e2e_timings: list[float]) -> list[str]:
    """One line per reason not to trust a row: rounds whose fastest is more than DISAGREE times their
    slowest, or a model-only rate below the end-to-end one (which includes the model's work)."""
    what = f"{row['model']} at {row['size']} ({row['precision']})"
    lines = [f"{kind} timings of {what} disagree across rounds ({min(t):.1f}-{max(t):.1f} fps): the machine was "
             "busy; rerun, or take more --rounds"
             for kind, t in (("model-only", timings), ("end-to-end", e2e_timings))
             if len(t) > 1 and max(t) > DISAGREE * min(t)]
    if "e2e_fps" in row and row["model_fps"] < row["e2e_fps"]:
        lines.append(f"model-only {row['model_fps']:.1f} fps of {what} is slower than end-to-end "
                     f"{row['e2e_fps']:.1f} fps, which includes the model: the machine was busy; rerun")
    return lines


def format_row(r: dict) -> str:
    e2e = f"{r['e2e_fps']:8.2f}" if "e2e_fps" in r else "       -"
    e2e += f" ({r['e2e_fps_range'][0]:.1f}-{r['e2e_fps_range'][1]:.1f})" if "e2e_fps_range" in r else ""
    stage = f"  {r['temporal_ms']:.2f} ms = {r['temporal_share']:.0%} of a frame" if "temporal_ms" in r else ""
    spread = f" ({r['model_fps_range'][0]:.1f}-{r['model_fps_range'][1]:.1f})" if "model_fps_range" in r else ""
    return (f"{r['model']:14s} {r['size']:>10s} {r['backend']:11s} {r['device']:5s} {r['precision']:9s} "
            f"{r['batch']:5d} {r['model_fps']:10.2f}{spread} {e2e}{stage}")


HEADER = (f"{'model':14s} {'size':>10s} {'backend':11s} {'dev':5s} {'precision':9s} {'batch':>5s} {'model fps':>10s} "
          f"{'e2e fps':>8s}  temporal stage")


def live_bench(model: str = "auto", size: int | None = None, device: str = "auto", precision: str = "auto",
               seconds: float = 10.0, resolution: tuple[int, int] = (640, 480), fps: float = 30.0,
               temporal: str = "off", keyframes: bool | None = None) -> dict:
    """The `vidstyle webcam` pipeline on a synthetic ``resolution`` (W, H) camera at ``fps`` for ``seconds``,
    no outputs; ``size`` is the processing short side (None: the camera's); ``keyframes`` as LiveSession takes
    it. Returns fps, capture->output latency p50/p95 (ms), camera frames dropped and, where the model painted
    keyframes, their number, rate (per second) and the last one's size (short side)."""
    from .api import Stylizer
    from .live.cameras import Capture, SyntheticCamera
    from .pipelines.live import LiveSession

    st = Stylizer(model=model, device=device, precision=precision, size=size)
    frame = np.zeros((resolution[1], resolution[0], 3), np.uint8)
    for _ in range(2):  # warm up, so that the first frames do not count one-time costs
        st(frame)
    session = LiveSession(Capture(SyntheticCamera(resolution, fps)), st, temporal=_temporal(temporal),
                          keyframes=keyframes)
    stats = session.run(seconds)
    keys = {} if stats.keyframes is None else {
        "keyframes": stats.keyframes, "keyframe_rate": round(stats.keyframe_rate, 2),
        "keyframe_short": min(stats.paint_hw)}
    return {"machine": machine(), "model": st.model_name, "camera": f"{resolution[0]}x{resolution[1]}@{fps:g}",
            "size": size, "device": st.device.type, "precision": str(st.dtype).replace("torch.", ""),
            "temporal": temporal, "seconds": round(stats.seconds, 2), "frames": stats.frames,
            "fps": round(stats.fps, 2), "latency_p50_ms": round(stats.latency_p50_ms, 1),
            "latency_p95_ms": round(stats.latency_p95_ms, 1), "camera_dropped": stats.camera_dropped, **keys}


def format_live(r: dict) -> str:
    """The `bench --live` result as two lines of text."""
    return (f"machine: {r['machine']}\nlive: {r['model']} on a {r['camera']} camera, processing short side "
            f"{r['size'] or 'full'}, {r['device']} {r['precision']}, temporal {r['temporal']}: {r['fps']:.1f} fps, "
            f"capture->output latency p50 {r['latency_p50_ms']:.0f} ms p95 {r['latency_p95_ms']:.0f} ms, "
            f"{r['camera_dropped']} camera frames dropped"
            + (f", {r['keyframes']} keyframes ({r['keyframe_rate']:.1f}/s, the last painted at short side "
               f"{r['keyframe_short']})" if "keyframes" in r else ""))
