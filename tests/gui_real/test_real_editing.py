"""The first hour with real keys and mouse: palette drag, wiring, clipboard, undo/redo, save, reopen, quit."""

import json
import time

from tests.gui_real.harness import App


def node_types(report):
    return sorted(n["type"] for n in report["nodes"].values())


def by_type(report, type_id):
    return next(n for n in report["nodes"].values() if n["type"] == type_id)


def save_as(app: App, path) -> None:
    """Ctrl+S on an untitled project opens the Save dialog: type the full path, Enter."""
    app.key("ctrl+s")
    app.wait_for(lambda r: "Save project" in r["dialogs"], 30, "the Save dialog")
    time.sleep(0.5)
    app.key("ctrl+a")
    app.type(str(path))
    app.key("Return")
    app.wait_for(lambda r: not r["dialogs"] and r["path"] == str(path), 30, "the project to be saved")
    app.activate()  # no window manager gives the focus back after a dialog closes


def test_build_a_model_by_hand_then_save_reopen_and_quit(start_app, tmp_path):
    app = start_app("--empty")
    app.wait_for(lambda r: r["engine"] and "Linear" in r["palette"] and r["nodes"] == {}, 120, "an empty canvas")
    app.activate()
    canvas = app.probe()["canvas"]
    for k, type_id in enumerate(("Input", "Linear", "Output")):
        start = app.probe()["palette"][type_id]
        app.drag(start, [canvas[0] - 260 + 260 * k, canvas[1] - 60])
        app.wait_for(lambda r, n=k + 1: len(r["nodes"]) == n, 20, f"{type_id} dropped on the canvas")
    report = app.probe()
    assert node_types(report) == ["Input", "Linear", "Output"]
    app.drag(by_type(report, "Input")["out"]["out"], by_type(report, "Linear")["in"]["x"])
    app.drag(by_type(report, "Linear")["out"]["out"], by_type(report, "Output")["in"]["x"])
    report = app.wait_for(lambda r: len(r["edges"]) == 2 and r, 20, "two connections")

    app.click(by_type(report, "Linear")["center"])
    app.wait_for(lambda r: len(r["selection"]) == 1, 10, "Linear selected")
    app.key("ctrl+c", "ctrl+v")
    report = app.wait_for(lambda r: len(r["nodes"]) == 4 and r, 10, "a pasted copy")
    centres = {tuple(n["center"]) for n in report["nodes"].values()}
    assert len(centres) == 4, "the copy does not sit on top of the original"
    for keys, count in (("ctrl+z", 3), ("ctrl+shift+z", 4), ("ctrl+z", 3), ("ctrl+y", 4)):
        app.key(keys)
        app.wait_for(lambda r, c=count: len(r["nodes"]) == c, 10, f"{keys} → {count} nodes")
    assert "Ambiguous" not in app.output()

    project = tmp_path / "by_hand.json"
    save_as(app, project)
    saved = json.loads(project.read_text())
    assert sorted(n["type"] for n in saved["nodes"]) == ["Input", "Linear", "Linear", "Output"]
    assert len(saved["edges"]) == 2
    app.key("ctrl+q")
    assert app.wait_exit() == 0

    again = start_app(str(project))
    again.wait_for(lambda r: len(r["nodes"]) == 4, 120, "the saved project")
    time.sleep(3)
    assert again.probe()["dialogs"] == [], "no recovery prompt after a clean save and quit"
    again.activate()
    again.key("ctrl+q")
    assert again.wait_exit() == 0
    assert json.loads(project.read_text()) == saved


def test_template_saved_under_a_name_reopens_without_a_recovery_prompt(start_app, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.ini").write_text("[autosave]\nseconds=1\n")
    app = start_app("--empty", home=home)
    app.wait_for(lambda r: r["engine"], 120, "the window with the layer catalogue")
    app.activate()
    app.key("alt+f", "t", "Return")  # File › New from template › the first one
    app.wait_for(lambda r: len(r["nodes"]) > 2 and r["path"] is None, 30, "a project from a template")
    app.key("ctrl+f")
    app.type("ReLU")
    app.key("Return")  # adds the first match at the centre of the canvas
    app.wait_for(lambda r: r["modified"], 10, "an unsaved change")
    time.sleep(2.5)  # an autosave of the untitled project happens here
    assert list((home / "recovery").glob("*.json")), "the untitled project was autosaved"
    project = tmp_path / "from_template.json"
    app.activate()
    save_as(app, project)
    assert list((home / "recovery").glob("*.json")) == [], "saving removes the document's autosave copy"
    app.key("ctrl+q")
    assert app.wait_exit() == 0

    for args in ((str(project),), ("--empty",)):
        again = start_app(*args, home=home)
        again.wait_for(lambda r: "Input" in r["palette"], 120, "the window")
        time.sleep(3)
        assert again.probe()["dialogs"] == [], f"no recovery prompt when starting with {args}"
        again.activate()
        again.key("ctrl+q")
        assert again.wait_exit() == 0
