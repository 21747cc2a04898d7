"""The main window: canvas in the middle, palette, inspector, problems and code around it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
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
from app.trust import TrustStore, has_code
from app.window_training import TrainingMixin
from graph import ROOT, Document, Edge, ProjectFileError, load
from graph.edits import AddNode, Batch, Connect, Disconnect, MoveNode
from graph.fileformat import dumps, loads
from graph.kinds import GroupKind, kind_of
from graph.layout import layered_positions
from graph.operations import group_nodes, new_node, place_node, remove_nodes, ungroup

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
CLIP_MIME = "application/x-torchcanvas-nodes"
AUTOSAVE_MS = 60_000


def warm_up_in_background() -> None:
    """The first meta-device kernel imports ~1.4 s of torch internals; pay that off the UI's critical path."""
    import threading

    def warm() -> None:
        import torch

        with torch.device("meta"):
            torch.nn.Linear(2, 2)(torch.empty(1, 2)).relu()

    threading.Thread(target=warm, daemon=True, name="torch-warm-up").start()


class MainWindow(TrainingMixin, QMainWindow):
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

    # -- files ---------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        if not self.model.modified:
            return True
        answer = QMessageBox.question(self, "Unsaved changes", "Save the changes to this project first?",
                                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_project(self) -> None:
        if self.confirm_discard():
            self.model.set_document(Document())

    def open_project(self, path: Path, interactive: bool = True, trust: bool | None = None) -> bool:
        """Opens a project; a bad file leaves the current document untouched and says why."""
        path = Path(path)
        try:
            doc = load(path, self.model.registry)
        except ProjectFileError as exc:
            if interactive:
                QMessageBox.critical(self, "Cannot open project", str(exc))
            else:
                print(f"error: {exc}", file=sys.stderr)
            return False
        trusted = trust if trust is not None else self.trust_store.is_trusted(doc)
        if not trusted and interactive and has_code(doc):
            trusted = self.ask_trust(doc)
        self.model.set_document(doc, path, trusted)
        self._remember_recent(path)
        self._offer_recovery(path, interactive)
        QTimer.singleShot(0, self.fit_view)
        if not trusted and has_code(doc):
            self.statusBar().showMessage("This project's code has not been trusted: code nodes are shown but "
                                         "not run. Use Train › Trust project code to run it.")
        return True

    def ask_trust(self, doc: Document) -> bool:
        dialog = QMessageBox(self)
        dialog.setWindowTitle("Trust this project's code?")
        dialog.setText("This project contains Python code that will run on your computer when the model is "
                       "built or trained. Read it, and trust it only if you know where it comes from.")
        dialog.setDetailedText("\n\n".join(f"# {name}\n{src}" for name, src in doc.code.items()) or
                               json.dumps(doc.recipe.get("hooks", []), indent=2))
        trust = dialog.addButton("Trust and run", QMessageBox.AcceptRole)
        dialog.addButton("Open without running code", QMessageBox.RejectRole)
        dialog.exec()
        if dialog.clickedButton() is trust:
            self.trust_store.trust(doc)
            return True
        return False

    def trust_current(self) -> None:
        self.trust_store.trust(self.model.doc)
        self.model.trusted = True
        self.model.analyse()

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        name, _ = QFileDialog.getOpenFileName(self, "Open project", str(self._last_dir()),
                                              "TorchCanvas projects (*.json)")
        if name:
            self.open_project(Path(name))

    def import_dialog(self) -> None:
        from app.import_dialog import ImportDialog

        if not self.confirm_discard():
            return
        dialog = ImportDialog(self)
        if dialog.exec() and dialog.document is not None:
            self.model.set_document(dialog.document, None, True)
            self.fit_view()

    def save(self) -> bool:
        if self.model.path is None:
            return self.save_as()
        self.model.save()
        self.trust_store.trust(self.model.doc)  # what I wrote myself is mine
        self._clear_recovery()
        self.statusBar().showMessage(f"saved {self.model.path}", 3000)
        return True

    def save_as(self) -> bool:
        name, _ = QFileDialog.getSaveFileName(self, "Save project", str(self._last_dir() / "project.json"),
                                              "TorchCanvas projects (*.json)")
        if not name:
            return False
        self.model.save(Path(name))
        self.trust_store.trust(self.model.doc)
        self._remember_recent(Path(name))
        self._clear_recovery()
        return True

    def export(self, kind: str) -> None:
        from codegen.compiler import build_from_compiled
        from codegen.export import export_onnx, export_python, save_weights

        compiled = self.model.compiled
        if compiled is None:
            QMessageBox.warning(self, "Export", f"The model does not compile yet:\n{self.model.compile_error}")
            return
        suffix = {"py": "py", "safetensors": "safetensors", "onnx": "onnx"}[kind]
        base = (self.model.path.with_suffix(f".{suffix}") if self.model.path else Path(f"model.{suffix}"))
        name, _ = QFileDialog.getSaveFileName(self, "Export", str(base), f"*.{suffix}")
        if not name:
            return
        try:
            if kind == "py":
                export_python(compiled, name)
            else:
                model = getattr(self, "trained_model", None) or build_from_compiled(compiled)
                if kind == "safetensors":
                    save_weights(model, name)
                else:
                    export_onnx(self.model.doc, compiled, model, name)
        except Exception as exc:  # noqa: BLE001 - any export failure is shown, never a crash
            QMessageBox.critical(self, "Export failed", str(exc))
            return
        self.statusBar().showMessage(f"exported {name}", 4000)

    def _last_dir(self) -> Path:
        return self.model.path.parent if self.model.path else Path.home()

    def _remember_recent(self, path: Path) -> None:
        recent = [p for p in self.settings.value("recent", [], list) if p != str(path)]
        self.settings.setValue("recent", [str(path), *recent][:10])
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        settings = getattr(self, "settings", None)
        for p in (settings.value("recent", [], list) if settings else []):
            self.recent_menu.addAction(p, lambda p=p: self.confirm_discard() and self.open_project(Path(p)))

    def _fill_templates(self) -> None:
        self.templates_menu.clear()
        folders = [RESOURCES / "templates", RESOURCES / "examples"]
        for folder in folders:
            for path in sorted(folder.glob("*.json")) if folder.exists() else []:
                try:
                    title = json.loads(path.read_text()).get("name", path.stem)
                except (OSError, ValueError):
                    continue
                self.templates_menu.addAction(title, lambda p=path: self.new_from_template(p))

    def new_from_template(self, path: Path) -> None:
        if self.confirm_discard() and self.open_project(path, trust=True):
            self.model.path = None  # a template is a starting point, not the file to overwrite
            for entry in self.model.doc.recipe.get("init_from", []):  # keep pretrained files reachable
                if not Path(entry["file"]).is_absolute():
                    entry["file"] = str((path.parent / entry["file"]).resolve())
            self.model.undo_stack.resetClean()
            self._update_title()

    # -- autosave and recovery ----------------------------------------------------------------
    def recovery_path(self) -> Path:
        key = str(self.model.path.resolve()) if self.model.path else "untitled"
        import hashlib

        return app_home() / "recovery" / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".json")

    def autosave(self) -> Path | None:
        if not self.model.modified:
            return None
        path = self.recovery_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"original": str(self.model.path) if self.model.path else None, "project": dumps(self.model.doc)}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload))
        tmp.replace(path)
        return path

    def _clear_recovery(self) -> None:
        self.recovery_path().unlink(missing_ok=True)

    def _offer_recovery(self, path: Path | None, interactive: bool) -> None:
        rec = self.recovery_path()
        if not rec.exists():
            return
        if interactive:
            answer = QMessageBox.question(self, "Recover unsaved work?",
                                          "TorchCanvas closed without saving this project. Restore the "
                                          "automatically saved copy?")
            if answer != QMessageBox.Yes:
                return
        self.restore_recovery(rec)

    def offer_untitled_recovery(self) -> bool:
        """At start-up: an unsaved, never-named project from a session that crashed."""
        rec = app_home() / "recovery" / (__import__("hashlib").sha1(b"untitled").hexdigest()[:16] + ".json")
        if not rec.exists():
            return False
        answer = QMessageBox.question(self, "Recover unsaved work?", "TorchCanvas closed without saving an "
                                      "untitled project. Restore the automatically saved copy?")
        if answer != QMessageBox.Yes:
            rec.unlink(missing_ok=True)
            return False
        restored = self.restore_recovery(rec)
        self.model.path = None
        return restored

    def restore_recovery(self, rec: Path) -> bool:
        try:
            payload = json.loads(rec.read_text())
            doc = loads(payload["project"], self.model.registry)
        except (OSError, ValueError, KeyError, ProjectFileError) as exc:
            self.statusBar().showMessage(f"the recovery copy cannot be read: {exc}")
            return False
        path = self.model.path
        self.model.set_document(doc, path, self.trust_store.is_trusted(doc))
        self.model.undo_stack.resetClean()  # recovered work is unsaved work
        self._update_title()
        return True

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
        g = self.model.doc.scope(self.model.scope)
        ids = [i for i in self.model.selection if i in g.nodes]
        if not ids:
            return None
        nodes = [json.loads(json.dumps({"id": n.id, "type": n.type, "label": n.label, "params": n.params,
                                        "position": list(n.position)})) for n in (g.nodes[i] for i in ids)]
        edges = [[e.src, e.src_port, e.dst, e.dst_port] for e in g.edges if e.src in ids and e.dst in ids]
        return {"nodes": nodes, "edges": edges}

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
            payload = json.loads(bytes(mime.data(CLIP_MIME)).decode())
        doc, scope = self.model.doc, self.model.scope
        id_map: dict[str, str] = {}
        taken_ids: set[str] = set()
        taken_labels: set[str] = set()
        edits = []
        for n in payload["nodes"]:
            node = new_node(doc, scope, n["type"], label=n["label"], params=n["params"],
                            position=(n["position"][0] + offset, n["position"][1] + offset),
                            taken_ids=taken_ids, taken_labels=taken_labels)
            taken_ids.add(node.id)
            taken_labels.add(node.label)
            id_map[n["id"]] = node.id
            edits.append(AddNode(scope, node))
        for src, sp, dst, dp in payload["edges"]:
            edits.append(Connect(scope, Edge(id_map[src], sp, id_map[dst], dp)))
        self.model.push(Batch(edits, f"paste {len(id_map)} node(s)"))
        self.model.select(list(id_map.values()))
        return list(id_map.values())

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
