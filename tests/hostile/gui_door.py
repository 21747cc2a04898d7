"""The window door of the hostile corpus: one offscreen window opens every case in turn.

A QApplication and a MainWindow cost seconds (the window's sixteen plots are
most of it); opening the next project costs a fraction of that. So the window
door runs in ONE forked process whose one window opens each case as a person
does with File › New, then File › Open, and reports each case on its pipe as
it finishes; the parent restarts it (with a fresh window) after the case that
hangs (see `harness.run_corpus`). Dialogs are answered "no" and recorded, and
an exception in a Qt slot or a paint is recorded as what must never happen.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path


def settle(app, window) -> None:
    """Until the window has nothing left to do for the document, then painted whole once.

    Posted events and zero-time timers (the canvas fitting the graph), the
    analysis and the code view's formatting on their threads, then `grab`
    paints every visible widget (a paint that raises is a slot error).
    """
    app.processEvents()
    while window.model.analysing or window.model.formatting:
        time.sleep(0.005)
        app.processEvents()
    window.grab()
    app.processEvents()


def _open_in_window(app, window, folder: Path, shown: list[str], slot_errors: list[str]) -> Callable[[], int]:
    def call() -> int:
        window.new_project()  # the empty document a fresh window shows: a refused file leaves it there
        window.statusBar().clearMessage()
        app.processEvents()
        opened = window.open_project(folder / "project.json", interactive=False)
        settle(app, window)
        errors = [p for p in window.model.problems if p.severity == "error"]
        report = {"opened": opened, "errors": [p.text() for p in errors],  # as the Problems list shows them
                  "messages": [p.message for p in errors], "dialogs": list(shown),
                  "slot_errors": list(slot_errors), "status": window.statusBar().currentMessage()}
        (folder / ".gui.json").write_text(json.dumps(report))
        for error in slot_errors:
            print(error, file=sys.stderr)
        return 0 if opened and not errors else 1
    return call


def gui_batch(folders: list[Path], write_fd: int) -> None:
    """The child: opens each folder's project.json; writes one line per finished case; never returns."""
    from tests.hostile.harness import captured, one_thread

    try:
        os.setpgid(0, 0)
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__  # fds 1 and 2, whatever the parent wrapped
        one_thread()
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication, QMessageBox

        shown: list[str] = []
        slot_errors: list[str] = []

        def dialog(*args, **kwargs):  # any modal dialog would block: record it and answer "no"
            shown.append(" ".join(str(a) for a in args[1:3]))
            return QMessageBox.No

        for name in ("question", "critical", "warning", "information"):
            setattr(QMessageBox, name, dialog)
        QMessageBox.exec = lambda self: shown.append(self.text()) or 0
        sys.excepthook = lambda *exc: slot_errors.append("".join(traceback.format_exception(*exc)))
        app = QApplication.instance() or QApplication(["torchcanvas"])
        os.environ["TORCHCANVAS_HOME"] = tempfile.mkdtemp(prefix="hostile-window-home-")
        from app.main_window import MainWindow

        window = MainWindow()
        window.confirm_discard = lambda: True
        window.resize(1200, 800)
        window.show()
        settle(app, window)
        for folder in folders:
            shown.clear()
            slot_errors.clear()
            os.environ["TORCHCANVAS_HOME"] = str(folder / "home")
            os.chdir(folder)
            result = captured(_open_in_window(app, window, folder, shown, slot_errors), folder, "gui")
            try:
                result["report"] = json.loads((folder / ".gui.json").read_text())
            except (OSError, ValueError):
                result["report"] = None
            (folder / ".gui.result.json").write_text(json.dumps(result))
            os.write(write_fd, (folder.name + "\n").encode())
        window.shutdown()
        window.close()
    except BaseException:  # noqa: BLE001 - the harness itself broke: say so, the parent reports it
        os.write(write_fd, ("!harness " + traceback.format_exc().replace("\n", "\\n") + "\n").encode())
    os._exit(0)


class WindowDoor:
    """The parent's side: runs `gui_batch` over the folders still to open, restarting it after a hang."""

    def __init__(self, folders: list[Path], timeout: float) -> None:
        self.pending = list(folders)
        self.timeout = timeout
        self.failed: dict[str, str] = {}  # folder name → why it has no report (hang, crash)
        self.pid: int | None = None
        self._spawn()

    def _spawn(self) -> None:
        if not self.pending:
            self.pid = None
            return
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            gui_batch(list(self.pending), write_fd)
        os.close(write_fd)
        self.pid, self.fd, self.buffer, self.last = pid, read_fd, b"", time.monotonic()

    def busy(self) -> bool:
        return self.pid is not None

    def fds(self) -> list[int]:
        return [self.fd] if self.pid is not None else []

    def _give_up_on_current(self, why: str) -> None:
        from tests.hostile.harness import kill_group

        kill_group(self.pid)
        os.close(self.fd)
        self.failed[self.pending.pop(0).name] = why
        self._spawn()

    def read(self) -> None:
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:  # the batch ended; if cases remain, the window process died on the first of them
            if self.pending:
                self._give_up_on_current("gui: the window process died without a report")
            else:
                os.close(self.fd)
                os.waitpid(self.pid, 0)
                self.pid = None
            return
        self.buffer += chunk
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            text = line.decode(errors="replace")
            if text.startswith("!harness "):
                self._give_up_on_current("harness: " + text[9:].replace("\\n", "\n")[-500:])
                return
            if self.pending and self.pending[0].name == text:
                self.pending.pop(0)
            self.last = time.monotonic()

    def check_deadline(self) -> None:
        if self.pid is not None and time.monotonic() - self.last > self.timeout:
            self._give_up_on_current(f"gui: hang (> {self.timeout:.0f} s)")

    def result(self, folder: Path) -> dict | None:
        """The window door's captured result for one case, or {"failed": why}."""
        if folder.name in self.failed:
            return {"failed": self.failed[folder.name]}
        try:
            return json.loads((folder / ".gui.result.json").read_text())
        except (OSError, ValueError):
            return {"failed": "gui: no report"}
