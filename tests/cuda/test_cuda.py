"""The CUDA path (run by scripts/gpu-check on a GPU machine; skipped elsewhere): half-precision weights,
pinned and overlapped transfers, fixed batch shapes, the file pipeline end to end."""
import numpy as np
import pytest
import torch
from conftest import ROOT
from media_files import make_video, probe

from vidstyle.api import Stylizer
from vidstyle.media.images import load_image

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return load_image(f"{ROOT}/samples/photo_chameleon.jpg")[:256, :384]


@pytest.mark.parametrize("model", ["fast", "adain"])
def test_fp16_on_the_gpu_matches_fp32_on_the_cpu(photo, model):
    gpu = Stylizer(model=model, device="cuda", precision="fp16", disk_cache=False)
    cpu = Stylizer(model=model, device="cpu", precision="fp32", disk_cache=False)
    assert gpu.half_weights and next(gpu.net.parameters()).dtype == torch.float16
    diff = np.abs(gpu(photo).astype(int) - cpu(photo).astype(int))
    assert diff.mean() < 3 and np.percentile(diff, 99) < 40, (diff.mean(), np.percentile(diff, 99))


def test_submitted_batches_stay_intact_while_buffers_are_reused(photo):
    st = Stylizer(model="fast", device="cuda", precision="fp16", disk_cache=False)
    batches = [np.stack([np.roll(photo, 17 * (k + i), 1) for i in range(4)]) for k in range(5)]
    expected = [st(b) for b in batches]
    pending = [st.submit(b) for b in batches]  # more in flight than there are pinned buffers
    for want, job in zip(expected, pending):
        assert np.array_equal(job.result(), want)


def test_a_short_last_batch_runs_at_the_full_batch_shape(photo):
    st = Stylizer(model="fast", device="cuda", precision="fp16", disk_cache=False)
    shapes = []
    st.net.register_forward_pre_hook(lambda m, args: shapes.append(tuple(args[0].shape)))
    frames = np.stack([photo] * 8)
    full = st.submit(frames, pad_to=8).result()
    short = st.submit(frames[:3], pad_to=8).result()
    assert shapes[0] == shapes[1] and shapes[0][0] == 8
    assert short.shape[0] == 3 and np.array_equal(short, full[:3])


def test_file_pipeline_on_the_gpu(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=20, size=(320, 180), audio="aac")
    st = Stylizer(model="adain", device="cuda", disk_cache=False, temporal_stats=0.7)
    from vidstyle.media.decode import FileSource
    from vidstyle.media.writer import VideoFileSink
    from vidstyle.pipelines.file import stylize_file

    source = FileSource(src)
    sink = VideoFileSink(str(tmp_path / "out.mp4"), source.info, audio_stream=source.audio_stream)
    stats = stylize_file(source, sink, st.runner, st.state, batch=8, quiet=True)
    assert stats.frames == 20 and probe(str(tmp_path / "out.mp4"))["frames"] == 20
    assert st.stats_ema.state[0].device.type == "cuda"


def test_compiled_network_gives_the_same_frames(photo):
    plain = Stylizer(model="fast", device="cuda", precision="fp16", disk_cache=False)
    compiled = Stylizer(model="fast", device="cuda", precision="fp16", disk_cache=False, compile=True)
    frames = np.stack([photo] * 4)
    assert np.abs(plain(frames).astype(int) - compiled(frames).astype(int)).max() <= 2
