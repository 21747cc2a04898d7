"""A status-bar label whose text changes several times a second without laying the window out.

A plain QLabel asks its parent for a new layout on every text change; in the
status bar that reaches the main window, which relays out every dock, and Qt
then repaints them all — the training dashboard included, the most expensive
thing on screen — four times a second for a status text. This label keeps a
fixed size (Qt sends no layout request for a widget whose minimum equals its
maximum) and changes it only when a text no longer fits, in steps, or when
the text has become much shorter (a new run, a cleared status). The text sits
at the label's right edge, beside the window's corner, whatever its width.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

#: Width changes in steps of this many average characters, so a growing number does not relayout each time.
STEP_CHARS = 12


class SteadyLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.setFixedSize(0, self.sizeHint().height())
        #: How many times the label changed its size (a layout of the window each); tests count them.
        self.resizes = 0

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        step = STEP_CHARS * self.fontMetrics().averageCharWidth()
        margins = self.contentsMargins()
        needed = self.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + 2 * self.margin()
        width = step * math.ceil(needed / step) if text else 0
        current = self.minimumWidth()
        if width > current or width < current / 3:
            self.resizes += 1
            self.setFixedWidth(width)
