""""Search this…" on a right-click: a node parameter in the inspector or a recipe field in Training settings.

Installed from outside as an event filter, so the inspector and the settings
panel stay unaware of studies: a right-click on a row's name or its editor
is mapped to the search-space path the study names it by
(`runtime.study.targets`: `LABEL.PARAM`, `GROUP/LABEL.PARAM`,
`recipe.optimizer.lr`, ...). Line edits keep their usual menu, with the
search entry on top.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFormLayout, QLineEdit, QMenu, QWidget

#: Recipe panel attribute → the recipe path it edits.
RECIPE_FIELDS = {
    "epochs": "recipe.epochs",
    "batch_size": "recipe.batch_size",
    "loss": "recipe.loss.name",
    "optimizer": "recipe.optimizer.name",
    "lr": "recipe.optimizer.lr",
    "schedule": "recipe.schedule.name",
    "seed": "recipe.seed",
}
NOT_SEARCHED = ("__label__",)


def _field_of(widget: QWidget) -> QWidget | None:
    """The field widget of the form row `widget` belongs to (its label or the field itself, or inside it)."""
    w: QWidget | None = widget
    while w is not None:
        parent = w.parentWidget()
        layout = parent.layout() if parent is not None else None
        if isinstance(layout, QFormLayout):
            row, role = layout.getWidgetPosition(w)
            if row >= 0:
                if role == QFormLayout.ItemRole.LabelRole:
                    item = layout.itemAt(row, QFormLayout.ItemRole.FieldRole)
                    return item.widget() if item is not None else None
                return w
        w = parent
    return None


def inspector_path(inspector, widget: QWidget) -> str | None:
    field = _field_of(widget)
    node = inspector._node() if field is not None else None
    if node is None:
        return None
    names = {id(w): name for name, w in inspector.editors.items()}
    name = names.get(id(field))
    if name is None or name in NOT_SEARCHED:
        return None
    scope = inspector.model.scope
    return f"{scope}/{node.label}.{name}" if scope else f"{node.label}.{name}"


def recipe_path(panel, widget: QWidget) -> str | None:
    field = _field_of(widget)
    for attribute, path in RECIPE_FIELDS.items():
        if field is not None and getattr(panel, attribute, None) is field:
            return path
    return None


class SearchThisMenu(QObject):
    """Watches a panel and its descendants (present and future) for right-clicks on searchable rows."""

    def __init__(self, root: QWidget, path_of: Callable[[QWidget], str | None],
                 search: Callable[[str], None]) -> None:
        super().__init__(root)
        self.root, self.path_of, self.search = root, path_of, search
        self.last_menu: QMenu | None = None
        self._watch(root)

    def _watch(self, widget: QWidget) -> None:
        widget.installEventFilter(self)
        for child in widget.findChildren(QWidget):
            child.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.ChildAdded:
            child = event.child()
            if isinstance(child, QWidget):
                self._watch(child)
            return False
        if event.type() != QEvent.Type.ContextMenu or not isinstance(obj, QWidget):
            return False
        path = self.path_of(obj)
        if path is None:
            return False
        menu = obj.createStandardContextMenu() if isinstance(obj, QLineEdit) else QMenu(obj)
        action = menu.addAction(f"Search this…  ({path})")
        action.setObjectName("search_this")
        first = menu.actions()[0]
        if first is not action:
            menu.insertAction(first, action)
            menu.insertSeparator(first)
        action.triggered.connect(lambda: self.search(path))
        self.last_menu = menu
        menu.popup(event.globalPos())
        return True
