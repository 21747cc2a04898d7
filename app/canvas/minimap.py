"""An overview of the whole graph in a corner of the canvas, for graphs larger than the view.

The canvas opens at a zoom where node titles are readable (100 %), so a deep
network is wider than the view; the minimap shows all of it with the visible
part outlined, and a click or drag in it moves the view there. It hides itself
whenever the whole graph is already in view.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from app.canvas.items import CATEGORY_COLORS, NodeItem

SIZE = (220, 130)
MIN_WIDTH = 110
MIN_HEIGHT = 36
MARGIN = 10


class Minimap(QWidget):
    def __init__(self, view) -> None:
        super().__init__(view.viewport())
        self.view = view
        self.setFixedSize(*SIZE)
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self.hide()
        view.horizontalScrollBar().valueChanged.connect(self.refresh)
        view.verticalScrollBar().valueChanged.connect(self.refresh)
        view.scene().changed.connect(self.refresh)
        view.transformed.connect(self.refresh)

    # -- geometry -------------------------------------------------------------------------------
    def _items(self) -> list:
        scene = self.view.scene()
        return scene.items() if scene is not None else []  # None while the window is torn down

    def graph_rect(self) -> QRectF:
        rect = QRectF()
        for item in self._items():
            if isinstance(item, NodeItem):
                rect = rect.united(item.sceneBoundingRect())
        return rect.adjusted(-40, -40, 40, 40) if not rect.isNull() else rect

    def visible_rect(self) -> QRectF:
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def _scale(self, graph: QRectF) -> tuple[float, QPointF]:
        inner = QRectF(4, 4, self.width() - 8, self.height() - 8)
        s = min(inner.width() / max(graph.width(), 1.0), inner.height() / max(graph.height(), 1.0))
        offset = QPointF(inner.left() + (inner.width() - graph.width() * s) / 2 - graph.left() * s,
                         inner.top() + (inner.height() - graph.height() * s) / 2 - graph.top() * s)
        return s, offset

    def needed(self) -> bool:
        graph = self.graph_rect()
        viewport = self.view.viewport()
        roomy = viewport.width() >= 3 * MIN_WIDTH and viewport.height() >= 150
        return roomy and not graph.isNull() and not self.visible_rect().contains(graph)

    def refresh(self, *_args) -> None:
        want = self.needed()
        if want != self.isVisible():
            self.setVisible(want)
        if want:
            viewport = self.view.viewport()
            width = int(min(SIZE[0], max(MIN_WIDTH, viewport.width() * 0.25), viewport.height() * 0.8))
            graph = self.graph_rect()  # as tall as the graph's shape needs: a long chain is a thin strip
            height = width * graph.height() / max(graph.width(), 1.0) + 8
            self.setFixedSize(width, int(max(MIN_HEIGHT, min(width * SIZE[1] / SIZE[0], height))))
            self.move(viewport.width() - self.width() - MARGIN, viewport.height() - self.height() - MARGIN)
            self.update()

    # -- drawing and moving -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        graph = self.graph_rect()
        if graph.isNull():
            return
        s, offset = self._scale(graph)
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(QPen(QColor("#3a3f4b"), 1))
        p.setBrush(QColor(20, 22, 27, 220))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        p.setPen(Qt.NoPen)
        for item in self._items():
            if isinstance(item, NodeItem):
                r = item.sceneBoundingRect()
                p.setBrush(QColor(CATEGORY_COLORS.get(item.category, "#8a93a6")))
                p.drawRect(QRectF(r.left() * s + offset.x(), r.top() * s + offset.y(),
                                  max(2.0, r.width() * s), max(2.0, r.height() * s)))
        v = self.visible_rect()
        p.setBrush(Qt.NoBrush)
        p.setPen(QPen(QColor("#ffd24d"), 1.5))
        p.drawRect(QRectF(v.left() * s + offset.x(), v.top() * s + offset.y(), v.width() * s, v.height() * s))
        p.end()

    def scene_point(self, local: QPointF) -> QPointF:
        s, offset = self._scale(self.graph_rect())
        return QPointF((local.x() - offset.x()) / s, (local.y() - offset.y()) / s)

    def mousePressEvent(self, event) -> None:
        self.view.centerOn(self.scene_point(event.position()))
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            self.view.centerOn(self.scene_point(event.position()))
        event.accept()
