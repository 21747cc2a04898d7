"""File › Import PyTorch model…: the same summary row as the CLI, and the source of what was kept whole."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.import_dialog import ImportDialog

MODEL = '''import torch
from torch import nn


class Gate(nn.Module):
    """Branches on the data: kept whole, as the user's code."""

    def forward(self, x):
        return x if x.sum() > 0 else -x


class Net(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.fc = nn.Linear(4, width)
        self.gate = Gate()
        self.head = nn.Linear(width, 2)

    def forward(self, x):
        return self.head(self.gate(self.fc(x)))
'''


def test_import_dialog_shows_the_summary_row_and_opens_kept_source(qtbot, tmp_path: Path):
    src = tmp_path / "net.py"
    src.write_text(MODEL)
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.file, str(src))
    qtbot.keyClicks(dialog.class_name, "Net")
    qtbot.keyClicks(dialog.args, '{"width": 6}')
    qtbot.keyClicks(dialog.shape, "4")
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    assert dialog.error.text() == ""
    cells = [dialog.summary.item(0, k).text() for k in range(dialog.summary.columnCount())]
    assert cells[0] == "Net" and cells[3] == "1" and cells[4] == "0.00e+00"
    assert dialog.buttons.button(QDialogButtonBox.Open).isEnabled()
    assert dialog.kept.count() == 1
    dialog.kept.setCurrentRow(0)
    assert dialog.view_source.isEnabled()
    view = dialog.show_source()
    qtbot.addWidget(view)
    assert "class Gate(nn.Module):" in view.text.toPlainText()
    assert view.text.isReadOnly()


def test_import_dialog_error_is_one_line_and_stays_open(qtbot, tmp_path: Path):
    src = tmp_path / "net.py"
    src.write_text(MODEL)
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.file, str(src))
    qtbot.keyClicks(dialog.class_name, "Missing")
    qtbot.keyClicks(dialog.shape, "4")
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    assert "defines no 'Missing'" in dialog.error.text() and "\n" not in dialog.error.text()
    assert not dialog.buttons.button(QDialogButtonBox.Open).isEnabled()
    assert dialog.document is None
