"""The stage runtime: a failing worker stops the others, pipes give up on stop, join_all re-raises, latest-wins slots
(for threads, and for a coroutine fed by a thread) keep only the newest item."""
import asyncio
import threading
import time

import pytest

from vidstyle.runtime.stages import END, AsyncLatest, Latest, Pipe, Worker, join_all


def test_a_failing_worker_stops_a_blocked_neighbour():
    stop = threading.Event()
    pipe = Pipe(1, stop)
    pipe.put("full")  # the consumer below never reads: the producer blocks on put
    blocked = Worker(lambda: pipe.put("more"), "vidstyle-producer", stop)

    def fail():
        time.sleep(0.2)
        raise ValueError("stage broke")

    failing = Worker(fail, "vidstyle-failing", stop)
    t0 = time.monotonic()
    blocked.start(), failing.start()
    with pytest.raises(ValueError, match="stage broke"):
        join_all([blocked, failing])
    assert stop.is_set() and time.monotonic() - t0 < 3 and not blocked.is_alive()


def test_pipe_get_times_out_then_ends_on_stop():
    stop = threading.Event()
    pipe = Pipe(2, stop)
    assert pipe.get(timeout=0.05) is None
    pipe.put(1)
    assert pipe.get(timeout=0) == 1
    stop.set()
    assert pipe.get() is END and pipe.put(2) is False


def test_latest_keeps_only_the_newest_and_counts_the_rest():
    slot = Latest()
    for i in range(5):
        slot.put(i)
    assert slot.get(0) == 4 and slot.dropped == 4 and slot.get(0.01) is None
    slot.put("last")
    slot.close()
    assert slot.get() == "last" and slot.get() is None


def test_async_latest_hands_a_coroutine_the_newest_item_from_another_thread():
    async def main():
        slot = AsyncLatest(asyncio.get_running_loop())
        feeder = threading.Thread(target=lambda: [slot.put(i) for i in range(5)])
        feeder.start()
        feeder.join()
        assert await asyncio.wait_for(slot.get(), 5) == 4 and slot.dropped == 4
        reader = asyncio.ensure_future(slot.get())
        await asyncio.sleep(0.05)
        assert not reader.done()  # nothing queued behind the newest
        threading.Thread(target=slot.put, args=("next",)).start()
        assert await asyncio.wait_for(reader, 5) == "next"
        slot.put("last")
        slot.close()
        assert await slot.get() == "last" and await asyncio.wait_for(slot.get(), 5) is None

    asyncio.run(main())
