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


def settle_start_up_heap(app: QCoreApplication) -> bool:
    """Takes what start-up built (torch, the compiler, Qt) out of every later collection; once per process.

    Importing torch leaves ~310k objects that live until exit, and a full
    collection walks all of them: 0.15-0.2 s of CPU on the GUI thread each
    time the collector reaches its oldest generation (measured on this 2-core
    VM), which also made compiling a 2,000-node project 0.45 s instead of 0.3.
    Frozen (`gc.freeze`), a full collection walks only what came later. Called
    when the engine's import is done; only in a window `collect_on_gui_thread`
    looks after, since the frozen objects (the main window among them) are
    never collected.
    """
    import gc

    if getattr(app, "_torchcanvas_gc", None) is None or getattr(app, "_torchcanvas_heap_settled", False):
        return False
    gc.freeze()
    app._torchcanvas_heap_settled = True
    return True
