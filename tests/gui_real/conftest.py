"""Real-window tests: the app in Xvfb with the xcb platform, driven by xdotool (run by `make test-real`)."""

import os

import pytest

from tests.gui_real.harness import App, Display, missing_tools


def pytest_collection_modifyitems(items):
    for item in items:
        if "gui_real" in str(item.fspath):
            item.add_marker(pytest.mark.gui_real)


@pytest.fixture(scope="session")
def display():
    missing = missing_tools()
    if missing:
        message = f"real-window tests need {', '.join(missing)} (apt: xvfb xdotool imagemagick)"
        if os.environ.get("TORCHCANVAS_REAL_WINDOW") == "required":
            pytest.fail(message)
        pytest.skip(message)
    d = Display()
    yield d
    d.close()


@pytest.fixture
def start_app(display, tmp_path):
    """Starts the app (one or several times, one after the other) with a private home folder."""
    apps: list[App] = []

    def start(*args: str, home=None) -> App:
        app = App(display, home or tmp_path / "home", list(args), cwd=tmp_path)
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.kill()
