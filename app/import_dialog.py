"""File › Import PyTorch model…: a .py file, a class, its arguments, an input shape, optional weights."""

from __future__ import annotations

import json
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
    QPushButton,
    QWidget,
)

from app.paths import app_home


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


class ImportDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import PyTorch model")
        self.file = QLineEdit(placeholderText="models.py")
        self.class_name = QLineEdit(placeholderText="MyNet")
        self.args = QLineEdit(placeholderText='{"num_classes": 10}')
        self.shape = QLineEdit(placeholderText="3, 32, 32   (one sample, no batch dimension)")
        self.weights = QLineEdit(placeholderText="optional: .safetensors or a state_dict .pt")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ff6b6b;")
        form = QFormLayout(self)
        form.addRow("Python file", _browse_row(self.file, "Python file", "Python (*.py)"))
        form.addRow("class", self.class_name)
        form.addRow("constructor arguments (JSON)", self.args)
        form.addRow("input shape", self.shape)
        form.addRow("weights", _browse_row(self.weights, "Weights", "Weights (*.safetensors *.pt *.pth)"))
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.try_import)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.document = None
        self.weights_file: Path | None = None

    def try_import(self) -> bool:
        """Runs the same code as `torchcanvas import`; shows the error and stays open on failure."""
        from codegen import build_from_compiled, compile_document
        from codegen.export import save_weights
        from codegen.importer import ImportFailed, import_module, transfer_weights
        from runtime.commands.import_ import load_class, load_state

        try:
            cls = load_class(f"{self.file.text().strip()}:{self.class_name.text().strip()}")
            kwargs = json.loads(self.args.text()) if self.args.text().strip() else {}
            module = cls(**kwargs).eval()
            if self.weights.text().strip():
                module.load_state_dict(load_state(self.weights.text().strip()))
            shape = [int(d) for d in self.shape.text().replace(" ", "").split(",") if d]
            doc, origin = import_module(module, [shape], name=cls.__name__)
            compiled = compile_document(doc, trusted=True)
            if self.weights.text().strip():
                model = build_from_compiled(compiled)
                transfer_weights(module, origin, compiled.attributes, model)
                folder = app_home() / "imports"
                folder.mkdir(parents=True, exist_ok=True)
                self.weights_file = folder / f"{cls.__name__}-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"
                save_weights(model, self.weights_file)
                doc.recipe["init_from"] = [{"file": str(self.weights_file)}]
        except (ImportFailed, ValueError, TypeError, RuntimeError, Exception) as exc:  # noqa: BLE001
            self.error.setText(str(exc))
            return False
        self.document = doc
        self.accept()
        return True
