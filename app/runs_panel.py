"""The runs panel: every training run of this project, its final metrics, and its weights."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from runtime.runs import RunInfo, list_runs

PATH_ROLE = Qt.UserRole + 3


class RunsPanel(QWidget):
    overlay_requested = Signal(list)  # run folders to overlay (runs of one comparison variant share a colour)
    load_weights_requested = Signal(str)  # weights file
    resume_requested = Signal(str)  # a stopped run's checkpoint to continue from

    def __init__(self) -> None:
        super().__init__()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["run", "status", "steps", "val_loss", "val_accuracy", "variant"])
        self.tree.setSelectionMode(QTreeWidget.ExtendedSelection)
        self.tree.setRootIsDecorated(False)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.load_button = QPushButton("Load weights into model")
        self.load_button.clicked.connect(self._load)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        self.runs_dir: Path | None = None
        self.runs: list[RunInfo] = []
        #: The run the window is training now: listed as running (its folder has no result yet).
        self.live: Path | None = None
        #: What the live row should show (run folder, step, metrics): kept while the panel is hidden.
        self._latest: tuple[Path, int, dict[str, float]] | None = None
        self._live_item: QTreeWidgetItem | None = None

    def set_folder(self, runs_dir: Path | None) -> None:
        self.runs_dir = runs_dir
        self.refresh()

    def refresh(self) -> None:
        selected = {item.data(0, PATH_ROLE) for item in self.tree.selectedItems()}
        self._live_item = None
        self.tree.clear()
        self.runs = list_runs(self.runs_dir) if self.runs_dir else []
        for run in self.runs:
            item = QTreeWidgetItem([run.name, "", "", "", "",
                                    f"{run.variant} (seed {run.seed})" if run.variant else ""])
            item.setData(0, PATH_ROLE, str(run.path))
            live = run.status == "incomplete" and self.live is not None and run.path == self.live
            _show(item, "▶ running" if live else run.status, run.step, run.metrics)
            self.tree.addTopLevelItem(item)
            item.setSelected(str(run.path) in selected)
        for k in range(6):
            self.tree.resizeColumnToContents(k)

    def show_live(self, run_dir: Path | None, step: int, metrics: dict[str, float]) -> None:
        """The run being trained: listed from its first batch on, its row following its steps and validation.

        While the panel is not on screen (its tab behind the dashboard's) only the numbers are kept; the row
        shows them when the panel is shown.
        """
        if run_dir is None:
            return
        self._latest = (run_dir, step, metrics)
        if self.isVisible():
            self._show_latest()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._show_latest()

    def _show_latest(self) -> None:
        if self._latest is None:
            return
        run_dir, step, metrics = self._latest
        item = self._live_item if self._live_item is not None and self.live == run_dir else self._item(run_dir)
        if item is None and self.live != run_dir and self._listable(run_dir):
            self.live = run_dir  # listed once: the tick must not re-read every run's files 4x/s
            self.refresh()
            item = self._item(run_dir)
        if item is not None and item.text(1) in ("▶ running", "incomplete"):
            self.live, self._live_item = run_dir, item
            _show(item, "▶ running", step, metrics)

    def end_live(self) -> None:
        """The run ended: its row is an ordinary run's again (the next listing shows its result)."""
        self.live, self._latest, self._live_item = None, None, None

    def _listable(self, run_dir: Path) -> bool:
        """The worker writes run.json a moment after the folder; until then a listing would not show the run."""
        return self.runs_dir is not None and run_dir.parent == self.runs_dir and (run_dir / "run.json").exists()

    def _item(self, run_dir: Path) -> QTreeWidgetItem | None:
        for k in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(k).data(0, PATH_ROLE) == str(run_dir):
                return self.tree.topLevelItem(k)
        return None

    def names(self) -> list[str]:
        return [self.tree.topLevelItem(k).text(0) for k in range(self.tree.topLevelItemCount())]

    def _selected(self) -> list[RunInfo]:
        paths = {item.data(0, PATH_ROLE) for item in self.tree.selectedItems()}
        return [r for r in self.runs if str(r.path) in paths]

    def _selection_changed(self) -> None:
        self.overlay_requested.emit([str(r.path) for r in self._selected()])

    def menu_for(self, item: QTreeWidgetItem) -> QMenu:
        """Right-click on a run: show it, load its weights, continue it, open its folder, delete it."""
        if not item.isSelected():
            self.tree.clearSelection()
            item.setSelected(True)
        path = Path(item.data(0, PATH_ROLE))
        run = next((r for r in self.runs if r.path == path), None)
        menu = QMenu(self)
        menu.addAction("Show on the dashboard", lambda: self.overlay_requested.emit([str(path)]))
        load = menu.addAction("Load weights into model", self._load)
        load.setEnabled(run is not None and run.weights is not None)
        resume = menu.addAction("Continue training", lambda: self.resume_requested.emit(str(run.checkpoint)))
        resume.setEnabled(run is not None and run.checkpoint is not None and run.status in ("stopped", "failed"))
        resume.setToolTip("A new run from this run's last checkpoint: its weights, optimizer state and grown forest")
        menu.addAction("Open folder", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        menu.addSeparator()
        menu.addAction("Delete run…", lambda: self.delete_run(path))
        return menu

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is not None:
            menu = self.menu_for(item)
            menu.exec(self.tree.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def delete_run(self, path: Path, ask: bool = True) -> bool:
        if ask and QMessageBox.question(self, "Delete run", f"Delete the run folder {path.name} and its files?",
                                        QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return False
        shutil.rmtree(path, ignore_errors=True)
        self.refresh()
        return True

    def _load(self) -> None:
        selected = self._selected()
        if selected and selected[0].weights is not None:
            self.load_weights_requested.emit(str(selected[0].weights))


def _show(item: QTreeWidgetItem, status: str, step: int, metrics: dict[str, float]) -> None:
    texts = {1: status, 2: str(step)}
    for col, key in ((3, "val_loss"), (4, "val_accuracy")):
        texts[col] = f"{metrics[key]:.4f}" if key in metrics else ""
    for col, text in texts.items():
        if item.text(col) != text:  # a live row is shown 4×/s: repaint only what changed
            item.setText(col, text)
