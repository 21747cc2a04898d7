"""Files in the main window: new, open, save, export, recent files, templates, autosave and recovery.

The recovery policy (copies keyed by the document's identity, removed on
save, offered only when newer than the file and their writer is gone) is
`graph.recovery`; this mixin asks the person and shows the result.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.paths import app_home
from app.problem_view import report, status
from app.trust_dialog import ask_trust
from graph import Document, ProjectFileError, load
from graph.document import make_identifier
from graph.recovery import (
    RecoveryCopy,
    clear_recovery,
    read_recovery,
    recovery_offers,
    write_recovery,
)
from graph.trust import GRANT_GUI, code_that_runs, has_code
from runtime.report import ENGINE_LOADING, print_error, problems_of

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


class FilesMixin:
    """Mixed into MainWindow (needs `model`, `settings`, `trust_store`, `statusBar`)."""

    # -- asking before work is lost --------------------------------------------------------------
    def confirm_discard(self) -> bool:
        if not self.model.modified:
            return True
        answer = QMessageBox.question(self, "Unsaved changes", "Save the changes to this project first?",
                                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def confirm_leave(self) -> bool:
        """Before the document is replaced: unsaved changes, and a run still training."""
        return self.confirm_discard() and self.confirm_quit()

    def dialog_dir(self) -> Path:
        """Where file dialogs open: the project's folder, else the last one used, else the working folder."""
        if self.model.path is not None:
            return self.model.path.resolve().parent
        last = self.settings.value("files/last_dir", "", str)
        if last and Path(last).is_dir():
            return Path(last)
        return Path.cwd()

    def _remember_dir(self, chosen: str | Path) -> None:
        self.settings.setValue("files/last_dir", str(Path(chosen).resolve().parent))

    def suggested_name(self, suffix: str) -> str:
        stem = self.model.path.stem if self.model.path else make_identifier(self.model.doc.name or "project")
        return f"{stem}.{suffix}"

    # -- documents ---------------------------------------------------------------------------------
    def new_project(self) -> None:
        if self.confirm_leave():
            self._replace_document(Document())

    def _replace_document(self, doc: Document, path: Path | None = None, trusted: bool = True) -> None:
        clear_recovery(app_home(), self.model.identity)  # the one we leave was saved or discarded
        self.model.set_document(doc, path, trusted)

    def open_project(self, path: Path, interactive: bool = True, trust: bool | None = None) -> bool:
        """Opens a project; a bad file leaves the current document untouched and says why."""
        path = Path(path)
        try:
            doc = load(path, self.model.file_registry)
        except ProjectFileError as exc:  # the records the command line prints
            if interactive:
                report(self, "Cannot open project", problems_of(exc, path))
            else:
                print_error(path, exc)
            return False
        trusted = trust if trust is not None else self.trust_store.is_trusted(doc)
        if not trusted and interactive and self.has_code(doc):
            trusted = self.ask_trust(doc)
        self._replace_document(doc, path, trusted)
        self._remember_recent(path)
        self._offer_recovery(path, interactive)
        QTimer.singleShot(0, self.view.show_graph)
        if not trusted and self.has_code(doc):
            self.statusBar().showMessage("This project's code has not been trusted: code nodes are shown but "
                                         "not run. Use Train › Trust project code to run it.")
        return True

    def ask_trust(self, doc: Document, reason: str = "") -> bool:
        if ask_trust(self, doc, reason):
            self.trust_store.trust(doc)
            return True
        return False

    def trust_current(self) -> None:
        self.trust_store.trust(self.model.doc)
        self.model.trusted = True
        self.model.analyse()

    def ensure_trusted(self, reason: str, training: bool = True) -> bool:
        """Before anything runs the project's code: True when trusted, else ask (Train, export).

        `training=False`: only the model is built, so only code nodes count (hooks and a loss do not run).
        """
        if self.model.trusted or not code_that_runs(self.model.doc, training):
            return True
        if self.ask_trust(self.model.doc, reason):
            self.model.trusted = True
            self.model.analyse()
            return True
        self.statusBar().showMessage(f"{reason}: this project's code is not trusted; {GRANT_GUI}", 10000)
        return False

    def open_dialog(self) -> None:
        if not self.confirm_leave():
            return
        name, _ = QFileDialog.getOpenFileName(self, "Open project", str(self.dialog_dir()),
                                              "TorchCanvas projects (*.json)")
        if name:
            self._remember_dir(name)
            self.open_project(Path(name))

    def import_dialog(self) -> None:
        from app.import_dialog import ImportDialog

        if not self.confirm_leave():
            return
        dialog = ImportDialog(self)
        if dialog.exec() and dialog.document is not None:
            self._replace_document(dialog.document, None, True)
            self.view.show_graph()

    def save(self) -> bool:
        if self.model.path is None:
            return self.save_as()
        return self._save_to(self.model.path)

    def save_as(self) -> bool:
        name, _ = QFileDialog.getSaveFileName(self, "Save project", str(self.dialog_dir() / self.suggested_name("json")),
                                              "TorchCanvas projects (*.json)")
        if not name:
            return False
        self._remember_dir(name)
        return self._save_to(Path(name))

    def _save_to(self, path: Path) -> bool:
        first_save = self.model.path is None
        old_runs = self.runs_dir() if hasattr(self, "runs_dir") else None
        try:
            self.model.save(path)
        except OSError as exc:
            report(self, "Cannot save", problems_of(exc, path))
            return False
        self._keep_trust()
        clear_recovery(app_home(), self.model.identity)
        self._remember_recent(path)
        if first_save and old_runs is not None and hasattr(self, "adopt_runs"):
            self.adopt_runs(old_runs)
        self.statusBar().showMessage(f"saved {path}", 3000)
        return True

    def _keep_trust(self) -> None:
        """Saving never trusts: only code this window already runs (trusted, or written here) stays trusted."""
        if self.model.trusted and has_code(self.model.doc):
            self.trust_store.trust(self.model.doc)

    def export(self, kind: str) -> None:
        from codegen.compiler import build_from_compiled, compile_document
        from codegen.errors import CompileError
        from codegen.export import export_onnx, export_python, save_weights

        if kind != "py" and not self.ensure_trusted("Export needs to build the model", training=False):
            return
        compiled = self.model.current_compiled()  # what is on the canvas now, formatted
        if compiled is None and kind == "py" and not self.model.trusted:
            try:  # the text, to read: nothing runs, unknown sizes are None and a comment says so
                compiled = compile_document(self.model.doc, partial=True)
            except CompileError:
                compiled = None
        if compiled is None:
            report(self, "Export: the model does not compile yet", self.model.compile_problems or [ENGINE_LOADING],
                   warning=True)
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export", str(self.dialog_dir() / self.suggested_name(kind)),
                                              f"*.{kind}")
        if not name:
            return
        self._remember_dir(name)
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
            report(self, "Export failed", problems_of(exc, name))
            return
        self.statusBar().showMessage(f"exported {name}", 4000)

    # -- recent files and templates -------------------------------------------------------------
    def _remember_recent(self, path: Path) -> None:
        if RESOURCES in Path(path).resolve().parents:
            return  # templates are in their own menu
        recent = [p for p in self.settings.value("recent", [], list) if p != str(path)]
        self.settings.setValue("recent", [str(path), *recent][:10])
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        settings = getattr(self, "settings", None)
        for p in (settings.value("recent", [], list) if settings else []):
            self.recent_menu.addAction(p, lambda p=p: self.confirm_leave() and self.open_project(Path(p)))

    def _fill_templates(self) -> None:
        self.templates_menu.clear()
        for folder in (RESOURCES / "templates", RESOURCES / "examples"):
            for path in sorted(folder.glob("*.json")) if folder.exists() else []:
                try:
                    title = json.loads(path.read_text()).get("name", path.stem)
                except (OSError, ValueError):
                    continue
                self.templates_menu.addAction(title, lambda p=path: self.new_from_template(p))

    def new_from_template(self, path: Path) -> None:
        if self.confirm_leave() and self.open_project(path, trust=True):
            self.model.path = None  # a template is a starting point, not the file to overwrite
            for entry in self.model.doc.recipe.get("init_from", []):  # keep pretrained files reachable
                if not Path(entry["file"]).is_absolute():
                    entry["file"] = str((path.parent / entry["file"]).resolve())
            self.model.undo_stack.resetClean()
            self.model.title_changed.emit()

    # -- autosave and recovery ----------------------------------------------------------------------
    def autosave(self) -> Path | None:
        """Writes the recovery copy of the open document if it has unsaved changes."""
        if not self.model.modified:
            return None
        return write_recovery(app_home(), self.model.identity, self.model.path, self.model.doc)

    def _ask_recover(self, copy_: RecoveryCopy, what: str) -> bool:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(copy_.saved_at))
        answer = QMessageBox.question(self, "Recover unsaved work?",
                                      f"TorchCanvas ended without saving {what}. An automatic copy from {when} "
                                      "is newer than the saved file. Restore it?")
        return answer == QMessageBox.Yes

    def _offer_recovery(self, path: Path, interactive: bool) -> None:
        offers = recovery_offers(app_home(), path)
        if not offers:
            return
        newest = offers[0]
        if not interactive or self._ask_recover(newest, f"changes to {path.name}"):
            self.restore_recovery(newest)
        for copy_ in offers:
            copy_.file.unlink(missing_ok=True)

    def offer_untitled_recovery(self) -> bool:
        """At start-up: an unsaved, never-named project from a session that ended without saving it."""
        offers = recovery_offers(app_home(), None)
        if not offers:
            return False
        newest = offers[0]
        restored = self._ask_recover(newest, f"an untitled project ({newest.name or 'untitled'})") and \
            self.restore_recovery(newest)
        for copy_ in offers:
            copy_.file.unlink(missing_ok=True)
        if restored:
            self.model.path = None
            self.model.title_changed.emit()
        return restored

    def restore_recovery(self, copy_: RecoveryCopy) -> bool:
        try:
            doc = read_recovery(copy_.file, self.model.file_registry)
        except ProjectFileError as exc:
            status(self, problems_of(exc, copy_.file), "Cannot recover: ", 0)
            return False
        self.model.set_document(doc, self.model.path, self.trust_store.is_trusted(doc))
        self.model.undo_stack.resetClean()  # recovered work is unsaved work
        self.model.title_changed.emit()
        return True
