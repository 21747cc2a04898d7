import gc
import os

import pytest

# Qt tests run headless; without this and without a display pytest-qt aborts the run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TORCHCANVAS_SETTINGS", "test")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Each test trains with one intra-op thread, as the training worker does (num_threads=1).

    The test machine's two cores are shared with other processes; torch's thread
    pool then waits on busy cores: tests/runtime/test_training.py's spiral MLP took 263-399 s instead
    of about 10 s. Restored after the test, so a test that sets its own count keeps it.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real per-user folder (trust list, settings, recovery copies)."""
    monkeypatch.setenv("TORCHCANVAS_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(autouse=True)
def gc_on_the_gui_thread(request):
    """A Qt test collects cyclic garbage only here, on the GUI thread, as the app does (app/gui_gc.py).

    Automatic collection would run on whichever thread allocates (the formatter,
    a large document's analysis) and destroy closed windows' Qt objects there;
    full runs segfaulted at random later points. Torn down after qtbot's and
    make_window's teardown (autouse fixtures are set up first).
    """
    if "qtbot" not in request.fixturenames:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        gc.collect()
        gc.enable()


@pytest.fixture
def make_window(qtbot, request):
    """A factory of main windows (after napari's make_napari_viewer): shown, sized, never asking to discard.

    Every window is shut down and closed after the test, and the test fails if a
    visible top-level widget (a window, a stray dialog) outlives it.
    """
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    before = {id(w) for w in QApplication.topLevelWidgets()}
    made = []

    def factory(project=None, *, size=(1400, 900), trust=None, show=True, **options):
        window = MainWindow(**options)
        window.confirm_discard = lambda: True  # pytest-qt closes windows after the test; never ask
        window.confirm_quit = lambda: True  # nor about a run still training
        qtbot.addWidget(window)
        window.resize(*size)
        if show:
            window.show()
            qtbot.waitExposed(window)
        if project is not None:
            assert window.open_project(project, interactive=False, trust=trust)
        made.append(window)
        return window

    yield factory
    for window in made:
        window.shutdown()
        window.close()
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible() and id(w) not in before]
    assert not leaked, f"top-level widgets left open: {[type(w).__name__ for w in leaked]}"
