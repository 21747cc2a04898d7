"""A read-only window report for real-window tests (on only when $TORCHCANVAS_PROBE names a file).

Tests that drive the app in a real X server with xdotool need to know where
things are on screen (a palette entry, a node's port) and what the app
believes (undo history, open dialogs, plotted batches). Several times a
second this writes that to a JSON file, atomically; it never changes
anything, and without the environment variable it is never created.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPoint, QRect, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

ENV = "TORCHCANVAS_PROBE"


def _point(widget, local: QPoint) -> list[int]:
    p = widget.mapToGlobal(local)
    return [p.x(), p.y()]


def report(window) -> dict[str, Any]:
    view = window.view
    nodes = {}
    for nid, item in window.scene.nodes.items():
        def at(scene_pos):
            return _point(view.viewport(), view.mapFromScene(scene_pos))

        nodes[nid] = {"label": item.label, "type": item.type_id, "center": at(item.sceneBoundingRect().center()),
                      "in": {p: at(item.port_pos(p, "in")) for p in item.inputs},
                      "out": {p: at(item.port_pos(p, "out")) for p in item.outputs}}
    palette = {}
    tree = window.palette.tree
    for type_id, entry in window.palette.items.items():
        rect = tree.visualItemRect(entry)
        if not entry.isHidden() and rect.isValid() and tree.viewport().rect().contains(rect.center()):
            palette[type_id] = _point(tree.viewport(), rect.center())
    stack = window.model.undo_stack
    dialogs = [w.windowTitle() for w in QApplication.topLevelWidgets()
               if isinstance(w, (QDialog, QMessageBox)) and w.isVisible()]
    trainer = window.trainer
    loss_x, _ = window.plots.series_data("loss")
    return {
        "pid": os.getpid(),
        "title": window.windowTitle(),
        "active": window.isActiveWindow(),
        "canvas": _point(view.viewport(), view.viewport().rect().center()),
        "scope": window.model.scope,
        "selection": list(window.model.selection),
        "nodes": nodes,
        "edges": [list(key) for key in window.scene.edges],
        "palette": palette,
        "palette_search": _point(window.palette.search, window.palette.search.rect().center()),
        "undo": {"index": stack.index(), "count": stack.count(), "clean": stack.isClean(),
                 "texts": [stack.text(k) for k in range(stack.count())]},
        "path": str(window.model.path) if window.model.path else None,
        "modified": window.model.modified,
        "dialogs": dialogs,
        "status": window.statusBar().currentMessage(),
        "train_label": window.train_label.text(),
        "training": {"running": trainer.running, "batches_drawn": int(len(loss_x)),
                     "run_dir": str(trainer.run_dir) if trainer.run_dir else None},
        "perspective": getattr(window, "perspective", None),
        "torch_loaded": "torch" in __import__("sys").modules,
        "engine": window.model.engine,
        "frozen_objects": __import__("gc").get_freeze_count(),
        "worker_ready": bool(trainer.warm is not None and trainer.warm.ready),
        "experiments": _experiments(window),
        "size": [window.width(), window.height()],
        # visible docks: [x, y] of the centre on screen and [width, height] (perspective sizes, clicks into a panel)
        "docks": {title: _point(dock, dock.rect().center()) + [dock.width(), dock.height()]
                  for title, dock in window.docks.items() if dock.isVisible() and not dock.visibleRegion().isEmpty()},
        "focus": type(QApplication.focusWidget()).__name__ if QApplication.focusWidget() else None,
        "runs_selected": len(window.runs_panel.tree.selectedItems()),
    }


def in_sight(widget) -> bool:
    """The widget's middle is on screen: shown, and not clipped away by a scroll area or dock around it.

    (`isVisible` stays true for a button scrolled out of its scroll area, and `visibleRegion` leaves out
    the widget's own children, so neither says whether a person can see and click it.)
    """
    if widget is None or not widget.isVisible():
        return False
    top = widget.window()
    middle = widget.mapTo(top, widget.rect().center())
    ancestor = widget
    while ancestor is not None and ancestor is not top:
        if not QRect(ancestor.mapTo(top, QPoint(0, 0)), ancestor.size()).contains(middle):
            return False
        ancestor = ancestor.parentWidget()
    return top.rect().contains(middle)


def _visible_point(widget) -> list[int] | None:
    return _point(widget, widget.rect().center()) if in_sight(widget) else None


def _experiments(window) -> dict[str, Any]:
    """The Experiments panel: its state, and where "Search this…", the range dialog's OK, Run and Stop are."""
    from PySide6.QtWidgets import QDialogButtonBox, QMenu

    panel = getattr(window, "experiments", None)
    if panel is None:
        return {}
    menu_point = ok_point = None
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMenu) and w.isVisible():
            action = next((a for a in w.actions() if a.objectName() == "search_this"), None)
            if action is not None:
                menu_point = _point(w, w.actionGeometry(action).center())
        if type(w).__name__ == "RangeDialog" and w.isVisible():
            ok_point = _visible_point(w.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok))
    return {"state": panel.runner.state, "params": [p.path for p in panel.params],
            "counts": panel.results.counts() if panel.results is not None else {},
            "status": panel.status.text(), "run": _visible_point(panel.run_button),
            "stop": _visible_point(panel.stop_button), "stop_enabled": panel.stop_button.isEnabled(),
            "out_features": _visible_point(window.inspector.editors.get("out_features")),
            "search_this": menu_point, "range_ok": ok_point,
            "optuna_loaded": "optuna" in __import__("sys").modules}


class Probe(QObject):
    def __init__(self, window, path: Path, interval_ms: int = 150) -> None:
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self._last = ""
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.write)
        self.timer.start()

    def write(self) -> None:
        try:
            text = json.dumps(report(self.window))
        except RuntimeError:  # the window is being torn down
            return
        if text != self._last:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(text)
            os.replace(tmp, self.path)
            self._last = text


def attach_if_requested(window) -> Probe | None:
    path = os.environ.get(ENV)
    return Probe(window, Path(path)) if path else None
