import cv2
import numpy as np
import pytest
import torch

from vidstyle.eval import metrics
from vidstyle.models.vgg import TAPS


def texture(h, w, seed=0, blur=3.0):
    """A smooth random RGB uint8 texture (H, W, 3), good for optical flow."""
    noise = np.random.default_rng(seed).random((h, w, 3)).astype(np.float32)
    t = cv2.GaussianBlur(noise, (0, 0), blur)
    t = (t - t.min()) / (t.max() - t.min())
    return (t * 255).round().astype(np.uint8)


@pytest.fixture(scope="module")
def content():
    return texture(64, 80, seed=1)


@pytest.fixture(scope="module")
def stats():
    return metrics.style_stats(texture(64, 64, seed=2, blur=1.0))


def test_identity_has_ratio_one_and_ssim_one(content, stats):
    layers = metrics.layer_style_losses(metrics.features(content), stats)
    assert layers.shape == (1, 5) and (layers > 0).all()
    score, ratios = metrics.relative_style_score(layers.sum(0), layers.sum(0))
    assert score == 1.0 and list(ratios) == list(TAPS) and set(ratios.values()) == {1.0}
    assert metrics.ssim(content, content) == pytest.approx(1.0, abs=1e-12)


def test_style_loss_of_the_style_itself_is_zero():
    style = texture(512, 520, seed=3)  # already at the short side 512 the metric resizes styles to
    stats = metrics.style_stats(style)
    assert metrics.style_loss(metrics.layer_style_losses(metrics.features(style), stats)).item() < 1e-6
    other = metrics.features(texture(512, 520, seed=4, blur=1.0))
    assert metrics.style_loss(metrics.layer_style_losses(other, stats)).item() > 1.0


def test_batched_losses_match_single_images(content, stats):
    brighter = np.clip(content.astype(int) + 40, 0, 255).astype(np.uint8)
    batch = metrics.features(np.stack([brighter, content]))
    one = metrics.layer_style_losses(metrics.features(brighter), stats)
    torch.testing.assert_close(metrics.layer_style_losses(batch, stats)[:1], one, rtol=1e-4, atol=1e-6)
    c_feats = {t: f[1:] for t, f in batch.items()}
    c = metrics.content_loss(batch, c_feats)
    assert c[1].item() == 0.0 and c[0].item() > 0


def test_sliced_wasserstein_sees_the_distribution_that_mean_and_std_miss():
    gen = torch.Generator().manual_seed(0)
    two_valued = {t: torch.randn(1, 4, 32, 32, generator=gen).sign() for t in TAPS}  # mean 0, std 1
    gaussian = {t: torch.randn(1, 4, 32, 32, generator=gen) for t in TAPS}  # about the same mean and std
    shuffled = {t: f.flatten(2)[..., torch.randperm(1024, generator=gen)].view(1, 4, 32, 32)
                for t, f in two_valued.items()}
    target = {t: metrics.sorted_projections(f.repeat(1, 1, 3, 2)) for t, f in two_valued.items()}  # other size
    moments = {t: metrics.mean_std(f) for t, f in two_valued.items()}
    assert metrics.layer_style_losses(gaussian, moments).max() < 0.01
    assert metrics.layer_swd(shuffled, target).max() < 1e-12
    assert metrics.layer_swd(gaussian, target).min() > 0.05


def test_sliced_wasserstein_of_the_style_itself_is_zero():
    style = texture(512, 520, seed=3)
    stats, target = metrics.style_targets(style)
    assert set(stats) == set(target) == set(TAPS) and target["relu3_1"].shape == (1, 64, 1024)
    assert metrics.layer_swd(metrics.features(style), target).max() < 1e-6
    other = metrics.layer_swd(metrics.features(texture(512, 520, seed=4, blur=1.0)), target)
    assert (other > 1.0).all()


def test_relative_style_score_is_ratio_of_sums():
    out = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    ident = torch.tensor([2.0, 2.0, 6.0, 4.0, 10.0])
    score, ratios = metrics.relative_style_score(out, ident)
    assert ratios == {"relu1_1": 0.5, "relu2_1": 1.0, "relu3_1": 0.5, "relu4_1": 1.0, "relu5_1": 0.5}
    assert score == pytest.approx(0.7)


def test_ssim_of_flat_images_is_analytic():
    a, b = np.full((20, 24, 3), 100, np.uint8), np.full((20, 24, 3), 150, np.uint8)
    x, y = 100 / 255, 150 / 255
    expected = (2 * x * y + 1e-4) / (x * x + y * y + 1e-4)  # no variance: only the luminance term is left
    assert metrics.ssim(a, b) == pytest.approx(expected, rel=1e-9)


def test_ssim_drops_with_noise_and_is_symmetric(content):
    noisy = np.clip(content + np.random.default_rng(0).normal(0, 25, content.shape), 0, 255).astype(np.uint8)
    s = metrics.ssim(content, noisy)
    assert 0 < s < 0.9 and s == pytest.approx(metrics.ssim(noisy, content))
    with pytest.raises(ValueError):
        metrics.ssim(content, content[:32])


def test_luma_is_bt601():
    assert metrics.luma(np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)) == pytest.approx(
        np.array([[0.299, 0.587, 0.114]]))


def test_reinhard_matches_the_style_lab_statistics():
    content = texture(60, 70, seed=5)
    style = (texture(50, 50, seed=6) * 0.4 + np.array([120, 60, 30])).astype(np.uint8)  # dim warm colours
    out = metrics.reinhard(content, style)
    assert out.shape == content.shape and out.dtype == np.uint8
    lab = lambda im: cv2.cvtColor(im.astype(np.float32) / 255, cv2.COLOR_RGB2Lab).reshape(-1, 3)  # noqa: E731
    np.testing.assert_allclose(lab(out).mean(0), lab(style).mean(0), atol=1.0)
    np.testing.assert_allclose(lab(out).std(0), lab(style).std(0), rtol=0.05, atol=0.3)


def test_valid_mask_checks():
    h, w = 20, 30
    fwd = np.zeros((h, w, 2), np.float32)
    fwd[..., 0] = 3.0
    consistent = metrics.valid_mask(fwd, -fwd)
    assert consistent[:, : w - 3].all() and not consistent[:, w - 3:].any()  # warped from outside the frame
    assert not metrics.valid_mask(fwd, np.zeros_like(fwd)).any()  # forward-backward disagree: occluded
    edge = fwd.copy()
    edge[:, 15:, 0] = 0.0
    assert not metrics.valid_mask(edge, -edge)[:, 14:16].any()  # motion boundary


def test_warping_error_of_a_static_video_is_zero():
    frames = [texture(48, 64, seed=7)] * 4
    e_out, e_in = metrics.warping_errors(frames, frames)
    assert e_out == e_in and e_out < 1e-6
    big = [cv2.resize(f, (128, 96)) for f in frames]  # output of another size is resized to the input's
    assert metrics.warping_error(big, frames) < 1e-4


def test_warping_error_of_noise_is_large():
    frames = [texture(48, 64, seed=7)] * 4
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in frames]
    assert metrics.warping_error(iter(noise), iter(frames)) > 0.1  # 2 var(U[0, 1]) = 1/6 expected


def test_warping_error_follows_a_translation():
    big = texture(64, 120, seed=8, blur=4.0)
    frames = [big[:, 2 * t: 2 * t + 96] for t in range(5)]  # content moves 2 px left per frame
    flow = metrics.optical_flow(frames[0], frames[1])
    assert np.median(flow[..., 0]) == pytest.approx(-2.0, abs=0.1) and np.abs(np.median(flow[..., 1])) < 0.1
    e_out, e_in = metrics.warping_errors(frames, frames)
    assert e_in < 5e-4
    still = [frames[0]] * 5  # an output that ignores the motion
    assert metrics.warping_error(still, frames) > 20 * e_in


def test_warping_error_needs_two_frames():
    assert np.isnan(metrics.warping_error([texture(16, 16)], [texture(16, 16)]))
