"""Imports torch, the compiler and the analysis off the UI thread, after the window is on screen.

`import torch` takes seconds (≈1.5 s on a quiet 2-core machine, far more
under load). Done first, it kept the window from appearing; done here, the
window, the palette (from the cached catalogue) and the example graph are up
at once and shapes follow when `ready` fires. The thread is not a daemon:
quitting waits for it, because an interpreter that exits in the middle of
torch's C++ initialisation aborts (SIGABRT instead of exit code 0).
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

from runtime.report import problems_of


def load_engine() -> Any:
    """Everything the editor needs from below app/ that imports torch; returns the full registry."""
    from runtime.commands.check import project_registry

    registry = project_registry()
    import torch

    import codegen.compiler  # noqa: F401 - imported here so the UI thread never waits for it
    import runtime.analysis  # noqa: F401
    import runtime.data  # noqa: F401

    with torch.device("meta"):  # the first meta kernel pays ~1 s of lazy torch imports
        torch.nn.Linear(2, 2)(torch.empty(1, 2)).relu()
    return registry


class EngineLoader(QObject):
    ready = Signal(object)  # the full registry, delivered on the UI thread
    failed = Signal(list)  # Problem records: why the engine could not be imported

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: threading.Thread | None = None
        self.registry: Any = None

    def start(self) -> None:
        if self.thread is not None:
            return
        self.thread = threading.Thread(target=self._run, name="torchcanvas-engine-import")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.registry = load_engine()
        except Exception as exc:  # noqa: BLE001 - reported in the window, never a crash of the thread
            self.failed.emit(problems_of(exc))
            return
        self.ready.emit(self.registry)

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    @property
    def done(self) -> bool:
        return self.registry is not None
