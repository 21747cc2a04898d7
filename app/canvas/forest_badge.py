"""A Forest node's members on the canvas: one chip per member, frozen ones marked, hand-off arcs between them.

Drawn inside the node below its ports from the kind's drawing data
(`graph.kinds.forest.MemberMark`): a chip per member (❄ when frozen), and an
arc from the member a newcomer was seeded from — solid for a copied slice,
dashed for lateral connections.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen

CHIP = 22.0
GAP = 6.0
ARC = 12.0
HEIGHT = CHIP + ARC + 10.0
MAX_SHOWN = 7


def badge_height(members: tuple) -> float:
    return HEIGHT if members else 0.0


def members_text(members: tuple) -> str:
    """The members for a tooltip: 'member 1 (frozen, seeded from member 0)'."""
    parts = []
    for mark in members:
        notes = (["frozen"] if mark.frozen else []) + \
            ([f"seeded from member {mark.seeded_from}"] if mark.seeded_from >= 0 else [])
        parts.append(f"member {mark.index}" + (f" ({', '.join(notes)})" if notes else ""))
    return "\n".join(parts)


def paint_members(painter: QPainter, top: float, width: float, members: tuple, handoff: str) -> None:
    shown = members[:MAX_SHOWN]
    font = QFont()
    font.setPointSizeF(7.5)
    painter.setFont(font)
    y = top + ARC + 4
    centres = {}
    for k, mark in enumerate(shown):
        x = 10 + k * (CHIP + GAP)
        rect = QRectF(x, y, CHIP, CHIP)
        centres[mark.index] = QPointF(x + CHIP / 2, y)
        painter.setPen(QPen(QColor("#15171c"), 1))
        painter.setBrush(QColor("#4a5a8a") if mark.frozen else QColor("#7d8fd0"))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignCenter, str(mark.index))
        if mark.frozen:
            painter.setPen(QColor("#bfe3ff"))
            painter.drawText(QRectF(x + CHIP - 8, y - 7, 10, 10), Qt.AlignCenter, "❄")
    if len(members) > MAX_SHOWN:
        painter.setPen(QColor("#aab0bc"))
        painter.drawText(QRectF(10 + MAX_SHOWN * (CHIP + GAP), y, width, CHIP), Qt.AlignVCenter,
                         f"+{len(members) - MAX_SHOWN}")
    if handoff:
        painter.setPen(QColor("#aab0bc"))
        right = 10 + min(len(members), MAX_SHOWN) * (CHIP + GAP) + (18 if len(members) > MAX_SHOWN else 0)
        painter.drawText(QRectF(right, y, width - right - 6, CHIP), Qt.AlignVCenter | Qt.AlignRight, handoff)
    pen = QPen(QColor("#ffcf7a"), 1.4, Qt.DashLine if handoff == "lateral" else Qt.SolidLine)
    painter.setPen(pen)
    painter.setBrush(Qt.NoBrush)
    for mark in shown:
        if mark.seeded_from < 0 or mark.seeded_from not in centres:
            continue
        a, b = centres[mark.seeded_from], centres[mark.index]
        path = QPainterPath(a)
        path.cubicTo(a + QPointF(0, -ARC), b + QPointF(0, -ARC), b)
        painter.drawPath(path)
        painter.drawLine(b, b + QPointF(-3, -4))
        painter.drawLine(b, b + QPointF(3, -4))
