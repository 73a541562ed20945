"""``vidstyle image``: what --model auto paints stills with, and how the summary names it."""
import numpy as np
from conftest import run_cli
from media_files import png_claiming
from PIL import Image
from test_bad_input import assert_one_line_error


def test_auto_paints_stills_with_adain_on_a_cpu(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "in.png")
    r = run_cli("image", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert "model adain," in r.stderr
    assert Image.open(tmp_path / "out.png").size == (64, 48)


def test_image_help_says_what_auto_picks():
    r = run_cli("image", "--help")
    assert "default auto: adain on every device" in " ".join(r.stdout.split())


def test_a_decompression_bomb_is_one_line_and_leaves_nothing(tmp_path):
    (tmp_path / "huge.png").write_bytes(png_claiming(20000, 20000))
    r = run_cli("image", str(tmp_path / "huge.png"), str(tmp_path / "out.png"))
    assert_one_line_error(r, "input image is too large", "huge.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.png"]


def test_a_torchscript_export_as_model_says_which_files_model_takes(tmp_path):
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.save's deprecation notice
        torch.jit.save(torch.jit.script(torch.nn.Conv2d(3, 3, 1)), str(tmp_path / "starry.pt"))
    Image.new("RGB", (40, 32)).save(tmp_path / "in.png")
    r = run_cli("image", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--model", str(tmp_path / "starry.pt"))
    assert_one_line_error(r, "starry.pt is a TorchScript program", "--model takes", ".safetensors", ".pth")
    assert "Warning" not in r.stderr
    (tmp_path / "starry.onnx").write_bytes(b"\x08\x07")
    r = run_cli("image", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--model", str(tmp_path / "starry.onnx"))
    assert_one_line_error(r, "starry.onnx is an ONNX model", "--model does not run", ".safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "starry.onnx", "starry.pt"]
