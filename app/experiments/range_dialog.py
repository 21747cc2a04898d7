"""The range of one searched parameter: kind (int, float, choice), bounds, log scale or the choices.

A first guess comes from what the parameter is now (its spec's kind, choices
and bounds, its current value); the dialog checks the range the way the
study will (`runtime.study.space.parse_param` and `targets.check`) and shows
the one-line reason in place when it does not fit.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from app.problem_view import problems_text
from graph import Document
from runtime.report import problems_of
from runtime.study.space import SearchParam, SpaceError, parse_param


def current_value(doc: Document, registry: Any, path: str) -> tuple[Any, Any]:
    """(the value the project has now, the node parameter's spec or None for recipe fields)."""
    from graph.params import effective_params
    from runtime.study.targets import resolve

    target = resolve(doc, registry, path)
    if target.is_recipe:
        here: Any = doc.recipe
        for key in target.keys:
            try:
                here = here[key]
            except (KeyError, IndexError, TypeError):
                return None, None
        return here, None
    node = doc.scope(target.scope).nodes[target.node_id]
    return effective_params(node, registry.get(node.type)).get(target.param), target.spec


RECIPE_CHOICES = {"recipe.optimizer.name": ["sgd", "adam", "adamw"], "recipe.loss.name": None,
                  "recipe.schedule.name": ["none", "cosine", "onecycle"]}


def suggest_range(path: str, value: Any, spec: Any) -> SearchParam:
    """A sensible first range around `value`: ×¼..×4 (log) for sizes, ÷10..×10 (log) for rates."""
    choices = list(spec.choices) if spec is not None and spec.choices else None
    if path in RECIPE_CHOICES:
        choices = RECIPE_CHOICES[path] or [value]
    if spec is not None and spec.kind == "bool" or isinstance(value, bool):
        return SearchParam(path, "choice", choices=(False, True))
    if choices:
        return SearchParam(path, "choice", choices=tuple(choices))
    if isinstance(value, int) and (spec is None or spec.kind == "int"):
        low, high = max(1, value // 4), max(value * 4, 2)
        if spec is not None and spec.min is not None:
            low = max(low, int(spec.min))
        if spec is not None and spec.max is not None:
            high = min(high, int(spec.max))
        return SearchParam(path, "int", float(low), float(max(high, low + 1)), log=low > 0 and high / low >= 8)
    if isinstance(value, float) and value > 0:
        low, high = value / 10, value * 10
        if spec is not None and spec.max is not None:
            high = min(high, float(spec.max))
        if path.endswith(("dropout", ".p", "sigma")) or (spec is not None and spec.max == 1.0):
            high = min(high, 1.0)
        return SearchParam(path, "float", low, high, log=True)
    if isinstance(value, (int, float)):
        return SearchParam(path, "float", 0.0, 1.0)
    return SearchParam(path, "choice", choices=(value,) if value is not None else ())


def _number_text(value: float | None, kind: str) -> str:
    if value is None:
        return ""
    return str(int(value)) if kind == "int" else f"{value:g}"


class RangeDialog(QDialog):
    """Edits one SearchParam; `param` holds the result after accept()."""

    def __init__(self, param: SearchParam, check=None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Search {param.path}")
        self.path = param.path
        self.check = check  # SearchParam → None or raises SpaceError (the project's own check)
        self.param: SearchParam | None = None
        self.kind = QComboBox()
        self.kind.addItems(["int", "float", "choice"])
        self.kind.setCurrentText(param.kind)
        self.low = QLineEdit(_number_text(param.low, param.kind))
        self.high = QLineEdit(_number_text(param.high, param.kind))
        self.log = QCheckBox("log scale")
        self.log.setChecked(param.log)
        self.choices = QLineEdit(",".join(json.dumps(c) if not isinstance(c, str) else c for c in param.choices))
        self.choices.setPlaceholderText("e.g. 0, 0.01, 0.05   or   relu, tanh")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ff6b6b;")
        form = QFormLayout()
        form.addRow("parameter", QLabel(param.path))
        form.addRow("kind", self.kind)
        form.addRow("low", self.low)
        form.addRow("high", self.high)
        form.addRow("", self.log)
        form.addRow("choices", self.choices)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.kind.currentTextChanged.connect(self._kind_changed)
        self._kind_changed(param.kind)

    def _kind_changed(self, kind: str) -> None:
        ranged = kind != "choice"
        for w in (self.low, self.high, self.log):
            w.setEnabled(ranged)
        self.choices.setEnabled(not ranged)

    def spec_text(self) -> str:
        kind = self.kind.currentText()
        if kind == "choice":
            return f"{self.path}=choice:{self.choices.text().strip()}"
        return f"{self.path}={kind}:{self.low.text().strip()}..{self.high.text().strip()}" + \
            (":log" if self.log.isChecked() else "")

    def accept(self) -> None:
        try:
            param = parse_param(self.spec_text())
            if self.check is not None:
                self.check(param)
        except SpaceError as exc:
            self.error.setText(problems_text(problems_of(exc)))
            return
        self.param = param
        super().accept()
