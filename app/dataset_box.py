"""The dataset picker as a view of the recipe: it shows the dataset a run would use, nothing else.

A recipe without a dataset trains on the recipe's default (`runtime.recipe.
Recipe`, digits). The old box showed "digits" by accident (its first row)
while the settings form checked the raw recipe and reported "dataset
missing", so the window disagreed with itself and choosing digits changed
nothing. Here the list is a Qt model, the box's row is computed from the
*effective* recipe on every document change (the same defaults the runtime
applies), and only a person's choice writes the recipe.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QComboBox


def default_dataset() -> dict[str, Any]:
    """What a run uses when the recipe names no dataset (the runtime's own default)."""
    from runtime.recipe import Recipe

    return dict(Recipe.model_fields["dataset"].default_factory())


def effective_dataset(recipe: dict[str, Any]) -> dict[str, Any]:
    spec = recipe.get("dataset")
    return dict(spec) if isinstance(spec, dict) and spec.get("name") else default_dataset()


class DatasetListModel(QAbstractListModel):
    """The built-in datasets by name, with their descriptions as tooltips."""

    def __init__(self, datasets: dict[str, Any]) -> None:
        super().__init__()
        self.names: list[str] = list(datasets)
        self.descriptions = {name: getattr(info, "description", "") for name, info in datasets.items()}
        self.default = default_dataset().get("name")

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.names)

    def data(self, index, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        name = self.names[index.row()]
        if role in (Qt.DisplayRole, Qt.UserRole):
            return name
        if role == Qt.ToolTipRole:
            return self.descriptions.get(name, "") + (" (the default)" if name == self.default else "")
        return None

    def row_of(self, name: str | None) -> int:
        return self.names.index(name) if name in self.names else -1


class DatasetBox(QComboBox):
    chosen = Signal(str)  # the dataset name a person picked

    def __init__(self, datasets: dict[str, Any]) -> None:
        super().__init__()
        self.list_model = DatasetListModel(datasets)
        self.setModel(self.list_model)
        self._showing = False
        self.currentIndexChanged.connect(self._changed)

    def show_recipe(self, recipe: dict[str, Any]) -> None:
        """Mirrors the dataset a run of `recipe` would use (call on every document change)."""
        self._showing = True
        self.setCurrentIndex(self.list_model.row_of(effective_dataset(recipe).get("name")))
        self.setToolTip("" if recipe.get("dataset") else "not set in this project: the default is used")
        self._showing = False

    def _changed(self, row: int) -> None:
        if not self._showing and row >= 0:
            self.chosen.emit(self.list_model.names[row])
