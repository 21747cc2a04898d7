"""Graphics items for nodes and edges: a view of the document, never its owner."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsSimpleTextItem

from graph import Node

NODE_WIDTH = 170.0
HEADER = 24.0
PORT_GAP = 18.0

CATEGORY_COLORS = {
    "Input/Output": "#4c8c4a", "Linear": "#3a6ea5", "Convolution": "#7a4fa0", "Pooling": "#8a5a9e",
    "Normalization": "#a5793a", "Activation": "#b0523a", "Dropout": "#777777", "Recurrent": "#2f8c8c",
    "Attention": "#c0468a", "Complex": "#c9a227", "Sub-networks": "#5a5a9e", "Custom": "#3f3f3f",
}


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node, category: str, inputs: list[str], outputs: list[str]) -> None:
        super().__init__()
        self.node_id = node.id
        self.label = node.label
        self.type_id = node.type
        self.color = QColor(CATEGORY_COLORS.get(category, "#555a66"))
        self.inputs = inputs
        self.outputs = outputs
        self.error: str | None = None
        rows = max(len(inputs), len(outputs), 1)
        self.height = HEADER + 16 + rows * PORT_GAP
        self.setPos(QPointF(*node.position))
        self.setFlags(QGraphicsItem.ItemIsSelectable | QGraphicsItem.ItemIsMovable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:
        return QRectF(-6, -6, NODE_WIDTH + 12, self.height + 12)

    def port_pos(self, name: str, direction: str) -> QPointF:
        ports = self.inputs if direction == "in" else self.outputs
        k = ports.index(name) if name in ports else 0
        x = 0.0 if direction == "in" else NODE_WIDTH
        return self.scenePos() + QPointF(x, HEADER + 16 + k * PORT_GAP)

    def set_error(self, message: str | None) -> None:
        self.error = message
        self.setToolTip(message or f"{self.label} ({self.type_id})")
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        body = QRectF(0, 0, NODE_WIDTH, self.height)
        border = QColor("#e04040") if self.error else QColor("#f0c040") if self.isSelected() else QColor("#1d1f24")
        painter.setPen(QPen(border, 2.5 if (self.error or self.isSelected()) else 1.0))
        painter.setBrush(QBrush(QColor("#2b2e35")))
        painter.drawRoundedRect(body, 6, 6)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER), 6, 6)
        painter.fillPath(header, self.color)
        painter.setPen(QColor("white"))
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.drawText(QRectF(8, 0, NODE_WIDTH - 16, HEADER), Qt.AlignVCenter | Qt.AlignLeft, self.label)
        font.setBold(False)
        font.setPointSizeF(8)
        painter.setFont(font)
        painter.setPen(QColor("#b8bcc6"))
        painter.drawText(QRectF(8, HEADER, NODE_WIDTH - 16, 16), Qt.AlignVCenter | Qt.AlignLeft, self.type_id)
        for k, name in enumerate(self.inputs):
            y = HEADER + 16 + k * PORT_GAP
            painter.setBrush(QColor("#9ad0ff"))
            painter.setPen(Qt.NoPen)
            painter.drawEllipse(QPointF(0, y), 5, 5)
            painter.setPen(QColor("#d0d4dc"))
            painter.drawText(QRectF(9, y - 8, NODE_WIDTH / 2, 16), Qt.AlignVCenter | Qt.AlignLeft, name)
        for k, name in enumerate(self.outputs):
            y = HEADER + 16 + k * PORT_GAP
            painter.setBrush(QColor("#ffd27f"))
            painter.setPen(Qt.NoPen)
            painter.drawEllipse(QPointF(NODE_WIDTH, y), 5, 5)
            painter.setPen(QColor("#d0d4dc"))
            painter.drawText(QRectF(NODE_WIDTH / 2, y - 8, NODE_WIDTH / 2 - 9, 16),
                             Qt.AlignVCenter | Qt.AlignRight, name)


class EdgeItem(QGraphicsPathItem):
    def __init__(self, src: NodeItem, src_port: str, dst: NodeItem, dst_port: str) -> None:
        super().__init__()
        self.src, self.src_port, self.dst, self.dst_port = src, src_port, dst, dst_port
        self.setPen(QPen(QColor("#8a93a6"), 2))
        self.setZValue(0)
        self.shape_text = QGraphicsSimpleTextItem(self)
        self.shape_text.setBrush(QColor("#c8e6c9"))
        self.refresh()

    def set_shape_text(self, text: str) -> None:
        self.shape_text.setText(text)
        self.refresh()

    def refresh(self) -> None:
        a = self.src.port_pos(self.src_port, "out")
        b = self.dst.port_pos(self.dst_port, "in")
        dx = max(40.0, abs(b.x() - a.x()) * 0.5)
        path = QPainterPath(a)
        path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
        self.setPath(path)
        mid = path.pointAtPercent(0.5)
        rect = self.shape_text.boundingRect()
        self.shape_text.setPos(mid - QPointF(rect.width() / 2, rect.height() + 2))
