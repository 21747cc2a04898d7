"""Where the app keeps its own files: recovery copies, the trust list, recent files."""

from __future__ import annotations

from pathlib import Path

from runtime.home import user_home


def app_home() -> Path:
    """The same folder the command line uses ($TORCHCANVAS_HOME, else the per-user data folder)."""
    return user_home()
