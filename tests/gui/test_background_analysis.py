"""A large document's full analysis runs off the GUI thread; its results reach the views on the GUI thread.

Counted, not timed (issue #13.4): which thread ran each analysis, which thread
heard `analysed`, how many analyses a burst of edits cost.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QApplication

from app.editor import model as editor_model
from graph import ROOT
from graph.edits import SetLabel, SetParam
from runtime.analysis import analyse
from tests.bench.generated_graphs import chain
from tests.gui.test_edit_path import counter


@pytest.fixture
def big(make_window):
    window = make_window(show=False)
    window.model.set_document(chain(editor_model.BACKGROUND_NODES + 2).doc)
    assert not window.model.analysing  # opening analyses at once, here
    return window


def label_id(window, label):
    return next(n.id for n in window.model.doc.graph.nodes.values() if n.label == label)


def finished(window) -> None:
    editor_model._ANALYSER.submit(lambda: None).result()  # the analysis thread is idle


def test_a_structural_edit_of_a_large_model_is_analysed_on_another_thread(big, qtbot, monkeypatch):
    model = big.model
    runs = counter(monkeypatch, analyse)
    heard: list[str] = []
    model.analysed.connect(lambda: heard.append(threading.current_thread().name))
    fc3 = label_id(big, "fc3")
    model.push(SetLabel(ROOT, fc3, "third"))
    assert model.analysing and model.inference.node(ROOT, fc3).label == "fc3"  # the GUI did not wait
    qtbot.waitUntil(lambda: not model.analysing, timeout=20000)
    assert runs == ["analysis_0"] and heard == [threading.main_thread().name]
    assert model.inference.node(ROOT, fc3).label == "third" and model.problems == []
    model.push(SetParam(ROOT, label_id(big, "fc7"), "out_features", 20))  # a parameter: at once, here
    assert not model.analysing and runs == ["analysis_0"]
    assert model.inference.edge(ROOT, label_id(big, "fc7"), "out").shape == ("B", 20)
    model.push(SetLabel(ROOT, fc3, "fc4"))  # two nodes called fc4: no shapes until that is mended
    qtbot.waitUntil(lambda: not model.analysing, timeout=20000)
    assert sum("label 'fc4' is used by 2 nodes" in p.message for p in model.problems) == 2
    assert model.inference is None and len(runs) == 2


def test_a_burst_of_edits_costs_the_running_analysis_and_one_more(big, qtbot, monkeypatch):
    model = big.model
    runs = counter(monkeypatch, analyse)
    for k in range(6):
        model.push(SetLabel(ROOT, label_id(big, f"act{k}"), f"relu{k}"))
    qtbot.waitUntil(lambda: not model.analysing, timeout=30000)
    assert len(runs) <= 2
    fresh = analyse(model.doc, registry=model.registry)
    assert model.problems == fresh.problems


def test_code_asked_for_while_analysing_is_the_current_documents(big, qtbot):
    model = big.model
    fc = label_id(big, "fc2")
    model.push(SetLabel(ROOT, fc, "wide"))
    assert model.analysing
    compiled = model.current_compiled(formatted=False)  # export, layer statistics: no waiting, no stale code
    assert not model.analysing and "self.wide = nn.Linear" in compiled.source


def test_closing_the_window_while_analysing_is_quiet(make_window, qtbot):
    window = make_window(show=False)
    window.model.set_document(chain(editor_model.BACKGROUND_NODES + 2).doc)
    window.model.push(SetLabel(ROOT, label_id(window, "fc1"), "first"))
    assert window.model.analysing
    window.shutdown()
    window.close()
    finished(window)
    qtbot.wait(100)  # the thread never touched Qt; the closed window's timer collects or nobody does


def test_shutdown_waits_for_the_running_analysis_and_starts_no_other(make_window, monkeypatch):
    """The window's analysis thread is done with its document when `shutdown` returns (it used to go on
    after the window closed, its result never collected), and the follow-up of later edits never starts."""
    import runtime.analysis

    window = make_window(show=False)
    model = window.model
    model.set_document(chain(editor_model.BACKGROUND_NODES + 2).doc)
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def held_analysis(*args, **kwargs):
        started.set()
        assert release.wait(120)
        try:
            return analyse(*args, **kwargs)
        finally:
            ended.append(threading.current_thread().name)

    monkeypatch.setattr(runtime.analysis, "analyse", held_analysis)
    heard: list[int] = []
    model.analysed.connect(lambda: heard.append(1))
    model.push(SetLabel(ROOT, label_id(window, "fc1"), "first"))
    assert started.wait(120) and model.analysing
    model.push(SetLabel(ROOT, label_id(window, "fc2"), "second"))  # a follow-up is due after the running one
    release.set()
    window.shutdown()
    assert ended == ["analysis_0"] and not model.analysing
    finished(window)
    assert ended == ["analysis_0"]  # the follow-up never ran
    QApplication.processEvents()
    assert heard == []  # nor did a result reach the closing window's views
