"""Training settings: the recipe as a form; every change is one undoable edit."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.dataset_box import DatasetBox, default_dataset, effective_dataset
from app.editor.model import EditorModel
from app.problem_view import problems_html
from app.wheel_guard import guard_wheel
from graph.edits import SetRecipe
from runtime.data import DATASETS, dataset_problems
from runtime.recipe import DEVICES, LOSSES, OPTIMIZERS, SCHEDULES, recipe_problems
from runtime.report import problems_of


def hooks_summary(hooks: list) -> str:
    """One line naming the active hooks (the Hooks panel edits them)."""
    from runtime.hook_catalog import BUILT_INS

    names = [h.get("code") if h.get("name") == "code" else getattr(BUILT_INS.get(h.get("name")), "title", h.get("name"))
             for h in hooks if isinstance(h, dict) and h.get("enabled", True)]
    off = sum(1 for h in hooks if isinstance(h, dict) and not h.get("enabled", True))
    text = ", ".join(str(n) for n in names) if names else "none active"
    return text + (f" ({off} switched off)" if off else "")


class RecipePanel(QWidget):
    hooks_requested = Signal()  # open the Hooks panel

    def __init__(self, model: EditorModel) -> None:
        super().__init__()
        self.model = model
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        data_box = QGroupBox("Data")
        data = QFormLayout(data_box)
        self.dataset = DatasetBox(DATASETS)
        self.dataset.chosen.connect(self.commit)
        self.dataset_path = QLineEdit(placeholderText="file or folder")
        self.dataset_path.setToolTip("For CSV, NPZ, image folders, text files, MNIST IDX or CIFAR-10 binaries")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        data.addRow("dataset", self.dataset)
        data.addRow("path", self.dataset_path)
        self.preview_button = QPushButton("Preview data")
        self.preview_button.clicked.connect(self.show_preview)
        data.addRow(self.preview)
        data.addRow(self.preview_button)
        train_box = QGroupBox("Training")
        form = QFormLayout(train_box)
        self.epochs = QSpinBox(minimum=1, maximum=100_000)
        self.batch_size = QSpinBox(minimum=1, maximum=65_536)
        self.loss = QComboBox()
        self.loss.addItems(LOSSES)
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.lr = QDoubleSpinBox(decimals=6, minimum=1e-6, maximum=10.0, singleStep=1e-4)
        self.schedule = QComboBox()
        self.schedule.addItems(SCHEDULES)
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.node_lrs = QLineEdit(placeholderText="e.g. backbone=1e-4, head=1e-2")
        self.node_lrs.setToolTip("Learning rates for some nodes or groups (by label); the rest use the rate above. "
                                 "Finetuning: a small rate for the pretrained part, a large one for the new head.")
        for label, w in (("epochs", self.epochs), ("batch size", self.batch_size), ("loss", self.loss),
                         ("optimizer", self.optimizer), ("learning rate", self.lr), ("schedule", self.schedule),
                         ("device", self.device), ("seed", self.seed), ("per-node rates", self.node_lrs)):
            form.addRow(label, w)
        hooks_box = QGroupBox("Hooks between batches")
        hooks = QVBoxLayout(hooks_box)
        self.hooks_summary = QLabel()
        self.hooks_summary.setWordWrap(True)
        self.hooks_button = QPushButton("Edit hooks…")
        self.hooks_button.setToolTip("The Hooks panel: built-in policies (revert + noise, early stopping, grow "
                                     "forest, …) and your own, with their settings")
        self.hooks_button.clicked.connect(self.hooks_requested.emit)
        hooks.addWidget(self.hooks_summary)
        hooks.addWidget(self.hooks_button)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #ff6b6b;")
        for combo in (self.dataset, self.loss, self.optimizer, self.schedule, self.device):
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        for box in (data_box, train_box, hooks_box):
            layout.addWidget(box)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        for w in (self.epochs, self.batch_size, self.seed):
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self.commit)
        self.lr.setKeyboardTracking(False)
        self.lr.valueChanged.connect(self.commit)
        for w in (self.loss, self.optimizer, self.schedule, self.device):
            w.currentIndexChanged.connect(self.commit)
        self.dataset_path.editingFinished.connect(self.commit)
        self.node_lrs.editingFinished.connect(self.commit)
        self._shown: tuple[Any, Any] | None = None  # the recipe and project folder the form shows
        model.changed.connect(self.follow)
        model.title_changed.connect(self.follow)  # saved elsewhere: relative dataset paths name other files
        self.load()
        guard_wheel(self)

    def follow(self) -> None:
        """After an edit or a save: the form is read again only when the recipe or the project's folder changed.

        Most edits are to nodes; refilling the form and checking the dataset's files on each of them
        was GUI-thread work (and disk access) proportional to nothing the edit touched.
        """
        if self._shown != (self.model.project_dir(), self.model.doc.recipe):
            self.load()

    def load(self) -> None:
        """Shows the recipe; a value the form cannot show (a typo in the file) shows the default instead,
        is left as it is in the file, and is named in the problems below (nothing here raises)."""
        r = _obj(self.model.doc.recipe)
        self._shown = (self.model.project_dir(), copy.deepcopy(self.model.doc.recipe))
        self._loading = True
        ds = effective_dataset(r)
        self.dataset.show_recipe(r)
        self.dataset_path.setText(_text(ds.get("path"), ""))
        self.epochs.setValue(_int(r.get("epochs"), 10, self.epochs))
        self.batch_size.setValue(_int(r.get("batch_size"), 64, self.batch_size))
        self.loss.setCurrentText(_text(_obj(r.get("loss")).get("name"), "cross_entropy"))
        opt = _obj(r.get("optimizer"))
        self.optimizer.setCurrentText(_text(opt.get("name"), "adam"))
        self.lr.setValue(_float(opt.get("lr"), 1e-3, self.lr))
        self.schedule.setCurrentText(_text(_obj(r.get("schedule")).get("name"), "none"))
        self.device.setCurrentText(_text(r.get("device"), "auto"))
        self.seed.setValue(_int(r.get("seed"), 0, self.seed))
        groups = [g for g in _list(r.get("param_groups")) if isinstance(g, dict)]
        self.node_lrs.setText(", ".join(f"{label}={_float(g.get('lr'), 0.0):g}" for g in groups
                                        for label in _list(g.get("nodes"))))
        self.hooks_summary.setText(hooks_summary(_list(r.get("hooks"))))
        self._loading = False
        self._show_problems(r)

    def recipe(self) -> dict[str, Any]:
        r = copy.deepcopy(_obj(self.model.doc.recipe))
        name = self.dataset.currentData()
        old = effective_dataset(r)
        ds = dict(old) if old.get("name") == name else {"name": name}
        path = self.dataset_path.text().strip()
        if path:
            ds["path"] = path
        else:
            ds.pop("path", None)
        if "dataset" in r or ds != default_dataset():  # an untouched default stays implicit
            r["dataset"] = ds
        r["epochs"] = self.epochs.value()
        r["batch_size"] = self.batch_size.value()
        r["loss"] = {**_obj(r.get("loss")), "name": self.loss.currentText()}
        r["optimizer"] = {**_obj(r.get("optimizer")), "name": self.optimizer.currentText(), "lr": self.lr.value()}
        r["schedule"] = {**_obj(r.get("schedule")), "name": self.schedule.currentText()}
        r["device"] = self.device.currentText()
        r["seed"] = self.seed.value()
        groups = []
        for part in self.node_lrs.text().split(","):
            label, _, rate = part.partition("=")
            try:
                groups.append({"nodes": [label.strip()], "lr": float(rate)})
            except ValueError:
                continue  # half-typed entries are ignored until they read as label=rate
        if groups or "param_groups" in r:
            r["param_groups"] = groups
        return r

    def commit(self, *_args) -> None:
        if self._loading:
            return
        new = self.recipe()
        if new != self.model.doc.recipe:
            self.model.push(SetRecipe(new), "training settings")

    def show_preview(self) -> str:
        """Loads the dataset as the recipe describes it and shows sizes, shapes and class balance."""
        from runtime.data import DatasetError, load_dataset, preview

        spec = effective_dataset(self.model.doc.recipe)
        try:
            info = preview(load_dataset(spec, self.model.path.parent if self.model.path else None), n=1)
        except (DatasetError, ValueError, OSError) as exc:
            text = problems_html(problems_of(exc, spec.get("path")))
        else:
            lines = [info["description"], f"input {tuple(info['input_shape'])} {info['input_dtype']}, "
                     f"values {info['value_range'][0]:.3g} … {info['value_range'][1]:.3g}"]
            counts = info.get("class_counts", {}).get("train")
            if counts:
                lines.append("train classes: " + ", ".join(f"{k}: {v}" for k, v in list(counts.items())[:12]))
            text = "<br>".join(lines)
        self.preview.setText(text)
        return text

    def _show_problems(self, recipe: Any) -> None:
        problems = recipe_problems(recipe)
        problems += dataset_problems(effective_dataset(_obj(recipe)), self.model.project_dir())
        self.problems.setText("\n".join(p.text() for p in problems))
        ds = effective_dataset(_obj(recipe))
        info = DATASETS.get(ds.get("name", ""))
        self.preview.setText(info.description if info else "")


# -- reading a recipe that may hold anything (it comes from a file) ----------------------------------------

def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _int(value: Any, default: int, box: Any = None) -> int:
    """An int the spin box can show (in its range), else the default."""
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    if box is not None and not box.minimum() <= value <= box.maximum():
        return default
    return value


def _float(value: Any, default: float, box: Any = None) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        return default
    if box is not None and not box.minimum() <= value <= box.maximum():
        return default
    return float(value)
