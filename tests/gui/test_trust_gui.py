"""Trust in the window: only the dialog's "Trust and run" (or the Train menu) lets project code run."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox

from app.main_window import MainWindow
from app.trust_dialog import DECLINE_BUTTON, TRUST_BUTTON
from codegen.catalogue import registry
from graph import load, save
from graph.builder import Builder
from graph.edits import SetCode
from runtime.trust import TrustStore
from tests.runtime.test_trust import MARKING, markers


def downloaded(tmp_path: Path, connected: bool = False) -> Path:
    """Digits MLP plus a code node whose module, __init__ and forward leave marker files."""
    b = Builder("downloaded").use_registry(registry())
    x = b.input("x", [64])
    b.doc.code["mark"] = MARKING.format(marker=str(tmp_path / "marker"))
    code = b.add("Code", x, "mark", code="mark")
    h = b.add("ReLU", b.add("Linear", code if connected else x, "fc1", out_features=32), "act")
    b.output(b.add("Linear", h, "fc2", out_features=10), "logits")
    b.doc.recipe = {"dataset": {"name": "digits", "flat": True}, "epochs": 1, "max_steps": 3,
                    "checkpoint_every": 0, "activation_every": 0}
    path = tmp_path / "downloaded.json"
    save(b.doc, path)
    return path


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    w.confirm_discard = lambda: True
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


@pytest.fixture
def real_dialogs(monkeypatch):
    """Lets the trust dialog really open (the suite refuses modal dialogs by default)."""
    monkeypatch.setattr(QMessageBox, "exec", lambda self: QDialog.exec(self))


def press_f5(qtbot, window) -> None:
    """The Train shortcut as key events, once the window is active again after a dialog."""
    window.activateWindow()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    QTest.keySequence(window, QKeySequence("F5"))


def answer(button_text: str, seen: list[str]) -> None:
    """Clicks `button_text` in the next modal dialog, as a person would, and records its text."""
    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QMessageBox):
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog.text())
        button = next(b for b in dialog.buttons() if b.text() == button_text)
        button.click()

    QTimer.singleShot(20, poll)


def test_saving_an_untrusted_project_does_not_trust_it(window, tmp_path, monkeypatch):
    path = downloaded(tmp_path)
    assert window.open_project(path, interactive=False)
    assert not window.model.trusted
    window.model.push(SetCode("note", "# a note\n"))  # a change, then File › Save
    assert window.save()
    other = tmp_path / "copy.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(other), ""))
    assert window.save_as()
    for saved in (path, other):
        assert not TrustStore().is_trusted(load(saved, registry()))
        fresh = MainWindow()
        fresh.confirm_discard = lambda: True
        assert fresh.open_project(saved, interactive=False)
        assert not fresh.model.trusted
        fresh.model.recompile()
        fresh.close()
    assert markers(tmp_path) == []


def test_code_trusted_in_this_window_stays_trusted_when_edited_and_saved(window, tmp_path):
    path = downloaded(tmp_path)
    assert window.open_project(path, interactive=False)
    window.trust_current()  # Train › Trust project code: the explicit act
    window.model.push(SetCode("mark", window.model.doc.code["mark"] + "\n# my edit\n"))
    assert window.save()
    assert TrustStore().is_trusted(load(path, registry()))


def test_f5_after_open_without_running_code_offers_trust_and_runs_nothing_when_declined(
        window, qtbot, tmp_path, real_dialogs):
    path = downloaded(tmp_path)  # the code node is dangling: its output goes nowhere
    seen: list[str] = []
    answer(DECLINE_BUTTON, seen)
    assert window.open_project(path)
    assert not window.model.trusted and len(seen) == 1
    answer("Don't run it", seen)
    press_f5(qtbot, window)
    assert len(seen) == 2 and "code node 'mark'" in seen[1]
    assert window.trainer.process is None  # nothing started, so nothing ran
    message = window.statusBar().currentMessage()
    assert "not trusted" in message and "Train › Trust project code" in message
    assert "does not compile" not in message
    assert markers(tmp_path) == []

    answer(TRUST_BUTTON, seen)
    press_f5(qtbot, window)
    assert len(seen) == 3 and window.model.trusted
    qtbot.waitUntil(lambda: window.trainer.process is not None and not window.trainer.running, timeout=120_000)
    assert window.trainer.process.finished.status == "finished", window.trainer.process.finished
    assert "marker.init" in markers(tmp_path)  # it ran in the worker, after the yes
    assert TrustStore().is_trusted(load(path, registry()))


def test_connected_untrusted_code_offers_trust_instead_of_an_empty_compile_error(window, qtbot, tmp_path,
                                                                              real_dialogs):
    path = downloaded(tmp_path, connected=True)
    assert window.open_project(path, interactive=False)
    seen: list[str] = []
    answer("Don't run it", seen)
    assert not window.start_training()
    assert seen and window.trainer.process is None
    message = window.statusBar().currentMessage()
    assert "Train › Trust project code" in message and not message.rstrip().endswith(":")
    assert markers(tmp_path) == []


def test_export_onnx_of_untrusted_code_asks_first_and_runs_nothing(window, qtbot, tmp_path, real_dialogs,
                                                                  monkeypatch):
    path = downloaded(tmp_path)
    assert window.open_project(path, interactive=False)
    target = tmp_path / "model.onnx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    seen: list[str] = []
    answer("Don't run it", seen)
    window.export("onnx")
    assert seen and not target.exists() and markers(tmp_path) == []


def test_export_py_of_untrusted_code_writes_text_without_running_it(window, tmp_path, monkeypatch):
    path = downloaded(tmp_path, connected=True)
    assert window.open_project(path, interactive=False)
    target = tmp_path / "model.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.export("py")
    text = target.read_text()
    assert "class Mark(nn.Module)" in text and "NOTE: this project's custom code was not trusted" in text
    assert markers(tmp_path) == []
