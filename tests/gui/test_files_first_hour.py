"""Issue 17, files and runs: recovery prompts (4), run names and their folder (10), dialogs and quitting (16)."""

import json
import os
import time

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.launch import EXAMPLE, RESOURCES
from app.training import TrainingController
from graph import Document, save
from runtime.run_folder import write_result, write_start

WINE = RESOURCES / "templates" / "01_mlp_wine.json"


def record_questions(monkeypatch, answer=QMessageBox.No):
    asked = []

    def question(*args, **kwargs):
        asked.append(args[1])
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def save_dialog_returns(monkeypatch, path):
    seen = []

    def dialog(parent, caption, directory="", *args, **kwargs):
        seen.append(directory)
        return (str(path), "") if path else ("", "")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return seen


# -- observation 4 --------------------------------------------------------------------------------
def test_template_autosaved_then_saved_under_a_name_is_never_offered_again(make_window, tmp_path, app_home,
                                                                          monkeypatch):
    w = make_window()
    w.new_from_template(WINE)
    w.add_node_at("ReLU", QPointF(0, 300))
    assert w.autosave() is not None, "the untitled project is autosaved"
    target = tmp_path / "wine.json"
    save_dialog_returns(monkeypatch, target)
    assert w.save()
    assert list((app_home / "recovery").glob("*.json")) == [], "saving removes the document's autosave copy"
    asked = record_questions(monkeypatch)
    fresh = make_window()
    assert not fresh.offer_untitled_recovery()
    assert fresh.open_project(target)
    assert asked == [], "no 'Recover unsaved work?' after a clean save"


def test_an_autosave_older_than_the_saved_file_is_never_offered(make_window, tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save(Document(name="p"), path)
    crashed = make_window(path)
    crashed.add_node_at("Linear", QPointF(10, 10))
    crashed.autosave()  # ... and the process dies; later the file is saved again with newer work
    newer = Document(name="newer")
    save(newer, path)
    later = time.time() + 5
    os.utime(path, (later, later))
    asked = record_questions(monkeypatch, QMessageBox.Yes)
    fresh = make_window()
    assert fresh.open_project(path)
    assert asked == [] and fresh.model.doc.name == "newer" and not fresh.model.modified
    crashed.model.undo_stack.setClean()


# -- observation 10 -------------------------------------------------------------------------------
def fake_run(window, status="finished"):
    run_dir = window.next_run_dir()
    write_start(run_dir, json.dumps({"format": "torchcanvas"}), run_dir.name, {}, "")
    write_result(run_dir, status, 3, {"val_accuracy": 0.5})
    window.runs_panel.set_folder(window.runs_dir())
    return run_dir


def test_runs_of_an_unsaved_project_are_named_after_it_and_follow_it_when_saved(make_window, tmp_path,
                                                                              monkeypatch):
    w = make_window()
    w.new_from_template(WINE)
    run = fake_run(w)
    assert not run.name.endswith("untitled") and "mlp_on_wine" in run.name
    assert w.runs_panel.names() == [run.name]
    save_dialog_returns(monkeypatch, tmp_path / "wine.json")
    assert w.save()
    assert w.runs_panel.names() == [run.name], "the run is still listed after the first save"
    assert (tmp_path / "runs" / run.name / "result.json").exists()


def test_a_bundled_template_opened_as_a_file_trains_into_the_home_not_into_resources(make_window, app_home):
    w = make_window(RESOURCES / "templates" / "03_lenet5_digits.json")
    run = w.next_run_dir()
    assert RESOURCES.resolve() not in run.resolve().parents, run
    assert app_home.resolve() in run.resolve().parents and run.name.endswith("03_lenet5_digits")


def test_choosing_runs_overlays_them_on_the_visible_dashboard_with_legend_entries(make_window, tmp_path):
    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    w = make_window(project)
    run = w.next_run_dir()
    write_start(run, project.read_text(), run.name, {}, "")
    (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"kind": "batch_ended", "step": k, "epoch": 0, "loss": 1.0 / k, "lr": 0.1, "samples_per_s": 1.0}
        for k in range(1, 20)]))
    write_result(run, "finished", 19, {})
    w.runs_panel.set_folder(w.runs_dir())
    w.docks["Problems"].raise_()
    w.runs_panel.tree.topLevelItem(0).setSelected(True)
    assert w.plots.isVisible(), "the overlay is shown where it is drawn"
    assert run.name in w.plots.legend_names()


# -- observation 16: dialogs open where the project is; quitting asks while training ---------------
def test_save_and_export_dialogs_open_in_the_same_folder(make_window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = make_window(EXAMPLE)
    w.model.path = None
    seen = save_dialog_returns(monkeypatch, None)
    w.save_as()
    w.export("py")
    assert [os.path.dirname(d) for d in seen] == [str(tmp_path), str(tmp_path)]
    sub = tmp_path / "sub"
    sub.mkdir()
    seen2 = save_dialog_returns(monkeypatch, sub / "mine.json")
    w.save_as()
    w.export("py")
    assert os.path.dirname(seen2[-1]) == str(sub)


def test_quitting_while_training_asks_and_cancel_keeps_the_window(make_window, monkeypatch):
    w = make_window(EXAMPLE)
    del w.confirm_quit  # the real question, not the fixture's yes
    monkeypatch.setattr(TrainingController, "running", property(lambda self: True))
    asked = record_questions(monkeypatch, QMessageBox.Cancel)
    w.close()
    assert asked == ["Training is running"] and w.isVisible()
    monkeypatch.setattr(TrainingController, "running", property(lambda self: False))
    w.close()
    assert not w.isVisible()
