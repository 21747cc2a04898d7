"""The real app in its own process (`python -m app`), watched through its probe (app/testprobe.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_until_then_sigterm(tmp_path: Path, project: Path,
                           until: Callable[[dict[str, Any]], bool]) -> tuple[dict[str, Any], int, str]:
    """Starts the app offscreen on `project`, waits (up to 240 s) until its probe's report satisfies `until`,
    then ends it with SIGTERM; returns that report, the exit code and what it wrote to stderr."""
    probe = tmp_path / "probe.json"
    env = {**os.environ, "TORCHCANVAS_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen",
           "TORCHCANVAS_PROBE": str(probe)}
    app = subprocess.Popen([sys.executable, "-m", "app", str(project)], env=env, stderr=subprocess.PIPE, text=True)
    report: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and app.poll() is None:
            if probe.exists() and until(report := json.loads(probe.read_text())):
                break  # the window is up (and its probe written before its event loop runs)
            time.sleep(0.2)
        assert app.poll() is None, "the app ended on its own"
        app.send_signal(signal.SIGTERM)
        _, err = app.communicate(timeout=60)
    finally:
        app.kill()
    return report, app.returncode, err
