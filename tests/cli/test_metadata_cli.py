"""``vidstyle file`` copies the input's container and stream metadata (title, comment, artist, creation time,
language) to its output, the bundled clip's CC-BY attribution included, unless --strip-metadata."""
import os

import av
import pytest
from conftest import ROOT, run_cli
from media_files import make_video

TAGS = {"title": "Harbour at dawn", "comment": "CC-BY-4.0: A. Painter", "artist": "A. Painter",
        "creation_time": "2024-05-06T07:08:09.000000Z"}
STYLE = ("--style", "starry", "--model", "fast", "--size", "32", "--temporal", "off", "-q")


def tagged(path: str, src: str) -> str:
    """``src`` remuxed into ``path`` with TAGS on the container and languages on its streams."""
    with av.open(src) as i, av.open(path, "w") as o:
        o.metadata.update(TAGS)
        streams = {}
        for s, lang in zip(i.streams, ("fra", "deu")):
            streams[s.index] = o.add_stream_from_template(s)
            streams[s.index].metadata["language"] = lang
        for packet in i.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                o.mux(packet)
    return path


def tags(path: str) -> tuple[dict, dict, dict]:
    """The container's, video's and audio's tags, keys in lower case (Matroska reads them back in upper case)."""
    with av.open(path) as c:
        return tuple({k.lower(): v for k, v in m.items()} for m in (c.metadata, c.streams.video[0].metadata,
                                                                      c.streams.audio[0].metadata))


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("meta")
    return tagged(str(folder / "tagged.mp4"), make_video(str(folder / "plain.mp4"), n=4, audio="aac"))


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_container_and_stream_metadata_are_copied(tmp_path, clip, ext):
    out = str(tmp_path / f"out.{ext}")
    r = run_cli("file", clip, out, *STYLE)
    assert r.returncode == 0, r.stderr
    container, video, audio = tags(out)
    for key, value in TAGS.items():
        assert container.get(key) == value, (key, container)
    assert video.get("language") == "fra" and audio.get("language") == "deu"


def test_strip_metadata_leaves_them_out(tmp_path, clip):
    out = str(tmp_path / "out.mp4")
    r = run_cli("file", clip, out, *STYLE, "--strip-metadata")
    assert r.returncode == 0, r.stderr
    container, video, audio = tags(out)
    assert not set(TAGS) & set(container)
    assert video.get("language") != "fra" and audio.get("language") != "deu"


def test_the_bundled_clips_attribution_survives(tmp_path):
    clip = os.path.join(ROOT, "samples", "video_big_buck_bunny_excerpt.mp4")
    out = str(tmp_path / "bunny.mp4")
    r = run_cli("file", clip, out, *STYLE)
    assert r.returncode == 0, r.stderr
    assert "CC-BY-3.0" in tags(out)[0].get("comment", "") and "Blender Foundation" in tags(out)[0]["comment"]
