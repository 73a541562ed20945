"""Jobs: whole units of work as library calls. ``video.stylize_video(src, dst, options)`` is one video file
to another, as `vidstyle file` does it (`file`, `bench` and `batch` all run it); ``segment.stylize_segment`` is
one segment of a long video, primed by the frames before it (`batch` joins the segments); ``options`` holds their
plain-data options and result (no torch).

May import: ``vidstyle.stylizer``, ``vidstyle.media``, ``vidstyle.pipelines``, ``vidstyle.temporal``,
``vidstyle.runtime``, ``vidstyle.errors``.
"""
