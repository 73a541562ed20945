"""No frame around the picture: the border score (DESIGN.md section 4) of the shipped models on the bundled
photo and clip, at 640x360 and at a size that is no multiple of any stride."""
import av
import cv2
import numpy as np
import pytest
from conftest import ROOT

from vidstyle.api import Stylizer
from vidstyle.eval.metrics import border_score
from vidstyle.media.images import load_image

SIZES = ((360, 640), (357, 633))
MEAN_MAX, WORST_MAX = 8.0, 15.0  # the bar of the fast v2 issue


def bundled_frames() -> list[np.ndarray]:
    with av.open(f"{ROOT}/samples/video_big_buck_bunny_excerpt.mp4") as c:
        video = [f.to_ndarray(format="rgb24") for i, f in enumerate(c.decode(video=0)) if i in (10, 70)]
    return video + [load_image(f"{ROOT}/samples/photo_chameleon.jpg")]


@pytest.mark.parametrize("model", ["adain"])
def test_shipped_model_paints_no_frame(model):
    st = Stylizer(model=model, device="cpu", disk_cache=False)
    scores = []
    for img in bundled_frames():
        for hw in SIZES:
            content = cv2.resize(img, hw[::-1], interpolation=cv2.INTER_AREA)
            scores.append(border_score(st(content), content))
    assert np.mean(scores) <= MEAN_MAX and max(scores) <= WORST_MAX, np.round(scores, 1)


def test_border_score_sees_a_frame():
    content = cv2.resize(load_image(f"{ROOT}/samples/photo_chameleon.jpg"), (320, 180))
    framed = content.copy()
    framed[:, -5:-1] = (255, 255, 0)  # a yellow line 1-4 px inside the right edge
    assert abs(border_score(content, content)) < 1e-9 and border_score(framed, content) > 60
