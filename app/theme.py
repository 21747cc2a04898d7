"""A dark Fusion theme, so the docks match the canvas and the plots."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor("#1e2027"), QColor("#272a32"), QColor("#d8dce4")
    p.setColor(QPalette.Window, window)
    p.setColor(QPalette.WindowText, text)
    p.setColor(QPalette.Base, base)
    p.setColor(QPalette.AlternateBase, window)
    p.setColor(QPalette.ToolTipBase, QColor("#30343d"))
    p.setColor(QPalette.ToolTipText, text)
    p.setColor(QPalette.Text, text)
    p.setColor(QPalette.Button, QColor("#30343d"))
    p.setColor(QPalette.ButtonText, text)
    p.setColor(QPalette.BrightText, QColor("#ff6b6b"))
    p.setColor(QPalette.Highlight, QColor("#3d6fb4"))
    p.setColor(QPalette.HighlightedText, QColor("white"))
    p.setColor(QPalette.Link, QColor("#8cc8ff"))
    p.setColor(QPalette.PlaceholderText, QColor("#7c8494"))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        p.setColor(QPalette.Disabled, role, QColor("#6b7280"))
    app.setPalette(p)
    app.setStyleSheet("QDockWidget::title { background: #2f333c; padding: 4px; } "
                      "QToolBar { border: none; spacing: 4px; } QStatusBar { color: #aab0bc; }")
