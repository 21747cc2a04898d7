"""The app's cyclic garbage collection runs on the GUI thread's timer, never on a worker thread."""

import gc


def test_the_app_collects_garbage_only_on_its_own_thread(qapp):
    from app.gui_gc import collect_on_gui_thread

    collector = collect_on_gui_thread(qapp)
    try:
        assert not gc.isenabled(), "automatic collection would run on whichever thread allocates"
        assert collector.timer.isActive()
        assert collect_on_gui_thread(qapp) is collector  # one per application
    finally:
        collector.timer.stop()
        del qapp._torchcanvas_gc
        gc.enable()
