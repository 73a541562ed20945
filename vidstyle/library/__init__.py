"""The user's style library (``vidstyle styles add|list|rm|show``): ``store`` (add and remove styles, their codes
encoded per model), ``spec`` (what a ``--style`` value means: an image, a library name, a mix
``a.jpg:0.7,b.jpg:0.3``, ``random``, ``group:K``), ``groups`` (k-means on the styles' statistics) and ``sheet``
(the library's contact sheet). Where it lives and its index: ``vidstyle.styles``.

May import: ``vidstyle.api``, ``vidstyle.media``, ``vidstyle.styles``.
"""
