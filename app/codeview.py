"""The generated PyTorch source, read-only, linked to the canvas through the source map.

The view asks for the code itself, shortly after an edit and only while it
is visible: edits never wait for code generation or ``ruff format``.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.editor.model import EditorModel
from app.highlighter import PythonHighlighter


def monospace() -> QFont:
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.Monospace)
    font.setPointSizeF(9.5)
    return font


class CodeView(QWidget):
    node_clicked = Signal(str, str)  # scope, node id

    def __init__(self, model: EditorModel) -> None:
        super().__init__()
        self.model = model
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setObjectName("code_view")
        self.text.setFont(monospace())
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.text.setStyleSheet("QPlainTextEdit { background: #1b1d23; color: #d6deeb; }")
        self.highlighter = PythonHighlighter(self.text.document())
        self.status = QLabel()
        self.copy_button = QPushButton("Copy code")
        self.copy_button.clicked.connect(self.copy)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.text)
        self.text.cursorPositionChanged.connect(self._cursor_moved)
        self._updating = False
        self._pending = QTimer(self, singleShot=True, interval=120)
        self._pending.timeout.connect(self._show_current)
        model.analysed.connect(self._schedule)
        model.compiled_changed.connect(self.refresh)
        model.selection_changed.connect(self.highlight_selection)

    def _schedule(self) -> None:
        if self.isVisible():
            self._pending.start()  # one compile for a burst of edits (a spin box held down)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._pending.start()

    def _show_current(self) -> None:
        if self.isVisible():
            self.model.request_formatted()  # compiled_changed → refresh, once written and again once formatted

    def refresh(self) -> None:
        compiled = self.model.compiled
        if compiled is not None and not compiled.formatted:
            self._schedule()  # not yet formatted for reading: the formatted text follows
            return
        self._updating = True
        if compiled is not None:
            if self.text.toPlainText() != compiled.source:
                scroll = self.text.verticalScrollBar().value()
                self.text.setPlainText(compiled.source)
                self.text.verticalScrollBar().setValue(scroll)
            self.status.setText(f"{compiled.class_name}: {len(compiled.source.splitlines())} lines, plain PyTorch")
            self.status.setStyleSheet("")
        else:
            self.status.setText("Does not compile yet — see Problems")
            self.status.setStyleSheet("color: #ff6b6b;")
            reasons = [p.text() for p in self.model.compile_problems]
            self.text.setPlainText("# The model does not compile yet:\n" + "\n".join(f"#   {r}" for r in reasons))
        self._updating = False
        self.highlight_selection()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())

    def highlight_selection(self) -> None:
        compiled = self.model.compiled
        selections = []
        if compiled is not None:
            first = None
            for nid in self.model.selection:
                for start, end in compiled.source_map.lines_for_node(self.model.scope, nid):
                    first = start if first is None else min(first, start)
                    for line in range(start, end + 1):
                        sel = QTextEdit.ExtraSelection()
                        sel.format.setBackground(QColor("#3a3520"))
                        sel.format.setProperty(QTextFormat.FullWidthSelection, True)
                        sel.cursor = QTextCursor(self.text.document().findBlockByNumber(line - 1))
                        selections.append(sel)
            if first is not None and not self._updating:
                block = self.text.document().findBlockByNumber(first - 1)
                self._updating = True
                self.text.setTextCursor(QTextCursor(block))
                self.text.centerCursor()
                self._updating = False
        self.text.setExtraSelections(selections)

    def highlighted_lines(self) -> list[int]:
        return sorted(s.cursor.blockNumber() + 1 for s in self.text.extraSelections())

    def _cursor_moved(self) -> None:
        if not self._updating:
            self._select_line(self.text.textCursor().blockNumber() + 1)

    def _select_line(self, line: int) -> None:
        if self.model.compiled is None:
            return
        hit = self.model.compiled.source_map.node_at_line(line)
        if hit is not None:
            self.node_clicked.emit(*hit)

    def click_line(self, line: int) -> None:
        """What a click on `line` does: put the cursor there and select its node."""
        self._updating = True
        self.text.setTextCursor(QTextCursor(self.text.document().findBlockByNumber(line - 1)))
        self._updating = False
        self._select_line(line)

