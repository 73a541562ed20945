"""Style networks, one file each (see registry.py)."""
