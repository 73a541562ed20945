"""Style mixing: weights 1, 0 give exactly the first style and a mix's statistics lie between its styles' (adain:
the code; fast: the style MLP's input), per-style networks fall back, `--style` values parse (names with ':' and
','), and the live cross-fade goes from one code to the next over half a second of frames."""
import numpy as np
import pytest
import torch

from vidstyle.api import Stylizer
from vidstyle.errors import VidstyleError
from vidstyle.library.spec import Resolver, parse_style, split_mix
from vidstyle.media.frame import Frame
from vidstyle.pipelines.fade import FADE_S
from vidstyle.pipelines.live import LiveSession

RNG = np.random.default_rng(3)
RED = np.stack([np.full((48, 64), 230), RNG.integers(0, 80, (48, 64)), np.full((48, 64), 30)], -1).astype(np.uint8)
BLUE = np.stack([np.full((40, 56), 20), np.full((40, 56), 60), RNG.integers(150, 256, (40, 56))], -1).astype(np.uint8)
CONTENT = RNG.integers(0, 256, (2, 48, 64, 3), dtype=np.uint8)


@pytest.fixture(scope="module", params=["adain", "fast"])
def st(request):
    return Stylizer(style=RED, model=request.param, device="cpu", disk_cache=False, size=48)


def between(lo, hi, x) -> bool:
    return bool(((torch.minimum(lo, hi) - 1e-5 <= x) & (x <= torch.maximum(lo, hi) + 1e-5)).all())


def test_weights_one_and_zero_give_exactly_the_first_style(st):
    _, red = st.encode_style(RED)
    name, mix = st.encode_mix([(RED, 1.0), (BLUE, 0.0)])
    assert name == "array 1.00 + array 0.00"
    assert len(mix) == len(red) and all(torch.equal(a, b) for a, b in zip(mix, red))
    st.set_style([(RED, 1.0), (BLUE, 0.0)])  # a list is a mix everywhere a style is taken
    mixed_out = st(CONTENT)
    st.set_style(RED)
    assert np.array_equal(mixed_out, st(CONTENT))


def test_a_mix_is_the_code_of_its_styles_weighted_statistics(st):
    """adain: the code is the relu4_1 (mean, std), so the mix's is the weighted mean and lies between the two;
    fast: the code is the style MLP's output for the weighted mean of the styles' {layer: (mean, std)}."""
    red, blue = st.style_stats(RED), st.style_stats(BLUE)
    assert not torch.allclose(red[0], blue[0])  # the two styles differ, so the weights matter
    _, mix = st.encode_mix([(RED, 3.0), (BLUE, 1.0)])  # normalised: 0.75, 0.25
    averaged = [0.75 * r + 0.25 * b for r, b in zip(red, blue)]
    if st.model_name == "adain":
        expected = averaged
        assert all(between(r, b, m) for r, b, m in zip(red, blue, mix))
    else:
        from vidstyle.models.fast import STYLE_LAYERS

        pairs = {layer: (averaged[2 * i], averaged[2 * i + 1]) for i, layer in enumerate(STYLE_LAYERS)}
        with torch.no_grad(), torch.autocast("cpu", dtype=st.dtype, enabled=st.dtype != torch.float32):
            expected = st.net.mapper(pairs)
    assert len(mix) == len(expected)
    assert all(torch.allclose(m, e.float(), rtol=1e-5, atol=1e-6) for m, e in zip(mix, expected))


def test_the_output_colour_moves_from_one_style_to_the_other(st):
    reds = []
    for w in (1.0, 0.5, 0.0):
        st.set_style([(RED, w), (BLUE, 1 - w)])
        out = st(CONTENT).astype(float)
        reds.append(out[..., 0].mean() - out[..., 2].mean())
    assert reds[0] > reds[1] > reds[2]  # red minus blue falls as the weight goes from RED to BLUE


def test_mix_weights_are_checked(st):
    for weights in ([0.0, 0.0], [-1.0, 2.0], [float("nan"), 1.0]):
        with pytest.raises(VidstyleError, match="weights must be numbers >= 0"):
            st.encode_mix([(RED, weights[0]), (BLUE, weights[1])])


def test_different_per_style_networks_fall_back_to_the_models_own(tmp_path, monkeypatch, caplog):
    from safetensors.torch import load_file, save_file

    from vidstyle.models import registry
    from vidstyle.styles import image_key

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = tmp_path / "vidstyle" / "weights" / "styles" / "fast"
    folder.mkdir(parents=True)
    save_file(load_file(registry.MODELS["fast"].weights_path), str(folder / "red.safetensors"),
              metadata={"model": "fast", "style_key": image_key(RED)})
    st = Stylizer(style=RED, model="fast", device="cpu", disk_cache=False)
    assert st.style_code.net.startswith("red-")
    assert st.encode_mix([(RED, 1.0), (BLUE, 0.0)])[1].net == st.style_code.net  # only RED counts: its network
    assert "different per-style networks" not in caplog.text
    assert st.encode_mix([(RED, 0.5), (BLUE, 0.5)])[1].net == ""
    st.encode_mix([(RED, 0.2), (BLUE, 0.8)])
    assert caplog.text.count("different per-style networks") == 1  # said once


def test_style_values_parse_names_with_colons_and_commas(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("a.jpg", "b.jpg", "x:2.jpg", "c,d.jpg", "e.jpg", "e.jpg:0.5", "f.jpg:0.5"):
        open(name, "wb").close()
    known = Resolver().known
    assert split_mix("a.jpg:0.7,b.jpg:0.3", known) == [("a.jpg", 0.7), ("b.jpg", 0.3)]
    assert split_mix("x:2.jpg", known) == [("x:2.jpg", None)]  # '2.jpg' is no number: part of the name
    assert split_mix("c,d.jpg:1,x:2.jpg:3", known) == [("c,d.jpg", 1.0), ("x:2.jpg", 3.0)]
    assert split_mix("e.jpg:0.5", known) == [("e.jpg", 0.5)]  # a number suffix is a weight where the rest is a style
    assert split_mix("f.jpg:0.5", known) == [("f.jpg:0.5", None)]  # ... and part of the name where it is not
    assert split_mix("a.jpg,b.jpg", known) == [("a.jpg", None), ("b.jpg", None)]
    assert parse_style("a.jpg,b.jpg") == [("a.jpg", 0.5), ("b.jpg", 0.5)]
    assert parse_style("a.jpg:3,b.jpg:1") == [("a.jpg", 0.75), ("b.jpg", 0.25)]
    assert parse_style("x:2.jpg") == "x:2.jpg"
    assert parse_style("a.jpg:2") == "a.jpg"
    for text, words in [("a.jpg:1,b.jpg", "every style of a mix a weight"), ("a.jpg:-1,b.jpg:1", ">= 0"),
                        ("a.jpg:0", ">= 0"), ("a.jpg:0.5,nope.jpg:0.5", "style image not found: nope.jpg "),
                        ("group:1", "library is empty"), ("random:0.5,zz", "not found: zz ")]:
        with pytest.raises(VidstyleError, match=words):
            parse_style(text)


def test_n_cross_fades_the_code_over_half_a_second(st):
    _, red = st.encode_style(RED)
    _, blue = st.encode_style(BLUE)
    session = LiveSession(None, st, [("red", red), ("blue", blue)])
    frame = CONTENT[0]
    session.process(Frame(frame, t_capture=100.0))
    assert st.style_code is red
    session.controls.handle_key("n")
    session.process(Frame(frame, t_capture=200.0))  # the switch starts with this frame: still all red
    assert all(torch.equal(a, b) for a, b in zip(st.style_code, red)) and st.style_name == "blue"
    mid = session.process(Frame(frame, t_capture=200.0 + FADE_S / 2))
    assert all(torch.allclose(c, (a + b) / 2, atol=1e-6) for c, a, b in zip(st.style_code, red, blue))
    end = session.process(Frame(frame, t_capture=200.0 + FADE_S))
    assert st.style_code is blue and not session.fade.running
    st.set_style(BLUE)
    assert np.array_equal(end, st(frame))
    st.set_style(RED)
    assert not np.array_equal(mid, end) and not np.array_equal(mid, st(frame))  # half-way is neither
    session.controls.handle_key("p")
    session.controls.handle_key("o")  # a switch with another change (here: to the original) jumps
    session.process(Frame(frame, t_capture=300.0))
    assert st.style_code is red and not session.fade.running


def test_n_between_networks_cross_fades_the_pictures():
    from conftest import ROOT

    from vidstyle.media.images import load_image

    st = Stylizer(style=RED, model="fast", device="cpu", disk_cache=False, size=48)
    _, red = st.encode_style(RED)
    _, starry = st.encode_style(load_image(f"{ROOT}/samples/painting_van_gogh_the_starry_night_1889.jpg"))
    assert starry.net and starry.net != red.net  # the bundled painting runs its own per-style network
    pictures = {}
    for name, code in (("red", red), ("starry", starry)):
        st.style_code = code
        pictures[name] = st(CONTENT[0]).astype(np.int16)
    session = LiveSession(None, st, [("red", red), ("starry", starry)])
    session.process(Frame(CONTENT[0], t_capture=100.0))
    session.controls.handle_key("n")
    first = session.process(Frame(CONTENT[0], t_capture=200.0))  # the fade starts: still the old picture
    assert session.fade.pictures and np.abs(first - pictures["red"]).max() <= 1
    mid = session.process(Frame(CONTENT[0], t_capture=200.0 + FADE_S / 2))
    assert np.abs(mid - (pictures["red"] + pictures["starry"]) / 2).max() <= 1
    assert np.abs(mid - pictures["red"]).mean() > 5 and np.abs(mid - pictures["starry"]).mean() > 5
    end = session.process(Frame(CONTENT[0], t_capture=200.0 + FADE_S))
    assert np.array_equal(end, pictures["starry"]) and not session.fade.running and st.style_code is starry


def test_codes_of_different_networks_do_not_blend(st):
    _, red = st.encode_style(RED)
    other = type(red)(red, "some-per-style-network")
    assert Stylizer.blend_codes(red, other, 0.5) is None
    assert all(torch.equal(a, b) for a, b in zip(Stylizer.blend_codes(red, red, 0.3), red))

