"""Every error the window shows is a `Problem` record made below app/, with its place (issue #13): a bad project
file's line and column, an export's file, the node a compile problem or a training crash is in."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.launch import EXAMPLE
from graph import save
from graph.edits import SetParam
from tests.runtime.test_crash_site import trapped_doc


@pytest.fixture
def dialogs(monkeypatch):
    """(title, text) of each error dialog the window opens."""
    shown: list[tuple[str, str]] = []
    for name in ("critical", "warning"):
        monkeypatch.setattr(QMessageBox, name, lambda parent, title, text, *a: shown.append((title, text)))
    return shown


@pytest.fixture
def window(make_window, tmp_path):
    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    return make_window(project, trust=True)


def test_a_bad_project_file_says_its_line_and_column(window, dialogs, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "torchcanvas",\n "version": 1, "nodes": [}')
    assert not window.open_project(bad)
    assert dialogs == [("Cannot open project", f"{bad}, line 2, column 26: not valid JSON: Expecting value")]


def test_a_failing_export_names_the_file_and_the_reason(window, dialogs, tmp_path, monkeypatch, qtbot):
    qtbot.waitUntil(lambda: window.model.engine, timeout=60_000)
    folder = tmp_path / "model.py"
    folder.mkdir()  # a folder where the file should go
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(folder), "*.py"))
    window.export("py")
    assert dialogs == [("Export failed", f"{folder}: Is a directory")]


def test_exporting_a_model_that_does_not_compile_lists_its_nodes_problems(window, dialogs, qtbot):
    qtbot.waitUntil(lambda: window.model.engine, timeout=60_000)
    fc2 = window.model.doc.graph.node_by_label("fc2")
    window.model.push(SetParam("", fc2.id, "in_features", 7))
    window.export("py")
    (title, text), = dialogs
    assert title == "Export: the model does not compile yet"
    assert text.startswith(f"{fc2.label}.in_features: ")  # the record's place, as the Problems list shows it


def test_a_training_crash_in_a_code_node_marks_that_node(make_window, tmp_path, qtbot):
    path = tmp_path / "trapped.json"
    save(trapped_doc(), path)
    window = make_window(path, trust=True)
    trap = window.model.doc.graph.node_by_label("trap1").id
    window.start_training()
    qtbot.waitUntil(lambda: not window.trainer.running and window.trainer.process is not None, timeout=120_000)
    expected = "node trap1, code entry 'trap', line 7: ValueError: boom at training time"
    assert window.statusBar().currentMessage().startswith(f"Training failed: {expected}")
    assert window.scene.nodes[trap].error and "boom at training time" in window.scene.nodes[trap].error
