"""``vidstyle webcam``: live stylization of a camera with preview, hotkeys, virtual camera, stream and recording."""
from __future__ import annotations

import argparse
import os
import sys

from .errors import VidstyleError

EXAMPLES = """examples:
  vidstyle webcam                                   # camera 0, bundled styles (n/p to switch)
  vidstyle webcam --style a.jpg b.jpg --size 360 --virtual-cam
  vidstyle webcam --camera /dev/video2 --resolution 1280x720 --record talk.mp4
  vidstyle webcam --camera clip.mp4 --no-preview --stream udp://127.0.0.1:5000 --stamp --duration 60
  vidstyle webcam --camera rtsp://192.168.1.20/stream --temporal flow

keys (preview window): n/p next/previous style, +/- strength, t temporal on/off, o original/stylized,
  s snapshot PNG, q or Esc quit.
A file given as --camera plays at its own frame rate and the run ends at its end. Without a display (or with
the headless OpenCV build) there is no preview: the run goes on if another output is set, else it stops.
In OBS: Sources > Media Source, untick "Local File", Input udp://127.0.0.1:5000, Input Format mpegts.
"""
DEFAULT_TEMPORAL_MODE = "flow"  # what `t` turns on after --temporal off


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``webcam`` sub-command to an argparse ``add_subparsers()`` object."""
    from .cli import _size_arg

    p = subparsers.add_parser("webcam", help="stylize a camera live (preview, virtual camera, stream, record)",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--camera", default="0", metavar="SPEC",
                   help="camera index, /dev/videoN, stream URL or video file (default 0)")
    p.add_argument("--style", nargs="+", metavar="IMG",
                   help="style image(s); n/p switch between them (default: bundled styles)")
    p.add_argument("--resolution", type=_size_arg, metavar="WxH",
                   help="camera mode to ask for, WxH (devices only; default: the camera's)")
    p.add_argument("--fps", type=float, default=30.0, help="camera frame rate to ask for; rate of the stream and "
                   "recording (default 30)")
    p.add_argument("--size", type=int, help="processing short side in pixels (default: the camera's)")
    p.add_argument("--strength", type=float, default=1.0, help="style strength in [0, 1] (default 1)")
    p.add_argument("--model", default="auto", help="style network (see `vidstyle styles`; default: auto)")
    p.add_argument("--temporal", default="flow", choices=["off", "ema", "flow"],
                   help="temporal smoothing (default flow: ~4 ms a frame at 640x480 on 2 CPU cores; ema is "
                        "cheaper and ghosts on motion)")
    p.add_argument("--temporal-strength", type=float, help="how much of the past is kept, in [0, 1)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    p.add_argument("--preview", action=argparse.BooleanOptionalAction, default=True,
                   help="show a preview window with hotkeys (default on)")
    p.add_argument("--virtual-cam", action="store_true", help="send to a virtual camera (pyvirtualcam)")
    p.add_argument("--virtual-cam-size", type=_size_arg, default=(1280, 720), metavar="WxH",
                   help="virtual camera mode, WxH; frames are letterboxed into it (default 1280x720)")
    p.add_argument("--stream", metavar="URL",
                   help="MPEG-TS/H.264 stream, e.g. udp://127.0.0.1:5000 (srt:// needs PyAV built with libsrt)")
    p.add_argument("--stamp", action="store_true", help="stamp the capture wall-clock time into the streamed "
                   "frames' top-left 64x56 pixels, for delay measurements (see vidstyle/stamp.py)")
    p.add_argument("--record", metavar="OUT", help="also record to this video file (finalized on exit, Ctrl-C too)")
    p.add_argument("--overwrite", action="store_true", help="replace the --record file if it exists")
    p.add_argument("--snapshot-dir", default=".", metavar="DIR",
                   help="folder for `s` snapshots (default: current folder)")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this many seconds")
    p.add_argument("-q", "--quiet", action="store_true", help="no start line or summary")
    p.set_defaults(func=cmd_webcam)
    return p


def _outputs(a: argparse.Namespace) -> list:
    """The threaded outputs asked for, opened now so that a missing device or bad path fails before the model
    loads; on failure the ones already opened are closed."""
    from .outputs import RecordOutput, StreamOutput, VirtualCamOutput

    makers = []
    if a.record:
        makers.append(lambda: RecordOutput(a.record, a.fps, a.overwrite))
    if a.virtual_cam:
        makers.append(lambda: VirtualCamOutput(a.virtual_cam_size, a.fps))
    if a.stream:
        makers.append(lambda: StreamOutput(a.stream, a.fps, a.stamp))
    outputs = []
    try:
        for make in makers:
            outputs.append(make())
    except BaseException:
        for o in outputs:
            o.close()
        raise
    return outputs


def _style_paths(a: argparse.Namespace) -> list[str]:
    from .styles import DEFAULT_STYLE, bundled_styles, default_style

    if a.style:
        return a.style
    return [default_style()] + [p for p in bundled_styles() if not p.endswith(DEFAULT_STYLE)]


def cmd_webcam(a: argparse.Namespace) -> int:
    from .cameras import Capture, open_camera
    from .controls import HELP, Controls
    from .live import LiveSession
    from .preview import PreviewWindow, preview_problem

    if not 0.0 <= a.strength <= 1.0:
        raise VidstyleError(f"--strength must be between 0 and 1, got {a.strength}")
    if a.size is not None and a.size < 16:
        raise VidstyleError(f"--size must be at least 16 pixels, got {a.size}")
    if a.fps <= 0:
        raise VidstyleError(f"--fps must be positive, got {a.fps}")
    if a.temporal_strength is not None and not 0.0 <= a.temporal_strength < 1.0:
        raise VidstyleError(f"--temporal-strength must be in [0, 1), got {a.temporal_strength}")
    camera = open_camera(a.camera, a.resolution, a.fps)
    outputs = []
    try:
        outputs = _outputs(a)
        preview = None
        if a.preview:
            problem = preview_problem()
            if problem and not outputs:
                raise VidstyleError(f"{problem}; add --virtual-cam, --stream or --record, or --no-preview")
            if problem:
                print(f"vidstyle: {problem}; going on with the other outputs", file=sys.stderr)
            elif not os.path.isdir(a.snapshot_dir):
                raise VidstyleError(f"--snapshot-dir {a.snapshot_dir}: no such folder")
            else:
                preview = PreviewWindow(a.snapshot_dir)
        from .stylizer import Stylizer  # torch loads only once the camera and outputs are known to work
        from .temporal import make_temporal

        paths = _style_paths(a)
        stylizer = Stylizer(style=paths[0], model=a.model, device=a.device, precision=a.precision,
                            strength=a.strength, size=a.size)
        styles = [stylizer.encode_style(p) for p in paths]
        controls = Controls([n for n, _ in styles], a.strength, temporal=a.temporal != "off")
        temporal = make_temporal(a.temporal if a.temporal != "off" else DEFAULT_TEMPORAL_MODE, a.temporal_strength)
    except BaseException:
        for o in outputs:
            o.close()
        camera.release()
        raise
    if not a.quiet:
        outs = ", ".join([o.name for o in outputs] + (["preview"] if preview else [])) or "none"
        print(f"vidstyle: {camera.name} {camera.mode()}, model {stylizer.model_name}, "
              f"{len(styles)} style(s), outputs: {outs}" + (f"; {HELP}" if preview else ""), file=sys.stderr)
    session = LiveSession(Capture(camera), stylizer, styles, outputs, preview, controls, temporal)
    stats = session.run(a.duration)
    if not a.quiet:
        print(f"vidstyle: {stats.summary()}", file=sys.stderr)
    return 0
