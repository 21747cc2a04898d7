"""The Hooks panel: every hook of the recipe — built-in policies and the project's own — in one list.

Each hook has an on/off switch and its settings as editors; "New hook" makes a
code entry from the Callback skeleton (`runtime.hook_skeleton`) whose
docstring lists every hook point, its Keras name and the trainer API, and
opens it here to edit. Every change is one undoable edit of the recipe (and of
the code entry). Problems (a setting out of range, an entry that does not
parse, a growth hook naming no forest) come from the one analysis and show
beside the hook, naming the entry and line.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.code_editor import CodeEditor
from app.editor.model import EditorModel
from app.param_editors import literal_editor, param_editor
from graph.edits import MISSING, Batch, SetCode, SetRecipe
from graph.spec import ParamSpec
from runtime.callbacks import HOOK_POINTS
from runtime.hook_catalog import BUILT_INS, HookEntryError, read_hook
from runtime.hook_skeleton import TRAINER_API, hook_skeleton

INDEX_ROLE = Qt.UserRole + 5


def help_html() -> str:
    """Hook points with their Keras names, and the trainer API: the panel's reference card."""
    rows = "".join(f"<tr><td><code>{p}</code></td><td>{text}</td><td><code>{keras}</code></td></tr>"
                   for p, (text, keras) in HOOK_POINTS.items())
    api = "".join(f"<tr><td><code>{name}</code></td><td>{text}</td></tr>" for name, text in TRAINER_API)
    return (f"<b>Hook points</b> (a hook is a <code>Callback</code> in code)<table>"
            f"<tr><th>method</th><th>when</th><th>Keras</th></tr>{rows}</table>"
            f"<b>The trainer a hook receives</b><table>{api}</table>")


class HooksPanel(QWidget):
    trust_requested = Signal()
    code_opened = Signal()  # a new hook's code is shown: room to write it, please

    def __init__(self, model: EditorModel) -> None:
        super().__init__()
        self.model = model
        self._loading = False
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["hook", "kind"])
        self.list.setRootIsDecorated(False)
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentItemChanged.connect(lambda *_: self._show_details())
        self.add_button = QToolButton(text="Add built-in ▾")
        self.add_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.add_button)
        self.add_actions = {}
        for name, built_in in BUILT_INS.items():
            action = menu.addAction(built_in.title)
            action.setToolTip(built_in.summary)
            action.triggered.connect(lambda _=False, n=name: self.add_built_in(n))
            self.add_actions[name] = action
        self.add_button.setMenu(menu)
        self.new_button = QPushButton("New hook")
        self.new_button.setToolTip("A code entry from the Callback skeleton: every hook point and the trainer API")
        self.new_button.clicked.connect(lambda: self.new_hook())
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_current)
        self.help_button = QPushButton("Hook points && Keras names")
        self.help_button.setCheckable(True)
        buttons = QHBoxLayout()
        for w in (self.add_button, self.new_button, self.remove_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        self.trust_note = QLabel("Your hooks are project code: they run once you trust the project "
                                 "(<a href='trust'>Train › Trust project code</a>).")
        self.trust_note.setWordWrap(True)
        self.trust_note.linkActivated.connect(lambda _: self.trust_requested.emit())
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold;")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #ff6b6b;")
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.entry_name = QLineEdit()
        self.entry_name.editingFinished.connect(self._rename_entry)
        self.code = CodeEditor(minimum_height=260)
        self.apply_button = QPushButton("Apply code")
        self.apply_button.setToolTip("Ctrl+Return in the editor")
        self.apply_button.clicked.connect(self.apply_code)
        apply = QShortcut(QKeySequence("Ctrl+Return"), self.code)
        apply.setContext(Qt.WidgetShortcut)
        apply.activated.connect(self.apply_code)
        self.help = QLabel(help_html())
        self.help.setWordWrap(True)
        self.help.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.help.setVisible(False)
        self.help_button.toggled.connect(self.help.setVisible)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.trust_note)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        layout.addWidget(self.form_host)
        code_row = QHBoxLayout()
        code_row.addWidget(QLabel("code entry"))
        code_row.addWidget(self.entry_name, 1)
        code_row.addWidget(self.apply_button)
        self.code_row = QWidget()
        self.code_row.setLayout(code_row)
        layout.addWidget(self.code_row)
        layout.addWidget(self.code, 3)
        layout.addWidget(self.help_button)
        layout.addWidget(self.help)
        self.editors: dict[str, QWidget] = {}
        self._shown_entry: str | None = None
        model.changed.connect(self.load)
        model.analysed.connect(self._show_problems)
        self.load()

    # -- the list ----------------------------------------------------------------------
    def hooks(self) -> list[dict[str, Any]]:
        return [h for h in self.model.doc.recipe.get("hooks", []) if isinstance(h, dict)]

    def names(self) -> list[str]:
        return [self.list.topLevelItem(k).text(0) for k in range(self.list.topLevelItemCount())]

    def load(self) -> None:
        """The rows for the document's hooks: updated in place when they are the same hooks, else made anew.

        A switch's own click reaches here (its edit changes the document) while
        Qt is still inside that row's `setData`: deleting the row then was a
        use-after-free that crashed full test runs at random.
        """
        current = self.current_index()
        self._loading = True
        rows = [(*_row_text(hook), Qt.Checked if hook.get("enabled", True) else Qt.Unchecked)
                for hook in self.hooks()]
        shown = [self.list.topLevelItem(k) for k in range(self.list.topLevelItemCount())]
        if [(i.text(0), i.text(1)) for i in shown] == [(text, kind) for text, kind, _ in rows]:
            for item, (_, _, checked) in zip(shown, rows, strict=True):
                if item.checkState(0) != checked:
                    item.setCheckState(0, checked)
        else:
            self.list.clear()
            for k, (text, kind, checked) in enumerate(rows):
                item = QTreeWidgetItem([text, kind])
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(0, checked)
                item.setData(0, INDEX_ROLE, k)
                item.setToolTip(0, "on: runs during training; off: kept, but does not run")
                self.list.addTopLevelItem(item)
            self.list.resizeColumnToContents(0)
        count = self.list.topLevelItemCount()
        if count:
            self.list.setCurrentItem(self.list.topLevelItem(min(current if current is not None else 0, count - 1)))
        self._loading = False
        self.trust_note.setVisible(not self.model.trusted and any(h.get("name") == "code" for h in self.hooks()))
        self._show_details()

    def current_index(self) -> int | None:
        item = self.list.currentItem()
        return item.data(0, INDEX_ROLE) if item is not None else None

    def select(self, index: int) -> None:
        self.list.setCurrentItem(self.list.topLevelItem(index))

    # -- edits -------------------------------------------------------------------------
    def _push_hooks(self, hooks: list[dict[str, Any]], text: str, extra: list | None = None) -> None:
        recipe = copy.deepcopy(self.model.doc.recipe)
        recipe["hooks"] = hooks
        edit = SetRecipe(recipe)
        self.model.push(Batch([*(extra or []), edit], text) if extra else edit, text)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._loading or column != 0:
            return
        k = item.data(0, INDEX_ROLE)
        hooks = copy.deepcopy(self.hooks())
        enabled = item.checkState(0) == Qt.Checked
        if hooks[k].get("enabled", True) != enabled:
            hooks[k]["enabled"] = enabled
            self._push_hooks(hooks, f"hook {item.text(0)} {'on' if enabled else 'off'}")

    def add_built_in(self, name: str) -> None:
        hooks = copy.deepcopy(self.hooks())
        hooks.append({"name": name, "params": {}})
        self._push_hooks(hooks, f"add hook {BUILT_INS[name].title}")
        self.select(len(hooks) - 1)

    def new_hook(self, entry: str | None = None) -> str:
        """A new code entry from the skeleton, added to the hooks and opened here; returns its name."""
        base = entry or "my_hook"
        entry, k = base, 2
        while entry in self.model.doc.code:
            entry, k = f"{base}_{k}", k + 1
        hooks = copy.deepcopy(self.hooks())
        hooks.append({"name": "code", "code": entry, "params": {}})
        self._push_hooks(hooks, f"new hook {entry}", [SetCode(entry, hook_skeleton(entry))])
        self.select(len(hooks) - 1)
        self.code_opened.emit()
        self.code.setFocus()
        return entry

    def remove_current(self) -> None:
        k = self.current_index()
        if k is None:
            return
        hooks = copy.deepcopy(self.hooks())
        removed = hooks.pop(k)
        self._push_hooks(hooks, f"remove hook {removed.get('code') or removed.get('name')}")

    def apply_code(self) -> None:
        hook = self._current_hook()
        if hook is None or hook.get("name") != "code":
            return
        entry = hook.get("code", "")
        text = self.code.toPlainText()
        self.code.document().setModified(False)
        if self.model.doc.code.get(entry) != text:
            self.model.push(SetCode(entry, text), f"edit hook {entry}")

    def _rename_entry(self) -> None:
        hook, k = self._current_hook(), self.current_index()
        new = self.entry_name.text().strip()
        if hook is None or hook.get("name") != "code" or not new or new == hook.get("code"):
            return
        old = hook.get("code", "")
        if new in self.model.doc.code:
            self.problems.setText(f"a code entry named {new!r} exists already")
            return
        hooks = copy.deepcopy(self.hooks())
        hooks[k]["code"] = new
        source = self.model.doc.code.get(old, "")
        self._push_hooks(hooks, f"rename hook {old} to {new}", [SetCode(new, source), SetCode(old, MISSING)])

    def set_setting(self, name: str, value: Any) -> None:
        """Sets one setting of the selected hook (one undoable edit); MISSING removes it (back to the default)."""
        k = self.current_index()
        if k is None or self._loading:
            return
        hooks = copy.deepcopy(self.hooks())
        if not isinstance(hooks[k].get("params"), dict):
            hooks[k]["params"] = {}
        params = hooks[k]["params"]
        if params.get(name, MISSING) == value:
            return
        if value is MISSING:
            del params[name]
        else:
            params[name] = value
        self._push_hooks(hooks, f"hook setting {name}")

    # -- details -------------------------------------------------------------------------
    def _current_hook(self) -> dict[str, Any] | None:
        k = self.current_index()
        hooks = self.hooks()
        return hooks[k] if k is not None and k < len(hooks) else None

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}

    def _show_details(self) -> None:
        self._clear_form()
        hook = self._current_hook()
        is_code = hook is not None and hook.get("name") == "code"
        self.code_row.setVisible(is_code)
        self.code.setVisible(is_code)
        self.remove_button.setEnabled(hook is not None)
        if hook is None:
            self.title.setText("No hooks: add a built-in one, or write your own with New hook.")
            self.summary.setText("Hooks run between training batches (Keras: callbacks).")
            self._show_problems()
            return
        params = hook.get("params") if isinstance(hook.get("params"), dict) else {}  # a file may hold anything
        if is_code:
            entry = hook.get("code", "")
            source = self.model.doc.code.get(entry, "")
            self.entry_name.setText(entry)
            keep_typing = entry == self._shown_entry and self.code.document().isModified()
            if self.code.toPlainText() != source and not keep_typing:
                self.code.setPlainText(source)
                self.code.document().setModified(False)
            self._shown_entry = entry
            try:
                info = read_hook(source)
            except HookEntryError:
                info = None
            self.title.setText(f"{info.name if info else entry}  ·  your code (entry {entry!r})")
            used = ", ".join(info.methods) if info and info.methods else "none yet (fill in a method below)"
            self.summary.setText(f"Hook points with code: {used}. Settings are __init__'s arguments.")
            for name, default in (info.params.items() if info else ()):
                editor = literal_editor(params.get(name, default), lambda v, n=name: self.set_setting(n, v))
                self.editors[name] = editor
                self.form.addRow(name, editor)
        else:
            built_in = BUILT_INS.get(hook.get("name", ""))
            self.title.setText(built_in.title if built_in else str(hook.get("name")))
            self.summary.setText(built_in.summary if built_in else "unknown hook")
            for setting in built_in.settings if built_in else ():
                self._add_editor(setting, params.get(setting.name, setting.default))
        self._show_problems()

    def _add_editor(self, spec: ParamSpec, value: Any) -> None:
        """The inspector's editor for the setting's spec (`app.param_editors`): same widgets, same refusals."""
        editor = param_editor(spec, value, lambda v, n=spec.name: self.set_setting(n, v), self.model.refused.emit)
        label = QLabel(spec.name)
        label.setToolTip(spec.help)
        self.editors[spec.name] = editor
        self.form.addRow(label, editor)

    def _show_problems(self) -> None:
        k = self.current_index()
        problems = [p for p in getattr(self.model, "problems", [])
                    if p.recipe_path and k is not None and p.recipe_path.startswith(f"recipe.hooks[{k}]")]
        self.problems.setText("\n".join(f"⚠ {p.text()}" for p in problems))
        self.problems.setVisible(bool(problems))


def _row_text(hook: dict[str, Any]) -> tuple[str, str]:
    """A hook's row: its name (a code hook's entry, a built-in's title) and which kind it is."""
    if hook.get("name") == "code":
        return str(hook.get("code", "?")), "your code"
    built_in = BUILT_INS.get(hook.get("name", ""))
    return (built_in.title if built_in else str(hook.get("name"))), "built-in"
