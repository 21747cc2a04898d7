"""The main window: canvas in the middle, palette, inspector, problems and code around it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.canvas.minimap import Minimap
from app.canvas.scene import GraphScene
from app.canvas.view import GraphView
from app.catalogue_cache import load_cached
from app.catalogue_cache import store as store_catalogue
from app.codeview import CodeView
from app.editor.model import EditorModel
from app.engine_loader import EngineLoader
from app.gui_gc import settle_start_up_heap
from app.inspector import Inspector
from app.key_focus import claim_for_panel
from app.palette import Palette
from app.paths import app_home
from app.perspectives import Perspectives
from app.problem_view import status
from app.problems import ProblemsList
from app.shortcuts import sequences
from app.window_editing import EditingMixin
from app.window_files import RESOURCES, FilesMixin
from app.window_training import TrainingMixin
from graph import ROOT, Document
from graph.recovery import AUTOSAVE_SECONDS, clear_recovery
from graph.trust import has_code
from runtime.trust import TrustStore

__all__ = ["RESOURCES", "MainWindow"]


class MainWindow(TrainingMixin, FilesMixin, EditingMixin, Perspectives, QMainWindow):
    """The editor window.

    With `background=True` (the app itself) nothing that imports torch runs
    before the window is on screen: the palette and canvas use the cached
    catalogue, and `EngineLoader` imports torch, the compiler and the analysis
    in a thread started by the first show; shapes and code appear when it is
    done. Scripts and tests leave it False and get everything at once.
    """

    def __init__(self, trust_store: TrustStore | None = None, background: bool = False) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.ended_by: str | None = None  # the signal that ended the session (`end_session`), if one did
        self.exits_process = False  # set by `app.launch`: closing then need not wait for the engine's import
        self.settings = QSettings(str(app_home() / "settings.ini"), QSettings.IniFormat)
        self.loader = EngineLoader(self) if background else None
        early = load_cached(app_home()) if background else None
        self.model = EditorModel(self, deferred=background, early_registry=early)
        self.trust_store = trust_store or TrustStore()
        self.scene = GraphScene(self.model)
        self.view = GraphView(self.scene)
        self.view.dropped.connect(self.add_node_at)
        self.view.context_menu_requested.connect(self._show_context_menu)
        self.scene.refused.connect(self.show_refusal)
        self.model.refused.connect(self.show_refusal)
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

        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self.model.title_changed.connect(self._update_title)
        self.model.scope_changed.connect(self._update_breadcrumb)
        self.model.scope_changed.connect(self._show_graph_soon)
        self.model.selection_changed.connect(self._update_actions)
        self.model.undo_stack.canUndoChanged.connect(self._update_actions)
        seconds = max(1, self.settings.value("autosave/seconds", AUTOSAVE_SECONDS, int))
        self.autosave_timer = QTimer(self, interval=seconds * 1000)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.setup_training()
        self.setup_perspectives()
        self.minimap = Minimap(self.view)
        self._fill_help_menu()
        self._restore_layout()
        self._update_breadcrumb()
        self._update_title()
        self.model.set_document(Document())
        if self.loader is not None:
            self.view.first_painted.connect(self._start_engine)
            self.loader.ready.connect(self._engine_ready)
            self.loader.failed.connect(lambda problems: status(self, problems, "cannot load PyTorch: ", 0))
            self.statusBar().showMessage("loading PyTorch…")

    def _start_engine(self) -> None:
        if self.loader is not None and self.loader.thread is None:
            QTimer.singleShot(0, self.loader.start)  # after the first paint
            QTimer.singleShot(0, self.trainer.warm_up)  # the training process warms up meanwhile

    def _engine_ready(self, registry) -> None:
        settle_start_up_heap(QApplication.instance())
        self.model.engine_ready(registry)
        self.palette.set_registry(registry)
        store_catalogue(app_home(), registry)
        if self.statusBar().currentMessage() == "loading PyTorch…":
            self.statusBar().clearMessage()

    has_code = staticmethod(has_code)

    # -- layout -----------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _restore_layout(self) -> None:
        """The window's size and the current perspective's arrangement (app.perspectives)."""
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.apply_perspective()

    def _save_layout(self) -> None:
        self.remember_perspective()
        self.settings.setValue("window/geometry", self.saveGeometry())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_arranged", False):  # dock sizes need a laid-out window: once, when first shown
            self._arranged = True
            self.apply_perspective()

    def event(self, event: QEvent) -> bool:
        # a key no focused widget claimed ends here before it triggers a shortcut (app.key_focus)
        if event.type() == QEvent.ShortcutOverride and claim_for_panel(
                event, QApplication.focusWidget(), self.centralWidget(), self.actions):
            return True
        return super().event(event)

    # -- actions ------------------------------------------------------------------------
    def _action(self, key: str, text: str, slot: Callable[[], object], menu: QMenu | None = None,
                tip: str = "") -> QAction:
        """An action whose keys come from the one shortcut table (app.shortcuts)."""
        action = QAction(text, self)
        self._bind(key, action)
        action.triggered.connect(lambda _checked=False: slot())  # never pass `checked` on as an argument
        action.setStatusTip(tip)
        if menu is not None:
            menu.addAction(action)
        return action

    def _bind(self, key: str, action: QAction) -> None:
        keys = [QKeySequence(s) for s in sequences(key)]
        action.setShortcuts(keys)
        action.setShortcutContext(Qt.WindowShortcut)
        if keys:
            action.setToolTip(f"{action.text().replace('&', '')}  ({keys[0].toString(QKeySequence.NativeText)})")
        self.addAction(action)
        self.actions[key] = action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action("new", "&New", self.new_project, file_menu)
        self.templates_menu = file_menu.addMenu("New from &template")
        self._fill_templates()
        self._action("open", "&Open…", self.open_dialog, file_menu)
        self._action("import", "&Import PyTorch model…", self.import_dialog, file_menu)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent()
        file_menu.addSeparator()
        self._action("save", "&Save", self.save, file_menu)
        self._action("save_as", "Save &as…", self.save_as, file_menu)
        export = file_menu.addMenu("&Export")
        self._action("export_py", "PyTorch source (.py)…", lambda: self.export("py"), export)
        self._action("export_st", "Weights (.safetensors)…", lambda: self.export("safetensors"), export)
        self._action("export_onnx", "ONNX (.onnx)…", lambda: self.export("onnx"), export)
        file_menu.addSeparator()
        self._action("quit", "&Quit", self.close, file_menu)

        edit = bar.addMenu("&Edit")
        undo = self.model.undo_stack.createUndoAction(self, "&Undo")
        redo = self.model.undo_stack.createRedoAction(self, "&Redo")
        self._bind("undo", undo)
        self._bind("redo", redo)
        edit.addActions([undo, redo])
        edit.addSeparator()
        self._action("cut", "Cu&t", self.cut, edit)
        self._action("copy", "&Copy", self.copy, edit)
        self._action("paste", "&Paste", self.paste, edit)
        self._action("duplicate", "&Duplicate", self.duplicate, edit)
        self._action("delete", "De&lete", self.delete_selection, edit)
        self._action("select_all", "Select &all", self.select_all, edit)
        edit.addSeparator()
        self._action("find", "Find layer…", self.focus_palette, edit)

        graph_menu = bar.addMenu("&Graph")
        self._action("group", "&Group into sub-network", self.group_selection, graph_menu)
        self._action("ungroup", "&Ungroup", self.ungroup_selection, graph_menu)
        self._action("parent", "Back to &parent", self.go_to_parent, graph_menu)
        graph_menu.addSeparator()
        self._action("layout", "Auto-&layout", self.auto_layout, graph_menu)

        view = bar.addMenu("&View")
        self._action("fit", "&Fit to view", self.fit_view, view)
        self._action("zoom_in", "Zoom &in", lambda: self.view.zoom(1.25), view)
        self._action("zoom_out", "Zoom &out", lambda: self.view.zoom(0.8), view)
        self._action("zoom_reset", "Zoom to &100 %", self.view.reset_zoom, view)
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

    def _fill_help_menu(self) -> None:
        help_menu = self.menuBar().addMenu("&Help")
        self._action("shortcuts", "&Keyboard shortcuts", self.show_shortcuts, help_menu)

    def show_shortcuts(self) -> QMessageBox:
        from app.shortcuts import rows

        table = "".join(f"<tr><td>{text}</td><td style='padding-left:18px'><b>{keys}</b></td></tr>"
                        for text, keys in rows())
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", f"<table>{table}</table>",
                          QMessageBox.Close, self)
        box.setTextFormat(Qt.RichText)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
        return box

    def show_refusal(self, problems: list) -> None:
        status(self, problems, ms=8000)

    def _crumb_clicked(self, _link: str) -> None:
        self.model.enter(ROOT)

    def _show_graph_soon(self) -> None:
        QTimer.singleShot(0, self.view.show_graph)

    def _update_actions(self, *_args) -> None:
        sel = self.model.selection
        self.actions["group"].setEnabled(bool(sel))
        self.actions["ungroup"].setEnabled(self.can_ungroup())
        self.actions["parent"].setEnabled(self.model.scope != ROOT)

    def _update_title(self) -> None:
        self.setWindowTitle(self.model.title())
        self.setWindowModified(self.model.modified)

    def _update_breadcrumb(self) -> None:
        parts = [f"<a href='' style='color:#8cc8ff'>{self.model.doc.name or 'model'}</a>"]
        if self.model.scope != ROOT:
            parts.append(f"<b>{self.model.scope}</b>")
        back = QKeySequence(sequences("parent")[0]).toString(QKeySequence.NativeText)
        self.breadcrumb.setText(" › ".join(parts) + ("" if self.model.scope == ROOT else
                                                      f"  <span style='color:#8a93a6'>({back}: back)</span>"))
        self._update_actions()

    # -- closing -------------------------------------------------------------------------------
    def end_session(self, reason: str) -> None:
        """The system ends the app (`app.system_end`): close without asking, unsaved edits kept for recovery."""
        self.ended_by = reason
        self.close()

    def closeEvent(self, event) -> None:
        if self.ended_by:
            self.autosave()  # nobody can answer "Save changes?": the next start offers this copy
        elif not (self.confirm_quit() and self.confirm_discard()):
            event.ignore()
            return
        else:
            clear_recovery(app_home(), self.model.identity)  # saved or deliberately discarded
        self._save_layout()
        self.settings.sync()
        self.shutdown(wait_engine=not self.exits_process)
        event.accept()
