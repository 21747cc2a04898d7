"""The Experiments panel: the search space, Run study / Stop, the live trials table, the pictures, Apply best.

The panel edits only its own search space; the project changes only through
"Apply best", which pushes one undoable edit (`runtime.study.targets.edits`).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.experiments.plots import (
    BestSoFarPlot,
    ImportanceBars,
    ParallelCoordinates,
    TrialCurves,
    short,
)
from app.experiments.range_dialog import RangeDialog, current_value, suggest_range
from app.experiments.runner import StudyRequest, StudyRunner
from app.problem_view import problems_text
from graph.fileformat import dumps
from runtime.report import problems_of
from runtime.study.results import StudyResults, TrialRow
from runtime.study.space import SearchParam, SpaceError, values_of

STATE_TEXT = {"complete": "✓ complete", "pruned": "✂ pruned", "running": "▶ running", "waiting": "… waiting",
              "fail": "✖ failed"}


def state_text(trial: TrialRow) -> str:
    """What the trials table says of a trial's state; a trial Stop ended is "stopped", not "failed"."""
    if trial.state == "fail" and trial.error.startswith("stopped"):
        return "■ stopped"
    return STATE_TEXT.get(trial.state, trial.state)


HINT = "Right-click a parameter in the Inspector or a field in Training settings → Search this…"


def counts_text(results: StudyResults) -> str:
    """"2 complete, 2 stopped, 12 waiting": the states as the table names them (without their signs)."""
    counts: dict[str, int] = {}
    for t in results.trials:
        name = state_text(t).split(" ", 1)[-1]
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def _value_text(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class ExperimentsPanel(QWidget):
    """Needs the editor model (document, registry, undo stack) and a way to learn the project's file."""

    applied = Signal(int)  # the trial whose parameters were applied

    def __init__(self, model, project_file, trusted=lambda: True, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.project_file = project_file  # () → Path of the project (or where an unsaved one's studies go)
        self.trusted = trusted  # () → bool; asks the person when the project has code
        self.params: list[SearchParam] = []
        self.results: StudyResults | None = None
        self.runner = StudyRunner(self)
        self.runner.results.connect(self.show_results)
        self.runner.failed.connect(self._failed)
        self.runner.started.connect(lambda url: self._status(f"running study {self.runner.name!r} in {url}"))
        self.runner.finished.connect(self._finished)
        self.runner.log.connect(self._status)

        self.space = QTableWidget(0, 2)
        self.space.setHorizontalHeaderLabels(["searched", "range"])
        self.space.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.space.verticalHeader().hide()
        self.space.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.space.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.space.setMaximumHeight(96)
        self.space.cellDoubleClicked.connect(lambda row, _col: self.edit_param(row))
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.trials_spin = QSpinBox(minimum=1, maximum=10_000, value=16)
        self.jobs_spin = QSpinBox(minimum=1, maximum=64, value=2)
        for spin in (self.trials_spin, self.jobs_spin):  # (a finished study's summary stays until the next edit)
            spin.valueChanged.connect(lambda _v: self.results is None and self._next_step())
        self.sampler = QComboBox()
        self.sampler.addItems(["tpe", "random", "grid"])
        self.prune = QComboBox()
        self.prune.addItems(["median", "none"])
        self.objective = QComboBox()  # not `metric`: that name is QWidget.metric(), which Qt calls to paint
        self.objective.setEditable(True)
        self.objective.addItems(["val_loss", "val_accuracy", "val_mse", "val_mae"])
        self.name = QLineEdit(placeholderText="new study each run")
        self.name.setToolTip("A study of this name in the project's study file is resumed; empty: a new study")
        self.run_button = QPushButton("Run study")
        self.run_button.setObjectName("run_study")
        self.run_button.clicked.connect(self.run_study)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.apply_button = QPushButton("Apply best")
        self.apply_button.setToolTip("Write the best trial's parameters into the project (one undoable edit)")
        self.apply_button.clicked.connect(self.apply_best)
        self.status = QLabel(HINT)
        self.status.setWordWrap(True)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["#", "state", "objective", "seconds"])  # before the first trial
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSortingEnabled(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.best_plot = BestSoFarPlot()
        self.parallel = ParallelCoordinates()
        self.importance = ImportanceBars()
        self.curves = TrialCurves()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.best_plot.widget, "Best so far")
        self.tabs.addTab(self.parallel.widget, "Parallel coordinates")
        self.tabs.addTab(self.importance.widget, "Importances")
        self.tabs.addTab(self.curves.widget, "Selected trials")

        # Run/Stop/Apply and what the study is doing first: they are what a person looks for after
        # "Search this…", and they stay in sight when the dock is short. The settings sit in two short rows
        # (one row of all six was 840 px wide and forced that width on the dock's tab group).
        buttons = QHBoxLayout()
        for w in (self.run_button, self.stop_button, self.apply_button):
            buttons.addWidget(w)
        buttons.addWidget(self.status, 1)
        controls = QGridLayout()
        pairs = (("trials", self.trials_spin), ("jobs", self.jobs_spin), ("sampler", self.sampler),
                 ("pruning", self.prune), ("objective", self.objective), ("name", self.name))
        for i, (label, w) in enumerate(pairs):
            row, col = divmod(i, 3)
            controls.addWidget(QLabel(label), row, 2 * col)
            controls.addWidget(w, row, 2 * col + 1)
        controls.setColumnStretch(6, 1)  # the fields keep their natural widths
        space = QHBoxLayout()
        space.addWidget(self.space, 1)
        space.addWidget(self.remove_button, 0, Qt.AlignTop)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)
        left_layout.addLayout(controls)
        left_layout.addLayout(space)
        left_layout.addWidget(self.table, 1)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self._buttons()

    # -- the search space -------------------------------------------------------------------------
    def search(self, path: str) -> bool:
        """"Search this…": asks for the range (a first guess filled in) and adds or replaces the parameter.

        Needs no Optuna: the range is checked by `runtime.study.targets`, and a study runs in its own process.
        """
        existing = next((p for p in self.params if p.path == path), None)
        try:
            value, spec = current_value(self.model.doc, self.model.registry, path)
        except SpaceError as exc:
            self._status(problems_text(problems_of(exc)))
            return False
        dialog = RangeDialog(existing or suggest_range(path, value, spec), self._check, self)
        if not self.exec_dialog(dialog) or dialog.param is None:
            return False
        self.add_param(dialog.param)
        return True

    def exec_dialog(self, dialog: RangeDialog) -> bool:
        """Shows the range dialog (tests replace this to fill it in)."""
        return dialog.exec() == RangeDialog.Accepted

    def _check(self, param: SearchParam) -> None:
        from runtime.study.targets import check, resolve

        check(self.model.doc, resolve(self.model.doc, self.model.registry, param.path), param,
              self.project_file().parent)

    def add_param(self, param: SearchParam) -> None:
        self.params = [p for p in self.params if p.path != param.path] + [param]
        self._fill_space()

    def edit_param(self, row: int) -> None:
        if 0 <= row < len(self.params):
            self.search(self.params[row].path)

    def remove_selected(self) -> None:
        rows = {i.row() for i in self.space.selectedIndexes()}
        self.params = [p for k, p in enumerate(self.params) if k not in rows]
        self._fill_space()

    def _fill_space(self) -> None:
        self.space.setRowCount(len(self.params))
        for row, p in enumerate(self.params):
            self.space.setItem(row, 0, QTableWidgetItem(p.path))
            self.space.setItem(row, 1, QTableWidgetItem(p.spec.split("=", 1)[1]))
        self._buttons()
        self._next_step()

    def _next_step(self) -> None:
        """Between studies the status line says what Run study would do, in the words of the controls."""
        if not self.runner.running:
            self._status(f"Searching {', '.join(short(p.path) for p in self.params)}: Run study starts "
                         f"{self.trials_spin.value()} trials, {self.jobs_spin.value()} at a time"
                         if self.params else HINT)

    # -- running ------------------------------------------------------------------------------------
    def request(self) -> StudyRequest:
        project = self.project_file()
        name = self.name.text().strip() or f"{project.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        metric = self.objective.currentText().strip() or "val_loss"
        return StudyRequest(dumps(self.model.doc), project, list(self.params), name, self.trials_spin.value(),
                            self.jobs_spin.value(), self.sampler.currentText(), self.prune.currentText(), metric,
                            trusted=True)

    def run_study(self) -> bool:
        if self.runner.running:
            return False
        if not self.params:
            self._status("Nothing to search yet: right-click a parameter → Search this…")
            return False
        if not self.trusted():
            self._status("Not started: the project's code is not trusted")
            return False
        request = self.request()
        self.results = None
        self.table.setRowCount(0)
        self.runner.start(request)
        self._status(f"checking and creating study {request.name!r}…")
        self._buttons()
        return True

    def stop(self) -> None:
        self.runner.stop()
        self._status("stopping… (running trials are marked failed and retried when the study resumes)")
        self._buttons()

    def _failed(self, message: str) -> None:
        self._status("✖ " + message)
        self._buttons()

    def _finished(self) -> None:
        if self.results is not None and not self.status.text().startswith("✖"):
            counts = counts_text(self.results)
            best = self.results.best
            best_text = "" if best is None else f"; best: trial {best.number}, {self.results.setup.metric} " \
                f"{best.value:.4f}"
            self._status(f"study {self.results.name!r} ended: {counts}{best_text}")
        self._buttons()

    def _status(self, text: str) -> None:
        self.status.setText(text)

    def _buttons(self) -> None:
        running = self.runner.running
        self.run_button.setEnabled(not running and bool(self.params))
        self.stop_button.setEnabled(running and self.runner.state != "stopping")
        self.remove_button.setEnabled(not running and bool(self.params))
        self.apply_button.setEnabled(self.results is not None and self.results.best is not None)

    # -- results ------------------------------------------------------------------------------------
    def show_results(self, results: StudyResults) -> None:
        selected = self.selected_numbers()
        self.results = results
        paths = [p.path for p in results.setup.params]
        headers = ["#", "state", results.setup.metric, "seconds"] + [short(p) for p in paths]
        self.table.blockSignals(True)
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(results.trials))
        best = results.best
        for row, t in enumerate(results.trials):
            cells = [str(t.number), state_text(t),
                     "" if t.value is None else f"{t.value:.4f}",
                     "" if t.seconds is None else f"{t.seconds:.1f}"]
            cells += [_value_text(t.params[p]) if p in t.params else "" for p in paths]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if t.error:
                    item.setToolTip(t.error)
                if best is not None and t.number == best.number:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, col, item)
            if t.number in selected:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.best_plot.show(results)
        self.parallel.show(results)
        self.importance.show(results)
        self._selection_changed()
        counts = counts_text(results)
        best_text = "" if best is None else f"; best: trial {best.number}, {results.setup.metric} {best.value:.4f}"
        if not self.runner.running or self.runner.state == "running":
            self._status(f"study {results.name!r}: {counts}{best_text}")
        self._buttons()

    def selected_numbers(self) -> set[int]:
        rows = {i.row() for i in self.table.selectedIndexes()}
        numbers = set()
        for row in rows:
            item = self.table.item(row, 0)
            if item is not None:
                numbers.add(int(item.text()))
        return numbers

    def selected_trials(self) -> list[TrialRow]:
        if self.results is None:
            return []
        numbers = self.selected_numbers()
        return [t for t in self.results.trials if t.number in numbers]

    def _selection_changed(self) -> None:
        trials = self.selected_trials()
        self.curves.show(trials)
        if trials and self.sender() is self.table:
            self.tabs.setCurrentWidget(self.curves.widget)

    # -- applying -------------------------------------------------------------------------------------
    def apply_best(self) -> bool:
        """The best trial's values into the project as one undoable edit."""
        from runtime.study.targets import edits, resolve

        best = self.results.best if self.results is not None else None
        if best is None:
            return False
        params = self.results.setup.params
        try:
            targets = {p.path: resolve(self.model.doc, self.model.registry, p.path) for p in params}
        except SpaceError as exc:
            self._status("Cannot apply: " + problems_text(problems_of(exc)))
            return False
        values = values_of(params, best.params)
        self.model.push(edits(self.model.doc, targets, values), f"apply best trial {best.number}")
        self._status(f"applied trial {best.number}: " + ", ".join(f"{short(k)}={_value_text(v)}"
                                                                    for k, v in values.items()))
        self.applied.emit(best.number)
        return True

    def shutdown(self) -> None:
        self.runner.shutdown()


def unsaved_project_file(home: Path) -> Path:
    return home / "studies" / "untitled.json"
