"""fast_neural_style checkpoints and colour preservation on CUDA (skipped without a GPU): fp16 weights, the
same pictures as fp32 on the CPU, the content's chroma kept on the device."""
import numpy as np
import pytest
import torch
from conftest import ROOT
from johnson_files import example_checkpoint

from vidstyle.api import Stylizer
from vidstyle.media.images import load_image
from vidstyle.models.colour import rgb_to_ycbcr

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return load_image(f"{ROOT}/samples/photo_chameleon.jpg")[:256, :384]


def test_checkpoint_runs_in_fp16_on_the_gpu_like_fp32_on_the_cpu(tmp_path, photo):
    path = str(tmp_path / "candy.pth")
    example_checkpoint(path)
    gpu = Stylizer(model=path, device="cuda", precision="auto", disk_cache=False)
    cpu = Stylizer(model=path, device="cpu", precision="fp32", disk_cache=False)
    assert gpu.half_weights and next(gpu.net.parameters()).dtype == torch.float16
    diff = np.abs(gpu(photo).astype(int) - cpu(photo).astype(int))
    assert diff.mean() < 3 and np.percentile(diff, 99) < 40, (diff.mean(), np.percentile(diff, 99))


@pytest.mark.parametrize("mode", ["luma", "match"])
def test_preserve_color_on_the_gpu(photo, mode):
    st = Stylizer(model="adain", device="cuda", precision="fp16", disk_cache=False, preserve_color=mode)
    out = st(np.stack([photo, photo]))

    def chroma(x):
        return rgb_to_ycbcr(torch.from_numpy(x.copy()).permute(2, 0, 1)[None].float() / 255)[0, 1:] * 255
    gap = (chroma(out[1]) - chroma(photo)).abs()
    assert float(gap.max() if mode == "luma" else gap.mean()) < (0.5 if mode == "luma" else 20)
