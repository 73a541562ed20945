"""``vidstyle batch INPUT... -o OUTDIR``: many videos (files, folders, globs) with the options of `file`, in this
process or on a Ray cluster, resumable."""
from __future__ import annotations

import argparse
import sys

from . import args
from .file import add_job_options, options

EXAMPLES = """examples:
  vidstyle batch clips/ -o styled/ --style starry           # every video in clips/ (and below)
  vidstyle batch 'shots/*.mov' intro.mp4 -o styled/ --ext mkv
  vidstyle batch film.mp4 -o styled/ --model adain --ray auto   # on the Ray cluster this machine belongs to
  vidstyle batch clips/ -o styled/ --ray 10.0.0.1:6379 --workers 8

Outputs are OUTDIR/<name>.<ext>. OUTDIR/vidstyle-batch.json records what is finished: run the same command
again after an interruption and it goes on where it stopped. With Ray, inputs and OUTDIR must be on storage
every machine of the cluster sees under the same path (see docs/batch.md).
"""


def register(sub) -> None:
    p = sub.add_parser("batch", help="stylize many videos, here or on a Ray cluster", epilog=EXAMPLES,
                       formatter_class=args.Formatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, folders (searched for videos) or globs")
    p.add_argument("-o", "--outdir", required=True, help="output folder (made if missing)")
    p.add_argument("--ext", default="mp4", choices=["mp4", "mkv", "mov", "webm"],
                   help="output container (default mp4)")
    p.add_argument("--ray", metavar="auto|ADDRESS|off", help="run on a Ray cluster: auto (the one this machine "
                   "has joined), its ADDRESS (host:port of `ray start --head`), or off (this process, one video "
                   "after another); default: Ray started on this machine when it is installed, else off")
    p.add_argument("--workers", type=args.int_in(1, 4096), help="workers, each with its own model (default: one "
                   "per GPU of the cluster; on CPUs, one per 4 cores)")
    p.add_argument("--segment-seconds", type=args.float_in(0, 86400), default=60.0, metavar="S",
                   help="cut videos longer than 1.5 S seconds into segments of S to 1.5 S seconds at their "
                   "keyframes where the picture changes least, stylized in parallel and joined without "
                   "re-encoding; 0: never (default 60)")
    p.add_argument("--warmup", type=args.int_in(0, 10000), default=30, metavar="N",
                   help="frames before each segment stylized (and thrown away) to settle its temporal smoothing "
                   "and statistics, so segments join without a visible seam (default 30)")
    add_job_options(p)
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..batch.driver import run_batch
    from ..batch.inputs import items
    from ..batch.pools import make_pool

    opts = options(a)
    pool = make_pool(a.ray, a.workers, opts)
    try:
        summary = run_batch(items(a.inputs, a.outdir, a.ext), opts, a.outdir, pool, quiet=a.quiet,
                            segment_seconds=a.segment_seconds, warmup=a.warmup)
    finally:
        pool.close()
    if a.quiet:  # failures are said even then
        for line in summary.lines()[1:]:
            print(f"vidstyle: {line}", file=sys.stderr)
    return 1 if summary.failed else 0
