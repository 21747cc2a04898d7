"""Starting the window: on a project, on the bundled example, or for a screenshot."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
EXAMPLE = RESOURCES / "examples" / "digits_mlp.json"


def launch(args: argparse.Namespace) -> int:
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.qtcheck import require_qt

    require_qt()
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("TorchCanvas")
    app.setOrganizationName("TorchCanvas")
    from app.gui_gc import collect_on_gui_thread

    collect_on_gui_thread(app)
    from app.theme import apply_dark_theme

    apply_dark_theme(app)
    # a screenshot after training uses the warm worker like the app; a plain one needs no background work
    window = MainWindow(background=not args.screenshot or args.train_for > 0)
    project = None if args.empty else Path(args.project) if args.project else EXAMPLE
    bundled = project is not None and RESOURCES.resolve() in project.resolve().parents
    # a bundled template is ours, trusted as File › New from template trusts it
    if project is not None and not window.open_project(project, interactive=not args.screenshot,
                                                       trust=True if bundled else None):
        if args.screenshot:
            return 1
    window.resize(1400, 860)
    window.show()
    from app.testprobe import attach_if_requested

    if args.screenshot:
        window._probe = attach_if_requested(window)
        return _screenshot(app, window, Path(args.screenshot), args.train_for)
    from app.system_end import end_on_signals

    window.exits_process = True  # closing does not wait for the background import of torch
    ended = []  # a signal can come while the recovery question waits, before the main loop runs
    restore = end_on_signals(window, then=lambda: (ended.append(True), app.exit(0)))
    window._probe = attach_if_requested(window)
    window.offer_untitled_recovery()
    code = 0 if ended else app.exec()
    restore()
    if window.loader is not None and window.loader.thread is not None and window.loader.thread.is_alive():
        # Quit while torch is still being imported: an interpreter that finalises inside torch's
        # C++ initialisation aborts, and waiting for it takes seconds. Everything is saved and the
        # training child is gone, so end the process here, with the event loop's exit code.
        import multiprocessing.util

        multiprocessing.util._exit_function()  # what atexit would do: the worker's semaphores are released
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _screenshot(app, window, out: Path, train_for: float) -> int:
    import time

    from PySide6.QtCore import QEventLoop, QTimer

    def settle(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    settle(300)
    if train_for > 0 and hasattr(window, "start_training"):
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not (window.model.engine and (window.trainer.warm is None
                                                                            or window.trainer.warm.check())):
            settle(100)  # the engine and the warm worker get ready as in the app, before Train is pressed
        window.start_training()
        settle(int(train_for * 1000))
    window.view.show_graph()
    window.plots.flush()
    settle(200)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out))
    if hasattr(window, "shutdown"):
        window.shutdown()
    window.close()
    print(f"saved {out}" if ok else f"could not save {out}")
    return 0 if ok else 1
