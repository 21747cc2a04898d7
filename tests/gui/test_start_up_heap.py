"""The launched window takes start-up's objects out of later garbage collections (app.gui_gc.settle_start_up_heap)."""

import gc
import json
import os
import signal
import subprocess
import sys
import time

from app.gui_gc import settle_start_up_heap
from app.launch import EXAMPLE


def test_the_launched_window_freezes_what_start_up_built_once_torch_is_in(tmp_path):
    probe = tmp_path / "probe.json"
    env = {**os.environ, "TORCHCANVAS_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen",
           "TORCHCANVAS_PROBE": str(probe)}
    app = subprocess.Popen([sys.executable, "-m", "app", str(EXAMPLE)], env=env, stderr=subprocess.PIPE, text=True)
    report = {}
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and app.poll() is None:
            if probe.exists() and (report := json.loads(probe.read_text())).get("engine"):
                break
            time.sleep(0.2)
        assert report.get("engine"), "the engine never loaded"
        app.send_signal(signal.SIGTERM)
        _, err = app.communicate(timeout=60)
    finally:
        app.kill()
    # torch alone leaves ~300k objects that live until exit; a full collection no longer walks them
    assert report["frozen_objects"] > 100_000, report["frozen_objects"]
    assert app.returncode == 0, err


def test_a_window_nobody_launched_freezes_nothing(qapp):
    """Tests build windows in one process: their objects must stay collectable."""
    before = gc.get_freeze_count()
    assert settle_start_up_heap(qapp) is False
    assert gc.get_freeze_count() == before
