"""User-facing errors: the CLI prints them as one line and exits non-zero (traceback only with --debug)."""


class VidstyleError(Exception):
    """A problem with the user's input or environment, worded for the user."""
