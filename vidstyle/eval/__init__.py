"""Measuring quality: the metrics of docs/evaluation.md (``metrics``), ``vidstyle eval`` on image pairs
(``images``) and on stylized videos (``video``), contact sheets and the result table.

May import: ``vidstyle.api``, ``vidstyle.models``, ``vidstyle.media``, ``vidstyle.runtime``, ``vidstyle.data``,
``vidstyle.optimize``.
"""
