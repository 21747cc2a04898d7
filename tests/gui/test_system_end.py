"""Logout, `kill` and Ctrl+C end the window like File › Quit: no question asked, unsaved edits kept for recovery."""

import os
import signal

import pytest
from PySide6.QtCore import QPointF

from app.launch import EXAMPLE
from app.system_end import end_on_signals
from graph.recovery import read_recovery
from tests.gui.launched_app import run_until_then_sigterm


def test_sigterm_keeps_the_unsaved_edit_for_recovery_and_asks_nothing(make_window, qtbot, tmp_path, app_home):
    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    window = make_window(project)
    asked = []
    window.confirm_discard = lambda: asked.append("discard") or True
    window.confirm_quit = lambda: asked.append("quit") or True
    window.add_node_at("Tanh", QPointF(40, 400))
    assert window.model.modified
    ended = []
    restore = end_on_signals(window, then=lambda: ended.append(True))
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # Qt's event loop, waiting below, reads it from the wake-up socket
        qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
    finally:
        restore()
    assert ended and window.ended_by == "SIGTERM"
    assert not window.isVisible() and asked == []
    copies = list((app_home / "recovery").glob("*.json"))
    assert len(copies) == 1, "the unsaved edit has a recovery copy"
    doc = read_recovery(copies[0], window.model.file_registry)
    assert [n.type for n in doc.graph.nodes.values()].count("Tanh") == 1


@pytest.mark.parametrize("when", ["while torch loads", "when ready"])
def test_the_app_ends_with_code_0_and_no_leak_report_on_sigterm(tmp_path, when):
    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    _, code, err = run_until_then_sigterm(
        tmp_path, project, lambda report: when == "while torch loads" or report.get("worker_ready"))
    assert code == 0, err[-2000:]
    assert "Traceback" not in err and "leaked" not in err, err[-2000:]


def test_a_signal_ignored_at_start_stays_ignored(make_window):
    """`nohup` starts the app with SIGHUP ignored: closing the terminal must not end it."""
    window = make_window()
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        restore = end_on_signals(window, then=lambda: None)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        restore()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, before)


def test_a_signal_someone_else_handles_does_not_end_the_window(make_window, qtbot):
    """Python writes a wake-up byte for every signal with a Python handler; only ours end the session."""
    window = make_window()
    window.show()
    seen, ended = [], []
    before = signal.signal(signal.SIGUSR1, lambda *_: seen.append("USR1"))
    restore = end_on_signals(window, then=lambda: ended.append(True))
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
        qtbot.wait(200)  # the wake-up byte has been read by now
        assert window.isVisible() and window.ended_by is None and not ended
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
        assert window.ended_by == "SIGTERM"
    finally:
        restore()
        signal.signal(signal.SIGUSR1, before)
