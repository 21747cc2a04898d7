"""The editors of one parameter, shared by the inspector (node parameters) and the Hooks panel (hook settings).

A `ParamSpec` becomes a check box, a choice list, a spin box or a text box;
typed text is read by the one parser (`graph.params.parse_text`) and a bad
value is refused with the one wording (``sigma: expected a non-negative
number, got -1.0``): the box turns red, its tooltip says why, and `refused`
hears it. Settings of unknown type (a code node's or code hook's arguments)
are Python literals read by `graph.params.literal_value`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

from app.codeview import monospace
from app.problem_view import problems_text
from graph.params import literal_value, parse_text, value_text
from graph.problems import Problem
from graph.spec import ParamSpec
from runtime.report import problems_of

BAD = "border: 1px solid #ff6b6b;"


def param_editor(spec: ParamSpec, value: Any, set_value: Callable[[Any], None],
                 refused: Callable[[list[Problem]], None] = lambda problems: None) -> QWidget:
    """The editor of `spec` showing `value`; a change calls `set_value` with the typed value."""
    editor: QWidget
    if spec.kind == "bool":
        editor = QCheckBox()
        editor.setChecked(bool(value))
        editor.toggled.connect(set_value)
    elif spec.kind == "enum":
        editor = QComboBox()
        editor.addItems([str(c) for c in spec.choices])
        editor.setCurrentText(str(value))
        editor.currentTextChanged.connect(lambda t: set_value(next(c for c in spec.choices if str(c) == t)))
    elif spec.kind == "int" and not spec.optional:
        editor = QSpinBox()
        editor.setRange(int(spec.min) if spec.min is not None else -2**31,
                        int(spec.max) if spec.max is not None else 2**31 - 1)
        editor.setValue(int(value) if isinstance(value, int) else 0)
        editor.setKeyboardTracking(False)
        editor.valueChanged.connect(set_value)
    elif spec.kind == "code":
        editor = QPlainTextEdit(value or "")
        editor.setFont(monospace())
    else:
        editor = QLineEdit(value_text(value, spec))
        if spec.optional:
            editor.setPlaceholderText("auto")
        editor.editingFinished.connect(lambda: read_text(spec, editor, set_value, refused))
    editor.setToolTip(spec.help)
    return editor


def read_text(spec: ParamSpec, editor: QLineEdit, set_value: Callable[[Any], None],
              refused: Callable[[list[Problem]], None]) -> None:
    """Reads the box with the one parser; a bad value is refused (red box, the reason as tooltip), not stored."""
    try:
        value = parse_text(spec, editor.text())
    except ValueError as exc:
        problems = problems_of(exc)
        editor.setStyleSheet(BAD)
        editor.setToolTip(problems_text(problems))
        refused(problems)
        return
    editor.setStyleSheet("")
    editor.setToolTip(spec.help)
    set_value(value)


def literal_editor(value: Any, set_value: Callable[[Any], None]) -> QLineEdit:
    """A box for an argument of unknown type: a Python literal; empty means the code's own default (MISSING)."""
    editor = QLineEdit("" if value is None else repr(value))
    editor.setToolTip("a Python value (number, text in quotes, list, …); empty: the code's default")
    editor.editingFinished.connect(lambda: set_value(literal_value(editor.text())))
    return editor
