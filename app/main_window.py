"""The main window: canvas in the middle, palette, inspector, problems and code around it."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.canvas.scene import GraphScene
from app.canvas.view import GraphView
from app.codeview import CodeView
from app.editor.model import EditorModel
from app.inspector import Inspector
from app.palette import Palette
from app.paths import app_home
from app.problems import ProblemsList
from app.window_files import FilesMixin
from app.window_training import TrainingMixin
from graph import ROOT, Document, Edge
from graph.clipboard import copy_payload, paste_edit
from graph.edits import Batch, Disconnect, MoveNode
from graph.kinds import GroupKind, kind_of
from graph.layout import layered_positions
from graph.operations import group_nodes, place_node, remove_nodes, ungroup
from graph.recovery import (
    AUTOSAVE_SECONDS,
)
from runtime.trust import TrustStore

CLIP_MIME = "application/x-torchcanvas-nodes"
AUTOSAVE_MS = AUTOSAVE_SECONDS * 1000


def warm_up_in_background() -> None:
    """The first meta-device kernel imports ~1.4 s of torch internals; pay that off the UI's critical path."""
    import threading

    def warm() -> None:
        import torch

        with torch.device("meta"):
            torch.nn.Linear(2, 2)(torch.empty(1, 2)).relu()

    threading.Thread(target=warm, daemon=True, name="torch-warm-up").start()


class MainWindow(FilesMixin, TrainingMixin, QMainWindow):
    def __init__(self, trust_store: TrustStore | None = None) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.model = EditorModel(self)
        self.trust_store = trust_store or TrustStore()
        self.scene = GraphScene(self.model)
        self.view = GraphView(self.scene)
        self.view.dropped.connect(self.add_node_at)
        self.scene.refused.connect(self.show_refusal)
        self.scene.node_activated.connect(self._node_activated)
        self.breadcrumb = QLabel()
        self.breadcrumb.setTextFormat(Qt.RichText)
        self.breadcrumb.linkActivated.connect(self._crumb_clicked)
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        crumb_bar = QHBoxLayout()
        crumb_bar.setContentsMargins(8, 4, 8, 4)
        crumb_bar.addWidget(self.breadcrumb, 1)
        layout.addLayout(crumb_bar)
        layout.addWidget(self.view, 1)
        self.setCentralWidget(centre)

        self.palette = Palette(self.model.registry)
        self.palette.activated.connect(self.add_node_at_centre)
        self.inspector = Inspector(self.model)
        self.inspector.enter_group.connect(self.model.enter)
        self.problems = ProblemsList(self.model)
        self.problems.issue_clicked.connect(self._code_clicked)
        self.code_view = CodeView(self.model)
        self.code_view.node_clicked.connect(self._code_clicked)
        self.docks: dict[str, QDockWidget] = {}
        self._dock("Layers", self.palette, Qt.LeftDockWidgetArea)
        self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self._dock("Generated code", self.code_view, Qt.RightDockWidgetArea)
        self._dock("Problems", self.problems, Qt.BottomDockWidgetArea)
        QTimer.singleShot(0, self._default_dock_sizes)

        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self.model.title_changed.connect(self._update_title)
        self.model.scope_changed.connect(self._update_breadcrumb)
        self.model.scope_changed.connect(self._fit_soon)
        self.model.selection_changed.connect(self._update_actions)
        self.model.undo_stack.canUndoChanged.connect(self._update_actions)
        self.autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.settings = QSettings(str(app_home() / "settings.ini"), QSettings.IniFormat)
        self.setup_training()
        self._restore_layout()
        self._update_breadcrumb()
        self._update_title()
        self.model.set_document(Document())
        self.model.recompile()
        warm_up_in_background()

    # -- layout -----------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _default_dock_sizes(self) -> None:
        if self.settings.value("window/state") is not None:
            return  # the person's own arrangement wins
        self.resizeDocks([self.docks["Layers"], self.docks["Inspector"]], [270, 440], Qt.Horizontal)
        self.resizeDocks([self.docks["Problems"]], [190], Qt.Vertical)

    def _restore_layout(self) -> None:
        state = self.settings.value("window/state")
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def _save_layout(self) -> None:
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/geometry", self.saveGeometry())

    # -- actions ------------------------------------------------------------------------
    def _action(self, key: str, text: str, slot, shortcut=None, menu=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
        action.triggered.connect(slot)
        action.setStatusTip(tip)
        if menu is not None:
            menu.addAction(action)
        self.addAction(action)
        self.actions[key] = action
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action("new", "&New", self.new_project, QKeySequence.New, file_menu)
        self.templates_menu = file_menu.addMenu("New from &template")
        self._fill_templates()
        self._action("open", "&Open…", self.open_dialog, QKeySequence.Open, file_menu)
        self._action("import", "&Import PyTorch model…", self.import_dialog, None, file_menu)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent()
        file_menu.addSeparator()
        self._action("save", "&Save", self.save, QKeySequence.Save, file_menu)
        self._action("save_as", "Save &as…", self.save_as, QKeySequence.SaveAs, file_menu)
        export = file_menu.addMenu("&Export")
        self._action("export_py", "PyTorch source (.py)…", lambda: self.export("py"), None, export)
        self._action("export_st", "Weights (.safetensors)…", lambda: self.export("safetensors"), None, export)
        self._action("export_onnx", "ONNX (.onnx)…", lambda: self.export("onnx"), None, export)
        file_menu.addSeparator()
        self._action("quit", "&Quit", self.close, QKeySequence.Quit, file_menu)

        edit = bar.addMenu("&Edit")
        undo = self.model.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.model.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo])
        edit.addActions([undo, redo])
        self.actions["undo"], self.actions["redo"] = undo, redo
        edit.addSeparator()
        self._action("copy", "&Copy", self.copy, QKeySequence.Copy, edit)
        self._action("paste", "&Paste", self.paste, QKeySequence.Paste, edit)
        self._action("duplicate", "&Duplicate", self.duplicate, "Ctrl+D", edit)
        self._action("delete", "De&lete", self.delete_selection, QKeySequence.Delete, edit)
        self._action("select_all", "Select &all", self.select_all, QKeySequence.SelectAll, edit)
        edit.addSeparator()
        self._action("find", "Find layer…", self.focus_palette, QKeySequence.Find, edit)

        graph_menu = bar.addMenu("&Graph")
        self._action("group", "&Group into sub-network", self.group_selection, "Ctrl+G", graph_menu)
        self._action("ungroup", "&Ungroup", self.ungroup_selection, "Ctrl+Shift+G", graph_menu)
        self._action("parent", "Back to &parent", lambda: self.model.enter(ROOT), "Backspace", graph_menu)
        graph_menu.addSeparator()
        self._action("layout", "Auto-&layout", self.auto_layout, "Ctrl+L", graph_menu)

        view = bar.addMenu("&View")
        self._action("fit", "&Fit to view", self.fit_view, "F", view)
        self._action("zoom_in", "Zoom &in", lambda: self.view.zoom(1.25), QKeySequence.ZoomIn, view)
        self._action("zoom_out", "Zoom &out", lambda: self.view.zoom(0.8), QKeySequence.ZoomOut, view)
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        self.view_menu = view

        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("toolbar_main")
        self.addToolBar(self.toolbar)
        for key in ("new", "open", "save"):
            self.toolbar.addAction(self.actions[key])
        self.toolbar.addSeparator()
        self.toolbar.addActions([undo, redo])
        self.toolbar.addSeparator()
        for key in ("group", "layout", "fit"):
            self.toolbar.addAction(self.actions[key])
        self._update_actions()

    def show_refusal(self, reason: str) -> None:
        self.statusBar().showMessage(reason, 6000)

    def _crumb_clicked(self, _link: str) -> None:
        self.model.enter(ROOT)

    def _fit_soon(self) -> None:
        QTimer.singleShot(0, self.fit_view)

    def add_node_at_centre(self, type_id: str) -> str | None:
        return self.add_node_at(type_id, self.view.center_scene_pos())

    def _update_actions(self, *_args) -> None:
        sel = self.model.selection
        self.actions["group"].setEnabled(bool(sel))
        g = self.model.doc.scope(self.model.scope)
        self.actions["ungroup"].setEnabled(len(sel) == 1 and sel[0] in g.nodes
                                           and isinstance(kind_of(g.nodes[sel[0]].type), GroupKind))
        self.actions["parent"].setEnabled(self.model.scope != ROOT)

    def _update_title(self) -> None:
        self.setWindowTitle(self.model.title())
        self.setWindowModified(self.model.modified)

    def _update_breadcrumb(self) -> None:
        parts = [f"<a href='' style='color:#8cc8ff'>{self.model.doc.name or 'model'}</a>"]
        if self.model.scope != ROOT:
            parts.append(f"<b>{self.model.scope}</b>")
        self.breadcrumb.setText(" › ".join(parts) + ("" if self.model.scope == ROOT else
                                                      "  <span style='color:#8a93a6'>(Backspace: back)</span>"))
        self._update_actions()

    def closeEvent(self, event) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        self._clear_recovery()
        self._save_layout()
        if hasattr(self, "shutdown"):
            self.shutdown()
        event.accept()

    # -- editing gestures -------------------------------------------------------------------------
    def add_node_at(self, type_id: str, pos: QPointF) -> str | None:
        if self.model.registry.get(type_id) is None:
            return None
        edit = place_node(self.model.doc, self.model.scope, type_id, (pos.x(), pos.y()))
        self.model.push(edit, f"add {type_id}")
        self.model.select([edit.node.id])
        return edit.node.id

    def delete_selection(self) -> None:
        edges = [e for e in self.scene.selectedItems() if hasattr(e, "key") and hasattr(e, "src_port")]
        if self.model.selection:
            self.model.push(remove_nodes(self.model.doc, self.model.scope, self.model.selection))
        elif edges:
            self.model.push(Batch([Disconnect(self.model.scope, Edge(*e.key)) for e in edges], "delete connection"))

    def select_all(self) -> None:
        self.model.select(list(self.model.doc.scope(self.model.scope).nodes))

    def _clip_payload(self) -> dict | None:
        return copy_payload(self.model.doc, self.model.scope, self.model.selection)

    def copy(self) -> None:
        payload = self._clip_payload()
        if payload:
            from PySide6.QtCore import QMimeData

            mime = QMimeData()
            mime.setData(CLIP_MIME, json.dumps(payload).encode())
            mime.setText(json.dumps(payload, indent=1))
            QGuiApplication.clipboard().setMimeData(mime)

    def paste(self, payload: dict | None = None, offset: float = 40.0) -> list[str]:
        if payload is None:
            mime = QGuiApplication.clipboard().mimeData()
            if mime is None or not mime.hasFormat(CLIP_MIME):
                return []
            try:
                payload = json.loads(bytes(mime.data(CLIP_MIME)).decode())
            except ValueError:
                return []
        edit, ids = paste_edit(self.model.doc, self.model.scope, payload, offset)
        if edit is None:
            self.statusBar().showMessage("the clipboard holds no TorchCanvas nodes", 4000)
            return []
        self.model.push(edit)
        self.model.select(ids)
        return ids

    def duplicate(self) -> list[str]:
        payload = self._clip_payload()
        return self.paste(payload) if payload else []

    def group_selection(self) -> None:
        if not self.model.selection:
            return
        try:
            edit = group_nodes(self.model.doc, self.model.scope, self.model.selection)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return
        self.model.push(edit, "group into sub-network")

    def ungroup_selection(self) -> None:
        sel = self.model.selection
        if len(sel) != 1:
            return
        try:
            edit = ungroup(self.model.doc, self.model.scope, sel[0])
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return
        self.model.push(edit, "ungroup")

    def auto_layout(self) -> None:
        g = self.model.doc.scope(self.model.scope)
        positions = layered_positions(g)
        moves = [MoveNode(self.model.scope, nid, pos) for nid, pos in positions.items()
                 if tuple(g.nodes[nid].position) != pos]
        if moves:
            self.model.push(Batch(moves, "auto-layout"))
        self.fit_view()

    def fit_view(self) -> None:
        self.view.fit()

    def focus_palette(self) -> None:
        self.docks["Layers"].show()
        self.palette.search.setFocus()
        self.palette.search.selectAll()

    def _node_activated(self, node_id: str) -> None:
        node = self.model.doc.scope(self.model.scope).nodes.get(node_id)
        enters = kind_of(node.type).drawing(node).enters if node is not None else None
        if enters is not None:
            self.model.enter(enters)

    def _code_clicked(self, scope: str, node_id: str) -> None:
        self.model.select([node_id], scope)
