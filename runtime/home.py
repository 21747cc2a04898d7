"""The per-user folder TorchCanvas keeps its own files in (trust list, recovery copies, settings).

The window and the command line must agree on it (a project trusted in the
window is trusted on the command line too), so it is found without Qt: the
same folder Qt's `AppDataLocation` names for organisation and application
"TorchCanvas", or `$TORCHCANVAS_HOME` when set (tests, portable installs).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "TorchCanvas"


def platform_data_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP / APP


def user_home() -> Path:
    """$TORCHCANVAS_HOME, else the platform's per-user data folder; created on first use."""
    env = os.environ.get("TORCHCANVAS_HOME")
    path = Path(env) if env else platform_data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path
