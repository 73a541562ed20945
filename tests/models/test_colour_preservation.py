"""Colour preservation maths: YCbCr, luminance-only transfer (chroma kept exactly), colour matching."""
import pytest
import torch

from vidstyle.models.colour import colour_stats, keep_chroma, match_colours, rgb_to_ycbcr

GEN = torch.Generator().manual_seed(0)


def rand(*shape) -> torch.Tensor:
    return torch.rand(*shape, generator=GEN)


def test_ycbcr_is_jpeg_full_range():
    grey, red = torch.full((1, 3, 1, 1), 0.5), torch.tensor([1.0, 0, 0]).view(1, 3, 1, 1)
    assert rgb_to_ycbcr(grey).flatten().tolist() == pytest.approx([0.5, 0, 0], abs=1e-6)  # no chroma
    assert rgb_to_ycbcr(red).flatten().tolist() == pytest.approx([0.299, -0.168736, 0.5], abs=1e-6)


def test_keep_chroma_has_the_contents_chroma_and_the_stylized_luminance():
    stylized, content = rand(2, 3, 16, 20), rand(2, 3, 16, 20)
    out = keep_chroma(stylized, content)
    assert out.shape == stylized.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    got, want = rgb_to_ycbcr(out), rgb_to_ycbcr(content)
    assert (got[:, 1:] - want[:, 1:]).abs().max() < 1e-5  # exactly, even out of gamut (the luminance gives)
    y_diff = (got[:, 0] - rgb_to_ycbcr(stylized)[:, 0]).abs()
    assert float((y_diff < 1e-5).float().mean()) > 0.5  # most pixels keep the stylized luminance as is
    assert not torch.allclose(got[:, 0], want[:, 0], atol=0.05)  # and that is not the content's


def test_keep_chroma_out_of_gamut_gives_luminance_not_colour():
    """A dark stylized pixel under a saturated green: RGB clamping would grey the green; here Y rises to the
    darkest level at which the green exists."""
    green = torch.tensor([0.1, 0.8, 0.1]).view(1, 3, 1, 1)
    out = keep_chroma(torch.zeros(1, 3, 1, 1), green)
    assert torch.allclose(rgb_to_ycbcr(out)[:, 1:], rgb_to_ycbcr(green)[:, 1:], atol=1e-6)
    assert float(out.min()) == pytest.approx(0, abs=1e-6)  # on the gamut's edge, no further


def test_keep_chroma_resizes_the_content():
    out = keep_chroma(rand(1, 3, 8, 8), torch.full((1, 3, 32, 32), 0.3) + torch.tensor([0.2, 0, 0]).view(1, 3, 1, 1))
    want = rgb_to_ycbcr(torch.tensor([0.5, 0.3, 0.3]).view(1, 3, 1, 1))[:, 1:]
    assert out.shape == (1, 3, 8, 8) and torch.allclose(rgb_to_ycbcr(out)[:, 1:], want.expand(1, 2, 8, 8), atol=1e-5)


def test_match_colours_gives_the_style_the_contents_mean_and_covariance():
    mix = torch.tensor([[0.08, 0.02, 0.0], [0.03, 0.05, 0.01], [0.0, 0.02, 0.06]])
    style = (torch.einsum("ij,njhw->nihw", mix, torch.randn(1, 3, 60, 50, generator=GEN))
             + torch.tensor([0.6, 0.4, 0.3]).view(1, 3, 1, 1))
    content = torch.randn(1, 3, 40, 30, generator=GEN) * torch.tensor([0.05, 0.1, 0.07]).view(1, 3, 1, 1) + 0.45
    style, content = style.clamp(0, 1), content.clamp(0, 1)
    out = match_colours(style, content)
    assert out.shape == style.shape
    (mo, co), (mc, cc), ms = colour_stats(out), colour_stats(content), colour_stats(style)[0]
    assert torch.allclose(mo, mc, atol=2e-3) and torch.allclose(co, cc, atol=2e-4)
    assert not torch.allclose(ms, mc, atol=0.05)  # they did differ
    # the picture stays: the colours move, the luminance pattern does not
    corr = torch.corrcoef(torch.stack([rgb_to_ycbcr(out)[0, 0].flatten(), rgb_to_ycbcr(style)[0, 0].flatten()]))
    assert float(corr[0, 1]) > 0.5


def test_match_colours_of_a_grey_or_flat_style_stays_finite():
    grey = rand(1, 1, 20, 20).expand(1, 3, 20, 20)
    for style in (grey, torch.full((1, 3, 10, 10), 0.5)):
        out = match_colours(style, rand(1, 3, 10, 10))
        assert torch.isfinite(out).all() and float(out.min()) >= 0 and float(out.max()) <= 1
