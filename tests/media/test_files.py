"""Output files: the temporary name, commit and discard; the encoder's even-size fitting."""
import os
import subprocess
import sys

import numpy as np

from vidstyle.media.encode import even, fit_even
from vidstyle.media.files import AtomicFile, host, remove_stale_parts


def test_atomic_file_appears_only_on_commit(tmp_path):
    out = tmp_path / "clip.mp4"
    f = AtomicFile(str(out))
    assert os.path.dirname(f.tmp) == str(tmp_path) and f.tmp.endswith(".mp4") and os.path.basename(f.tmp)[0] == "."
    open(f.tmp, "w").write("data")
    assert not out.exists()
    f.commit()
    assert out.read_text() == "data" and not os.path.exists(f.tmp)
    f.discard()  # after commit: does nothing
    assert out.exists()


def test_atomic_file_discard_removes_the_temporary(tmp_path):
    f = AtomicFile(str(tmp_path / "x.png"))
    open(f.tmp, "w").write("half")
    f.discard()
    assert os.listdir(tmp_path) == []


def test_only_this_machines_dead_runs_lose_their_temporary_files(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    ours = tmp_path / f".a.mp4.vidstyle-{dead}-{host()}.part.mp4"
    theirs = tmp_path / f".b.mp4.vidstyle-{dead}-another-machine.part.mp4"  # a shared folder: its pid means nothing
    old_style = tmp_path / f".c.mp4.vidstyle-{dead}.part.mp4"
    for p in (ours, theirs, old_style):
        p.write_bytes(b"half")
    assert sorted(remove_stale_parts(str(tmp_path))) == sorted([str(ours), str(old_style)])
    assert os.listdir(tmp_path) == [theirs.name]
    assert host() in os.path.basename(AtomicFile(str(tmp_path / "d.mp4")).tmp)


def test_fit_even_crops_one_pixel_and_resizes_more():
    rgb = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    assert (even(5), even(7), even(1)) == (4, 6, 2)
    assert np.array_equal(fit_even(rgb, 6, 4), rgb[:4, :6])
    assert fit_even(rgb, 10, 8).shape == (8, 10, 3)
    flat = np.full((5, 7, 3), (10, 120, 240), np.uint8)
    assert np.array_equal(fit_even(flat, 10, 8), np.full((8, 10, 3), (10, 120, 240), np.uint8))  # the whole picture
    assert np.array_equal(fit_even(rgb[:4, :6], 6, 4), rgb[:4, :6])  # already even: unchanged
