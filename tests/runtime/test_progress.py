"""Progress lines: counts, percentages and a rate that ignores work done before a resume."""
import io
import time

from vidstyle.runtime.progress import Progress, fmt_seconds


def test_resumed_rate_counts_only_this_run():
    out = io.StringIO()
    prog = Progress(1000, "steps", every=0.0, stream=out, done=900)
    time.sleep(0.05)
    prog.update(5)
    line = out.getvalue().strip()
    assert line.startswith("90.5% 905/1000 steps")
    assert prog.rate < 5 / 0.05 + 1e-6  # 900 resumed steps would give a rate above 18000/s


def test_quiet_prints_nothing_and_eta_format():
    out = io.StringIO()
    prog = Progress(10, quiet=True, every=0.0, stream=out)
    prog.update(3)
    assert out.getvalue() == ""
    assert fmt_seconds(59) == "0:59" and fmt_seconds(3725) == "1:02:05"
