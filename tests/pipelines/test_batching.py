"""Batches fill up to a short deadline when the decoder is slower than the model, instead of collapsing to 1."""
import threading
import time

import numpy as np

from vidstyle.media.frame import Frame
from vidstyle.pipelines.file import BATCH_WAIT_S, next_batch
from vidstyle.runtime.stages import END, Pipe


def test_batches_fill_while_frames_trickle_in():
    """A batch short of 4 frames is handed on only once BATCH_WAIT_S has passed since its first frame came in
    (or at the end), however late the frames come on a loaded machine."""
    stop = threading.Event()
    pipe = Pipe(64, stop)
    period = BATCH_WAIT_S / 6  # a decoder well behind the model: the pipe is empty most of the time
    put_at = {}

    def decode():
        for i in range(12):
            time.sleep(period)
            put_at[i] = time.monotonic()
            pipe.put(Frame(np.zeros((8, 8, 3), np.uint8), index=i))
        pipe.put(END)

    threading.Thread(target=decode, daemon=True).start()
    batches, held, ended = [], None, False
    while not ended:
        frames, held, ended = next_batch(pipe, 4, held)
        if frames:
            batches.append(([f.index for f in frames], time.monotonic() - put_at[frames[0].index], ended))
    assert [i for idx, _, _ in batches for i in idx] == list(range(12)), batches
    assert all(waited >= BATCH_WAIT_S for idx, waited, end in batches if len(idx) < 4 and not end), batches


def test_a_size_change_starts_a_new_batch():
    stop = threading.Event()
    pipe = Pipe(8, stop)
    for shape in ((8, 8, 3), (8, 8, 3), (6, 8, 3), (6, 8, 3)):
        pipe.put(Frame(np.zeros(shape, np.uint8)))
    pipe.put(END)
    first, held, ended = next_batch(pipe, 4, None)
    second, held, ended = next_batch(pipe, 4, held)
    assert [len(first), len(second)] == [2, 2] and ended and held is None
