"""The launched window takes start-up's objects out of later garbage collections (app.gui_gc.settle_start_up_heap)."""

import gc

from app.gui_gc import settle_start_up_heap
from app.launch import EXAMPLE
from tests.gui.launched_app import run_until_then_sigterm


def test_the_launched_window_freezes_what_start_up_built_once_torch_is_in(tmp_path):
    report, code, err = run_until_then_sigterm(tmp_path, EXAMPLE, lambda report: report.get("engine"))
    assert report.get("engine"), "the engine never loaded"
    # torch alone leaves ~300k objects that live until exit; a full collection no longer walks them
    assert report["frozen_objects"] > 100_000, report["frozen_objects"]
    assert code == 0, err


def test_a_window_nobody_launched_freezes_nothing(qapp):
    """Tests build windows in one process: their objects must stay collectable."""
    before = gc.get_freeze_count()
    assert settle_start_up_heap(qapp) is False
    assert gc.get_freeze_count() == before
