"""Where the app keeps its own files: recovery copies, the trust list, recent files."""

from __future__ import annotations

import os
from pathlib import Path


def app_home() -> Path:
    """$TORCHCANVAS_HOME, else the platform's per-user data folder."""
    env = os.environ.get("TORCHCANVAS_HOME")
    if env:
        path = Path(env)
    else:
        from PySide6.QtCore import QStandardPaths

        path = Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or Path.home() / ".torchcanvas")
    path.mkdir(parents=True, exist_ok=True)
    return path
