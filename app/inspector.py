"""The inspector: typed editors for the selected node's parameters."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.code_editor import CodeEditor
from app.editor.model import EditorModel
from app.param_editors import literal_editor, param_editor
from app.problem_view import problems_text
from app.wheel_guard import guard_wheel
from graph import MISSING, ParamSpec
from graph.codeinfo import CodeEntryError, read_code
from graph.edits import Batch, SetCode, SetLabel, SetParam
from graph.kinds import CodeKind, kind_of
from graph.params import effective_params, value_text
from graph.ties import source_text, ties_of
from graph.validate import label_taken
from runtime.report import problems_of


class Inspector(QWidget):
    enter_group = Signal(str)

    def __init__(self, model: EditorModel) -> None:
        super().__init__()
        self.model = model
        self.editors: dict[str, QWidget] = {}
        self.title = QLabel("Select a node to edit its parameters.")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        self.scroll = scroll
        self.apply_code_button: QPushButton | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.info)
        layout.addWidget(scroll, 1)
        self.node_id: str | None = None
        model.selection_changed.connect(self.rebuild)
        model.registry_changed.connect(self.rebuild)
        model.changed.connect(self._on_changed)
        model.analysed.connect(self.update_info)
        self._building = False

    # -- building the form ----------------------------------------------------------
    def _clear(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}

    def _on_changed(self) -> None:
        node = self._node()
        if node is None and self.node_id is not None:
            self.rebuild()
        elif node is not None:
            self._refresh_values()

    def _node(self):
        if self.node_id is None:
            return None
        return self.model.doc.scope(self.model.scope).nodes.get(self.node_id)

    def rebuild(self) -> None:
        self._building = True
        self._clear()
        sel = self.model.selection
        self.node_id = sel[0] if len(sel) == 1 else None
        node = self._node()
        if node is None:
            self.title.setText(f"{len(sel)} nodes selected" if sel else "Select a node to edit its parameters.")
            self.info.setText("")
            self._building = False
            return
        spec = self.model.registry.get(node.type)
        self.title.setText(f"{node.label}  ·  {node.type}")
        self.apply_code_button = None
        label = QLineEdit(node.label)
        label.editingFinished.connect(lambda: self._set_label(label.text()))
        self.form.addRow("label", label)
        self.editors["__label__"] = label
        kind = kind_of(node.type, spec)
        if spec is not None:
            for p in sorted(spec.params, key=lambda p: not p.primary):
                self._add_editor(p, node)
        if isinstance(kind, CodeKind):
            self._code_editors(node)
        enters = kind.drawing(node).enters
        if enters is not None:
            button = QPushButton("Enter group  (double-click)")
            button.clicked.connect(lambda: self.enter_group.emit(enters))
            self.form.addRow("", button)
        if kind.has_weights and self._holds_weights(node):
            self._weights_row(node)
        if ties_of(self.model.scope, node):
            self._ties_row(node)
        frozen = QCheckBox("exclude from training")
        frozen.setChecked(bool(node.params.get("frozen", False)))
        frozen.toggled.connect(lambda v: self._set("frozen", v if v else MISSING))
        if spec is None or spec.param("frozen") is None:
            self.form.addRow("frozen", frozen)
            self.editors["frozen"] = frozen
        self._building = False
        guard_wheel(self.form_host)
        self.update_info()

    def _holds_weights(self, node) -> bool:
        """A node with parameters of its own, or a sub-network (by its kind); ReLU has nothing to load."""
        if kind_of(node.type).subnetwork(node) is not None:
            return True
        run = self.model.inference.node(self.model.scope, node.id) if self.model.inference else None
        return run is None or run.weight_bytes > 0

    def _add_editor(self, p: ParamSpec, node) -> None:
        value = effective_params(node, self.model.registry.get(node.type)).get(p.name)
        editor = param_editor(p, value, lambda v, n=p.name: self._set(n, v), self.model.refused.emit)
        self.editors[p.name] = editor
        label = QLabel(p.name)
        label.setToolTip(p.help)
        self.form.addRow(label, editor)

    def _weights_row(self, node) -> None:
        """Pretrained weights for this node or group (recipe.init_from), or back to a fresh start."""
        entries = [e for e in self.model.doc.recipe.get("init_from", []) if e.get("node") == node.label]
        label = QLabel(", ".join(e["file"].rsplit("/", 1)[-1] for e in entries) or "fresh initialisation")
        label.setWordWrap(True)
        load = QPushButton("Load weights…")
        load.clicked.connect(lambda: self._choose_weights(node.label))
        fresh = QPushButton("Re-initialise")
        fresh.setEnabled(bool(entries))
        fresh.clicked.connect(lambda: self.set_init_weights(node.label, None))
        self.form.addRow("weights", label)
        self.form.addRow("", load)
        self.form.addRow("", fresh)
        self.editors["__weights__"] = label

    def _ties_row(self, node) -> None:
        """Which of this layer's parameters are another layer's (weight tying), and a way to untie them."""
        text = ", ".join(f"{t.param} = {source_text(self.model.doc, t)}" for t in ties_of(self.model.scope, node))
        label = QLabel(text)
        label.setWordWrap(True)
        label.setToolTip("These parameters are shared with the named layer: one tensor, trained once.")
        untie = QPushButton("Untie (separate copies)")
        untie.clicked.connect(self._untie)
        self.form.addRow("tied", label)
        self.form.addRow("", untie)
        self.editors["__tie__"] = label
        self.editors["__untie__"] = untie

    def _untie(self) -> None:
        self._set("tie", MISSING)
        self.rebuild()

    def _choose_weights(self, label: str) -> None:
        from PySide6.QtWidgets import QFileDialog

        name, _ = QFileDialog.getOpenFileName(self, f"Weights for {label}", "", "safetensors (*.safetensors)")
        if name:
            self.set_init_weights(label, name)

    def set_init_weights(self, label: str, file: str | None) -> None:
        """Adds (or with None removes) the node's entry in recipe.init_from, as one undoable edit."""
        import copy

        from graph.edits import SetRecipe

        recipe = copy.deepcopy(self.model.doc.recipe)
        entries = [e for e in recipe.get("init_from", []) if e.get("node") != label]
        if file is not None:
            entries.append({"file": file, "node": label})
        recipe["init_from"] = entries
        self.model.push(SetRecipe(recipe), f"weights of {label}")
        self.rebuild()

    def _code_editors(self, node) -> None:
        """The entry's source with its Apply button above it (always in view), then its arguments."""
        source = self.model.doc.code.get(node.params.get("code", ""), "")
        editor = CodeEditor(source)
        apply = QPushButton("Apply code")
        apply.setToolTip("Store this source as the node's code entry (one undo step)")
        apply.clicked.connect(lambda: self.apply_code(editor.toPlainText()))
        self.apply_code_button = apply
        self.form.insertRow(1, "source", apply)
        self.form.insertRow(2, editor)
        self.editors["__code__"] = editor
        try:
            info = read_code(source)
        except CodeEntryError as exc:
            self.form.addRow("", QLabel("⚠ " + problems_text(problems_of(exc))))
            return
        for name, default in info.params.items():
            value = node.params.get(name, default)
            editor_ = literal_editor(value, lambda v, n=name: self._set(n, v))
            self.editors[name] = editor_
            self.form.addRow(name, editor_)

    def apply_code(self, source: str) -> bool:
        """Stores `source` under the entry the node names now (typed a moment ago, perhaps).

        A node without an entry name gets one after its label, set in the same
        undo step, so the source is never stored under an empty name.
        """
        node = self._node()
        if node is None:
            return False
        entry = str(node.params.get("code") or "").strip()
        edits = []
        if not entry:
            entry = node.label
            k = 2
            while entry in self.model.doc.code:
                entry, k = f"{node.label}_{k}", k + 1
            edits.append(SetParam(self.model.scope, node.id, "code", entry))
        edits.insert(0, SetCode(entry, source))
        return self.model.push(Batch(edits, f"edit code {entry}"))

    def _refresh_values(self) -> None:
        node = self._node()
        if node is None:
            return
        label = self.editors.get("__label__")
        if isinstance(label, QLineEdit) and label.text() != node.label and not label.isModified():
            label.setText(node.label)
        self.title.setText(f"{node.label}  ·  {node.type}")
        code = self.editors.get("__code__")
        entry = node.params.get("code")
        if isinstance(code, QPlainTextEdit) and entry in self.model.doc.code and \
                not code.document().isModified() and code.toPlainText() != self.model.doc.code[entry]:
            code.setPlainText(self.model.doc.code[entry])  # another entry chosen: show its source
        spec = self.model.registry.get(node.type)
        values = effective_params(node, spec)
        self._building = True
        for name, editor in self.editors.items():
            if name.startswith("__") or name not in values:
                continue
            value = values[name]
            if isinstance(editor, QSpinBox) and isinstance(value, int) and editor.value() != value:
                editor.setValue(value)
            elif isinstance(editor, QCheckBox) and editor.isChecked() != bool(value):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox) and editor.currentText() != str(value):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QLineEdit) and not editor.hasFocus():
                text = value_text(value)
                if editor.text() != text:
                    editor.setText(text)
        self._building = False

    def update_info(self) -> None:
        node = self._node()
        if node is None:
            return
        lines = []
        run = self.model.inference.node(self.model.scope, node.id) if self.model.inference else None
        if run is not None:
            for port, info in run.outputs.items():
                lines.append(f"out{'' if port == 'out' else ' ' + port}: {info}")
            inferred = {k: v for k, v in run.params.items() if node.params.get(k) is None and v is not None
                        and (spec := self.model.registry.get(node.type)) and (p := spec.param(k)) and p.optional}
            for k, v in inferred.items():
                lines.append(f"{k} = {v} (inferred)")
        for issue in self.model.node_problems(self.model.scope, node.id):
            lines.append(f"<span style='color:#ff6b6b'>⚠ {html.escape(issue.message)}</span>")
        spec = self.model.registry.get(node.type)
        if spec is not None:
            lines.append(f"<span style='color:#8a93a6'>{spec.doc} → <code>{spec.target}</code></span>")
        self.info.setText("<br>".join(lines))

    # -- writing back ----------------------------------------------------------------
    def _set(self, name: str, value: Any) -> None:
        if self._building or self.node_id is None:
            return
        node = self._node()
        if node is None or node.params.get(name, MISSING) == value:
            return
        self.model.push(SetParam(self.model.scope, self.node_id, name, value))

    def _set_label(self, text: str) -> None:
        node = self._node()
        box = self.editors.get("__label__")
        if isinstance(box, QLineEdit):
            box.setModified(False)
        text = text.strip()
        if node is None or not text or text == node.label:
            return
        taken = label_taken(self.model.doc, self.model.scope, node.id, text)
        if taken is not None:
            self.model.refused.emit([taken])
            if isinstance(box, QLineEdit):
                box.setText(node.label)
            return
        self.model.push(SetLabel(self.model.scope, node.id, text))
