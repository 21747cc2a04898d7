"""Python's cyclic garbage collector runs only on the GUI thread.

Automatic collection runs on whichever thread happens to allocate: the engine
import, the code formatter and a large document's analysis run on threads, and
a collection there destroys the Qt objects of closed windows and dialogs off
the GUI thread. PySide then crashes at some later, unrelated point (segfaults
were seen in window construction, in event processing and in test teardown,
always with one of those threads alive). pyqtgraph's GarbageCollector turns
automatic collection off and collects on a timer of the GUI thread instead.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication


def collect_on_gui_thread(app: QCoreApplication, interval_s: float = 1.0) -> Any:
    """Keeps the collector on `app` (its timer must live as long as the application)."""
    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = getattr(app, "_torchcanvas_gc", None)
    if collector is None:
        collector = GarbageCollector(interval=interval_s)
        app._torchcanvas_gc = collector
    return collector
