"""Damaged input is stylized as far as it decodes: bad packets are skipped and counted, a cut file ends where
it ends, and one warning says what was lost; the output is a valid file with every frame that decoded."""
import pytest
from conftest import run_cli
from media_files import make_video, probe


def damaged_warning(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if "input is damaged" in ln]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_corrupt_packet_in_the_middle_costs_only_its_frames(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=132, size=(320, 240), audio="aac")
    data = bytearray(open(src, "rb").read())
    mid = len(data) // 2
    data[mid:mid + 20_000] = bytes(20_000)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    r = run_cli("file", str(bad), str(tmp_path / "o.mp4"), "--size", "64")
    assert r.returncode == 0, r.stderr
    warning = damaged_warning(r.stderr)
    assert "damaged video packet(s) skipped" in warning and " s)" in warning and "ends early" not in warning
    kept = probe(str(tmp_path / "o.mp4"))["frames"]
    assert 120 <= kept < 132 and f"kept the {kept} of 132 frames" in warning


@pytest.mark.parametrize("ext, options", [(".mp4", {"movflags": "faststart"}), (".mkv", None)])
def test_a_file_cut_in_half_warns_and_keeps_the_first_half(tmp_path, ext, options):
    src = make_video(str(tmp_path / f"in{ext}"), n=100, size=(160, 120), audio=None, container_options=options)
    data = open(src, "rb").read()
    cut = tmp_path / f"cut{ext}"
    cut.write_bytes(data[: len(data) // 2])
    r = run_cli("file", str(cut), str(tmp_path / "o.mp4"), "--size", "64")
    assert r.returncode == 0, r.stderr
    assert "ends early" in damaged_warning(r.stderr)
    assert 30 < probe(str(tmp_path / "o.mp4"))["frames"] < 70
