import pytest
import torch

from codegen import CompileError, build_from_compiled, compile_document
from codegen.formatting import lint_source
from graph import ROOT
from tests.codegen.graphs import builder

SCALE = '''import math

import torch
from torch import nn


class ScaledTanh(nn.Module):
    """tanh with a learnable scale."""

    def __init__(self, features, scale=2.0):
        super().__init__()
        self.scale = nn.Parameter(torch.full((features,), scale))

    def forward(self, x):
        return self.scale * torch.tanh(x / math.sqrt(2.0))
'''

GATE = '''def gate(x, y, alpha=0.5):
    return alpha * x + (1 - alpha) * y
'''


def code_doc(code=SCALE, params=None):
    b = builder("custom")
    x = b.input("x", [8])
    h = b.add("Linear", x, "fc", out_features=4)
    b.doc.code["scaled_tanh"] = code
    c = b.add("Code", h, "act", code="scaled_tanh", **(params or {"features": 4}))
    b.output(c, "y")
    return b.doc


def test_code_node_is_pasted_verbatim_and_runs():
    doc = code_doc()
    compiled = compile_document(doc, trusted=True)
    assert "class ScaledTanh(nn.Module):" in compiled.source
    assert "self.act = ScaledTanh(features=4)" in compiled.source
    assert compiled.source.count("import math") == 1
    assert lint_source(compiled.source) == []
    model = build_from_compiled(compiled)
    x = torch.randn(3, 8)
    expected = 2.0 * torch.tanh(model.fc(x) / 2 ** 0.5)
    torch.testing.assert_close(model(x), expected)
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias", "act.scale"]


def test_function_code_node_with_two_inputs():
    b = builder("gated")
    x = b.input("x", [4])
    y = b.input("y", [4])
    b.doc.code["gate"] = GATE
    g = b.add("Code", {"x": x, "y": y}, "mix", code="gate", alpha=0.25)
    b.output(g, "out")
    compiled = compile_document(b.doc, trusted=True)
    assert "mix = gate(x, y, alpha=0.25)" in compiled.source
    model = build_from_compiled(compiled)
    a, c = torch.randn(2, 4), torch.randn(2, 4)
    torch.testing.assert_close(model(a, c), 0.25 * a + 0.75 * c)


def test_untrusted_code_is_not_run():
    doc = code_doc()
    with pytest.raises(CompileError, match="trust"):
        compile_document(doc, trusted=False)


def test_syntax_error_names_code_node_and_line():
    doc = code_doc(SCALE.replace("def forward(self, x):", "def forward(self, x)"))
    with pytest.raises(CompileError) as err:
        compile_document(doc, trusted=True)
    issue = err.value.problems[0]
    assert issue.label == "act"
    assert (issue.file, issue.line) == ("code scaled_tanh", 14) and "line 14" in str(issue)


def test_exception_in_forward_names_the_line_inside_user_code():
    broken = SCALE.replace("return self.scale * torch.tanh(x / math.sqrt(2.0))",
                           "return self.scale * torch.tanh(x / math.sqrt(-2.0))")
    doc = code_doc(broken)
    with pytest.raises(CompileError) as err:
        compile_document(doc, trusted=True)
    message = err.value.problems[0].message
    assert "code entry 'scaled_tanh', line 15" in message and "math domain error" in message


def test_exception_in_init_names_its_line():
    doc = code_doc(params={"features": -1})
    with pytest.raises(CompileError) as err:
        compile_document(doc, trusted=True)
    assert "code entry 'scaled_tanh', line 12" in err.value.problems[0].message


def test_source_map_points_into_code_entries():
    doc = code_doc()
    compiled = compile_document(doc, trusted=True)
    line = compiled.source.splitlines().index("class ScaledTanh(nn.Module):") + 1
    assert compiled.source_map.code_entry_at_line(line) == ("scaled_tanh", 1)
    act = doc.graph.node_by_label("act").id
    assert compiled.source_map.lines_for_node(ROOT, act)
