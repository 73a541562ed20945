"""``vidstyle webcam``: live stylization of a camera with preview, hotkeys, virtual camera, stream and recording."""
from __future__ import annotations

import argparse
import os
import sys

from ..errors import VidstyleError
from . import args

EXAMPLES = """examples:
  vidstyle webcam                                   # camera 0, bundled styles (n/p to switch)
  vidstyle webcam --style a.jpg b.jpg --size 360 --virtual-cam
  vidstyle webcam --camera /dev/video2 --resolution 1280x720 --record talk.mp4
  vidstyle webcam --camera clip.mp4 --no-preview --stream udp://127.0.0.1:5000 --stamp --duration 60
  vidstyle webcam --camera rtsp://192.168.1.20/stream --temporal flow
  vidstyle webcam --style group:2 a.jpg:0.5,b.jpg:0.5  # library group 2 and a mix; n/p cross-fade between them
  vidstyle webcam --preserve-color luma                # the room's own colours, painted (`c` cycles off/luma/match)
  vidstyle webcam --model saved_models/candy.pth       # a fast_neural_style per-style network

keys (preview window): n/p next/previous style, +/- strength, t temporal on/off, o original/stylized,
  c colour preservation off/luma/match, s snapshot PNG, q or Esc quit.
--preserve-color match matches the style's colours to the first frame, again after each style switch or `c`.
A file given as --camera plays at its own frame rate and the run ends at its end. Without a display (or with
the headless OpenCV build) there is no preview: the run goes on if another output is set, else it stops.
In OBS: Sources > Media Source, untick "Local File", Input udp://127.0.0.1:5000, Input Format mpegts.
"""
DEFAULT_TEMPORAL_MODE = "flow"  # what `t` turns on after --temporal off


def register(sub) -> None:
    p = sub.add_parser("webcam", help="stylize a camera live (preview, virtual camera, stream, record)",
                       epilog=EXAMPLES, formatter_class=args.Formatter)
    p.add_argument("--camera", default="0", metavar="SPEC",
                   help="camera index, /dev/videoN, stream URL or video file (default 0)")
    args.add_model_options(p, "style image(s); n/p switch between them (default: bundled styles)", multi_style=True)
    p.add_argument("--resolution", type=args.size_arg, metavar="WxH",
                   help="camera mode to ask for, WxH (devices only; default: the camera's)")
    p.add_argument("--fps", type=args.float_in(1, 240), default=30.0,
                   help="camera frame rate to ask for; rate of the stream and "
                   "recording (default 30)")
    args.add_tile_options(p)
    args.add_compile_option(p)
    args.add_temporal_options(p, "temporal smoothing (default flow: ~4 ms a frame at 640x480 on 2 CPU cores; ema is "
                              "cheaper and ghosts on motion)")
    args.add_live_keyframes_option(p)
    p.add_argument("--preview", action=argparse.BooleanOptionalAction, default=True,
                   help="show a preview window with hotkeys (default on)")
    p.add_argument("--virtual-cam", action="store_true", help="send to a virtual camera (pyvirtualcam)")
    p.add_argument("--virtual-cam-size", type=args.size_arg, default=(1280, 720), metavar="WxH",
                   help="virtual camera mode, WxH; frames are letterboxed into it (default 1280x720)")
    p.add_argument("--stream", metavar="URL",
                   help="MPEG-TS/H.264 stream, e.g. udp://127.0.0.1:5000 (srt:// needs PyAV built with libsrt)")
    p.add_argument("--stamp", action="store_true", help="stamp the capture wall-clock time into the streamed "
                   "frames' top-left 64x56 pixels, for delay measurements (see vidstyle/live/stamp.py)")
    p.add_argument("--record", metavar="OUT", help="also record to this video file (finalized on exit, Ctrl-C too)")
    p.add_argument("--overwrite", action="store_true", help="replace the --record file if it exists")
    p.add_argument("--snapshot-dir", default=".", metavar="DIR",
                   help="folder for `s` snapshots (default: current folder)")
    p.add_argument("--duration", type=args.float_in(0, 1e7), metavar="SECONDS", help="stop after this many seconds")
    p.add_argument("-q", "--quiet", action="store_true", help="no start line or summary")
    p.set_defaults(func=run)


def _outputs(a: argparse.Namespace) -> list:
    """The threaded outputs asked for, opened now so that a missing device or bad path fails before the model
    loads; on failure the ones already opened are closed."""
    from ..live.outputs import RecordOutput, StreamOutput, VirtualCamOutput

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


def _style_paths(a: argparse.Namespace) -> list:
    """The styles n/p cycle through: --style's (images, mixes, library styles), else the bundled paintings."""
    from ..styles import DEFAULT_STYLE, bundled_styles, default_style

    if a.style:
        return args.style_values(a.style)
    return [default_style()] + [p for p in bundled_styles() if not p.endswith(DEFAULT_STYLE)]


def _preview(a: argparse.Namespace, outputs: list):
    """The preview window when asked for and possible; None (with a notice) when other outputs carry on."""
    from ..live.preview import PreviewWindow, preview_problem

    if not a.preview:
        return None
    problem = preview_problem()
    if problem and not outputs:
        raise VidstyleError(f"{problem}; for a preview in a web browser run `vidstyle serve` and open the address it "
                            "prints, or add --virtual-cam, --stream or --record, or --no-preview")
    if problem:
        print(f"vidstyle: {problem}; going on with the other outputs", file=sys.stderr)
        return None
    if not os.path.isdir(a.snapshot_dir):
        raise VidstyleError(f"--snapshot-dir {a.snapshot_dir}: no such folder")
    return PreviewWindow(a.snapshot_dir)


def _session(a: argparse.Namespace, camera, outputs: list, preview, paths: list):
    """The live session: the stylizer with every style encoded (so n/p switch instantly), hotkeys, temporal."""
    from ..live.cameras import Capture
    from ..live.controls import Controls
    from ..pipelines.live import LiveSession

    stylizer = args.stylizer(a, style=paths[0], smooth_stats=True)  # smoothing follows the `t` key
    if stylizer.per_style:  # one network, one style: nothing for n/p to switch
        styles = [(stylizer.style_name, stylizer.style_code)]
    else:
        styles = [stylizer.encode_style(p) for p in paths]
    controls = Controls([n for n, _ in styles], a.strength, temporal=a.temporal != "off",
                        preserve_color=a.preserve_color)
    temporal = args.temporal_stage(a, a.temporal if a.temporal != "off" else DEFAULT_TEMPORAL_MODE)
    return LiveSession(Capture(camera), stylizer, styles, outputs, preview, controls, temporal,
                       args.live_keyframes(a))


def run(a: argparse.Namespace) -> int:
    from ..live.cameras import open_camera
    from ..live.controls import HELP

    paths = _style_paths(a)  # library names, mixes and groups resolved before any work
    camera = open_camera(a.camera, a.resolution, a.fps)
    outputs = []
    try:
        outputs = _outputs(a)
        preview = _preview(a, outputs)
        session = _session(a, camera, outputs, preview, paths)  # torch loads once the camera and outputs work
    except BaseException:
        for o in outputs:
            o.close()
        camera.release()
        raise
    if not a.quiet:
        outs = ", ".join([o.name for o in outputs] + (["preview"] if preview else [])) or "none"
        print(f"vidstyle: {camera.name} {camera.mode()}, model {session.runner.model_name}, "
              f"{len(session.styles)} style(s), outputs: {outs}" + (f"; {HELP}" if preview else ""), file=sys.stderr)
    stats = session.run(a.duration)
    if not a.quiet:
        print(f"vidstyle: {stats.summary()}", file=sys.stderr)
    return 0
