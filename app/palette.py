"""The layer palette: categories, search as you type, drag onto the canvas."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.canvas.view import NODE_MIME
from graph import NodeSpec, Registry
from graph.kinds import kind_of

TYPE_ROLE = Qt.UserRole + 1
ORDER = ["Input/Output", "Linear", "Convolution", "Pooling", "Normalization", "Activation", "Dropout", "Recurrent",
         "Attention", "Embedding", "Merge", "Slice", "Shape", "Reduction", "Math", "Complex", "Custom"]


def search_text(spec: NodeSpec) -> str:
    """What a search matches: name, family (category), PyTorch target, description, and "complex" for
    every node that takes or gives complex values (ModReLU, Abs, Angle, ...), whatever its family."""
    words = [spec.type_id, spec.category, spec.target, spec.doc]
    if any(port.dtype == "complex" for port in (*spec.inputs, *spec.outputs)):
        words.append("complex complex-valued")
    return " ".join(words).lower()


class _Tree(QTreeWidget):
    def startDrag(self, actions) -> None:
        item = self.currentItem()
        type_id = item.data(0, TYPE_ROLE) if item else None
        if not type_id:
            return
        mime = QMimeData()
        mime.setData(NODE_MIME, type_id.encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.CopyAction)


class Palette(QWidget):
    activated = Signal(str)  # add this type at the view centre

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.search = QLineEdit(placeholderText="Search layers…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setRootIsDecorated(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.keywords: dict[str, str] = {}
        categories: dict[str, QTreeWidgetItem] = {}
        specs = [s for s in registry if kind_of(s.type_id, s).in_palette]
        rank = {c: k for k, c in enumerate(ORDER)}
        for spec in sorted(specs, key=lambda s: (rank.get(s.category, 99), s.category, s.type_id)):
            parent = categories.get(spec.category)
            if parent is None:
                parent = QTreeWidgetItem(self.tree, [spec.category])
                parent.setFlags(Qt.ItemIsEnabled)
                categories[spec.category] = parent
            item = QTreeWidgetItem(parent, [spec.type_id])
            item.setData(0, TYPE_ROLE, spec.type_id)
            item.setToolTip(0, f"{spec.type_id} → {spec.target}\n{spec.doc}")
            self.items[spec.type_id] = item
            self.keywords[spec.type_id] = search_text(spec)
        self.categories = categories
        for name in ("Input/Output", "Linear", "Activation"):
            if name in categories:
                categories[name].setExpanded(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._add_first_visible)
        self.tree.itemActivated.connect(self._activated)

    def filter(self, text: str) -> None:
        text = text.strip().lower()
        for category in self.categories.values():
            visible = 0
            for k in range(category.childCount()):
                child = category.child(k)
                hit = not text or all(word in self.keywords.get(child.data(0, TYPE_ROLE), "")
                                      for word in text.split())
                child.setHidden(not hit)
                visible += hit
            category.setHidden(visible == 0)
            category.setExpanded(bool(text) and visible > 0 or category.isExpanded())

    def visible_types(self) -> list[str]:
        return [t for t, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _add_first_visible(self) -> None:
        current = self.tree.currentItem()
        if current is not None and current.data(0, TYPE_ROLE) and not current.isHidden():
            self.activated.emit(current.data(0, TYPE_ROLE))
            return
        visible = self.visible_types()
        if visible:
            self.activated.emit(visible[0])

    def _activated(self, item: QTreeWidgetItem) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.activated.emit(type_id)
