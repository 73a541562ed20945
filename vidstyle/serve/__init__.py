"""``vidstyle serve``: the live stylizer behind a web page. The browser sends its camera over WebRTC, the
server stylizes it with one shared model and sends the result back as a WebRTC video track.

- ``guard.py``: the access token and the checks on uploaded style images (no aiohttp, no torch).
- ``engine.py``: one inference thread serving every browser's stream round robin, the newest frame of each
  (latest wins, nothing queues); per-stream style, strength, temporal state and colour option.
- ``app.py``: the aiohttp application (page, styles, upload, WebRTC offer via aiortc, control channel); each
  browser's outgoing track reads its frames from a ``runtime`` latest-wins slot.
- ``lifecycle.py``: the one shutdown (close every connection, stop and join the inference thread, once),
  whether a signal, the application's own shutdown or a failed start asks for it.
- ``static/``: the page (plain HTML, CSS and JavaScript; no build step, nothing from a CDN).

May import: ``vidstyle.media``, ``vidstyle.runtime``, ``vidstyle.live`` (the latency stamp), ``vidstyle.temporal``,
``vidstyle.pipelines`` (the per-frame steps), ``vidstyle.styles``, ``vidstyle.errors``; aiohttp and aiortc
(the ``serve`` extra). The stylizer is passed in.
"""
