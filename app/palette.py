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


def search_text(spec: NodeSpec) -> tuple[str, str, str]:
    """What a search matches, nearest first: the name (plus "complex" for every node that takes or
    gives complex values: ModReLU, Abs, Angle, ...); then the family (category); then the PyTorch
    target and the description. A search shows the nearest tier with a hit, so "output" is the
    Output node, not every layer whose description mentions its output."""
    name = spec.type_id
    if any(port.dtype == "complex" for port in (*spec.inputs, *spec.outputs)):
        name += " complex complex-valued"
    family = f"{name} {spec.category}"
    return name.lower(), family.lower(), f"{family} {spec.target} {spec.doc}".lower()


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
        self.keywords: dict[str, tuple[str, str, str]] = {}
        self.categories: dict[str, QTreeWidgetItem] = {}
        self.set_registry(registry)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._add_first_visible)
        self.tree.itemActivated.connect(self._activated)

    def set_registry(self, registry: Registry) -> None:
        """(Re)fills the tree: at start-up from the cached catalogue, then from the full one."""
        self.tree.clear()
        self.items, self.keywords, categories = {}, {}, {}
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
        if self.search.text():
            self.filter(self.search.text())

    def filter(self, text: str) -> None:
        """Layers with every word in their name; else in their family; else in their description."""
        text = text.strip().lower()
        words = text.split()
        hits: set[str] = set()
        for tier in range(3):
            hits = {t for t, texts in self.keywords.items() if all(w in texts[tier] for w in words)}
            if hits:
                break
        for category in self.categories.values():
            visible = 0
            for k in range(category.childCount()):
                child = category.child(k)
                hit = child.data(0, TYPE_ROLE) in hits
                child.setHidden(not hit)
                visible += hit
            category.setHidden(visible == 0)
            category.setExpanded(bool(text) and visible > 0 or category.isExpanded())

    def best_match(self) -> str | None:
        """What Enter adds: the exact name, else the shortest name starting with the text, else the first hit."""
        text = self.search.text().strip().lower()
        visible = self.visible_types()
        if not visible:
            return None
        return min(visible, key=lambda t: (t.lower() != text, not t.lower().startswith(text), len(t), t))

    def visible_types(self) -> list[str]:
        return [t for t, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _add_first_visible(self) -> None:
        current = self.tree.currentItem()
        if not self.search.text().strip() and current is not None and current.data(0, TYPE_ROLE) \
                and not current.isHidden():
            self.activated.emit(current.data(0, TYPE_ROLE))
            return
        best = self.best_match()
        if best:
            self.activated.emit(best)

    def _activated(self, item: QTreeWidgetItem) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.activated.emit(type_id)
