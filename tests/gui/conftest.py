import pytest


@pytest.fixture(autouse=True)
def app_home(tmp_path, monkeypatch):
    """Each GUI test gets its own settings, trust list and recovery folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("TORCHCANVAS_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A modal dialog would block an offscreen test forever: fail loudly instead."""
    from PySide6.QtWidgets import QMessageBox

    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected modal dialog: {args[1:3]}")

    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, refuse)
    monkeypatch.setattr(QMessageBox, "exec", refuse)


@pytest.fixture
def plots(qtbot):
    """The training dashboard shown at a desktop size, empty."""
    from app.plots.dashboard import TrainingPlots
    from tests.gui.widget_support import shown

    return shown(qtbot, TrainingPlots(), 1300, 620)
