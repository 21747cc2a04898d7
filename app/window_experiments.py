"""The window's side of the experiments: the Hooks panel, the Forest view, growth markers, run revisions.

Mixed into the training side of the main window (`TrainingMixin`), so the
editor and training files only call `setup_experiments`, `experiment_events`
and `adopt_run_revision`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea

from app.problem_view import report
from app.run_revision import revision_edit, revision_from_text, run_folder
from graph import ProjectFileError
from runtime.report import problems_of


class ExperimentsMixin:
    def setup_experiments(self) -> None:
        from app.hooks_panel import HooksPanel
        from app.plots.forest_view import ForestView, GrowthMarkers

        self.hooks_panel = HooksPanel(self.model)
        self.hooks_panel.trust_requested.connect(self.trust_current)
        self.hooks_panel.code_opened.connect(self._room_for_code)
        self.forest_view = ForestView()
        self.growth_markers = GrowthMarkers(self.plots.loss_plot)
        hooks_scroll = QScrollArea()  # the panel's own minimum width must not widen the whole left column
        hooks_scroll.setWidgetResizable(True)
        hooks_scroll.setWidget(self.hooks_panel)
        self._dock("Hooks", hooks_scroll, Qt.LeftDockWidgetArea)
        self._dock("Forest members", self.forest_view, Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["Training settings"], self.docks["Hooks"])
        self.tabifyDockWidget(self.docks["Problems"], self.docks["Forest members"])
        self.docks["Layers"].raise_()
        self.docks["Problems"].raise_()
        for dock in ("Hooks", "Forest members"):
            self.view_menu.addAction(self.docks[dock].toggleViewAction())
        self.recipe_panel.hooks_requested.connect(self.show_hooks)
        self.run_revision: str | None = None
        self._runs_of: tuple | None = None  # the project file (or unsaved identity) whose runs are listed
        self.model.title_changed.connect(self._list_runs)  # a project opened or saved elsewhere: its runs

    def _list_runs(self) -> None:
        """On each title change (every edit sends one) only a compare; the folder is worked out (paths resolved
        on disk) and listed only when the project's file or identity changed."""
        key = (self.model.path, self.model.identity)
        if key == self._runs_of:
            return
        self._runs_of = key
        folder = self.runs_dir()
        if self.runs_panel.runs_dir != folder:
            self.runs_panel.set_folder(folder)

    def show_hooks(self) -> None:
        self.docks["Hooks"].show()
        self.docks["Hooks"].raise_()

    def _room_for_code(self) -> None:
        """Writing a hook needs a wider dock than a list of settings does."""
        dock = self.docks["Hooks"]
        if not dock.isFloating() and dock.width() < 620:
            self.resizeDocks([dock], [min(680, self.width() // 2)], Qt.Horizontal)

    def experiment_events(self, events: list) -> None:
        for e in events:
            kind = getattr(e, "kind", "")
            if kind == "fit_started":
                self.growth_markers.clear()
                self.run_revision = None
            elif kind == "revision_created":
                self.run_revision = e.project
                self.statusBar().showMessage(f"revision {e.revision}: {e.summary}", 8000)
        self.growth_markers.handle(events)
        self.forest_view.handle(events)

    def adopt_run_revision(self, project: str | None, run_name: str, quiet: bool = False) -> bool:
        """Gives the document's forests the members a run grew (one undoable step); True if it changed."""
        if not project:
            return False
        try:
            edit = revision_edit(self.model.doc, revision_from_text(project), f"forest as trained in {run_name}")
        except ProjectFileError as exc:
            if not quiet:
                report(self, f"Load weights of {run_name}", problems_of(exc), warning=True)
            return False
        if edit is None:
            return False
        self.model.push(edit, edit.text)
        self.statusBar().showMessage(f"the project now describes the model as trained in {run_name} "
                                     "(Edit › Undo to go back)", 10000)
        return True

    def adopt_revision_of(self, weights: str, quiet: bool = False) -> bool:
        """The revision of the run a weights file comes from (its folder's project.json), if it grew.

        Not only runs that wrote revisions: a run resumed from a grown forest's checkpoint starts
        from that revision and may grow no further."""
        folder = run_folder(Path(weights))
        if folder is None:
            return False
        return self.adopt_run_revision((folder / "project.json").read_text(encoding="utf-8"), folder.name, quiet)
