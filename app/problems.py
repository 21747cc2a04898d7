"""The problems list: validation and shape errors; clicking one selects its node."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from app.editor.model import EditorModel

ISSUE_ROLE = Qt.UserRole + 2


class ProblemsList(QListWidget):
    issue_clicked = Signal(str, str)  # scope, node id

    def __init__(self, model: EditorModel) -> None:
        super().__init__()
        self.model = model
        model.analysed.connect(self.refresh)
        self.itemClicked.connect(self._clicked)

    def refresh(self) -> None:
        self.clear()
        problems = self.model.all_problems()
        for problem in problems:
            item = QListWidgetItem(("✖ " if problem.is_error else "⚠ ") + problem.text())
            item.setForeground(QColor("#ff8080" if problem.is_error else "#e0c060"))
            item.setData(ISSUE_ROLE, (problem.scope, problem.node_id))
            item.setToolTip(problem.hint or problem.message)
            self.addItem(item)
        if not problems:
            ok = QListWidgetItem("✓ No problems: the model compiles.")
            ok.setForeground(QColor("#80d090"))
            self.addItem(ok)

    def _clicked(self, item: QListWidgetItem) -> None:
        data = item.data(ISSUE_ROLE)
        if data and data[1]:
            self.issue_clicked.emit(data[0], data[1])
