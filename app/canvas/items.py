"""Graphics items for nodes, ports and edges: views of the document, never its owners."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsSimpleTextItem

from app.canvas.forest_badge import badge_height, members_text, paint_members

NODE_WIDTH = 180.0
HEADER = 28.0
PORT_GAP = 20.0
PORT_RADIUS = 6.0
GRID = 10.0

CATEGORY_COLORS = {
    "Input/Output": "#3f8f5a", "Linear": "#3a6ea5", "Convolution": "#7a4fa0", "Pooling": "#8e5fae",
    "Normalization": "#a5793a", "Activation": "#b0523a", "Dropout": "#6f7480", "Recurrent": "#2f8c8c",
    "Attention": "#b8457f", "Complex": "#b8921f", "Sub-networks": "#5a5aa8", "Custom": "#4a4f5a",
    "Merge": "#4f7f9f", "Shape": "#5f7f6f", "Slice": "#6f8f3f", "Reduction": "#7f6f4f", "Embedding": "#3f7f9f",
    "Math": "#7f5f7f",
}
PORT_IN = QColor("#8cc8ff")
PORT_OUT = QColor("#ffcf7a")


def title_font() -> QFont:
    """Node titles: 14 px at 100 % zoom (the canvas opens at 100 %), so ≥ 11 px down to ~80 %."""
    font = QFont()
    font.setPixelSize(14)
    font.setBold(True)
    return font


def subtitle_font() -> QFont:
    font = QFont()
    font.setPixelSize(12)
    return font


def edge_font() -> QFont:
    """Tensor shapes on edges: 13 px at 100 %, ≥ 10 px at the smallest zoom a graph opens at."""
    font = QFont()
    font.setPixelSize(13)
    return font


class NodeItem(QGraphicsItem):
    """A node box: coloured header with the label, the type below, ports on both sides."""

    def __init__(self, node_id: str, label: str, type_id: str, category: str, inputs: list[str],
                 outputs: list[str], subtitle: str = "", members: tuple = (), handoff: str = "") -> None:
        super().__init__()
        self.node_id = node_id
        self.label = label
        self.type_id = type_id
        self.subtitle = subtitle or type_id
        self.category = category
        self.color = QColor(CATEGORY_COLORS.get(category, "#555a66"))
        self.inputs = inputs
        self.outputs = outputs
        self.error: str | None = None
        self.frozen = False
        self.edges: list[EdgeItem] = []
        rows = max(len(inputs), len(outputs), 1)
        self.members, self.handoff = members, handoff  # a forest's members (app.canvas.forest_badge)
        self.ports_bottom = HEADER + 18 + rows * PORT_GAP
        self.height = self.ports_bottom + badge_height(members)
        self.setFlags(QGraphicsItem.ItemIsSelectable | QGraphicsItem.ItemIsMovable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.setToolTip(f"{label} ({type_id})" + (f"\n{members_text(members)}" if members else ""))

    def signature(self) -> tuple:
        return (self.label, self.type_id, self.subtitle, tuple(self.inputs), tuple(self.outputs), self.members,
                self.handoff)

    def boundingRect(self) -> QRectF:
        return QRectF(-PORT_RADIUS - 2, -2, NODE_WIDTH + 2 * PORT_RADIUS + 4, self.height + 4)

    def port_local(self, name: str, direction: str) -> QPointF:
        ports = self.inputs if direction == "in" else self.outputs
        k = ports.index(name) if name in ports else 0
        return QPointF(0.0 if direction == "in" else NODE_WIDTH, HEADER + 18 + k * PORT_GAP)

    def port_pos(self, name: str, direction: str) -> QPointF:
        return self.mapToScene(self.port_local(name, direction))

    def port_at(self, scene_pos: QPointF) -> tuple[str, str] | None:
        """(direction, port name) of the port under a scene position, with a generous hit area."""
        local = self.mapFromScene(scene_pos)
        for direction, ports in (("in", self.inputs), ("out", self.outputs)):
            for name in ports:
                p = self.port_local(name, direction)
                if (local - p).manhattanLength() <= PORT_RADIUS * 2.2:
                    return direction, name
        return None

    def set_error(self, message: str | None) -> None:
        if message == self.error:
            return
        self.error = message
        self.setToolTip(f"{self.label} ({self.type_id})" + (f"\n⚠ {message}" if message else ""))
        self.update()

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionChange and getattr(self.scene(), "user_moving", False):
            # only a person's drag snaps to the grid; the document's own positions are drawn as they are
            return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        if change == QGraphicsItem.ItemPositionHasChanged:
            for edge in self.edges:
                edge.refresh()
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        body = QRectF(0, 0, NODE_WIDTH, self.height)
        if self.error:
            border, width = QColor("#ff4d4d"), 2.5
        elif self.isSelected():
            border, width = QColor("#ffd24d"), 2.5
        else:
            border, width = QColor("#15171c"), 1.0
        painter.setPen(QPen(border, width))
        painter.setBrush(QBrush(QColor("#2a2d35")))
        painter.drawRoundedRect(body, 7, 7)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0.5, 0.5, NODE_WIDTH - 1, HEADER), 7, 7)
        header.addRect(QRectF(0.5, HEADER / 2, NODE_WIDTH - 1, HEADER / 2))
        painter.fillPath(header.simplified(), self.color.darker(130) if self.frozen else self.color)
        font = title_font()
        painter.setFont(font)
        painter.setPen(QColor("white"))
        label = QFontMetricsF(font).elidedText(self.label, Qt.ElideRight, NODE_WIDTH - 20)
        painter.drawText(QRectF(9, 0, NODE_WIDTH - 18, HEADER), Qt.AlignVCenter | Qt.AlignLeft, label)
        if self.frozen:
            painter.drawText(QRectF(9, 0, NODE_WIDTH - 18, HEADER), Qt.AlignVCenter | Qt.AlignRight, "❄")
        font = subtitle_font()
        painter.setFont(font)
        painter.setPen(QColor("#aab0bc"))
        sub = QFontMetricsF(font).elidedText(self.subtitle, Qt.ElideRight, NODE_WIDTH - 18)
        painter.drawText(QRectF(9, HEADER, NODE_WIDTH - 18, 18), Qt.AlignVCenter | Qt.AlignLeft, sub)
        if self.members:
            paint_members(painter, self.ports_bottom - PORT_GAP / 2, NODE_WIDTH, self.members, self.handoff)
        for direction, ports, color in (("in", self.inputs, PORT_IN), ("out", self.outputs, PORT_OUT)):
            for name in ports:
                p = self.port_local(name, direction)
                painter.setPen(QPen(QColor("#15171c"), 1))
                painter.setBrush(color)
                painter.drawEllipse(p, PORT_RADIUS, PORT_RADIUS)
                if len(ports) > 1 or name not in ("x", "out"):
                    painter.setPen(QColor("#d5d9e0"))
                    rect = QRectF(10, p.y() - 9, NODE_WIDTH / 2 - 10, 18) if direction == "in" else \
                        QRectF(NODE_WIDTH / 2, p.y() - 9, NODE_WIDTH / 2 - 10, 18)
                    painter.drawText(rect, Qt.AlignVCenter | (Qt.AlignLeft if direction == "in" else Qt.AlignRight),
                                     name)


class EdgeItem(QGraphicsPathItem):
    """A curve from an output port to an input port, labelled with the tensor shape it carries."""

    def __init__(self, src: NodeItem, src_port: str, dst: NodeItem, dst_port: str, key: tuple) -> None:
        super().__init__()
        self.src, self.src_port, self.dst, self.dst_port = src, src_port, dst, dst_port
        self.key = key
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setZValue(0)
        self.label = QGraphicsSimpleTextItem(self)
        self.label.setBrush(QColor("#9fe0a8"))
        self.label.setFont(edge_font())
        src.edges.append(self)
        dst.edges.append(self)
        self.refresh()

    def detach(self) -> None:
        for item in (self.src, self.dst):
            if self in item.edges:
                item.edges.remove(self)

    def set_shape_text(self, text: str) -> None:
        if self.label.text() != text:
            self.label.setText(text)
            self._place_label()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def paint(self, painter, option, widget=None) -> None:
        color = QColor("#ffd24d") if self.isSelected() else QColor("#7d8799")
        self.setPen(QPen(color, 2.2 if self.isSelected() else 1.8))
        super().paint(painter, option, widget)

    def refresh(self) -> None:
        a = self.src.port_pos(self.src_port, "out")
        b = self.dst.port_pos(self.dst_port, "in")
        self.setPath(curve(a, b))
        self._place_label()

    def _place_label(self) -> None:
        mid = self.path().pointAtPercent(0.5)
        rect = self.label.boundingRect()
        self.label.setPos(mid - QPointF(rect.width() / 2, rect.height() + 1))


def curve(a: QPointF, b: QPointF) -> QPainterPath:
    dx = max(50.0, abs(b.x() - a.x()) * 0.5)
    path = QPainterPath(a)
    path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
    return path
