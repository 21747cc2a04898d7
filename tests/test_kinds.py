"""Node kinds: one object per structural kind, asked by every layer instead of string checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from codegen import build_from_compiled, compile_document
from codegen.kinds.subnet import COMBINE
from graph import ROOT, validate
from graph.document import Document, Node
from graph.kinds import NodeKind, kind_of, register_kind, structural_kinds
from graph.kinds.base import Drawing
from graph.registry import Registry, base_registry
from graph.spec import NodeSpec, PortSpec
from tests.codegen.graphs import builder

ROOT_DIR = Path(__file__).resolve().parent.parent
KIND_HOMES = {"graph/kinds/boundary.py", "graph/kinds/subnet.py", "graph/kinds/code.py",
              "graph/kinds/forest.py", "codegen/kinds/forest.py", "codegen/catalogue/expression.py"}


def test_structural_kind_names_appear_only_in_their_kind_objects():
    pattern = re.compile(r"""["'](Group|Ensemble|Forest|Code|Input|Output|Expression)["']""")
    offenders = []
    for package in ("graph", "codegen", "runtime", "app"):
        for path in sorted((ROOT_DIR / package).rglob("*.py")):
            rel = path.relative_to(ROOT_DIR).as_posix()
            if rel in KIND_HOMES:
                continue
            for k, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{rel}:{k}: {line.strip()}")
    assert offenders == []


def forest(combine: str, members: int = 3):
    b = builder("forest")
    net = b.group("net")
    net.output(net.add("Linear", net.input("x"), "head", out_features=4), "y")
    b.output(b.add("Ensemble", b.input("x", [6]), "forest", group="net", members=members, combine=combine))
    return b.doc


@pytest.mark.parametrize("combine", sorted(COMBINE))
def test_ensemble_rule_gives_inference_the_shape_the_built_model_returns(combine):
    compiled = compile_document(forest(combine))
    run = next(r for r in compiled.inference.root.nodes.values() if r.label == "forest")
    inferred = run.outputs["out"]
    model = build_from_compiled(compiled)
    out = model(torch.randn(3, 6))
    assert inferred.shape == ("B", *out.shape[1:])
    assert f"torch.{'cat' if combine == 'concat' else 'stack'}(" in compiled.source


class _Opaque(NodeKind):
    """A stand-in for a further kind (an imported module kept whole)."""

    in_palette = False

    def input_ports(self, doc, node):
        return tuple(PortSpec(name) for name in node.params.get("inputs", ["x"]))

    def drawing(self, node):
        return Drawing(f"module {node.params.get('target', '?')}")


def test_a_new_kind_is_one_registered_object_that_validation_ports_and_drawing_ask():
    kind = register_kind(_Opaque(NodeSpec("TestOpaque", "Imported", dynamic_ports=True)))
    try:
        doc = Document()
        doc.graph.nodes["n1"] = Node("n1", "TestOpaque", "m", {"inputs": ["a", "b"], "target": "x.Y"})
        reg = Registry([*base_registry(), kind.spec])
        problems = validate(doc, reg)
        not_connected = {p.port for p in problems if p.node_id == "n1" and "not connected" in p.message}
        assert not_connected == {"a", "b"}  # validation asked the kind for its ports
        assert kind_of("TestOpaque").drawing(doc.graph.nodes["n1"]).subtitle == "module x.Y"
        with pytest.raises(ValueError):
            register_kind(_Opaque(NodeSpec("TestOpaque", "Imported")))
    finally:
        from graph.kinds import _KINDS

        _KINDS.pop("TestOpaque", None)


def test_every_structural_kind_draws_and_labels_without_qt():
    for kind in structural_kinds():
        node = Node("n1", kind.type_id, "n", {})
        assert isinstance(kind.drawing(node).subtitle, str)
        assert kind.default_label(ROOT).isidentifier()
