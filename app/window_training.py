"""The training side of the main window: Train/Stop/Pause, the dashboard, settings and runs."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QScrollArea

from app.paths import app_home
from app.perspectives import TRAIN
from app.problem_view import problems_text, report, status
from app.recipe_panel import RecipePanel
from app.run_log import RunLog
from app.runs_panel import RunsPanel
from app.steady_label import SteadyLabel
from app.training import TrainingController
from app.window_experiments import ExperimentsMixin
from app.window_files import RESOURCES
from graph.document import make_identifier
from graph.fileformat import dumps
from graph.problems import Problem
from graph.trust import has_code
from runtime.events import FitEnded
from runtime.report import problems_of
from runtime.run_folder import new_run_dir
from runtime.runs import read_metrics
from runtime.warm_worker import WarmWorker

#: The status text is read, not watched: it follows a run at most this often (each change repaints and flushes the
#: status bar, ~0.7 ms); what changed in between is shown when the time is up. The end of a run shows at once.
LABEL_SECONDS = 0.25


class TrainingMixin(ExperimentsMixin):
    """Mixed into MainWindow; keeps the editor file about editing."""

    def setup_training(self) -> None:
        from app.plots.dashboard import TrainingPlots
        from app.plots.node_stats import NodeStatsView
        from app.plots.status import TrainingStatus

        background = getattr(self, "loader", None) is not None
        self.trainer = TrainingController(self, WarmWorker(num_threads=1) if background else None)
        self.trainer.events.connect(self._on_training_events)
        self.trainer.finished.connect(self._on_training_finished)
        self.plots = TrainingPlots()
        self.node_stats = NodeStatsView()
        self.status_text = TrainingStatus()
        self.run_log = RunLog()
        self._label_at = float("-inf")
        #: One shot: the status text of events that came sooner than `LABEL_SECONDS` after the last one shown.
        self._label_timer = QTimer(self, singleShot=True)
        self._label_timer.timeout.connect(self._show_training_status)
        self.recipe_panel = RecipePanel(self.model)
        self.runs_panel = RunsPanel()
        self.runs_panel.overlay_requested.connect(self._overlay_runs)
        self.runs_panel.load_weights_requested.connect(self.load_run_weights)
        self.runs_panel.resume_requested.connect(lambda checkpoint: self.start_training(resume_from=checkpoint))
        self.train_label = SteadyLabel()
        self.statusBar().addPermanentWidget(self.train_label)
        self.setCorner(Qt.BottomLeftCorner, Qt.BottomDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.BottomDockWidgetArea)
        self._dock("Dashboard", self.plots, Qt.BottomDockWidgetArea)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(self.recipe_panel)
        self._dock("Training settings", scroll, Qt.LeftDockWidgetArea)
        self._dock("Runs", self.runs_panel, Qt.BottomDockWidgetArea)
        stats_scroll = QScrollArea()
        stats_scroll.setWidgetResizable(True)
        stats_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        stats_scroll.setWidget(self.node_stats)
        self._dock("Layer statistics", stats_scroll, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["Layers"], self.docks["Training settings"])
        self.docks["Layers"].raise_()
        self.tabifyDockWidget(self.docks["Problems"], self.docks["Runs"])
        self.tabifyDockWidget(self.docks["Problems"], self.docks["Dashboard"])
        self.docks["Problems"].raise_()
        self.tabifyDockWidget(self.docks["Inspector"], self.docks["Layer statistics"])
        self.docks["Inspector"].raise_()
        menu = self.menuBar().addMenu("&Train")
        self._action("train", "&Train", self.start_training, menu, "Validate, compile and train in a separate process")
        self._action("pause", "&Pause / resume", self.toggle_pause, menu)
        self._action("stop", "&Stop", self.stop_training, menu)
        menu.addSeparator()
        self._action("trust", "Trust project code", self.trust_current, menu)
        for dock in ("Dashboard", "Training settings", "Runs", "Layer statistics"):
            self.view_menu.addAction(self.docks[dock].toggleViewAction())
        self.toolbar.addSeparator()
        for key in ("train", "pause", "stop"):
            self.toolbar.addAction(self.actions[key])
        self.model.selection_changed.connect(self._show_node_stats)
        self.setup_experiments()
        self.model.document_replaced.connect(self._forget_runs_of_previous_document)
        self._training_buttons()
        from app.experiments.wiring import attach

        self.experiments = attach(self)

    def _forget_runs_of_previous_document(self) -> None:
        """Another model: its curves, layer statistics and trained weights are not this one's."""
        if self.trainer.running:
            self.trainer.shutdown()
        self.plots.clear()
        self.plots.clear_overlays()
        self.node_stats.clear()
        self.status_text.reset()
        self.train_label.setText("")
        self.trained_model = None
        self.runs_panel.set_folder(self.runs_dir())
        self._training_buttons()

    def confirm_quit(self) -> bool:
        """Asks before a running training is ended (closing, or replacing the document)."""
        if not self.trainer.running:
            return True
        answer = QMessageBox.question(self, "Training is running",
                                      "A training run is still going. Stop it and continue?",
                                      QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
        return answer == QMessageBox.Yes

    # -- starting and stopping -------------------------------------------------------
    def runs_dir(self) -> Path:
        """Beside the project file; for a project never saved, a folder of its own that follows it on save.

        A bundled example or template opened as a file trains into the app's home,
        never into the installation's resources folder.
        """
        if self.model.path is not None:
            folder = self.model.path.resolve().parent
            if folder == RESOURCES.resolve() or RESOURCES.resolve() in folder.parents:
                return app_home() / "runs" / self.model.path.stem
            return folder / "runs"
        return app_home() / "runs" / self.model.identity

    def next_run_dir(self) -> Path:
        """A new run folder named after the project (its file, else its name), never 'untitled'."""
        name = self.model.path.stem if self.model.path else make_identifier(self.model.doc.name or "project")
        return new_run_dir(self.runs_dir(), name)

    def adopt_runs(self, old_runs: Path) -> None:
        """First save of a project that already trained: its runs move beside the file, and stay listed."""
        new_runs = self.runs_dir()
        if old_runs.resolve() != new_runs.resolve() and old_runs.is_dir():
            new_runs.mkdir(parents=True, exist_ok=True)
            for run in sorted(old_runs.iterdir()):
                target = new_runs / run.name
                if run.is_dir() and not target.exists():
                    shutil.move(str(run), str(target))
            with contextlib.suppress(OSError):
                old_runs.rmdir()
        self.runs_panel.set_folder(new_runs)

    def training_problems(self) -> list[Problem]:
        """The analysis' errors: what would make a run fail at once (nodes and settings show theirs too).

        The dataset is not loaded here (the GUI stays responsive); the worker's own pre-flight
        checks that its samples fit the Input and reports that as a problem on the Input node.
        """
        self.model.analyse()
        return [p for p in self.model.problems if p.is_error]

    def start_training(self, resume_from: str | None = None) -> bool:
        """Train (F5), or continue a stopped run from its checkpoint into a new run folder."""
        if self.trainer.running:
            return False
        if not self.ensure_trusted("Training runs this project's code"):
            self.train_label.setText("✖ not started")
            return False
        problems = self.training_problems()
        if problems:
            self.docks["Problems"].show()
            self.docks["Problems"].raise_()
            self.statusBar().showMessage("Not started: " + problems[0].text(), 10000)
            self.train_label.setText("✖ not started: " + problems[0].text())
            if problems[0].node_id:
                self.model.select([problems[0].node_id], problems[0].scope)
            return False
        run_dir = self.next_run_dir()
        self.plots.clear()
        self.plots.expect_validation(int(self.model.doc.recipe.get("eval_every") or 0))
        self.status_text.reset()
        self.run_log.reset()
        self.trainer.start(dumps(self.model.doc), self.model.path.parent if self.model.path else None, run_dir,
                           self.model.trusted, num_threads=1, runs_user_code=has_code(self.model.doc),
                           resume_from=resume_from)
        self.switch_perspective(TRAIN)
        self.docks["Dashboard"].show()
        self.docks["Dashboard"].raise_()
        self.train_label.setText("▶ starting…")
        self._training_buttons()
        return True

    def stop_training(self) -> None:
        self.trainer.stop()
        self.train_label.setText("■ stopping…")

    def toggle_pause(self) -> None:
        paused = self.trainer.toggle_pause()
        self.status_text.set_paused(paused)
        self.plots.set_paused(paused)
        self.train_label.setText("⏸ " + self.status_text.text() if paused else "▶ training")

    def shutdown(self, wait_engine: bool = True) -> None:
        """Ends the training child, waits for the document's analysis or formatting still running on a
        thread (its result is dropped), and for the background import (exiting inside it aborts).

        The app passes `wait_engine=False` and ends its process with `os._exit`
        when the import is still going (`app.launch`): quitting stays instant.
        """
        self.trainer.shutdown()
        self.model.shutdown()
        if wait_engine and getattr(self, "loader", None) is not None:
            self.loader.wait()
        self.experiments.shutdown()

    def _training_buttons(self) -> None:
        running = self.trainer.running
        self.actions["train"].setEnabled(not running)
        self.actions["stop"].setEnabled(running)
        self.actions["pause"].setEnabled(running)

    # -- events ---------------------------------------------------------------------------
    def _on_training_events(self, events: list) -> None:
        self.plots.handle(events)
        self.experiment_events(events)
        self.node_stats.handle(events)
        self.status_text.handle(events)
        if self.run_log.handle(events):
            self.model.show_run_problems(self.run_log.all())
            self.statusBar().showMessage(self.run_log.status, 15000)
        wait = self._label_at + LABEL_SECONDS - self.status_text.clock()
        if wait <= 0:
            self._label_timer.stop()
            self._show_training_status()
        elif not self._label_timer.isActive():
            self._label_timer.start(int(1000 * wait) + 1)

    def _show_training_status(self) -> None:
        """The status text, the buttons and the Runs panel's live row, as the run now is."""
        self._label_at = self.status_text.clock()
        text = self.status_text.text()
        if text != self.train_label.text():
            self.train_label.setText(text)
        self._training_buttons()
        if self.trainer.running:
            self.runs_panel.show_live(self.trainer.run_dir, self.status_text.step, self.status_text.metrics)

    def _on_training_finished(self, ended: FitEnded) -> None:
        self._label_timer.stop()  # the end's own text, not a status text that waited
        self._training_buttons()
        self.plots.flush()
        self.node_stats.flush()
        metrics = "  ".join(f"{k} {v:.4f}" for k, v in ended.metrics.items())
        if ended.status == "failed":
            problems = [Problem.from_dict(p) for p in ended.problems]
            first = problems[0].text() if problems else ""
            self.train_label.setText(f"✖ failed: {first}" if ended.step else f"✖ not started: {first}")
            self.train_label.setToolTip(problems_text(problems))
            status(self, problems[:1], "Training failed: ", 15000)
            self.last_failure = problems_text(problems)
            self.model.show_run_problems(problems + self.run_log.all())
            if problems:
                self.docks["Problems"].show()
                self.docks["Problems"].raise_()
        else:
            best = "".join(f" · best {key} {value:.4f} (step {step:,})"
                           for key, (value, step) in self.status_text.best.items() if key in ended.metrics)
            self.train_label.setText(f"✓ {ended.status} · {metrics}{best}")
            self.statusBar().showMessage(f"Training {ended.status} after {ended.step} steps: {metrics}", 15000)
        self.runs_panel.end_live()
        self.runs_panel.set_folder(self.runs_dir())
        run_dir = self.trainer.run_dir
        self.adopt_run_revision(self.run_revision, run_dir.name if run_dir else "the last run", quiet=True)
        if run_dir is not None and (run_dir / "weights.safetensors").exists():
            self.load_run_weights(str(run_dir / "weights.safetensors"), quiet=True)

    def load_run_weights(self, path: str, quiet: bool = False) -> bool:
        from codegen.compiler import build_from_compiled
        from codegen.export import ExportError, load_weights

        compiled = self.model.current_compiled()  # formatted: the text a run folder holds, for the code view too
        if compiled is None or not self.ensure_trusted("Loading weights builds the model",
                                                              training=False):
            return False
        model = build_from_compiled(self.model.current_compiled())
        try:
            load_weights(model, path)
        except ExportError as exc:
            # A run that grew a forest: the document takes its revision first, then the weights fit.
            if self.adopt_revision_of(path, quiet):
                return self.load_run_weights(path, quiet)
            if not quiet:
                report(self, "Load weights", problems_of(exc, path), warning=True)
            return False
        self.trained_model = model
        if not quiet:
            self.statusBar().showMessage(f"loaded {path}; File › Export writes these weights", 6000)
        return True

    def _overlay_runs(self, folders: list) -> None:
        """Chosen runs are drawn on the dashboard, so the dashboard comes to the front."""
        self.plots.clear_overlays()
        from runtime.runs import read_run

        for folder in folders:
            info = read_run(Path(folder))
            self.plots.add_overlay(Path(folder).name, read_metrics(Path(folder)), info.variant)
        if folders:
            self.docks["Dashboard"].show()
            self.docks["Dashboard"].raise_()

    def _show_node_stats(self) -> None:
        sel = self.model.selection
        compiled = self.model.current_compiled(formatted=False) if len(sel) == 1 else None
        if compiled is not None:
            path = compiled.attributes.get((self.model.scope, sel[0]))
            if path:
                self.node_stats.show_layer(path)
