"""Training of vidstyle's style networks (see loop.py)."""
