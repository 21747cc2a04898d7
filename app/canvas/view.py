"""The canvas view: zoom with the wheel, pan with the middle button, drop layers from the palette."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsView

from app.canvas.scene import GraphScene

NODE_MIME = "application/x-torchcanvas-node-type"
#: The smallest zoom a graph is opened at: node titles (14 px at 100 %) stay ≥ 11 px on screen.
READABLE_ZOOM = 0.8


class GraphView(QGraphicsView):
    dropped = Signal(str, QPointF)  # type id, scene position
    first_painted = Signal()  # the canvas is on screen (the window starts its background import then)
    context_menu_requested = Signal(QPointF, QPoint)  # scene position, global position
    transformed = Signal()  # zoom or size changed (the minimap follows)

    def __init__(self, scene: GraphScene) -> None:
        super().__init__(scene)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setAcceptDrops(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._pan: QPointF | None = None

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(0.1 / current, min(3.0 / current, factor))
        self.scale(factor, factor)
        self.transformed.emit()

    def reset_zoom(self) -> None:
        centre = self.center_scene_pos()
        self.resetTransform()
        self.centerOn(centre)
        self.transformed.emit()

    def graph_rect(self):
        from app.canvas.items import NodeItem

        rect = None
        for item in self.scene().items() if self.scene() is not None else []:
            if isinstance(item, NodeItem):
                r = item.sceneBoundingRect()
                rect = r if rect is None else rect.united(r)
        return rect

    def show_graph(self) -> None:
        """How a graph first appears: all of it if that keeps titles readable, else from its inputs.

        The zoom is 100 % when the graph fits, else as far down as READABLE_ZOOM
        (node titles ≥ 11 px) to show more; a graph still wider starts at its
        inputs on the left, and the minimap shows the rest.
        """
        rect = self.graph_rect()
        self.resetTransform()
        if rect is not None:
            margin = 60
            view = self.viewport().rect()
            fit = min(view.width() / (rect.width() + 2 * margin), view.height() / (rect.height() + 2 * margin))
            scale = max(READABLE_ZOOM, min(1.0, fit))
            self.scale(scale, scale)
            if fit >= scale:
                self.centerOn(rect.center())
            else:
                self.centerOn(rect.left() - margin + view.width() / scale / 2, rect.center().y())
        self.transformed.emit()

    def wheelEvent(self, event) -> None:
        self.zoom(1.0015 ** event.angleDelta().y())

    def fit(self) -> None:
        """The whole graph in view; a graph that fits at 100 % is never shown smaller (at most 120 %)."""
        rect = self.graph_rect()
        if rect is None:
            return
        rect = rect.adjusted(-60, -60, 60, 60)
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height())
        scale = min(1.2, scale) if scale >= 1.0 else max(0.1, scale)
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(rect.center())
        self.transformed.emit()

    def center_scene_pos(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton:
            self._pan = event.position()
            self.setCursor(Qt.ClosedHandCursor)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan is not None:
            delta = event.position() - self._pan
            self._pan = event.position()
            self.pan(-delta.x(), -delta.y())
            return
        super().mouseMoveEvent(event)

    def pan(self, dx: float, dy: float) -> None:
        scale = self.transform().m11()
        center = self.center_scene_pos() + QPointF(dx / scale, dy / scale)
        self.centerOn(center)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton and self._pan is not None:
            self._pan = None
            self.unsetCursor()
            return
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:
        self.context_menu_requested.emit(self.mapToScene(event.pos()), event.globalPos())
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.transformed.emit()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not getattr(self, "_painted", False):
            self._painted = True
            self.first_painted.emit()

    def drawBackground(self, painter: QPainter, rect) -> None:
        super().drawBackground(painter, rect)
        if self.transform().m11() < 0.35:
            return
        step = 20
        left, top = int(rect.left()) - int(rect.left()) % step, int(rect.top()) - int(rect.top()) % step
        painter.setPen(QPen(QColor("#262932"), 1))
        lines = []
        x = left
        while x < rect.right():
            lines.append((x, rect.top(), x, rect.bottom()))
            x += step
        y = top
        while y < rect.bottom():
            lines.append((rect.left(), y, rect.right(), y))
            y += step
        for x1, y1, x2, y2 in lines:
            painter.drawLine(QPointF(x1, y1), QPointF(x2, y2))

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(NODE_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(NODE_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        if event.mimeData().hasFormat(NODE_MIME):
            type_id = bytes(event.mimeData().data(NODE_MIME)).decode()
            self.dropped.emit(type_id, self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
            self.setFocus(Qt.MouseFocusReason)  # the dropped layer is worked on next: the canvas takes the keys
        else:
            super().dropEvent(event)
