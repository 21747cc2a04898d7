"""What one edit costs: exactly one analysis, and no code generation or ``ruff format`` unless read.

Counted, not timed (issue #13.4): every module that bound the counted
function gets the counting wrapper, so a second caller anywhere is seen.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from codegen.compiler import compile_document
from codegen.formatting import format_source
from codegen.shapes import infer_shapes, reinfer_shapes
from graph import ROOT
from graph.edits import SetLabel, SetParam
from graph.validate import recheck_node, validation
from runtime.analysis import analyse, reanalyse

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "digits_mlp.json"


def counter(monkeypatch, func) -> list[str]:
    """Replaces `func` everywhere it is bound; the list gets the calling thread's name per call."""
    calls: list[str] = []

    def counted(*args, **kwargs):
        calls.append(threading.current_thread().name)
        return func(*args, **kwargs)

    for module in list(sys.modules.values()):
        for name, value in list(getattr(module, "__dict__", {}).items()):
            if value is func:
                monkeypatch.setattr(module, name, counted)
    return calls


@pytest.fixture
def counts(monkeypatch):
    return {
        "analysis": counter(monkeypatch, reanalyse),
        "in full": counter(monkeypatch, analyse),
        "validate": counter(monkeypatch, validation),
        "recheck node": counter(monkeypatch, recheck_node),
        "infer_shapes": counter(monkeypatch, infer_shapes),
        "reinfer_shapes": counter(monkeypatch, reinfer_shapes),
        "compile": counter(monkeypatch, compile_document),
        "ruff format": counter(monkeypatch, format_source),
    }


def reset(counts) -> None:
    for calls in counts.values():
        calls.clear()


def tally(counts) -> dict[str, int]:
    return {name: len(calls) for name, calls in counts.items()}


#: One parameter edit: one analysis that re-checks that node and runs shapes from it on, nothing in full.
LOCAL = {"analysis": 1, "in full": 0, "validate": 0, "recheck node": 1, "infer_shapes": 0, "reinfer_shapes": 1,
         "compile": 0, "ruff format": 0}


def node(window, label):
    return next(n.id for n in window.model.doc.graph.nodes.values() if n.label == label)


def test_one_edit_is_one_analysis_and_nothing_else_while_the_code_is_not_shown(make_window, qtbot, counts):
    window = make_window(EXAMPLE)
    window.docks["Generated code"].close()
    qtbot.wait(300)
    reset(counts)
    window.model.push(SetParam(ROOT, node(window, "fc1"), "out_features", 96))
    qtbot.wait(400)  # longer than any debounce timer
    assert tally(counts) == LOCAL
    assert window.scene.edges and any("96" in e.label.text() for e in window.scene.edges.values())
    reset(counts)
    window.model.push(SetLabel(ROOT, node(window, "fc1"), "hidden"))  # not a parameter: the whole analysis
    qtbot.wait(400)
    assert tally(counts) == {**LOCAL, "in full": 1, "validate": 1, "recheck node": 0, "infer_shapes": 1,
                             "reinfer_shapes": 0}


def test_the_visible_code_view_formats_once_after_the_edit_not_during_it(make_window, qtbot, counts):
    window = make_window(EXAMPLE)
    qtbot.waitUntil(lambda: "nn.Linear(64, 128)" in window.code_view.text.toPlainText(), timeout=5000)
    reset(counts)
    fc1 = node(window, "fc1")
    window.model.push(SetParam(ROOT, fc1, "out_features", 96))
    assert tally(counts) == LOCAL
    qtbot.waitUntil(lambda: "nn.Linear(64, 96)" in window.code_view.text.toPlainText(), timeout=5000)
    assert tally(counts) == {**LOCAL, "compile": 1, "ruff format": 1}
    assert counts["ruff format"] != [threading.main_thread().name]  # the GUI thread never waits for ruff
    assert window.model.compiled.formatted


def test_a_burst_of_edits_writes_the_code_once(make_window, qtbot, counts):
    window = make_window(EXAMPLE)
    qtbot.waitUntil(lambda: "nn.Linear(64, 128)" in window.code_view.text.toPlainText(), timeout=5000)
    reset(counts)
    fc1 = node(window, "fc1")
    for width in range(90, 95):  # a spin box held down
        window.model.push(SetParam(ROOT, fc1, "out_features", width))
    qtbot.waitUntil(lambda: "nn.Linear(64, 94)" in window.code_view.text.toPlainText(), timeout=5000)
    qtbot.wait(300)
    assert tally(counts) == {**{k: 5 * v for k, v in LOCAL.items()}, "compile": 1, "ruff format": 1}


def test_code_for_layer_statistics_is_not_formatted_until_someone_reads_it(make_window, qtbot, counts):
    window = make_window(EXAMPLE)
    window.docks["Generated code"].close()
    qtbot.wait(300)
    reset(counts)
    compiled = window.model.current_compiled(formatted=False)
    assert compiled is not None and not compiled.formatted
    assert compiled.attributes[(ROOT, node(window, "fc1"))] == "fc1"
    assert tally(counts)["ruff format"] == 0 and tally(counts)["compile"] == 1
    assert window.model.current_compiled().formatted  # export's text: formatted, not written again
    assert tally(counts)["ruff format"] == 1 and tally(counts)["compile"] == 1
