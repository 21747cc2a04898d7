"""The editor for Python a person writes in the window (hooks, code nodes): it indents as a Python editor does.

A Keras user who presses Return at the end of a line inside a hook method
expects the next line inside that method; a plain text box puts it at column
0, and Tab there inserts a tab character, which Python refuses beside spaces.
So: Return keeps the line's indentation (one level more after a line ending
in ':', one less after return/pass/raise/break/continue); Tab inserts spaces to
the next multiple of four (with several lines selected it indents them all),
Shift+Tab takes a level off; Backspace in leading spaces goes back a whole level.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from app.codeview import monospace
from app.highlighter import PythonHighlighter

INDENT = 4
_ENDS_BLOCK = re.compile(r"^\s*(return|pass|raise|break|continue)\b")


def _leading(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _code_part(line: str) -> str:
    """The line without a trailing comment (a '#' inside quotes is rare enough in a hook to ignore)."""
    return line.split("#", 1)[0].rstrip()


class CodeEditor(QPlainTextEdit):
    def __init__(self, text: str = "", minimum_height: int = 160) -> None:
        super().__init__(text)
        self.setFont(monospace())
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setMinimumHeight(minimum_height)
        self.setTabChangesFocus(False)
        self._highlighter = PythonHighlighter(self.document())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key, mods = event.key(), event.modifiers() & ~Qt.KeypadModifier
        if key in (Qt.Key_Return, Qt.Key_Enter) and mods == Qt.NoModifier:
            self._new_line()
        elif key == Qt.Key_Tab and mods == Qt.NoModifier:
            self._indent()
        elif key == Qt.Key_Backtab:
            self._shift_lines(-INDENT)
        elif key == Qt.Key_Backspace and mods == Qt.NoModifier and self._in_leading_spaces():
            cursor = self.textCursor()
            column = cursor.positionInBlock()
            cursor.movePosition(QTextCursor.Left, QTextCursor.KeepAnchor, (column - 1) % INDENT + 1)
            cursor.removeSelectedText()
        else:
            super().keyPressEvent(event)

    def _new_line(self) -> None:
        cursor = self.textCursor()
        before = cursor.block().text()[:cursor.positionInBlock()]
        depth = _leading(before) if before.strip() else len(before)
        code = _code_part(before)
        if code.endswith(":"):
            depth += INDENT
        elif _ENDS_BLOCK.match(code):
            depth = max(0, depth - INDENT)
        cursor.insertText("\n" + " " * depth)
        self.setTextCursor(cursor)

    def _indent(self) -> None:
        cursor = self.textCursor()
        if cursor.hasSelection() and "\u2029" in cursor.selectedText():  # several lines: indent them all
            self._shift_lines(INDENT)
            return
        column = cursor.positionInBlock()
        cursor.insertText(" " * (INDENT - column % INDENT))

    def _in_leading_spaces(self) -> bool:
        cursor = self.textCursor()
        column = cursor.positionInBlock()
        return not cursor.hasSelection() and column > 0 and not cursor.block().text()[:column].strip(" ")

    def _shift_lines(self, by: int) -> None:
        """Every line the selection touches (or the cursor's line) moves `by` columns; one undo step."""
        cursor = self.textCursor()
        doc = self.document()
        first = doc.findBlock(cursor.selectionStart()).blockNumber()
        last = doc.findBlock(cursor.selectionEnd()).blockNumber()
        cursor.beginEditBlock()
        for number in range(first, last + 1):
            block = doc.findBlockByNumber(number)
            edit = QTextCursor(block)
            if by > 0:
                edit.insertText(" " * by)
            else:
                edit.movePosition(QTextCursor.Right, QTextCursor.KeepAnchor, min(-by, _leading(block.text())))
                edit.removeSelectedText()
        cursor.endEditBlock()
