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
    from app.theme import apply_dark_theme

    apply_dark_theme(app)
    window = MainWindow()
    project = None if args.empty else Path(args.project) if args.project else EXAMPLE
    if project is not None and not window.open_project(project, interactive=not args.screenshot):
        if args.screenshot:
            return 1
    window.resize(1400, 860)
    window.show()
    if not args.screenshot:
        window.offer_untitled_recovery()
    if args.screenshot:
        return _screenshot(app, window, Path(args.screenshot), args.train_for)
    return app.exec()


def _screenshot(app, window, out: Path, train_for: float) -> int:
    from PySide6.QtCore import QEventLoop, QTimer

    def settle(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    settle(300)
    if train_for > 0 and hasattr(window, "start_training"):
        window.start_training()
        settle(int(train_for * 1000))
    window.fit_view()
    window.plots.flush()
    settle(200)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out))
    if hasattr(window, "shutdown"):
        window.shutdown()
    window.close()
    print(f"saved {out}" if ok else f"could not save {out}")
    return 0 if ok else 1
