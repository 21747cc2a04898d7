"""A failure while training that no check could foresee is a record on the node it happened in (issue #13):
the traceback runs through the generated module, whose source map names the node and the code entry's line."""

from __future__ import annotations

import pytest

from graph.problems import Problem
from runtime.crash_site import unlocated
from runtime.events import FitEnded
from runtime.session import prepare, run
from tests.codegen.graphs import builder

TRAP = '''from torch import nn


class Trap(nn.Module):
    def forward(self, x):
        if x.device.type != "meta":  # the shape checks run on "meta": they pass
            raise ValueError("boom at training time")
        return x
'''


def trapped_doc():
    """digits → flat → fc → trap1 (a code node that fails on real data) → y."""
    b = builder("trapped")
    x = b.input("x", [1, 8, 8])
    h = b.add("Linear", b.add("Flatten", x, "flat"), "fc", out_features=10)
    b.doc.code["trap"] = TRAP
    b.output(b.add("Code", h, "trap1", code="trap"), "y")
    b.doc.recipe = {"dataset": {"name": "digits"}, "epochs": 1, "max_steps": 2, "batch_size": 16}
    return b.doc


def test_a_code_node_failing_on_real_data_is_a_record_on_that_node_and_line(tmp_path):
    doc = trapped_doc()
    events = []
    with pytest.raises(ValueError, match="boom"):
        run(prepare(doc, num_threads=1, emit=events.append, trusted=True, run_dir=tmp_path / "run"))
    (ended,) = [e for e in events if isinstance(e, FitEnded)]
    (problem,) = [Problem.from_dict(p) for p in ended.problems]
    assert (problem.node_id, problem.label) == (doc.graph.node_by_label("trap1").id, "trap1")
    assert (problem.file, problem.line) == ("code entry 'trap'", 7)  # the `raise`, counted in the entry's text
    assert problem.text() == ("node trap1, code entry 'trap', line 7: ValueError: boom at training time "
                              "(the run's log has the traceback)")


def test_a_failure_outside_the_model_names_no_node():
    try:
        raise KeyError("batch")
    except KeyError as exc:
        assert unlocated(exc) == Problem("KeyError: 'batch'", hint="the run's log has the traceback")
