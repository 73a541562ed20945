"""Training of vidstyle's style networks: ``loop`` (the resumable training loop, DDP), ``losses`` (VGG19
style, content, Gram, border, stability and distillation losses), ``data`` (image pools and batch sampling),
``preview`` (grids), ``ship`` (checkpoint -> fp16 weights and a model card).

May import: ``vidstyle.models``, ``vidstyle.runtime``, ``vidstyle.data``, ``vidstyle.media`` and
``vidstyle.styles`` (a per-style network's painting key).
"""
