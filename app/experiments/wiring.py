"""Attaches the Experiments panel to the main window: one dock, one menu, two right-click menus.

Kept apart from the window's own files so the window needs one call
(`attach(window)`) and one line at shutdown; the inspector and the training
settings learn nothing about studies (`search_menu` watches them from outside).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea

from app.experiments.panel import ExperimentsPanel, unsaved_project_file
from app.experiments.search_menu import SearchThisMenu, inspector_path, recipe_path
from app.paths import app_home


def attach(window) -> ExperimentsPanel:
    """Adds the panel as a bottom dock and an Experiments menu."""

    def project_file() -> Path:
        return window.model.path.resolve() if window.model.path is not None else unsaved_project_file(app_home())

    def trusted() -> bool:
        return window.ensure_trusted("A study runs this project's code")

    panel = ExperimentsPanel(window.model, project_file, trusted)
    panel.setObjectName("experiments_panel")
    # The panel's controls need ~840×230 px; a dock holding it directly would force that minimum on its whole
    # tab group (Design's bottom strip, Train's Runs column). In a scroll area it scrolls instead. The scroll
    # area owns the panel (Qt parent) and the dock owns the scroll area; `window.experiments` is the panel.
    scroll = QScrollArea()
    scroll.setObjectName("experiments_scroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setWidget(panel)
    dock = window._dock("Experiments", scroll, Qt.BottomDockWidgetArea)  # perspectives tab it with Runs
    window.view_menu.addAction(dock.toggleViewAction())

    def bring_forward() -> None:
        """Shows the panel tall enough for its buttons, settings and search space: Design's bottom strip is a
        thin tab group, and after "Search this…" or Run study the person's next look is at the study."""
        dock.show()
        dock.raise_()
        want = min(panel.minimumSizeHint().height() + dock.height() - scroll.viewport().height(),
                   int(window.height() * 0.4))
        if not dock.isFloating() and dock.height() < want:
            window.resizeDocks([dock], [want], Qt.Vertical)

    def search(path: str) -> None:
        bring_forward()
        panel.search(path)

    def run_study() -> None:
        bring_forward()
        panel.run_study()

    window.search_menus = [SearchThisMenu(window.inspector, lambda w: inspector_path(window.inspector, w), search),
                           SearchThisMenu(window.recipe_panel, lambda w: recipe_path(window.recipe_panel, w),
                                          search)]
    menu = window.menuBar().addMenu("E&xperiments")
    window._action("run_study", "&Run study", run_study, menu,
                   "Run the study in the Experiments panel (trials in worker processes)")
    window._action("stop_study", "&Stop study", panel.stop, menu)
    window._action("apply_best", "&Apply best trial", panel.apply_best, menu,
                   "Write the best trial's parameters into the project (one undoable edit)")
    menu.addSeparator()
    menu.addAction(dock.toggleViewAction())
    return panel
