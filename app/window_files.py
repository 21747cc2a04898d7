"""The file side of the main window: new, open (with the trust question), save, export, templates, recovery.

Mixed into MainWindow like the training side; the policies themselves live
below app/ (`graph.recovery` for autosave, `graph.fileformat` for saving), so
this file only asks and shows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.paths import app_home
from app.trust_dialog import ask_trust
from graph import Document, ProjectFileError, load
from graph.recovery import clear_recovery, read_recovery, recovery_path, write_recovery
from graph.trust import GRANT_GUI, has_code

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


class FilesMixin:
    """Mixed into MainWindow; keeps the editor file about editing."""

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

    def ask_trust(self, doc: Document, reason: str = "") -> bool:
        if ask_trust(self, doc, reason):
            self.trust_store.trust(doc)
            return True
        return False

    def trust_current(self) -> None:
        self.trust_store.trust(self.model.doc)
        self.model.trusted = True
        self.model.analyse()
        self.model.recompile()

    def ensure_trusted(self, reason: str) -> bool:
        """Before anything runs the project's code: True when trusted, else ask (Train, export)."""
        if self.model.trusted or not has_code(self.model.doc):
            return True
        if self.ask_trust(self.model.doc, reason):
            self.model.trusted = True
            self.model.analyse()
            self.model.recompile()
            return True
        self.statusBar().showMessage(f"{reason}: this project's code is not trusted; {GRANT_GUI}", 10000)
        return False

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
        self._keep_trust()
        self._clear_recovery()
        self.statusBar().showMessage(f"saved {self.model.path}", 3000)
        return True

    def save_as(self) -> bool:
        name, _ = QFileDialog.getSaveFileName(self, "Save project", str(self._last_dir() / "project.json"),
                                              "TorchCanvas projects (*.json)")
        if not name:
            return False
        self.model.save(Path(name))
        self._keep_trust()
        self._remember_recent(Path(name))
        self._clear_recovery()
        return True

    def _keep_trust(self) -> None:
        """Saving never trusts: only code this window already runs (trusted, or written here) stays trusted."""
        if self.model.trusted and has_code(self.model.doc):
            self.trust_store.trust(self.model.doc)

    def export(self, kind: str) -> None:
        from codegen.compiler import build_from_compiled, compile_document
        from codegen.errors import CompileError
        from codegen.export import export_onnx, export_python, save_weights

        if kind != "py" and not self.ensure_trusted("Export needs to build the model"):
            return
        self.model.recompile()  # what is on the canvas now, not the last timer's result
        compiled = self.model.compiled
        if compiled is None and kind == "py" and not self.model.trusted:
            try:  # the text, to read: nothing runs, unknown sizes are None and a comment says so
                compiled = compile_document(self.model.doc, partial=True)
            except CompileError:
                compiled = None
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
        return recovery_path(app_home(), self.model.path)

    def autosave(self) -> Path | None:
        if not self.model.modified:
            return None
        return write_recovery(app_home(), self.model.path, self.model.doc)

    def _clear_recovery(self) -> None:
        clear_recovery(app_home(), self.model.path)

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
        rec = recovery_path(app_home(), None)
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
            doc = read_recovery(rec, self.model.registry)
        except ProjectFileError as exc:
            self.statusBar().showMessage(str(exc))
            return False
        path = self.model.path
        self.model.set_document(doc, path, self.trust_store.is_trusted(doc))
        self.model.undo_stack.resetClean()  # recovered work is unsaved work
        self._update_title()
        return True
