"""The main window: canvas in the middle, docks around it."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QGraphicsScene,
    QGraphicsView,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
)

from app.canvas.items import EdgeItem, NodeItem
from graph import Document, ProjectFileError, load, save, validate
from graph.ports import input_ports, output_ports
from runtime.commands.check import project_registry


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.registry = project_registry()
        self.document = Document()
        self.path: Path | None = None
        self.scene = QGraphicsScene(self)
        self.scene.setBackgroundBrush(QColor("#1e2026"))
        self.view = QGraphicsView(self.scene)
        self.view.setRenderHint(QPainter.Antialiasing)
        self.view.setDragMode(QGraphicsView.RubberBandDrag)
        self.setCentralWidget(self.view)
        self.problems = QListWidget()
        self.code_view = QPlainTextEdit(readOnly=True)
        self.code_view.setObjectName("code_view")
        self._dock("Problems", self.problems, Qt.BottomDockWidgetArea)
        self._dock("Code", self.code_view, Qt.RightDockWidgetArea)
        self._menus()
        self.items: dict[str, NodeItem] = {}
        self.refresh()

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, key, slot in (("&Open…", QKeySequence.Open, self._open_dialog),
                                ("&Save", QKeySequence.Save, self.save_project)):
            action = QAction(text, self, shortcut=key)
            action.triggered.connect(slot)
            file_menu.addAction(action)

    def open_project(self, path: Path, interactive: bool = True) -> bool:
        try:
            self.document = load(path, self.registry)
        except ProjectFileError as exc:
            if interactive:
                QMessageBox.critical(self, "Cannot open project", str(exc))
            else:
                print(f"error: {exc}", file=sys.stderr)
            return False
        self.path = Path(path)
        self.refresh()
        return True

    def _open_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open project", "", "TorchCanvas projects (*.json)")
        if name:
            self.open_project(Path(name))

    def save_project(self) -> None:
        if self.path is not None:
            save(self.document, self.path)

    def refresh(self) -> None:
        self.setWindowTitle(f"{self.document.name} — TorchCanvas")
        self.scene.clear()
        self.items = {}
        g = self.document.graph
        for node in g.nodes.values():
            spec = self.registry.get(node.type)
            item = NodeItem(node, spec.category if spec else "", [p.name for p in input_ports(
                self.document, node, self.registry)], [p.name for p in output_ports(self.document, node, self.registry)])
            self.items[node.id] = item
            self.scene.addItem(item)
        for e in g.edges:
            if e.src in self.items and e.dst in self.items:
                self.scene.addItem(EdgeItem(self.items[e.src], e.src_port, self.items[e.dst], e.dst_port))
        self.problems.clear()
        for issue in validate(self.document, self.registry):
            self.problems.addItem(str(issue))
            if issue.node_id in self.items:
                self.items[issue.node_id].set_error(issue.message)
        self.fit_view()

    def fit_view(self) -> None:
        rect = self.scene.itemsBoundingRect().adjusted(-60, -60, 60, 60)
        if not rect.isEmpty():
            self.view.fitInView(rect, Qt.KeepAspectRatio)
