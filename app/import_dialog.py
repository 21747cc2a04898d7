"""File › Import PyTorch model…: a .py file, a class, its arguments, input shapes and dtypes, optional weights.

Import runs the same code as `torchcanvas import` and shows the same summary
row (nodes, groups, opaque nodes, max abs diff, seconds); modules kept whole
are listed, and their source opens read-only before the project is opened.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.paths import app_home
from app.problem_view import problems_text
from runtime.report import problems_of


def _browse_row(edit: QLineEdit, caption: str, pattern: str) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton("Browse…")
    button.clicked.connect(lambda: edit.setText(QFileDialog.getOpenFileName(row, caption, "", pattern)[0]
                                                or edit.text()))
    layout.addWidget(button)
    return row


class SourceView(QDialog):
    """The read-only source of a module kept whole (a code entry)."""

    def __init__(self, title: str, source: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 520)
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(source)
        self.text.setReadOnly(True)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ImportDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import PyTorch model")
        self.resize(760, 520)
        self.file = QLineEdit(placeholderText="models.py")
        self.class_name = QLineEdit(placeholderText="MyNet")
        self.args = QLineEdit(placeholderText='{"num_classes": 10}')
        self.shape = QLineEdit(placeholderText="3, 32, 32   (one sample, no batch; several inputs: 16; 16)")
        self.dtype = QLineEdit(placeholderText="float32   (long for token ids; one per input, separated by ;)")
        self.weights = QLineEdit(placeholderText="optional: .safetensors or a state_dict .pt")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ff6b6b;")
        self.summary = QTableWidget(0, 6)
        self.summary.setHorizontalHeaderLabels(["model", "nodes", "groups", "opaque", "max abs diff", "seconds"])
        self.summary.verticalHeader().setVisible(False)
        self.summary.setMaximumHeight(70)
        self.kept = QListWidget()
        self.kept.setMaximumHeight(110)
        self.view_source = QPushButton("View source…")
        self.view_source.setEnabled(False)
        self.view_source.clicked.connect(self.show_source)
        self.kept.currentRowChanged.connect(lambda row: self.view_source.setEnabled(row >= 0))
        self.kept.itemDoubleClicked.connect(lambda _: self.show_source())
        form = QFormLayout(self)
        form.addRow("Python file", _browse_row(self.file, "Python file", "Python (*.py)"))
        form.addRow("class", self.class_name)
        form.addRow("constructor arguments (JSON)", self.args)
        form.addRow("input shape", self.shape)
        form.addRow("input dtype", self.dtype)
        form.addRow("weights", _browse_row(self.weights, "Weights", "Weights (*.safetensors *.pt *.pth)"))
        self.run_button = QPushButton("Import")
        self.run_button.clicked.connect(self.try_import)
        form.addRow(self.run_button)
        form.addRow(self.error)
        form.addRow(self.summary)
        kept_row = QWidget()
        kept_layout = QHBoxLayout(kept_row)
        kept_layout.setContentsMargins(0, 0, 0, 0)
        kept_layout.addWidget(self.kept, 1)
        kept_layout.addWidget(self.view_source)
        form.addRow("kept whole", kept_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Open | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Open).setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.document = None
        self.weights_file: Path | None = None
        self.result = None

    def _list(self, text: str) -> list[str]:
        return [part.strip() for part in text.split(";") if part.strip()]

    def try_import(self) -> bool:
        """Runs the same code as `torchcanvas import`; shows the error, or the summary and what was kept whole."""
        from codegen import CompileError
        from codegen.export import save_weights
        from codegen.importer import ImportFailed
        from graph.kinds import kind_of
        from runtime.commands.import_ import import_file

        self.error.clear()
        self.summary.setRowCount(0)
        self.kept.clear()
        self.buttons.button(QDialogButtonBox.Open).setEnabled(False)
        try:
            shapes = self._list(self.shape.text()) or ["1"]
            dtypes = self._list(self.dtype.text()) or None
            if dtypes and len(dtypes) != len(shapes):
                raise ImportFailed("give one dtype per input shape (separated by ;)")
            doc, _, model, summary = import_file(
                f"{self.file.text().strip()}:{self.class_name.text().strip()}", shapes, dtypes,
                self.args.text().strip() or None, self.weights.text().strip() or None)
        except (ImportFailed, CompileError, OSError) as exc:
            self.error.setText(problems_text(problems_of(exc)))
            return False
        if self.weights.text().strip():
            folder = app_home() / "imports"
            folder.mkdir(parents=True, exist_ok=True)
            self.weights_file = folder / f"{summary.model}-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"
            save_weights(model, self.weights_file)
            doc.recipe["init_from"] = [{"file": str(self.weights_file)}]
        self.summary.setRowCount(1)
        for column, cell in enumerate(summary.cells()):
            self.summary.setItem(0, column, QTableWidgetItem(cell))
        self.summary.resizeColumnsToContents()
        for scope in doc.scopes():
            for node in doc.scope(scope).nodes.values():
                if kind_of(node.type).runs_user_code:
                    where = f"{scope}/{node.label}" if scope else node.label
                    self.kept.addItem(f"{where}  ({node.params.get('code', '')})")
        self.document = doc
        self.result = summary
        self.buttons.button(QDialogButtonBox.Open).setEnabled(True)
        return True

    def kept_entries(self) -> list[str]:
        return [self.kept.item(k).text().rsplit("(", 1)[1].rstrip(")") for k in range(self.kept.count())]

    def show_source(self) -> SourceView | None:
        row = self.kept.currentRow()
        if self.document is None or row < 0:
            return None
        entry = self.kept_entries()[row]
        view = SourceView(f"Source of {entry}", self.document.code.get(entry, ""), self)
        view.show()
        return view
