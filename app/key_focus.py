"""Who gets a key: the canvas's editing keys go to a focused panel's list, table or text first.

Qt offers a key to the focused widget before a window-wide shortcut only when
that widget claims it (a ShortcutOverride event). Line edits claim their own
editing keys, but item views claim none (Ctrl+A in the Runs list selected the
canvas's nodes, Delete deleted them) and a read-only text view claims nothing
(Ctrl+C in the code view copied nodes). The window claims the canvas keys on
behalf of such a widget, so the key reaches the widget as a plain key press.
Undo/redo are the document's and stay window-wide: a list without edits of its
own passes them on, a text field claims them itself.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

#: The actions that act on the canvas's selection (app.shortcuts keys).
CANVAS_ACTIONS = ("select_all", "copy", "cut", "paste", "duplicate", "delete")
#: Widgets that take keys for themselves: selection, clipboard, editing.
KEY_OWNERS = (QAbstractItemView, QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QComboBox)


def panel_has_focus(focus: QWidget | None, canvas: QWidget) -> bool:
    """True when a list, table or text outside the canvas area has the keyboard focus."""
    if focus is None or not isinstance(focus, KEY_OWNERS):
        return False
    return focus is not canvas and not canvas.isAncestorOf(focus)


def is_canvas_key(event: QKeyEvent, actions: dict) -> bool:
    pressed = QKeySequence(event.keyCombination())
    return any(pressed in actions[key].shortcuts() for key in CANVAS_ACTIONS if key in actions)


def claim_for_panel(event: QEvent, focus: QWidget | None, canvas: QWidget, actions: dict) -> bool:
    """Accepts a ShortcutOverride for a canvas key while a panel has the focus (the panel then gets the key)."""
    if event.type() != QEvent.ShortcutOverride or not panel_has_focus(focus, canvas):
        return False
    if not is_canvas_key(event, actions):
        return False
    event.accept()
    return True
