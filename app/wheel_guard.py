"""The mouse wheel scrolls forms; it changes a combo or number box only when that box has focus.

Qt's combo and spin boxes take wheel events whenever the pointer is over
them, so scrolling down a settings form silently changed the loss, the
optimizer and the epochs it passed (one undo step per tick). Guarded boxes
get focus only by click or Tab, and a wheel event over an unfocused one goes
to the scroll area around it instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QSlider,
    QWidget,
)

GUARDED = (QComboBox, QAbstractSpinBox, QSlider)


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QApplication.sendEvent(area.verticalScrollBar(), event)
        return True  # never changes the unfocused box


_GUARD: _WheelGuard | None = None


def guard_wheel(root: QWidget) -> None:
    """Guards every combo box, spin box and slider under `root` (call again after adding rows)."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelGuard()
    for widget in root.findChildren(QWidget):
        if isinstance(widget, GUARDED) and not widget.property("wheel_guarded"):
            widget.setFocusPolicy(Qt.StrongFocus)
            widget.installEventFilter(_GUARD)
            widget.setProperty("wheel_guarded", True)
