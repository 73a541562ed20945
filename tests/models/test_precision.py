"""Half precision on every machine: fp16 and bf16 weights against fp32 on the CPU for both models (as CUDA runs
them), the VGG's worst case in fp16 (high-contrast stripes), and the style cache kept apart per precision."""
import numpy as np
import pytest
import torch
from conftest import ROOT

from vidstyle.media.images import load_image
from vidstyle.models import registry
from vidstyle.models.vgg import VGG19Encoder
from vidstyle.runtime.tensors import resize_short, to_tensor

FP16_MAX = 65504.0
# mean / max absolute difference to fp32 of the output in [0, 1], per model and precision (measured: fast
# fp16 0.0003/0.003, bf16 0.003/0.02; adain fp16 0.0003/0.003, bf16 0.002/0.03)
TOLERANCE = {("fast", torch.float16): (0.002, 0.02), ("fast", torch.bfloat16): (0.01, 0.08),
             ("adain", torch.float16): (0.002, 0.03), ("adain", torch.bfloat16): (0.01, 0.1)}


@pytest.fixture(scope="module")
def photo() -> torch.Tensor:
    return resize_short(to_tensor(load_image(f"{ROOT}/samples/photo_chameleon.jpg")), 96)


@pytest.mark.parametrize("name, dtype", list(TOLERANCE), ids=lambda v: str(v).replace("torch.", ""))
def test_half_weights_match_fp32(photo, name, dtype):
    style = resize_short(to_tensor(load_image(f"{ROOT}/samples/painting_van_gogh_the_starry_night_1889.jpg")), 128)
    x = photo[..., : photo.shape[-2] // 8 * 8, : photo.shape[-1] // 8 * 8]
    ref, _ = registry.get(name).load()
    half, _ = registry.get(name).load()
    half = half.to(dtype)
    with torch.inference_mode():
        y32 = ref.eval()(x, ref.encode_style(style))
        code = half.eval().encode_style(style.to(dtype))
        yh = half(x.to(dtype), code).float()
    assert torch.isfinite(yh).all()
    mean_tol, max_tol = TOLERANCE[(name, dtype)]
    diff = (yh.clamp(0, 1) - y32.clamp(0, 1)).abs()
    assert diff.mean() < mean_tol and diff.max() < max_tol, (diff.mean().item(), diff.max().item())


@pytest.mark.heavy
def test_vgg_in_fp16_survives_its_worst_case_stripes():
    """Thin white stripes on black (a 3-pixel period) drive the VGG's activations highest (relu4_1 reaches 36 %
    of the fp16 maximum); fp16 must stay finite and close to fp32."""
    x = torch.zeros(1, 3, 128, 128)
    x[..., :, ::3] = 1.0
    vgg = VGG19Encoder("relu5_1")
    with torch.inference_mode():
        ref = vgg(x)
        half = vgg.to(torch.float16)(x.half())
    for tap, f in half.items():
        assert torch.isfinite(f).all() and f.abs().max() < FP16_MAX, tap
        rel = (f.float() - ref[tap]).norm() / ref[tap].norm()
        assert rel < 0.01, (tap, rel.item())
    peak = max(float(f.max()) for f in ref.values())
    assert peak > 0.3 * FP16_MAX  # the case is a real stress, not a trivial one


def test_style_codes_are_cached_per_precision(tmp_path, monkeypatch):
    from vidstyle.api import Stylizer

    monkeypatch.setenv("VIDSTYLE_CACHE", str(tmp_path))
    monkeypatch.setattr("vidstyle.stylizer.runner.STYLE_SHORT_SIDE", 64)  # bf16 is emulated (slow) on AVX2 CPUs
    a = Stylizer(model="fast-arbitrary", device="cpu", precision="fp32")  # the default style's own network aside
    b = Stylizer(model="fast-arbitrary", device="cpu", precision="bf16")
    assert a.cache.model_key != b.cache.model_key
    names = {p.name.split("-")[-3] for p in (tmp_path / "styles").iterdir()}
    assert names == {"float32", "bfloat16"}, names


def test_out_of_memory_halves_the_batch_once_and_gives_the_same_frames(monkeypatch, caplog):
    from vidstyle.api import Stylizer
    from vidstyle.errors import VidstyleError

    st = Stylizer(model="fast", device="cpu", precision="fp32", disk_cache=False)
    frames = np.random.default_rng(0).integers(0, 256, (5, 40, 56, 3), dtype=np.uint8)
    expected = st(frames)
    real = st.runner._stylize

    def small_gpu(state, x, out_hw=None, code=None):
        if x.shape[0] > 2:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return real(state, x, out_hw, code)

    monkeypatch.setattr(st.runner, "_stylize", small_gpu)
    assert np.array_equal(st(frames), expected)
    assert np.array_equal(st(frames), expected)
    assert caplog.text.count("out of GPU memory at batch 5") == 1
    monkeypatch.setattr(st.runner, "_stylize", lambda *a, **k: (_ for _ in ()).throw(torch.OutOfMemoryError()))
    with pytest.raises(VidstyleError, match="--size"):
        st(frames[:1])
